"""Run the benchmark suite: `python -m benchmarks` (what `make bench` runs).

    python -m benchmarks                  # every workload, tables printed and put into
                                          # benchmarks/README.md
    python -m benchmarks --only W3-100 W5
    python -m benchmarks --quick          # tiny sizes, one round: proves the code runs

Each engine runs in its own process with the same data and initial weights. Rounds are
interleaved (A B C, B C A, ...) so that the machine's drift hits every engine alike, and the
ratios compare engines within the same invocation: the fastest round against the fastest
round, and the median of the per-round ratios. Before timing, every engine's loss and gradients
are compared with the baseline's.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAUSE = 0.3  # seconds between timings, longer than OpenBLAS's spin-wait


@dataclass
class Workload:
    name: str
    title: str
    engines: list[str]
    baseline: str
    rounds: int
    quick_engines: list[str] | None = None
    memory: bool = False
    per_link: bool = False  # W2: report time per chain link

    def engine_list(self, quick: bool) -> list[str]:
        return self.quick_engines if quick and self.quick_engines else self.engines


WORKLOADS = [
    Workload(
        "W1",
        "scalar MLP(2, [16, 16, 1]) of Values, micrograd's demo step (100 moons)",
        ["micrograd", "ours-Value", "ours-jit", "python-floor"],
        "micrograd",
        rounds=3,
    ),
    Workload(
        "W2",
        "deep chain: build plus backward, per link",
        [
            "ours-Value-1e3",
            "ours-Value-1e4",
            "ours-Value-1e5",
            "ours-Value-1e6",
            "ours-Tensor-1e3",
            "ours-Tensor-1e4",
            "ours-Tensor-1e5",
            "torch-1e4",
            "torch-1e5",
            "micrograd-1e4",
        ],
        "ours-Value-1e3",
        rounds=3,
        per_link=True,
        quick_engines=[
            "ours-Value-1e2",
            "ours-Value-1e3",
            "ours-Tensor-1e3",
            "torch-1e3",
            "micrograd-1e2",
        ],
    ),
    Workload(
        "W3-100",
        "tensor MLP(2, [16, 16, 1]) step, batch 100, logistic loss, float32",
        ["numpy", "ours-nn", "ours-jit", "ours-ops", "torch"],
        "numpy",
        rounds=15,
    ),
    Workload(
        "W3-32",
        "tensor MLP(2, [16, 16, 1]) step, batch 32, logistic loss, float32",
        ["numpy", "ours-nn", "ours-jit", "ours-ops", "torch"],
        "numpy",
        rounds=15,
    ),
    Workload(
        "W4",
        "MLP 784-256-256-10 step, batch 128, softmax cross-entropy, float32",
        ["numpy", "ours-nn", "ours-jit", "torch"],
        "numpy",
        rounds=7,
        memory=True,
    ),
    Workload(
        "W5",
        "(a * b + c).sum() forward and backward, 4-element tensors",
        ["numpy", "ours", "ours-jit", "torch"],
        "numpy",
        rounds=7,
    ),
    Workload(
        "W5-op",
        "one forward op a * b, 4-element tensors (recording the graph)",
        ["numpy", "ours", "torch"],
        "numpy",
        rounds=7,
    ),
]


@dataclass
class Row:
    engine: str
    times: list[float] = field(default_factory=list)
    error: str = ""
    memory: int | None = None
    trace: dict | None = None  # a jitted engine's first two calls and an eager step
    check: str = ""


class Worker:
    """A long-lived engine process, driven over its stdin and stdout."""

    def __init__(self, workload: str, engine: str, quick: bool) -> None:
        cmd = [sys.executable, "-m", "benchmarks.worker", workload, engine]
        self.proc = subprocess.Popen(
            cmd + (["--quick"] if quick else []),
            cwd=ROOT,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def ask(self, command: str) -> dict:
        if self.proc.poll() is not None:
            return {"error": "the engine's process has ended"}
        try:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        line = self.proc.stdout.readline()
        return json.loads(line) if line else {"error": "the engine's process ended"}

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
            self.proc.wait(timeout=60)


def compare(result: dict, reference: dict, tight: bool) -> str:
    """'' if the loss and gradients agree with the baseline's, else what differs."""
    rtol, atol = (1e-9, 1e-12) if tight else (2e-3, 1e-5)
    if not np.isclose(result["loss"], reference["loss"], rtol=rtol, atol=atol):
        return f"loss {result['loss']:.6g} vs {reference['loss']:.6g}"
    if len(result["grads"]) != len(reference["grads"]):
        return f"{len(result['grads'])} gradients vs {len(reference['grads'])}"
    for i, (g, r) in enumerate(zip(result["grads"], reference["grads"], strict=True)):
        if len(g) != len(r) or not np.allclose(g, r, rtol=rtol, atol=atol):
            return f"gradient {i} differs"
    return ""


def run_workload(w: Workload, quick: bool) -> list[Row]:
    engines = w.engine_list(quick)
    print(f"\n{w.name}: {w.title}", flush=True)
    workers = {e: Worker(w.name, e, quick) for e in engines}
    rows = {e: Row(e) for e in engines}
    try:
        checks = {e: workers[e].ask("check") for e in engines}
        reference = checks[w.baseline] if w.baseline in engines else None
        tight = w.name in ("W1", "W2", "W5", "W5-op")
        for e in engines:
            if "error" in checks[e]:
                rows[e].error = checks[e]["error"]
            elif w.per_link:
                grad = checks[e]["grads"][0][0]
                rows[e].check = "" if grad == 1.0 else f"gradient {grad} instead of 1"
            elif reference is not None and "error" not in reference:
                rows[e].check = compare(checks[e], reference, tight)
            if rows[e].check:
                rows[e].error = f"wrong results, not timed: {rows[e].check}"
        live = [e for e in engines if not rows[e].error]
        for r in range(1 if quick else w.rounds):
            order = live[r % len(live) :] + live[: r % len(live)] if live else []
            for e in order:
                # BLAS and OpenMP worker threads spin for a while after each call: let the
                # previous engine's threads go idle so they do not steal this engine's cores
                time.sleep(0 if quick else PAUSE)
                answer = workers[e].ask("time")
                if "error" in answer:
                    rows[e].error = answer["error"]
                else:
                    rows[e].times.append(answer["seconds"])
            print(
                f"  round {r + 1}: "
                + ", ".join(f"{e} {fmt_time(rows[e].times[-1])}" for e in live if rows[e].times),
                flush=True,
            )
        for e in live:
            if e == "ours-jit":
                answer = workers[e].ask("trace")
                rows[e].trace = None if "error" in answer else answer
        if w.memory:
            for e in live:
                if e != "torch":  # torch allocates outside Python's tracemalloc
                    rows[e].memory = workers[e].ask("memory").get("bytes")
    finally:
        for worker in workers.values():
            worker.close()
    return [rows[e] for e in engines]


def links(engine: str) -> int:
    return int(float(engine.rsplit("-", 1)[1]))


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.1f} us"
    return f"{seconds * 1e9:.0f} ns"


def ratios(row: Row, base: Row) -> tuple[float, float] | None:
    """(fastest over fastest, median of per-round ratios) of row against base."""
    if not row.times or not base.times:
        return None
    fastest = min(row.times) / min(base.times)
    per_round = [a / b for a, b in zip(row.times, base.times, strict=False)]
    return fastest, statistics.median(per_round)


def table(w: Workload, rows: list[Row]) -> list[str]:
    """The markdown table of one workload."""
    base = next((r for r in rows if r.engine == w.baseline), rows[0])
    unit = " per link" if w.per_link else ""
    head = (
        f"| engine | median{unit} | min | max | time / {w.baseline} (fastest) "
        f"| (median of rounds) |"
    )
    lines = [f"**{w.name}**: {w.title}", "", head, "|---|---|---|---|---|---|"]
    if w.memory:
        lines[2] += " peak memory |"
        lines[3] += "---|"
    for row in rows:
        if row.error:
            lines.append(f"| {row.engine} | {row.error} | | | | |" + (" |" if w.memory else ""))
            continue
        scale = 1 / links(row.engine) if w.per_link else 1
        t = [x * scale for x in row.times]
        if w.per_link:
            b = Row(base.engine, [x / links(base.engine) for x in base.times])
            ratio = ratios(Row(row.engine, t), b)
        else:
            ratio = ratios(row, base)
        cells = [row.engine, fmt_time(statistics.median(t)), fmt_time(min(t)), fmt_time(max(t))]
        cells += [f"{ratio[0]:.2f}x", f"{ratio[1]:.2f}x"] if ratio else ["", ""]
        if w.memory:
            cells.append(f"{row.memory / 2**20:.1f} MiB" if row.memory else "n/a")
        lines.append("| " + " | ".join(cells) + " |")
    for row in rows:
        if row.trace:
            t = row.trace
            lines += [
                "",
                f"{row.engine}'s first call (tracing; the fastest of {t.get('tries', 3)} fresh "
                f"engines, against the fastest of as many warm eager steps) took "
                f"{fmt_time(t['first'])}, "
                f"{t['first'] / t['eager']:.1f}x an eager step ({fmt_time(t['eager'])}); the "
                f"second {fmt_time(t['second'])} ({t['second'] / t['eager']:.1f}x), the third "
                f"{fmt_time(t.get('third', 0.0))} ({t.get('third', 0.0) / t['eager']:.1f}x): "
                "the second traces again, with the checks, then compares the two traces and "
                "compiles, or leaves that to the third for a function that writes .grad (W1's).",
            ]
    return lines


def bars(results: dict[str, list[Row]]) -> list[str]:
    """The project's performance targets (see benchmarks/README.md), each measured two ways:
    fastest round against fastest round, and the median of the per-round ratios (robust when the
    machine changes speed between rounds)."""

    def row(workload: str, engine: str) -> Row | None:
        for r in results.get(workload, []):
            if r.engine == engine and r.times and not r.error:
                return r
        return None

    def ratio(workload: str, num: str, den: str, per_link: bool = False) -> tuple | None:
        a, b = row(workload, num), row(workload, den)
        if a is None or b is None:
            return None
        scale = links(den) / links(num) if per_link else 1.0
        fastest, median = ratios(a, b)  # type: ignore[misc]
        return fastest * scale, median * scale

    checks = []

    def bar(text: str, value: tuple | None, ok: Callable[[float], bool]) -> None:
        if value is None:
            checks.append(f"| {text} | not measured | | n/a |")
            return
        met = [ok(v) for v in value]
        verdict = "met" if all(met) else ("met by one measure" if any(met) else "not met")
        checks.append(f"| {text} | {value[0]:.2f} | {value[1]:.2f} | {verdict} |")

    v = ratio("W1", "micrograd", "ours-Value")
    bar("W1: micrograd step / ours (>= 10)", v, lambda x: x >= 10)
    v = ratio("W2", "ours-Value-1e5", "ours-Value-1e3", per_link=True)
    bar("W2: Value per link, 1e5 / 1e3 (<= 1.5)", v, lambda x: x <= 1.5)
    v = ratio("W2", "torch-1e5", "ours-Value-1e5")
    bar("W2: torch 0-d / ours Value at 1e5 (>= 7)", v, lambda x: x >= 7)
    for wl in ("W3-100", "W3-32"):
        for eng in ("ours-nn", "ours-ops"):
            bar(f"{wl}: {eng} / numpy (<= 1.5)", ratio(wl, eng, "numpy"), lambda x: x <= 1.5)
    bar("W4: ours-nn / numpy (<= 1.1)", ratio("W4", "ours-nn", "numpy"), lambda x: x <= 1.1)
    mem = {r.engine: r.memory for r in results.get("W4", [])}
    v = mem["ours-nn"] / mem["numpy"] if mem.get("ours-nn") and mem.get("numpy") else None
    v = None if v is None else (v, v)  # one measurement: the same in both columns
    bar("W4: peak memory ours-nn / numpy (<= 1.3)", v, lambda x: x <= 1.3)
    v = ratio("W5", "ours", "numpy")
    bar("W5: ours / numpy, forward + backward (<= 4)", v, lambda x: x <= 4)
    bar("W1: micrograd / ours-jit (>= 30)", ratio("W1", "micrograd", "ours-jit"), lambda x: x >= 30)
    v = ratio("W1", "ours-jit", "python-floor")
    bar("W1: ours-jit / pure-Python floor (<= 5)", v, lambda x: x <= 5)
    for wl in ("W3-100", "W3-32"):
        bar(f"{wl}: ours-jit / numpy (<= 1.1)", ratio(wl, "ours-jit", "numpy"), lambda x: x <= 1.1)
    bar("W4: ours-jit / numpy (<= 1.0)", ratio("W4", "ours-jit", "numpy"), lambda x: x <= 1.0)
    bar("W5: ours-jit / numpy (<= 1.5)", ratio("W5", "ours-jit", "numpy"), lambda x: x <= 1.5)
    for wl, rows in results.items():
        for r in rows:
            if r.trace:
                v = r.trace["first"] / r.trace["eager"]
                bar(f"{wl}: ours-jit first call / eager step (<= 3)", (v, v), lambda x: x <= 3)
    return [
        "| target | fastest / fastest | median of rounds | |",
        "|---|---|---|---|",
        *checks,
    ]


def machine() -> str:
    versions = [f"Python {platform.python_version()}", f"numpy {np.__version__}"]
    for mod in ("torch", "micrograd"):
        try:
            from importlib.metadata import version

            versions.append(f"{mod} {version(mod)}")
        except Exception:
            versions.append(f"{mod} not installed")
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}; {', '.join(versions)}; "
        f"{datetime.date.today().isoformat()}"
    )


START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
README = os.path.join(ROOT, "benchmarks", "README.md")


def update_readme(path: str, text: str) -> None:
    """Replace what stands between the START and END marker lines of `path` with `text`."""
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    if START not in doc or END not in doc:
        raise SystemExit(f"{path} has no {START} ... {END} block for the table")
    head, rest = doc.split(START, 1)
    _, tail = rest.split(END, 1)
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"{head}{START}\n{text}\n{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round")
    parser.add_argument("--only", nargs="+", choices=[w.name for w in WORKLOADS])
    parser.add_argument(
        "--markdown",
        help="write the tables to this file instead of into benchmarks/README.md (a --quick run "
        "writes nowhere unless asked, so its meaningless numbers never replace real ones)",
    )
    args = parser.parse_args(argv)
    chosen = [w for w in WORKLOADS if not args.only or w.name in args.only]
    results = {w.name: run_workload(w, args.quick) for w in chosen}
    lines = [
        f"Machine: {machine()}.",
        "",
        f"Command: `python -m benchmarks{' --quick' if args.quick else ''}`.",
        "",
    ]
    for w in chosen:
        lines += table(w, results[w.name]) + [""]
    lines += ["**Targets** (met: both measures hold):", "", *bars(results), ""]
    text = "\n".join(lines)
    print("\n" + text)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"\nwrote {args.markdown}")
    elif not args.quick:
        update_readme(README, text)
        print(f"\nupdated {README}")
    wrong = [r.engine for rows in results.values() for r in rows if r.check]
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
