"""The graph explorer (`save_html`): the page's numbers against the engine's, its HTML parsed,
and the page driven in a real browser (Debian's chromium through playwright) by its buttons."""

from __future__ import annotations

import html.parser
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor, Value, draw_graph, draw_html, gradients, save_html
from autograd.graph import toposort
from autograd.viz import example_neuron, main

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("AUTOGRAD_CHROMIUM", "/usr/bin/chromium")
SVG_NS = "http://www.w3.org/2000/svg"


@pytest.fixture(autouse=True)
def _dot_is_installed():
    # `make test` installs Graphviz; a missing `dot` must fail the suite, not skip it.
    assert shutil.which("dot"), "Graphviz's dot is not installed (make test installs it)"


def neuron():
    """micrograd's neuron, before backward."""
    return example_neuron(backward=False)


def payload(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="explorer-data">(.*?)</script>', page, re.S)
    assert m is not None
    return json.loads(m.group(1))


def pos(nodes, node) -> int:
    """Where `node` is in `nodes`, by identity (Values compare by their numbers)."""
    return next(k for k, n in enumerate(nodes) if n is node)


def engine_grads(root, nodes, gradient=None):
    """Every node's gradient from the engine's own backward, leaving `.grad` alone."""
    return gradients(root, nodes, gradient=gradient)


def final_grads(data: dict) -> dict[int, str]:
    """The gradient each node shows after the last step: the last value a step set."""
    shown = {}
    for step in data["steps"]:
        for k, _box, _panel, full in step.get("set", []):
            shown[k] = full
    return shown


def as_array(full: str) -> np.ndarray:
    return np.array(json.loads(full.replace("nan", "NaN").replace("inf", "Infinity")))


class Tags(html.parser.HTMLParser):
    """Start and end tags of an HTML page, checked for nesting; attributes of `g` elements."""

    VOID = {"meta", "input", "br", "img", "link", "path", "polygon", "ellipse", "polyline"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.groups: list[dict[str, str | None]] = []
        self.buttons: list[str] = []
        self._in_button = False

    def handle_starttag(self, tag, attrs):
        if tag == "g":
            self.groups.append(dict(attrs))
        if tag == "button":
            self._in_button = True
            self.buttons.append("")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag == "g":
            self.groups.append(dict(attrs))

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()
        if tag == "button":
            self._in_button = False

    def handle_data(self, data):
        if self._in_button:
            self.buttons[-1] += data


def parse(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    tags.close()
    assert tags.stack == [], tags.stack
    return tags


# --- the page, without a browser ---------------------------------------------------------------


def test_page_is_well_formed_offline_and_has_the_controls():
    page = draw_html(neuron())
    tags = parse(page)
    assert tags.buttons == ["Forward step", "Backward step", "Back", "Play", "Pause", "Reset"]
    assert re.search(r'<input type="range"[^>]*aria-label="Step"', page)
    assert set(re.findall(r"\w+://[^\s\"'<>)]*", page)) == {SVG_NS}
    assert "default-src 'none'" in page  # the browser itself refuses any request
    svg = re.search(r"<svg .*?</svg>", page, re.S)
    assert svg is not None
    tree = ET.fromstring(svg.group(0))  # the drawing is XML too
    values = [g for g in tree.iter(f"{{{SVG_NS}}}g") if "value" in g.get("class", "").split()]
    assert len(values) == 10
    assert {g.get("data-label") for g in values} == {
        "x1",
        "x2",
        "w1",
        "w2",
        "b",
        "x1*w1",
        "x2*w2",
        "",
        "n",
        "o",
    }
    assert all(g.get("data-grad") == "" for g in values)  # nothing computed before a step


def test_payload_holds_the_engines_forward_and_backward_numbers():
    o = neuron()
    nodes = toposort(o)[::-1]
    data = payload(draw_html(o))
    expected = engine_grads(o, nodes)
    shown = final_grads(data)
    assert sorted(shown) == list(range(len(nodes)))
    for k, node in enumerate(nodes):
        assert float(shown[k]) == expected[k]  # every digit: the same floats
        assert float(data["nodes"][k]["full"]) == node.data
    by_label = {node.label: k for k, node in enumerate(nodes)}
    assert float(shown[by_label["x1"]]) == -1.4999999999999993  # -1.5 to the engine's rounding
    assert float(shown[by_label["b"]]) == 0.4999999999999998


def test_chain_rule_lines_show_the_real_numbers_for_every_input():
    data = payload(draw_html(neuron()))
    lines = [line for s in data["steps"] if s["kind"] == "backward" for line in s["lines"]]
    assert "x1.grad += (x1*w1).grad * w1.data = 0.5 * -3.0 = -1.5" in lines
    assert "w1.grad += (x1*w1).grad * x1.data = 0.5 * 2.0 = 1.0" in lines
    assert "n.grad += o.grad * (1 - o.data**2) = 1.0 * 0.5 = 0.5" in lines
    assert "b.grad += n.grad * 1 = 0.5 * 1.0 = 0.5" in lines
    # one line per input of each op: 1 for tanh, 2 for each of the 4 binary ops
    assert len(lines) == 1 + 2 * 4
    forward = [s["text"] for s in data["steps"] if s["kind"] == "forward"]
    assert "x1*w1 = x1 * w1 = 2.0 * -3.0 = -6.0" in forward
    assert "o = tanh(n) = tanh(0.881374) = 0.707107" in forward


def test_contributions_accumulate_in_the_engines_order_to_the_engines_gradient():
    a = Value(3.0, label="a")
    b = a * a + a  # a is used three times: its grad is built from three contributions
    nodes = toposort(b)[::-1]
    data = payload(draw_html(b))
    k = next(k for k, n in enumerate(nodes) if n is a)
    history = [float(e[3]) for s in data["steps"] for e in s.get("set", []) if e[0] == k]
    assert history == [1.0, 4.0, 7.0]  # + sends 1, then * sends 3 for each of its inputs
    (expected,) = engine_grads(b, [a])
    assert history[-1] == expected == 7.0
    lines = [line for s in data["steps"] for line in s.get("lines", [])]
    assert "a.grad = 1.0 + 3.0 = 4.0  (accumulated: a is used 3 times)" in lines


def test_writing_the_page_changes_no_gradient():
    o = neuron()
    leaves = [n for n in toposort(o) if n.is_leaf]
    draw_html(o)
    assert all(n.grad == 0.0 and not n.has_grad for n in toposort(o))
    o.backward()
    before = {n.label: n.grad for n in leaves}
    draw_html(o)
    assert {n.label: n.grad for n in leaves} == before
    assert before == {
        "x1": -1.4999999999999993,
        "w1": 0.9999999999999996,
        "x2": 0.4999999999999998,
        "w2": 0.0,
        "b": 0.4999999999999998,
    }


def test_tensor_root_is_seeded_with_ones_and_shows_shapes():
    w = Tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True, label="w")
    x = Tensor([2.0, -1.0], label="x")  # a constant input, drawn with its label
    y = (w * x).tanh()  # shape (2, 2): not a scalar, seeded with ones
    nodes = toposort(y)[::-1]
    data = payload(draw_html(y))
    expected = engine_grads(y, nodes, gradient=np.ones((2, 2)))
    shown = final_grads(data)
    for k in range(len(nodes)):
        np.testing.assert_array_equal(as_array(shown[k]), expected[k])
    info = data["nodes"][next(k for k, n in enumerate(nodes) if n is w)]
    assert info["shape"] == "(2, 2)" and info["dtype"] == "float64" and info["kind"] == "leaf"
    assert data["steps"][len(nodes) + 1]["lines"][0].startswith("v2.grad = [[1.0000, 1.0000]")


def test_names_come_from_a_module_or_a_mapping():
    model = nn.MLP(2, [3, 1], seed=0)
    X = np.array([[0.5, -1.0], [1.5, 2.0]])
    out = model(X).sum()
    nodes = toposort(out)[::-1]
    data = payload(draw_html(out, module=model))
    params = {data["nodes"][k]["param"] for k, n in enumerate(nodes) if n.is_leaf}
    assert params == {name for name, _ in model.named_parameters()}
    w = Tensor([1.0, 2.0], requires_grad=True, label="w")
    data = payload(draw_html((w * w).sum(), names={"encoder.weight": w}))
    assert [n["param"] for n in data["nodes"]] == ["encoder.weight", "", ""]


def test_labels_are_escaped_everywhere():
    evil = '</script><b onclick="x">&amp;\x01\'"'
    v = Value(2.0, label=evil)
    page = draw_html((v * 3.0).tanh())
    assert page.count("</script>") == 2 and "<b onclick" not in page
    tags = parse(page)
    labels = {g.get("data-label") for g in tags.groups if g.get("data-k") is not None}
    assert '</script><b onclick="x">&amp;\\x01\'"' in labels  # \x01 shown as its escape
    data = payload(page)
    assert data["nodes"][0]["label"] == '</script><b onclick="x">&amp;\\x01\'"'
    template = Value(1.0, label="__SCRIPT__ __DATA__")  # placeholders of the template stay text
    page = draw_html(template * 2.0)
    assert page.count('"use strict"') == 1 and page.count('id="explorer-data"') == 1
    assert payload(page)["nodes"][0]["label"] == "__SCRIPT__ __DATA__"


def test_max_nodes_is_refused_with_draw_graphs_message_and_collapse_works():
    x = Value(1.0, label="x")
    y = x
    for _ in range(300):
        y = y * 1.01 + 0.5
    with pytest.raises(ValueError) as drawn:
        draw_graph(y)
    with pytest.raises(ValueError) as explored:
        draw_html(y)
    assert str(explored.value) == str(drawn.value)
    assert "has 1801 nodes, more than max_nodes=500" in str(explored.value)
    page = draw_html(y, collapse=True, max_nodes=1000)
    tags = parse(page)
    classes = [g.get("class") for g in tags.groups]
    assert classes.count("node value") == 601 and "node op" not in classes
    data = payload(page)
    nodes = toposort(y)[::-1]
    (expected,) = engine_grads(y, [x])
    assert float(final_grads(data)[pos(nodes, x)]) == expected


def test_a_freed_or_changed_graph_is_refused_as_backward_refuses_it():
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    y.backward(retain_graph=False)
    with pytest.raises(RuntimeError, match="freed"):
        draw_html(y)
    y = (w * w).sum()
    w.data = w.data + 1.0
    with pytest.raises(RuntimeError, match="changed in place"):
        draw_html(y)


def test_command_line_writes_the_neurons_explorer(tmp_path, capsys):
    path = main(["--html", "--out", str(tmp_path / "n.html")])
    assert capsys.readouterr().out.strip() == f"wrote {path}"
    text = Path(path).read_text(encoding="utf-8")
    assert '<button type="button" id="bwd">Backward step</button>' in text
    assert len(payload(text)["nodes"]) == 10


def test_the_explorer_functions_are_listed_by_the_package():
    for name in ("draw_html", "save_html"):
        assert name in autograd.__all__ and name in dir(autograd)
        assert getattr(autograd, name) is getattr(autograd.viz, name)


# --- the page in a browser ---------------------------------------------------------------------


def _browser_or_reason():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None, "playwright is not installed (pip install playwright)"
    if not os.path.exists(CHROMIUM):
        return None, f"no browser at {CHROMIUM} (apt-get install chromium)"
    return sync_playwright, ""


@pytest.fixture(scope="module")
def browser():
    sync_playwright, reason = _browser_or_reason()
    if sync_playwright is None:
        if os.environ.get("AUTOGRAD_REQUIRE_BROWSER"):
            pytest.fail(f"the browser tests cannot run: {reason}; `make test` installs it")
        pytest.skip(reason)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


class Explorer:
    """A written page open in the browser, every request it makes recorded."""

    def __init__(self, browser, path: Path, viewport=(1366, 768)) -> None:
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", self._route)
        self.page.goto(self.url)

    def _route(self, route):
        self.requests.append(route.request.url)
        if route.request.url == self.url:
            route.continue_()
        else:
            route.abort()

    def press(self, name: str, times: int = 1) -> None:
        for _ in range(times):
            self.page.get_by_role("button", name=name, exact=True).click()

    def enabled(self, name: str) -> bool:
        return self.page.get_by_role("button", name=name, exact=True).is_enabled()

    def nodes(self) -> list[dict]:
        return self.page.eval_on_selector_all(
            "g.value",
            """els => els.map(e => ({k: Number(e.dataset.k), label: e.dataset.label,
                grad: e.dataset.grad, shown: e.dataset.shown === "1",
                box: e.querySelector("text.grad").textContent,
                classes: e.getAttribute("class")}))""",
        )

    def state(self) -> tuple:
        panel = self.page.locator("#step").inner_text()
        return (tuple((n["k"], n["grad"], n["box"], n["shown"]) for n in self.nodes()), panel)

    def close(self) -> None:
        assert self.errors == []
        assert self.requests == [self.url], self.requests  # the file itself, nothing else
        self.context.close()


@pytest.fixture
def explore(browser, tmp_path):
    opened = []

    def open_page(root, **options):
        path = tmp_path / f"page{len(opened)}.html"
        save_html(root, path, **options)
        e = Explorer(browser, path)
        opened.append(e)
        return e

    yield open_page
    for e in opened:
        e.close()


def run_backward(e: Explorer) -> int:
    presses = 0
    while e.enabled("Backward step"):
        e.press("Backward step")
        presses += 1
    return presses


@pytest.mark.parametrize("collapse", [False, True])
def test_after_the_backward_pass_every_box_shows_the_engines_gradient(explore, collapse):
    o = neuron()
    nodes = toposort(o)[::-1]
    e = explore(o, collapse=collapse)
    presses = run_backward(e)
    assert presses == 1 + 5  # the seed, then one step per op (the forward pass done at once)
    expected = engine_grads(o, nodes)
    shown = e.nodes()
    assert len(shown) == 10
    for n in shown:
        assert float(n["grad"]) == expected[n["k"]], n
        assert n["box"] == f"grad {expected[n['k']]:.4f}"
    assert "The backward pass is done" in e.page.locator("#step").inner_text()


def test_forward_steps_reveal_each_node_after_its_inputs_with_its_value(explore):
    o = neuron()
    nodes = toposort(o)[::-1]
    e = explore(o)
    assert not any(n["shown"] for n in e.nodes())
    seen: list[int] = []
    while e.enabled("Forward step"):
        e.press("Forward step")
        shown = [n["k"] for n in e.nodes() if n["shown"]]
        (new,) = set(shown) - set(seen)
        assert all(pos(nodes, p) in seen for p in nodes[new].parents)
        seen.append(new)
        panel = e.page.locator("#step-lines").inner_text()
        assert panel.startswith(f"{nodes[new].label or f'v{new}'} = ")
        assert f"{nodes[new].data:.6g}" in panel
        value = e.page.locator(f'g.value[data-k="{new}"] text.data')
        assert value.is_visible() and value.text_content() == f"data {nodes[new].data:.4f}"
    assert len(seen) == len(nodes)
    assert [nodes[k].label for k in seen][:3] == ["x1", "w1", "x1*w1"]  # as a program runs it
    assert all(n["grad"] == "" and n["box"] == "grad —" for n in e.nodes())


def test_back_undoes_a_step_and_reset_starts_over(explore):
    e = explore(neuron())
    e.press("Backward step", 3)
    before = e.state()
    e.press("Backward step")
    assert e.state() != before
    e.press("Back")
    assert e.state() == before
    e.press("Reset")
    assert not any(n["shown"] or n["grad"] for n in e.nodes())
    assert not e.enabled("Back")


def test_the_current_node_is_highlighted_and_its_inputs_receive(explore):
    o = neuron()
    nodes = toposort(o)[::-1]
    e = explore(o)
    e.press("Backward step", 2)  # the seed, then o = tanh(n)
    by_k = {n["k"]: n for n in e.nodes()}
    k_o, k_n = pos(nodes, o), next(k for k, n in enumerate(nodes) if n.label == "n")
    assert "current" in by_k[k_o]["classes"] and "target" in by_k[k_n]["classes"]
    text = e.page.locator("#step-lines").inner_text()
    assert "n.grad += o.grad * (1 - o.data**2) = 1.0 * 0.5 = 0.5" in text


def test_arrow_keys_and_the_slider_step(explore):
    o = neuron()
    e = explore(o)
    counter = e.page.locator("#counter")
    e.page.keyboard.press("ArrowRight")
    e.page.keyboard.press("ArrowRight")
    e.page.keyboard.press("ArrowRight")
    assert counter.inner_text().startswith("step 3 of 16")
    e.page.keyboard.press("ArrowLeft")
    assert counter.inner_text().startswith("step 2 of 16")
    assert sum(n["shown"] for n in e.nodes()) == 2
    slider = e.page.get_by_role("slider", name="Step")
    slider.fill("16")
    assert counter.inner_text().startswith("step 16 of 16")
    expected = engine_grads(o, toposort(o)[::-1])
    assert all(float(n["grad"]) == expected[n["k"]] for n in e.nodes())
    slider.fill("10")  # forward done, the seed not yet sent
    assert all(n["shown"] and n["grad"] == "" for n in e.nodes())


def test_play_runs_the_steps_and_pause_stops_them(explore):
    e = explore(neuron())
    counter = e.page.locator("#counter")
    e.press("Play")
    assert not e.enabled("Play") and e.enabled("Pause")
    for _ in range(50):  # a step every 0.9 s
        if not counter.inner_text().startswith("step 0 "):
            break
        e.page.wait_for_timeout(100)
    e.press("Pause")
    stopped = counter.inner_text()
    e.page.wait_for_timeout(1500)
    assert counter.inner_text() == stopped and not stopped.startswith("step 0 ")


def test_hovering_a_parameter_shows_its_module_name_shape_and_grad(explore):
    model = nn.MLP(2, [4, 1], seed=0)
    X, y = nn.datasets.make_moons(8, seed=0)
    loss = nn.binary_cross_entropy_with_logits(model(X), y.reshape(-1, 1))
    nodes = toposort(loss)[::-1]
    weight = dict(model.named_parameters())["layers.0.weight"]
    weight.label = "W"  # the name comes from the module, not from the label
    e = explore(loss, module=model)
    run_backward(e)
    k = pos(nodes, weight)
    e.page.locator(f'g.value[data-k="{k}"]').hover()
    info = e.page.locator("#info").inner_text()
    assert "parameter\nlayers.0.weight" in info
    assert "label\nW" in info and "shape\n(4, 2) float64" in info
    (expected,) = engine_grads(loss, [weight])
    shown = e.page.locator(f'g.value[data-k="{k}"]').get_attribute("data-grad")
    np.testing.assert_array_equal(as_array(shown), expected)
    assert f"{expected[0, 0]:.6f}"[:6] in info  # the values themselves, 8 of them


def test_a_tensor_graph_ends_with_the_engines_gradients(explore):
    rng = np.random.default_rng(0)
    a = Tensor(rng.normal(size=(3, 2)), requires_grad=True, label="a")
    b = Tensor(rng.normal(size=(2,)), requires_grad=True, label="b")
    y = ((a @ b).tanh() * a.sum(axis=1)).sum()
    nodes = toposort(y)[::-1]
    e = explore(y)
    run_backward(e)
    expected = engine_grads(y, nodes)
    for n in e.nodes():
        np.testing.assert_array_equal(
            as_array(n["grad"]).reshape(expected[n["k"]].shape), expected[n["k"]]
        )


def test_screenshot_for_the_readme(browser, tmp_path):
    """The picture in the README: the neuron half way through backward, a box hovered."""
    o = neuron()
    path = save_html(o, tmp_path / "neuron.html")
    e = Explorer(browser, Path(path), viewport=(1280, 640))
    e.press("Backward step", 5)  # the seed, o, n, the sum, x2*w2: x1*w1 has its grad, x1 not
    nodes = toposort(o)[::-1]
    x1w1 = next(k for k, n in enumerate(nodes) if n.label == "x1*w1")
    e.page.locator(f'g.value[data-k="{x1w1}"]').hover()
    out = ROOT / "out"
    out.mkdir(exist_ok=True)
    e.page.screenshot(path=str(out / "explorer.png"))
    assert (out / "explorer.png").stat().st_size > 10_000
    e.close()
