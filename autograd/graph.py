"""The graph core shared by `Value` and `Tensor`: nodes, versions, gradients, backward.

Each recorded result is a node that holds its forward inputs and the primitive that made it.
Nodes point only at their inputs, never at their consumers, and rules are plain functions that
receive the output as an argument: the graph has no reference cycles, so reference counting frees
it as soon as its output is dropped.

A backward pass keeps everything it computes (pending gradients, consumer counts) in its own
local tables, never on the nodes: passes in several threads, or a pass started from inside a VJP
rule, each see only their own numbers. What a pass leaves behind goes through `store`, under a
lock, so two threads that accumulate into one leaf lose neither contribution.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd.mode import ANOMALY, GRAD, MODE, TRACE, TRACER, AnomalyError

ndarray = np.ndarray


class Node:
    """A value in the graph. `Value` and `Tensor` are its two kinds.

    `_inputs[i]` is the i-th positional input of the primitive if it required a gradient when the
    operation was recorded, else None; `_args` are the raw forward inputs (what the rules see),
    `_kwargs` the settings, `_prim` the primitive (None for a leaf). Each kind makes every
    node, leaf or result, in one function, `_make`, which sets all its fields.
    """

    __slots__ = ("_data", "_grad", "label", "_inputs", "_args", "_kwargs", "_prim", "__weakref__")

    _data: Any  # a float (Value) or a floating numpy array (Tensor)
    grad: Any  # a float, an array, or under create_graph a node (the slot `_grad`; see below)
    _grad: Any
    label: str
    _inputs: tuple[Node | None, ...]
    _args: tuple[Any, ...]
    _kwargs: dict[str, Any] | None
    _prim: Any  # the Primitive that made the node; None for a leaf; FREED once freed
    requires_grad: bool
    _keep: bool  # store the gradient of this node in `.grad` even if it is not a leaf
    _shaped = False  # gradients are arrays fitted to the node's shape (Tensor), not floats
    _stamp: int | None = None  # the mutation clock when the node was recorded (Tensor only)

    @staticmethod
    def _make(
        cls: type,
        data: Any,
        prim: Any,
        inputs: tuple[Any, ...],
        raw: tuple[Any, ...],
        kwargs: dict[str, Any] | None,
        others: tuple[Any, ...],
    ) -> Node:
        """A new node of kind `cls`: `data`, made by `prim` (None for a leaf) from `raw` (the
        forward inputs as data) and `kwargs`. `inputs` are the recorded inputs (None where one
        did not require grad), `others` the node inputs that do not require grad. (A static
        method called as `cls._make(cls, ...)`: a class method would allocate a bound method
        on every recorded operation.)"""
        raise NotImplementedError

    @property
    def has_grad(self) -> bool:
        """True when a backward pass has left a gradient in `.grad` (each kind says how)."""
        raise NotImplementedError

    def _share_version(self, raw: tuple[Any, ...], nodes: tuple[Any, ...]) -> None:
        """Share the version record of an input whose memory the result views (Tensor only)."""

    @property
    def is_leaf(self) -> bool:
        """True for nodes made by the user rather than by a recorded operation."""
        return self._prim is None

    @property
    def op(self) -> str:
        """Name of the operation that produced this node ('' for a leaf)."""
        return "" if self._prim is None else self._prim.name

    @property
    def parents(self) -> tuple[Node, ...]:
        """The inputs of the producing operation that take part in differentiation."""
        return tuple(p for p in self._inputs if p is not None)


# `.grad` is the slot `_grad` under a second name: the same C-level field, as fast as a plain
# slot. The engine writes `_grad`; `autograd.jit` swaps `grad` alone, while it traces, for a
# property that records or refuses the user's reads and writes (see autograd/tracing.py).
Node.grad = Node.__dict__["_grad"]


# --- versions: changes in place are seen by every graph that used the old values -------------


# A tensor's version record is a list `[count, stamp]`: how often its array was changed in
# place through the library, and when last (a tick of the mutation clock below). It is made on
# the first change or the first view, and shared by a tensor and the tensors that view its
# memory. (A list, not a class: `detach()` and views make one, and a list costs no Python call.)


class _Clock:
    """Counts changes in place, process-wide. A node records the count when it is made; if the
    count is unchanged when backward reaches it, nothing it read can have changed (the fast
    path); otherwise each tensor it read is asked when it last changed."""

    __slots__ = ("ticks",)

    def __init__(self) -> None:
        self.ticks = 0


CLOCK = _Clock()
_CLOCK_LOCK = threading.Lock()


def mark_dirty(*tensors: Any) -> None:
    """Count a change in place of each tensor's data: one more version each.

    The library calls it for every change it makes (in-place operators, item assignment,
    assignment through `.data`). Call it yourself after writing into `t.data` directly (what
    the optimisers do, to update many parameters for one lock): graphs that read the old values
    then refuse backward instead of using the new ones. (An `autograd.effect`: `autograd.jit`
    replays it, written out here to spare every eager call a wrapper.)
    """
    if MODE.get() & TRACE:
        TRACER.get().effect(mark_dirty, tensors, {})
    _CLOCK_LOCK.acquire()
    ticks = CLOCK.ticks
    try:
        for t in tensors:
            try:
                box = t._vbox
            except AttributeError:
                raise TypeError(f"mark_dirty takes Tensors, got {type(t).__name__}") from None
            ticks += 1
            if box is None:
                t._vbox = [1, ticks]
            else:
                box[0] += 1
                box[1] = ticks
    finally:
        CLOCK.ticks = ticks
        _CLOCK_LOCK.release()


def _check_versions(node: Node) -> None:
    """Raise if a tensor that `node`'s rule reads changed after the node was recorded."""
    stamp = node._stamp
    assert stamp is not None
    sources = [(node, "its result")]
    sources += [(t, f"its input {i}") for i, t in enumerate(node._inputs) if t is not None]
    sources += [(t, _position(node, t)) for t in node._saved]  # type: ignore[attr-defined]
    for t, role in sources:
        box = t._vbox  # type: ignore[attr-defined]
        if box is not None and box[1] > stamp:
            raise RuntimeError(
                f"backward through {node._prim.name!r}: {role} ({_describe(t)}) was changed in "
                f"place after the operation used it (now at version {box[0]}), so its rule "
                "would compute the gradient at the new values. Change tensors in place only "
                "after backward, or compute from a copy"
            )


def _position(node: Node, t: Any) -> str:
    """Which input of `node` the tensor `t` was, found by its data among the recorded inputs
    (unless `t.data` was replaced since)."""
    for i, a in enumerate(node._args):
        if a is t._data:
            return f"its input {i}"
    return "one of its inputs that needs no grad"


def _describe(t: Any) -> str:
    what = f"Tensor of shape {t.shape}"
    return f"{what}, label {t.label!r}" if t.label else what


# --- gradients: fitted to their node, stored without aliasing ----------------------------------


def fit(node: Node, g: Any, prim: Any) -> Any:
    """Bring a gradient that `prim`'s rule sent to `node` to the node's shape and dtype.

    Rules may return gradients in the broadcast shape of the operation; this sums them back down
    (numpy's broadcasting, undone) and casts them to the node's floating dtype. (`node` may be
    anything whose `_data` has the shape and dtype: `autograd.jit` passes a stand-in.)
    """
    data = node._data
    if g.__class__ is np.ndarray and g.dtype is data.dtype and g.shape == data.shape:
        return g  # the usual case, checked first: this runs once per edge of every backward
    from autograd import ops

    shape = data.shape
    if g.__class__ is not np.ndarray and not isinstance(g, Node):
        g = np.asarray(g)
    if g.shape != shape:
        try:
            g = ops.sum_to(g, shape=shape)
        except ValueError:
            raise ValueError(
                f"{prim.name}: VJP rule returned a gradient of shape {g.shape} "
                f"for an input of shape {shape}"
            ) from None
    dtype = data.dtype
    if g.dtype is not dtype and g.dtype != dtype:  # identity first: `!=` costs far more
        g = ops.astype(g, dtype=dtype)
    return g


_STORE_LOCK = threading.Lock()
PRIVATE_REFS = -1  # measured by calibrate_private_refs() once Tensor exists; -1: always copy
_PROBE: list[int] | None = None


def store(
    nodes: list[Node],
    pending: list[Any],
    leaves: list[int],
    kept: list[int],
    create_graph: bool = False,
) -> None:
    """Accumulate the finished gradients of a pass into `.grad`: the one place gradients are
    stored. `pending[k]` is the gradient of `nodes[k]`; `leaves` and `kept` say which to store.

    Floats (Value) add up. Under `create_graph` they stay Values: the sum is a new recorded node
    (so no two `.grad`s share one), and a number no rule made depend on anything becomes a leaf
    Value; without it, a Value that a rule made from elsewhere is reduced to its number. Arrays
    add up into a new array. No `.grad` ever shares memory with another `.grad`, with an array
    the user holds, or with one the graph holds: the first gradient of a node is copied, except,
    as PyTorch does, when nobody else can see it: a fresh array (not a view) whose reference
    count is that of a private array at this line. Any other holder (the user's seed, the
    graph's data, the same gradient sent to a second input, a retained gradient) adds a
    reference and gets a copy. The lock makes the read-add-write of a leaf that two threads'
    passes share one step, so neither contribution is lost.
    """
    _STORE_LOCK.acquire()
    try:
        for k in leaves + kept:
            g = pending[k]
            if g is None:
                continue
            pending[k] = None
            node = nodes[k]
            old = node._grad
            if not node._shaped:
                if create_graph:
                    new = old + g
                    if not isinstance(new, Node):
                        new = node._make(node.__class__, float(new), None, (), (), None, ())
                    node._grad = new
                else:
                    if g.__class__ is not float and isinstance(g, Node):
                        g = g._data  # a Value rule made a Value from elsewhere: the number only
                    node._grad = old + g
                node._reached = True  # type: ignore[attr-defined]
            elif old is not None:
                new = old + g  # a new array (or a new node under create_graph)
                if new.__class__ is not ndarray and not isinstance(new, Node):
                    new = np.asarray(new)  # a sum of 0-d arrays is a numpy scalar
                node._grad = new
            else:
                if _PROBE is not None:
                    _PROBE.append(sys.getrefcount(g))
                if g.__class__ is ndarray and g.base is None and sys.getrefcount(g) <= PRIVATE_REFS:
                    node._grad = g
                else:
                    node._grad = copy(g)
    finally:
        _STORE_LOCK.release()


def copy(g: Any) -> Any:
    """A gradient that shares nothing: an array copied, a Tensor or a Value copied by a
    recorded identity op."""
    if g.__class__ is np.ndarray:
        return g.copy()
    if isinstance(g, np.generic):  # a sum of 0-d gradients is a numpy scalar
        return np.array(g)
    if isinstance(g, Node):
        if not g._shaped:
            from autograd.value import _copy

            return _copy(g)
        from autograd import ops

        return ops.copy(g)
    return g  # a number: immutable


def calibrate_private_refs(probe: Any) -> None:
    """Measure, on a real backward pass, the reference count that `store` sees for a gradient
    nobody else holds: `probe()` runs a pass whose leaf gradient is a fresh product. Outside
    CPython reference counts say nothing and gradients are always copied."""
    global PRIVATE_REFS, _PROBE
    if sys.implementation.name != "cpython":
        return
    _PROBE = []
    try:
        probe()
        PRIVATE_REFS = _PROBE[0]
    finally:
        _PROBE = None


# --- the topological order and the backward pass ----------------------------------------------


def toposort(root: Node) -> list[Node]:
    """Every node `root` depends on, each once, consumers before their inputs.

    Iterative depth-first search, so graphs of any depth work; linear in nodes plus edges.
    """
    order: list[Node] = []
    seen: set[Node] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    push = stack.append
    pop = stack.pop
    while stack:
        node, done = pop()
        if done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            push((node, True))
            for p in node._inputs:
                if p is not None and p not in seen:
                    push((p, False))
    order.reverse()
    return order


class _Freed:
    """Stands in for the primitive of a node whose graph `backward(retain_graph=False)` freed."""

    name = "freed"


FREED = _Freed()


def _count_consumers(root: Node) -> tuple[dict[Node, int], list[Node], list[int], list[int]]:
    """The pass's tables: every node below `root` numbered (`index`, `nodes`), with its
    number of recorded uses (`counts`), and the numbers of the leaves.

    Plain lists indexed by number, not an object per node: a pass allocates nothing the
    garbage collector must visit. A leaf's count is -1 and never grows, so it never becomes
    ready: leaves only collect their gradients, which are stored at the end.
    """
    index = {root: 0}
    nodes = [root]
    counts = [0]
    leaves = [0] if root._prim is None else []
    get = index.get
    add_node = nodes.append
    add_count = counts.append
    n = 1
    for node in nodes:  # a breadth-first walk: the list grows as it is read
        for p in node._inputs:
            if p is not None:
                k = get(p)
                if k is None:
                    index[p] = n
                    if p._prim is None:
                        leaves.append(n)
                        add_count(-1)
                    else:
                        add_count(1)
                    add_node(p)
                    n += 1
                elif counts[k] > 0:
                    counts[k] += 1
    return index, nodes, counts, leaves


_NO_EDGES: list[tuple[Any, ...]] = []


def backward(
    root: Node,
    seed: Any,
    *,
    retain_graph: bool = True,
    create_graph: bool = False,
    inputs: Sequence[Node] | None = None,
) -> list[Any] | None:
    """Run every VJP rule once, in reverse topological order, starting from `seed` at `root`.

    A node's rule runs once all its consumers have passed their gradients (Kahn's algorithm on
    consumer counts, as in HIPS autograd): no recursion, linear in nodes plus edges, and each
    pending gradient is dropped as soon as it has been used. The counts and pending gradients
    live in this call's own tables; the finished gradients are stored together at the end, so
    a pass that fails half way changes no `.grad`.

    Without `inputs`, finished gradients accumulate into `.grad` of the leaves (and of nodes that
    keep theirs); with `inputs`, nothing is stored and the gradients of those nodes are returned,
    one per entry even where a node is named twice (None where no path leads). With
    `create_graph`, rules run on nodes and are recorded.
    """
    index, nodes, counts, leaves = _count_consumers(root)
    pending: list[Any] = [None] * len(nodes)
    pending[0] = seed
    slots: dict[Node, list[int]] | None = None
    found: list[Any] = []
    if inputs is not None:
        slots = {}
        for i, node in enumerate(inputs):
            slots.setdefault(node, []).append(i)
        found = [None] * len(inputs)
    kept: list[int] = []  # the non-leaves that keep their gradient (it stays in `pending`)
    mode = MODE.get()
    anomaly = mode & ANOMALY
    # Rules record only under create_graph: then they receive nodes, and recording must be on.
    # Otherwise they receive plain data, which records nothing in any mode (a rule that makes
    # nodes from elsewhere has them reduced to data below), so the mode is left alone.
    token = MODE.set(mode | GRAD) if create_graph and not mode & GRAD else None
    tracer = None
    edges = _NO_EDGES  # (never appended to: only while tracing, when it is a list of its own)
    if mode & TRACE:  # autograd.jit records the pass (its rules run untraced, as one step each)
        edges = []
        tracer = TRACER.get()
        tracer.begin(create_graph or inputs is not None)
        token = MODE.set(mode & ~TRACE)
    ready = [] if root._prim is None else [0]
    pop = ready.pop
    push = ready.append
    try:
        while ready:
            k = pop()
            node = nodes[k]
            g = pending[k]  # None when every consumer's rule returned None for this node
            prim = node._prim
            if prim is FREED:
                raise RuntimeError(
                    "backward through a graph that an earlier backward(retain_graph=False) "
                    "freed; pass retain_graph=True (the default) to backward twice"
                )
            parents = node._inputs
            if g is not None:
                if slots is None and node._keep:
                    kept.append(k)
                else:
                    pending[k] = None
                    if slots is not None and node in slots:
                        _deliver(g, slots[node], found)
                stamp = node._stamp
                if stamp is not None and stamp != CLOCK.ticks:
                    _check_versions(node)
                if create_graph:
                    out: Any = node
                    args = tuple(
                        a if n is None else n for a, n in zip(node._args, parents, strict=True)
                    )
                else:
                    out = node._data
                    args = node._args
                kwargs = node._kwargs
                rules = prim.vjps
            i = -1  # counted by hand: enumerate's tuples cost 4% on a Value chain
            for parent in parents:
                i += 1
                if parent is None:
                    continue
                j = index[parent]
                if g is not None:
                    rule = rules[i]
                    gp = rule(g, out, *args, **kwargs) if kwargs else rule(g, out, *args)
                    if gp is not None:
                        if tracer is not None:  # what the rule saw, before any freeing
                            first = pending[j] is None
                            edges.append((k, j, rule, g, gp, first, parent._data, prim, args))
                        if parent._shaped and (
                            gp.__class__ is not ndarray
                            or gp.dtype is not (pd := parent._data).dtype
                            or gp.shape != pd.shape
                        ):  # fit's own first test, here to save a call on the usual edge
                            if not create_graph and isinstance(gp, Node):
                                gp = gp._data  # a rule made a node from elsewhere: data only
                            gp = fit(parent, gp, prim)
                        if anomaly:
                            check_finite(gp, f"{prim.name} backward (gradient of input {i})")
                        before = pending[j]
                        pending[j] = gp if before is None else before + gp
                left = counts[j] - 1
                counts[j] = left
                if not left:
                    push(j)
            if not retain_graph:
                node._inputs = ()
                node._args = ()
                node._prim = FREED
                if node._shaped:
                    node._saved = ()  # type: ignore[attr-defined]
        if slots is not None:
            for k in leaves:
                g = pending[k]
                if g is not None and nodes[k] in slots:
                    _deliver(g, slots[nodes[k]], found)
            return found
        if tracer is not None:
            tracer.backward(nodes, seed, edges, leaves, kept, pending)
        store(nodes, pending, leaves, kept, create_graph)
    finally:
        if token is not None:
            MODE.reset(token)
    return None


def _deliver(g: Any, where: list[int], found: list[Any]) -> None:
    """Put a finished gradient into each slot that asked for it, each its own copy."""
    for i in where:
        found[i] = copy(g)


def check_finite(x: Any, where: str) -> None:
    """Raise `AnomalyError` if `x` (a number, an array or a node) holds nan or inf."""
    data = x._data if isinstance(x, Node) else x
    if not np.all(np.isfinite(data)):
        kind = "nan" if np.any(np.isnan(data)) else "inf"
        raise AnomalyError(f"{where} produced {kind} values")
