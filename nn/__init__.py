"""nn: multi-layer perceptrons on `autograd.Tensor`, trained by backpropagation.

import nn
model = nn.MLP(2, [16, 16, 1])
opt = nn.SGD(model.parameters(), lr=0.1)
"""

import autograd as _autograd

if getattr(_autograd, "ENGINE", None) != "autograd-nn":
    raise ImportError(
        f"nn needs autograd-nn's engine, but `import autograd` found another package at "
        f"{getattr(_autograd, '__file__', '?')} (HIPS autograd uses the same import name). Install "
        "autograd-nn in its own virtual environment, or `pip uninstall autograd` and reinstall it"
    )

from nn import datasets, functional  # noqa: E402
from nn.data import DataLoader, train_test_split
from nn.functional import (
    accuracy,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    elu,
    gelu,
    hinge_loss,
    leaky_relu,
    mse_loss,
    relu,
    sigmoid,
    softplus,
    tanh,
)
from nn.interop import export_onnx, from_torch, to_torch  # torch and onnx load on first call
from nn.layers import MLP, Layer, Neuron
from nn.module import Module, StateDictError
from nn.optim import SGD, Adam, AdamW, CosineAnnealingLR, Optimizer, StepLR
from nn.serialization import load, save
from nn.train import History, evaluate, fit

__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "DataLoader",
    "History",
    "Layer",
    "Module",
    "Neuron",
    "Optimizer",
    "StateDictError",
    "StepLR",
    "accuracy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "datasets",
    "elu",
    "evaluate",
    "export_onnx",
    "fit",
    "from_torch",
    "functional",
    "gelu",
    "hinge_loss",
    "leaky_relu",
    "load",
    "mse_loss",
    "relu",
    "save",
    "sigmoid",
    "softplus",
    "tanh",
    "to_torch",
    "train_test_split",
]


def __getattr__(name: str) -> object:
    """`nn.distributed` on first use: it is not imported with nn, so that
    `python -m nn.distributed` runs it fresh (and a script that never trains on several workers
    never loads it)."""
    if name == "distributed":
        import importlib

        return importlib.import_module("nn.distributed")
    raise AttributeError(f"module 'nn' has no attribute {name!r}")
