"""Metrics against a float64 NumPy re-implementation of Keras 3's formulas and against
scikit-learn: accumulation over batches, sample weights, shapes, reset, configs, names, use
inside lm.function, errors, and reporting through model.fit."""
import numpy as np
import pytest
from sklearn import metrics as skm

import lamina as lm

from .test_losses import REF, _softmax

M = lm.metrics
rng = np.random.default_rng(1)
N, C = 12, 4


def _weighted_mean(values, weights=None):
    values = np.asarray(values, float)
    weights = np.ones(len(values)) if weights is None else np.asarray(weights, float)
    return (values * weights).sum() / weights.sum()


# ---- means of a per-sample function ----------------------------------------------------------
def _in_top_k(labels, scores, k):
    target = scores[np.arange(len(labels)), labels]
    return ((scores > target[:, None]).sum(-1) < k).astype(float)


def _data(kind):
    if kind == "regression":
        return rng.normal(size=(N, C)), rng.normal(size=(N, C))
    if kind == "positive":
        return rng.uniform(0.1, 3, (N, C)), rng.uniform(0.1, 3, (N, C))
    if kind == "binary":
        return rng.integers(0, 2, (N, C)).astype(float), rng.uniform(0, 1, (N, C))
    if kind == "signs":
        return rng.choice([-1.0, 1.0], (N, C)), rng.normal(size=(N, C))
    if kind == "distribution":
        return _softmax(rng.normal(size=(N, C))), _softmax(rng.normal(size=(N, C)))
    if kind == "onehot":
        return np.eye(C)[rng.integers(0, C, N)], _softmax(rng.normal(size=(N, C)))
    if kind == "sparse":
        return rng.integers(0, C, N), _softmax(rng.normal(size=(N, C)))
    if kind == "ints":
        return rng.integers(0, 3, (N, 1)), rng.integers(0, 3, (N, 1))
    raise AssertionError(kind)


MEAN_CASES = [
    (M.Accuracy, {}, "ints", lambda t, p: (t == p).mean(-1)),
    (M.BinaryAccuracy, {}, "binary", lambda t, p: (t == (p > 0.5)).mean(-1)),
    (M.BinaryAccuracy, {"threshold": 0.3}, "binary", lambda t, p: (t == (p > 0.3)).mean(-1)),
    (M.CategoricalAccuracy, {}, "onehot", lambda t, p: t.argmax(-1) == p.argmax(-1)),
    (M.SparseCategoricalAccuracy, {}, "sparse", lambda t, p: t == p.argmax(-1)),
    (M.TopKCategoricalAccuracy, {"k": 2}, "onehot",
     lambda t, p: _in_top_k(t.argmax(-1), p, 2)),
    (M.SparseTopKCategoricalAccuracy, {"k": 2}, "sparse", lambda t, p: _in_top_k(t, p, 2)),
    (M.SparseTopKCategoricalAccuracy, {}, "sparse", lambda t, p: _in_top_k(t, p, 5)),
    (M.MeanSquaredError, {}, "regression", REF["mean_squared_error"]),
    (M.MeanAbsoluteError, {}, "regression", REF["mean_absolute_error"]),
    (M.MeanAbsolutePercentageError, {}, "regression", REF["mean_absolute_percentage_error"]),
    (M.MeanSquaredLogarithmicError, {}, "positive", REF["mean_squared_logarithmic_error"]),
    (M.CosineSimilarity, {}, "regression", lambda t, p: -REF["cosine_similarity"](t, p)),
    (M.LogCoshError, {}, "regression", REF["log_cosh"]),
    (M.BinaryCrossentropy, {}, "binary", REF["binary_crossentropy"]),
    (M.BinaryCrossentropy, {"from_logits": True, "label_smoothing": 0.1}, "binary",
     lambda t, p: REF["binary_crossentropy"](t, p, True, 0.1)),
    (M.CategoricalCrossentropy, {"label_smoothing": 0.2}, "onehot",
     lambda t, p: REF["categorical_crossentropy"](t, p, label_smoothing=0.2)),
    (M.SparseCategoricalCrossentropy, {}, "sparse",
     lambda t, p: REF["categorical_crossentropy"](np.eye(C)[t], p)),
    (M.SparseCategoricalCrossentropy, {"from_logits": True}, "sparse",
     lambda t, p: REF["categorical_crossentropy"](np.eye(C)[t], p, from_logits=True)),
    (M.Hinge, {}, "signs", REF["hinge"]),
    (M.SquaredHinge, {}, "binary", REF["squared_hinge"]),
    (M.CategoricalHinge, {}, "onehot", REF["categorical_hinge"]),
    (M.KLDivergence, {}, "distribution", REF["kl_divergence"]),
    (M.Poisson, {}, "positive", REF["poisson"]),
]
MEAN_IDS = [f"{c.__name__}-{i}" for i, (c, *_rest) in enumerate(MEAN_CASES)]


@pytest.mark.parametrize("cls, kwargs, kind, ref", MEAN_CASES, ids=MEAN_IDS)
def test_mean_metrics_match_reference_over_two_batches(cls, kwargs, kind, ref):
    (t1, p1), (t2, p2) = _data(kind), _data(kind)
    w1, w2 = rng.uniform(0, 2, N), rng.uniform(0, 2, N)
    metric = cls(**kwargs)
    metric.update_state(t1, p1)
    metric.update_state(t2, p2)
    expected = np.concatenate([ref(t1, p1), ref(t2, p2)]).mean()
    assert metric.result().dtype == lm.float32
    np.testing.assert_allclose(float(metric.result()), expected, rtol=1e-5, atol=1e-6)
    weighted = cls(**kwargs)
    weighted.update_state(t1, p1, sample_weight=w1)
    weighted.update_state(t2, p2, sample_weight=w2)
    expected = _weighted_mean(np.concatenate([ref(t1, p1), ref(t2, p2)]),
                              np.concatenate([w1, w2]))
    np.testing.assert_allclose(float(weighted.result()), expected, rtol=1e-5, atol=1e-6)
    weighted.reset_state()
    assert float(weighted.result()) == 0.0
    assert all(not v.numpy().any() for v in weighted.variables)


def test_labels_of_shape_n_and_n_1():
    labels, scores = _data("sparse")
    binary = rng.integers(0, 2, N)
    probs = rng.uniform(0, 1, (N, 1))
    for metric, a, b in [(M.SparseCategoricalAccuracy(), labels, labels[:, None]),
                         (M.SparseTopKCategoricalAccuracy(k=2), labels, labels[:, None]),
                         (M.SparseCategoricalCrossentropy(), labels, labels[:, None])]:
        assert float(metric(a, scores)) == pytest.approx(float(type(metric)(
            **{k: v for k, v in metric.get_config().items()})(b, scores)), rel=1e-6)
    expected = (binary == (probs[:, 0] > 0.5)).mean()
    assert float(M.BinaryAccuracy()(binary, probs)) == pytest.approx(expected)
    assert float(M.BinaryAccuracy()(binary[:, None], probs[:, 0])) == pytest.approx(expected)
    assert float(M.Accuracy()([1, 2, 3, 4], [[0], [2], [3], [4]])) == 0.75


def test_top_k_ties_count_in_and_sorted_ids():
    scores = np.array([[0.5, 0.5, 0.5, 0.1]])
    assert float(M.SparseTopKCategoricalAccuracy(k=1)([2], scores)) == 1.0
    assert float(M.SparseTopKCategoricalAccuracy(k=3)([3], scores)) == 0.0
    ids = np.array([[3, 1, 0, 2], [0, 1, 2, 3]])
    metric = M.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    assert float(metric([1, 3], ids)) == 0.5


def test_mean_and_sum_follow_keras_weighting():
    assert float(M.Mean()([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0])) == 2.0
    assert float(M.Sum()([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0])) == 4.0
    values = rng.normal(size=(5, 3))
    w = rng.uniform(0, 1, 5)
    np.testing.assert_allclose(float(M.Mean()(values, sample_weight=w)),
                               _weighted_mean(values.mean(1), w), rtol=1e-6)
    np.testing.assert_allclose(float(M.Sum()(values, sample_weight=w)),
                               (values.sum(1) * w).sum(), rtol=1e-6)
    # a scalar weight weighs the batch mean (Keras's reduce_to_samplewise_values)
    mean = M.Mean()
    mean.update_state([1.0, 2.0, 3.0], sample_weight=2.0)
    mean.update_state([5.0], sample_weight=2.0)
    assert float(mean.result()) == 3.5
    assert float(M.Mean().result()) == 0.0


def test_root_mean_squared_error():
    t, p = _data("regression")
    w = rng.uniform(0, 1, N)
    np.testing.assert_allclose(float(M.RootMeanSquaredError()(t, p, sample_weight=w)),
                               np.sqrt(_weighted_mean(((t - p) ** 2).mean(1), w)), rtol=1e-5)


# ---- confusion-matrix metrics ---------------------------------------------------------------
def _counts(t, p, threshold, w=None):
    w = np.ones_like(p) if w is None else np.broadcast_to(w, p.shape)
    pos, pred = t != 0, p > threshold
    return {"tp": (w * (pos & pred)).sum(), "fp": (w * (~pos & pred)).sum(),
            "tn": (w * (~pos & ~pred)).sum(), "fn": (w * (pos & ~pred)).sum()}


@pytest.mark.parametrize("cls, cell", [(M.TruePositives, "tp"), (M.FalsePositives, "fp"),
                                       (M.TrueNegatives, "tn"), (M.FalseNegatives, "fn")])
def test_confusion_counts(cls, cell):
    t, p = _data("binary")
    w = rng.uniform(0, 2, (N, 1))
    np.testing.assert_allclose(float(cls()(t, p)), _counts(t, p, 0.5)[cell], rtol=1e-6)
    np.testing.assert_allclose(float(cls()(t, p, sample_weight=w)),
                               _counts(t, p, 0.5, w)[cell], rtol=1e-6)
    thresholds = [0.2, 0.5, 0.7]
    got = cls(thresholds=thresholds)(t, p)
    assert got.shape == (3,)
    np.testing.assert_allclose(got.numpy(), [_counts(t, p, th)[cell] for th in thresholds])
    # evenly spaced thresholds count by Keras's buckets: the same numbers
    even = [0.0, 0.25, 0.5, 0.75, 1.0]
    np.testing.assert_allclose(cls(thresholds=even)(t, p).numpy(),
                               [_counts(t, p, th)[cell] for th in even])


def test_precision_and_recall_against_sklearn():
    t = rng.integers(0, 2, 200)
    p = rng.uniform(0, 1, 200)
    w = rng.uniform(0, 2, 200)
    for cls, score in [(M.Precision, skm.precision_score), (M.Recall, skm.recall_score)]:
        np.testing.assert_allclose(float(cls()(t, p)), score(t, p > 0.5), rtol=1e-6)
        np.testing.assert_allclose(float(cls()(t, p, sample_weight=w)),
                                   score(t, p > 0.5, sample_weight=w), rtol=1e-6)
        vector = cls(thresholds=[0.3, 0.6])(t[:, None], p[:, None])
        np.testing.assert_allclose(vector.numpy(), [score(t, p > 0.3), score(t, p > 0.6)],
                                   rtol=1e-6)


def test_precision_and_recall_keras_examples_top_k_and_class_id():
    assert float(M.Precision()([0, 1, 1, 1], [1, 0, 1, 1])) == pytest.approx(2 / 3)
    assert float(M.Precision()([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])) == 1.0
    assert float(M.Precision(top_k=2)([0, 0, 1, 1], [1, 1, 1, 1])) == 0.0  # ties: lower index
    assert float(M.Precision(top_k=4)([0, 0, 1, 1], [1, 1, 1, 1])) == 0.5
    assert float(M.Recall()([0, 1, 1, 1], [1, 0, 1, 1])) == pytest.approx(2 / 3)
    t, p = np.eye(C)[rng.integers(0, C, N)], _softmax(rng.normal(size=(N, C)))
    top = np.argsort(-p, axis=1, kind="stable")[:, :2]
    kept = np.zeros_like(p, bool)
    np.put_along_axis(kept, top, True, axis=1)
    expected = (t.astype(bool) & kept).sum() / kept.sum()
    np.testing.assert_allclose(float(M.Precision(top_k=2)(t, p)), expected, rtol=1e-6)
    expected = (t.astype(bool) & kept).sum() / t.sum()
    np.testing.assert_allclose(float(M.Recall(top_k=2)(t, p)), expected, rtol=1e-6)
    np.testing.assert_allclose(float(M.Precision(class_id=1)(t, p)),
                               skm.precision_score(t[:, 1], p[:, 1] > 0.5, zero_division=0))
    np.testing.assert_allclose(float(M.Recall(class_id=2, thresholds=0.2)(t, p)),
                               skm.recall_score(t[:, 2], p[:, 2] > 0.2, zero_division=0))


def ref_auc(t, p, num_thresholds=200, curve="ROC", summation="interpolation", w=None):
    """Keras's AUC: counts at thresholds {-eps, 1/(n-1), ..., 1+eps}, then Riemann sums."""
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    thresholds = [-1e-7] + inner + [1 + 1e-7]
    cells = [_counts(t, p, th, w) for th in thresholds]
    tp, fp, tn, fn = (np.array([c[k] for c in cells]) for k in ("tp", "fp", "tn", "fn"))
    div = lambda a, b: np.divide(a, b, out=np.zeros_like(a), where=b != 0)  # noqa: E731
    if curve == "PR" and summation == "interpolation":
        dtp, pp = tp[:-1] - tp[1:], tp + fp
        slope = div(dtp, np.maximum(pp[:-1] - pp[1:], 0))
        intercept = tp[1:] - slope * pp[1:]
        ratio = np.where((pp[:-1] > 0) & (pp[1:] > 0), div(pp[:-1], np.maximum(pp[1:], 0)), 1)
        return div(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0)).sum()
    x, y = (div(fp, fp + tn), div(tp, tp + fn)) if curve == "ROC" else \
        (div(tp, tp + fn), div(tp, tp + fp))
    heights = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
               "majoring": np.maximum(y[:-1], y[1:])}[summation]
    return ((x[:-1] - x[1:]) * heights).sum()


@pytest.mark.parametrize("curve, summation", [("ROC", "interpolation"), ("ROC", "minoring"),
                                              ("ROC", "majoring"), ("PR", "interpolation"),
                                              ("PR", "minoring"), ("PR", "majoring")])
def test_auc_matches_keras_formula(curve, summation):
    t = rng.integers(0, 2, 300)
    p = np.clip(0.35 * t + 0.65 * rng.uniform(0, 1, 300), 0, 1).astype(np.float32)
    w = rng.uniform(0, 2, 300)
    metric = M.AUC(num_thresholds=50, curve=curve, summation_method=summation)
    metric.update_state(t[:150], p[:150], sample_weight=w[:150])
    metric.update_state(t[150:], p[150:], sample_weight=w[150:])
    np.testing.assert_allclose(float(metric.result()),
                               ref_auc(t, p.astype(float), 50, curve, summation, w), rtol=1e-5)


def test_auc_against_sklearn():
    # Keras's AUC buckets predictions into num_thresholds - 1 intervals, so it only
    # approximates the exact areas: within 2e-3 for ROC and 5e-3 for PR with 200 thresholds.
    t = rng.integers(0, 2, 1000)
    p = np.clip(0.3 * t + 0.7 * rng.uniform(0, 1, 1000), 0, 1)
    w = rng.uniform(0, 2, 1000)
    assert abs(float(M.AUC()(t, p)) - skm.roc_auc_score(t, p)) < 2e-3
    assert abs(float(M.AUC()(t, p, sample_weight=w))
               - skm.roc_auc_score(t, p, sample_weight=w)) < 2e-3
    assert abs(float(M.AUC(curve="PR")(t, p)) - skm.average_precision_score(t, p)) < 5e-3
    logits = np.log(p + 1e-6) - np.log1p(-p + 1e-6)
    assert abs(float(M.AUC(from_logits=True)(t, logits)) - skm.roc_auc_score(t, p)) < 2e-3


def test_auc_keras_examples_thresholds_and_multi_label():
    auc = M.AUC(num_thresholds=3)
    assert float(auc([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])) == 0.75
    auc.reset_state()
    assert float(auc([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])) == 1.0
    explicit = M.AUC(thresholds=[0.5])  # the same thresholds given explicitly
    assert float(explicit([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])) == 0.75
    assert explicit.thresholds == [-1e-7, 0.5, 1 + 1e-7]
    t, p = rng.integers(0, 2, (200, 3)), rng.uniform(0, 1, (200, 3))
    per_label = [ref_auc(t[:, j], p[:, j]) for j in range(3)]
    np.testing.assert_allclose(float(M.AUC(multi_label=True)(t, p)), np.mean(per_label),
                               rtol=1e-5)
    weights = [1.0, 2.0, 0.5]
    np.testing.assert_allclose(
        float(M.AUC(multi_label=True, num_labels=3, label_weights=weights)(t, p)),
        np.dot(per_label, weights) / sum(weights), rtol=1e-5)
    pooled = ref_auc(t, p, w=np.broadcast_to(weights, (200, 3)))
    np.testing.assert_allclose(float(M.AUC(label_weights=weights)(t, p)), pooled, rtol=1e-5)


# ---- R2 and F-scores --------------------------------------------------------------------------
def test_r2_score_against_sklearn():
    t = rng.normal(size=(40, 3))
    p = t + 0.6 * rng.normal(size=(40, 3))
    w = rng.uniform(0, 2, 40)
    for aggregation, multioutput in [("uniform_average", "uniform_average"),
                                     ("variance_weighted_average", "variance_weighted"),
                                     (None, "raw_values")]:
        metric = M.R2Score(class_aggregation=aggregation)
        metric.update_state(t[:25], p[:25], sample_weight=w[:25])
        metric.update_state(t[25:], p[25:], sample_weight=w[25:])
        np.testing.assert_allclose(metric.result().numpy(), skm.r2_score(
            t, p, sample_weight=w, multioutput=multioutput), rtol=1e-4)
    assert float(M.R2Score()([[1.0], [4.0], [3.0]], [[2.0], [4.0], [4.0]])) == \
        pytest.approx(0.5714285, rel=1e-5)
    # adjusted R2, with n the number of values seen (Keras)
    r2 = skm.r2_score(t, p)
    n = t.size
    np.testing.assert_allclose(float(M.R2Score(num_regressors=2)(t, p)),
                               1 - (1 - r2) * (n - 1) / (n - 2 - 1), rtol=1e-4)
    small = M.R2Score(num_regressors=5)  # too many regressors: the plain score
    np.testing.assert_allclose(float(small(t[:2, :1], p[:2, :1])),
                               skm.r2_score(t[:2, :1], p[:2, :1]), rtol=1e-4)
    assert float(M.R2Score()(t[:, 0], p[:, :1])) == pytest.approx(skm.r2_score(t[:, 0], p[:, 0]),
                                                                rel=1e-4)


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("beta", [1.0, 0.5, 2.0])
def test_fbeta_score_against_sklearn(average, beta):
    t, p = rng.integers(0, 2, (60, 4)), rng.uniform(0, 1, (60, 4))
    w = rng.uniform(0, 2, 60)
    metric = M.FBetaScore(average=average, beta=beta, threshold=0.5)
    metric.update_state(t[:30], p[:30], sample_weight=w[:30])
    metric.update_state(t[30:], p[30:], sample_weight=w[30:])
    expected = skm.fbeta_score(t, p > 0.5, beta=beta, average=average, sample_weight=w)
    np.testing.assert_allclose(metric.result().numpy(), expected, rtol=1e-4)
    if beta == 1.0:
        f1 = M.F1Score(average=average, threshold=0.5)(t, p)
        np.testing.assert_allclose(f1.numpy(), skm.f1_score(t, p > 0.5, average=average),
                                   rtol=1e-4)


def test_f1_score_without_threshold_marks_each_row_maximum():
    t = np.eye(3)[rng.integers(0, 3, 30)]
    p = _softmax(rng.normal(size=(30, 3)))
    p[0] = 0.0  # an all-zero row predicts nothing
    predicted = (p == p.max(1, keepdims=True)) & (p > 1e-9)
    np.testing.assert_allclose(M.F1Score(average="macro")(t, p).numpy(),
                               skm.f1_score(t, predicted, average="macro"), rtol=1e-4)


# ---- every metric: compiled updates, configs, reset ----------------------------------------
def _all_metric_cases():
    binary = (rng.integers(0, 2, (N, 1)).astype(np.float32),
              rng.uniform(0, 1, (N, 1)).astype(np.float32))
    onehot = (np.eye(C, dtype=np.float32)[rng.integers(0, C, N)],
              _softmax(rng.normal(size=(N, C))).astype(np.float32))
    sparse = (rng.integers(0, C, N).astype(np.int32), onehot[1])
    regression = (rng.normal(size=(N, C)).astype(np.float32),
                  rng.normal(size=(N, C)).astype(np.float32))
    positive = tuple(abs(a) + 0.1 for a in regression)
    cases = [(lambda c=c, k=k: c(**k), {"binary": binary, "onehot": onehot, "sparse": sparse,
                                        "regression": regression, "positive": positive,
                                        "signs": regression, "distribution": onehot,
                                        "ints": binary}[kind])
             for c, k, kind, _ in MEAN_CASES]
    cases += [(c, binary) for c in (M.TruePositives, M.FalsePositives, M.TrueNegatives,
                                    M.FalseNegatives, M.Precision, M.Recall, M.AUC)]
    cases += [(lambda: M.Precision(thresholds=[0.2, 0.8]), binary),
              (lambda: M.Recall(top_k=2, class_id=1), onehot),
              (lambda: M.AUC(curve="PR"), binary),
              (lambda: M.AUC(multi_label=True), onehot),
              (M.RootMeanSquaredError, regression), (M.R2Score, regression),
              (lambda: M.F1Score(average="macro"), onehot),
              (lambda: M.FBetaScore(beta=2.0, threshold=0.3), onehot)]
    return cases


ALL_CASES = _all_metric_cases()


@pytest.mark.parametrize("make, data", ALL_CASES, ids=range(len(ALL_CASES)))
def test_update_inside_lm_function_matches_eager(make, data):
    y_true, y_pred = data
    w = rng.uniform(0, 2, len(y_pred)).astype(np.float32)
    eager, compiled = make(), make()
    eager.update_state(y_true, y_pred, sample_weight=w)
    eager.update_state(y_true[::-1], y_pred, sample_weight=w)
    step = lm.function(lambda a, b, c: compiled.update_state(a, b, sample_weight=c))
    step(y_true, y_pred, w)
    step(y_true[::-1].copy(), y_pred, w)
    np.testing.assert_allclose(compiled.result().numpy(), eager.result().numpy(), rtol=1e-5,
                               atol=1e-6)
    result_fn = lm.function(compiled.result)
    np.testing.assert_allclose(result_fn().numpy(), eager.result().numpy(), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("make, data", ALL_CASES, ids=range(len(ALL_CASES)))
def test_config_round_trip_and_reset(make, data):
    metric = make()
    config = metric.get_config()
    clone = type(metric).from_config(config)
    assert clone.get_config() == config
    rebuilt = M.deserialize(M.serialize(metric))
    assert type(rebuilt) is type(metric) and rebuilt.get_config() == config
    fresh = make()
    fresh.update_state(*data)
    before = fresh.result().numpy()
    metric.update_state(*data)
    metric.update_state(data[0], data[1][::-1])
    metric.reset_state()
    metric.update_state(*data)
    np.testing.assert_allclose(metric.result().numpy(), before, rtol=1e-6)


def test_keras_default_names_and_arguments():
    names = {M.TopKCategoricalAccuracy: "top_k_categorical_accuracy",
             M.SparseTopKCategoricalAccuracy: "sparse_top_k_categorical_accuracy",
             M.Precision: "precision", M.Recall: "recall", M.AUC: "auc",
             M.R2Score: "r2_score", M.LogCoshError: "logcosh", M.F1Score: "f1_score",
             M.FBetaScore: "fbeta_score", M.TruePositives: "true_positives",
             M.KLDivergence: "kl_divergence", M.CosineSimilarity: "cosine_similarity"}
    for cls, name in names.items():
        assert cls().name == name
    assert M.TopKCategoricalAccuracy().get_config()["k"] == 5
    assert M.TopKCategoricalAccuracy(3).get_config()["k"] == 3  # k first, as in Keras
    auc = M.AUC().get_config()
    assert (auc["num_thresholds"], auc["curve"], auc["summation_method"], auc["multi_label"],
            auc["from_logits"]) == (200, "ROC", "interpolation", False, False)
    assert M.Precision().get_config()["thresholds"] is None
    r2 = M.R2Score().get_config()
    assert (r2["class_aggregation"], r2["num_regressors"]) == ("uniform_average", 0)
    assert "beta" not in M.F1Score().get_config()


@pytest.mark.parametrize("name, cls", [
    ("auc", M.AUC), ("AUC", M.AUC), ("precision", M.Precision), ("recall", M.Recall),
    ("top_k_categorical_accuracy", M.TopKCategoricalAccuracy),
    ("sparse_top_k_categorical_accuracy", M.SparseTopKCategoricalAccuracy),
    ("r2_score", M.R2Score), ("f1_score", M.F1Score), ("fbeta_score", M.FBetaScore),
    ("true_positives", M.TruePositives), ("false_negatives", M.FalseNegatives),
    ("mse", M.MeanSquaredError), ("MAE", M.MeanAbsoluteError),
    ("mape", M.MeanAbsolutePercentageError), ("msle", M.MeanSquaredLogarithmicError),
    ("rmse", M.RootMeanSquaredError), ("bce", M.BinaryCrossentropy),
    ("binary_accuracy", M.BinaryAccuracy), ("accuracy", M.Accuracy),
    ("categorical_crossentropy", M.CategoricalCrossentropy), ("logcosh", M.LogCoshError),
    ("kl_divergence", M.KLDivergence), ("poisson", M.Poisson), ("hinge", M.Hinge),
    ("cosine_similarity", M.CosineSimilarity), ("CategoricalHinge", M.CategoricalHinge),
])
def test_get_by_name(name, cls):
    assert type(M.get(name)) is cls


def test_get_other_identifiers_and_unknown_names():
    auc = M.AUC(curve="PR")
    assert M.get(auc) is auc
    assert M.get(M.serialize(auc)).get_config() == auc.get_config()
    wrapped = M.get(lm.losses.mean_squared_error)
    assert isinstance(wrapped, M.MeanMetricWrapper) and wrapped.name == "mean_squared_error"
    with pytest.raises(ValueError, match="Unknown metric 'aucc'.*auc.*precision.*recall"):
        M.get("aucc")
    with pytest.raises(ValueError, match="Could not interpret metric"):
        M.get(3)


@pytest.mark.parametrize("y_true, y_pred, expected", [
    ((32,), (32, 1), M.BinaryAccuracy), ((32, 1), (32, 1), M.BinaryAccuracy),
    ((32,), (32, 10), M.SparseCategoricalAccuracy),
    ((32, 1), (32, 10), M.SparseCategoricalAccuracy),
    ((32, 10), (32, 10), M.CategoricalAccuracy),
    ((8, 5, 3), (8, 5, 3), M.CategoricalAccuracy),
])
def test_accuracy_resolution_follows_keras_shape_rules(y_true, y_pred, expected):
    metric = M.accuracy_for("acc", y_true, y_pred)
    assert type(metric) is expected and metric.name == "acc"


# ---- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("metric, y_true, y_pred", [
    (M.MeanSquaredError(), np.zeros((4, 3)), np.zeros((4, 2))),
    (M.BinaryAccuracy(), np.zeros((4, 3)), np.zeros((4, 2))),
    (M.CategoricalAccuracy(), np.zeros((4,)), np.zeros((4, 3))),
    (M.SparseCategoricalAccuracy(), np.zeros((4, 3)), np.zeros((4, 3))),
    (M.TopKCategoricalAccuracy(), np.zeros((4,)), np.zeros((4, 6))),
    (M.Precision(), np.zeros((4, 2)), np.zeros((4, 3))),
    (M.AUC(), np.zeros(5), np.zeros(4)),
    (M.R2Score(), np.zeros((4, 2)), np.zeros((4, 3))),
    (M.F1Score(), np.zeros(4), np.zeros(4)),
])
def test_mismatched_shapes_name_both_shapes(metric, y_true, y_pred):
    with pytest.raises(ValueError) as err:
        metric.update_state(y_true, y_pred)
    assert str(y_true.shape) in str(err.value) and str(y_pred.shape) in str(err.value)


def test_bad_sample_weight_shape_is_rejected():
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\).*\(4,\)"):
        M.MeanSquaredError()(np.zeros((4, 2)), np.ones((4, 2)), sample_weight=np.ones(3))
    with pytest.raises(ValueError, match=r"sample_weight.*\(3,\)"):
        M.Precision()(np.zeros(4), np.ones(4), sample_weight=np.ones(3))


@pytest.mark.parametrize("make, match", [
    (lambda: M.BinaryAccuracy(threshold=1.5), r"threshold.*\(0, 1\).*1.5"),
    (lambda: M.TopKCategoricalAccuracy(k=0), "k must be a positive integer"),
    (lambda: M.TopKCategoricalAccuracy(kk=2), "unexpected keyword"),
    (lambda: M.Precision(thresholds=[0.5, 1.2]), r"\[0, 1\]"),
    (lambda: M.Recall(top_k=0), "top_k must be a positive integer"),
    (lambda: M.Precision(class_id=-1), "class_id must be a non-negative integer"),
    (lambda: M.AUC(curve="ROCK"), r"curve must be one of \('ROC', 'PR'\)"),
    (lambda: M.AUC(summation_method="trapezoid"), "summation_method must be one of"),
    (lambda: M.AUC(num_thresholds=1), "num_thresholds must be an integer > 1"),
    (lambda: M.AUC(num_labels=3), "only when multi_label=True"),
    (lambda: M.R2Score(class_aggregation="mean"), "class_aggregation must be one of"),
    (lambda: M.R2Score(num_regressors=-1), "num_regressors"),
    (lambda: M.FBetaScore(beta=0.0), "beta must be a number > 0"),
    (lambda: M.F1Score(average="sum"), "average must be one of"),
    (lambda: M.F1Score(threshold=0.0), r"threshold must be a number in \(0, 1\]"),
])
def test_bad_arguments_are_rejected(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_class_id_out_of_range_names_the_shape():
    with pytest.raises(ValueError, match=r"class_id=5.*\(2, 3\)"):
        M.Precision(class_id=5)(np.zeros((2, 3)), np.zeros((2, 3)))


# ---- through model.fit ------------------------------------------------------------------------
def test_compile_and_fit_report_metrics_under_their_names():
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.float32)
    model = lm.Sequential([lm.Input((3,)), lm.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy", "auc", lm.metrics.Precision()])
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0, validation_split=0.25)
    for key in ("loss", "accuracy", "auc", "precision", "val_accuracy", "val_auc",
                "val_precision"):
        assert len(history.history[key]) == 2, key
    logs = model.evaluate(x, y, batch_size=64, return_dict=True)
    probs = model.predict(x)[:, 0]
    np.testing.assert_allclose(logs["accuracy"], ((probs > 0.5) == y).mean(), rtol=1e-6)
    np.testing.assert_allclose(logs["auc"], ref_auc(y, probs.astype(float)), atol=1e-5)
    np.testing.assert_allclose(logs["precision"],
                               skm.precision_score(y, probs > 0.5, zero_division=0), atol=1e-6)


def test_vector_valued_metrics_reach_the_history_as_arrays():
    x = rng.normal(size=(32, 3)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 32)]
    model = lm.Sequential([lm.Input((3,)), lm.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy",
                  metrics=[lm.metrics.F1Score(), lm.metrics.Recall(thresholds=[0.2, 0.5])])
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert history.history["f1_score"][0].shape == (3,)
    assert history.history["recall"][0].shape == (2,)
    probs = model.predict(x)
    logs = model.evaluate(x, y, return_dict=True)
    np.testing.assert_allclose(logs["recall"], [((probs > t) & (y > 0)).sum() / y.sum()
                                                for t in (0.2, 0.5)], rtol=1e-6)


def test_divide_no_nan_of_two_numpy_numbers_skips_the_ops_and_gives_their_value(monkeypatch):
    """divide_no_nan of two eager 0-d NumPy floats (Mean.result, every epoch of fit) divides
    directly, without its eager ops; same value, dtype and sign of zero as the ops path
    (taken under a tape): a zero count gives 0, a NaN total NaN."""
    from lamina import losses
    calls = []
    where = losses.m.where
    monkeypatch.setattr(losses.m, "where", lambda *a: calls.append(1) or where(*a))
    for dtype in ("float32", "float64"):
        for total, count in [(7.0, 3.0), (1.0, 0.0), (np.nan, 2.0), (-0.0, 5.0), (5.0, np.inf)]:
            mean = M.Mean(dtype=dtype)
            mean.total.assign(np.asarray(total, dtype))
            mean.count.assign(np.asarray(count, dtype))
            got = mean.result()
            assert calls == []                       # the direct division
            with lm.GradientTape():
                want = mean.result()
            assert calls                             # the ops path
            calls.clear()
            assert got.dtype == want.dtype and got.shape == ()
            np.testing.assert_array_equal(got.numpy(), want.numpy())
            assert np.signbit(got.numpy()) == np.signbit(want.numpy())
