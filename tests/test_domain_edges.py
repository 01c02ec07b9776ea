"""Every op at the edges of its domain, value and gradient, against PyTorch.

The inputs are 0, -0, ±inf, nan, the largest and the smallest floats, values where exp
overflows or underflows, and empty arrays. Unary ops see every edge; binary ops every pair of
edges, elementwise (no broadcasting, so no sum mixes two edges); reductions every pair as one
row. nan compares equal to nan, inf to inf of the same sign.

The few places where we differ from PyTorch on purpose are listed in DIFFERENCES, each with its
reason, and a test proves each listed difference is real (so the list cannot rot).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pytest
from conftest import torch

import autograd as ag
from autograd import Tensor, Value

pytestmark = pytest.mark.oracle

MAX = np.finfo(np.float64).max
EDGES = np.array(
    [0.0, -0.0, np.inf, -np.inf, np.nan, MAX, -MAX, 5e-324, 2.2e-308, 1.0, -1.0, 0.5, -2.5,
     710.0, -746.0]
)  # fmt: skip
# BLAS kernels may skip a zero factor (0 * inf) and sum in any order (MAX + MAX - MAX): matrix
# products are swept over the finite edges that no summation order can change.
FINITE = np.array([0.0, -0.0, 5e-324, 2.2e-308, 1.0, -1.0, 0.5, -2.5, 3.0, -7.0])

# (op name, input value) -> why our value or gradient differs from PyTorch's there
DIFFERENCES = {
    ("pow_half", -0.0): "d/dx x**0.5 at -0: we take C's pow(-0, -0.5) = +inf; PyTorch -inf",
    ("pow_half", -np.inf): "d/dx x**0.5 at -inf: C's pow(-inf, -0.5) = 0; PyTorch nan",
    ("abs", np.nan): "d|x|/dx at nan: numpy's sign(nan) is nan, PyTorch's sgn gives 0; the "
    "forward is nan there anyway, and matching would cost three more array passes per call",
}


def _seed(shape: tuple) -> np.ndarray:
    """An output gradient with both signs and no zeros, so a wrong sign or a lost term shows."""
    n = int(np.prod(shape))
    return np.where(np.arange(n) % 2 == 0, 1.0, -1.5).reshape(shape)


def _ours(f: Callable, arrays: list[np.ndarray]) -> list[np.ndarray]:
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy reports inf and nan; fine here
        out = f(*xs)
        out.backward(_seed(out.shape))
    pairs = zip(xs, arrays, strict=True)
    grads = [np.zeros_like(a) if x.grad is None else x.grad for x, a in pairs]
    return [out.data, *grads]


def _theirs(f: Callable, arrays: list[np.ndarray]) -> list[np.ndarray]:
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = f(*ts)
    out.backward(torch.tensor(_seed(tuple(out.shape))))
    pairs = zip(ts, arrays, strict=True)
    grads = [np.zeros_like(a) if t.grad is None else t.grad.numpy() for t, a in pairs]
    return [out.detach().numpy(), *grads]


def _compare(ours: list, theirs: list, skip: np.ndarray | None = None, atol: float = 0) -> None:
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape, f"{'value' if k == 0 else f'gradient {k - 1}'}: shapes"
        if skip is not None and a.shape == skip.shape:
            a, b = a[~skip], b[~skip]
        np.testing.assert_allclose(
            a, b, rtol=1e-12, atol=atol, equal_nan=True,
            err_msg="value" if k == 0 else f"gradient of input {k - 1}",
        )  # fmt: skip


UNARY = {
    "neg": (lambda x: -x, lambda x: -x),
    "exp": (lambda x: x.exp(), torch.exp),
    "log": (lambda x: x.log(), torch.log),
    "sqrt": (lambda x: x.sqrt(), torch.sqrt),
    "abs": (lambda x: x.abs(), torch.abs),
    "tanh": (lambda x: x.tanh(), torch.tanh),
    "sigmoid": (lambda x: x.sigmoid(), torch.sigmoid),
    "relu": (lambda x: x.relu(), torch.relu),
    "clip": (lambda x: x.clip(-1.0, 0.5), lambda x: x.clamp(-1.0, 0.5)),
    "square": (lambda x: x**2, lambda x: x**2),
    "cube": (lambda x: x**3, lambda x: x**3),
    "pow_half": (lambda x: x**0.5, lambda x: x**0.5),
    "pow_zero": (lambda x: x**0, lambda x: x**0),
    "pow_minus_one": (lambda x: x**-1, lambda x: x**-1),
    "pow_minus_two": (lambda x: x**-2.0, lambda x: x**-2.0),
    "rpow": (lambda x: 2.5**x, lambda x: 2.5**x),
    "reciprocal": (lambda x: 1.0 / x, lambda x: 1.0 / x),
    "copy": (ag.ops.copy, torch.clone),
    "reshape": (lambda x: x.reshape(3, 5), lambda x: x.reshape(3, 5)),
    "index": (lambda x: x[::2], lambda x: x[::2]),
    "index_repeat": (lambda x: x[np.array([0, 4, 4, 2])], lambda x: x[[0, 4, 4, 2]]),
    "float32_roundtrip": (
        lambda x: x.astype(np.float32).astype(np.float64),
        lambda x: x.float().double(),
    ),
}

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "pow": (lambda a, b: a**b, lambda a, b: a**b),
    "maximum": (ag.maximum, torch.maximum),
    "minimum": (ag.minimum, torch.minimum),
    "where": (
        lambda a, b: ag.where(np.arange(a.size) % 3 == 0, a, b),
        lambda a, b: torch.where(torch.arange(a.numel()) % 3 == 0, a, b),
    ),
}

ROWS = {
    "sum": (lambda x: x.sum(axis=1), lambda x: x.sum(dim=1)),
    "mean": (lambda x: x.mean(axis=1), lambda x: x.mean(dim=1)),
    "max": (lambda x: x.max(axis=1), lambda x: x.amax(dim=1)),
    "min": (lambda x: x.min(axis=1), lambda x: x.amin(dim=1)),
    "logsumexp": (lambda x: x.logsumexp(axis=1), lambda x: x.logsumexp(dim=1)),
    "softmax": (lambda x: x.softmax(axis=1), lambda x: x.softmax(dim=1)),
    "log_softmax": (lambda x: x.log_softmax(axis=1), lambda x: x.log_softmax(dim=1)),
}

PRODUCTS = {
    "matmul": (lambda a, b: a @ b, lambda a, b: a @ b, ((4, 5), (5, 3))),
    "matmul_vector": (lambda a, b: a @ b, lambda a, b: a @ b, ((5,), (5, 3))),
    "linear": (ag.linear, torch.nn.functional.linear, ((4, 5), (3, 5), (3,))),
}


def _skip_mask(name: str, x: np.ndarray) -> np.ndarray:
    """True where DIFFERENCES lists (name, value) for this input."""
    mask = np.zeros(x.shape, dtype=bool)
    for (op, value), _ in DIFFERENCES.items():
        if op == name:
            same = (x == value) & (np.signbit(x) == np.signbit(value))
            mask |= same | (np.isnan(x) & np.isnan(value))
    return mask


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_op_at_every_edge_matches_torch(name):
    ours, theirs = UNARY[name]
    x = EDGES.copy()
    if name == "reshape":
        _compare(_ours(ours, [x]), _theirs(theirs, [x]))
        return
    _compare(_ours(ours, [x]), _theirs(theirs, [x]), skip=_skip_mask(name, x))


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_op_at_every_pair_of_edges_matches_torch(name):
    ours, theirs = BINARY[name]
    a, b = (m.ravel() for m in np.meshgrid(EDGES, EDGES, indexing="ij"))
    _compare(_ours(ours, [a, b]), _theirs(theirs, [a, b]))


@pytest.mark.parametrize("name", list(ROWS))
def test_reduction_over_every_pair_of_edges_matches_torch(name):
    ours, theirs = ROWS[name]
    a, b = (m.ravel() for m in np.meshgrid(EDGES, EDGES, indexing="ij"))
    rows = np.stack([a, b], axis=1)
    masked = np.array(
        [[-np.inf, 0.0, 1.0], [-np.inf, -np.inf, 2.0], [MAX, -MAX, 0.0], [-1000.0, 1000.0, 0.0]]
    )
    _compare(_ours(ours, [rows]), _theirs(theirs, [rows]))
    _compare(_ours(ours, [masked]), _theirs(theirs, [masked]))


@pytest.mark.parametrize("name", list(PRODUCTS))
def test_matrix_products_at_finite_edges_match_torch(name):
    ours, theirs, shapes = PRODUCTS[name]
    arrays = [FINITE[(np.arange(int(np.prod(s))) * (k + 3)) % FINITE.size].reshape(s)
              for k, s in enumerate(shapes)]  # fmt: skip
    # BLAS and PyTorch round a product that underflows to a subnormal differently (fused
    # multiply-add or not): subnormal results agree to 1e-300, everything else to 1e-12
    _compare(_ours(ours, arrays), _theirs(theirs, arrays), atol=1e-300)


EMPTY = {
    "exp": (lambda x: x.exp(), torch.exp, [(0, 3)]),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, [(0, 3), (3,)]),
    "sum_all": (lambda x: x.sum(), lambda x: x.sum(), [(0, 3)]),
    "sum_axis": (lambda x: x.sum(axis=0), lambda x: x.sum(dim=0), [(0, 3)]),
    "mean_axis": (lambda x: x.mean(axis=1), lambda x: x.mean(dim=1), [(0, 3)]),
    "mean_empty_axis": (lambda x: x.mean(axis=0), lambda x: x.mean(dim=0), [(0, 3)]),
    "logsumexp": (lambda x: x.logsumexp(axis=1), lambda x: x.logsumexp(dim=1), [(3, 0)]),
    "softmax": (lambda x: x.softmax(axis=1), lambda x: x.softmax(dim=1), [(0, 3)]),
    "log_softmax": (lambda x: x.log_softmax(axis=1), lambda x: x.log_softmax(dim=1), [(0, 3)]),
    "matmul": (lambda a, b: a @ b, lambda a, b: a @ b, [(2, 0), (0, 3)]),
    "linear": (ag.linear, torch.nn.functional.linear, [(0, 4), (3, 4), (3,)]),
    "reshape": (lambda x: x.reshape(3, 0), lambda x: x.reshape(3, 0), [(0, 3)]),
    "index": (lambda x: x[:, 1:1], lambda x: x[:, 1:1], [(2, 3)]),
    "concatenate": (
        lambda a, b: ag.concatenate([a, b]), lambda a, b: torch.cat([a, b]), [(0, 3), (2, 3)]
    ),
}


@pytest.mark.parametrize("name", list(EMPTY))
def test_op_on_empty_arrays_matches_torch(name):
    ours, theirs, shapes = EMPTY[name]
    arrays = [np.ones(s) for s in shapes]
    _compare(_ours(ours, arrays), _theirs(theirs, arrays))


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_and_min_of_an_empty_axis_are_refused_as_in_torch(name):
    with pytest.raises(ValueError, match=name):
        getattr(Tensor(np.ones((0, 3)), requires_grad=True), name)(axis=0)
    with pytest.raises(IndexError):
        getattr(torch.ones(0, 3), "a" + name)(dim=0)


NUMPY_DERIVATIVE = {  # what we give instead, in numpy's (C99's) arithmetic
    "pow_half": lambda x: 0.5 * np.power(x, -0.5),
    "abs": np.sign,
}


@pytest.mark.parametrize("case", sorted(DIFFERENCES, key=str))
def test_each_documented_difference_is_real_and_follows_numpy(case):
    name, value = case
    ours_f, theirs_f = UNARY[name]
    x = np.array([value])
    ours = _ours(ours_f, [x])[1]
    theirs = _theirs(theirs_f, [x])[1]
    assert not np.allclose(ours, theirs, equal_nan=True), "no longer a difference: drop it"
    with np.errstate(all="ignore"):
        expected = _seed((1,)) * NUMPY_DERIVATIVE[name](x)
    np.testing.assert_array_equal(ours, expected)


def test_cross_entropy_with_masked_and_huge_logits_matches_torch():
    import nn

    logits = np.array([[-np.inf, 0.0, 1.0], [MAX, -MAX, 0.0], [-1000.0, 1000.0, 0.0]])
    labels = np.array([2, 0, 1])
    x = Tensor(logits, requires_grad=True)
    loss = nn.cross_entropy(x, labels)
    loss.backward()
    t = torch.tensor(logits, requires_grad=True)
    lt = torch.nn.functional.cross_entropy(t, torch.tensor(labels))
    lt.backward()
    assert np.isfinite(loss.item())
    _compare([loss.data, x.grad], [lt.detach().numpy(), t.grad.numpy()])


# --- Value: rules must never raise a Python math exception in the middle of backward -------

VALUE_POW = [
    (0.0, 0.5), (0.0, 2.0), (0.0, 0.0), (0.0, 3.0), (-2.0, 2.0), (-2.0, 3.0), (2.0, 0.0),
    (-0.0, 0.5), (1e150, 2.0), (4.0, -0.5), (-0.5, -2.0),
]  # fmt: skip


@pytest.mark.parametrize("base, exponent", VALUE_POW)
def test_value_power_gradients_match_torch(base, exponent):
    x, y = Value(base), Value(exponent)
    out = x**y
    out.backward()
    tx = torch.tensor(base, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(exponent, dtype=torch.float64, requires_grad=True)
    (tx**ty).backward()
    np.testing.assert_allclose(
        [out.data, x.grad, y.grad], [(tx**ty).item(), tx.grad.item(), ty.grad.item()],
        rtol=1e-12, equal_nan=True,
    )  # fmt: skip


def test_value_power_refuses_in_the_forward_what_a_float_cannot_hold():
    """Value keeps Python's float semantics where the forward itself fails: the error comes
    where the bad number entered, with the numbers in the message (PyTorch gives inf)."""
    with pytest.raises(ZeroDivisionError):
        Value(0.0) ** -1.0
    with pytest.raises(OverflowError, match=r"1e\+300 \*\* 2.0 overflows"):
        Value(1e300) ** 2.0
    with pytest.raises(ValueError, match="not a real number"):
        Value(-8.0) ** 0.5


def test_value_power_by_a_constant_at_zero_gives_inf_not_zerodivision():
    x = Value(0.0)
    (x**0.5).backward()
    assert x.grad == np.inf
    z = Value(0.0)
    (z**0).backward()
    assert z.grad == 0.0
