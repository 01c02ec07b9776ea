"""Tensor's non-differentiable methods and Python protocols (issue 12): indices as numpy's integer
arrays, Python numbers, abs/round/tolist/copy, numpy's keywords and its refusals, dtypes, norms.

The differentiable ops themselves are checked against PyTorch in test_tensor_ops.py (values,
gradients, second derivatives) and test_domain_edges.py (edges).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from conftest import assert_close, torch

import autograd as ag
from autograd import Tensor

pytestmark = pytest.mark.oracle

# no ties along any axis, so every argmax, argmin and argsort is unambiguous
DATA = np.array([[1.0, 3.0, -2.0, 0.5], [0.25, -1.0, 4.0, 2.0], [3.5, 0.0, -0.5, 1.5]])
DATA3 = np.random.default_rng(0).normal(size=(2, 3, 4))


def leaf(data=DATA):
    return Tensor(np.array(data, dtype=np.float64), requires_grad=True)


# --- indices: plain integer arrays, numpy's -------------------------------------------------------


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("method", ["argmax", "argmin"])
def test_argmax_and_argmin_give_numpys_integer_indices(method, axis, keepdims):
    expected = getattr(DATA, method)(axis=axis, keepdims=keepdims)
    for got in (
        getattr(leaf(), method)(axis=axis, keepdims=keepdims),
        getattr(np, method)(leaf(), axis=axis, keepdims=keepdims),
    ):
        assert isinstance(got, (np.ndarray, np.integer))
        assert np.asarray(got).dtype.kind == "i"
        assert np.shape(got) == np.shape(expected)
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("axis", [-1, 0, None])
def test_argsort_gives_numpys_integer_indices(axis):
    expected = np.argsort(DATA, axis=axis)
    for got in (leaf().argsort(axis=axis), np.argsort(leaf(), axis=axis)):
        assert isinstance(got, np.ndarray) and got.dtype.kind == "i"
        np.testing.assert_array_equal(got, expected)


# --- Python numbers -------------------------------------------------------------------------------

ONE_ELEMENT = [(), (1,), (1, 1), (1, 1, 1)]
NOT_ONE = [(2,), (0,), (1, 2), (2, 3)]


@pytest.mark.parametrize("shape", ONE_ELEMENT)
def test_float_int_and_bool_of_a_one_element_tensor_of_any_ndim(shape):
    t = Tensor(np.full(shape, -2.75), requires_grad=True)
    assert type(float(t)) is float and float(t) == -2.75
    assert type(int(t)) is int and int(t) == -2 == int(torch.full(shape, -2.75))
    assert bool(t) is True
    assert bool(Tensor(np.zeros(shape))) is False
    assert bool(Tensor(np.full(shape, np.nan))) is True  # as Python's bool(nan) and PyTorch's


@pytest.mark.parametrize("shape", NOT_ONE)
@pytest.mark.parametrize("convert", [float, int, bool])
def test_python_numbers_of_other_tensors_are_refused_naming_the_shape(convert, shape):
    error = RuntimeError if convert is bool else ValueError  # PyTorch's classes
    with pytest.raises(error, match=re.escape(str(shape))):
        convert(Tensor(np.ones(shape), requires_grad=True))


# --- Python's abs and round, tolist, copy ---------------------------------------------------------

SIGNED = np.array([-1.5, 0.0, 2.5, -0.0, 3.7, -0.25])
WEIGHTS = np.array([1.0, -2.0, 0.5, 3.0, -1.5, 2.0])


def test_python_abs_records_and_gives_torchs_gradient_zero_included():
    x = leaf(SIGNED)
    out = abs(x)
    assert isinstance(out, Tensor) and out.requires_grad
    (out * WEIGHTS).sum().backward()
    t = torch.tensor(SIGNED, requires_grad=True)
    (abs(t) * torch.tensor(WEIGHTS)).sum().backward()
    assert_close(out.data, abs(t))
    assert_close(x.grad, t.grad)


HALVES = np.array([-1.25, 0.5, 1.5, 2.675, 14.0, -0.5, 0.15, 2.5])


@pytest.mark.parametrize("ndigits", [None, 0, 1, 2, -1])
def test_python_round_records_halves_to_even_with_torchs_zero_gradient(ndigits):
    x = leaf(HALVES)
    out = round(x) if ndigits is None else round(x, ndigits)
    assert isinstance(out, Tensor) and out.requires_grad
    (out * 3.0).sum().backward()
    t = torch.tensor(HALVES, requires_grad=True)
    ot = torch.round(t) if ndigits is None else torch.round(t, decimals=ndigits)
    (ot * 3.0).sum().backward()
    np.testing.assert_array_equal(out.data, ot.detach().numpy())
    np.testing.assert_array_equal(x.grad, t.grad.numpy())
    np.testing.assert_array_equal(x.grad, np.zeros_like(HALVES))


@pytest.mark.parametrize("data", [DATA, DATA3, 2.5, [7.0]])
def test_tolist_gives_python_floats_as_numpy(data):
    got = leaf(data).tolist()
    assert got == np.asarray(data).tolist()
    first = got
    while isinstance(first, list):
        first = first[0]
    assert type(first) is float


@pytest.mark.parametrize("copy", [Tensor.copy, np.copy])
def test_copy_is_a_recorded_identity_in_new_memory(copy):
    x = leaf()
    y = copy(x)
    assert isinstance(y, Tensor) and y.requires_grad and y is not x
    assert not np.shares_memory(y.data, x.data)
    np.testing.assert_array_equal(y.data, DATA)
    weights = np.arange(DATA.size, dtype=np.float64).reshape(DATA.shape)
    (y * weights).sum().backward()
    np.testing.assert_array_equal(x.grad, weights)


def test_copy_keeps_its_own_version():
    x = leaf()
    y = x.copy()
    x_version, y_version = x.version, y.version
    with ag.no_grad():
        y[0, 0] = 100.0
    assert x.data[0, 0] == DATA[0, 0] and x.version == x_version
    assert y.version > y_version
    with ag.no_grad():
        x[1, 1] = -100.0
    assert y.data[1, 1] == DATA[1, 1] and y.version == y_version + 1


# --- numpy's keywords on reductions ---------------------------------------------------------------


def test_sum_with_a_dtype_casts_and_its_gradient_keeps_the_inputs_dtype():
    x = leaf()
    s = x.sum(axis=0, dtype=np.float32)
    assert s.dtype == np.float32
    np.testing.assert_array_equal(s.data, DATA.sum(axis=0, dtype=np.float32))
    s.backward(np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32))
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, np.tile([1.0, 2.0, 3.0, 4.0], (3, 1)))


@pytest.mark.parametrize(
    "reduce",
    [
        lambda t: np.sum(t, 0, np.float32),  # numpy's positional order: axis, dtype
        lambda t: np.mean(t, axis=1, dtype=np.float32),
        lambda t: t.prod(dtype=np.float32),
        lambda t: np.cumsum(t, dtype=np.float32),
    ],
)
def test_reductions_take_numpys_dtype(reduce):
    out = reduce(leaf())
    assert isinstance(out, Tensor) and out.dtype == np.float32 and out.requires_grad
    np.testing.assert_allclose(out.data, reduce(DATA), rtol=1e-6)


REDUCTIONS = ["sum", "mean", "max", "min", "prod", "var", "std", "cumsum"]


@pytest.mark.parametrize("name", REDUCTIONS)
def test_out_other_than_none_is_refused_naming_out(name):
    expected = getattr(np, name)(DATA, axis=0)
    assert isinstance(getattr(leaf(), name)(axis=0, out=None), Tensor)
    for out in (np.empty_like(expected), Tensor(np.empty_like(expected))):
        with pytest.raises(TypeError, match="out"):
            getattr(leaf(), name)(axis=0, out=out)
        with pytest.raises(TypeError, match="out"):
            getattr(np, name)(leaf(), axis=0, out=out)


MASK = DATA > 0


@pytest.mark.parametrize(
    "call, keyword",
    [
        (lambda t: np.sum(t, where=MASK), "where"),
        (lambda t: np.mean(t, where=MASK), "where"),
        (lambda t: np.prod(t, where=MASK), "where"),
        (lambda t: np.max(t, where=MASK, initial=0.0), "where|initial"),
        (lambda t: np.var(t, where=MASK), "where"),
        (lambda t: np.std(t, where=MASK), "where"),
        (lambda t: np.sum(t, initial=1.0), "initial"),
        (lambda t: np.prod(t, initial=1.0), "initial"),
        (lambda t: np.min(t, initial=0.0), "initial"),
    ],
)
def test_numpys_where_and_initial_are_refused_naming_the_keyword(call, keyword):
    with pytest.raises(TypeError, match=keyword):
        call(leaf())


@pytest.mark.parametrize("dtype", [np.int64, np.int32, bool])
@pytest.mark.parametrize("name", ["sum", "mean", "prod", "cumsum", "var"])
def test_an_integer_dtype_is_refused(name, dtype):
    with pytest.raises(TypeError, match="floating"):
        getattr(leaf(), name)(dtype=dtype)


# --- numpy functions whose results carry no gradient ----------------------------------------------


@pytest.mark.parametrize(
    "like, fill",
    [
        (np.zeros_like, 0.0),
        (np.ones_like, 1.0),
        (lambda t: np.full_like(t, fill_value=7.0), 7.0),
    ],
)
def test_zeros_ones_and_full_like_give_tensors_that_do_not_require_grad(like, fill):
    out = like(leaf())
    assert isinstance(out, Tensor) and not out.requires_grad
    np.testing.assert_array_equal(out.data, np.full(DATA.shape, fill))


def test_empty_like_gives_a_tensor_of_the_shape_that_does_not_require_grad():
    out = np.empty_like(leaf())
    assert isinstance(out, Tensor) and not out.requires_grad and out.shape == DATA.shape


def test_full_like_takes_its_fill_value_positionally():
    out = np.full_like(leaf(), 7.0)
    assert isinstance(out, Tensor) and not out.requires_grad
    np.testing.assert_array_equal(out.data, np.full(DATA.shape, 7.0))


def test_where_with_one_argument_gives_numpys_index_tuple():
    data = DATA * (DATA > 0)  # some zeros
    got = np.where(leaf(data))
    expected = np.where(data)
    assert isinstance(got, tuple) and len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert isinstance(g, np.ndarray) and g.dtype.kind == "i"
        np.testing.assert_array_equal(g, e)


# --- errors that name what is wrong ---------------------------------------------------------------


@pytest.mark.parametrize("squeeze", [Tensor.squeeze, np.squeeze])
def test_squeeze_of_an_axis_longer_than_one_names_shape_and_axis(squeeze):
    x = leaf(np.ones((2, 3, 1)))
    with pytest.raises(ValueError, match=r"axis 1 .*\(2, 3, 1\)"):
        squeeze(x, axis=1)
    assert squeeze(x, axis=2).shape == (2, 3)


@pytest.mark.parametrize(
    "take",
    [
        lambda t, i: t.take_along_axis(i, axis=1),
        lambda t, i: t.gather(1, i),
        lambda t, i: np.take_along_axis(t, i, axis=1),
    ],
)
def test_take_along_axis_with_float_indices_is_a_type_error(take):
    with pytest.raises(TypeError, match="integers"):
        take(leaf(), np.zeros((3, 1)))


REFUSED_NORMS = [  # (ord, axis, data): what numpy computes and we do not
    ("nuc", None, DATA),
    ("nuc", (0, 1), DATA),
    (2, None, DATA),  # the matrix 2-norm: a singular value
    (-2, (1, 0), DATA),
    (3, None, DATA),
    (3, 1, DATA),  # vector p-norms other than 1 and 2
    (0, 0, DATA),
    (0.5, None, DATA[0]),
    ("fro", 1, DATA),
]


@pytest.mark.parametrize("norm", [Tensor.norm, np.linalg.norm])
@pytest.mark.parametrize("ord, axis, data", REFUSED_NORMS)
def test_an_unsupported_norm_order_is_a_type_error_naming_it(norm, ord, axis, data):
    # valid for numpy, not differentiable here: numpy's rule for Tensors that require grad
    with pytest.raises(TypeError, match=f"norm: .*ord {re.escape(repr(ord))} is not supported"):
        norm(leaf(data), ord, axis)


@pytest.mark.parametrize("axis", [5, -3, (0, 5)])
def test_norm_over_an_axis_out_of_range_is_refused_as_numpy(axis):
    with pytest.raises(np.exceptions.AxisError):
        np.linalg.norm(DATA, axis=axis)
    with pytest.raises(np.exceptions.AxisError):
        leaf().norm(axis=axis)


@pytest.mark.parametrize("approximate", ["erf", None, "TANH"])
def test_gelu_with_an_unknown_approximation_is_a_value_error(approximate):
    with pytest.raises(ValueError, match="approximate"):
        leaf().gelu(approximate=approximate)


def test_sort_takes_numpys_kind_keyword():
    got = np.sort(leaf(), axis=0, kind="stable")
    np.testing.assert_array_equal(got.data, np.sort(DATA, axis=0, kind="stable"))


# --- float32 in, float32 out, both ways -----------------------------------------------------------

FLOAT32_OPS = {
    "sin": np.sin,
    "log1p": lambda t: np.log1p(t * t),
    "exp2": np.exp2,
    "logaddexp": lambda t: np.logaddexp(t, 2.0 * t),
    "arctan2": lambda t: np.arctan2(t, t + 3.0),
    "softplus": lambda t: t.softplus(beta=2.0, threshold=1.0),
    "gelu": lambda t: t.gelu(),
    "gelu_tanh": lambda t: t.gelu(approximate="tanh"),
    "leaky_relu": lambda t: t.leaky_relu(0.2),
    "elu": lambda t: t.elu(1.5),
    "round": lambda t: t.round(1),
    "prod": lambda t: t.prod(axis=0),
    "cumsum": lambda t: t.cumsum(axis=1),
    "norm": lambda t: t.norm(),
    "norm_inf": lambda t: t.norm(np.inf, axis=1),
    "var": lambda t: t.var(axis=1, ddof=1),
    "std": lambda t: t.std(),
    "var_of_float64_as_float32": lambda t: t.astype(np.float64).var(dtype=np.float32),
    "dot": lambda t: t.dot(t.T),
    "repeat": lambda t: t.repeat(2, axis=0),
    "take_along_axis": lambda t: t.take_along_axis(np.array([[0], [2], [1]]), axis=1),
}


@pytest.mark.parametrize("name", list(FLOAT32_OPS))
def test_float32_inputs_give_float32_results_and_gradients(name):
    x = Tensor(DATA[:, :3].astype(np.float32) / 4, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no hidden overflow or precision warnings either
        out = FLOAT32_OPS[name](x)
        assert out.dtype == np.float32
        out.backward(np.ones(out.shape, dtype=np.float32))
    assert x.grad.dtype == np.float32


# --- norms agree with numpy.linalg.norm for every supported ord and axis --------------------------

VECTOR_ORDS = [None, 1, 2, np.inf, -np.inf]
MATRIX_ORDS = [None, "fro", 1, -1, np.inf, -np.inf]
NORMS = (
    [(o, a, DATA3) for o in VECTOR_ORDS for a in (0, 1, -1, (2,))]
    + [(o, None, DATA3[0, 0]) for o in VECTOR_ORDS]  # a 1-D tensor: the vector norm
    + [(o, a, DATA3) for o in MATRIX_ORDS for a in ((0, 1), (1, 0), (2, 0), (-1, -2))]
    + [(o, None, DATA3[0]) for o in MATRIX_ORDS]  # a 2-D tensor: the matrix norm
    + [(None, None, DATA3)]  # the 2-norm of everything
)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("ord, axis, data", NORMS)
def test_norm_and_numpy_linalg_norm_agree_with_numpy(ord, axis, data, keepdims):
    expected = np.linalg.norm(data, ord, axis, keepdims)
    for got in (
        leaf(data).norm(ord, axis, keepdims),
        np.linalg.norm(leaf(data), ord, axis, keepdims),
    ):
        assert isinstance(got, Tensor) and got.requires_grad
        assert got.shape == expected.shape
        np.testing.assert_allclose(got.data, expected, rtol=1e-12)


def test_where_we_differ_from_torch_we_give_numpys_value_or_the_exact_one():
    """The reasons of test_domain_edges.DIFFERS_AT, as numbers: sign(nan) is numpy's nan; the
    variance of the largest floats is exact where the true value is finite."""
    assert np.isnan(Tensor([np.nan], requires_grad=True).sign().data[0])
    big = np.finfo(np.float64).max
    x = Tensor([big, big], requires_grad=True)
    v = x.var()
    v.backward()
    assert v.item() == 0.0 and x.grad.tolist() == [0.0, 0.0]
    with np.errstate(over="ignore"):  # the true variance overflows: numpy warns, as here
        assert Tensor([big, -big]).var().item() == np.inf
