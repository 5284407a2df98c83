"""Optional numba kernels for the CPU backend (the ``fast`` extra: pip install
'lamina[fast]'): fused optimizer steps, sparse softmax cross-entropy, the LSTM gates, the
scatter-adds of convolution, max pooling and embedding gradients (col2im, routing to the
maxima, rows), the ReLU gradient, bias + ReLU, and bias + ReLU + max pooling with its gradient.

Where a step takes a dozen NumPy calls (an optimizer's update makes a dozen passes over all
parameters; cross-entropy a dozen small calls per batch), a kernel makes one, 4-7x faster.
They apply the same float operations in the same order, without fast-math, so most give the
same numbers as the NumPy code they replace, bit for bit (tests check it). The exceptions sum
in another order, within float rounding: ``add_rows`` (an embedding's gradient: each row's
terms in index order, where NumPy's sort + reduceat groups them its own way), cross-entropy
(each row's sum in order), and the per-channel sums ``pool_mask_grad`` adds on the way (in
float64). Transcendental functions stay with NumPy, whose SIMD tanh and exp are ~30x faster
than numba's scalar calls (larger cross-entropy batches run as two kernel passes around
``np.exp``), except in the small cross-entropy kernel, where a call costs more than the exp.
Where an output overwrites an input, the plan calls the in-place form of a kernel, which takes
that array once: two arguments naming one array fail LLVM's run-time overlap check, and the
loop runs unvectorized.
The kernels run on one thread: numba's worker threads and the BLAS threads that just ran the
step's matrix products would fight over the cores (measured: 100x slower), and NumPy's IEEE
error model (no Python division-by-zero check) lets LLVM vectorize the loops. This module is
imported only when a kernel is first wanted, and only if numba is installed; set
``LAMINA_NUMBA=0`` to keep to NumPy.
"""
from __future__ import annotations

import importlib.util
import os
from typing import Any, Callable

import numpy as np

_KERNELS: dict[str, Callable] | None = None
# The elementwise kernels (bias + ReLU and its pooling, ReLU's gradient) replace two or three
# NumPy calls: below this many elements that saves about nothing, and a plan without numba
# kernels (inference on single rows) need not load numba at all (~0.3 s, ~100 MB).
SMALL_KERNEL_MIN = 4096

_AVAILABLE: dict[str, bool] = {}


def available() -> bool:
    """Whether numba is installed and not switched off (checked once per setting)."""
    setting = os.environ.get("LAMINA_NUMBA", "1")
    found = _AVAILABLE.get(setting)
    if found is None:
        found = setting != "0" and importlib.util.find_spec("numba") is not None
        _AVAILABLE[setting] = found
    return found


def kernels() -> dict[str, Callable]:
    """The compiled kernels by name (compiled on first use; numba caches them on disk)."""
    global _KERNELS
    if _KERNELS is None:
        _KERNELS = _compile()
    return _KERNELS


def _compile() -> dict[str, Callable]:
    import numba

    jit = numba.njit(cache=True, nogil=True, error_model="numpy")

    @jit
    def adam(w, g, m, v, vhat, alpha, c1, c2, eps, amsgrad):
        for i in range(w.size):
            t = (g[i] - m[i]) * c1
            mi = m[i] + t
            m[i] = mi
            t = (g[i] * g[i] - v[i]) * c2
            vi = v[i] + t
            v[i] = vi
            if amsgrad:
                if vhat[i] > vi or vhat[i] != vhat[i]:
                    vi = vhat[i]
                vhat[i] = vi
            w[i] = w[i] - (mi * alpha) / (np.sqrt(vi) + eps)

    @jit
    def add_scaled(g, w, bounds, coefs):
        # g[lo:hi] += coefs[s] * w[lo:hi] for each range s, (lo, hi) = bounds[2s], bounds[2s+1]
        for s in range(coefs.size):
            k = coefs[s]
            # Slices, indexed from 0: a loop from bounds[2s] could see negative indices
            # (wrapped around per element), which keeps LLVM from vectorizing it.
            gs, ws = g[bounds[2 * s]:bounds[2 * s + 1]], w[bounds[2 * s]:bounds[2 * s + 1]]
            for i in range(gs.size):
                gs[i] = gs[i] + k * ws[i]

    @jit
    def sgd(w, g, velocity, lr, momentum, nesterov, use_momentum):
        for i in range(w.size):
            step = g[i] * lr
            if not use_momentum:
                w[i] = w[i] - step
                continue
            vel = velocity[i] * momentum - step
            velocity[i] = vel
            if nesterov:
                w[i] = w[i] + (vel * momentum - step)
            else:
                w[i] = w[i] + vel

    @jit
    def xent_forward(logits, labels, loss, probs):
        # Per row: loss = log(sum(exp(z))) - z[label], z = logits - max; probs = softmax.
        for i in range(logits.shape[0]):
            top = logits[i, 0]
            for j in range(1, logits.shape[1]):
                if logits[i, j] > top:
                    top = logits[i, j]
            total = logits.dtype.type(0.0)
            for j in range(logits.shape[1]):
                e = np.exp(logits[i, j] - top)
                probs[i, j] = e
                total += e
            for j in range(logits.shape[1]):
                probs[i, j] /= total
            loss[i] = np.log(total) - (logits[i, labels[i]] - top)

    # xent_forward in two passes around NumPy's SIMD exp, for batches where the scalar exp
    # above dominates: shift (z = logits - max into probs, z[label] into loss), then
    # np.exp(probs, out=probs), then normalize (probs /= sum, loss = log(sum) - z[label]).
    @jit
    def xent_shift(logits, labels, loss, probs):
        for i in range(logits.shape[0]):
            row, z = logits[i], probs[i]
            top = row[0]
            for j in range(1, row.size):
                if row[j] > top:
                    top = row[j]
            for j in range(row.size):
                z[j] = row[j] - top
            loss[i] = z[labels[i]]

    @jit
    def xent_normalize(loss, probs):
        for i in range(probs.shape[0]):
            e = probs[i]
            total = e.dtype.type(0.0)
            for j in range(e.size):
                total += e[j]
            for j in range(e.size):
                e[j] /= total
            loss[i] = np.log(total) - loss[i]

    @jit
    def xent_grad(probs, labels, g, out):
        # g * (softmax - onehot(label)), row by row.
        for i in range(probs.shape[0]):
            for j in range(probs.shape[1]):
                hit = probs.dtype.type(1.0) if j == labels[i] else probs.dtype.type(0.0)
                out[i, j] = (probs[i, j] - hit) * g[i]

    @jit
    def lstm_forward(s, scale, shift, c, new_c):
        # s = tanh(z * scale) on entry; the activated gates [i, f, g, o] on exit.
        # new_c = f * c + i * g. Rows and gate blocks are taken as 1-D views first: indexing
        # the 2-D arrays at column offsets inside the loop kept LLVM from vectorizing it.
        u = c.shape[1]
        for r in range(s.shape[0]):
            s_r, c_r, new_r = s[r], c[r], new_c[r]
            for j in range(s.shape[1]):
                s_r[j] = s_r[j] * scale[j] + shift[j]
            i, f, g = s_r[:u], s_r[u:2 * u], s_r[2 * u:3 * u]
            for j in range(u):
                new_r[j] = f[j] * c_r[j] + i[j] * g[j]

    @jit
    def lstm_backward(s, c, tc, g_hc, out):
        # out = [dz_i, dz_f, dz_c, dz_o, dc] from the gates s = [i, f, g, o], tc = tanh(c')
        # and g_hc = [dh, dc'], in the order of rnn.backward_into's NumPy calls. 1-D views
        # per row and block, as in lstm_forward (4x faster than 2-D indexing here).
        u = c.shape[1]
        one = s.dtype.type(1.0)
        for r in range(s.shape[0]):
            s_r, o_r = s[r], out[r]
            s_i, s_f, s_g, s_o = s_r[:u], s_r[u:2 * u], s_r[2 * u:3 * u], s_r[3 * u:]
            dz_i, dz_f, dz_c = o_r[:u], o_r[u:2 * u], o_r[2 * u:3 * u]
            dz_o, dc_out = o_r[3 * u:4 * u], o_r[4 * u:]
            c_r, t_r, dh_r, dn_r = c[r], tc[r], g_hc[0, r], g_hc[1, r]
            for j in range(u):
                i, f, g, o = s_i[j], s_f[j], s_g[j], s_o[j]
                dh, t = dh_r[j], t_r[j]
                dc = dh * o
                dc = dc * (one - t * t)
                dc = dc + dn_r[j]
                dz_i[j] = dc * g * i * (one - i)
                dz_f[j] = dc * c_r[j] * f * (one - f)
                dz_c[j] = dc * i * (one - g * g)
                dz_o[j] = dh * t * o * (one - o)
                dc_out[j] = dc * f

    @jit
    def max_pool_grad(x, out, g, kh, kw, sh, sw, top, left, tiled, relu, dx):
        # dx for NHWC max pooling: each window's gradient shared equally by its maxima.
        # Cells outside x (padding) read as -inf, as in the NumPy code's padded copy. Tiled
        # windows (stride = size: each cell in at most one window) are done window by window
        # in one pass; overlapping ones first compute every window's share, then gather per
        # cell, adding the shares in the NumPy code's (i, j) order. Channels innermost.
        # relu: each cell's result is then multiplied by (x > 0), as ReluGrad would.
        n, h, w, ch = x.shape
        oh, ow = out.shape[1], out.shape[2]
        zero, one, low = dx.dtype.type(0.0), dx.dtype.type(1.0), x.dtype.type(-np.inf)
        # every window's share (overlapping windows), or one window's at a time (tiled)
        share = np.empty((1, 1, 1, ch) if tiled else g.shape, dx.dtype)
        count = np.empty(ch, dx.dtype)
        if tiled:
            dx[:] = zero                      # cells no window reaches
        for b in range(n):
            for oy in range(oh):
                for ox in range(ow):
                    peak = out[b, oy, ox]
                    count[:] = zero
                    for i in range(kh):
                        y = oy * sh + i - top
                        for j in range(kw):
                            xx = ox * sw + j - left
                            if 0 <= y < h and 0 <= xx < w:
                                cells = x[b, y, xx]
                                for c in range(ch):
                                    count[c] += one if cells[c] == peak[c] else zero
                            else:
                                for c in range(ch):
                                    count[c] += one if low == peak[c] else zero
                    part = share[0, 0, 0] if tiled else share[b, oy, ox]
                    for c in range(ch):
                        part[c] = g[b, oy, ox, c] / count[c]
                    if not tiled:
                        continue
                    for i in range(kh):
                        y = oy * sh + i - top
                        if y < 0 or y >= h:
                            continue
                        for j in range(kw):
                            xx = ox * sw + j - left
                            if xx < 0 or xx >= w:
                                continue
                            cells, target = x[b, y, xx], dx[b, y, xx]
                            for c in range(ch):
                                v = (one if cells[c] == peak[c] else zero) * part[c]
                                if relu:
                                    v = v * (one if cells[c] > zero else zero)
                                target[c] = v
        if tiled:
            return
        for b in range(n):
            for y in range(h):
                for xx in range(w):
                    target, cells = dx[b, y, xx], x[b, y, xx]
                    target[:] = zero
                    for i in range(kh):
                        py = y + top - i
                        if py < 0 or py % sh != 0 or py // sh >= oh:
                            continue
                        oy = py // sh
                        for j in range(kw):
                            px = xx + left - j
                            if px < 0 or px % sw != 0 or px // sw >= ow:
                                continue
                            peak, part = out[b, oy, px // sw], share[b, oy, px // sw]
                            for c in range(ch):
                                target[c] += (one if cells[c] == peak[c] else zero) * part[c]
                    if relu:
                        for c in range(ch):
                            target[c] = target[c] * (one if cells[c] > zero else zero)

    @jit
    def combine_patches(p, kh, kw, sh, sw, dh, dw, top, left, out):
        # col2im: out[b, y, x] = the sum of the patch cells that window positions took from
        # (y, x). Scattered in the order the patches lie in memory (read once, streaming);
        # each cell then receives its terms with (i, j) descending, the order of the NumPy
        # code (which loops over (i, j) backwards for that reason).
        n, h, w, ch = out.shape
        oh, ow = p.shape[1], p.shape[2]
        out[:] = out.dtype.type(0.0)
        for b in range(n):
            for oy in range(oh):
                for ox in range(ow):
                    for i in range(kh):
                        y = oy * sh + i * dh - top
                        if y < 0 or y >= h:
                            continue
                        for j in range(kw):
                            xx = ox * sw + j * dw - left
                            if xx < 0 or xx >= w:
                                continue
                            cells, target = p[b, oy, ox, i, j], out[b, y, xx]
                            for c in range(ch):
                                target[c] += cells[c]

    @jit
    def relu_grad(g, x, out):
        # g * (x > 0) on flat arrays: one pass instead of a mask pass and a product pass.
        zero, one = out.dtype.type(0.0), out.dtype.type(1.0)
        for i in range(out.size):
            out[i] = g[i] * (one if x[i] > zero else zero)

    @jit
    def bias_relu(x, b, out):
        # out = maximum(x + b, 0) row by row (x, out: (rows, C); b: (C,)), as NumPy's
        # maximum: NaN passes, and maximum(-0.0, 0) is +0.0.
        zero = out.dtype.type(0.0)
        for r in range(x.shape[0]):
            for c in range(x.shape[1]):
                v = x[r, c] + b[c]
                out[r, c] = v if (v > zero or v != v) else zero

    # In-place forms of the two kernels above. A loop reading and writing the same array
    # through two arguments fails LLVM's run-time overlap check and runs its scalar version
    # (measured 3-4x slower); with the written array passed once, the check passes.
    @jit
    def relu_grad_into_g(g, x):
        zero, one = g.dtype.type(0.0), g.dtype.type(1.0)
        for i in range(g.size):
            g[i] = g[i] * (one if x[i] > zero else zero)

    @jit
    def relu_grad_into_x(g, x):
        zero, one = x.dtype.type(0.0), x.dtype.type(1.0)
        for i in range(x.size):
            x[i] = g[i] * (one if x[i] > zero else zero)

    @jit
    def bias_relu_into_x(x, b):
        zero = x.dtype.type(0.0)
        for r in range(x.shape[0]):
            row = x[r]
            for c in range(row.size):
                v = row[c] + b[c]
                row[c] = v if (v > zero or v != v) else zero

    @jit
    def bias_relu_pool(x, b, ph, pw, out, mask):
        # Max pooling (tiled ph x pw windows, no padding) of maximum(x + b, 0), read from the
        # pre-activation x in one pass: max(relu(v)) = relu(max(v)), NaN passing as NumPy's.
        # mask: bit q (window cell q, row-major) set where x + b equals the window's maximum;
        # none where the maximum is NaN (no cell equals it). Branch-free inner loops, which
        # LLVM vectorizes.
        n, oh, ow, ch = out.shape
        zero, nobit = out.dtype.type(0.0), mask.dtype.type(0)
        best = np.empty(ch, out.dtype)
        bits = np.empty(ch, mask.dtype)
        for s in range(n):
            for i in range(oh):
                for j in range(ow):
                    for q in range(ph * pw):
                        cell = x[s, i * ph + q // pw, j * pw + q % pw]
                        bit = mask.dtype.type(1 << q)
                        if q == 0:
                            for c in range(ch):
                                v = cell[c] + b[c]
                                best[c] = v
                                bits[c] = bit if v == v else nobit
                            continue
                        for c in range(ch):
                            v = cell[c] + b[c]
                            t = best[c]
                            up = v > t
                            fresh_nan = v != v and t == t
                            best[c] = v if (up or fresh_nan) else t
                            k = bit if up else bits[c]
                            k = (k | bit) if v == t else k
                            bits[c] = nobit if fresh_nan else k
                    top, m = out[s, i, j], mask[s, i, j]
                    for c in range(ch):
                        v = best[c]
                        top[c] = v if (v > zero or v != v) else zero
                        m[c] = bits[c]

    @jit
    def pool_mask_grad(out, mask, g, ph, pw, dx, sums):
        # The gradient through bias_relu_pool's ReLU and pooling, from its output and mask:
        # each window's gradient shared equally by its maxima, times (out > 0); cells of no
        # window get 0. The same float operations as max_pool_grad with relu=True reading the
        # ReLU's output (a maximum of x + b is a maximum of the ReLU's output where that is
        # positive; elsewhere the product is a zero of the share's sign either way).
        # Per row of windows: first each window's share, (g / maxima) * (out > 0), in one
        # flat pass over the row (bit count by SWAR popcount: vectorized); then the output
        # rows, the cells of a window side by side. Grouped so, (bit * share) * live becomes
        # bit * (share * live): bit and live are 0 or 1, so the product is the same, sign and
        # NaN included. Memory-bound: 0.23 ms for conv1 of mnist_cnn_b64 (was 0.40 per window).
        # sums (float64, C or empty): if not empty, the gradient's sum per channel (the bias
        # gradient): each window adds maxima * share, exactly the sum of its cells.
        n, oh, ow, ch = out.shape
        h, w = dx.shape[1], dx.shape[2]
        zero, one = dx.dtype.type(0.0), dx.dtype.type(1.0)
        u = np.uint32
        share = np.empty(ow * ch, dx.dtype)
        summing = sums.size > 0
        acc = np.zeros(ow * ch if summing else 0, np.float64)
        for s in range(n):
            for i in range(oh):
                mrow = mask[s, i].reshape(ow * ch)
                grow, top = g[s, i].reshape(ow * ch), out[s, i].reshape(ow * ch)
                for k in range(ow * ch):
                    v = u(mrow[k])
                    v = v - ((v >> u(1)) & u(0x55555555))
                    v = (v & u(0x33333333)) + ((v >> u(2)) & u(0x33333333))
                    v = (v + (v >> u(4))) & u(0x0F0F0F0F)
                    if mask.itemsize > 1:
                        v = (v + (v >> u(8)) + (v >> u(16)) + (v >> u(24))) & u(0x3F)
                    part = (grow[k] / dx.dtype.type(v)) * (one if top[k] > zero else zero)
                    share[k] = part
                    if summing:
                        acc[k] += np.float64(part) * np.float64(v)
                for a in range(ph):
                    row = dx[s, i * ph + a].reshape(w * ch)
                    if pw == 2:                        # the common window: two cells a pass
                        for j in range(ow):
                            at, src = j * 2 * ch, j * ch
                            for c in range(ch):
                                bits, part = mrow[src + c] >> (2 * a), share[src + c]
                                row[at + c] = (one if bits & 1 else zero) * part
                                row[at + ch + c] = (one if (bits >> 1) & 1 else zero) * part
                    else:
                        for j in range(ow):
                            for b in range(pw):
                                q, at, src = a * pw + b, (j * pw + b) * ch, j * ch
                                for c in range(ch):
                                    row[at + c] = (one if (mrow[src + c] >> q) & 1
                                                   else zero) * share[src + c]
                    for k in range(ow * pw * ch, w * ch):   # columns past the last window
                        row[k] = zero
            for y in range(oh * ph, h):                # rows past the last window
                dx[s, y] = zero
        if summing:
            for c in range(ch):
                total = 0.0
                for j in range(ow):
                    total += acc[j * ch + c]
                sums[c] = total

    @jit
    def add_rows(out, rows, values):
        # out[rows[i]] += values[i] for every i in order (an embedding's gradient).
        for i in range(rows.size):
            target, row = out[rows[i]], values[i]
            for j in range(row.size):
                target[j] += row[j]

    return {"adam": adam, "sgd": sgd, "add_scaled": add_scaled, "xent_forward": xent_forward, "xent_grad": xent_grad,
            "xent_shift": xent_shift, "xent_normalize": xent_normalize,
            "lstm_forward": lstm_forward, "lstm_backward": lstm_backward,
            "max_pool_grad": max_pool_grad, "combine_patches": combine_patches,
            "relu_grad": relu_grad, "add_rows": add_rows, "bias_relu": bias_relu,
            "relu_grad_into_g": relu_grad_into_g, "relu_grad_into_x": relu_grad_into_x,
            "bias_relu_into_x": bias_relu_into_x,
            "bias_relu_pool": bias_relu_pool, "pool_mask_grad": pool_mask_grad}


def usable(xp: Any, *arrays: Any) -> bool:
    """Whether numba is on and the arrays are NumPy float32 or float64 arrays of one dtype
    (what the kernels are written for)."""
    if xp is not np or not available():
        return False
    dtype = arrays[0].dtype
    return dtype in (np.float32, np.float64) and all(
        isinstance(a, np.ndarray) and a.dtype == dtype for a in arrays)


def for_arrays(xp: Any, name: str, *arrays: Any) -> Callable | None:
    """The kernel ``name`` if :func:`usable` says so for ``arrays``, else None: use the
    NumPy code."""
    return kernels()[name] if usable(xp, *arrays) else None
