"""`Value`: a scalar node, micrograd's teaching type, on the shared graph core.

    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = (a * b + a).tanh()
    >>> c.backward()
    >>> round(a.grad, 6), round(b.grad, 6)
    (-0.002682, 0.002682)

Every operation is a `primitive` on Python floats with its derivative beside it.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from numbers import Real
from operator import attrgetter
from typing import Any

import numpy as np

from autograd.graph import Node, backward
from autograd.primitive import Primitive, primitive

# --- primitives on floats: forward, then d(out)/d(input) times the output gradient g -----------
# Where Python has the operator as a function, it is the forward: no Python frame in between.


_add = primitive(operator.add, name="+", aliases=False)
_add.defvjp(lambda g, out, x, y: g, lambda g, out, x, y: g)


_sub = primitive(operator.sub, name="-", aliases=False)
_sub.defvjp(lambda g, out, x, y: g, lambda g, out, x, y: -g)


_mul = primitive(operator.mul, name="*", aliases=False)
_mul.defvjp(lambda g, out, x, y: g * y, lambda g, out, x, y: g * x)


@primitive(name="/", aliases=False)
def _div(x: float, y: float) -> float:
    if y == 0.0:
        raise ZeroDivisionError(f"Value division by zero ({x} / 0.0)")
    return x / y


# -g x / y**2 as -g (x / y) / y: y * y underflows to 0 for tiny y (PyTorch's order too).
_div.defvjp(lambda g, out, x, y: g / y, lambda g, out, x, y: -g * out / y)


_neg = primitive(operator.neg, name="neg", aliases=False)
_neg.defvjp(lambda g, out, x: -g)


@primitive(name="**", aliases=False)
def _pow(x: float, y: float) -> float:
    try:
        out = x**y
    except OverflowError:
        raise OverflowError(f"Value power {x} ** {y} overflows") from None
    if out.__class__ is complex:  # a negative base to a fractional power
        raise ValueError(f"Value power {x} ** {y} is not a real number")
    return out


def _fpow(x: float, y: float) -> float:
    """x ** y with C's (and PyTorch's) results where Python raises: 0.0 ** -0.5 is inf, an
    overflow is inf, a negative base to a fractional power is nan. Used by the rules, which must
    never raise a Python math exception in the middle of backward."""
    try:
        out = x**y
    except (ZeroDivisionError, OverflowError):
        with np.errstate(all="ignore"):
            return float(np.power(np.float64(x), np.float64(y)))
    return math.nan if out.__class__ is complex else out


def _pow_base_vjp(g: float, out: float, x: float, y: float) -> float:
    """d/dx x**y = y x**(y-1), and 0 where y == 0 (PyTorch's value, not 0 * inf)."""
    return 0.0 if y == 0.0 else g * y * _fpow(x, y - 1.0)


def _pow_exponent_vjp(g: float, out: float, x: float, y: float) -> float:
    """d/dy x**y = x**y log x: 0 where x == 0 and y >= 0, nan for a negative base (as PyTorch)."""
    if x == 0.0:
        return 0.0 if y >= 0.0 else g * -math.inf * out
    if x < 0.0:
        return math.nan
    return g * out * math.log(x)


_pow.defvjp(_pow_base_vjp, _pow_exponent_vjp)


@primitive(name="relu", aliases=False)
def _relu(x: float) -> float:
    return x if x > 0.0 else 0.0


_relu.defvjp(lambda g, out, x: g if x > 0.0 else 0.0)


@primitive(name="tanh", aliases=False)
def _tanh(x: float) -> float:
    return math.tanh(x)


_tanh.defvjp(lambda g, out, x: g * (1.0 - out * out))


@primitive(name="sigmoid", aliases=False)
def _sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # never overflows for x < 0
    return e / (1.0 + e)


_sigmoid.defvjp(lambda g, out, x: g * out * (1.0 - out))


@primitive(name="exp", aliases=False)
def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"Value.exp overflows for {x}") from None


_exp.defvjp(lambda g, out, x: g * out)


@primitive(name="log", aliases=False)
def _log(x: float) -> float:
    if x <= 0.0:
        raise ValueError(f"Value.log needs a positive number, got {x}")
    return math.log(x)


_log.defvjp(lambda g, out, x: g / x)


def _operand(x: Any) -> Any:
    """A number or a Value as the other side of an operator; anything else is not ours."""
    if isinstance(x, Value):
        return x
    if isinstance(x, Real):
        return float(x)
    return None


def _operator(prim: Primitive, name: str) -> Callable[[Value, Any], Any]:
    """The operator method `name` ("__add__", or reflected "__radd__": `other + self`), with a
    number or a Value on the other side: the common types pass an inline check, the rest the
    slower `_operand`."""
    reflected = name.startswith("__r")

    def method(self: Value, other: Any) -> Any:
        if other.__class__ is not Value and other.__class__ is not float:
            other = _operand(other)
            if other is None:
                return NotImplemented
        return prim.call2(other, self) if reflected else prim.call2(self, other)

    method.__name__, method.__qualname__ = name, f"Value.{name}"
    return method


class Value(Node):
    """A scalar that records the operations applied to it, for reverse-mode differentiation.

    `.data` is a float, `.grad` the derivative of the last `backward()` root with respect to this
    value (0.0 until a backward reaches it; gradients accumulate across backward calls).

    Comparisons (`==`, `<`, ...) compare the numbers, with a number or another Value; hashing
    stays by identity, so two Values that hold the same number are still two keys of a dict
    (the graph keeps its nodes in dicts and sets).

    A Value needs no version counter: its rules read the floats captured when the operation was
    recorded, and floats cannot change, so `v.data = 3.0` on a leaf after a forward leaves the
    recorded graph (and its gradients) as they were. A result's own number is read by its rule,
    so `.data` of a result cannot be changed.
    """

    __slots__ = ("_reached",)
    requires_grad = True  # every Value takes part, as in micrograd
    _keep = True  # and every Value keeps its gradient, intermediate ones included

    def __new__(cls, data: float, label: str = "") -> Value:
        v = cls._make(cls, _number(data), None, (), (), None, ())
        v.label = label
        return v

    def __reduce__(self) -> tuple:
        """Copies and pickles are leaves with the same number and label."""
        return (type(self), (self._data, self.label))

    @staticmethod
    def _make(
        cls: type, data: Any, prim: Any, inputs: tuple, raw: tuple, kwargs: dict | None,
        others: tuple,
    ) -> Value:
        """Make a node and set every field: the one place, for leaves and results alike."""
        v = object.__new__(cls)
        v._data = data
        v.grad = 0.0
        v.label = ""
        v._inputs = inputs
        v._args = raw
        v._kwargs = kwargs
        v._prim = prim
        v._reached = False
        return v

    def _share_version(self, raw: tuple, nodes: tuple) -> None:
        """Floats are never shared: nothing to do (see Tensor._share_version)."""

    def _set_data(self, data: float) -> None:
        if self._prim is not None:
            raise RuntimeError(
                f"cannot change .data of a Value made by {self._prim.name!r}: its rule reads "
                "that number in backward. Change leaves (the Values you made) only"
            )
        self._data = _number(data)

    data = property(attrgetter("_data"), _set_data, doc="The number (a float).")

    @property
    def has_grad(self) -> bool:
        """True once a backward pass has reached this value (its 0.0 is then a real zero)."""
        return self._reached

    def backward(self) -> None:
        """Set this value's gradient seed to 1 and fill `.grad` of everything it depends on."""
        backward(self, 1.0)

    # operators: a number or a Value on either side
    __add__, __radd__ = _operator(_add, "__add__"), _operator(_add, "__radd__")
    __sub__, __rsub__ = _operator(_sub, "__sub__"), _operator(_sub, "__rsub__")
    __mul__, __rmul__ = _operator(_mul, "__mul__"), _operator(_mul, "__rmul__")
    __truediv__ = _operator(_div, "__truediv__")
    __rtruediv__ = _operator(_div, "__rtruediv__")
    __pow__, __rpow__ = _operator(_pow, "__pow__"), _operator(_pow, "__rpow__")

    def __neg__(self) -> Value:
        return _neg(self)

    def relu(self) -> Value:
        """max(0, x); derivative 1 for x > 0, else 0."""
        return _relu(self)

    def tanh(self) -> Value:
        """Hyperbolic tangent; derivative 1 - tanh(x)**2."""
        return _tanh(self)

    def sigmoid(self) -> Value:
        """1 / (1 + exp(-x)), computed without overflow; derivative s (1 - s)."""
        return _sigmoid(self)

    def exp(self) -> Value:
        """e**x; derivative e**x."""
        return _exp(self)

    def log(self) -> Value:
        """Natural logarithm of a positive value; derivative 1 / x."""
        return _log(self)

    # Comparisons compare data (plain bools), so Values sort and test like numbers. A type that
    # is neither a number nor a Value gets NotImplemented: Python then decides (== is False).
    def __eq__(self, other: object) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self._data == o

    def __ne__(self, other: object) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self._data != o

    def __lt__(self, other: Any) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self._data < o

    def __le__(self, other: Any) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self._data <= o

    def __gt__(self, other: Any) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self._data > o

    def __ge__(self, other: Any) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self._data >= o

    __hash__ = Node.__hash__  # identity, whatever the number: graphs, dicts and sets rely on it

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label})"


def _compared(x: Any) -> Any:
    """The number a comparison reads: a Value's data, a real number itself, else None."""
    if isinstance(x, Value):
        return x._data
    if isinstance(x, Real):
        return x
    return None


def _number(data: Any) -> float:
    """A real number as a float; anything else is refused."""
    if not isinstance(data, Real) or isinstance(data, Value):
        raise TypeError(f"Value data must be a real number, got {type(data).__name__}: {data!r}")
    return float(data)
