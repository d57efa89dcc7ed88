"""Normalisation ops beyond the spec table: batch_norm's running statistics against torch over
several training and eval steps, float32 stability far from zero, and dtypes.

Forward/gradient parity and gradchecks of every layout live in specs.py (NN list).
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassbox as gb
import glassbox.nn.functional as F

SHAPES = [(8, 3), (4, 3, 5), (2, 3, 4, 4)]  # (N, C), (N, C, L), (N, C, H, W)


@pytest.mark.parametrize("shape", SHAPES, ids=["NC", "NCL", "NCHW"])
@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_batch_norm_running_stats_follow_torch_over_steps(shape, momentum):
    """Train steps update running mean/var in place (unbiased var); eval steps use them."""
    rng = np.random.default_rng(0)
    c = shape[1]
    g_rm, g_rv = gb.zeros(c), gb.ones(c)
    t_rm, t_rv = torch.zeros(c), torch.ones(c)
    w0 = rng.uniform(0.5, 1.5, c).astype(np.float32)
    b0 = rng.uniform(-0.5, 0.5, c).astype(np.float32)
    g_w, g_b = gb.tensor(w0, requires_grad=True), gb.tensor(b0, requires_grad=True)
    t_w, t_b = torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    for step, training in enumerate([True, True, False, True, False, True, True, False]):
        # a shifted, scaled batch each step, so the statistics move
        x = (rng.standard_normal(shape) * (1 + step) + step).astype(np.float32)
        gx, tx = gb.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        g_out = F.batch_norm(gx, g_rm, g_rv, g_w, g_b, training=training, momentum=momentum)
        t_out = TF.batch_norm(tx, t_rm, t_rv, t_w, t_b, training=training, momentum=momentum)
        np.testing.assert_allclose(g_out.detach().numpy(), t_out.detach().numpy(), atol=1e-4,
                                   rtol=1e-4, err_msg=f"step {step} output")
        np.testing.assert_allclose(g_rm.numpy(), t_rm.numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=f"step {step} running_mean")
        np.testing.assert_allclose(g_rv.numpy(), t_rv.numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=f"step {step} running_var")
        upstream = rng.standard_normal(shape).astype(np.float32)
        g_out.backward(gb.tensor(upstream))
        t_out.backward(torch.tensor(upstream))
        np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(g_w.grad.numpy(), t_w.grad.numpy(), atol=1e-3, rtol=1e-4)
    np.testing.assert_allclose(g_b.grad.numpy(), t_b.grad.numpy(), atol=1e-3, rtol=1e-4)
    assert g_rm.dtype == gb.float32 and g_rv.dtype == gb.float32


def test_batch_norm_running_var_is_unbiased():
    x = np.array([[1.0], [2.0], [4.0]], dtype=np.float32)  # var: biased 1.556, unbiased 2.333
    rm, rv = gb.zeros(1), gb.zeros(1)
    F.batch_norm(gb.tensor(x), rm, rv, training=True, momentum=1.0)
    np.testing.assert_allclose(rv.numpy(), [np.var(x, ddof=1)], rtol=1e-6)
    np.testing.assert_allclose(rm.numpy(), [np.mean(x)], rtol=1e-6)


def test_batch_norm_eval_leaves_running_stats_alone():
    rm, rv = gb.tensor([0.5, -1.0]), gb.tensor([2.0, 0.5])
    F.batch_norm(gb.randn(4, 2), rm, rv, training=False)
    np.testing.assert_array_equal(rm.numpy(), np.float32([0.5, -1.0]))
    np.testing.assert_array_equal(rv.numpy(), np.float32([2.0, 0.5]))


def test_batch_norm_update_bumps_version():
    # an in-place change of a buffer is visible to autograd's checks, as torch's
    rm, rv = gb.zeros(2), gb.ones(2)
    before = (rm._version[0], rv._version[0])
    F.batch_norm(gb.randn(4, 2), rm, rv, training=True)
    assert (rm._version[0], rv._version[0]) == (before[0] + 1, before[1] + 1)


def test_batch_norm_under_no_grad_still_updates_running_stats():
    rm, rv = gb.zeros(2), gb.ones(2)
    with gb.no_grad():
        F.batch_norm(gb.randn(16, 2) + 3.0, rm, rv, training=True)
    assert np.all(rm.numpy() > 0.1)


@pytest.mark.parametrize("offset", [1e3, 1e4])
def test_norms_stay_exact_far_from_zero_in_float32(offset):
    """Two-pass statistics: a large common offset must not destroy the variance."""
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((6, 4, 16)) + offset).astype(np.float32)
    pairs = [
        (lambda m, a: m.layer_norm(a, (16,)), F, TF),
        (lambda m, a: m.group_norm(a, 2), F, TF),
        (lambda m, a: m.batch_norm(a, None, None, training=True), F, TF),
    ]
    for fn, gmod, tmod in pairs:
        g = fn(gmod, gb.tensor(x)).numpy()
        t = fn(tmod, torch.tensor(x)).numpy()
        np.testing.assert_allclose(g, t, atol=2e-3)
        assert g.dtype == np.float32


@pytest.mark.parametrize("name", ["layer_norm", "group_norm", "batch_norm"])
def test_float32_in_float32_out_including_gradients(name):
    x = gb.randn(4, 6, 3, requires_grad=True)
    w, b = gb.ones(6 if name != "layer_norm" else 3, requires_grad=True), None
    if name == "layer_norm":
        y = F.layer_norm(x, (3,), w)
    elif name == "group_norm":
        y = F.group_norm(x, 3, w)
    else:
        y = F.batch_norm(x, gb.zeros(6), gb.ones(6), w, b, training=True)
    y.backward(gb.ones(4, 6, 3))
    assert y.dtype == gb.float32 and x.grad.dtype == gb.float32 and w.grad.dtype == gb.float32


# rows x features: few rows (plain broadcasting), many rows of a power-of-two count (the affine
# map runs on k rows at once against the vector repeated k times), many rows of an odd count
@pytest.mark.parametrize("shape", [(64, 128), (512, 64), (2048, 128), (301, 96)])
def test_layer_norm_affine_paths_match_torch(shape):
    rng = np.random.default_rng(7)
    x, g = (rng.standard_normal(shape).astype(np.float32) for _ in range(2))
    w, b = (rng.standard_normal(shape[-1]).astype(np.float32) for _ in range(2))
    mine = [gb.tensor(a, requires_grad=True) for a in (x, w, b)]
    ref = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = F.layer_norm(mine[0], shape[-1:], mine[1], mine[2])
    tout = TF.layer_norm(ref[0], shape[-1:], ref[1], ref[2])
    out.backward(gb.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), atol=1e-5)
    for a, ta in zip(mine, ref):
        np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), atol=2e-4, rtol=1e-4)
