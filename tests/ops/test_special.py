"""erf and the normal CDF behind exact GELU, against math.erf over the whole float range."""

import math

import numpy as np
import pytest

import glassbox as gb
from glassbox import backend
from glassbox.ops.elementwise import erf, normal_cdf


def _reference_cdf(x: np.ndarray) -> np.ndarray:
    return np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(np.float64)])


# the tails, where the old clip used to take over (+-5.5437), huge and tiny values
GRID = np.concatenate([np.linspace(-12, 12, 20_001), np.geomspace(1e-30, 1e-2, 200),
                       -np.geomspace(1e-30, 1e-2, 200), [0.0, 5.5437, -5.5437, 5.6, -5.6],
                       np.geomspace(12, 3e38, 200), -np.geomspace(12, 3e38, 200)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_cdf_matches_math_erf(dtype):
    x = GRID.astype(dtype)
    got = normal_cdf(x)
    assert got.dtype == dtype
    want = _reference_cdf(x)
    np.testing.assert_allclose(got, want, rtol=0, atol=2.5e-7)
    if dtype == np.float64:  # float32's tanh form is accurate in absolute terms only
        tail = (x < -1) & (want > 1e-30)
        np.testing.assert_allclose(got[tail], want[tail], rtol=1e-5)


def test_normal_cdf_saturates_without_overflow_warnings():
    x = np.array([1e20, 3e38, np.inf, -1e20, -3e38, -np.inf, np.nan], dtype=np.float32)
    with np.errstate(all="raise"):
        got = normal_cdf(x[:-1])
    assert got.tolist() == [1, 1, 1, 0, 0, 0]
    assert np.isnan(normal_cdf(x[-1:]))[0]


def test_normal_cdf_is_monotone_and_bounded_in_float32():
    x = np.linspace(-8, 8, 400_001, dtype=np.float32)
    cdf = normal_cdf(x)
    assert cdf.min() >= 0 and cdf.max() <= 1
    assert np.all(np.diff(cdf) >= 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erf_matches_math_erf(dtype):
    x = GRID.astype(dtype)
    want = np.array([math.erf(v) for v in x.astype(np.float64)])
    np.testing.assert_allclose(erf(x), want, rtol=2e-6, atol=2e-7)


def test_relu_zero_block_is_shared_read_only_and_stays_zero():
    """ReLU compares against a shared read-only zero block: its output must be a fresh array,
    and writing into that output must leave the block zero for the next call. The input spans
    several blocks and ends in a partial one."""
    n = 7 * (2 * backend.BLOCK_ELEMENTS // 7 + 1)
    x = gb.tensor(np.linspace(-3, 3, n, dtype=np.float32).reshape(n // 7, 7))
    y = gb.relu(x)
    y.add_(5.0)  # in place on the output
    zeros = backend.zeros_block(np.dtype(np.float32))
    assert not zeros.flags.writeable and not np.any(zeros)
    assert not np.shares_memory(y.numpy(), zeros)
    np.testing.assert_array_equal(gb.relu(-x).numpy(), np.maximum(-x.numpy(), 0))
    np.testing.assert_array_equal(gb.relu(x.T).numpy(), np.maximum(x.numpy().T, 0))  # strided
    assert backend.zeros_block(np.dtype(np.float64)).dtype == np.float64
