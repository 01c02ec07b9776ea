"""numpy's functions on Tensors (NEP 18's `__array_function__`): record, or refuse by name.

The rule: a numpy function called with a Tensor that requires grad either records a
differentiable op (the functions in `IMPLEMENTED`, and the ufuncs of `Tensor.__array_ufunc__`)
or raises a TypeError naming the function, unless its result holds no floating-point number
(an index, a count, a boolean, a shape) or does not depend on the input's values
(`zeros_like`). It never returns a float array that silently drops a gradient. Tensors that
do not require grad may go through any numpy function, which then returns plain arrays.

The composite operations here (`var`, `norm`, `dot`, `tile`, ...) are written with the
primitives of `autograd.ops`, so their gradients, and gradients of gradients, come from those.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import ops
from autograd.graph import mark_dirty
from autograd.mode import concrete
from autograd.tensors import (
    IMPLEMENTED,
    Tensor,
    _check_inplace,
    _normalize_axis,
    _operand,
    concatenate,
    into_array,
    stack,
    where,
)

Axis = int | tuple[int, ...] | None


def _tensor(x: Any) -> Tensor:
    """A Tensor as it is; an array-like as a constant Tensor."""
    return x if isinstance(x, Tensor) else Tensor(x)


# --- statistics ---------------------------------------------------------------------------------


def var(x: Any, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> Tensor:
    """Variance over `axis` with numpy's `ddof` (0 by default; PyTorch's default is 1): the mean
    squared deviation, divided by n - ddof instead of n."""
    x = _tensor(x)
    return ops.var(x, axis=_normalize_axis(axis, x.ndim), ddof=ddof, keepdims=keepdims)


def std(x: Any, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> Tensor:
    """Standard deviation, sqrt(var); its gradient is 0 (not nan) where it is 0, as PyTorch."""
    return ops.sqrt_or_zero(var(x, axis=axis, ddof=ddof, keepdims=keepdims))


_VECTOR_ORDS = (None, 1, 2, np.inf, -np.inf)
_MATRIX_ORDS = (None, "fro", 1, -1, np.inf, -np.inf)


def norm(x: Any, ord: Any = None, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """numpy.linalg.norm: vector norms (ord None or 2, 1, inf, -inf) over one axis or all of a
    1-D tensor, matrix norms ("fro", 1, -1, inf, -inf) over two axes or a 2-D tensor, and the
    2-norm of everything with ord and axis both None. The 2-norm's gradient is 0 at 0."""
    x = _tensor(x)
    if axis is None and ord is None:
        return (
            ops.norm2(x, axis=None, keepdims=False)
            if not keepdims
            else ops.norm2(x, axis=tuple(range(x.ndim)), keepdims=True)
        )
    if axis is None:
        if x.ndim not in (1, 2):
            raise ValueError(
                f"norm: ord={ord!r} needs a 1-D or 2-D tensor or an axis; got shape {x.shape}"
            )
        axis = tuple(range(x.ndim))
    if not isinstance(axis, (int, np.integer, tuple, list)):
        raise TypeError(f"norm: axis must be an int or a tuple of ints, got {axis!r}")
    given = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple((_normalize_axis(a, x.ndim) or (0,))[0] for a in given)  # in order, checked
    if len(axes) == 1:
        if ord not in _VECTOR_ORDS:
            raise TypeError(
                f"numpy.linalg.norm: vector ord {ord!r} is not supported on Tensors that "
                "require grad; use one of None, 1, 2, inf, -inf"
            )
        if ord in (None, 2):
            return ops.norm2(x, axis=axes, keepdims=keepdims)
        if ord == 1:
            return ops.sum_(ops.absolute(x), axis=axes, keepdims=keepdims)
        return ops.norm_inf(x, axis=axes, keepdims=keepdims, lowest=ord != np.inf)
    if len(axes) != 2 or axes[0] == axes[1]:
        raise ValueError(f"norm: axis must be one axis or two different ones, got {axis!r}")
    if ord not in _MATRIX_ORDS:
        raise TypeError(
            f"numpy.linalg.norm: matrix ord {ord!r} is not supported on Tensors that require "
            "grad (the 2- and nuclear norms need singular values); use one of None, 'fro', 1, "
            "-1, inf, -inf"
        )
    if ord in (None, "fro"):
        return ops.norm2(x, axis=tuple(sorted(axes)), keepdims=keepdims)
    # 1 / -1: the largest / smallest column sum of |x|; inf / -inf: the same over rows
    rows, cols = axes
    summed, kept = (rows, cols) if ord in (1, -1) else (cols, rows)
    sums = ops.sum_(ops.absolute(x), axis=(summed,), keepdims=True)
    extremum = ops.max_ if ord in (1, np.inf) else ops.min_
    out = extremum(sums, axis=(kept,), keepdims=True)
    return (
        out if keepdims else out.reshape(tuple(n for i, n in enumerate(out.shape) if i not in axes))
    )


# --- products -----------------------------------------------------------------------------------


def dot(a: Any, b: Any) -> Tensor:
    """numpy's dot: a product for scalars, matmul up to 2-D, and for N-D the sum over the last
    axis of `a` and the second-to-last of `b`."""
    a, b = _operand(a), _operand(b)
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return _tensor(a) * b if isinstance(a, Tensor) else _tensor(b) * a
    if np.ndim(a) <= 2 and np.ndim(b) <= 2 or np.ndim(b) == 1:
        return (
            ops.matmul(a, b)
            if isinstance(a, Tensor) or isinstance(b, Tensor)
            else Tensor(np.dot(a, b))
        )
    a, b = _tensor(a), _tensor(b)
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(
            f"dot: shapes {a.shape} and {b.shape} not aligned: {a.shape[-1]} "
            f"(last axis of a) != {b.shape[-2]} (second-to-last of b)"
        )
    k = a.shape[-1]
    bt = b.transpose(tuple(range(b.ndim - 2)) + (b.ndim - 1, b.ndim - 2))  # (..., n, k)
    bt = bt.reshape((-1, k)).T  # (k, everything else of b)
    out = a.reshape((-1, k)) @ bt
    return out.reshape(a.shape[:-1] + b.shape[:-2] + b.shape[-1:])


def outer(a: Any, b: Any) -> Tensor:
    """numpy's outer: both flattened, every product a_i b_j as an (m, n) matrix."""
    a, b = _tensor(_operand(a)), _tensor(_operand(b))
    return a.reshape((-1, 1)) * b.reshape((1, -1))


# --- shape --------------------------------------------------------------------------------------


def squeeze(x: Any, axis: Axis = None) -> Tensor:
    """Drop axes of length one (all of them, or the ones named, which must have length one)."""
    x = _tensor(x)
    axes = _normalize_axis(axis, x.ndim)
    if axes is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} of shape {x.shape} has length {x.shape[a]}, not 1")
    return ops.reshape(x, shape=tuple(n for i, n in enumerate(x.shape) if i not in axes))


def expand_dims(x: Any, axis: int | tuple[int, ...]) -> Tensor:
    """A new axis of length one at each position in `axis` (of the result), as numpy."""
    x = _tensor(x)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    ndim = x.ndim + len(axes)
    new = _normalize_axis(axes, ndim) or ()
    shape = iter(x.shape)
    return ops.reshape(x, shape=tuple(1 if i in new else next(shape) for i in range(ndim)))


def repeat(x: Any, repeats: Any, axis: int | None = None) -> Tensor:
    """numpy's repeat: each element `repeats` times along `axis` (flattened first if None)."""
    x = _tensor(x)
    if axis is None:
        x, axis = x.reshape((-1,)), 0
    (axis,) = _normalize_axis(axis, x.ndim) or (0,)
    index = np.repeat(np.arange(x.shape[axis]), repeats)
    return ops.getitem(x, index=(slice(None),) * axis + (index,))


def tile(x: Any, reps: Any) -> Tensor:
    """numpy's tile: the whole tensor repeated `reps` times along each axis."""
    x = _tensor(x)
    reps = (int(reps),) if isinstance(reps, (int, np.integer)) else tuple(int(r) for r in reps)
    ndim = max(x.ndim, len(reps))
    shape = (1,) * (ndim - x.ndim) + x.shape
    reps = (1,) * (ndim - len(reps)) + reps
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: negative repetitions in {reps}")
    spread = sum(((1, n) for n in shape), ())  # each axis of length n behind a new axis of 1
    big = sum(((r, n) for r, n in zip(reps, shape, strict=True)), ())
    tiled = ops.broadcast_to(ops.reshape(x, shape=spread), shape=big)
    return ops.reshape(tiled, shape=tuple(r * n for r, n in zip(reps, shape, strict=True)))


def take_along_axis(x: Any, indices: Any, axis: int | None = -1) -> Tensor:
    """numpy's take_along_axis: pick, along `axis`, the elements that `indices` names (as
    produced by argsort or argmax with keepdims); repeated indices add up their gradients."""
    x = _tensor(x)
    if isinstance(indices, Tensor):
        concrete("take_along_axis with Tensor indices")
    idx = np.asarray(indices._data if isinstance(indices, Tensor) else indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"take_along_axis: indices must be integers, got dtype {idx.dtype}")
    if axis is None:
        x, axis = x.reshape((-1,)), 0
    if idx.ndim != x.ndim:
        raise ValueError(
            f"take_along_axis: indices of {idx.ndim} dimensions for a tensor of "
            f"{x.ndim}; they need the same number"
        )
    (axis,) = _normalize_axis(axis, x.ndim) or (0,)
    index = []
    for i in range(x.ndim):
        if i == axis:
            index.append(idx)
        else:
            shape = [1] * x.ndim
            shape[i] = x.shape[i]
            index.append(np.arange(x.shape[i]).reshape(shape))
    return ops.getitem(x, index=tuple(index))


def gather(x: Any, dim: int, index: Any) -> Tensor:
    """PyTorch's name for take_along_axis (`x.gather(dim, index)`)."""
    return take_along_axis(x, index, dim)


def sort(
    x: Any,
    axis: int | None = -1,
    kind: str | None = None,
    order: Any = None,
    *,
    stable: bool | None = None,
) -> Tensor:
    """Sorted along `axis` (a stable sort, whatever `kind`); each element's gradient follows it
    to its sorted place."""
    if order is not None:
        raise TypeError("numpy.sort(..., order=) sorts structured arrays; Tensors hold floats")
    x = _tensor(x)
    if axis is None:
        x, axis = x.reshape((-1,)), 0
    concrete("numpy.sort (the order depends on the numbers)")
    return take_along_axis(x, np.argsort(x._data, axis=axis, kind="stable"), axis)


def flip(x: Any, axis: Axis = None) -> Tensor:
    """The elements in reverse order along `axis` (all axes if None)."""
    x = _tensor(x)
    axes = _normalize_axis(axis, x.ndim)
    axes = tuple(range(x.ndim)) if axes is None else axes
    return x[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim))]


# --- the numpy functions that record -------------------------------------------------------------


def _no(name: str, **given: Any) -> None:
    """Refuse numpy arguments that a Tensor function does not support, by name."""
    for key, value in given.items():
        if key == "out" and value is not None:
            raise TypeError(
                f"numpy.{name}(..., out=) is not supported on Tensors: the result is a new "
                "Tensor (assign it with `t[...] = result` inside no_grad() to write in place)"
            )
        if key == "where" and value is not True:
            raise TypeError(
                f"numpy.{name}(..., where=) is not supported on Tensors; mask the "
                "input with autograd.where instead"
            )
        if key == "initial" and value is not np._NoValue:
            raise TypeError(f"numpy.{name}(..., initial=) is not supported on Tensors")
        if key == "casting" and value not in (None, "same_kind"):
            raise TypeError(f"numpy.{name}(..., casting={value!r}) is not supported on Tensors")
        if key in ("order", "mode", "kind", "subok") and value is not None:
            raise TypeError(f"numpy.{name}(..., {key}=) is not supported on Tensors")


def _reduction(method: str, has_dtype: bool = True) -> Callable[..., Any]:
    def f(a: Any, axis: Axis = None, *args: Any, **kwargs: Any) -> Any:
        names = ("dtype", "out", "keepdims") if has_dtype else ("out", "keepdims")
        kw = dict(zip(names, args, strict=False)) | kwargs
        _no(method, where=kw.pop("where", True), initial=kw.pop("initial", np._NoValue))
        return getattr(_tensor(a), method)(axis=axis, **kw)

    return f


def _stat(method: str) -> Callable[..., Any]:
    def f(
        a: Any,
        axis: Axis = None,
        dtype: Any = None,
        out: Any = None,
        ddof: float = 0,
        keepdims: bool = False,
        *,
        where: Any = True,
        mean: Any = None,
        correction: Any = None,
    ) -> Any:
        _no(method, where=where)
        if mean is not None:
            raise TypeError(f"numpy.{method}(..., mean=) is not supported on Tensors")
        if correction is not None:
            ddof = correction
        return getattr(_tensor(a), method)(
            axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims
        )

    return f


def _clip(
    a: Any,
    a_min: Any = np._NoValue,
    a_max: Any = np._NoValue,
    out: Any = None,
    *,
    min: Any = np._NoValue,
    max: Any = np._NoValue,
    **kwargs: Any,
) -> Tensor:
    _no("clip", out=out, **kwargs)
    lo = a_min if a_min is not np._NoValue else (None if min is np._NoValue else min)
    hi = a_max if a_max is not np._NoValue else (None if max is np._NoValue else max)
    if lo is None and hi is None:
        return _tensor(a).copy()  # numpy 2: no bounds, a copy
    return _tensor(a).clip(lo, hi)


def _where(condition: Any, x: Any = None, y: Any = None) -> Any:
    if x is None and y is None:
        return np.where(_raw(condition))
    return where(condition, x, y)


def _concatenate(
    arrays: Sequence[Any],
    axis: int | None = 0,
    out: Any = None,
    dtype: Any = None,
    casting: Any = None,
) -> Tensor:
    _no("concatenate", out=out, casting=casting)
    if axis is None:
        arrays = [_tensor(_operand(a)).reshape((-1,)) for a in arrays]
        axis = 0
    result = concatenate(arrays, axis=axis)
    return result if dtype is None else result.astype(dtype)


def _stack(
    arrays: Sequence[Any], axis: int = 0, out: Any = None, dtype: Any = None, casting: Any = None
) -> Tensor:
    _no("stack", out=out, casting=casting)
    result = stack(arrays, axis=axis)
    return result if dtype is None else result.astype(dtype)


def _like(fill: Callable[..., np.ndarray]) -> Callable[..., Any]:
    """zeros_like and friends: a new Tensor that requires no grad (it is a constant)."""

    def f(
        a: Any,
        dtype: Any = None,
        order: Any = "K",
        subok: bool = True,
        shape: Any = None,
        **kwargs: Any,
    ) -> Any:
        return _constant(fill(_raw(a), dtype=dtype, shape=shape, **kwargs))

    return f


def _full_like(
    a: Any,
    fill_value: Any,
    dtype: Any = None,
    order: Any = "K",
    subok: bool = True,
    shape: Any = None,
    **kwargs: Any,
) -> Any:
    """numpy's full_like; a fill value that requires grad is broadcast, recorded."""
    if isinstance(fill_value, Tensor) and fill_value.requires_grad:
        data = np.asarray(_raw(a))
        size = data.shape if shape is None else (shape,) if isinstance(shape, int) else shape
        kind = np.dtype(dtype) if dtype is not None else data.dtype
        fill = fill_value.astype(kind) if kind.kind == "f" else fill_value
        return ops.broadcast_to(fill, shape=tuple(size))
    return _constant(np.full_like(_raw(a), _raw(fill_value), dtype=dtype, shape=shape, **kwargs))


def _constant(arr: np.ndarray) -> Any:
    return Tensor._leaf(arr) if arr.dtype.kind == "f" else arr


def _transpose(a: Any, axes: Any = None) -> Tensor:
    return _tensor(a).transpose(axes)


def _reshape(
    a: Any, shape: Any = None, order: str = "C", *, newshape: Any = None, copy: Any = None
) -> Tensor:
    if order != "C":
        raise TypeError("numpy.reshape(..., order=) other than 'C' is not supported on Tensors")
    return _tensor(a).reshape(shape if shape is not None else newshape)


def _round(a: Any, decimals: int = 0, out: Any = None) -> Tensor:
    _no("round", out=out)
    return _tensor(a).round(decimals)


def _cumsum(a: Any, axis: int | None = None, dtype: Any = None, out: Any = None) -> Tensor:
    return _tensor(a).cumsum(axis=axis, dtype=dtype, out=out)


def _copy(a: Any, order: str = "K", subok: bool = False) -> Tensor:
    return _tensor(a).copy()


def _swapaxes(a: Any, axis1: int, axis2: int) -> Tensor:
    return _tensor(a).swapaxes(axis1, axis2)


def _moveaxis(a: Any, source: Any, destination: Any) -> Tensor:
    x = _tensor(a)
    src = [int(s) % x.ndim for s in np.atleast_1d(source)]
    dst = [int(d) % x.ndim for d in np.atleast_1d(destination)]
    order = [n for n in range(x.ndim) if n not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return x.transpose(tuple(order))


def _ravel(a: Any, order: str = "C") -> Tensor:
    return _tensor(a).reshape((-1,))


def _broadcast_to(array: Any, shape: Any, subok: bool = False) -> Tensor:
    x = _tensor(array)
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
    np.broadcast_shapes(x.shape, shape)  # numpy's error if it does not broadcast
    if len(shape) < x.ndim or np.broadcast_shapes(x.shape, shape) != shape:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}")
    return ops.broadcast_to(x, shape=shape)


def _atleast(ndim: int) -> Callable[..., Any]:
    numpys = {1: np.atleast_1d, 2: np.atleast_2d, 3: np.atleast_3d}[ndim]

    def one(a: Any) -> Any:
        if not isinstance(a, Tensor):
            return numpys(a)
        if a.ndim >= ndim:
            return a
        if ndim == 1:
            return a.reshape((1,))
        if ndim == 2:
            return a.reshape((1,) + a.shape if a.ndim == 1 else (1, 1))
        return a.reshape(
            (1, 1, 1) if a.ndim == 0 else (1,) + a.shape + (1,) if a.ndim == 1 else a.shape + (1,)
        )

    def f(*arys: Any) -> Any:
        out = [one(a) for a in arys]
        return out[0] if len(out) == 1 else out

    return f


def _hstack(tup: Sequence[Any], *, dtype: Any = None, casting: Any = None) -> Tensor:
    xs = [_atleast(1)(t) for t in tup]
    return _concatenate(xs, axis=0 if xs and xs[0].ndim == 1 else 1, dtype=dtype)


def _vstack(tup: Sequence[Any], *, dtype: Any = None, casting: Any = None) -> Tensor:
    return _concatenate([_atleast(2)(t) for t in tup], axis=0, dtype=dtype)


def _trace(
    a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None, out: Any = None
) -> Tensor:
    _no("trace", out=out)
    return _diagonal(a, offset, axis1, axis2).sum(axis=-1, dtype=dtype)


def _diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    x = _tensor(a)
    x = _moveaxis(x, (axis1, axis2), (-2, -1))
    rows, cols = x.shape[-2:]
    start_r, start_c = max(-offset, 0), max(offset, 0)
    n = max(0, min(rows - start_r, cols - start_c))
    r = np.arange(n) + start_r
    return x[(Ellipsis, r, r - start_r + start_c)]


def _linalg_norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    t = _tensor(x)
    if t.requires_grad:
        return norm(t, ord=ord, axis=axis, keepdims=keepdims)
    try:
        return norm(t, ord=ord, axis=axis, keepdims=keepdims)
    except TypeError:  # an order the engine lacks: numpy's answer, as for any function
        concrete(f"numpy.linalg.norm(ord={ord!r}), which autograd computes without gradient,")
        return np.linalg.norm(t._data, ord=ord, axis=axis, keepdims=keepdims)


IMPLEMENTED.update(
    {
        np.sum: _reduction("sum"),
        np.mean: _reduction("mean"),
        np.prod: _reduction("prod"),
        np.max: _reduction("max", has_dtype=False),
        np.min: _reduction("min", has_dtype=False),
        np.amax: _reduction("max", has_dtype=False),
        np.amin: _reduction("min", has_dtype=False),
        np.var: _stat("var"),
        np.std: _stat("std"),
        np.cumsum: _cumsum,
        np.clip: _clip,
        np.where: _where,
        np.concatenate: _concatenate,
        np.stack: _stack,
        np.hstack: _hstack,
        np.vstack: _vstack,
        np.dot: dot,
        np.outer: outer,
        np.transpose: _transpose,
        np.reshape: _reshape,
        np.ravel: _ravel,
        np.squeeze: squeeze,
        np.expand_dims: expand_dims,
        np.swapaxes: _swapaxes,
        np.moveaxis: _moveaxis,
        np.broadcast_to: _broadcast_to,
        np.atleast_1d: _atleast(1),
        np.atleast_2d: _atleast(2),
        np.atleast_3d: _atleast(3),
        np.repeat: repeat,
        np.tile: tile,
        np.take_along_axis: take_along_axis,
        np.sort: sort,
        np.flip: flip,
        np.trace: _trace,
        np.diagonal: _diagonal,
        np.round: _round,
        np.around: _round,
        np.copy: _copy,
        np.linalg.norm: _linalg_norm,
        np.zeros_like: _like(np.zeros_like),
        np.ones_like: _like(np.ones_like),
        np.empty_like: _like(np.zeros_like),  # contents unspecified: zeros are as good as any
        np.full_like: _full_like,
    }
)


# numpy functions that write into their first argument: changes in place of a Tensor
WRITES = {np.copyto, np.put, np.place, np.putmask, np.fill_diagonal, np.put_along_axis}


def _holds_float(x: Any) -> bool:
    """True if `x` holds a floating (or complex) number: what could carry a gradient."""
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "fcO"
    if isinstance(x, (float, complex, np.floating, np.complexfloating)):
        return True
    if isinstance(x, (tuple, list)):
        return any(_holds_float(i) for i in x)
    return False


def _requires_grad(x: Any) -> Tensor | None:
    """The first Tensor that requires grad in an argument (looking inside sequences, at any
    depth: np.block takes lists of lists)."""
    if isinstance(x, Tensor):
        return x if x.requires_grad else None
    if isinstance(x, (list, tuple)):
        for i in x:
            t = _requires_grad(i)
            if t is not None:
                return t
    elif isinstance(x, dict):
        return _requires_grad(list(x.values()))
    return None


def _raw(x: Any) -> Any:
    """An argument with every Tensor replaced by its array (inside sequences too)."""
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, (list, tuple)):
        return type(x)(_raw(i) for i in x)
    return x


# numpy functions whose result depends on shapes and dtypes only: fine inside autograd.jit
_SHAPE_ONLY = {np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj}


def fallback(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A numpy function without a Tensor implementation: run it on the arrays, unless its
    result would hold floats that should have carried a gradient (then TypeError).

    A function that writes (`out=`, or `np.copyto` and its kind into their first argument)
    follows the in-place rules for a Tensor destination, and may not write a Tensor that
    requires grad into a plain array."""
    name = f"{func.__module__}.{func.__name__}".replace("numpy._core", "numpy")
    if func not in _SHAPE_ONLY:
        concrete(f"{name} on a Tensor, which computes on the numbers outside the graph,")
    out = kwargs.get("out")
    written = func in WRITES and bool(args)
    dests = [d for d in (out if isinstance(out, tuple) else (out,)) if d is not None]
    dests += [args[0]] if written else []
    sources = _requires_grad(
        (args[1:] if written else args, {k: v for k, v in kwargs.items() if k != "out"})
    )
    for dest in dests:
        if isinstance(dest, Tensor):
            _check_inplace(dest, sources, f"{name}(...) into a Tensor")
        elif sources is not None:
            raise TypeError(into_array(name))
    result = func(*_raw(args), **{k: _raw(v) for k, v in kwargs.items()})
    tensors = [d for d in dests if isinstance(d, Tensor)]
    if tensors:
        mark_dirty(*tensors)
        return tensors[0] if result is not None else None
    # no Tensor destination: `sources` has seen every argument that can require grad
    if sources is not None and _holds_float(result):
        raise TypeError(
            f"{name} is not differentiable on Tensors: its result would carry no gradient. "
            f"Call it on `t.detach()` (or `t.data`) if no gradient is wanted, or define it as "
            f"an `autograd.primitive` with its VJP. numpy functions that record: "
            f"{', '.join(sorted(_public_name(f) for f in IMPLEMENTED))}, and the ufuncs."
        )
    return result


def _public_name(f: Any) -> str:
    return f"np.linalg.{f.__name__}" if f is np.linalg.norm else f"np.{f.__name__}"


__all__ = [
    "dot",
    "expand_dims",
    "flip",
    "gather",
    "norm",
    "outer",
    "repeat",
    "sort",
    "squeeze",
    "std",
    "take_along_axis",
    "tile",
    "var",
]
