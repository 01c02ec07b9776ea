"""The engine's switches: gradient recording (`no_grad`) and anomaly detection, per thread.

Each switch is a bit of one context variable, so every thread (and every asyncio task) has its
own: `no_grad()` in one thread never stops recording in another, and a new thread starts with
recording on and anomaly detection off, as in PyTorch.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable, Generator
from typing import Any, ParamSpec, TypeVar, cast

P = ParamSpec("P")
R = TypeVar("R")
Y = TypeVar("Y")
S = TypeVar("S")

GRAD = 1  # bit set while operations are recorded
ANOMALY = 2  # bit set while results are scanned for nan and inf
TRACE = 4  # bit set while `autograd.jit` records a function (see autograd/jit.py)

MODE: contextvars.ContextVar[int] = contextvars.ContextVar("autograd_mode", default=GRAD)
"""The current thread's (or task's) switches as bits; every recorded operation reads it."""

_SAVED: contextvars.ContextVar[tuple[int, ...]] = contextvars.ContextVar(
    "autograd_saved_modes", default=()
)
"""The modes to restore, innermost last, for the switches open in this thread (or task)."""


def is_grad_enabled() -> bool:
    """True when primitives record the graph (the default), False inside `no_grad`."""
    return bool(MODE.get() & GRAD)


class _Switch:
    """A context manager and decorator that sets one bit of `MODE` and restores it on exit.

    What to restore is kept in the context too, not on the instance, so one instance may be
    shared by threads and tasks. As a decorator it holds while the function runs, and for a
    generator function while the generator runs (each time it resumes), as PyTorch's do.
    """

    _bit = GRAD
    _value = True

    def __enter__(self) -> None:
        mode = MODE.get()
        _SAVED.set((*_SAVED.get(), mode))
        MODE.set(mode | self._bit if self._value else mode & ~self._bit)

    def __exit__(self, *exc: object) -> None:
        saved = _SAVED.get()
        MODE.set(saved[-1])
        _SAVED.set(saved[:-1])

    def __call__(self, func: Callable[P, R]) -> Callable[P, R]:
        switch = type(self)
        if inspect.isgeneratorfunction(func):
            # Any stands for R, a generator here: mypy narrows `func` but not R itself
            @functools.wraps(func)
            def generator(*args: P.args, **kwargs: P.kwargs) -> Any:
                return _switched(switch, func(*args, **kwargs))

            return generator

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with switch():
                return func(*args, **kwargs)

        return wrapper


def _switched(switch: type[_Switch], gen: Generator[Y, S, R]) -> Generator[Y, S, R]:
    """Run `gen` with `switch` on while it runs, and off while its caller runs."""
    resume: Callable[[Any], Y] = gen.send  # or gen.throw, to pass on the caller's exception
    value: S | BaseException | None = None
    while True:
        try:
            with switch():
                item = resume(value)
        except StopIteration as stop:
            return stop.value
        try:
            value = yield item
            resume = gen.send
        except GeneratorExit:
            with switch():
                gen.close()
            raise
        except BaseException as error:  # thrown in by the caller: pass it on to the generator
            resume, value = gen.throw, error


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
        self._value = bool(mode)

    def __call__(self, func: Callable[P, R]) -> Callable[P, R]:
        raise TypeError("set_grad_enabled is a context manager; use no_grad() as a decorator")


class TracingError(RuntimeError):
    """Something inside a function that `autograd.jit` traces cannot be replayed faithfully."""


TRACER: contextvars.ContextVar[Any] = contextvars.ContextVar("autograd_tracer", default=None)
"""The `autograd.jit` tracer recording in this thread (or task), while the TRACE bit is set."""


def concrete(what: str) -> None:
    """Refuse to turn traced numbers into Python numbers or decisions while tracing.

    Called by the methods that read a node's numbers out of the graph (`float(t)`, `t.item()`,
    comparisons of Values, ...): what they return would be frozen into the replayed program.
    """
    if MODE.get() & TRACE:
        raise TracingError(
            f"{what} inside a function traced by autograd.jit: the replay would reuse the numbers "
            "of the traced call. Move it out of the function (return the tensor and read it "
            "after the call), or compute with operations (where, maximum, minimum) instead of "
            "Python decisions; autograd.jit(fn, enabled=False) runs fn eagerly"
        )


EFFECTS: list[tuple[type, str, Callable[..., Any], Callable[..., Any]]] = []
"""The methods marked `effect`: (class, name, function, the wrapper in its place). The wrapper
stays: an eager call costs one test of the mode. (Swapping methods in and out at every trace
cost more: each swap makes the interpreter drop what it had specialised for the class.)"""


class _Effect:
    """What `effect` returns. In a class body it puts the wrapper in its place (`__set_name__`)
    and registers it; elsewhere it is the wrapper itself."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        # made once: a plain function is called through it; a method taking self alone gets a
        # wrapper without argument packing, for the eager path (`opt.step()`)
        self.traced = traced_effect(func, method=_self_alone(func))
        functools.update_wrapper(self, func)

    def __set_name__(self, owner: type, name: str) -> None:
        setattr(owner, name, self.traced)
        EFFECTS.append((owner, name, self.func, self.traced))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.traced(*args, **kwargs)


def effect(func: Callable[P, R]) -> Callable[P, R]:
    """Mark a function that changes state (an optimiser's step, zero_grad) as a whole step of
    a traced program: `autograd.jit` records the call with its arguments and makes it again at
    every replay, instead of recording what happens inside. Outside tracing it costs one test
    of the mode.

    Its arguments must be objects that outlive the call (an optimiser, a module, parameters),
    not numbers computed inside the traced function; what it returns is the traced call's (a
    number it returns, used in the function, is a constant of the trace: a second trace that
    sees another number is refused).
    """
    return cast(Callable[P, R], _Effect(func))


def traced_effect(func: Callable[..., Any], method: bool = False) -> Callable[..., Any]:
    """`func` recorded as one step while tracing, run as it is otherwise. `method`: `func` takes
    `self` alone (see `_self_alone`), and so does the wrapper."""

    def traced(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        recorder = TRACER.get()
        given = (*args, *kwargs.values()) if recorder.standins else ()  # (see inside)
        args, kwargs = recorder.effect(func, args, kwargs)
        token = MODE.set(MODE.get() & ~TRACE)
        try:
            result = func(*args, **kwargs)
        except BaseException:  # fine if it reaches the caller; refused if fn catches it
            name = getattr(func, "__qualname__", func)
            recorder.refused = (
                f"{name}, an effect, raised inside a function traced by autograd.jit, which "
                "went on: a replay would call it again, where nothing catches what it raises. "
                "Call it outside the function, or use autograd.jit(fn, enabled=False)"
            )
            raise
        finally:
            MODE.reset(token)
            if recorder.standins:
                recorder.sync()  # the caller's tensor and its stand-ins alike again
        return recorder.inside(result, given) if recorder.standins else result

    if method:  # `opt.step()`, `model.zero_grad()`: no packing on the eager path

        @functools.wraps(func)
        def on_self(self: Any) -> Any:
            if MODE.get() & TRACE:
                return traced((self,), {})
            return func(self)

        return on_self

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if MODE.get() & TRACE:
            return traced(args, kwargs)
        return func(*args, **kwargs)

    return wrapper


def _self_alone(func: Callable[..., Any]) -> bool:
    """True for a method whose one parameter is `self`, with no default."""
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return False
    return (
        len(params) == 1
        and params[0].name == "self"
        and params[0].default is inspect.Parameter.empty
        and params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    )


class AnomalyError(FloatingPointError):
    """A forward or backward step produced nan or inf under `detect_anomaly()`."""
