"""Value's newer side: sqrt, abs, sin, cos, log1p, softplus, leaky_relu, float() and round(),
comparisons on data, and derivatives of every order (`backward(create_graph=True)`, `grad` of
`grad`, `gradients`, `hessian`), each against PyTorch in float64."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import assert_close
from test_value import BINARY

from autograd import (
    Value,
    grad,
    gradcheck,
    gradients,
    hessian,
    is_grad_enabled,
    no_grad,
    primitive,
    value_and_grad,
)

torch = pytest.importorskip("torch", reason="PyTorch, the oracle, is not installed")
pytestmark = pytest.mark.oracle

F = torch.nn.functional
INF, NAN = math.inf, math.nan
MAX = float(np.finfo(np.float64).max)


def _t(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


# --- the new ops: value and gradient against PyTorch, and finite differences ------------------

# name -> (ours on a Value, PyTorch's on a 0-d float64 tensor, points inside the domain)
NEW = {
    "sqrt": (lambda v: v.sqrt(), torch.sqrt, [1e-3, 0.3, 1.7, 4.0]),
    "abs": (lambda v: v.abs(), torch.abs, [-1.3, -0.2, 0.7, 2.5]),
    "abs()": (lambda v: abs(v), torch.abs, [-1.3, 0.7]),
    "sin": (lambda v: v.sin(), torch.sin, [-1.3, 0.7, 2.5, 10.0]),
    "cos": (lambda v: v.cos(), torch.cos, [-1.3, 0.7, 2.5, 10.0]),
    "log1p": (lambda v: v.log1p(), torch.log1p, [-0.5, 1e-10, 0.7, 3.0]),
    "softplus": (lambda v: v.softplus(), F.softplus, [-3.0, -0.2, 0.7, 2.5, 19.0, 25.0]),
    "softplus-beta": (
        lambda v: v.softplus(beta=2.0, threshold=5.0),
        lambda t: F.softplus(t, beta=2.0, threshold=5.0),
        [-1.3, 0.7, 2.4, 3.0],
    ),
    "softplus-negative-beta": (
        lambda v: v.softplus(beta=-0.5),
        lambda t: F.softplus(t, beta=-0.5),
        [-1.3, 0.7, 3.0],
    ),
    "leaky_relu": (lambda v: v.leaky_relu(), F.leaky_relu, [-1.3, -0.2, 0.7, 2.5]),
    "leaky_relu-0.2": (
        lambda v: v.leaky_relu(0.2),
        lambda t: F.leaky_relu(t, 0.2),
        [-1.3, 0.7],
    ),
}
NEW_CASES = [(name, x) for name, (_, _, xs) in NEW.items() for x in xs]


@pytest.mark.parametrize("name, x", NEW_CASES)
def test_new_op_value_and_gradient_match_torch(name, x):
    ours, theirs, _ = NEW[name]
    v = Value(x)
    out = ours(v)
    out.backward()
    t = _t(x)
    ot = theirs(t)
    ot.backward()
    assert isinstance(out, Value) and isinstance(v.grad, float)
    assert_close(out.data, ot.item())
    assert_close(v.grad, t.grad.item())


@pytest.mark.parametrize("name, x", NEW_CASES)
def test_new_op_gradient_matches_finite_differences(name, x):
    ours, _, _ = NEW[name]
    assert gradcheck(ours, Value(x))  # the points keep clear of kinks by more than eps


def test_abs_of_a_value_is_recorded_like_the_method():
    v = Value(-2.0)
    a = abs(v)
    assert a.op == "abs" and a.parents == (v,) and a.data == 2.0


def test_float_and_round_give_plain_numbers_and_record_nothing():
    v = Value(2.71828, label="e")
    assert float(v) == 2.71828 and type(float(v)) is float
    assert round(v, 2) == 2.72 and type(round(v, 2)) is float
    assert round(v) == 3 and type(round(v)) is int
    assert math.isclose(math.exp(v), math.exp(2.71828))  # math functions read float(v)
    assert v.grad == 0.0 and not v.has_grad


def test_new_ops_refuse_in_the_forward_what_a_float_cannot_hold():
    with pytest.raises(ValueError, match=r"Value.sqrt needs a number >= 0, got -2.0"):
        Value(-2.0).sqrt()
    with pytest.raises(ValueError, match=r"Value.sqrt needs a number >= 0, got -inf"):
        Value(-INF).sqrt()
    with pytest.raises(ValueError, match=r"Value.log1p needs a number >= -1, got -1.5"):
        Value(-1.5).log1p()
    with pytest.raises(ValueError, match=r"Value.sin needs a finite number, got inf"):
        Value(INF).sin()
    with pytest.raises(ValueError, match=r"Value.cos needs a finite number, got -inf"):
        Value(-INF).cos()


def test_new_op_settings_are_checked_at_the_door():
    with pytest.raises(ValueError, match="beta must not be 0"):
        Value(1.0).softplus(beta=0.0)
    with pytest.raises(TypeError, match="softplus: threshold must be a real number, got str"):
        Value(1.0).softplus(threshold="20")
    with pytest.raises(TypeError, match="leaky_relu: negative_slope must be a real number"):
        Value(1.0).leaky_relu(negative_slope=None)
    assert Value(-2.0).leaky_relu(np.float64(0.5)).data == -1.0  # numpy scalars are numbers


def test_softplus_does_not_overflow_below_a_high_threshold():
    """PyTorch's own formula, log1p(exp(x)), overflows to inf for x > 709 when the threshold
    lets such an x through; ours stays at x + log1p(exp(-x))."""
    v = Value(800.0)
    out = v.softplus(threshold=1000.0)
    out.backward()
    assert out.data == 800.0 and v.grad == 1.0


# --- domain edges: value and gradient against PyTorch -----------------------------------------

EDGES = [0.0, -0.0, INF, -INF, NAN, MAX, -MAX, 5e-324, 2.2e-308, 1.0, -1.0, 0.5, -2.5, 20.0,
         710.0, -746.0]  # fmt: skip

EDGE_OPS = {
    "sqrt": (lambda v: v.sqrt(), torch.sqrt),
    "abs": (lambda v: v.abs(), torch.abs),
    "sin": (lambda v: v.sin(), torch.sin),
    "cos": (lambda v: v.cos(), torch.cos),
    "log1p": (lambda v: v.log1p(), torch.log1p),
    "softplus": (lambda v: v.softplus(), F.softplus),
    "softplus-beta": (
        lambda v: v.softplus(beta=2.0, threshold=5.0),
        lambda t: F.softplus(t, beta=2.0, threshold=5.0),
    ),
    "leaky_relu": (lambda v: v.leaky_relu(), F.leaky_relu),
    "leaky_relu-negative": (lambda v: v.leaky_relu(-0.5), lambda t: F.leaky_relu(t, -0.5)),
    "relu": (lambda v: v.relu(), torch.relu),
    "tanh": (lambda v: v.tanh(), torch.tanh),
    "sigmoid": (lambda v: v.sigmoid(), torch.sigmoid),
    "exp": (lambda v: v.exp(), torch.exp),
    "log": (lambda v: v.log(), torch.log),
    "neg": (lambda v: -v, torch.neg),
}

# Where the forward refuses instead of giving PyTorch's nan (or exp's inf): the error, by
# (op, kind of input).
REFUSED = {
    "sqrt": (lambda x: x < 0.0, ValueError, "needs a number >= 0"),
    "log1p": (lambda x: x < -1.0, ValueError, "needs a number >= -1"),
    "sin": (math.isinf, ValueError, "needs a finite number"),
    "cos": (math.isinf, ValueError, "needs a finite number"),
    "log": (lambda x: x <= 0.0, ValueError, "needs a positive number"),
    "exp": (lambda x: 709.8 < x < INF, OverflowError, "overflows"),
}


# (op, input) -> why our value or gradient differs from PyTorch's there
DIFFERENCES = {
    ("log1p", 5e-324): "log1p of the smallest subnormal: math.log1p gives it back (log1p(x) = x "
    "to the last bit there); PyTorch's vectorised kernel flushes it to 0",
}


def _same(ours: float, theirs: float, signed_zero: bool = True) -> bool:
    """Equal to rounding, nan to nan, inf to inf of the same sign, and (for values, not
    gradients) zeros of the same sign. A gradient's zero has no sign to keep: `.grad` starts at
    0.0 and accumulates, and 0.0 + -0.0 is 0.0 (as PyTorch's zeroed, not None, gradients)."""
    if math.isnan(theirs):
        return math.isnan(ours)
    if theirs == 0.0 and signed_zero:
        return ours == 0.0 and math.copysign(1.0, ours) == math.copysign(1.0, theirs)
    return ours == theirs or math.isclose(ours, theirs, rel_tol=1e-12)


@pytest.mark.parametrize("x", EDGES)
@pytest.mark.parametrize("name", list(EDGE_OPS))
def test_op_at_domain_edges_matches_torch_or_refuses_clearly(name, x):
    ours, theirs = EDGE_OPS[name]
    refused = REFUSED.get(name)
    if refused is not None and refused[0](x):
        with pytest.raises(refused[1], match=refused[2]):
            ours(Value(x))
        return
    v = Value(x)
    out = ours(v)
    out.backward()
    t = _t(x)
    ot = theirs(t)
    ot.backward()
    same = _same(out.data, ot.item()) and _same(v.grad, t.grad.item(), signed_zero=False)
    assert same != ((name, x) in DIFFERENCES), (out.data, ot.item(), v.grad, t.grad.item())


def test_every_listed_difference_is_real():
    """The sweep above asserts a difference for each entry; here each entry names a case it
    runs, so the list cannot hold a stale entry."""
    for name, x in DIFFERENCES:
        assert name in EDGE_OPS and x in EDGES
        assert name not in REFUSED or not REFUSED[name][0](x)


SECOND_EDGES = {  # the new ops' second derivatives where their first ones are singular
    "sqrt": [0.0, -0.0, 5e-324, INF],
    "log1p": [-1.0, -0.0, INF],
    "abs": [0.0, -0.0, NAN],
    "softplus": [20.0, INF, -INF, -746.0],
    "softplus-beta": [2.5, 0.0],
    "leaky_relu": [0.0, -0.0],
    "sin": [0.0, -0.0, MAX],
    "cos": [0.0, -0.0, MAX],
}


@pytest.mark.parametrize("name, x", [(name, x) for name, xs in SECOND_EDGES.items() for x in xs])
def test_second_derivative_at_domain_edges_matches_torch(name, x):
    ours, theirs = EDGE_OPS[name]
    assert _same(_second_ours(ours, x), _second_torch(theirs, x), signed_zero=False)


def test_softplus_second_derivative_is_zero_at_the_threshold_as_pytorch():
    """PyTorch's backward passes the gradient through above the threshold, its double backward
    is zero from the threshold on: at the threshold itself the factor is a constant."""
    x = Value(20.0)
    x.softplus().backward(create_graph=True)
    d = x.grad
    assert_close(d.data, F.sigmoid(torch.tensor(20.0, dtype=torch.float64)).item())
    x.grad = 0.0
    d.backward()
    assert x.grad == 0.0
    assert _second_torch(F.softplus, 20.0) == 0.0


# --- second derivatives of every op against PyTorch -------------------------------------------

UNARY = {
    "neg": (lambda v: -v, torch.neg, [-1.3, 0.7]),
    "relu": (lambda v: v.relu(), torch.relu, [-1.3, 0.7]),
    "tanh": (lambda v: v.tanh(), torch.tanh, [-1.3, 0.7, 2.5]),
    "sigmoid": (lambda v: v.sigmoid(), torch.sigmoid, [-1.3, 0.7, 2.5]),
    "exp": (lambda v: v.exp(), torch.exp, [-1.3, 0.7, 2.5]),
    "log": (lambda v: v.log(), torch.log, [0.3, 0.7, 2.5]),
    "pow-const": (lambda v: v**3, lambda t: t**3, [-1.3, 0.7, 2.5]),
    "pow-half": (lambda v: v**0.5, lambda t: t**0.5, [0.3, 2.5]),
    "pow-negative": (lambda v: v**-1.5, lambda t: t**-1.5, [0.3, 2.5]),
    "rpow": (lambda v: 2.0**v, lambda t: 2.0**t, [-1.3, 0.7]),
    "rdiv": (lambda v: 2.0 / v, lambda t: 2.0 / t, [-1.3, 0.7]),
    "mul-self": (lambda v: v * v * v, lambda t: t * t * t, [-1.3, 0.7]),
    **NEW,
}
UNARY_CASES = [(name, x) for name, (_, _, xs) in UNARY.items() for x in xs]


def _second_ours(f, x: float) -> float:
    """f''(x) by backward(create_graph=True), then backward of the gradient."""
    v = Value(x)
    f(v).backward(create_graph=True)
    d = v.grad
    assert isinstance(d, Value)
    v.grad = 0.0
    d.backward()
    return v.grad


def _second_torch(f, x: float) -> float:
    t = _t(x)
    (d,) = torch.autograd.grad(f(t), t, create_graph=True)
    if not d.requires_grad:  # the first derivative is a constant
        return 0.0
    (dd,) = torch.autograd.grad(d, t, allow_unused=True)
    return 0.0 if dd is None else dd.item()


def _first_torch(f, x: float) -> float:
    t = _t(x)
    (d,) = torch.autograd.grad(f(t), t)
    return d.item()


@pytest.mark.parametrize("name, x", UNARY_CASES)
def test_second_derivative_by_create_graph_matches_torch(name, x):
    ours, theirs, _ = UNARY[name]
    v = Value(x)
    ours(v).backward(create_graph=True)
    assert isinstance(v.grad, Value)
    assert_close(v.grad.data, _first_torch(theirs, x))
    assert_close(_second_ours(ours, x), _second_torch(theirs, x))


@pytest.mark.parametrize("name, x", UNARY_CASES)
def test_second_derivative_by_grad_of_grad_matches_torch(name, x):
    ours, theirs, _ = UNARY[name]
    d = grad(ours)(Value(x))
    dd = grad(grad(ours))(Value(x))
    assert type(d) is float and type(dd) is float
    assert_close(d, _first_torch(theirs, x))
    assert_close(dd, _second_torch(theirs, x))
    assert_close(hessian(ours)(Value(x)), _second_torch(theirs, x))


@pytest.mark.parametrize("name, x", UNARY_CASES)
def test_second_derivative_matches_finite_differences_of_the_first(name, x):
    ours, _, _ = UNARY[name]

    def first(v):
        (g,) = gradients(ours(v), [v], create_graph=True)
        return g

    assert gradcheck(first, Value(x))


# BINARY: the Value operators, each on Values or torch scalars alike (test_value's table)
BINARY_POINTS = [(1.7, -0.6), (0.4, 2.5), (2.0, 3.0)]


def _hessian_torch(f, x: float, y: float) -> np.ndarray:
    a, b = _t(x), _t(y)
    first = torch.autograd.grad(f(a, b), [a, b], create_graph=True)
    rows = []
    for d in first:
        if not d.requires_grad:
            rows.append([0.0, 0.0])
            continue
        second = torch.autograd.grad(d, [a, b], allow_unused=True)
        rows.append([0.0 if s is None else s.item() for s in second])
    return np.array(rows)


@pytest.mark.parametrize("x, y", BINARY_POINTS)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_op_hessian_by_create_graph_matches_torch(name, x, y):
    f = BINARY[name]
    a, b = Value(x), Value(y)
    f(a, b).backward(create_graph=True)
    first = [a.grad, b.grad]
    rows = []
    for d in first:
        a.grad = b.grad = 0.0
        if isinstance(d, Value):
            d.backward()
        rows.append([a.grad, b.grad])
    assert_close(np.array(rows), _hessian_torch(f, x, y))


@pytest.mark.parametrize("x, y", BINARY_POINTS)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_op_hessian_by_grad_of_grad_matches_torch(name, x, y):
    f = BINARY[name]
    rows = [
        [grad(grad(f, argnums=i), argnums=j)(Value(x), Value(y)) for j in (0, 1)] for i in (0, 1)
    ]
    assert all(type(h) is float for row in rows for h in row)
    assert_close(np.array(rows), _hessian_torch(f, x, y))
    both = grad(f, argnums=(0, 1))(Value(x), Value(y))
    a, b = _t(x), _t(y)
    assert_close(np.array(both), [g.item() for g in torch.autograd.grad(f(a, b), [a, b])])


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_op_second_derivatives_match_finite_differences(name):
    f = BINARY[name]

    def first(a, b):
        return sum(g for g in gradients(f(a, b), [a, b], create_graph=True))

    assert gradcheck(first, (Value(1.7), Value(0.6)))


def test_third_derivative_by_repeated_create_graph():
    x = Value(0.7)
    x.sin().backward(create_graph=True)
    d1 = x.grad
    x.grad = 0.0
    d1.backward(create_graph=True)
    d2 = x.grad
    x.grad = 0.0
    d2.backward()
    assert_close([d1.data, d2.data, x.grad], [math.cos(0.7), -math.sin(0.7), -math.cos(0.7)])
    assert_close(grad(grad(grad(lambda v: v.sin())))(Value(0.7)), -math.cos(0.7))


# --- what create_graph leaves behind -----------------------------------------------------------


def test_create_graph_gives_every_reached_value_a_gradient_value_of_its_own():
    a, b = Value(2.0), Value(3.0)
    c = a + b
    y = c * c
    y.backward(create_graph=True)
    grads = [a.grad, b.grad, c.grad, y.grad]
    assert all(isinstance(g, Value) for g in grads)
    assert len({id(g) for g in grads}) == 4  # no two share a node (each its own .grad later)
    assert [g.data for g in grads] == [10.0, 10.0, 10.0, 1.0]


def test_a_constant_gradient_under_create_graph_is_a_leaf_value():
    x = Value(2.0)
    (3.0 * x).backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.is_leaf and x.grad.data == 3.0
    (g,) = gradients(3.0 * x, [x], create_graph=True)
    assert isinstance(g, Value) and g.data == 3.0
    assert grad(grad(lambda v: 3.0 * v))(Value(2.0)) == 0.0


def test_create_graph_accumulates_onto_earlier_gradients():
    x = Value(2.0)
    (x * x).backward()
    assert x.grad == 4.0 and type(x.grad) is float
    (x * x * x).backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 16.0
    d = x.grad
    x.grad = 0.0
    d.backward()
    assert x.grad == 12.0  # the float part is a constant: only 3 x**2 is differentiated


def test_plain_backward_still_gives_floats():
    x = Value(0.3)
    (x.sqrt() * x.sin() + x.softplus()).backward()
    assert type(x.grad) is float


def test_create_graph_leaves_the_recording_mode_as_it_found_it():
    x = Value(1.5)
    x.tanh().backward(create_graph=True)
    assert is_grad_enabled()
    y = Value(1.5)
    cube = y * y * y
    with no_grad():
        cube.backward(create_graph=True)
        assert not is_grad_enabled()
        assert isinstance(y.grad, Value) and y.grad.op != ""  # recorded all the same
        assert grad(grad(lambda v: v**3))(Value(2.0)) == 12.0
        assert not is_grad_enabled()
        assert (y * 2).is_leaf  # and nothing after it is recorded
    d = y.grad
    y.grad = 0.0
    d.backward()
    assert y.grad == 9.0  # 6 y


def test_create_graph_restores_the_mode_when_a_rule_fails():
    @primitive
    def broken(x):
        return x

    def rule(g, out, x):
        raise RuntimeError("rule failed")

    broken.defvjp(rule)
    with no_grad():
        x = Value(1.0)
    y = broken(x)
    with no_grad():
        with pytest.raises(RuntimeError, match="rule failed"):
            y.backward(create_graph=True)
        assert not is_grad_enabled()


# --- the functional API on Values -------------------------------------------------------------


def test_grad_of_a_function_of_values_gives_floats():
    f = lambda v: v.sin() * v.exp()
    assert type(grad(f)(Value(0.5))) is float
    value, g = value_and_grad(f)(Value(0.5))
    assert type(value) is float and type(g) is float
    t = _t(0.5)
    (torch.sin(t) * torch.exp(t)).backward()
    assert_close(g, t.grad.item())
    assert_close(value, math.sin(0.5) * math.exp(0.5))


def test_grad_leaves_the_argument_and_its_gradient_alone():
    x = Value(2.0)
    assert grad(lambda v: v * v)(x) == 4.0
    assert x.grad == 0.0 and not x.has_grad and x.is_leaf


def test_grad_of_a_value_function_that_ignores_its_argument_is_zero():
    assert grad(lambda a, b: b * b, argnums=0)(Value(1.0), Value(3.0)) == 0.0
    assert grad(grad(lambda a, b: a * b * b, argnums=0), argnums=0)(Value(1.0), Value(3.0)) == 0.0


def test_grad_refuses_a_function_that_returns_no_value():
    with pytest.raises(TypeError, match="f must return a one-element Tensor .* or a Value"):
        grad(lambda v: 3.0)(Value(1.0))


def test_nested_grad_on_values_does_not_confuse_perturbations():
    """Siskind and Pearlmutter's example: d/dx [x * d/dy (x + y) at y = 1] at x = 1 is 1, not 2;
    and d/dx [d/dy (x y) at y = x] is 1, not the 2 of d/dx (x x)'."""
    inner = lambda x: x * grad(lambda y: x + y)(Value(1.0))
    assert grad(inner)(Value(1.0)) == 1.0
    assert grad(lambda x: grad(lambda y: x * y)(x))(Value(3.0)) == 1.0

    a = _t(1.0)
    b = _t(1.0)
    (db,) = torch.autograd.grad(a + b, b, create_graph=True)
    (da,) = torch.autograd.grad(a * db, a)
    assert da.item() == 1.0


def test_gradients_with_create_graph_on_values_can_be_differentiated_again():
    x, y = Value(0.7), Value(-1.2)
    z = (x * y).tanh() + x.log1p()
    gx, gy = gradients(z, [x, y], create_graph=True)
    assert isinstance(gx, Value) and isinstance(gy, Value)
    hxx, hxy = gradients(gx, [x, y])
    assert x.grad == 0.0 and y.grad == 0.0  # gradients() stores nothing
    tx, ty = _t(0.7), _t(-1.2)
    dx, dy = torch.autograd.grad(torch.tanh(tx * ty) + torch.log1p(tx), [tx, ty], create_graph=True)
    txx, txy = torch.autograd.grad(dx, [tx, ty])
    assert_close([gx.data, gy.data, hxx, hxy], [dx.item(), dy.item(), txx.item(), txy.item()])


def test_gradients_without_create_graph_on_values_gives_floats():
    x = Value(2.0)
    (g,) = gradients(x**3, [x])
    assert type(g) is float and g == 12.0
    assert gradients(x**3, [x, x]) == [12.0, 12.0]
    assert gradients(x**3, [Value(1.0)]) == [None]


def test_a_value_seed_takes_part_under_create_graph():
    x, u = Value(2.0), Value(0.5)
    (vjp,) = gradients(x**3, [x], gradient=u, create_graph=True)
    assert vjp.data == 6.0  # 3 x**2 u
    du, dx = gradients(vjp, [u, x])
    assert du == 12.0 and dx == 6.0  # 3 x**2 and 6 x u


# --- comparisons compare data; hashing stays by identity --------------------------------------


def test_equality_compares_data_with_numbers_and_values():
    a, b, c = Value(2.0), Value(2.0), Value(3.0)
    assert a == b and a == 2 and a == np.float64(2.0)
    assert (a != b) is False and a != c and a != 3
    assert 2.0 == a and 3 != a  # noqa: SIM300 (the reflected operators)
    assert a is not b
    assert (a == "2.0") is False and (a != "2.0") is True and (a == None) is False  # noqa: E711
    assert a.__eq__("2.0") is NotImplemented and a.__lt__([]) is NotImplemented
    assert Value(NAN) != Value(NAN)  # floats' rules
    assert Value(0.0) == Value(-0.0)


def test_ordering_compares_data_and_refuses_other_types():
    a = Value(2.0)
    assert a < 3 and a <= 2.0 and a > Value(1.0) and a >= Value(2.0)
    assert 1 < a  # noqa: SIM300 (the reflected operator)
    assert sorted([Value(3.0), Value(1.0), Value(2.0)]) == [1.0, 2.0, 3.0]
    assert max(Value(3.0), Value(5.0)).data == 5.0
    with pytest.raises(TypeError, match="'<' not supported between instances of 'Value' and 'str'"):
        a < "3"  # noqa: B015


def test_hash_is_identity_so_equal_values_are_distinct_keys():
    a, b = Value(1.0), Value(1.0)
    assert a == b and hash(a) == object.__hash__(a) and hash(a) != hash(b)
    assert len({a, b}) == 2 and a in {a} and b not in {a}
    d = {a: "a", b: "b"}
    assert len(d) == 2 and d[a] == "a" and d[b] == "b"
    assert Value(1.0) in [a]  # a list searches by ==: the number, as for floats


def test_two_leaves_with_the_same_number_get_their_own_gradients():
    a, b = Value(2.0), Value(2.0)
    c, d = a * 1.0, b * 1.0  # equal data in the middle of the graph too
    y = c * d + a * 3.0
    y.backward()
    assert a.grad == 5.0 and b.grad == 2.0  # d + 3 and c
    assert c.grad == 2.0 and d.grad == 2.0
    assert gradients(y, [a, b, c]) == [5.0, 2.0, 2.0]
    x = Value(2.0)
    z = x * a + b  # all three hold 2.0
    assert gradients(z, [x, a, b], create_graph=True) == [2.0, 2.0, 1.0]


# --- a micrograd network: the loss's Hessian-vector product -----------------------------------


def _mlp_loss(params: list, xs: list, ys: list, act):
    """A 2-3-1 network, tanh then `act`, mean squared error over the samples."""
    w1, b1, w2, b2 = params[:6], params[6:9], params[9:12], params[12]
    total = 0.0
    for (x0, x1), y in zip(xs, ys, strict=True):
        hidden = [act(w1[2 * j] * x0 + w1[2 * j + 1] * x1 + b1[j]) for j in range(3)]
        out = sum((w * h for w, h in zip(w2, hidden, strict=True)), b2)
        total = total + (out - y) ** 2
    return total / len(xs)


MLP_XS = [(0.5, -1.0), (1.5, 0.3), (-0.7, 0.8), (0.1, 0.1)]
MLP_YS = [1.0, -1.0, 0.5, 0.0]
MLP_P = list(np.random.default_rng(0).normal(size=13))
MLP_V = list(np.random.default_rng(1).normal(size=13))


def _hvp_torch(act) -> tuple[list, list]:
    ps = [_t(float(p)) for p in MLP_P]
    loss = _mlp_loss(ps, MLP_XS, MLP_YS, act)
    gs = torch.autograd.grad(loss, ps, create_graph=True)
    dot = sum(g * float(v) for g, v in zip(gs, MLP_V, strict=True))
    hv = torch.autograd.grad(dot, ps)
    return [g.item() for g in gs], [h.item() for h in hv]


@pytest.mark.parametrize(
    "name, ours, theirs",
    [
        ("tanh", lambda v: v.tanh(), torch.tanh),
        ("softplus", lambda v: v.softplus(), F.softplus),
        ("sin", lambda v: v.sin(), torch.sin),
    ],
)
def test_mlp_loss_hessian_vector_product_matches_torch(name, ours, theirs):
    g_torch, hv_torch = _hvp_torch(lambda t: theirs(t))

    ps = [Value(float(p)) for p in MLP_P]
    loss = _mlp_loss(ps, MLP_XS, MLP_YS, ours)
    gs = gradients(loss, ps, create_graph=True)
    hv = gradients(sum(g * float(v) for g, v in zip(gs, MLP_V, strict=True)), ps)
    assert_close([g.data for g in gs], g_torch)
    assert_close(hv, hv_torch)

    ps = [Value(float(p)) for p in MLP_P]  # the same by backward(create_graph=True)
    _mlp_loss(ps, MLP_XS, MLP_YS, ours).backward(create_graph=True)
    gs = [p.grad for p in ps]
    for p in ps:
        p.grad = 0.0
    sum(g * float(v) for g, v in zip(gs, MLP_V, strict=True)).backward()
    assert_close([p.grad for p in ps], hv_torch)
