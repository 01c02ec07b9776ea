"""The README's Python examples run as written and print what their comments say."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def _expected_output(code: str) -> list[str]:
    """The `# ...` comment after each print(...) line is what it should print."""
    return [m.group(1).strip() for m in re.finditer(r"^print\(.*\)\s+# (.*)$", code, flags=re.M)]


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs_and_prints_what_it_says(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write files
    code = BLOCKS[index]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"README block {index}", "exec"), {})
    printed = " ".join(out.getvalue().split())
    for expected in _expected_output(code):
        assert " ".join(expected.split()) in printed


def test_every_make_command_the_readme_names_exists():
    text = README.read_text()
    makefile = (README.parent / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.M))
    named = set(re.findall(r"(?:`|^)make ([a-z][a-z-]*)", text, flags=re.M))
    assert {"test", "demo"} <= named
    assert named <= targets, f"README names make targets the Makefile lacks: {named - targets}"
