"""Instructions per step of a workload, counted by valgrind's callgrind: the stable measure.

    python -m benchmarks.instructions W3-32:ours-nn W5:ours [--steps 200] [--root DIR]

Timings on these shared machines move by 20% from run to run; instruction counts repeat to a
fraction of a percent. Each workload runs in its own process under `valgrind --tool=callgrind`
twice, once with `steps` and once with `2 * steps` steps after the same set-up; the difference
divided by `steps` is the cost of one step, with set-up, interpreter start and warm-up cancelled
out. `--root` measures another checkout of the project (say, a `git worktree` of the commit
before a change) with the same script, so before and after come from one run.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile

RUNNER = """
import gc, sys
sys.path.insert(0, {root!r})
from benchmarks.workloads import make
bench = make({workload!r}, {engine!r}, False)
for _ in range({warm}):
    bench.step()
gc.collect()
for _ in range({steps}):
    bench.step()
"""


def count(workload: str, engine: str, steps: int, root: str) -> int:
    """Total instructions of a process that sets up `workload` and runs `steps` steps."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        script = RUNNER.format(
            root=root, workload=workload, engine=engine, steps=steps, warm=min(steps, 20)
        )
        env = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1")
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-c",
             script],
            capture_output=True, text=True, env=env, check=False,
        )
        if proc.returncode:
            raise RuntimeError(f"{workload}:{engine} failed under valgrind:\n{proc.stderr[-2000:]}")
        match = re.search(r"Collected : (\d+)", proc.stderr)
        if match is None:
            raise RuntimeError(f"no instruction count in valgrind's output:\n{proc.stderr[-2000:]}")
        return int(match.group(1))


def per_step(workload: str, engine: str, steps: int, root: str) -> float:
    """Instructions of one step: the difference between 2 * steps and steps, over steps."""
    return (count(workload, engine, 2 * steps, root) - count(workload, engine, steps, root)) / steps


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("jobs", nargs="+", help="WORKLOAD:ENGINE, e.g. W3-32:ours-nn")
    parser.add_argument("--steps", type=int, default=200)
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--root", default=here, help="the checkout to measure")
    args = parser.parse_args(argv)
    for job in args.jobs:
        workload, engine = job.split(":")
        n = per_step(workload, engine, args.steps, os.path.abspath(args.root))
        print(f"{job}\t{n:,.0f} instructions per step", flush=True)


if __name__ == "__main__":
    main()
