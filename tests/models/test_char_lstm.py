"""CharLSTM against torch with the same weights; stateful generation."""

import numpy as np
import torch

import glassbox as gb
from glassbox.models import CharLSTM


def test_char_lstm_matches_torch_logits_and_gradients():
    g = CharLSTM(11, embed=6, hidden=8, num_layers=2)
    emb = torch.nn.Embedding(11, 6)
    lstm = torch.nn.LSTM(6, 8, 2, batch_first=True)
    head = torch.nn.Linear(8, 11)
    t = torch.nn.ModuleDict({"embed": emb, "lstm": lstm, "head": head})
    t.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in g.state_dict().items()})
    idx = np.random.default_rng(0).integers(0, 11, (3, 7))
    tgt = np.random.default_rng(1).integers(0, 11, (3, 7))
    logits, loss, _ = g(gb.tensor(idx), gb.tensor(tgt))
    tl = head(lstm(emb(torch.from_numpy(idx)))[0])
    tloss = torch.nn.functional.cross_entropy(tl.reshape(-1, 11), torch.from_numpy(tgt).reshape(-1))
    np.testing.assert_allclose(logits.detach().numpy(), tl.detach().numpy(), atol=1e-5)
    loss.backward()
    tloss.backward()
    for name, p in t.named_parameters():
        np.testing.assert_allclose(dict(g.named_parameters())[name].grad.numpy(),
                                   p.grad.numpy(), rtol=1e-3, atol=1e-6, err_msg=name)


def test_char_lstm_generation_carries_state_like_a_full_rerun():
    g = CharLSTM(9, embed=4, hidden=8)
    prompt = gb.randint(0, 9, (2, 3))
    out = g.generate(prompt, 6, temperature=0.0).numpy()
    # greedy: every new token is the argmax after running the whole sequence so far
    for t in range(3, 9):
        with gb.no_grad():
            logits = g(gb.tensor(out[:, :t]))[0].numpy()[:, -1]
        np.testing.assert_array_equal(out[:, t], logits.argmax(-1))
    a = g.generate(prompt, 8, seed=3).numpy()
    np.testing.assert_array_equal(a, g.generate(prompt, 8, seed=3).numpy())
