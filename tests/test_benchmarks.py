"""The benchmark code runs (quick mode: tiny workloads, one round, no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmarks_run_check_every_engine_and_write_the_table(tmp_path):
    md = tmp_path / "results.md"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--markdown", str(md)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    text = md.read_text()
    for workload in ("W1", "W2", "W3-100", "W3-32", "W4", "W5", "W5-op"):
        assert f"**{workload}**" in text
    for engine in ("micrograd", "ours-Value", "ours-nn", "ours-ops", "torch", "numpy"):
        assert f"| {engine} |" in text or f"| {engine}-" in text
    assert "wrong results" not in text  # every engine agreed with its baseline
    assert "RecursionError" not in text  # quick chains stay under micrograd's limit
    bars = text.split("**Bars**")[1]
    measured = [line for line in bars.splitlines() if line.startswith("| W") and "W2" not in line]
    assert len(measured) == 8 and not any("not measured" in line for line in measured)


def test_chains_quick():
    from benchmarks import chains

    rows = chains.main(["--quick"])
    assert {kind for kind, *_ in rows} == {"Value", "Tensor"}
