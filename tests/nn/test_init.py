"""Default initialisations follow torch's formulas: checked on the empirical distribution of
large layers, against the formula and against torch's own layers."""

import math

import numpy as np
import pytest
import torch

import glassbox as gb
from glassbox import nn

# (build(nn), bound of the uniform weight and bias distributions)
UNIFORM = [
    ("Linear", lambda nn: nn.Linear(800, 300), 1 / math.sqrt(800)),
    ("Conv1d", lambda nn: nn.Conv1d(8, 64, 5), 1 / math.sqrt(8 * 5)),
    ("Conv2d", lambda nn: nn.Conv2d(16, 32, 3), 1 / math.sqrt(16 * 9)),
    ("Conv2d-groups", lambda nn: nn.Conv2d(16, 64, 3, groups=4), 1 / math.sqrt(4 * 9)),
    # transposed: weight (in, out/groups, k, k), so fan_in = out/groups * k * k
    ("ConvTranspose2d", lambda nn: nn.ConvTranspose2d(64, 16, 3, groups=2), 1 / math.sqrt(8 * 9)),
    ("Bilinear", lambda nn: nn.Bilinear(20, 30, 60), 1 / math.sqrt(20)),
]


def _arr(t):
    return t.detach().numpy().astype(np.float64)


@pytest.mark.parametrize("name,build,bound", UNIFORM, ids=[u[0] for u in UNIFORM])
def test_uniform_weight_and_bias_bounds_follow_torch(name, build, bound):
    gb.manual_seed(0)
    layer = build(nn)
    w, b = _arr(layer.weight), _arr(layer.bias)
    # U(-bound, bound): inside the bound, reaching close to it, std bound / sqrt(3)
    assert np.abs(w).max() <= bound * (1 + 1e-6)
    assert np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.03 * bound
    assert abs(w.mean()) < 0.03 * bound
    assert np.abs(b).max() <= bound * (1 + 1e-6)
    assert np.abs(b).max() > 0.8 * bound
    # and torch's layer draws from the same distribution
    torch.manual_seed(0)
    ref = build(torch.nn).weight.detach().numpy().astype(np.float64)
    assert abs(w.std() - ref.std()) < 0.04 * ref.std()
    assert abs(np.abs(w).max() - np.abs(ref).max()) < 0.02 * bound


def test_embedding_is_standard_normal():
    gb.manual_seed(0)
    w = _arr(nn.Embedding(2000, 50).weight)
    assert abs(w.mean()) < 0.01
    assert abs(w.std() - 1.0) < 0.01
    assert abs(np.mean(np.abs(w) < 1.0) - 0.6827) < 0.01  # the normal's one-sigma mass


def test_padding_row_is_zero_at_init_and_after_reset():
    gb.manual_seed(0)
    emb = nn.Embedding(5, 4, padding_idx=3)
    assert np.all(_arr(emb.weight)[3] == 0) and np.all(_arr(emb.weight)[[0, 1, 2, 4]] != 0)
    with gb.no_grad():
        emb.weight.add_(1.0)
    emb.reset_parameters()
    assert np.all(_arr(emb.weight)[3] == 0)


@pytest.mark.parametrize("build", [
    lambda: nn.BatchNorm1d(7), lambda: nn.BatchNorm2d(7), lambda: nn.LayerNorm(7),
    lambda: nn.GroupNorm(7, 7)], ids=["BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm"])
def test_norm_layers_start_as_identity_affine(build):
    layer = build()
    np.testing.assert_array_equal(_arr(layer.weight), np.ones(7))
    np.testing.assert_array_equal(_arr(layer.bias), np.zeros(7))


def test_batchnorm_reset_parameters_resets_running_stats():
    bn = nn.BatchNorm1d(3)
    bn(gb.randn(8, 3) * 5 + 2)
    assert bn.num_batches_tracked.item() == 1 and not np.allclose(_arr(bn.running_mean), 0)
    bn.reset_parameters()
    np.testing.assert_array_equal(_arr(bn.running_mean), np.zeros(3))
    np.testing.assert_array_equal(_arr(bn.running_var), np.ones(3))
    assert bn.num_batches_tracked.item() == 0 and bn.num_batches_tracked.dtype == np.int64


def test_reset_parameters_redraws_and_seed_repeats():
    gb.manual_seed(1)
    a = nn.Linear(10, 10)
    first = _arr(a.weight).copy()
    a.reset_parameters()
    assert not np.array_equal(first, _arr(a.weight))
    gb.manual_seed(1)
    np.testing.assert_array_equal(first, _arr(nn.Linear(10, 10).weight))


@pytest.mark.parametrize("build", [
    lambda dt: nn.Linear(3, 4, dtype=dt), lambda dt: nn.Conv2d(2, 3, 3, dtype=dt),
    lambda dt: nn.BatchNorm1d(3, dtype=dt), lambda dt: nn.LayerNorm(3, dtype=dt),
    lambda dt: nn.Embedding(5, 3, dtype=dt)], ids=["Linear", "Conv2d", "BatchNorm1d",
                                                   "LayerNorm", "Embedding"])
def test_dtype_argument_sets_parameter_dtype(build):
    layer = build(gb.float64)
    assert {p.dtype for p in layer.parameters()} == {np.dtype(np.float64)}
    assert {b.dtype for n, b in layer.named_buffers() if n != "num_batches_tracked"} <= {
        np.dtype(np.float64)}
    assert {p.dtype for p in build(None).parameters()} == {np.dtype(np.float32)}
