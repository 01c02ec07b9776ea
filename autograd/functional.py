"""Derivatives of plain functions: `grad`, `value_and_grad`, `jacobian`, `hessian`, `gradients`.

They take floats, numpy arrays or Tensors and return numpy arrays; given Values (for functions
written with Value ops) they return floats. They compose as HIPS autograd's and JAX's do: inside
another transform (or given a Tensor that is part of a graph) they record their work and return
Tensors (Values for Values), so `grad(grad(f))` is the second derivative, any mix of `argnums`
nests, and a function that closes over an outer variable is differentiated through it. Each
transform differentiates with respect to a fresh copy of its argument, so an inner derivative
never confuses its variable with an outer one that has the same value (perturbation confusion).
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import ops
from autograd.graph import Node, backward
from autograd.mode import enable_grad
from autograd.tensors import Tensor
from autograd.tensors import stack as _stack
from autograd.value import Value, _copy

_DEPTH = contextvars.ContextVar("autograd_transform_depth", default=0)
"""How many functional transforms are running their function in this thread (or task)."""


def gradients(
    output: Node, inputs: Sequence[Node], gradient: Any = None, create_graph: bool = False
) -> list[Any]:
    """The gradients of `output` with respect to each of `inputs`, leaving every `.grad` alone.

    Like `torch.autograd.grad`: `gradient` seeds a non-scalar output; None comes back for an
    input that `output` does not depend on; an input named twice gets its gradient twice (two
    separate arrays). With `create_graph` the results are Tensors (Values for a Value output,
    a leaf Value where the gradient is a constant) that can be differentiated again, and a
    `gradient` that is itself a Tensor or Value takes part.
    """
    if not isinstance(output, Node):
        raise TypeError(f"gradients: output must be a Tensor or Value, got {type(output).__name__}")
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Node):
            what = type(x).__name__
            raise TypeError(f"gradients: inputs[{i}] must be a Tensor or Value, got {what}")
    if isinstance(output, Tensor):
        seed = output._seed(gradient, create_graph, "gradients()")
    elif create_graph and isinstance(gradient, Value):
        seed = gradient
    else:
        seed = 1.0 if gradient is None else float(gradient)
    if not output.requires_grad:
        return [None] * len(inputs)
    found: list[Any] = backward(output, seed, create_graph=create_graph, inputs=inputs)  # type: ignore[assignment]
    if create_graph and isinstance(output, Value):
        found = [g if g is None or isinstance(g, Value) else Value(g) for g in found]
    return found


def _argnums(argnums: int | Sequence[int]) -> tuple[tuple[int, ...], bool]:
    if isinstance(argnums, int):
        return (argnums,), True
    nums = tuple(argnums)
    if not nums or not all(isinstance(i, int) for i in nums):
        raise TypeError(f"argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    return nums, False


def _watch(given: tuple[Any, ...], nums: tuple[int, ...]) -> tuple[list[Any], list[Any], bool]:
    """Replace the differentiated arguments by fresh Tensors that require grad (fresh Values
    for Values).

    Returns the new arguments, the watched variable of each entry of `nums` (the same one where
    a position repeats), and whether to record: inside another transform, or when an argument is
    a Tensor that is part of a graph, the derivative itself must be differentiable. (Every Value
    takes part in a graph, so for Values only an enclosing transform counts: `grad(f)(v)` gives
    a float.) Where it records, an argument is watched through a recorded copy: gradients flow
    back to it, but this transform's derivative counts only the paths through its own variable.
    """
    args = list(given)
    nested = _DEPTH.get() > 0 or any(isinstance(a, Tensor) and a.requires_grad for a in args)
    fresh: dict[int, Any] = {}
    for i in nums:
        if not -len(args) <= i < len(args):
            raise IndexError(f"argnums {i} is out of range for {len(args)} positional arguments")
        k = i % len(args)
        if k in fresh:
            continue
        a = args[k]
        if isinstance(a, Value):
            if nested:
                with enable_grad():
                    x = _copy(a)
            else:
                x = Value(a._data)
        elif isinstance(a, Tensor) and a.requires_grad:
            with enable_grad():
                x = ops.copy(a)
        elif isinstance(a, Tensor):
            x = a.detach().requires_grad_()
        else:
            x = Tensor(a, requires_grad=True)
        args[k] = fresh[k] = x
    return args, [fresh[i % len(args)] for i in nums], nested


def _call(f: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Run `f` one transform deeper, recording."""
    token = _DEPTH.set(_DEPTH.get() + 1)
    try:
        with enable_grad():
            return f(*args, **kwargs)
    finally:
        _DEPTH.reset(token)


def _zeros_for(x: Any, nested: bool) -> Any:
    """The derivative with respect to `x` where no path leads to it."""
    if isinstance(x, Value):
        return Value(0.0) if nested else 0.0
    z = np.zeros_like(x._data)
    return Tensor(z) if nested else z


def _scalar(y: Any, who: str) -> None:
    """Refuse an `f` whose result is not one number: a Value or a one-element Tensor."""
    if isinstance(y, Value) or (isinstance(y, Tensor) and y.size == 1):
        return
    what = f"a Tensor of shape {y.shape}" if isinstance(y, Tensor) else type(y).__name__
    raise TypeError(f"{who}: f must return a one-element Tensor (a scalar) or a Value, got {what}")


def value_and_grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """A function returning `(f(*args), gradient)` for an `f` that returns one number.

    The gradient has the shape of the argument (a tuple of them when `argnums` is a tuple); for
    a function of Values, value and gradient are floats.

    >>> value_and_grad(lambda x: (x ** 2).sum())(np.array([1.0, 2.0]))
    (array(5.), array([2., 4.]))
    >>> value_and_grad(lambda v: v.sin() * v)(Value(0.0))
    (0.0, 0.0)
    """
    nums, single = _argnums(argnums)

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        watched, xs, nested = _watch(args, nums)
        y = _call(f, watched, kwargs)
        _scalar(y, "grad")
        with enable_grad():
            found = gradients(y, xs, create_graph=nested)
        grads = [_zeros_for(x, nested) if g is None else g for x, g in zip(xs, found, strict=True)]
        if isinstance(y, Value):
            value = y if nested else y._data
        else:
            value = y.reshape(()) if nested else y._data.reshape(())
        return value, grads[0] if single else tuple(grads)

    return wrapper


def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """The gradient function of an `f` that returns one number; it composes: `grad(grad(f))`.

    >>> grad(lambda x: x ** 3)(2.0)
    array(12.)
    >>> grad(grad(lambda v: v ** 3))(Value(2.0))
    12.0
    """
    vg = value_and_grad(f, argnums)

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return vg(*args, **kwargs)[1]

    return wrapper


def jacobian(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """The Jacobian function of `f`: result shape is `f(x).shape + x.shape`.

    One reverse pass per output element (fine for the small functions this is for). A function
    of a Value has a one-number Jacobian, its derivative.
    """
    if not isinstance(argnums, int):
        raise TypeError("jacobian: argnums must be an int")

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        watched, (x,), nested = _watch(args, (argnums,))
        y = _call(f, watched, kwargs)
        if isinstance(y, Value):
            with enable_grad():
                (g,) = gradients(y, [x], create_graph=nested)
            return _zeros_for(x, nested) if g is None else g
        if not isinstance(y, Tensor):
            raise TypeError(f"jacobian: f must return a Tensor or a Value, got {type(y).__name__}")
        with enable_grad():
            rows = []
            for k in range(y.size):
                seed = np.zeros(y.size, dtype=y.dtype)
                seed[k] = 1.0
                (g,) = gradients(y, [x], seed.reshape(y.shape), create_graph=nested)
                rows.append(_zeros_for(x, nested) if g is None else g)
        shape = y.shape + x.shape
        if nested:
            return _stack(rows).reshape(shape) if rows else Tensor(np.zeros(shape))
        return np.stack(rows).reshape(shape) if rows else np.zeros(shape)

    return wrapper


def hessian(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """The Hessian function of a scalar `f`: the Jacobian of its gradient (for a function of
    one Value, its second derivative).

    >>> hessian(lambda v: v ** 3)(Value(2.0))
    12.0
    """
    return jacobian(grad(f, argnums), argnums)
