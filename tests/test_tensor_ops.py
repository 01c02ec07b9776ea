"""Every Tensor op: value and gradient against PyTorch (float64) and against finite differences."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import methodcaller

import numpy as np
import pytest
from conftest import assert_close

import autograd as ag
from autograd import Tensor, gradcheck

torch = pytest.importorskip("torch", reason="PyTorch, the oracle, is not installed")
pytestmark = pytest.mark.oracle


@dataclass
class Case:
    ours: Callable  # on Tensors
    theirs: Callable  # on torch tensors
    shapes: tuple  # one shape per input
    low: float = -2.0  # inputs are drawn from +-[low_abs, high]
    high: float = 2.0
    positive: bool = False  # inputs in [0.3, high] instead
    domain: tuple[float, float] | None = None  # inputs uniform in [lo, hi] instead
    fixed: tuple | None = None  # these inputs in every test (zeros, ties), instead of random ones


def tsum(dims):
    return lambda t: t.sum(dim=dims) if dims is not None else t.sum()


CASES = {
    # elementwise arithmetic, with broadcasting
    "add": Case(lambda a, b: a + b, lambda a, b: a + b, ((3, 1), (4,))),
    "sub": Case(lambda a, b: a - b, lambda a, b: a - b, ((2, 3, 4), (3, 1))),
    "mul": Case(lambda a, b: a * b, lambda a, b: a * b, ((1, 4), (3, 1))),
    "div": Case(lambda a, b: a / b, lambda a, b: a / b, ((3, 4), (4,)), positive=True),
    "pow": Case(lambda a, b: a**b, lambda a, b: a**b, ((3, 4), (3, 1)), positive=True),
    "pow_const": Case(lambda a: a**3, lambda a: a**3, ((2, 3),)),
    "pow_frac": Case(lambda a: a**0.5, lambda a: a**0.5, ((5,),), positive=True),
    "rpow": Case(lambda a: 2.5**a, lambda a: 2.5**a, ((5,),)),
    "neg": Case(lambda a: -a, lambda a: -a, ((2, 2),)),
    "scalar_left": Case(lambda a: 3 - 2 / a, lambda a: 3 - 2 / a, ((4,),), positive=True),
    "array_left": Case(
        lambda a: np.arange(1.0, 4.0) * a + np.ones(3),
        lambda a: torch.arange(1.0, 4.0, dtype=torch.float64) * a + 1,
        ((2, 3),),
    ),
    "scalar_tensor": Case(lambda a, b: a * b, lambda a, b: a * b, ((), (3, 2))),
    # elementwise functions
    "exp": Case(lambda a: a.exp(), torch.exp, ((3, 4),)),
    "log": Case(lambda a: a.log(), torch.log, ((3, 4),), positive=True),
    "sqrt": Case(lambda a: a.sqrt(), torch.sqrt, ((3, 4),), positive=True),
    "abs": Case(lambda a: a.abs(), torch.abs, ((3, 4),)),
    "tanh": Case(lambda a: a.tanh(), torch.tanh, ((3, 4),)),
    "sigmoid": Case(lambda a: a.sigmoid(), torch.sigmoid, ((3, 4),), low=-8, high=8),
    "relu": Case(lambda a: a.relu(), torch.relu, ((3, 4),)),
    "clip": Case(lambda a: a.clip(-1.0, 0.5), lambda a: a.clamp(-1.0, 0.5), ((4, 5),)),
    "clip_lo": Case(lambda a: a.clip(lo=0.2), lambda a: a.clamp(min=0.2), ((6,),)),
    "maximum": Case(ag.maximum, torch.maximum, ((3, 4), (4,))),
    "minimum": Case(ag.minimum, torch.minimum, ((3, 1), (1, 4))),
    "where": Case(
        lambda a, b: ag.where(a > 0, a, b),
        lambda a, b: torch.where(a > 0, a, b),
        ((3, 4), (4,)),
    ),
    # reductions
    "sum_all": Case(lambda a: a.sum(), torch.sum, ((3, 4),)),
    "sum_axis": Case(lambda a: a.sum(axis=1), lambda a: a.sum(dim=1), ((3, 4, 2),)),
    "sum_neg_axis": Case(lambda a: a.sum(axis=-1), lambda a: a.sum(dim=-1), ((3, 4),)),
    "sum_tuple_keep": Case(
        lambda a: a.sum(axis=(0, 2), keepdims=True),
        lambda a: a.sum(dim=(0, 2), keepdim=True),
        ((3, 4, 2),),
    ),
    "mean_all": Case(lambda a: a.mean(), torch.mean, ((3, 4),)),
    "mean_axis": Case(lambda a: a.mean(axis=0), lambda a: a.mean(dim=0), ((3, 4),)),
    "mean_keep": Case(
        lambda a: a.mean(axis=(-1, 0), keepdims=True),
        lambda a: a.mean(dim=(-1, 0), keepdim=True),
        ((2, 3, 4),),
    ),
    "max_all": Case(lambda a: a.max(), torch.amax, ((3, 4),)),
    "max_axis": Case(lambda a: a.max(axis=1), lambda a: a.amax(dim=1), ((3, 4),)),
    "max_keep": Case(
        lambda a: a.max(axis=(0, 1), keepdims=True),
        lambda a: a.amax(dim=(0, 1), keepdim=True),
        ((3, 4, 2),),
    ),
    "min_all": Case(lambda a: a.min(), torch.amin, ((3, 4),)),
    "min_axis": Case(lambda a: a.min(axis=-1), lambda a: a.amin(dim=-1), ((3, 4),)),
    "logsumexp_all": Case(lambda a: a.logsumexp(), lambda a: a.logsumexp(dim=(0, 1)), ((3, 4),)),
    "logsumexp_axis": Case(
        lambda a: a.logsumexp(axis=1), lambda a: a.logsumexp(dim=1), ((3, 4, 2),)
    ),
    "logsumexp_keep": Case(
        lambda a: a.logsumexp(axis=0, keepdims=True),
        lambda a: a.logsumexp(dim=0, keepdim=True),
        ((3, 4),),
    ),
    "softmax": Case(lambda a: a.softmax(), lambda a: a.softmax(dim=-1), ((3, 5),)),
    "softmax_axis0": Case(lambda a: a.softmax(axis=0), lambda a: a.softmax(dim=0), ((3, 5),)),
    "log_softmax": Case(lambda a: a.log_softmax(), lambda a: a.log_softmax(dim=-1), ((3, 5),)),
    "log_softmax_axis1": Case(
        lambda a: a.log_softmax(axis=1), lambda a: a.log_softmax(dim=1), ((2, 3, 4),)
    ),
    # many short rows: the reductions run over a transposed copy (ops._along)
    "softmax_short_rows": Case(lambda a: a.softmax(), lambda a: a.softmax(dim=-1), ((40, 5),)),
    "log_softmax_short_rows": Case(
        lambda a: a.log_softmax(axis=1), lambda a: a.log_softmax(dim=1), ((33, 10),)
    ),
    # matrix products, numpy's matmul rules
    "matmul_2d": Case(lambda a, b: a @ b, lambda a, b: a @ b, ((3, 4), (4, 2))),
    "matmul_1d_2d": Case(lambda a, b: a @ b, lambda a, b: a @ b, ((4,), (4, 2))),
    "matmul_2d_1d": Case(lambda a, b: a @ b, lambda a, b: a @ b, ((3, 4), (4,))),
    "matmul_1d_1d": Case(lambda a, b: a @ b, lambda a, b: a @ b, ((4,), (4,))),
    "matmul_batched": Case(lambda a, b: a @ b, lambda a, b: a @ b, ((2, 1, 3, 4), (5, 4, 2))),
    "matmul_batch_1d": Case(lambda a, b: a @ b, lambda a, b: a @ b, ((2, 3, 4), (4,))),
    "matmul_1d_batch": Case(lambda a, b: a @ b, lambda a, b: a @ b, ((3,), (2, 3, 4))),
    "linear": Case(
        ag.linear, lambda x, w, b: torch.nn.functional.linear(x, w, b), ((5, 3), (4, 3), (4,))
    ),
    "linear_1d": Case(
        ag.linear, lambda x, w, b: torch.nn.functional.linear(x, w, b), ((3,), (4, 3), (4,))
    ),
    "linear_batched": Case(
        ag.linear, lambda x, w, b: torch.nn.functional.linear(x, w, b), ((2, 5, 3), (4, 3), (4,))
    ),
    "linear_no_bias": Case(
        lambda x, w: ag.linear(x, w),
        lambda x, w: torch.nn.functional.linear(x, w),
        ((5, 3), (2, 3)),
    ),
    "rmatmul_array": Case(
        lambda a: np.ones((2, 3)) @ a,
        lambda a: torch.ones(2, 3, dtype=torch.float64) @ a,
        ((3, 4),),
    ),
    # shapes
    "reshape": Case(lambda a: a.reshape(4, 3), lambda a: a.reshape(4, 3), ((3, 4),)),
    "reshape_tuple": Case(lambda a: a.reshape((2, -1)), lambda a: a.reshape(2, -1), ((3, 4),)),
    "flatten": Case(lambda a: a.flatten(), lambda a: a.flatten(), ((2, 3, 2),)),
    "transpose": Case(lambda a: a.transpose(), lambda a: a.permute(2, 1, 0), ((2, 3, 4),)),
    "transpose_axes": Case(
        lambda a: a.transpose(1, 2, 0), lambda a: a.permute(1, 2, 0), ((2, 3, 4),)
    ),
    "T": Case(lambda a: a.T, lambda a: a.T, ((3, 4),)),
    "swapaxes": Case(lambda a: a.swapaxes(0, -1), lambda a: a.transpose(0, -1), ((2, 3, 4),)),
    "astype": Case(
        lambda a: a.astype(np.float32).astype(np.float64) * a,
        lambda a: a.float().double() * a,
        ((3,),),
    ),
    # the primitives that rules use: broadcasting and its reverse, scatter-add, casts
    "broadcast_to": Case(
        lambda a: ag.ops.broadcast_to(a, shape=(3, 4)), lambda a: a.broadcast_to(3, 4), ((1, 4),)
    ),
    "sum_to": Case(
        lambda a: ag.ops.sum_to(a, shape=(1, 4)), lambda a: a.sum_to_size(1, 4), ((2, 3, 4),)
    ),
    "index_add": Case(
        lambda g: ag.ops.index_add(g, shape=(3,), index=np.array([0, 2, 0])),
        lambda g: torch.zeros(3, dtype=torch.float64).index_put(
            (torch.tensor([0, 2, 0]),), g, accumulate=True
        ),
        ((3,),),
    ),
    # indexing
    "index_int": Case(lambda a: a[1], lambda a: a[1], ((3, 4),)),
    "index_slice": Case(lambda a: a[:, 1:3], lambda a: a[:, 1:3], ((3, 4),)),
    "index_step": Case(lambda a: a[::2, ::-1][0], lambda a: a[::2].flip(1)[0], ((3, 4),)),
    "index_none_ellipsis": Case(lambda a: a[None, ..., 0], lambda a: a[None, ..., 0], ((3, 4),)),
    "index_array_repeat": Case(
        lambda a: a[np.array([0, 2, 0, 0])],
        lambda a: a[torch.tensor([0, 2, 0, 0])],
        ((3, 4),),
    ),
    "index_list": Case(lambda a: a[[1, 1], [0, 3]], lambda a: a[[1, 1], [0, 3]], ((3, 4),)),
    "index_mask": Case(
        lambda a: a[np.array([True, False, True])],
        lambda a: a[torch.tensor([True, False, True])],
        ((3, 4),),
    ),
    "index_value_mask": Case(lambda a: a[a > 0], lambda a: a[a > 0], ((3, 4),)),
    # joining
    "concatenate": Case(
        lambda a, b: ag.concatenate([a, b], axis=1),
        lambda a, b: torch.cat([a, b], dim=1),
        ((3, 2), (3, 4)),
    ),
    "concatenate_neg": Case(
        lambda a, b, c: ag.concatenate([a, b, c], axis=-1),
        lambda a, b, c: torch.cat([a, b, c], dim=-1),
        ((2, 1), (2, 3), (2, 2)),
    ),
    "stack": Case(
        lambda a, b: ag.stack([a, b], axis=1),
        lambda a, b: torch.stack([a, b], dim=1),
        ((3, 4),) * 2,
    ),
    "stack_neg": Case(
        lambda a, b: ag.stack([a, b], axis=-1),
        lambda a, b: torch.stack([a, b], dim=-1),
        ((3, 4),) * 2,
    ),
}

# --- issue 12: what Tensor took from numpy -------------------------------------------------------

F = torch.nn.functional

# numpy's elementwise functions: numpy name -> (torch's function, how inputs are drawn). Each is
# a row as the ufunc, np.<name>(t), and one as the Tensor method unless listed in UFUNC_ONLY.
ELEMENTWISE = {
    "sin": (torch.sin, {}),
    "cos": (torch.cos, {}),
    "tan": (torch.tan, {"domain": (-1.4, 1.4)}),
    "arcsin": (torch.arcsin, {"domain": (-0.95, 0.95)}),
    "arccos": (torch.arccos, {"domain": (-0.95, 0.95)}),
    "arctan": (torch.arctan, {"high": 4.0}),
    "sinh": (torch.sinh, {}),
    "cosh": (torch.cosh, {}),
    "arcsinh": (torch.arcsinh, {"high": 4.0}),
    "arccosh": (torch.arccosh, {"domain": (1.05, 4.0)}),
    "arctanh": (torch.arctanh, {"domain": (-0.95, 0.95)}),
    "log1p": (torch.log1p, {"domain": (-0.9, 3.0)}),
    "expm1": (torch.expm1, {}),
    "log2": (torch.log2, {"positive": True}),
    "log10": (torch.log10, {"positive": True}),
    "exp2": (torch.exp2, {}),
    "square": (torch.square, {}),
    "reciprocal": (torch.reciprocal, {}),
    # piecewise constant: the gradient is zero everywhere, as PyTorch's
    "sign": (torch.sign, {}),
    "floor": (torch.floor, {}),
    "ceil": (torch.ceil, {}),
    "rint": (torch.round, {}),
    "trunc": (torch.trunc, {}),
}
UFUNC_ONLY = {"arcsin", "arccos", "arcsinh", "arccosh", "arctanh", "rint", "trunc"}
for _name, (_theirs, _draw) in ELEMENTWISE.items():
    CASES[f"np.{_name}"] = Case(getattr(np, _name), _theirs, ((3, 4),), **_draw)
    if _name not in UFUNC_ONLY:
        CASES[_name] = Case(methodcaller(_name), _theirs, ((2, 3, 2),), **_draw)

# fixed inputs for prod: a slice with no zero, one with one zero, one with two
PROD_ROWS = [[0.5, -1.5, 2.0, 1.2], [0.7, 0.0, -1.3, 1.1], [0.0, 1.4, 0.0, -0.8]]
PROD_ONE_ZERO = [[0.5, -1.5, 2.0], [0.7, 0.0, -1.3]]
PROD_TWO_ZEROS = [[0.5, 0.0, 2.0], [0.7, 0.0, -1.3]]

# indices for take_along_axis / gather, with repeats (their gradients add up)
TAKE_1 = np.array([[0, 0, 2, 3], [1, 1, 1, 0], [3, 2, 0, 0]])  # along axis 1 of (3, 4)
TAKE_0 = np.array([[0, 2, 2, 1], [0, 0, 1, 1], [2, 2, 2, 2], [1, 0, 0, 1], [0, 1, 2, 0]])


def vnorm(*args, **kwargs):
    return lambda a: torch.linalg.vector_norm(a, *args, **kwargs)


def mnorm(*args, **kwargs):
    return lambda a: torch.linalg.matrix_norm(a, *args, **kwargs)


def numpy_dot(a, b):
    """numpy's dot for N-D operands: the last axis of a against the second-to-last of b."""
    return torch.tensordot(a, b, dims=([-1], [-2]))


CASES |= {
    # binary elementwise functions and pow, with broadcasting
    "np.logaddexp": Case(np.logaddexp, torch.logaddexp, ((3, 1), (4,)), high=4.0),
    "np.arctan2": Case(np.arctan2, torch.atan2, ((2, 3, 4), (3, 1))),
    "np.hypot": Case(np.hypot, torch.hypot, ((1, 4), (3, 1))),
    "pow_method": Case(lambda a, b: a.pow(b), torch.pow, ((3, 4), (4,)), positive=True),
    "pow_method_const": Case(lambda a: a.pow(3), lambda a: a.pow(3), ((2, 3),)),
    # rounding to decimals (zero gradients)
    "round": Case(lambda a: a.round(), torch.round, ((3, 4),), high=4.0),
    "round_decimals": Case(lambda a: a.round(1), lambda a: torch.round(a, decimals=1), ((3, 4),)),
    "np.round_decimals": Case(
        lambda a: np.round(a, 2), lambda a: torch.round(a, decimals=2), ((3, 4),)
    ),
    # activations, PyTorch's definitions
    "softplus": Case(lambda a: a.softplus(), F.softplus, ((3, 4),), high=4.0),
    "softplus_beta_threshold": Case(  # beta x crosses the threshold at x = 2.5
        lambda a: a.softplus(beta=2, threshold=5),
        lambda a: F.softplus(a, beta=2, threshold=5),
        ((4, 5),),
        domain=(-4.0, 4.0),
    ),
    "gelu": Case(lambda a: a.gelu(), F.gelu, ((3, 4),), high=3.0),
    "gelu_tanh": Case(
        lambda a: a.gelu(approximate="tanh"),
        lambda a: F.gelu(a, approximate="tanh"),
        ((3, 4),),
        high=3.0,
    ),
    "leaky_relu": Case(lambda a: a.leaky_relu(), F.leaky_relu, ((3, 4),)),
    "leaky_relu_0.2": Case(lambda a: a.leaky_relu(0.2), lambda a: F.leaky_relu(a, 0.2), ((3, 4),)),
    "elu": Case(lambda a: a.elu(), F.elu, ((3, 4),)),
    "elu_1.5": Case(lambda a: a.elu(alpha=1.5), lambda a: F.elu(a, alpha=1.5), ((3, 4),)),
    # variance and standard deviation: numpy's ddof is PyTorch's correction
    "var_all": Case(lambda a: a.var(), lambda a: a.var(correction=0), ((3, 4),)),
    "var_all_ddof1": Case(lambda a: a.var(ddof=1), lambda a: a.var(correction=1), ((3, 4),)),
    "var_axis": Case(lambda a: a.var(axis=1), lambda a: a.var(dim=1, correction=0), ((3, 4, 2),)),
    "var_neg_axis_ddof1_keep": Case(
        lambda a: a.var(axis=-1, ddof=1, keepdims=True),
        lambda a: a.var(dim=-1, correction=1, keepdim=True),
        ((3, 4),),
    ),
    "var_tuple_keep": Case(
        lambda a: a.var(axis=(0, 2), keepdims=True),
        lambda a: a.var(dim=(0, 2), correction=0, keepdim=True),
        ((3, 4, 2),),
    ),
    "std_all": Case(lambda a: a.std(), lambda a: a.std(correction=0), ((3, 4),)),
    "std_all_ddof1_keep": Case(
        lambda a: a.std(ddof=1, keepdims=True),
        lambda a: a.std(dim=(0, 1), correction=1, keepdim=True),
        ((3, 4),),
    ),
    "std_axis_ddof1": Case(
        lambda a: a.std(axis=0, ddof=1), lambda a: a.std(dim=0, correction=1), ((3, 4),)
    ),
    "std_tuple": Case(
        lambda a: a.std(axis=(2, 0)), lambda a: a.std(dim=(2, 0), correction=0), ((3, 4, 2),)
    ),
    "np.var": Case(
        lambda a: np.var(a, axis=0, ddof=1), lambda a: a.var(dim=0, correction=1), ((3, 4),)
    ),
    "np.std": Case(
        lambda a: np.std(a, axis=(0, 1), keepdims=True),
        lambda a: a.std(dim=(0, 1), correction=0, keepdim=True),
        ((3, 4, 2),),
    ),
    # prod, zeros included (fixed inputs: random ones keep away from 0)
    "prod_all": Case(lambda a: a.prod(), torch.prod, ((3, 4),)),
    "prod_axis": Case(lambda a: a.prod(axis=1), lambda a: a.prod(dim=1), ((3, 4, 2),)),
    "prod_keep": Case(
        lambda a: a.prod(axis=0, keepdims=True), lambda a: a.prod(dim=0, keepdim=True), ((3, 4),)
    ),
    "prod_tuple": Case(
        lambda a: a.prod(axis=(0, 2)), lambda a: a.prod(dim=2).prod(dim=0), ((3, 4, 2),)
    ),
    "prod_rows_with_zeros": Case(
        lambda a: a.prod(axis=1), lambda a: a.prod(dim=1), ((3, 4),), fixed=(PROD_ROWS,)
    ),
    "prod_columns_with_zeros_keep": Case(
        lambda a: a.prod(axis=0, keepdims=True),
        lambda a: a.prod(dim=0, keepdim=True),
        ((4, 3),),
        fixed=(np.transpose(PROD_ROWS),),
    ),
    "prod_all_one_zero": Case(lambda a: a.prod(), torch.prod, ((2, 3),), fixed=(PROD_ONE_ZERO,)),
    "prod_all_two_zeros": Case(lambda a: a.prod(), torch.prod, ((2, 3),), fixed=(PROD_TWO_ZEROS,)),
    "np.prod": Case(lambda a: np.prod(a, axis=-1), lambda a: a.prod(dim=-1), ((3, 4),)),
    # cumsum: numpy's axis None is the flattened tensor
    "cumsum_axis": Case(lambda a: a.cumsum(axis=1), lambda a: a.cumsum(dim=1), ((3, 4, 2),)),
    "cumsum_neg_axis": Case(lambda a: a.cumsum(axis=-1), lambda a: a.cumsum(dim=-1), ((3, 4),)),
    "cumsum_flat": Case(lambda a: a.cumsum(), lambda a: a.flatten().cumsum(dim=0), ((3, 4),)),
    "np.cumsum": Case(lambda a: np.cumsum(a, axis=0), lambda a: a.cumsum(dim=0), ((3, 4),)),
    "np.cumsum_flat": Case(np.cumsum, lambda a: a.flatten().cumsum(dim=0), ((2, 3),)),
    # norms: vector norms over one axis, matrix norms over two
    "norm_all": Case(lambda a: a.norm(), vnorm(), ((2, 3, 4),)),
    "norm_all_keep": Case(lambda a: a.norm(keepdims=True), vnorm(keepdim=True), ((3, 4),)),
    "norm_2_axis": Case(lambda a: a.norm(2, axis=1), vnorm(2, dim=1), ((3, 4, 2),)),
    "norm_none_axis_keep": Case(
        lambda a: a.norm(axis=0, keepdims=True), vnorm(dim=0, keepdim=True), ((3, 4),)
    ),
    "norm_1_axis": Case(lambda a: a.norm(1, axis=-1), vnorm(1, dim=-1), ((3, 4),)),
    "norm_1_vector": Case(lambda a: a.norm(1), vnorm(1), ((5,),)),
    "norm_inf_axis": Case(lambda a: a.norm(np.inf, axis=1), vnorm(np.inf, dim=1), ((3, 4),)),
    "norm_neg_inf_axis_keep": Case(
        lambda a: a.norm(-np.inf, axis=0, keepdims=True),
        vnorm(-np.inf, dim=0, keepdim=True),
        ((3, 4),),
    ),
    "norm_fro": Case(lambda a: a.norm("fro", axis=(1, 2)), mnorm("fro", dim=(1, 2)), ((2, 3, 4),)),
    "norm_fro_matrix": Case(lambda a: a.norm("fro"), mnorm("fro"), ((3, 4),)),
    "norm_matrix_1": Case(lambda a: a.norm(1, axis=(0, 1)), mnorm(1, dim=(0, 1)), ((3, 4),)),
    "norm_matrix_neg1": Case(
        lambda a: a.norm(-1, axis=(1, 2)), mnorm(-1, dim=(1, 2)), ((2, 3, 4),)
    ),
    "norm_matrix_inf": Case(lambda a: a.norm(np.inf), mnorm(np.inf), ((3, 4),)),
    "norm_matrix_neg_inf_keep": Case(
        lambda a: a.norm(-np.inf, axis=(2, 0), keepdims=True),
        mnorm(-np.inf, dim=(2, 0), keepdim=True),
        ((3, 4, 2),),
    ),
    "np.linalg.norm": Case(np.linalg.norm, vnorm(), ((3, 4),)),
    "np.linalg.norm_axis": Case(lambda a: np.linalg.norm(a, axis=1), vnorm(dim=1), ((3, 4),)),
    "np.linalg.norm_fro": Case(lambda a: np.linalg.norm(a, "fro"), mnorm("fro"), ((3, 4),)),
    "np.linalg.norm_inf_keep": Case(
        lambda a: np.linalg.norm(a, np.inf, axis=(0, 1), keepdims=True),
        mnorm(np.inf, keepdim=True),
        ((3, 4),),
    ),
    # dot with numpy's semantics, and outer
    "dot_1d_1d": Case(lambda a, b: a.dot(b), torch.dot, ((4,), (4,))),
    "dot_2d_1d": Case(lambda a, b: a.dot(b), torch.mv, ((3, 4), (4,))),
    "dot_1d_2d": Case(lambda a, b: a.dot(b), lambda a, b: a @ b, ((4,), (4, 2))),
    "dot_2d_2d": Case(lambda a, b: a.dot(b), torch.mm, ((3, 4), (4, 2))),
    "dot_3d_1d": Case(lambda a, b: a.dot(b), lambda a, b: a @ b, ((2, 3, 4), (4,))),
    "dot_3d_2d": Case(lambda a, b: a.dot(b), numpy_dot, ((2, 3, 4), (4, 5))),
    "dot_3d_3d": Case(lambda a, b: a.dot(b), numpy_dot, ((2, 3, 4), (5, 4, 2))),
    "dot_scalar": Case(lambda a, b: a.dot(b), lambda a, b: a * b, ((3,), ())),
    "np.dot": Case(np.dot, torch.mm, ((3, 4), (4, 2))),
    "np.dot_1d_3d": Case(np.dot, numpy_dot, ((4,), (2, 4, 3))),
    "outer": Case(lambda a, b: a.outer(b), torch.outer, ((3,), (4,))),
    "np.outer_flattens": Case(
        np.outer, lambda a, b: torch.outer(a.flatten(), b.flatten()), ((2, 3), (2,))
    ),
    # shape
    "squeeze": Case(lambda a: a.squeeze(), torch.squeeze, ((3, 1, 4, 1),)),
    "squeeze_axis": Case(lambda a: a.squeeze(axis=1), lambda a: a.squeeze(1), ((3, 1, 4, 1),)),
    "squeeze_axes": Case(
        lambda a: a.squeeze(axis=(1, -1)), lambda a: a.squeeze((1, -1)), ((3, 1, 4, 1),)
    ),
    "np.squeeze": Case(np.squeeze, torch.squeeze, ((1, 3, 1),)),
    "np.squeeze_axis": Case(lambda a: np.squeeze(a, 0), lambda a: a.squeeze(0), ((1, 3, 1),)),
    "expand_dims": Case(lambda a: a.expand_dims(1), lambda a: a.unsqueeze(1), ((3, 4),)),
    "expand_dims_tuple": Case(
        lambda a: a.expand_dims((0, -1)), lambda a: a.unsqueeze(0).unsqueeze(-1), ((3, 4),)
    ),
    "unsqueeze": Case(lambda a: a.unsqueeze(-1), lambda a: a.unsqueeze(-1), ((3, 4),)),
    "np.expand_dims": Case(
        lambda a: np.expand_dims(a, (0, 2)), lambda a: a.unsqueeze(0).unsqueeze(2), ((3, 4),)
    ),
    "repeat_axis": Case(
        lambda a: a.repeat(2, axis=1), lambda a: a.repeat_interleave(2, dim=1), ((3, 4),)
    ),
    "repeat_each": Case(
        lambda a: a.repeat([1, 0, 2], axis=0),
        lambda a: a.repeat_interleave(torch.tensor([1, 0, 2]), dim=0),
        ((3, 4),),
    ),
    "repeat_flat": Case(lambda a: a.repeat(3), lambda a: a.repeat_interleave(3), ((2, 3),)),
    "np.repeat": Case(
        lambda a: np.repeat(a, 2, axis=-1), lambda a: a.repeat_interleave(2, dim=-1), ((3, 4),)
    ),
    "tile": Case(lambda a: a.tile((2, 1, 3)), lambda a: torch.tile(a, (2, 1, 3)), ((3, 4),)),
    "tile_int": Case(lambda a: a.tile(2), lambda a: torch.tile(a, (2,)), ((3, 4),)),
    "np.tile": Case(lambda a: np.tile(a, (2, 2)), lambda a: torch.tile(a, (2, 2)), ((3,),)),
    "take_along_axis": Case(
        lambda a: a.take_along_axis(TAKE_1, axis=1),
        lambda a: torch.take_along_dim(a, torch.tensor(TAKE_1), dim=1),
        ((3, 4),),
    ),
    "gather": Case(
        lambda a: a.gather(0, TAKE_0),
        lambda a: a.gather(0, torch.tensor(TAKE_0)),
        ((3, 4),),
    ),
    "np.take_along_axis": Case(
        lambda a: np.take_along_axis(a, TAKE_1, axis=-1),
        lambda a: torch.take_along_dim(a, torch.tensor(TAKE_1), dim=-1),
        ((3, 4),),
    ),
    "np.take_along_axis_flat": Case(
        lambda a: np.take_along_axis(a, np.array([0, 5, 5, 11]), axis=None),
        lambda a: torch.take_along_dim(a, torch.tensor([0, 5, 5, 11])),
        ((3, 4),),
    ),
    "np.sort": Case(np.sort, lambda a: torch.sort(a).values, ((3, 4),)),
    "np.sort_axis0": Case(
        lambda a: np.sort(a, axis=0), lambda a: torch.sort(a, dim=0).values, ((3, 4),)
    ),
    "np.sort_flat": Case(
        lambda a: np.sort(a, axis=None), lambda a: torch.sort(a.flatten()).values, ((3, 4),)
    ),
    "np.flip": Case(np.flip, lambda a: torch.flip(a, (0, 1, 2)), ((2, 3, 4),)),
    "np.flip_axis": Case(lambda a: np.flip(a, 1), lambda a: torch.flip(a, (1,)), ((2, 3, 4),)),
    "np.flip_axes": Case(
        lambda a: np.flip(a, (0, -1)), lambda a: torch.flip(a, (0, -1)), ((2, 3, 4),)
    ),
    "np.trace": Case(np.trace, torch.trace, ((3, 4),)),
    "np.trace_offset": Case(
        lambda a: np.trace(a, offset=1), lambda a: torch.diagonal(a, 1).sum(), ((3, 4),)
    ),
    "np.trace_axes": Case(
        lambda a: np.trace(a, -1, 1, 2), lambda a: torch.diagonal(a, -1, 1, 2).sum(-1), ((2, 3, 4),)
    ),
    "np.diagonal": Case(np.diagonal, torch.diagonal, ((3, 4),)),
    "np.diagonal_offset": Case(
        lambda a: np.diagonal(a, 2), lambda a: torch.diagonal(a, 2), ((3, 4),)
    ),
    "np.diagonal_axes": Case(
        lambda a: np.diagonal(a, -1, 0, 2), lambda a: torch.diagonal(a, -1, 0, 2), ((3, 2, 4),)
    ),
    "np.moveaxis": Case(
        lambda a: np.moveaxis(a, 0, -1), lambda a: torch.movedim(a, 0, -1), ((2, 3, 4),)
    ),
    "np.moveaxis_many": Case(
        lambda a: np.moveaxis(a, (0, 1), (2, 0)),
        lambda a: torch.movedim(a, (0, 1), (2, 0)),
        ((2, 3, 4),),
    ),
    "np.broadcast_to": Case(
        lambda a: np.broadcast_to(a, (2, 3, 4)), lambda a: a.broadcast_to(2, 3, 4), ((3, 1),)
    ),
    "np.hstack": Case(
        lambda a, b: np.hstack([a, b]), lambda a, b: torch.hstack([a, b]), ((3, 2), (3, 4))
    ),
    "np.hstack_1d": Case(
        lambda a, b: np.hstack((a, b)), lambda a, b: torch.hstack((a, b)), ((3,), (2,))
    ),
    "np.vstack": Case(
        lambda a, b: np.vstack([a, b]), lambda a, b: torch.vstack([a, b]), ((2, 4), (4,))
    ),
    "copy": Case(lambda a: a.copy(), torch.clone, ((3, 4),)),
    "np.copy": Case(np.copy, torch.clone, ((3, 4),)),
    # numpy's reductions and shape functions on Tensors
    "np.sum": Case(np.sum, torch.sum, ((3, 4),)),
    "np.sum_axis_keep": Case(
        lambda a: np.sum(a, axis=1, keepdims=True), lambda a: a.sum(1, keepdim=True), ((3, 4),)
    ),
    "np.sum_positional": Case(lambda a: np.sum(a, 0), lambda a: a.sum(0), ((3, 4),)),
    "np.mean": Case(lambda a: np.mean(a, axis=0), lambda a: a.mean(0), ((3, 4),)),
    "np.max": Case(lambda a: np.max(a, axis=1), lambda a: a.amax(1), ((3, 4),)),
    "np.amax": Case(np.amax, torch.amax, ((3, 4),)),
    "np.min": Case(lambda a: np.min(a, axis=-1), lambda a: a.amin(-1), ((3, 4),)),
    "np.amin": Case(lambda a: np.amin(a, axis=(0, 1)), lambda a: a.amin((0, 1)), ((3, 4, 2),)),
    "np.clip": Case(lambda a: np.clip(a, -1.0, 0.5), lambda a: a.clamp(-1.0, 0.5), ((3, 4),)),
    "np.where": Case(
        lambda a, b: np.where(a > 0, a, b), lambda a, b: torch.where(a > 0, a, b), ((3, 4), (4,))
    ),
    "np.concatenate": Case(
        lambda a, b: np.concatenate([a, b], axis=1),
        lambda a, b: torch.cat([a, b], dim=1),
        ((3, 2), (3, 4)),
    ),
    "np.concatenate_flat": Case(
        lambda a, b: np.concatenate((a, b), axis=None),
        lambda a, b: torch.cat([a.flatten(), b.flatten()]),
        ((3, 2), (4,)),
    ),
    "np.stack": Case(
        lambda a, b: np.stack([a, b], axis=-1),
        lambda a, b: torch.stack([a, b], dim=-1),
        ((3, 4),) * 2,
    ),
    "np.transpose": Case(np.transpose, lambda a: a.permute(2, 1, 0), ((2, 3, 4),)),
    "np.transpose_axes": Case(
        lambda a: np.transpose(a, (1, 2, 0)), lambda a: a.permute(1, 2, 0), ((2, 3, 4),)
    ),
    "np.reshape": Case(lambda a: np.reshape(a, (4, -1)), lambda a: a.reshape(4, -1), ((3, 4),)),
    "np.ravel": Case(np.ravel, torch.ravel, ((3, 4),)),
    "ravel": Case(lambda a: a.ravel(), torch.ravel, ((2, 3, 2),)),
    "np.swapaxes": Case(lambda a: np.swapaxes(a, 0, 2), lambda a: a.transpose(0, 2), ((2, 3, 4),)),
    "np.atleast_2d": Case(np.atleast_2d, torch.atleast_2d, ((3,),)),
    "np.atleast_3d": Case(np.atleast_3d, torch.atleast_3d, ((3, 4),)),
}


def make_inputs(case: Case, seed: int) -> list[np.ndarray]:
    """Random float64 inputs kept away from kinks (0 for relu and abs, ties for max)."""
    if case.fixed is not None:
        arrays = [np.array(a, dtype=np.float64) for a in case.fixed]
        assert [a.shape for a in arrays] == list(case.shapes)
        return arrays
    rng = np.random.default_rng(seed)
    out = []
    for shape in case.shapes:
        if case.domain is not None:
            out.append(rng.uniform(*case.domain, size=shape))
        elif case.positive:
            out.append(rng.uniform(0.3, case.high, size=shape))
        else:
            mag = rng.uniform(0.1, case.high if case.low < 0 else case.high, size=shape)
            sign = rng.choice([-1.0, 1.0], size=shape)
            out.append(np.asarray(mag * sign))
    return out


def run_ours(case: Case, arrays: list[np.ndarray], seed_grad: np.ndarray | None = None):
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    out = case.ours(*xs)
    if seed_grad is None:
        seed_grad = np.random.default_rng(99).normal(size=out.shape)
    out.backward(seed_grad)
    return out, xs, seed_grad


@pytest.mark.parametrize("name", list(CASES))
def test_op_matches_torch(name):
    case = CASES[name]
    arrays = make_inputs(case, seed=0)
    out, xs, seed_grad = run_ours(case, arrays)
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    ot = case.theirs(*ts)
    ot.backward(torch.tensor(seed_grad))
    assert out.shape == tuple(ot.shape)
    assert out.dtype == np.float64
    assert_close(out.data, ot)
    for x, t in zip(xs, ts, strict=True):
        assert x.grad.shape == x.shape and x.grad.dtype == x.dtype
        assert_close(x.grad, t.grad)


# float32 rounding inside `astype` is far above finite differences' resolution; its gradient
# (the cast back) is checked against torch above and in test_tensor.py's dtype tests.
@pytest.mark.parametrize("name", [n for n in CASES if n != "astype"])
def test_op_passes_gradcheck(name):
    case = CASES[name]
    assert gradcheck(case.ours, make_inputs(case, seed=1))


@pytest.mark.parametrize("name", list(CASES))
def test_op_second_derivative_matches_torch(name):
    """create_graph=True: differentiate each op's VJP once more (grad of sum(grad * w))."""
    case = CASES[name]
    arrays = make_inputs(case, seed=2)
    rng = np.random.default_rng(5)
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    out = case.ours(*xs)
    seed_grad = rng.normal(size=out.shape)
    grads = ag.gradients(out, xs, seed_grad, create_graph=True)
    weights = [rng.normal(size=a.shape) for a in arrays]
    total = sum(((g * w).sum() for g, w in zip(grads, weights, strict=True) if g is not None), 0.0)

    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    ot = case.theirs(*ts)
    gts = torch.autograd.grad(ot, ts, torch.tensor(seed_grad), create_graph=True)
    total_t = sum((g * torch.tensor(w)).sum() for g, w in zip(gts, weights, strict=True))
    assert_close(getattr(total, "data", total), total_t)
    if not total_t.requires_grad:  # a linear op: its VJP does not depend on the inputs
        return
    second = ag.gradients(total, xs) if isinstance(total, Tensor) else [None] * len(xs)
    second_t = torch.autograd.grad(total_t, ts, allow_unused=True)
    for s, st, a in zip(second, second_t, arrays, strict=True):
        expected = np.zeros_like(a) if st is None else st.detach().numpy(force=True)
        assert_close(np.zeros_like(a) if s is None else s, expected)
