"""Records for shape and indexing ops (lamina/ops/shape.py, lamina/ops/indexing.py).

Ops that return lists (split, unstack) are wrapped to return one tensor: the pieces, each
scaled by its own weight, joined back together. The gradient-only primitives (ScatterAdd,
TileGrad, MirrorPadGrad) get records of their own through ``_vjp``: the gradient of an op at
zeros, as a function of the output gradient.
"""
import numpy as np

import lamina as lm
from tests.ops.harness import Fixed, OpRecord, away_from_zero


def _ints(values):
    return Fixed(lambda rng: np.asarray(values))


def _mask(shape):
    return Fixed(lambda rng: rng.random(shape) > 0.5)


def _vjp(f, shape):
    """``g -> d/dx sum(g * f(x))`` at ``x = zeros(shape)``: exercises f's gradient rule."""
    def fn(g):
        x = lm.zeros(shape, g.dtype)
        with lm.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return tape.gradient(y, x, output_gradients=g)
    return fn


def _scatter(shape, index):
    """NumPy reference for the gradient of ``x[index]``."""
    def ref(g):
        out = np.zeros(shape, g.dtype)
        np.add.at(out, index, g)
        return out
    return ref


def _weighted(pieces, axis, join):
    return join([p * (k + 1) for k, p in enumerate(pieces)], axis)


def _gather_batch(p, idx, axis):
    """tf.gather with batch_dims=1, one batch element at a time."""
    return np.stack([np.take(p[b], idx[b], axis=axis - 1) for b in range(p.shape[0])])


def _tile_grad(multiples, shape):
    def ref(g):
        inter = [n for pair in zip(multiples, shape) for n in pair]
        return g.reshape(inter).sum(axis=tuple(range(0, 2 * len(shape), 2)))
    return ref


def _mirror_grad(paddings, mode, shape):
    """Adjoint of np.pad(mode) by brute force: pad an index array, scatter-add back."""
    def ref(g):
        ids = np.pad(np.arange(np.prod(shape)).reshape(shape), paddings, mode=mode)
        out = np.zeros(int(np.prod(shape)), g.dtype)
        np.add.at(out, ids.ravel(), g.ravel())
        return out.reshape(shape)
    return ref


_RESHAPE = [
    OpRecord("reshape", lambda x: lm.reshape(x, (4, -1)), lambda x: x.reshape(4, -1),
             [((2, 6),)], grad2=True),
    OpRecord("reshape", lambda x: lm.reshape(x, (-1,)), lambda x: x.reshape(-1),
             [((3, 2, 2),)], grad2=True),
    OpRecord("reshape", lambda x: x.reshape(2, 1, 3), lambda x: x.reshape(2, 1, 3),
             [((6,),)]),
    OpRecord("transpose", lm.transpose, np.transpose, [((2, 3),), ((2, 3, 4),)], grad2=True),
    OpRecord("transpose", lambda x: lm.transpose(x, (1, 2, 0)),
             lambda x: np.transpose(x, (1, 2, 0)), [((2, 3, 4),)], grad2=True),
    OpRecord("transpose", lambda x: x.T, lambda x: x.T, [((3, 2),)]),
    OpRecord("expand_dims", lambda x: lm.expand_dims(x, 0), lambda x: np.expand_dims(x, 0),
             [((3,),), ((2, 3),)], grad2=True),
    OpRecord("expand_dims", lambda x: lm.expand_dims(x, -1), lambda x: np.expand_dims(x, -1),
             [((2, 3),)], grad2=True),
    OpRecord("squeeze", lm.squeeze, np.squeeze, [((3, 1, 2, 1),)], grad2=True),
    OpRecord("squeeze", lambda x: lm.squeeze(x, -1), lambda x: np.squeeze(x, -1),
             [((1, 3, 1),)], grad2=True),
    OpRecord("shape", lm.shape, lambda x: np.array(x.shape), [((2, 3),), ((),)], grad=False,
             dtype_out=lm.int32),
    OpRecord("size", lm.size, lambda x: np.array(x.size), [((2, 3),)], grad=False,
             dtype_out=lm.int32),
]

_JOIN = [
    OpRecord("concat", lambda x, y: lm.concat([x, y], -1),
             lambda x, y: np.concatenate([x, y], -1), [((2, 3), (2, 4)), ((2, 1, 2), (2, 1, 3))],
             grad2=True),
    OpRecord("concat", lambda x, y, z: lm.concat([x, y, z], 0),
             lambda x, y, z: np.concatenate([x, y, z], 0), [((1, 3), (2, 3), (3, 3))],
             grad2=True),
    OpRecord("concat", lambda x: lm.concat([x, [[1.0, 2.0]]], axis=0),
             lambda x: np.concatenate([x, [[1.0, 2.0]]], 0), [((2, 2),)]),
    OpRecord("stack", lambda x, y: lm.stack([x, y]), lambda x, y: np.stack([x, y]),
             [((2, 3), (2, 3)), ((), ())], grad2=True),
    OpRecord("stack", lambda x, y, z: lm.stack([x, y, z], axis=-1),
             lambda x, y, z: np.stack([x, y, z], -1), [((2, 3), (2, 3), (2, 3))], grad2=True),
    OpRecord("split", lambda x: _weighted(lm.split(x, 3, axis=1), 1, lm.concat),
             lambda x: _weighted(np.split(x, 3, axis=1), 1, np.concatenate), [((2, 6),)],
             grad2=True),
    OpRecord("split", lambda x: _weighted(lm.split(x, [1, -1, 2], axis=-1), -1, lm.concat),
             lambda x: _weighted(np.split(x, [1, 3], axis=-1), -1, np.concatenate),
             [((2, 5),), ((3, 2, 5),)], grad2=True),
    OpRecord("split", lambda x: _weighted(lm.split(x, [2, 0, 1]), 0, lm.concat),
             lambda x: _weighted(np.split(x, [2, 2]), 0, np.concatenate), [((3, 2),)],
             grad2=True),
    OpRecord("unstack", lambda x: _weighted(lm.unstack(x), 0, lm.stack),
             lambda x: _weighted(list(x), 0, np.stack), [((3, 2),)], grad2=True),
    OpRecord("unstack", lambda x: _weighted(lm.unstack(x, axis=-2), 0, lm.stack),
             lambda x: _weighted(list(np.moveaxis(x, -2, 0)), 0, np.stack), [((2, 3, 2),)],
             grad2=True),
]

_TILE_PAD_FLIP = [
    OpRecord("tile", lambda x: lm.tile(x, [2, 1]), lambda x: np.tile(x, (2, 1)),
             [((2, 3),)], grad2=True),
    OpRecord("tile", lambda x: lm.tile(x, (1, 3, 2)), lambda x: np.tile(x, (1, 3, 2)),
             [((2, 1, 2),)], grad2=True),
    OpRecord("tile", _vjp(lambda x: lm.tile(x, [3, 2]), (2, 2)), _tile_grad((3, 2), (2, 2)),
             [((6, 4),)], grad2=True),
    OpRecord("broadcast_to", lambda x: lm.broadcast_to(x, (2, 3)),
             lambda x: np.broadcast_to(x, (2, 3)), [((3,),), ((),)], grad2=True),
    OpRecord("broadcast_to", lambda x: lm.broadcast_to(x, (3, 2, 4)),
             lambda x: np.broadcast_to(x, (3, 2, 4)), [((2, 1),)], grad2=True),
    OpRecord("pad", lambda x: lm.pad(x, [[1, 2], [0, 1]]),
             lambda x: np.pad(x, [[1, 2], [0, 1]]), [((2, 3),)], grad2=True),
    OpRecord("pad", lambda x: lm.pad(x, [[1, 1]], constant_values=1.5),
             lambda x: np.pad(x, [[1, 1]], constant_values=1.5), [((3,),)], grad2=True),
    OpRecord("pad", lambda x, c: lm.pad(x, [[0, 1], [2, 0]], constant_values=c),
             lambda x, c: np.pad(x, [[0, 1], [2, 0]], constant_values=c), [((2, 2), ())],
             grad2=True),
    OpRecord("pad", lambda x: lm.pad(x, [[2, 1], [1, 2]], mode="REFLECT"),
             lambda x: np.pad(x, [[2, 1], [1, 2]], mode="reflect"), [((3, 4),)], grad2=True),
    OpRecord("pad", lambda x: lm.pad(x, [[2, 3]], mode="symmetric"),
             lambda x: np.pad(x, [[2, 3]], mode="symmetric"), [((3,),)], grad2=True),
    OpRecord("pad", lambda x: lm.pad(x, [[0, 0], [2, 2], [1, 0]], mode="Symmetric"),
             lambda x: np.pad(x, [[0, 0], [2, 2], [1, 0]], mode="symmetric"),
             [((2, 2, 3),)], grad2=True),
    OpRecord("pad", _vjp(lambda x: lm.pad(x, [[2, 2], [1, 1]], "REFLECT"), (3, 2)),
             _mirror_grad([[2, 2], [1, 1]], "reflect", (3, 2)), [((7, 4),)], grad2=True),
    OpRecord("pad", _vjp(lambda x: lm.pad(x, [[3, 1]], "SYMMETRIC"), (3,)),
             _mirror_grad([[3, 1]], "symmetric", (3,)), [((7,),)], grad2=True),
    OpRecord("flip", lambda x: lm.flip(x, 0), lambda x: np.flip(x, 0), [((2, 3),)],
             grad2=True),
    OpRecord("flip", lambda x: lm.flip(x, (0, -1)), lambda x: np.flip(x, (0, -1)),
             [((2, 3, 2),)], grad2=True),
    OpRecord("flip", lm.flip, np.flip, [((2, 3),)], grad2=True),
    OpRecord("reverse", lambda x: lm.reverse(x, [-1]), lambda x: np.flip(x, -1),
             [((3, 2),)], grad2=True),
]

_GATHER = [
    OpRecord("gather", lm.gather, lambda p, i: np.take(p, i, axis=0),
             [((5, 3), _ints([0, 2, 0, 4])), ((4,), _ints([[3, 3], [1, 0]]))], grad2=True),
    OpRecord("gather", lambda p, i: lm.gather(p, i, axis=1),
             lambda p, i: np.take(p, i, axis=1), [((2, 4, 3), _ints([[1, 1], [3, 0]]))],
             grad2=True),
    OpRecord("gather", lambda p, i: lm.gather(p, i, axis=-1),
             lambda p, i: np.take(p, i, axis=-1), [((2, 3), _ints([2, 2, 0]))], grad2=True),
    OpRecord("gather", lambda p, i: lm.gather(p, i, batch_dims=1),
             lambda p, i: _gather_batch(p, i, 1),
             [((2, 4, 3), _ints([[3, 0, 3], [1, 1, 2]]))], grad2=True),
    OpRecord("gather", lambda p, i: lm.gather(p, i, axis=2, batch_dims=-1),
             lambda p, i: _gather_batch(p, i, 2),
             [((2, 3, 4, 2), _ints([[3, 0, 3, 1, 0], [1, 1, 2, 0, 0]]))], grad2=True),
    OpRecord("gather", _vjp(lambda p: lm.gather(p, [[2, 0], [2, 2]]), (3, 2)),
             _scatter((3, 2), np.array([[2, 0], [2, 2]])), [((2, 2, 2),)], grad2=True),
    OpRecord("take_along_axis", lambda x, i: lm.take_along_axis(x, i, axis=1),
             lambda x, i: np.take_along_axis(x, i, axis=1), [((3, 4), _ints([[0, 0], [3, 1],
                                                                           [2, -1]]))],
             grad2=True),
    OpRecord("take_along_axis", lambda x, i: lm.take_along_axis(x, i, axis=0),
             lambda x, i: np.take_along_axis(x, i, axis=0), [((3, 4), _ints([[2], [0], [2]]))],
             grad2=True),
    OpRecord("one_hot", lambda i: lm.one_hot(i, 4), lambda i: np.eye(4)[i] * (i < 4)[:, None],
             [(_ints([0, 3, 3, 1]),)], grad=False),
    OpRecord("one_hot", lambda i: lm.one_hot(i, 3, axis=0, dtype=lm.int32, on_value=5,
                                             off_value=-1),
             lambda i: np.where(np.arange(3)[:, None, None] == i, 5, -1),
             [(_ints([[0, 2, -1], [5, 1, 1]]),)], grad=False, dtype_out=lm.int32),
    OpRecord("one_hot", lambda i, on, off: lm.one_hot(i, 3, on, off),
             lambda i, on, off: np.where(np.arange(3) == i[:, None], on, off),
             [(_ints([2, 0, 7]), (), ())], grad2=True),
    OpRecord("slice", lambda x: lm.slice(x, [1, 0], [2, -1]), lambda x: x[1:3, 0:],
             [((3, 4),)], grad2=True),
    OpRecord("slice", lambda x: lm.slice(x, [0, 1, 1], [1, 1, -1]),
             lambda x: x[0:1, 1:2, 1:], [((2, 3, 3),)], grad2=True),
]


def _item(index, shape):
    """A getitem record: ``x[index]`` for x of ``shape``, against NumPy."""
    return OpRecord("__getitem__", lambda x: x[index], lambda x: x[index], [(shape,)],
                    grad2=True)


_GETITEM = [
    _item(1, (3, 2)),
    _item(-1, (3, 2)),
    _item((slice(None), slice(1, 3)), (2, 4)),
    _item(slice(None, None, -1), (4,)),
    _item((Ellipsis, slice(None, None, 2)), (2, 3, 5)),
    _item((slice(3, 0, -2), 1), (5, 2)),
    _item((None, slice(None), 1), (2, 3)),
    _item((1, Ellipsis, np.newaxis), (2, 3, 2)),
    _item([0, 2, 0], (3, 2)),
    _item((slice(None), [1, 1, 3]), (3, 4)),
    _item(([0, 2], slice(1, 3)), (3, 4)),
    _item((0, slice(None), [0, 1, 0]), (2, 3, 4)),
    _item(([1, 0], slice(None), [[2], [0]]), (2, 3, 4)),
    _item((Ellipsis, np.array([-1, 0])), (2, 3)),
    _item([True, False, True], (3, 2)),
    _item((slice(None), np.array([[True, False], [False, True]])), (2, 2, 2)),
    OpRecord("__getitem__", lambda x, m: x[m], lambda x, m: x[m], [((3, 4), _mask((3, 4))),
                                                                  ((3, 2), _mask((3,)))],
             grad2=True),
    OpRecord("__getitem__", lambda x: x[x > 0], lambda x: x[x > 0], [((3, 4),)],
             away_from_zero, grad2=True),
    OpRecord("__getitem__", lambda x, i: x[i], lambda x, i: x[i],
             [((4, 2), _ints([3, 0, 3])), ((4, 2), _ints(2)), ((3,), _ints(-1))], grad2=True),
    OpRecord("__getitem__", lambda x, i: x[1, i:], lambda x, i: x[1, i:],
             [((2, 5), _ints(2))], grad2=True),
    OpRecord("__getitem__", lambda x, i, m: x[m, i], lambda x, i, m: x[m, i],
             [((3, 4), _ints([1, 3]), _ints([True, True, False]))], grad2=True),
    OpRecord("__getitem__", _vjp(lambda x: x[[0, 1, 0], 1:], (2, 3)),
             _scatter((2, 3), ([0, 1, 0], slice(1, None))), [((3, 2),)], grad2=True),
]

RECORDS = _RESHAPE + _JOIN + _TILE_PAD_FLIP + _GATHER + _GETITEM
