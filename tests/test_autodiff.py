"""Automatic differentiation as TensorFlow 2 users know it: GradientTape (watching, persistent
and nested tapes, jacobians, unconnected gradients, output gradients, stop_recording),
Variables, stop_gradient / no_grad, the functional lm.grad / lm.value_and_grad, and memory:
a used tape keeps nothing alive.
"""
import gc
import weakref

import numpy as np
import pytest

import lamina as lm


def _close(t, expected, rtol=1e-6):
    assert t is not None
    np.testing.assert_allclose(np.asarray(t), expected, rtol=rtol)


# ---- watching -----------------------------------------------------------------------------
def test_watch_and_gradient():
    x = lm.tensor(3.0)
    with lm.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    g = tape.gradient(y, x)
    assert isinstance(g, lm.Tensor) and g.dtype == lm.float32
    _close(g, 6.0)


def test_unwatched_constant_has_no_gradient():
    x = lm.tensor(3.0)
    with lm.GradientTape() as tape:
        y = x * x
    assert tape.gradient(y, x) is None


def test_watch_a_nested_structure():
    a, b = lm.tensor(1.0), lm.tensor(2.0)
    with lm.GradientTape() as tape:
        tape.watch({"a": a, "rest": [b]})
        y = a * b
    ga, gb = tape.gradient(y, [a, b])
    _close(ga, 2.0)
    _close(gb, 1.0)


def test_watch_rejects_non_tensors():
    with lm.GradientTape() as tape:
        with pytest.raises(TypeError, match="tensors or variables.*float"):
            tape.watch(3.0)


def test_trainable_variables_are_watched_automatically():
    v = lm.Variable(2.0)
    frozen = lm.Variable(5.0, trainable=False)
    with lm.GradientTape() as tape:
        y = v * frozen
    assert tape.watched_variables() == (v,)
    dv, dfrozen = tape.gradient(y, [v, frozen])
    _close(dv, 5.0)
    assert dfrozen is None


def test_non_trainable_variable_can_be_watched_explicitly():
    frozen = lm.Variable(5.0, trainable=False)
    with lm.GradientTape() as tape:
        tape.watch(frozen)
        y = frozen * frozen
    _close(tape.gradient(y, frozen), 10.0)


def test_watch_accessed_variables_false():
    v, w = lm.Variable(2.0), lm.Variable(3.0)
    with lm.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(w)
        y = v * w
    assert tape.watched_variables() == (w,)
    dv, dw = tape.gradient(y, [v, w])
    assert dv is None
    _close(dw, 2.0)


def test_variable_read_with_value_and_in_ops():
    v = lm.Variable([1.0, 2.0])
    with lm.GradientTape() as tape:
        y = lm.sum(v.value() * 3.0) + lm.sum(lm.square(v))
    _close(tape.gradient(y, v), [5.0, 7.0])


# ---- accumulation -------------------------------------------------------------------------
def test_tensor_used_several_times_accumulates():
    x = lm.tensor(3.0)
    with lm.GradientTape() as tape:
        tape.watch(x)
        y = x * x + x
    _close(tape.gradient(y, x), 7.0)


def test_variable_used_in_two_ops():
    v = lm.Variable(2.0)
    with lm.GradientTape() as tape:
        a = v * 3.0
        b = lm.exp(v)
        y = a + b
    _close(tape.gradient(y, v), 3.0 + np.exp(2.0), rtol=1e-6)


def test_variable_read_twice_by_one_op():
    v = lm.Variable(3.0)
    with lm.GradientTape() as tape:
        y = v * v
    _close(tape.gradient(y, v), 6.0)


def test_broadcast_gradient_sums_back_to_the_input_shape():
    b = lm.Variable([1.0, 2.0, 3.0])
    x = lm.ones((4, 3))
    with lm.GradientTape() as tape:
        y = lm.sum(x * b)
    _close(tape.gradient(y, b), [4.0, 4.0, 4.0])


def test_list_of_targets_adds_up():
    x = lm.tensor(2.0)
    with lm.GradientTape() as tape:
        tape.watch(x)
        ys = [x * 3.0, x * x]
    _close(tape.gradient(ys, x), 3.0 + 4.0)


# ---- persistence --------------------------------------------------------------------------
def test_persistent_tape_computes_gradients_twice():
    x = lm.tensor(2.0)
    with lm.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x ** 3
        z = lm.sin(x)
    _close(tape.gradient(y, x), 12.0)
    _close(tape.gradient(y, x), 12.0)
    _close(tape.gradient(z, x), np.cos(2.0), rtol=1e-6)


def test_non_persistent_tape_raises_on_second_call():
    x = lm.tensor(2.0)
    with lm.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="only once.*persistent=True"):
        tape.gradient(y, x)


# ---- higher order -------------------------------------------------------------------------
def test_nested_tapes_second_and_third_derivatives():
    x = lm.tensor(3.0)
    with lm.GradientTape() as t3:
        t3.watch(x)
        with lm.GradientTape() as t2:
            t2.watch(x)
            with lm.GradientTape() as t1:
                t1.watch(x)
                y = x ** 4
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    _close(d1, 4 * 27.0)
    _close(d2, 12 * 9.0)
    _close(d3, 24 * 3.0)


def test_second_derivative_with_respect_to_a_variable():
    v = lm.Variable(3.0)
    with lm.GradientTape() as outer:
        with lm.GradientTape() as inner:
            y = v * v * v
        d1 = inner.gradient(y, v)
    d2 = outer.gradient(d1, v)
    _close(d1, 27.0)
    _close(d2, 18.0)


def test_second_derivative_of_a_variable_through_exp():
    v = lm.Variable(1.5)
    with lm.GradientTape() as outer:
        with lm.GradientTape() as inner:
            y = lm.exp(v) * v
        d1 = inner.gradient(y, v)
    d2 = outer.gradient(d1, v)
    _close(d1, np.exp(1.5) * 2.5, rtol=1e-6)
    _close(d2, np.exp(1.5) * 3.5, rtol=1e-6)


def test_persistent_outer_tape_mixed_partials():
    x, y = lm.tensor(2.0), lm.tensor(3.0)
    with lm.GradientTape(persistent=True) as outer:
        outer.watch([x, y])
        with lm.GradientTape() as inner:
            inner.watch([x, y])
            f = x * x * y
        dx, dy = inner.gradient(f, [x, y])
    _close(outer.gradient(dx, x), 2 * 3.0)
    _close(outer.gradient(dx, y), 2 * 2.0)
    _close(outer.gradient(dy, x), 2 * 2.0)
    assert outer.gradient(dy, y) is None


def test_jacobian():  # waits on lm.stack (lamina/ops/shape.py)
    x = lm.tensor([1.0, 2.0, 3.0])
    with lm.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
    jac = tape.jacobian(y, x)
    assert jac.shape == (3, 3)
    _close(jac, np.diag([2.0, 4.0, 6.0]))


def test_jacobian_of_a_matrix_function():  # waits on lm.stack
    w = lm.Variable([[1.0, 2.0], [3.0, 4.0]])
    x = lm.tensor([1.0, -1.0])
    with lm.GradientTape(persistent=True) as tape:
        y = lm.matmul(w, lm.reshape(x, (2, 1)))
    jac = tape.jacobian(y, w)
    assert jac.shape == (2, 1, 2, 2)
    expected = np.zeros((2, 1, 2, 2))
    expected[0, 0, 0] = [1.0, -1.0]
    expected[1, 0, 1] = [1.0, -1.0]
    _close(jac, expected)


def test_jacobian_needs_a_persistent_tape():
    x = lm.tensor([1.0, 2.0])
    with lm.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
    with pytest.raises(RuntimeError, match="persistent=True"):
        tape.jacobian(y, x)


# ---- structure of sources -----------------------------------------------------------------
def test_sources_keep_their_structure():
    a, b, c = lm.tensor(1.0), lm.tensor(2.0), lm.Variable(3.0)
    with lm.GradientTape(persistent=True) as tape:
        tape.watch([a, b])
        y = a * b * c
    as_list = tape.gradient(y, [a, b])
    assert isinstance(as_list, list) and len(as_list) == 2
    as_tuple = tape.gradient(y, (a, c))
    assert isinstance(as_tuple, tuple)
    _close(as_tuple[1], 2.0)
    as_dict = tape.gradient(y, {"first": a, "nested": {"b": b, "c": [c]}})
    assert set(as_dict) == {"first", "nested"}
    assert isinstance(as_dict["nested"]["c"], list)
    _close(as_dict["first"], 6.0)
    _close(as_dict["nested"]["b"], 3.0)
    _close(as_dict["nested"]["c"][0], 2.0)
    _close(tape.gradient(y, b), 3.0)


def test_gradient_rejects_non_tensor_sources():
    x = lm.tensor(1.0)
    with lm.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
    with pytest.raises(TypeError, match="sources.*float"):
        tape.gradient(y, [x, 3.0])


# ---- unconnected gradients ----------------------------------------------------------------
def test_unconnected_gradients_none_and_zero():
    x, unused = lm.tensor([1.0, 2.0]), lm.tensor([[1.0, 2.0, 3.0]])
    with lm.GradientTape(persistent=True) as tape:
        tape.watch([x, unused])
        y = lm.sum(x * x)
    assert tape.gradient(y, unused) is None
    assert tape.gradient(y, unused, unconnected_gradients="none") is None
    zero = tape.gradient(y, unused, unconnected_gradients="zero")
    assert zero.shape == (1, 3) and zero.dtype == lm.float32
    _close(zero, np.zeros((1, 3)))
    _close(tape.gradient(y, x, unconnected_gradients="zero"), [2.0, 4.0])


def test_unconnected_gradients_bad_value():
    x = lm.tensor(1.0)
    with lm.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
    with pytest.raises(ValueError, match="'none' or 'zero'.*'zeros'"):
        tape.gradient(y, x, unconnected_gradients="zeros")


def test_integer_sources_give_none():
    i = lm.tensor([1, 2])
    with lm.GradientTape() as tape:
        tape.watch(i)
        y = lm.sum(lm.cast(i, "float32") * 2.0)
        z = i * i
    assert tape.gradient([y, z], i) is None


def test_gradient_of_a_source_with_respect_to_itself():
    x = lm.tensor([1.0, 2.0])
    with lm.GradientTape() as tape:
        tape.watch(x)
    _close(tape.gradient(x, x), [1.0, 1.0])


# ---- output gradients ---------------------------------------------------------------------
def test_output_gradients_weight_the_target():
    x = lm.tensor([1.0, 2.0, 3.0])
    with lm.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    _close(tape.gradient(y, x, output_gradients=lm.tensor([1.0, 0.0, 2.0])), [2.0, 0.0, 12.0])


def test_output_gradients_for_a_list_of_targets():
    x = lm.tensor([1.0, 2.0])
    with lm.GradientTape() as tape:
        tape.watch(x)
        y1, y2 = x * 2.0, x * x
    g = tape.gradient([y1, y2], x, output_gradients=[lm.ones(2), np.array([1.0, 0.0])])
    _close(g, [4.0, 2.0])


# ---- stopping gradients -------------------------------------------------------------------
def test_stop_gradient():
    x = lm.tensor(3.0)
    with lm.GradientTape() as tape:
        tape.watch(x)
        y = lm.stop_gradient(x) * x
    _close(tape.gradient(y, x), 3.0)  # d/dx [c * x] with c = x held constant


def test_stop_gradient_value_is_unchanged():
    x = lm.tensor([1.0, -2.0])
    np.testing.assert_array_equal(lm.stop_gradient(x).numpy(), x.numpy())


@pytest.mark.parametrize("pause", ["stop_recording", "no_grad"])
def test_ops_in_a_paused_block_are_constants(pause):
    x = lm.tensor(3.0)
    with lm.GradientTape() as tape:
        tape.watch(x)
        with tape.stop_recording() if pause == "stop_recording" else lm.no_grad():
            a = x * x
        y = a * x
    _close(tape.gradient(y, x), 9.0)  # a = 9 held constant


def test_stop_recording_outside_the_block_raises():
    tape = lm.GradientTape()
    with pytest.raises(RuntimeError, match="recording"):
        with tape.stop_recording():
            pass


def test_no_grad_restores_recording():
    x = lm.tensor(2.0)
    with lm.GradientTape() as tape:
        tape.watch(x)
        with lm.no_grad():
            pass
        y = x * x
    _close(tape.gradient(y, x), 4.0)


# ---- functional forms ---------------------------------------------------------------------
def test_grad():
    df = lm.grad(lambda x: x ** 3)
    _close(df(2.0), 12.0)
    _close(df(lm.tensor(3.0)), 27.0)
    _close(lm.grad(lambda x: lm.sum(x * x))(lm.tensor([1.0, 2.0])), [2.0, 4.0])


def test_grad_converts_python_and_integer_arguments_to_float32():
    g = lm.grad(lambda x: x * x)(3)
    assert g.dtype == lm.float32
    _close(g, 6.0)


def test_grad_argnums():
    f = lambda a, b: a * b * b  # noqa: E731
    _close(lm.grad(f)(2.0, 3.0), 9.0)
    _close(lm.grad(f, argnums=1)(2.0, 3.0), 12.0)
    both = lm.grad(f, argnums=(0, 1))(2.0, 3.0)
    assert isinstance(both, tuple) and len(both) == 2
    _close(both[0], 9.0)
    _close(both[1], 12.0)


def test_grad_argnums_out_of_range():
    with pytest.raises(ValueError, match="argnums 2.*1 positional"):
        lm.grad(lambda x: x * x, argnums=2)(1.0)


def test_value_and_grad():
    value, g = lm.value_and_grad(lambda x: x ** 3)(2.0)
    _close(value, 8.0)
    _close(g, 12.0)
    value, (ga, gb) = lm.value_and_grad(lambda a, b: a * b, argnums=(0, 1))(2.0, 5.0)
    _close(value, 10.0)
    _close(ga, 5.0)
    _close(gb, 2.0)


def test_grad_composes():
    f = lambda x: x ** 4  # noqa: E731
    _close(lm.grad(lm.grad(f))(2.0), 12 * 4.0)
    _close(lm.grad(lm.grad(lm.grad(f)))(2.0), 24 * 2.0)
    _close(lm.grad(lm.grad(lm.sin))(0.5), -np.sin(0.5), rtol=1e-6)


def test_grad_of_unused_argument_is_zero():
    g = lm.grad(lambda a, b: a * 2.0, argnums=1)(lm.tensor(1.0), 4.0)
    _close(g, 0.0)


def test_grad_with_a_closed_over_variable():
    w = lm.Variable(2.0)
    _close(lm.grad(lambda x: x * w)(3.0), 2.0)


def test_grad_of_a_non_scalar_output_raises():
    with pytest.raises(TypeError, match=r"scalar.*\(2,\)"):
        lm.grad(lambda x: x * 2.0)(lm.tensor([1.0, 2.0]))


def test_grad_inside_a_tape():
    x = lm.tensor(2.0)
    with lm.GradientTape() as tape:
        tape.watch(x)
        dx = lm.grad(lambda t: t ** 3)(x)
    _close(dx, 12.0)
    _close(tape.gradient(dx, x), 12.0)


# ---- variables changing after the forward pass --------------------------------------------
def test_assign_after_forward_uses_the_recorded_value():
    v = lm.Variable(2.0)
    with lm.GradientTape() as tape:
        y = v * v
    v.assign(10.0)
    _close(tape.gradient(y, v), 4.0)


def test_assign_add_after_forward_uses_the_recorded_value():
    v = lm.Variable([1.0, 2.0])
    with lm.GradientTape() as tape:
        y = lm.sum(lm.exp(v)) + lm.sum(v * v)
    v.assign_add([5.0, 5.0])
    _close(tape.gradient(y, v), np.exp([1.0, 2.0]) + [2.0, 4.0], rtol=1e-6)


def test_assign_inside_the_tape_between_uses():
    v = lm.Variable(2.0)
    with lm.GradientTape() as tape:
        a = v * 3.0      # sees 2
        v.assign(5.0)
        b = v * v        # sees 5
        y = a + b
    _close(y, 6.0 + 25.0)
    _close(tape.gradient(y, v), 3.0 + 10.0)


# ---- memory -------------------------------------------------------------------------------
def test_used_tape_holds_nothing():
    x = lm.tensor([1.0, 2.0])
    with lm.GradientTape() as tape:
        tape.watch(x)
        y = lm.sum(lm.exp(x * 2.0))
    tape.gradient(y, x)
    assert tape._entries == []
    assert not tape._watched
    assert not tape._reads


def test_intermediates_are_freed_after_gradient():
    w = lm.Variable(np.ones((300, 300), np.float32))
    with lm.GradientTape() as tape:
        hidden = w * 2.0
        ref = weakref.ref(hidden)
        loss = lm.sum(lm.tanh(hidden))
        del hidden
    assert ref() is not None      # the tape needs it for the backward pass
    grad = tape.gradient(loss, w)
    gc.collect()
    assert ref() is None
    assert grad.shape == (300, 300)


def test_intermediates_of_a_persistent_tape_are_freed_with_the_tape():
    x = lm.tensor(np.ones((100,), np.float32))
    with lm.GradientTape(persistent=True) as tape:
        tape.watch(x)
        hidden = lm.exp(x)
        ref = weakref.ref(hidden)
        y = lm.sum(hidden * hidden)
        del hidden
    tape.gradient(y, x)
    assert ref() is not None
    del tape
    gc.collect()
    assert ref() is None


def test_tape_is_not_recording_after_the_block():
    x = lm.tensor(2.0)
    with lm.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    z = x * 5.0      # after the block: not recorded
    _close(tape.gradient(y, x), 4.0)
    with lm.GradientTape() as tape2:
        tape2.watch(x)
    assert tape2.gradient(z, x) is None
