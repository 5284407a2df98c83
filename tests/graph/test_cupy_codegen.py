"""The GPU code generator's pure part: CUDA source for fused elementwise chains
(cupy_codegen.kernel_source), checked as text and, through the fake GPU's evaluator of that
text (tests/fake_gpu.py), against NumPy running the chain one ufunc at a time."""
import numpy as np
import pytest

import lamina as lm
from lamina.graph import program as P
from lamina.graph.codegen import cupy_codegen
from lamina.graph.codegen.cupy_codegen import PREAMBLE, STEP_TEMPLATES, kernel_source
from lamina.graph.passes.fusion import FUSED
from lamina.ops.registry import REGISTRY
from tests.fake_gpu import XP, FakeElementwiseKernel

SHAPE = (2, 5)


def _input(k, dtype=lm.float32, shape=SHAPE):
    return P.Node(P.INPUT, None, (), {"index": k}, shape, dtype, f"input{k}")


def _fused(steps, inputs, dtype=lm.float32):
    """A Fused node: ``steps`` are (op type, refs, attrs)."""
    body = [(op, REGISTRY[op], refs, attrs) for op, refs, attrs in steps]
    return P.Node(FUSED, None, inputs, {"body": body}, SHAPE, dtype)


ADD_RELU = [("Add", (("in", 0), ("in", 1)), {}), ("Relu", (("prev",),), {})]


def test_a_chain_becomes_one_expression():
    source = kernel_source(_fused(ADD_RELU, [_input(0), _input(1)]))
    assert source.in_params == "float32 in0, float32 in1"
    assert source.out_params == "float32 out0"
    assert source.operation == "out0 = lamina_relu((in0 + in1));"
    assert source.name.startswith("lamina_fused_") and source.preamble == PREAMBLE


def test_the_previous_result_keeps_its_operand_position():
    steps = [("Mul", (("in", 0), ("in", 0)), {}), ("Sub", (("in", 1), ("prev",)), {}),
             ("RealDiv", (("prev",), ("in", 1)), {}), ("Exp", (("prev",),), {})]
    source = kernel_source(_fused(steps, [_input(0, lm.float64), _input(1, lm.float64)],
                                  lm.float64))
    assert source.in_params == "float64 in0, float64 in1"
    assert source.operation == "out0 = exp(((in1 - (in0 * in0)) / in1));"


def test_kernel_names_follow_the_source():
    one = kernel_source(_fused(ADD_RELU, [_input(0), _input(1)]))
    same = kernel_source(_fused(ADD_RELU, [_input(0), _input(1)]))
    other = kernel_source(_fused([("Add", (("in", 0), ("in", 1)), {}),
                                  ("Tanh", (("prev",),), {})], [_input(0), _input(1)]))
    assert one.name == same.name != other.name


@pytest.mark.parametrize("steps,dtypes,dtype", [
    (ADD_RELU, (lm.float16, lm.float16), lm.float16),            # no float16 kernels
    ([("Add", (("in", 0), ("in", 1)), {}), ("Neg", (("prev",),), {})],
     (lm.int32, lm.int32), lm.int32),                            # integer arithmetic
    (ADD_RELU, (lm.float32, lm.float64), lm.float32),            # mixed input dtypes
    ([("Add", (("in", 0), ("in", 1)), {}), ("FloorDiv", (("prev",), ("in", 1)), {})],
     (lm.float32, lm.float32), lm.float32),                      # no template (floor_divide)
    ([("Add", (("in", 0), ("in", 1)), {"extra": 1}), ("Relu", (("prev",),), {})],
     (lm.float32, lm.float32), lm.float32),                      # attributes
])
def test_chains_without_a_kernel_give_none(steps, dtypes, dtype):
    inputs = [_input(k, d) for k, d in enumerate(dtypes)]
    assert kernel_source(_fused(steps, inputs, dtype)) is None


def test_kernel_source_rejects_other_nodes():
    with pytest.raises(ValueError, match="expects a Fused node, received a Add node"):
        kernel_source(P.Node("Add", REGISTRY["Add"], [_input(0), _input(1)], {}, SHAPE,
                             lm.float32))


def test_templates_name_real_ufuncs_and_defined_helpers():
    ufuncs = {prim.ufunc for prim in REGISTRY.values() if prim.ufunc is not None} | {"Relu"}
    assert set(STEP_TEMPLATES) <= ufuncs
    for template in STEP_TEMPLATES.values():
        name = template.split("(")[0]
        if name.startswith("lamina_"):
            assert f"T {name}(" in PREAMBLE, name


def _values(rng):
    x = rng.standard_normal(SHAPE).astype(np.float32)
    x.flat[:4] = [np.nan, -0.0, 0.0, -2.5]
    return x


# (op type, primitive) for every template.
STEPS = [(op, prim) for op, prim in REGISTRY.items()
         if op == "Relu" or (prim.ufunc in STEP_TEMPLATES and prim.accepts != "integer")]


@pytest.mark.parametrize("op", [op for op, _ in STEPS])
def test_each_step_computes_what_numpy_does(op):
    """Two-step chains (the step on the previous result, in both operand positions for
    binary ops) through the generated expression, against NumPy's ufuncs one by one."""
    prim = REGISTRY[op]
    rng = np.random.default_rng(0)
    a, b = _values(rng), np.abs(_values(rng)) + 0.5
    with np.errstate(all="ignore"):
        first = np.tanh(a)
        if len(prim.inputs) == 1:
            orders = [((("prev",),), lambda p: prim.forward(np, p))]
        else:
            orders = [((("prev",), ("in", 1)), lambda p: prim.forward(np, p, b)),
                      ((("in", 1), ("prev",)), lambda p: prim.forward(np, b, p))]
        for refs, numpy_step in orders:
            node = _fused([("Tanh", (("in", 0),), {}), (op, refs, {})], [_input(0), _input(1)])
            source = kernel_source(node)
            kernel = FakeElementwiseKernel(source.in_params, source.out_params,
                                           source.operation, source.name, source.preamble)
            out = XP.empty(SHAPE, np.float32)
            kernel(XP.asarray(a), XP.asarray(b), out)
            want = numpy_step(first).astype(np.float32)
            np.testing.assert_array_equal(out.get(), want, err_msg=source.operation)
            np.testing.assert_array_equal(np.signbit(out.get()), np.signbit(want),
                                          err_msg=source.operation)


def test_uploader_is_the_first_line_of_gpu_code(fake_gpu):
    f = lm.function(lambda x: lm.exp(x) * 2.0 + 1.0)
    with lm.device("gpu"):
        source = f.get_concrete_function(np.ones(3, np.float32)).source
    lines = source.splitlines()
    assert lines[1].strip() == "i0 = _upload(i0)"
    assert lines[2].strip().startswith("t") and "k0(i0" in lines[2]
    assert cupy_codegen.GpuContext(fake_gpu).numba() is False


def test_gpu_emitters_are_the_shared_ones_with_fused_chains_as_kernels():
    """The CPU's table is the shared one plus its own; the GPU's is the shared one, with its
    own fused chains (emitter_for may add ufunc emitters to either table as it meets ops)."""
    from lamina.graph.codegen import numpy_codegen as base
    shared, cpu_only = base.SHARED_EMITTERS, base.CPU_ONLY_EMITTERS
    assert not set(shared) & set(cpu_only)
    assert all(base.EMITTERS[op] is e for op, e in {**shared, **cpu_only}.items())
    gpu = cupy_codegen.EMITTERS
    assert not set(cpu_only) & set(gpu)
    assert all(gpu[op] is e for op, e in shared.items() if op != FUSED)
    assert gpu[FUSED] is not shared[FUSED]
