"""The graph explorer: one HTML page that steps through a forward and a backward pass.

    from autograd import Value
    from autograd.viz import save_html
    o = (Value(2.0, label="x") * Value(-3.0, label="w")).tanh()
    save_html(o, "neuron.html")

The page is self-contained (script, style and the drawing inline, a content security policy
that forbids any request), so it opens offline in any browser. Graphviz lays the graph out when
the page is written: the boxes are `draw_graph`'s. Forward steps reveal the nodes in the order a
program computes them (each after its inputs); backward steps follow the engine's own order, and
a panel shows each chain-rule step with its numbers, one line per input of the operation.

Every number comes from the engine, none is computed in the browser: the page runs the engine's
backward once on a copy of the graph whose primitives write down what each VJP rule returns. The
copy shares the data of the user's graph but none of its `.grad`, so writing a page changes no
gradient, and the steps of a node add up, in the engine's order, to the engine's gradient.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import numpy as np

from autograd import graph, viz
from autograd.graph import Node
from autograd.tensors import Tensor
from autograd.value import Value

SVG_NS = "http://www.w3.org/2000/svg"
FULL_LIMIT = 4096  # arrays up to this size are written in full in `data-grad` and `data-value`
SHOWN = 36  # arrays up to this size show their values in the node panel, larger a summary
INFIX = {"+", "-", "*", "/", "**", "@"}


class NamedParameters(Protocol):
    """What `module=` needs: `nn.Module.named_parameters()` (autograd does not import nn)."""

    def named_parameters(self) -> Iterable[tuple[str, Any]]: ...


# --- the pass: the engine's backward on a copy whose rules write down their results ----------


class _Rules:
    """The rule table the engine reads on a copied node: each rule is the real one, wrapped to
    write `(node number, input, output gradient, what the rule returned)` into `log`."""

    def __init__(self, rules: Any, k: int, log: list[tuple[int, int, Any, Any]]) -> None:
        self._rules = rules
        self._k = k
        self._log = log

    def __getitem__(self, i: int) -> Any:
        rule = self._rules[i]
        k, log = self._k, self._log

        def recorded(g: Any, out: Any, *args: Any, **kwargs: Any) -> Any:
            gp = rule(g, out, *args, **kwargs)
            log.append((k, i, g, gp))
            return gp

        return recorded


class _Recording:
    """Stands in for a primitive on the copy: the same name, the rules recorded."""

    def __init__(self, prim: Any, k: int, log: list[tuple[int, int, Any, Any]]) -> None:
        self.name = prim.name
        self.vjps = _Rules(prim.vjps, k, log)


class _Pass:
    """One backward pass of the engine from `root`, on a copy: per node its gradient after each
    contribution, in the engine's order, and the copy (with those gradients) to draw."""

    def __init__(self, root: Node, nodes: list[Node], gradient: Any) -> None:
        for node in nodes:  # the engine's own check, on the user's nodes, before copying them
            stamp = node._stamp
            if stamp is not None and stamp != graph.CLOCK.ticks:
                graph._check_versions(node)
        self.log: list[tuple[int, int, Any, Any]] = []
        index = {id(node): k for k, node in enumerate(nodes)}
        copies: list[Node] = []
        for k, node in enumerate(nodes):  # inputs first: each copy's inputs are copied already
            prim = node._prim
            if prim is not None and prim is not graph.FREED:
                prim = _Recording(prim, k, self.log)
            inputs = tuple(None if p is None else copies[index[id(p)]] for p in node._inputs)
            saved = node._saved if node._shaped else ()  # type: ignore[attr-defined]
            c = node._make(
                node.__class__, node._data, prim, inputs, node._args, node._kwargs, saved
            )
            c.label = node.label
            if isinstance(c, Tensor):
                c.requires_grad = True
                c._keep = True  # every box of the drawing gets a grad row
            copies.append(c)
        self.copies = copies
        self.index = index
        r = index[id(root)]
        self.seed = _seed(root, gradient)
        found = graph.backward(copies[r], self.seed, inputs=copies)
        assert found is not None
        self.final = found
        # The engine's accumulation, replayed in its order on the contributions it computed
        self.seed_node = r
        # per backward step: its node, and for each rule it ran (input, the input's node,
        # output gradient, contribution, the input's gradient before and after it)
        self.steps: list[tuple[int, list[tuple[int, int, Any, Any, Any, Any]]]] = []
        running: list[Any] = [None] * len(nodes)
        running[r] = self.seed
        for k, i, g, gp in self.log:
            node = nodes[k]
            if not self.steps or self.steps[-1][0] != k:
                self.steps.append((k, []))
            parent = node._inputs[i]
            assert parent is not None
            j = index[id(parent)]
            if gp is None:
                continue  # the rule sends nothing: the engine adds nothing
            if isinstance(gp, Node):
                gp = gp._data
            pd = parent._data
            if parent._shaped and (
                gp.__class__ is not np.ndarray or gp.dtype is not pd.dtype or gp.shape != pd.shape
            ):
                gp = graph.fit(copies[j], gp, node._prim)
            before = running[j]
            running[j] = gp if before is None else before + gp
            self.steps[-1][1].append((i, j, g, gp, before, running[j]))
        for k, c in enumerate(copies):  # the drawing shows the engine's final gradients
            g = found[k]
            if isinstance(c, Value):
                if g is not None:
                    c.grad = float(g)
                    c._reached = True
            else:
                c.grad = g


def _seed(root: Node, gradient: Any) -> Any:
    """1 for a Value; for a Tensor `gradient` if given, else ones of its shape (the gradient
    of `root.sum()`, so any shape works)."""
    if not root._shaped:
        if gradient is not None:
            raise TypeError("gradient= seeds a Tensor root; a Value's seed is 1")
        return 1.0
    if not root.requires_grad:
        raise RuntimeError(
            "the explorer needs a root that requires grad: create the inputs with "
            "requires_grad=True (and not inside no_grad())"
        )
    data = root._data
    if gradient is None:
        return np.ones_like(data)
    given = np.asarray(getattr(gradient, "_data", gradient))
    if given.shape != data.shape:
        raise ValueError(f"gradient has shape {given.shape} but the root has shape {data.shape}")
    return given.astype(data.dtype)


def _forward_order(root: Node, count: int) -> list[Node]:
    """The nodes in the order a program computes them: each after its inputs, the first input's
    branch first (a depth-first post-order, iterative so any depth works)."""
    order: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            for p in reversed(node._inputs):
                if p is not None and id(p) not in seen:
                    stack.append((p, False))
    assert len(order) == count
    return order


# --- text ------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """`text` with control characters and lone surrogates written as their Python escapes
    (`\\x01`), as the drawing writes them: HTML and XML cannot hold them."""
    return viz._text(text, limit=sys.maxsize - 1)  # escaped, never shortened


def _fmt(x: Any) -> str:
    """A number for the panel: Python's shortest repr when short, else 6 significant digits."""
    x = float(x)
    r = repr(x)
    if len(r) <= 8 or not math.isfinite(x):
        return r
    short = f"{x:.6g}"
    return short if any(c in short for c in ".e") else short + ".0"


def _full(a: Any) -> str:
    """Every digit: a float's repr, an array as a JSON list of reprs (nan and inf as numpy
    spells them), or a summary past FULL_LIMIT elements."""
    if not isinstance(a, np.ndarray):
        return repr(float(a))
    if a.size > FULL_LIMIT:
        return f"shape {a.shape}: {viz._array_text(a)} (more than {FULL_LIMIT} elements)"
    return json.dumps(a.tolist()).replace("NaN", "nan").replace("Infinity", "inf")


def _box(a: Any) -> str:
    """The text of a box's row, as `draw_graph` writes it."""
    return viz._array_text(np.asarray(a))


def _panel(a: Any) -> str:
    """Values for the node panel: the numbers when few, a summary otherwise."""
    if not isinstance(a, np.ndarray) or a.ndim == 0:
        return repr(float(a))
    if a.size <= SHOWN:
        return np.array2string(a, precision=6, separator=", ", max_line_width=72)
    return f"mean {_fmt(a.mean())}, std {_fmt(a.std())}, min {_fmt(a.min())}, max {_fmt(a.max())}"


def _short_value(a: Any) -> str:
    """A number or array inside a one-line formula."""
    if not isinstance(a, np.ndarray):
        return _fmt(a)
    if a.size == 1:
        return _fmt(a.reshape(()))
    return viz._array_text(a)


class _Names:
    """The name each node goes by in the panel: its label (in parentheses when it is not a
    single word, so `(x1*w1).grad` reads right), or `v3` (its number) when it has none."""

    def __init__(self, nodes: list[Node]) -> None:
        self.plain = [viz._text(node.label) or f"v{k}" for k, node in enumerate(nodes)]
        self.names = [x if re.fullmatch(r"[\w.]+", x) else f"({x})" for x in self.plain]

    def __getitem__(self, k: int) -> str:
        return self.names[k]


def _input_refs(node: Node, names: _Names, index: dict[int, int]) -> list[str]:
    """How each input of `node` reads in a formula: `w1.data`, or a constant's number."""
    refs = []
    for p, a in zip(node._inputs, node._args, strict=False):
        if p is not None:
            refs.append(f"{names[index[id(p)]]}.data")
        elif np.ndim(a) == 0 and np.asarray(a).dtype.kind in "biuf":
            refs.append(_fmt(a))
        else:
            refs.append(f"input{np.shape(a)}")
    return refs


def _local(node: Node, i: int, refs: list[str], out: str) -> str | None:
    """d(out)/d(input i) of a scalar op, as a formula in the inputs' names; None if unknown."""
    a = refs[0] if refs else "?"
    b = refs[1] if len(refs) > 1 else "?"
    op = node.op
    if op == "**":
        if i == 0:
            e = node._args[1]
            if np.ndim(e) == 0 and node._inputs[1] is None:
                return f"{_fmt(e)} * {a}**{_fmt(float(e) - 1)}"
            return f"{b} * {a}**({b} - 1)"
        return f"{out} * log({a})"
    table: dict[str, tuple[str, ...]] = {
        "+": ("1", "1"),
        "-": ("1", "-1"),
        "*": (b, a),
        "/": (f"1 / {b}", f"-{out} / {b}"),
        "neg": ("-1",),
        "tanh": (f"(1 - {out}**2)",),
        "exp": (out,),
        "log": (f"1 / {a}",),
        "relu": (f"({a} > 0)",),
        "sigmoid": (f"{out} * (1 - {out})",),
        "sqrt": (f"1 / (2 * {out})",),
        "sin": (f"cos({a})",),
        "cos": (f"-sin({a})",),
        "abs": (f"sign({a})",),
    }
    rules = table.get(op)
    return rules[i] if rules is not None and i < len(rules) else None


def _chain_line(
    node: Node, i: int, g: Any, c: Any, target: str, out_name: str, refs: list[str]
) -> str:
    """`x1.grad += o.grad * w1.data = 0.5 * -3.0 = -1.5`: one input's share of a backward step."""
    upstream = f"{out_name}.grad"
    if node._shaped:
        a = refs[0] if refs else "?"
        b = refs[1] if len(refs) > 1 else "?"
        local = _local(node, i, refs, f"{out_name}.data")
        if node.op == "@":
            expr = f"{upstream} @ {b}ᵀ" if i == 0 else f"{a}ᵀ @ {upstream}"
        elif node.op == "linear":  # x @ weight.T + bias
            expr = (f"{upstream} @ {b}", f"{upstream}ᵀ @ {a}", f"{upstream} summed over rows")[i]
        elif node.op == "sum":
            expr = f"{upstream} spread over the summed axes"
        elif local is not None:
            expr = f"{upstream} * {local}"
        else:
            expr = f"VJP of {node.op} for input {i} applied to {upstream}"
        shape = np.shape(node._args[i]) if i < len(node._args) else ()
        if local is not None and np.shape(g) != shape:
            expr += f", summed to shape {shape}"
        return f"{target}.grad += {expr} = {_short_value(c)}"
    local = _local(node, i, refs, f"{out_name}.data")
    if local is None:
        local = f"d{out_name}/d{target}"
    factor: float | None = None
    if node.op == "*":
        factor = float(node._args[1 - i])  # the other input's number, as the rule uses it
    elif g != 0 and math.isfinite(float(g)):
        factor = float(c) / float(g)
    if factor is None:
        return f"{target}.grad += {upstream} * {local} = {_fmt(c)}"
    return f"{target}.grad += {upstream} * {local} = {_fmt(g)} * {_fmt(factor)} = {_fmt(c)}"


def _expression(node: Node, names: _Names, index: dict[int, int]) -> tuple[str, str]:
    """The operation that made `node`, in its inputs' names and in their numbers:
    (`x1*w1 + b`, `-6.0 + 6.88137`)."""
    refs = _input_refs(node, names, index)
    nums = []
    for p, a in zip(node._inputs, node._args, strict=False):
        nums.append(_short_value(p._data if p is not None else np.asarray(a)))
    syms = [r[:-5] if r.endswith(".data") else r for r in refs]
    op = node.op
    if op in INFIX and len(refs) == 2:
        return f"{syms[0]} {op} {syms[1]}", f"{nums[0]} {op} {nums[1]}"
    if op == "neg" and refs:
        return f"-{syms[0]}", f"-{nums[0]}"
    if op == "[]" and refs:
        return syms[0] + viz._op_label(node), nums[0] + viz._op_label(node)
    settings = [
        f"{key}={viz._short(v)}"
        for key, v in (node._kwargs or {}).items()
        if v is not None and v is not False
    ]
    return f"{op}({', '.join(syms + settings)})", f"{op}({', '.join(nums + settings)})"


def _forward_text(node: Node, k: int, names: _Names, index: dict[int, int], param: str) -> str:
    """The forward step of node `k`: `n = x1*w1 + b = -6.0 + 6.88137 = 0.881374`."""
    name = names.plain[k]
    value = _short_value(node._data)
    if node._prim is None:
        what = f"parameter {param}" if param else "a leaf: a number you made"
        return f"{name} = {value}  ({what})"
    sym, num = _expression(node, names, index)
    if node._shaped and any(np.size(n._data) > 1 for n in [node, *node.parents]):
        return f"{name} = {sym} = {value}"
    return f"{name} = {sym} = {num} = {value}"


# --- the drawing -------------------------------------------------------------------------------


def _svg(copies: list[Node], root: int, rankdir: str, collapse: bool) -> ET.Element:
    """`draw_graph`'s SVG of the copy, parsed: boxes with the engine's data and final grads."""
    g = viz.draw_graph(copies[root], rankdir=rankdir, collapse=collapse, max_nodes=None)
    return ET.fromstring(g.pipe(format="svg"))


def _annotate(svg: ET.Element, nodes: list[dict[str, Any]]) -> str:
    """Mark each element of the SVG with the node it belongs to, for the script and for tests:
    value boxes get `data-k`, `data-label`, `data-value` and `data-grad`; ops, constants and
    edges `data-of` (the node whose forward step reveals them). Titles (tooltips that would say
    `v3_op`) are dropped."""
    q = f"{{{SVG_NS}}}"
    for parent in list(svg.iter()):
        for child in list(parent):
            if child.tag == f"{q}title":
                title = child.text or ""
                parent.remove(child)
                cls = parent.get("class")
                if cls == "node":
                    _mark_node(parent, title, nodes, q)
                elif cls == "edge":
                    head = title.split("->")[-1]
                    parent.set("data-of", str(_owner(head)))
    svg.attrib.pop("width", None)
    svg.attrib.pop("height", None)
    svg.set("role", "img")
    svg.set("aria-label", "the computation graph")
    for el in svg.iter():  # written in the default namespace: `<g>`, not `<ns0:g>`
        el.tag = el.tag.removeprefix(q)
    svg.set("xmlns", SVG_NS)
    return ET.tostring(svg, encoding="unicode")


def _owner(dot_id: str) -> int:
    """The node a DOT id belongs to: `v3`, `v3_op`, `v3_c1` all to node 3."""
    m = re.match(r"v(\d+)", dot_id)
    assert m is not None, dot_id
    return int(m.group(1))


def _mark_node(g: ET.Element, title: str, nodes: list[dict[str, Any]], q: str) -> None:
    k = _owner(title)
    if "_" in title:
        g.set("class", "node " + ("op" if title.endswith("_op") else "const"))
        g.set("data-of", str(k))
        return
    info = nodes[k]
    g.set("class", "node value")
    g.set("data-k", str(k))
    g.set("data-label", info["label"])
    g.set("data-value", info["full"])
    g.set("data-grad", "")
    g.set("tabindex", "0")
    for text in g.iter(f"{q}text"):
        content = (text.text or "").replace("\xa0", " ")
        if content.startswith("grad "):
            text.set("class", "grad")
            text.text = "grad —"
        elif content.startswith("data "):
            text.set("class", "data")


# --- the page ----------------------------------------------------------------------------------


def _parameter_names(
    names: Mapping[str, Any] | None, module: NamedParameters | None
) -> dict[int, str]:
    found: dict[int, str] = {}
    if module is not None:
        for name, p in module.named_parameters():
            found[id(p)] = name
    if names is not None:
        for name, p in names.items():
            found[id(p)] = name
    return found


def build(
    root: Node,
    *,
    rankdir: str = "LR",
    max_nodes: int | None = viz.DEFAULT_MAX_NODES,
    collapse: bool = False,
    names: Mapping[str, Any] | None = None,
    module: NamedParameters | None = None,
    gradient: Any = None,
    title: str | None = None,
) -> str:
    """The explorer page for `root`'s graph, as a string (see `draw_html`)."""
    if not isinstance(root, Node):
        raise TypeError(f"draw_html needs a Value or a Tensor, got {type(root).__name__}")
    if max_nodes is not None and viz.count_nodes(root, collapse) > max_nodes:
        viz.draw_graph(root, max_nodes=max_nodes, collapse=collapse)  # raises its message
    nodes = graph.toposort(root)[::-1]  # draw_graph's numbering: node k is its box `v{k}`
    run = _Pass(root, nodes, gradient)
    index = run.index
    for k, c in enumerate(run.copies):  # an unlabelled box shows the name the panel uses
        c.label = c.label or f"v{k}"
    params = _parameter_names(names, module)
    label_of = _Names(nodes)
    uses = [0] * len(nodes)
    for node in nodes:
        for p in node._inputs:
            if p is not None:
                uses[index[id(p)]] += 1
    info: list[dict[str, Any]] = []
    for k, node in enumerate(nodes):
        data = node._data
        kind = "root" if k == run.seed_node else ("leaf" if node._prim is None else "result")
        info.append(
            {
                "name": label_of[k],
                "label": _clean(node.label),
                "param": _clean(params.get(id(node), "")),
                "kind": kind,
                "op": _clean(viz._op_label(node)) if node._prim is not None else "",
                "expr": _clean(f"{label_of.plain[k]} = {_expression(node, label_of, index)[0]}")
                if node._prim
                else "",
                "inputs": [
                    label_of[index[id(p)]] if p is not None else "a constant" for p in node._inputs
                ],
                "uses": uses[k],
                "shape": str(data.shape) if node._shaped else "",
                "dtype": str(data.dtype) if node._shaped else "",
                "data": _panel(data),
                "full": _full(data),
            }
        )
    steps: list[dict[str, Any]] = [{"kind": "start"}]
    for node in _forward_order(root, len(nodes)):
        k = index[id(node)]
        text = _forward_text(node, k, label_of, index, info[k]["param"])
        steps.append({"kind": "forward", "node": k, "text": _clean(text)})
    steps += _backward_steps(run, nodes, label_of, gradient is not None, uses)
    r, n = run.seed_node, len(nodes)
    payload = {
        "title": _clean(title or f"Forward and backward through {label_of.plain[r]} ({n} values)"),
        "forward": len(nodes),
        "nodes": info,
        "steps": steps,
    }
    svg = _annotate(_svg(run.copies, r, rankdir, collapse), info)
    return _page(payload, svg)


def _backward_steps(
    run: _Pass, nodes: list[Node], names: _Names, given: bool, uses: list[int]
) -> list[dict[str, Any]]:
    """The seed, then one step per node whose rules the engine ran, in the engine's order: the
    chain-rule line of each input, and the gradients the step leaves."""
    r = run.seed_node
    seed = run.seed
    if np.size(seed) == 1 and not given:
        why = f"the seed: d{names.plain[r]}/d{names.plain[r]} = 1"
    else:
        why = "the seed, as given" if given else "the seed: ones, as for its sum"
    seed_text = f"{names[r]}.grad = {_short_value(seed)}  ({why})"
    steps = [{"kind": "seed", "node": r, "lines": [_clean(seed_text)], "set": [_entry(r, seed)]}]
    for k, sends in run.steps:
        node = nodes[k]
        refs = _input_refs(node, names, run.index)
        lines, sets, targets = [], [], []
        for i, j, g, c, before, after in sends:
            lines.append(_chain_line(node, i, g, c, names[j], names[k], refs))
            if before is not None:
                lines.append(
                    f"{names[j]}.grad = {_short_value(before)} + {_short_value(c)} "
                    f"= {_short_value(after)}  (accumulated: {names[j]} is used {uses[j]} times)"
                )
            sets.append(_entry(j, after))
            targets.append(j)
        sym = _expression(node, names, run.index)[0]
        grad = _short_value(run.final[k])
        steps.append(
            {
                "kind": "backward",
                "node": k,
                "head": _clean(f"{names.plain[k]} = {sym}, with {names[k]}.grad = {grad}"),
                "lines": [_clean(x) for x in lines],
                "set": sets,
                "targets": targets,
            }
        )
    return steps


def _entry(k: int, g: Any) -> list[Any]:
    """A node's gradient as a step sets it: [node, box text, panel text, every digit]."""
    return [k, "grad " + _box(g), _panel(g), _full(g)]


def _script_json(payload: Any) -> str:
    """JSON that is safe inside a <script> element: no `<`, `>` or `&` (so no `</script>` and
    no `<!--`), written as JSON's \\u escapes instead."""
    text = json.dumps(payload, ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _page(payload: dict[str, Any], svg: str) -> str:
    """PAGE with its parts filled in, in one pass over the template (so a label that reads
    `__SCRIPT__` stays text)."""
    parts = {
        "TITLE": html.escape(payload["title"]),
        "STYLE": STYLE,
        "SVG": svg,
        "DATA": _script_json(payload),
        "SCRIPT": SCRIPT,
    }
    return re.sub(r"__(TITLE|STYLE|SVG|DATA|SCRIPT)__", lambda m: parts[m[1]], PAGE)


def save(root: Node, path: str | os.PathLike[str], **options: Any) -> str:
    """Write `build(root, **options)` to `path` (UTF-8); returns the path."""
    text = build(root, **options)
    path = os.fspath(path)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


# --- the page's HTML, style and script (no network: the policy forbids every request) -------

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>autograd explorer: __TITLE__</title>
<style>__STYLE__</style>
</head>
<body>
<header>
<h1>__TITLE__</h1>
<div class="controls" role="toolbar" aria-label="Steps">
<button type="button" id="fwd">Forward step</button>
<button type="button" id="bwd">Backward step</button>
<button type="button" id="back">Back</button>
<button type="button" id="play">Play</button>
<button type="button" id="pause">Pause</button>
<button type="button" id="reset">Reset</button>
<input type="range" id="slider" min="0" max="0" value="0" aria-label="Step">
<span id="counter" aria-live="polite"></span>
</div>
</header>
<main>
<section id="graph">__SVG__</section>
<aside>
<section id="step" aria-live="polite">
<h2 id="step-title">Start</h2>
<div id="step-lines"></div>
</section>
<section id="info">
<h2>Node</h2>
<p id="info-hint">Hover over or click a box to see its label, op, data and grad.</p>
<dl id="info-list"></dl>
</section>
<p class="legend"><span><span class="sw cur"></span>this step's node</span>
<span><span class="sw tgt"></span>receives a gradient</span>
<span><span class="sw pend"></span>not computed yet</span><br>
Keys: &larr; &rarr; step. Numbers are the engine's, written when the page was made.</p>
</aside>
</main>
<script type="application/json" id="explorer-data">__DATA__</script>
<script>__SCRIPT__</script>
</body>
</html>
"""

STYLE = """
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, sans-serif;
  color: #111827; background: #f9fafb; height: 100vh; display: flex; flex-direction: column; }
header { padding: 8px 16px; background: #fff; border-bottom: 1px solid #e5e7eb; }
h1 { font-size: 16px; margin: 0 0 6px; font-weight: 600; }
h2 { font-size: 14px; margin: 0 0 6px; }
.controls { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
button { font: inherit; padding: 4px 12px; border: 1px solid #9ca3af; border-radius: 6px;
  background: #fff; cursor: pointer; }
button:hover:not(:disabled) { background: #eff6ff; border-color: #1d4ed8; }
button:disabled { color: #9ca3af; cursor: default; }
#slider { flex: 1 1 200px; min-width: 120px; }
#counter { font-variant-numeric: tabular-nums; color: #374151; min-width: 150px; }
main { flex: 1; display: flex; min-height: 0; }
#graph { flex: 1; overflow: auto; padding: 12px; background: #fff; }
#graph svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
aside { width: 380px; flex: none; overflow: auto; padding: 12px 16px;
  border-left: 1px solid #e5e7eb; }
#step, #info { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px;
  padding: 10px 12px; margin-bottom: 12px; }
#step-lines div { font: 13px/1.5 ui-monospace, Menlo, Consolas, monospace; padding: 2px 0;
  white-space: pre-wrap; word-break: break-word; }
#step-lines div.acc { color: #047857; padding-left: 1em; }
#step-lines div.note { font-family: inherit; color: #4b5563; }
dl { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; }
dt { color: #6b7280; }
dd { margin: 0; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px;
  white-space: pre-wrap; word-break: break-word; }
.legend { color: #4b5563; font-size: 12px; }
.legend > span { white-space: nowrap; }
.sw { display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin: 0 4px 0 8px;
  vertical-align: -2px; }
.sw.cur { border: 3px solid #ea580c; } .sw.tgt { border: 3px solid #16a34a; }
.sw.pend { border: 1px dashed #9ca3af; }
g.node, g.edge { transition: opacity .2s; }
g.value { cursor: pointer; }
g.pending { opacity: .18; }
g.pending text { visibility: hidden; }
g.value.current path, g.value.current polygon { stroke: #ea580c; stroke-width: 4; }
g.value.target path, g.value.target polygon { stroke: #16a34a; stroke-width: 4; }
g.value.selected path, g.value.selected polygon { stroke-dasharray: 4 2; }
g.op.current ellipse { stroke: #ea580c; stroke-width: 3; }
text.grad.fresh { fill: #047857; font-weight: bold; }
g.value:focus { outline: none; }
@media (max-width: 900px) { main { flex-direction: column; } aside { width: auto;
  border-left: 0; } body { height: auto; } }
"""

SCRIPT = """
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("explorer-data").textContent);
  const $ = (id) => document.getElementById(id);
  const last = D.steps.length - 1;
  const values = new Map();
  const owned = new Map();
  document.querySelectorAll("#graph g.value").forEach((g) => {
    const k = Number(g.dataset.k);
    values.set(k, { g: g, grad: g.querySelector("text.grad") });
  });
  document.querySelectorAll("#graph [data-of]").forEach((el) => {
    const k = Number(el.dataset.of);
    if (!owned.has(k)) owned.set(k, []);
    owned.get(k).push(el);
  });
  const revealedAt = new Map();
  D.steps.forEach((s, i) => { if (s.kind === "forward") revealedAt.set(s.node, i); });
  let cur = 0, timer = null, selected = null, hovered = null, grads = new Map();

  function stateAt(s) {
    const g = new Map();
    for (let i = 1; i <= s; i++) for (const e of D.steps[i].set || []) g.set(e[0], e);
    return g;
  }

  function line(text, cls) {
    const div = document.createElement("div");
    div.textContent = text;
    if (cls) div.className = cls;
    return div;
  }

  function render() {
    const step = D.steps[cur];
    grads = stateAt(cur);
    const fresh = new Set((step.set || []).map((e) => e[0]));
    const targets = new Set(step.targets || []);
    values.forEach((v, k) => {
      const shown = cur >= revealedAt.get(k);
      const e = grads.get(k);
      v.g.classList.toggle("pending", !shown);
      v.g.classList.toggle("current", step.node === k && step.kind !== "start");
      v.g.classList.toggle("target", targets.has(k));
      v.g.classList.toggle("selected", selected === k);
      v.g.dataset.grad = e ? e[3] : "";
      v.g.dataset.shown = shown ? "1" : "0";
      if (v.grad) {
        v.grad.textContent = e ? e[1] : "grad \\u2014";
        v.grad.classList.toggle("fresh", fresh.has(k));
      }
    });
    owned.forEach((els, k) => {
      const shown = cur >= revealedAt.get(k);
      for (const el of els) {
        el.classList.toggle("pending", !shown);
        el.classList.toggle("current", step.node === k && step.kind === "backward");
      }
    });
    const title = $("step-title"), lines = $("step-lines");
    lines.replaceChildren();
    if (step.kind === "start") {
      title.textContent = "Start: nothing computed yet";
      lines.append(line("Forward step computes the values one by one, each after its "
        + "inputs; Backward step then sends the gradients back with the chain rule.", "note"));
    } else if (step.kind === "forward") {
      title.textContent = "Forward " + (cur) + " of " + D.forward;
      lines.append(line(step.text));
    } else if (step.kind === "seed") {
      title.textContent = "Backward: the seed";
      for (const t of step.lines) lines.append(line(t));
    } else {
      title.textContent = "Backward: " + step.head;
      for (const t of step.lines) lines.append(line(t, t.includes("(accumulated") ? "acc" : ""));
      if (cur === last) lines.append(line("The backward pass is done: every grad shown is "
        + "the engine's.", "note"));
    }
    $("counter").textContent = "step " + cur + " of " + last
      + (cur === 0 ? "" : cur <= D.forward ? " \\u00b7 forward" : " \\u00b7 backward");
    $("slider").value = String(cur);
    $("fwd").disabled = cur >= D.forward;
    $("bwd").disabled = cur >= last;
    $("back").disabled = cur <= 0;
    $("play").disabled = timer !== null || cur >= last;
    $("pause").disabled = timer === null;
    $("reset").disabled = cur === 0 && timer === null;
    showInfo();
  }

  function dtdd(dl, term, text) {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = term;
    dd.textContent = text;
    dl.append(dt, dd);
  }

  function showInfo() {
    const k = hovered !== null ? hovered : selected;
    if (k === null) return;
    const n = D.nodes[k], dl = $("info-list"), e = grads.get(k);
    $("info-hint").hidden = true;
    dl.replaceChildren();
    dtdd(dl, "label", n.label || "(none: called " + n.name + " here)");
    if (n.param) dtdd(dl, "parameter", n.param);
    dtdd(dl, "kind", n.kind === "leaf" ? "leaf" : n.kind === "root" ? "root (the output)"
      : "result");
    if (n.op) dtdd(dl, "op", n.op + ":  " + n.expr);
    if (n.shape) dtdd(dl, "shape", n.shape + " " + n.dtype);
    const shown = cur >= revealedAt.get(k);
    dtdd(dl, "data", shown ? n.data : "not computed yet");
    dtdd(dl, "grad", e ? e[2] : "not computed yet");
    dtdd(dl, "used by", n.uses + (n.uses === 1 ? " operation" : " operations"));
  }

  function go(s) {
    cur = Math.max(0, Math.min(last, s));
    if (cur >= last) stop();
    render();
  }
  function next() { go(cur + 1); }
  function stop() { if (timer !== null) { clearInterval(timer); timer = null; } }

  $("fwd").addEventListener("click", () => go(cur + 1));
  $("bwd").addEventListener("click", () => go(Math.max(cur + 1, D.forward + 1)));
  $("back").addEventListener("click", () => go(cur - 1));
  $("play").addEventListener("click", () => {
    if (timer === null && cur < last) timer = setInterval(next, 900);
    render();
  });
  $("pause").addEventListener("click", () => { stop(); render(); });
  $("reset").addEventListener("click", () => { stop(); go(0); });
  const slider = $("slider");
  slider.max = String(last);
  slider.addEventListener("input", () => go(Number(slider.value)));
  document.addEventListener("keydown", (ev) => {
    if (ev.target === slider || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    if (ev.key === "ArrowRight" || ev.key === "ArrowDown") { ev.preventDefault(); next(); }
    if (ev.key === "ArrowLeft" || ev.key === "ArrowUp") { ev.preventDefault(); go(cur - 1); }
  });
  values.forEach((v, k) => {
    v.g.addEventListener("mouseenter", () => { hovered = k; showInfo(); });
    v.g.addEventListener("mouseleave", () => { hovered = null; showInfo(); });
    v.g.addEventListener("click", () => { selected = k; render(); });
    v.g.addEventListener("focus", () => { selected = k; render(); });
  });
  render();
})();
"""
