"""The benchmark code runs (quick mode: tiny workloads, one round, no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the benchmarks' quick mode: about half the suite's time

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
    engines = ("micrograd", "ours-Value", "ours-nn", "ours-ops", "ours-jit", "python-floor")
    for engine in (*engines, "torch", "numpy"):
        assert f"| {engine} |" in text or f"| {engine}-" in text
    assert "wrong results" not in text  # every engine agreed with its baseline
    assert "RecursionError" not in text  # quick chains stay under micrograd's limit
    bars = text.split("**Targets**")[1]
    measured = [line for line in bars.splitlines() if line.startswith("| W") and "W2" not in line]
    # 8 eager bars, 6 of autograd.jit's speed, 5 of its first call (W1, W3-100, W3-32, W4, W5)
    assert len(measured) == 8 + 6 + 5 and not any("not measured" in line for line in measured)
    assert text.count("'s first call (tracing; the fastest of ") == 5


def test_chains_quick():
    from benchmarks import chains

    rows = chains.main(["--quick"])  # each chain asserts its own gradient as it runs
    assert [(kind, n) for kind, n, *_ in rows] == [
        ("Value", 100), ("Value", 1000), ("Tensor", 100), ("Tensor", 1000)
    ]
    for kind, n, ns_per_link, ratio in rows:
        assert 0 < ns_per_link < 1e6, (kind, n, ns_per_link)  # a real time, under 1 ms a link
        assert ratio == (1.0 if n == 100 else ratio) and ratio > 0


def test_bars_judge_both_measures():
    from benchmarks.__main__ import Row, bars

    # numpy 10 us twice; ours 38 us then 42 us: fastest 3.8, median of rounds 4.0 (both met)
    w5 = [Row("numpy", [10e-6, 10e-6]), Row("ours", [38e-6, 42e-6])]
    w4 = [Row("numpy", [1.0, 2.0], memory=100), Row("ours-nn", [1.05, 2.4], memory=140)]
    lines = bars({"W5": w5, "W4": w4})
    by_name = {line.split(" | ")[0][2:]: line for line in lines[2:]}
    assert by_name["W5: ours / numpy, forward + backward (<= 4)"].endswith("| 3.80 | 4.00 | met |")
    # fastest 1.05 (met) but rounds 1.05 and 1.2: median 1.125 (missed)
    assert by_name["W4: ours-nn / numpy (<= 1.1)"].endswith("| 1.05 | 1.12 | met by one measure |")
    assert by_name["W4: peak memory ours-nn / numpy (<= 1.3)"].endswith("| 1.40 | 1.40 | not met |")
    assert by_name["W1: micrograd step / ours (>= 10)"].endswith("| not measured | | n/a |")


def test_instruction_counts_per_step_cancel_the_set_up(monkeypatch):
    """benchmarks.instructions runs a workload for n and 2n steps under callgrind: the
    difference over n is one step, whatever the set-up and interpreter start cost."""
    from benchmarks import instructions

    calls = []

    def fake_count(workload, engine, steps, root):
        calls.append(steps)
        return 5_000_000 + 1234 * steps  # set-up plus 1234 per step

    monkeypatch.setattr(instructions, "count", fake_count)
    assert instructions.per_step("W5", "ours", 200, "/x") == 1234
    assert sorted(calls) == [200, 400]
