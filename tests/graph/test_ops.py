"""Segment ops (glassbox.ops.graph): torch parity (values and gradients) and float64 gradcheck."""

import numpy as np
import pytest
import torch

import glassbox as gb
from glassbox.ops.graph import scatter_max, scatter_mean, scatter_softmax, scatter_sum


def _t_reduce(reduce):
    def fn(src, idx, n):
        idx_e = idx.view(-1, *([1] * (src.ndim - 1))).expand_as(src)
        out = torch.zeros((n,) + tuple(src.shape[1:]), dtype=src.dtype)
        return out.scatter_reduce(0, idx_e, src, reduce, include_self=False)
    return fn


def _t_sum(src, idx, n):
    return torch.zeros((n,) + tuple(src.shape[1:]), dtype=src.dtype).index_add(0, idx, src)


def _t_softmax(src, idx, n):
    top = _t_reduce("amax")(src, idx, n)
    e = torch.exp(src - top[idx])
    return e / _t_sum(e, idx, n)[idx]


OPS = {
    "sum": (scatter_sum, _t_sum),
    "mean": (scatter_mean, _t_reduce("mean")),
    "max": (scatter_max, _t_reduce("amax")),
    "softmax": (scatter_softmax, _t_softmax),
}
# (src shape, number of segments): empty segments, repeated ids, trailing dims, no rows
CASES = [((12, 3), 5), ((7,), 9), ((10, 2, 3), 4), ((0, 3), 3), ((30, 20), 6)]


@pytest.mark.parametrize("name", list(OPS))
@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_parity_with_torch(name, case, dtype):
    gb_fn, t_fn = OPS[name]
    shape, n = CASES[case]
    rng = np.random.default_rng(case)
    src = rng.standard_normal(shape).astype(dtype)
    idx = rng.integers(0, n, shape[0])
    g_src, t_src = gb.tensor(src, requires_grad=True), torch.tensor(src, requires_grad=True)
    g_out, t_out = gb_fn(g_src, gb.tensor(idx), n), t_fn(t_src, torch.tensor(idx), n)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert g_out.dtype == g_src.dtype and g_out.shape == tuple(t_out.shape)
    np.testing.assert_allclose(g_out.detach().numpy(), t_out.detach().numpy(), atol=tol, rtol=tol)
    w = rng.standard_normal(g_out.shape).astype(dtype)
    (g_out * gb.tensor(w)).sum().backward()
    (t_out * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(g_src.grad.numpy(), t_src.grad.numpy(), atol=tol * 10, rtol=tol * 10)


@pytest.mark.parametrize("name", list(OPS))
def test_gradcheck_float64(name):
    fn = OPS[name][0]
    rng = np.random.default_rng(1)
    idx = gb.tensor(rng.integers(0, 4, 9))
    src = gb.tensor(rng.standard_normal((9, 2)), requires_grad=True)
    assert gb.autograd.gradcheck(lambda s: fn(s, idx, 5), (src,))


def test_scatter_max_ties_share_gradient_like_torch():
    src = np.array([[1.0], [1.0], [0.5]])
    idx = np.array([0, 0, 0])
    g = gb.tensor(src, requires_grad=True)
    t = torch.tensor(src, requires_grad=True)
    scatter_max(g, gb.tensor(idx), 1).sum().backward()
    _t_reduce("amax")(t, torch.tensor(idx), 1).sum().backward()
    np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy())
    assert g.grad.numpy().ravel().tolist() == [0.5, 0.5, 0.0]


def test_softmax_sums_to_one_per_segment_and_is_stable():
    idx = np.array([0, 0, 1, 2, 2, 2])
    y = scatter_softmax(gb.tensor([1000.0, 999.0, -1000.0, 3.0, 3.0, 3.0]), gb.tensor(idx), 3)
    assert np.isfinite(y.numpy()).all()
    np.testing.assert_allclose(np.bincount(idx, weights=y.numpy()), 1.0, rtol=1e-6)


def test_bad_index_errors_name_the_op():
    with pytest.raises(IndexError, match="scatter_sum: index 7"):
        scatter_sum(gb.randn(3, 2), gb.tensor([0, 1, 7]), 4)
    with pytest.raises(ValueError, match="scatter_max: index must be 1-d"):
        scatter_max(gb.randn(3, 2), gb.tensor([0, 1]), 4)
    with pytest.raises(TypeError, match="integer"):
        scatter_mean(gb.randn(2), gb.tensor([0.0, 1.0]), 2)
