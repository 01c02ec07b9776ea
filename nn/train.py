"""`fit`: the epoch and mini-batch loop of the textbook, with a progress bar and a history.

Each step is the four moves of backpropagation: forward pass, error, reverse pass,
gradient-descent step. The same loop written by hand is just as short (see the README).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

import autograd
from autograd import Tensor, no_grad
from nn import functional as F
from nn.data import DataLoader
from nn.module import Module
from nn.optim import LRScheduler, Optimizer

if TYPE_CHECKING:  # nn.distributed is imported only when a run asks for it
    from nn.distributed import DistributedDataParallel

LOSSES: dict[str, Callable[..., Tensor]] = {
    "mse": F.mse_loss,
    "binary_cross_entropy": F.binary_cross_entropy,
    "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits,
    "cross_entropy": F.cross_entropy,
    "hinge": F.hinge_loss,
}

# How accuracy reads the outputs of a model trained with each classification loss; losses not
# listed (mse, custom functions) get no accuracy unless `metrics=["accuracy"]` asks for it.
ACCURACY_KIND = {
    F.binary_cross_entropy: "probabilities",
    F.binary_cross_entropy_with_logits: "logits",
    F.cross_entropy: "logits",
    F.hinge_loss: "logits",
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


def _accuracy_kind(loss_fn: Callable[..., Tensor], metrics: Sequence[str] | None) -> str | None:
    """How to read outputs for accuracy, or None when accuracy means nothing for this run."""
    if metrics is None:
        return ACCURACY_KIND.get(loss_fn)
    unknown = sorted(set(metrics) - {"accuracy"})
    if unknown:
        raise ValueError(f"fit: unknown metrics {unknown}; the one metric is 'accuracy'")
    return ACCURACY_KIND.get(loss_fn, "auto") if "accuracy" in metrics else None


def _target(out: Tensor, y: np.ndarray, loss_fn: Callable[..., Tensor]) -> np.ndarray:
    """Give labels the prediction's shape when the loss compares them elementwise."""
    if loss_fn is F.cross_entropy:
        return y
    return y.reshape(out.shape) if y.size == out.size else y


def _gradients(
    model: Module, loss_fn: Callable[..., Tensor], optimizer: Optimizer
) -> Callable[[Any, Any], Tensor]:
    """One batch's forward pass, error and reverse pass (what `fit(jit=True)` compiles); the
    optimiser's step follows in `fit`, after the check of the loss, so that a non-finite loss
    stops the run before it changes a weight."""

    def gradients(xb: Any, yb: Any) -> Tensor:
        out = model(xb)  # forward pass
        err = loss_fn(out, _target(out, yb, loss_fn))  # error
        optimizer.zero_grad()
        err.backward(retain_graph=False)  # reverse pass, freeing activations as it goes
        return err

    return gradients


def evaluate(
    model: Module,
    X: ArrayLike,
    y: ArrayLike,
    loss: str | Callable[..., Tensor],
    metrics: Sequence[str] | None = None,
) -> tuple[float, float | None]:
    """Loss and accuracy of `model` on `(X, y)`, recording nothing.

    Accuracy is given for the classification losses fit knows (read as logits or probabilities
    to match the loss), or when `metrics=["accuracy"]` asks; otherwise it is None.
    """
    loss_fn = _loss_fn(loss)
    kind = _accuracy_kind(loss_fn, metrics)
    y = np.asarray(y)
    with no_grad():
        out = model(X)
        value = loss_fn(out, _target(out, y, loss_fn)).item()
    acc = F.accuracy(out, y, kind=kind) if kind is not None else None
    return value, acc


def _check_data(X: ArrayLike, y: ArrayLike, who: str) -> tuple[np.ndarray, np.ndarray]:
    """Numbers, finite, not empty, one label per sample: checked before any training."""
    X = np.asarray(X.data if isinstance(X, Tensor) else X)
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    for name, a in (("X", X), ("y", y)):
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{who}: {name} must hold numbers, got dtype {a.dtype}")
        if a.size == 0:
            raise ValueError(f"{who}: {name} is empty (shape {a.shape})")
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            bad = np.argwhere(~np.isfinite(a))[0]
            raise ValueError(
                f"{who}: {name} holds nan or inf (first at index {tuple(int(i) for i in bad)})"
            )
    if len(X) != len(y):
        raise ValueError(f"{who}: {len(X)} samples in X but {len(y)} labels in y")
    return X, y


def _check_labels(
    model: Module, X: np.ndarray, y: np.ndarray, loss_fn: Callable[..., Tensor], who: str
) -> None:
    """The whole label set through the loss's own checks, on the model's first output."""
    if loss_fn not in ACCURACY_KIND:
        return
    with no_grad():
        out = model(X[:1])
    if loss_fn is F.cross_entropy:
        n_classes = out.shape[-1]
        labels = y.reshape(-1)
        if labels.dtype.kind == "f" and not np.all(labels == np.round(labels)):
            raise ValueError(f"{who}: cross_entropy labels must be integer class indices")
        if np.any((labels < 0) | (labels >= n_classes)):
            raise ValueError(
                f"{who}: labels from {labels.min()} to {labels.max()} for a model with "
                f"{n_classes} outputs (classes 0 to {n_classes - 1})"
            )
    elif loss_fn is F.hinge_loss:
        if not np.all(np.abs(y) == 1):
            raise ValueError(f"{who}: hinge labels must be -1 or +1 (convert 0/1 with 2*y - 1)")
    elif np.any((y < 0) | (y > 1)):
        raise ValueError(f"{who}: binary cross-entropy labels must lie in [0, 1]")


def _progress_bar(epochs: int) -> Any:
    """tqdm's bar in a terminal or a notebook (tqdm.auto picks the front end); None elsewhere."""
    if not (sys.stderr.isatty() or "ipykernel" in sys.modules):
        return None
    try:
        # tqdm ships no types (the types-tqdm stubs do, and are no dependency); with them
        # installed the ignore is unused, which unused-ignore allows
        from tqdm.auto import tqdm  # type: ignore[import-untyped, unused-ignore]
    except ImportError:  # tqdm is an optional (demo) dependency
        return None
    return tqdm(range(epochs), desc="training", unit="epoch")


def _data_parallel(
    model: Module, distributed: bool | DistributedDataParallel
) -> DistributedDataParallel | None:
    """fit's data-parallel wrapper of `model`, or None for a single-process run."""
    if distributed is False:
        return None
    from nn.distributed import DistributedDataParallel

    if distributed is True:
        return DistributedDataParallel(model)
    if not isinstance(distributed, DistributedDataParallel) or distributed.module is not model:
        raise TypeError(
            "fit: distributed must be True, False or a DistributedDataParallel of the model "
            f"being trained, got {distributed!r}"
        )
    return distributed


def fit(
    model: Module,
    X: ArrayLike,
    y: ArrayLike,
    loss: str | Callable[..., Tensor],
    optimizer: Optimizer,
    epochs: int = 100,
    batch_size: int = 32,
    validation: tuple[ArrayLike, ArrayLike] | None = None,
    progress: bool = True,
    seed: int | np.random.Generator | None = None,
    scheduler: LRScheduler | None = None,
    metrics: Sequence[str] | None = None,
    stop_on_nonfinite: bool = True,
    distributed: bool | DistributedDataParallel = False,
    jit: bool = False,
) -> History:
    """Train `model` on `(X, y)` for `epochs` epochs of shuffled mini-batches.

    `loss` is a function of (output, target) or one of "mse", "binary_cross_entropy" (on
    probabilities: a sigmoid output), "binary_cross_entropy_with_logits", "cross_entropy",
    "hinge". For losses that compare elementwise, labels are reshaped to the output's shape (an
    `MLP(..., [.., 1])` gives `(n, 1)` for labels `(n,)`). Accuracy is recorded for those
    classification losses, read as their outputs mean, or when `metrics=["accuracy"]` asks
    (`metrics=[]`: none). The data are checked before training (numbers, finite, not empty,
    labels that fit the loss and the model), and a batch whose loss is nan or inf stops the run
    with an error naming it, unless `stop_on_nonfinite=False`. Returns the per-epoch history;
    shows a tqdm bar when `progress`, in a terminal or a notebook.

    `distributed=True` (or a `nn.distributed.DistributedDataParallel` of `model`) trains in
    every worker of a data-parallel run (`python -m nn.distributed --nproc 2 script.py`): each
    takes its part of every batch of `batch_size` and the gradients are averaged over all, so
    the run is the single-process one (to rounding); only rank 0 shows the bar.

    `jit=True` compiles each batch's forward pass, loss and reverse pass with `autograd.jit`
    (traced on the first two batches of each batch size, replayed afterwards): the same
    weights, history and optimiser state to the last bit, in a fraction of the time. A loss
    function that makes Python decisions on the numbers is refused with a `TracingError`.
    """
    loss_fn = _loss_fn(loss)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"fit needs an optimiser object, such as nn.Adam(model.parameters(), lr=0.01); "
            f"got {type(optimizer).__name__} {optimizer!r}"
        )
    if epochs < 1:
        raise ValueError(f"fit: epochs must be >= 1, got {epochs}")
    kind = _accuracy_kind(loss_fn, metrics)
    X, y = _check_data(X, y, "fit")
    _check_labels(model, X, y, loss_fn, "fit")
    if validation is not None:
        validation = _check_data(validation[0], validation[1], "fit (validation)")
        _check_labels(model, validation[0], validation[1], loss_fn, "fit (validation)")
    ddp = _data_parallel(model, distributed)
    if ddp is None:
        loader = DataLoader(X, y, batch_size=batch_size, shuffle=True, seed=seed)
    else:
        loader = ddp.loader(X, y, batch_size=batch_size, shuffle=True, seed=seed)
    history = History()
    bar = _progress_bar(epochs) if progress and (ddp is None or ddp.is_main) else None
    epochs_iter: Iterable[int] = bar if bar is not None else range(epochs)
    wanted = [] if kind is None else ["accuracy"]
    gradients = _gradients(model, loss_fn, optimizer)
    if jit:
        gradients = autograd.jit(gradients)
    model.train()
    for epoch in epochs_iter:
        total, count = 0.0, 0
        for batch, (xb, yb) in enumerate(loader):
            value = gradients(xb, yb).item()  # forward pass, error, reverse pass
            if stop_on_nonfinite and not np.isfinite(value):
                raise FloatingPointError(
                    f"fit: the loss is {value} at epoch {epoch}, batch {batch}: lower the "
                    "learning rate, check the data, or pass stop_on_nonfinite=False to go on"
                )
            if ddp is not None:
                ddp.average_gradients(len(yb))  # the whole batch's mean, over every worker
            optimizer.step()  # gradient-descent step
            total += value * len(yb)
            count += len(yb)
        if scheduler is not None:
            scheduler.step()
        model.eval()
        epoch_loss, epoch_acc = evaluate(model, loader.X, loader.y, loss_fn, wanted)
        history.loss.append(epoch_loss)
        if epoch_acc is not None:
            history.accuracy.append(epoch_acc)
        if validation is not None:
            val_loss, val_acc = evaluate(model, validation[0], validation[1], loss_fn, wanted)
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
