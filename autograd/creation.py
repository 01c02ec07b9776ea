"""Factories that make leaf Tensors, with numpy's names and arguments plus `requires_grad`."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any, SupportsIndex

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from autograd.tensors import Tensor

Seed = int | np.random.Generator | None
Dims = SupportsIndex | tuple[SupportsIndex, ...] | list[SupportsIndex]
"""What a factory's `*shape` holds: the sizes, or one tuple or list of them."""


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept `f(2, 3)` as well as numpy's `f((2, 3))`."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        return tuple(operator.index(n) for n in shape)  # ints only: 2.5 is no size (numpy's)
    except TypeError:
        raise TypeError(f"shape must be integers, got {shape!r}") from None


def _dtype(dtype: DTypeLike | None) -> np.dtype:
    dt = np.dtype(np.float64 if dtype is None else dtype)
    if dt.kind != "f":
        raise TypeError(f"Tensor dtype must be a floating type, got {dt}")
    return dt


def _leaf(arr: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor._leaf(arr, bool(requires_grad))


def tensor(
    data: ArrayLike, requires_grad: bool = False, dtype: DTypeLike | None = None, label: str = ""
) -> Tensor:
    """A Tensor from array-like data (copied); the same as `Tensor(...)`."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, label=label)


def zeros(*shape: Dims, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: `zeros(2, 3)` or `zeros((2, 3))`."""
    return _leaf(np.zeros(_shape(shape), dtype=_dtype(dtype)), requires_grad)


def ones(*shape: Dims, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones: `ones(2, 3)` or `ones((2, 3))`."""
    return _leaf(np.ones(_shape(shape), dtype=_dtype(dtype)), requires_grad)


def full(
    shape: int | np.integer[Any] | Sequence[SupportsIndex],
    fill_value: float,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of `shape` filled with `fill_value`."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return _leaf(np.full(shape, fill_value, dtype=_dtype(dtype)), requires_grad)


def zeros_like(t: ArrayLike, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """Zeros of the shape (and, unless given, the floating dtype) of `t`."""
    arr = t._data if isinstance(t, Tensor) else np.asarray(t)
    dt = dtype if dtype is not None else (arr.dtype if arr.dtype.kind == "f" else None)
    return _leaf(np.zeros(arr.shape, dtype=_dtype(dt)), requires_grad)


def ones_like(t: ArrayLike, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """Ones of the shape (and, unless given, the floating dtype) of `t`."""
    arr = t._data if isinstance(t, Tensor) else np.asarray(t)
    dt = dtype if dtype is not None else (arr.dtype if arr.dtype.kind == "f" else None)
    return _leaf(np.ones(arr.shape, dtype=_dtype(dt)), requires_grad)


def arange(
    start: float,
    stop: float | None = None,
    step: float = 1,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """Evenly spaced values in [start, stop), as numpy's arange (floating point)."""
    arr = np.arange(start, stop, step) if stop is not None else np.arange(start)
    return _leaf(arr.astype(_dtype(dtype)), requires_grad)


def eye(
    n: int, m: int | None = None, dtype: DTypeLike | None = None, requires_grad: bool = False
) -> Tensor:
    """The identity matrix (n x m)."""
    return _leaf(np.eye(n, m, dtype=_dtype(dtype)), requires_grad)


def randn(
    *shape: Dims, seed: Seed = None, dtype: DTypeLike | None = None, requires_grad: bool = False
) -> Tensor:
    """Standard normal samples; `seed` is an int or a `np.random.Generator` (reproducible)."""
    rng = np.random.default_rng(seed)
    return _leaf(rng.standard_normal(_shape(shape)).astype(_dtype(dtype)), requires_grad)


def rand(
    *shape: Dims, seed: Seed = None, dtype: DTypeLike | None = None, requires_grad: bool = False
) -> Tensor:
    """Uniform samples in [0, 1); `seed` is an int or a `np.random.Generator` (reproducible)."""
    rng = np.random.default_rng(seed)
    return _leaf(rng.random(_shape(shape)).astype(_dtype(dtype)), requires_grad)
