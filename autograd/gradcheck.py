"""`gradcheck`: the engine's gradients against central finite differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from autograd.functional import gradients
from autograd.tensors import Tensor
from autograd.value import Value


class GradcheckError(AssertionError):
    """An analytic gradient differs from its finite-difference estimate."""


def gradcheck(
    f: Callable[..., Any],
    inputs: ArrayLike | Value | Sequence[ArrayLike | Value],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Compare every entry of the Jacobian of `f` with central differences; True or raise.

    `inputs` is one input or a sequence of them: float64 arrays or Tensors (f receives Tensors)
    or `Value`s (f receives Values). An entry passes when
    |analytic - numeric| <= atol + rtol * |numeric|, PyTorch's test and defaults. The error names
    the input, the index, and both values.
    """
    items = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    scalar = all(isinstance(x, Value) for x in items)
    arrays = []
    for i, x in enumerate(items):
        arr = np.array(x.data if isinstance(x, (Tensor, Value)) else x)
        if arr.dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} has dtype {arr.dtype}; finite differences need float64"
            )
        arrays.append(arr)

    def run(arrs: list[np.ndarray]) -> tuple[Any, list[Value | Tensor]]:
        xs = [Value(float(a)) if scalar else Tensor(a, requires_grad=True) for a in arrs]
        return f(*xs), xs

    def flat(out: Any) -> np.ndarray:
        return np.array(out.data if isinstance(out, (Tensor, Value)) else out, dtype=float).ravel()

    out, xs = run(arrays)
    n_out = flat(out).size
    for i, arr in enumerate(arrays):
        analytic = np.zeros((n_out, arr.size))
        for k in range(n_out):
            seed: np.ndarray | None = None
            if isinstance(out, Tensor):
                seed = np.zeros(n_out)
                seed[k] = 1.0
                seed = seed.reshape(out.shape)
            g = gradients(out, [xs[i]], seed)[0] if getattr(out, "requires_grad", False) else None
            if g is not None:
                analytic[k] = np.ravel(g)
        numeric = np.zeros_like(analytic)
        for j in range(arr.size):
            shifted = [a.copy() for a in arrays]
            shifted[i].flat[j] = arr.flat[j] + eps
            plus = flat(run(shifted)[0])
            shifted[i].flat[j] = arr.flat[j] - eps
            minus = flat(run(shifted)[0])
            numeric[:, j] = (plus - minus) / (2 * eps)
        bad = np.abs(analytic - numeric) > atol + rtol * np.abs(numeric)
        if bad.any():
            k, j = np.argwhere(bad)[0]
            index = np.unravel_index(j, arr.shape) if arr.ndim else ()
            raise GradcheckError(
                f"gradcheck: gradient of output element {k} with respect to input {i} at index "
                f"{tuple(int(n) for n in index)}: analytic {analytic[k, j]:.10g}, numeric "
                f"{numeric[k, j]:.10g} (|difference| {abs(analytic[k, j] - numeric[k, j]):.3g} > "
                f"atol {atol} + rtol {rtol} * |numeric|)"
            )
    return True
