"""Data parallelism on the three spirals: 2 worker processes each take half of every mini-batch,
average their gradients with one all-reduce (torch.distributed, Gloo), and end where one process
training on the whole batches ends."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import nn
from demos.common import Result, parse_args, percent, run_demo

ROOT = Path(__file__).resolve().parent.parent
WORKER_ENV = "DEMO_DISTRIBUTED_OUT"  # set for the workers: the folder rank 0 writes into
INSTALL = "pip install 'autograd-nn[distributed]'"


def lesson(seed: int, quick: bool) -> tuple[np.ndarray, np.ndarray, nn.MLP, nn.Adam, int]:
    """The spirals lesson's data, model, optimiser and epochs, the same in every process."""
    X, y = nn.datasets.make_spirals(150 if quick else 300, n_classes=3, noise=0.2, seed=seed)
    model = nn.MLP(2, [64, 64, 3], seed=seed)
    return X, y, model, nn.Adam(model.parameters(), lr=0.01), 40 if quick else 300


def train(
    model: nn.MLP,
    X: np.ndarray,
    y: np.ndarray,
    optimizer: nn.Adam,
    epochs: int,
    seed: int,
    distributed: Any = False,
) -> tuple[float, float]:
    """Train; returns (seconds per epoch, final training accuracy)."""
    start = time.perf_counter()
    history = nn.fit(
        model,
        X,
        y,
        loss=nn.cross_entropy,
        optimizer=optimizer,
        epochs=epochs,
        batch_size=32,
        seed=seed,
        progress=False,
        distributed=distributed,
    )
    return (time.perf_counter() - start) / epochs, history.accuracy[-1]


def worker(out: str, seed: int, quick: bool) -> None:
    """One of the 2 workers (started by nn.distributed's launcher); rank 0 writes the results."""
    from nn.distributed import DistributedDataParallel

    X, y, model, optimizer, epochs = lesson(seed, quick)
    ddp = DistributedDataParallel(model, timeout=60)
    per_epoch, accuracy = train(model, X, y, optimizer, epochs, seed, distributed=ddp)
    in_training = ddp.sync_seconds / ddp.steps
    steps = ddp.steps
    start, calls = time.perf_counter(), 200  # the all-reduce alone, workers in step
    for _ in range(calls):
        ddp.average_gradients(16)
    alone = (time.perf_counter() - start) / calls
    ddp.save(model.state_dict(), os.path.join(out, "two_workers.npz"))  # rank 0 writes it
    if ddp.is_main:
        figures = {
            "per_epoch": per_epoch,
            "accuracy": accuracy,
            "steps": steps,
            "sync_in_training": in_training,
            "sync_alone": alone,
            "numbers": int(sum(p.size for p in model.parameters())),
        }
        Path(out, "two_workers.json").write_text(json.dumps(figures))


def run(seed: int, folder: str, quick: bool) -> Result:
    title = "Data-parallel training on 2 workers"
    if importlib.util.find_spec("torch") is None:  # make demo installs only the demo extra
        return Result(
            name="distributed",
            title=title,
            lesson="Needs PyTorch's torch.distributed, which the demo extra does not install.",
            metrics={"skipped": f"needs PyTorch: {INSTALL}"},
        )
    X, y, model, optimizer, epochs = lesson(seed, quick)
    one_epoch, one_accuracy = train(model, X, y, optimizer, epochs, seed)

    out = os.path.abspath(folder)
    env = dict(os.environ, **{WORKER_ENV: out})
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    command = [
        sys.executable,
        "-m",
        "nn.distributed",
        "--nproc",
        "2",
        "-m",
        "demos.distributed",
        "--seed",
        str(seed),
    ] + (["--quick"] if quick else [])
    proc = subprocess.Popen(
        command,
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _, err = proc.communicate(timeout=120 if quick else 600)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the launcher and its workers
        proc.communicate()
        raise RuntimeError("the 2 workers did not finish in time") from None
    if proc.returncode != 0:
        raise RuntimeError(f"the 2 workers failed (exit {proc.returncode}): {err.strip()[-2000:]}")
    two = json.loads(Path(out, "two_workers.json").read_text())
    theirs = nn.load(os.path.join(out, "two_workers.npz"))
    difference = max(float(np.abs(theirs[k] - v).max()) for k, v in model.state_dict().items())
    return Result(
        name="distributed",
        title=title,
        lesson="The gradient of a mini-batch is the mean of its samples' gradients, so two "
        "processes can each take half of every batch and add their halves' gradients, weighted "
        "by their sizes, in one all-reduce: both then take the step one process would take. The "
        "weights differ from that process's only by rounding (each half is summed on its own), "
        "which a long Adam run lets grow a little. On a model this small the "
        "all-reduce costs more than the half of each step it saves; the workers pay off when a "
        "step's compute outweighs one exchange of the gradients.",
        metrics={
            "training accuracy, 2 workers": percent(two["accuracy"]),
            "training accuracy, 1 process": percent(one_accuracy),
            "largest weight difference, 2 workers against 1 process": difference,
            "time per epoch, 2 workers": f"{1e3 * two['per_epoch']:.1f} ms",
            "time per epoch, 1 process": f"{1e3 * one_epoch:.1f} ms",
            "all-reduce per step, in training": f"{1e6 * two['sync_in_training']:.0f} us",
            "all-reduce per step, alone": f"{1e6 * two['sync_alone']:.0f} us",
            "numbers in the buffer": two["numbers"] + 1,
            "steps": two["steps"],
            "epochs": epochs,
            "samples": len(y),
        },
    )


def main(argv: list[str] | None = None) -> Result:
    return run_demo(run, __doc__, "distributed", argv)


if __name__ == "__main__":
    if os.environ.get(WORKER_ENV):  # a worker, started by run() through the launcher
        args = parse_args(__doc__, None, "distributed")
        worker(os.environ[WORKER_ENV], args.seed, args.quick)
    else:
        main()
