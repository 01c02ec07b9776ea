"""The engine's contract off the happy path: the gradient PyTorch gives, or a clear error.

Values changed between forward and backward, in-place operators and item assignment, inputs
named twice, gradients that could share memory, and derivatives nested inside derivatives.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import assert_close, torch

import nn
from autograd import (
    Tensor,
    Value,
    grad,
    gradients,
    hessian,
    is_grad_enabled,
    jacobian,
    mark_dirty,
    no_grad,
    primitive,
)
from autograd import value_and_grad as vg

# --- 1. values changed between forward and backward -------------------------------------------


def _square_sum():
    x = Tensor([1.0, 2.0], requires_grad=True, label="x")
    return x, (x * x).sum()


@pytest.mark.parametrize(
    "change",
    [
        "data_iadd",
        "data_assign",
        "data_assign_same",
        "iadd_no_grad",
        "setitem_no_grad",
        "optimizer",
    ],
)
def test_backward_refuses_a_graph_whose_input_changed_through_the_library(change):
    x, y = _square_sum()
    if change == "data_iadd":
        x.data += 1
    elif change == "data_assign":
        x.data = np.array([5.0, 6.0])
    elif change == "data_assign_same":
        x.data = x.data  # an explicit "I changed it"
    elif change == "iadd_no_grad":
        with no_grad():
            x += 1
    elif change == "setitem_no_grad":
        with no_grad():
            x[0] = 5.0
    else:
        x.grad = np.ones(2)
        nn.SGD([x], lr=0.1).step()
    assert x.version == 1
    with pytest.raises(RuntimeError, match=r"backward through '\*'.*input 0.*label 'x'.*version 1"):
        y.backward()
    assert x.grad is None or change == "optimizer"  # a refused backward stores nothing


def test_the_optimiser_case_second_backward_after_a_step_is_refused():
    model = nn.MLP(2, [3, 1], seed=0)
    opt = nn.SGD(model.parameters(), lr=0.1)
    loss = model(np.ones((4, 2))).sum()
    loss.backward()
    opt.step()
    with pytest.raises(RuntimeError, match="changed in place after the operation used it"):
        loss.backward()


def test_a_changed_input_that_needs_no_grad_is_caught_too():
    """w * x reads x for w's gradient: x changing must be seen although x is data."""
    w = Tensor([1.0, 2.0], requires_grad=True)
    x = Tensor([3.0, 4.0])
    y = (w * x).sum()
    x += 1  # allowed: x requires no grad
    with pytest.raises(RuntimeError, match="input 1"):
        y.backward()


def test_a_changed_result_is_caught():
    x = Tensor([1.0, 2.0], requires_grad=True)
    e = x.exp()  # exp's rule reads its own result
    with no_grad():
        e *= 2
    with pytest.raises(RuntimeError, match="backward through 'exp': its result"):
        e.backward(np.ones(2))


def test_views_and_detached_tensors_share_the_version():
    x = Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = (x * x).sum()
    with no_grad():
        v = x.reshape(2, 2)
    v += 1  # v requires no grad, but its memory is x's
    assert x.data[0] == 2.0 and x.version == v.version == 1
    with pytest.raises(RuntimeError, match="changed in place"):
        y.backward()

    x2 = Tensor([1.0, 2.0], requires_grad=True)
    y2 = (x2 * x2).sum()
    d = x2.detach()
    d[0] = 7.0
    with pytest.raises(RuntimeError, match="changed in place"):
        y2.backward()


def test_changes_before_the_forward_and_after_the_backward_are_fine():
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.data += 1  # before the forward: the graph sees the new values
    y = (x * x).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 6.0])
    x.data += 1  # after: nothing left to check
    assert x.version == 2


def test_micrograd_update_through_data_keeps_working():
    w = Tensor([1.0, -1.0], requires_grad=True)
    for _ in range(3):
        loss = (w * w).sum()
        w.grad = None
        loss.backward()
        w.data += -0.25 * w.grad
    np.testing.assert_allclose(w.data, [0.125, -0.125])


def test_writing_into_the_raw_array_is_the_documented_escape_hatch():
    """`t.data[i] = v` bypasses the library (as `.data` does in PyTorch): not seen."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    x.data[0] = 10.0
    y.backward()
    np.testing.assert_array_equal(x.grad, [20.0, 4.0])  # the gradient at the new values
    assert x.version == 0


def test_value_rules_read_the_numbers_captured_when_recorded():
    """Value needs no versions: its rules read floats captured at record time."""
    a = Value(3.0)
    b = a * a
    a.data = 100.0
    b.backward()
    assert a.grad == 6.0


# --- 2. in-place operators and item assignment -------------------------------------------------


def test_manual_update_in_no_grad_changes_the_parameter_itself():
    p = Tensor([1.0, 2.0], requires_grad=True)
    model_holds = p
    array = p.data
    (p * p).sum().backward()
    with no_grad():
        p -= 0.5 * p.grad
    assert p is model_holds and p.data is array and p.version == 1
    np.testing.assert_array_equal(model_holds.data, [0.0, 0.0])
    assert p.requires_grad and p.is_leaf


@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/=", "**="])
def test_every_inplace_operator_changes_in_place_under_the_same_rules(op):
    t = Tensor([1.0, 2.0, 4.0])
    array = t.data
    namespace = {"t": t}
    exec(f"t {op} 2.0", namespace)
    assert namespace["t"] is t and t.data is array and t.version == 1
    expected = {"+=": [3, 4, 6], "-=": [-1, 0, 2], "*=": [2, 4, 8], "/=": [0.5, 1, 2]}
    expected["**="] = [1, 4, 16]
    np.testing.assert_array_equal(t.data, expected[op])
    leaf = Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=re.escape(f"in-place {op} on a leaf")):
        exec(f"leaf {op} 2.0", {"leaf": leaf})
    np.testing.assert_array_equal(leaf.data, [1.0])


def test_inplace_on_a_recorded_result_is_refused_with_the_fix():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"made by '\*'.*`y = y \+ \.\.\.`"):
        y += 1
    np.testing.assert_array_equal(y.data, [2.0, 4.0])


def test_inplace_taking_in_a_gradient_is_refused():
    a = Tensor([1.0, 2.0])
    b = Tensor([1.0, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="right-hand side requires grad"):
        a += b
    with pytest.raises(RuntimeError, match="right-hand side requires grad"):
        a[0] = b[0]
    np.testing.assert_array_equal(a.data, [1.0, 2.0])
    with no_grad():
        a += b  # outside recording there is no gradient to lose
    np.testing.assert_array_equal(a.data, [2.0, 3.0])


def test_item_assignment_follows_the_same_rules_and_refuses_cleanly():
    t = Tensor(np.zeros((2, 3)))
    t[0, 1] = 5.0
    t[1] = Tensor([1.0, 2.0, 3.0])
    t[:, 2] = [7.0, 8.0]
    np.testing.assert_array_equal(t.data, [[0, 5, 7], [1, 2, 8]])
    assert t.version == 3
    with pytest.raises(ValueError, match=r"item assignment into a Tensor of shape \(2, 3\)"):
        t[0] = [1.0, 2.0]  # wrong shape: nothing changes
    np.testing.assert_array_equal(t.data, [[0, 5, 7], [1, 2, 8]])
    assert t.version == 3
    p = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        p[0] = 0.0
    with no_grad():
        p[0] = 0.0
    np.testing.assert_array_equal(p.data, [0.0, 2.0])
    y = p * 1.0
    with pytest.raises(RuntimeError, match="where"):
        y[0] = 3.0


def test_inplace_with_a_wrong_shape_leaves_the_tensor_unchanged():
    t = Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"in-place \+= on a Tensor of shape \(2,\)"):
        t += np.ones((3, 2))
    np.testing.assert_array_equal(t.data, [1.0, 2.0])
    assert t.version == 0


def test_inplace_keeps_float32_and_broadcasts_the_operand():
    t = Tensor(np.ones((2, 2), dtype=np.float32))
    t += np.array([1.0, 2.0])  # float64 operand, cast as numpy's same_kind allows
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.data, [[2, 3], [2, 3]])


# --- 4. repeated inputs -----------------------------------------------------------------------


def test_gradients_answers_every_slot_of_a_repeated_input():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Tensor([3.0], requires_grad=True)
    out = (x * x).sum() + y.sum()
    gx1, gy, gx2 = gradients(out, [x, y, x])
    np.testing.assert_array_equal(gx1, [2.0, 4.0])
    np.testing.assert_array_equal(gx2, [2.0, 4.0])
    np.testing.assert_array_equal(gy, [1.0])
    assert not np.shares_memory(gx1, gx2)


def test_grad_with_repeated_argnums_returns_arrays_in_every_slot():
    f = lambda x, y: (x * x * y).sum()  # noqa: E731
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    g0, g0b, g1 = grad(f, argnums=(0, 0, 1))(x, y)
    for g in (g0, g0b, g1):
        assert type(g) is np.ndarray
    np.testing.assert_array_equal(g0, 2 * x * y)
    np.testing.assert_array_equal(g0b, 2 * x * y)
    np.testing.assert_array_equal(g1, x * x)
    value, (h0, h1) = vg(f, argnums=(1, -1))(x, y)
    assert value == f(x, y) and type(h0) is np.ndarray
    np.testing.assert_array_equal(h0, h1)


# --- aliasing: no .grad shares memory with anything -------------------------------------------


def test_retained_gradient_and_leaf_gradient_never_share_memory():
    x = Tensor([1.0, 2.0], requires_grad=True)
    z = x + 0.0
    z.retain_grad()
    z.sum().backward()
    assert not np.shares_memory(x.grad, z.grad)
    x.grad *= 0
    np.testing.assert_array_equal(z.grad, [1.0, 1.0])


def test_one_gradient_sent_to_two_leaves_is_stored_twice():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a + b).backward(np.array([1.0, -1.0]))
    assert not np.shares_memory(a.grad, b.grad)


def test_gradient_never_aliases_the_users_seed_or_the_graphs_data():
    seed = np.array([1.0, 2.0])
    x = Tensor([5.0, 6.0], requires_grad=True)
    x.backward(seed)
    assert not np.shares_memory(x.grad, seed)
    seed[0] = 100.0
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])

    @primitive
    def passthrough(v):
        return v * 1.0

    passthrough.defvjp(lambda g, out, v: out)  # a (wrong) rule handing back graph data
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = passthrough(w)
    y.backward(np.ones(2))
    assert not np.shares_memory(w.grad, y.data)
    (got,) = gradients(y, [w], np.ones(2))
    assert not np.shares_memory(got, y.data) and not np.shares_memory(got, w.grad)


def test_create_graph_gradients_are_separate_tensors():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a * 1.0 + b).sum().backward(create_graph=True)
    assert a.grad is not b.grad and not np.shares_memory(a.grad.data, b.grad.data)


# --- 6. derivatives nested in derivatives ------------------------------------------------------


def test_inner_grad_closing_over_the_outer_variable_is_differentiated():
    """x * d/dy (x y) is x * x: its derivative at 1.5 is 3 (HIPS autograd, JAX)."""
    fun = lambda x: x * grad(lambda y: x * y)(2.0)  # noqa: E731
    assert grad(fun)(1.5) == pytest.approx(3.0, abs=1e-15)


def test_no_perturbation_confusion():
    """d/dx [x * (d/dy (x + y) at y = x)] = d/dx [x * 1] = 1 (Siskind and Pearlmutter)."""
    f = lambda x: x * grad(lambda y: x + y)(x)  # noqa: E731
    assert grad(f)(1.5) == pytest.approx(1.0, abs=1e-15)
    g = lambda x: grad(lambda y: x * y * y)(x)  # 2 x y at y = x: 2 x**2, derivative 4 x
    assert grad(g)(2.0) == pytest.approx(8.0, abs=1e-14)


def test_mixed_argnums_nest_in_any_order():
    f = lambda x, y: x**3 * y**2  # noqa: E731
    x, y = 1.5, 2.0
    assert grad(grad(grad(f, 0), 1), 0)(x, y) == pytest.approx(6 * x * 2 * y)
    assert grad(grad(f, 1), 0)(x, y) == pytest.approx(3 * x**2 * 2 * y)
    assert grad(grad(f, 0), 1)(x, y) == pytest.approx(3 * x**2 * 2 * y)
    assert grad(grad(grad(f, 1), 1), 0)(x, y) == pytest.approx(3 * x**2 * 2)


def test_nested_results_are_arrays_only_at_the_top_level():
    seen = []

    def inner(x):
        g = grad(lambda y: (y**3).sum())(x)
        seen.append(type(g))
        return (g * x).sum()

    top = grad(inner)(np.array([1.0, 2.0]))
    assert type(top) is np.ndarray and seen == [Tensor]
    np.testing.assert_allclose(top, 9 * np.array([1.0, 2.0]) ** 2)  # d/dx 3 x**3


def test_hessian_and_jacobian_of_closures_match_torch():
    a = np.array([0.5, -1.0, 2.0])
    # the inner gradient is 2 x y at y = x, so f is sum(2 x**3) + sum(x**3)
    f = lambda x: (x * grad(lambda y: (x * y * y).sum())(x)).sum() + (x**3).sum()  # noqa: E731
    ours = hessian(f)(a)
    t = torch.tensor(a, requires_grad=True)
    expected = torch.autograd.functional.hessian(lambda x: (2 * x**3).sum() + (x**3).sum(), t)
    assert_close(ours, expected)
    jac = jacobian(lambda x: grad(lambda y: (y**2 * x).sum())(x))(a)
    assert_close(jac, np.diag(4 * a))


def test_numpy_out_argument_is_a_change_in_place_under_the_same_rules():
    t = Tensor([1.0, 2.0])
    assert np.add(t, 1.0, out=t) is t
    np.testing.assert_array_equal(t.data, [2.0, 3.0])
    assert t.version == 1
    p = Tensor([1.0, 2.0], requires_grad=True)
    y = (p * p).sum()
    with pytest.raises(RuntimeError, match=r"numpy.multiply\(\.\.\., out=\) on a leaf"):
        np.multiply(p, 2.0, out=p)
    with no_grad():
        np.multiply(p, 2.0, out=p)
    with pytest.raises(RuntimeError, match="changed in place"):
        y.backward()


def test_create_graph_inside_no_grad_still_gives_differentiable_gradients():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x * x).sum()
    with no_grad():
        y.backward(create_graph=True)
    assert x.grad.requires_grad
    (second,) = gradients(x.grad.sum(), [x])
    np.testing.assert_array_equal(second, 6 * x.data)


def test_copies_of_tensors_and_models_are_leaves_with_the_same_numbers():
    import copy
    import pickle

    model = nn.MLP(2, [3, 1], seed=0)
    twin = copy.deepcopy(model)
    for a, b in zip(model.parameters(), twin.parameters(), strict=True):
        assert a is not b and b.requires_grad and b.is_leaf
        np.testing.assert_array_equal(a.data, b.data)
        assert not np.shares_memory(a.data, b.data)
    x = Tensor([1.0, 2.0], requires_grad=True, label="x")
    y = pickle.loads(pickle.dumps(x * 2))
    assert y.is_leaf and y.label == "" and y.requires_grad
    v = copy.copy(Value(2.5, label="v"))
    assert v.data == 2.5 and v.label == "v"


def test_a_fresh_gradient_is_stored_without_a_copy():
    """The no-copy path is real (and private: the aliasing tests above): a gradient that a rule
    made fresh becomes `.grad` itself, as in PyTorch."""
    from autograd import graph

    copies = []
    real = graph.copy
    graph.copy = lambda g: copies.append(g) or real(g)
    try:
        x = Tensor([1.0, 2.0], requires_grad=True)
        (x * 3.0).sum().backward()
        assert copies == []
        a = Tensor([1.0, 2.0], requires_grad=True)
        b = Tensor([1.0, 2.0], requires_grad=True)
        (a + b).sum().backward()  # one array sent to two leaves: the second needs its own
        assert len(copies) >= 1
    finally:
        graph.copy = real


def test_a_replaced_input_that_needs_no_grad_is_named_in_the_error():
    w = Tensor([1.0, 2.0], requires_grad=True)
    x = Tensor([3.0, 4.0], label="data")
    y = (w * x).sum()
    x.data = np.array([0.0, 0.0])
    with pytest.raises(RuntimeError, match="one of its inputs that needs no grad.*'data'"):
        y.backward()


def test_mark_dirty_turns_a_direct_write_into_a_counted_change():
    x = Tensor([1.0, 2.0], requires_grad=True)
    w = Tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    x.data[0] = 9.0  # invisible until counted
    mark_dirty(x, w)
    assert (x.version, w.version) == (1, 1)
    with pytest.raises(RuntimeError, match="changed in place"):
        y.backward()


# --- found by review: each of these was a silent wrong number or an unclear failure -----------


def test_ufunc_at_on_a_tensor_is_a_counted_change():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = Tensor([1.0, 1.0, 1.0])
    y = (w * c).sum()
    np.add.at(c, [0, 0], 5.0)
    np.testing.assert_array_equal(c.data, [11.0, 1.0, 1.0])
    assert c.version == 1
    with pytest.raises(RuntimeError, match="changed in place"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"numpy.add.at\(t, \.\.\.\) on a leaf"):
        np.add.at(w, [0], 5.0)


def test_a_results_number_cannot_change_under_its_rule():
    a = Value(0.5)
    c = a.tanh()
    with pytest.raises(RuntimeError, match="cannot change .data of a Value made by 'tanh'"):
        c.data = 0.0
    (c * 1.0).backward()
    assert a.grad == pytest.approx(1 - np.tanh(0.5) ** 2)


def test_data_assigned_from_another_tensor_shares_its_version():
    a = Tensor([1.0, 2.0, 3.0])
    t = Tensor(np.zeros(3), requires_grad=True)
    t.data = a
    y = (t * t).sum()
    a += 10.0
    with pytest.raises(RuntimeError, match="changed in place"):
        y.backward()


def test_a_seed_that_requires_grad_takes_part_under_create_graph():
    """The double-backward trick: d/du of (u^T J) is J^T applied to ones: a JVP."""
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    u = Tensor(np.zeros(3), requires_grad=True)
    (vjp,) = gradients(x**3, [x], gradient=u, create_graph=True)
    (jvp,) = gradients(vjp, [u], gradient=np.ones(3))
    np.testing.assert_allclose(jvp, 3 * x.data**2)
    y = x**2
    y.backward(u, create_graph=True)
    x.grad.sum().backward()
    np.testing.assert_allclose(u.grad, 2 * x.data)


def test_value_division_by_a_tiny_number_has_a_finite_gradient():
    a, b = Value(1e-170), Value(1e-170)
    (a / b).backward()
    assert b.grad == pytest.approx(-1e170)


def test_no_grad_on_a_generator_holds_while_the_generator_runs():
    w = Tensor([1.0], requires_grad=True)

    @no_grad()
    def evaluate():
        for _ in range(2):
            yield (w * 2).requires_grad, is_grad_enabled()

    assert list(evaluate()) == [(False, False), (False, False)]
    assert is_grad_enabled() and (w * 2).requires_grad


def test_a_copied_context_keeps_its_mode_consistently():
    import asyncio
    import contextvars

    w = Tensor([1.0], requires_grad=True)
    with no_grad():
        ctx = contextvars.copy_context()
    assert ctx.run(lambda: ((w * 2).requires_grad, is_grad_enabled())) == (False, False)

    async def work():
        await asyncio.sleep(0)
        return (w * 2).requires_grad, is_grad_enabled()

    async def main():
        with no_grad():
            task = asyncio.ensure_future(work())
        return await task

    assert asyncio.run(main()) == (False, False)


def test_one_switch_instance_shared_by_interleaved_tasks_restores_each_tasks_mode():
    import asyncio

    shared = no_grad()

    async def task(first: bool):
        with shared:
            await asyncio.sleep(0 if first else 0.01)
        return is_grad_enabled()

    async def main():
        return await asyncio.gather(task(True), task(False))

    assert asyncio.run(main()) == [True, True]


def test_mark_dirty_names_what_it_cannot_count():
    with pytest.raises(TypeError, match="mark_dirty takes Tensors, got Value"):
        mark_dirty(Value(1.0))


def test_a_0d_leaf_used_twice_gets_an_array_gradient():
    x = Tensor(2.0, requires_grad=True)
    (x * x + x).backward()
    assert type(x.grad) is np.ndarray and x.grad.shape == () and x.grad == 5.0
    x.backward()
    assert type(x.grad) is np.ndarray and x.grad == 6.0
