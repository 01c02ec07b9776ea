"""Toy data sets for classification and regression: `(X, y)` numpy arrays.

X is float64 of shape `(n, 2)` (or `(n, 1)` for regression); y holds integer class labels
(floats for regression). Moons and circles follow scikit-learn's definitions of those sets.
Every generator takes `seed` (an int or a `np.random.Generator`) and is reproducible with it.
"""

from __future__ import annotations

import numpy as np

Seed = int | np.random.Generator | None


def _count(n_samples: int, minimum: int = 1) -> int:
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise TypeError(f"n_samples must be an int, got {n_samples!r}")
    if n_samples < minimum:
        raise ValueError(f"n_samples must be at least {minimum}, got {n_samples}")
    return int(n_samples)


def _noise(noise: float) -> float:
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    return float(noise)


def _shuffled(
    X: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(y))
    return X[order], y[order]


def _two_classes(
    outer: np.ndarray, inner: np.ndarray, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Points of class 0 (`outer`) and 1 (`inner`), shuffled, then Gaussian noise added."""
    X = np.concatenate([outer, inner])
    y = np.concatenate([np.zeros(len(outer), dtype=np.int64), np.ones(len(inner), dtype=np.int64)])
    X, y = _shuffled(X, y, rng)
    return X + rng.normal(scale=_noise(noise), size=X.shape), y


def make_xor() -> tuple[np.ndarray, np.ndarray]:
    """The four corners of the unit square, labelled by exclusive or: not linearly separable."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    return X, y


def make_moons(
    n_samples: int = 100, noise: float = 0.1, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's make_moons), with Gaussian noise."""
    n = _count(n_samples, 2)
    rng = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], axis=1)
    return _two_classes(outer, inner, noise, rng)


def make_circles(
    n_samples: int = 100, noise: float = 0.05, factor: float = 0.5, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (label 1) inside a large one (label 0), scikit-learn's make_circles."""
    n = _count(n_samples, 2)
    if not 0 < factor < 1:
        raise ValueError(f"factor must lie in (0, 1), got {factor}")
    rng = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = factor * np.stack([np.cos(t_in), np.sin(t_in)], axis=1)
    return _two_classes(outer, inner, noise, rng)


def make_spirals(
    n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """`n_classes` interleaved spiral arms from the centre outwards (the CS231n data set)."""
    n = _count(n_samples, n_classes)
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")
    rng = np.random.default_rng(seed)
    sizes = [n // n_classes + (1 if k < n % n_classes else 0) for k in range(n_classes)]
    X, y = [], []
    for k, m in enumerate(sizes):
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(k * 4.0, (k + 1) * 4.0, m) + rng.normal(scale=_noise(noise), size=m)
        X.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        y.append(np.full(m, k, dtype=np.int64))
    return _shuffled(np.concatenate(X), np.concatenate(y), rng)


def make_blobs(
    n_samples: int = 100,
    centers: int = 3,
    cluster_std: float = 1.0,
    box: tuple[float, float] = (-10.0, 10.0),
    seed: Seed = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters around `centers` random centres drawn uniformly in `box`."""
    n = _count(n_samples, centers)
    rng = np.random.default_rng(seed)
    middle = rng.uniform(box[0], box[1], size=(centers, 2))
    y = np.arange(n) % centers
    X = middle[y] + rng.normal(scale=_noise(cluster_std), size=(n, 2))
    return _shuffled(X, y.astype(np.int64), rng)


def make_sine(
    n_samples: int = 100, noise: float = 0.1, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """A 1-D regression set: y = sin(x) + noise for x in [-pi, pi]; X is `(n, 1)`, y `(n,)`."""
    n = _count(n_samples)
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-np.pi, np.pi, size=n))
    return x[:, None], np.sin(x) + rng.normal(scale=_noise(noise), size=n)
