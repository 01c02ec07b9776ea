"""The Tensor type itself: construction, dtypes, attributes, numpy interop, factories, errors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, torch

import autograd as ag
from autograd import Tensor

pytestmark = pytest.mark.oracle


# --- construction and dtypes -----------------------------------------------------------------


def test_floating_data_keeps_its_dtype():
    assert Tensor(np.ones(3, dtype=np.float32)).dtype == np.float32
    assert Tensor(np.ones(3, dtype=np.float16)).dtype == np.float16
    assert Tensor(np.ones(3)).dtype == np.float64


@pytest.mark.parametrize("data", [[1, 2, 3], 5, True, [True, False], np.arange(3), np.uint8(7)])
def test_other_numbers_become_float64(data):
    t = Tensor(data)
    assert t.dtype == np.float64
    np.testing.assert_array_equal(t.data, np.asarray(data, dtype=np.float64))


def test_dtype_argument_casts():
    t = Tensor([1, 2], dtype=np.float32)
    assert t.dtype == np.float32
    with pytest.raises(TypeError, match="floating"):
        Tensor([1, 2], dtype=np.int64)


@pytest.mark.parametrize(
    "bad, what",
    [
        ("abc", "str"),
        (["a", "b"], "list"),
        ([1 + 2j], "complex"),
        (object(), "object"),
        ({"a": 1}, "dict"),
    ],
)
def test_non_numeric_data_is_refused_with_a_clear_type_error(bad, what):
    with pytest.raises(TypeError, match=what):
        Tensor(bad)


def test_data_is_copied_from_the_callers_array():
    a = np.ones(3)
    t = Tensor(a)
    a[0] = 5.0
    assert t.data[0] == 1.0


def test_float32_runs_in_float32_end_to_end():
    x = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    w = Tensor(np.full((3, 4), 0.5, dtype=np.float32), requires_grad=True)
    y = ((x @ w).tanh() * 2.0 + 1.0).sigmoid().log_softmax().sum()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_gradient_is_cast_back_to_the_inputs_dtype():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = (x * np.ones(3, dtype=np.float64)).sum()  # numpy promotes the product to float64
    assert y.dtype == np.float64
    y.backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, np.ones(3))


# --- attributes and interop ------------------------------------------------------------------


def test_attributes():
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="w")
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert t.dtype == np.float64 and t.label == "w" and t.requires_grad and t.grad is None
    assert t.T.shape == (3, 2)
    assert Tensor(2.5).item() == 2.5
    assert t.numpy() is t.data
    np.testing.assert_array_equal(np.asarray(t.detach()), t.data)
    with pytest.raises(RuntimeError, match=r"requires grad \(shape \(2, 3\)\).*t.detach\(\)"):
        np.asarray(t)  # numpy would drop the gradient: refused, as in PyTorch
    assert np.sum(np.asarray(Tensor(t.data))) == 15.0
    with pytest.raises(ValueError, match="one-element"):
        t.item()
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))


def test_repr_is_readable():
    assert repr(Tensor([1.0, 2.0])) == "Tensor([1., 2.])"
    assert repr(Tensor([1.0], requires_grad=True)) == "Tensor([1.], requires_grad=True)"
    t = Tensor(np.zeros(2, dtype=np.float32), requires_grad=True) * 2
    assert repr(t) == "Tensor([0., 0.], dtype=float32, op='*')"


def test_numpy_ufuncs_record_when_differentiable():
    x = Tensor([0.5, 1.5], requires_grad=True)
    y = np.exp(x) + np.ones(2) * x  # ndarray on the left still gives a Tensor
    assert isinstance(y, Tensor)
    y.sum().backward()
    assert_close(x.grad, np.exp([0.5, 1.5]) + 1)
    s = np.sign(x)  # piecewise constant: recorded, with gradient zero (as PyTorch)
    assert isinstance(s, Tensor) and s.requires_grad
    assert isinstance(np.isnan(x), np.ndarray) and np.isnan(x).dtype == bool
    with pytest.raises(TypeError, match="numpy.fmod .*not differentiable"):
        np.fmod(x, 2.0)
    assert isinstance(np.fmod(Tensor([1.0]), 2.0), np.ndarray)  # no gradient wanted: an array


def test_comparisons_give_boolean_arrays_outside_the_graph():
    x = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    for result in (x < 0, x <= 0, x > 0, x >= 0, x == 0, x != 0, x > Tensor([0.0, 0.0, 1.0])):
        assert isinstance(result, np.ndarray) and result.dtype == bool
    np.testing.assert_array_equal(x > 0, [False, False, True])
    assert {x: 1}[x] == 1  # still hashable, by identity


def test_detach_and_requires_grad_():
    x = Tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    y = Tensor([1.0]).requires_grad_()
    assert y.requires_grad
    with pytest.raises(RuntimeError, match="leaf"):
        (x * 2).requires_grad_(False)


def test_zero_grad_and_retain_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    assert_close(h.grad, 2 * h.data)
    assert_close(x.grad, 18 * x.data)
    x.zero_grad()
    assert x.grad is None


def test_intermediate_gradients_are_not_kept_by_default():
    x = Tensor([1.0], requires_grad=True)
    h = x * 3
    (h * h).sum().backward()
    assert h.grad is None


# --- factories -------------------------------------------------------------------------------


def test_factories():
    assert ag.zeros(2, 3).shape == (2, 3) and ag.zeros((2, 3)).data.sum() == 0
    assert ag.ones(4, dtype=np.float32).dtype == np.float32
    assert ag.full((2,), 7.0).data.tolist() == [7.0, 7.0]
    assert ag.full(3, 1.5).shape == (3,)
    assert ag.zeros_like(Tensor(np.ones((2, 2), dtype=np.float32))).dtype == np.float32
    assert ag.ones_like(np.arange(3)).dtype == np.float64
    assert ag.arange(4).data.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert ag.arange(1, 2, 0.5).data.tolist() == [1.0, 1.5]
    assert_close(ag.eye(3).data, np.eye(3))
    assert ag.eye(2, 3).shape == (2, 3)
    t = ag.tensor([1, 2], requires_grad=True)
    assert t.requires_grad and t.dtype == np.float64
    for make in (ag.zeros, ag.ones, ag.randn, ag.rand):
        made = make(2, requires_grad=True)
        assert made.requires_grad and made.is_leaf
    with pytest.raises(TypeError, match="floating"):
        ag.zeros(2, dtype=int)


def test_random_factories_are_reproducible_with_a_seed_or_generator():
    a = ag.randn(3, 4, seed=7)
    b = ag.randn((3, 4), seed=7)
    np.testing.assert_array_equal(a.data, b.data)
    g1, g2 = np.random.default_rng(3), np.random.default_rng(3)
    np.testing.assert_array_equal(ag.rand(5, seed=g1).data, ag.rand(5, seed=g2).data)
    r = ag.rand(1000, seed=0).data
    assert r.min() >= 0 and r.max() < 1
    assert ag.randn(2, dtype=np.float32, seed=1).dtype == np.float32


# --- numerical stability ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["softmax", "log_softmax", "logsumexp"])
def test_softmax_family_is_finite_at_large_logits(method):
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]])
    x = Tensor(logits, requires_grad=True)
    out = getattr(x, method)(axis=-1)
    w = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    (out * (w if out.ndim == 2 else w[:, 0])).sum().backward()
    xt = torch.tensor(logits, requires_grad=True)
    ot = getattr(xt, method)(dim=-1)
    (ot * torch.tensor(w if ot.ndim == 2 else w[:, 0])).sum().backward()
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(x.grad))
    assert_close(out.data, ot)
    assert_close(x.grad, xt.grad)


def test_logsumexp_of_all_minus_infinity_is_minus_infinity():
    x = Tensor([-np.inf, -np.inf])
    assert x.logsumexp().item() == -np.inf


def test_sigmoid_is_stable_at_extremes():
    x = Tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
    s = x.sigmoid()
    s.sum().backward()
    np.testing.assert_array_equal(s.data, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(x.grad, [0.0, 0.25, 0.0])


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "op, pattern",
    [
        (lambda a, b: a + b, r"\+: .*\(2, 3\).*\(4,\)"),
        (lambda a, b: a * b, r"\*: .*\(2, 3\).*\(4,\)"),
        (lambda a, b: a @ b, r"@: .*\(2, 3\), \(4,\)"),
        (lambda a, b: ag.concatenate([a, b]), r"concatenate: .*\(2, 3\), \(4,\)"),
        (lambda a, b: ag.maximum(a, b), r"maximum: .*\(2, 3\), \(4,\)"),
        (lambda a, b: ag.linear(a, b.reshape(1, 4)), r"linear: .*\(2, 3\).*\(1, 4\)"),
        (lambda a, b: ag.linear(a, a, b), r"linear: bias of shape \(4,\).*\(2, 3\)"),
    ],
)
def test_incompatible_shapes_name_the_op_and_both_shapes(op, pattern):
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones(4), requires_grad=True)
    with pytest.raises(ValueError, match=pattern):
        op(a, b)


def test_other_bad_arguments():
    t = Tensor(np.ones((2, 3)))
    with pytest.raises(np.exceptions.AxisError):
        t.sum(axis=2)
    with pytest.raises(ValueError, match="repeated axis"):
        t.sum(axis=(0, -2))
    with pytest.raises(TypeError, match="axis must be"):
        t.sum(axis=1.5)
    with pytest.raises(ValueError, match="permutation"):
        t.transpose(0, 0)
    with pytest.raises(ValueError, match="reshape"):
        t.reshape(4, 2)
    with pytest.raises(ValueError, match="at least one"):
        ag.concatenate([])
    with pytest.raises(TypeError, match="boolean"):
        ag.where(np.ones(3), t, t)
    with pytest.raises(TypeError, match="complex"):
        t * 1j
    with pytest.raises(TypeError, match="cannot combine"):
        t + "abc"
    with pytest.raises(ValueError, match="clip needs"):
        t.clip()
    with pytest.raises(IndexError):
        t[5]


def test_stored_gradients_never_alias_each_other_or_the_callers_arrays():
    """backward keeps a gradient without copying only when nobody else holds it."""
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # one gradient array flows to both inputs
    assert a.grad is not b.grad
    a.grad[0] = 100.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])

    seed = np.ones(3)
    for make in (lambda t: t, lambda t: t + 0.0, lambda t: t.reshape(3)):
        x = Tensor(np.ones(3), requires_grad=True)
        make(x).backward(seed)
        x.grad[0] = 7.0
        np.testing.assert_array_equal(seed, np.ones(3))

    w = Tensor(np.ones((2, 2)), requires_grad=True)
    w.reshape(4).backward(np.arange(4.0))  # the rule returns a view of the seed
    assert w.grad.base is None and w.grad.flags.writeable

    keep = Tensor([1.0, 2.0], requires_grad=True)
    h = keep * 3
    h.retain_grad()
    (h * 2).sum().backward()
    h.grad[0] = -1.0
    np.testing.assert_array_equal(keep.grad, [6.0, 6.0])


def test_the_primitives_in_ops_check_their_input_as_the_public_functions_do():
    t = Tensor([1.0, 2.0], requires_grad=True)
    for f in (ag.where, ag.ops.where):
        with pytest.raises(TypeError, match="where: cond must be boolean, got dtype int64"):
            f(np.array([1, 0]), t, 0.0)
    with pytest.raises(TypeError, match="maximum: expected real numbers, got str"):
        ag.ops.maximum(t, "a")
    for f in (ag.ops.concatenate, ag.ops.stack):
        with pytest.raises(ValueError, match="needs at least one tensor"):
            f()
    with pytest.raises(TypeError, match="linear: x and weight must be Tensors or arrays, got list"):
        ag.ops.linear([[1.0, 2.0]], t.reshape(1, 2))
    out = ag.linear([[1.0, 2.0]], t.reshape(1, 2))  # the public function converts the list
    out.sum().backward()
    assert out.data.tolist() == [[5.0]] and t.grad.tolist() == [1.0, 2.0]


def test_gradients_that_are_tensors_still_step_and_draw():
    """After backward(create_graph=True) each .grad is a Tensor that requires grad: the
    optimisers and the drawing read its numbers (np.asarray would refuse it)."""
    import nn

    model = nn.MLP(2, [3, 1], seed=0)
    before = model.layers[0].weight.data.copy()
    loss = (model(Tensor(np.ones((4, 2)))) ** 2).mean()
    loss.backward(create_graph=True)
    grad = model.layers[0].weight.grad
    assert isinstance(grad, Tensor) and grad.requires_grad
    nn.SGD(model.parameters(), lr=0.1).step()
    np.testing.assert_allclose(model.layers[0].weight.data, before - 0.1 * grad.data)
    assert "grad" in ag.draw_graph(loss).source
