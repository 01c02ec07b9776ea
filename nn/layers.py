"""The perceptron and its stacks: `Neuron`, `Layer` and `MLP`, vectorised over neurons and samples.

A `Layer` holds its neurons as one weight matrix of shape `(nout, nin)` and a bias of shape
`(nout,)`, the layout of `torch.nn.Linear`, so weights copy across unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from autograd import Tensor, linear
from nn.functional import Activation, get_activation
from nn.module import Module

INITS = ("auto", "he", "xavier", "uniform", "normal", "zeros")
Seed = int | np.random.Generator | None


def _activation_name(activation: Activation) -> str:
    if activation is None or isinstance(activation, str):
        return str(activation)
    return getattr(activation, "__name__", type(activation).__name__)


def init_weights(
    shape: tuple[int, ...],
    nin: int,
    nout: int,
    init: str,
    activation: Activation,
    rng: np.random.Generator,
) -> np.ndarray:
    """Initial weights for a layer with `nin` inputs and `nout` outputs.

    "he": N(0, 2/nin), for relu. "xavier": U(-a, a) with a = sqrt(6/(nin+nout)), for tanh and
    sigmoid. "uniform": U(-1, 1), micrograd's. "normal": N(0, 1). "zeros": all zero, which keeps
    every neuron of a layer identical (the textbook's symmetry lesson). "auto" picks He for
    relu-like activations and Xavier otherwise.
    """
    if init == "auto":
        init = "he" if activation in ("relu", "leaky_relu") else "xavier"
    if init == "he":
        return rng.normal(0.0, np.sqrt(2.0 / nin), size=shape)
    if init == "xavier":
        bound = np.sqrt(6.0 / (nin + nout))
        return rng.uniform(-bound, bound, size=shape)
    if init == "uniform":
        return rng.uniform(-1.0, 1.0, size=shape)
    if init == "normal":
        return rng.normal(0.0, 1.0, size=shape)
    if init == "zeros":
        return np.zeros(shape)
    raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")


def _check_size(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


def _features(x: ArrayLike, nin: int, dtype: np.dtype, who: str) -> Any:
    """The input as a Tensor or array of the layer's dtype, checked for `nin` features.

    Any rather than `Tensor | np.ndarray`: numpy's stubs type `array @ Tensor` as an array, but
    Tensor's `__array_ufunc__` makes it a Tensor, which the layers pass on as their output.
    """
    if x.__class__ is Tensor:
        if x.dtype != dtype:
            x = x.astype(dtype)
    elif x.__class__ is not np.ndarray or x.dtype != dtype:
        x = np.asarray(x)
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{who}: input must be numbers, got dtype {x.dtype}")
        x = x.astype(dtype, copy=False)
    shape = x.shape
    if not 1 <= len(shape) <= 2 or shape[-1] != nin:
        raise ValueError(
            f"{who} expects {nin} features per sample, as (n, {nin}) or ({nin},); "
            f"got input of shape {shape}"
        )
    return x


class Neuron(Module):
    """One threshold logic unit, act(x . w + b): the perceptron of the textbook.

    Takes one sample `(nin,)` (giving a scalar) or a batch `(n, nin)` (giving `(n,)`).
    """

    def __init__(
        self,
        nin: int,
        activation: Activation = "relu",
        init: str = "auto",
        seed: Seed = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        self.nin = _check_size(nin, "nin")
        self.activation = activation
        self._act = get_activation(activation)
        rng = np.random.default_rng(seed)
        dt = np.dtype(dtype)
        self.weight = Tensor(init_weights((nin,), nin, 1, init, activation, rng), True, dt)
        self.bias = Tensor(0.0, requires_grad=True, dtype=dt)
        self.label_parameters()

    def forward(self, x: ArrayLike) -> Tensor:
        x = _features(x, self.nin, self.weight.dtype, "Neuron")
        return self._act(x @ self.weight + self.bias)

    def extra_repr(self) -> str:
        return f"{self.nin}, activation={_activation_name(self.activation)}"


@dataclass
class NeuronView:
    """Neuron `index` of a Layer: live views of its row of weights, its bias and their grads."""

    layer: Layer
    index: int

    @property
    def weight(self) -> np.ndarray:
        return self.layer.weight.data[self.index]

    @property
    def bias(self) -> float:
        return float(self.layer.bias.data[self.index])

    @property
    def weight_grad(self) -> np.ndarray | None:
        g = self.layer.weight.grad
        return None if g is None else np.asarray(getattr(g, "data", g))[self.index]

    @property
    def bias_grad(self) -> float | None:
        g = self.layer.bias.grad
        return None if g is None else float(np.asarray(getattr(g, "data", g))[self.index])


class Layer(Module):
    """A fully connected layer of `nout` neurons: act(x @ weight.T + bias).

    `weight` is `(nout, nin)` and `bias` `(nout,)`, as in `torch.nn.Linear`; `neurons[i]` looks
    at neuron i.
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: Activation = "relu",
        init: str = "auto",
        seed: Seed = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        self.nin = _check_size(nin, "nin")
        self.nout = _check_size(nout, "nout")
        self.activation = activation
        self._act = get_activation(activation)
        rng = np.random.default_rng(seed)
        dt = np.dtype(dtype)
        w = init_weights((nout, nin), nin, nout, init, activation, rng)
        self.weight = Tensor(w, requires_grad=True, dtype=dt)
        self.bias = Tensor(np.zeros(nout), requires_grad=True, dtype=dt)
        self.label_parameters()

    @property
    def neurons(self) -> list[NeuronView]:
        return [NeuronView(self, i) for i in range(self.nout)]

    def forward(self, x: ArrayLike) -> Tensor:
        x = _features(x, self.nin, self.weight.dtype, "Layer")
        return self._act(linear(x, self.weight, self.bias))

    def extra_repr(self) -> str:
        return f"{self.nin} -> {self.nout}, activation={_activation_name(self.activation)}"


class MLP(Module):
    """A multi-layer perceptron: `MLP(2, [16, 16, 1])` has two hidden layers of 16 and one output.

    Hidden layers use `activation`, the last layer `output_activation` (None: linear, for
    logits). `init` is one of "auto", "he", "xavier", "uniform", "normal", "zeros"; `seed` makes
    the initial weights reproducible; `dtype` is the parameters' (and computation's) dtype.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: Activation = "relu",
        output_activation: Activation = None,
        init: str = "auto",
        seed: Seed = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        if isinstance(nouts, (int, np.integer)) or not len(nouts):
            raise ValueError(f"nouts must be a non-empty list of layer sizes, got {nouts!r}")
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")
        get_activation(activation)
        get_activation(output_activation)
        rng = np.random.default_rng(seed)
        sizes = [_check_size(nin, "nin")] + [_check_size(n, "layer size") for n in nouts]
        last = len(nouts) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                activation=output_activation if i == last else activation,
                init=init,
                seed=rng,
                dtype=dtype,
            )
            for i in range(len(nouts))
        ]
        self.label_parameters()

    def forward(self, x: Any) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x
