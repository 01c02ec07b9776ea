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
from typing import Any

from autograd.graph import Node, backward
from autograd.primitive import Primitive, primitive

# --- primitives on floats: forward, then d(out)/d(input) times the output gradient g -----------
# Where Python has the operator as a function, it is the forward: no Python frame in between.


_add = primitive(operator.add, name="+")
_add.defvjp(lambda g, out, x, y: g, lambda g, out, x, y: g)


_sub = primitive(operator.sub, name="-")
_sub.defvjp(lambda g, out, x, y: g, lambda g, out, x, y: -g)


_mul = primitive(operator.mul, name="*")
_mul.defvjp(lambda g, out, x, y: g * y, lambda g, out, x, y: g * x)


@primitive(name="/")
def _div(x: float, y: float) -> float:
    if y == 0.0:
        raise ZeroDivisionError(f"Value division by zero ({x} / 0.0)")
    return x / y


_div.defvjp(lambda g, out, x, y: g / y, lambda g, out, x, y: -g * x / (y * y))


_neg = primitive(operator.neg, name="neg")
_neg.defvjp(lambda g, out, x: -g)


@primitive(name="**")
def _pow(x: float, y: float) -> float:
    out = x**y
    if out.__class__ is complex:  # a negative base to a fractional power
        raise ValueError(f"Value power {x} ** {y} is not a real number")
    return out


# d/dx x**y = y x**(y-1); d/dy x**y = x**y log x (only asked for when the exponent is a Value).
_pow.defvjp(lambda g, out, x, y: g * y * x ** (y - 1), lambda g, out, x, y: g * out * math.log(x))


@primitive(name="relu")
def _relu(x: float) -> float:
    return x if x > 0.0 else 0.0


_relu.defvjp(lambda g, out, x: g if x > 0.0 else 0.0)


@primitive(name="tanh")
def _tanh(x: float) -> float:
    return math.tanh(x)


_tanh.defvjp(lambda g, out, x: g * (1.0 - out * out))


@primitive(name="sigmoid")
def _sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # never overflows for x < 0
    return e / (1.0 + e)


_sigmoid.defvjp(lambda g, out, x: g * out * (1.0 - out))


@primitive(name="exp")
def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"Value.exp overflows for {x}") from None


_exp.defvjp(lambda g, out, x: g * out)


@primitive(name="log")
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
    """

    __slots__ = ("_reached",)
    requires_grad = True  # every Value takes part, as in micrograd
    _keep = True  # and every Value keeps its gradient, intermediate ones included

    def __init__(self, data: float, label: str = "") -> None:
        if not isinstance(data, Real) or isinstance(data, Value):
            raise TypeError(
                f"Value data must be a real number, got {type(data).__name__}: {data!r}"
            )
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self._inputs = ()
        self._args = ()
        self._kwargs = None
        self._prim = None
        self._g = None
        self._n = 0
        self._reached = False

    @classmethod
    def _from_op(
        cls, out: Any, inputs: tuple, args: tuple, prim: Any, kwargs: dict | None
    ) -> Value:
        v = cls.__new__(cls)
        v.data = out
        v.grad = 0.0
        v.label = ""
        v._inputs = inputs
        v._args = args
        v._kwargs = kwargs
        v._prim = prim
        v._g = None
        v._n = 0
        v._reached = False
        return v

    def _store_grad(self, g: float) -> None:
        self.grad += g
        self._reached = True

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

    # comparisons compare data (plain bools), so Values sort and test like numbers
    def __lt__(self, other: Any) -> bool:
        return self.data < _data(other)

    def __le__(self, other: Any) -> bool:
        return self.data <= _data(other)

    def __gt__(self, other: Any) -> bool:
        return self.data > _data(other)

    def __ge__(self, other: Any) -> bool:
        return self.data >= _data(other)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label})"


def _data(x: Any) -> float:
    return x.data if isinstance(x, Value) else x
