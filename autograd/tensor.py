"""`Tensor`: a numpy array that records the operations applied to it, on the shared graph core."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from numbers import Number
from typing import Any

import numpy as np

from autograd import ops
from autograd.graph import Node, backward
from autograd.ops import Axis


def _check_dtype(arr: np.ndarray, given: Any) -> np.ndarray:
    """Floating arrays keep their dtype; bools and integers become float64; the rest is refused."""
    kind = arr.dtype.kind
    if kind == "f":
        return arr
    if kind in "biu":
        return arr.astype(np.float64)
    what = "complex numbers" if kind == "c" else f"dtype {arr.dtype}"
    raise TypeError(f"Tensor data must be real numbers; got {type(given).__name__} holding {what}")


def _normalize_axis(axis: Axis, ndim: int) -> tuple[int, ...] | None:
    """numpy's axis argument as a sorted tuple of non-negative ints (None for all axes)."""
    if axis is None:
        return None
    if isinstance(axis, (int, np.integer)):
        axes: tuple = (axis,)
    elif isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    else:
        raise TypeError(f"axis must be an int or a tuple of ints, got {axis!r}")
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"axis must be an int or a tuple of ints, got {axis!r}")
        if not -ndim <= a < max(ndim, 1):
            raise np.exceptions.AxisError(int(a), ndim)
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis!r}")
    return tuple(sorted(out))


def _index(index: Any) -> Any:
    """An index with Tensors replaced by their arrays (they select; they are not differentiated)."""
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


class Tensor(Node):
    """An n-dimensional array with reverse-mode automatic differentiation.

    Parameters
    ----------
    data : array_like
        Anything `np.asarray` takes; it is copied. Floating arrays keep their dtype; ints and
        bools become float64.
    requires_grad : bool
        Record operations on this tensor so that `backward()` fills its `.grad`.
    dtype : floating dtype, optional
        Cast the data to this dtype.
    label : str
        A name shown in graph drawings.

    Examples
    --------
    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    array([2., 4., 6.])
    """

    __slots__ = ("requires_grad", "_keep")
    __array_priority__ = 1000

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, label: str = ""
    ) -> None:
        if isinstance(data, Node) and not isinstance(data, Tensor):
            raise TypeError(f"Tensor data must be array-like, got {type(data).__name__}")
        try:
            arr = np.array(data, dtype=dtype)
        except (TypeError, ValueError) as e:
            raise TypeError(
                f"Tensor data must be real numbers; got {type(data).__name__}: {e}"
            ) from None
        if dtype is not None and arr.dtype.kind != "f":
            raise TypeError(f"Tensor dtype must be a floating type, got {arr.dtype}")
        self.data = _check_dtype(arr, data)
        self.grad = None
        self.label = label
        self.requires_grad = bool(requires_grad)
        self._keep = False
        self._inputs = ()
        self._args = ()
        self._kwargs = None
        self._prim = None
        self._g = None
        self._n = 0

    @classmethod
    def _from_op(
        cls, out: Any, inputs: tuple, args: tuple, prim: Any, kwargs: dict | None
    ) -> Tensor:
        if out.__class__ is not np.ndarray:
            out = np.asarray(out)
        if out.dtype.kind != "f":
            name = prim.name if prim is not None else "operation"
            raise TypeError(f"{name} produced dtype {out.dtype}; Tensors hold floating point data")
        t = cls.__new__(cls)
        t.data = out
        t.grad = None
        t.label = ""
        t.requires_grad = prim is not None
        t._keep = False
        t._inputs = inputs
        t._args = args
        t._kwargs = kwargs
        t._prim = prim
        t._g = None
        t._n = 0
        return t

    def _fit(self, g: Any, prim: Any) -> Any:
        """Sum a broadcast gradient back to this tensor's shape; cast it to its dtype."""
        data = self.data
        if g.__class__ is np.ndarray and g.dtype is data.dtype and g.shape == data.shape:
            return g  # the usual case, checked first: this runs once per edge of every backward
        shape = data.shape
        if g.__class__ is not np.ndarray and not isinstance(g, Tensor):
            g = np.asarray(g)
        if g.shape != shape:
            try:
                g = ops.sum_to(g, shape=shape)
            except ValueError:
                raise ValueError(
                    f"{prim.name}: VJP rule returned a gradient of shape {g.shape} "
                    f"for an input of shape {shape}"
                ) from None
        dtype = self.data.dtype
        if g.dtype is not dtype and g.dtype != dtype:  # identity first: `!=` costs far more
            g = ops.astype(g, dtype=dtype)
        return g

    def _store_grad(self, g: Any) -> None:
        if self.grad is not None:
            self.grad = self.grad + g
        elif (
            g.__class__ is np.ndarray
            and g.base is None
            and g.dtype is self.data.dtype
            and sys.getrefcount(g) <= _PRIVATE_REFS
        ):
            self.grad = g  # nobody else holds this array: keep it instead of copying it
        elif isinstance(g, Tensor):
            self.grad = g
        else:  # it may be shared (one gradient sent to two inputs) or a view: copy
            self.grad = np.array(g, dtype=self.data.dtype)

    # --- gradients ---------------------------------------------------------------------------

    def backward(
        self, gradient: Any = None, retain_graph: bool = True, create_graph: bool = False
    ) -> None:
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf that requires grad.

        On a one-element tensor the seed is 1; otherwise pass `gradient`, of this tensor's shape
        (the vector of the vector-Jacobian product). The graph is kept, so backward may run again
        and gradients add up; `retain_graph=False` frees it instead. With `create_graph=True`
        each `.grad` is a Tensor with a graph of its own, to differentiate again.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: create the inputs with "
                "requires_grad=True (and not inside no_grad())"
            )
        seed = self._seed(gradient, create_graph, "backward()")
        backward(self, seed, retain_graph=retain_graph, create_graph=create_graph)

    @property
    def has_grad(self) -> bool:
        """True when `.grad` holds a gradient (a backward reached this tensor and kept it)."""
        return self.grad is not None

    def _seed(self, gradient: Any, create_graph: bool, who: str) -> Any:
        """The gradient that starts a backward pass from this tensor, checked against its shape.

        None means 1 and needs a one-element tensor; a Tensor seed when building a graph.
        """
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"{who} without a gradient needs a one-element tensor; this one has "
                    f"shape {self.shape}: pass gradient= of that shape"
                )
            seed: Any = np.empty(self.data.shape, dtype=self.data.dtype)
            seed.fill(1)  # np.ones costs four times as much at this size
        else:
            seed = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient)
            if seed.shape != self.shape:
                raise ValueError(
                    f"{who}: gradient has shape {seed.shape} but the tensor has shape {self.shape}"
                )
            seed = seed.astype(self.dtype, copy=False)
        return Tensor(seed) if create_graph else seed

    def retain_grad(self) -> None:
        """Keep this (intermediate) tensor's gradient in `.grad` after backward."""
        self._keep = True

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (`.grad` becomes None, as PyTorch's set_to_none)."""
        self.grad = None

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory, requires no grad)."""
        return Tensor._from_op(self.data, (), (), None, None)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set `requires_grad` of a leaf in place; returns self."""
        if not self.is_leaf:
            raise RuntimeError(
                "requires_grad_() works on leaf tensors only; use detach() to cut an "
                "intermediate result from its graph"
            )
        self.requires_grad = bool(requires_grad)
        return self

    # --- numpy-like attributes ---------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def T(self) -> Tensor:
        """The tensor with its axes reversed (numpy's `.T`)."""
        return ops.transpose(self, axes=None)

    def item(self) -> float:
        """The single element as a Python float."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {self.shape}")
        return float(self.data.reshape(()))

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extra = ""
        if self.data.dtype != np.float64:
            extra += f", dtype={self.data.dtype}"
        if self._prim is not None:
            extra += f", op={self._prim.name!r}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        if self.label:
            extra += f", label={self.label!r}"
        return f"Tensor({body}{extra})"

    __hash__ = Node.__hash__  # identity: the graph keeps tensors in sets and dicts

    # --- operators (a Python number, an array or a Tensor on either side) ----------------------

    def __add__(self, other: Any) -> Tensor:
        if other.__class__ is not Tensor and other.__class__ is not float:
            other = _operand(other)
        return ops.add.call2(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.add.call2(_operand(other), self)

    def __sub__(self, other: Any) -> Tensor:
        if other.__class__ is not Tensor and other.__class__ is not float:
            other = _operand(other)
        return ops.subtract.call2(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.subtract.call2(_operand(other), self)

    def __mul__(self, other: Any) -> Tensor:
        if other.__class__ is not Tensor and other.__class__ is not float:
            other = _operand(other)
        return ops.multiply.call2(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.multiply.call2(_operand(other), self)

    def __truediv__(self, other: Any) -> Tensor:
        if other.__class__ is not Tensor and other.__class__ is not float:
            other = _operand(other)
        return ops.divide.call2(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.divide.call2(_operand(other), self)

    def __pow__(self, other: Any) -> Tensor:
        if other.__class__ is not Tensor and other.__class__ is not float:
            other = _operand(other)
        return ops.power.call2(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return ops.power.call2(_operand(other), self)

    def __matmul__(self, other: Any) -> Tensor:
        if other.__class__ is not Tensor and other.__class__ is not float:
            other = _operand(other)
        return ops.matmul.call2(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.matmul.call2(_operand(other), self)

    def __neg__(self) -> Tensor:
        return ops.negative(self)

    def __pos__(self) -> Tensor:
        return self

    # comparisons: plain boolean arrays, outside the graph
    def __lt__(self, other: Any) -> np.ndarray:
        return self.data < _raw(other)

    def __le__(self, other: Any) -> np.ndarray:
        return self.data <= _raw(other)

    def __gt__(self, other: Any) -> np.ndarray:
        return self.data > _raw(other)

    def __ge__(self, other: Any) -> np.ndarray:
        return self.data >= _raw(other)

    def __eq__(self, other: Any) -> np.ndarray:  # type: ignore[override]
        return self.data == _raw(other)

    def __ne__(self, other: Any) -> np.ndarray:  # type: ignore[override]
        return self.data != _raw(other)

    def __bool__(self) -> bool:
        return bool(self.data)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, index=_index(index))

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """numpy ufuncs on Tensors: the differentiable ones record, the others give arrays."""
        fn = _UFUNCS.get(ufunc)
        if fn is not None and method == "__call__" and not kwargs:
            return fn(*inputs)
        if ufunc is np.add and method == "reduce" and set(kwargs) <= {"axis", "keepdims"}:
            return inputs[0].sum(axis=kwargs.get("axis", 0), keepdims=kwargs.get("keepdims", False))
        if any(isinstance(x, Tensor) and x.requires_grad for x in inputs) and ufunc not in _NONDIFF:
            raise TypeError(
                f"numpy.{ufunc.__name__} ({method}) is not differentiable on Tensors; the "
                f"differentiable ufuncs are {', '.join(sorted(u.__name__ for u in _UFUNCS))}"
            )
        raw_inputs = tuple(_raw(x) for x in inputs)
        return getattr(ufunc, method)(*raw_inputs, **kwargs)

    # --- methods -----------------------------------------------------------------------------

    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Sum over `axis` (None: all); the gradient broadcasts back."""
        if axis is None and not keepdims:
            return ops.sum_(self)  # the defaults: nothing to record
        return ops.sum_(self, axis=_normalize_axis(axis, self.ndim), keepdims=keepdims)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Arithmetic mean over `axis` (None: all)."""
        if axis is None and not keepdims:
            return ops.mean(self)
        return ops.mean(self, axis=_normalize_axis(axis, self.ndim), keepdims=keepdims)

    def max(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Maximum over `axis`; tied maxima share the gradient equally."""
        return ops.max_(self, axis=_normalize_axis(axis, self.ndim), keepdims=keepdims)

    def min(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Minimum over `axis`; tied minima share the gradient equally."""
        return ops.min_(self, axis=_normalize_axis(axis, self.ndim), keepdims=keepdims)

    def logsumexp(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """log(sum(exp(x))) over `axis`, stable for large inputs."""
        return ops.logsumexp(self, axis=_normalize_axis(axis, self.ndim), keepdims=keepdims)

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(x) / sum(exp(x)) along `axis`; stable for large logits."""
        _normalize_axis(axis, self.ndim)
        return ops.softmax(self, axis=axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """log(softmax(x)) along `axis`, computed without forming softmax."""
        _normalize_axis(axis, self.ndim)
        return ops.log_softmax(self, axis=axis)

    def exp(self) -> Tensor:
        return ops.exp(self)

    def log(self) -> Tensor:
        return ops.log(self)

    def sqrt(self) -> Tensor:
        return ops.sqrt(self)

    def abs(self) -> Tensor:
        return ops.absolute(self)

    def tanh(self) -> Tensor:
        return ops.tanh(self)

    def sigmoid(self) -> Tensor:
        return ops.sigmoid(self)

    def relu(self) -> Tensor:
        return ops.relu(self)

    def clip(self, lo: Any = None, hi: Any = None) -> Tensor:
        """Limit the values to [lo, hi] (either may be None)."""
        if lo is None and hi is None:
            raise ValueError("clip needs at least one of lo and hi")
        return ops.clip(self, lo=lo, hi=hi)

    def reshape(self, *shape: Any) -> Tensor:
        """Same data in a new shape: `t.reshape(2, 3)` or `t.reshape((2, 3))`; -1 is inferred."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.reshape(self, shape=tuple(shape))

    def flatten(self) -> Tensor:
        """A 1-D copy of the data."""
        return ops.reshape(self, shape=(-1,))

    def transpose(self, *axes: Any) -> Tensor:
        """Permute the axes: `t.transpose()` reverses them, `t.transpose(1, 0, 2)` reorders."""
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = () if axes[0] is None else tuple(axes[0])
        if axes:
            if sorted(int(a) % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
                raise ValueError(
                    f"transpose: axes {axes} are not a permutation for shape {self.shape}"
                )
            return ops.transpose(self, axes=tuple(int(a) % self.ndim for a in axes))
        return ops.transpose(self, axes=None)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        """Exchange two axes."""
        axes = list(range(self.ndim))
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        return ops.transpose(self, axes=tuple(axes))

    def astype(self, dtype: Any) -> Tensor:
        """Cast to another floating dtype (the gradient is cast back)."""
        if np.dtype(dtype).kind != "f":
            raise TypeError(f"Tensor dtype must be a floating type, got {np.dtype(dtype)}")
        return ops.astype(self, dtype=np.dtype(dtype))


def _operand(x: Any) -> Any:
    """The other side of an operator: Tensors and numbers as they are, sequences as arrays."""
    if x.__class__ is Tensor or x.__class__ is float or x.__class__ is int:
        return x  # the common cases, first and fast
    if isinstance(x, (Tensor, Number, np.ndarray)):
        if isinstance(x, np.ndarray) and x.dtype.kind not in "biuf":
            raise TypeError(f"cannot combine a Tensor with an array of dtype {x.dtype}")
        if isinstance(x, complex):
            raise TypeError(f"cannot combine a Tensor with the complex number {x!r}")
        return x
    if isinstance(x, Node):
        raise TypeError(f"cannot combine a Tensor with a {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"cannot combine a Tensor with {type(x).__name__} of dtype {arr.dtype}")
    return arr


def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


_UFUNCS = {
    np.add: ops.add,
    np.subtract: ops.subtract,
    np.multiply: ops.multiply,
    np.divide: ops.divide,
    np.power: ops.power,
    np.negative: ops.negative,
    np.matmul: ops.matmul,
    np.maximum: ops.maximum,
    np.minimum: ops.minimum,
    np.exp: ops.exp,
    np.log: ops.log,
    np.sqrt: ops.sqrt,
    np.tanh: ops.tanh,
    np.absolute: ops.absolute,
}
# ufuncs whose results carry no gradient (they are piecewise constant or boolean)
_NONDIFF = {
    np.sign,
    np.greater,
    np.greater_equal,
    np.less,
    np.less_equal,
    np.equal,
    np.not_equal,
    np.isfinite,
    np.isnan,
    np.isinf,
    np.floor,
    np.ceil,
    np.logical_and,
    np.logical_or,
    np.logical_not,
}


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (numpy's concatenate)."""
    if not len(tensors):
        raise ValueError("concatenate needs at least one tensor")
    return ops.concatenate(*[_operand(t) for t in tensors], axis=axis)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along a new axis (numpy's stack)."""
    if not len(tensors):
        raise ValueError("stack needs at least one tensor")
    return ops.stack(*[_operand(t) for t in tensors], axis=axis)


def where(cond: Any, x: Any, y: Any) -> Tensor:
    """Elements of `x` where `cond` holds, else of `y`; `cond` gets no gradient."""
    c = np.asarray(_raw(cond))
    if c.dtype != bool:
        raise TypeError(f"where: cond must be boolean, got dtype {c.dtype}")
    return ops.where(c, _operand(x), _operand(y))


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """x @ weight.T + bias, one node (weight of shape (out, in), as torch.nn.Linear's)."""
    if x.__class__ is not Tensor and x.__class__ is not np.ndarray:
        x = _operand(x)
    if weight.__class__ is not Tensor:
        weight = _operand(weight)
    if bias is not None and bias.__class__ is not Tensor:
        bias = _operand(bias)
    return ops.linear(x, weight, bias)


def maximum(x: Any, y: Any) -> Tensor:
    """Elementwise maximum with broadcasting; ties share the gradient."""
    return ops.maximum(_operand(x), _operand(y))


def minimum(x: Any, y: Any) -> Tensor:
    """Elementwise minimum with broadcasting; ties share the gradient."""
    return ops.minimum(_operand(x), _operand(y))


def _private_refs() -> int:
    """How many references a gradient that nobody else holds has inside `_store_grad`.

    Measured once on a real backward pass (a fresh product is private), so `_store_grad` can
    keep such gradients without copying, as PyTorch does; any other holder adds a reference and
    gets a copy. Outside CPython, reference counts mean nothing: always copy.
    """
    if sys.implementation.name != "cpython":
        return -1
    seen: list[int] = []

    class Probe(Tensor):
        __slots__ = ()

        def _store_grad(self, g: Any) -> None:  # the same frame shape as Tensor._store_grad
            seen.append(sys.getrefcount(g))

    x = Probe(np.ones(2), requires_grad=True)
    (x * 2.0).sum().backward()
    return seen[0]


_PRIVATE_REFS = _private_refs()
