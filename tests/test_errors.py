"""Bad input gives errors that say what was expected and what was received: shapes that do not
broadcast or multiply, impossible reshapes, bad axes, wrong dtypes, bad indices and devices,
Variable assignments of the wrong shape, and graph tensors used in eager code. The eager fast
paths must raise exactly what the checked path raises.
"""
import numpy as np
import pytest

import lamina as lm


def _error(fn):
    """(type, message) of the exception ``fn`` raises."""
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


# ---- broadcasting -------------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b, lambda a, b: a / b,
    lambda a, b: a ** b, lambda a, b: a > b, lambda a, b: lm.maximum(a, b),
    lambda a, b: lm.add(a, b), lambda a, b: lm.where(a > 0, a, b),
])
def test_broadcast_mismatch_names_both_shapes(call):
    a, b = lm.ones((2, 3)), lm.ones((3, 2))
    with pytest.raises(ValueError, match=r"(?s)incompatible shapes.*\(2, 3\).*\(3, 2\)"):
        call(a, b)


def test_broadcast_mismatch_with_numpy_and_lists():
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        lm.ones(3) + np.ones(2)
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        np.ones(2) + lm.ones(3)
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)"):
        lm.ones(3) * [1.0, 2.0, 3.0, 4.0]


def test_broadcast_message_says_expected_and_received():
    with pytest.raises(ValueError, match=r"Expected dims that are equal or 1.*received \[4, 5\]"):
        lm.ones((4, 1)) + lm.ones((5, 1))


# ---- matmul -------------------------------------------------------------------------------
def test_matmul_inner_dimension_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"MatMul: inner dimensions.*\(2, 3\) and \(4, 5\)"):
        lm.matmul(lm.ones((2, 3)), lm.ones((4, 5)))
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(2,\)"):
        lm.ones((2, 3)) @ lm.ones(2)
    with pytest.raises(ValueError, match=r"\(3,\) and \(2, 3\)"):
        np.ones(3, np.float32) @ lm.ones((2, 3))


def test_matmul_batch_and_rank_errors():
    with pytest.raises(ValueError, match=r"\(4,\) and \(5,\)"):
        lm.ones((4, 2, 3)) @ lm.ones((5, 3, 2))
    with pytest.raises(ValueError, match=r"rank >= 1.*\(\)"):
        lm.matmul(lm.ones((2, 2)), lm.tensor(2.0))


# ---- reshape ------------------------------------------------------------------------------
def test_reshape_to_an_incompatible_size():
    with pytest.raises(ValueError, match=r"shape \(6,\) \(6 elements\) to \(4, 2\) \(8 elem"):
        lm.reshape(lm.ones(6), (4, 2))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        lm.ones((2, 3)).reshape(4)


def test_reshape_with_minus_one_that_does_not_divide():
    with pytest.raises(ValueError, match=r"\(7,\).*7 is not a multiple of 2"):
        lm.reshape(lm.ones(7), (2, -1))


def test_reshape_with_two_unknown_dims():
    with pytest.raises(ValueError, match=r"at most one.*-1.*\(-1, -1\)"):
        lm.reshape(lm.ones(4), (-1, -1))


# ---- axes ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [lm.sum, lm.mean, lm.max, lm.min, lm.prod, lm.any, lm.all,
                                lm.logsumexp, lm.var, lm.std])
def test_reduction_axis_out_of_range(fn):
    x = lm.ones((2, 3)) > 0 if fn in (lm.any, lm.all) else lm.ones((2, 3))
    with pytest.raises(ValueError, match=r"axis 2 is out of range.*rank 2.*\[-2, 1\]"):
        fn(x, axis=2)
    with pytest.raises(ValueError, match=r"axis -3 is out of range"):
        fn(x, axis=-3)


@pytest.mark.parametrize("axis", [1.5, "0", [0.0]])
def test_reduction_axis_of_the_wrong_type(axis):
    with pytest.raises(TypeError, match=r"axis must be .*received"):
        lm.sum(lm.ones((2, 3)), axis=axis)


def test_repeated_axis():
    with pytest.raises(ValueError, match=r"repeated axis.*\(1, -1\)"):
        lm.sum(lm.ones((2, 3)), axis=(1, -1))


def test_numpy_integer_axes_are_accepted():
    x = lm.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(lm.sum(x, axis=np.int64(0)).numpy(), [4.0, 6.0])
    np.testing.assert_array_equal(lm.mean(x, axis=(np.int32(0), 1)).numpy(), 2.5)
    np.testing.assert_array_equal(lm.argmax(x, axis=np.int64(1)).numpy(), [1, 1])


def test_argmax_axis_and_rank_errors():
    with pytest.raises(ValueError, match=r"axis 2 is out of range.*rank 2"):
        lm.argmax(lm.ones((2, 3)), axis=2)
    with pytest.raises(ValueError, match=r"rank >= 1.*scalar"):
        lm.argmin(lm.tensor(1.0))


# ---- dtypes -------------------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda a: a & a, lambda a: a | True, lambda a: a ^ a, lambda a: ~a,
    lambda a: lm.logical_and(a, a), lambda a: 1 & a,
])
def test_bitwise_on_floats_names_the_dtype(call):
    with pytest.raises(TypeError, match="expects bool or integer inputs, received float32"):
        call(lm.tensor([1.0, 2.0]))


def test_bitwise_with_a_python_float():
    with pytest.raises(TypeError, match="received float32"):
        lm.tensor([True]) & 1.5


@pytest.mark.parametrize("value", ["abc", ["a", "b"], [b"x"], None, {"a": 1}, object()])
def test_non_numeric_data_is_a_type_error(value):
    with pytest.raises(TypeError, match="Cannot convert .* to a tensor.*expected numbers"):
        lm.tensor(value)


def test_strings_in_operators():
    with pytest.raises(TypeError, match="'abc'"):
        lm.ones(2) + "abc"
    with pytest.raises(TypeError, match="'abc'"):
        lm.exp("abc")


def test_ragged_lists():
    with pytest.raises(ValueError, match=r"regular \(rectangular\) shape"):
        lm.tensor([[1, 2], [3]])


@pytest.mark.parametrize("call", [
    lambda: lm.tensor([1], dtype="flaot32"), lambda: lm.zeros(2, dtype="flaot32"),
    lambda: lm.cast(lm.ones(2), "flaot32"), lambda: lm.ones(2).astype("flaot32"),
    lambda: lm.as_dtype("flaot32"), lambda: lm.Variable(1.0, dtype="flaot32"),
])
def test_unknown_dtype_names(call):
    with pytest.raises(TypeError, match=r"Unknown dtype 'flaot32': expected one of .*float32"):
        call()


def test_integer_to_a_negative_integer_power():
    with pytest.raises(ValueError, match=r"Pow.*\(2,\) int32.*negative integer powers"):
        lm.tensor([2, 3]) ** -1


def test_python_int_out_of_range_for_the_tensor_dtype():
    with pytest.raises(ValueError, match=r"300.*int8"):
        lm.tensor(np.array([1], np.int8)) + 300


# ---- indices ------------------------------------------------------------------------------
def test_out_of_range_index_names_index_and_size():  # waits on lm.ops.shape.getitem
    t = lm.tensor([1, 2, 3])
    with pytest.raises(IndexError, match=r"(?s)5.*3|3.*5"):
        t[5]
    with pytest.raises(IndexError, match=r"(?s)-4.*3|3.*-4"):
        t[-4]


def test_float_tensor_as_a_python_index():
    with pytest.raises(TypeError, match="integer tensors.*float32"):
        [1, 2, 3][lm.tensor(1.0)]


def test_item_len_and_bool_misuse():
    with pytest.raises(ValueError, match=r"one element.*\(2,\)"):
        lm.tensor([1.0, 2.0]).item()
    with pytest.raises(TypeError, match=r"len\(\) of a 0-d tensor"):
        len(lm.tensor(1.0))
    with pytest.raises(ValueError):
        bool(lm.ones(3))


def test_item_assignment():
    with pytest.raises(TypeError, match="immutable"):
        lm.ones(3)[0] = 2.0


# ---- devices ------------------------------------------------------------------------------
def test_unknown_device():
    with pytest.raises(ValueError, match=r"Unknown device 'tpu'.*expected"):
        lm.device("tpu")
    with pytest.raises(ValueError, match=r"Unknown device 'xpu:0'"):
        lm.ones(2).to("xpu:0")


# ---- variables ----------------------------------------------------------------------------
@pytest.mark.parametrize("method,word", [("assign", "assign"), ("assign_add", "add"),
                                         ("assign_sub", "sub")])
def test_variable_assign_with_a_wrong_shape(method, word):
    v = lm.Variable([1.0, 2.0], name="w")
    with pytest.raises(ValueError,
                       match=rf"Cannot {word} a value of shape \(3,\) to variable w:0 of shape "
                             r"\(2,\): expected shape \(2,\)"):
        getattr(v, method)([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])   # unchanged


def test_variable_assign_keeps_the_dtype():
    v = lm.Variable([1.0, 2.0])
    v.assign(np.array([3.0, 4.0]))       # float64 data into a float32 variable
    assert v.dtype == lm.float32 and v.numpy().dtype == np.float32
    v.assign_add(lm.tensor([1, 1]))
    np.testing.assert_array_equal(v.numpy(), [4.0, 5.0])


def test_variable_symbolic_initial_value_in_eager_code():
    g = lm.Graph()
    with g.as_default():
        p = lm.placeholder("float32", (2,), name="init")
    with pytest.raises((TypeError, ValueError), match="init:0"):
        lm.Variable(p)


# ---- graph tensors in eager code ----------------------------------------------------------
def _placeholder():
    g = lm.Graph()
    with g.as_default():
        p = lm.placeholder("float32", (None, 3), name="inputs")
        q = p * 2.0
    return p, q


@pytest.mark.parametrize("call", [
    lambda p, t: p + t, lambda p, t: t + p, lambda p, t: t * p, lambda p, t: 2.0 - p,
    lambda p, t: lm.exp(p), lambda p, t: -p, lambda p, t: lm.sum(p),
    lambda p, t: lm.matmul(t, lm.transpose(p)), lambda p, t: lm.reshape(p, (-1,)),
    lambda p, t: lm.maximum(p, 0.0), lambda p, t: lm.cast(p, "int32"),
])
def test_graph_tensor_in_eager_code_names_the_tensor(call):
    p, _ = _placeholder()
    t = lm.ones((2, 3))
    with pytest.raises(TypeError, match="symbolic tensor inputs:0.*eager"):
        call(p, t)


def test_graph_tensor_in_eager_code_under_a_tape():
    p, q = _placeholder()
    t = lm.ones((2, 3))
    with lm.GradientTape() as tape:
        tape.watch(t)
        with pytest.raises(TypeError, match="symbolic tensor Mul:0"):
            t * q


def test_graph_tensor_values_are_not_available_eagerly():
    p, _ = _placeholder()
    for call in (p.numpy, lambda: np.asarray(p), lambda: float(p), lambda: p.item()):
        with pytest.raises(TypeError, match="inputs:0 is symbolic.*Session.run"):
            call()
    with pytest.raises(TypeError, match="inputs:0 as a Python bool"):
        bool(p)
    with pytest.raises(TypeError, match=r"len\(\) of tensor inputs:0.*\(None, 3\)"):
        len(p)


def test_variable_assign_from_a_graph_tensor():
    p, _ = _placeholder()
    v = lm.Variable(np.zeros((2, 3), np.float32))
    with pytest.raises(TypeError, match="inputs:0"):
        v.assign(p)


# ---- fast paths raise exactly what the checked path raises --------------------------------
ERRORS = {
    "broadcast": lambda: lm.ones((2, 3)) + lm.ones((3, 2)),
    "broadcast_int": lambda: lm.tensor([1, 2]) * lm.tensor([1, 2, 3]),
    "bitwise_float": lambda: lm.ones(2) & lm.ones(2),
    "invert_float": lambda: ~lm.ones(2),
    "matmul": lambda: lm.ones((2, 3)) @ lm.ones((2, 3)),
    "negative_power": lambda: lm.tensor([2]) ** lm.tensor([-1]),
    "reduce_axis": lambda: lm.sum(lm.ones(3), axis=1),
    "sign_bool": lambda: lm.sign(lm.tensor([True])),
    "string": lambda: lm.ones(2) - "x",
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_fast_and_checked_paths_raise_the_same_error(name):
    plain = _error(ERRORS[name])
    x = lm.tensor(1.0)
    with lm.GradientTape() as tape:   # a recording tape turns the fast paths off
        tape.watch(x)
        taped = _error(ERRORS[name])
    assert plain == taped
