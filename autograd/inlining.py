"""Inlining for `autograd.jit`: a primitive's forward or VJP rule written into the replayed
program as expressions, instead of a call.

A replayed program calls each forward and rule on arrays whose shapes and dtypes are fixed by the
signature, so what those functions decide from shapes and dtypes (`if g.ndim == 2`, `if bias is
None`, `isinstance(x, np.ndarray)`) is decided once, here, and only the arithmetic is written out.
A function is inlined when its body is made of what this module understands: a docstring,
assignments to names, `if` statements whose tests read only types, shapes and dtypes (never
numbers), and a final `return`; calls inside it to other functions of that form (and to
primitives, whose forwards run on arrays here) are inlined in turn. Anything else (loops,
`with`, a test that reads numbers, a `raise` on the path taken) keeps the call: inlining is an
optimisation and never changes which numpy operations run, or in which order.
"""

from __future__ import annotations

import ast
import builtins
import functools
import inspect
import operator
import re
import textwrap
import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd.primitive import Primitive

OPERATORS = {  # a forward that is Python's own operator: written as the operator
    operator.add: "({0} + {1})",
    operator.sub: "({0} - {1})",
    operator.mul: "({0} * {1})",
    operator.truediv: "({0} / {1})",
    operator.neg: "(-{0})",
}

_PLACEHOLDER = re.compile(r"_jit_arg(\d+)_")
STATIC_ATTRS = {"ndim", "shape", "dtype", "size", "__class__", "kind", "itemsize"}
STATIC_CALLS = {isinstance, getattr, len, type, hasattr}
_MAX_DEPTH = 4


class _Bail(Exception):
    """This function is not inlined."""


@functools.cache
def _tree(code: types.CodeType) -> ast.Lambda | ast.FunctionDef | None:
    """The syntax tree of the function or lambda whose code object is `code`, or None."""
    try:
        lines, start = inspect.findsource(code)
    except (OSError, TypeError):
        return None
    source = textwrap.dedent("".join(inspect.getblock(lines[code.co_firstlineno - 1 :])))
    try:
        module = ast.parse(source)
    except SyntaxError:  # a lambda inside a larger statement: parse the whole statement
        return _lambda_in(lines, code)
    for node in ast.walk(module):
        if isinstance(node, ast.FunctionDef) and node.name == code.co_name:
            return node
        if isinstance(node, ast.Lambda) and code.co_name == "<lambda>":
            return _lambda_in(lines, code)
    return None


def _lambda_in(lines: list[str], code: types.CodeType) -> ast.Lambda | None:
    """The lambda on `code`'s line whose body starts where `code`'s instructions do (a line may
    hold several lambdas with the same names, `lambda g, out, x, y: g * y` and `... g * x`)."""
    first = code.co_firstlineno - 1
    indent = len(lines[first]) - len(lines[first].lstrip())
    positions = getattr(code, "co_positions", None)  # Python 3.11 and later
    if positions is None:
        return None
    starts = {(ln, col) for ln, _, col, _ in positions() if ln is not None and col is not None}
    for end in range(first + 1, min(first + 12, len(lines)) + 1):
        text = textwrap.dedent("".join(lines[first:end]))
        try:
            module = ast.parse(text)
        except SyntaxError:
            continue
        for node in ast.walk(module):
            if isinstance(node, ast.Lambda):
                body = node.body
                line = body.lineno + first
                col = body.col_offset + (indent if body.lineno == 1 else 0)
                if (line, col) in starts and _same_names(node, code):
                    return node
    return None


def _same_names(node: ast.Lambda, code: types.CodeType) -> bool:
    compiled = compile(ast.Expression(node), "<lambda>", "eval")
    inner = next((c for c in compiled.co_consts if isinstance(c, types.CodeType)), None)
    return (
        inner is not None
        and inner.co_names == code.co_names
        and inner.co_varnames == code.co_varnames
    )


class Inliner:
    """Writes calls of Python functions as lines of straight code, given the values the call
    received when traced (for the tests on shapes and dtypes)."""

    def __init__(self, const: Callable[[Any], str]) -> None:
        self.const = const  # the tracer's: a name for any object in the program's namespace
        self.count = 0
        self.decided = False  # a static test or a traced value was read (the result may vary)
        self.templates: dict[Any, str | None] = {}  # pure expressions, by function and names
        self.constants: set[str] = set()  # the marks that stand for constants of the program
        self.values: dict[str, Any] = {}  # iN -> the value it had in the trace

    def fresh(self) -> str:
        self.count += 1
        return f"i{self.count}"

    def call(
        self,
        fn: Any,
        args: list[str],
        values: Sequence[Any],
        kwargs: dict[str, tuple[str, Any]],
    ) -> tuple[list[str], str] | None:
        """(lines, expression of the result) for `fn(*args, **kwargs)`, or None to call it.

        A function whose inlining decides nothing (a lambda of arithmetic) is rewritten once;
        later calls fill its template with their own names."""
        key = (fn, len(args), tuple(kwargs))
        template = self.templates.get(key, "")
        if template is None:
            return None
        names = [*args, *(expr for expr, _ in kwargs.values())]
        if template:
            return [], _PLACEHOLDER.sub(lambda m: names[int(m.group(1))], template)
        marks = [f"_jit_arg{i}_" for i in range(len(names))]
        self.constants = {m for m, name in zip(marks, names, strict=True) if _constant(name)}
        marked = {
            k: (mark, value)
            for (k, (_, value)), mark in zip(kwargs.items(), marks[len(args) :], strict=True)
        }
        self.decided = False
        try:
            lines, expr = self._call(fn, marks[: len(args)], values, marked, 0)
        except _Bail:
            self.templates[key] = None
            return None
        if not lines and not self.decided:
            self.templates[key] = expr
        def fill(text: str) -> str:
            return _PLACEHOLDER.sub(lambda m: names[int(m.group(1))], text)

        return [fill(line) for line in lines], fill(expr)

    def _call(
        self,
        fn: Any,
        args: list[str],
        values: Sequence[Any],
        kwargs: dict[str, tuple[str, Any]],
        depth: int,
    ) -> tuple[list[str], str]:
        if isinstance(fn, Primitive):
            fn = fn.forward  # on arrays, a primitive is its forward
        template = OPERATORS.get(fn)
        if template is not None and not kwargs:
            return [], template.format(*args)
        if depth > _MAX_DEPTH or not isinstance(fn, types.FunctionType):
            raise _Bail
        code = fn.__code__
        if code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS | inspect.CO_GENERATOR):
            raise _Bail
        tree = _tree(code)
        if tree is None:
            raise _Bail
        env = self._bind(fn, tree.args, args, values, kwargs)
        scope = _Scope(self, fn, env)
        if isinstance(tree, ast.Lambda):
            return scope.lines, scope.expr(tree.body, depth)
        return scope.lines, scope.block(tree.body, depth)

    def _bind(
        self,
        fn: types.FunctionType,
        spec: ast.arguments,
        args: list[str],
        values: Sequence[Any],
        kwargs: dict[str, tuple[str, Any]],
    ) -> dict[str, tuple[str, Any]]:
        if spec.posonlyargs or spec.vararg or spec.kwarg:
            raise _Bail
        names = [a.arg for a in spec.args]
        kwonly = [a.arg for a in spec.kwonlyargs]
        if len(args) > len(names):
            raise _Bail
        env: dict[str, tuple[str, Any]] = {}
        for name, expr, value in zip(names, args, values, strict=False):
            env[name] = (expr, value)
        for name, (expr, value) in kwargs.items():
            if name in env or (name not in names and name not in kwonly):
                raise _Bail
            env[name] = (expr, value)
        defaults = fn.__defaults__ or ()
        for name, default in zip(names[len(names) - len(defaults) :], defaults, strict=True):
            env.setdefault(name, (self.const(default), default))
        for name, default in (fn.__kwdefaults__ or {}).items():
            env.setdefault(name, (self.const(default), default))
        if any(n not in env for n in names + kwonly):
            raise _Bail
        return env


class _Scope:
    """One inlined call: its names (each an expression and its traced value) and its lines."""

    def __init__(
        self, inliner: Inliner, fn: types.FunctionType, env: dict[str, tuple[str, Any]]
    ) -> None:
        self.inliner = inliner
        self.fn = fn
        self.env: dict[str, tuple[str, Any]] = env
        self.lines: list[str] = []
        self.hoist = True  # calls may become lines before the expression that uses them
        self.assigned: set[str] = set()  # names this function assigned (its own variables)

    # statements
    def block(self, body: list[ast.stmt], depth: int) -> str:
        for stmt in body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # a docstring
            if isinstance(stmt, ast.Return) and stmt.value is not None:
                return self.expr(stmt.value, depth)
            if isinstance(stmt, ast.If):
                branch = stmt.body if self.static(stmt.test) else stmt.orelse
                result = self.block_or_none(branch, depth)
                if result is not None:
                    return result
                continue
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
            ):
                name = self.inliner.fresh()
                self.lines.append(f"{name} = {self.expr(stmt.value, depth)}")
                value = self.inliner.values[name] = self.value(stmt.value)
                self.env[stmt.targets[0].id] = (name, value)
                self.assigned.add(stmt.targets[0].id)
                continue
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Subscript)
                and isinstance(stmt.targets[0].value, ast.Name)
            ):  # `out[...] = x`: a write into an array this inlining made
                sub = stmt.targets[0]
                assert isinstance(sub, ast.Subscript) and isinstance(sub.value, ast.Name)
                name, value = self.env.get(sub.value.id, ("", None))
                if sub.value.id not in self.assigned or not isinstance(value, np.ndarray):
                    raise _Bail  # (a parameter's name may stand for the caller's expression)
                index = self.static_value(sub.slice)
                self.lines.append(
                    f"{name}[{self.expr(sub.slice, depth)}] = {self.expr(stmt.value, depth)}"
                )
                mine = np.array(value, copy=True)
                mine[index] = self.value(stmt.value)
                self.env[sub.value.id] = (name, mine)
                self.inliner.values[name] = mine
                continue
            if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
                target = stmt.target.id
                if target not in self.env:
                    raise _Bail
                op = _AUG.get(type(stmt.op))
                if op is None:
                    raise _Bail
                name, value = self.env[target]
                if target not in self.assigned:  # only a name this function assigned may
                    raise _Bail  # change: a parameter's stands for the caller's expression
                self.lines.append(f"{name} {op}= {self.expr(stmt.value, depth)}")
                mine = np.array(value, copy=True) if isinstance(value, np.ndarray) else value
                mine = _AUG_FN[type(stmt.op)](mine, self.value(stmt.value))
                self.env[target] = (name, mine)
                self.inliner.values[name] = mine
                continue
            raise _Bail
        raise _Bail  # fell off the end: returns None, or a raise was on the path

    def block_or_none(self, body: list[ast.stmt], depth: int) -> str | None:
        """A branch: its result if it returns, None if it falls through."""
        if body and isinstance(body[-1], ast.Return):
            return self.block(body, depth)
        for stmt in body:
            if not isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Expr)):
                raise _Bail
        if body:
            try:
                self.block([*body, ast.Return(value=ast.Constant(value=None))], depth)
            except _Bail:
                raise
        return None

    # expressions
    def expr(self, node: ast.expr, depth: int) -> str:
        """Python source for `node` with every name replaced by its expression."""
        return ast.unparse(self.rewrite(node, depth))

    def rewrite(self, node: ast.expr, depth: int) -> ast.expr:
        scope = self

        class Rewriter(ast.NodeTransformer):
            def visit_Name(self, n: ast.Name) -> ast.expr:
                return ast.Name(id=scope.name(n.id), ctx=ast.Load())

            def visit_Attribute(self, n: ast.Attribute) -> ast.expr:
                module = scope.module_attr(n)
                if module is not None:
                    return ast.Name(id=module, ctx=ast.Load())
                self.generic_visit(n)
                return n

            def visit_IfExp(self, n: ast.IfExp) -> ast.expr:
                try:
                    taken = scope.static(n.test)
                except _Bail:  # decided at run time: nothing of either branch runs before
                    return self.lazily(n)
                return self.visit(n.body if taken else n.orelse)

            def visit_BoolOp(self, n: ast.BoolOp) -> ast.expr:
                return self.lazily(n)

            def lazily(self, n: ast.expr) -> ast.expr:
                """Rewrite names, but inline no call: it might not run at all."""
                scope.hoist, before = False, scope.hoist
                try:
                    self.generic_visit(n)
                finally:
                    scope.hoist = before
                return n

            def visit_Call(self, n: ast.Call) -> ast.expr:
                callee = scope.callee(n.func) if scope.hoist else None
                if callee is not None and depth < _MAX_DEPTH:
                    inlined = scope.inline_call(callee, n, depth)
                    if inlined is not None:
                        return ast.Name(id=inlined, ctx=ast.Load())
                self.generic_visit(n)
                return n

            def visit_Lambda(self, n: ast.Lambda) -> ast.expr:
                raise _Bail

            def visit_NamedExpr(self, n: ast.NamedExpr) -> ast.expr:
                raise _Bail

            def visit_ListComp(self, n: ast.ListComp) -> ast.expr:
                raise _Bail  # a scope of its own

            def visit_SetComp(self, n: ast.SetComp) -> ast.expr:
                raise _Bail

            def visit_DictComp(self, n: ast.DictComp) -> ast.expr:
                raise _Bail

            def visit_GeneratorExp(self, n: ast.GeneratorExp) -> ast.expr:
                raise _Bail

        copy = ast.parse(ast.unparse(node), mode="eval").body  # a private copy to rewrite
        return Rewriter().visit(copy)

    def name(self, name: str) -> str:
        if name in self.env:
            return _atom(self.env[name][0])
        return self.inliner.const(self.global_value(name))

    def global_value(self, name: str) -> Any:
        fn = self.fn
        if name in fn.__code__.co_freevars:
            cell = fn.__closure__[fn.__code__.co_freevars.index(name)]  # type: ignore[index]
            return cell.cell_contents
        if name in fn.__globals__:
            return fn.__globals__[name]
        if hasattr(builtins, name):
            return getattr(builtins, name)
        raise _Bail

    def module_attr(self, node: ast.Attribute) -> str | None:
        """`np.maximum` written as one name for the function itself (no lookup at run time)."""
        chain = []
        cur: ast.expr = node
        while isinstance(cur, ast.Attribute):
            chain.append(cur.attr)
            cur = cur.value
        if not isinstance(cur, ast.Name) or cur.id in self.env:
            return None
        try:
            obj = self.global_value(cur.id)
        except _Bail:
            return None
        if not isinstance(obj, types.ModuleType):
            return None
        for attr in reversed(chain):
            obj = getattr(obj, attr, None)
            if obj is None:
                return None
        return self.inliner.const(obj)

    def callee(self, func: ast.expr) -> Any:
        """The function a call in the body calls, if it can be known now."""
        try:
            value = self.static_value(func)
        except _Bail:
            return None
        if isinstance(value, (Primitive, types.FunctionType)):
            return value
        return None

    def inline_call(self, fn: Any, call: ast.Call, depth: int) -> str | None:
        if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords
        ):
            return None
        args = [self.expr(a, depth) for a in call.args]
        try:
            values = [self.value(a) for a in call.args]
            kwargs = {
                str(k.arg): (self.expr(k.value, depth), self.value(k.value)) for k in call.keywords
            }
            lines, result = self.inliner._call(fn, args, values, kwargs, depth + 1)
        except _Bail:
            return None
        self.lines.extend(lines)
        name = self.inliner.fresh()
        self.lines.append(f"{name} = {result}")
        return name

    # values at trace time, for the static decisions
    def value(self, node: ast.expr) -> Any:
        self.inliner.decided = True
        names = {n: v for n, (_, v) in self.env.items()}
        code = compile(ast.Expression(node), "<inline>", "eval")
        scope = dict(self.fn.__globals__)
        if self.fn.__closure__:
            for n, cell in zip(self.fn.__code__.co_freevars, self.fn.__closure__, strict=True):
                scope[n] = cell.cell_contents
        try:
            with np.errstate(all="ignore"):
                return eval(code, scope, names)
        except Exception as e:
            raise _Bail from e

    def static_value(self, node: ast.expr) -> Any:
        """The value of an expression that may read only types, shapes and dtypes."""
        for n in ast.walk(node):
            if isinstance(n, ast.Attribute) and n.attr not in STATIC_ATTRS:
                value = n.value
                if not (isinstance(value, (ast.Name, ast.Attribute)) and self._is_module(value)):
                    raise _Bail
            if isinstance(n, ast.Name) and n.id in self.env:
                # a setting fixed in the program, or a name under a static attribute, or one
                # tested for None
                expr = self.env[n.id][0]
                parent_ok = expr in self.inliner.constants or _constant(expr)
                for p in ast.walk(node):
                    if isinstance(p, ast.Attribute) and p.value is n and p.attr in STATIC_ATTRS:
                        parent_ok = True
                    if (
                        isinstance(p, ast.Compare)
                        and (p.left is n or n in p.comparators)
                        and all(isinstance(o, (ast.Is, ast.IsNot)) for o in p.ops)
                    ):
                        parent_ok = True
                    if isinstance(p, ast.Call) and n in p.args and p.args.index(n) == 0:
                        try:
                            fn = self.static_value(p.func)
                        except _Bail:
                            fn = None
                        if fn in STATIC_CALLS:
                            parent_ok = True
                if not parent_ok:
                    raise _Bail
            if isinstance(n, ast.Call):
                fn = self.value(n.func)
                if fn not in STATIC_CALLS:
                    raise _Bail
                named = len(n.args) >= 2 and isinstance(n.args[1], ast.Constant)
                if (fn is getattr or fn is hasattr) and not (
                    named and n.args[1].value in STATIC_ATTRS  # type: ignore[attr-defined]
                ):
                    raise _Bail
        return self.value(node)

    def _is_module(self, node: ast.expr) -> bool:
        try:
            return isinstance(self.value(node), (types.ModuleType, type))
        except _Bail:
            return False

    def static(self, test: ast.expr) -> bool:
        return bool(self.static_value(test))


def _constant(expr: str) -> bool:
    """True for an expression of the program that is a constant (cN, or a literal)."""
    if expr[:1] == "c" and expr[1:].isdigit():
        return True
    try:
        ast.literal_eval(expr)
    except (ValueError, SyntaxError):
        return False
    return True


def _atom(expr: str) -> str:
    """An expression safe to put where a name was."""
    return expr if expr.isidentifier() else f"({expr})"


_AUG = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_AUG_FN: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.iadd,
    ast.Sub: operator.isub,
    ast.Mult: operator.imul,
    ast.Div: operator.itruediv,
}
