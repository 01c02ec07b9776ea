"""The graph core shared by `Value` and `Tensor`: the node, the topological order, backward.

Each recorded result is a node that holds its forward inputs and the primitive that made it.
Nodes point only at their inputs, never at their consumers, and rules are plain functions that
receive the output as an argument: the graph has no reference cycles, so reference counting frees
it as soon as its output is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd.mode import STATE, AnomalyError


class Node:
    """A value in the graph. Subclasses say how data and gradients are stored.

    `_inputs[i]` is the i-th positional input of the primitive if it requires a gradient, else
    None; `_args` are the raw forward inputs (what the rules see); `_g` is the gradient pending
    during a backward pass and `_n` the number of its consumers that have yet to send theirs
    (0 outside a backward pass).
    """

    __slots__ = (
        "data",
        "grad",
        "label",
        "_inputs",
        "_args",
        "_kwargs",
        "_prim",
        "_g",
        "_n",
        "__weakref__",
    )

    requires_grad: bool
    _keep: bool

    @classmethod
    def _from_op(cls, out: Any, inputs: tuple, args: tuple, prim: Any, kwargs: dict | None) -> Node:
        raise NotImplementedError

    # `_fit(g, prim)` brings an incoming gradient to the node's shape and dtype; None where
    # there is nothing to fit (scalars), which saves the backward loop a call per edge.
    _fit: Any = None

    def _store_grad(self, g: Any) -> None:
        """Accumulate a finished gradient into `.grad`."""
        raise NotImplementedError

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


def _count_consumers(root: Node) -> list[Node]:
    """Set `_n` of every node below `root` to its number of recorded uses; return the nodes.

    The count lives in the node rather than in a dict: the pass touches each node anyway.
    """
    found = [root]
    for node in found:  # a breadth-first walk: the list grows as it is read
        for p in node._inputs:
            if p is not None:
                if p._n:
                    p._n += 1
                else:
                    p._n = 1
                    found.append(p)
    return found


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
    keep theirs); with `inputs`, nothing is stored and the gradients of those nodes are returned
    (None where no path leads). With `create_graph`, rules run on nodes and are recorded.
    """
    reached = _count_consumers(root)
    wanted = None if inputs is None else {node: i for i, node in enumerate(inputs)}
    found: list[Any] = [None] * (0 if inputs is None else len(inputs))
    anomaly = STATE.anomaly
    ready = [root]
    pop = ready.pop
    push = ready.append
    root._g = seed
    grad_mode = STATE.grad_enabled
    STATE.grad_enabled = create_graph  # rules record only when building a graph of gradients
    try:
        while ready:
            node = pop()
            g = node._g
            prim = node._prim
            if prim is None:  # a leaf: its gradient is complete
                if g is not None:
                    node._g = None
                    if wanted is None:
                        node._store_grad(g)
                    elif node in wanted:
                        found[wanted[node]] = g
                continue
            if prim is FREED:
                raise RuntimeError(
                    "backward through a graph that an earlier backward(retain_graph=False) "
                    "freed; pass retain_graph=True (the default) to backward twice"
                )
            nodes = node._inputs
            if g is not None:  # None when every consumer's rule returned None for this node
                node._g = None
                if wanted is None:
                    if node._keep:
                        node._store_grad(g)
                elif node in wanted:
                    found[wanted[node]] = g
                if create_graph:
                    out = node
                    args = tuple(
                        a if n is None else n for a, n in zip(node._args, nodes, strict=True)
                    )
                else:
                    out = node.data
                    args = node._args
                kwargs = node._kwargs
                rules = prim.rules
            i = -1  # counted by hand: enumerate's tuples cost 4% on a Value chain
            for parent in nodes:
                i += 1
                if parent is None:
                    continue
                if g is not None:
                    try:
                        rule = rules[i]
                    except (IndexError, TypeError):  # variadic rules, or none defined
                        rule = None
                    if rule is None:
                        gp = prim.vjp(i, g, out, args, kwargs)
                    elif kwargs:
                        gp = rule(g, out, *args, **kwargs)
                    else:
                        gp = rule(g, out, *args)
                    if gp is not None:
                        fit = parent._fit
                        if fit is not None:
                            gp = fit(gp, prim)
                        if anomaly:
                            check_finite(gp, f"{prim.name} backward (gradient of input {i})")
                        pending = parent._g
                        parent._g = gp if pending is None else pending + gp
                left = parent._n - 1
                parent._n = left
                if not left:
                    push(parent)
            if not retain_graph:
                node._inputs = ()
                node._args = ()
                node._prim = FREED
    except BaseException:
        for node in reached:
            node._g = None
            node._n = 0
        raise
    finally:
        STATE.grad_enabled = grad_mode
    return None if inputs is None else found


def check_finite(x: Any, where: str) -> None:
    """Raise `AnomalyError` if `x` (a number, an array or a node) holds nan or inf."""
    data = x.data if isinstance(x, Node) else x
    if not np.all(np.isfinite(data)):
        kind = "nan" if np.any(np.isnan(data)) else "inf"
        raise AnomalyError(f"{where} produced {kind} values")
