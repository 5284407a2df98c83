"""Behaviour of eager tensors as a TensorFlow 2 user expects it: creation, properties, the
Python protocol (repr, len, iteration, conversions, formatting), operators with Python numbers
and NumPy arrays on either side, immutability and the method forms of common functions.
"""
import weakref

import numpy as np
import pytest

import lamina as lm


def _same(t, expected, dtype):
    """``t`` is a lamina tensor holding ``expected`` with dtype ``dtype``."""
    assert isinstance(t, lm.Tensor)
    assert t.dtype == dtype, f"dtype {t.dtype}, expected {dtype}"
    np.testing.assert_array_equal(t.numpy(), np.asarray(expected))


# ---- lm.tensor / lm.constant ------------------------------------------------------------
@pytest.mark.parametrize("data,dtype", [
    (1, "int32"), ([1, 2, 3], "int32"), (2.5, "float32"), ([[1.0, 2.0]], "float32"),
    ([1, 2.5], "float32"), (True, "bool"), ([True, False], "bool"), ([], "float32"),
])
def test_tensor_python_defaults(data, dtype):
    t = lm.tensor(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(data, dtype=dtype))


@pytest.mark.parametrize("npdtype", [np.float16, np.float32, np.float64, np.int8, np.int32,
                                     np.int64, np.uint8, np.bool_])
def test_tensor_keeps_numpy_dtype(npdtype):
    arr = np.arange(4).astype(npdtype)
    assert lm.tensor(arr).dtype == npdtype
    assert lm.tensor(npdtype(1)).dtype == npdtype


def test_tensor_dtype_argument_casts():
    _same(lm.tensor([1, 2], dtype="float32"), [1.0, 2.0], lm.float32)
    _same(lm.tensor(np.array([1.5, 2.5]), dtype=lm.float16), [1.5, 2.5], lm.float16)
    _same(lm.tensor([0, 1], dtype=bool), [False, True], lm.bool)


def test_tensor_of_tensor_keeps_or_casts_it():
    t = lm.tensor([1.0, 2.0])
    assert lm.tensor(t).dtype == lm.float32
    np.testing.assert_array_equal(lm.tensor(t).numpy(), [1.0, 2.0])
    _same(lm.tensor(t, dtype="int32"), [1, 2], lm.int32)


def test_tensor_copies_numpy_input():
    arr = np.array([1.0, 2.0], dtype=np.float32)
    t = lm.tensor(arr)
    arr[0] = 100.0
    assert t.numpy()[0] in (1.0, 100.0)  # sharing is allowed ...
    out = t.numpy()
    out[1] = -5.0                        # ... but what numpy() hands out is the user's
    assert t.numpy()[1] == 2.0


def test_constant_value_and_dtype():
    _same(lm.constant(3), 3, lm.int32)
    _same(lm.constant([1.0, 2.0]), [1.0, 2.0], lm.float32)
    _same(lm.constant([1, 2], dtype=lm.float64), [1.0, 2.0], lm.float64)
    _same(lm.constant(np.array([1, 2], dtype=np.int64)), [1, 2], lm.int64)


def test_constant_shape_broadcasts_a_scalar():
    _same(lm.constant(0.5, shape=(2, 3)), np.full((2, 3), 0.5), lm.float32)
    _same(lm.constant(7, shape=[2]), [7, 7], lm.int32)
    _same(lm.constant([4.0], shape=(3,)), [4.0, 4.0, 4.0], lm.float32)


def test_constant_shape_reshapes_a_matching_value():
    _same(lm.constant([1, 2, 3, 4, 5, 6], shape=(2, 3)), [[1, 2, 3], [4, 5, 6]], lm.int32)
    _same(lm.constant([[1.0, 2.0]], shape=(2,)), [1.0, 2.0], lm.float32)


def test_constant_shape_mismatch_names_both_sizes():
    with pytest.raises(ValueError, match=r"\(2, 2\).*4.*3"):
        lm.constant([1, 2, 3], shape=(2, 2))


# ---- creation functions -------------------------------------------------------------------
def test_zeros_ones_default_float32():
    _same(lm.zeros((2, 3)), np.zeros((2, 3)), lm.float32)
    _same(lm.ones(3), np.ones(3), lm.float32)
    _same(lm.zeros([2], dtype="int32"), [0, 0], lm.int32)
    _same(lm.ones((2,), dtype=lm.bool), [True, True], lm.bool)
    assert lm.zeros(()).shape == ()
    assert lm.ones((0, 3)).shape == (0, 3)


def test_full_infers_dtype_from_fill_value():
    _same(lm.full((2,), 7), [7, 7], lm.int32)
    _same(lm.full((2, 2), 1.5), np.full((2, 2), 1.5), lm.float32)
    _same(lm.full((1,), True), [True], lm.bool)
    _same(lm.full((2,), 3, dtype="float64"), [3.0, 3.0], lm.float64)


def test_like_functions_follow_the_input():
    x = lm.tensor([[1, 2, 3]])
    _same(lm.zeros_like(x), [[0, 0, 0]], lm.int32)
    _same(lm.ones_like(x), [[1, 1, 1]], lm.int32)
    _same(lm.ones_like(x, dtype="float32"), [[1.0, 1.0, 1.0]], lm.float32)
    _same(lm.zeros_like(lm.ones((2,), dtype="float16")), [0, 0], lm.float16)
    _same(lm.zeros_like([1.0, 2.0]), [0.0, 0.0], lm.float32)


def test_arange_dtypes():
    _same(lm.arange(4), [0, 1, 2, 3], lm.int32)
    _same(lm.arange(1, 7, 2), [1, 3, 5], lm.int32)
    _same(lm.arange(0.0, 1.0, 0.25), [0.0, 0.25, 0.5, 0.75], lm.float32)
    _same(lm.arange(3, dtype="float32"), [0.0, 1.0, 2.0], lm.float32)
    _same(lm.arange(5, 0, -2), [5, 3, 1], lm.int32)


def test_linspace_and_eye():
    _same(lm.linspace(0, 1, 5), [0.0, 0.25, 0.5, 0.75, 1.0], lm.float32)
    assert lm.linspace(0.0, 1.0, 0).shape == (0,)
    _same(lm.eye(3), np.eye(3), lm.float32)
    _same(lm.eye(2, 3), np.eye(2, 3), lm.float32)
    _same(lm.eye(2, dtype="int32"), [[1, 0], [0, 1]], lm.int32)


@pytest.mark.parametrize("call", [
    lambda: lm.zeros((2, -1)), lambda: lm.ones("ab"), lambda: lm.arange(0, 4, 0),
    lambda: lm.linspace(0, 1, -2), lambda: lm.full((2,), 1, dtype="nonsense"),
])
def test_creation_rejects_bad_arguments(call):
    with pytest.raises((TypeError, ValueError), match="xpected|must"):
        call()


# ---- properties ---------------------------------------------------------------------------
def test_properties():
    t = lm.ones((2, 3, 4))
    assert t.shape == (2, 3, 4) and isinstance(t.shape, tuple)
    assert t.ndim == 3
    assert t.size == 24 and isinstance(t.size, int)
    assert t.dtype == lm.float32 and t.dtype is lm.float32
    assert t.device == "cpu"
    assert lm.tensor(5).shape == () and lm.tensor(5).ndim == 0 and lm.tensor(5).size == 1


def test_numpy_returns_an_array_or_a_numpy_scalar():
    t = lm.tensor([[1.0, 2.0]])
    out = t.numpy()
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (1, 2)
    scalar = lm.tensor(2.5).numpy()
    assert isinstance(scalar, np.float32) and scalar == 2.5  # as tf.Tensor.numpy() does


def test_item():
    assert lm.tensor(3).item() == 3 and isinstance(lm.tensor(3).item(), int)
    assert lm.tensor([2.5]).item() == 2.5 and isinstance(lm.tensor(2.5).item(), float)
    assert lm.tensor(True).item() is True
    with pytest.raises(ValueError, match=r"one element.*\(3,\)"):
        lm.tensor([1, 2, 3]).item()


def test_transpose_property():
    t = lm.tensor([[1, 2, 3], [4, 5, 6]])
    _same(t.T, [[1, 4], [2, 5], [3, 6]], lm.int32)
    assert lm.ones((2, 3, 4)).T.shape == (4, 3, 2)
    _same(lm.tensor([1, 2]).T, [1, 2], lm.int32)


def test_array_protocol():
    t = lm.tensor([0.0, 1.0])
    arr = np.asarray(t)
    assert type(arr) is np.ndarray and arr.dtype == np.float32
    np.testing.assert_array_equal(arr, [0.0, 1.0])
    e = np.exp(t)
    assert type(e) is np.ndarray and e.dtype == np.float32
    np.testing.assert_allclose(e, [1.0, np.e], rtol=1e-6)
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    copy = np.array(t)
    copy[0] = 9.0
    assert t.numpy()[0] == 0.0
    assert np.sum(lm.tensor([1, 2, 3])) == 6


def test_numpy_functions_treat_tensors_as_arrays():
    # NumPy would otherwise call the Tensor methods (t.sum, t.argmax...) with its own keywords.
    t = lm.tensor([[1, 2], [3, 4]])
    assert np.sum(t) == 10 and np.mean(t) == 2.5 and np.max(t) == 4
    assert np.argmax(t) == 3                       # NumPy's flat index, not axis 0
    assert type(np.reshape(t, (4,))) is np.ndarray
    assert np.concatenate([t, t]).shape == (4, 2)
    np.testing.assert_array_equal(np.clip(t, 2, 3), [[2, 2], [3, 3]])
    np.testing.assert_array_equal(t, [[1, 2], [3, 4]])
    assert np.shape(t) == (2, 2) and np.ndim(t) == 2 and np.size(t) == 4
    assert np.allclose(t, [[1, 2], [3, 4]])


def test_tensors_support_weak_references():
    t = lm.tensor([1.0])
    ref = weakref.ref(t)
    assert ref() is t
    del t
    assert ref() is None


# ---- Python protocol ----------------------------------------------------------------------
def test_repr_scalar_matches_tensorflow():
    assert repr(lm.add(1, 1)) == "<lamina.Tensor: shape=(), dtype=int32, numpy=2>"
    assert repr(lm.tensor(2.5)) == "<lamina.Tensor: shape=(), dtype=float32, numpy=2.5>"
    assert repr(lm.tensor(True)) == "<lamina.Tensor: shape=(), dtype=bool, numpy=True>"


def test_repr_arrays_matches_tensorflow():
    assert repr(lm.tensor([1, 2, 3])) == (
        "<lamina.Tensor: shape=(3,), dtype=int32, numpy=array([1, 2, 3], dtype=int32)>")
    assert repr(lm.tensor([1.0, 2.0])) == (
        "<lamina.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)>")
    # A value that spans lines starts on a new line, as TensorFlow prints it.
    assert repr(lm.ones((2, 2))) == (
        "<lamina.Tensor: shape=(2, 2), dtype=float32, numpy=\narray([[1., 1.],\n"
        "       [1., 1.]], dtype=float32)>")


def test_repr_variable():
    v = lm.Variable([1.0, 2.0], name="w")
    assert repr(v) == ("<lamina.Variable 'w:0' shape=(2,) dtype=float32, "
                       "numpy=array([1., 2.], dtype=float32)>")


def test_str_shows_values():
    assert str(lm.tensor([1, 2])) == "[1 2]"
    assert str(lm.tensor(3)) == "3"


def test_format_specs():
    assert f"{lm.tensor(3.14159):.2f}" == "3.14"
    assert f"{lm.tensor(42):5d}" == "   42"
    assert f"{lm.tensor(0.5)}" == "0.5"
    assert "{:>6}".format(lm.tensor(7)) == "     7"


def test_len():
    assert len(lm.ones((4, 2))) == 4
    with pytest.raises(TypeError, match="0-d|scalar|shape \\(\\)"):
        len(lm.tensor(1.0))


def test_iteration_yields_rows():  # waits on lm.ops.shape.getitem
    rows = list(lm.tensor([[1, 2], [3, 4], [5, 6]]))
    assert len(rows) == 3
    for row, expected in zip(rows, [[1, 2], [3, 4], [5, 6]]):
        _same(row, expected, lm.int32)
    values = [int(x) for x in lm.tensor([7, 8, 9])]
    assert values == [7, 8, 9]


def test_iterating_a_scalar_raises():
    with pytest.raises(TypeError):
        list(lm.tensor(1.0))


def test_bool():
    assert bool(lm.tensor(1)) is True
    assert bool(lm.tensor(0.0)) is False
    assert bool(lm.tensor([True]))
    if lm.tensor(2) > 1:
        pass
    else:
        pytest.fail("a true comparison tensor should be truthy")
    with pytest.raises(ValueError):
        bool(lm.tensor([1, 2]))


def test_number_conversions():
    assert float(lm.tensor(2.5)) == 2.5
    assert int(lm.tensor(3)) == 3
    assert int(lm.tensor(3.9)) == 3
    assert [10, 20, 30][lm.tensor(2)] == 30          # __index__
    assert list(range(lm.tensor(3))) == [0, 1, 2]
    with pytest.raises(TypeError, match="integer.*float32"):
        [1, 2][lm.tensor(1.0)]


def test_hash_by_identity_and_usable_in_sets():
    a, b = lm.tensor(1.0), lm.tensor(1.0)
    assert len({a, b}) == 2
    assert {a: 1}[a] == 1


# ---- operators ----------------------------------------------------------------------------
X = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], dtype=np.float32)
Y = np.array([[2.0, 3.0, -1.0], [0.5, 2.0, 4.0]], dtype=np.float32)


@pytest.mark.parametrize("op", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
    lambda a, b: a // b, lambda a, b: a % b, lambda a, b: abs(a) ** b,
    lambda a, b: a < b, lambda a, b: a <= b, lambda a, b: a > b, lambda a, b: a >= b,
    lambda a, b: a == b, lambda a, b: a != b,
])
def test_binary_operators_match_numpy(op):
    got = op(lm.tensor(X), lm.tensor(Y))
    want = op(X, Y)
    assert isinstance(got, lm.Tensor)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)


def test_comparisons_return_bool_tensors():
    t = lm.tensor([1.0, 2.0, 3.0])
    for result in (t > 2, t < 2, t >= 2, t <= 2, t == 2, t != 2, 2 < t):
        assert isinstance(result, lm.Tensor) and result.dtype == lm.bool
    _same(t == 2.0, [False, True, False], lm.bool)
    _same(2 < t, [False, False, True], lm.bool)


def test_matmul_operator():
    a = lm.ones((2, 3))
    b = lm.ones((3, 4))
    _same(a @ b, np.full((2, 4), 3.0), lm.float32)
    _same(a @ lm.ones(3), [3.0, 3.0], lm.float32)
    _same(np.ones((4, 2), dtype=np.float32) @ a, np.full((4, 3), 2.0), lm.float32)
    _same([[1.0, 0.0], [0.0, 1.0]] @ lm.ones((2, 2)), np.ones((2, 2)), lm.float32)


def test_unary_operators():
    t = lm.tensor([-1.5, 0.0, 2.0])
    _same(-t, [1.5, 0.0, -2.0], lm.float32)
    _same(abs(t), [1.5, 0.0, 2.0], lm.float32)
    _same(+t, [-1.5, 0.0, 2.0], lm.float32)
    _same(-lm.tensor([1, -2]), [-1, 2], lm.int32)
    _same(abs(lm.tensor([1, -2])), [1, 2], lm.int32)


def test_logical_operators_on_bools():
    a = lm.tensor([True, True, False, False])
    b = lm.tensor([True, False, True, False])
    _same(a & b, [True, False, False, False], lm.bool)
    _same(a | b, [True, True, True, False], lm.bool)
    _same(a ^ b, [False, True, True, False], lm.bool)
    _same(~a, [False, False, True, True], lm.bool)
    _same(True & b, [True, False, True, False], lm.bool)
    _same(False | b, [True, False, True, False], lm.bool)
    t = lm.tensor([1.0, 2.0, 3.0])
    _same((t > 1) & (t < 3), [False, True, False], lm.bool)


def test_reflected_operators_with_python_numbers():
    t = lm.tensor([1.0, 2.0, 4.0])
    _same(1 + t, [2.0, 3.0, 5.0], lm.float32)
    _same(1 - t, [0.0, -1.0, -3.0], lm.float32)
    _same(2 * t, [2.0, 4.0, 8.0], lm.float32)
    _same(4 / t, [4.0, 2.0, 1.0], lm.float32)
    _same(2 ** t, [2.0, 4.0, 16.0], lm.float32)
    i = lm.tensor([2, 3])
    _same(7 // i, [3, 2], lm.int32)
    _same(7 % i, [1, 1], lm.int32)
    _same(-7 % i, [1, 2], lm.int32)   # Python's sign convention, as tf.math.floormod


@pytest.mark.parametrize("op", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
    lambda a, b: a ** b, lambda a, b: a // b, lambda a, b: a % b,
    lambda a, b: a > b, lambda a, b: a == b,
])
def test_numpy_array_on_the_left_gives_a_tensor(op):
    arr = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    t = lm.tensor([2.0, 2.0, 2.0])
    got = op(arr, t)
    assert isinstance(got, lm.Tensor), type(got)
    np.testing.assert_allclose(got.numpy(), op(arr, np.full(3, 2.0, np.float32)))


def test_numpy_array_on_the_left_keeps_its_dtype():
    got = np.ones(3) + lm.tensor([1.0, 2.0, 3.0])   # float64 array + float32 tensor
    assert isinstance(got, lm.Tensor) and got.dtype == lm.float64


def test_numpy_scalars_on_the_left():
    t = lm.tensor([1.0, 2.0])
    for left in (np.float32(2), np.float64(2), np.int64(2)):
        got = left * t
        assert isinstance(got, lm.Tensor) and got.dtype == lm.float32
        np.testing.assert_array_equal(got.numpy(), [2.0, 4.0])


def test_operators_with_nested_lists():
    t = lm.tensor([1.0, 2.0])
    _same(t + [10, 20], [11.0, 22.0], lm.float32)
    _same([10, 20] - t, [9.0, 18.0], lm.float32)


def test_in_place_operators_rebind_without_mutating():
    t = lm.tensor([1.0, 2.0])
    alias = t
    t += 1
    _same(t, [2.0, 3.0], lm.float32)
    _same(alias, [1.0, 2.0], lm.float32)


# ---- immutability -------------------------------------------------------------------------
def test_item_assignment_raises_a_helpful_type_error():
    t = lm.tensor([1, 2, 3])
    with pytest.raises(TypeError, match="immutable"):
        t[0] = 5
    with pytest.raises(TypeError, match="assign"):
        t[1:] = 0
    _same(t, [1, 2, 3], lm.int32)


def test_variable_item_assignment_raises():
    v = lm.Variable([1.0, 2.0])
    with pytest.raises(TypeError, match="item assignment"):
        v[0] = 3.0


def test_properties_cannot_be_set():
    t = lm.ones((2,))
    with pytest.raises(AttributeError):
        t.shape = (1, 2)
    with pytest.raises(AttributeError):
        t.dtype = lm.int32


def test_writing_to_numpy_views_cannot_change_a_tensor():
    t = lm.tensor([1.0, 2.0])
    out = t.numpy()
    out[0] = 50.0
    view = np.asarray(t)
    with pytest.raises(ValueError):
        view[0] = 60.0
    _same(t, [1.0, 2.0], lm.float32)


def test_variable_numpy_is_a_snapshot():
    v = lm.Variable([1.0, 2.0])
    before = v.numpy()
    v.assign_add([1.0, 1.0])
    np.testing.assert_array_equal(before, [1.0, 2.0])
    np.testing.assert_array_equal(v.numpy(), [2.0, 3.0])
    assert isinstance(lm.Variable(1.5).numpy(), np.float32)


# ---- method forms -------------------------------------------------------------------------
def test_reduction_methods():
    t = lm.tensor([[1.0, 2.0], [3.0, 4.0]])
    _same(t.sum(), 10.0, lm.float32)
    _same(t.sum(axis=0), [4.0, 6.0], lm.float32)
    _same(t.mean(1), [1.5, 3.5], lm.float32)
    _same(t.max(), 4.0, lm.float32)
    _same(t.min(axis=1, keepdims=True), [[1.0], [3.0]], lm.float32)
    _same(t.prod(), 24.0, lm.float32)
    _same(t.argmax(axis=1), [1, 1], lm.int64)
    _same((t > 2).any(), True, lm.bool)
    _same((t > 0).all(), True, lm.bool)


def test_reshape_method_forms():
    t = lm.arange(6)
    assert t.reshape(2, 3).shape == (2, 3)
    assert t.reshape((3, 2)).shape == (3, 2)
    assert t.reshape([-1, 1]).shape == (6, 1)
    assert t.reshape(-1).shape == (6,)
    _same(t.reshape(2, 3), [[0, 1, 2], [3, 4, 5]], lm.int32)


def test_astype_and_other_methods():
    t = lm.tensor([1.7, -1.2])
    _same(t.astype("int32"), [1, -1], lm.int32)
    _same(t.astype(lm.float64), np.array([1.7, -1.2], np.float32).astype(np.float64),
          lm.float64)
    _same(t.cast(lm.bool), [True, True], lm.bool)
    _same(lm.tensor([[1, 2]]).transpose(), [[1], [2]], lm.int32)
    assert lm.ones((1, 3, 1)).squeeze().shape == (3,)
    assert lm.ones((3,)).expand_dims(0).shape == (1, 3)
    assert lm.ones((2, 3)).flatten().shape == (6,)
    _same(lm.tensor([-1.0, 4.0]).abs().sqrt(), [1.0, 2.0], lm.float32)
    _same(lm.tensor([-1.0, 2.0]).clip(0.0, 1.0), [0.0, 1.0], lm.float32)
    _same(lm.ones((2, 3)).matmul(lm.ones((3, 1))), [[3.0], [3.0]], lm.float32)


# ---- devices on tensors -------------------------------------------------------------------
def test_to_and_cpu():
    t = lm.tensor([1.0, 2.0])
    assert t.to("cpu") is t
    assert t.cpu() is t
    assert t.to(lm.list_devices()[0]).device == "cpu:0"
