"""MultiheadAttention, Transformer layers and positional encodings: parity with torch 2.13
(outputs, attention weights, every gradient) given the same weights, plus error messages.
"""

import numpy as np
import pytest
import torch

import glassbox as gb
from glassbox import nn

TOL = 2e-5


def _np(t):
    return t.detach().numpy()


def _close(a, b, what, tol=TOL):
    a, b = _np(a), _np(b)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != torch {b.shape}"
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=what)


def _copy_weights(g, t):
    sd = g.state_dict()
    assert list(sd) == list(t.state_dict()), f"keys {list(sd)} != torch {list(t.state_dict())}"
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in sd.items()})


def _rand(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def _run(g, t, arrays, kw_g, kw_t, seed=0, tol=TOL):
    """Forward both with the same arrays, compare all outputs, backprop a random projection of
    every float output, compare input and parameter gradients."""
    gi = [gb.tensor(a, requires_grad=True) for a in arrays]
    ti = [torch.tensor(a, requires_grad=True) for a in arrays]
    go, to = g(*gi, **kw_g), t(*ti, **kw_t)
    go = list(go) if isinstance(go, tuple) else [go]
    to = list(to) if isinstance(to, tuple) else [to]
    rng = np.random.default_rng(seed + 7)
    gl = tl = 0
    for k, (a, b) in enumerate(zip(go, to)):
        assert (a is None) == (b is None), f"output {k}: {a} vs torch {b}"
        if a is None:
            continue
        _close(a, b, f"output {k}", tol)
        up = _rand(rng, *b.shape)
        gl = gl + (a * gb.tensor(up)).sum()
        tl = tl + (b * torch.tensor(up)).sum()
    gl.backward()
    tl.backward()
    for k, (a, b) in enumerate(zip(gi, ti)):
        _close(a.grad, b.grad, f"grad of input {k}", tol)
    tp = dict(t.named_parameters())
    for name, p in g.named_parameters():
        _close(p.grad, tp[name].grad, f"grad of {name}", tol)
    return go


def _mha_pair(*args, **kwargs):
    g = nn.MultiheadAttention(*args, **kwargs)
    t = torch.nn.MultiheadAttention(*args, **kwargs)
    _copy_weights(g, t)
    return g, t


def _masks(kind, N, h, L, S, rng):
    """(glassbox kwargs, torch kwargs) for one kind of mask."""
    kw = {}
    if kind == "bool2d":
        m = rng.random((L, S)) < 0.3
        m[:, 0] = False  # every query keeps a key (a fully masked row is NaN in torch)
        kw["attn_mask"] = m
    elif kind == "float2d":
        kw["attn_mask"] = _rand(rng, L, S)
    elif kind == "bool3d":
        m = rng.random((N * h, L, S)) < 0.3
        m[..., 0] = False
        kw["attn_mask"] = m
    elif kind == "float3d":
        kw["attn_mask"] = _rand(rng, N * h, L, S)
    elif kind == "kpm_bool":
        m = np.zeros((N, S), dtype=bool)
        m[0, -2:] = True
        kw["key_padding_mask"] = m
    elif kind == "kpm_float":
        kw["key_padding_mask"] = _rand(rng, N, S)
    elif kind == "both":
        m = rng.random((L, S)) < 0.3
        m[:, 0] = False
        kpm = np.zeros((N, S), dtype=bool)
        kpm[1, -1] = True
        kw["attn_mask"], kw["key_padding_mask"] = m, kpm
    elif kind == "causal":
        kw["attn_mask"] = np.triu(np.ones((L, S), dtype=bool), 1)
        kw["is_causal"] = True
    return ({k: gb.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()},
            {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()})


@pytest.mark.parametrize("kind", [None, "bool2d", "float2d", "bool3d", "float3d", "kpm_bool",
                                  "kpm_float", "both", "causal"])
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
def test_mha_parity_masks(kind, need_weights, average):
    rng = np.random.default_rng(0)
    E, h, N, L = 8, 2, 2, 5
    S = L if kind == "causal" else 4
    g, t = _mha_pair(E, h, batch_first=True)
    kg, kt = _masks(kind, N, h, L, S, rng)
    extra = {"need_weights": need_weights, "average_attn_weights": average}
    q, k, v = _rand(rng, N, L, E), _rand(rng, N, S, E), _rand(rng, N, S, E)
    _run(g, t, [q, k, v], {**kg, **extra}, {**kt, **extra})


@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_kdim_vdim_no_bias_seq_first(batch_first):
    rng = np.random.default_rng(1)
    g, t = _mha_pair(6, 3, kdim=4, vdim=5, bias=False, batch_first=batch_first)
    shape = (lambda n, s, f: (n, s, f)) if batch_first else (lambda n, s, f: (s, n, f))
    arrays = [_rand(rng, *shape(2, 3, 6)), _rand(rng, *shape(2, 4, 4)),
              _rand(rng, *shape(2, 4, 5))]
    _run(g, t, arrays, {"average_attn_weights": False}, {"average_attn_weights": False})


def test_mha_unbatched_and_per_head_weights_sum_to_one():
    rng = np.random.default_rng(2)
    g, t = _mha_pair(8, 4)
    x = _rand(rng, 5, 8)
    kpm = np.array([False, False, False, True, False])
    out = _run(g, t, [x, x, x], {"key_padding_mask": gb.tensor(kpm),
                                 "average_attn_weights": False},
               {"key_padding_mask": torch.tensor(kpm), "average_attn_weights": False})
    w = _np(out[1])
    assert w.shape == (4, 5, 5)
    np.testing.assert_allclose(w.sum(-1), 1, rtol=1e-5)
    assert np.all(w[..., 3] == 0)


def test_mha_init_matches_torch_distributions():
    g = nn.MultiheadAttention(16, 4)
    w = _np(g.in_proj_weight)
    bound = np.sqrt(6 / (16 + 48))  # xavier on (3E, E)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.all(_np(g.in_proj_bias) == 0) and np.all(_np(g.out_proj.bias) == 0)


# ---------------------------------------------------------------------------------------------
# Transformer layers


def _layer_pair(cls, *args, **kwargs):
    g = getattr(nn, cls)(*args, **kwargs)
    t = getattr(torch.nn, cls)(*args, **kwargs)
    _copy_weights(g, t)
    return g, t


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("train", [False, True])
def test_encoder_layer_parity(norm_first, activation, train):
    rng = np.random.default_rng(3)
    g, t = _layer_pair("TransformerEncoderLayer", 8, 2, dim_feedforward=16, dropout=0.0,
                       activation=activation, batch_first=True, norm_first=norm_first)
    g.train(train)
    t.train(train)
    x = _rand(rng, 2, 5, 8)
    kpm = np.zeros((2, 5), dtype=bool)
    kpm[1, 3:] = True
    _run(g, t, [x], {"src_key_padding_mask": gb.tensor(kpm)},
         {"src_key_padding_mask": torch.tensor(kpm)}, tol=5e-5)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_parity(norm_first):
    rng = np.random.default_rng(4)
    g, t = _layer_pair("TransformerDecoderLayer", 8, 2, dim_feedforward=16, dropout=0.0,
                       activation="gelu", norm_first=norm_first)
    tgt, mem = _rand(rng, 4, 2, 8), _rand(rng, 6, 2, 8)
    causal = np.triu(np.ones((4, 4), dtype=bool), 1)
    _run(g, t, [tgt, mem], {"tgt_mask": gb.tensor(causal), "tgt_is_causal": True},
         {"tgt_mask": torch.tensor(causal), "tgt_is_causal": True}, tol=5e-5)


def test_encoder_decoder_stacks_parity():
    rng = np.random.default_rng(5)
    ge = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2,
                               norm=nn.LayerNorm(8))
    te = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2,
                                     norm=torch.nn.LayerNorm(8), enable_nested_tensor=False)
    _copy_weights(ge, te)
    _run(ge, te, [_rand(rng, 5, 2, 8)], {}, {}, tol=5e-5)
    gd = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 2)
    td = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 2)
    _copy_weights(gd, td)
    _run(gd, td, [_rand(rng, 3, 2, 8), _rand(rng, 5, 2, 8)], {}, {}, tol=5e-5)


# ---------------------------------------------------------------------------------------------
# positional encodings


def test_sinusoidal_encoding_values():
    pe = nn.SinusoidalPositionalEncoding(6, max_len=10)
    out = _np(pe(gb.zeros(4, 2, 6)))  # (L, N, d)
    t = np.arange(4)[:, None]
    freq = 1.0 / 10000 ** (np.arange(0, 6, 2) / 6)
    np.testing.assert_allclose(out[:, 0, 0::2], np.sin(t * freq), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(out[:, 1, 1::2], np.cos(t * freq), rtol=1e-6, atol=1e-6)
    assert list(pe.state_dict()) == []


def test_learned_positional_embedding_gradient():
    pos = nn.LearnedPositionalEmbedding(8, 4, batch_first=True)
    x = gb.randn(3, 5, 4)
    out = pos(x)
    np.testing.assert_allclose(_np(out - x), np.broadcast_to(_np(pos.weight)[:5], (3, 5, 4)),
                               atol=1e-6)
    out.sum().backward()
    g = pos.weight.grad.numpy()
    assert np.all(g[:5] == 3) and np.all(g[5:] == 0)


# ---------------------------------------------------------------------------------------------
# errors


def test_errors_name_layer_expected_and_received():
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    x = gb.randn(2, 5, 8)
    with pytest.raises(ValueError, match=r"MultiheadAttention.*query of shape \(N, L, 8\).*"
                                         r"got \(2, 5, 7\)"):
        mha(gb.randn(2, 5, 7), x, x)
    with pytest.raises(ValueError, match=r"attn_mask of shape \(L, S\) = \(5, 5\).*got \(5, 4\)"):
        mha(x, x, x, attn_mask=gb.zeros(5, 4))
    with pytest.raises(ValueError, match=r"3-D attn_mask .* = \(4, 5, 5\), got \(2, 5, 5\)"):
        mha(x, x, x, attn_mask=gb.zeros(2, 5, 5))
    with pytest.raises(ValueError, match=r"key_padding_mask of shape \(N, S\) = \(2, 5\), "
                                         r"got \(5, 2\)"):
        mha(x, x, x, key_padding_mask=gb.zeros(5, 2))
    with pytest.raises(ValueError, match=r"embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(8, 3)
    with pytest.raises(ValueError, match=r"activation must be one of"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(ValueError, match=r"exceeds max_len=4"):
        nn.SinusoidalPositionalEncoding(8, max_len=4)(gb.zeros(5, 1, 8))
