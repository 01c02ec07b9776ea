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

from autograd.mode import ANOMALY, GRAD, MODE, AnomalyError


class Node:
    """A value in the graph. `Value` and `Tensor` are its two kinds.

    `_inputs[i]` is the i-th positional input of the primitive if it required a gradient when the
    operation was recorded, else None; `_args` are the raw forward inputs (what the rules see),
    `_kwargs` the settings, `_prim` the primitive (None for a leaf). Every field is set in
    `_setup`, whichever way the node is made.
    """

    __slots__ = ("_data", "grad", "label", "_inputs", "_args", "_kwargs", "_prim", "__weakref__")

    requires_grad: bool
    _keep: bool  # store the gradient of this node in `.grad` even if it is not a leaf
    _shaped = False  # gradients are arrays fitted to the node's shape (Tensor), not floats
    _stamp: int | None = None  # the mutation clock when the node was recorded (Tensor only)

    def _setup(self, data: Any, prim: Any, inputs: tuple, args: tuple, kwargs: dict | None) -> None:
        self._data = data
        self.grad = None
        self.label = ""
        self._inputs = inputs
        self._args = args
        self._kwargs = kwargs
        self._prim = prim

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


# --- versions: changes in place are seen by every graph that used the old values -------------


class Version:
    """How often an array was changed in place through the library (`count`), and when last
    (`stamp`, a tick of the process-wide mutation clock). Shared by a tensor and its views."""

    __slots__ = ("count", "stamp")

    def __init__(self) -> None:
        self.count = 0
        self.stamp = 0


class _Clock:
    """Counts changes in place, process-wide. A node records the count when it is made; if the
    count is unchanged when backward reaches it, nothing it read can have changed (the fast
    path); otherwise each tensor it read is asked when it last changed."""

    __slots__ = ("ticks",)

    def __init__(self) -> None:
        self.ticks = 0


CLOCK = _Clock()
_CLOCK_LOCK = threading.Lock()


def bump_version(node: Any) -> None:
    """Record that `node`'s data was changed in place (or replaced): one more version."""
    box = node._vbox
    if box is None:
        box = node._vbox = Version()
    with _CLOCK_LOCK:
        CLOCK.ticks += 1
        box.stamp = CLOCK.ticks
        box.count += 1


def _check_versions(node: Node) -> None:
    """Raise if a tensor that `node`'s rule reads changed after the node was recorded."""
    stamp = node._stamp
    assert stamp is not None
    sources = [(node, "its result")]
    sources += [(t, f"its input {i}") for i, t in enumerate(node._inputs) if t is not None]
    sources += [(t, f"its input {i}") for i, t in node._saved]  # type: ignore[attr-defined]
    for t, role in sources:
        box = t._vbox  # type: ignore[attr-defined]
        if box is not None and box.stamp > stamp:
            raise RuntimeError(
                f"backward through {node._prim.name!r}: {role} ({_describe(t)}) was changed in "
                f"place after the operation used it (now at version {box.count}), so its rule "
                "would compute the gradient at the new values. Change tensors in place only "
                "after backward, or compute from a copy"
            )


def _describe(t: Any) -> str:
    what = f"Tensor of shape {t.shape}"
    return f"{what}, label {t.label!r}" if t.label else what


# --- gradients: fitted to their node, stored without aliasing ----------------------------------


def fit(node: Node, g: Any, prim: Any) -> Any:
    """Bring a gradient that `prim`'s rule sent to `node` to the node's shape and dtype.

    Rules may return gradients in the broadcast shape of the operation; this sums them back down
    (numpy's broadcasting, undone) and casts them to the node's floating dtype.
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


def store(node: Node, g: Any) -> None:
    """Accumulate a finished gradient into `node.grad`: the one place gradients are stored.

    Floats (Value) add up. Arrays are stored so that no `.grad` ever shares memory with another
    `.grad`, with an array the user holds, or with one the graph holds: see `own`. Holding the
    lock makes the read-add-write of a shared leaf's gradient one step for concurrent passes.
    """
    with _STORE_LOCK:
        old = node.grad
        if not node._shaped:
            node.grad = old + g
            node._reached = True  # type: ignore[attr-defined]
        elif old is None:
            node.grad = own(g)
        else:
            node.grad = old + g  # a new array (or a new node under create_graph)


def own(g: Any) -> Any:
    """`g` itself if nothing else can see it, else a copy: what a caller may keep and change.

    The copy is skipped, as PyTorch skips it, for a gradient nobody else holds: a fresh array
    (not a view) whose reference count is what a private array's count is at this point of a
    backward pass. Any other holder (the user's seed, the graph's data, the same gradient sent to
    a second input) adds a reference and gets a copy. `PRIVATE_REFS` is measured on a real pass
    when the engine is imported; outside CPython it is -1 and gradients are always copied.
    """
    if g.__class__ is np.ndarray:
        if g.base is None and sys.getrefcount(g) <= PRIVATE_REFS:
            return g
        return g.copy()
    if not isinstance(g, Node):
        return g  # a number (the gradient of a Value): immutable
    if g._data.base is None and sys.getrefcount(g) <= PRIVATE_REFS:  # a Tensor (create_graph)
        return g
    from autograd import ops

    return ops.copy(g)


PRIVATE_REFS = -1  # set by calibrate_private_refs() once Tensor exists


def calibrate_private_refs(probe: Any) -> None:
    """Measure the reference count of a private gradient at `own` on a real backward pass.

    `probe()` runs a pass whose leaf gradient is a fresh product nobody else holds, while `own`
    is replaced by a recorder with the same call shape.
    """
    global PRIVATE_REFS, own
    if sys.implementation.name != "cpython":
        return
    seen: list[int] = []
    real = own

    def recorder(g: Any) -> Any:  # the same frame shape as `own`
        seen.append(sys.getrefcount(g))
        return g

    own = recorder
    try:
        probe()
    finally:
        own = real
    PRIVATE_REFS = seen[0]


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


def _count_consumers(root: Node) -> dict[Node, int]:
    """For every node below `root`, its number of recorded uses (the root itself: 0)."""
    counts = {root: 0}
    found = [root]
    get = counts.get
    for node in found:  # a breadth-first walk: the list grows as it is read
        for p in node._inputs:
            if p is not None:
                n = get(p)
                if n is None:
                    counts[p] = 1
                    found.append(p)
                else:
                    counts[p] = n + 1
    return counts


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
    pending gradient is dropped as soon as it has been used.

    Without `inputs`, finished gradients accumulate into `.grad` of the leaves (and of nodes that
    keep theirs); with `inputs`, nothing is stored and the gradients of those nodes are returned,
    one per entry even where a node is named twice (None where no path leads). With
    `create_graph`, rules run on nodes and are recorded.
    """
    counts = _count_consumers(root)
    slots: dict[Node, list[int]] | None = None
    found: list[Any] = []
    if inputs is not None:
        slots = {}
        for i, node in enumerate(inputs):
            slots.setdefault(node, []).append(i)
        found = [None] * len(inputs)
    pending: dict[Node, Any] = {root: seed}
    take = pending.pop
    mode = MODE.get()
    anomaly = mode & ANOMALY
    token = MODE.set(anomaly | GRAD if create_graph else anomaly)  # rules record only then
    ready = [root]
    pop = ready.pop
    push = ready.append
    try:
        while ready:
            node = pop()
            g = take(node, None)  # None when every consumer's rule returned None for it
            prim = node._prim
            if g is not None:
                if slots is None:
                    if prim is None or node._keep:
                        store(node, g)
                elif node in slots:
                    _deliver(g, slots[node], found)
            if prim is None:
                continue
            if prim is FREED:
                raise RuntimeError(
                    "backward through a graph that an earlier backward(retain_graph=False) "
                    "freed; pass retain_graph=True (the default) to backward twice"
                )
            nodes = node._inputs
            if g is not None:
                stamp = node._stamp
                if stamp is not None and stamp != CLOCK.ticks:
                    _check_versions(node)
                if create_graph:
                    out: Any = node
                    args = tuple(
                        a if n is None else n for a, n in zip(node._args, nodes, strict=True)
                    )
                else:
                    out = node._data
                    args = node._args
                kwargs = node._kwargs
                vjp = prim.vjp
            for i, parent in enumerate(nodes):
                if parent is None:
                    continue
                if g is not None:
                    gp = vjp(i, g, out, args, kwargs)
                    if gp is not None:
                        if parent._shaped:
                            gp = fit(parent, gp, prim)
                        if anomaly:
                            check_finite(gp, f"{prim.name} backward (gradient of input {i})")
                        before = pending.get(parent)
                        pending[parent] = gp if before is None else before + gp
                left = counts[parent] - 1
                counts[parent] = left
                if not left:
                    push(parent)
            if not retain_graph:
                node._inputs = ()
                node._args = ()
                node._prim = FREED
                if node._shaped:
                    node._saved = ()  # type: ignore[attr-defined]
    finally:
        MODE.reset(token)
    return None if inputs is None else found


def _deliver(g: Any, where: list[int], found: list[Any]) -> None:
    """Put a finished gradient into each slot that asked for it, each its own copy."""
    g = own(g)
    found[where[0]] = g
    for i in where[1:]:
        found[i] = own(g)  # held by found now: always a copy


def check_finite(x: Any, where: str) -> None:
    """Raise `AnomalyError` if `x` (a number, an array or a node) holds nan or inf."""
    data = x._data if isinstance(x, Node) else x
    if not np.all(np.isfinite(data)):
        kind = "nan" if np.any(np.isnan(data)) else "inf"
        raise AnomalyError(f"{where} produced {kind} values")
