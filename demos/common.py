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
    for key, value in result.metrics.items():
        print(f"{key}: {format_value(value)}")
    print(f"pictures: {', '.join(os.path.join(args.out, p) for p, _ in result.images)}")
    return result


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def percent(x: float) -> str:
    return f"{100 * x:.1f}%"


# --- plots -----------------------------------------------------------------------------------


CLASS_COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c"]


def predict_grid(model: Any, X: np.ndarray, steps: int = 200) -> tuple:
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


def plot_regions(ax: Any, model: Any, X: np.ndarray, y: np.ndarray, title: str) -> None:
    """Coloured decision regions of `model` with the data on top."""
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
    for k in range(n_classes):
        pts = X[y == k]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=120 if len(X) < 50 else 18,
            color=colours[k],
            edgecolor="white",
            linewidth=0.5,
            label=f"class {k}",
        )
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_curve(ax: Any, values: list[float], label: str, ylabel: str) -> None:
    ax.plot(np.arange(1, len(values) + 1), values, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)


def save(fig: Any, folder: str, filename: str) -> str:
    fig.tight_layout()
    fig.savefig(os.path.join(folder, filename), dpi=110)
    plt.close(fig)
    return filename
