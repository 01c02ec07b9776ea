"""Hypothesis-generated shapes and values: broadcasting binary ops, unary ops and reductions
against PyTorch, and algebraic identities of the engine."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import Tensor

torch = pytest.importorskip("torch", reason="PyTorch, the oracle, is not installed")
pytestmark = pytest.mark.oracle
settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True)
settings.load_profile("ci")

FLOATS = st.floats(-3.0, 3.0, allow_nan=False, width=64)


def _nonzero(x: np.ndarray) -> np.ndarray:
    """Nudge values away from 0, where relu, abs and division have kinks or poles."""
    return np.where(np.abs(x) < 0.05, 0.5, x)


BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "maximum": (ag.maximum, torch.maximum),
    "minimum": (ag.minimum, torch.minimum),
}


@st.composite
def broadcastable_pair(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=4))
    a = draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=FLOATS))
    b = draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=FLOATS))
    return a, _nonzero(b)


@pytest.mark.parametrize("name", list(BINARY))
@given(pair=broadcastable_pair())
def test_broadcasting_binary_ops_match_torch(name, pair):
    ours, theirs = BINARY[name]
    a, b = pair
    if name in ("maximum", "minimum"):
        b = np.where(np.isclose(a, b), b + 0.25, b)  # keep clear of ties for the comparison
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    out = ours(x, y)
    seed = np.cos(np.arange(out.size)).reshape(out.shape)
    out.backward(seed)
    xt, yt = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ot = theirs(xt, yt)
    ot.backward(torch.tensor(seed))
    assert_close(out.data, ot)
    assert_close(x.grad, xt.grad)
    assert_close(y.grad, yt.grad)


UNARY = {
    "exp": (lambda t: t.exp(), torch.exp),
    "tanh": (lambda t: t.tanh(), torch.tanh),
    "sigmoid": (lambda t: t.sigmoid(), torch.sigmoid),
    "relu": (lambda t: t.relu(), torch.relu),
    "abs": (lambda t: t.abs(), torch.abs),
    "log_abs": (lambda t: t.abs().log(), lambda t: t.abs().log()),
    "sqrt_abs": (lambda t: t.abs().sqrt(), lambda t: t.abs().sqrt()),
    "square": (lambda t: t**2, lambda t: t**2),
}


@pytest.mark.parametrize("name", list(UNARY))
@given(
    a=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=5), elements=FLOATS)
)
def test_unary_ops_match_torch(name, a):
    ours, theirs = UNARY[name]
    a = _nonzero(a)
    x = Tensor(a, requires_grad=True)
    out = ours(x)
    out.backward(np.ones(out.shape))
    xt = torch.tensor(a, requires_grad=True)
    theirs(xt).backward(torch.ones(xt.shape, dtype=torch.float64))
    assert_close(out.data, theirs(torch.tensor(a)))
    assert_close(x.grad, xt.grad)


@st.composite
def array_and_axis(draw):
    a = draw(
        hnp.arrays(
            np.float64, hnp.array_shapes(min_dims=1, max_dims=4, max_side=4), elements=FLOATS
        )
    )
    axes = draw(
        st.none()
        | st.lists(
            st.integers(-a.ndim, a.ndim - 1),
            min_size=1,
            max_size=a.ndim,
            unique_by=lambda i: i % a.ndim,
        )
    )
    keepdims = draw(st.booleans())
    return a, axes, keepdims


REDUCTIONS = {
    "sum": lambda t, dim, keep: t.sum(dim=dim, keepdim=keep),
    "mean": lambda t, dim, keep: t.mean(dim=dim, keepdim=keep),
    "max": lambda t, dim, keep: t.amax(dim=dim, keepdim=keep),
    "min": lambda t, dim, keep: t.amin(dim=dim, keepdim=keep),
    "logsumexp": lambda t, dim, keep: t.logsumexp(dim=dim, keepdim=keep),
}


@pytest.mark.parametrize("name", list(REDUCTIONS))
@given(case=array_and_axis())
def test_reductions_match_torch_for_any_axes(name, case):
    a, axes, keepdims = case
    axis = None if axes is None else tuple(axes)
    x = Tensor(a, requires_grad=True)
    out = getattr(x, name)(axis=axis, keepdims=keepdims)
    seed = np.sin(np.arange(out.size) + 1.0).reshape(out.shape)
    out.backward(seed)
    dim = tuple(range(a.ndim)) if axis is None else axis
    xt = torch.tensor(a, requires_grad=True)
    ot = REDUCTIONS[name](xt, dim, keepdims)
    if axis is None and not keepdims:
        ot = ot.reshape(())
    ot.backward(torch.tensor(seed))
    assert out.shape == tuple(ot.shape)
    assert_close(out.data, ot)
    assert_close(x.grad, xt.grad)


@given(
    a=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
        elements=st.floats(-50, 50, width=64),
    )
)
def test_softmax_rows_sum_to_one_and_log_softmax_agrees(a):
    x = Tensor(a)
    s = x.softmax(axis=-1)
    assert_close(s.data.sum(axis=-1), np.ones(a.shape[:-1]), rtol=1e-12, atol=1e-12)
    assert_close(np.exp(x.log_softmax(axis=-1).data), s.data, rtol=1e-9, atol=1e-12)


@given(
    a=hnp.arrays(np.float64, (3, 4), elements=FLOATS),
    b=hnp.arrays(np.float64, (4, 2), elements=FLOATS),
)
def test_gradient_is_linear_in_the_seed(a, b):
    """VJP(g1 + 2 g2) == VJP(g1) + 2 VJP(g2): each rule is a linear map of the seed."""

    def grads(seed):
        x = Tensor(a, requires_grad=True)
        (x @ b).tanh().backward(seed)
        return x.grad

    g1, g2 = np.ones((3, 2)), np.arange(6.0).reshape(3, 2)
    assert_close(grads(g1 + 2 * g2), grads(g1) + 2 * grads(g2), rtol=1e-10, atol=1e-12)
