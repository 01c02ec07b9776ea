"""One engine of one workload in its own process, answering the orchestrator line by line.

    python -m benchmarks.worker W3-100 ours-nn [--quick]

Commands on stdin, one JSON answer per line on stdout:
`check` (loss and gradients at the initial weights), `time` (seconds per step over `reps`
steps), `memory` (peak bytes traced during one step, numpy-based engines), `quit`.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
import tracemalloc


def blas_threads() -> int:
    """The number of threads numpy's BLAS uses (its environment setting, else the cores)."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return os.cpu_count() or 1


def main() -> None:
    workload, engine = sys.argv[1], sys.argv[2]
    quick = "--quick" in sys.argv[3:]
    if engine.startswith("torch"):
        import torch

        torch.set_num_threads(blas_threads())
    from benchmarks.workloads import make

    try:
        bench = make(workload, engine, quick)
    except ImportError as e:
        print(json.dumps({"error": f"{engine} is not installed ({e})"}), flush=True)
        return
    for line in sys.stdin:
        command = line.strip()
        try:
            if command == "check":
                answer = bench.check()
            elif command == "time":
                bench.step()  # warm
                start = time.perf_counter()
                for _ in range(bench.reps):
                    bench.step()
                answer = {"seconds": (time.perf_counter() - start) / bench.reps}
            elif command == "trace":  # a jitted engine's first three calls, against eager steps
                from benchmarks.workloads import EAGER_TWIN

                tries = 3 if workload == "W1" else 10  # (W1's trace takes a second)
                fresh = [make(workload, engine, quick) for _ in range(tries)]
                firsts, seconds, thirds = [], [], []
                # the fastest of fresh engines, as rounds are timed: first calls one after the
                # other, then second calls (a compile between them would leave the next first
                # call to a processor whose caches it has flushed, as no eager step is timed),
                # then third (a function that writes .grad compiles at its third call)
                for calls in (firsts, seconds, thirds):
                    for bench_ in fresh:
                        start = time.perf_counter()
                        bench_.step()
                        calls.append(time.perf_counter() - start)
                del fresh
                eager = make(workload, EAGER_TWIN[workload], quick)
                for _ in range(tries):  # warm: the interpreter specialises code that runs often
                    eager.step()
                steps = []
                for _ in range(tries):
                    t0 = time.perf_counter()
                    eager.step()
                    steps.append(time.perf_counter() - t0)
                answer = {
                    "first": min(firsts),
                    "second": min(seconds),
                    "third": min(thirds),
                    "eager": min(steps),
                    "tries": tries,
                }
            elif command == "memory":
                for _ in range(3):  # a jitted step traces again once models were made since
                    bench.step()  # (as "trace" makes them): measure the replay
                gc.collect()
                tracemalloc.start()
                bench.step()
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                answer = {"bytes": peak}
            elif command == "quit":
                return
            else:
                answer = {"error": f"unknown command {command!r}"}
        except RecursionError:
            answer = {"error": "RecursionError (recursive graph walk exceeds Python's limit)"}
        except Exception as e:  # report, do not die: the orchestrator prints it
            answer = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
