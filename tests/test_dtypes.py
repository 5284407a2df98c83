"""dtypes and promotion: TensorFlow's defaults for Python data, weak Python scalars, floats
winning over integers without a float64 upcast, ``lm.as_dtype`` and ``DType`` comparisons,
and a sweep that float32 maths (forward and gradients) never produces float64.
"""
import copy
import pickle
import warnings

import numpy as np
import pytest

import lamina as lm
from lamina.ops import math as m
from lamina.ops.registry import _fast_unary, apply_binary, convert_inputs, run_eager

ALL = ["float16", "float32", "float64", "int8", "int32", "int64", "uint8", "bool"]


def _t(dtype, values=(1, 2, 3)):
    return lm.tensor(np.array(values).astype(dtype))


# ---- the exported dtypes ------------------------------------------------------------------
def test_public_dtypes():
    for name in ALL:
        d = getattr(lm, name)
        assert isinstance(d, lm.DType)
        assert d.name == name and str(d) == name
        assert d.as_numpy_dtype == np.dtype(name)
    assert lm.bool is lm.bool_
    assert repr(lm.float32) == "lm.float32"


def test_dtype_categories():
    assert lm.float16.is_floating and lm.float64.is_floating and not lm.int32.is_floating
    assert lm.int8.is_integer and lm.uint8.is_integer and not lm.bool.is_integer
    assert lm.bool.is_bool and not lm.float32.is_bool


def test_dtype_pickles_to_the_same_object():
    assert pickle.loads(pickle.dumps(lm.float32)) is lm.float32
    assert copy.deepcopy(lm.int64) is lm.int64


# ---- as_dtype -----------------------------------------------------------------------------
@pytest.mark.parametrize("value,expected", [
    ("float32", lm.float32), ("int8", lm.int8), ("bool", lm.bool), ("uint8", lm.uint8),
    ("float", lm.float32), ("double", lm.float64), ("half", lm.float16),
    (np.float64, lm.float64), (np.int32, lm.int32), (np.bool_, lm.bool),
    (np.dtype("float16"), lm.float16), (np.dtype("int64"), lm.int64),
    (float, lm.float32), (int, lm.int32), (bool, lm.bool), (lm.int64, lm.int64),
])
def test_as_dtype(value, expected):
    assert lm.as_dtype(value) is expected


def test_as_dtype_unknown_name_lists_the_choices():
    with pytest.raises(TypeError, match=r"Unknown dtype 'floot32'.*float32.*int64"):
        lm.as_dtype("floot32")


@pytest.mark.parametrize("value", [np.complex64, "complex128", np.dtype("uint16"), 3.5,
                                   object()])
def test_as_dtype_rejects_unsupported(value):
    with pytest.raises(TypeError, match="xpected"):
        lm.as_dtype(value)


# ---- DType equality -----------------------------------------------------------------------
def test_dtype_equality_with_strings_and_numpy():
    assert lm.float32 == "float32" and "float32" == lm.float32
    assert lm.float32 == np.float32 and lm.float32 == np.dtype("float32")
    assert np.dtype("float32") == lm.float32
    assert lm.int32 != "int64" and lm.int32 != np.int64
    assert lm.float32 != lm.float64
    assert not (lm.float32 == "not a dtype")      # no exception, just unequal
    assert lm.float32 != None  # noqa: E711
    assert lm.ones(2).dtype == "float32"


def test_dtype_hashing():
    table = {lm.float32: "f", lm.int32: "i"}
    assert table[lm.as_dtype("float32")] == "f"
    assert len({lm.float32, lm.as_dtype(np.float32), lm.as_dtype("float")}) == 1


# ---- defaults of Python data --------------------------------------------------------------
def test_python_data_defaults():
    assert lm.tensor(1).dtype == lm.int32
    assert lm.tensor(1.0).dtype == lm.float32
    assert lm.tensor(True).dtype == lm.bool
    assert lm.tensor([1, 2.0]).dtype == lm.float32
    assert lm.tensor([[True], [False]]).dtype == lm.bool


@pytest.mark.parametrize("value,dtype", [
    (2 ** 31 - 1, "int32"), (-2 ** 31, "int32"), (2 ** 31, "int64"), (-2 ** 31 - 1, "int64"),
    (2 ** 40, "int64"), ([1, 2 ** 33], "int64"), ([[1], [-2 ** 40]], "int64"),
])
def test_big_python_ints_become_int64(value, dtype):
    t = lm.tensor(value)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(value, dtype=np.int64))


def test_numpy_arrays_keep_their_dtype():
    for name in ALL:
        assert lm.tensor(np.zeros(2, dtype=name)).dtype == name
        assert lm.constant(np.zeros(2, dtype=name)).dtype == name


# ---- promotion ----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype,scalar,expected", [
    ("float32", 2, "float32"), ("float32", 2.5, "float32"), ("float32", True, "float32"),
    ("float16", 2.0, "float16"), ("float16", 3, "float16"), ("float64", 2, "float64"),
    ("float64", 0.5, "float64"), ("int32", 2, "int32"), ("int32", 2.5, "float32"),
    ("int8", 3, "int8"), ("uint8", 1, "uint8"), ("int64", 2, "int64"),
    ("int64", 2.5, "float32"), ("bool", 1, "int32"), ("bool", 1.5, "float32"),
    ("bool", True, "bool"),
])
def test_python_scalars_are_weak(dtype, scalar, expected):
    t = _t(dtype)
    for result in (t * scalar, scalar * t, t + scalar, lm.multiply(t, scalar)):
        assert result.dtype == expected, (dtype, scalar, result.dtype)


def test_numpy_scalars_are_weak_like_tensorflow():
    t = lm.tensor([1.0, 2.0])
    assert (t * np.float64(2.0)).dtype == lm.float32
    assert (np.float64(2.0) * t).dtype == lm.float32
    assert (lm.tensor([1, 2]) + np.int64(1)).dtype == lm.int32


@pytest.mark.parametrize("a,b,expected", [
    ("int32", "float32", "float32"), ("float32", "int32", "float32"),
    ("int64", "float32", "float32"), ("uint8", "float16", "float16"),
    ("int32", "float16", "float16"), ("bool", "float32", "float32"),
    ("float32", "float64", "float64"), ("float16", "float32", "float32"),
    ("float16", "float64", "float64"),
    ("int8", "uint8", "int16"), ("int32", "int64", "int64"), ("uint8", "int32", "int32"),
    ("int8", "int32", "int32"), ("bool", "int8", "int8"), ("bool", "uint8", "uint8"),
])
def test_tensor_tensor_promotion(a, b, expected):
    x, y = _t(a), _t(b)
    for result in (x + y, y + x, x * y, lm.maximum(x, y), lm.subtract(x, y)):
        assert result.dtype == expected, (a, b, result.dtype)


@pytest.mark.parametrize("a,b", [("int8", "uint8"), ("int32", "int64"), ("uint8", "int8"),
                                 ("bool", "int32"), ("int8", "int32")])
def test_integer_pairs_follow_numpy(a, b):
    assert (_t(a) + _t(b)).dtype == np.promote_types(a, b)


def test_numpy_arrays_are_strong():
    t32 = lm.tensor([1.0, 2.0])
    assert (t32 + np.array([1.0, 2.0])).dtype == lm.float64
    assert (np.array([1.0, 2.0]) + t32).dtype == lm.float64
    assert (t32 + np.array([1.0, 2.0], dtype=np.float32)).dtype == lm.float32
    assert (lm.tensor([1, 2]) + np.array([1.0, 2.0], dtype=np.float32)).dtype == lm.float32


def test_python_lists_adapt_like_scalars():
    assert (lm.tensor([1.0, 2.0]) + [1, 2]).dtype == lm.float32
    assert (lm.tensor([1.0], dtype="float16") + [1.5]).dtype == lm.float16
    assert (lm.tensor([1, 2]) + [1.5, 2.0]).dtype == lm.float32


def test_comparisons_promote_then_give_bool():
    assert (lm.tensor([1, 2]) < 1.5).dtype == lm.bool
    np.testing.assert_array_equal((lm.tensor([1, 2]) < 1.5).numpy(), [True, False])
    np.testing.assert_array_equal((lm.tensor([1, 2]) == lm.tensor([1.0, 2.5])).numpy(),
                                  [True, False])


# ---- integer arithmetic -------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8", "bool"])
def test_true_division_of_integers_gives_float32(dtype):
    x, y = _t(dtype, [4, 1, 2]), _t(dtype, [2, 1, 1])
    for result in (x / y, lm.divide(x, y), x / 2, 6 / y):
        assert result.dtype == lm.float32
    expected = x.numpy().astype(np.float64) / y.numpy().astype(np.float64)
    np.testing.assert_allclose((x / y).numpy(), expected)


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8"])
def test_integer_ops_keep_the_dtype(dtype):
    x = _t(dtype, [7, 8, 9])
    for result in (x + x, x * 2, x // 2, x % 4, x ** 2, lm.maximum(x, 8), -x if dtype != "uint8"
                   else x, lm.abs(x), lm.square(x), lm.sum(x), lm.prod(x), lm.max(x),
                   lm.sum(x, axis=0, keepdims=True)):
        assert result.dtype == dtype, result


def test_integer_reductions_keep_their_dtype():
    # NumPy widens sums of small integers to int64; TensorFlow keeps int32.
    assert lm.sum(lm.tensor([1, 2, 3])).dtype == lm.int32
    assert lm.prod(lm.tensor([[1, 2], [3, 4]]), axis=1).dtype == lm.int32
    assert lm.sum(lm.tensor(np.array([100, 100], dtype=np.uint8))).dtype == lm.uint8
    assert lm.tensor([1, 2]).sum().dtype == lm.int32
    assert lm.sum(lm.tensor([True, True, False])).dtype == lm.int32
    assert int(lm.sum(lm.tensor([True, True, False]))) == 2


def test_mean_of_integers_is_float32():
    out = lm.mean(lm.tensor([1, 2]))
    assert out.dtype == lm.float32 and float(out) == 1.5
    assert lm.mean(lm.tensor(np.array([1, 2], np.int64)), axis=0).dtype == lm.float32
    assert lm.tensor([[1, 2]]).mean(axis=1).dtype == lm.float32


def test_float_functions_of_integers_are_float32():
    x = lm.tensor([1, 4])
    for fn in (lm.sqrt, lm.exp, lm.log, lm.sin, lm.tanh, lm.sigmoid, lm.var, lm.std,
               lm.logsumexp, lm.softplus, lm.gelu, lm.silu, lm.softsign, lm.rsqrt):
        assert fn(x).dtype == lm.float32, fn.__name__
    assert (x ** 0.5).dtype == lm.float32


def test_cast():
    assert lm.cast([1.7, -1.7], "int32").numpy().tolist() == [1, -1]
    assert lm.cast([0, 2], lm.bool).numpy().tolist() == [False, True]
    t = lm.tensor([1.0])
    assert lm.cast(t, "float32") is t
    for name in ALL:
        assert lm.cast(t, name).dtype == name


# ---- float32 stays float32 ----------------------------------------------------------------
X32 = np.array([[0.5, 1.5, 2.0], [0.25, 1.0, 3.0]], dtype=np.float32)

FLOAT_FUNCTIONS = {
    "neg": lambda x: -x, "abs": lm.abs, "sign": lm.sign, "sqrt": lm.sqrt, "rsqrt": lm.rsqrt,
    "square": lm.square, "exp": lm.exp, "log": lm.log, "log1p": lm.log1p,
    "expm1": lm.expm1, "sin": lm.sin, "cos": lm.cos, "tanh": lm.tanh,
    "sigmoid": lm.sigmoid, "relu": lm.relu, "leaky_relu": lm.leaky_relu, "elu": lm.elu,
    "selu": lm.selu, "gelu": lm.gelu, "gelu_tanh": lambda x: lm.gelu(x, approximate=True),
    "softplus": lm.softplus, "softsign": lm.softsign, "silu": lm.silu, "erf": lm.erf,
    "add_int": lambda x: x + 1, "add_float": lambda x: x + 0.1, "rsub": lambda x: 1.0 - x,
    "mul": lambda x: x * 3, "div": lambda x: x / 3, "rdiv": lambda x: 2 / x,
    "floordiv": lambda x: x // 0.3, "mod": lambda x: x % 0.7, "pow_int": lambda x: x ** 2,
    "pow_float": lambda x: x ** 1.5, "rpow": lambda x: 2 ** x, "pow_t": lambda x: x ** x,
    "maximum": lambda x: lm.maximum(x, 1.0), "minimum": lambda x: lm.minimum(x, 1),
    "clip": lambda x: lm.clip(x, 0.6, 2), "where": lambda x: lm.where(x > 1, x, 0.0),
    "where_int": lambda x: lm.where(x > 1, x, 0), "sum": lm.sum,
    "sum_axis": lambda x: lm.sum(x, axis=1), "mean": lm.mean,
    "mean_keep": lambda x: lm.mean(x, axis=0, keepdims=True), "max": lm.max, "min": lm.min,
    "prod": lm.prod, "var": lm.var, "std": lambda x: lm.std(x, axis=1),
    "logsumexp": lm.logsumexp, "logsumexp_axis": lambda x: lm.logsumexp(x, axis=-1),
    "matmul": lambda x: x @ lm.transpose(x),
    "matmul_np": lambda x: x @ np.ones((3, 2), dtype=np.float32),
    "reshape": lambda x: lm.reshape(x, (3, 2)) * 2.0,
    "transpose": lambda x: lm.transpose(x) + 1,
    "squeeze": lambda x: lm.squeeze(lm.expand_dims(x, 0)),
    "floor": lm.floor, "ceil": lm.ceil, "round": lm.round,
    "mixed_int_tensor": lambda x: x * lm.tensor([1, 2, 3]),
    "mixed_uint8_array": lambda x: x + np.array([1, 2, 3], dtype=np.uint8),
    "mean_of_products": lambda x: lm.mean(x * x, axis=1) / lm.sum(x),
}


@pytest.mark.parametrize("name", sorted(FLOAT_FUNCTIONS))
def test_float32_maths_stays_float32(name):
    out = FLOAT_FUNCTIONS[name](lm.tensor(X32))
    assert out.dtype == lm.float32, f"{name} gave {out.dtype}"
    assert out.numpy().dtype == np.float32


SMOOTH = [n for n in FLOAT_FUNCTIONS
          if n not in ("sign", "floor", "ceil", "round", "floordiv", "squeeze")]


@pytest.mark.parametrize("name", sorted(SMOOTH))
def test_float32_gradients_stay_float32(name):
    x = lm.tensor(X32)
    with lm.GradientTape() as tape:
        tape.watch(x)
        y = FLOAT_FUNCTIONS[name](x)
    g = tape.gradient(y, x)
    assert g is not None and g.dtype == lm.float32, f"{name}: gradient {g}"
    assert g.numpy().dtype == np.float32


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "mul", "div", "mean", "var",
                                  "softplus", "gelu", "pow_float", "matmul"])
def test_float16_stays_float16(name):
    x = lm.tensor(X32.astype(np.float16))
    with lm.GradientTape() as tape:
        tape.watch(x)
        y = FLOAT_FUNCTIONS[name](x)
    assert y.dtype == lm.float16
    assert tape.gradient(y, x).dtype == lm.float16


def test_float64_stays_float64():
    x = lm.tensor(X32.astype(np.float64))
    assert (x * 2.5).dtype == lm.float64 and lm.mean(x).dtype == lm.float64
    assert lm.sigmoid(x).dtype == lm.float64 and lm.gelu(x).dtype == lm.float64


# ---- fast paths agree with the checked path -----------------------------------------------
BINARY = [m.ADD, m.SUB, m.MUL, m.DIV, m.FLOOR_DIV, m.MOD, m.POW, m.MAXIMUM, m.MINIMUM,
          m.EQUAL, m.NOT_EQUAL, m.LESS, m.GREATER_EQUAL, m.LOGICAL_AND, m.LOGICAL_OR,
          m.LOGICAL_XOR]


def _outcome(fn):
    """(dtype name, values) of a result, or (error type, message) of a failure."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = fn()
        except Exception as exc:  # noqa: BLE001 (the error itself is the outcome)
            return type(exc).__name__, str(exc)
    return out.dtype.name, out.numpy().tolist()


@pytest.mark.parametrize("prim", BINARY, ids=lambda p: p.name)
def test_binary_fast_path_matches_checked_path(prim):
    for a in ALL:
        x = _t(a, [3, 1, 2])
        for b in ALL + [2, 1.5, True]:
            y = _t(b, [2, 1, 2]) if isinstance(b, str) else b
            fast = _outcome(lambda: apply_binary(prim, x, y))
            checked = _outcome(lambda: run_eager(prim, convert_inputs(prim, (x, y)), {}))
            assert fast == checked, (prim.name, a, b)


UNARY = [(m.NEG, {}), (m.ABS, {}), (m.EXP, {}), (m.SQRT, {}), (m.TANH, {}), (m.SIGMOID, {}),
         (m.LOG, {}), (m.LOGICAL_NOT, {}), (m.SIGN, {}), (m.SQUARE, {}),
         (m.LEAKY_RELU, {"alpha": 0.2}), (m.SUM, {"axis": (0,), "keepdims": False}),
         (m.MEAN, {"axis": (0, 1), "keepdims": True}), (m.MAX, {"axis": (1,), "keepdims": False}),
         (m.PROD, {"axis": (0,), "keepdims": False}), (m.SUM, {"axis": (2,), "keepdims": False}),
         (m.CAST, {"dtype": lm.float16})]


@pytest.mark.parametrize("prim,attrs", UNARY, ids=lambda v: getattr(v, "name", ""))
def test_unary_fast_path_matches_checked_path(prim, attrs):
    for a in ALL:
        x = lm.tensor(np.array([[4, 1], [2, 9]]).astype(a))
        checked = _outcome(lambda: run_eager(prim, convert_inputs(prim, (x,)), attrs))
        fast_value = _fast_unary(prim, x, attrs)
        if fast_value is not None:
            assert _outcome(lambda: fast_value) == checked, (prim.name, a)
        public = _outcome(lambda: lm.ops.registry.bind(prim, x, **attrs))
        assert public == checked, (prim.name, a)


def test_operators_give_the_same_results_with_and_without_a_tape():
    x = lm.tensor([[1.0, -2.0], [3.0, 4.0]])
    y = lm.tensor([[0.5, 2.0], [-1.0, 3.0]])

    def compute():
        return [x + y, x - 2, 3 * y, x / y, x // y, x % y, abs(x) ** y, -x, lm.exp(x),
                lm.sum(x, axis=0), x @ y, x > y, lm.tanh(y), lm.mean(x * y)]

    plain = compute()
    with lm.GradientTape() as tape:
        tape.watch(x)
        taped = compute()
    for a, b in zip(plain, taped):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a.numpy(), b.numpy())
