"""GPT against a torch reimplementation with the same weights; weight tying; the kv-cache;
sampling (seeded, top_k, top_p); attention weights; error paths."""

import math

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import glassbox as gb
from glassbox.models import GPT
from glassbox.models._generate import sample as _sample

V, CTX, L, H, D = 23, 12, 2, 2, 16


class TorchBlock(tnn.Module):
    def __init__(self, d, nh, bias):
        super().__init__()
        self.nh = nh
        self.ln_1 = tnn.LayerNorm(d, bias=bias)
        self.attn = tnn.Module()
        self.attn.qkv = tnn.Linear(d, 3 * d, bias=bias)
        self.attn.proj = tnn.Linear(d, d, bias=bias)
        self.ln_2 = tnn.LayerNorm(d, bias=bias)
        self.mlp = tnn.Module()
        self.mlp.fc = tnn.Linear(d, 4 * d, bias=bias)
        self.mlp.proj = tnn.Linear(4 * d, d, bias=bias)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.attn.qkv(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.nh, C // self.nh).transpose(1, 2) for t in (q, k, v))
        y = TF.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.attn.proj(y.transpose(1, 2).reshape(B, T, C))
        return x + self.mlp.proj(TF.gelu(self.mlp.fc(self.ln_2(x))))


class TorchGPT(tnn.Module):
    """An independent torch spelling of the same model (names match glassbox's)."""

    def __init__(self, vocab, ctx, n_layer, nh, d, bias=True, tie=True):
        super().__init__()
        self.tok_emb = tnn.Embedding(vocab, d)
        self.pos_emb = tnn.Embedding(ctx, d)
        self.blocks = tnn.ModuleList([TorchBlock(d, nh, bias) for _ in range(n_layer)])
        self.ln_f = tnn.LayerNorm(d, bias=bias)
        self.head = tnn.Linear(d, vocab, bias=False)
        if tie:
            self.head.weight = self.tok_emb.weight

    def forward(self, idx, targets):
        T = idx.shape[1]
        x = self.tok_emb(idx) + self.pos_emb(torch.arange(T))
        for b in self.blocks:
            x = b(x)
        logits = self.head(self.ln_f(x))
        return logits, TF.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


def _pair(bias=True, tie=True):
    g = GPT(V, CTX, L, H, D, bias=bias, tie_weights=tie)
    t = TorchGPT(V, CTX, L, H, D, bias=bias, tie=tie)
    t.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in g.state_dict().items()})
    return g, t


@pytest.mark.parametrize("bias,tie", [(True, True), (False, False)])
def test_logits_loss_and_every_gradient_match_torch(bias, tie):
    g, t = _pair(bias, tie)
    idx = np.random.default_rng(1).integers(0, V, (3, CTX))
    tgt = np.random.default_rng(2).integers(0, V, (3, CTX))
    gl, gloss = g(gb.tensor(idx), gb.tensor(tgt))
    tl, tloss = t(torch.from_numpy(idx), torch.from_numpy(tgt))
    np.testing.assert_allclose(gl.detach().numpy(), tl.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert abs(gloss.item() - tloss.item()) < 1e-5
    gloss.backward()
    tloss.backward()
    gparams = dict(g.named_parameters())
    tparams = dict(t.named_parameters())
    assert list(gparams) == list(tparams)
    for name, tp in tparams.items():
        np.testing.assert_allclose(gparams[name].grad.numpy(), tp.grad.numpy(), rtol=1e-3,
                                   atol=2e-6, err_msg=name)


def test_weight_tying_shares_one_parameter():
    g = GPT(V, CTX, 1, H, D)
    assert g.head.weight is g.tok_emb.weight
    names = [n for n, _ in g.named_parameters()]
    assert "head.weight" not in names  # listed once, under its first name (as torch)
    assert "head.weight" in g.state_dict()  # but saved under both names, as torch
    # one update moves both uses
    opt = g.configure_optimizer(lr=0.1)
    idx = gb.randint(0, V, (2, 5))
    g(idx, idx)[1].backward()
    opt.step()
    assert g.head.weight is g.tok_emb.weight
    untied = GPT(V, CTX, 1, H, D, tie_weights=False)
    assert untied.head.weight is not untied.tok_emb.weight


def test_init_is_gpt2():
    gb.manual_seed(3)
    g = GPT(50, 16, 4, 4, 128)
    std = {n: p.detach().numpy().std() for n, p in g.named_parameters()}
    assert abs(std["blocks.0.attn.qkv.weight"] - 0.02) < 0.002
    assert abs(std["blocks.0.attn.proj.weight"] - 0.02 / math.sqrt(8)) < 0.001
    assert abs(std["blocks.3.mlp.proj.weight"] - 0.02 / math.sqrt(8)) < 0.001
    assert np.all(g.blocks[0].attn.qkv.bias.detach().numpy() == 0)
    assert np.all(g.ln_f.weight.detach().numpy() == 1)


def test_configure_optimizer_decays_only_matrices():
    g = GPT(V, CTX, 1, H, D)
    opt = g.configure_optimizer(lr=1e-3, weight_decay=0.1, betas=(0.9, 0.95))
    decay, rest = opt.param_groups
    assert decay["weight_decay"] == 0.1 and rest["weight_decay"] == 0.0
    assert all(p.ndim == 2 for p in decay["params"]) and all(p.ndim == 1 for p in rest["params"])
    assert len(decay["params"]) + len(rest["params"]) == len(list(g.parameters()))
    assert decay["betas"] == (0.9, 0.95)


def test_return_attention_gives_causal_rows_and_same_logits():
    g = GPT(V, CTX, L, H, D)
    idx = gb.randint(0, V, (2, 7))
    logits, _ = g(idx)
    logits2, _, att = g(idx, return_attention=True)
    np.testing.assert_allclose(logits2.detach().numpy(), logits.detach().numpy(), atol=1e-5)
    assert len(att) == L
    for a in att:
        a = a.detach().numpy()
        assert a.shape == (2, H, 7, 7)
        np.testing.assert_allclose(a.sum(-1), 1.0, atol=1e-5)
        assert np.all(np.triu(a, 1) == 0)  # no query sees a later key


@pytest.mark.parametrize("kw", [{}, {"temperature": 0.0}, {"top_k": 3, "top_p": 0.9}])
def test_kv_cache_generation_equals_full_recompute(kw):
    g = GPT(V, CTX, L, H, D)
    prompt = gb.randint(0, V, (2, 3))
    # 15 new tokens: runs past the context (12), where the window slides
    a = g.generate(prompt, 15, seed=5, **kw).numpy()
    b = g.generate(prompt, 15, seed=5, use_cache=False, **kw).numpy()
    np.testing.assert_array_equal(a, b)
    assert a.shape == (2, 18)
    np.testing.assert_array_equal(a[:, :3], prompt.numpy())


def test_cached_step_logits_equal_full_forward():
    g = GPT(V, CTX, L, H, D)
    idx = gb.randint(0, V, (2, 9))
    full = g(idx)[0].detach().numpy()
    caches = [{} for _ in g.blocks]
    with gb.no_grad():
        first = g._step_logits(idx[:, :4], caches, 0)
        steps = [g._step_logits(idx[:, t:t + 1], caches, t) for t in range(4, 9)]
    np.testing.assert_allclose(first, full[:, 3], atol=1e-5)
    for t, s in zip(range(4, 9), steps):
        np.testing.assert_allclose(s, full[:, t], atol=1e-5)


def test_seeded_sampling_is_reproducible_and_seeds_differ():
    g = GPT(V, CTX, 1, H, D)
    prompt = gb.randint(0, V, (1, 2))
    a = g.generate(prompt, 10, seed=1).numpy()
    b = g.generate(prompt, 10, seed=1).numpy()
    np.testing.assert_array_equal(a, b)
    others = [g.generate(prompt, 10, seed=s).numpy() for s in range(2, 6)]
    assert any(not np.array_equal(a, o) for o in others)


def test_top_k_and_top_p_restrict_choices():
    rng = np.random.default_rng(0)
    logits = np.log(np.array([[0.5, 0.3, 0.1, 0.06, 0.04]] * 4000))
    free = _sample(logits, 1.0, None, None, rng)
    assert set(np.unique(free)) == {0, 1, 2, 3, 4}
    k2 = _sample(logits, 1.0, 2, None, rng)
    assert set(np.unique(k2)) == {0, 1}
    assert abs((k2 == 0).mean() - 0.5 / 0.8) < 0.03  # renormalised over the two kept
    p = _sample(logits, 1.0, None, 0.85, rng)  # 0.5 + 0.3 < 0.85: the third is needed
    assert set(np.unique(p)) == {0, 1, 2}
    p1 = _sample(logits, 1.0, None, 0.5, rng)
    assert set(np.unique(p1)) == {0}
    greedy = _sample(logits, 0.0, None, None, rng)
    assert np.all(greedy == 0)


def test_generate_top_k_1_is_greedy():
    g = GPT(V, CTX, 1, H, D)
    prompt = gb.randint(0, V, (2, 3))
    a = g.generate(prompt, 6, top_k=1, seed=1).numpy()
    b = g.generate(prompt, 6, temperature=0.0).numpy()
    np.testing.assert_array_equal(a, b)


def test_prompt_longer_than_context_errors_with_both_numbers():
    g = GPT(V, CTX, 1, H, D)
    with pytest.raises(ValueError, match=rf"{CTX + 3}.*context {CTX}"):
        g.generate(gb.randint(0, V, (1, CTX + 3)), 2)
    with pytest.raises(ValueError, match=rf"{CTX + 1}.*context {CTX}"):
        g(gb.randint(0, V, (1, CTX + 1)))


def test_bad_arguments_name_what_was_expected():
    with pytest.raises(ValueError, match="divisible"):
        GPT(V, CTX, 1, 3, 16)
    g = GPT(V, CTX, 1, H, D)
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        g(gb.randint(0, V, (5,)))
    with pytest.raises(ValueError, match=r"targets shaped \(2, 4\)"):
        g(gb.randint(0, V, (2, 4)), gb.randint(0, V, (2, 3)))
    with pytest.raises(ValueError, match="top_p"):
        g.generate(gb.randint(0, V, (1, 2)), 2, top_p=1.5)


def test_training_reduces_loss():
    g = GPT(V, CTX, 1, H, D)
    opt = g.configure_optimizer(lr=1e-2)
    idx = gb.tensor(np.tile(np.arange(CTX), (4, 1)) % V)
    first = None
    for _ in range(30):
        loss = g(idx[:, :-1], idx[:, 1:])[1]
        first = first or loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first
