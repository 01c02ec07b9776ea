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

    For data-parallel training, `world_size` workers each make the loader with the same `seed`
    and their own `rank`: every worker draws the same order and yields its contiguous part of
    each mini-batch (sizes differing by at most one; empty if the batch has fewer samples than
    workers), so together they see every sample once per epoch, and each step's batch is the
    one a single process would take.
    """

    def __init__(
        self,
        X: ArrayLike,
        y: ArrayLike,
        batch_size: int = 32,
        shuffle: bool = True,
        seed: Seed = None,
        drop_last: bool = False,
        rank: int = 0,
        world_size: int = 1,
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
        for name, value in (("world_size", world_size), ("rank", rank)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"DataLoader: {name} must be an int, got {value!r}")
        if not 0 <= rank < world_size:
            raise ValueError(
                f"DataLoader: rank must lie in 0 to world_size - 1, got rank {rank} of "
                f"world_size {world_size}"
            )
        self.rank, self.world_size = int(rank), int(world_size)

    def __len__(self) -> int:
        n = len(self.y)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n = len(self.y)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        for b in range(len(self)):
            idx = order[b * self.batch_size : (b + 1) * self.batch_size]
            if self.world_size > 1:
                size, rank = len(idx), self.rank
                idx = idx[size * rank // self.world_size : size * (rank + 1) // self.world_size]
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
