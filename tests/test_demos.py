"""The demos: each runs quickly, prints figures that meet the lessons' thresholds, and the report
page references only pictures that exist and are valid PNG or SVG."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

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


def test_xor_perceptron_fails_and_mlp_succeeds(tmp_path, capsys):
    _, fig = run(xor, tmp_path, capsys)
    assert pct(fig["MLP accuracy"]) == 100.0
    assert pct(fig["perceptron best accuracy during training"]) <= 75.0
    assert pct(fig["perceptron accuracy"]) <= 75.0


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


class Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs)["src"])


@pytest.mark.slow
def test_report_references_only_existing_valid_pictures(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "demos", "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "report: " in proc.stdout and re.search(r"^xor\s+ok", proc.stdout, flags=re.M)
    page = (out / "index.html").read_text()
    parser = Images()
    parser.feed(page)
    assert len(parser.sources) == 7  # every demo's pictures
    for src in parser.sources:
        assert_picture(out / src)
    assert "MLP accuracy" in page and "100.0%" in page


@pytest.mark.slow
def test_a_failing_demo_is_reported_and_the_others_go_on(tmp_path):
    """Graphviz hidden from the PATH: the demos that draw graphs fail, naming what is missing."""
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "demos",
            "--quick",
            "--out",
            str(out),
            "--only",
            "expression",
            "symmetry",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={"PATH": str(tmp_path)},
    )
    assert proc.returncode == 1
    assert re.search(r"^expression\s+FAILED\s+GraphvizNotFoundError", proc.stdout, flags=re.M)
    assert re.search(r"^symmetry\s+ok", proc.stdout, flags=re.M)
    assert "apt-get install graphviz" in proc.stderr
    assert "failed" in (out / "index.html").read_text()


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
