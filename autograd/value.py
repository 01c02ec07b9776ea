"""`Value`: a scalar node, micrograd's teaching type, on the shared graph core.

    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = (a * b + a).tanh()
    >>> c.backward()
    >>> round(a.grad, 6), round(b.grad, 6)
    (-0.002682, 0.002682)

Every operation is a `primitive` on Python floats with its derivative beside it. The rules are
written with operators and these primitives only (never `math` on an argument), so the same rule
runs on floats in a plain backward and on Values under `backward(create_graph=True)`, where it
is recorded: derivatives of derivatives.
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
from autograd.mode import MODE, TRACE, TRACER, TracingError, concrete
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


@primitive(name="**", aliases=False)
def _fpow(x: float, y: float) -> float:
    """x ** y with C's (and PyTorch's) results where Python raises: 0.0 ** -0.5 is inf, an
    overflow is inf, a negative base to a fractional power is nan. Used by the rules, which must
    never raise a Python math exception in the middle of backward; a primitive (with pow's
    rules) so that a rule that uses it can be differentiated again."""
    try:
        out = x**y
    except (ZeroDivisionError, OverflowError):
        with np.errstate(all="ignore"):
            return float(np.power(np.float64(x), np.float64(y)))
    return math.nan if out.__class__ is complex else out


def _pow_base_vjp(g: Any, out: Any, x: Any, y: Any) -> Any:
    """d/dx x**y = y x**(y-1), and 0 where y == 0 (PyTorch's value, not 0 * inf)."""
    return 0.0 if y == 0.0 else g * y * _fpow(x, y - 1.0)


def _pow_exponent_vjp(g: Any, out: Any, x: Any, y: Any) -> Any:
    """d/dy x**y = x**y log x: 0 where x == 0 and y >= 0, nan for a negative base (as PyTorch)."""
    if x == 0.0:
        return 0.0 if y >= 0.0 else g * -math.inf * out
    if x < 0.0:
        return math.nan
    return g * out * _log(x)


_pow.defvjp(_pow_base_vjp, _pow_exponent_vjp)
_fpow.defvjp(_pow_base_vjp, _pow_exponent_vjp)


@primitive(name="relu", aliases=False)
def _relu(x: float) -> float:
    return 0.0 if x < 0.0 else x  # PyTorch's: -0.0 and nan pass through


_relu.defvjp(lambda g, out, x: 0.0 if x <= 0.0 else g)  # PyTorch's: nan passes g


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


# --- helpers for the rules: primitives, so that the rules that use them record -----------------


@primitive(name="/", aliases=False)
def _qdiv(x: float, y: float) -> float:
    """x / y with IEEE results where Python raises: ±inf for a number over zero, nan for 0 / 0.
    The rules divide with it where a divisor can be 0 (sqrt's at 0, log1p's at -1)."""
    try:
        return x / y
    except ZeroDivisionError:
        with np.errstate(all="ignore"):
            return float(np.float64(x) / np.float64(y))


# -g (x / y) / y, PyTorch's order, quiet in turn.
_qdiv.defvjp(lambda g, out, x, y: _qdiv(g, y), lambda g, out, x, y: -g * _qdiv(out, y))


@primitive(name="copy", aliases=False)
def _copy(x: float) -> float:
    """The same number in a new node; the gradient passes unchanged. A transform's fresh
    variable (`grad` inside `grad`), and a gradient handed out under create_graph."""
    return x


_copy.defvjp(lambda g, out, x: g)


@primitive(name="sqrt", aliases=False)
def _sqrt(x: float) -> float:
    if x < 0.0:
        raise ValueError(f"Value.sqrt needs a number >= 0, got {x}")
    return math.sqrt(x)


# 1 / (2 sqrt(x)), PyTorch's order: inf at 0 (-inf at -0), never a ZeroDivisionError.
_sqrt.defvjp(lambda g, out, x: _qdiv(g, 2.0 * out))


_abs = primitive(abs, name="abs", aliases=False)


def _abs_vjp(g: Any, out: Any, x: Any) -> Any:
    """sign(x) g, with sign 0 at 0 and at nan (PyTorch's sgn; 0 * g, so an inf g gives nan)."""
    if x > 0.0:
        return g
    if x < 0.0:
        return -g
    return g * 0.0


_abs.defvjp(_abs_vjp)


@primitive(name="sin", aliases=False)
def _sin(x: float) -> float:
    if math.isinf(x):  # nan goes through as nan
        raise ValueError(f"Value.sin needs a finite number, got {x}")
    return math.sin(x)


@primitive(name="cos", aliases=False)
def _cos(x: float) -> float:
    if math.isinf(x):
        raise ValueError(f"Value.cos needs a finite number, got {x}")
    return math.cos(x)


_sin.defvjp(lambda g, out, x: g * _cos(x))
_cos.defvjp(lambda g, out, x: g * -_sin(x))


@primitive(name="log1p", aliases=False)
def _log1p(x: float) -> float:
    if x <= -1.0:
        if x == -1.0:
            return -math.inf  # log(0), as PyTorch (math.log1p raises)
        raise ValueError(f"Value.log1p needs a number >= -1, got {x}")
    return math.log1p(x)


# 1 / (1 + x), PyTorch's order: inf at -1, never a ZeroDivisionError.
_log1p.defvjp(lambda g, out, x: _qdiv(g, x + 1.0))


@primitive(name="softplus", aliases=False)
def _softplus(x: float, *, beta: float, threshold: float) -> float:
    bx = x * beta
    if bx > threshold:
        return x
    if bx > 0.0:  # log1p(exp(bx)) as bx + log1p(exp(-bx)): exp never overflows
        return (bx + math.log1p(math.exp(-bx))) / beta
    return math.log1p(math.exp(bx)) / beta


def _softplus_vjp(g: Any, out: Any, x: Any, *, beta: float, threshold: float) -> Any:
    """sigmoid(beta x) g, and g above the threshold. At the threshold itself PyTorch's second
    derivative is 0 (its double backward tests bx < threshold): there the factor is a constant."""
    bx = x * beta
    if bx > threshold:
        return g
    if bx == threshold:
        return g * _sigmoid(threshold)
    return g * _sigmoid(bx)


_softplus.defvjp(_softplus_vjp)


@primitive(name="leaky_relu", aliases=False)
def _leaky_relu(x: float, *, negative_slope: float) -> float:
    return x if x > 0.0 else x * negative_slope


_leaky_relu.defvjp(lambda g, out, x, negative_slope: g if x > 0.0 else g * negative_slope)


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
    value (0.0 until a backward reaches it; gradients accumulate across backward calls). After
    `backward(create_graph=True)` `.grad` is itself a Value, with a graph that can be
    differentiated again.

    Comparisons (`==`, `<`, ...) compare the numbers, with a number or another Value; hashing
    stays by identity, so two Values that hold the same number are still two keys of a dict
    (the graph keeps its nodes in dicts and sets).

    A Value needs no version counter: its rules read the floats captured when the operation was
    recorded, and floats cannot change, so `v.data = 3.0` on a leaf after a forward leaves the
    recorded graph (and its gradients) as they were. A result's own number is read by its rule,
    so `.data` of a result cannot be changed.
    """

    __slots__ = ("_reached",)
    _reached: bool
    requires_grad = True  # every Value takes part, as in micrograd
    _keep = True  # and every Value keeps its gradient, intermediate ones included

    def __new__(cls, data: float, label: str = "") -> Value:
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}: {label!r}")
        v = cls._make(cls, _number(data), None, (), (), None, ())
        v.label = label
        if MODE.get() & TRACE:  # made inside a function autograd.jit traces
            TRACER.get().leaf(v, data, None)
        return v

    def __reduce__(self) -> tuple[Any, ...]:
        """Copies and pickles are leaves with the same number and label."""
        return (type(self), (self._data, self.label))

    @staticmethod
    def _make(
        cls: type,
        data: Any,
        prim: Any,
        inputs: tuple[Any, ...],
        raw: tuple[Any, ...],
        kwargs: dict[str, Any] | None,
        others: tuple[Any, ...],
    ) -> Value:
        """Make a node and set every field: the one place, for leaves and results alike."""
        v: Value = object.__new__(cls)
        v._data = data
        v._grad = 0.0
        v.label = ""
        v._inputs = inputs
        v._args = raw
        v._kwargs = kwargs
        v._prim = prim
        v._reached = False
        return v

    def _share_version(self, raw: tuple[Any, ...], nodes: tuple[Any, ...]) -> None:
        """Floats are never shared: nothing to do (see Tensor._share_version)."""

    def _set_data(self, data: float) -> None:
        if MODE.get() & TRACE:
            raise TracingError(
                "assigning .data inside a function traced by autograd.jit cannot be replayed; "
                "update the parameters outside the function (p.data -= lr * p.grad after it)"
            )
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

    def backward(self, create_graph: bool = False) -> None:
        """Set this value's gradient seed to 1 and fill `.grad` of everything it depends on.

        With `create_graph`, the rules run on Values and are recorded: each `.grad` reached is
        a Value whose own `backward()` gives second derivatives.

        >>> x = Value(3.0)
        >>> (x ** 3).backward(create_graph=True)
        >>> dx = x.grad  # 3 x**2, a Value
        >>> x.grad = 0.0
        >>> dx.backward()
        >>> dx.data, x.grad
        (27.0, 18.0)
        """
        if create_graph:
            backward(self, 1.0, create_graph=True)
        else:
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
        """max(0, x); derivative 1 for x > 0, else 0 (nan passes through, as in PyTorch)."""
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

    def sqrt(self) -> Value:
        """Square root of a value >= 0; derivative 1 / (2 sqrt(x)), inf at 0 (as PyTorch)."""
        return _sqrt(self)

    def abs(self) -> Value:
        """|x|, also as `abs(v)`; derivative sign(x), 0 at 0 (as PyTorch)."""
        return _abs(self)

    __abs__ = abs

    def sin(self) -> Value:
        """Sine of a finite value; derivative cos(x)."""
        return _sin(self)

    def cos(self) -> Value:
        """Cosine of a finite value; derivative -sin(x)."""
        return _cos(self)

    def log1p(self) -> Value:
        """log(1 + x) for x >= -1, exact for small x (-inf at -1, as PyTorch); derivative
        1 / (1 + x)."""
        return _log1p(self)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Value:
        """PyTorch's softplus: log(1 + exp(beta x)) / beta, computed without overflow, and x
        itself where beta x > threshold; derivative sigmoid(beta x), 1 above the threshold."""
        beta = _setting("softplus", "beta", beta)
        if beta == 0.0:
            raise ValueError("softplus: beta must not be 0 (the result divides by it)")
        threshold = _setting("softplus", "threshold", threshold)
        return _softplus(self, beta=beta, threshold=threshold)

    def leaky_relu(self, negative_slope: float = 0.01) -> Value:
        """x for x > 0, else negative_slope * x (PyTorch's); derivative 1 for x > 0, else
        negative_slope (at 0 too)."""
        negative_slope = _setting("leaky_relu", "negative_slope", negative_slope)
        return _leaky_relu(self, negative_slope=negative_slope)

    def __float__(self) -> float:
        """The number: `float(v)` is `v.data`."""
        concrete("float(v)")
        return self._data

    def __round__(self, ndigits: int | None = None) -> float | int:
        """`round(v, n)` is `round(v.data, n)`: a plain number for display, not recorded (it has
        no useful derivative)."""
        concrete("round(v)")
        return round(self._data, ndigits)

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
        return f"Value(data={self._data:.6g}, grad={self.grad:.6g}{label})"


def _compared(x: Any) -> Any:
    """The number a comparison reads: a Value's data, a real number itself, else None."""
    concrete("comparing Values")
    if isinstance(x, Value):
        return x._data
    if isinstance(x, Real):
        return x
    return None


def _setting(op: str, name: str, value: Any) -> float:
    """A real-number setting of an op as a float; anything else is refused, naming both."""
    if not isinstance(value, Real) or isinstance(value, bool):
        what = f"{type(value).__name__}: {value!r}"
        raise TypeError(f"{op}: {name} must be a real number, got {what}")
    return float(value)


def _number(data: Any) -> float:
    """A real number as a float; anything else is refused."""
    if not isinstance(data, Real) or isinstance(data, Value):
        raise TypeError(f"Value data must be a real number, got {type(data).__name__}: {data!r}")
    return float(data)
