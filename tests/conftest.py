"""Shared test helpers: PyTorch as the reference oracle, compared in float64."""

from __future__ import annotations

import os

import numpy as np
import pytest

from autograd import Tensor

try:
    import torch
except ImportError:  # pragma: no cover - exercised only where torch is truly absent
    if os.environ.get("AUTOGRAD_REQUIRE_TORCH"):
        raise RuntimeError(
            "PyTorch, the reference oracle, is not installed; `make test` installs it"
        ) from None
    torch = None

# Oracle tolerances: float64 on both sides, so agreement is to rounding error.
RTOL = 1e-9
ATOL = 1e-12


def pytest_collection_modifyitems(config, items):
    if torch is None:
        skip = pytest.mark.skip(reason="PyTorch (the oracle) is not installed")
        for item in items:
            if "oracle" in item.keywords:
                item.add_marker(skip)


def pytest_configure(config):
    config.addinivalue_line("markers", "oracle: compares with PyTorch")


def assert_close(actual, expected, rtol=RTOL, atol=ATOL):
    """Numbers from our engine (arrays, Tensors, floats) against numbers from torch."""
    if torch is not None and isinstance(expected, torch.Tensor):
        expected = expected.detach().numpy(force=True)
    if isinstance(actual, Tensor):
        actual = actual.data  # np.asarray refuses a Tensor that requires grad, as PyTorch
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)


def to_torch(x, requires_grad=True):
    return torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=requires_grad)
