"""autograd: a small reverse-mode automatic differentiation engine on scalars and numpy arrays.

`Value` (a float) and `Tensor` (a numpy array) record the operations applied to them in one
graph; `backward()` runs each operation's vector-Jacobian product once, in reverse topological
order. New operations are added with `primitive` exactly as the built-in ones are.
"""

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
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from autograd.numpy_functions import dot, outer, take_along_axis
from autograd.primitive import Primitive, primitive
from autograd.tensor import Tensor, concatenate, linear, maximum, minimum, stack, where
from autograd.value import Value

__version__ = "0.1.0"

__all__ = [
    "AnomalyError",
    "GradcheckError",
    "Primitive",
    "Tensor",
    "Value",
    "arange",
    "concatenate",
    "detect_anomaly",
    "dot",
    "enable_grad",
    "eye",
    "full",
    "grad",
    "gradcheck",
    "gradients",
    "hessian",
    "is_grad_enabled",
    "jacobian",
    "linear",
    "mark_dirty",
    "maximum",
    "minimum",
    "no_grad",
    "ones",
    "ones_like",
    "ops",
    "outer",
    "primitive",
    "rand",
    "randn",
    "set_grad_enabled",
    "stack",
    "take_along_axis",
    "tensor",
    "value_and_grad",
    "where",
    "zeros",
    "zeros_like",
]


def __getattr__(name: str) -> object:
    """Load the drawing functions (and the graphviz package) only when they are first used."""
    if name in ("draw_graph", "save_graph", "GraphvizNotFoundError"):
        from autograd import viz

        return getattr(viz, name)
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")
