"""Derivatives of plain functions: `grad`, `value_and_grad`, `jacobian`, `hessian`, `gradients`.

They take floats, numpy arrays or Tensors and return numpy arrays. Given a Tensor that is itself
part of a graph (as inside another `grad`), they record their work so that they compose:
`grad(grad(f))` is the second derivative.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd.graph import Node, backward
from autograd.mode import enable_grad
from autograd.tensor import Tensor
from autograd.tensor import stack as _stack


def gradients(
    output: Node, inputs: Sequence[Node], gradient: Any = None, create_graph: bool = False
) -> list[Any]:
    """The gradients of `output` with respect to each of `inputs`, leaving every `.grad` alone.

    Like `torch.autograd.grad`: `gradient` seeds a non-scalar output; None comes back for an
    input that `output` does not depend on. With `create_graph` the results are Tensors that can
    be differentiated again.
    """
    if not isinstance(output, Node):
        raise TypeError(f"gradients: output must be a Tensor or Value, got {type(output).__name__}")
    if isinstance(output, Tensor):
        seed = output._seed(gradient, create_graph, "gradients()")
    else:
        seed = 1.0 if gradient is None else float(gradient)
    if not output.requires_grad:
        return [None] * len(inputs)
    return backward(output, seed, create_graph=create_graph, inputs=list(inputs))  # type: ignore[return-value]


def _argnums(argnums: int | Sequence[int]) -> tuple[tuple[int, ...], bool]:
    if isinstance(argnums, int):
        return (argnums,), True
    nums = tuple(argnums)
    if not nums or not all(isinstance(i, int) for i in nums):
        raise TypeError(f"argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    return nums, False


def _watch(args: tuple, nums: tuple[int, ...]) -> tuple[list, list[Tensor], bool]:
    """Replace the differentiated arguments by Tensors that require grad.

    A Tensor that already requires grad is used as it is (we are inside an outer derivative,
    so the result must be recorded too: `nested` is True).
    """
    args = list(args)
    watched = []
    nested = False
    for i in nums:
        if not -len(args) <= i < len(args):
            raise IndexError(f"argnums {i} is out of range for {len(args)} positional arguments")
        a = args[i]
        if isinstance(a, Tensor) and a.requires_grad:
            nested = True
            x = a
        elif isinstance(a, Tensor):
            x = a.detach().requires_grad_()
        else:
            x = Tensor(a, requires_grad=True)
        args[i] = x
        watched.append(x)
    return args, watched, nested


def _zeros_for(x: Tensor, nested: bool) -> Any:
    z = np.zeros_like(x.data)
    return Tensor(z) if nested else z


def value_and_grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """A function returning `(f(*args), gradient)` for an `f` that returns one number.

    The gradient has the shape of the argument (a tuple of them when `argnums` is a tuple).

    >>> value_and_grad(lambda x: (x ** 2).sum())(np.array([1.0, 2.0]))
    (array(5.), array([2., 4.]))
    """
    nums, single = _argnums(argnums)

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        args, xs, nested = _watch(args, nums)
        with enable_grad():
            y = f(*args, **kwargs)
            if not isinstance(y, Tensor) or y.size != 1:
                what = f"a Tensor of shape {y.shape}" if isinstance(y, Tensor) else type(y).__name__
                raise TypeError(f"grad: f must return a one-element Tensor (a scalar), got {what}")
            found = gradients(y, xs, create_graph=nested)
        grads = [_zeros_for(x, nested) if g is None else g for x, g in zip(xs, found, strict=True)]
        value = y.reshape(()) if nested else y.data.reshape(())
        return value, grads[0] if single else tuple(grads)

    return wrapper


def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """The gradient function of an `f` that returns one number; it composes: `grad(grad(f))`.

    >>> grad(lambda x: x ** 3)(2.0)
    array(12.)
    """
    vg = value_and_grad(f, argnums)

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return vg(*args, **kwargs)[1]

    return wrapper


def jacobian(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """The Jacobian function of `f`: result shape is `f(x).shape + x.shape`.

    One reverse pass per output element (fine for the small functions this is for).
    """
    if not isinstance(argnums, int):
        raise TypeError("jacobian: argnums must be an int")

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        args, (x,), nested = _watch(args, (argnums,))
        with enable_grad():
            y = f(*args, **kwargs)
            if not isinstance(y, Tensor):
                raise TypeError(f"jacobian: f must return a Tensor, got {type(y).__name__}")
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
    """The Hessian function of a scalar `f`: the Jacobian of its gradient."""
    return jacobian(grad(f, argnums), argnums)
