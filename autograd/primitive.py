"""The one mechanism that defines a differentiable operation, for built-in ops and users alike.

A primitive is a forward function on raw data (floats for `Value`, numpy arrays for `Tensor`)
and, beside it, one vector-Jacobian product (VJP) rule per input::

    from autograd import primitive

    @primitive
    def cube(x):
        return x ** 3

    cube.defvjp(lambda g, out, x: 3 * x ** 2 * g)

A rule takes the output gradient `g`, the output `out`, then the forward's positional inputs and
keyword arguments, and returns the gradient for its input. It is called only for inputs that
require a gradient. Under `backward(create_graph=True)` the rule receives Tensors instead of
arrays (Values instead of floats) and is itself recorded, so rules are written with operators,
ndarray methods that Tensor shares (`sum`, `reshape`, `transpose`, `swapaxes`, indexing), numpy
ufuncs (`np.exp`) and other primitives, never `math.*` on an argument (it would take the number
and drop the graph); then gradients of gradients come for free. A rule may return a gradient of the
broadcast shape: the backward driver sums it back to the input's shape.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, overload

import numpy as np

from autograd.graph import Node, check_finite
from autograd.mode import ANOMALY, GRAD, MODE, TRACE, TRACER

Rule = Callable[..., Any]
"""A VJP rule `rule(g, out, *args, **kwargs) -> gradient`. Its arguments and result are floats,
arrays or nodes, as the forward's are, and its arity is the forward's: no narrower type holds."""
_mode = MODE.get


class RuleTable(dict[int, Rule]):
    """Input position -> the function that gives that input's gradient, `f(g, out, *args,
    **kwargs)`: the one place where a primitive's rules are looked up, for the backward driver
    and for `Primitive.vjp` alike.

    Filled from `defvjp`; the entries of a variadic primitive (`defvjp_argnum`) are made on
    first use; a position without a rule gets a function that raises an error naming the
    primitive and the input.
    """

    def __init__(
        self, name: str, rules: tuple[Rule | None, ...] | None, rule_argnum: Rule | None
    ) -> None:
        super().__init__((i, r) for i, r in enumerate(rules or ()) if r is not None)
        self.name = name
        self.count = None if rules is None else len(rules)
        self.rule_argnum = rule_argnum

    def __missing__(self, argnum: int) -> Rule:
        if self.rule_argnum is not None:
            rule: Rule = functools.partial(self.rule_argnum, argnum)
        else:
            rule = functools.partial(_no_rule, self.name, argnum, self.count)
        self[argnum] = rule
        return rule


def _no_rule(name: str, argnum: int, count: int | None, *args: Any, **kwargs: Any) -> Any:
    if count is None:
        raise NotImplementedError(f"{name}: no VJP rule defined; add one with {name}.defvjp(...)")
    raise TypeError(
        f"{name}: not differentiable with respect to input {argnum} ({count} VJP rule(s) defined)"
    )


class Primitive:
    """A differentiable function: its forward on raw data and a VJP rule per input."""

    aliases = True
    """The result may be (a view of) an input's memory, as `reshape` and indexing give: then it
    shares that input's version record. Built-in ops that always make new arrays say False."""

    def __init__(
        self, forward: Callable[..., Any], name: str | None = None, aliases: bool = True
    ) -> None:
        self.forward = forward
        self.name = name or forward.__name__.strip("_")
        self.aliases = aliases
        self.rules: tuple[Rule | None, ...] | None = None
        self.rule_argnum: Rule | None = None
        self.vjps = RuleTable(self.name, None, None)
        self.__doc__ = forward.__doc__
        self.__wrapped__ = forward

    def defvjp(self, *rules: Rule | None) -> Primitive:
        """Set the VJP rule of each positional input, in order (None: not differentiable)."""
        self.rules = rules
        self.vjps = RuleTable(self.name, rules, None)
        return self

    def defvjp_argnum(self, rule: Rule) -> Primitive:
        """Set one rule `rule(argnum, g, out, *args, **kwargs)` for a variadic primitive."""
        self.rule_argnum = rule
        self.vjps = RuleTable(self.name, None, rule)
        return self

    def vjp(
        self, argnum: int, g: Any, out: Any, args: tuple[Any, ...], kwargs: dict[str, Any] | None
    ) -> Any:
        """The gradient for input `argnum`, given the output gradient `g` (see `RuleTable`)."""
        rule = self.vjps[argnum]
        return rule(g, out, *args, **kwargs) if kwargs else rule(g, out, *args)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the forward and, if any input requires grad, record the result in the graph.

        With no Value or Tensor among the inputs, the raw forward result is returned as is, so
        rules can call primitives on plain arrays.
        """
        if len(args) == 2 and not kwargs:
            return self.call2(args[0], args[1])
        if len(args) == 1:  # unary ops: no loop
            x = args[0]
            if not isinstance(x, Node):
                return self.forward(x, **kwargs)  # rules call primitives on plain arrays
            if x.requires_grad:
                return self._record(x.__class__, (x._data,), (x,), True, kwargs or None, ())
            return self._record(x.__class__, (x._data,), (None,), False, kwargs or None, (x,))
        cls: type[Node] | None = None
        raw_list: list[Any] = []
        input_list: list[Node | None] = []
        others: tuple[Node, ...] = ()
        record = False
        for a in args:
            if isinstance(a, Node):
                if cls is None:
                    cls = a.__class__
                elif a.__class__ is not cls:
                    self._mixed(cls, a)
                raw_list.append(a._data)
                if a.requires_grad:
                    input_list.append(a)
                    record = True
                else:
                    input_list.append(None)
                    others += (a,)
            else:
                raw_list.append(a)
                input_list.append(None)
        if cls is None:
            return self.forward(*args, **kwargs)
        return self._record(cls, tuple(raw_list), tuple(input_list), record, kwargs or None, others)

    def call2(self, x: Any, y: Any) -> Any:
        """`self(x, y)` without argument packing: the operators' path, the hottest there is."""
        if isinstance(x, Node):
            cls = x.__class__
            xg = x.requires_grad
            if isinstance(y, Node):
                if y.__class__ is not cls:
                    self._mixed(cls, y)
                yg = y.requires_grad
                if xg and yg:
                    return self._record(cls, (x._data, y._data), (x, y), True, None, ())
                return self._record(
                    cls,
                    (x._data, y._data),
                    (x if xg else None, y if yg else None),
                    xg or yg,
                    None,
                    (y,) if xg else ((x,) if yg else (x, y)),
                )
            return self._record(
                cls, (x._data, y), (x if xg else None, None), xg, None, () if xg else (x,)
            )
        if isinstance(y, Node):
            yg = y.requires_grad
            return self._record(
                y.__class__, (x, y._data), (None, y if yg else None), yg, None, () if yg else (y,)
            )
        return self.forward(x, y)

    def _record(
        self,
        cls: type[Node],
        raw: tuple[Any, ...],
        inputs: tuple[Node | None, ...],
        record: bool,
        kwargs: dict[str, Any] | None,
        others: tuple[Node, ...],
    ) -> Node:
        """Run the forward on raw data and wrap the result in a node of `cls` (recorded if an
        input requires grad and recording is on). `others`: the node inputs that do not."""
        try:
            out = self.forward(*raw, **kwargs) if kwargs else self.forward(*raw)
        except ValueError as e:
            shapes = ", ".join(str(np.shape(r)) for r in raw)
            raise ValueError(f"{self.name}: {e} (input shapes {shapes})") from None
        mode = _mode()
        if mode != GRAD:  # the usual mode, recording without anomaly checks, costs one test
            if mode & ANOMALY:
                check_finite(out, f"{self.name} forward")
            if not mode & GRAD:
                record = False
        if record:
            node = cls._make(cls, out, self, inputs, raw, kwargs, others)
        else:
            node = cls._make(cls, out, None, (), (), None, ())
        if self.aliases:
            node._share_version(raw, inputs + others)
        if mode != GRAD and mode & TRACE:  # autograd.jit is recording this call for replay
            TRACER.get().forward(self, node, raw, inputs, others, kwargs)
        return node

    def _mixed(self, cls: type[Node], other: Any) -> None:
        raise TypeError(f"{self.name}: cannot mix {cls.__name__} and {type(other).__name__} inputs")

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


@overload
def primitive(
    forward: Callable[..., Any], *, name: str | None = None, aliases: bool = True
) -> Primitive: ...


@overload
def primitive(
    forward: None = None, *, name: str | None = None, aliases: bool = True
) -> Callable[[Callable[..., Any]], Primitive]: ...


def primitive(
    forward: Callable[..., Any] | None = None, *, name: str | None = None, aliases: bool = True
) -> Primitive | Callable[[Callable[..., Any]], Primitive]:
    """Turn a forward function into a `Primitive`; add its rules with `.defvjp(...)`.

    Use as `@primitive` or `@primitive(name="+")` (the name shows in errors and drawings).
    `aliases=False` promises that the forward always returns a new array, never an input or a
    view of one (it saves a check per call).
    """
    if forward is None:
        return lambda f: Primitive(f, name, aliases)
    return Primitive(forward, name, aliases)
