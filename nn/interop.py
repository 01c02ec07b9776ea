"""Models that move: an `MLP` to PyTorch and back, and out to ONNX for deployment.

`to_torch(model)` gives a `torch.nn.Sequential` of `Linear` layers and activation modules holding
copies of the same weights (a `Layer`'s weight is `(out, in)`, `torch.nn.Linear`'s layout, so
they copy unchanged); `from_torch(module)` builds an `MLP` from such a Sequential, and refuses,
naming the item, whatever an `MLP` cannot hold. `export_onnx(model, path)` writes the model as
an ONNX graph (Gemm and the activations' operators, a dynamic batch dimension) that
`onnxruntime` runs. torch and onnx are imported inside these functions only, from the extras
`distributed` (or `test`) and `onnx`: `import nn` needs neither.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from nn import functional as F
from nn.layers import MLP, Layer
from nn.module import Module

# An activation nn knows by name: its PyTorch module (with the settings nn uses) and its name.
_TORCH_ACTIVATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "relu": ("ReLU", {}),
    "tanh": ("Tanh", {}),
    "sigmoid": ("Sigmoid", {}),
    "leaky_relu": ("LeakyReLU", {"negative_slope": 0.01}),
    "gelu": ("GELU", {"approximate": "none"}),
    "softplus": ("Softplus", {"beta": 1.0, "threshold": 20.0}),
    "elu": ("ELU", {"alpha": 1.0}),
}
_NAMES = ", ".join(repr(k) for k in _TORCH_ACTIVATIONS) + ", None"
DEFAULT_OPSET = 17
"""The ONNX opset `export_onnx` writes unless told otherwise (onnxruntime runs 7 and later)."""
MIN_OPSET = 13


@dataclass
class _Dense:
    """One layer as plain numbers: what every format here writes."""

    weight: np.ndarray  # (out, in)
    bias: np.ndarray  # (out,)
    activation: str | None  # a key of _TORCH_ACTIVATIONS, or None for a linear output
    trainable: tuple[bool, bool]  # whether weight and bias require grad


def _activation_name(activation: Any, where: str, who: str) -> str | None:
    """The name of a layer's activation, or a ValueError naming the layer."""
    if activation is None or activation == "linear" or activation is F.identity:
        return None
    if isinstance(activation, str) and activation in _TORCH_ACTIVATIONS:
        return activation
    for name, fn in F.ACTIVATIONS.items():  # nn.relu and friends, given as functions
        if isinstance(name, str) and fn is activation and name in _TORCH_ACTIVATIONS:
            return name
    shown = getattr(activation, "__name__", repr(activation))
    raise ValueError(
        f"{who}: {where} has the activation {shown}, which has no counterpart there; "
        f"the activations that move are {_NAMES}"
    )


def _dense_layers(model: Module, who: str) -> list[_Dense]:
    """An MLP's (or a Layer's) layers as numbers, or a TypeError/ValueError saying why not."""
    if isinstance(model, MLP):
        layers = list(model.layers)
    elif isinstance(model, Layer):
        layers = [model]
    else:
        raise TypeError(
            f"{who} takes an nn.MLP or nn.Layer, got {type(model).__name__}: other modules have "
            "no fixed structure of Linear layers and activations to translate"
        )
    out = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, Layer):
            raise TypeError(f"{who}: layers[{i}] is a {type(layer).__name__}, not an nn.Layer")
        out.append(
            _Dense(
                layer.weight.data,
                layer.bias.data,
                _activation_name(layer.activation, f"layer {i}", who),
                (layer.weight.requires_grad, layer.bias.requires_grad),
            )
        )
    return out


# --- PyTorch ---------------------------------------------------------------------------------


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(
            "moving models to and from PyTorch needs torch: pip install "
            "'autograd-nn[distributed]' (the extra that brings torch 2.13.0)"
        ) from None
    return torch


def to_torch(model: Module) -> Any:
    """A `torch.nn.Sequential` computing what `model` (an `MLP` or `Layer`) computes.

    Each layer becomes a `Linear` holding a copy of its weight and bias (same dtype, same
    bits, same `requires_grad`), followed by its activation's module (`ReLU`, `Tanh`,
    `Sigmoid`, `LeakyReLU(0.01)`, `GELU()`, `Softplus()`, `ELU()`; none for a linear output).

    >>> import nn
    >>> nn.to_torch(nn.MLP(2, [4, 1]))  # doctest: +SKIP
    Sequential(
      (0): Linear(in_features=2, out_features=4, bias=True)
      (1): ReLU()
      (2): Linear(in_features=4, out_features=1, bias=True)
    )
    """
    layers = _dense_layers(model, "to_torch")
    torch = _torch()
    items = []
    for d in layers:
        nout, nin = d.weight.shape
        linear = torch.nn.Linear(nin, nout, dtype=torch.from_numpy(d.weight[:0]).dtype)
        linear.weight = torch.nn.Parameter(torch.tensor(d.weight), requires_grad=d.trainable[0])
        linear.bias = torch.nn.Parameter(torch.tensor(d.bias), requires_grad=d.trainable[1])
        items.append(linear)
        if d.activation is not None:
            cls, settings = _TORCH_ACTIVATIONS[d.activation]
            items.append(getattr(torch.nn, cls)(**settings))
    return torch.nn.Sequential(*items)


def _torch_activation(item: Any, index: int) -> str | None:
    """The nn name of a torch activation module, or a ValueError naming item `index`."""
    cls = type(item).__name__
    if cls == "Identity":
        return None
    for name, (torch_cls, settings) in _TORCH_ACTIVATIONS.items():
        if cls == torch_cls:
            for key, want in settings.items():
                if getattr(item, key) != want:
                    raise ValueError(
                        f"from_torch: item {index} ({item!r}) has {key}={getattr(item, key)!r}; "
                        f"nn's {name!r} uses {key}={want!r}"
                    )
            return name
    return "?"


def from_torch(module: Any) -> MLP:
    """An `MLP` holding the weights of a `torch.nn.Sequential` of `Linear` and activations.

    The Sequential reads as Linear, activation, Linear, activation, ... with one activation
    for every hidden layer and any (or none) after the last, all Linear layers with a bias and
    one float dtype; a lone `Linear` is an MLP of one layer. Anything else is refused with a
    `ValueError` (or a `TypeError`) that names the item and its index.
    """
    torch = _torch()
    if isinstance(module, torch.nn.Linear):
        module = torch.nn.Sequential(module)
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(
            f"from_torch takes a torch.nn.Sequential of Linear layers and activations, "
            f"got {type(module).__name__}"
        )
    linears: list[tuple[int, Any]] = []
    after: list[tuple[str | None, int | None]] = []  # each Linear's activation, and its index
    for index, item in enumerate(module):
        if isinstance(item, torch.nn.Linear):
            if item.bias is None:
                raise ValueError(
                    f"from_torch: item {index} ({item!r}) has no bias; nn's layers always "
                    "have one (give it a zero bias: Linear(..., bias=True) with bias zeroed)"
                )
            if linears and item.weight.dtype != linears[0][1].weight.dtype:
                raise ValueError(
                    f"from_torch: item {index} is {item.weight.dtype} but item "
                    f"{linears[0][0]} is {linears[0][1].weight.dtype}; an MLP has one dtype"
                )
            if linears and item.in_features != linears[-1][1].out_features:
                raise ValueError(
                    f"from_torch: item {index} ({item!r}) takes {item.in_features} inputs but "
                    f"item {linears[-1][0]} gives {linears[-1][1].out_features}"
                )
            linears.append((index, item))
            after.append((None, None))
            continue
        name = _torch_activation(item, index)
        if name == "?":
            raise ValueError(
                f"from_torch: item {index} ({type(item).__name__}) is neither a Linear layer nor "
                "an activation nn has (ReLU, Tanh, Sigmoid, LeakyReLU, GELU, Softplus, ELU, "
                "Identity)"
            )
        if not linears:
            raise ValueError(f"from_torch: item {index} ({item!r}) comes before any Linear layer")
        if after[-1][1] is not None:
            raise ValueError(
                f"from_torch: items {after[-1][1]} and {index} are two activations in a row; an "
                "MLP layer has one"
            )
        after[-1] = (name, index)
    if not linears:
        raise ValueError("from_torch: the Sequential holds no Linear layer")
    hidden = {name for name, _ in after[:-1]}
    if len(hidden) > 1:
        listing = ", ".join(
            f"{'no activation' if n is None else n} after item {i}"
            for (i, _), (n, _) in zip(linears[:-1], after[:-1], strict=True)
        )
        raise ValueError(
            f"from_torch: an MLP has one activation for all its hidden layers, this Sequential "
            f"has {listing}"
        )
    dtype = torch.zeros(0, dtype=linears[0][1].weight.dtype).numpy().dtype
    if dtype.kind != "f":
        raise ValueError(f"from_torch: the weights are {linears[0][1].weight.dtype}, not floats")
    model = MLP(
        linears[0][1].in_features,
        [item.out_features for _, item in linears],
        activation=hidden.pop() if hidden else "relu",
        output_activation=after[-1][0],
        init="zeros",
        dtype=dtype,
    )
    for layer, (_, item) in zip(model.layers, linears, strict=True):
        for mine, theirs in ((layer.weight, item.weight), (layer.bias, item.bias)):
            mine.data = theirs.detach().cpu().numpy().copy()
            mine.requires_grad_(bool(theirs.requires_grad))
    return model


# --- ONNX ------------------------------------------------------------------------------------


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError(
            "export_onnx needs the onnx package (and onnxruntime to run the file): "
            "pip install 'autograd-nn[onnx]'"
        ) from None
    return onnx


def export_onnx(model: Module, path: str | os.PathLike[str], opset: int = DEFAULT_OPSET) -> str:
    """Write `model` (an `MLP` or `Layer`) to `path` as an ONNX model; returns the path.

    The graph takes `input` of shape `(batch, nin)` (the batch dimension is dynamic) in the
    model's dtype and gives `output`. Each layer is a `Gemm` (x @ W.T + b, the weight stored
    as is) followed by its activation: `Relu`, `Tanh`, `Sigmoid`, `LeakyRelu(0.01)` (in float64
    `Where(x > 0, x, 0.01 x)`, since ONNX attributes are float32), `Elu(1)`, softplus as
    `Where(x > 20, x, Softplus(x))` (PyTorch's threshold), and GELU as `Gelu` from opset 20,
    `x/2 (1 + Erf(x/sqrt 2))` before. The file is checked with `onnx.checker`.

    onnxruntime's CPU kernels for `Elu`, `Softplus`, `Erf` and `Gelu` are float32 only: a
    float64 model with those activations is valid ONNX that onnxruntime will not load; export
    a float32 copy for it (`nn.MLP(..., dtype=np.float32)` and `load_state_dict`).
    """
    layers = _dense_layers(model, "export_onnx")
    onnx = _onnx()
    from onnx import helper, numpy_helper

    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise ValueError(
            f"export_onnx: opset must be an int from {MIN_OPSET} to {newest} (this onnx "
            f"package's newest), got {opset!r}"
        )
    dtype = layers[0].weight.dtype
    if dtype not in (np.float32, np.float64, np.float16):
        raise ValueError(f"export_onnx: the model is {dtype}; ONNX export takes float16/32/64")
    elem = helper.np_dtype_to_tensor_dtype(dtype)
    nodes: list[Any] = []
    inits: list[Any] = []

    def constant(name: str, value: float) -> str:
        inits.append(numpy_helper.from_array(np.array(value, dtype=dtype), name))
        return name

    x = "input"
    for i, d in enumerate(layers):
        w, b = f"layers.{i}.weight", f"layers.{i}.bias"
        inits += [numpy_helper.from_array(d.weight, w), numpy_helper.from_array(d.bias, b)]
        z = f"layers.{i}.linear"
        nodes.append(helper.make_node("Gemm", [x, w, b], [z], name=f"layer{i}", transB=1))
        x = _onnx_activation(
            helper, nodes, constant, d.activation, z, i, opset, dtype == np.float64
        )
    nodes.append(helper.make_node("Identity", [x], ["output"], name="output"))
    nin, nout = layers[0].weight.shape[1], layers[-1].weight.shape[0]
    graph = helper.make_graph(
        nodes,
        type(model).__name__,
        [helper.make_tensor_value_info("input", elem, ["batch", nin])],
        [helper.make_tensor_value_info("output", elem, ["batch", nout])],
        initializer=inits,
    )
    opsets = [helper.make_opsetid("", opset)]
    onnx_model = helper.make_model(
        graph,
        opset_imports=opsets,
        producer_name="autograd-nn",
        ir_version=helper.find_min_ir_version_for(opsets),
    )
    onnx.checker.check_model(onnx_model, full_check=True)
    target = os.fspath(path)
    onnx.save(onnx_model, target)
    return target


def _onnx_activation(
    helper: Any,
    nodes: list[Any],
    constant: Any,
    name: str | None,
    x: str,
    i: int,
    opset: int,
    double: bool,
) -> str:
    """Append layer `i`'s activation of `x` to `nodes`; returns the name of its output."""
    if name is None:
        return x
    out = f"layers.{i}.{name}"
    simple = {"relu": "Relu", "tanh": "Tanh", "sigmoid": "Sigmoid"}
    if name in simple:
        nodes.append(helper.make_node(simple[name], [x], [out], name=out))
    elif name == "leaky_relu" and not double:
        nodes.append(helper.make_node("LeakyRelu", [x], [out], name=out, alpha=0.01))
    elif name == "leaky_relu":  # ONNX attributes are float32: 0.01 would be 0.0099999998
        above, scaled = f"{out}.above", f"{out}.scaled"
        zero, slope = constant(f"{out}.zero", 0.0), constant(f"{out}.slope", 0.01)
        nodes.append(helper.make_node("Greater", [x, zero], [above], name=above))
        nodes.append(helper.make_node("Mul", [x, slope], [scaled], name=scaled))
        nodes.append(helper.make_node("Where", [above, x, scaled], [out], name=out))
    elif name == "elu":
        nodes.append(helper.make_node("Elu", [x], [out], name=out, alpha=1.0))
    elif name == "softplus":  # PyTorch's: x itself above the threshold 20
        big, soft = f"{out}.above", f"{out}.soft"
        limit = constant(f"{out}.threshold", 20.0)
        nodes.append(helper.make_node("Greater", [x, limit], [big], name=big))
        nodes.append(helper.make_node("Softplus", [x], [soft], name=soft))
        nodes.append(helper.make_node("Where", [big, x, soft], [out], name=out))
    elif name == "gelu" and opset >= 20:
        nodes.append(helper.make_node("Gelu", [x], [out], name=out))
    elif name == "gelu":  # x/2 (1 + erf(x / sqrt 2)), the exact GELU, before opset 20 had it
        half, root2, one = (
            constant(f"{out}.half", 0.5),
            constant(f"{out}.sqrt2", np.sqrt(2.0)),
            constant(f"{out}.one", 1.0),
        )
        steps = [
            ("Div", [x, root2], "scaled"),
            ("Erf", [f"{out}.scaled"], "erf"),
            ("Add", [f"{out}.erf", one], "plus1"),
            ("Mul", [x, f"{out}.plus1"], "times_x"),
        ]
        for op, inputs, tag in steps:
            nodes.append(helper.make_node(op, inputs, [f"{out}.{tag}"], name=f"{out}.{tag}"))
        nodes.append(helper.make_node("Mul", [f"{out}.times_x", half], [out], name=out))
    else:  # pragma: no cover - _activation_name admits only the names above
        raise AssertionError(name)
    return out
