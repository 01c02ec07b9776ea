"""Optimisers with `torch.optim`'s formulas, and two learning-rate schedules.

Each `step()` updates the parameters' arrays in place from their `.grad` and counts the change
(`autograd.mark_dirty`), so a graph recorded before the step refuses a second backward instead of
using the new weights; a parameter whose `.grad` is None is skipped. In float64 the trajectories
equal PyTorch's step for step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Tensor, mark_dirty


class Optimizer:
    """Base class: holds the parameters, their per-parameter state, and the learning rate."""

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: parameter {i} is a {type(p).__name__}")
            if not p.requires_grad:
                raise ValueError(f"{type(self).__name__}: parameter {i} does not require grad")
        if not (isinstance(lr, (int, float)) and lr > 0):
            raise ValueError(f"{type(self).__name__}: lr must be a positive number, got {lr!r}")
        self.lr = float(lr)
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (`.grad = None`, PyTorch's default)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        changed = []
        for p, state in zip(self.params, self.state, strict=True):
            g = p.grad
            if g is not None:
                if g.__class__ is not np.ndarray:  # a Tensor after backward(create_graph=True)
                    g = np.asarray(g)
                self._update(p.data, g, state)
                changed.append(p)
        mark_dirty(*changed)

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        """Change the parameter's array `w` in place (`step` counts the change)."""
        raise NotImplementedError

    hyper: tuple[str, ...] = ("lr",)  # the settings state_dict() saves

    def _hyper(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.hyper}

    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters and a copy of each parameter's state."""
        return {
            "hyper": self._hyper(),
            "state": [
                {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in s.items()}
                for s in self.state
            ],
        }

    def load_state_dict(self, sd: dict[str, Any]) -> None:
        """Restore `state_dict()`; refuses a different number or shape of parameters."""
        try:
            hyper, states = sd["hyper"], sd["state"]
        except (KeyError, TypeError):
            raise ValueError("optimizer state dict needs the keys 'hyper' and 'state'") from None
        if len(states) != len(self.params):
            raise ValueError(
                f"optimizer state has {len(states)} parameters, this optimizer {len(self.params)}"
            )
        for i, (s, p) in enumerate(zip(states, self.params, strict=True)):
            for k, v in s.items():
                if isinstance(v, np.ndarray) and v.shape != p.shape:
                    raise ValueError(
                        f"optimizer state of parameter {i} ('{k}') has shape {v.shape}, "
                        f"the parameter {p.shape}"
                    )
        unknown = sorted(set(hyper) - set(self.hyper))
        if unknown:
            raise ValueError(
                f"optimizer state has unknown settings {unknown} for {type(self).__name__}"
            )
        for k, v in hyper.items():
            setattr(self, k, tuple(v) if isinstance(v, list) else v)
        self.state = [
            {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in s.items()} for s in states
        ]


class SGD(Optimizer):
    """Stochastic gradient descent, with momentum, Nesterov momentum and weight decay.

    g = grad + weight_decay * w; buf = g on the first step, then momentum * buf + g;
    w -= lr * (g + momentum * buf if nesterov else buf).
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if momentum < 0 or weight_decay < 0:
            raise ValueError("SGD: momentum and weight_decay must be >= 0")
        if nesterov and momentum <= 0:
            raise ValueError("SGD: nesterov needs a momentum > 0")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.weight_decay = float(weight_decay)

    hyper = ("lr", "momentum", "nesterov", "weight_decay")

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

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        b1, b2 = betas
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"{type(self).__name__}: betas must lie in [0, 1), got {betas}")
        if eps < 0 or weight_decay < 0:
            raise ValueError(f"{type(self).__name__}: eps and weight_decay must be >= 0")
        self.betas = (float(b1), float(b2))
        self.eps = float(eps)
        self.weight_decay = float(weight_decay)

    hyper = ("lr", "betas", "eps", "weight_decay")

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
    """Base of the schedules: `step()` once per epoch sets the optimiser's `lr` for the next."""

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.epoch = 0

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> float:
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)
        return self.optimizer.lr


class StepLR(LRScheduler):
    """Multiply the learning rate by `gamma` every `step_size` epochs (call `step()` per epoch)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be >= 1, got {step_size}")
        super().__init__(optimizer)
        self.step_size = step_size
        self.gamma = gamma

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """Cosine decay from the initial learning rate to `eta_min` over `T_max` epochs."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be >= 1, got {T_max}")
        super().__init__(optimizer)
        self.T_max = T_max
        self.eta_min = eta_min

    def lr_at(self, epoch: int) -> float:
        cos = (1 + math.cos(math.pi * min(epoch, self.T_max) / self.T_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * cos
