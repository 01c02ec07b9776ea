"""Random computation graphs with fan-out against PyTorch.

Hypothesis draws a graph as data: 2-4 float64 leaves of shape (3,) or (2, 3), then a sequence of
steps, each an op on one or two nodes picked from every node made so far (leaves and results), so
nodes feed many consumers, a leaf always feeds at least three, and some step uses one node as both
operands (x * x, x + x). The same steps are replayed on our Tensor and on torch; the output is a
weighted sum over every node nothing consumes plus a few random others (several roots). Compared:
`.grad` after backward, `gradients()` against `torch.autograd.grad`, and the second derivatives
through `create_graph=True`.

Every node's values stay bounded (see `_BOUNDS`): divisions are by 1.5 + tanh(y) or 1 + y * y,
logarithms of 1 + y * y, exponentials of tanh(y), and a product or sum is allowed only while its
bound stays under `BOUND`. No op with a kink (relu, abs, maximum) is drawn, so both engines must
agree to rounding error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from conftest import assert_close, to_torch, torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import Tensor, Value

pytestmark = pytest.mark.oracle

GRAPHS = settings(max_examples=60, deadline=None, derandomize=True)

LEAF_SHAPES = [(3,), (2, 3)]
BOUND = 30.0  # every node's values stay within [-BOUND, BOUND]
LEAF_VALUES = st.floats(-2.0, 2.0, allow_nan=False, allow_subnormal=False, width=64)
WEIGHTS = st.floats(-1.0, 1.0, allow_nan=False, allow_subnormal=False, width=64)

UNARY = (
    "neg",
    "tanh",
    "sigmoid",
    "exp_tanh",  # exp(tanh(x))
    "log1p_sq",  # log(1 + x * x)
    "sum_axis",  # sum over one axis, keepdims
    "mean",  # mean of everything: a 0-d node that broadcasts against anything
    "mean_axis",  # mean over one axis, keepdims
    "reshape",
    "transpose",  # 2-D only
)
BINARY = (
    "add",
    "sub",
    "mul",
    "div_tanh",  # x / (1.5 + tanh(y))
    "div_pos",  # x / (1 + y * y)
)


@dataclass(frozen=True)
class Step:
    """One new node: `op` on nodes `a` (and `b`), with `arg` the axis or the new shape."""

    op: str
    a: int
    b: int | None = None
    arg: object = None

    def __repr__(self) -> str:
        operands = f"n{self.a}" if self.b is None else f"n{self.a}, n{self.b}"
        extra = "" if self.arg is None else f", {self.arg!r}"
        return f"{self.op}({operands}{extra})"


@dataclass(frozen=True)
class Graph:
    leaves: tuple  # arrays of float64
    steps: tuple  # Step, node len(leaves) + k is made by steps[k]
    roots: tuple  # (node index, weight): out = sum of weight * node.sum()
    weights2: tuple  # one array per leaf: s = sum_i (grad_i * weights2[i]).sum()

    def __repr__(self) -> str:
        n = len(self.leaves)
        lines = ["Graph("]
        lines += [f"  n{i} = leaf {v.tolist()!r}" for i, v in enumerate(self.leaves)]
        lines += [f"  n{n + k} = {s!r}" for k, s in enumerate(self.steps)]
        lines.append("  out = " + " + ".join(f"{w!r} * n{i}.sum()" for i, w in self.roots))
        lines.append(f"  weights2 = {[w.tolist() for w in self.weights2]!r}")
        lines.append(")")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle) -> None:  # how hypothesis shows a failing graph
        printer.text(repr(self))


# --- drawing graphs ---------------------------------------------------------------------------

# op -> (shape, bound, arg) -> the result's bound on |value|
_BOUNDS = {
    "neg": lambda shape, b, arg: b,
    "tanh": lambda shape, b, arg: 1.0,
    "sigmoid": lambda shape, b, arg: 1.0,
    "exp_tanh": lambda shape, b, arg: math.e,
    "log1p_sq": lambda shape, b, arg: math.log1p(b * b),
    "sum_axis": lambda shape, b, arg: b * shape[arg],
    "mean": lambda shape, b, arg: b,
    "mean_axis": lambda shape, b, arg: b,
    "reshape": lambda shape, b, arg: b,
    "transpose": lambda shape, b, arg: b,
    "add": lambda ba, bb: ba + bb,
    "sub": lambda ba, bb: ba + bb,
    "mul": lambda ba, bb: ba * bb,
    "div_tanh": lambda ba, bb: 2.0 * ba,  # 1.5 + tanh(y) > 0.5
    "div_pos": lambda ba, bb: ba,  # 1 + y * y >= 1
}


def _unary_shape(op: str, shape: tuple, arg: object) -> tuple:
    if op in ("sum_axis", "mean_axis"):
        return tuple(1 if i == arg else d for i, d in enumerate(shape))
    if op == "mean":
        return ()
    if op == "reshape":
        return arg
    if op == "transpose":
        return shape[::-1]
    return shape


def _reshapes(shape: tuple) -> list[tuple]:
    """The shapes of at most two axes with as many elements as `shape`, other than itself."""
    n = math.prod(shape)
    out = [(n,)] + [(p, n // p) for p in range(1, n + 1) if n % p == 0]
    if n == 1:
        out.append(())
    return [s for s in out if s != shape]


def _unary_ok(op: str, shape: tuple) -> bool:
    if op in ("sum_axis", "mean", "mean_axis"):
        return len(shape) >= 1
    if op == "transpose":
        return len(shape) == 2
    if op == "reshape":
        return bool(_reshapes(shape))
    return True


def _binary_shape(sa: tuple, sb: tuple) -> tuple | None:
    try:
        return tuple(np.broadcast_shapes(sa, sb))
    except ValueError:
        return None


@st.composite
def graphs(draw) -> Graph:
    n_leaves = draw(st.integers(2, 4))
    shapes: list[tuple] = [draw(st.sampled_from(LEAF_SHAPES)) for _ in range(n_leaves)]
    leaves = tuple(draw(hnp.arrays(np.float64, s, elements=LEAF_VALUES)) for s in shapes)
    bounds = [2.0] * n_leaves
    steps: list[Step] = []

    def push(step: Step) -> None:
        sa, ba = shapes[step.a], bounds[step.a]
        if step.b is None:
            shapes.append(_unary_shape(step.op, sa, step.arg))
            bounds.append(_BOUNDS[step.op](sa, ba, step.arg))
        else:
            shapes.append(_binary_shape(sa, shapes[step.b]))
            bounds.append(_BOUNDS[step.op](ba, bounds[step.b]))
        steps.append(step)

    def partners(op: str, a: int) -> list[int]:
        return [
            b
            for b in range(len(shapes))
            if _binary_shape(shapes[a], shapes[b]) is not None
            and _BOUNDS[op](bounds[a], bounds[b]) <= BOUND
        ]

    for _ in range(draw(st.integers(3, 12))):
        a = draw(st.integers(0, len(shapes) - 1))
        found = {op: partners(op, a) for op in BINARY}
        options = [op for op in UNARY if _unary_ok(op, shapes[a])]
        options += [op for op in BINARY if found[op]]
        op = draw(st.sampled_from(options))
        if op in BINARY:
            same = a in found[op] and draw(st.integers(0, 3)) == 0
            push(Step(op, a, a if same else draw(st.sampled_from(found[op]))))
        elif op in ("sum_axis", "mean_axis"):
            push(Step(op, a, arg=draw(st.integers(0, len(shapes[a]) - 1))))
        elif op == "reshape":
            push(Step(op, a, arg=draw(st.sampled_from(_reshapes(shapes[a])))))
        else:
            push(Step(op, a))

    # Every graph has a leaf with at least three consumers...
    uses = [sum(1 for s in steps if i in (s.a, s.b)) for i in range(n_leaves)]
    if max(uses) < 3:
        leaf = draw(st.integers(0, n_leaves - 1))
        for _ in range(3 - uses[leaf]):
            push(Step(draw(st.sampled_from(("neg", "tanh", "sigmoid", "log1p_sq"))), leaf))
    # ...and a step with one node as both operands.
    if not any(s.a == s.b for s in steps):
        small = [i for i, b in enumerate(bounds) if b * b <= BOUND]  # the leaves at least
        a = draw(st.sampled_from(small))
        push(Step(draw(st.sampled_from(("add", "sub", "mul"))), a, a))

    # Roots: every node nothing consumes (so every step counts), plus a few random others.
    consumed = {s.a for s in steps} | {s.b for s in steps if s.b is not None}
    roots = {i for i in range(n_leaves, len(shapes)) if i not in consumed}
    roots |= set(draw(st.lists(st.integers(0, len(shapes) - 1), max_size=3)))
    sign = st.sampled_from((-1.0, 1.0))
    weights = [draw(sign) * draw(st.floats(0.25, 2.0)) for _ in roots]
    weights2 = tuple(draw(hnp.arrays(np.float64, s, elements=WEIGHTS)) for s in shapes[:n_leaves])
    return Graph(leaves, tuple(steps), tuple(zip(sorted(roots), weights, strict=True)), weights2)


# --- replaying a graph on either engine ---------------------------------------------------------


def _apply(step: Step, nodes: list, on_torch: bool):
    x = nodes[step.a]
    y = None if step.b is None else nodes[step.b]
    op = step.op
    if op == "neg":
        return -x
    if op == "tanh":
        return x.tanh()
    if op == "sigmoid":
        return x.sigmoid()
    if op == "exp_tanh":
        return x.tanh().exp()
    if op == "log1p_sq":
        return (1.0 + x * x).log()
    if op == "sum_axis":
        if on_torch:
            return x.sum(dim=step.arg, keepdim=True)
        return x.sum(axis=step.arg, keepdims=True)
    if op == "mean":
        return x.mean()
    if op == "mean_axis":
        if on_torch:
            return x.mean(dim=step.arg, keepdim=True)
        return x.mean(axis=step.arg, keepdims=True)
    if op == "reshape":
        return x.reshape(step.arg)
    if op == "transpose":
        return x.T
    if op == "add":
        return x + y
    if op == "sub":
        return x - y
    if op == "mul":
        return x * y
    if op == "div_tanh":
        return x / (1.5 + y.tanh())
    if op == "div_pos":
        return x / (1.0 + y * y)
    raise AssertionError(f"unknown op {op!r}")


def _build(graph: Graph, on_torch: bool) -> tuple[list, object]:
    """The leaves and the scalar output of `graph` on torch or on our Tensor."""
    if on_torch:
        leaves = [to_torch(v) for v in graph.leaves]
    else:
        leaves = [Tensor(v, requires_grad=True) for v in graph.leaves]
    nodes = list(leaves)
    for step in graph.steps:
        nodes.append(_apply(step, nodes, on_torch))
    out = None
    for i, w in graph.roots:
        term = (nodes[i] * w).sum()
        out = term if out is None else out + term
    return leaves, out


def _check_grads(ours: list, theirs: list, leaves: list) -> None:
    """Gradient by gradient: None exactly where torch has None, else the same numbers."""
    for i, (g, gt, x) in enumerate(zip(ours, theirs, leaves, strict=True)):
        if gt is None:
            assert g is None, f"leaf n{i}: torch has no gradient, ours is {g!r}"
            continue
        assert g is not None, f"leaf n{i}: no gradient from us, torch has {gt}"
        assert np.shape(g) == x.shape, f"leaf n{i}: gradient of shape {np.shape(g)}"
        _close(g, gt, f"leaf n{i}")


def _close(actual, expected, where: str) -> None:
    try:
        assert_close(actual, expected)
    except AssertionError as e:
        raise AssertionError(f"{where}: {e}") from None


@given(graph=graphs())
@GRAPHS
def test_random_graph_backward_matches_torch(graph):
    leaves, out = _build(graph, on_torch=False)
    leaves_t, out_t = _build(graph, on_torch=True)
    assert_close(out.data, out_t)
    out.backward()
    out_t.backward()
    _check_grads([x.grad for x in leaves], [x.grad for x in leaves_t], leaves)


@given(graph=graphs())
@GRAPHS
def test_random_graph_gradients_match_torch_autograd_grad(graph):
    leaves, out = _build(graph, on_torch=False)
    leaves_t, out_t = _build(graph, on_torch=True)
    ours = ag.gradients(out, leaves)
    theirs = torch.autograd.grad(out_t, leaves_t, allow_unused=True)
    _check_grads(ours, theirs, leaves)
    assert all(x.grad is None for x in leaves)  # gradients() leaves .grad alone


@given(graph=graphs())
@GRAPHS
def test_random_graph_second_order_matches_torch(graph):
    leaves, out = _build(graph, on_torch=False)
    leaves_t, out_t = _build(graph, on_torch=True)
    grads = ag.gradients(out, leaves, create_graph=True)
    grads_t = torch.autograd.grad(out_t, leaves_t, create_graph=True, allow_unused=True)
    _check_grads(grads, grads_t, leaves)

    # s = sum_i (g_i * w_i).sum() over the leaves that have a gradient (torch: the same ones)
    s = s_t = None
    for g, g_t, w in zip(grads, grads_t, graph.weights2, strict=True):
        if g is None:
            continue
        term, term_t = (g * w).sum(), (g_t * torch.from_numpy(w)).sum()
        s = term if s is None else s + term
        s_t = term_t if s_t is None else s_t + term_t
    assert s is not None  # the output depends on some leaf
    assert_close(s.data, s_t)

    ours = ag.gradients(s, leaves)
    if s_t.requires_grad:
        theirs = torch.autograd.grad(s_t, leaves_t, allow_unused=True)
    else:  # the output is linear in every leaf: its gradients are constants
        theirs = [None] * len(leaves_t)
    for i, (h, h_t, x) in enumerate(zip(ours, theirs, leaves, strict=True)):
        expected = np.zeros(x.shape) if h_t is None else h_t.detach().numpy()
        got = np.zeros(x.shape) if h is None else np.asarray(h.data if isinstance(h, Tensor) else h)
        assert got.shape == x.shape, f"leaf n{i}: second-order gradient of shape {got.shape}"
        _close(got, expected, f"leaf n{i}, second order")


# --- regression: a leaf (or intermediate) read by 3, 4 and 5 consumers ---------------------------


@pytest.mark.parametrize("consumers", [3, 4, 5])
def test_leaf_with_several_consumers_gets_every_contribution(consumers):
    """y = x*c1 + x*c2 + ... + x*ck: x gets c1 + ... + ck, as from torch."""
    rng = np.random.default_rng(consumers)
    xv = rng.uniform(-2.0, 2.0, 3)
    cv = [rng.uniform(-2.0, 2.0, 3) for _ in range(consumers)]
    x = Tensor(xv, requires_grad=True)
    cs = [Tensor(c, requires_grad=True) for c in cv]
    xt = to_torch(xv)
    cts = [to_torch(c) for c in cv]
    y = x * cs[0]
    yt = xt * cts[0]
    for c, ct in zip(cs[1:], cts[1:], strict=True):
        y = y + x * c
        yt = yt + xt * ct
    y.sum().backward()
    yt.sum().backward()
    assert_close(x.grad, sum(cv))
    assert_close(x.grad, xt.grad)
    for c, ct in zip(cs, cts, strict=True):
        assert_close(c.grad, ct.grad)
    # the same through gradients(), with a graph, and the second derivative d/dx of sum(dy/dx * x)
    x2 = Tensor(xv, requires_grad=True)
    y2 = sum((x2 * x2 * c for c in cv[1:]), x2 * x2 * cv[0]).sum()
    (g,) = ag.gradients(y2, [x2], create_graph=True)
    assert_close(g.data, 2 * xv * sum(cv))
    (h,) = ag.gradients((g * x2).sum(), [x2])
    assert_close(h, 4 * xv * sum(cv))


@pytest.mark.parametrize("consumers", [3, 4, 5])
def test_leaf_with_several_different_consumers_matches_torch(consumers):
    """A leaf read by k different ops (one of them reading it twice), each feeding the output."""
    rng = np.random.default_rng(10 + consumers)
    xv, av = rng.uniform(-2.0, 2.0, (2, 3)), rng.uniform(-2.0, 2.0, 3)

    def f(x, a):
        parts = [x * a, x.tanh(), x * x, x / (1.5 + a.tanh()), (1.0 + x * x).log()]
        out = parts[0]
        for p in parts[1:consumers]:
            out = out + p
        return out

    x, a = Tensor(xv, requires_grad=True), Tensor(av, requires_grad=True)
    xt, at = to_torch(xv), to_torch(av)
    seed = np.cos(np.arange(6.0)).reshape(2, 3)
    f(x, a).backward(seed)
    f(xt, at).backward(torch.from_numpy(seed))
    assert_close(x.grad, xt.grad)
    assert_close(a.grad, at.grad)


@pytest.mark.parametrize("consumers", [3, 4, 5])
def test_intermediate_with_several_consumers_matches_torch(consumers):
    rng = np.random.default_rng(20 + consumers)
    xv = rng.uniform(-2.0, 2.0, 3)
    cv = [rng.uniform(-2.0, 2.0, 3) for _ in range(consumers)]
    x, xt = Tensor(xv, requires_grad=True), to_torch(xv)
    h, ht = x.tanh(), xt.tanh()
    y = sum((h * c for c in cv[1:]), h * cv[0]).sum()
    yt = sum((ht * torch.from_numpy(c) for c in cv[1:]), ht * torch.from_numpy(cv[0])).sum()
    y.backward()
    yt.backward()
    assert_close(x.grad, xt.grad)


@pytest.mark.parametrize("consumers", [3, 4, 5])
def test_value_with_several_consumers_matches_torch(consumers):
    """The scalar engine on the same graph core: x*c1 + ... + x*ck."""
    cv = [0.5 + 0.75 * k for k in range(consumers)]
    x, xt = Value(1.25), torch.tensor(1.25, dtype=torch.float64, requires_grad=True)
    cs = [Value(c) for c in cv]
    y, yt = x * cs[0], xt * cv[0]
    for c, c_plain in zip(cs[1:], cv[1:], strict=True):
        y = y + x * c
        yt = yt + xt * c_plain
    y.backward()
    yt.backward()
    assert_close(x.grad, xt.grad)
    assert_close(x.grad, sum(cv))
    for c in cs:
        assert_close(c.grad, 1.25)
