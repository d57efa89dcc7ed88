"""clip_grad_norm_ / clip_grad_value_ against torch.nn.utils."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import glassbox as gb
from glassbox.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)

SHAPES = [(3, 4), (5,), (2, 2, 3), (1,)]


def _pair(seed=0, scale=1.0, none_at=(3,), dtype=np.float64):
    """Parameters with the same random gradients in both frameworks (None where asked)."""
    rng = np.random.default_rng(seed)
    ours, theirs = [], []
    for i, shape in enumerate(SHAPES):
        p = gb.nn.Parameter(gb.tensor(rng.standard_normal(shape).astype(dtype)))
        q = torch.tensor(p._data.copy(), requires_grad=True)
        if i not in none_at:
            g = (scale * rng.standard_normal(shape)).astype(dtype)
            p.grad, q.grad = gb.tensor(g.copy()), torch.tensor(g.copy())
        ours.append(p)
        theirs.append(q)
    return ours, theirs


def _assert_grads_close(ours, theirs, tol):
    for p, q in zip(ours, theirs):
        assert (p.grad is None) == (q.grad is None)
        if p.grad is not None:
            np.testing.assert_allclose(p.grad._data, q.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3.0, 0.5, "inf"])
@pytest.mark.parametrize("max_norm", [0.1, 1.0, 1e6])  # clips, clips, leaves alone
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    norm_type = float(norm_type)
    ours, theirs = _pair(scale=3.0)
    before = [p.grad._data.copy() for p in ours if p.grad is not None]
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, gb.Tensor) and total.shape == ()
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-12)
    _assert_grads_close(ours, theirs, 1e-12)
    after = [p.grad._data for p in ours if p.grad is not None]
    changed = any(not np.array_equal(a, b) for a, b in zip(before, after))
    assert changed == (max_norm < total.item())


def test_clip_grad_norm_float32_matches_torch():
    ours, theirs = _pair(scale=3.0, dtype=np.float32)
    total = clip_grad_norm_(ours, 0.5)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 0.5)
    assert total.dtype == np.float32
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-6)
    _assert_grads_close(ours, theirs, 1e-6)
    assert all(p.grad.dtype == np.float32 for p in ours if p.grad is not None)


def test_clip_grad_norm_single_tensor_and_empty():
    w = gb.nn.Parameter(gb.zeros(2))
    w.grad = gb.tensor([3.0, 4.0])
    assert clip_grad_norm_(w, 10.0).item() == 5.0
    assert w.grad.tolist() == [3.0, 4.0]
    assert clip_grad_norm_([gb.nn.Parameter(gb.zeros(1))], 1.0).item() == 0.0
    assert get_total_norm([]).item() == torch.nn.utils.get_total_norm([]).item() == 0.0


def test_clip_grad_norm_nonfinite():
    ours, theirs = _pair()
    ours[0].grad._data[0, 0] = np.nan
    theirs[0].grad[0, 0] = float("nan")
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite"):
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)
    # Without the check the norm is NaN and the gradients become NaN, as in torch.
    total = clip_grad_norm_(ours, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert math.isnan(total.item()) and math.isnan(expected.item())
    assert np.isnan(ours[1].grad._data).all() and torch.isnan(theirs[1].grad).all()


@pytest.mark.parametrize("clip_value", [0.1, 0.5, 10.0])
def test_clip_grad_value_matches_torch(clip_value):
    ours, theirs = _pair(scale=2.0)
    assert clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    _assert_grads_close(ours, theirs, 0.0)
    assert max(np.abs(p.grad._data).max() for p in ours if p.grad is not None) <= clip_value


def test_clip_bumps_the_gradient_version():
    w = gb.nn.Parameter(gb.zeros(2))
    w.grad = gb.tensor([3.0, 4.0])
    v = w.grad._version[0]
    clip_grad_value_(w, 1.0)
    assert w.grad._version[0] == v + 1


def test_parameters_vector_round_trip_matches_torch():
    ours, theirs = _pair()
    vec = parameters_to_vector(ours)
    np.testing.assert_array_equal(vec._data,
                                  torch.nn.utils.parameters_to_vector(theirs).detach().numpy())
    vector_to_parameters(gb.tensor(vec._data * 2), ours)
    torch.nn.utils.vector_to_parameters(torch.tensor(vec._data * 2), theirs)
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p._data, q.detach().numpy())
    with pytest.raises(ValueError, match="expected a 1-d vector of 30 entries, got shape"):
        vector_to_parameters(gb.zeros(3), ours)
