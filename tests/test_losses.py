"""Losses against a float64 NumPy re-implementation of Keras 3's formulas: per-sample values,
reductions, sample weights, label smoothing, extreme logits, shape handling, configs, names,
compiled use and errors."""
import numpy as np
import pytest

import lamina as lm

L = lm.losses
EPS = 1e-7
rng = np.random.default_rng(0)


# ---- the NumPy reference (Keras 3's formulas, float64) -----------------------------------------
def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _hinge_labels(t):
    return 2.0 * t - 1.0 if np.isin(t, (0.0, 1.0)).all() else t


def _bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def _normalize(x, axis=-1):
    return x / np.maximum(np.sqrt((x * x).sum(axis=axis, keepdims=True)), EPS)


def ref_bce(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:  # the exact form: softplus(x) - x t
        return (np.maximum(p, 0) - p * t + np.log1p(np.exp(-abs(p)))).mean(axis=axis)
    return _bce(t, p).mean(axis=axis)


def ref_cce(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[axis]
    if from_logits:
        z = p - p.max(axis=axis, keepdims=True)
        return -(t * (z - np.log(np.exp(z).sum(axis=axis, keepdims=True)))).sum(axis=axis)
    q = np.clip(p / p.sum(axis=axis, keepdims=True), EPS, 1 - EPS)
    return -(t * np.log(q)).sum(axis=axis)


def ref_scce(labels, p, from_logits=False):
    onehot = np.eye(p.shape[-1])[labels]
    return ref_cce(onehot, p, from_logits)


def ref_binary_focal(t, p, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                     from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    p = _sigmoid(p) if from_logits else p
    p_t = t * p + (1 - t) * (1 - p)
    out = (1 - p_t) ** gamma * _bce(t, p)
    if apply_class_balancing:
        out = (t * alpha + (1 - t) * (1 - alpha)) * out
    return out.mean(axis=-1)


def ref_categorical_focal(t, p, alpha=0.25, gamma=2.0, from_logits=False,
                          label_smoothing=0.0):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    p = _softmax(p) if from_logits else p
    q = np.clip(p / p.sum(axis=-1, keepdims=True), EPS, 1 - EPS)
    return (alpha * (1 - q) ** gamma * -t * np.log(q)).sum(axis=-1)


REF = {
    "mean_squared_error": lambda t, p: ((t - p) ** 2).mean(-1),
    "mean_absolute_error": lambda t, p: abs(t - p).mean(-1),
    "mean_absolute_percentage_error":
        lambda t, p: 100 * (abs(t - p) / np.maximum(abs(t), EPS)).mean(-1),
    "mean_squared_logarithmic_error": lambda t, p: (
        (np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2).mean(-1),
    "cosine_similarity": lambda t, p: -(_normalize(t) * _normalize(p)).sum(-1),
    "huber": lambda t, p, delta=1.0: np.where(
        abs(p - t) <= delta, 0.5 * (p - t) ** 2, delta * abs(p - t) - 0.5 * delta ** 2).mean(-1),
    "log_cosh": lambda t, p: np.log(np.cosh(p - t)).mean(-1),
    "kl_divergence": lambda t, p: (np.clip(t, EPS, 1) * np.log(
        np.clip(t, EPS, 1) / np.clip(p, EPS, 1))).sum(-1),
    "poisson": lambda t, p: (p - t * np.log(p + EPS)).mean(-1),
    "hinge": lambda t, p: np.maximum(1 - _hinge_labels(t) * p, 0).mean(-1),
    "squared_hinge": lambda t, p: (np.maximum(1 - _hinge_labels(t) * p, 0) ** 2).mean(-1),
    "categorical_hinge": lambda t, p: np.maximum(
        ((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0),
    "binary_crossentropy": ref_bce,
    "binary_focal_crossentropy": ref_binary_focal,
    "categorical_crossentropy": ref_cce,
    "categorical_focal_crossentropy": ref_categorical_focal,
}

# class, reference key, (y_true, y_pred) maker, kwargs
N, C = 6, 4


def _regression():
    return rng.normal(size=(N, C)), rng.normal(size=(N, C))


def _positive():
    return rng.uniform(0.1, 3, size=(N, C)), rng.uniform(0.1, 3, size=(N, C))


def _binary():
    return rng.integers(0, 2, size=(N, C)).astype(float), rng.uniform(0.01, 0.99, (N, C))


def _distribution():
    return _softmax(rng.normal(size=(N, C))), _softmax(rng.normal(size=(N, C)))


def _onehot():
    return np.eye(C)[rng.integers(0, C, N)], _softmax(rng.normal(size=(N, C)))


def _signs():
    return rng.choice([-1.0, 1.0], size=(N, C)), rng.normal(size=(N, C))


CASES = [
    (L.MeanSquaredError, "mean_squared_error", _regression, {}),
    (L.MeanAbsoluteError, "mean_absolute_error", _regression, {}),
    (L.MeanAbsolutePercentageError, "mean_absolute_percentage_error", _regression, {}),
    (L.MeanSquaredLogarithmicError, "mean_squared_logarithmic_error", _positive, {}),
    (L.CosineSimilarity, "cosine_similarity", _regression, {}),
    (L.Huber, "huber", _regression, {"delta": 0.7}),
    (L.LogCosh, "log_cosh", _regression, {}),
    (L.KLDivergence, "kl_divergence", _distribution, {}),
    (L.Poisson, "poisson", _positive, {}),
    (L.Hinge, "hinge", _signs, {}),
    (L.Hinge, "hinge", _binary, {}),
    (L.SquaredHinge, "squared_hinge", _signs, {}),
    (L.SquaredHinge, "squared_hinge", _binary, {}),
    (L.CategoricalHinge, "categorical_hinge", _onehot, {}),
    (L.BinaryCrossentropy, "binary_crossentropy", _binary, {}),
    (L.BinaryCrossentropy, "binary_crossentropy", _binary, {"label_smoothing": 0.2}),
    (L.BinaryFocalCrossentropy, "binary_focal_crossentropy", _binary, {}),
    (L.BinaryFocalCrossentropy, "binary_focal_crossentropy", _binary,
     {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5, "label_smoothing": 0.1}),
    (L.CategoricalCrossentropy, "categorical_crossentropy", _onehot, {}),
    (L.CategoricalCrossentropy, "categorical_crossentropy", _onehot, {"label_smoothing": 0.1}),
    (L.CategoricalFocalCrossentropy, "categorical_focal_crossentropy", _onehot,
     {"alpha": 0.5, "gamma": 1.0, "label_smoothing": 0.1}),
]
IDS = [f"{c.__name__}-{i}" for i, (c, *_rest) in enumerate(CASES)]


@pytest.mark.parametrize("cls, key, make, kwargs", CASES, ids=IDS)
def test_per_sample_values_match_reference(cls, key, make, kwargs):
    t, p = make()
    expected = REF[key](t, p, **kwargs)
    got = cls(reduction="none", **kwargs)(t, p)
    assert got.dtype == lm.float64 and got.shape == (N,)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10, atol=1e-12)
    fn = getattr(L, key)
    np.testing.assert_allclose(fn(t, p, **kwargs).numpy(), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls, key, make, kwargs", CASES, ids=IDS)
def test_reductions_and_sample_weight(cls, key, make, kwargs):
    t, p = make()
    values = REF[key](t, p, **kwargs)
    w = rng.uniform(0, 2, N)
    checks = {
        "sum_over_batch_size": ((values * w).sum() / N, values.mean()),
        "mean": ((values * w).sum() / N, values.mean()),
        "sum": ((values * w).sum(), values.sum()),
        "mean_with_sample_weight": ((values * w).sum() / w.sum(), values.mean()),
        "none": (values * w, values),
    }
    for reduction, (weighted, plain) in checks.items():
        loss = cls(reduction=reduction, **kwargs)
        np.testing.assert_allclose(loss(t, p, sample_weight=w).numpy(), weighted, rtol=1e-9)
        np.testing.assert_allclose(loss(t, p).numpy(), plain, rtol=1e-9)
    # weights of shape (N, 1) and a scalar weight broadcast the same way
    loss = cls(**kwargs)
    np.testing.assert_allclose(loss(t, p, sample_weight=w[:, None]).numpy(),
                               (values * w).sum() / N, rtol=1e-9)
    np.testing.assert_allclose(loss(t, p, sample_weight=2.0).numpy(), 2 * values.mean(),
                               rtol=1e-9)


@pytest.mark.parametrize("cls, key, make, kwargs", CASES, ids=IDS)
def test_float32_stays_float32(cls, key, make, kwargs):
    t, p = make()
    got = cls(**kwargs)(t.astype(np.float32), p.astype(np.float32))
    assert got.dtype == lm.float32
    np.testing.assert_allclose(float(got), REF[key](t, p, **kwargs).mean(), rtol=2e-4,
                               atol=1e-5)


def test_sparse_categorical_crossentropy_matches_reference():
    labels, p = rng.integers(0, C, N), _softmax(rng.normal(size=(N, C)))
    expected = ref_scce(labels, p)
    loss = L.SparseCategoricalCrossentropy(reduction="none")
    np.testing.assert_allclose(loss(labels, p).numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(loss(labels[:, None], p).numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(loss(labels.astype(float), p).numpy(), expected, rtol=1e-10)
    logits = rng.normal(size=(N, C))
    np.testing.assert_allclose(
        L.SparseCategoricalCrossentropy(from_logits=True, reduction="none")(labels, logits)
        .numpy(), ref_scce(labels, logits, from_logits=True), rtol=1e-10)


def test_sparse_categorical_crossentropy_ignore_class_averages_valid_entries():
    labels = np.array([0, 2, -1, 1, -1])
    p = _softmax(rng.normal(size=(5, 3)))
    valid = labels != -1
    per_sample = np.where(valid, ref_scce(np.where(valid, labels, 0), p), 0.0)
    loss = L.SparseCategoricalCrossentropy(ignore_class=-1)
    np.testing.assert_allclose(float(loss(labels, p)), per_sample.sum() / valid.sum(),
                               rtol=1e-10)
    w = rng.uniform(0, 2, 5)
    np.testing.assert_allclose(float(loss(labels, p, sample_weight=w)),
                               (per_sample * w).sum() / valid.sum(), rtol=1e-10)
    none = L.SparseCategoricalCrossentropy(ignore_class=-1, reduction="none")
    np.testing.assert_allclose(none(labels, p).numpy(), per_sample, rtol=1e-10)
    total = L.SparseCategoricalCrossentropy(ignore_class=-1, reduction="sum")
    np.testing.assert_allclose(float(total(labels, p)), per_sample.sum(), rtol=1e-10)


@pytest.mark.parametrize("make_loss, y_true", [
    (lambda: L.BinaryCrossentropy(from_logits=True), [[1.0, 0.0, 1.0, 0.0]]),
    (lambda: L.BinaryCrossentropy(from_logits=True, label_smoothing=0.1), [[1., 0., 1., 0.]]),
    (lambda: L.BinaryFocalCrossentropy(from_logits=True), [[1.0, 0.0, 1.0, 0.0]]),
    (lambda: L.CategoricalCrossentropy(from_logits=True), [[0.0, 1.0, 0.0, 0.0]]),
    (lambda: L.CategoricalFocalCrossentropy(from_logits=True), [[0.0, 1.0, 0.0, 0.0]]),
    (lambda: L.SparseCategoricalCrossentropy(from_logits=True), [1]),
])
def test_extreme_logits_give_finite_values_and_gradients(make_loss, y_true):
    logits = lm.Variable(np.array([[1e4, -1e4, -1e4, 1e4]], np.float32))
    with lm.GradientTape() as tape:
        value = make_loss()(y_true, logits)
    grad = tape.gradient(value, logits)
    assert np.isfinite(float(value)) and np.isfinite(grad.numpy()).all()


def test_binary_crossentropy_extreme_logits_values():
    got = L.BinaryCrossentropy(from_logits=True, reduction="none")(
        [[1.0], [0.0], [1.0]], [[-1e4], [1e4], [1e4]])
    np.testing.assert_allclose(got.numpy(), [1e4, 1e4, 0.0], rtol=1e-6)


def test_probability_clipping_uses_keras_epsilon():
    got = float(L.BinaryCrossentropy()([[1.0]], np.array([[0.0]])))
    np.testing.assert_allclose(got, -np.log(EPS), rtol=1e-9)
    got = float(L.CategoricalCrossentropy()([[1.0, 0.0]], np.array([[0.0, 1.0]])))
    np.testing.assert_allclose(got, -np.log(EPS), rtol=1e-9)


def test_categorical_crossentropy_axis():
    t, p = _onehot()
    got = L.CategoricalCrossentropy(axis=0, reduction="none")(t.T, p.T)
    np.testing.assert_allclose(got.numpy(), ref_cce(t.T, p.T, axis=0), rtol=1e-10)
    got = L.BinaryCrossentropy(axis=0, reduction="none")(*_binary())
    assert got.shape == (C,)


# ---- shapes -----------------------------------------------------------------------------------
def test_labels_with_or_without_trailing_one():
    t, p = rng.normal(size=N), rng.normal(size=(N, 1))
    expected = (t - p[:, 0]) ** 2
    for y_true, y_pred in [(t, p), (t[:, None], p[:, 0])]:
        got = L.MeanSquaredError(reduction="none")(y_true, y_pred)
        assert got.shape == (N,)
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(float(L.MeanSquaredError()(t, p[:, 0])), expected.mean())


@pytest.mark.parametrize("loss, y_true, y_pred", [
    (L.MeanSquaredError(), np.zeros((4, 3)), np.zeros((4, 2))),
    (L.BinaryCrossentropy(), np.zeros((4, 1)), np.zeros((4, 3))),
    (L.CategoricalCrossentropy(), np.zeros(4), np.zeros((4, 3))),
])
def test_mismatched_shapes_name_both_shapes(loss, y_true, y_pred):
    with pytest.raises(ValueError) as err:
        loss(y_true, y_pred)
    assert str(y_true.shape) in str(err.value) and str(y_pred.shape) in str(err.value)


def test_sparse_labels_of_wrong_shape_name_both_shapes():
    with pytest.raises(ValueError, match=r"\(4,\).*\(4, 3\).*\(4, 3\)"):
        L.SparseCategoricalCrossentropy()(np.eye(3)[[0, 1, 2, 0]], np.full((4, 3), 1 / 3))
    with pytest.raises(ValueError, match="axis=-1"):
        L.sparse_categorical_crossentropy([0], [[0.5, 0.5]], axis=0)


def test_sample_weight_of_wrong_shape_is_rejected():
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\).*\(4,\)"):
        L.MeanSquaredError()(np.zeros((4, 2)), np.ones((4, 2)), sample_weight=np.ones(3))


# ---- objects, configs and names ---------------------------------------------------------------
LOSS_CLASSES = [L.MeanSquaredError, L.MeanAbsoluteError, L.MeanAbsolutePercentageError,
                L.MeanSquaredLogarithmicError, L.CosineSimilarity, L.Huber, L.LogCosh,
                L.KLDivergence, L.Poisson, L.Hinge, L.SquaredHinge, L.CategoricalHinge,
                L.BinaryCrossentropy, L.BinaryFocalCrossentropy, L.CategoricalCrossentropy,
                L.CategoricalFocalCrossentropy, L.SparseCategoricalCrossentropy]
DEFAULT_NAMES = ["mean_squared_error", "mean_absolute_error",
                 "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
                 "cosine_similarity", "huber_loss", "log_cosh", "kl_divergence", "poisson",
                 "hinge", "squared_hinge", "categorical_hinge", "binary_crossentropy",
                 "binary_focal_crossentropy", "categorical_crossentropy",
                 "categorical_focal_crossentropy", "sparse_categorical_crossentropy"]


@pytest.mark.parametrize("cls, name", list(zip(LOSS_CLASSES, DEFAULT_NAMES)))
def test_default_names_and_config_round_trip(cls, name):
    loss = cls()
    assert loss.name == name and loss.reduction == "sum_over_batch_size"
    config = loss.get_config()
    again = cls.from_config(config)
    assert again.get_config() == config
    custom = cls(reduction="sum", name="custom")
    rebuilt = L.deserialize(L.serialize(custom))
    assert type(rebuilt) is cls and rebuilt.get_config() == custom.get_config()


def test_keras_arguments_and_defaults():
    bce = L.BinaryCrossentropy()
    assert bce.get_config() == {"name": "binary_crossentropy",
                                "reduction": "sum_over_batch_size", "dtype": None,
                                "from_logits": False, "label_smoothing": 0.0, "axis": -1}
    assert L.SparseCategoricalCrossentropy().get_config()["ignore_class"] is None
    focal = L.BinaryFocalCrossentropy().get_config()
    assert (focal["apply_class_balancing"], focal["alpha"], focal["gamma"]) == (False, 0.25, 2.0)
    assert L.Huber().get_config()["delta"] == 1.0
    assert L.MeanSquaredError("sum").reduction == "sum"  # positional, as in Keras
    assert L.BinaryCrossentropy(True).fn_kwargs["from_logits"] is True


def test_dtype_argument_computes_in_that_dtype():
    got = L.MeanSquaredError(dtype="float32")(np.zeros((2, 2)), np.ones((2, 2)))
    assert got.dtype == lm.float32
    labels = L.SparseCategoricalCrossentropy(dtype="float64")([1], [[0.5, 0.5]])
    assert labels.dtype == lm.float64


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="reduction must be one of"):
        L.MeanSquaredError(reduction="average")
    with pytest.raises(TypeError, match="unexpected keyword.*from_logit"):
        L.BinaryCrossentropy(from_logit=True)
    with pytest.raises(TypeError, match="at most"):
        L.MeanSquaredError("sum", "mse", None, 1)
    with pytest.raises(ValueError, match=r"label_smoothing.*\[0, 1\].*1.5"):
        L.BinaryCrossentropy(label_smoothing=1.5)
    with pytest.raises(ValueError, match="axis must be an integer"):
        L.CategoricalCrossentropy(axis=True)


@pytest.mark.parametrize("name, cls", [
    ("mse", L.MeanSquaredError), ("MSE", L.MeanSquaredError), ("mae", L.MeanAbsoluteError),
    ("mape", L.MeanAbsolutePercentageError), ("msle", L.MeanSquaredLogarithmicError),
    ("bce", L.BinaryCrossentropy), ("binary_crossentropy", L.BinaryCrossentropy),
    ("categorical_crossentropy", L.CategoricalCrossentropy),
    ("sparse_categorical_crossentropy", L.SparseCategoricalCrossentropy),
    ("binary_focal_crossentropy", L.BinaryFocalCrossentropy),
    ("categorical_focal_crossentropy", L.CategoricalFocalCrossentropy),
    ("kld", L.KLDivergence), ("kl_divergence", L.KLDivergence), ("huber", L.Huber),
    ("log_cosh", L.LogCosh), ("poisson", L.Poisson), ("hinge", L.Hinge),
    ("squared_hinge", L.SquaredHinge), ("categorical_hinge", L.CategoricalHinge),
    ("cosine_similarity", L.CosineSimilarity), ("CategoricalHinge", L.CategoricalHinge),
])
def test_get_by_name(name, cls):
    assert type(L.get(name)) is cls


def test_get_other_identifiers_and_unknown_names():
    loss = L.Huber(delta=2.0)
    assert L.get(loss) is loss and L.get(None) is None
    assert L.get(L.mean_squared_error) is L.mean_squared_error
    assert L.get(L.serialize(loss)).get_config() == loss.get_config()
    with pytest.raises(ValueError, match="Unknown loss 'msqe'.*mse.*sparse_categorical"):
        L.get("msqe")
    with pytest.raises(ValueError, match="Could not interpret loss"):
        L.get(3)


def test_function_serialization_round_trip():
    assert L.serialize(L.poisson) == "poisson"
    assert L.deserialize("poisson") is L.poisson


def test_custom_loss_subclass():
    class Cubed(L.Loss):
        def call(self, y_true, y_pred):
            return lm.mean(lm.abs(y_pred - y_true) ** 3, axis=-1)

    loss = Cubed()
    assert loss.name == "cubed"
    assert float(loss([[0.0, 0.0]], [[1.0, 2.0]], sample_weight=[2.0])) == 9.0


def test_loss_inside_compiled_function_matches_eager():
    t, p = _onehot()
    t32, p32 = t.astype(np.float32), p.astype(np.float32)
    w = rng.uniform(0, 1, N).astype(np.float32)
    for loss in (L.CategoricalCrossentropy(label_smoothing=0.1), L.Hinge(), L.CosineSimilarity(),
                 L.SparseCategoricalCrossentropy(ignore_class=0), L.Poisson(reduction="sum")):
        labels = t32.argmax(-1) if isinstance(loss, L.SparseCategoricalCrossentropy) else t32
        compiled = lm.function(lambda a, b, c, loss=loss: loss(a, b, sample_weight=c))
        np.testing.assert_allclose(compiled(labels, p32, w).numpy(),
                                   loss(labels, p32, sample_weight=w).numpy(), rtol=1e-6)


def test_hinge_keeps_non_binary_labels():
    t = np.array([[0.5, -2.0]])
    p = np.array([[1.0, 0.25]])
    np.testing.assert_allclose(L.hinge(t, p).numpy(), REF["hinge"](t, p))
