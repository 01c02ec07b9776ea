"""Data-parallel training (nn.distributed): real worker processes on 127.0.0.1, each with its part
of every batch, end where one process training on the whole batches ends; a worker that dies or
hangs, or a model that differs, makes the others fail with an error that says so, in bounded
time. Every process a test starts is waited for or killed before the test ends."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import nn

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 60  # seconds any one process of these tests may take, however the workers behave

torch = pytest.importorskip("torch", reason="PyTorch, the oracle, is not installed")


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **extra)
    env.pop("NN_DISTRIBUTED_TIMEOUT", None)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kill(procs: list[subprocess.Popen]) -> None:
    """Kill each process still running, with anything it started, and reap it."""
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        p.communicate()


def _finish(procs: list[subprocess.Popen], limit: float = LIMIT) -> list[tuple[int, str, str]]:
    """Wait for every process (each in its own session); past `limit`, kill them all and fail."""
    deadline = time.monotonic() + limit
    out = []
    try:
        for p in procs:
            stdout, stderr = p.communicate(timeout=max(0.1, deadline - time.monotonic()))
            out.append((p.returncode, stdout, stderr))
    except subprocess.TimeoutExpired:
        pytest.fail(f"a worker still ran after {limit} s")
    finally:
        _kill(procs)
    return out


def _workers(script: Path, *args: str, n: int = 2) -> list[tuple[int, str, str]]:
    """Start `n` workers by hand (no launcher), as torchrun or a cluster would."""
    port = str(_free_port())
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), *args],
            env=_env(MASTER_ADDR="127.0.0.1", MASTER_PORT=port, RANK=str(r), WORLD_SIZE=str(n)),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        for r in range(n)
    ]
    return _finish(procs)


def _launcher(*argv: str) -> tuple[int, str, str, float]:
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nn.distributed", *argv],
        env=_env(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    [(code, out, err)] = _finish([proc])
    return code, out, err, time.monotonic() - start


def _script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "worker.py"
    path.write_text(textwrap.dedent(body))
    return path


# The lesson of the equality test: 60 spirals in batches of 31 (parts of 16 and 15, the last
# batch 29: 14 and 15, so the parts' sizes differ), a model seeded by rank (rank 0's weights
# must reach the others), SGD with momentum and Adam.
TRAIN = """
import os, sys
import numpy as np
import nn
from nn.distributed import DistributedDataParallel

rank = int(os.environ["RANK"])
out = sys.argv[1]
X, y = nn.datasets.make_spirals(60, n_classes=3, seed=1)
for name in ("sgd", "adam"):
    model = nn.MLP(2, [16, 16, 3], seed=100 + rank)
    ddp = DistributedDataParallel(model)
    if name == "sgd":
        opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    else:
        opt = nn.Adam(model.parameters(), lr=0.01)
    nn.fit(model, X, y, "cross_entropy", opt, epochs=6, batch_size=31, seed=7, distributed=ddp)
    ddp.save(model.state_dict(), f"{out}/{name}-saved-by-{rank}")
    np.savez(f"{out}/{name}-{rank}.npz", **model.state_dict())
    print(f"{name} steps {ddp.steps} all-reduce {1e6 * ddp.sync_seconds / ddp.steps:.0f} us")
try:
    ddp.loader(X[:33], y[:33], batch_size=32)
except ValueError as e:
    print(f"refused: {e}")  # one string: the workers share the pipe
"""


def _single(name: str) -> dict[str, np.ndarray]:
    X, y = nn.datasets.make_spirals(60, n_classes=3, seed=1)
    model = nn.MLP(2, [16, 16, 3], seed=100)
    if name == "sgd":
        opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    else:
        opt = nn.Adam(model.parameters(), lr=0.01)
    nn.fit(model, X, y, "cross_entropy", opt, epochs=6, batch_size=31, seed=7, progress=False)
    return model.state_dict()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The 2-worker run, through the launcher: its exit code, output and folder."""
    folder = tmp_path_factory.mktemp("ddp")
    script = _script(folder, TRAIN)
    code, out, err, _ = _launcher("--nproc", "2", str(script), str(folder))
    return code, out, err, folder


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_two_workers_on_half_batches_end_where_one_process_on_whole_batches_ends(name, trained):
    code, out, err, folder = trained
    assert code == 0, err
    single = _single(name)
    workers = [dict(np.load(folder / f"{name}-{rank}.npz")) for rank in (0, 1)]
    assert (
        set(workers[0])
        == set(single)
        == {f"layers.{i}.{k}" for i in range(3) for k in ("weight", "bias")}
    )
    moved = max(
        np.abs(single[k] - nn.MLP(2, [16, 16, 3], seed=100).state_dict()[k]).max() for k in single
    )
    assert moved > 0.05  # the weights did travel: equality below is not the start's
    for key, want in single.items():
        np.testing.assert_array_equal(workers[0][key], workers[1][key])  # the same steps
        np.testing.assert_allclose(workers[0][key], want, rtol=0, atol=1e-12)
    assert f"{name} steps 12 all-reduce" in out  # 2 batches an epoch, 6 epochs, one call each


def test_only_rank_0_writes_the_checkpoint(trained):
    code, _, err, folder = trained
    assert code == 0, err
    assert (folder / "sgd-saved-by-0.npz").exists()
    assert not (folder / "sgd-saved-by-1.npz").exists()
    saved = nn.load(folder / "sgd-saved-by-0.npz")
    np.testing.assert_array_equal(
        saved["layers.2.bias"], np.load(folder / "sgd-0.npz")["layers.2.bias"]
    )


def test_a_batch_smaller_than_the_workers_is_refused_by_name(trained):
    _, out, _, _ = trained
    assert (
        "refused: nn.distributed: a batch of 1 samples cannot be shared by 2 workers "
        "(33 samples in batches of 32)"
    ) in out


def test_a_worker_that_dies_makes_the_other_fail_with_a_clear_error(tmp_path):
    script = _script(
        tmp_path,
        """
        import os
        import nn
        from nn.distributed import DistributedDataParallel

        rank = int(os.environ["RANK"])
        X, y = nn.datasets.make_moons(64, seed=0)
        model = nn.MLP(2, [8, 1], seed=0)
        ddp = DistributedDataParallel(model, timeout=20)
        opt = nn.SGD(model.parameters(), lr=0.1)
        for step, (xb, yb) in enumerate(ddp.loader(X, y, batch_size=16, seed=0)):
            if rank == 1 and step == 2:
                os._exit(3)  # killed mid-epoch, with no goodbye
            loss = nn.binary_cross_entropy_with_logits(model(xb), yb.reshape(-1, 1))
            opt.zero_grad()
            loss.backward()
            ddp.average_gradients(len(yb))
            opt.step()
        print("finished")
        """,
    )
    start = time.monotonic()
    (code0, out0, err0), (code1, _, _) = _workers(script)
    assert code1 == 3
    assert code0 != 0 and "finished" not in out0
    assert (
        "WorkerError: nn.distributed: averaging the gradients failed on worker 0 of 2: another "
        "worker stopped (it crashed, was killed, or did not reach this step within the 20 s "
        "timeout)"
    ) in err0
    assert time.monotonic() - start < 20  # noticed when the connection closed, not at timeout


def test_a_worker_that_hangs_makes_the_other_fail_at_the_timeout(tmp_path):
    script = _script(
        tmp_path,
        """
        import os, time
        import nn
        from nn.distributed import DistributedDataParallel

        rank = int(os.environ["RANK"])
        model = nn.MLP(2, [4, 1], seed=0)
        ddp = DistributedDataParallel(model, timeout=2)
        if rank == 1:
            time.sleep(30)  # alive, holding its connections, never reaching the all-reduce
        model(nn.datasets.make_moons(8, seed=0)[0]).sum().backward()
        start = time.monotonic()
        try:
            ddp.average_gradients(8)
        finally:
            print(f"waited {time.monotonic() - start:.1f} s", flush=True)
        """,
    )
    port = str(_free_port())
    procs = [
        subprocess.Popen(
            [sys.executable, str(script)],
            env=_env(MASTER_ADDR="127.0.0.1", MASTER_PORT=port, RANK=str(r), WORLD_SIZE="2"),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        for r in range(2)
    ]
    try:
        [(code0, out0, err0)] = _finish(procs[:1], limit=25)
    finally:
        _kill(procs[1:])  # the sleeper
    assert code0 != 0
    assert "within the 2 s timeout" in err0 and "WorkerError" in err0
    waited = float(out0.split("waited ")[1].split(" s")[0])
    assert 1.5 < waited < 10


def test_models_that_differ_between_workers_are_refused_at_start(tmp_path):
    script = _script(
        tmp_path,
        """
        import os
        import numpy as np
        import nn
        from nn.distributed import DistributedDataParallel

        rank = int(os.environ["RANK"])
        model = nn.MLP(2, [16 if rank == 0 else 8, 3], seed=0)
        DistributedDataParallel(model, timeout=20)
        print("started")
        """,
    )
    results = _workers(script)
    for code, out, err in results:
        assert code != 0 and "started" not in out
        assert "ValueError: nn.distributed: the workers' models differ" in err
        assert (
            "layers.0.weight is (8, 2) float64 on worker 1 but (16, 2) float64 on worker 0" in err
        )
        assert (
            "layers.1.weight is (3, 8) float64 on worker 1 but (3, 16) float64 on worker 0" in err
        )


def test_the_launcher_stops_the_others_and_passes_on_the_first_failure(tmp_path):
    script = _script(
        tmp_path,
        """
        import os, sys, time
        if os.environ["RANK"] == "1":
            sys.exit(5)
        time.sleep(40)
        print("rank 0 was not stopped")
        """,
    )
    code, out, err, seconds = _launcher("--nproc", "2", str(script))
    assert code == 5
    assert "nn.distributed: worker 1 exited with code 5; stopping the others" in err
    assert "not stopped" not in out
    assert seconds < 20


def test_the_launcher_sets_each_workers_environment(tmp_path):
    script = _script(
        tmp_path,
        """
        import os
        keys = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "NN_DISTRIBUTED_TIMEOUT")
        line = " ".join(f"{k}={os.environ[k]}" for k in keys)
        # one write of the whole line: the workers share the pipe, and print() writes its
        # parts one by one (three workers' parts interleaved in a clean-clone run)
        os.write(1, f"{line} {int(os.environ['MASTER_PORT']) > 0}\\n".encode())
        """,
    )
    code, out, err, _ = _launcher("--nproc", "3", "--timeout", "7", str(script))
    assert code == 0, err
    env = "WORLD_SIZE=3 MASTER_ADDR=127.0.0.1 NN_DISTRIBUTED_TIMEOUT=7.0 True"
    assert sorted(out.splitlines()) == [f"RANK={r} LOCAL_RANK={r} {env}" for r in range(3)]


def test_the_launcher_refuses_a_missing_script():
    code, _, err, _ = _launcher("--nproc", "2")
    assert code == 2 and "give a script to run (or -m module)" in err


@pytest.mark.slow
def test_torchrun_starts_the_same_training(tmp_path):
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        pytest.skip("torchrun is not installed beside this Python")
    script = _script(tmp_path, TRAIN)
    proc = subprocess.Popen(
        [
            str(torchrun),
            "--nproc_per_node",
            "2",
            "--master_port",
            str(_free_port()),
            str(script),
            str(tmp_path),
        ],
        env=_env(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    [(code, _, err)] = _finish([proc])
    assert code == 0, err
    single = _single("adam")
    worker = np.load(tmp_path / "adam-1.npz")
    for key, want in single.items():
        np.testing.assert_allclose(worker[key], want, rtol=0, atol=1e-12)


def test_the_readme_training_script_runs_under_the_launcher_as_written(tmp_path):
    """The README's train.py and command, at 15 epochs instead of 100 (a few seconds)."""
    readme = (ROOT / "README.md").read_text()
    [script] = re.findall(r"```\n# train\.py\n(.*?)```", readme, flags=re.S)
    [command] = re.findall(r"^python -m nn\.distributed --nproc 2 train\.py", readme, flags=re.M)
    assert script.count("epochs=100") == 1
    script = script.replace("epochs=100", "epochs=15")
    # each worker writes its accuracy to its own file (two processes' prints can interleave)
    script += (
        "import os\n"
        "accuracy = nn.evaluate(model, X, y, 'cross_entropy')[1]\n"
        "open(f\"accuracy-{os.environ['RANK']}.txt\", 'w').write(repr(accuracy))\n"
    )
    (tmp_path / "train.py").write_text(script)
    proc = subprocess.Popen(
        [sys.executable, *command.split()[1:]],
        env=_env(),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    [(code, out, err)] = _finish([proc])
    assert code == 0, err
    accuracies = [float((tmp_path / f"accuracy-{rank}.txt").read_text()) for rank in (0, 1)]
    assert accuracies[0] == accuracies[1] > 0.6


def test_without_a_launcher_the_error_says_how_to_start_workers(monkeypatch):
    for key in ("MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE"):
        monkeypatch.delenv(key, raising=False)
    from nn.distributed import DistributedDataParallel

    with pytest.raises(
        RuntimeError,
        match=r"MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE not set.*"
        r"python -m nn\.distributed --nproc 2 script\.py",
    ):
        DistributedDataParallel(nn.MLP(2, [3]))
    with pytest.raises(TypeError, match="fit: distributed must be True, False or a Distributed"):
        model = nn.MLP(2, [1])
        nn.fit(
            model,
            np.zeros((4, 2)),
            np.zeros(4),
            "mse",
            nn.SGD(model.parameters(), lr=0.1),
            epochs=1,
            distributed="yes",
        )


def test_data_loader_parts_cover_each_batch_once_in_order():
    X = np.arange(23.0).reshape(-1, 1)
    y = np.arange(23)
    whole = [yb for _, yb in nn.DataLoader(X, y, batch_size=8, seed=3)]
    parts = [
        list(nn.DataLoader(X, y, batch_size=8, seed=3, rank=r, world_size=3)) for r in range(3)
    ]
    assert [len(yb) for _, yb in parts[0]] == [2, 2, 2]  # 8 -> 2, 3, 3; 7 -> 2, 2, 3
    assert [len(yb) for _, yb in parts[2]] == [3, 3, 3]
    for b, batch in enumerate(whole):
        joined = np.concatenate([parts[r][b][1] for r in range(3)])
        np.testing.assert_array_equal(joined, batch)
    with pytest.raises(
        ValueError, match="rank must lie in 0 to world_size - 1, got rank 2 of world_size 2"
    ):
        nn.DataLoader(X, y, rank=2, world_size=2)
    with pytest.raises(TypeError, match="world_size must be an int, got 2.0"):
        nn.DataLoader(X, y, rank=0, world_size=2.0)


def test_the_demo_trains_two_workers_to_the_single_process_weights(tmp_path, capsys):
    from demos import distributed as demo

    figures = demo.main(["--quick", "--out", str(tmp_path)]).metrics
    assert figures["largest weight difference, 2 workers against 1 process"] < 1e-12
    assert figures["training accuracy, 2 workers"] == figures["training accuracy, 1 process"]
    assert float(figures["training accuracy, 2 workers"].rstrip("%")) > 70.0
    assert (figures["steps"], figures["epochs"], figures["numbers in the buffer"]) == (
        200,
        40,
        2 * 64 + 64 + 64 * 64 + 64 + 64 * 3 + 3 + 1,
    )
    printed = capsys.readouterr().out
    assert re.search(r"^time per epoch, 2 workers: [\d.]+ ms$", printed, flags=re.M)
    assert re.search(r"^all-reduce per step, alone: \d+ us$", printed, flags=re.M)


def test_without_torch_the_demo_says_which_extra_to_install(tmp_path):
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from demos import distributed\n"
        f"distributed.main(['--quick', '--out', {str(tmp_path)!r}])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
        timeout=LIMIT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "skipped: needs PyTorch: pip install 'autograd-nn[distributed]'" in proc.stdout


def test_importing_nn_imports_neither_torch_nor_onnx():
    code = (
        "import sys, nn, nn.distributed, nn.interop\n"
        "assert 'torch' not in sys.modules, 'torch'\n"
        "assert 'onnx' not in sys.modules and 'onnxruntime' not in sys.modules, 'onnx'\n"
        "assert callable(nn.to_torch) and callable(nn.export_onnx)\n"
        "assert 'torch' not in sys.modules, 'torch after attribute access'\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
        timeout=LIMIT,
    )
    assert proc.returncode == 0, proc.stderr
