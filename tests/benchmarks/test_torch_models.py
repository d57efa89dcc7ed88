"""The benchmark's torch twins compute what glassbox's models compute, from the same weights
(benchmarks/run.py's W3/W4/W6 first-loss check depends on it)."""

import numpy as np
import pytest
import torch

import glassbox as gb
from benchmarks.torch_models import TorchCharLSTM, TorchGPT
from glassbox.models import GPT, CharLSTM


def _copy(gb_model, torch_model):
    torch_model.load_state_dict({k: torch.tensor(v.numpy())
                                 for k, v in gb_model.state_dict().items()})


def _idx(vocab, shape, seed=0):
    return np.random.default_rng(seed).integers(0, vocab, shape)


@pytest.mark.parametrize("kind", ["gpt", "lstm"])
def test_torch_twin_matches_glassbox(kind):
    gb.manual_seed(0)
    if kind == "gpt":
        g, t = GPT(11, context=8, n_layer=2, n_head=2, d_model=16), TorchGPT(11, 8, 2, 2, 16)
    else:
        g, t = CharLSTM(11, embed=8, hidden=16), TorchCharLSTM(11, 8, 16)
    _copy(g, t)
    x, y = _idx(11, (3, 8)), _idx(11, (3, 8), seed=1)
    g_logits, g_loss = g(gb.tensor(x), gb.tensor(y))[:2]
    t_logits, t_loss = t(torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(g_logits.detach().numpy(), t_logits.detach().numpy(), atol=1e-5)
    assert abs(g_loss.item() - t_loss.item()) < 1e-5 * abs(t_loss.item())
    g_loss.backward()
    t_loss.backward()
    t_grads = dict(t.named_parameters())
    for name, p in g.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), t_grads[name].grad.numpy(), atol=1e-5,
                                   err_msg=name)


def test_torch_gpt_optimizer_groups_match():
    gb.manual_seed(0)
    g, t = GPT(11, 8, 1, 2, 16), TorchGPT(11, 8, 1, 2, 16)
    g_groups = g.configure_optimizer().param_groups
    t_groups = t.configure_optimizer().param_groups
    assert [len(gr["params"]) for gr in g_groups] == [len(gr["params"]) for gr in t_groups]
    assert [gr["weight_decay"] for gr in t_groups] == [0.1, 0.0]

