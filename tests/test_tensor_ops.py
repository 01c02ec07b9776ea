"""Every Tensor op: value and gradient against PyTorch (float64) and against finite differences."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from conftest import assert_close, torch

import autograd as ag
from autograd import Tensor, gradcheck

pytestmark = pytest.mark.oracle


@dataclass
class Case:
    ours: Callable  # on Tensors
    theirs: Callable  # on torch tensors
    shapes: tuple  # one shape per input
    low: float = -2.0  # inputs are drawn from +-[low_abs, high]
    high: float = 2.0
    positive: bool = False  # inputs in [0.3, high] instead


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


def make_inputs(case: Case, seed: int) -> list[np.ndarray]:
    """Random float64 inputs kept away from kinks (0 for relu and abs, ties for max)."""
    rng = np.random.default_rng(seed)
    out = []
    for shape in case.shapes:
        if case.positive:
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
