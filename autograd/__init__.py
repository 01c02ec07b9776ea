"""autograd: a small reverse-mode automatic differentiation engine on scalars and numpy arrays.

`Value` (a float) and `Tensor` (a numpy array) record the operations applied to them in one
graph; `backward()` runs each operation's vector-Jacobian product once, in reverse topological
order. New operations are added with `primitive` exactly as the built-in ones are.
"""

from typing import TYPE_CHECKING

from autograd import ops
from autograd.creation import (
    arange,
    eye,
    full,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from autograd.functional import grad, gradients, hessian, jacobian, value_and_grad
from autograd.gradcheck import GradcheckError, gradcheck
from autograd.graph import mark_dirty
from autograd.mode import (
    AnomalyError,
    TracingError,
    detect_anomaly,
    effect,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from autograd.numpy_functions import dot, outer, take_along_axis
from autograd.primitive import Primitive, primitive
from autograd.tensors import Tensor, concatenate, linear, maximum, minimum, stack, where
from autograd.tracing import guard, guard_write, jit, on_data, structure_changed
from autograd.value import Value

if TYPE_CHECKING:  # loaded lazily at run time (see __getattr__); typed for mypy here
    from autograd.viz import GraphvizNotFoundError, draw_graph, draw_html, save_graph, save_html

__version__ = "0.1.0"
ENGINE = "autograd-nn"
"""Which project this `autograd` is: HIPS autograd uses the same import name (see README)."""

_CLASH = (
    "HIPS autograd, another project, uses the same import name `autograd`; in one environment "
    "the two overwrite each other's files. Install autograd-nn in its own virtual environment "
    "(`make test` makes .venv), or uninstall the other (`pip uninstall autograd`)"
)
# names of HIPS autograd's API that this package does not have
_HIPS_NAMES = {"elementwise_grad", "make_vjp", "make_jvp", "make_hvp", "holomorphic_grad",
               "grad_named", "tensor_jacobian_product", "checkpoint", "multigrad_dict"}

__all__ = [
    "AnomalyError",
    "GradcheckError",
    "GraphvizNotFoundError",
    "Primitive",
    "Tensor",
    "TracingError",
    "Value",
    "arange",
    "concatenate",
    "detect_anomaly",
    "dot",
    "effect",
    "draw_graph",
    "draw_html",
    "enable_grad",
    "eye",
    "full",
    "grad",
    "gradcheck",
    "gradients",
    "guard",
    "guard_write",
    "hessian",
    "is_grad_enabled",
    "jit",
    "jacobian",
    "linear",
    "mark_dirty",
    "maximum",
    "minimum",
    "no_grad",
    "on_data",
    "ones",
    "ones_like",
    "ops",
    "outer",
    "primitive",
    "rand",
    "randn",
    "save_graph",
    "save_html",
    "set_grad_enabled",
    "stack",
    "structure_changed",
    "take_along_axis",
    "tensor",
    "value_and_grad",
    "where",
    "zeros",
    "zeros_like",
]


# the drawing names, loaded from autograd.viz (and the graphviz package) when first used
_DRAWING = ("GraphvizNotFoundError", "draw_graph", "draw_html", "save_graph", "save_html")


def __getattr__(name: str) -> object:
    """Load the drawing functions (and the graphviz package) only when they are first used."""
    if name in _DRAWING:
        from autograd import viz

        return getattr(viz, name)
    if name in _HIPS_NAMES:
        raise ImportError(
            f"autograd.{name} is HIPS autograd's, but this `autograd` is autograd-nn's engine "
            f"({__file__}). {_CLASH}"
        )
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names, the lazily loaded drawing ones included."""
    return sorted(set(globals()) | set(_DRAWING))


def _check_other_installation() -> None:
    """Warn if HIPS autograd's files lie in this package's directory: both install a directory
    `autograd/`, so whichever was installed last has overwritten part of the other."""
    import os
    import warnings

    here = os.path.dirname(__file__)
    theirs = ("tracer.py", "numpy")  # HIPS autograd's, never ours
    if any(os.path.exists(os.path.join(here, name)) for name in theirs):
        warnings.warn(
            f"HIPS autograd's files are mixed into autograd-nn's ({here}). {_CLASH}", stacklevel=3
        )


_check_other_installation()
