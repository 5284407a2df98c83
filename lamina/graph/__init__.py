"""Graphs: the IR (ir.py), TF1-style sessions (session.py), lm.function (function.py), the
optimizing passes (passes/) and code generation (codegen/)."""
