"""The package among others: HIPS autograd shares the import name `autograd`, and a clash is
reported where it shows, with what to do, instead of a confusing AttributeError later."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str, path: list[Path], cwd: Path) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": ":".join(str(p) for p in path), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=cwd, timeout=60
    )


def test_nn_refuses_an_autograd_that_is_not_ours(tmp_path):
    other = tmp_path / "other" / "autograd"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text('"""a stand-in for HIPS autograd"""\n')
    proc = _python("import nn", [other.parent, ROOT], tmp_path)
    assert proc.returncode == 1
    assert "ImportError: nn needs autograd-nn's engine" in proc.stderr
    assert str(other / "__init__.py") in proc.stderr and "HIPS autograd" in proc.stderr


def test_hips_only_names_fail_with_the_reason():
    with pytest.raises(ImportError, match=r"elementwise_grad is HIPS autograd's.*own virtual"):
        from autograd import elementwise_grad  # noqa: F401
    import autograd

    with pytest.raises(AttributeError, match="no attribute 'no_such_thing'"):
        autograd.no_such_thing  # noqa: B018


def test_hips_files_mixed_into_ours_are_reported_at_import(tmp_path):
    copy = tmp_path / "site"
    shutil.copytree(ROOT / "autograd", copy / "autograd")
    clean = _python("import autograd", [copy], tmp_path)
    assert clean.returncode == 0 and clean.stderr == ""
    (copy / "autograd" / "tracer.py").write_text("# HIPS autograd's tracer\n")
    mixed = _python("import autograd", [copy], tmp_path)
    assert mixed.returncode == 0
    assert "UserWarning: HIPS autograd's files are mixed into autograd-nn's" in mixed.stderr


def test_the_tensor_factory_and_the_tensor_module_have_different_names():
    import importlib

    import autograd

    module = importlib.import_module("autograd.tensors")
    assert module.Tensor is autograd.Tensor
    assert autograd.tensor([1.0, 2.0]).shape == (2,)  # the factory, as torch.tensor
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("autograd.tensor")


@pytest.mark.slow
def test_without_pytorch_the_oracle_modules_skip_instead_of_erroring_at_collection():
    """Where PyTorch is absent (and not required, as CI requires it), the suite still collects:
    the modules that need the oracle at import skip by importorskip."""
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import pytest\n"
        "sys.exit(pytest.main(['--collect-only', '-q', '-p', 'no:cacheprovider', 'tests']))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "PyTorch, the oracle, is not installed" in proc.stdout
    assert "ERROR" not in proc.stdout
