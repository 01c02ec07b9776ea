"""Graph control and calculus: backward semantics, no_grad, higher order, functional API,
gradcheck, anomaly detection, user-defined primitives, deep graphs and memory."""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import numpy as np
import pytest
from conftest import assert_close, torch

import autograd as ag
from autograd import Tensor, Value, no_grad, primitive

pytestmark = pytest.mark.oracle


# --- backward --------------------------------------------------------------------------------


def test_backward_seeds_one_on_a_one_element_tensor():
    x = Tensor([[2.0]], requires_grad=True)
    (x * x).backward()
    assert_close(x.grad, [[4.0]])


def test_backward_on_a_non_scalar_needs_a_gradient_of_its_shape():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    with pytest.raises(RuntimeError, match=r"one-element tensor.*shape \(2,\).*gradient="):
        y.backward()
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\).*shape \(2,\)"):
        y.backward(np.ones(3))
    assert x.grad is None  # a refused backward leaves the gradients alone
    y.backward(np.array([1.0, -1.0]))
    assert_close(x.grad, [3.0, -3.0])


def test_backward_on_a_tensor_that_does_not_require_grad_says_so():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor([1.0]) * 2).backward()


def test_gradients_of_broadcast_operands_are_summed_to_their_shape():
    a = Tensor(np.ones((3, 1)), requires_grad=True)
    b = Tensor(np.arange(4.0), requires_grad=True)
    c = Tensor(2.0, requires_grad=True)
    (a * b * c).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,) and c.grad.shape == ()
    assert_close(a.grad, np.full((3, 1), 12.0))
    assert_close(b.grad, np.full(4, 6.0))
    assert_close(c.grad, 18.0)


def test_backward_twice_accumulates_and_retain_graph_false_frees_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()
    assert_close(x.grad, 4 * x.data)
    z = (x * x).sum()
    x.zero_grad()
    z.backward(retain_graph=False)
    assert_close(x.grad, 2 * x.data)
    with pytest.raises(RuntimeError, match="retain_graph=False.*freed"):
        z.backward()


def test_a_failed_backward_leaves_no_pending_gradient_behind():
    @primitive
    def explode(x):
        return x * 1.0

    explode.defvjp(lambda g, out, x: 1 / 0)
    x = Tensor([1.0], requires_grad=True)
    y = explode(x * 2) + x
    with pytest.raises(ZeroDivisionError):
        y.sum().backward()
    (x * 5).sum().backward()
    assert_close(x.grad, [5.0])


def test_retain_graph_false_releases_activations_during_backward():
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    kept, freed = (x * 2.0).relu(), (x * 3.0).relu()
    kept_ref, freed_ref = weakref.ref(kept), weakref.ref(freed)
    loss_kept, loss_freed = kept.sum(), freed.sum()
    del kept, freed
    loss_kept.backward()
    loss_freed.backward(retain_graph=False)
    assert kept_ref() is not None  # the default keeps the graph for as long as the loss lives
    assert freed_ref() is None  # released by backward itself, while the loss is still alive
    assert_close(x.grad, np.full((4, 3), 5.0))


def test_requires_grad_propagates_and_constants_get_no_gradient():
    x = Tensor([1.0], requires_grad=True)
    c = Tensor([2.0])
    assert (x * c).requires_grad and not (c * c).requires_grad
    (x * c).sum().backward()
    assert c.grad is None


def test_toposort_lists_each_node_once_consumers_first():
    from autograd.graph import toposort

    a = Value(1.0)
    b = a * 2
    c = a + b
    d = b * c
    order = toposort(d)
    assert order[0] is d and order[-1] is a and len(order) == 4
    assert order.index(c) < order.index(b) < order.index(a)


# --- no_grad ---------------------------------------------------------------------------------


def test_no_grad_context_records_nothing():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = x * 2
        assert not ag.is_grad_enabled()
        with ag.enable_grad():
            assert (x * 2).requires_grad
    assert ag.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_no_grad_decorator_and_restoration_after_an_error():
    @no_grad()
    def f(t):
        return t * 2

    assert not f(Tensor([1.0], requires_grad=True)).requires_grad
    with pytest.raises(ZeroDivisionError), no_grad():
        1 / 0
    assert ag.is_grad_enabled()


# --- higher order ----------------------------------------------------------------------------


def test_create_graph_gives_derivatives_of_every_order():
    """f(x) = x**3 at 2: 12, 12, 6."""
    x = Tensor(2.0, requires_grad=True)
    (x**3).backward(create_graph=True)
    g1 = x.grad
    assert isinstance(g1, Tensor) and g1.item() == 12.0
    x.grad = None
    g1.backward(create_graph=True)
    g2 = x.grad
    assert g2.item() == 12.0
    x.grad = None
    g2.backward()
    assert x.grad == 6.0


def test_functional_grad_composes():
    def f(x):
        return x**3

    assert ag.grad(f)(2.0) == 12.0
    assert ag.grad(ag.grad(f))(2.0) == 12.0
    assert ag.grad(ag.grad(ag.grad(f)))(2.0) == 6.0
    assert np.asarray(ag.grad(f)(2.0)).shape == ()


def test_grad_with_argnums_and_value_and_grad():
    def f(a, b, scale):
        return (a * b).sum() * scale

    a, b = np.array([1.0, 2.0]), np.array([[3.0], [4.0]])
    ga, gb = ag.grad(f, argnums=(0, 1))(a, b, 2.0)
    assert_close(ga, [14.0, 14.0])
    assert_close(gb, [[6.0], [6.0]])
    value, g = ag.value_and_grad(f)(a, b, 2.0)
    assert_close(value, 42.0)
    assert_close(g, ga)
    assert_close(ag.grad(f, argnums=2)(a, b, 2.0), 21.0)
    assert_close(ag.grad(lambda x: (x * 0).sum() + 1.0)(np.ones(2)), [0.0, 0.0])
    assert_close(ag.grad(lambda x, y: (y * y).sum())(np.ones(2), Tensor([3.0])), [0.0, 0.0])


def test_functional_api_leaves_user_gradients_alone():
    x = Tensor([1.0, 2.0], requires_grad=True)
    g = ag.grad(lambda t: (t * t).sum())(x)
    assert_close(g, [2.0, 4.0])
    assert x.grad is None


def test_grad_refuses_non_scalar_output_and_bad_argnums():
    with pytest.raises(TypeError, match=r"one-element Tensor.*shape \(2,\)"):
        ag.grad(lambda x: x * 2)(np.ones(2))
    with pytest.raises(TypeError, match="one-element Tensor"):
        ag.grad(lambda x: 3.0)(np.ones(2))
    with pytest.raises(IndexError, match="argnums 3"):
        ag.grad(lambda x: x.sum(), argnums=3)(np.ones(2))
    with pytest.raises(TypeError, match="argnums"):
        ag.grad(lambda x: x.sum(), argnums=())


def _smooth(x):
    return (x.tanh() * x).sum() + (x[0] * x[1]) ** 2 + x.logsumexp()


def _smooth_torch(x):
    return (x.tanh() * x).sum() + (x[0] * x[1]) ** 2 + x.logsumexp(0)


def test_jacobian_and_hessian_match_torch_autograd_functional():
    x = np.array([0.3, -1.2, 0.8])
    assert_close(
        ag.hessian(_smooth)(x),
        torch.autograd.functional.hessian(_smooth_torch, torch.tensor(x)),
    )

    def vec(t):
        return (t.softmax() * t).reshape(3, 1) * t

    def vec_torch(t):
        return (t.softmax(-1) * t).reshape(3, 1) * t

    assert_close(
        ag.jacobian(vec)(x), torch.autograd.functional.jacobian(vec_torch, torch.tensor(x))
    )
    assert ag.jacobian(vec)(x).shape == (3, 3, 3)
    m = np.arange(6.0).reshape(2, 3) / 5
    assert_close(
        ag.jacobian(lambda t: (t @ t.T).exp())(m),
        torch.autograd.functional.jacobian(lambda t: (t @ t.T).exp(), torch.tensor(m)),
    )


def test_hessian_of_a_quadratic_is_its_matrix():
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    h = ag.hessian(lambda x: 0.5 * (x @ (a @ x)))(np.array([0.4, -2.0]))
    assert_close(h, a)


# --- gradcheck -------------------------------------------------------------------------------


def _scaled_square(error):
    @primitive
    def square(x):
        return x * x

    square.defvjp(lambda g, out, x: g * 2 * x * (1 + error))
    return square


def test_gradcheck_passes_a_correct_rule():
    assert ag.gradcheck(_scaled_square(0.0), np.array([0.5, -1.5, 2.0]))


def test_gradcheck_catches_a_one_percent_error_at_default_tolerances():
    with pytest.raises(ag.GradcheckError, match=r"input 0 at index \(0,\).*analytic.*numeric"):
        ag.gradcheck(_scaled_square(0.01), np.array([0.5, -1.5, 2.0]))


def test_gradcheck_catches_a_tenth_of_a_percent_error_at_tight_tolerances():
    square = _scaled_square(0.001)
    with pytest.raises(ag.GradcheckError, match=r"analytic 1\.001, numeric 1 "):
        ag.gradcheck(square, np.array([0.5]), atol=1e-8, rtol=1e-5)
    assert ag.gradcheck(_scaled_square(0.0), np.array([0.5]), atol=1e-8, rtol=1e-5)


def test_gradcheck_names_the_input_and_index():
    square = _scaled_square(0.05)
    with pytest.raises(ag.GradcheckError, match=r"input 1 at index \(1, 0\)"):
        ag.gradcheck(lambda a, b: a + square(b), (np.zeros(2), np.array([[0.0], [1.0]])))


def test_gradcheck_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        ag.gradcheck(lambda x: x * 2, np.ones(2, dtype=np.float32))


# --- detect_anomaly --------------------------------------------------------------------------


def test_detect_anomaly_names_the_forward_op():
    x = Tensor([-1.0, 1.0], requires_grad=True)
    expected = pytest.raises(ag.AnomalyError, match="sqrt forward produced nan")
    with ag.detect_anomaly(), np.errstate(invalid="ignore"), expected:
        x.sqrt()
    with np.errstate(invalid="ignore"):
        assert np.isnan(x.sqrt().data[0])  # outside, nan flows as in numpy


def test_detect_anomaly_names_the_backward_op():
    x = Tensor([0.0, 1.0], requires_grad=True)
    y = x.sqrt().sum()  # finite forward, infinite derivative at 0
    expected = pytest.raises(ag.AnomalyError, match=r"sqrt backward \(gradient of input 0\)")
    with ag.detect_anomaly(), np.errstate(divide="ignore"), expected:
        y.backward()
    assert x.grad is None


# --- user-defined primitives -----------------------------------------------------------------


def test_a_user_primitive_works_like_a_builtin():
    @primitive
    def cube(x):
        return x**3

    cube.defvjp(lambda g, out, x: 3 * x**2 * g)
    x = Tensor([1.0, -2.0], requires_grad=True)
    cube(x).sum().backward()
    assert_close(x.grad, [3.0, 12.0])
    assert ag.gradcheck(cube, np.array([0.7, -1.1]))
    assert ag.grad(ag.grad(lambda t: cube(t)))(2.0) == 12.0  # its rule is differentiable too
    assert_close(cube(np.array([2.0])), [8.0])  # on plain arrays it is the plain function


def test_a_primitive_without_a_rule_is_a_clear_error():
    @primitive
    def floor_like(x):
        return x - x % 1

    y = floor_like(Tensor([1.5], requires_grad=True))
    with pytest.raises(NotImplementedError, match=r"floor_like: no VJP rule.*defvjp"):
        y.sum().backward()


def test_a_rule_of_the_wrong_shape_is_a_clear_error():
    @primitive
    def bad(x):
        return x * 2

    bad.defvjp(lambda g, out, x: np.ones(5))
    with pytest.raises(ValueError, match=r"bad: VJP rule returned .*\(5,\).*\(3,\)"):
        bad(Tensor(np.ones(3), requires_grad=True)).sum().backward()


def test_a_rule_for_a_non_differentiable_input_is_refused():
    scaled = ag.primitive(lambda c, x: c * x, name="scaled")
    scaled.defvjp(None, lambda g, out, c, x: g * c)
    out = scaled(Tensor([2.0], requires_grad=True), Tensor([3.0], requires_grad=True))
    with pytest.raises(TypeError, match=r"scaled: not differentiable with respect to input 0"):
        out.sum().backward()
    with pytest.raises(TypeError, match="where: cond must be boolean, got dtype float64"):
        ag.ops.where(Tensor([1.0], requires_grad=True), 1.0, 2.0)  # checked before recording


def test_value_and_tensor_do_not_mix_in_one_primitive():
    with pytest.raises(TypeError, match="cannot mix Value and Tensor"):
        ag.ops.add(Value(1.0), Tensor([1.0]))


# --- deep graphs and memory ------------------------------------------------------------------


@pytest.mark.slow
def test_deep_tensor_chain_runs_backward():
    x = Tensor(np.ones(3), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert_close(x.grad, np.ones(3))


def test_dropping_the_output_frees_the_graph_without_the_cycle_collector():
    gc.collect()
    gc.disable()
    try:
        x = Tensor(np.ones(4), requires_grad=True)
        h = (x * 2).tanh()
        out = (h @ h).exp()
        out.backward(create_graph=True)
        refs = [weakref.ref(n) for n in (out, h)]
        del out, h
        x.grad = None
        assert all(r() is None for r in refs)
    finally:
        gc.enable()


def test_training_loop_memory_stays_flat():
    rng = np.random.default_rng(0)
    w = Tensor(rng.normal(size=(50, 50)), requires_grad=True)
    xb = rng.normal(size=(32, 50))

    def step():
        loss = ((xb @ w).tanh() ** 2).mean()
        loss.backward()
        with no_grad():
            w.data -= 0.01 * w.grad
        w.zero_grad()

    gc.disable()
    try:
        for _ in range(20):
            step()
        tracemalloc.start()
        for _ in range(50):
            step()
        base, _ = tracemalloc.get_traced_memory()
        for _ in range(200):
            step()
        now, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        gc.enable()
    assert now - base < 50_000  # bytes: no graph is kept from step to step
