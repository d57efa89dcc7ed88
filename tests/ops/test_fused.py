"""Fused ops beyond the spec table: dropout's randomness (statistics, mask consistency between
forward and backward, seeding), attention dropout, errors compared with torch, and a meta-test
that a broken VJP of each fused op is caught by gradcheck.

Parity and gradchecks of the deterministic cases live in specs.py (NN list).
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassbox as gb
import glassbox.nn.functional as F
from glassbox.ops import fused, loss, norm

# ---------------------------------------------------------------------------------------------
# dropout


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics(p):
    """About a fraction p is zeroed, the rest is scaled by 1/(1-p): the mean is preserved."""
    x = gb.ones(200, 500)
    y = F.dropout(x, p).numpy()
    zero_frac = np.mean(y == 0)
    # 100,000 Bernoulli draws: the standard error of the fraction is below 0.0016
    assert abs(zero_frac - p) < 0.01, zero_frac
    kept = y[y != 0]
    np.testing.assert_allclose(kept, 1 / (1 - p), rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.05
    assert y.dtype == np.float32


def test_dropout_same_mask_forward_and_backward():
    """The gradient is the upstream gradient times the very mask used in forward."""
    x = gb.tensor(np.random.default_rng(0).uniform(0.5, 1.5, (50, 40)).astype(np.float32),
                  requires_grad=True)
    y = F.dropout(x, 0.4)
    upstream = np.random.default_rng(1).standard_normal((50, 40)).astype(np.float32)
    y.backward(gb.tensor(upstream))
    mask = y.detach().numpy() / x.detach().numpy()  # 0 or 1/(1-p) per element
    assert np.all(np.isclose(mask, 0) | np.isclose(mask, 1 / 0.6, rtol=1e-5))
    assert 0 < np.mean(mask == 0) < 1
    np.testing.assert_allclose(x.grad.numpy(), upstream * mask, rtol=1e-6)


def test_dropout_seeded_and_fresh_masks():
    gb.manual_seed(123)
    a = F.dropout(gb.ones(1000)).numpy()
    b = F.dropout(gb.ones(1000)).numpy()
    gb.manual_seed(123)
    c = F.dropout(gb.ones(1000)).numpy()
    np.testing.assert_array_equal(a, c)  # same seed, same mask
    assert not np.array_equal(a, b)  # a new mask every call


def test_dropout_identity_cases_return_input():
    x = gb.randn(3, 4, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x  # as torch: the same tensor
    assert F.dropout(x, 0.0) is x
    assert F.dropout2d(gb.randn(2, 3, 4, 4), training=False).shape == (2, 3, 4, 4)


def test_dropout_p_one_gives_zeros_not_nan():
    x = gb.randn(5, 6, requires_grad=True)
    y = F.dropout(x, 1.0)
    y.backward(gb.ones(5, 6))
    assert np.all(y.detach().numpy() == 0)
    assert np.all(x.grad.numpy() == 0)


@pytest.mark.parametrize("p", [-0.1, 1.5])
@pytest.mark.parametrize("fn", ["dropout", "dropout2d"])
def test_dropout_bad_p_raises_like_torch(fn, p):
    with pytest.raises(ValueError, match="between 0 and 1"):
        getattr(F, fn)(gb.ones(2, 3, 4), p)
    with pytest.raises(ValueError):
        getattr(TF, fn)(torch.ones(2, 3, 4), p)


def test_dropout2d_drops_whole_channels():
    p = 0.3
    x = gb.ones(40, 50, 3, 3, requires_grad=True)
    y = F.dropout2d(x, p)
    v = y.detach().numpy()
    per_channel = v.reshape(40, 50, 9)
    # every (sample, channel) is all zeros or all 1/(1-p)
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))
    dropped = np.mean(per_channel[:, :, 0] == 0)
    assert abs(dropped - p) < 0.05  # 2,000 channels: standard error 0.01
    y.backward(gb.ones(40, 50, 3, 3))
    np.testing.assert_array_equal(x.grad.numpy(), v)  # same mask in backward


def test_dropout2d_3d_input_masks_dims_0_and_1_like_torch():
    # torch 2.13 reads a 3-D input as (N, C, L): one draw per (dim 0, dim 1) pair
    y = F.dropout2d(gb.ones(30, 40, 5), 0.5).numpy()
    assert np.all(y.min(axis=2) == y.max(axis=2))
    assert 0 < np.mean(y == 0) < 1


# ---------------------------------------------------------------------------------------------
# attention dropout


def _np_softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_attention_dropout_mask_consistent_in_backward():
    """With value = identity, the output IS the dropped-out probability matrix P'.

    Then dV = P'^T dO must use the same P', and dQ must follow from P, the same mask and
    the softmax VJP, computed here independently in NumPy (float64).
    """
    rng = np.random.default_rng(0)
    L = S = 6
    E = 4
    q = gb.tensor(rng.standard_normal((L, E)), requires_grad=True)
    k = gb.tensor(rng.standard_normal((S, E)), requires_grad=True)
    v = gb.tensor(np.eye(S), requires_grad=True)
    p = 0.3
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=p)
    G = rng.standard_normal((L, S))
    out.backward(gb.tensor(G))
    pd = out.detach().numpy()  # P * mask / (1 - p)
    scale = 1 / math.sqrt(E)
    P = _np_softmax(q.detach().numpy() @ k.detach().numpy().T * scale)
    mask = pd / P  # 0 or 1/(1-p)
    assert set(np.round(np.unique(mask), 6)) == {0.0, round(1 / (1 - p), 6)}
    np.testing.assert_allclose(v.grad.numpy(), pd.T @ G, atol=1e-12)
    dP = (G @ np.eye(S).T) * mask
    dS = P * (dP - (dP * P).sum(-1, keepdims=True))
    np.testing.assert_allclose(q.grad.numpy(), dS @ k.detach().numpy() * scale, atol=1e-12)
    np.testing.assert_allclose(k.grad.numpy(), dS.T @ q.detach().numpy() * scale, atol=1e-12)


def test_attention_dropout_preserves_expectation():
    """Averaged over many masks, attention with dropout equals attention without."""
    rng = np.random.default_rng(1)
    q, k, v = (gb.tensor(rng.standard_normal((3, 5, 4)).astype(np.float32)) for _ in range(3))
    exact = F.scaled_dot_product_attention(q, k, v).numpy()
    runs = [F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).numpy() for _ in range(4000)]
    mean = np.mean(runs, axis=0)
    # each output is a sum of 5 terms |P v| < ~3; 4,000 runs: standard error well below 0.05
    np.testing.assert_allclose(mean, exact, atol=0.08)
    assert not np.allclose(runs[0], exact)  # dropout did something


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("magnitude", [1.0, 30.0, 300.0])
def test_attention_matches_torch_when_the_shift_bound_is_loose(magnitude, causal):
    """Large, nearly orthogonal q and k: |q||k| far above every score. The softmax is shifted
    by that bound, so the terms underflow and the exact (row max) softmax must take over."""
    rng = np.random.default_rng(2)
    q = rng.standard_normal((2, 3, 6, 8)) * magnitude
    k = rng.standard_normal((2, 3, 6, 8)) * magnitude
    v = rng.standard_normal((2, 3, 6, 4))
    g = rng.standard_normal((2, 3, 6, 4))
    for dtype in (np.float32, np.float64):
        gq, gk, gv = (gb.tensor(a.astype(dtype), requires_grad=True) for a in (q, k, v))
        tq, tk, tv = (torch.tensor(a.astype(dtype), requires_grad=True) for a in (q, k, v))
        go = F.scaled_dot_product_attention(gq, gk, gv, is_causal=causal)
        to = TF.scaled_dot_product_attention(tq, tk, tv, is_causal=causal)
        go.backward(gb.tensor(g.astype(dtype)))
        to.backward(torch.tensor(g.astype(dtype)))
        tol = 1e-4 if dtype == np.float32 else 1e-9
        np.testing.assert_allclose(go.detach().numpy(), to.detach().numpy(), atol=tol, rtol=tol)
        for a, b in ((gq, tq), (gk, tk), (gv, tv)):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=tol * 10, rtol=tol)


def test_attention_fully_masked_rows_give_zeros():
    q = gb.randn(4, 3, requires_grad=True)
    keep = np.ones((4, 5), dtype=bool)
    keep[1] = False  # query 1 may attend to nothing
    out = F.scaled_dot_product_attention(q, gb.randn(5, 3), gb.randn(5, 2), attn_mask=gb.tensor(keep))
    out.backward(gb.ones(4, 2))
    assert np.all(out.detach().numpy()[1] == 0) and np.all(np.isfinite(out.detach().numpy()))
    assert np.all(q.grad.numpy()[1] == 0)


# ---------------------------------------------------------------------------------------------
# linear: work skipped for inputs that need no gradient


def test_linear_saves_only_what_backward_needs():
    x = gb.randn(4, 5)  # a first layer's input: no gradient wanted
    w = gb.randn(3, 5, requires_grad=True)
    y = F.linear(x, w)
    fn = y.grad_fn
    assert fn.w2 is None  # dX is not computed, so W is not kept for it
    assert fn.x2 is not None
    y.backward(gb.ones(4, 3))
    assert x.grad is None
    np.testing.assert_allclose(w.grad.numpy(), np.ones((3, 4)) @ x.numpy(), rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# errors: the same exception class as torch (glassbox's also say which op and which shapes)

ERROR_CASES = [
    ("linear_features", lambda m, F_: F_.linear(m.ones(3, 4), m.ones(5, 3))),
    ("linear_dtype", lambda m, F_: F_.linear(m.ones(3, 4), m.ones(5, 4, dtype=m.float64))),
    ("linear_bias", lambda m, F_: F_.linear(m.ones(3, 4), m.ones(5, 4), m.ones(4))),
    ("embedding_out_of_range", lambda m, F_: F_.embedding(m.tensor([5]), m.ones(3, 2))),
    ("embedding_negative", lambda m, F_: F_.embedding(m.tensor([-1]), m.ones(3, 2))),
    ("embedding_float_index", lambda m, F_: F_.embedding(m.tensor([1.0]), m.ones(3, 2))),
    ("sdpa_features", lambda m, F_: F_.scaled_dot_product_attention(m.ones(2, 4), m.ones(3, 5), m.ones(3, 5))),
    ("sdpa_mask_dtype", lambda m, F_: F_.scaled_dot_product_attention(m.ones(2, 4), m.ones(3, 4), m.ones(3, 4), attn_mask=m.ones(2, 3, dtype=m.float64))),
    ("sdpa_causal_and_mask", lambda m, F_: F_.scaled_dot_product_attention(m.ones(2, 4, requires_grad=True), m.ones(2, 4), m.ones(2, 4), attn_mask=m.ones(2, 2, dtype=m.bool), is_causal=True)),
    ("cosine_dim", lambda m, F_: F_.cosine_similarity(m.ones(5), m.ones(5))),
    ("cosine_broadcast", lambda m, F_: F_.cosine_similarity(m.ones(2, 3), m.ones(4, 3))),
    ("normalize_dim", lambda m, F_: F_.normalize(m.ones(2, 3), dim=2)),
    ("layer_norm_shape", lambda m, F_: F_.layer_norm(m.ones(3, 4), (5,))),
    ("layer_norm_weight", lambda m, F_: F_.layer_norm(m.ones(3, 4), (4,), m.ones(3))),
    ("group_norm_groups", lambda m, F_: F_.group_norm(m.ones(2, 6, 3), 4)),
    ("group_norm_1d", lambda m, F_: F_.group_norm(m.ones(6), 3)),
    ("batch_norm_one_value", lambda m, F_: F_.batch_norm(m.ones(1, 3), None, None, training=True)),
    ("batch_norm_eval_no_stats", lambda m, F_: F_.batch_norm(m.ones(2, 3), None, None)),
    ("batch_norm_stats_size", lambda m, F_: F_.batch_norm(m.ones(2, 3), m.zeros(4), m.ones(4))),
]


@pytest.mark.parametrize("name,call", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_error_class_matches_torch(name, call):
    with pytest.raises(Exception) as torch_err:
        call(torch, TF)
    with pytest.raises(Exception) as gb_err:
        call(gb, F)
    assert isinstance(gb_err.value, type(torch_err.value)), (
        f"{name}: glassbox raised {type(gb_err.value).__name__}, torch "
        f"{type(torch_err.value).__name__}"
    )
    assert not isinstance(gb_err.value, AssertionError)


def test_shape_errors_are_also_value_errors():
    # glassbox's convention (ValueError for bad shapes) and torch's class (RuntimeError) at once
    with pytest.raises(ValueError, match=r"linear: input has 4 features .* weight \(5, 3\)"):
        F.linear(gb.ones(3, 4), gb.ones(5, 3))
    with pytest.raises(ValueError, match=r"layer_norm: given normalized_shape=\[5\]"):
        F.layer_norm(gb.ones(3, 4), (5,))


def test_embedding_out_of_range_names_index_and_size():
    with pytest.raises(IndexError, match="index 7 is out of range for 3 embeddings"):
        F.embedding(gb.tensor([0, 7]), gb.ones(3, 2))


@pytest.mark.parametrize("num,n", [(50, 400), (5, 1000), (1000, 30), (7, 0)])
def test_embedding_scatter_sums_repeated_indices(num, n):
    rng = np.random.default_rng(0)
    idx = rng.integers(0, num, n)
    rows = rng.standard_normal((n, 6))
    expected = np.zeros((num, 6))
    for i, r in zip(idx, rows):
        expected[i] += r
    np.testing.assert_allclose(fused._scatter_rows(idx, rows, num), expected, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Meta-test: each fused VJP, broken on purpose, must be caught by gradcheck


def _gradcheck_case(name):
    rng = np.random.default_rng(3)

    def t(*shape, low=-1.0, high=1.0):
        return gb.tensor(rng.uniform(low, high, shape), requires_grad=True)

    cases = {
        "Linear": (fused.Linear, lambda a, b: F.linear(a, b), (t(3, 4), t(2, 4))),
        "Attention": (fused.Attention, lambda a, b, c: F.scaled_dot_product_attention(a, b, c),
                      (t(3, 2), t(4, 2), t(4, 2))),
        "Embedding": (fused.Embedding, lambda w: F.embedding(gb.tensor([0, 2, 2]), w), (t(3, 2),)),
        "CosineSimilarity": (fused.CosineSimilarity, F.cosine_similarity, (t(2, 3), t(2, 3))),
        "Normalize": (fused.Normalize, F.normalize, (t(2, 3),)),
        "LayerNorm": (norm.LayerNorm, lambda a: F.layer_norm(a, (4,)), (t(2, 4),)),
        "GroupNorm": (norm.GroupNorm, lambda a: F.group_norm(a, 2), (t(2, 4, 2),)),
        "BatchNorm": (norm.BatchNorm, lambda a: F.batch_norm(a, None, None, training=True),
                      (t(4, 2),)),
        "CrossEntropyIndex": (loss.CrossEntropyIndex,
                              lambda a: F.cross_entropy(a, gb.tensor([1, 0, 2])), (t(3, 3),)),
        "CrossEntropyProb": (loss.CrossEntropyProb, F.cross_entropy, (t(3, 3), t(3, 3))),
        "NLLLoss": (loss.NLLLoss, lambda a: F.nll_loss(a, gb.tensor([1, 0, 2])), (t(3, 3),)),
        "MSELoss": (loss.MSELoss, F.mse_loss, (t(3, 2), t(3, 2))),
        "BCELoss": (loss.BCELoss, F.binary_cross_entropy,
                    (t(3, 2, low=0.1, high=0.9), t(3, 2, low=0.0, high=1.0))),
        "BCEWithLogitsLoss": (loss.BCEWithLogitsLoss, F.binary_cross_entropy_with_logits,
                              (t(3, 2), t(3, 2))),
        "KLDivLoss": (loss.KLDivLoss, F.kl_div, (t(3, 2), t(3, 2, low=0.1, high=1.0))),
    }
    return cases[name]


META = ["Linear", "Attention", "Embedding", "CosineSimilarity", "Normalize", "LayerNorm",
        "GroupNorm", "BatchNorm", "CrossEntropyIndex", "CrossEntropyProb", "NLLLoss", "MSELoss",
        "BCELoss", "BCEWithLogitsLoss", "KLDivLoss"]


@pytest.mark.parametrize("name", META)
def test_broken_vjp_is_caught(name, monkeypatch):
    cls, fn, inputs = _gradcheck_case(name)
    assert gb.autograd.gradcheck(fn, inputs)  # the real VJP passes
    real = cls.backward

    def broken(self, g):
        grads = real(self, g)
        grads = grads if isinstance(grads, tuple) else (grads,)
        first = next(i for i, gr in enumerate(grads) if gr is not None)
        bad = list(grads)
        bad[first] = bad[first] * 1.01 + 1e-3  # a small error in one input's gradient
        return tuple(bad) if len(bad) > 1 else bad[0]

    monkeypatch.setattr(cls, "backward", broken)
    with pytest.raises(gb.autograd.GradcheckError):
        gb.autograd.gradcheck(fn, inputs)


def test_attention_in_several_row_blocks_matches_torch_with_and_without_grad():
    """Big batches are computed a block of rows at a time (partial last block included)."""
    rng = np.random.default_rng(5)
    q, k, v = (rng.standard_normal((70, 2, 64, 8)).astype(np.float32) for _ in range(3))
    g = rng.standard_normal((70, 2, 64, 8)).astype(np.float32)
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    ref = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=True)
    ref.backward(torch.tensor(g))
    gq, gk, gv = (gb.tensor(a, requires_grad=True) for a in (q, k, v))
    out = F.scaled_dot_product_attention(gq, gk, gv, is_causal=True)
    out.backward(gb.tensor(g))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), atol=1e-5)
    for mine, theirs in ((gq, tq), (gk, tk), (gv, tv)):
        np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), atol=1e-4)
    with gb.no_grad():  # inference keeps one block of probabilities at a time
        again = F.scaled_dot_product_attention(gq, gk, gv, is_causal=True)
    np.testing.assert_array_equal(again.numpy(), out.detach().numpy())


def test_gelu_in_several_blocks_matches_torch_with_and_without_grad():
    rng = np.random.default_rng(6)
    x = (rng.standard_normal((601, 500)) * 3).astype(np.float32)  # 300,500: two blocks
    g = rng.standard_normal(x.shape).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.gelu(tx)
    ref.backward(torch.tensor(g))
    gx = gb.tensor(x, requires_grad=True)
    out = F.gelu(gx)
    out.backward(gb.tensor(g))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), atol=2e-6)
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), atol=2e-6)
    with gb.no_grad():
        np.testing.assert_array_equal(F.gelu(gx).numpy(), out.detach().numpy())
