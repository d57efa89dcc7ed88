"""Behaviour the parity table cannot pin down: random layers (dropout) checked by statistics,
the embedding's padding row and max_norm, BatchNorm's modes and counters, Bilinear against
its formula, and F.bilinear against torch."""

import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn


def test_dropout_zeroes_a_fraction_p_and_scales_the_rest():
    gb.manual_seed(0)
    x = gb.ones(200, 100, requires_grad=True)
    y = nn.Dropout(0.3)(x)
    v = y.detach().numpy()
    np.testing.assert_allclose(np.unique(v), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((v == 0).mean() - 0.3) < 0.01
    y.backward(gb.ones(200, 100))
    np.testing.assert_array_equal(x.grad.numpy(), v)  # the same mask scales the gradient


def test_dropout_is_identity_in_eval_and_repeatable_with_a_seed():
    d = nn.Dropout(0.5)
    x = gb.randn(50, 20)
    d.eval()
    np.testing.assert_array_equal(d(x).numpy(), x.numpy())
    d.train()
    gb.manual_seed(3)
    a = d(x).numpy()
    gb.manual_seed(3)
    np.testing.assert_array_equal(a, d(x).numpy())
    assert nn.Dropout(1.0)(x).numpy().sum() == 0  # p=1 drops everything (no nan)


def test_dropout2d_drops_whole_channels():
    gb.manual_seed(0)
    y = nn.Dropout2d(0.4)(gb.ones(64, 32, 3, 3)).numpy()
    per_channel = y.reshape(64, 32, 9)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))  # constant over each channel
    assert abs((per_channel[..., 0] == 0).mean() - 0.4) < 0.03
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.6], rtol=1e-6)


def test_embedding_padding_row_gets_no_gradient_and_never_changes():
    emb = nn.Embedding(5, 3, padding_idx=2)
    idx = gb.tensor([[2, 0, 2], [1, 2, 4]])
    out = emb(idx)
    np.testing.assert_array_equal(out.detach().numpy()[0, 0], np.zeros(3))
    out.sum().backward()
    g = emb.weight.grad.numpy()
    assert not g[2].any() and g[0].all() and not g[3].any()  # padding and unused rows: 0
    with gb.no_grad():
        emb.weight.sub_(emb.weight.grad, alpha=0.5)
    np.testing.assert_array_equal(emb.weight.detach().numpy()[2], np.zeros(3))


def test_embedding_max_norm_renormalises_only_looked_up_rows_like_torch():
    gb.manual_seed(0)
    g = nn.Embedding(6, 4, max_norm=1.0)
    with gb.no_grad():
        g.weight.mul_(3.0)
    t = torch.nn.Embedding(6, 4, max_norm=1.0)
    t.load_state_dict({"weight": torch.tensor(g.weight.detach().numpy())})
    idx = [[0, 2, 2]]
    g(gb.tensor(idx)), t(torch.tensor(idx))
    w = g.weight.detach().numpy()
    np.testing.assert_allclose(w, t.weight.detach().numpy(), rtol=1e-6)
    norms = np.linalg.norm(w, axis=1)
    assert norms[0] <= 1.0 and norms[2] <= 1.0 and norms[1] > 1.0  # row 1 was not looked up


def test_embedding_from_pretrained_shares_and_freezes():
    table = gb.tensor([[1.0, 2.0], [3.0, 4.0]])
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad
    assert emb(gb.tensor([1])).tolist() == [[3.0, 4.0]]
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    ref = torch.nn.Embedding.from_pretrained(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert repr(emb) == repr(ref)


def test_batchnorm_counts_batches_only_in_training_and_eval_ignores_the_batch():
    bn = nn.BatchNorm1d(3)
    assert bn.num_batches_tracked.shape == () and bn.num_batches_tracked.dtype == np.int64
    for _ in range(4):
        bn(gb.randn(16, 3) * 2 + 1)
    assert bn.num_batches_tracked.item() == 4
    bn.eval()
    x = gb.randn(8, 3)
    before = bn.running_mean.numpy().copy()
    full = bn(x).detach().numpy()
    alone = bn(x[:1]).detach().numpy()  # one sample: fine in eval, uses the running stats
    np.testing.assert_allclose(full[:1], alone, rtol=1e-6)
    assert bn.num_batches_tracked.item() == 4
    np.testing.assert_array_equal(bn.running_mean.numpy(), before)


def test_batchnorm_cumulative_average_is_the_mean_of_batch_means():
    bn = nn.BatchNorm1d(2, momentum=None)
    means = []
    for k in range(5):
        x = gb.randn(10, 2) + k
        means.append(x.numpy().mean(0))
        bn(x)
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean(means, 0), rtol=1e-5)


def test_batchnorm_in_training_refuses_a_single_value_per_channel():
    with pytest.raises(ValueError, match=r"BatchNorm1d.*more than 1 value"):
        nn.BatchNorm1d(3)(gb.randn(1, 3))


def test_bilinear_matches_its_formula_and_torch_functional():
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((4, 3)), rng.standard_normal((4, 5))
    w, b = rng.standard_normal((2, 3, 5)), rng.standard_normal(2)
    expected = np.einsum("ni,kij,nj->nk", x1, w, x2) + b
    args = [gb.tensor(a, requires_grad=True) for a in (x1, x2, w, b)]
    out = F.bilinear(*args)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-10)
    targs = [torch.tensor(a, requires_grad=True) for a in (x1, x2, w, b)]
    ref = torch.nn.functional.bilinear(*targs)
    up = rng.standard_normal((4, 2))
    out.backward(gb.tensor(up)), ref.backward(torch.tensor(up))
    for a, t in zip(args, targs):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-10)


def test_bilinear_passes_a_float64_gradient_check():
    rng = np.random.default_rng(1)
    args = [gb.tensor(rng.standard_normal(s), requires_grad=True)
            for s in ((2, 3), (2, 4), (5, 3, 4), (5,))]
    assert gb.autograd.gradcheck(F.bilinear, args)


def test_bilinear_refuses_mismatched_inputs():
    w = gb.randn(2, 3, 4)
    with pytest.raises(ValueError, match=r"bilinear: .*\(5, 3\) and \(4, 4\)"):
        F.bilinear(gb.randn(5, 3), gb.randn(4, 4), w)
    with pytest.raises(ValueError, match="3-D"):
        F.bilinear(gb.randn(5, 3), gb.randn(5, 4), gb.randn(3, 4))


def test_conv_transpose_output_size_picks_output_padding_and_checks_range():
    up = nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1)
    x = gb.randn(1, 2, 4, 4)
    assert up(x).shape == (1, 2, 7, 7)
    assert up(x, output_size=(8, 8)).shape == (1, 2, 8, 8)
    assert up(x, output_size=[1, 2, 8, 7]).shape == (1, 2, 8, 7)
    with pytest.raises(ValueError, match=r"ConvTranspose2d: requested an output size of \(9, 9\)"):
        up(x, output_size=(9, 9))
