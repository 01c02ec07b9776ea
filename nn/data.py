"""Mini-batches and splits: `DataLoader` and `train_test_split`."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import ArrayLike

Seed = int | np.random.Generator | None


def _pair(X: ArrayLike, y: ArrayLike, who: str) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(
            f"{who}: X and y need the same number of samples, got shapes {X.shape} and {y.shape}"
        )
    return X, y


class DataLoader:
    """One epoch of mini-batches `(xb, yb)` per iteration; every sample appears once per epoch.

    With `shuffle`, each epoch draws a new order from a generator seeded once by `seed`, so a
    seeded run repeats exactly. `len()` is the number of batches per epoch.
    """

    def __init__(
        self,
        X: ArrayLike,
        y: ArrayLike,
        batch_size: int = 32,
        shuffle: bool = True,
        seed: Seed = None,
        drop_last: bool = False,
    ) -> None:
        self.X, self.y = _pair(X, y, "DataLoader")
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, (int, np.integer))
            or batch_size < 1
        ):
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        n = len(self.y)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n = len(self.y)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        for b in range(len(self)):
            idx = order[b * self.batch_size : (b + 1) * self.batch_size]
            yield self.X[idx], self.y[idx]


def train_test_split(
    X: ArrayLike, y: ArrayLike, test_size: float | int = 0.25, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split into `X_train, X_test, y_train, y_test` (scikit-learn's order).

    `test_size` is a fraction in (0, 1) or a number of samples.
    """
    X, y = _pair(X, y, "train_test_split")
    n = len(y)
    if isinstance(test_size, float):
        if not 0 < test_size < 1:
            raise ValueError(f"test_size as a fraction must lie in (0, 1), got {test_size}")
        n_test = int(np.ceil(test_size * n))
    else:
        n_test = int(test_size)
    if not 0 < n_test < n:
        raise ValueError(f"test_size leaves {n_test} test samples of {n}; need 1 to {n - 1}")
    order = np.random.default_rng(seed).permutation(n)
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]
