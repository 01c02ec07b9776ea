"""The engine's switches: gradient recording (`no_grad`) and anomaly detection, per thread.

Each switch is a bit of one context variable, so every thread (and every asyncio task) has its
own: `no_grad()` in one thread never stops recording in another, and a new thread starts with
recording on and anomaly detection off, as in PyTorch.
"""

from __future__ import annotations

import contextvars
import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

GRAD = 1  # bit set while operations are recorded
ANOMALY = 2  # bit set while results are scanned for nan and inf

MODE = contextvars.ContextVar("autograd_mode", default=GRAD)
"""The current thread's (or task's) switches as bits."""

SWITCHED = [0]
"""How many switches are on right now, in all threads together. While it is 0, every thread is
in the default mode (recording, no anomaly checks) and the hot path need not read `MODE`: a
thread counts its switch before setting it and uncounts it after restoring, so a thread that
has a switch on always sees a count above 0."""
_COUNT_LOCK = threading.Lock()


def _count(step: int) -> None:
    with _COUNT_LOCK:
        SWITCHED[0] += step


def is_grad_enabled() -> bool:
    """True when primitives record the graph (the default), False inside `no_grad`."""
    return bool(MODE.get() & GRAD)


def is_anomaly_enabled() -> bool:
    """True inside `detect_anomaly()`."""
    return bool(MODE.get() & ANOMALY)


class _Switch:
    """A context manager and decorator that sets one bit of `MODE` and restores it on exit.

    The saved values are kept per thread, so even one instance shared by two threads restores
    each thread's own state.
    """

    _bit = GRAD
    _value = True

    def __init__(self) -> None:
        self._saved: dict[int, list[int]] = {}

    def __enter__(self) -> None:
        mode = MODE.get()
        self._saved.setdefault(threading.get_ident(), []).append(mode)
        _count(1)
        MODE.set(mode | self._bit if self._value else mode & ~self._bit)

    def __exit__(self, *exc: object) -> None:
        stack = self._saved[threading.get_ident()]
        MODE.set(stack.pop())
        _count(-1)
        if not stack:
            del self._saved[threading.get_ident()]

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_Switch):
    """Record nothing: results computed inside have `requires_grad == False`.

    Use it for evaluation and for parameter updates; it holds for the current thread only::

        with no_grad():
            y = model(x)

        @no_grad()
        def evaluate(x): ...
    """

    _bit = GRAD
    _value = False


class enable_grad(_Switch):
    """Record the graph again, for example inside a `no_grad` block."""

    _bit = GRAD
    _value = True


class detect_anomaly(_Switch):
    """Raise `AnomalyError` at the first forward or backward step that produces nan or inf.

    Slower (every result is scanned), so use it to find where a nan comes from::

        with detect_anomaly():
            loss.backward()
    """

    _bit = ANOMALY
    _value = True


class set_grad_enabled(_Switch):
    """Context manager that turns recording on or off according to `mode`."""

    _bit = GRAD

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self._value = bool(mode)

    def __call__(self, func: F) -> F:
        raise TypeError("set_grad_enabled is a context manager; use no_grad() as a decorator")


class AnomalyError(FloatingPointError):
    """A forward or backward step produced nan or inf under `detect_anomaly()`."""
