"""Activations, losses and metrics on Tensors, matching PyTorch's values and gradients.

Losses take `reduction="mean" | "sum" | "none"` and refuse a target whose shape differs from the
prediction's: `(n,)` against `(n, 1)` would broadcast to `(n, n)` and train on nonsense.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from autograd import Tensor, maximum, on_data, ops, primitive
from autograd.ops import log

# --- activations -----------------------------------------------------------------------------


def relu(x: Tensor) -> Tensor:
    """max(x, 0)."""
    return x.relu()


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return x.tanh()


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x))."""
    return x.sigmoid()


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else negative_slope * x (PyTorch's default slope)."""
    return x.leaky_relu(negative_slope)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x Phi(x), Phi the standard normal distribution function (PyTorch's GELU)."""
    return x.gelu(approximate)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta: a smooth relu (PyTorch's softplus)."""
    return x.softplus(beta, threshold)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x where x > 0, else alpha (exp(x) - 1)."""
    return x.elu(alpha)


def identity(x: Tensor) -> Tensor:
    """No activation: a linear output (logits)."""
    return x


Activation = str | Callable[[Tensor], Tensor] | None
"""An activation: a name in `ACTIVATIONS` (None: linear) or a function of a Tensor."""

ACTIVATIONS: dict[str | None, Callable[[Tensor], Tensor]] = {
    "relu": relu,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "leaky_relu": leaky_relu,
    "gelu": gelu,
    "softplus": softplus,
    "elu": elu,
    "linear": identity,
    None: identity,
}


def get_activation(activation: Activation) -> Callable[[Tensor], Tensor]:
    """An activation by name ("relu", "tanh", "sigmoid", "leaky_relu", "gelu", "softplus",
    "elu", None) or as a function."""
    if callable(activation):
        return activation
    try:
        return ACTIVATIONS[activation]
    except (KeyError, TypeError):
        names = ", ".join(repr(k) for k in ACTIVATIONS)
        raise ValueError(f"unknown activation {activation!r}; choose one of {names}") from None


# --- losses ----------------------------------------------------------------------------------


def _as_tensor(x: ArrayLike) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _same_shape(pred: Tensor, target: ArrayLike, loss: str) -> None:
    if pred.shape != np.shape(target):
        raise ValueError(
            f"{loss}: prediction has shape {pred.shape} but target has shape {np.shape(target)}; "
            f"losses do not broadcast (reshape one of them, e.g. pred.reshape(-1))"
        )


def _check_reduction(reduction: str, loss: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{loss}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(losses: Tensor, reduction: str, loss: str) -> Tensor:
    _check_reduction(reduction, loss)
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def mse_loss(pred: Tensor, target: ArrayLike, reduction: str = "mean") -> Tensor:
    """Mean squared error (pred - target)**2."""
    pred = _as_tensor(pred)
    _same_shape(pred, target, "mse_loss")
    diff = pred - target
    return _reduce(diff * diff, reduction, "mse_loss")


@primitive(name="bce_with_logits", aliases=False)
def _bce_with_logits(x: np.ndarray, y: np.ndarray, reduction: str = "mean") -> np.ndarray:
    """log(1 + exp(x)) - x y, the logistic loss on logits, with no overflow at any x.

    Fused with its reduction: one node for the whole loss.
    """
    losses = np.logaddexp(0.0, x) - x * y
    if reduction == "none":
        return losses
    total = np.add.reduce(losses, axis=None)
    return total / losses.size if reduction == "mean" else total


def _bce_scale(g: Any, x: Any, reduction: str) -> Any:
    return g / x.size if reduction == "mean" else g


# d/dx = sigmoid(x) - y, d/dy = -x (times the reduction's 1/n for the mean)
_bce_with_logits.defvjp(
    lambda g, out, x, y, reduction="mean": _bce_scale(g, x, reduction) * (ops.sigmoid(x) - y),
    lambda g, out, x, y, reduction="mean": -_bce_scale(g, x, reduction) * x,
)


_MIN, _MAX = np.minimum.reduce, np.maximum.reduce


def _target(target: ArrayLike, dtype: np.dtype) -> Tensor | np.ndarray:
    """Targets in the predictions' dtype, a Tensor as an array: float64 labels of a float32
    model give a float32 loss either way (and integers that `autograd.jit` hands the function
    as a float64 Tensor give what they give eagerly)."""
    if isinstance(target, Tensor):
        return target if target.dtype == dtype else target.astype(dtype)
    return np.asarray(target, dtype=dtype)


def _check_targets(t: np.ndarray, loss: str) -> None:
    # (the ufuncs' own reductions: t.min() and t.max() go through Python wrappers, a cost of
    # every training step)
    if t.size and not (_MIN(t, axis=None) >= 0 and _MAX(t, axis=None) <= 1):  # false for nan
        raise ValueError(
            f"{loss}: targets must lie in [0, 1], got values from {np.nanmin(t)} to "
            f"{np.nanmax(t)} (labels of -1/+1 belong to hinge_loss)"
        )


def binary_cross_entropy_with_logits(
    logits: Tensor, target: ArrayLike, reduction: str = "mean"
) -> Tensor:
    """Binary cross-entropy on logits (PyTorch's `binary_cross_entropy_with_logits`): the
    sigmoid and the logarithm fused, stable for any logit. Use it on a model whose last layer
    has no activation. `target` holds probabilities in [0, 1] (usually the labels 0 and 1)."""
    logits = _as_tensor(logits)
    _same_shape(logits, target, "binary_cross_entropy_with_logits")
    t = _target(target, logits.dtype)
    on_data(_check_targets, t, "binary_cross_entropy_with_logits")
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    y = t
    return _bce_with_logits(logits, y, reduction=reduction)


@primitive(name="bce", aliases=False)
def _bce(p: np.ndarray, y: np.ndarray, reduction: str = "mean") -> np.ndarray:
    """-(y log p + (1 - y) log(1 - p)), each log clamped at -100 as PyTorch does."""
    with np.errstate(divide="ignore"):
        losses = -(y * np.maximum(np.log(p), -100.0) + (1 - y) * np.maximum(np.log1p(-p), -100.0))
    if reduction == "none":
        return losses
    total = np.add.reduce(losses, axis=None)
    return total / losses.size if reduction == "mean" else total


_BCE_EPS = float(np.float32(1e-12))  # PyTorch's EPSILON, a float literal in its C++


def _bce_prob_vjp(g: Any, out: Any, p: Any, y: Any, reduction: str = "mean") -> Any:
    """(p - y) / max(p (1 - p), 1e-12): PyTorch's gradient, finite at p = 0 and p = 1."""
    return _bce_scale(g, p, reduction) * (p - y) / maximum(p * (1.0 - p), _BCE_EPS)


def _bce_target_vjp(g: Any, out: Any, p: Any, y: Any, reduction: str = "mean") -> Any:
    """log(1 - p) - log(p), unclamped (PyTorch's: inf at p = 0 and p = 1)."""
    with np.errstate(divide="ignore"):
        logs = log(1.0 - p) - log(p)
    return _bce_scale(g, p, reduction) * logs


_bce.defvjp(_bce_prob_vjp, _bce_target_vjp)


def _check_probabilities(p: np.ndarray) -> None:
    if p.size and not (p.min() >= 0 and p.max() <= 1):  # false for nan too
        raise ValueError(
            f"binary_cross_entropy: inputs must be probabilities in [0, 1], got values from "
            f"{np.nanmin(p)} to {np.nanmax(p)}; for logits use binary_cross_entropy_with_logits"
        )


def binary_cross_entropy(probs: Tensor, target: ArrayLike, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy on probabilities (PyTorch's `binary_cross_entropy`): for a model
    whose last layer is a sigmoid. Each log is clamped at -100, so probabilities of exactly 0
    and 1 give finite losses and gradients. On logits use `binary_cross_entropy_with_logits`."""
    probs = _as_tensor(probs)
    _same_shape(probs, target, "binary_cross_entropy")
    on_data(_check_probabilities, probs)
    t = _target(target, probs.dtype)
    on_data(_check_targets, t, "binary_cross_entropy")
    _check_reduction(reduction, "binary_cross_entropy")
    y = t
    return _bce(probs, y, reduction=reduction)


def _class_labels(
    labels: ArrayLike, n_classes: int, batch_shape: tuple[int, ...], loss: str
) -> np.ndarray:
    y = np.asarray(labels)
    if y.shape != batch_shape:
        raise ValueError(
            f"{loss}: expected labels of shape {batch_shape} for the logits, got {y.shape}"
        )
    if y.dtype.kind == "f":
        if not np.all(y == np.round(y)):
            raise ValueError(f"{loss}: labels must be integer class indices")
        y = y.astype(np.int64)
    elif y.dtype.kind not in "iu":
        raise TypeError(f"{loss}: labels must be integers, got dtype {y.dtype}")
    bad = (y < 0) | (y >= n_classes)
    if np.any(bad):
        raise ValueError(
            f"{loss}: label {y[bad].flat[0]} is out of range for {n_classes} classes "
            f"(valid: 0 to {n_classes - 1})"
        )
    return y


def cross_entropy(logits: Tensor, labels: ArrayLike, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of logits `(n, C)` (or `(C,)`) with integer class labels.

    Computed as -log_softmax(logits)[label], stable for any logits.
    """
    logits = _as_tensor(logits)
    if logits.ndim not in (1, 2):
        raise ValueError(f"cross_entropy: logits must be (n, C) or (C,), got {logits.shape}")
    n_classes = logits.shape[-1]
    y = on_data(_class_labels, labels, n_classes, logits.shape[:-1], "cross_entropy")
    logp = logits.log_softmax(axis=-1)
    # pick each sample's log-probability by index: a product with a one-hot matrix would turn
    # the -inf of a masked logit into nan (-inf * 0)
    picked = logp[y] if logits.ndim == 1 else logp[np.arange(len(y)), y]
    return _reduce(-picked, reduction, "cross_entropy")


def _hinge_labels(labels: ArrayLike, dtype: np.dtype) -> np.ndarray:
    y = np.asarray(labels, dtype=dtype)
    if not np.all(np.abs(y) == 1):
        raise ValueError("hinge_loss: labels must be -1 or +1 (convert 0/1 labels with 2*y - 1)")
    return y


def hinge_loss(scores: Tensor, labels: ArrayLike, reduction: str = "mean") -> Tensor:
    """micrograd's max-margin loss relu(1 - y * score), for labels -1 and +1."""
    scores = _as_tensor(scores)
    _same_shape(scores, labels, "hinge_loss")
    y = on_data(_hinge_labels, labels, scores.dtype)
    return _reduce((1.0 - scores * y).relu(), reduction, "hinge_loss")


# --- metrics ---------------------------------------------------------------------------------


KINDS = ("auto", "logits", "probabilities")


def predict_labels(scores: ArrayLike, kind: str = "auto") -> np.ndarray:
    """Class labels from model outputs: the argmax of `(n, C)` scores; for one score per sample,
    `score > 0` for logits and `score > 0.5` for probabilities.

    `kind="auto"` reads one score per sample as logits when a score lies outside [0, 1], and
    refuses to guess when all of them lie inside (they could be either): pass `kind`.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    s = np.asarray(scores.data if isinstance(scores, Tensor) else scores)
    if s.ndim == 2 and s.shape[1] > 1:
        return s.argmax(axis=1)
    s = s.reshape(s.shape[0] if s.ndim else 1)
    if kind == "auto":
        if s.size and np.all((s >= 0) & (s <= 1)):
            raise ValueError(
                "accuracy: every score lies in [0, 1], so they may be probabilities (threshold "
                "0.5) or logits (threshold 0): pass kind='probabilities' or kind='logits'"
            )
        kind = "logits"
    return (s > (0.0 if kind == "logits" else 0.5)).astype(np.int64)


def accuracy(scores: ArrayLike, labels: ArrayLike, kind: str = "auto") -> float:
    """Fraction of correct predictions from `(n, C)` scores (argmax) or one score per sample.

    One score per sample is a logit (positive above 0) or a probability (positive above 0.5):
    say which with `kind`, or let "auto" tell them apart where it can (see `predict_labels`).
    Labels may be 0/1 or -1/+1 for one score per sample.
    """
    y = np.asarray(labels.data if isinstance(labels, Tensor) else labels).reshape(-1)
    pred = predict_labels(scores, kind)
    if pred.shape != y.shape:
        raise ValueError(f"accuracy: {pred.shape[0]} predictions for {y.shape[0]} labels")
    if np.ndim(scores) < 2 or np.shape(scores)[-1] == 1:
        y = (y > 0).astype(np.int64)  # -1/+1 or 0/1 labels alike
    return float(np.mean(pred == y)) if y.size else 0.0
