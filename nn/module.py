"""`Module`: the base class of networks. It finds parameters and sub-modules by itself.

A parameter is a leaf `Tensor` attribute that requires grad, or that did when it was assigned
to the module: `self.weight = Tensor(w, requires_grad=True)` makes one. Freezing it later with
`requires_grad_(False)` keeps it a parameter, in `parameters()`, `named_parameters()` and
`state_dict()`, as in PyTorch, so a checkpoint taken before freezing loads after and the other
way round; assigning a new value to the attribute decides afresh. Other Tensor attributes
(constants assigned without grad, results of operations cached on the module) are not
parameters. A sub-module is any attribute that is a `Module`, or a list or tuple of them. No
registration is needed.

`parameters()` therefore lists frozen parameters too; the optimisers accept them and skip them,
since their `.grad` stays None (as `torch.optim` does).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from autograd import Tensor, effect, guard, guard_write, structure_changed


class StateDictError(KeyError, ValueError):
    """A state dict that does not fit the model: missing or unexpected keys, or other shapes.

    Both a `KeyError` and a `ValueError`, so code that caught either of the two keeps working;
    the message lists every problem on its own line.
    """

    def __str__(self) -> str:  # KeyError would show the repr of the message, newlines escaped
        return str(self.args[0]) if self.args else ""


Shape = tuple[int, ...]

_PARAM_NAMES = "_parameter_names"  # attribute holding the names assigned as parameters


class _Modules(list):  # type: ignore[type-arg]
    """A list attribute of a module: a plain list that also tells `autograd.jit` when its items
    change (`layers[0] = ...`, `layers.append(...)`), as an attribute assignment does."""

    def _changed(name: str) -> Any:  # type: ignore[misc]
        method = getattr(list, name)

        def changed(self: list[Any], *args: Any, **kwargs: Any) -> Any:
            result = method(self, *args, **kwargs)
            structure_changed()
            return result

        changed.__name__ = name
        return changed

    for _name in ("__setitem__", "__delitem__", "__iadd__", "__imul__", "append", "extend",
                  "insert", "pop", "remove", "clear", "reverse", "sort"):
        locals()[_name] = _changed(_name)
    del _name, _changed

    def __reduce_ex__(self, protocol: Any) -> Any:  # pickles and copies as a plain list
        return (list, (list(self),))


class Module:
    """Base class: subclasses set parameters and sub-modules as attributes and define `forward`."""

    _training: bool = True

    @property
    def training(self) -> bool:
        """True in training mode (`train()`), False in evaluation mode (`eval()`). Read through
        `autograd.guard`: a function `autograd.jit` traced that reads it traces again when it
        changes, instead of replaying the other mode."""
        return guard(self, "_training")

    @training.setter
    def training(self, mode: bool) -> None:
        object.__setattr__(self, "_training", mode)
        guard_write(self, "_training", mode)  # (a traced function's own write is replayed)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A subclass that sets `training = False` in its body sets the default of the flag
        (which a plain class attribute would hide from `autograd.guard`)."""
        super().__init_subclass__(**kwargs)
        default = cls.__dict__.get("training")
        if default is not None and not isinstance(default, property):
            cls._training = bool(default)
            del cls.training

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickling: a module pickled before `training` became a property kept the flag under
        that name."""
        if "training" in state:
            state = dict(state)
            state["_training"] = state.pop("training")
        self.__dict__.update(state)

    def __setattr__(self, name: str, value: Any) -> None:
        """Set the attribute, and remember whether it was assigned as a parameter."""
        names = self.__dict__.get(_PARAM_NAMES)
        if isinstance(value, Tensor) and value.requires_grad and value.is_leaf:
            if names is None:
                names = set()
                object.__setattr__(self, _PARAM_NAMES, names)
            names.add(name)
        elif names is not None:
            names.discard(name)
        if value.__class__ is list and any(isinstance(v, Module) for v in value):
            value = _Modules(value)
        object.__setattr__(self, name, value)
        if name != "training":  # (train()/eval() each epoch of fit; no nn module reads it)
            structure_changed()  # functions autograd.jit traced may have read the old value

    def __delattr__(self, name: str) -> None:
        object.__delattr__(self, name)
        structure_changed()
        names = self.__dict__.get(_PARAM_NAMES)
        if names is not None:
            names.discard(name)

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
        """Every parameter once, frozen or not, with its dotted name (`layers.0.weight`), in a
        stable order: a module's own parameters, then its sub-modules', depth first."""
        seen: set[int] = set()
        out: list[tuple[str, Tensor]] = []
        self._collect(prefix, seen, out)
        return out

    def _collect(self, prefix: str, seen: set[int], out: list[tuple[str, Tensor]]) -> None:
        assigned = self.__dict__.get(_PARAM_NAMES, ())
        for name, value in vars(self).items():
            if (
                isinstance(value, Tensor)
                and (name in assigned or (value.requires_grad and value.is_leaf))
                and id(value) not in seen
            ):
                seen.add(id(value))
                out.append((prefix + name, value))
        for name, child in self.named_children():
            child._collect(f"{prefix}{name}.", seen, out)

    def parameters(self) -> list[Tensor]:
        """The parameter tensors, frozen ones included, each once, in the order of
        `named_parameters()`."""
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

    @effect
    def zero_grad(self) -> None:
        """Forget every parameter's gradient (`.grad = None`); replayed whole by autograd.jit."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> Module:
        """Set `.training` on this module and its sub-modules; returns self. (Inside a function
        autograd.jit compiles, each write of the flag is replayed: see `training`.)"""
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode: `train(False)`."""
        return self.train(False)

    # --- saving ------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameter name -> a copy of its array, for every parameter, frozen ones included."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy arrays into the parameters, after checking every key and shape.

        Refuses missing and unexpected keys (unless `strict=False`) and other shapes with a
        `StateDictError` (a `KeyError` and a `ValueError`) that names every such key, both
        shapes of each, and, when they differ, the architecture the checkpoint seems to hold
        next to this model's. When it refuses, no parameter has changed.
        """
        if not isinstance(state, dict):
            raise TypeError(f"load_state_dict needs a dict, got {type(state).__name__}")
        params = dict(self.named_parameters())
        missing = [k for k in params if k not in state]
        unexpected = [k for k in state if k not in params]
        problems = []
        if strict and missing:
            problems.append(f"missing keys {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys {unexpected}")
        arrays = {}
        for name, value in state.items():
            if name not in params:
                continue
            arr = np.asarray(value.data if isinstance(value, Tensor) else value)
            p = params[name]
            if arr.shape != p.shape:
                problems.append(
                    f"'{name}' has shape {arr.shape} in the checkpoint but {p.shape} in this model"
                )
            arrays[name] = arr
        if problems:
            theirs = {k: _shape(v) for k, v in state.items()}
            ours = {k: p.shape for k, p in params.items()}
            line = self._architectures(theirs, ours)
            if line:
                problems.append(line)
            raise StateDictError(
                f"load_state_dict for {type(self).__name__}: the checkpoint does not fit this "
                "model; nothing was loaded\n  " + "\n  ".join(problems)
            )
        for name, arr in arrays.items():
            if arr.dtype.kind not in "biuf":
                raise TypeError(f"load_state_dict: '{name}' holds dtype {arr.dtype}, not numbers")
        for name, arr in arrays.items():
            params[name].data = arr.astype(params[name].dtype, copy=True)

    def _architectures(
        self, theirs: Mapping[str, Shape | None], ours: Mapping[str, Shape]
    ) -> str | None:
        """One line: what the checkpoint seems to hold and what this model is (None if alike).

        Keys named like an MLP's (`layers.{i}.weight` and `.bias`) are read as layer sizes;
        anything else is listed as names and shapes.
        """
        their_mlp, our_mlp = _mlp_sizes(theirs), _mlp_sizes(ours)
        if their_mlp is not None and their_mlp == our_mlp:
            return None
        if their_mlp is None and our_mlp is None and theirs == ours:
            return None
        name = type(self).__name__
        if their_mlp is not None:
            left = f"the checkpoint looks like an {_mlp_repr(their_mlp)}"
        else:
            left = f"the checkpoint holds {_listing(theirs)}"
        if our_mlp is None:
            right = f"this model ({name}) holds {_listing(ours)}"
        elif name == "MLP":
            right = f"this model is {_mlp_repr(our_mlp)}"
        else:
            right = f"this model ({name}) is shaped like {_mlp_repr(our_mlp)}"
        return f"{left}; {right}"

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


_MLP_KEY = re.compile(r"layers\.(0|[1-9][0-9]*)\.(weight|bias)")


def _shape(value: Any) -> Shape | None:
    """The shape of a state dict entry, or None if it is not array-like."""
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple):
        return shape
    try:
        return np.shape(value)
    except Exception:  # a ragged list, or something numpy cannot read
        return None


def _mlp_sizes(shapes: Mapping[str, Shape | None]) -> tuple[int, list[int]] | None:
    """`(nin, nouts)` if the keys are an MLP's, `layers.{i}.weight` of shape `(nout, nin)`
    chained from layer to layer (and their biases); otherwise None."""
    weights: dict[int, Shape] = {}
    for key, shape in shapes.items():
        match = _MLP_KEY.fullmatch(key)
        if match is None:
            return None
        if match.group(2) == "weight":
            if shape is None or len(shape) != 2:
                return None
            weights[int(match.group(1))] = shape
    if not weights or sorted(weights) != list(range(len(weights))):
        return None
    nouts = [weights[i][0] for i in range(len(weights))]
    nins = [weights[i][1] for i in range(len(weights))]
    if nins[1:] != nouts[:-1]:
        return None
    return nins[0], nouts


def _mlp_repr(sizes: tuple[int, list[int]]) -> str:
    nin, nouts = sizes
    return f"MLP({nin}, {[int(n) for n in nouts]})"


def _listing(shapes: Mapping[str, Shape | None]) -> str:
    if not shapes:
        return "no arrays"
    return ", ".join(
        f"{k} {'(not an array)' if s is None else tuple(s)}" for k, s in shapes.items()
    )
