"""Data-parallel training in several processes: `torch.distributed`'s all-reduce over Gloo.

A mini-batch's gradient is the mean of its samples' gradients; data parallelism takes the same
mean across workers. Each of `WORLD_SIZE` processes holds a copy of the model and takes its part
of every mini-batch; after its backward pass the workers add up their gradients, each weighted
by its number of samples, in one all-reduce, so every worker holds the gradient of the whole
batch, takes the same optimiser step, and the copies stay equal to one process training on the
whole batches (to rounding). In a script:

    nn.fit(model, X, y, loss="cross_entropy", optimizer=opt, seed=0, distributed=True)

started on one machine by `python -m nn.distributed --nproc 2 train.py` (this module's
launcher) or `torchrun --nproc_per_node 2 train.py`; on several machines by setting
`MASTER_ADDR`, `MASTER_PORT`, `RANK` and `WORLD_SIZE` in each worker's environment. torch is
imported only inside the functions here (`import nn` never imports it); it comes with the
extra `distributed` (`pip install 'autograd-nn[distributed]'`).
"""

from __future__ import annotations

import argparse
import atexit
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import timedelta
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from nn.data import DataLoader, Seed
from nn.module import Module
from nn.serialization import checkpoint_path, save

DEFAULT_TIMEOUT = 60.0
"""Seconds a worker waits in a collective for the others before failing (Gloo's timeout)."""

INSTALL = "pip install 'autograd-nn[distributed]'"
LAUNCH = "`python -m nn.distributed --nproc 2 script.py` or `torchrun --nproc_per_node 2 script.py`"


class WorkerError(RuntimeError):
    """A collective failed: another worker crashed, was killed or did not answer in time."""


def _dist() -> Any:
    """`torch.distributed`, imported on first use, or an ImportError naming the extra."""
    try:
        import torch.distributed as dist
    except ImportError:
        raise ImportError(
            f"nn.distributed needs PyTorch (torch.distributed with Gloo): {INSTALL}"
        ) from None
    return dist


def _env_int(name: str) -> int:
    value = os.environ[name]
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"nn.distributed: {name} must be an integer, got {value!r}") from None


def _timeout(timeout: float | None) -> float:
    """`timeout`, else `NN_DISTRIBUTED_TIMEOUT` (the launcher's --timeout), else 60 seconds."""
    given = os.environ.get("NN_DISTRIBUTED_TIMEOUT") if timeout is None else timeout
    try:
        seconds = float(DEFAULT_TIMEOUT if given is None else given)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise ValueError(
            f"nn.distributed: the timeout must be a positive number of seconds, got {given!r}"
        )
    return seconds


def init(timeout: float | None = None) -> tuple[int, int]:
    """Join the workers' process group (Gloo, CPU) from the environment; returns (rank, size).

    Reads `MASTER_ADDR`, `MASTER_PORT`, `RANK` and `WORLD_SIZE`, as `torchrun` and this module's
    launcher set them. `timeout` (seconds; default `NN_DISTRIBUTED_TIMEOUT` or 60) bounds every
    wait for the other workers, so a worker that hangs makes the others fail instead of waiting
    forever (one that dies is noticed at once: its connections close). Joining twice is a no-op.
    """
    dist = _dist()
    if dist.is_initialized():
        return int(dist.get_rank()), int(dist.get_world_size())
    missing = [
        k for k in ("MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE") if k not in os.environ
    ]
    if missing:
        raise RuntimeError(
            f"nn.distributed: {', '.join(missing)} not set, so this process does not know its "
            f"workers: start the script with {LAUNCH}, or set MASTER_ADDR, MASTER_PORT, RANK "
            "and WORLD_SIZE in each worker's environment"
        )
    rank, size = _env_int("RANK"), _env_int("WORLD_SIZE")
    if not 0 <= rank < size:
        raise ValueError(f"nn.distributed: RANK={rank} is outside 0 to WORLD_SIZE - 1 = {size - 1}")
    seconds = _timeout(timeout)
    try:
        dist.init_process_group(
            "gloo",
            init_method="env://",
            rank=rank,
            world_size=size,
            timeout=timedelta(seconds=seconds),
        )
    except RuntimeError as e:
        raise WorkerError(
            f"nn.distributed: worker {rank} of {size} could not meet the others at "
            f"{os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']} within {seconds:g} s: "
            f"{_first_line(e)}"
        ) from e
    atexit.register(_leave)
    return rank, size


def _leave() -> None:
    """Leave the process group at exit (a process that just exits may abort in Gloo's threads)."""
    dist = _dist()
    if dist.is_initialized():
        with suppress(Exception):  # the others are gone already: no one to say goodbye to
            dist.destroy_process_group()


def _first_line(e: BaseException) -> str:
    lines = str(e).strip().splitlines()
    return lines[0] if lines else type(e).__name__


@contextmanager
def _collective(what: str, rank: int, size: int, timeout: float) -> Iterator[None]:
    """Turn Gloo's failure inside a collective into a `WorkerError` that says what happened."""
    try:
        yield
    except RuntimeError as e:  # torch's DistBackendError is one
        raise WorkerError(
            f"nn.distributed: {what} failed on worker {rank} of {size}: another worker stopped "
            f"(it crashed, was killed, or did not reach this step within the {timeout:g} s "
            f"timeout); its own output says why. Gloo: {_first_line(e)}"
        ) from e


Signature = list[tuple[str, tuple[int, ...], str, bool]]


def _signature(model: Module) -> Signature:
    return [(n, tuple(p.shape), str(p.dtype), p.requires_grad) for n, p in model.named_parameters()]


def _differences(mine: Signature, theirs: Signature, rank: int) -> list[str]:
    """How worker `rank`'s parameters (`theirs`) differ from worker 0's (`mine`), line by line."""
    a = {n: (s, d, g) for n, s, d, g in mine}
    b = {n: (s, d, g) for n, s, d, g in theirs}
    out = [f"worker {rank} lacks {n} {a[n][0]}" for n in a if n not in b]
    out += [f"worker {rank} has {n} {b[n][0]}, which worker 0 lacks" for n in b if n not in a]
    for n in a.keys() & b.keys():
        if a[n] != b[n]:
            (s0, d0, g0), (s1, d1, g1) = a[n], b[n]
            out.append(
                f"{n} is {s1} {d1}{'' if g1 else ' frozen'} on worker {rank} but {s0} {d0}"
                f"{'' if g0 else ' frozen'} on worker 0"
            )
    if not out and [n for n, *_ in mine] != [n for n, *_ in theirs]:
        out.append(f"worker {rank} lists the parameters in another order")
    return out


class DistributedDataParallel(Module):
    """A model trained on several workers, each on its part of every mini-batch.

    Made in every worker with the same architecture: it joins the process group (`init`),
    checks that every worker's parameters have the same names, shapes and dtypes (refusing at
    once, naming the differences), and copies rank 0's parameters to all. It calls the model
    (`ddp(x)` is `ddp.module(x)`) and its state dict keys start with `module.`, as PyTorch's.

    Our engine has no backward hooks, so the all-reduce is one explicit call per step, between
    backward and the optimiser's step: `average_gradients(n)`, `n` this worker's samples in the
    batch (`nn.fit(..., distributed=True)` does all of this). It copies every gradient, times
    `n`, into one flat numpy buffer made once, all-reduces it in place (`torch.from_numpy`
    shares its memory) with the sample count in its last slot, and writes the sum over the
    count back: the whole batch's mean gradient, whatever the parts' sizes.
    """

    def __init__(self, model: Module, timeout: float | None = None) -> None:
        if not isinstance(model, Module):
            raise TypeError(
                f"DistributedDataParallel needs an nn Module, got {type(model).__name__}"
            )
        self.module = model
        rank, size = init(timeout)
        self.rank, self.world_size = rank, size
        self.timeout = _timeout(timeout)
        self.sync_seconds = 0.0  # time spent in average_gradients, for measuring its cost
        self.steps = 0
        self._check_same_model()
        params = [p for p in model.parameters() if p.requires_grad]
        dtype = np.result_type(*[p.dtype for p in params]) if params else np.dtype(np.float64)
        self._params = params
        self._slices: list[tuple[int, int]] = []
        start = 0
        for p in params:
            self._slices.append((start, start + p.size))
            start += p.size
        # the bucket: every gradient, then this worker's sample count; made once, reused
        self._buffer = np.zeros(start + 1, dtype=dtype)
        self._bucket = _dist_tensor(self._buffer)
        self._broadcast_parameters()

    @property
    def is_main(self) -> bool:
        """Rank 0: the worker that shows progress and writes files."""
        return self.rank == 0

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def _run(self, what: str) -> AbstractContextManager[None]:
        return _collective(what, self.rank, self.world_size, self.timeout)

    def _check_same_model(self) -> None:
        dist = _dist()
        gathered: list[Any] = [None] * self.world_size
        with self._run("comparing the models"):
            dist.all_gather_object(gathered, _signature(self.module))
        problems = [
            line
            for r in range(1, self.world_size)
            for line in _differences(gathered[0], gathered[r], r)
        ]
        if problems:
            raise ValueError(
                "nn.distributed: the workers' models differ, so their gradients cannot be "
                "averaged:\n  " + "\n  ".join(problems)
            )

    def _broadcast_parameters(self) -> None:
        """Every parameter (frozen ones too) set to rank 0's, through one broadcast."""
        params = self.module.parameters()
        if not params:
            return
        dtype = np.result_type(*[p.dtype for p in params])
        flat = np.concatenate([p.data.reshape(-1).astype(dtype) for p in params])
        with self._run("copying rank 0's parameters"):
            _dist().broadcast(_dist_tensor(flat), src=0)
        start = 0
        for p in params:
            p.data = flat[start : start + p.size].reshape(p.shape).astype(p.dtype)
            start += p.size

    def broadcast_seed(self, seed: Seed) -> int:
        """Rank 0's seed for every worker: its int, or an int drawn from its generator or from
        fresh entropy (None), so that the workers shuffle alike."""
        if seed is None:
            seed = np.random.default_rng()
        if isinstance(seed, np.random.Generator):
            seed = int(seed.integers(2**62))
        box = [int(seed)]
        with self._run("sharing the seed"):
            _dist().broadcast_object_list(box, src=0)
        return int(box[0])

    def loader(
        self,
        X: ArrayLike,
        y: ArrayLike,
        batch_size: int = 32,
        shuffle: bool = True,
        seed: Seed = None,
        drop_last: bool = False,
    ) -> DataLoader:
        """This worker's `DataLoader`: rank 0's seed, and this rank's part of every batch.

        `batch_size` is the whole batch, over all workers (what one process would take), so
        a distributed run is the same optimisation as a single one. Refuses a batch size that
        leaves a worker with no sample in some batch (the last, say).
        """
        loader = DataLoader(
            X,
            y,
            batch_size,
            shuffle,
            self.broadcast_seed(seed),
            drop_last,
            rank=self.rank,
            world_size=self.world_size,
        )
        n, size = len(loader.y), self.world_size
        sizes = [batch_size] if n >= batch_size else []
        if n % batch_size and not drop_last:
            sizes.append(n % batch_size)
        smallest = min(sizes, default=size)
        if smallest < size:
            raise ValueError(
                f"nn.distributed: a batch of {smallest} samples cannot be shared by {size} "
                f"workers ({n} samples in batches of {batch_size}); every worker needs at "
                "least one sample of every batch: change batch_size, or pass drop_last=True"
            )
        return loader

    def average_gradients(self, count: int) -> None:
        """Replace every gradient by the whole batch's mean over all workers (one all-reduce).

        `count` is this worker's number of samples in the batch, whose mean loss gave its
        gradients. A parameter without a gradient adds zeros; afterwards every parameter that
        requires grad has the averaged gradient, a plain array of its dtype.
        """
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
            raise ValueError(
                f"average_gradients needs this worker's number of samples (an int >= 0), "
                f"got {count!r}"
            )
        start = time.perf_counter()
        buf = self._buffer
        for p, (lo, hi) in zip(self._params, self._slices, strict=True):
            g = p.grad
            if g is None:
                buf[lo:hi] = 0.0
            else:
                if g.__class__ is not np.ndarray:  # a Tensor, after backward(create_graph=True)
                    g = g.data
                np.multiply(g.reshape(-1), count, out=buf[lo:hi])
        buf[-1] = count
        with self._run("averaging the gradients"):
            _dist().all_reduce(self._bucket)
        total = buf[-1]
        if total == 0:
            raise ValueError("nn.distributed: average_gradients got 0 samples on every worker")
        for p, (lo, hi) in zip(self._params, self._slices, strict=True):
            p.grad = (buf[lo:hi] / total).reshape(p.shape).astype(p.dtype, copy=False)
        self.sync_seconds += time.perf_counter() - start
        self.steps += 1

    def barrier(self) -> None:
        """Wait until every worker gets here."""
        with self._run("waiting at a barrier"):
            _dist().barrier()

    def save(self, state_dict: dict[str, Any], path: str | os.PathLike[str]) -> str:
        """`nn.save` on rank 0 only (the others wait for it); returns the checkpoint's path."""
        if self.is_main:
            save(state_dict, path)
        self.barrier()
        return checkpoint_path(path)


def _dist_tensor(array: np.ndarray) -> Any:
    """A torch tensor sharing `array`'s memory, so a collective on it changes the array."""
    _dist()  # the ImportError that names the extra
    import torch

    return torch.from_numpy(array)


# --- the launcher ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(procs: Sequence[subprocess.Popen[bytes]], grace: float = 5.0) -> None:
    """SIGTERM to every worker still running, SIGKILL to those alive after `grace` seconds."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    deadline = time.monotonic() + grace
    for p in procs:
        try:
            p.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def launch(command: Sequence[str], nproc: int, timeout: float | None = None) -> int:
    """Run `python *command` in `nproc` workers on this machine; returns the exit code.

    Each worker gets `MASTER_ADDR=127.0.0.1`, a free `MASTER_PORT`, its `RANK` and
    `LOCAL_RANK`, and `WORLD_SIZE` (and `NN_DISTRIBUTED_TIMEOUT` if `timeout` is given;
    `OMP_NUM_THREADS=1` unless set, as torchrun, so the workers' BLAS threads do not
    oversubscribe the cores). When a worker exits with an error the others are stopped and
    its code is returned (128 + the signal for a worker killed by one); 0 once all succeed.
    """
    if isinstance(nproc, bool) or not isinstance(nproc, int) or nproc < 1:
        raise ValueError(f"nn.distributed: --nproc must be a positive integer, got {nproc!r}")
    if not command:
        raise ValueError("nn.distributed: give a script (or -m module) to run in each worker")
    port = _free_port()
    procs: list[subprocess.Popen[bytes]] = []
    previous = signal.signal(signal.SIGTERM, _raise_exit)
    try:
        for rank in range(nproc):
            env = dict(
                os.environ,
                MASTER_ADDR="127.0.0.1",
                MASTER_PORT=str(port),
                RANK=str(rank),
                LOCAL_RANK=str(rank),
                WORLD_SIZE=str(nproc),
                LOCAL_WORLD_SIZE=str(nproc),
            )
            if timeout is not None:
                env["NN_DISTRIBUTED_TIMEOUT"] = str(timeout)
            if nproc > 1:
                env.setdefault("OMP_NUM_THREADS", "1")
            procs.append(subprocess.Popen([sys.executable, *command], env=env))
        while True:
            for rank, p in enumerate(procs):
                code = p.poll()
                if code is not None and code != 0:
                    shown = f"signal {-code}" if code < 0 else f"code {code}"
                    print(
                        f"nn.distributed: worker {rank} exited with {shown}; stopping the others",
                        file=sys.stderr,
                        flush=True,
                    )
                    _stop(procs)
                    return 128 - code if code < 0 else code
            if all(p.returncode == 0 for p in procs):
                return 0
            time.sleep(0.05)
    finally:
        _stop(procs)
        signal.signal(signal.SIGTERM, previous)


def _raise_exit(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds into launch's `finally`, which stops the workers


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m nn.distributed [--nproc N] [--timeout S] script.py [args]` (or `-m module`)."""
    parser = argparse.ArgumentParser(
        prog="python -m nn.distributed",
        usage="python -m nn.distributed [--nproc N] [--timeout S] (script.py | -m module) [args]",
        description="Run a training script in N worker processes on this machine, for "
        "data-parallel training (nn.fit(..., distributed=True) in the script).",
    )
    parser.add_argument("--nproc", type=int, default=2, help="number of workers (default 2)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help=f"seconds a worker waits for the others before failing (default {DEFAULT_TIMEOUT:g})",
    )
    argv = list(sys.argv[1:] if argv is None else argv)
    at = 0  # the launcher's options come first, then the script (or -m module) and its own
    while at < len(argv):
        if argv[at] in ("--nproc", "--timeout"):
            at += 2
        elif argv[at] in ("-h", "--help") or argv[at].startswith(("--nproc=", "--timeout=")):
            at += 1
        else:
            break
    args = parser.parse_args(argv[:at])
    command = argv[at:]
    if not command or command == ["-m"]:
        parser.error("give a script to run (or -m module)")
    if command[0].startswith("-") and command[0] != "-m":
        parser.error(f"unknown option {command[0]} (options come before the script)")
    try:
        return launch(command, args.nproc, args.timeout)
    except ValueError as e:
        parser.error(str(e))
        return 2  # parser.error exits; this line is for the type checker


if __name__ == "__main__":
    sys.exit(main())
