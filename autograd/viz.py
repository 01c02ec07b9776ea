"""Drawing the computation graph with Graphviz: values, operations, data and gradients.

    from autograd import Value, draw_graph, save_graph
    o = (Value(2.0, label="x") * Value(-3.0, label="w")).tanh()
    o.backward()
    save_graph(o, "neuron.svg")

Each Value or Tensor is a box (label, data, grad), each operation a small ellipse named by its
op, as in micrograd's drawing. Colours: blue boxes are leaves (parameters and Values you made),
white boxes are intermediate results, the bold box is the root, grey dashed boxes are constant
inputs (numbers and arrays that take no gradient), yellow ellipses are operations. A gradient
that no backward has computed yet shows as "grad —", never as 0. Intermediate Tensors show no
gradient, since backward does not keep theirs: call `retain_grad()` on one to see it.

Command line: `python -m autograd.viz --out neuron.svg` draws micrograd's example neuron;
`--html` writes its interactive explorer instead (`save_html`, in autograd/explorer.py).
"""

from __future__ import annotations

import argparse
import html
import os
import re
from typing import Any, SupportsFloat

import graphviz
import numpy as np

from autograd.graph import Node, toposort

DEFAULT_MAX_NODES = 500
SMALL = 6  # tensors up to this many elements show their values; larger ones a summary

STYLE = {
    "leaf": {"fillcolor": "#dbeafe", "color": "#1d4ed8"},
    "result": {"fillcolor": "#ffffff", "color": "#374151"},
    "root": {"fillcolor": "#ffffff", "color": "#111827", "penwidth": "2.5"},
    "constant": {"fillcolor": "#f3f4f6", "color": "#9ca3af", "style": "filled,dashed"},
    "op": {"fillcolor": "#fef3c7", "color": "#b45309", "shape": "ellipse"},
}

INSTALL_HINT = (
    "Graphviz's 'dot' program is needed to render graphs and was not found on the PATH. "
    "Install it with 'apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' "
    "(macOS) or 'conda install graphviz'. The DOT source (graph.source, or "
    "save_graph(root, 'graph.dot')) works without it."
)


class GraphvizNotFoundError(RuntimeError):
    """Rendering needs Graphviz's `dot` program, which is not installed."""


# graphviz ships no type information (no py.typed, no stubs in typeshed), so Digraph is Any to
# mypy and no annotation here can change that: the ignore allows subclassing it.
class Graph(graphviz.Digraph):  # type: ignore[misc]
    """A `graphviz.Digraph` whose rendering errors say how to install Graphviz."""

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            raise GraphvizNotFoundError(INSTALL_HINT) from e

    def render(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            raise GraphvizNotFoundError(INSTALL_HINT) from e


# --- text of the labels ----------------------------------------------------------------------


def _num(number: SupportsFloat) -> str:
    x = float(number)
    if x == 0 or 1e-3 <= abs(x) < 1e5 or not np.isfinite(x):
        return f"{x:.4f}"
    return f"{x:.3e}"


def _array_text(a: np.ndarray) -> str:
    """Values of a small array, a summary of a large one."""
    if a.size == 1:
        return _num(a.reshape(()))
    if a.size <= SMALL:
        return np.array2string(
            a, precision=4, separator=", ", floatmode="fixed", max_line_width=60
        ).replace("\n", " ")
    return f"mean {_num(a.mean())}, min {_num(a.min())}, max {_num(a.max())}"


MAX_LABEL = 60  # characters of a label or an op's name drawn; longer ones end in an ellipsis
# control characters, and what XML 1.0 cannot hold: surrogates, U+FFFE and U+FFFF
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _text(label: object, limit: int = MAX_LABEL) -> str:
    """A label as Graphviz and XML can take it: control characters shown as their Python
    escapes (`\\x01`), and text longer than `limit` characters cut short with an ellipsis."""
    text = label if isinstance(label, str) else str(label)
    text = _UNPRINTABLE.sub(lambda m: m[0].encode("unicode_escape").decode(), text[: limit + 1])
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _row(text: str, bold: bool = False) -> str:
    body = html.escape(text)
    return f"<TR><TD>{'<B>' + body + '</B>' if bold else body}</TD></TR>"


def _value_label(node: Node, show_data: bool, show_grad: bool, op: str | None) -> str:
    rows = []
    title = _text(node.label) if node.label else ""
    if op is not None:  # collapsed drawing: the op lives in the value's box
        title = f"{title} = {_text(op)}" if title else f"= {_text(op)}"
    if title:
        rows.append(_row(title, bold=True))
    data = np.asarray(node._data)
    is_tensor = isinstance(node._data, np.ndarray)
    if is_tensor:
        rows.append(_row(f"shape {data.shape} {data.dtype}"))
    if show_data:
        rows.append(_row(f"data {_array_text(data)}"))
    if show_grad:
        if node.has_grad:
            grad = getattr(node.grad, "_data", node.grad)  # a Tensor after create_graph
            rows.append(_row(f"grad {_array_text(np.asarray(grad))}"))
        elif node.requires_grad and (node._prim is None or node._keep):
            rows.append(_row("grad —"))  # kept gradients only: others are dropped in backward
    if not rows:
        rows.append(_row(type(node).__name__))
    return (
        '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">'
        + "".join(rows)
        + "</TABLE>>"
    )


def _constant_label(value: Any, name: str = "") -> str:
    """A constant input's box: its label if it is a labelled Tensor, its value or its shape."""
    a = np.asarray(value)
    if a.size == 1 and a.ndim == 0:
        text = _num(a) if a.dtype.kind in "biuf" else _text(value)
    elif a.dtype.kind in "biuf" and a.dtype != bool:
        text = f"input {a.shape}\n{_array_text(a.astype(float))}"
    else:
        text = f"{a.dtype} {a.shape}"
    body = "<BR/>".join(html.escape(line) for line in text.split("\n"))
    if name:
        body = f"<B>{html.escape(_text(name))}</B><BR/>{body}"
    return f"<{body}>"


def _constant_name(node: Node, i: int) -> str:
    """The label of the Tensor that was `node`'s constant input `i`, if it had one: the
    Tensors that need no grad are kept for the version check, their data among the args."""
    for t in getattr(node, "_saved", ()):
        if t._data is node._args[i] and t.label:
            return str(t.label)
    return ""


def _op_label(node: Node) -> str:
    """The op's name, with its settings: `sum(axis=1)`, `**2`, `[:, 1]`."""
    name = node.op
    kwargs = node._kwargs or {}
    if name == "**" and node._inputs[1] is None and np.ndim(node._args[1]) == 0:
        return f"**{_short(node._args[1])}"
    if name == "[]":
        return f"[{_index_text(kwargs['index'])}]"
    shown = [f"{k}={_short(v)}" for k, v in kwargs.items() if v is not None and v is not False]
    if name in ("reshape", "transpose") and shown:  # reshape(2, 3) reads better than shape=
        shown = [", ".join(str(n) for n in next(iter(kwargs.values())))]
    return f"{name}({', '.join(shown)})" if shown else name


def _short(v: Any) -> str:
    if isinstance(v, tuple) and len(v) == 1:
        return _short(v[0])
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, np.ndarray):
        return f"array{v.shape}"
    if isinstance(v, np.dtype):
        return str(v)
    return str(v)


def _index_text(index: Any) -> str:
    items = index if isinstance(index, tuple) else (index,)
    parts = []
    for i in items:
        if isinstance(i, slice):
            parts.append(
                ":".join("" if s is None else str(s) for s in (i.start, i.stop))
                + (f":{i.step}" if i.step is not None else "")
            )
        elif i is None:
            parts.append("None")
        elif i is Ellipsis:
            parts.append("...")
        elif isinstance(i, np.ndarray):
            parts.append(f"{'mask' if i.dtype == bool else 'index'}{i.shape}")
        else:
            parts.append(str(i))
    return ", ".join(parts)


# --- the drawing -----------------------------------------------------------------------------


def count_nodes(root: Node, collapse: bool = False) -> int:
    """How many boxes and ellipses `draw_graph(root, collapse=...)` would draw."""
    return _count(toposort(root), collapse)


def _count(nodes: list[Node], collapse: bool) -> int:
    if collapse:
        return len(nodes)
    ops = sum(1 for n in nodes if n._prim is not None)
    constants = sum(
        1
        for n in nodes
        if n._prim is not None
        for i, p in enumerate(n._inputs)
        if p is None and not _folded(n, i)
    )
    return len(nodes) + ops + constants


def _folded(node: Node, i: int) -> bool:
    """Inputs shown inside the op's name rather than as boxes (the exponent of `**2`)."""
    return node.op == "**" and i == 1 and np.ndim(node._args[1]) == 0


def draw_graph(
    root: Node,
    rankdir: str = "LR",
    show_grad: bool = True,
    show_data: bool = True,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    collapse: bool = False,
) -> Graph:
    """A `graphviz.Digraph` of everything `root` depends on.

    `rankdir` "LR" (left to right) or "TB"; `collapse=True` draws each operation inside its
    result's box and leaves constants out (about half the nodes); a graph with more than
    `max_nodes` nodes is refused with a message saying how many it has (`max_nodes=None` draws
    any size). `.pipe(format="svg")` gives SVG bytes, `.source` the DOT text; in a notebook the
    object displays itself.
    """
    if not isinstance(root, Node):
        raise TypeError(f"draw_graph needs a Value or a Tensor, got {type(root).__name__}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    nodes = toposort(root)
    total = _count(nodes, collapse)
    if max_nodes is not None and total > max_nodes:
        hint = "" if collapse else f" collapse=True draws it with {_count(nodes, True)} nodes;"
        raise ValueError(
            f"the graph has {total} nodes, more than max_nodes={max_nodes}:{hint} pass "
            f"max_nodes=None to draw it all anyway (big drawings are slow to lay out and read), "
            f"or draw a smaller expression (fewer samples, a single neuron)"
        )
    order = nodes[::-1]  # inputs first: a stable, readable layout
    ids = {node: f"v{i}" for i, node in enumerate(order)}
    g = Graph(
        name="autograd",
        graph_attr={"rankdir": rankdir, "fontname": "Helvetica"},
        node_attr={
            "shape": "box",
            "style": "filled,rounded",
            "fontname": "Helvetica",
            "fontsize": "11",
        },
        edge_attr={"color": "#6b7280", "arrowsize": "0.7"},
    )
    for node in order:
        kind = "root" if node is root else ("leaf" if node._prim is None else "result")
        op = _op_label(node) if collapse and node._prim is not None else None
        g.node(ids[node], _value_label(node, show_data, show_grad, op), **STYLE[kind])
        if node._prim is None:
            continue
        target = ids[node]
        if not collapse:
            target = ids[node] + "_op"
            g.node(target, f"<{html.escape(_text(_op_label(node)))}>", **STYLE["op"])
            g.edge(target, ids[node])
        for i, parent in enumerate(node._inputs):
            if parent is not None:
                g.edge(ids[parent], target)
            elif not collapse and not _folded(node, i):
                const = f"{ids[node]}_c{i}"
                label = _constant_label(node._args[i], _constant_name(node, i))
                g.node(const, label, **STYLE["constant"])
                g.edge(const, target)
    return g


FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": None, ".gv": None}


def save_graph(root: Node, path: str | os.PathLike[str], **options: Any) -> str:
    """Draw `root`'s graph into `path`, in the format of its suffix; returns the path.

    `.svg`, `.png`, `.pdf` need Graphviz's `dot`; `.dot` and `.gv` write the DOT source and do
    not. `options` go to `draw_graph`.
    """
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"save_graph: unknown suffix {suffix!r} in {path!r}; use one of {', '.join(FORMATS)}"
        )
    g = draw_graph(root, **options)
    fmt = FORMATS[suffix]
    data = g.source.encode() if fmt is None else g.pipe(format=fmt)
    with open(path, "wb") as f:
        f.write(data)
    return path


def draw_html(root: Node, **options: Any) -> str:
    """The interactive explorer of `root`'s graph: one self-contained HTML page that steps
    through the forward and the backward pass with the engine's numbers (autograd.explorer)."""
    from autograd import explorer

    return explorer.build(root, **options)


def save_html(root: Node, path: str | os.PathLike[str], **options: Any) -> str:
    """Write `draw_html(root, **options)` into `path`, a page that opens offline; returns the
    path. Options: rankdir, max_nodes, collapse, names or module (parameter names), gradient
    (a Tensor root's seed, ones by default), title. The graph's `.grad`s are left alone."""
    from autograd import explorer

    return explorer.save(root, path, **options)


def example_neuron(backward: bool = True) -> Node:
    """micrograd's neuron tanh(x1*w1 + x2*w2 + b), after backward unless `backward=False`."""
    from autograd.value import Value

    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    if backward:
        o.backward()
    return o


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(
        prog="python -m autograd.viz",
        description="Draw micrograd's example neuron tanh(x1*w1 + x2*w2 + b) with its gradients.",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="output file: .svg, .png, .pdf, or .dot for the DOT source (default neuron.svg); "
        ".html with --html (default neuron.html)",
    )
    parser.add_argument("--rankdir", default="LR", choices=["LR", "TB"])
    parser.add_argument(
        "--before-backward",
        action="store_true",
        help="draw the graph before backward (gradients not computed yet)",
    )
    parser.add_argument(
        "--html",
        action="store_true",
        help="write the interactive explorer (a page stepping through forward and backward)",
    )
    args = parser.parse_args(argv)
    o = example_neuron(backward=not args.before_backward)
    if args.html:
        path = save_html(o, args.out or "neuron.html", rankdir=args.rankdir)
    else:
        path = save_graph(o, args.out or "neuron.svg", rankdir=args.rankdir)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
