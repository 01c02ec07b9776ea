"""Bugs found while typing the code for mypy (issue 13), each pinned by the behaviour it fixes."""

import numpy as np

import autograd as ag


def test_full_takes_a_numpy_integer_size_as_zeros_and_numpy_do():
    # typing `shape` showed that full() sent a numpy integer to tuple(): "'numpy.int64' object
    # is not iterable", while zeros(np.int64(3)) and np.full(np.int64(3), 2.0) both work
    t = ag.full(np.int64(3), 2.0)
    assert t.shape == (3,)
    np.testing.assert_array_equal(t.data, np.full(3, 2.0))
    assert ag.full(np.int32(2), 1.0, requires_grad=True).requires_grad


def test_a_shape_that_is_not_integers_is_refused_as_numpy_does():
    import pytest

    from autograd import ones, zeros

    for make in (zeros, ones):
        with pytest.raises(TypeError, match=r"shape must be integers, got \(2.5,\)"):
            make(2.5)
        assert make(np.int64(2), 3).shape == (2, 3)
