"""`fit`: the epoch and mini-batch loop of the textbook, with a progress bar and a history.

Each step is the four moves of backpropagation: forward pass, error, reverse pass,
gradient-descent step. The same loop written by hand is just as short (see the README).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd import Tensor, no_grad
from nn import functional as F
from nn.data import DataLoader
from nn.module import Module
from nn.optim import Optimizer

LOSSES: dict[str, Callable[..., Tensor]] = {
    "mse": F.mse_loss,
    "binary_cross_entropy": F.binary_cross_entropy,
    "cross_entropy": F.cross_entropy,
    "hinge": F.hinge_loss,
}


@dataclass
class History:
    """Per-epoch figures of a `fit` run: lists ready to plot."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)


def _loss_fn(loss: str | Callable[..., Tensor]) -> Callable[..., Tensor]:
    if callable(loss):
        return loss
    try:
        return LOSSES[loss]
    except KeyError:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}") from None


def _is_classification(loss_fn: Callable[..., Tensor]) -> bool:
    return loss_fn is not F.mse_loss


def _target(out: Tensor, y: np.ndarray, loss_fn: Callable[..., Tensor]) -> np.ndarray:
    """Give labels the prediction's shape when the loss compares them elementwise."""
    if loss_fn is F.cross_entropy:
        return y
    return y.reshape(out.shape) if y.size == out.size else y


def evaluate(model: Module, X: Any, y: Any, loss: str | Callable[..., Tensor]) -> tuple:
    """Loss and accuracy (None for regression) of `model` on `(X, y)`, recording nothing."""
    loss_fn = _loss_fn(loss)
    y = np.asarray(y)
    with no_grad():
        out = model(X)
        value = loss_fn(out, _target(out, y, loss_fn)).item()
    acc = F.accuracy(out, y) if _is_classification(loss_fn) else None
    return value, acc


def fit(
    model: Module,
    X: Any,
    y: Any,
    loss: str | Callable[..., Tensor],
    optimizer: Optimizer,
    epochs: int = 100,
    batch_size: int = 32,
    validation: tuple[Any, Any] | None = None,
    progress: bool = True,
    seed: int | np.random.Generator | None = None,
    scheduler: Any = None,
) -> History:
    """Train `model` on `(X, y)` for `epochs` epochs of shuffled mini-batches.

    `loss` is a function of (output, target) or one of "mse", "binary_cross_entropy",
    "cross_entropy", "hinge". For losses that compare elementwise, labels are reshaped to the
    output's shape (an `MLP(..., [.., 1])` gives `(n, 1)` for labels `(n,)`). Returns the
    per-epoch history; shows a tqdm bar when `progress` and stderr is a terminal.
    """
    loss_fn = _loss_fn(loss)
    if epochs < 1:
        raise ValueError(f"fit: epochs must be >= 1, got {epochs}")
    loader = DataLoader(X, y, batch_size=batch_size, shuffle=True, seed=seed)
    history = History()
    bar = None
    epochs_iter: Any = range(epochs)
    if progress and sys.stderr.isatty():
        try:
            from tqdm import tqdm

            bar = epochs_iter = tqdm(epochs_iter, desc="training", unit="epoch")
        except ImportError:  # tqdm is an optional (demo) dependency
            pass
    model.train()
    for _ in epochs_iter:
        total, count = 0.0, 0
        for xb, yb in loader:
            out = model(xb)  # forward pass
            err = loss_fn(out, _target(out, yb, loss_fn))  # error
            optimizer.zero_grad()
            err.backward(retain_graph=False)  # reverse pass, freeing activations as it goes
            optimizer.step()  # gradient-descent step
            total += err.item() * len(yb)
            count += len(yb)
        if scheduler is not None:
            scheduler.step()
        model.eval()
        epoch_loss, epoch_acc = evaluate(model, loader.X, loader.y, loss_fn)
        history.loss.append(epoch_loss)
        if epoch_acc is not None:
            history.accuracy.append(epoch_acc)
        if validation is not None:
            val_loss, val_acc = evaluate(model, validation[0], validation[1], loss_fn)
            history.val_loss.append(val_loss)
            if val_acc is not None:
                history.val_accuracy.append(val_acc)
        model.train()
        if bar is not None:
            shown = {"loss": f"{total / count:.4f}"}
            if epoch_acc is not None:
                shown["acc"] = f"{epoch_acc:.3f}"
            bar.set_postfix(shown)
    model.eval()
    return history
