"""`Tensor`: a numpy array that records the operations applied to it, on the shared graph core."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from numbers import Number
from operator import attrgetter
from typing import Any

import numpy as np

from autograd import graph, ops
from autograd.graph import CLOCK, Node, backward, mark_dirty
from autograd.mode import GRAD, MODE, TRACE, TRACER, TracingError, concrete
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
        axes: tuple[Any, ...] = (axis,)
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
        concrete(
            "indexing with a Tensor (integer and boolean arguments of a jitted function "
            "arrive as float Tensors)"
        )
        return index._data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _floating(data: Any, dtype: Any) -> np.ndarray:
    """A copy of array-like `data` as a floating array (`dtype` if given)."""
    if isinstance(data, Tensor):
        data = data._data  # a copy of the numbers: the new tensor is a leaf of its own
    try:
        arr = np.array(data, dtype=dtype)
    except (TypeError, ValueError) as e:
        what = type(data).__name__
        raise TypeError(f"Tensor data must be real numbers; got {what}: {e}") from None
    if dtype is not None and arr.dtype.kind != "f":
        raise TypeError(f"Tensor dtype must be a floating type, got {arr.dtype}")
    return _check_dtype(arr, data)


def _operator(prim: Any, name: str) -> Callable[[Tensor, Any], Tensor]:
    """The operator method `name` ("__add__", or reflected "__radd__": `other + self`), with a
    Tensor, a number or an array on the other side."""
    reflected = name.startswith("__r")

    def method(self: Tensor, other: Any) -> Tensor:
        if other.__class__ is not Tensor and other.__class__ is not float:
            other = _operand(other)
        return prim.call2(other, self) if reflected else prim.call2(self, other)

    method.__name__, method.__qualname__ = name, f"Tensor.{name}"
    return method


def _check_inplace(t: Tensor, other: Any, what: str) -> None:
    """PyTorch's rules for changing a tensor in place, which the engine does not record.

    While recording, a tensor that requires grad cannot change in place: a leaf (a parameter)
    changes inside `no_grad()`, a recorded result not at all (make a new tensor instead). Nor can
    a tensor that does not require grad take in values that do (their gradient would be lost).
    Outside recording everything may change; graphs that read the old values refuse to run
    backward (see versions in `autograd.graph`).
    """
    if not MODE.get() & GRAD:
        return
    if t.requires_grad:
        if t._prim is None:
            raise RuntimeError(
                f"{what} on a leaf tensor that requires grad: a parameter changes in place only "
                "inside `with no_grad():` (as an optimiser step does); to compute a new tensor, "
                "write `x = x + ...` instead"
            )
        raise RuntimeError(
            f"{what} on a tensor made by {t._prim.name!r}, which is part of a recorded graph: "
            "the engine does not record changes in place. Make a new tensor instead "
            "(`y = y + ...`, or `where(mask, value, y)` for item assignment)"
        )
    if isinstance(other, Tensor) and other.requires_grad:
        raise RuntimeError(
            f"{what}: the right-hand side requires grad but this tensor does not, so its gradient "
            "would be lost; make a new tensor instead (`y = y + x`, or `where(mask, x, y)`)"
        )


def _inplace(ufunc: np.ufunc, symbol: str) -> Callable[[Tensor, Any], Tensor]:
    """The in-place operator `symbol` (`+=`): computes into this tensor's own array."""

    def method(self: Tensor, other: Any) -> Tensor:
        _check_inplace(self, other, f"in-place {symbol}")
        raw = other._data if isinstance(other, Tensor) else _operand(other)
        if MODE.get() & TRACE:
            TRACER.get().inplace(ufunc, self, None, other if isinstance(other, Tensor) else raw)
        try:
            ufunc(self._data, raw, out=self._data, casting="same_kind")
        except (ValueError, TypeError) as e:
            raise ValueError(
                f"in-place {symbol} on a Tensor of shape {self.shape} with an operand of shape "
                f"{np.shape(raw)}: {e}"
            ) from None
        mark_dirty(self)
        return self

    name = f"__i{ufunc.__name__.replace('true_', 'true')}__"
    method.__name__, method.__qualname__ = name, f"Tensor.{name}"
    return method


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

    __slots__ = ("requires_grad", "_keep", "_vbox", "_stamp", "_saved")
    _vbox: list[int] | None  # the version record [count, stamp], shared with views
    _saved: tuple[Any, ...]  # the inputs that needed no grad, for the version check
    __array_priority__ = 1000
    _shaped = True

    def __new__(
        cls, data: Any, requires_grad: bool = False, dtype: Any = None, label: str = ""
    ) -> Tensor:
        if isinstance(data, Node) and not isinstance(data, Tensor):
            raise TypeError(f"Tensor data must be array-like, got {type(data).__name__}")
        if not isinstance(label, str):
            raise TypeError(f"Tensor label must be a str, got {type(label).__name__}: {label!r}")
        t = cls._make(cls, _floating(data, dtype), None, (), (), None, ())
        t.requires_grad = bool(requires_grad)
        t.label = label
        if MODE.get() & TRACE:  # made inside a function autograd.jit traces: replayed
            TRACER.get().leaf(t, data, dtype)
        return t

    def __reduce__(self) -> tuple[Any, ...]:
        """Copies and pickles are leaves with the same data, `requires_grad` and label."""
        return (type(self), (self._data, self.requires_grad, None, self.label))

    @staticmethod
    def _make(
        cls: type,
        data: Any,
        prim: Any,
        inputs: tuple[Any, ...],
        raw: tuple[Any, ...],
        kwargs: dict[str, Any] | None,
        others: tuple[Any, ...],
    ) -> Tensor:
        """Make a node and set every field: the one place, for leaves and results alike.

        A result of `prim` remembers the mutation clock and the Tensor inputs that did not
        require grad (`others`), so that backward can check that nothing its rule reads has
        changed (see `_share_version` for results that view an input's memory).
        """
        if data.__class__ is not np.ndarray:
            data = np.asarray(data)
        if data.dtype.kind != "f":
            name = prim.name if prim is not None else "operation"
            raise TypeError(f"{name} produced dtype {data.dtype}; Tensors hold floating point data")
        t: Tensor = object.__new__(cls)
        t._data = data
        t._grad = None
        t.label = ""
        t._inputs = inputs
        t._kwargs = kwargs
        t._prim = prim
        t._keep = False
        t._vbox = None  # a version record once the data changes in place or a view shares it
        if prim is None:
            t._args = ()
            t.requires_grad = False
            t._stamp = None
            t._saved = ()
        else:
            t._args = raw
            t.requires_grad = True
            t._stamp = CLOCK.ticks
            t._saved = others
        return t

    def _share_version(self, raw: tuple[Any, ...], tensors: tuple[Any, ...]) -> None:
        """Share the version record of the input among `tensors` whose memory this result is
        (or views), so that a change through either is seen by graphs that read the other."""
        data = self._data
        base = data.base
        if base is None:
            for r in raw:
                if data is r:
                    break
            else:
                return  # a new array: nothing shared
        for t in tensors:
            if t is not None:
                own = t._data
                if data is own or (base is not None and (base is own or base is own.base)):
                    self._vbox = t._shared_version()
                    return

    @classmethod
    def _leaf(cls, data: np.ndarray, requires_grad: bool = False) -> Tensor:
        """A leaf around a floating array the caller hands over (not copied)."""
        t = cls._make(cls, data, None, (), (), None, ())
        t.requires_grad = requires_grad
        if MODE.get() & TRACE:
            TRACER.get().leaf(t, data, None)
        return t

    def _shared_version(self) -> list[int]:
        """This tensor's version record, made now if it has none, to share with a view."""
        box = self._vbox
        if box is None:
            box = self._vbox = [0, 0]  # [count, stamp]: see autograd.graph
        return box

    def _set_data(self, value: Any) -> None:
        """`t.data = array` and `t.data += d`: new contents, so a new version.

        `t.data = other_tensor` shares the other's memory, as in PyTorch, and its version too.
        """
        if MODE.get() & TRACE:
            raise TracingError(
                "assigning .data inside a function traced by autograd.jit cannot be replayed; "
                "update parameters with an optimiser (its step is replayed), or outside the "
                "function"
            )
        if isinstance(value, Tensor):
            self._data = value._data
            self._vbox = value._shared_version()
        elif value is not self._data:  # `t.data += d` hands back the same array: no checks
            arr = value if value.__class__ is np.ndarray else np.asarray(value)
            if arr.dtype.kind != "f":
                raise TypeError(f"Tensor.data must be a floating array, got dtype {arr.dtype}")
            self._data = arr
        mark_dirty(self)

    data = property(
        attrgetter("_data"),
        _set_data,
        doc="The array. Assigning to it (`t.data = a`, `t.data += d`) counts as a change in "
        "place; writing into it (`t.data[0] = 5`) is invisible to the engine.",
    )

    @property
    def version(self) -> int:
        """How many times the data was changed in place through the library (0 at first)."""
        return 0 if self._vbox is None else self._vbox[0]

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
        if isinstance(gradient, Node) and MODE.get() & TRACE:  # autograd.jit reads it afresh
            TRACER.get().seed(gradient, seed)
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
            if self._data.size != 1:
                raise RuntimeError(
                    f"{who} without a gradient needs a one-element tensor; this one has "
                    f"shape {self.shape}: pass gradient= of that shape"
                )
            seed: Any = np.empty(self._data.shape, dtype=self._data.dtype)
            seed.fill(1)  # np.ones costs four times as much at this size
            return Tensor(seed) if create_graph else seed
        given = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient)
        if given.shape != self.shape:
            raise ValueError(
                f"{who}: gradient has shape {given.shape} but the tensor has shape {self.shape}"
            )
        if create_graph and isinstance(gradient, Tensor):
            # the seed itself takes part: gradients of the result with respect to it are the
            # Jacobian-vector products of the double-backward trick
            return gradient if gradient.dtype == self.dtype else gradient.astype(self.dtype)
        seed = given.astype(self.dtype, copy=False)
        return Tensor(seed) if create_graph else seed

    def retain_grad(self) -> None:
        """Keep this (intermediate) tensor's gradient in `.grad` after backward."""
        self._keep = True

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (`.grad` becomes None, as PyTorch's set_to_none)."""
        if MODE.get() & TRACE:  # replayed by autograd.jit (an effect would swap a method of
            TRACER.get().set_grad(self, None)  # Tensor at every trace: see tracing._patch)
        self._grad = None

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory and version, requires no grad)."""
        t = Tensor._make(Tensor, self._data, None, (), (), None, ())
        t._vbox = self._shared_version()
        if MODE.get() & TRACE:  # the same numbers in autograd.jit's program
            TRACER.get().alias(t, self)
        return t

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set `requires_grad` of a leaf in place; returns self."""
        if not self.is_leaf:
            raise RuntimeError(
                "requires_grad_() works on leaf tensors only; use detach() to cut an "
                "intermediate result from its graph"
            )
        if MODE.get() & TRACE and not TRACER.get().made_here(self):
            raise TracingError(
                "requires_grad_() on an argument or a tensor from outside, inside a function "
                "traced by autograd.jit, cannot be replayed: call it before the function"
            )
        self.requires_grad = bool(requires_grad)
        return self

    # --- numpy-like attributes ---------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def T(self) -> Tensor:
        """The tensor with its axes reversed (numpy's `.T`)."""
        return ops.transpose(self, axes=None)

    def item(self) -> float:
        """The single element as a Python float."""
        concrete("t.item()")
        if self._data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {self.shape}")
        return float(self._data.reshape(()))

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        concrete("t.numpy()")
        return self._data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """`np.asarray(t)`: the data, for a tensor that does not require grad. One that does is
        refused, as in PyTorch: numpy would compute with the numbers and lose the gradient
        without a word (`np.sum([x, y])` converts the list). Ask for the numbers explicitly
        with `t.detach()`, `t.data` or `t.numpy()`."""
        concrete("converting a Tensor to a numpy array")
        if self.requires_grad:
            raise RuntimeError(
                f"converting a Tensor that requires grad (shape {self.shape}) to a numpy array "
                "would drop its gradient; use t.detach() (or t.data) for the numbers, or "
                "Tensor operations to keep the gradient"
            )
        if dtype is not None and dtype != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="Tensor(")
        extra = ""
        if self._data.dtype != np.float64:
            extra += f", dtype={self._data.dtype}"
        if self._prim is not None:
            extra += f", op={self._prim.name!r}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        if self.label:
            extra += f", label={self.label!r}"
        return f"Tensor({body}{extra})"

    __hash__ = Node.__hash__  # identity: the graph keeps tensors in sets and dicts

    # --- operators (a Python number, an array or a Tensor on either side) ----------------------

    __add__, __radd__ = _operator(ops.add, "__add__"), _operator(ops.add, "__radd__")
    __sub__, __rsub__ = _operator(ops.subtract, "__sub__"), _operator(ops.subtract, "__rsub__")
    __mul__, __rmul__ = _operator(ops.multiply, "__mul__"), _operator(ops.multiply, "__rmul__")
    __truediv__ = _operator(ops.divide, "__truediv__")
    __rtruediv__ = _operator(ops.divide, "__rtruediv__")
    __pow__, __rpow__ = _operator(ops.power, "__pow__"), _operator(ops.power, "__rpow__")
    __matmul__ = _operator(ops.matmul, "__matmul__")
    __rmatmul__ = _operator(ops.matmul, "__rmatmul__")

    # in place: the same tensor and array, one version more (see `_inplace` for the rules)
    __iadd__ = _inplace(np.add, "+=")
    __isub__ = _inplace(np.subtract, "-=")
    __imul__ = _inplace(np.multiply, "*=")
    __itruediv__ = _inplace(np.divide, "/=")
    __ipow__ = _inplace(np.power, "**=")

    def __neg__(self) -> Tensor:
        return ops.negative(self)

    def __pos__(self) -> Tensor:
        return self

    # comparisons: plain boolean arrays, outside the graph
    def __lt__(self, other: Any) -> np.ndarray:
        concrete("comparing a Tensor (<)")
        return self._data < _raw(other)

    def __le__(self, other: Any) -> np.ndarray:
        concrete("comparing a Tensor (<=)")
        return self._data <= _raw(other)

    def __gt__(self, other: Any) -> np.ndarray:
        concrete("comparing a Tensor (>)")
        return self._data > _raw(other)

    def __ge__(self, other: Any) -> np.ndarray:
        concrete("comparing a Tensor (>=)")
        return self._data >= _raw(other)

    def __eq__(self, other: Any) -> np.ndarray:  # type: ignore[override]
        concrete("comparing a Tensor (==)")
        return self._data == _raw(other)

    def __ne__(self, other: Any) -> np.ndarray:  # type: ignore[override]
        concrete("comparing a Tensor (!=)")
        return self._data != _raw(other)

    def _scalar(self, what: str) -> Any:
        concrete(what)
        if self._data.size != 1:
            raise ValueError(
                f"{what} needs a one-element tensor; this one has shape {self.shape} "
                f"({self._data.size} elements)"
            )
        return self._data.reshape(())

    def __float__(self) -> float:
        return float(self._scalar("float()"))

    def __int__(self) -> int:
        return int(self._scalar("int()"))

    def __bool__(self) -> bool:
        concrete("bool(t), or an `if` on a Tensor,")
        if self._data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous: use "
                "(t > 0).any() or .all(), or a one-element tensor"
            )
        return bool(self._data.reshape(()))

    def __abs__(self) -> Tensor:
        return ops.absolute(self)

    def __round__(self, ndigits: int | None = None) -> Tensor:
        return self.round(ndigits or 0)

    def tolist(self) -> Any:
        """The data as (nested lists of) Python floats."""
        concrete("t.tolist()")
        return self._data.tolist()

    def copy(self) -> Tensor:
        """A new tensor with the same values, recorded (gradients flow back, as torch.clone)."""
        return ops.copy(self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, index=_index(index))

    def __setitem__(self, index: Any, value: Any) -> None:
        """`t[index] = value` writes into this tensor's array, with the rules of `_inplace`.

        Not recorded: on a tensor that requires grad it is allowed only inside `no_grad()`. To
        build a result from parts differentiably, use `where(mask, a, b)` or `concatenate`.
        """
        _check_inplace(self, value, "item assignment t[...] = ...")
        raw = value._data if isinstance(value, Tensor) else _operand(value)
        if MODE.get() & TRACE:
            given = value if isinstance(value, Tensor) else raw
            TRACER.get().inplace(None, self, _index(index), given)
        try:
            self._data[_index(index)] = raw
        except (ValueError, TypeError) as e:
            raise ValueError(f"item assignment into a Tensor of shape {self.shape}: {e}") from None
        mark_dirty(self)

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """numpy ufuncs on Tensors: the differentiable ones record, the others give arrays."""
        fn = _UFUNCS.get(ufunc)
        if fn is not None and method == "__call__" and not kwargs:
            if len(inputs) == 2:  # an array on the other side: numbers, booleans as floats
                x, y = inputs
                if x.__class__ is not Tensor:
                    x = _operand(x)
                if y.__class__ is not Tensor:
                    y = _operand(y)
                return fn.call2(x, y)
            return fn(*inputs)
        if "out" in kwargs:
            return _ufunc_into(ufunc, method, inputs, kwargs)
        if method == "at" and isinstance(inputs[0], Tensor):  # np.add.at(t, index, v)
            return _ufunc_into(ufunc, method, inputs[1:], {"out": inputs[0]})
        if ufunc is np.add and method == "reduce" and set(kwargs) <= {"axis", "keepdims"}:
            return inputs[0].sum(axis=kwargs.get("axis", 0), keepdims=kwargs.get("keepdims", False))
        grad = any(isinstance(x, Tensor) and x.requires_grad for x in inputs)
        if grad and fn is not None and method == "__call__":
            given = ", ".join(f"{k}=" for k in kwargs)
            raise TypeError(
                f"numpy.{ufunc.__name__}(..., {given}) is not supported on Tensors that require "
                f"grad: call it without those keywords (cast with t.astype(dtype), mask with "
                f"autograd.where)"
            )
        if grad and ufunc not in _NONDIFF:
            raise TypeError(
                f"numpy.{ufunc.__name__} ({method}) is not differentiable on Tensors; the "
                f"differentiable ufuncs are {', '.join(sorted(u.__name__ for u in _UFUNCS))}"
            )
        concrete(f"numpy.{ufunc.__name__} ({method}) on a Tensor, which gives a plain array,")
        raw_inputs = tuple(_raw(x) for x in inputs)
        return getattr(ufunc, method)(*raw_inputs, **kwargs)

    def __array_function__(
        self, func: Any, types: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """numpy's functions on Tensors: the ones in `IMPLEMENTED` record, the others run on
        the arrays or raise a TypeError naming them (see `autograd.numpy_functions`)."""
        impl = IMPLEMENTED.get(func)
        if impl is not None:
            return impl(*args, **kwargs)
        return _api.fallback(func, args, kwargs)

    # --- methods -----------------------------------------------------------------------------

    def _reducible(self, name: str, dtype: Any, out: Any) -> Tensor:
        """This tensor, cast to `dtype` if given, after refusing `out=` (numpy's keywords)."""
        if out is not None:
            raise TypeError(
                f"{name}(out=...) is not supported on Tensors: the result is a new Tensor"
            )
        if dtype is None or np.dtype(dtype) == self.dtype:
            return self
        if np.dtype(dtype).kind != "f":
            raise TypeError(f"{name}(dtype=...) must be a floating type, got {np.dtype(dtype)}")
        return self.astype(dtype)

    def sum(
        self, axis: Axis = None, dtype: Any = None, out: Any = None, keepdims: bool = False
    ) -> Tensor:
        """Sum over `axis` (None: all); the gradient broadcasts back. `dtype` sums in that
        floating type; `out` must be None (numpy's keywords, so numpy's functions work)."""
        if axis is None and not keepdims and dtype is None and out is None:
            return ops.sum_(self)  # the defaults: nothing to record
        x = self._reducible("sum", dtype, out)
        return ops.sum_(x, axis=_normalize_axis(axis, self.ndim), keepdims=keepdims)

    def mean(
        self, axis: Axis = None, dtype: Any = None, out: Any = None, keepdims: bool = False
    ) -> Tensor:
        """Arithmetic mean over `axis` (None: all)."""
        if axis is None and not keepdims and dtype is None and out is None:
            return ops.mean(self)
        x = self._reducible("mean", dtype, out)
        return ops.mean(x, axis=_normalize_axis(axis, self.ndim), keepdims=keepdims)

    def max(self, axis: Axis = None, out: Any = None, keepdims: bool = False) -> Tensor:
        """Maximum over `axis`; tied maxima share the gradient equally."""
        x = self._reducible("max", None, out)
        return ops.max_(x, axis=_normalize_axis(axis, self.ndim), keepdims=keepdims)

    def min(self, axis: Axis = None, out: Any = None, keepdims: bool = False) -> Tensor:
        """Minimum over `axis`; tied minima share the gradient equally."""
        x = self._reducible("min", None, out)
        return ops.min_(x, axis=_normalize_axis(axis, self.ndim), keepdims=keepdims)

    def prod(
        self, axis: Axis = None, dtype: Any = None, out: Any = None, keepdims: bool = False
    ) -> Tensor:
        """Product over `axis`; each element's gradient is the product of the others (exact
        with zeros, as PyTorch)."""
        x = self._reducible("prod", dtype, out)
        return ops.prod(x, axis=_normalize_axis(axis, self.ndim), keepdims=keepdims)

    def var(
        self,
        axis: Axis = None,
        dtype: Any = None,
        out: Any = None,
        ddof: float = 0,
        keepdims: bool = False,
    ) -> Tensor:
        """Variance over `axis`, dividing by n - ddof (numpy's default ddof=0; PyTorch's 1)."""
        x = self._reducible("var", dtype, out)
        return _api.var(x, axis=axis, ddof=ddof, keepdims=keepdims)

    def std(
        self,
        axis: Axis = None,
        dtype: Any = None,
        out: Any = None,
        ddof: float = 0,
        keepdims: bool = False,
    ) -> Tensor:
        """Standard deviation, sqrt(var); its gradient is 0 where it is 0 (as PyTorch)."""
        x = self._reducible("std", dtype, out)
        return _api.std(x, axis=axis, ddof=ddof, keepdims=keepdims)

    def cumsum(self, axis: int | None = None, dtype: Any = None, out: Any = None) -> Tensor:
        """Running sums along `axis` (None: of the flattened tensor)."""
        x = self._reducible("cumsum", dtype, out)
        if axis is None:
            return ops.cumsum(x.reshape((-1,)), axis=0)
        (axis,) = _normalize_axis(axis, self.ndim) or (0,)
        return ops.cumsum(x, axis=axis)

    def norm(self, ord: Any = None, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """numpy.linalg.norm: vector norms (2, 1, inf, -inf), matrix norms ('fro', 1, -1, inf,
        -inf); with no ord and no axis, the 2-norm of all elements."""
        return _api.norm(self, ord=ord, axis=axis, keepdims=keepdims)

    def argmax(self, axis: int | None = None, out: Any = None, keepdims: bool = False) -> Any:
        """Index of the maximum (an integer array: no gradient)."""
        concrete("t.argmax()")
        return self._data.argmax(axis=axis, out=out, keepdims=keepdims)

    def argmin(self, axis: int | None = None, out: Any = None, keepdims: bool = False) -> Any:
        """Index of the minimum (an integer array: no gradient)."""
        concrete("t.argmin()")
        return self._data.argmin(axis=axis, out=out, keepdims=keepdims)

    def argsort(self, axis: int | None = -1, kind: Any = None, order: Any = None) -> Any:
        """Indices that sort along `axis` (an integer array: no gradient)."""
        concrete("t.argsort()")
        return self._data.argsort(axis=axis, kind=kind, order=order)

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

    def sin(self) -> Tensor:
        return ops.sin(self)

    def cos(self) -> Tensor:
        return ops.cos(self)

    def tan(self) -> Tensor:
        return ops.tan(self)

    def arctan(self) -> Tensor:
        return ops.arctan(self)

    def sinh(self) -> Tensor:
        return ops.sinh(self)

    def cosh(self) -> Tensor:
        return ops.cosh(self)

    def log1p(self) -> Tensor:
        """log(1 + x), exact for small x."""
        return ops.log1p(self)

    def expm1(self) -> Tensor:
        """exp(x) - 1, exact for small x."""
        return ops.expm1(self)

    def log2(self) -> Tensor:
        return ops.log2(self)

    def log10(self) -> Tensor:
        return ops.log10(self)

    def exp2(self) -> Tensor:
        return ops.exp2(self)

    def square(self) -> Tensor:
        return ops.square(self)

    def reciprocal(self) -> Tensor:
        return ops.reciprocal(self)

    def pow(self, exponent: Any) -> Tensor:
        """self ** exponent."""
        return self**exponent

    def sign(self) -> Tensor:
        """-1, 0 or 1 (nan for nan); its gradient is zero, as PyTorch's."""
        return ops.sign(self)

    def floor(self) -> Tensor:
        """Round down; the gradient is zero."""
        return ops.floor(self)

    def ceil(self) -> Tensor:
        """Round up; the gradient is zero."""
        return ops.ceil(self)

    def round(self, decimals: int = 0, out: Any = None) -> Tensor:
        """Round to `decimals` places, halves to even (numpy and PyTorch); the gradient is zero."""
        x = self._reducible("round", None, out)
        return ops.round_(x, decimals=int(decimals)) if decimals else ops.round_(x)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        """log(1 + exp(beta x)) / beta, x itself past the threshold (PyTorch's softplus)."""
        return ops.softplus(self, beta=float(beta), threshold=float(threshold))

    def gelu(self, approximate: str = "none") -> Tensor:
        """x Phi(x) (PyTorch's GELU); approximate="tanh" for the tanh formula."""
        if approximate == "none":
            return ops.gelu(self)
        if approximate == "tanh":
            inner = (self + 0.044715 * self * self * self) * math.sqrt(2.0 / math.pi)
            return 0.5 * self * (1.0 + ops.tanh(inner))
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        """x where x > 0, else negative_slope * x."""
        return ops.leaky_relu(self, negative_slope=float(negative_slope))

    def elu(self, alpha: float = 1.0) -> Tensor:
        """x where x > 0, else alpha (exp(x) - 1)."""
        return ops.elu(self, alpha=float(alpha))

    def clip(self, lo: Any = None, hi: Any = None) -> Tensor:
        """Limit the values to [lo, hi] (either may be None, or a Tensor: bounds that require
        grad get theirs, as maximum and minimum give it)."""
        if lo is None and hi is None:
            raise ValueError("clip needs at least one of lo and hi")
        if (
            isinstance(lo, Tensor)
            and lo.requires_grad
            or isinstance(hi, Tensor)
            and hi.requires_grad
        ):
            out = self if lo is None else maximum(self, lo)
            return out if hi is None else minimum(out, hi)
        return ops.clip(self, lo=_raw(lo), hi=_raw(hi))

    def reshape(self, *shape: Any) -> Tensor:
        """Same data in a new shape: `t.reshape(2, 3)` or `t.reshape((2, 3))`; -1 is inferred."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.reshape(self, shape=tuple(shape))

    def ravel(self) -> Tensor:
        """The data as 1-D (numpy's ravel; a view where it can be)."""
        return ops.reshape(self, shape=(-1,))

    def squeeze(self, axis: Axis = None) -> Tensor:
        """Drop axes of length one (all, or those named)."""
        return _api.squeeze(self, axis)

    def expand_dims(self, axis: int | tuple[int, ...]) -> Tensor:
        """A new axis of length one at `axis` (numpy's expand_dims)."""
        return _api.expand_dims(self, axis)

    def unsqueeze(self, dim: int) -> Tensor:
        """PyTorch's name for expand_dims with one axis."""
        return _api.expand_dims(self, dim)

    def repeat(self, repeats: Any, axis: int | None = None) -> Tensor:
        """numpy's repeat: each element `repeats` times along `axis` (PyTorch's `repeat` is
        numpy's `tile`)."""
        return _api.repeat(self, repeats, axis)

    def tile(self, reps: Any) -> Tensor:
        """numpy's tile: the whole tensor `reps` times along each axis."""
        return _api.tile(self, reps)

    def take_along_axis(self, indices: Any, axis: int | None) -> Tensor:
        """Pick the elements `indices` names along `axis` (numpy's take_along_axis)."""
        return _api.take_along_axis(self, indices, axis)

    def gather(self, dim: int, index: Any) -> Tensor:
        """PyTorch's name for take_along_axis."""
        return _api.take_along_axis(self, index, dim)

    def dot(self, other: Any) -> Tensor:
        """numpy's dot product."""
        return _api.dot(self, other)

    def outer(self, other: Any) -> Tensor:
        """Every product of an element of self and one of other, as a matrix."""
        return _api.outer(self, other)

    def flatten(self) -> Tensor:
        """The data as 1-D, sharing memory where it can (a view, as `reshape(-1)`)."""
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


def _ufunc_into(
    ufunc: np.ufunc, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """`np.add(a, b, out=t)` and `np.add.at(t, index, v)`: a change in place of the Tensors in
    `out`, under the rules of the in-place operators (`_check_inplace`), counted in their
    versions; not recorded. A Tensor that requires grad is never written into a plain array."""
    concrete(f"numpy.{ufunc.__name__}(..., out=...) on Tensors")
    out = kwargs["out"]
    outs = out if isinstance(out, tuple) else (out,)
    grad_input = next((x for x in inputs if isinstance(x, Tensor) and x.requires_grad), None)
    name = f"numpy.{ufunc.__name__}"
    what = f"{name}.at(t, ...)" if method == "at" else f"{name}(..., out=)"
    for o in outs:
        if isinstance(o, Tensor):
            _check_inplace(o, grad_input, what)
        elif o is not None and grad_input is not None:
            raise TypeError(into_array(what))
    raw = tuple(_raw(x) for x in inputs)
    tensors = [o for o in outs if isinstance(o, Tensor)]
    if method == "at":
        ufunc.at(outs[0]._data, _index(raw[0]), *raw[1:])
        mark_dirty(outs[0])
        return None  # as numpy's ufunc.at
    kwargs["out"] = tuple(_raw(o) for o in outs)
    result = getattr(ufunc, method)(*raw, **kwargs)
    if tensors:
        mark_dirty(*tensors)
    # numpy hands back the arrays it wrote: give back the Tensors they belong to
    mine = {id(t._data): t for t in tensors}
    if isinstance(result, tuple):
        return tuple(mine.get(id(r), r) for r in result)
    return mine.get(id(result), result)


def into_array(what: str) -> str:
    """The refusal of a numpy call that would write a Tensor that requires grad into a plain
    array (ufuncs' `out=` here, numpy functions' `out=` and copyto in numpy_functions)."""
    return (
        f"{what} would write a Tensor that requires grad into a numpy array, which drops the "
        "gradient; compute a new Tensor instead (or write t.detach() if no gradient is wanted)"
    )


def _operand(x: Any) -> Any:
    """The other side of an operator: Tensors and numbers as they are, sequences as arrays."""
    if x.__class__ is Tensor or x.__class__ is float or x.__class__ is int:
        return x  # the common cases, first and fast
    if x.__class__ is np.ndarray and x.dtype.kind in "iuf":
        return x  # an array of numbers, without the slower isinstance of Number below
    if isinstance(x, (Tensor, Number, np.ndarray)):
        if isinstance(x, np.ndarray) and x.dtype.kind not in "iuf":
            if x.dtype.kind == "b":
                return x.astype(np.float64)  # rules compute with it: -mask is no number
            raise TypeError(f"cannot combine a Tensor with an array of dtype {x.dtype}")
        if isinstance(x, complex):
            raise TypeError(f"cannot combine a Tensor with the complex number {x!r}")
        return x
    if isinstance(x, Node):
        raise TypeError(f"cannot combine a Tensor with a {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"cannot combine a Tensor with {type(x).__name__} of dtype {arr.dtype}")
    return arr.astype(np.float64) if arr.dtype.kind == "b" else arr


def _raw(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


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
    np.absolute: ops.absolute,
    np.logaddexp: ops.logaddexp,
    np.arctan2: ops.arctan2,
    np.hypot: ops.hypot,
}
_ELEMENTWISE = [
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "sqrt",
    "square",
    "reciprocal",
    "tanh",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "sign",
    "floor",
    "ceil",
    "rint",
    "trunc",
]  # numpy's name, and the primitive's in autograd.ops
_UFUNCS.update((getattr(np, name), getattr(ops, name)) for name in _ELEMENTWISE)
# ufuncs whose results hold no number that could carry a gradient (booleans)
_NONDIFF = {
    np.greater,
    np.greater_equal,
    np.less,
    np.less_equal,
    np.equal,
    np.not_equal,
    np.isfinite,
    np.isnan,
    np.isinf,
    np.signbit,
    np.logical_and,
    np.logical_or,
    np.logical_not,
    np.logical_xor,
}

IMPLEMENTED: dict[Any, Callable[..., Any]] = {}
"""numpy function -> its Tensor implementation, filled by `autograd.numpy_functions`."""


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (numpy's concatenate)."""
    return ops.concatenate(*[_operand(t) for t in tensors], axis=axis)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along a new axis (numpy's stack)."""
    return ops.stack(*[_operand(t) for t in tensors], axis=axis)


def where(cond: Any, x: Any, y: Any) -> Tensor:
    """Elements of `x` where `cond` holds, else of `y`; `cond` gets no gradient."""
    return ops.where(np.asarray(_raw(cond)), _operand(x), _operand(y))  # it checks cond


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


def _private_gradient_probe() -> None:
    """A backward pass whose leaf gradient is a fresh array nobody else holds (see graph.own)."""
    x = Tensor(np.ones(2), requires_grad=True)
    (x * 2.0).sum().backward()


graph.calibrate_private_refs(_private_gradient_probe)

from autograd import numpy_functions as _api  # noqa: E402  (it builds on Tensor)
