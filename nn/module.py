"""`Module`: the base class of networks. It finds parameters and sub-modules by itself.

A parameter is any attribute that is a `Tensor` with `requires_grad=True`; a sub-module is any
attribute that is a `Module`, or a list or tuple of them. No registration is needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from autograd import Tensor


class Module:
    """Base class: subclasses set parameters and sub-modules as attributes and define `forward`."""

    training: bool = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    # --- structure ---------------------------------------------------------------------------

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct sub-modules with their attribute names (`layers.0` for list items)."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def named_parameters(self, prefix: str = "") -> list[tuple[str, Tensor]]:
        """Every parameter once, with its dotted name (`layers.0.weight`), in a stable order."""
        seen: set[int] = set()
        out: list[tuple[str, Tensor]] = []
        self._collect(prefix, seen, out)
        return out

    def _collect(self, prefix: str, seen: set[int], out: list[tuple[str, Tensor]]) -> None:
        for name, value in vars(self).items():
            if isinstance(value, Tensor) and value.requires_grad and id(value) not in seen:
                seen.add(id(value))
                out.append((prefix + name, value))
        for name, child in self.named_children():
            child._collect(f"{prefix}{name}.", seen, out)

    def parameters(self) -> list[Tensor]:
        """The parameter tensors, each once, in the order of `named_parameters()`."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """How many numbers the parameters hold."""
        return sum(p.size for p in self.parameters())

    def label_parameters(self, prefix: str = "") -> Module:
        """Set each parameter's `.label` to its dotted name, so drawings show `layers.0.weight`.

        The built-in modules call it when they are made; returns self.
        """
        for name, p in self.named_parameters(prefix):
            p.label = name
        return self

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module, depth first."""
        yield self
        for _, child in self.named_children():
            yield from child.modules()

    # --- training state ----------------------------------------------------------------------

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (`.grad = None`)."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> Module:
        """Set `.training` on this module and its sub-modules; returns self."""
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode: `train(False)`."""
        return self.train(False)

    # --- saving ------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameter name -> a copy of its array."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy arrays into the parameters, after checking every key and shape.

        Refuses missing and unexpected keys (unless `strict=False`) and wrong shapes, naming
        them; when it refuses, no parameter has changed.
        """
        if not isinstance(state, dict):
            raise TypeError(f"load_state_dict needs a dict, got {type(state).__name__}")
        params = dict(self.named_parameters())
        missing = [k for k in params if k not in state]
        unexpected = [k for k in state if k not in params]
        if strict and (missing or unexpected):
            raise KeyError(
                f"load_state_dict for {type(self).__name__}: missing keys {missing}, "
                f"unexpected keys {unexpected}"
            )
        arrays = {}
        for name, value in state.items():
            if name not in params:
                continue
            arr = np.asarray(value)
            p = params[name]
            if arr.shape != p.shape:
                raise ValueError(
                    f"load_state_dict: '{name}' has shape {arr.shape} in the state dict but "
                    f"{p.shape} in the model"
                )
            if arr.dtype.kind not in "biuf":
                raise TypeError(f"load_state_dict: '{name}' holds dtype {arr.dtype}, not numbers")
            arrays[name] = arr
        for name, arr in arrays.items():
            params[name].data = arr.astype(params[name].dtype, copy=True)

    # --- display -----------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """What to show between the parentheses of a leaf module's repr."""
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        lines.append(")")
        return "\n".join(lines)
