"""Global switches of the engine: gradient recording (`no_grad`) and anomaly detection."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _Mode:
    """The process-wide switches read by every primitive call (plain attributes: fast to read)."""

    __slots__ = ("grad_enabled", "anomaly")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False


STATE = _Mode()


def is_grad_enabled() -> bool:
    """True when primitives record the graph (the default), False inside `no_grad`."""
    return STATE.grad_enabled


class _Switch:
    """A context manager and decorator that sets one switch of `STATE` and restores it on exit."""

    _attr = ""
    _value = True

    def __init__(self) -> None:
        self._saved: list[bool] = []

    def __enter__(self) -> None:
        self._saved.append(getattr(STATE, self._attr))
        setattr(STATE, self._attr, self._value)

    def __exit__(self, *exc: object) -> None:
        setattr(STATE, self._attr, self._saved.pop())

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_Switch):
    """Record nothing: results computed inside have `requires_grad == False`.

    Use it for evaluation and for parameter updates::

        with no_grad():
            y = model(x)

        @no_grad()
        def evaluate(x): ...
    """

    _attr = "grad_enabled"
    _value = False


class enable_grad(_Switch):
    """Record the graph again, for example inside a `no_grad` block."""

    _attr = "grad_enabled"
    _value = True


class detect_anomaly(_Switch):
    """Raise `AnomalyError` at the first forward or backward step that produces nan or inf.

    Slower (every result is scanned), so use it to find where a nan comes from::

        with detect_anomaly():
            loss.backward()
    """

    _attr = "anomaly"
    _value = True


class set_grad_enabled(_Switch):
    """Context manager that turns recording on or off according to `mode`."""

    _attr = "grad_enabled"

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self._value = bool(mode)

    def __call__(self, func: F) -> F:  # pragma: no cover - trivial
        raise TypeError("set_grad_enabled is a context manager; use no_grad() as a decorator")


class AnomalyError(FloatingPointError):
    """A forward or backward step produced nan or inf under `detect_anomaly()`."""
