"""Multi-head attention (Vaswani et al. 2017) with Keras 3's arguments, weights and formulas.

For query ``(B, T, dim_q)`` and value/key ``(B, S, dim_v)`` / ``(B, S, dim_k)``:

* projections: ``q = query . Wq + bq`` with ``Wq (dim_q, heads, key_dim)`` and ``bq (heads,
  key_dim)``; likewise ``k`` (key_dim) and ``v`` (value_dim);
* scores: ``softmax((q / sqrt(key_dim)) . k)`` over S, shape ``(B, heads, T, S)``; masked
  positions get ``-1e9`` before the softmax (so a fully masked row attends uniformly, as in
  Keras); dropout on the scores while training;
* output: ``(scores . v) . Wo + bo`` with ``Wo (heads, value_dim, *output_shape)``.

Inputs are ``(batch, sequence, features)``: attention runs over the sequence axis only
(``attention_axes=None``). Keras's implicit masks (``query_mask``, ``value_mask``, ``key_mask``
from mask propagation) are not supported; pass ``attention_mask`` instead.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .. import regularizers, serialization
from ..ops import linalg, nn
from ..ops.math import cast, logical_and, where
from ..tensor import Tensor, _fmt_shape, convert
from ._arguments import (add_weight_with_options, flag, fraction, positive_int, seed_or_none,
                         serialize_or_none, set_weight_options, weight_options_config)
from .base import Layer

__all__ = ["MultiHeadAttention"]

_MASKED = -1e9   # the score of a masked position (Keras's large negative number for float32)


@serialization.register("layer")
class MultiHeadAttention(Layer):
    """Multi-head (scaled dot-product) attention.

    Args:
        num_heads: the number of attention heads.
        key_dim: the size of each head for query and key.
        value_dim: the size of each head for value (default ``key_dim``).
        dropout: the fraction of attention scores dropped while training.
        use_bias: whether the projections have biases.
        output_shape: the output's feature shape (an int or a tuple of ints); default the
            query's feature size.
        attention_axes: only None (attention over the sequence axis) or its equivalents
            ``1``/``(1,)`` are supported.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: for all four projections.
        seed: makes the dropout masks reproducible.

    Call arguments:
        query: ``(B, T, dim_q)``.
        value: ``(B, S, dim_v)``.
        key: ``(B, S, dim_k)``; default ``value``.
        attention_mask: boolean ``(B, T, S)`` (or ``(T, S)``, or ``(B, heads, T, S)``): True
            where query position t may attend to key position s.
        return_attention_scores: also return the scores ``(B, heads, T, S)``.
        training: apply dropout.
        use_causal_mask: let position t attend only to positions s <= t (needs T and S known).

    Example:
        >>> mha = lm.layers.MultiHeadAttention(num_heads=2, key_dim=4)
        >>> x = lm.ones((3, 5, 8))
        >>> out, scores = mha(x, x, return_attention_scores=True)
        >>> out.shape, scores.shape
        ((3, 5, 8), (3, 2, 5, 5))
    """

    def __init__(self, num_heads: int, key_dim: int, value_dim: int | None = None,
                 dropout: float = 0.0, use_bias: bool = True,
                 output_shape: int | Sequence[int] | None = None, attention_axes: Any = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        layer = "MultiHeadAttention"
        self.num_heads = positive_int(num_heads, "num_heads", layer)
        self.key_dim = positive_int(key_dim, "key_dim", layer)
        self.value_dim = self.key_dim if value_dim is None else positive_int(
            value_dim, "value_dim", layer)
        self.dropout = fraction(dropout, "dropout", layer)
        self.use_bias = flag(use_bias, "use_bias", layer)
        self._output_shape = _output_shape(output_shape)
        self.attention_axes = _attention_axes(attention_axes)
        set_weight_options(self, "kernel", kernel_initializer, kernel_regularizer,
                           kernel_constraint)
        set_weight_options(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.seed = seed_or_none(seed, layer)

    # ---- building -------------------------------------------------------------------------------
    def __call__(self, query: Any, value: Any, key: Any = None, **kwargs: Any) -> Any:
        # build needs the value's and key's shapes too, not just the query's (the base class
        # builds from the first input only)
        if not self.built:
            shapes = [_shape_of(query), _shape_of(value),
                      _shape_of(value if key is None else key)]
            self._build_from(*shapes)
        return super().__call__(query, value, key=key, **kwargs)

    def build(self, query_shape: Sequence, value_shape: Sequence,
              key_shape: Sequence | None = None) -> None:
        key_shape = value_shape if key_shape is None else key_shape
        shapes = {"query": tuple(query_shape), "value": tuple(value_shape),
                  "key": tuple(key_shape)}
        for what, shape in shapes.items():
            if len(shape) != 3 or shape[-1] is None:
                raise ValueError(f"MultiHeadAttention layer {self.name!r}: {what} must have "
                                 f"shape (batch, sequence, features) with known features, "
                                 f"received {_fmt_shape(shape)}.")
        _check_lengths(self.name, shapes["value"], shapes["key"])
        self._dims = {what: shape[-1] for what, shape in shapes.items()}
        heads = self.num_heads
        self.query_kernel, self.query_bias = self._dense(
            "query", (self._dims["query"], heads, self.key_dim), (heads, self.key_dim))
        self.key_kernel, self.key_bias = self._dense(
            "key", (self._dims["key"], heads, self.key_dim), (heads, self.key_dim))
        self.value_kernel, self.value_bias = self._dense(
            "value", (self._dims["value"], heads, self.value_dim), (heads, self.value_dim))
        out = self._output_shape or (self._dims["query"],)
        self.output_kernel, self.output_bias = self._dense(
            "attention_output", (heads, self.value_dim, *out), out)

    def _dense(self, name: str, kernel_shape: tuple, bias_shape: tuple) -> tuple:
        kernel = add_weight_with_options(self, f"{name}/kernel", kernel_shape, "kernel")
        bias = add_weight_with_options(self, f"{name}/bias", bias_shape, "bias") \
            if self.use_bias else None
        return kernel, bias

    def compute_output_shape(self, query_shape: Sequence, value_shape: Sequence,
                             key_shape: Sequence | None = None) -> tuple:
        """``query_shape`` with its last axis replaced by the output shape."""
        query_shape = tuple(query_shape)
        _check_lengths(self.name, tuple(value_shape),
                       tuple(value_shape if key_shape is None else key_shape))
        return query_shape[:-1] + (self._output_shape or query_shape[-1:])

    # ---- the computation ------------------------------------------------------------------------
    def call(self, query: Any, value: Any, key: Any = None, attention_mask: Any = None,
             return_attention_scores: bool = False, training: bool | None = None,
             use_causal_mask: bool = False) -> Any:
        value = self._convert_inputs(value)
        key = value if key is None else self._convert_inputs(key)
        self._check_inputs_match(query, value, key)
        mask = self._attention_mask(query, value, attention_mask, use_causal_mask)
        q = self._project(query, self.query_kernel, self.query_bias)     # (B, T, N, key_dim)
        k = self._project(key, self.key_kernel, self.key_bias)           # (B, S, N, key_dim)
        v = self._project(value, self.value_kernel, self.value_bias)     # (B, S, N, value_dim)
        scores = linalg.einsum("bsnh,btnh->bnts", k, q * (1.0 / math.sqrt(self.key_dim)))
        if mask is not None:
            scores = where(mask, scores, _MASKED)
        scores = nn.softmax(scores, axis=-1)
        weights = scores
        if training and self.dropout > 0:
            weights = nn.dropout(scores, self.dropout, seed=self.seed)
        context = linalg.einsum("bnts,bsnh->btnh", weights, v)
        out_letters = "xyzuvw"[:len(self._output_shape or (1,))]
        output = linalg.einsum(f"btnh,nh{out_letters}->bt{out_letters}", context,
                               self.output_kernel)
        if self.output_bias is not None:
            output = output + self.output_bias
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(output))
        return (output, scores) if return_attention_scores else output

    def _project(self, x: Tensor, kernel: Tensor, bias: Tensor | None) -> Tensor:
        out = linalg.einsum("btd,dnh->btnh", x, kernel)
        return out if bias is None else out + bias

    def _check_inputs_match(self, query: Tensor, value: Tensor, key: Tensor) -> None:
        for what, t in (("query", query), ("value", value), ("key", key)):
            shape = tuple(t.shape)
            if len(shape) != 3 or shape[-1] not in (None, self._dims[what]):
                raise ValueError(f"MultiHeadAttention layer {self.name!r}: expected {what} of "
                                 f"shape (batch, sequence, {self._dims[what]}), received "
                                 f"{_fmt_shape(shape)}.")
        _check_lengths(self.name, tuple(value.shape), tuple(key.shape))

    def _attention_mask(self, query: Tensor, value: Tensor, attention_mask: Any,
                        use_causal_mask: bool) -> Tensor | None:
        """The boolean mask ``(B or 1, heads or 1, T, S)``, or None for no mask."""
        mask = None
        if attention_mask is not None:
            mask = self._given_mask(attention_mask, query, value)
        if use_causal_mask:
            causal = _causal_mask(self.name, query.shape[1], value.shape[1])
            mask = causal if mask is None else logical_and(mask, causal)
        return mask

    def _given_mask(self, attention_mask: Any, query: Tensor, value: Tensor) -> Tensor:
        mask = attention_mask if isinstance(attention_mask, Tensor) else convert(
            np.asarray(attention_mask))
        if mask.dtype.name != "bool":
            mask = cast(mask, "bool")
        want = (query.shape[0], self.num_heads, query.shape[1], value.shape[1])
        shape = tuple(mask.shape)
        ok = 2 <= len(shape) <= 4
        if ok and len(shape) == 3:     # (B, T, S): the same for every head
            mask = mask[:, None]
        elif ok and len(shape) == 2:   # (T, S): the same for every batch entry and head
            mask = mask[None, None]
        full = tuple(mask.shape) if ok else ()
        if not ok or any(m not in (None, 1, w) and w is not None
                         for m, w in zip(full, want)):
            raise ValueError(f"MultiHeadAttention layer {self.name!r}: attention_mask must "
                             f"broadcast to (batch, heads, T, S) = {_fmt_shape(want)} (e.g. "
                             f"(batch, T, S)), received shape {_fmt_shape(shape)}.")
        return mask

    def get_config(self) -> dict:
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "dropout": self.dropout, "use_bias": self.use_bias,
                "output_shape": None if self._output_shape is None else list(
                    self._output_shape),
                "attention_axes": None if self.attention_axes is None else list(
                    self.attention_axes),
                **weight_options_config(self, "kernel", "bias"),
                "activity_regularizer": serialize_or_none(self.activity_regularizer),
                "seed": self.seed}


def _output_shape(value: Any) -> tuple | None:
    if value is None:
        return None
    dims = (value,) if isinstance(value, (int, np.integer)) else value
    try:
        return tuple(positive_int(d, "output_shape", "MultiHeadAttention") for d in dims)
    except (TypeError, ValueError):
        raise ValueError(f"MultiHeadAttention: output_shape must be a positive int or a tuple "
                         f"of them, received {value!r}.") from None


def _attention_axes(value: Any) -> tuple | None:
    """None, or the sequence axis of (batch, sequence, features) inputs written as (1,)."""
    axes = (value,) if isinstance(value, int) and not isinstance(value, bool) else value
    if value is None or (isinstance(axes, (list, tuple)) and tuple(axes) in ((1,), (-2,))):
        return None if value is None else (1,)
    raise ValueError(f"MultiHeadAttention: only attention over the sequence axis is supported "
                     f"(attention_axes=None, i.e. (1,) for (batch, sequence, features) "
                     f"inputs), received attention_axes={value!r}.")


def _shape_of(x: Any) -> tuple:
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def _check_lengths(name: str, value_shape: tuple, key_shape: tuple) -> None:
    lengths = (value_shape[1:-1], key_shape[1:-1])
    if len(lengths[0]) == len(lengths[1]) and all(
            a is None or b is None or a == b for a, b in zip(*lengths)):
        return
    raise ValueError(f"MultiHeadAttention layer {name!r}: value and key must have the same "
                     f"sequence length, received value shape {_fmt_shape(value_shape)} and key "
                     f"shape {_fmt_shape(key_shape)}.")


def _causal_mask(name: str, query_length: int | None, value_length: int | None) -> Tensor:
    """``(1, 1, T, S)``: True where s <= t (Keras's lower-triangular causal mask)."""
    if query_length is None or value_length is None:
        raise ValueError(f"MultiHeadAttention layer {name!r}: use_causal_mask=True needs the "
                         f"query and value lengths to be known, received T={query_length}, "
                         f"S={value_length}; give them in lm.Input(shape=(length, features)).")
    lower = np.tril(np.ones((query_length, value_length), dtype=bool))
    return convert(lower[None, None])
