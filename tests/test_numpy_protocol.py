"""numpy's functions on Tensors that require grad: each records or refuses by name (issue 12).

The rule (`autograd.numpy_functions`): a numpy function called with a Tensor that requires grad
either records a differentiable op or raises a TypeError that names the function; it never
returns a float array that silently drops a gradient. The walk below proves it for every
function of numpy's main namespace and `np.linalg` that numpy dispatches to a Tensor: the
ufuncs and their methods (NEP 13), and the functions of `__array_function__` (NEP 18).

For each function it tries every argument pattern of `PATTERNS` and keeps those that work on
plain float64 arrays. Each kept pattern is then called with its float arrays replaced by Tensors
that require grad (all at once, then each alone), and the outcome is classified:

- a TypeError whose message names the function: a refusal, fine (a TypeError that only reports
  a signature mismatch, "f() missing 1 required positional argument", is a bug, not a refusal);
- a RuntimeError of the in-place rules naming the function, when a Tensor that requires grad
  is written into (`out=t`, `np.copyto(t, a)`): the rules of `t[...] = v`, fine;
- anything returned: the gradient the engine claims (backward of a fixed random weighting of
  the recorded Tensors in the result; zero for every other part, plain arrays included) must
  equal central finite differences of the same weighting of numpy's own result, and every part
  of the result must equal numpy's. A float array whose values move with the input claims a zero
  gradient, so a silently dropped gradient fails here;
- any other exception: the third outcome the rule forbids.

Arrays that numpy writes into (`out=`, positional too; `np.copyto`'s destination) count as part
of the result. Two families are walked by tests of their own, because one fix each mends them
all: a Tensor's numbers written into a plain array, and Tensors that numpy converts with
`__array__` without asking them (inside a list its dispatcher does not open: `np.max([x, y])`).
"""

from __future__ import annotations

import functools
import re
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from conftest import assert_close, to_torch, torch

from autograd import Tensor, no_grad
from autograd.tensors import IMPLEMENTED

# --- inputs: small, well conditioned, no ties, away from every kink and domain edge ------------

_rng = np.random.default_rng(12)


def _uniform(*shape: int) -> np.ndarray:
    return _rng.uniform(0.2, 0.8, shape)


def _matrix(n: int) -> np.ndarray:
    """Positive definite with real eigenvalues, and no two entries equal (a symmetric matrix's
    ties would make np.unique's result jump under a finite-difference step)."""
    a = _rng.normal(size=(n, n))
    return a @ a.T + n * np.eye(n) + 0.01 * _rng.normal(size=(n, n))


V, W, U = _uniform(4), _uniform(4), _uniform(4)
M, N = _uniform(3, 4), _uniform(3, 4)
S, T = _matrix(3), _matrix(3)  # every linalg function is defined on these
V3, W3 = _uniform(3), _uniform(3)
C = _uniform(2, 3, 2)
IDX = np.array([2, 0, 1, 3])  # integer arguments: indices, counts, shifts (not differentiated)
MASK = np.array([True, False, True, True])
CHOICE = np.array([0, 1, 1, 0])


@dataclass(frozen=True)
class Pattern:
    label: str
    arrays: tuple[np.ndarray, ...]  # the float arguments, which the walk makes Tensors
    build: Callable[..., tuple[tuple, dict]]  # those arguments -> (args, kwargs)


def _fresh(x: Any, keep: tuple) -> Any:
    """Copies of the constant arrays in an argument (a call may write into one: `out=`)."""
    if isinstance(x, np.ndarray) and not any(x is k for k in keep):
        return x.copy()
    if isinstance(x, (list, tuple)):
        return type(x)(_fresh(i, keep) for i in x)
    if isinstance(x, dict):
        return {k: _fresh(v, keep) for k, v in x.items()}
    return x


def _pattern(label: str, arrays: tuple, build: Callable[..., Any]) -> Pattern:
    def full(*xs: Any) -> tuple[tuple, dict]:
        out = build(*xs)
        args, kwargs = out if len(out) == 2 and isinstance(out[1], dict) else (out, {})
        return _fresh(args, xs), _fresh(kwargs, xs)

    return Pattern(label, arrays, full)


def _patterns() -> list[Pattern]:
    ps = []
    for name, x in (("v", V), ("m", M), ("s", S), ("c", C), ("1.5 + v", 1.5 + V)):
        ps.append(_pattern(f"f({name})", (x,), lambda a: (a,)))
        for k in (0, 1, 2, -1):  # an axis, a count, an order, a shift, ...
            ps.append(_pattern(f"f({name}, {k})", (x,), lambda a, k=k: (a, k)))
    two = (("v, w", V, W), ("m, n", M, N), ("s, t", S, T), ("v3, w3", V3, W3), ("s, m", S, M),
           ("m, v", M, V), ("v, m.T", V, M.T.copy()), ("s, v3", S, V3),
           ("v, sorted(w)", V, np.sort(W)), ("sorted(v), w", np.sort(V), W))
    ps += [_pattern(f"f({label})", (a, b), lambda a, b: (a, b)) for label, a, b in two]
    ps += [
        _pattern("f(v, 0.5)", (V,), lambda a: (a, 0.5)),
        _pattern("f(m, (4, 3))", (M,), lambda a: (a, (4, 3))),
        _pattern("f(v, (3, 4))", (V,), lambda a: (a, (3, 4))),
        _pattern("f(m, 0, 1)", (M,), lambda a: (a, 0, 1)),
        _pattern("f(v, 0.3, 0.7)", (V,), lambda a: (a, 0.3, 0.7)),
        _pattern("f(v, w, u)", (V, W, U), lambda a, b, c: (a, b, c)),
        _pattern("f(v, sorted(w), u)", (V, np.sort(W), U), lambda a, b, c: (a, b, c)),
        _pattern("f(v, w, 1)", (V, W), lambda a, b: (a, b, 1)),
        _pattern("f([v, w])", (V, W), lambda a, b: ([a, b],)),
        _pattern("f((m, n))", (M, N), lambda a, b: ((a, b),)),
        _pattern("f([m, n], 1)", (M, N), lambda a, b: ([a, b], 1)),
        _pattern("f([s, t])", (S, T), lambda a, b: ([a, b],)),
        _pattern("f([[m, n]])", (M, N), lambda a, b: ([[a, b]],)),
        _pattern("f(v, idx)", (V,), lambda a: (a, IDX)),
        _pattern("f(idx, v)", (V,), lambda a: (IDX, a)),
        _pattern("f(v, idx, 0)", (V,), lambda a: (a, IDX, 0)),
        _pattern("f(v, idx, w)", (V, W), lambda a, b: (a, IDX, b)),
        _pattern("f(v, idx, w, 0)", (V, W), lambda a, b: (a, IDX, b, 0)),
        _pattern("f(mask, v)", (V,), lambda a: (MASK, a)),
        _pattern("f(mask, v, w)", (V, W), lambda a, b: (MASK, a, b)),
        _pattern("f(v, mask, w)", (V, W), lambda a, b: (a, MASK, b)),
        _pattern("f(choice, [v, w])", (V, W), lambda a, b: (CHOICE, [a, b])),
        _pattern("f([mask], [v])", (V,), lambda a: ([MASK], [a])),
        _pattern("f(v, [mask], [sin, cos])", (V,), lambda a: (a, [MASK], [np.sin, np.cos])),
        _pattern("f('i,i', v, w)", (V, W), lambda a, b: ("i,i", a, b)),
        _pattern("f('ij->ji', m)", (M,), lambda a: ("ij->ji", a)),
        _pattern("f(sum, 0, m)", (M,), lambda a: (np.sum, 0, a)),
        _pattern("f(sum, m, [0])", (M,), lambda a: (np.sum, a, [0])),
        _pattern("f(v, float32)", (V,), lambda a: (a, np.float32)),
        _pattern("f(v, weights=w)", (V, W), lambda a, b: ((a,), {"weights": b})),
        _pattern("f(v, fill_value=w)", (V, W), lambda a, b: ((a,), {"fill_value": b})),
    ]
    return ps


PATTERNS = _patterns()

# --- which functions are walked -----------------------------------------------------------------

# Dispatched to a Tensor but not walked: file I/O sends the numbers to a file, where no gradient
# can follow (and the walk would litter the disk).
EXCLUDED = {np.save, np.savez, np.savez_compressed, np.savetxt}

# No pattern works on float arrays, so a Tensor (always floating) is never a valid argument.
# A name new here fails `test_the_walk_loses_no_function`: the walk cannot shrink silently.
NO_PATTERN = frozenset({
    # integer-only ufuncs
    "numpy.bitwise_and", "numpy.bitwise_or", "numpy.bitwise_xor", "numpy.left_shift",
    "numpy.right_shift", "numpy.gcd", "numpy.lcm",
    # integer-only functions: bit packing, multi-indices
    "numpy.packbits", "numpy.unpackbits", "numpy.ravel_multi_index", "numpy.unravel_index",
    # datetimes only
    "numpy.isnat", "numpy.datetime_as_string",
})

# Functions whose result numpy leaves unspecified: compared by shape, and claiming no gradient.
UNSPECIFIED = {np.empty_like}

# Engine bugs the walk finds, per test ("grad", "nograd") and function, each marked
# xfail(strict=True) until fixed (its fix turns the test red until the entry goes). None now.
KNOWN_BUGS: dict[str, dict[str, str]] = {"grad": {}, "nograd": {}}


def _is_numpy_function(f: Any) -> bool:
    """A ufunc, or a function numpy dispatches through `__array_function__` (NEP 18)."""
    return isinstance(f, np.ufunc) or hasattr(f, "_implementation")


def _enumerate() -> list[tuple[str, Any, str]]:
    """(qualified name, callable, the name a refusal must hold) for each function once."""
    seen: dict[Any, tuple[str, Any, str]] = {}
    for module, prefix in ((np, "numpy"), (np.linalg, "numpy.linalg")):
        for name in sorted(dir(module)):
            f = getattr(module, name)
            if name.startswith("_") or not _is_numpy_function(f) or f in EXCLUDED:
                continue
            if id(f) not in seen:  # aliases (np.abs is np.absolute) under the canonical name
                canonical = f.__name__ if getattr(module, f.__name__, None) is f else name
                seen[id(f)] = (f"{prefix}.{canonical}", f, f.__name__)
    # the methods of the elementwise ufuncs with a float loop: np.add.reduce, np.exp.at, ...
    for qualname, uf, name in list(seen.values()):
        if isinstance(uf, np.ufunc) and uf.signature is None and (
            "dd->d" in uf.types or "d->d" in uf.types
        ):
            methods = ("reduce", "accumulate", "reduceat", "outer") if uf.nin == 2 else ()
            for method in (*methods, "at"):
                seen[(id(uf), method)] = (f"{qualname}.{method}", getattr(uf, method), name)
    return sorted(seen.values(), key=lambda item: item[0])


FUNCTIONS = _enumerate()
_INDEX = {qualname: i for i, (qualname, _, _) in enumerate(FUNCTIONS)}

# --- numpy's side: which patterns work, the weighted scalar, finite differences ---------------


def _leaves(x: Any) -> list[Any]:
    """The parts of a result, tuples and lists (named tuples included) flattened."""
    if isinstance(x, (tuple, list)):
        return [leaf for item in x for leaf in _leaves(item)]
    return [x]


def _float_part(x: Any) -> np.ndarray | None:
    """The floating (or complex) numbers of a result part, or None if it holds none."""
    if isinstance(x, Tensor):
        x = x.data
    if isinstance(x, np.ndarray):
        return x if x.dtype.kind in "fc" else None
    if isinstance(x, (float, complex, np.floating, np.complexfloating)):
        return np.asarray(x)
    return None


def _quiet_call(f: Any, args: tuple, kwargs: dict) -> Any:
    """f(*args, **kwargs) with warnings and floating-point errors raised as exceptions."""
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        return f(*args, **kwargs)


@dataclass(frozen=True)
class Case:
    """A pattern that works on arrays for one function."""

    pattern: Pattern
    written: tuple[int, ...]  # the arrays numpy writes into (out=, np.copyto's dst, ...)
    weights: tuple  # per result part: None, or (real, imaginary) weights of the scalar


def _numpy_outputs(f: Any, case: Case, arrays: tuple) -> list[Any]:
    """numpy's result on copies of `arrays`, flattened, then the arrays it wrote into."""
    xs = [a.copy() for a in arrays]
    args, kwargs = case.pattern.build(*xs)
    return _leaves(_quiet_call(f, args, kwargs)) + [xs[i] for i in case.written]


@functools.cache
def _cases(index: int) -> tuple[Case, ...]:
    """The patterns that work on float64 arrays (no error, no warning, finite numbers) for
    FUNCTIONS[index], each with random weights for the floating parts of its result."""
    f = FUNCTIONS[index][1]
    kept = []
    for pattern in PATTERNS:
        xs = [a.copy() for a in pattern.arrays]
        try:
            args, kwargs = pattern.build(*xs)
            result = _quiet_call(f, args, kwargs)
        except Exception:
            continue
        written = tuple(i for i, (x, a) in enumerate(zip(xs, pattern.arrays, strict=True))
                        if not np.array_equal(x, a))
        parts = [_float_part(o) for o in _leaves(result) + [xs[i] for i in written]]
        if any(p is not None and not np.all(np.isfinite(p)) for p in parts):
            continue
        rng = np.random.default_rng(len(kept))
        weights = tuple(None if p is None else (rng.normal(size=p.shape), rng.normal(size=p.shape))
                        for p in parts)
        kept.append(Case(pattern, written, weights))
    return tuple(kept)


def _scalar(outputs: list[Any], weights: tuple, absolute: bool = False) -> float:
    """sum(part * weight) over the floating parts of a result (real and imaginary); with
    `absolute`, sum |part * weight|, the scale of the scalar's rounding error."""
    total = 0.0
    for out, w in zip(outputs, weights, strict=True):
        if w is not None:
            part = np.asarray(_float_part(out))
            terms = (part.real * w[0], part.imag * w[1])
            total += float(sum(np.sum(np.abs(t) if absolute else t) for t in terms))
    return total


def _finite_differences(f: Any, case: Case, i: int, eps: float = 1e-6) -> np.ndarray:
    """d scalar / d arrays[i] by central differences, on numpy's own function and arrays."""
    base = case.pattern.arrays
    grad = np.zeros_like(base[i])
    for j in range(base[i].size):
        values = []
        for step in (eps, -eps):
            arrays = [a.copy() for a in base]
            arrays[i].flat[j] += step
            values.append(_scalar(_numpy_outputs(f, case, tuple(arrays)), case.weights))
        grad.flat[j] = (values[0] - values[1]) / (2 * eps)
    return grad


def _same_value(ours: Any, theirs: Any) -> bool:
    """A result part equals numpy's: to rounding for numbers, exactly for the rest."""
    ours = ours.data if isinstance(ours, Tensor) else ours
    if isinstance(theirs, (bool, np.bool_)):
        return isinstance(ours, (bool, np.bool_)) and bool(ours) == bool(theirs)
    if isinstance(theirs, (np.ndarray, np.generic, int, float, complex)):
        a, b = np.asarray(ours), np.asarray(theirs)
        if a.shape != b.shape or a.dtype.kind in "fc" and b.dtype.kind not in "biufc":
            return False
        if a.dtype.kind in "fc" or b.dtype.kind in "fc":
            return bool(np.allclose(a, b, rtol=1e-12, atol=1e-14, equal_nan=True))
        return bool(np.array_equal(a, b))
    return type(ours) is type(theirs) and bool(ours == theirs)


# --- the engine's side: where numpy sends the call, and the outcome ---------------------------


class _Dispatched(Exception):
    pass


class _Probe:
    """Stands where a Tensor will, to learn whether numpy hands the call to it (NEP 13, NEP 18)
    or converts it with `__array__` without asking (inside a list its dispatcher does not
    open, as `np.max([x, y])`)."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.array if dtype is None else self.array.astype(dtype)

    def __len__(self) -> int:  # iterable as a Tensor is (np.roots's dispatcher iterates it)
        return len(self.array)

    def __iter__(self) -> Any:
        return (_Probe(row) for row in self.array)

    def __array_function__(self, *args: Any) -> Any:
        raise _Dispatched

    def __array_ufunc__(self, *args: Any, **kwargs: Any) -> Any:
        raise _Dispatched


def _family(f: Any, case: Case, chosen: tuple[int, ...]) -> str:
    """"unseen" if numpy converts the chosen arrays (as Tensors) without asking them,
    "written" if it writes their numbers into a plain array, else "grad"."""
    xs = [_Probe(a.copy()) if i in chosen else a.copy() for i, a in enumerate(case.pattern.arrays)]
    args, kwargs = case.pattern.build(*xs)
    try:
        _quiet_call(f, args, kwargs)
    except _Dispatched:
        return "written" if set(case.written) - set(chosen) else "grad"
    except Exception:
        pass
    return "unseen"


def _variants(n: int) -> list[tuple[int, ...]]:
    """Which arrays become Tensors: all of them, then each alone."""
    return [tuple(range(n))] + ([(i,) for i in range(n)] if n > 1 else [])


def _is_at(f: Any) -> bool:
    """np.add.at and the like: they write into their first argument, whatever its values."""
    return isinstance(getattr(f, "__self__", None), np.ufunc) and f.__name__ == "at"


def _destinations(f: Any, case: Case) -> set[int]:
    """The arrays a call writes into: those numpy changed, and ufunc.at's first argument."""
    return set(case.written) | ({0} if _is_at(f) else set())


# numpy does not dispatch full_like on its fill value (the dispatcher names only `a`): a fill
# that requires grad reaches the engine through the np.copyto full_like calls, which refuses it
# under its own name
REFUSED_BY = {"numpy.full_like": "numpy.copyto"}

# a Python signature error is no refusal: the engine's function does not take numpy's arguments
_SIGNATURE = re.compile(r"\w\(\) (missing \d+ required|got an unexpected|got multiple|takes )")
# the in-place rules' refusal (`autograd.tensors._check_inplace`), for out= and writers
_INPLACE = ("in place", "gradient would be lost")


@functools.cache
def _check(index: int, family: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """FUNCTIONS[index] on Tensors over its working patterns: (problems, outcomes seen).

    family "grad", "written" or "unseen" (see `_family`): the calls of that family, with
    Tensors that require grad; "nograd": every pattern with all its arrays Tensors that do not.
    """
    qualname, f, name = FUNCTIONS[index]
    problems: list[str] = []
    seen: set[str] = set()
    for case in _cases(index):
        fd: dict[int, np.ndarray] = {}
        n = len(case.pattern.arrays)
        for chosen in _variants(n) if family != "nograd" else [tuple(range(n))]:
            if family != "nograd" and _family(f, case, chosen) != family:
                continue
            where = f"{qualname} {case.pattern.label} with Tensors at {list(chosen)}"
            inputs = [Tensor(a, requires_grad=family != "nograd") if i in chosen else a.copy()
                      for i, a in enumerate(case.pattern.arrays)]
            args, kwargs = case.pattern.build(*inputs)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    result = f(*args, **kwargs)
            except Exception as e:
                text = str(e)
                named = name in text or REFUSED_BY.get(qualname, "\0") in text
                if isinstance(e, TypeError) and named and not _SIGNATURE.search(text):
                    seen.add("TypeError")
                elif isinstance(e, RuntimeError) and name in text and any(
                    s in text for s in _INPLACE
                ) and set(chosen) & _destinations(f, case):
                    seen.add("in-place refused")
                elif family == "unseen" and isinstance(e, (TypeError, RuntimeError)) and (
                    "requires grad" in text or "requires_grad" in text
                ):
                    seen.add("conversion refused")
                else:
                    problems.append(f"{where}: {type(e).__name__}: {e}")
                continue
            if _is_at(f):
                result = None  # what it returns is test_ufunc_at_returns_none_as_numpy's
            outputs = _leaves(result) + [inputs[i] for i in case.written]
            problems += _check_result(f, case, inputs, chosen, outputs, where, seen, fd, family)
    return tuple(problems), frozenset(seen)


def _check_result(f: Any, case: Case, inputs: list, chosen: tuple, outputs: list, where: str,
                  seen: set, fd: dict, family: str) -> list[str]:
    """Every part against numpy's value, and the claimed gradient against finite differences."""
    reference = _numpy_outputs(f, case, case.pattern.arrays)
    if len(outputs) != len(reference):
        return [f"{where}: {len(outputs)} result parts, numpy gives {len(reference)}"]
    problems = []
    recorded = []
    for k, (ours, theirs, w) in enumerate(zip(outputs, reference, case.weights, strict=True)):
        same = np.shape(ours) == np.shape(theirs) if f in UNSPECIFIED else _same_value(
            ours, theirs
        )
        if not same:
            problems.append(f"{where}: part {k} is {ours!r}, numpy gives {theirs!r}")
        if isinstance(ours, Tensor) and ours.requires_grad:
            if family == "nograd":
                problems.append(f"{where}: part {k} requires grad, but no input does")
            elif w is not None:
                recorded.append((ours * w[0]).sum())
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and i not in case.written and not np.array_equal(
            t.data, case.pattern.arrays[i]
        ):
            problems.append(f"{where}: input {i} changed in place")
    constant = all(w is None for w in case.weights) or f in UNSPECIFIED
    if all(w is None for w in case.weights):
        seen.add("no float result")
    else:
        seen.add("recorded" if recorded else "float result, no gradient claimed")
    if problems or family == "nograd":
        return problems
    try:
        if recorded:
            sum(recorded[1:], recorded[0]).backward()
    except Exception as e:
        return [f"{where}: backward fails: {type(e).__name__}: {e}"]
    for i in chosen:
        grad = inputs[i].grad
        claimed = np.zeros_like(case.pattern.arrays[i]) if grad is None else np.asarray(grad)
        if constant:
            expected = np.zeros_like(claimed)  # the scalar does not move with the input
        else:
            if i not in fd:
                try:
                    fd[i] = _finite_differences(f, case, i)
                except Exception as e:
                    return [f"{where}: no finite differences: {type(e).__name__}: {e}"]
            expected = fd[i]
        # central differences lose 1e-16 * |terms| / eps to rounding: allowed 100 times that
        atol = 1e-6 + 1e-8 * _scalar(reference, case.weights, absolute=True)
        if not np.allclose(claimed, expected, rtol=1e-5, atol=atol):
            what = "claims a wrong gradient" if recorded else "drops the gradient"
            problems.append(
                f"{where}: {what} of input {i}: engine {np.round(claimed, 6).tolist()}, "
                f"finite differences {np.round(expected, 6).tolist()}"
            )
    return problems


# --- the walk -----------------------------------------------------------------------------------


def _params(family: str) -> list[Any]:
    known = KNOWN_BUGS[family]
    assert set(known) <= set(_INDEX), f"KNOWN_BUGS names functions not walked: {set(known)}"
    return [
        pytest.param(index, id=qualname, marks=[pytest.mark.xfail(strict=True,
                                                                  reason=known[qualname])]
                     if qualname in known else [])
        for index, (qualname, _, _) in enumerate(FUNCTIONS)
    ]


@pytest.mark.parametrize("index", _params("grad"))
def test_numpy_function_on_a_tensor_that_requires_grad_records_or_refuses_by_name(index):
    problems, _ = _check(index, "grad")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("index", _params("nograd"))
def test_numpy_function_on_tensors_without_grad_gives_numpys_numbers(index):
    """No gradient wanted: any numpy function goes through, with numpy's numbers (a TypeError
    naming the function is allowed: the refusal of an argument the engine lacks, as out=)."""
    problems, _ = _check(index, "nograd")
    assert not problems, "\n".join(problems)


def _family_problems(family: str) -> list[str]:
    return [p for index in range(len(FUNCTIONS)) for p in _check(index, family)[0]]


def test_no_numpy_function_writes_a_gradient_into_a_plain_array():
    """out=array (positional too) and np.copyto(array, t), np.put, np.place, np.putmask,
    np.put_along_axis: the array must not take numbers that carry a gradient, silently."""
    problems = _family_problems("written")
    assert not problems, f"{len(problems)} calls:\n" + "\n".join(problems)


def test_tensors_numpy_converts_without_asking_keep_their_gradient():
    """np.sum([x, y]): numpy's dispatcher does not look into the list; it converts x and y with
    `__array__`, which must then refuse a Tensor that requires grad (as PyTorch does)."""
    problems = _family_problems("unseen")
    assert not problems, f"{len(problems)} calls:\n" + "\n".join(problems)


def test_the_walk_loses_no_function():
    """Every function numpy dispatches to a Tensor is walked, bar the explicit lists, and the
    walk meets every kind of outcome it claims to sort."""
    without = {qualname for qualname, i in _INDEX.items() if not _cases(i)}
    assert without - NO_PATTERN == set(), "functions no pattern reaches (add a pattern)"
    assert without == NO_PATTERN & set(_INDEX), "NO_PATTERN names functions that now work"
    assert len(FUNCTIONS) - len(without) >= 450  # numpy 2.4: 531 functions and ufunc methods
    outcomes = Counter(o for i in range(len(FUNCTIONS)) for o in _check(i, "grad")[1])
    assert {"recorded", "TypeError", "no float result", "in-place refused"} <= set(outcomes)


def test_every_function_the_engine_implements_records_in_the_walk():
    """IMPLEMENTED and the differentiable ufuncs are walked, and record (the rest of the walk
    would pass as well if everything refused)."""
    constants = {np.zeros_like, np.ones_like, np.empty_like, np.full_like}
    for f in set(IMPLEMENTED) - constants | {np.exp, np.add, np.matmul, np.maximum}:
        qualname = next(q for q, g, _ in FUNCTIONS if g is f)
        assert "recorded" in _check(_INDEX[qualname], "grad")[1], qualname


# --- direct tests ---------------------------------------------------------------------------


@pytest.mark.oracle
def test_clip_in_the_issue_example_fills_the_gradient_as_torch():
    x_np = np.array([-0.5, 0.25, 0.75, 1.5])
    w_np = np.array([1.0, -2.0, 3.0, 0.5])
    x, w = Tensor(x_np, requires_grad=True), Tensor(w_np)
    (w * np.clip(x, 0, 1)).sum().backward()
    xt = to_torch(x_np)
    (torch.tensor(w_np) * torch.clamp(xt, 0, 1)).sum().backward()
    assert_close(x.grad, xt.grad)
    np.testing.assert_array_equal(x.grad, [0.0, -2.0, 3.0, 0.0])


def test_sum_and_mean_record():
    x = Tensor([[1.0, 2.0], [3.0, 5.0]], requires_grad=True)
    total, mean = np.sum(x), np.mean(x)
    assert isinstance(total, Tensor) and isinstance(mean, Tensor)
    assert total.requires_grad and mean.requires_grad
    assert total.item() == 11.0 and mean.item() == 2.75
    (total + mean).backward()
    np.testing.assert_array_equal(x.grad, np.full((2, 2), 1.25))


def test_det_refuses_by_name_and_says_what_to_do():
    x = Tensor(S, requires_grad=True)
    with pytest.raises(TypeError, match=r"numpy\.linalg\.det is not differentiable") as info:
        np.linalg.det(x)
    assert "detach()" in str(info.value) and "autograd.primitive" in str(info.value)
    assert np.linalg.det(x.detach()) == pytest.approx(np.linalg.det(S), rel=1e-12)


def test_without_grad_numpy_gives_arrays_or_constant_tensors():
    t = Tensor([[1.0, 2.0], [3.0, 4.0]])
    det = np.linalg.det(t)
    assert isinstance(det, np.floating) and det == pytest.approx(-2.0)
    cumprod = np.cumprod(t)
    assert type(cumprod) is np.ndarray
    np.testing.assert_array_equal(cumprod, [1.0, 2.0, 6.0, 24.0])
    total = np.sum(t, axis=0)  # implemented: a Tensor, outside any graph
    assert isinstance(total, Tensor) and not total.requires_grad
    np.testing.assert_array_equal(total.data, [4.0, 6.0])
    assert isinstance(np.sin(t), Tensor) and not np.sin(t).requires_grad


def test_copyto_into_a_leaf_that_requires_grad_follows_the_in_place_rules():
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"numpy\.copyto.*leaf tensor that requires grad"):
        np.copyto(t, np.array([5.0, 6.0]))
    np.testing.assert_array_equal(t.data, [1.0, 2.0])
    assert t.version == 0
    with no_grad():
        np.copyto(t, np.array([5.0, 6.0]))
    np.testing.assert_array_equal(t.data, [5.0, 6.0])
    assert t.version == 1
    y = (t * t).sum()
    with no_grad():
        np.copyto(t, np.array([7.0, 8.0]))
    with pytest.raises(RuntimeError, match="changed in place"):
        y.backward()  # the graph read the values before the copy


def test_copyto_into_a_tensor_without_grad_refuses_a_gradient():
    t = Tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"numpy\.copyto.*gradient would be lost"):
        np.copyto(t, Tensor([5.0, 6.0], requires_grad=True))
    np.copyto(t, np.array([5.0, 6.0]))
    np.testing.assert_array_equal(t.data, [5.0, 6.0])
    assert t.version == 1


def test_out_into_a_leaf_that_requires_grad_follows_the_in_place_rules():
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"numpy\.exp\(\.\.\., out=\) on a leaf"):
        np.exp(np.array([0.0, 1.0]), out=t)
    with no_grad():
        assert np.exp(np.array([0.0, 1.0]), out=t) is t
    np.testing.assert_allclose(t.data, [1.0, np.e], rtol=1e-15)
    assert t.version == 1


def test_ufunc_at_returns_none_as_numpy():
    t = Tensor([1.0, 2.0])
    assert np.add.at(t, [0, 0], 1.0) is None
    np.testing.assert_array_equal(t.data, [3.0, 2.0])
