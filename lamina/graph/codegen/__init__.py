"""Code generation: turns an optimized, memory-planned Program into a Python function.

numpy_codegen.py writes one flat function of NumPy calls into preallocated buffers (the CPU
backend); a GPU code generator follows the same interface.
"""
