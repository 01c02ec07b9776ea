"""Array lifetimes in a program compiled by `autograd.jit`: large arrays are let go right after
their last use, and an exact elementwise operation whose operand dies there writes its result
into that operand instead of a new array.

Code that allocates its results (hand-written numpy, or the eager engine) keeps every temporary
until its name goes out of scope and asks the allocator for fresh memory for each new one. In a
replayed program every line's shapes and dtypes are known from the trace, so a line such as
`v18 = v15 * (v4 != 0)`, where `v15` is read nowhere after, can write into `v15`'s memory, still
in the cache, and skip an allocation of the same size.

The rewrite is safe by construction and checked at run time as well:
- Only ufuncs whose every element is one correctly rounded IEEE operation (`EXACT`) are rewritten,
  so writing in place gives the same bits as a new array (numpy's vectorised transcendental
  functions may take another code path for an in-place call; those are left alone).
- The operand must, in the trace, be an array of the result's shape and dtype, of at least
  `LARGE` bytes, owning its memory (`base is None`), and no later line may read its name.
- At run time the line writes in place only if the operand still owns its memory, may be
  written, and the only reference to it is its name (`sys.getrefcount`): an array someone else
  holds (a `.grad`, a result, an outside tensor's data, a view of it anywhere) makes the line
  allocate as before. (A view made from the array's raw address, by ctypes, holds no
  reference: such a view of an array that `autograd.on_data` returned would see the write.)
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

EXACT = (np.add, np.subtract, np.multiply, np.true_divide, np.negative, np.maximum, np.minimum)
_BINOPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.true_divide}
LARGE = 64 * 1024
"""Bytes from which an array is worth freeing early and reusing: below it an allocation costs
less than the test that avoids it (numpy's small arrays come from its own cache)."""

_VAR = re.compile(r"\b[vi]\d+\b")  # the program's own variables (a, e and c names are inputs)
_ASSIGN = re.compile(r"([vi]\d+) ([-+*/]?)= ")
_CONTINUED = ("finally:", "except", "else:", "elif ")  # clauses of the statement above


def _calibrate() -> int:
    """References an array held by one local name has, seen by `getrefcount` in a generated line
    (its name, and the call's argument)."""
    namespace: dict[str, Any] = {"rc": sys.getrefcount, "empty": np.empty}
    exec("def probe():\n    x = empty(1)\n    return rc(x)\n", namespace)
    return int(namespace["probe"]())


ALONE = _calibrate()


def large(x: Any) -> bool:
    """An array worth freeing early and reusing (`LARGE`)."""
    return x.__class__ is np.ndarray and x.nbytes >= LARGE


def plan(
    body: list[str],
    tail: str,
    values: dict[str, Any],
    names: dict[str, Any],
    const: Callable[[Any], str],
) -> list[str]:
    """`body` (the program's lines, unindented; an indented line belongs to the statement above
    it) with large arrays deleted after their last use and dying operands reused. `values` are
    the traced values of the variables (where known), `names` the program's constants by name,
    `const` names a new one, `tail` is the return statement."""
    statements: list[list[str]] = []
    for line in body:
        if statements and (line[:1] == " " or line.startswith(_CONTINUED)):
            statements[-1].append(line)
        else:
            statements.append([line])
    live = set(_VAR.findall(tail))
    dies: list[list[str]] = [[] for _ in statements]
    for n in range(len(statements) - 1, -1, -1):
        lines = statements[n]
        uses = set(_VAR.findall("\n".join(lines)))
        defined = None
        match = _ASSIGN.match(lines[0]) if len(lines) == 1 else None
        if match is not None:
            defined = match.group(1)
            if not match.group(2):  # `x = ...` reads x only on its right
                uses = set(_VAR.findall(lines[0][match.end() :]))
        touched = uses if defined is None else uses | {defined}
        dies[n] = sorted(name for name in touched if name not in live)
        if defined is not None:
            live.discard(defined)
        live |= uses
    out: list[str] = []
    for lines, dead in zip(statements, dies, strict=True):
        if len(lines) == 1:
            lines = [_in_place(lines[0], set(dead), values, names, const)]
        out += lines
        gone = [name for name in dead if large(values.get(name))]
        if gone:
            out.append(f"del {', '.join(gone)}")
    return out


def _in_place(
    line: str,
    dead: set[str],
    values: dict[str, Any],
    names: dict[str, Any],
    const: Callable[[Any], str],
) -> str:
    """`line` written to put its result into an operand that dies on it, if it may."""
    match = _ASSIGN.match(line)
    if match is None or match.group(2) or not dead:
        return line
    target: Any = values.get(match.group(1))
    if not large(target):
        return line
    try:
        expr = ast.parse(line[match.end() :], mode="eval").body
    except SyntaxError:
        return line
    ufunc: Any
    if isinstance(expr, ast.BinOp) and type(expr.op) in _BINOPS:
        ufunc, operands = _BINOPS[type(expr.op)], [expr.left, expr.right]
    elif isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
        ufunc, operands = np.negative, [expr.operand]
    elif (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Name)
        and not expr.keywords
        and any(names.get(expr.func.id) is u for u in EXACT)
    ):
        ufunc = names[expr.func.id]
        operands = list(expr.args)
        if len(operands) != ufunc.nin or any(isinstance(a, ast.Starred) for a in operands):
            return line
    else:
        return line
    layouts = _layouts(expr, values, names)
    if layouts is None or not target.flags.c_contiguous:
        return line
    for x in operands:
        if not isinstance(x, ast.Name) or x.id not in dead:
            continue
        value: Any = values.get(x.id)
        if (
            large(value)
            and value.base is None
            and value.size > 1  # (numpy takes another loop for one element written in place)
            and value.shape == target.shape
            and value.dtype == target.dtype
        ):
            args = ", ".join(ast.unparse(a) for a in operands)
            test = " and ".join(
                [
                    f"{const(sys.getrefcount)}({x.id}) == {ALONE}",
                    f"{x.id}.base is None",
                    f"{x.id}.flags.writeable",
                    *(f"{name}.flags.c_contiguous" for name in layouts),
                ]
            )
            written = f"{const(ufunc)}({args}, out={x.id})"
            return f"{match.group(1)} = {written} if {test} else {ast.unparse(expr)}"
    return line


_ELEMENTWISE = (ast.BinOp, ast.UnaryOp, ast.Compare, ast.Name, ast.Constant, ast.Load,
                ast.operator, ast.unaryop, ast.cmpop)
_INPUT = re.compile(r"e\d+|a\d+d")  # an outside tensor's or an argument's array


def _layouts(
    expr: ast.expr, values: dict[str, Any], names: dict[str, Any]
) -> list[str] | None:
    """The arrays whose memory order the replay must check before writing `expr`'s result into
    an operand, or None if it may not. Eagerly numpy lays a new result out in its inputs' order:
    when every array in the expression is in C order, so is the result, and an operand in C
    order holds it in the same order (a later sum adds it up in the same order, to the bit).
    The expression may hold only elementwise arithmetic and comparisons of names."""
    checks: list[str] = []
    for node in ast.walk(expr):
        if isinstance(node, ast.Call):
            if node is expr:
                continue  # (the ufunc's own call; its arguments are walked)
            return None
        if not isinstance(node, _ELEMENTWISE):
            return None
        if isinstance(node, ast.Name):
            if node.id in names:  # a constant of the program: its order is known now
                c = names[node.id]
                if isinstance(c, np.ndarray) and c.ndim and not c.flags.c_contiguous:
                    return None
                continue
            value = values.get(node.id)
            if value is None:
                if not _INPUT.fullmatch(node.id):
                    return None  # (unknown: not written in place)
            elif not isinstance(value, np.ndarray) or value.ndim == 0:
                continue  # a number
            elif not value.flags.c_contiguous:
                return None
            if node.id not in checks:
                checks.append(node.id)
    return checks
