"""The scalar engine `Value`: micrograd's API, checked against PyTorch and finite differences."""

from __future__ import annotations

import gc
import math
import weakref

import numpy as np
import pytest
from conftest import assert_close

from autograd import Tensor, Value, gradcheck

torch = pytest.importorskip("torch", reason="PyTorch, the oracle, is not installed")
pytestmark = pytest.mark.oracle


def test_micrograd_sanity_check():
    """The first of micrograd's published sanity expressions."""
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()

    xt = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    zt = 2 * xt + 2 + xt
    qt = zt.relu() + zt * xt
    ht = (zt * zt).relu()
    yt = ht + qt + qt * xt
    yt.backward()

    assert y.data == yt.item()
    assert x.grad == xt.grad.item()
    assert x.grad == 46.0


def test_micrograd_more_ops():
    """The second of micrograd's published sanity expressions."""

    def build(a, b, relu):
        c = a + b
        d = a * b + b**3
        c += c + 1
        c += 1 + c + (-a)
        d += d * 2 + relu(b + a)
        d += 3 * d + relu(b - a)
        e = c - d
        f = e**2
        g = f / 2.0
        g += 10.0 / f
        return g

    a, b = Value(-4.0), Value(2.0)
    g = build(a, b, lambda v: v.relu())
    g.backward()

    at = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    bt = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    gt = build(at, bt, torch.relu)
    gt.backward()

    assert_close(g.data, gt.item(), rtol=1e-12)
    assert_close(a.grad, at.grad.item(), rtol=1e-12)
    assert_close(b.grad, bt.grad.item(), rtol=1e-12)
    assert abs(g.data - 24.70408163265306) < 1e-9


UNARY = {
    "relu": (lambda v: v.relu(), torch.relu),
    "tanh": (lambda v: v.tanh(), torch.tanh),
    "sigmoid": (lambda v: v.sigmoid(), torch.sigmoid),
    "exp": (lambda v: v.exp(), torch.exp),
    "log": (lambda v: v.log(), torch.log),
    "neg": (lambda v: -v, lambda t: -t),
    "pow3": (lambda v: v**3, lambda t: t**3),
    "pow-0.5": (lambda v: v**-0.5, lambda t: t**-0.5),
    "rpow": (lambda v: 2**v, lambda t: 2**t),
    "radd": (lambda v: 2 + v, lambda t: 2 + t),
    "rsub": (lambda v: 2 - v, lambda t: 2 - t),
    "rmul": (lambda v: 2 * v, lambda t: 2 * t),
    "rdiv": (lambda v: 2 / v, lambda t: 2 / t),
    "sub": (lambda v: v - 2, lambda t: t - 2),
    "div": (lambda v: v / 2, lambda t: t / 2),
}


@pytest.mark.parametrize("name", list(UNARY))
@pytest.mark.parametrize("x", [0.7, 1.9, -1.3])
def test_unary_ops_match_torch_and_finite_differences(name, x):
    ours, theirs = UNARY[name]
    if name in ("log", "pow-0.5") and x < 0:
        x = -x
    v = Value(x)
    out = ours(v)
    out.backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ot = theirs(t)
    ot.backward()
    assert_close(out.data, ot.item())
    assert_close(v.grad, t.grad.item())
    assert gradcheck(ours, Value(x))


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_ops_match_torch_and_finite_differences(name):
    f = BINARY[name]
    a, b = Value(1.7), Value(-0.6)
    out = f(a, b)
    out.backward()
    at = torch.tensor(1.7, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(-0.6, dtype=torch.float64, requires_grad=True)
    ot = f(at, bt)
    ot.backward()
    assert_close(out.data, ot.item())
    assert_close(a.grad, at.grad.item())
    assert_close(b.grad, bt.grad.item())
    assert gradcheck(f, (Value(1.7), Value(-0.6)))


def test_neuron_gradients_by_hand():
    """micrograd's neuron: tanh(x1*w1 + x2*w2 + b), derivatives written out by the chain rule."""
    x1, x2 = Value(2.0), Value(0.0)
    w1, w2 = Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    n = x1.data * w1.data + x2.data * w2.data + b.data
    dn = 1 - math.tanh(n) ** 2
    assert o.data == pytest.approx(0.7071067811865476, rel=1e-12)
    assert w1.grad == pytest.approx(dn * x1.data, rel=1e-12)
    assert x1.grad == pytest.approx(dn * w1.data, rel=1e-12)
    assert w2.grad == pytest.approx(dn * x2.data, abs=1e-15)
    assert b.grad == pytest.approx(dn, rel=1e-12)


def test_diamond_graph_accumulates():
    """A value used twice gets both contributions (the classic micrograd bug case)."""
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0
    assert b.grad == 2.0
    a = Value(-2.0)
    d = a * a
    d.backward()
    assert a.grad == -4.0


def test_gradients_accumulate_across_backward_calls():
    a = Value(2.0)
    y = a * a * a
    y.backward()
    assert a.grad == 12.0
    y.backward()
    assert a.grad == 24.0
    assert y.grad == 2.0
    z = 3 * a
    z.backward()
    assert a.grad == 27.0


def test_sigmoid_is_stable_at_extremes():
    hi, lo = Value(1000.0), Value(-1000.0)
    assert hi.sigmoid().data == 1.0
    s = lo.sigmoid()
    s.backward()
    assert s.data == 0.0 and lo.grad == 0.0


@pytest.mark.slow
def test_deep_chain_of_a_million_values_runs_backward():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0
    assert y.data == 1_000_001.0


def test_graph_has_no_reference_cycles():
    """With the cycle collector off, dropping the output frees the whole graph."""
    gc.collect()
    gc.disable()
    try:
        a = Value(1.5)
        out = ((a * 2).tanh() + a**2).exp()
        out.backward()
        ref = weakref.ref(out)
        mid = weakref.ref(out._inputs[0])
        del out
        assert ref() is None and mid() is None
    finally:
        gc.enable()


@pytest.mark.parametrize(
    "bad",
    ["2.0", None, [1.0], np.ones(2), complex(1, 1)],
)
def test_value_rejects_non_numbers(bad):
    with pytest.raises(TypeError, match="real number"):
        Value(bad)


def test_value_errors_are_clear():
    with pytest.raises(ValueError, match="positive"):
        Value(-1.0).log()
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        Value(1.0) / 0
    with pytest.raises(ValueError, match=r"-8.0 \*\* 0.5 is not a real number"):
        Value(-8.0) ** 0.5  # Python's float power would give a complex number
    assert (Value(-8.0) ** 3.0).data == -512.0  # integral powers of negatives are real
    with pytest.raises(TypeError):
        Value(1.0) + "a"
    with pytest.raises(TypeError, match="cannot combine a Tensor with a Value"):
        Tensor([1.0]) + Value(1.0)
    with pytest.raises(TypeError, match="cannot combine a Tensor with a Value"):
        Value(1.0) + Tensor([1.0])


def test_repr_and_comparisons():
    """Every comparison reads the numbers, `==` included; identity is `is` (and the hash)."""
    v = Value(2.5, label="w")
    assert repr(v) == "Value(data=2.5, grad=0, label='w')"
    assert v > 1 and v < Value(3.0) and v >= 2.5 and v <= 2.5
    assert v == 2.5 and v == Value(2.5) and v != Value(3.0) and v is not Value(2.5)
    assert v.op == "" and v.is_leaf
    w = v * 2
    assert w.op == "*" and w.parents == (v,) and w.parents[0] is v
    assert w == 5.0 and w != v
