"""The Tensor primitives: each forward on numpy arrays with its vector-Jacobian products beside it.

Positional arguments are data (Tensors, or constant arrays and numbers); settings such as
`axis`, `shape` or `index` are keyword arguments. Rules receive the output gradient `g`, the
output `out`, the inputs and the settings. In a plain backward
these are numpy arrays; under `create_graph=True` they are Tensors, so every rule is written with
operators, methods that ndarray and Tensor share, numpy ufuncs (which Tensor implements) and the
primitives of this module (which return plain arrays when given plain arrays). Gradients of
broadcast operands come back in the broadcast shape; the backward driver sums them down.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd.primitive import primitive

Axis = int | tuple[int, ...] | None


# --- broadcasting ----------------------------------------------------------------------------


def _sum_to_axes(shape: tuple[int, ...], target: tuple[int, ...]) -> tuple[int, ...] | None:
    """Axes of `shape` to sum so that it becomes `target`; None if `target` does not broadcast."""
    lead = len(shape) - len(target)
    if lead < 0:
        return None
    axes = list(range(lead))
    for i, n in enumerate(target):
        m = shape[lead + i]
        if n == 1 and m != 1:
            axes.append(lead + i)
        elif n != m and n != 1:
            return None
    return tuple(axes)


_BOOL = np.dtype(bool)
# np.add.reduce, untyped: numpy's stubs overload `keepdims` on Literal[True] / Literal[False]
# and accept no plain bool
_add_reduce: Any = np.add.reduce


def _numeric(x: Any, name: str) -> np.ndarray:
    """Array-like data as an array of real numbers, or a TypeError naming the op."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name}: expected real numbers, got {type(x).__name__} of dtype {arr.dtype}"
        )
    return arr


@primitive
def sum_to(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `x` down to `shape`: the reverse of broadcasting `shape` up to `x.shape`."""
    if x.shape == shape:
        return x
    axes = _sum_to_axes(x.shape, shape)
    if axes is None:
        raise ValueError(f"cannot sum shape {x.shape} down to shape {shape}")
    return _add_reduce(x, axis=axes).reshape(shape)


@primitive(aliases=False)
def broadcast_to(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """`x` repeated along broadcast axes to `shape` (a new array: np.broadcast_to's view costs
    more to make than this copy at the sizes gradients usually have)."""
    out = np.empty(shape, dtype=x.dtype if hasattr(x, "dtype") else np.result_type(x))
    out[...] = x
    return out


sum_to.defvjp(lambda g, out, x, shape: broadcast_to(g, shape=np.shape(x)))
broadcast_to.defvjp(lambda g, out, x, shape: sum_to(g, shape=np.shape(x)))


@primitive(aliases=False)
def astype(x: np.ndarray, dtype: Any) -> np.ndarray:
    """Cast to another floating dtype; the gradient is cast back."""
    return x.astype(dtype)


astype.defvjp(lambda g, out, x, dtype: astype(g, dtype=x.dtype))


@primitive(aliases=False)
def copy(x: np.ndarray) -> np.ndarray:
    """A new array with the same values; the gradient passes unchanged."""
    return np.array(x, copy=True)


copy.defvjp(lambda g, out, x: g)


@primitive(aliases=False)
def zeros_like(x: np.ndarray) -> np.ndarray:
    """Zeros of x's shape and dtype: the gradient of a piecewise-constant op."""
    return np.zeros_like(x)


zeros_like.defvjp(lambda g, out, x: zeros_like(g))


# --- arithmetic ------------------------------------------------------------------------------
# Where numpy has the ufunc, the ufunc itself is the forward: no Python frame in between.

add = primitive(np.add, name="+", aliases=False)
add.defvjp(lambda g, out, x, y: g, lambda g, out, x, y: g)


subtract = primitive(np.subtract, name="-", aliases=False)
subtract.defvjp(lambda g, out, x, y: g, lambda g, out, x, y: -g)


multiply = primitive(np.multiply, name="*", aliases=False)
multiply.defvjp(lambda g, out, x, y: g * y, lambda g, out, x, y: g * x)


divide = primitive(np.divide, name="/", aliases=False)
# -g x / y**2 as -g (x / y) / y, PyTorch's order: y * y underflows to 0 for tiny y.
divide.defvjp(lambda g, out, x, y: g / y, lambda g, out, x, y: -g * out / y)


negative = primitive(np.negative, name="neg", aliases=False)
negative.defvjp(lambda g, out, x: -g)


power = primitive(np.power, name="**", aliases=False)


def _power_base_vjp(g: Any, out: Any, x: Any, y: Any) -> Any:
    """d/dx x**y = y x**(y-1), and 0 where y == 0 (PyTorch's value; the formula gives 0 * inf
    at x == 0)."""
    d = y * x ** (y - 1)
    if y.__class__ in (int, float):  # a constant exponent, the usual case
        return g * d if y != 0 else g * 0.0
    return g * where(y == 0, 0.0, d)


def _power_exponent_vjp(g: Any, out: Any, x: Any, y: Any) -> Any:
    """d/dy x**y = x**y log x, and 0 where x == 0 and y >= 0 (PyTorch's convention)."""
    with np.errstate(divide="ignore", invalid="ignore"):  # log of 0 and of negatives
        return g * where((x == 0) & (y >= 0), 0.0, out * np.log(x))


power.defvjp(_power_base_vjp, _power_exponent_vjp)


matmul = primitive(np.matmul, name="@", aliases=False)


def _matmul_vjp(argnum: int, g: Any, out: Any, x: Any, y: Any) -> Any:
    """g @ y^T for x, x^T @ g for y, with numpy's 1-D promotions undone."""
    if x.ndim >= 2 and y.ndim >= 2:
        return g @ y.swapaxes(-1, -2) if argnum == 0 else x.swapaxes(-1, -2) @ g
    # treat a 1-D x as a row (1, k) and a 1-D y as a column (k, 1), as numpy does
    x2 = x.reshape((1,) + x.shape) if x.ndim == 1 else x
    y2 = y.reshape(y.shape + (1,)) if y.ndim == 1 else y
    g2 = g
    if x.ndim == 1:
        g2 = g2.reshape(g2.shape[:-1] + (1,) + g2.shape[-1:]) if y.ndim >= 2 else g2.reshape((1,))
    if y.ndim == 1:
        g2 = g2.reshape(g2.shape + (1,))
    if argnum == 0:
        gx = g2 @ y2.swapaxes(-1, -2)
        return gx.reshape(gx.shape[:-2] + gx.shape[-1:]) if x.ndim == 1 else gx
    gy = x2.swapaxes(-1, -2) @ g2
    return gy.reshape(gy.shape[:-1]) if y.ndim == 1 else gy


matmul.defvjp_argnum(_matmul_vjp)


@primitive(aliases=False)
def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """x @ weight.T + bias in one node: a fully connected layer (weight is (out, in)).

    Fused because it is the workhorse of every network: one node instead of three, and no
    gradient for x when x is data.
    """
    if not isinstance(x, np.ndarray) or not isinstance(weight, np.ndarray):
        raise TypeError(
            f"linear: x and weight must be Tensors or arrays, got {type(x).__name__} and "
            f"{type(weight).__name__} (autograd.linear converts array-like data)"
        )
    if weight.ndim != 2 or x.shape[-1:] != weight.shape[1:]:
        raise ValueError(
            f"input of shape {x.shape} does not fit weight of shape {weight.shape} "
            f"(needs x.shape[-1] == weight.shape[1])"
        )
    out = x @ weight.T
    if bias is None:
        return out
    if bias.shape != weight.shape[:1]:
        raise ValueError(
            f"bias of shape {bias.shape} does not fit weight of shape {weight.shape} "
            f"(needs ({weight.shape[0]},))"
        )
    if getattr(bias, "dtype", None) == out.dtype:
        out += bias  # the product is a fresh array: add in place
        return out
    return out + bias


def _rows(a: Any) -> Any:
    """All leading axes flattened: (..., n) -> (m, n)."""
    return a.reshape((-1, a.shape[-1]))


def _linear_weight_vjp(g: Any, out: Any, x: Any, weight: Any, bias: Any = None) -> Any:
    """g^T x, summed over every leading (batch) axis."""
    if g.ndim == 2 and x.ndim == 2:
        return g.T @ x
    return _rows(g).T @ _rows(x)


def _linear_bias_vjp(g: Any, out: Any, x: Any, weight: Any, bias: Any = None) -> Any:
    """g summed over every leading (batch) axis."""
    return _add_reduce(g if g.ndim == 2 else _rows(g), axis=0)


linear.defvjp(lambda g, out, x, weight, bias=None: g @ weight, _linear_weight_vjp, _linear_bias_vjp)


@primitive(aliases=False)
def maximum(x: Any, y: Any) -> np.ndarray:
    """Elementwise maximum; at ties each input gets half the gradient (as in PyTorch)."""
    if x.__class__ is not np.ndarray or y.__class__ is not np.ndarray:
        x, y = _numeric(x, "maximum"), _numeric(y, "maximum")
    return np.maximum(x, y)


# Written as 1 - (loses) - 0.5 (ties), so that a nan comparison passes the gradient, as PyTorch.
maximum.defvjp(
    lambda g, out, x, y: g * (1.0 - (x < y) - 0.5 * (x == y)),
    lambda g, out, x, y: g * (1.0 - (y < x) - 0.5 * (x == y)),
)


@primitive(aliases=False)
def minimum(x: Any, y: Any) -> np.ndarray:
    """Elementwise minimum; at ties each input gets half the gradient (as in PyTorch)."""
    if x.__class__ is not np.ndarray or y.__class__ is not np.ndarray:
        x, y = _numeric(x, "minimum"), _numeric(y, "minimum")
    return np.minimum(x, y)


minimum.defvjp(
    lambda g, out, x, y: g * (1.0 - (x > y) - 0.5 * (x == y)),
    lambda g, out, x, y: g * (1.0 - (y > x) - 0.5 * (x == y)),
)


@primitive(aliases=False)
def where(cond: Any, x: Any, y: Any) -> np.ndarray:
    """numpy's where; `cond` is a constant boolean array and receives no gradient."""
    if getattr(cond, "dtype", None) is not _BOOL:
        c = np.asarray(cond)
        if c.dtype is not _BOOL:
            raise TypeError(f"where: cond must be boolean, got dtype {c.dtype}")
    return np.where(cond, x, y)


where.defvjp(
    None,
    lambda g, out, cond, x, y: where(cond, g, 0.0),
    lambda g, out, cond, x, y: where(cond, 0.0, g),
)


# --- elementwise functions -------------------------------------------------------------------


exp = primitive(np.exp, aliases=False)
exp.defvjp(lambda g, out, x: g * out)


log = primitive(np.log, aliases=False)
log.defvjp(lambda g, out, x: g / x)


sqrt = primitive(np.sqrt, aliases=False)
sqrt.defvjp(lambda g, out, x: g / (2.0 * out))


@primitive(name="abs", aliases=False)
def absolute(x: np.ndarray) -> np.ndarray:
    """|x|; the derivative sign(x) is 0 at 0 and at nan, as in PyTorch."""
    return np.abs(x)


@primitive(aliases=False)
def sgn(x: np.ndarray) -> np.ndarray:
    """-1, 0 or 1, and 0 at nan: PyTorch's sgn, the derivative of |x| (its own derivative is 0)."""
    return np.where(x == x, np.sign(x), 0.0)  # x == x is False only at nan


sgn.defvjp(lambda g, out, x: zeros_like(g))
# plain arrays inline (a backward without create_graph, the usual case); Tensors through sgn
absolute.defvjp(
    lambda g, out, x: (
        g * (np.where(x == x, np.sign(x), 0.0) if x.__class__ is np.ndarray else sgn(x))
    )
)


tanh = primitive(np.tanh, aliases=False)
tanh.defvjp(lambda g, out, x: g * (1.0 - out * out))


@primitive(aliases=False)
def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) as exp(-log(1 + exp(-x))): no overflow at any x."""
    return np.exp(-np.logaddexp(0.0, -x)).astype(x.dtype, copy=False)


sigmoid.defvjp(lambda g, out, x: g * out * (1.0 - out))


@primitive(aliases=False)
def relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0); the derivative is 0 for x <= 0 and 1 elsewhere, nan included (as PyTorch)."""
    return np.maximum(x, 0.0)


# out != 0 holds where x > 0 and where x is nan (relu passes nan on): one comparison.
relu.defvjp(lambda g, out, x: g * (out != 0))


@primitive(aliases=False)
def clip(x: np.ndarray, lo: Any = None, hi: Any = None) -> np.ndarray:
    """numpy's clip; the gradient passes where lo <= x <= hi (bounds included, as in PyTorch)."""
    return np.clip(x, lo, hi)


def _inside(x: Any, lo: Any, hi: Any) -> Any:
    mask = np.ones(np.shape(x), dtype=bool)
    if lo is not None:
        mask &= x >= lo
    if hi is not None:
        mask &= x <= hi
    return mask


clip.defvjp(lambda g, out, x, lo=None, hi=None: g * _inside(x, lo, hi))


# --- reductions ------------------------------------------------------------------------------


def _expand(g: Any, shape: tuple[int, ...], axis: tuple[int, ...] | None, keepdims: bool) -> Any:
    """Give a reduced gradient back the reduced axes (as size 1), ready to broadcast."""
    if keepdims or axis is None:
        return g
    kept = list(shape)
    for a in axis:
        kept[a] = 1
    return g.reshape(tuple(kept))


@primitive(name="sum", aliases=False)
def sum_(x: np.ndarray, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> np.ndarray:
    return _add_reduce(x, axis=axis, keepdims=keepdims)


sum_.defvjp(
    lambda g, out, x, axis=None, keepdims=False: broadcast_to(
        _expand(g, x.shape, axis, keepdims), shape=x.shape
    )
)


@primitive(aliases=False)
def mean(x: np.ndarray, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> np.ndarray:
    if x.size == 0:
        return np.mean(x, axis=axis, keepdims=keepdims)
    total = _add_reduce(x, axis=axis, keepdims=keepdims)
    return total / (x.size // np.size(total))


mean.defvjp(
    lambda g, out, x, axis=None, keepdims=False: broadcast_to(
        _expand(g, x.shape, axis, keepdims) / (x.size // max(out.size, 1)), shape=x.shape
    )
)


def _extremum_vjp(g: Any, out: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The gradient goes to the extreme elements, shared equally between ties (as torch.amax)."""
    mask = x == _expand(out, x.shape, axis, keepdims)
    count = mask.sum(axis=axis, keepdims=True)
    return _expand(g, x.shape, axis, keepdims) * (mask / count)


@primitive(name="max", aliases=False)
def max_(x: np.ndarray, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> np.ndarray:
    return np.max(x, axis=axis, keepdims=keepdims)


@primitive(name="min", aliases=False)
def min_(x: np.ndarray, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> np.ndarray:
    return np.min(x, axis=axis, keepdims=keepdims)


max_.defvjp(_extremum_vjp)
min_.defvjp(_extremum_vjp)


def _stable_max(x: np.ndarray, axis: Any) -> np.ndarray:
    """max over `axis` (kept), with infinities replaced by 0 so that x - max stays finite."""
    m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)  # -inf over an empty axis
    return np.where(np.isfinite(m), m, 0.0)


def _logsumexp_kept(x: np.ndarray, axis: Any) -> np.ndarray:
    """log(sum(exp(x))) over `axis` (kept), computed around the maximum: ±1000 stays finite."""
    m = _stable_max(x, axis)
    with np.errstate(divide="ignore"):  # all -inf along the axis: log(0) = -inf is the answer
        return np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m


@primitive(aliases=False)
def logsumexp(
    x: np.ndarray, axis: tuple[int, ...] | None = None, keepdims: bool = False
) -> np.ndarray:
    """log(sum(exp(x))) computed around the maximum, so ±1000 stays finite."""
    out = _logsumexp_kept(x, axis)
    return out if keepdims else np.squeeze(out, axis=axis)


logsumexp.defvjp(
    lambda g, out, x, axis=None, keepdims=False: (
        _expand(g, x.shape, axis, keepdims) * np.exp(x - _expand(out, x.shape, axis, keepdims))
    )
)


def _along(ufunc: np.ufunc, x: np.ndarray, axis: int) -> np.ndarray:
    """`ufunc.reduce(x, axis=axis, keepdims=True)`, sooner for short rows: numpy reduces the
    short last axis of a C-contiguous matrix row by row, while over the first axis of the
    transposed copy it runs along whole rows (about 4x sooner for 10 classes of 128 samples).
    A Tensor (a rule's sum under create_graph) takes its recorded method."""
    if x.__class__ is not np.ndarray:
        return x.sum(axis=axis, keepdims=True)  # (only rules, which sum, see Tensors)
    if (
        x.ndim == 2
        and (axis == -1 or axis == 1)
        and 0 < x.shape[1] <= 32 <= x.shape[0]
        and x.flags.c_contiguous
    ):
        return ufunc.reduce(x.T.copy(), axis=0)[:, None]
    return ufunc.reduce(x, axis=axis, keepdims=True)


@primitive(aliases=False)
def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x) / sum(exp(x)) along `axis`, shifted by the maximum for stability.

    A row that holds +inf or nan, or only -inf, gives nan, as in PyTorch.
    """
    with np.errstate(invalid="ignore"):
        e = np.exp(x - _along(np.maximum, x, axis))
        return e / _along(np.add, e, axis)


softmax.defvjp(lambda g, out, x, axis=-1: out * (g - _along(np.add, g * out, axis)))


@primitive(aliases=False)
def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """x - max - log(sum(exp(x - max))) along `axis`: finite even for logits of ±1000.

    A row that holds +inf or nan, or only -inf, gives nan, as in PyTorch; -inf entries among
    finite ones give -inf (masked logits).
    """
    with np.errstate(invalid="ignore", over="ignore"):  # -1e308 - 1e308 is -inf: right
        shifted = x - _along(np.maximum, x, axis)
        return shifted - np.log(_along(np.add, np.exp(shifted), axis))


log_softmax.defvjp(lambda g, out, x, axis=-1: g - np.exp(out) * _along(np.add, g, axis))


# --- shape -----------------------------------------------------------------------------------


@primitive
def reshape(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return np.reshape(x, shape)


reshape.defvjp(lambda g, out, x, shape: g.reshape(x.shape))


@primitive
def transpose(x: np.ndarray, axes: tuple[int, ...] | None = None) -> np.ndarray:
    return np.transpose(x, axes)


transpose.defvjp(
    lambda g, out, x, axes=None: g.transpose(None if axes is None else tuple(np.argsort(axes)))
)


def _has_int_array(index: Any) -> bool:
    """True if the index holds an integer array, where a position may repeat."""
    items = index if isinstance(index, tuple) else (index,)
    return any(
        isinstance(i, (list, np.ndarray)) and np.asarray(i).dtype.kind in "iu" for i in items
    )


@primitive(name="[]")
def getitem(x: np.ndarray, index: Any) -> np.ndarray:
    return x[index]


@primitive(name="index_add", aliases=False)
def index_add(g: np.ndarray, shape: tuple[int, ...], index: Any) -> np.ndarray:
    """A zero array of `shape` with `g` added at `index` (repeated positions add up)."""
    z = np.zeros(shape, dtype=g.dtype)
    if _has_int_array(index):
        np.add.at(z, index, g)
    else:
        z[index] = g
    return z


getitem.defvjp(lambda g, out, x, index: index_add(g, shape=x.shape, index=index))
index_add.defvjp(lambda g, out, gin, shape, index: getitem(g, index=index))


@primitive(aliases=False)
def concatenate(*xs: np.ndarray, axis: int = 0) -> np.ndarray:
    if not xs:
        raise ValueError("concatenate needs at least one tensor")
    return np.concatenate(xs, axis=axis)


def _concatenate_vjp(argnum: int, g: Any, out: Any, *xs: Any, axis: int = 0) -> Any:
    ax = axis % out.ndim
    start = sum(x.shape[ax] for x in xs[:argnum])
    return g[(slice(None),) * ax + (slice(start, start + xs[argnum].shape[ax]),)]


concatenate.defvjp_argnum(_concatenate_vjp)


@primitive(aliases=False)
def stack(*xs: np.ndarray, axis: int = 0) -> np.ndarray:
    if not xs:
        raise ValueError("stack needs at least one tensor")
    return np.stack(xs, axis=axis)


stack.defvjp_argnum(
    lambda argnum, g, out, *xs, axis=0: g[(slice(None),) * (axis % out.ndim) + (argnum,)]
)


# --- more elementwise functions: numpy's ufuncs, with PyTorch's derivative formulas ------------


def _ufunc(ufunc: np.ufunc, rule: Any) -> Any:
    """A primitive whose forward is the numpy ufunc itself, and its one rule."""
    return primitive(ufunc, aliases=False).defvjp(rule)


sin = _ufunc(np.sin, lambda g, out, x: g * np.cos(x))
cos = _ufunc(np.cos, lambda g, out, x: g * -np.sin(x))
tan = _ufunc(np.tan, lambda g, out, x: g * (1.0 + out * out))
arcsin = _ufunc(np.arcsin, lambda g, out, x: g / np.sqrt(1.0 - x * x))
arccos = _ufunc(np.arccos, lambda g, out, x: -g / np.sqrt(1.0 - x * x))
arctan = _ufunc(np.arctan, lambda g, out, x: g / (x * x + 1.0))
sinh = _ufunc(np.sinh, lambda g, out, x: g * np.cosh(x))
cosh = _ufunc(np.cosh, lambda g, out, x: g * np.sinh(x))
arcsinh = _ufunc(np.arcsinh, lambda g, out, x: g / np.sqrt(x * x + 1.0))
arccosh = _ufunc(np.arccosh, lambda g, out, x: g / np.sqrt(x * x - 1.0))
arctanh = _ufunc(np.arctanh, lambda g, out, x: g / (1.0 - x * x))
log1p = _ufunc(np.log1p, lambda g, out, x: g / (x + 1.0))
expm1 = _ufunc(np.expm1, lambda g, out, x: g * (out + 1.0))
log2 = _ufunc(np.log2, lambda g, out, x: g / (x * np.log(2.0)))
log10 = _ufunc(np.log10, lambda g, out, x: g / (x * np.log(10.0)))
exp2 = _ufunc(np.exp2, lambda g, out, x: g * out * np.log(2.0))
square = _ufunc(np.square, lambda g, out, x: g * 2.0 * x)
reciprocal = _ufunc(np.reciprocal, lambda g, out, x: -g * (out * out))

logaddexp = primitive(np.logaddexp, aliases=False).defvjp(
    lambda g, out, x, y: g / (np.exp(y - x) + 1.0),
    lambda g, out, x, y: g / (np.exp(x - y) + 1.0),
)


# atan2(y, x): d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2) (PyTorch's order: g x r), and 0
# where x^2 + y^2 is 0
def _arctan2_reciprocal(y: Any, x: Any) -> Any:
    d = x * x + y * y
    return 1.0 / where(d == 0, np.inf, d)


arctan2 = primitive(np.arctan2, aliases=False).defvjp(
    lambda g, out, y, x: g * x * _arctan2_reciprocal(y, x),
    lambda g, out, y, x: g * -y * _arctan2_reciprocal(y, x),
)


hypot = primitive(np.hypot, aliases=False).defvjp(
    lambda g, out, x, y: g * x / out, lambda g, out, x, y: g * y / out
)


def _step(ufunc: Any) -> Any:
    """A piecewise-constant function (floor, sign, ...): its gradient is zero everywhere, even
    for an infinite or nan output gradient (as PyTorch)."""
    return primitive(ufunc, aliases=False).defvjp(lambda g, out, x: zeros_like(g))


sign = _step(np.sign)
floor = _step(np.floor)
ceil = _step(np.ceil)
rint = _step(np.rint)
trunc = _step(np.trunc)


@primitive(name="round", aliases=False)
def round_(x: np.ndarray, decimals: int = 0) -> np.ndarray:
    """numpy's round (halves to even, as PyTorch); its gradient is zero."""
    return np.round(x, decimals)


round_.defvjp(lambda g, out, x, decimals=0: zeros_like(g))


# --- activations: PyTorch's definitions, edges included ----------------------------------------


@primitive(aliases=False)
def softplus(x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's softplus)."""
    bx = x * beta
    with np.errstate(invalid="ignore"):
        return np.where(bx > threshold, x, np.logaddexp(0.0, bx) / beta).astype(x.dtype, copy=False)


softplus.defvjp(
    lambda g, out, x, beta=1.0, threshold=20.0: where(
        x * beta > threshold, g, g * sigmoid(x * beta)
    )
)


def _erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise (numpy has none; Python's math.erf is exact to an ulp)."""
    return np.asarray(_ERF(x), dtype=np.result_type(x, np.float32))


_ERF = np.frompyfunc(math.erf, 1, 1)


@primitive(aliases=False)
def erf(x: np.ndarray) -> np.ndarray:
    """The error function; derivative 2 / sqrt(pi) exp(-x^2)."""
    return _erf(x)


erf.defvjp(lambda g, out, x: g * (2.0 / math.sqrt(math.pi)) * np.exp(-(x * x)))


@primitive(aliases=False)
def gelu(x: np.ndarray) -> np.ndarray:
    """x Phi(x), Phi the standard normal distribution function (PyTorch's exact GELU)."""
    return x * 0.5 * (1.0 + _erf(x * math.sqrt(0.5)))


# d/dx x Phi(x) = Phi(x) + x phi(x), written with primitives so it differentiates again
gelu.defvjp(
    lambda g, out, x: (
        g
        * (
            0.5 * (1.0 + erf(x * math.sqrt(0.5)))
            + x * np.exp(-0.5 * (x * x)) * (0.5 * math.sqrt(2.0 / math.pi))
        )
    )
)


@primitive(aliases=False)
def leaky_relu(x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """x where x > 0, else negative_slope * x; the derivative at 0 is the slope (as PyTorch)."""
    return np.where(x > 0, x, x * negative_slope)


leaky_relu.defvjp(lambda g, out, x, negative_slope=0.01: where(x > 0, g, g * negative_slope))


@primitive(aliases=False)
def elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """x where x > 0, else alpha (exp(x) - 1); nan passes through (as PyTorch)."""
    with np.errstate(invalid="ignore"):
        return np.where(x <= 0, alpha * np.expm1(np.minimum(x, 0.0)), x)


elu.defvjp(lambda g, out, x, alpha=1.0: where(x <= 0, g * alpha * np.exp(x), g))


# --- more reductions ---------------------------------------------------------------------------


def _to_last(x: Any, axis: tuple[int, ...] | None) -> tuple[Any, tuple[int, ...], tuple[int, ...]]:
    """x with the reduced axes moved to the end and flattened into one: (kept..., n).

    Returns the array, the permutation used and the permuted shape, to undo it with `_from_last`.
    """
    axes = tuple(range(x.ndim)) if axis is None else axis
    perm = tuple(a for a in range(x.ndim) if a not in axes) + axes
    moved = np.transpose(x, perm)
    kept = moved.shape[: x.ndim - len(axes)]
    n = int(np.prod(moved.shape[len(kept) :], dtype=np.int64))
    return moved.reshape(kept + (n,)), perm, moved.shape


def _from_last(y: np.ndarray, perm: tuple[int, ...], shape: tuple[int, ...]) -> np.ndarray:
    return np.transpose(y.reshape(shape), np.argsort(perm))


def _exclusive_cumprod(x: np.ndarray, reverse: bool = False) -> np.ndarray:
    """Along the last axis: the product of the elements before each one (after, if reverse)."""
    if reverse:
        return _exclusive_cumprod(x[..., ::-1])[..., ::-1]
    out = np.ones_like(x)
    np.cumprod(x[..., :-1], axis=-1, out=out[..., 1:])
    return out


@primitive(aliases=False)
def prod_others(x: np.ndarray, axis: tuple[int, ...] | None = None) -> np.ndarray:
    """For each element, the product of the other elements of its slice along `axis`: the
    derivative of `prod`, computed with products before and after it, so zeros are exact."""
    flat, perm, shape = _to_last(x, axis)
    return _from_last(_exclusive_cumprod(flat) * _exclusive_cumprod(flat, True), perm, shape)


@primitive(aliases=False)
def _prod_others_vjp(gx: np.ndarray, x: np.ndarray, axis: Any = None) -> np.ndarray:
    """r_k = sum over i != k of G_i times the product of x_j over j not in {i, k}: the VJP of
    `prod_others`, by the number of zeros in each slice (none, one, two, more). Not
    differentiable again: `prod` has first and second derivatives."""
    g, perm, shape = _to_last(gx, axis)
    v = _to_last(x, axis)[0]
    zero = v == 0
    z = zero.sum(axis=-1, keepdims=True)
    nz = np.where(zero, 1.0, v)  # the zeros replaced by ones
    q = np.prod(nz, axis=-1, keepdims=True)  # the product of the non-zero elements
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s = np.sum(np.where(zero, 0.0, g / nz), axis=-1, keepdims=True)
        gz = np.sum(np.where(zero, g, 0.0), axis=-1, keepdims=True)
        r = np.where(
            z == 0,
            q / nz * (s - g / nz),
            np.where(
                z == 1,
                np.where(zero, q * s, gz * q / nz),
                np.where((z == 2) & zero, (gz - g) * q, 0.0),
            ),
        )
    return _from_last(r.astype(x.dtype, copy=False), perm, shape)


prod_others.defvjp(lambda g, out, x, axis=None: _prod_others_vjp(g, x, axis=axis))


@primitive(aliases=False)
def prod(x: np.ndarray, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> np.ndarray:
    """The product over `axis`; the gradient of each element is the product of the others
    (exact where some elements are zero, as PyTorch)."""
    return np.prod(x, axis=axis, keepdims=keepdims)


prod.defvjp(
    lambda g, out, x, axis=None, keepdims=False: (
        _expand(g, x.shape, axis, keepdims) * prod_others(x, axis=axis)
    )
)


@primitive(aliases=False)
def cumsum(x: np.ndarray, axis: int = 0) -> np.ndarray:
    """Running sums along `axis`; the gradient is the running sum of g from the other end."""
    return np.cumsum(x, axis=axis)


def _reverse_cumsum(g: Any, axis: int) -> Any:
    flip = (slice(None),) * (axis % g.ndim) + (slice(None, None, -1),)
    return getitem(cumsum(getitem(g, index=flip), axis=axis), index=flip)


cumsum.defvjp(lambda g, out, x, axis=0: _reverse_cumsum(g, axis))


@primitive(aliases=False)
def norm2(x: np.ndarray, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
    """sqrt(sum(x^2)) over `axis`: the 2-norm of vectors, the Frobenius norm of matrices.
    Its gradient x / norm is 0 where the norm is 0 (as PyTorch)."""
    return np.sqrt(_add_reduce(x * x, axis=axis, keepdims=keepdims))


def _norm2_vjp(g: Any, out: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    norm = _expand(out, x.shape, axis, keepdims)
    return x * (_expand(g, x.shape, axis, keepdims) / where(norm == 0, np.inf, norm))


norm2.defvjp(_norm2_vjp)


def _count(x: Any, axis: tuple[int, ...] | None) -> int:
    """How many elements each slice over `axis` has."""
    shape = np.shape(x)
    return int(np.prod([shape[a] for a in axis] if axis is not None else shape, dtype=np.int64))


def _scaled_mean(x: Any, axis: tuple[int, ...] | None) -> Any:
    """The mean over `axis` (kept) as the sum of x / n: finite for the largest floats."""
    return sum_(x / max(_count(x, axis), 1), axis=axis, keepdims=True)


@primitive(aliases=False)
def var(
    x: np.ndarray, axis: tuple[int, ...] | None = None, ddof: float = 0, keepdims: bool = False
) -> np.ndarray:
    """The variance over `axis`: squared deviations from the mean, summed, over n - ddof (inf
    or nan where n <= ddof, as numpy). Its gradient is 2 g (x - mean) / (n - ddof)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        d = x - _scaled_mean(x, axis)
        total = _add_reduce(d * d, axis=axis, keepdims=keepdims)
        return total / x.dtype.type(max(_count(x, axis) - ddof, 0))


def _var_vjp(
    g: Any, out: Any, x: Any, axis: Any = None, ddof: float = 0, keepdims: bool = False
) -> Any:
    n = _count(x, axis)
    scale = 2.0 / (n - ddof) if n > ddof else np.inf
    # PyTorch's order: (2 / (n - ddof)) g first, so that g = 0 (from std at inf) gives 0
    return (scale * _expand(g, x.shape, axis, keepdims)) * (x - _scaled_mean(x, axis))


var.defvjp(_var_vjp)


@primitive(aliases=False)
def norm_inf(
    x: np.ndarray,
    axis: tuple[int, ...] | None = None,
    keepdims: bool = False,
    lowest: bool = False,
) -> np.ndarray:
    """max |x| over `axis` (min |x| if `lowest`): the inf- and -inf-norms. The gradient goes to
    the elements at the norm, shared between ties, and to nan elements (PyTorch's rule: a row
    holding nan has norm nan and gradient 0, as sgn(nan) is 0)."""
    a = np.abs(x)
    return (np.min if lowest else np.max)(a, axis=axis, keepdims=keepdims)


def _norm_inf_vjp(
    g: Any, out: Any, x: Any, axis: Any = None, keepdims: bool = False, lowest: bool = False
) -> Any:
    mask = (np.abs(_data(x)) == _expand(_data(out), x.shape, axis, keepdims)) | np.isnan(_data(x))
    count = mask.sum(axis=axis, keepdims=True)
    return _expand(g, x.shape, axis, keepdims) * sgn(x) * (mask / count)


norm_inf.defvjp(_norm_inf_vjp)


def _data(x: Any) -> Any:
    """The array of a Tensor (under create_graph rules get Tensors), or the array itself."""
    return getattr(x, "_data", x)


@primitive(aliases=False)
def sqrt_or_zero(x: np.ndarray) -> np.ndarray:
    """sqrt, whose gradient is 0 (not inf) where x is 0: `std` of constant data has gradient 0
    in PyTorch."""
    return np.sqrt(x)


sqrt_or_zero.defvjp(lambda g, out, x: g / where(out == 0, np.inf, 2.0 * out))
