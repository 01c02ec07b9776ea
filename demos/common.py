"""What every demo shares: its command line, its result record, and the plots of 2-D classifiers."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no screen needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from autograd import no_grad  # noqa: E402


@dataclass
class Result:
    """What a demo measured and drew: the report shows exactly these numbers and pictures."""

    name: str
    title: str
    lesson: str
    metrics: dict[str, Any] = field(default_factory=dict)
    images: list[tuple[str, str]] = field(default_factory=list)  # (path in out dir, caption)
    pages: list[tuple[str, str]] = field(default_factory=list)  # (path in out dir, link text)
    seconds: float = 0.0


def parse_args(doc: str, argv: list[str] | None, name: str) -> argparse.Namespace:
    """The options every demo takes: --seed, --out, --quick."""
    parser = argparse.ArgumentParser(prog=f"python -m demos.{name}", description=doc)
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", default="out", help="folder for the pictures (default out/)")
    parser.add_argument("--quick", action="store_true", help="a small, fast run")
    return parser.parse_args(argv)


def run_demo(run: Callable[..., Result], doc: str, name: str, argv: list[str] | None) -> Result:
    """Parse the options, run the demo into `out/name/`, print its figures, return its result."""
    args = parse_args(doc, argv, name)
    folder = os.path.join(args.out, name)
    os.makedirs(folder, exist_ok=True)
    start = time.perf_counter()
    result = run(seed=args.seed, folder=folder, quick=args.quick)
    result.seconds = time.perf_counter() - start
    result.images = [(os.path.join(name, path), caption) for path, caption in result.images]
    result.pages = [(os.path.join(name, path), text) for path, text in result.pages]
    for key, value in result.metrics.items():
        print(f"{key}: {format_value(value)}")
    print(f"pictures: {', '.join(os.path.join(args.out, p) for p, _ in result.images)}")
    if result.pages:
        print(f"pages: {', '.join(os.path.join(args.out, p) for p, _ in result.pages)}")
    return result


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def percent(x: float) -> str:
    return f"{100 * x:.1f}%"


def compared(seconds: float, baseline: float) -> str:
    """`seconds` against `baseline` in words: "(1.3x faster)", or "(1.1x slower)"."""
    if seconds <= baseline:
        return f"({baseline / seconds:.1f}x faster)"
    return f"({seconds / baseline:.1f}x slower)"


# --- plots -----------------------------------------------------------------------------------


CLASS_COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c"]


def predict_grid(
    model: Any, X: np.ndarray, steps: int = 200
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The model's predicted class on a grid covering X (for decision regions)."""
    pad = 0.5
    xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, steps)
    ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, steps)
    gx, gy = np.meshgrid(xs, ys)
    with no_grad():
        scores = np.asarray(model(np.column_stack([gx.ravel(), gy.ravel()])))
    if scores.ndim == 2 and scores.shape[1] > 1:
        labels = scores.argmax(axis=1)
    else:
        labels = (scores.reshape(-1) > 0).astype(int)
    return gx, gy, labels.reshape(gx.shape)


def plot_regions(
    ax: Any,
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    title: str,
    class_names: list[str] | None = None,
) -> None:
    """Coloured decision regions of `model` with the data on top, its axes the two inputs and a
    legend naming each class (`class_names`, or "class 0", "class 1", ...)."""
    from matplotlib.colors import ListedColormap

    n_classes = int(max(y.max() + 1, 2))
    colours = CLASS_COLOURS[:n_classes]
    gx, gy, labels = predict_grid(model, X)
    ax.contourf(
        gx,
        gy,
        labels,
        levels=np.arange(n_classes + 1) - 0.5,
        cmap=ListedColormap(colours),
        alpha=0.25,
    )
    names = class_names or [f"class {k}" for k in range(n_classes)]
    if len(names) != n_classes:
        raise ValueError(f"plot_regions: {len(names)} class names for {n_classes} classes")
    few = len(X) < 50
    for k in range(n_classes):
        pts = X[y == k]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=120 if few else 18,
            color=colours[k],
            edgecolor="white",
            linewidth=0.5,
            label=names[k],
        )
    ax.set_title(title)
    ax.set_xlabel("input x1")
    ax.set_ylabel("input x2")
    ax.tick_params(labelsize=8)
    ax.legend(
        loc="upper right" if few else "best",
        fontsize=8,
        framealpha=0.9,
        markerscale=0.5 if few else 1.5,
    )


def plot_curve(ax: Any, values: list[float], title: str, ylabel: str) -> None:
    """A quantity per epoch (a loss curve): titled, both axes labelled."""
    ax.plot(np.arange(1, len(values) + 1), values)
    ax.set_title(title)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)


def describe(fig: Any) -> str:
    """What each panel of `fig` shows, in words: its title, axis labels and legend entries
    (kept in the PNG's Description, for tests and readers that cannot see the picture)."""
    panels = []
    for ax in fig.axes:
        legend = ax.get_legend()
        entries = [t.get_text() for t in legend.get_texts()] if legend is not None else []
        panels.append(
            f"title: {ax.get_title()}; x axis: {ax.get_xlabel()}; y axis: {ax.get_ylabel()}; "
            f"legend: {', '.join(entries)}"
        )
    return "\n".join(panels)


def save(fig: Any, folder: str, filename: str) -> str:
    """Write `fig` as a PNG into `folder` with its description; returns the file name."""
    fig.tight_layout()
    fig.savefig(os.path.join(folder, filename), dpi=110, metadata={"Description": describe(fig)})
    plt.close(fig)
    return filename
