"""Graph drawings: the SVG that real Graphviz produces, parsed as XML and checked node by node."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Tensor, Value, draw_graph, save_graph
from autograd.viz import GraphvizNotFoundError, example_neuron

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _dot_is_installed():
    # `make test` installs Graphviz; a missing `dot` must fail the suite, not skip it.
    assert shutil.which("dot"), "Graphviz's dot is not installed (make test installs it)"


def parse(svg: bytes) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Nodes (id -> their text, joined) and edges (tail id, head id) of a Graphviz SVG."""
    tree = ET.fromstring(svg)
    nodes, edges = {}, []
    for g in tree.iter(f"{SVG}g"):
        cls = g.get("class")
        title = g.findtext(f"{SVG}title")
        if cls == "node":
            text = " ".join(t.text or "" for t in g.iter(f"{SVG}text"))
            nodes[title] = " ".join(text.replace("\xa0", " ").split())
        elif cls == "edge":
            tail, head = title.split("->")
            edges.append((tail, head))
    return nodes, edges


def neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    return (x1 * w1 + x2 * w2 + b).tanh(), (x1, x2, w1, w2, b)


def test_neuron_drawing_has_a_node_per_value_and_op_with_data_and_grads():
    o, _ = neuron()
    o.backward()
    nodes, edges = parse(draw_graph(o).pipe(format="svg"))
    values = {k: v for k, v in nodes.items() if not k.endswith("_op")}
    ops = {k: v for k, v in nodes.items() if k.endswith("_op")}
    # 5 leaves + x1*w1, x2*w2, their sum, + b, tanh = 10 values; 2 mul, 2 add, 1 tanh = 5 ops
    assert len(values) == 10 and len(ops) == 5
    assert sorted(ops.values()) == ["*", "*", "+", "+", "tanh"]
    assert len(edges) == 4 * 2 + 1 + 5  # into ops (2 per binary op, 1 for tanh), ops into values
    text = {v.split(" data")[0]: v for v in values.values()}
    assert "data 2.0000" in text["x1"] and "grad -1.5000" in text["x1"]
    assert "data -3.0000" in text["w1"] and "grad 1.0000" in text["w1"]
    assert "grad 0.5000" in text["b"]
    assert any("data 0.7071" in v and "grad 1.0000" in v for v in values.values())
    for tail, head in edges:  # every edge joins a value and an op, in the right direction
        assert tail.endswith("_op") != head.endswith("_op")
    ids = {v.split(" ")[0]: k for k, v in values.items()}
    tanh_op = next(k for k, v in ops.items() if v == "tanh")
    assert (tanh_op, tanh_op[:-3]) in edges
    assert (ids["x1"], next(h for t, h in edges if t == ids["x1"])) in edges


def test_before_backward_gradients_show_as_not_computed():
    o, _ = neuron()
    nodes, _ = parse(draw_graph(o).pipe(format="svg"))
    values = [v for k, v in nodes.items() if not k.endswith("_op")]
    assert all("grad —" in v for v in values)
    assert not any(re.search(r"grad \d", v) for v in values)
    o.backward()
    nodes, _ = parse(draw_graph(o).pipe(format="svg"))
    assert not any("grad —" in v for v in nodes.values())


def test_constants_powers_and_settings_appear_in_the_drawing():
    x = Value(3.0, label="x")
    y = 2 * x**2 - 1
    nodes, edges = parse(draw_graph(y).pipe(format="svg"))
    assert "**2" in nodes.values() and "*" in nodes.values() and "-" in nodes.values()
    consts = [v for k, v in nodes.items() if "_c" in k]
    assert sorted(consts) == ["1.0000", "2.0000"]
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="t")
    s = t.sum(axis=1).reshape(1, 2)[0, 1:]
    labels = set(parse(draw_graph(s).pipe(format="svg"))[0].values())
    assert {"sum(axis=1)", "reshape(1, 2)", "[0, 1:]"} <= labels


def test_tensor_nodes_show_shape_dtype_values_or_a_summary():
    small = Tensor([1.0, -2.0, 3.0], requires_grad=True, label="small")
    big = Tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4), requires_grad=True, label="big")
    out = (big.sum(axis=1) * small).sum()
    out.backward()
    nodes, _ = parse(draw_graph(out).pipe(format="svg"))
    by_label = {v.split(" ")[0]: v for v in nodes.values()}
    assert "shape (3,) float64" in by_label["small"]
    assert "data [ 1.0000, -2.0000, 3.0000]" in by_label["small"]
    assert "grad [ 6.0000, 22.0000, 38.0000]" in by_label["small"]
    assert "shape (3, 4) float32" in by_label["big"]
    assert "data mean 5.5000, min 0.0000, max 11.0000" in by_label["big"]
    assert "grad mean 0.6667, min -2.0000, max 3.0000" in by_label["big"]


def test_mlp_loss_drawing_names_each_parameter_once_with_its_shape():
    X, y = nn.datasets.make_moons(64, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss = nn.binary_cross_entropy_with_logits(model(X), y.reshape(-1, 1))
    loss.backward()
    nodes, edges = parse(draw_graph(loss).pipe(format="svg"))
    names = [v.split(" ")[0] for v in nodes.values()]
    for name, _ in model.named_parameters():
        assert names.count(name) == 1
    weight = next(v for v in nodes.values() if v.startswith("layers.0.weight"))
    assert "shape (16, 2) float64" in weight and "grad mean" in weight
    ops = sorted(v for k, v in nodes.items() if k.endswith("_op"))
    assert (
        ops.count("linear") == 3
        and ops.count("relu") == 2
        and "bce_with_logits(reduction=mean)" in ops
    )
    assert any(v.startswith("input (64, 2)") for v in nodes.values())
    assert len(nodes) < 60 and len(edges) < 80


def test_large_graphs_are_refused_with_a_count_or_collapsed():
    x = Value(1.0, label="x")
    y = x
    for _ in range(300):
        y = y * 1.01 + 0.5
    with pytest.raises(
        ValueError,
        match=r"has 1801 nodes, more than max_nodes=500.*"
        r"collapse=True draws it with 601 nodes",
    ):
        draw_graph(y)
    nodes, edges = parse(draw_graph(y, collapse=True, max_nodes=1000).pipe(format="svg"))
    assert len(nodes) == 601 and len(edges) == 600
    assert any(v.startswith("= *") for v in nodes.values())
    assert len(draw_graph(y, max_nodes=None).source) > 0


@pytest.mark.parametrize("label", ['a<b>&"c"', "{x|y}", "<TABLE>", "w\\n&amp;"])
def test_special_characters_in_labels_render_as_written(label):
    v = Value(1.5, label=label)
    out = v * 2
    out.label = label + "!"
    nodes, _ = parse(draw_graph(out).pipe(format="svg"))  # parses: the markup is intact
    texts = list(nodes.values())
    assert any(t.startswith(label + " ") for t in texts)
    assert any(t.startswith(label + "! ") for t in texts)


def test_save_graph_by_suffix(tmp_path):
    o = example_neuron()
    svg = save_graph(o, tmp_path / "n.svg")
    assert parse(Path(svg).read_bytes())[0]
    png = Path(save_graph(o, tmp_path / "n.png")).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert Path(save_graph(o, tmp_path / "n.pdf")).read_bytes()[:5] == b"%PDF-"
    dot = Path(save_graph(o, tmp_path / "n.dot")).read_text()
    assert dot.startswith("digraph") and "tanh" in dot
    assert Path(save_graph(o, tmp_path / "n.gv", rankdir="TB")).read_text().count("rankdir=TB")
    with pytest.raises(ValueError, match=r"unknown suffix '\.jpeg'"):
        save_graph(o, tmp_path / "n.jpeg")


def test_missing_dot_is_a_clear_error_and_dot_source_still_works(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing here: dot is hidden
    o = example_neuron()
    with pytest.raises(GraphvizNotFoundError, match=r"apt-get install graphviz.*brew install"):
        draw_graph(o).pipe(format="svg")
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        save_graph(o, tmp_path / "n.svg")
    assert Path(save_graph(o, tmp_path / "n.dot")).read_text().startswith("digraph")
    assert "tanh" in draw_graph(o).source


def test_bad_roots_and_options():
    with pytest.raises(TypeError, match="Value or a Tensor, got ndarray"):
        draw_graph(np.ones(3))
    with pytest.raises(TypeError, match="got float"):
        draw_graph(1.0)
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(Value(1.0), rankdir="XY")


def test_command_line_draws_the_neuron(tmp_path):
    out = tmp_path / "neuron.svg"
    result = subprocess.run(
        [sys.executable, "-m", "autograd.viz", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert "wrote" in result.stdout and result.stderr == ""
    nodes, _ = parse(out.read_bytes())
    assert len(nodes) == 15 and any("grad -1.5000" in v for v in nodes.values())


def test_readme_picture_is_the_projects_own_drawing():
    svg = (ROOT / "docs" / "neuron.svg").read_bytes()
    nodes, edges = parse(svg)
    assert len(nodes) == 15 and len(edges) == 14
    assert any(v.startswith("x1 data 2.0000 grad -1.5000") for v in nodes.values())


def test_a_labelled_constant_input_is_drawn_with_its_label():
    X = Tensor(np.arange(6.0).reshape(3, 2), label="X")  # a constant: no requires_grad
    w = Tensor(np.ones((2, 1)), requires_grad=True, label="w")
    loss = (X @ w).sum()
    loss.backward()
    nodes, edges = parse(draw_graph(loss).pipe(format="svg"))
    consts = [v for k, v in nodes.items() if "_c" in k]
    assert consts == ["X input (3, 2) [[0.0000, 1.0000], [2.0000, 3.0000], [4.0000, 5.0000]]"]
    matmul = next(k for k, v in nodes.items() if v == "@")
    assert (next(k for k, v in nodes.items() if "_c" in k), matmul) in edges
    unnamed = (Tensor(np.ones(2)) * w.reshape(2)).sum()  # an unlabelled constant: shape only
    consts = [v for k, v in parse(draw_graph(unnamed).pipe(format="svg"))[0].items() if "_c" in k]
    assert consts == ["input (2,) [1.0000, 1.0000]"]


@pytest.mark.parametrize(
    "label, drawn",
    [
        ("a\x01b", "a\\x01b"),
        ("\x07", "\\x07"),
        ("x\x00y", "x\\x00y"),
        ("two\nlines\ttab", "two\\nlines\\ttab"),
        ("del\x7f\x85", "del\\x7f\\x85"),
        ("odd\ud800\uffff", "odd\\ud800\\uffff"),
    ],
)
def test_control_characters_in_labels_are_drawn_as_escapes(label, drawn):
    v = Value(1.5, label=label)
    out = v * 2
    out.label = label
    t = Tensor([1.0, 2.0], label=label) * Tensor([1.0, 1.0], requires_grad=True)
    for root in (out, t):
        svg = draw_graph(root).pipe(format="svg")  # dot accepts it
        nodes, _ = parse(svg)  # and the SVG is well-formed XML
        assert any(text.startswith(drawn + " ") for text in nodes.values()), nodes
    collapsed, _ = parse(draw_graph(out, collapse=True).pipe(format="svg"))
    assert any(text.startswith(f"{drawn} = * ") for text in collapsed.values())


def test_a_control_character_in_a_primitives_name_gives_well_formed_svg():
    from autograd import primitive

    bell = primitive(lambda x: x * 2.0, name="ring\x07<&>")
    bell.defvjp(lambda g, out, x: 2.0 * g)
    out = bell(Tensor([1.0, 2.0], requires_grad=True)).sum()
    nodes, _ = parse(draw_graph(out).pipe(format="svg"))
    assert "ring\\x07<&>" in nodes.values()
    collapsed, _ = parse(draw_graph(out, collapse=True).pipe(format="svg"))
    assert any(text.startswith("= ring\\x07<&> ") for text in collapsed.values())


def test_a_very_long_label_is_cut_short_with_an_ellipsis():
    v = Value(1.0, label="L" * 100_000)
    out = v * 2
    out.label = "é" * 61
    nodes, _ = parse(draw_graph(out).pipe(format="svg"))
    titles = sorted(text.split(" ")[0] for k, text in nodes.items() if k[-3:] not in ("_op", "_c1"))
    assert titles == ["L" * 59 + "…", "é" * 59 + "…"]
    exact = Value(1.0, label="k" * 60)  # 60 characters fit
    nodes, _ = parse(draw_graph(exact).pipe(format="svg"))
    assert list(nodes.values())[0].split(" ")[0] == "k" * 60


@pytest.mark.parametrize("label", [5, None, b"x", 2.5])
def test_a_label_that_is_not_a_string_is_refused_at_construction(label):
    kind = type(label).__name__
    with pytest.raises(TypeError, match=rf"Value label must be a str, got {kind}: "):
        Value(1.0, label=label)
    with pytest.raises(TypeError, match=rf"Tensor label must be a str, got {kind}: "):
        Tensor([1.0], label=label)


def test_a_non_string_label_set_later_is_drawn_as_its_text():
    v = Value(1.0, label="v")
    v.label = 5  # attributes are not checked: the drawing converts, never crashes
    nodes, _ = parse(draw_graph(v * 2).pipe(format="svg"))
    assert any(text.startswith("5 data 1.0000") for text in nodes.values())


def test_command_line_before_backward_draws_the_same_neuron(tmp_path):
    after, before = tmp_path / "after.svg", tmp_path / "before.svg"
    for out, extra in ((after, []), (before, ["--before-backward"])):
        subprocess.run(
            [sys.executable, "-m", "autograd.viz", "--out", str(out), *extra],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
    a_nodes, a_edges = parse(after.read_bytes())
    b_nodes, b_edges = parse(before.read_bytes())
    assert a_edges == b_edges and a_nodes.keys() == b_nodes.keys() and len(b_nodes) == 15
    titles = sorted(v.split("data")[0].strip() for k, v in b_nodes.items() if "_op" not in k)
    assert titles == sorted(["x1", "x2", "w1", "w2", "b", "x1*w1", "x2*w2", "n", "o"] + [""])
    for key, text in b_nodes.items():  # same data; gradients not computed yet
        assert text == re.sub(r"grad -?\d+\.\d+", "grad —", a_nodes[key])
    assert sum("grad —" in v for v in b_nodes.values()) == 10


def test_drawing_names_are_listed_in_the_package():
    import autograd

    lazy = {"draw_graph", "save_graph", "draw_html", "save_html", "GraphvizNotFoundError"}
    assert lazy <= set(autograd.__all__) and lazy <= set(dir(autograd))
    for name in autograd.__all__:
        assert getattr(autograd, name) is not None, name
    assert autograd.draw_graph is draw_graph
    assert set(autograd.__all__) <= set(dir(autograd))
