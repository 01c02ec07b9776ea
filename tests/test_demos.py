"""The demos: each runs quickly, prints figures that meet the lessons' thresholds, and the report
page references only pictures that exist and are valid PNG or SVG."""

from __future__ import annotations

import html
import importlib.util
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from autograd.viz import _num
from demos import __main__ as report
from demos import expression, moons, regression, spirals, symmetry, xor

ROOT = Path(__file__).resolve().parent.parent
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def figures(text: str) -> dict[str, str]:
    """The 'name: value' lines a demo prints."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^([^:\n]+): (.+)$", text, flags=re.M)}


def pct(value: str) -> float:
    assert value.endswith("%"), value
    return float(value[:-1])


def run(module, tmp_path, capsys, *extra):
    result = module.main(["--quick", "--out", str(tmp_path), *extra])
    out = capsys.readouterr().out
    for path, _ in result.images:
        assert_picture(tmp_path / path)
    return result, figures(out)


def svg_nodes(svg: bytes) -> list[str]:
    """The text of each node of a Graphviz SVG."""
    ns = "{http://www.w3.org/2000/svg}"
    return [
        " ".join(" ".join(t.text or "" for t in g.iter(f"{ns}text")).replace("\xa0", " ").split())
        for g in ET.fromstring(svg).iter(f"{ns}g")
        if g.get("class") == "node"
    ]


def assert_picture(path: Path) -> None:
    data = path.read_bytes()
    if path.suffix == ".png":
        assert data[:8] == PNG_MAGIC, path
    else:
        assert path.suffix == ".svg", path
        assert ET.fromstring(data).tag == "{http://www.w3.org/2000/svg}svg", path


def test_expression_matches_hand_derived_gradients(tmp_path, capsys):
    _, fig = run(expression, tmp_path, capsys)
    assert float(fig["largest difference from hand-derived gradients"]) < 1e-12
    assert fig["do/dx1"] == "-1.5" and fig["output o"] == "0.7071"


def explorer_labels(path: Path) -> set[str]:
    """The node labels an explorer page carries, after checking it is one."""
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<button" in page
    for control in ("Forward step", "Backward step", "Back", "Reset"):
        assert f">{control}</button>" in page, control
    return set(re.findall(r'data-label="([^"]+)"', page))


def test_the_neuron_and_the_xor_mlp_have_explorer_pages(tmp_path, capsys):
    neuron, _ = run(expression, tmp_path, capsys)
    assert neuron.pages == [("expression/neuron.html", neuron.pages[0][1])]
    labels = explorer_labels(tmp_path / "expression" / "neuron.html")
    assert {"x1", "x2", "w1", "w2", "b", "n", "o"} <= labels
    mlp, _ = run(xor, tmp_path, capsys)
    assert mlp.pages == [("xor/mlp_one_sample.html", mlp.pages[0][1])]
    assert "one sample" in mlp.pages[0][1]
    labels = explorer_labels(tmp_path / "xor" / "mlp_one_sample.html")
    assert labels == {
        "loss",
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
    }


def test_xor_perceptron_fails_and_mlp_succeeds(tmp_path, capsys):
    _, fig = run(xor, tmp_path, capsys)
    assert pct(fig["MLP accuracy"]) == 100.0
    assert pct(fig["perceptron best accuracy during training"]) == 75.0
    assert pct(fig["perceptron final accuracy"]) <= 75.0


def description(path: Path) -> list[dict[str, str]]:
    """Each panel of a demo's PNG as {title, x axis, y axis, legend}, from its Description."""
    with Image.open(path) as image:
        text = image.text["Description"]
    return [dict(part.split(": ", 1) for part in line.split("; ")) for line in text.splitlines()]


def test_xor_numbers_pictures_and_captions_come_from_the_same_state(tmp_path, capsys):
    # full size: its small final loss is drawn with four significant digits (2.609e-04)
    result = xor.main(["--out", str(tmp_path)])
    fig = figures(capsys.readouterr().out)
    # the loss in the table is the loss at the root of the drawn graph (it was 0.0002618 in the
    # table against 2.609e-04 in the graph, taken one optimiser step apart)
    nodes = svg_nodes((tmp_path / "xor" / "mlp_graph.svg").read_bytes())
    root = next(text for text in nodes if text.startswith("loss "))
    drawn = re.search(r"data (\S+)", root).group(1)
    assert "e-0" in drawn and float(drawn) == pytest.approx(float(fig["MLP loss"]), rel=5e-4)
    assert drawn == _num(result.metrics["MLP loss"]) and float(drawn) < 1e-3
    # the decision-region titles and the caption give the table's accuracies
    best, final, mlp = (
        fig["perceptron best accuracy during training"],
        fig["perceptron final accuracy"],
        fig["MLP accuracy"],
    )
    left, right = description(tmp_path / "xor" / "regions.png")
    assert left["title"] == f"perceptron, best epoch: {best}"
    assert right["title"] == f"MLP 2-8-1, last epoch: {mlp}"
    caption = result.images[0][1]
    right_of_four = round(pct(best) / 25)
    assert f"at its best epoch ({best}, {right_of_four} of 4 right; {final} after" in caption
    assert f"after training ({mlp})" in caption
    # the picture shows the perceptron at that best state: 3 of 4 right
    assert right_of_four == 3
    assert "The trained MLP's loss" in result.images[1][1]


def test_every_plot_has_axis_labels_and_regions_have_a_class_legend(tmp_path, capsys):
    pictures = {}
    for module in (xor, symmetry, moons, spirals, regression):
        result, _ = run(module, tmp_path, capsys)
        pictures.update({p: description(tmp_path / p) for p, _ in result.images if ".png" in p})
    assert len(pictures) == 5
    for path, panels in pictures.items():
        assert len(panels) == 2, path
        for panel in panels:
            assert panel["title"] and panel["x axis"] and panel["y axis"], (path, panel)
    regions = [pictures["xor/regions.png"][0], pictures["xor/regions.png"][1]]
    regions += [pictures["moons/moons.png"][0], pictures["spirals/spirals.png"][0]]
    for panel in regions:
        assert (panel["x axis"], panel["y axis"]) == ("input x1", "input x2")
    assert regions[0]["legend"] == "x1 xor x2 = 0, x1 xor x2 = 1"
    assert regions[2]["legend"] == "class 0, class 1"
    assert regions[3]["legend"] == "class 0, class 1, class 2"
    curves = [pictures[p][1] for p in ("moons/moons.png", "spirals/spirals.png")]
    curves.append(pictures["regression/regression.png"][1])
    for panel in curves:
        assert panel["x axis"] == "epoch" and "(log scale)" in panel["y axis"]
    assert pictures["regression/regression.png"][0]["x axis"] == "input x"


def test_symmetry_zero_init_neurons_stay_identical(tmp_path, capsys):
    _, fig = run(symmetry, tmp_path, capsys)
    assert fig["zero-init hidden neurons identical"] == "True"
    assert float(fig["zero-init spread between neurons"]) == 0.0
    assert float(fig["random-init spread between neurons"]) > 0.5
    assert pct(fig["random-init accuracy"]) > pct(fig["zero-init accuracy"])


def test_moons_quick(tmp_path, capsys):
    _, fig = run(moons, tmp_path, capsys)
    assert pct(fig["test accuracy"]) > 90.0


def test_moons_default_size_above_97_percent_test_accuracy(tmp_path, capsys):
    """The slower full-size run (a couple of seconds here)."""
    moons.main(["--out", str(tmp_path)])
    fig = figures(capsys.readouterr().out)
    assert pct(fig["test accuracy"]) > 97.0
    assert int(fig["training samples"]) == 750


def test_spirals_quick(tmp_path, capsys):
    _, fig = run(spirals, tmp_path, capsys)
    assert pct(fig["training accuracy"]) > 70.0


def test_regression_quick(tmp_path, capsys):
    _, fig = run(regression, tmp_path, capsys)
    assert float(fig["mse against the true sine"]) < 0.05


@pytest.mark.slow
def test_demos_are_reproducible_with_a_seed(tmp_path, capsys):
    _, a = run(symmetry, tmp_path / "a", capsys, "--seed", "3")
    _, b = run(symmetry, tmp_path / "b", capsys, "--seed", "3")
    a.pop("pictures"), b.pop("pictures")
    assert a == b


class Page(HTMLParser):
    """The report's structure: its tags (with the tags they sit in and their section), and the
    text of each <code>."""

    VOID = {"img", "meta", "br", "link", "input"}

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict, list[tuple[str, dict]], str | None]] = []
        self.codes: list[tuple[str | None, str]] = []
        self.stack: list[tuple[str, dict]] = []
        self.section: str | None = None
        self.code: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.section = attrs["id"]
        self.tags.append((tag, attrs, list(self.stack), self.section))
        if tag == "code":
            self.code = []
        if tag not in self.VOID:
            self.stack.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "code" and self.code is not None:
            self.codes.append((self.section, "".join(self.code)))
            self.code = None
        if self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_data(self, data):
        if self.code is not None:
            self.code.append(data)

    def find(self, tag: str) -> list[tuple[dict, list[tuple[str, dict]], str | None]]:
        return [(attrs, stack, section) for t, attrs, stack, section in self.tags if t == tag]


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess, str]:
    """`python -m demos --quick` run once, for the tests that read its report."""
    out = tmp_path_factory.mktemp("report") / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "demos", "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return out, proc, (out / "index.html").read_text()


@pytest.mark.slow
def test_report_references_only_existing_valid_pictures(quick_report):
    out, proc, page = quick_report
    assert "report: " in proc.stdout and re.search(r"^xor\s+ok", proc.stdout, flags=re.M)
    images = Page(page).find("img")
    assert len(images) >= 7  # every demo's pictures
    for attrs, _, _ in images:
        assert_picture(out / attrs["src"])
    assert "MLP accuracy" in page and "100.0%" in page


@pytest.mark.slow
def test_report_has_contents_sources_rerun_commands_and_full_size_links(quick_report):
    out, _, page = quick_report
    parsed = Page(page)
    sections = [attrs["id"] for attrs, _, _ in parsed.find("section")]
    assert sections == list(report.DEMOS)
    contents = [
        a["href"]
        for a, stack, _ in parsed.find("a")
        if ("nav", {"aria-label": "Contents"}) in stack
    ]
    assert contents == [f"#{name}" for name in report.DEMOS]
    for name in report.DEMOS:
        links = [a["href"] for a, _, section in parsed.find("a") if section == name]
        source = [href for href in links if href.endswith(f"demos/{name}.py")]
        assert len(source) == 1, links
        assert (out / source[0]).resolve() == ROOT / "demos" / f"{name}.py"
        commands = [code for section, code in parsed.codes if section == name and "python" in code]
        assert commands == [f"python -m demos.{name} --quick --out {out}"]
        assert importlib.util.find_spec(f"demos.{name}") is not None
    # the command the page gives reruns the lesson
    command = next(c for s, c in parsed.codes if s == "expression" and c.startswith("python"))
    rerun = out / "rerun"
    argv = [sys.executable, *shlex.split(command)[1:-1], str(rerun)]
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=120, check=True)
    assert "do/dx1: -1.5" in proc.stdout and (rerun / "expression" / "neuron.svg").exists()
    # every picture is a link to itself: it opens full size when clicked
    for attrs, stack, _ in parsed.find("img"):
        assert stack[-1] == ("a", {"href": attrs["src"], "title": "open full size"})
    # the explorer pages, linked beside the neuron's and the XOR MLP's pictures
    explorers = [(a["href"], s) for a, _, s in parsed.find("a") if a["href"].endswith(".html")]
    assert explorers == [
        ("expression/neuron.html", "expression"),
        ("xor/mlp_one_sample.html", "xor"),
    ]
    for href, _ in explorers:
        assert explorer_labels(out / href)


@pytest.mark.slow
def test_report_graphs_keep_their_size_and_scroll_on_a_narrow_screen(quick_report):
    out, _, page = quick_report
    parsed = Page(page)
    assert ("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}) in [
        (t, a) for t, a, _, _ in parsed.tags
    ]
    assert ".graph{overflow-x:auto" in page
    graphs = [(a, stack) for a, stack, _ in parsed.find("img") if a["src"].endswith(".svg")]
    assert len(graphs) == 2
    for attrs, stack in graphs:
        assert ("div", {"class": "graph"}) in stack
        width = re.search(r'width="([\d.]+)pt"', (out / attrs["src"]).read_text()).group(1)
        assert attrs["style"] == f"min-width:{round(float(width))}px"


BROWSER = "/usr/bin/chromium"


def browser_or_skip():
    """Playwright driving the system Chromium; a skip only where neither is installed and
    AUTOGRAD_REQUIRE_BROWSER is not set (`make test` sets it)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not Path(BROWSER).exists():
        if os.environ.get("AUTOGRAD_REQUIRE_BROWSER"):
            pytest.fail(f"AUTOGRAD_REQUIRE_BROWSER is set but playwright or {BROWSER} is missing")
        pytest.skip(f"no browser: playwright and {BROWSER} are needed")
    return sync_playwright


@pytest.mark.slow
def test_report_on_a_phone_width_screen_in_a_browser(quick_report):
    out, _, _ = quick_report
    sync_playwright = browser_or_skip()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800})
            page.goto((out / "index.html").as_uri())
            page.wait_for_load_state("load")
            info = page.evaluate(
                """() => ({
                page: document.scrollingElement.scrollWidth,
                graphs: [...document.querySelectorAll('.graph')].map(box => {
                    const img = box.querySelector('img');
                    return {box: box.clientWidth, scroll: box.scrollWidth,
                            shown: img.getBoundingClientRect().width, natural: img.naturalWidth};
                }),
                broken: [...document.images].filter(i => !i.complete || !i.naturalWidth).length,
            })"""
            )
            page.locator(".graph").first.scroll_into_view_if_needed()
            page.screenshot(path=str(out / "phone.png"))
        finally:
            browser.close()
    assert info["page"] <= 375  # the page itself never scrolls sideways
    assert info["broken"] == 0 and len(info["graphs"]) == 2
    for graph in info["graphs"]:
        assert graph["box"] < 375 < graph["scroll"]  # the graph scrolls in its own box
        assert graph["shown"] >= 0.74 * graph["natural"]  # at about 3/4 of full size, readable


@pytest.mark.slow
def test_without_graphviz_each_failed_demo_is_one_line_saying_how_to_install_it(tmp_path):
    """Graphviz hidden from the PATH: the demos that draw graphs fail, naming what is missing."""
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "demos", "--quick", "--out", str(out)]
        + ["--only", "expression", "symmetry", "xor"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={"PATH": str(tmp_path)},
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    missing = report.MISSING_DOT
    assert "Graphviz" in missing and "apt-get install graphviz" in missing
    assert proc.stderr.splitlines() == [f"expression FAILED: {missing}", f"xor FAILED: {missing}"]
    summary = proc.stdout.split("\ndemo ")[1].splitlines()
    assert summary[1] == f"expression  FAILED           {missing}"  # whole, not cut mid-word
    assert summary[3] == f"xor         FAILED           {missing}"
    assert re.match(r"symmetry\s+ok", summary[2])
    page = (out / "index.html").read_text()
    assert page.count(html.escape(missing)) == 2 and "expression: failed" in page


def test_an_unexpected_error_still_prints_its_traceback(tmp_path, capsys, monkeypatch):
    def broken(argv):
        return 1 / 0

    monkeypatch.setitem(report.DEMOS, "expression", type("Broken", (), {"main": broken}))
    results = report.run_all(["expression", "symmetry"], str(tmp_path), seed=0, quick=True)
    err = capsys.readouterr().err
    assert "Traceback" in err and "1 / 0" in err
    assert err.splitlines()[-1] == "expression FAILED: ZeroDivisionError: division by zero"
    assert results[0] == ("expression", "ZeroDivisionError: division by zero")
    assert results[1][0] == "symmetry" and results[1][1].metrics["epochs"] == 300


@pytest.mark.slow
@pytest.mark.parametrize("name", list(report.DEMOS))
def test_each_demo_has_help(name):
    proc = subprocess.run(
        [sys.executable, "-m", f"demos.{name}", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    for option in ("--seed", "--out", "--quick"):
        assert option in proc.stdout


def test_every_picture_the_readme_shows_is_in_the_repository_and_valid():
    text = (ROOT / "README.md").read_text()
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert pictures
    for path in pictures:
        data = (ROOT / path).read_bytes()
        if path.endswith(".png"):
            assert data[:8] == PNG_MAGIC, path
        else:
            assert path.endswith(".svg") and ET.fromstring(data).tag.endswith("svg"), path


def test_the_jit_timing_says_slower_when_it_was():
    from demos.common import compared

    assert compared(1.0, 2.0) == "(2.0x faster)"
    assert compared(3.0, 2.0) == "(1.5x slower)"  # a short run: tracing and compiling dominate
