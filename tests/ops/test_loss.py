"""Losses beyond the spec table: finiteness for huge logits, out-of-range classes, refusal of
mismatched shapes, reduction errors, torch's clamps and nan cases, error classes vs torch.

Forward/gradient parity and gradchecks of every option live in specs.py (NN list).
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassbox as gb
import glassbox.nn.functional as F


def _both(array, requires_grad=True):
    a = np.asarray(array, dtype=np.float32)
    return gb.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


# ---------------------------------------------------------------------------------------------
# huge logits: loss and gradient stay finite and equal torch's

BIG = np.array([[1e4, -1e4, 0.0, 5e3], [-1e4, -1e4, -1e4, 1e4], [1e4, 1e4, -1e4, -1e4]])


@pytest.mark.parametrize("kwargs", [
    {}, {"reduction": "sum"}, {"reduction": "none"}, {"label_smoothing": 0.1},
    {"weight": [1.0, 2.0, 0.5, 1.0]},
])
def test_cross_entropy_finite_for_logits_of_1e4(kwargs):
    gx, tx = _both(BIG)
    target = np.array([1, 0, 3])  # the worst targets: logit 2e4 below the max
    kw_g = dict(kwargs)
    kw_t = dict(kwargs)
    if "weight" in kwargs:
        kw_g["weight"] = gb.tensor(np.float32(kwargs["weight"]))
        kw_t["weight"] = torch.tensor(np.float32(kwargs["weight"]))
    g_loss = F.cross_entropy(gx, gb.tensor(target), **kw_g)
    t_loss = TF.cross_entropy(tx, torch.tensor(target), **kw_t)
    g_loss.sum().backward()
    t_loss.sum().backward()
    assert np.all(np.isfinite(g_loss.detach().numpy()))
    assert np.all(np.isfinite(gx.grad.numpy()))
    np.testing.assert_allclose(g_loss.detach().numpy(), t_loss.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), atol=1e-6)


def test_cross_entropy_probability_targets_finite_for_logits_of_1e4():
    gx, tx = _both(BIG)
    probs = np.full((3, 4), 0.25, dtype=np.float32)
    g_loss = F.cross_entropy(gx, gb.tensor(probs))
    t_loss = TF.cross_entropy(tx, torch.tensor(probs))
    g_loss.backward()
    t_loss.backward()
    assert np.isfinite(g_loss.item()) and np.all(np.isfinite(gx.grad.numpy()))
    np.testing.assert_allclose(g_loss.item(), t_loss.item(), rtol=1e-5)
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), atol=1e-6)


def test_bce_with_logits_finite_for_logits_of_1e4():
    logits = np.array([1e4, -1e4, 1e4, -1e4, 0.0])
    target = np.array([0.0, 1.0, 1.0, 0.0, 0.5])
    gx, tx = _both(logits)
    pw = np.float32([3.0])
    g = F.binary_cross_entropy_with_logits(gx, gb.tensor(np.float32(target)), pos_weight=gb.tensor(pw))
    t = TF.binary_cross_entropy_with_logits(tx, torch.tensor(np.float32(target)), pos_weight=torch.tensor(pw))
    g.backward()
    t.backward()
    assert np.isfinite(g.item()) and np.all(np.isfinite(gx.grad.numpy()))
    np.testing.assert_allclose(g.item(), t.item(), rtol=1e-5)
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), atol=1e-6)


def test_binary_cross_entropy_clamps_log_at_minus_100_like_torch():
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    target = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    gx, tx = _both(x)
    g = F.binary_cross_entropy(gx, gb.tensor(np.float32(target)), reduction="sum")
    t = TF.binary_cross_entropy(tx, torch.tensor(np.float32(target)), reduction="sum")
    g.backward()
    t.backward()
    np.testing.assert_allclose(g.item(), t.item(), rtol=1e-6)  # 200 + log 2: finite
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-6)  # +-1e12 at the ends


# ---------------------------------------------------------------------------------------------
# class indices out of range


@pytest.mark.parametrize("bad", [12, 10, -3])
@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_class_index_out_of_range_names_index_and_classes(fn, bad):
    target = gb.tensor([1, bad, 2])
    with pytest.raises(IndexError, match=rf"{fn}: target {bad} is out of range for 10 classes"):
        getattr(F, fn)(gb.randn(3, 10), target)
    with pytest.raises(IndexError):  # torch raises the same class
        getattr(TF, fn)(torch.randn(3, 10), torch.tensor([1, bad, 2]))


def test_class_index_out_of_range_in_spatial_layout():
    target = np.zeros((2, 3, 3), dtype=np.int64)
    target[1, 2, 0] = 7
    with pytest.raises(IndexError, match="target 7 is out of range for 4 classes"):
        F.cross_entropy(gb.randn(2, 4, 3, 3), gb.tensor(target))


def test_ignore_index_may_lie_outside_the_classes():
    loss = F.cross_entropy(gb.randn(3, 4), gb.tensor([1, -100, 2]))
    assert np.isfinite(loss.item())
    loss = F.nll_loss(gb.randn(3, 4), gb.tensor([1, 9, 2]), ignore_index=9)
    assert np.isfinite(loss.item())


def test_all_targets_ignored_gives_nan_like_torch():
    for kw in ({}, {"label_smoothing": 0.1}):
        g = F.cross_entropy(gb.randn(2, 3), gb.tensor([-100, -100]), **kw)
        t = TF.cross_entropy(torch.randn(2, 3), torch.tensor([-100, -100]), **kw)
        assert np.isnan(g.item()) and np.isnan(t.item())


# ---------------------------------------------------------------------------------------------
# mismatched shapes are refused, never broadcast

PAIRS = [
    ("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}), ("huber_loss", {}),
    ("binary_cross_entropy", {}), ("binary_cross_entropy_with_logits", {}), ("kl_div", {}),
]


@pytest.mark.parametrize("name,kw", PAIRS, ids=[p[0] for p in PAIRS])
def test_mismatched_shapes_are_refused(name, kw):
    x = gb.full((4, 1), 0.5)  # a (N, 1) prediction ...
    t = gb.full((4,), 0.5)  # ... against an (N,) target: broadcasting would give (4, 4)
    with pytest.raises(ValueError, match=rf"{name}: input shape \(4, 1\) and target shape \(4,\)"):
        getattr(F, name)(x, t, **kw)


def test_cross_entropy_refuses_mismatched_targets():
    with pytest.raises(ValueError, match=r"target shape \(3, 5\)"):  # probabilities
        F.cross_entropy(gb.randn(3, 4), gb.rand(3, 5))
    with pytest.raises(ValueError, match=r"expected target of shape \(3,\)"):  # indices
        F.cross_entropy(gb.randn(3, 4), gb.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"expected target of shape \(2, 5\)"):
        F.cross_entropy(gb.randn(2, 4, 5), gb.tensor(np.zeros((2, 4), dtype=np.int64)))
    with pytest.raises(ValueError):  # torch also raises a ValueError for the batch size
        TF.cross_entropy(torch.randn(3, 4), torch.tensor([0, 1]))


# ---------------------------------------------------------------------------------------------
# reductions

LOSSES = {
    "cross_entropy": lambda m, **kw: m.cross_entropy(torch_or_gb(m).randn(3, 4), torch_or_gb(m).tensor([0, 1, 2]), **kw),
    "nll_loss": lambda m, **kw: m.nll_loss(torch_or_gb(m).randn(3, 4), torch_or_gb(m).tensor([0, 1, 2]), **kw),
    "mse_loss": lambda m, **kw: m.mse_loss(torch_or_gb(m).ones(3), torch_or_gb(m).ones(3), **kw),
    "l1_loss": lambda m, **kw: m.l1_loss(torch_or_gb(m).ones(3), torch_or_gb(m).ones(3), **kw),
    "smooth_l1_loss": lambda m, **kw: m.smooth_l1_loss(torch_or_gb(m).ones(3), torch_or_gb(m).ones(3), **kw),
    "huber_loss": lambda m, **kw: m.huber_loss(torch_or_gb(m).ones(3), torch_or_gb(m).ones(3), **kw),
    "binary_cross_entropy": lambda m, **kw: m.binary_cross_entropy(torch_or_gb(m).full((3,), 0.5), torch_or_gb(m).ones(3), **kw),
    "binary_cross_entropy_with_logits": lambda m, **kw: m.binary_cross_entropy_with_logits(torch_or_gb(m).ones(3), torch_or_gb(m).ones(3), **kw),
    "kl_div": lambda m, **kw: m.kl_div(torch_or_gb(m).ones(3), torch_or_gb(m).ones(3), **kw),
}


def torch_or_gb(functional):
    return torch if functional is TF else gb


@pytest.mark.parametrize("name", LOSSES)
def test_invalid_reduction_raises_value_error_like_torch(name):
    with pytest.raises(ValueError, match=rf"{name}: 'avg' is not a valid value for reduction"):
        LOSSES[name](F, reduction="avg")
    with pytest.raises(ValueError):
        LOSSES[name](TF, reduction="avg")


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_reductions_give_torch_shapes_and_dtypes(name, reduction):
    g = LOSSES[name](F, reduction=reduction)
    t = LOSSES[name](TF, reduction=reduction)
    assert g.shape == tuple(t.shape)
    assert str(g.dtype) == str(t.dtype).replace("torch.", "")


def test_kl_div_mean_vs_batchmean():
    rng = np.random.default_rng(0)
    x = np.log(rng.dirichlet(np.ones(5), size=4)).astype(np.float32)
    t = rng.dirichlet(np.ones(5), size=4).astype(np.float32)
    total = F.kl_div(gb.tensor(x), gb.tensor(t), reduction="sum").item()
    assert np.isclose(F.kl_div(gb.tensor(x), gb.tensor(t), reduction="batchmean").item(), total / 4)
    assert np.isclose(F.kl_div(gb.tensor(x), gb.tensor(t)).item(), total / 20)  # per element
    assert np.isclose(total / 4, TF.kl_div(torch.tensor(x), torch.tensor(t), reduction="batchmean").item(), rtol=1e-5)


def test_empty_batch_mean_is_nan_like_torch():
    g = F.mse_loss(gb.zeros(0, 3), gb.zeros(0, 3))
    t = TF.mse_loss(torch.zeros(0, 3), torch.zeros(0, 3))
    assert np.isnan(g.item()) and np.isnan(t.item())


# ---------------------------------------------------------------------------------------------
# other argument errors: the same class as torch

ERROR_CASES = [
    ("ce_label_smoothing", lambda m, F_: F_.cross_entropy(m.randn(2, 3), m.tensor([0, 1]), label_smoothing=1.5)),
    ("ce_weight_size", lambda m, F_: F_.cross_entropy(m.randn(2, 3), m.tensor([0, 1]), weight=m.ones(4))),
    ("ce_prob_ignore_index", lambda m, F_: F_.cross_entropy(m.randn(2, 3), m.rand(2, 3), ignore_index=1)),
    ("ce_weight_requires_grad", lambda m, F_: F_.cross_entropy(m.randn(2, 3), m.tensor([0, 1]), weight=m.ones(3, requires_grad=True))),
    ("bce_input_range", lambda m, F_: F_.binary_cross_entropy(m.tensor([1.5]), m.tensor([1.0]))),
    ("bce_weight_requires_grad", lambda m, F_: F_.binary_cross_entropy(m.rand(3), m.rand(3), weight=m.rand(3, requires_grad=True))),
    ("bcel_pos_weight_requires_grad", lambda m, F_: F_.binary_cross_entropy_with_logits(m.rand(3), m.rand(3), pos_weight=m.rand(3, requires_grad=True))),
    ("smooth_l1_negative_beta", lambda m, F_: F_.smooth_l1_loss(m.rand(3), m.rand(3), beta=-1.0)),
    ("huber_zero_delta", lambda m, F_: F_.huber_loss(m.rand(3), m.rand(3), delta=0.0)),
    ("bce_shape", lambda m, F_: F_.binary_cross_entropy(m.rand(3), m.rand(3, 1))),
    ("bcel_shape", lambda m, F_: F_.binary_cross_entropy_with_logits(m.rand(3), m.rand(3, 1))),
]


@pytest.mark.parametrize("name,call", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_error_class_matches_torch(name, call):
    with pytest.raises(Exception) as torch_err:
        call(torch, TF)
    with pytest.raises(Exception) as gb_err:
        call(gb, F)
    assert isinstance(gb_err.value, type(torch_err.value)), (
        f"{name}: glassbox raised {type(gb_err.value).__name__}: {gb_err.value}; torch "
        f"{type(torch_err.value).__name__}"
    )


def test_float64_target_promotes_like_torch():
    g = F.mse_loss(gb.ones(3), gb.zeros(3, dtype=gb.float64))
    t = TF.mse_loss(torch.ones(3), torch.zeros(3, dtype=torch.float64))
    assert g.dtype == gb.float64 and t.dtype == torch.float64
