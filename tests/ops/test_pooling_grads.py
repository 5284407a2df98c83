"""Gradients of the pooling gradients (lamina/ops/pooling.py), against finite differences."""
import numpy as np
import pytest

import lamina as lm


def _routed(pool, x, w):
    """d/dx sum(pool(x) * w): the pooled gradient routed back to x (linear in w)."""
    with lm.GradientTape() as tape:
        tape.watch(x)
        y = lm.sum(pool(x) * w)
    return tape.gradient(y, x)


@pytest.mark.parametrize("pool", [
    lambda x: lm.nn.max_pool2d(x, 2, 2, "VALID"),
    lambda x: lm.nn.max_pool2d(x, 3, 2, "SAME"),
    lambda x: lm.nn.avg_pool2d(x, 2, 2, "VALID"),
    lambda x: lm.nn.avg_pool2d(x, 3, 2, "SAME"),
])
def test_gradient_of_the_pooling_gradient(pool):
    rng = np.random.default_rng(0)
    x = lm.tensor(rng.standard_normal((2, 5, 5, 3)))
    w0 = rng.standard_normal(pool(x).shape)
    v = lm.tensor(rng.standard_normal(x.shape))
    w = lm.tensor(w0)
    with lm.GradientTape() as tape:
        tape.watch(w)
        target = lm.sum(_routed(pool, x, w) * v)
    got = tape.gradient(target, w).numpy()
    expected = np.zeros_like(w0)
    eps = 1e-6
    for k in np.ndindex(w0.shape):
        hi, lo = w0.copy(), w0.copy()
        hi[k] += eps
        lo[k] -= eps
        f = [float(lm.sum(_routed(pool, x, lm.tensor(a)) * v)) for a in (hi, lo)]
        expected[k] = (f[0] - f[1]) / (2 * eps)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)
