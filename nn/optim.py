"""Optimisers with `torch.optim`'s formulas, and two learning-rate schedules.

Each `step()` updates the parameters' arrays in place from their `.grad` and counts the change
(`autograd.mark_dirty`), so a graph recorded before the step refuses a second backward instead of
using the new weights; a parameter whose `.grad` is None is skipped. In float64 the trajectories
equal PyTorch's step for step.

Every setting is checked where it enters (the constructors and `load_state_dict`) by `_settings`:
any real number, numpy scalars included, stored as a Python float; bools are not numbers here;
nan, inf and values out of range are refused, naming the setting.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from autograd import Tensor, effect, mark_dirty
from nn.module import Module

# The range of each numeric setting: a test and its words. All of them must also be finite.
_AT_LEAST_0 = (lambda v: v >= 0, ">= 0")
_AT_LEAST_1 = (lambda v: v >= 1, ">= 1")
_RANGES: dict[str, tuple[Callable[[float], bool], str]] = {
    "lr": _AT_LEAST_0,
    "momentum": _AT_LEAST_0,
    "weight_decay": _AT_LEAST_0,
    "eps": _AT_LEAST_0,
    "beta": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "gamma": _AT_LEAST_0,
    "eta_min": _AT_LEAST_0,
    "step_size": _AT_LEAST_1,
    "T_max": _AT_LEAST_1,
}
_INTEGERS = ("step_size", "T_max")


def _setting(owner: str, name: str, value: Any) -> Any:
    """`value` checked as the setting `name` of `owner`, as a Python bool, int, float or tuple."""
    if name == "nesterov":
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{owner}: nesterov must be True or False, got {value!r}")
        return bool(value)
    if name == "betas":
        if not isinstance(value, (tuple, list)):
            raise TypeError(f"{owner}: betas must be a pair of numbers, got {value!r}")
        if len(value) != 2:
            raise ValueError(f"{owner}: betas must be a pair of numbers, got {len(value)} of them")
        return tuple(_setting(owner, f"betas[{i}]", b) for i, b in enumerate(value))
    key = "beta" if name.startswith("betas[") else name
    if key not in _RANGES:  # a subclass's own setting: its own business
        return tuple(value) if isinstance(value, list) else value
    kind, words = (numbers.Integral, "an integer") if key in _INTEGERS else (numbers.Real, "")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, kind):
        raise TypeError(
            f"{owner}: {name} must be {words or 'a real number'}, "
            f"got {type(value).__name__} {value!r}"
        )
    test, in_range = _RANGES[key]
    number: float
    try:  # (the isinstance repeats the check above for mypy: int() takes an Integral, no Real)
        if kind is numbers.Integral and isinstance(value, numbers.Integral):
            number = int(value)
        else:
            number = float(value)
    except OverflowError:  # an int beyond float range
        number = math.inf
    if not (math.isfinite(number) and test(number)):
        # a Python number, not np.float32(...)
        shown = int(value) if isinstance(value, numbers.Integral) else number
        raise ValueError(
            f"{owner}: {name} must be {words or 'a finite number'} {in_range}, got {shown!r}"
        )
    return number


def _settings(owner: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """Every setting in `given` checked by `_setting`, and the ones that depend on each other."""
    out = {name: _setting(owner, name, value) for name, value in given.items()}
    if out.get("nesterov") and not out.get("momentum", 0.0) > 0:
        raise ValueError(
            f"{owner}: nesterov needs a momentum > 0, got momentum={out.get('momentum', 0.0)!r}"
        )
    return out


class Optimizer:
    """Base class: holds the parameters, their per-parameter state, and the settings.

    A subclass passes its settings to `__init__` by name, lists them in `hyper` and, to have
    `load_state_dict` check a parameter's state, its keys in `state_keys`: "step" (a count) or
    "array" (shaped like the parameter).
    """

    hyper: tuple[str, ...] = ("lr",)  # the settings state_dict() saves
    state_keys: dict[str, str] | None = None  # a parameter's state after its first step
    lr: float  # each setting is an attribute, set from the checked settings by __init__

    def __init__(self, params: Iterable[Tensor], lr: float, **settings: Any) -> None:
        name = type(self).__name__
        checked = _settings(name, {"lr": lr, **settings})
        if isinstance(params, Tensor):
            raise TypeError(f"{name} needs an iterable of parameters, got one Tensor")
        if isinstance(params, Module):
            raise TypeError(
                f"{name} needs the parameters, not the {type(params).__name__} itself: "
                f"pass model.parameters()"
            )
        given = list(params)
        if not given:
            raise ValueError(f"{name} got an empty parameter list")
        first: dict[int, int] = {}  # id -> index of its first occurrence
        repeats = []
        self.params: list[Tensor] = []
        for i, p in enumerate(given):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: parameter {i} is a {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: parameter {i} is not a leaf but an operation's result")
            if id(p) in first:
                repeats.append(f"parameter {i} repeats parameter {first[id(p)]}")
            else:
                first[id(p)] = i
                self.params.append(p)
        if repeats:
            # stacklevel: the line that made the optimiser, past each class's __init__
            inits = sum("__init__" in vars(c) for c in type(self).__mro__[:-1])
            warnings.warn(
                f"{name}: {'; '.join(repeats)} (optimizer contains a parameter group with "
                "duplicate parameters); each is stepped once",
                UserWarning,
                stacklevel=inits + 1,
            )
        for k, v in checked.items():
            setattr(self, k, v)
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    @effect
    def zero_grad(self) -> None:
        """Forget every parameter's gradient (`.grad = None`, PyTorch's default)."""
        for p in self.params:
            p.grad = None

    @effect
    def step(self) -> None:
        """Update every parameter that has a gradient (replayed whole by autograd.jit, which
        reads the settings, the state and the gradients afresh each time)."""
        changed: list[Tensor] = []
        for p, state in zip(self.params, self.state, strict=True):
            g = p.grad
            if g is not None:
                if g.__class__ is not np.ndarray:  # a Tensor after backward(create_graph=True)
                    g = g.data
                self._update(p.data, g, state)
                changed.append(p)
        mark_dirty(*changed)

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        """Change the parameter's array `w` in place (`step` counts the change)."""
        raise NotImplementedError

    def _hyper(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.hyper}

    def state_dict(self) -> dict[str, Any]:
        """Settings and a copy of each parameter's state."""
        return {
            "hyper": self._hyper(),
            "state": [
                {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in s.items()}
                for s in self.state
            ],
        }

    def load_state_dict(self, sd: dict[str, Any]) -> None:
        """Restore `state_dict()`, checked as the constructor checks; a refused one changes nothing.

        Refuses unknown or invalid settings, a different number of parameters, and a
        parameter's state with other keys than this optimiser's or arrays of another shape.
        """
        owner = f"{type(self).__name__}.load_state_dict"
        if not (isinstance(sd, Mapping) and "hyper" in sd and "state" in sd):
            raise ValueError("optimizer state dict needs the keys 'hyper' and 'state'")
        hyper, states = sd["hyper"], sd["state"]
        if not isinstance(hyper, Mapping):
            raise TypeError(f"{owner}: 'hyper' must be a dict of settings, got {hyper!r}")
        unknown = sorted(set(hyper) - set(self.hyper), key=repr)
        if unknown:
            raise ValueError(
                f"optimizer state has unknown settings {unknown} for {type(self).__name__}"
            )
        settings = _settings(owner, {**self._hyper(), **hyper})
        if not isinstance(states, (list, tuple)):
            raise TypeError(f"{owner}: 'state' must be a list, got {type(states).__name__}")
        if len(states) != len(self.params):
            raise ValueError(
                f"optimizer state has {len(states)} parameters, this optimizer {len(self.params)}"
            )
        new_state = [
            self._checked_state(owner, i, s, p)
            for i, (s, p) in enumerate(zip(states, self.params, strict=True))
        ]
        for k, v in settings.items():  # all checked: now change
            setattr(self, k, v)
        self.state = new_state

    def _checked_state(self, owner: str, i: int, s: Any, p: Tensor) -> dict[str, Any]:
        """A copy of parameter `i`'s state `s`, refused unless it is one this optimiser makes."""
        if not isinstance(s, Mapping):
            raise TypeError(f"{owner}: the state of parameter {i} must be a dict, got {s!r}")
        kinds = self.state_keys
        if kinds is not None and s and set(s) != set(kinds):
            raise ValueError(
                f"{owner}: the state of parameter {i} has the keys {sorted(s, key=repr)}, "
                f"{type(self).__name__} uses {sorted(kinds)} (or none before the first step)"
            )
        out = {}
        for k, v in s.items():
            kind = kinds[k] if kinds is not None else None
            if kind == "step":
                if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral) or v < 0:
                    raise ValueError(
                        f"{owner}: the state of parameter {i} ('{k}') must be a count >= 0, "
                        f"got {v!r}"
                    )
                v = int(v)
            elif kind == "array" and not (isinstance(v, np.ndarray) and v.dtype.kind == "f"):
                of = f" of {v.dtype}" if isinstance(v, np.ndarray) else ""
                raise TypeError(
                    f"{owner}: the state of parameter {i} ('{k}') must be a float array, "
                    f"got {type(v).__name__}{of}"
                )
            if isinstance(v, np.ndarray):  # an optimiser's array, or a subclass's own
                if v.shape != p.shape:
                    raise ValueError(
                        f"optimizer state of parameter {i} ('{k}') has shape {v.shape}, "
                        f"the parameter {p.shape}"
                    )
                # a copy; the optimiser's arrays in the parameter's dtype, as torch casts them
                v = v.astype(p.dtype) if kind == "array" else v.copy()
            out[k] = v
        return out


class SGD(Optimizer):
    """Stochastic gradient descent, with momentum, Nesterov momentum and weight decay.

    g = grad + weight_decay * w; buf = g on the first step, then momentum * buf + g;
    w -= lr * (g + momentum * buf if nesterov else buf).
    """

    hyper = ("lr", "momentum", "nesterov", "weight_decay")
    state_keys = {"momentum_buffer": "array"}
    momentum: float
    nesterov: bool
    weight_decay: float

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(
            params, lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay
        )

    @effect
    def step(self) -> None:
        """Update every parameter that has a gradient. Plain SGD (no momentum, no weight
        decay), the common case on small models, runs as one loop: a call per parameter would
        cost as much as the update of a small layer. (The loop is `Optimizer.step`'s with
        `_update` written in; sharing it through a generator cost more than the call it saves.)"""
        if self.momentum or self.weight_decay or type(self)._update is not SGD._update:
            return super().step()  # (a subclass's own update rule goes through _update)
        lr = self.lr
        changed: list[Tensor] = []
        for p in self.params:
            g = p.grad
            if g is not None:
                if g.__class__ is not np.ndarray:  # a Tensor after backward(create_graph=True)
                    g = g.data
                w = p.data
                w -= lr * g
                changed.append(p)
        mark_dirty(*changed)

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * w
        if self.momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(g, copy=True)
            else:
                buf *= self.momentum
                buf += g
            g = g + self.momentum * buf if self.nesterov else buf
        w -= self.lr * g


class Adam(Optimizer):
    """Adam with bias correction; `weight_decay` adds weight_decay * w to the gradient (L2).

    m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
    w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
    """

    decoupled = False
    hyper = ("lr", "betas", "eps", "weight_decay")
    state_keys = {"step": "step", "exp_avg": "array", "exp_avg_sq": "array"}
    betas: tuple[float, float]
    eps: float
    weight_decay: float

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        b1, b2 = self.betas
        if self.weight_decay:
            if self.decoupled:
                w *= 1.0 - self.lr * self.weight_decay
            else:
                g = g + self.weight_decay * w
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(w)
            state["exp_avg_sq"] = np.zeros_like(w)
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1.0 - b1) * (g - m)  # = b1 m + (1 - b1) g, in PyTorch's lerp form
        v *= b2
        v += (1.0 - b2) * g * g
        step_size = self.lr / (1.0 - b1**t)
        denom = np.sqrt(v) / math.sqrt(1.0 - b2**t) + self.eps
        w -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay: w *= 1 - lr * weight_decay before the Adam step."""

    decoupled = True

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


class LRScheduler:
    """Base of the schedules: `step()` once per epoch sets the optimiser's `lr` for the next.

    A subclass passes its settings to `__init__` by name, which checks them and sets each as an
    attribute (annotated in the subclass).
    """

    def __init__(self, optimizer: Optimizer, **settings: Any) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name} needs an Optimizer, got {type(optimizer).__name__}")
        for k, v in _settings(name, settings).items():
            setattr(self, k, v)
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.epoch = 0

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError

    @effect
    def step(self) -> float:
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)
        return self.optimizer.lr


class StepLR(LRScheduler):
    """Multiply the learning rate by `gamma` every `step_size` epochs (call `step()` per epoch)."""

    step_size: int
    gamma: float

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer, step_size=step_size, gamma=gamma)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """Cosine decay from the initial learning rate to `eta_min` over `T_max` epochs."""

    T_max: int
    eta_min: float

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        super().__init__(optimizer, T_max=T_max, eta_min=eta_min)

    def lr_at(self, epoch: int) -> float:
        cos = (1 + math.cos(math.pi * min(epoch, self.T_max) / self.T_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * cos
