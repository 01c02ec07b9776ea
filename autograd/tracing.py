"""`autograd.jit`, defined here in `autograd.tracing`: trace a function, replay it on raw data.

    model = nn.MLP(2, [16, 16, 1], seed=0)
    opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)

    @autograd.jit
    def step(xb, yb):
        loss = nn.binary_cross_entropy_with_logits(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

How it works. A call with a new signature runs `fn` eagerly while a recorder keeps, as they
come, the steps the engine takes on raw data: each primitive's forward, each VJP rule the
backward pass calls, the fitting and summing of gradients, the stores into `.grad` (under the
engine's lock), in-place operators, and each call of an *effect* (a function marked
`autograd.effect`, such as an optimiser's `step` and `zero_grad` or a scheduler's `step`,
replayed as a whole). The second call records again, this time with the checks on reading
`.data` and `.grad` (see `_patch` for why the first goes without), and both recordings are
written as programs: they must be the same, so a function whose steps depend on anything but
its signature (random numbers drawn inside it, Python state that changes) is refused rather
than replayed wrongly. (A function that writes `.grad` itself, which a first recording cannot
see, has its second and third recordings compared instead.) The checked program is then
compiled to straight-line Python over numpy arrays (Tensors) or floats (Values), with the
forwards and rules written in as expressions where `autograd.inlining` can (their decisions on
shapes and dtypes taken once): the same numpy calls in the same order, so the results are the
eager ones to the last bit. In a program that makes large arrays, `autograd.lifetimes` frees
each after its last use and lets an exact elementwise line (a ReLU, a mask) write into an
operand that dies there, as hand-written code rarely does.

The signature: the shapes and dtypes of array and Tensor arguments, Tensors that require grad
and Values by identity (the replay writes their `.grad`), numbers by their exact bits, other
objects by identity, which arguments are the same object, and the grad and anomaly mode.
Parameters read from outside the arguments are read afresh at each replay (`.data` of every
parameter, the optimiser's state through its own `step`), and a replay checks that they still
have the traced shape, dtype and `requires_grad`; replacing a module's parameter, sub-module or
an item of its list of layers traces again (`structure_changed`). Array arguments reach `fn` as
Tensors that do not require grad (integers and booleans as float64), a Tensor argument that
does not as a stand-in sharing its data and version, so everything done with them is recorded
or refused. What cannot be recorded is refused while tracing, with a `TracingError` that says
what to do: Python decisions on traced numbers (`float(t)`, `t.item()`, `if loss < 0.1`,
comparisons of Values, indexing with a Tensor), assigning `.data`, `retain_grad()` inside,
`backward(create_graph=True)` or `backward(inputs=...)`; and from the second call on (the
first gives the eager result), reading `.data` or `.grad` inside the function or assigning an
array to `.grad`. Numpy arrays the function uses as numbers are held as they are (read as they
are at each replay) and are read-only while a traced call runs: a write after the use would
otherwise be seen at the use by every replay.

Results come back without a graph, from the first call on: Tensors (and Values, with the
gradient the function left them) whose `backward()` raises, so that a backward outside the
function never silently does nothing. Other Python side effects of `fn` (appending to a list,
printing) happen on the traced calls only, as in JAX, and Python numbers `fn` reads from
outside its arguments are constants of the trace, except a setting read through `guard`
(`nn.Module.training` is): the program keeps the value it saw, and a replay that finds another
traces again.

`jit(fn, enabled=False)`, or the environment variable `AUTOGRAD_JIT=0`, runs `fn` eagerly, as
a jitted function does inside another one's trace and under `detect_anomaly()`.
"""

from __future__ import annotations

import functools
import gc
import keyword
import math
import operator
import os
import re
import struct
import sys
import threading
import types
import unicodedata
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import lifetimes
from autograd.graph import _STORE_LOCK, Node, fit, mark_dirty
from autograd.inlining import Inliner
from autograd.mode import (
    ANOMALY,
    EFFECTS,
    MODE,
    TRACE,
    TRACER,
    TracingError,
    effect,
    traced_effect,
)
from autograd.tensors import Tensor, _floating
from autograd.value import Value

__all__ = ["jit", "Jit", "TracingError", "effect", "on_data", "structure_changed"]

MAX_SIGNATURES = 8  # more traces of one function than this gets a warning

_EPOCH = [0]  # bumped when a module's parameters or sub-modules are replaced


def structure_changed() -> None:
    """Tell `jit` that objects a traced function reads may have been replaced (a module's
    parameter or sub-module set anew): every jitted function traces again at its next call.
    `nn.Module` calls it; call it after replacing such objects by other means."""
    _EPOCH[0] += 1


def on_data(fn: Callable[..., Any], *args: Any) -> Any:
    """`fn` called on the numbers of the Tensors and Values among `args` (others as given),
    outside the graph: for checks of input values and for numbers derived from them (class
    labels as integers). Inside a function `jit` traces, the call is recorded and made again at
    every replay, so the checks run and the derived numbers are fresh each time; there `fn`
    must not change the arrays it gets, nor may the function change the array `fn` returns
    (both are read-only while tracing: a replay could not repeat such a write)."""
    raws = [a._data if isinstance(a, Node) else a for a in args]
    mode = MODE.get()
    if not mode & TRACE:
        return fn(*raws)
    recorder = TRACER.get()
    specs: list[tuple[int, Any]] = []  # how the replay gets each argument (see _Writer.call)
    for i, a in enumerate(args):
        if not isinstance(a, Node):
            specs.append((_VALUE, a))
        elif id(a) in recorder.integers and a.version == 0:  # type: ignore[attr-defined]
            # the stand-in of an integer or boolean array argument, unchanged: fn gets the
            # caller's array, as it would eagerly (labels stay exact integers)
            specs.append((_EXPR, recorder.arrays[id(a)]))
            raws[i] = recorder.integers[id(a)][1]
        else:
            specs.append((_DATA, a))
    frozen = [_freeze(r) for r in raws if r.__class__ is np.ndarray]  # fn must not write
    token = MODE.set(mode & ~TRACE)
    name = getattr(fn, "__name__", fn)
    try:
        result = fn(*raws)
    except ValueError as e:
        if "read-only" not in str(e):
            raise
        raise TracingError(
            f"autograd.on_data({name!r}, ...) wrote into an array it was given, inside a "
            "function traced by autograd.jit: the replay cannot repeat that. Compute a new "
            "array in it instead (np.clip(a, 0, 2), not np.clip(a, 0, 2, out=a))"
        ) from e
    finally:
        MODE.reset(token)
        for r in frozen:
            if r is not None:
                r.flags.writeable = True
    if result is None:
        recorder.events.append((_Writer.call, fn, specs, None))
        return None
    if result.__class__ is not np.ndarray:
        raise TracingError(
            f"autograd.on_data({name!r}, ...) inside a function traced by "
            f"autograd.jit returned a {type(result).__name__}: only an array (or None) can be "
            "replayed; a Python number made from the data would be a constant of the trace"
        )
    if not any(result is r for r in raws) and _refs(result) > _PRIVATE_REFS:
        # an array that existed before the call (a module's default): the function may use
        # it elsewhere too, and a replay could not tell which use was on_data's
        raise TracingError(
            f"autograd.on_data({name!r}, ...) returned an array that existed before the call, "
            "inside a function traced by autograd.jit: return a new array (a copy) or one of "
            "its arguments"
        )
    recorder.events.append((_Writer.call, fn, specs, result))
    if _freeze(result) is not None:  # a write into it could not be replayed
        recorder.frozen.append(result)
    return result


_GUARD_NAMES: set[str] = set()  # names `guard` has found to be attribute names


def guard(obj: Any, name: str) -> Any:
    """`getattr(obj, name)`, for a Python setting that decides what a function computes (a
    module's `training` flag, say). Inside a function `jit` traces, the program is kept only
    while the attribute holds this value: each replay compares it first, and a change makes
    the function trace again (with a warning that names it), where a plain attribute read
    would be a constant of the trace. `nn.Module.training` reads itself through it.

    Numbers, strings and tuples of them compare by value (floats to the bit: -0.0 is not 0.0),
    other objects by identity; a list, dict, set or array (or a tuple holding one) is refused,
    since it can change in place where the comparison would not see it."""
    if name not in _GUARD_NAMES:  # (checked once per name: `training` is read every step)
        if (
            not name.isidentifier()
            or keyword.iskeyword(name)
            or unicodedata.normalize("NFKC", name) != name
        ):
            raise ValueError(f"guard: {name!r} is not an attribute name")
        _GUARD_NAMES.add(name)
    value = getattr(obj, name)
    if MODE.get() & TRACE:
        recorder = TRACER.get()
        key = (id(obj), name)
        if key in recorder.settled:
            return value  # written earlier in this call by the function: the program sets it
        if key in recorder.effect_written:
            raise TracingError(
                f"{type(obj).__name__}.{name} is read after an effect set it, inside a function "
                "traced by autograd.jit: a replay cannot know what the effect will set it to "
                "at each call. Set it outside the function (or in it, not in an effect), or "
                "use autograd.jit(fn, enabled=False)"
            )
        held = _mutable(value)
        if held is not None:
            raise TracingError(
                f"guard: {type(obj).__name__}.{name} holds {held}, which can change in place "
                "where a replay would not see it; guard a number, string, tuple or flag (or "
                "pass the values as arguments)"
            )
        recorder.guards.append((obj, name, value))
    return value


def guard_write(obj: Any, name: str, value: Any) -> None:
    """Tell `jit` that `obj.name` (a setting read through `guard`) was just set to `value`:
    a write the traced function makes itself is made again by every replay, and a read after
    it in the same call is the program's own doing, not a condition on the caller; a read
    after an effect wrote it is refused (the effect may write something else at each call).
    Call it after the write; outside tracing it does nothing. (`nn.Module.training`'s setter
    calls it.)"""
    recorder = TRACER.get()
    if recorder is not None:
        if MODE.get() & TRACE:  # the function's own write: the program makes it again
            recorder.settled.add((id(obj), name))
            recorder.events.append((_Writer.set_attribute, obj, name, value))
        else:  # an effect's (replayed with it), whose value the trace cannot know
            recorder.effect_written.add((id(obj), name))


def _mutable(value: Any) -> str | None:
    """What in `value` can change in place (a list, a tuple holding a dict...), or None."""
    if isinstance(value, (list, dict, set, bytearray, np.ndarray)):
        return f"a {type(value).__name__}"
    if isinstance(value, tuple):
        for v in value:
            inner = _mutable(v)
            if inner is not None:
                return f"a tuple holding {inner}"
    return None


def _guard_key(value: Any) -> Any:
    """What must stay the same of a guarded value: a number's type and exact bits (-0.0 is not
    0.0, a NaN is itself), a string's text, a tuple's items alike; else the object itself."""
    cls = value.__class__
    if cls is float:
        return (float, _DOUBLE(value))
    if isinstance(value, np.generic):
        return (cls, value.tobytes())
    if cls in (int, bool, str, bytes, type(None)):
        return (cls, value)
    if cls is tuple:
        return (tuple, tuple(map(_guard_key, value)))
    return (object, id(value))


def _freeze(a: np.ndarray) -> np.ndarray | None:
    """Make `a` read-only; returns it if it was writable (to be made writable again)."""
    if not a.flags.writeable:
        return None
    a.flags.writeable = False
    return a


def _refs(x: Any) -> int:
    return sys.getrefcount(x)


def _calibrate() -> int:
    a = np.empty(0)  # held, as `result` above, by one local name
    return _refs(a)


_PRIVATE_REFS = _calibrate()


# --- what a replay calls -------------------------------------------------------------------


def _copy(g: Any) -> np.ndarray:
    return g.copy() if g.__class__ is np.ndarray else np.array(g)


def _sum(old: np.ndarray, g: Any) -> np.ndarray:
    new = old + g
    return new if new.__class__ is np.ndarray else np.asarray(new)


def _inplace(ufunc: np.ufunc, target: np.ndarray, operand: Any) -> None:
    ufunc(target, operand, out=target, casting="same_kind")


def _setitem(target: np.ndarray, index: Any, value: Any) -> None:
    target[index] = value


_NO_GRAPH = (
    "a result of a function compiled by autograd.jit has no graph (the replay makes none): "
    "call backward() inside the function, or run it with autograd.jit(fn, enabled=False)"
)


class ResultTensor(Tensor):
    """What a jitted function returns for a Tensor it computed: the numbers, without a graph."""

    __slots__ = ()

    def backward(self, *args: Any, **kwargs: Any) -> None:
        raise TracingError(_NO_GRAPH)


class ResultValue(Value):
    """What a jitted function returns for a Value it computed: the number and its gradient (as
    the function left it), without a graph."""

    __slots__ = ()

    def backward(self, create_graph: bool = False) -> None:
        raise TracingError(_NO_GRAPH)


def _tensor_out(data: Any) -> Tensor:
    return Tensor._make(ResultTensor, data, None, (), (), None, ())


def _value_out(data: float, grad: float = 0.0, reached: bool = False) -> Value:
    v = Value._make(ResultValue, data, None, (), (), None, ())
    v.grad, v._reached = grad, reached
    return v


def _result_of(node: Node) -> Node:
    """The first calls' result: what a replay returns for the node `node`."""
    if node._shaped:
        return _tensor_out(node._data)
    return _value_out(node._data, node.grad, node.has_grad)


class _Like:
    """Stands in for a node in `graph.fit` at replay: its `_data` has the shape and dtype."""

    __slots__ = ("_data",)

    def __init__(self, shape: tuple[int, ...], dtype: Any) -> None:
        self._data = types.SimpleNamespace(shape=shape, dtype=dtype)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Like) and (
            self._data.shape == other._data.shape and self._data.dtype == other._data.dtype
        )

    __hash__ = None  # type: ignore[assignment]


_NO_KWARGS: dict[str, tuple[str, Any]] = {}


class _Call:
    """A line that calls a primitive's forward or a VJP rule: kept apart so that compiling can
    write it as inlined expressions (`autograd.inlining`), with the values it had when traced."""

    __slots__ = ("out", "fn", "name", "args", "values", "kwargs")

    def __init__(
        self,
        out: str,
        fn: Any,
        name: str,
        args: list[str],
        values: tuple[Any, ...],
        kwargs: dict[str, tuple[str, Any]],
    ) -> None:
        self.out, self.fn, self.name, self.args = out, fn, name, args
        self.values, self.kwargs = values, kwargs

    def __eq__(self, other: object) -> bool:
        """The same line of the program (the traced values aside): what two traces compare."""
        return (
            isinstance(other, _Call)
            and self.name == other.name
            and self.out == other.out
            and self.args == other.args
            and [e for e, _ in self.kwargs.values()] == [e for e, _ in other.kwargs.values()]
            and list(self.kwargs) == list(other.kwargs)
        )

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        items = self.args + [f"{k}={expr}" for k, (expr, _) in self.kwargs.items()]
        return f"{self.out} = {self.name}({', '.join(items)})"


# --- recording: what the engine reports while a function is traced --------------------------

_VALUE, _EXPR, _DATA = 0, 1, 2  # how on_data's replay gets an argument (see _Writer.call)

_INSIDE = (
    "a tensor made inside the traced function cannot receive a gradient or be changed by an "
    "effect in the replay (no nodes exist there): create it outside the function and pass it in"
)


_SYNCED = ("_data", "_vbox", "_grad", "requires_grad", "label")  # what an effect may change


class _Recorder:
    """Keeps what the engine reports during one traced call, as it comes: one tuple per event,
    holding the objects themselves. Writing them as lines of Python (`_Writer`) waits until a
    second call needs the program, so the first call costs little more than an eager one. What
    cannot be replayed is refused here, while the function runs, where the user's code is on
    the stack; anything the writing reads that could change later is copied into the event."""

    def __init__(
        self,
        named: list[tuple[Node, str]],
        arrays: dict[int, str],
        integers: dict[int, tuple[Tensor, np.ndarray]],
    ) -> None:
        self.named = named  # the arguments' nodes (stand-ins for arrays) and their names
        self.arrays = arrays  # id(stand-in Tensor of an array argument) -> "A[i]"
        # id(stand-in of an integer or boolean array argument) -> (it, the caller's array)
        self.integers = integers
        self.frozen: list[np.ndarray] = []  # made read-only until the trace ends
        self.events: list[tuple[Any, ...]] = []  # (the _Writer method, its arguments...)
        self.internal: set[int] = set()  # ids of nodes made during the trace (kept by events)
        self.made: set[int] = set()  # ids of detached nodes made during it (see alias)
        self.unseen_writes = False  # `.grad` written where a first trace cannot see it
        # [stand-in, the caller's Tensor, their fields (_SYNCED) when last made the same]
        self.standins: list[list[Any]] = []
        self.refused: str | None = None  # found after the function returned (see _trace)
        self.settled: set[tuple[int, str]] = set()  # settings the function wrote (guard_write)
        self.effect_written: set[tuple[int, str]] = set()  # and those an effect wrote
        self.guards: list[tuple[Any, str, Any]] = []  # (object, attribute, value) read by guard

    def sync(self, direct: bool = False) -> None:
        """Make each no-grad Tensor argument and its stand-ins the same again after an effect
        (or, `direct`, the function itself) changed them. An effect gets the caller's tensor in
        place of a stand-in (`effect`), as in a replay; what reached a stand-in (the function's
        own `x.zero_grad()`, an effect given it inside a list) goes to the caller's tensor;
        then every stand-in of it (it may be passed twice) shows the caller's tensor."""
        for t, x, seen in self.standins:
            for k, name in enumerate(_SYNCED):
                mine = getattr(t, name)
                if mine is not seen[k]:
                    if direct and name == "requires_grad":
                        self.refused = (
                            "setting requires_grad of an argument inside a function traced by "
                            "autograd.jit cannot be replayed: set it before the function"
                        )
                    setattr(x, name, mine)
        for t, x, seen in self.standins:
            for k, name in enumerate(_SYNCED):
                seen[k] = theirs = getattr(x, name)
                setattr(t, name, theirs)

    def forward(
        self,
        prim: Any,
        node: Node,
        raw: tuple[Any, ...],
        inputs: tuple[Node | None, ...],
        others: tuple[Node, ...],
        kwargs: dict[str, Any] | None,
    ) -> None:
        self.internal.add(id(node))
        datas = tuple([o._data for o in others]) if others else ()
        consts = [r for r, n in zip(raw, inputs, strict=True) if n is None]
        if len(consts) > len(others):  # raw numbers among the inputs: arrays are frozen
            self.constants(consts, datas)
        self.events.append((_Writer.forward, prim, node, raw, inputs, others, datas, kwargs))

    def constants(self, values: list[Any], datas: tuple[Any, ...] = ()) -> None:
        """Numpy arrays used as numbers (not a node's data) are held by the program as they
        are: while the call runs they are read-only, so that a write after the use (which the
        replay would see at the use) fails loudly. Between calls they may change; the replay
        reads them as they are then."""
        for r in values:
            if (
                r.__class__ is np.ndarray
                and not any(r is d for d in datas)
                and _freeze(r) is not None
            ):
                self.frozen.append(r)

    def alias(self, node: Node, source: Node) -> None:
        if id(source) in self.internal:
            self.internal.add(id(node))
        self.made.add(id(node))  # (kept alive by the event)
        self.events.append((_Writer.alias, node, source))

    def made_here(self, node: Node) -> bool:
        """True for a node the traced call made (a result, a leaf, a detached tensor)."""
        return id(node) in self.internal or id(node) in self.made

    def leaf(self, node: Node, data: Any, dtype: Any) -> None:
        self.internal.add(id(node))
        if not isinstance(data, Node):
            self.constants([data])
        self.events.append((_Writer.leaf, node, data, dtype))

    def seed(self, node: Node, seed: Any) -> None:
        """`backward(gradient=node)`: the pass's seed is made from `node` (read afresh)."""
        self.events.append((_Writer.seed, node, node._data, seed))

    def begin(self, unsupported: bool) -> None:
        """A backward pass starts (its edges come at the end, in `backward`)."""
        if unsupported:
            raise TracingError(
                "backward(create_graph=True), backward(inputs=...) and autograd.grad inside a "
                "function traced by autograd.jit are not supported: call them outside, or "
                "use autograd.jit(fn, enabled=False)"
            )

    def backward(
        self,
        nodes: list[Node],
        seed: Any,
        edges: list[tuple[Any, ...]],
        leaves: list[int],
        kept: list[int],
        pending: list[Any],
    ) -> None:
        """A finished backward pass, before its `.grad` stores: `edges` holds what each rule
        that sent a gradient saw, (k, j, rule, g, gp, first, parent data, prim, args), in the
        order the rules ran (graph.backward collects them: a call per edge cost more)."""
        internal = self.internal
        for k, _, _, _, gp, _, _, prim, _ in edges:
            if gp.__class__ is not np.ndarray and isinstance(gp, Node):
                raise TracingError(
                    f"the VJP rule of {prim.name!r} returned a graph node; rules traced by "
                    "autograd.jit must compute on the raw numbers they receive"
                )
            if id(nodes[k]) not in internal:
                raise TracingError(
                    f"backward through {prim.name!r}, recorded before the traced function "
                    "was called: jit replays only graphs built inside the function"
                )
        for k in leaves + kept:
            node = nodes[k]
            if pending[k] is not None and id(node) in internal and node._shaped:
                if node._prim is None:
                    raise TracingError(_INSIDE)  # a leaf made inside cannot keep a gradient
                raise TracingError(
                    "retain_grad() on a tensor made inside a function traced by "
                    "autograd.jit: the replay makes no such tensor to hold the gradient; "
                    "return what you need from the function instead"
                )
        self.events.append((_Writer.backward, nodes, seed, edges, leaves, kept))

    def effect(
        self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Record an effect's call; returns the arguments to make it with now: the caller's
        tensor where the call has a stand-in, as a replay makes it (so that a write through
        the argument and one through a closure land on one tensor, in their order)."""
        for a in [*args, *kwargs.values()]:
            if isinstance(a, Node) and id(a) in self.internal and func is not mark_dirty:
                raise TracingError(_INSIDE)
        self.events.append((_Writer.effect, func, args, kwargs))
        if not self.standins:
            return args, kwargs
        self.sync(direct=True)  # what the function did to a stand-in comes before the effect
        callers = {id(t): x for t, x, _ in self.standins}
        args = tuple([callers.get(id(a), a) for a in args])
        kwargs = {k: callers.get(id(a), a) for k, a in kwargs.items()}
        return args, kwargs

    def inside(self, result: Any, given: tuple[Any, ...]) -> Any:
        """What an effect returned, as the function sees it: the stand-in, if it returned the
        caller's tensor that it got in place of that stand-in (`given`: what the function passed
        it; a replay reads the tensor through the argument)."""
        for t, x, _ in self.standins:
            if result is x and any(a is t for a in given):
                return t
        return result

    def inplace(self, op: Any, target: Tensor, index: Any, operand: Any) -> None:
        """`t += x` (op a ufunc) or `t[index] = x` (op None), recorded on the raw arrays."""
        box = target._vbox
        if id(target) in self.integers or (
            box is not None and any(s._vbox is box for s, _ in self.integers.values())
        ):
            raise TracingError(
                "changing an integer or boolean array argument in place inside a function "
                "traced by autograd.jit: the function gets it as a float64 copy, so the caller's "
                "array would not change as it does eagerly. Change it before the call, or pass "
                "a float array"
            )
        if not isinstance(operand, Node):
            self.constants([operand])
        self.events.append((_Writer.inplace, op, target, index, operand))

    def set_grad(self, node: Node, value: Any, unseen: bool = False) -> None:
        """`node.grad = value` written by the traced function (None, or a number). `unseen`:
        the write came through the checks, which a function's first trace goes without."""
        if value is not None and not isinstance(value, (int, float)):
            raise TracingError(
                "assigning an array to .grad inside a function traced by autograd.jit "
                "cannot be replayed; assign None (or zero_grad()) only"
            )
        if id(node) in self.internal:
            raise TracingError(_INSIDE)
        self.unseen_writes = self.unseen_writes or unseen
        self.events.append((_Writer.set_grad, node, value))


# --- writing: the recorded events as lines of Python ------------------------------------------


def _literal(x: Any) -> str | None:
    """Python source for a number that can be written as a literal (exactly), else None."""
    if x is None or x is True or x is False:
        return repr(x)
    if x.__class__ is int:
        return repr(x)
    if x.__class__ is float and math.isfinite(x):
        return repr(x)
    return None


class _Writer:
    """Writes one traced call's events (`_Recorder`) as lines of Python over raw data."""

    def __init__(self, recorder: _Recorder) -> None:
        self.arrays = recorder.arrays
        self.named = recorder.named
        self.lines: list[str | _Call] = []
        self.consts: list[Any] = []  # c0, c1, ...: constants, rules, primitives' forwards
        self.const_index: dict[int, str] = {}
        self.keep: list[Any] = []  # everything whose id is a key below stays alive
        self.node_var: dict[int, str] = {}  # id(node) -> expression of its data
        self.node_args: dict[int, tuple[str, ...]] = {}  # id(result) -> its raw inputs
        self.node_obj: dict[int, str] = {}  # id(node) -> expression of the node object
        self.internal: set[int] = set()  # nodes made during the trace
        self.objs: dict[int, str] = {}  # id(array or float made by a line) -> its variable
        self.fresh: dict[str, bool] = {}  # variable -> a new array nobody else holds
        self.large = False  # a line made an array of lifetimes.LARGE bytes or more
        self.externals: list[Node] = []
        self.ext_index: dict[int, int] = {}
        self.loaded: set[int] = set()
        self.n = 0
        for node, name in recorder.named:
            self.keep.append(node)
            self.node_var[id(node)] = f"{name}d"
            self.node_obj[id(node)] = name
            self.objs[id(node._data)] = f"{name}d"
        self.pvar: list[str | None] = []
        self.pnodes: list[Node] = []
        self.value_grads: dict[int, str] = {}  # id(intermediate Value) -> its gradient
        self.results: dict[int, str] = {}  # id(returned node) -> its variable in the replay
        for event in recorder.events:
            event[0](self, *event[1:])

    # names
    def var(self) -> str:
        self.n += 1
        return f"v{self.n}"

    def const(self, obj: Any) -> str:
        lit = _literal(obj)
        if lit is not None:
            return lit
        name = self.const_index.get(id(obj))
        if name is None:
            name = f"c{len(self.consts)}"
            self.consts.append(obj)
            self.const_index[id(obj)] = name
            self.keep.append(obj)
        return name

    def raw(self, obj: Any) -> str:
        """The expression of a raw input: a variable if a line made it, else a constant."""
        name = self.objs.get(id(obj))
        return name if name is not None else self.const(obj)

    def value(self, obj: Any) -> str:
        """`raw`, looking inside tuples, lists and dicts (an index holding traced arrays)."""
        name = self.objs.get(id(obj))
        if name is not None:
            return name
        if obj.__class__ in (tuple, list) and any(self._holds_var(x) for x in obj):
            items = ", ".join(self.value(x) for x in obj)
            return f"({items},)" if obj.__class__ is tuple else f"[{items}]"
        if obj.__class__ is dict and any(self._holds_var(x) for x in obj.values()):
            return "{" + ", ".join(f"{k!r}: {self.value(v)}" for k, v in obj.items()) + "}"
        return self.const(obj)

    def _holds_var(self, obj: Any) -> bool:
        if id(obj) in self.objs:
            return True
        if obj.__class__ in (tuple, list):
            return any(self._holds_var(x) for x in obj)
        if obj.__class__ is dict:
            return any(self._holds_var(x) for x in obj.values())
        return False

    def data(self, node: Node) -> str:
        """The expression of a node's numbers, read afresh for nodes from outside the trace."""
        name = self.node_var.get(id(node))
        if name is not None:
            return name
        k = self.external(node)
        if k not in self.loaded:
            self.loaded.add(k)
            self.lines.append(f"e{k} = E{k}._data")
        return f"e{k}"

    def external(self, node: Node) -> int:
        k = self.ext_index.get(id(node))
        if k is None:
            k = self.ext_index[id(node)] = len(self.externals)
            self.externals.append(node)
            self.keep.append(node)
        return k

    def obj(self, node: Node) -> str:
        """The expression of a node object that outlives the trace (an argument or outside)."""
        name = self.node_obj.get(id(node))
        if name is not None:
            return name
        if id(node) in self.internal:  # (the recorder refused this while tracing)
            raise TracingError(_INSIDE)
        return f"E{self.external(node)}"

    def emit(self, line: str, out: Any = None, fresh: bool = False) -> str:
        v = self.var()
        self.lines.append(f"{v} = {line}")
        self._made(v, out, fresh)
        return v

    def emit_call(
        self,
        fn: Any,
        args: list[str],
        values: tuple[Any, ...],
        kwargs: dict[str, Any] | None,
        out: Any,
        fresh: bool = False,
    ) -> str:
        self.n += 1
        v = f"v{self.n}"
        kw = {k: (self.value(x), x) for k, x in kwargs.items()} if kwargs else _NO_KWARGS
        name = self.const_index.get(id(fn)) or self.const(fn)
        self.lines.append(_Call(v, fn, name, args, values, kw))
        if out.__class__ is not float:  # floats only ever travel inside nodes: no lookup
            self._made(v, out, fresh)
        return v

    def _made(self, v: str, out: Any, fresh: bool) -> None:
        if out is not None:
            if not self.large and lifetimes.large(out):
                self.large = True
            self.keep.append(out)
            if id(out) not in self.objs:
                self.objs[id(out)] = v
        if fresh:
            self.fresh[v] = fresh

    # the events, in the order the engine reported them (see _Recorder)
    def forward(
        self,
        prim: Any,
        node: Node,
        raw: tuple[Any, ...],
        inputs: tuple[Node | None, ...],
        others: tuple[Node, ...],
        datas: tuple[Any, ...],
        kwargs: dict[str, Any] | None,
    ) -> None:
        node_var = self.node_var
        exprs = []
        for r, n in zip(raw, inputs, strict=True):
            if n is None:
                for o, d in zip(others, datas, strict=True):
                    if d is r:
                        n = o
                        break
                else:
                    exprs.append(self.value(r))
                    continue
            name = node_var.get(id(n))
            exprs.append(name if name is not None else self.data(n))
        v = self.emit_call(prim.forward, exprs, raw, kwargs, node._data)
        if node._shaped and node._data.ndim == 0:  # a forward may give a numpy scalar: the
            self.lines.append(f"{v} = {self.const(np.asarray)}({v})")  # node holds an array
        self.keep.append(node)
        self.internal.add(id(node))
        self.node_var[id(node)] = v
        self.node_args[id(node)] = tuple(exprs)

    def alias(self, node: Node, source: Node) -> None:
        """`node` holds `source`'s data (`detach()`): the same expression, or, for a tensor
        from outside or an argument (whose variable an effect may read again), the array as
        it is now, in a variable of its own."""
        self.keep.append(node)
        if id(source) in self.internal:
            self.internal.add(id(node))
            self.node_var[id(node)] = self.data(source)
        else:
            self.node_var[id(node)] = self.emit(self.data(source))

    def seed(self, node: Node, source: Any, seed: Any) -> None:
        expr = self.data(node)
        if seed is not source:  # converted to the root's dtype
            expr = self.emit(f"{expr}.astype({self.const(seed.dtype)})")
        self.objs[id(seed)] = expr

    def leaf(self, node: Node, data: Any, dtype: Any) -> None:
        """A leaf made inside the function: a fresh copy of its source at every replay."""
        if isinstance(node, Tensor):
            src = self.data(data) if isinstance(data, Node) else self.raw(data)
            v = self.emit(f"{self.const(_floating)}({src}, {self.const(dtype)})", node._data)
        else:
            v = self.emit(self.const(node._data), node._data)
        self.keep.append(node)
        self.internal.add(id(node))
        self.node_var[id(node)] = v

    def backward(
        self,
        nodes: list[Node],
        seed: Any,
        edges: list[tuple[Any, ...]],
        leaves: list[int],
        kept: list[int],
    ) -> None:
        """A backward pass: each rule that sent a gradient, then the `.grad` writes, under the
        engine's lock (as `graph.store` makes them)."""
        self.pnodes = nodes
        self.pvar = [None] * len(nodes)
        self.pvar[0] = self.raw(seed)
        self.keep.append(seed)
        for edge in edges:
            self.edge(*edge)
        self.lines.append(f"{self.const(_STORE_LOCK)}.acquire()")
        self.lines.append("try:")
        start = len(self.lines)
        self._stores(leaves, kept)
        self.lines[start:] = ["    " + str(line) for line in self.lines[start:]]
        if len(self.lines) == start:
            self.lines.append("    pass")
        self.lines.append("finally:")
        self.lines.append(f"    {self.const(_STORE_LOCK)}.release()")
        self.pvar = []
        self.pnodes = []

    def edge(
        self,
        k: int,
        j: int,
        rule: Any,
        g: Any,
        gp: Any,
        first: bool,
        pd: Any,
        prim: Any,
        args: tuple[Any, ...],
    ) -> None:
        node = self.pnodes[k]
        exprs = [str(self.pvar[k]), self.node_var[id(node)], *self.node_args[id(node)]]
        values = (g, node._data, *args)
        if not self.pnodes[j]._shaped:  # a Value's gradient: a float, never stored by reference
            t = self.emit_call(rule, exprs, values, node._kwargs, gp)
        else:
            private = (
                gp.__class__ is np.ndarray and gp.base is None and id(gp) not in self.objs
            )  # a new array nobody else holds: a store may keep it
            t = self.emit_call(rule, exprs, values, node._kwargs, gp, fresh=private)
            if gp.__class__ is not np.ndarray or gp.dtype is not pd.dtype or gp.shape != pd.shape:
                like = _Like(pd.shape, pd.dtype)
                fitted = fit(like, gp, prim)  # type: ignore[arg-type] # (shape and dtype)
                fresh = fitted is not gp and fitted.base is None
                t = self.emit(
                    f"{self.const(fit)}({self.const(like)}, {t}, {self.const(prim)})", fitted, fresh
                )
        if first:
            self.pvar[j] = t
        else:
            self.n += 1
            total = f"v{self.n}"
            self.lines.append(f"{total} = {self.pvar[j]} + {t}")
            if self.pnodes[j]._shaped:
                self.fresh[total] = True
            self.pvar[j] = total

    def _stores(self, leaves: list[int], kept: list[int]) -> None:
        for k in leaves + kept:
            g = self.pvar[k]
            if g is None:
                continue
            node = self.pnodes[k]
            if id(node) in self.internal:  # an intermediate Value (the recorder refused others):
                self.value_grads[id(node)] = g  # its gradient is kept if it is returned
                continue
            o = self.obj(node)
            if not node._shaped:
                self.lines.append(f"{o}.grad = {o}.grad + {g}; {o}._reached = True")
            else:  # graph.store for one tensor: accumulate, or keep a private first gradient
                first = g if self.fresh.get(g, False) else f"{self.const(_copy)}({g})"
                self.lines.append(
                    f"{o}.grad = {first} if {o}.grad is None else {self.const(_sum)}({o}.grad, {g})"
                )

    def effect(
        self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        exprs = []
        for a in args:
            if isinstance(a, Node):
                if func is mark_dirty and id(a) in self.internal:
                    owner = self._version_owner(a)
                    if owner is not None:  # a view of a tensor that outlives the call
                        exprs.append(owner)
                    continue  # else a version count of a tensor that exists only in this call
                if func is mark_dirty and id(a) in self.arrays:
                    continue  # the stand-in of an array argument: its versions are its own
                exprs.append(self.obj(a))
            else:
                exprs.append(self.value(a))
        for key, a in kwargs.items():
            exprs.append(f"{key}={self.obj(a) if isinstance(a, Node) else self.value(a)}")
        self.lines.append(f"{self.const(func)}({', '.join(exprs)})")
        self.loaded.clear()  # an effect may have replaced arrays: read them again
        for node, name in self.named:
            if id(node) not in self.arrays:  # a Tensor or Value argument: its data too
                self.lines.append(f"{name}d = {name}._data")

    def _version_owner(self, t: Any) -> str | None:
        """An argument or outside tensor that shares `t`'s version record (`t` views it)."""
        box = getattr(t, "_vbox", None)
        if box is None:
            return None
        for node in self.keep:
            if isinstance(node, Tensor) and node._vbox is box and id(node) not in self.internal:
                return self.obj(node)
        return None

    def inplace(self, op: Any, target: Tensor, index: Any, operand: Any) -> None:
        src = self.data(operand) if isinstance(operand, Node) else self.raw(operand)
        dest = self.data(target)
        if op is None:
            self.lines.append(f"{self.const(_setitem)}({dest}, {self.value(index)}, {src})")
        else:
            self.lines.append(f"{self.const(_inplace)}({self.const(op)}, {dest}, {src})")

    def set_grad(self, node: Node, value: Any) -> None:
        self.lines.append(f"{self.obj(node)}.grad = {self.const(value)}")

    def set_attribute(self, obj: Any, name: str, value: Any) -> None:
        """A guarded setting the function wrote (`guard_write`), written again as it was."""
        setter = self.const(object.__setattr__)
        self.lines.append(f"{setter}({self.const(obj)}, {name!r}, {self.const(value)})")

    def call(self, fn: Callable[..., Any], specs: list[tuple[int, Any]], result: Any) -> None:
        """A call of `autograd.on_data`'s function."""
        exprs = [
            self.value(x) if kind == _VALUE else x if kind == _EXPR else self.data(x)
            for kind, x in specs
        ]
        self.emit(f"{self.const(fn)}({', '.join(exprs)})", result)

    def result(self, obj: Any) -> str:
        """The expression that rebuilds one leaf of the function's result in the replay."""
        if isinstance(obj, Node):
            if id(obj) in self.arrays:  # an array argument, returned: the caller's array
                return self.arrays[id(obj)]
            if id(obj) not in self.internal:
                return self.obj(obj)
            name = self.results.get(id(obj))
            if name is None:
                if obj._shaped:
                    made = (  # _tensor_out, written in: a call less on the path of a small step
                        f"{self.const(Tensor._make)}({self.const(ResultTensor)}, "
                        f"{self.data(obj)}, None, (), (), None, ())"
                    )
                else:
                    grad = self.value_grads.get(id(obj))
                    reached = ", True" if grad is not None else ""
                    made = f"{self.const(_value_out)}({self.data(obj)}, {grad or 0.0}{reached})"
                name = self.results[id(obj)] = self.emit(made)
            return name
        return self.value(obj)  # an array a line made (on_data's) is that line's; else constant


# --- reading .data and .grad while tracing -----------------------------------------------------

_PATCH_LOCK = threading.Lock()
_PATCHED = [0, 0]  # traces running (effects swapped), checked traces running (guards swapped)
_SWAPPED: tuple[list[tuple[type, str, Any]], ...] = ([], [])  # (class, attribute, its value)
# id(an attribute's value) -> (it, what stands in for it while tracing)
_TRACING_FORM: dict[int, tuple[Any, Any]] = {}


def _refuse_read(what: str) -> None:
    if MODE.get() & TRACE:
        raise TracingError(
            f"reading {what} inside a function traced by autograd.jit: the replay would reuse "
            "the numbers of the traced call. Compute with Tensor/Value operations, or read it "
            "outside the function (return the tensor); autograd.jit(fn, enabled=False) runs "
            "fn eagerly"
        )


def _guarded_data(original: property) -> property:
    def get(self: Any) -> Any:
        _refuse_read(".data")
        return self._data

    return property(get, original.fset, doc=original.__doc__)


def _guarded_grad(slot: Any) -> property:
    def get(self: Any) -> Any:
        _refuse_read(".grad")
        return slot.__get__(self, type(self))

    def set_(self: Any, value: Any) -> None:
        if MODE.get() & TRACE:  # (the engine writes the slot `_grad`: this is the user's write)
            TRACER.get().set_grad(self, value, unseen=True)
        slot.__set__(self, value)

    return property(get, set_)


# (the class's attributes, the class, a name, what needs no swap, the tracing form's maker)
_Targets = list[tuple[Any, type, str, Any, Callable[[Any], Any]]]


def _patch(on: bool, checked: bool) -> None:
    """While any thread traces with checks (every trace of a function but its first), reading
    `.data` or `.grad` is refused in the tracing thread and writing `.grad` is recorded; while
    any thread traces, a method marked `autograd.effect` that something else has replaced since
    (a user's own wrapper of it) is wrapped to record itself. What was there comes back when the
    last such trace ends.

    A first trace goes without the checks because they are not free: swapping an attribute of
    `Node`, `Tensor` or `Value` makes the interpreter drop what it had specialised for those
    classes, which on a small step (W5) made the first call half as slow again. A first trace
    is never replayed, only compared with the second, checked one, which is. (For the same
    reason a marked method keeps its recording wrapper for good: see `autograd.mode.EFFECTS`.)"""
    tiers = (0, 1) if checked else (0,)
    with _PATCH_LOCK:
        if on:
            done: list[int] = []
            try:
                for tier in tiers:
                    if _PATCHED[tier] == 0:
                        _swap(_targets()[tier], _SWAPPED[tier])
                    _PATCHED[tier] += 1
                    done.append(tier)
            except BaseException:  # a swap failed half way: undo it and this call's others
                if _PATCHED[tier] == 0:
                    _restore(_SWAPPED[tier])
                for tier in reversed(done):
                    _PATCHED[tier] -= 1
                    if _PATCHED[tier] == 0:
                        _restore(_SWAPPED[tier])
                raise
        else:
            for tier in reversed(tiers):
                _PATCHED[tier] -= 1
                if _PATCHED[tier] == 0:
                    _restore(_SWAPPED[tier])


def _restore(swapped: list[tuple[type, str, Any]]) -> None:
    """Put back what `_swap` replaced."""
    for owner, name, current in reversed(swapped):
        setattr(owner, name, current)
    swapped.clear()


def _swap(targets: _Targets, swapped: list[tuple[type, str, Any]]) -> None:
    """Put each target's tracing form in its place, noting what was there in `swapped`."""
    forms = _TRACING_FORM
    for attrs, owner, name, leave, make in targets:
        current = attrs.get(name)
        if current is None or current is leave:
            continue
        known = forms.get(id(current))  # by identity: a replacement need not be hashable
        if known is None or known[0] is not current:  # made once per attribute value, kept
            known = forms[id(current)] = (current, make(current))
        swapped.append((owner, name, current))
        setattr(owner, name, known[1])


_TARGETS: tuple[_Targets, _Targets] = ([], [])
_EFFECT_VIEW: list[tuple[Any, ...]] = [(), (), ()]  # the effects' owners, names and wrappers


def _effects_replaced() -> bool:
    """True if a method marked `autograd.effect` is not its recording wrapper now (a user
    replaced it, or a trace has swapped it): only then does a first trace need `_patch`, whose
    lock and swaps cost a small step's first call a tenth of its time."""
    if len(_TARGETS[0]) != len(EFFECTS):
        _targets()
    owners, names, wrappers = _EFFECT_VIEW
    try:
        return any(map(operator.is_not, map(getattr, owners, names), wrappers))
    except AttributeError:  # one was deleted: the patch skips it
        return True


def _targets() -> tuple[_Targets, _Targets]:
    """What `_patch` may swap: the effects (remade when a class marks a new one), whose own
    recording wrapper needs no swap; the checks on nodes."""
    effects, checks = _TARGETS
    if len(effects) != len(EFFECTS):
        effects[:] = [
            (owner.__dict__, owner, name, wrapper, traced_effect)
            for owner, name, _, wrapper in EFFECTS
        ]
        _EFFECT_VIEW[:] = [tuple(t[1] for t in effects), tuple(t[2] for t in effects),
                           tuple(t[3] for t in effects)]
    if not checks:
        checks[:] = [
            (owner.__dict__, owner, name, None, make)
            for owner, name, make in [
                (Tensor, "data", _guarded_data),
                (Value, "data", _guarded_data),
                (Node, "grad", _guarded_grad),
            ]
        ]
    return _TARGETS


# --- arguments, signatures ---------------------------------------------------------------------


def _flatten(obj: Any, leaves: list[Any]) -> Any:
    """The structure of nested lists, tuples and dicts, with their leaves appended to `leaves`."""
    if obj.__class__ in (list, tuple):
        return (obj.__class__, tuple(_flatten(x, leaves) for x in obj))
    if obj.__class__ is dict:
        return (dict, tuple((k, _flatten(v, leaves)) for k, v in obj.items()))
    leaves.append(obj)
    return None


_CONTAINERS = (list, tuple, dict)
_ARRAY_KINDS = (np.ndarray, np.integer)
_CHANGED = object()  # what a replay returns when an outside tensor no longer fits


class _Nested(Exception):
    """An argument is a list, tuple or dict: the call's structure must be walked."""


def _unflatten(tree: Any, leaves: Any) -> Any:
    if tree is None:
        return next(leaves)
    kind, items = tree
    if kind is dict:
        return {k: _unflatten(t, leaves) for k, t in items}
    return kind(_unflatten(t, leaves) for t in items)


_DOUBLE = struct.Struct("<d").pack  # a float's exact bits (hex() drops a NaN's sign)


def _key(x: Any) -> Any:
    """What a replay depends on for one argument leaf.

    Arrays and Tensors that need no gradient count by shape and dtype (new data each call is
    what a program is for); Tensors that require grad and Values by identity, since the replay
    writes their `.grad` (they are parameters: pass the same ones, or a new one traces again);
    numbers by their exact bits (-0.0 is not 0.0); other objects by identity.
    """
    cls = x.__class__
    if cls is np.ndarray:
        return (np.ndarray, x.shape, x.dtype)
    if cls is float:
        return (float, _DOUBLE(x))
    if isinstance(x, Tensor):
        if x.requires_grad:
            return (Tensor, id(x), x._data.shape, x._data.dtype)
        return (Tensor, x._data.shape, x._data.dtype)
    if isinstance(x, Value):
        return (Value, id(x))
    if cls in _CONTAINERS:
        raise _Nested  # (the caller walks the structure and asks for its leaves)
    if isinstance(x, np.ndarray):
        return (np.ndarray, cls, x.shape, x.dtype)
    if isinstance(x, np.floating):
        return (cls, x.tobytes())  # every bit: a NaN's sign, a long double's last digits
    if isinstance(x, float):
        return (cls, _DOUBLE(float(x)))
    if isinstance(x, (np.generic, int, complex, str, bytes, bool, type(None))):
        return (cls, x)
    return (object, id(x))


def _by_identity(x: Any) -> bool:
    """True for an argument leaf that `_key` names by identity (kept alive by the cache)."""
    if isinstance(x, Tensor):
        return x.requires_grad
    return not isinstance(x, (np.ndarray, np.generic, int, float, complex, str, bytes, type(None)))


def _aliases(leaves: list[Any]) -> tuple[int, ...]:
    """For each leaf, the first leaf that is the same object or holds the same memory: `f(w, w)`
    is not `f(w, u)`, nor `f(t, t.detach())` `f(t, u)`."""
    first: dict[int, int] = {}
    return tuple(first.setdefault(_memory(x), i) for i, x in enumerate(leaves))


def _memory(x: Any) -> int:
    """Who a leaf is for aliasing: the array holding a Tensor's or an array's numbers (a view's
    base), else the object."""
    d = x._data if isinstance(x, Tensor) else x
    if d.__class__ is np.ndarray:
        base = d.base
        return id(d if base is None else base)
    return id(x)


class _Program:
    """One traced call, compiled: `run(args)` replays it."""

    def __init__(
        self,
        recorder: _Recorder,
        out_tree: Any,
        out_leaves: list[Any],
        kinds: list[Any],
        checked: bool,
    ) -> None:
        self.recorder: _Recorder | None = recorder  # until written (at the second call)
        self.out_leaves = out_leaves
        self.out_tree = out_tree
        self.kinds = kinds
        self.writer: _Writer | None = None  # until compiled: the traced values, for inlining
        self.consts: list[Any] = []
        self.externals: list[Node] = []
        self.shapes: list[Any] = []
        self.head: list[str] = []
        self.lines: list[str | _Call] = []
        self.tail = ""
        self.source = ""  # written when compiled
        self.run: Callable[[list[Any]], list[Any]] | None = None
        self.checked = checked  # traced with the checks on reading .data and .grad
        self.unseen_writes = recorder.unseen_writes  # .grad written where a first trace is blind
        self.guards: list[tuple[Any, str, Any]] = []  # (object, attribute, value): see guard()
        self.settings: list[tuple[int, str, Any]] = []  # what of them must stay the same
        if recorder.guards:
            seen = set()
            for obj, name, value in recorder.guards:  # each attribute once, as first read
                if (id(obj), name) not in seen:
                    seen.add((id(obj), name))
                    self.guards.append((obj, name, value))
                    self.settings.append((id(obj), name, _guard_key(value)))

    def write(self) -> None:
        """Write the recorded events as the program's lines (once; the second call needs them)."""
        if self.recorder is None:
            return
        writer = self.writer = _Writer(self.recorder)
        outs = [writer.result(x) for x in self.out_leaves]
        self.recorder = None
        self.out_leaves = []
        self.consts = writer.consts
        self.externals = writer.externals
        self.shapes = [
            (e._data.shape, e._data.dtype, e.requires_grad) if e._shaped else None
            for e in self.externals
        ]
        self.lines = writer.lines
        self.tail = f"    return {_build(self.out_tree, iter(outs))}"
        lines = ["def run(A):"]  # the head: the guard on outside tensors, the arguments' names
        guards = []
        for k, e in enumerate(self.externals):
            if e._shaped:
                d, dtype = f"E{k}._data", writer.const(e._data.dtype)
                guards.append(
                    f"{d}.shape != {e._data.shape!r} or "
                    f"({d}.dtype is not {dtype} and {d}.dtype != {dtype}) or "
                    f"E{k}.requires_grad is not {e.requires_grad}"
                )
        for (obj, name, value), (_, _, key) in zip(self.guards, self.settings, strict=True):
            if value is True or value is False or value is None:
                guards.append(f"{writer.const(obj)}.{name} is not {value}")
            elif key[0] is object:  # an object: the same one
                guards.append(f"{writer.const(obj)}.{name} is not {writer.const(value)}")
            else:  # a number, string or tuple: the same, to the bit
                guards.append(
                    f"{writer.const(_guard_key)}({writer.const(obj)}.{name}) != {writer.const(key)}"
                )
        if guards:  # an outside tensor of another shape, a setting changed: trace again
            lines.append(f"    if {' or '.join(guards)}:")
            lines.append(f"        return {writer.const(_CHANGED)}")
        for i, kind in enumerate(self.kinds):
            if kind is Tensor or kind is Value:
                lines.append(f"    a{i} = A[{i}]")
                lines.append(f"    a{i}d = a{i}._data")
            elif kind is np.ndarray:
                lines.append(f"    a{i}d = A[{i}]")
            elif kind is np.integer:  # integers and booleans reach fn as float64
                lines.append(f"    a{i}d = _floating(A[{i}], None)")
        self.head = lines

    def same_as(self, other: _Program) -> str | None:
        """Why two traces of one signature differ, or None if they are the same program."""
        self.write()
        other.write()
        mine, theirs = [*self.head, *self.lines, self.tail], [*other.head, *other.lines, other.tail]
        if mine != theirs:
            for n, (a, b) in enumerate(zip(mine, theirs, strict=False)):
                if a != b:
                    a, b = str(a).strip(), str(b).strip()
                    return f"line {n} of the program was {a!r}, then {b!r}"
            return f"the program had {len(mine)} lines, then {len(theirs)}"
        for n, (a, b) in enumerate(zip(self.consts, other.consts, strict=True)):
            if not _same_const(a, b):
                return f"constant c{n} ({_describe(a)}) changed between the calls"
        for k, (x, y) in enumerate(zip(self.externals, other.externals, strict=True)):
            if x is not y:
                return f"outside tensor E{k} was a different object in each call"
        return None

    def compile(self) -> None:
        self.write()
        tracer = self.writer
        assert tracer is not None
        inliner = Inliner(tracer.const)
        body = []
        for line in tracer.lines:
            if isinstance(line, _Call):
                inlined = inliner.call(line.fn, line.args, line.values, line.kwargs)
                if inlined is not None:
                    extra, expr = inlined
                    body += extra
                    body.append(f"{line.out} = {expr}")
                    continue
            body.append(str(line))
        if tracer.large:  # arrays worth freeing early and reusing: see autograd/lifetimes.py
            values = {var: obj for obj in tracer.keep if (var := tracer.objs.get(id(obj)))}
            values.update(inliner.values)
            names = {f"c{n}": c for n, c in enumerate(self.consts)}
            body = lifetimes.plan(body, self.tail, values, names, tracer.const)
        text = "\n".join(body) + self.tail
        wrap = [  # an array argument as a Tensor (an effect's argument)
            f"    a{i} = {tracer.const(Tensor._leaf)}(a{i}d)"
            for i, kind in enumerate(self.kinds)
            if kind in _ARRAY_KINDS and re.search(rf"\ba{i}\b", text)
        ]
        used = text + "\n".join(wrap)
        head = [  # an integer array is converted only if the program reads it as floats
            line
            for line in self.head
            if "_floating(" not in line or re.search(rf"\b{line.split()[0]}\b", used)
        ]
        head += wrap
        self.source = "\n".join([*head, *("    " + line for line in body), self.tail])
        self.writer = None  # the traced values are no longer needed
        namespace: dict[str, Any] = {f"c{n}": c for n, c in enumerate(self.consts)}
        namespace.update({f"E{n}": e for n, e in enumerate(self.externals)})
        namespace["_floating"] = _floating
        collecting = gc.isenabled()
        gc.disable()
        try:
            code = compile(self.source, "<autograd.jit>", "exec")
        finally:
            if collecting:
                gc.enable()
        exec(code, namespace)
        self.run = namespace["run"]

    def check_externals(self) -> str | None:
        for (obj, name, value), (_, _, key) in zip(self.guards, self.settings, strict=True):
            now = getattr(obj, name)
            if now is not value and _guard_key(now) != key:
                return (
                    f"{type(obj).__name__}.{name}, which it reads, was {value!r} when traced "
                    f"and is now {now!r}"
                )
        for e, expected in zip(self.externals, self.shapes, strict=True):
            if expected is not None:
                d = e._data
                if d.shape != expected[0] or d.dtype != expected[1]:
                    return (
                        f"a tensor the function reads from outside ({_describe(e)}) was "
                        f"{expected[0]} {expected[1]} when traced and is now {d.shape} {d.dtype}"
                    )
                if e.requires_grad != expected[2]:
                    return (
                        f"a tensor the function reads from outside ({_describe(e)}) had "
                        f"requires_grad={expected[2]} when traced, now {e.requires_grad}"
                    )
        return None


def _build(tree: Any, outs: Any) -> str:
    """Python source that rebuilds the function's result from the expressions of its leaves."""
    if tree is None:
        return str(next(outs))
    kind, items = tree
    if kind is dict:
        return "{" + ", ".join(f"{k!r}: {_build(t, outs)}" for k, t in items) + "}"
    inner = ", ".join(_build(t, outs) for t in items)
    return f"[{inner}]" if kind is list else f"({inner}{',' if len(items) == 1 else ''})"


def _same_const(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same_const(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, _Like):
        return a == b
    if isinstance(a, (float, int, str, bytes, slice, np.generic, np.dtype)):
        try:
            return bool(a == b) or (a != a and b != b)
        except Exception:
            return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_const(a[k], b[k]) for k in a)
    if hasattr(a, "__self__") and hasattr(a, "__func__"):  # bound methods are made per access
        return a.__self__ is b.__self__ and a.__func__ is b.__func__
    if isinstance(a, types.FunctionType):  # a lambda written inside the function: made per call
        def cells(f: types.FunctionType) -> list[Any]:
            return [c.cell_contents for c in f.__closure__ or ()]

        return (
            a.__code__ is b.__code__
            and _same_const(a.__defaults__, b.__defaults__)
            and _same_const(cells(a), cells(b))
        )
    return False


def _describe(x: Any) -> str:
    if isinstance(x, Node):
        return f"{type(x).__name__} {x.label!r}" if x.label else type(x).__name__
    if isinstance(x, np.ndarray):
        return f"array of shape {x.shape}"
    return f"{type(x).__name__} {x!r}"[:80]


# --- the user's object -------------------------------------------------------------------------


class Jit:
    """A function traced on its first calls with each signature and replayed afterwards."""

    def __init__(self, fn: Callable[..., Any], enabled: bool | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"jit needs a function, got {type(fn).__name__}")
        self.fn = fn
        if enabled is None:
            enabled = os.environ.get("AUTOGRAD_JIT", "1") not in ("0", "false", "off", "")
        self.enabled = enabled
        self.cache: dict[Any, tuple[int, _Program, list[Any]]] = {}
        self.__name__ = getattr(fn, "__name__", "function")
        self.traces = 0
        self._lock = threading.Lock()
        functools.update_wrapper(self, fn)

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        """As a method: the instance is the first argument (a leaf of the signature)."""
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        mode = MODE.get()
        if not self.enabled or mode & (TRACE | ANOMALY):
            # inside another trace it is part of that one; anomaly detection checks every
            # operation's result, which a replay does not make: both run eagerly
            return self.fn(*args, **kwargs)
        try:
            if kwargs:
                raise _Nested
            keys = tuple(map(_key, args))  # the usual call: leaves only, no structure to walk
            leaves: list[Any] = args  # type: ignore[assignment]
            n = len(args)
            tree: Any = n  # (a number: the structure is n positional leaves)
        except _Nested:
            leaves = []
            tree = _flatten((args, kwargs), leaves)
            n = len(leaves)
            keys = None
        try:
            if keys is None:
                keys = tuple(map(_key, leaves))
            aliases = () if n < 2 or len({*map(_memory, leaves)}) == n else _aliases(leaves)
            key = (tree, keys, mode, aliases)
            entry = self.cache.get(key)
        except TypeError as e:
            raise TypeError(f"jit: an argument of {self.__name__} is not hashable: {e}") from None
        if entry is not None:
            epoch, program, _ = entry
            if epoch == _EPOCH[0] and program.run is not None:
                result = program.run(leaves)
                if result is not _CHANGED:
                    return result
                why = program.check_externals()
                warnings.warn(f"jit: {self.__name__} traces again: {why}", stacklevel=2)
                entry = None
            elif epoch != _EPOCH[0]:
                entry = None
        effects = len(EFFECTS)
        # a signature's first trace goes without the checks on reading .data and .grad (see
        # _patch): it is only compared with the next one, which has them and is replayed
        result, program = self._trace(list(leaves), tree, checked=entry is not None)
        if len(EFFECTS) != effects:  # a class marking effects was made (imported) meanwhile:
            return result  # its methods ran unmarked in this trace, which is not kept
        held = [x for x in leaves if _by_identity(x)]  # their ids are in the key: keep them
        if entry is None:
            self.cache[key] = (_EPOCH[0], program, held)
            self.traces += 1
            if self.traces == MAX_SIGNATURES + 1:
                warnings.warn(
                    f"jit: {self.__name__} has been traced {self.traces} times (signatures "
                    "differ by argument shapes, dtypes or Python values); pass numbers that "
                    "change as arrays or Tensors",
                    stacklevel=2,
                )
            return result
        _, first, _ = entry
        if program.settings != first.settings:
            # a guarded setting (a module's training flag) changed between the first two
            # calls: this trace is the one the next call's is compared with
            self.cache[key] = (_EPOCH[0], program, held)
            return result
        if program.unseen_writes and not first.checked:
            # the function writes .grad, which the first trace did not see: compare this
            # (checked) trace with the next call's instead
            self.cache[key] = (_EPOCH[0], program, held)
            return result
        with self._lock:  # threads making the first calls at once share `first`, written here
            why = first.same_as(program)
            if why is not None:
                self.cache.pop(key, None)
                raise TracingError(
                    f"jit: two calls of {self.__name__} with the same signature did different "
                    f"things ({why}); it depends on something other than its arguments (random "
                    "numbers drawn inside it, numbers computed outside the library, Python "
                    "state that changes). Pass such values as arguments, or use "
                    "autograd.jit(fn, enabled=False)"
                )
            program.compile()
        self.cache[key] = (_EPOCH[0], program, held)
        return result

    def _trace(self, leaves: list[Any], tree: Any, checked: bool) -> tuple[Any, _Program]:
        """Run `fn` on `leaves` (arranged by `tree`; a number: that many positional arguments)
        while a recorder keeps what the engine does: the call's result and its program.
        `checked`: with the checks on reading `.data` and `.grad` (see `_patch`)."""
        call_leaves: list[Any] = []
        kinds: list[Any] = []
        named: list[tuple[Node, str]] = []
        arrays: dict[int, str] = {}  # id(stand-in of an array argument) -> "A[i]"
        integers: dict[int, tuple[Tensor, np.ndarray]] = {}
        proxies: dict[int, Any] = {}  # id(stand-in) -> the caller's object
        standins: list[list[Any]] = []  # of no-grad Tensor arguments (see _Recorder.sync)
        for i, x in enumerate(leaves):
            if isinstance(x, Node):
                if x.requires_grad or not x._shaped:
                    named.append((x, f"a{i}"))
                    call_leaves.append(x)
                    kinds.append(Tensor if x._shaped else Value)
                    continue
                # a Tensor that needs no grad reaches fn as a stand-in sharing its data and
                # version: fn's other ways to it (a closure) stay the outside tensor, read
                # afresh at each replay
                t = Tensor._leaf(x._data)
                t._vbox = x._shared_version()  # type: ignore[attr-defined]
                t._grad = x._grad
                t.label = x.label
                kinds.append(Tensor)
                standins.append([t, x, [getattr(x, name) for name in _SYNCED]])
            elif isinstance(x, np.ndarray):
                if x.__class__ is not np.ndarray:
                    raise TracingError(
                        f"jit: argument {i} of {self.__name__} is a {type(x).__name__}, a "
                        "subclass of numpy's array whose operators mean other things (np.matrix's "
                        "* is a matrix product): pass np.asarray(x), or use "
                        "autograd.jit(fn, enabled=False)"
                    )
                kind = x.dtype.kind
                if kind not in "fiub":
                    raise TracingError(
                        f"jit: argument {i} of {self.__name__} is an array of dtype {x.dtype}; "
                        "a replay reads arrays of numbers only (float, integer, boolean): "
                        "convert it before the call (words to indices, complex to two real "
                        "arrays), or use autograd.jit(fn, enabled=False)"
                    )
                # numbers reach fn as a Tensor, so that everything done with them is recorded
                # (or refused); floats without a copy, integers and booleans as float64
                t = Tensor._leaf(x if kind == "f" else _floating(x, None))
                arrays[id(t)] = f"A[{i}]"
                if kind == "f":
                    kinds.append(np.ndarray)
                else:
                    kinds.append(np.integer)
                    integers[id(t)] = (t, x)
            else:
                call_leaves.append(x)
                kinds.append(None)
                continue
            proxies[id(t)] = x
            named.append((t, f"a{i}"))
            call_leaves.append(t)
        recorder = _Recorder(named, arrays, integers)
        recorder.standins = standins
        if tree.__class__ is int:
            args, kwargs = call_leaves, {}
        else:
            args, kwargs = _unflatten(tree, iter(call_leaves))
        patched = checked or _effects_replaced()  # (a first trace needs no patch, usually)
        if patched:
            _patch(True, checked)
        t_token = TRACER.set(recorder)
        m_token = MODE.set(MODE.get() | TRACE)
        collecting = gc.isenabled()
        gc.disable()  # the recorder keeps every traced object: collections would find no garbage
        try:
            try:
                result = self.fn(*args, **kwargs)
            except ValueError as e:
                if "read-only" not in str(e) or not recorder.frozen:
                    raise
                raise TracingError(
                    f"{self.__name__} wrote into a numpy array after using it as numbers (an "
                    "operand of a Tensor operation, a Tensor's source, what autograd.on_data "
                    "returned), inside a function traced by autograd.jit: the replay cannot "
                    "repeat a write made outside the library, and would read the array as it "
                    "is after it. Make a new array instead (buf = np.full(3, 100.0)), or compute "
                    "with Tensor operations"
                ) from e
        finally:
            if collecting:
                gc.enable()
            MODE.reset(m_token)
            TRACER.reset(t_token)
            if patched:
                _patch(False, checked)
            if standins:
                recorder.sync(direct=True)  # (what fn's own `x.zero_grad()` did, say)
            for a in recorder.frozen:
                a.flags.writeable = True
        if recorder.refused is not None:
            raise TracingError(recorder.refused)
        # the traced call returns what a replay returns: results without graph, the caller's
        # own objects for arguments
        internal = recorder.internal
        if isinstance(result, Node):  # the usual result: one node
            out_leaves = [result]
            out_tree = None
            if id(result) in proxies:
                result = proxies[id(result)]
            elif id(result) in internal:
                result = _result_of(result)
        else:
            out_leaves = []
            out_tree = _flatten(result, out_leaves)
            made: dict[int, Any] = {}
            returned = []
            for x in out_leaves:
                if id(x) in proxies:
                    x = proxies[id(x)]
                elif isinstance(x, Node) and id(x) in internal:
                    if id(x) not in made:
                        made[id(x)] = _result_of(x)
                    x = made[id(x)]
                returned.append(x)
            result = _unflatten(out_tree, iter(returned))
        return result, _Program(recorder, out_tree, out_leaves, kinds, checked)


def jit(fn: Callable[..., Any] | None = None, *, enabled: bool | None = None) -> Any:
    """Trace `fn` on its first calls with each signature, then replay it at the speed of
    straight-line numpy (or float) code; see the module's docstring for the contract.

    Use as `@jit`, `jit(fn)` or `jit(fn, enabled=False)` (eager, for debugging).
    """
    if fn is None:
        return lambda f: Jit(f, enabled)
    return Jit(fn, enabled)

