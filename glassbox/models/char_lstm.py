"""CharLSTM: a character-level language model, Embedding -> LSTM -> Linear (benchmark W3).

The LSTM's state carries everything seen so far, so sampling feeds one character at a time
and keeps (h, c): each new character costs one LSTM step.
"""

from __future__ import annotations

import numpy as np

from glassbox import nn
from glassbox.models._generate import next_token_loss, sample, sampling
from glassbox.models.gpt import _check_positive_int
from glassbox.tensor import Tensor, tensor


class CharLSTM(nn.Module):
    """Next-character model: embedding, a (stacked) batch-first LSTM and a linear head.

    Args:
        vocab_size (int): number of token ids.
        embed (int): embedding width. Default 64.
        hidden (int): LSTM hidden size. Default 256.
        num_layers (int): stacked LSTM layers. Default 1.
        dropout (float): dropout between stacked LSTM layers (as nn.LSTM). Default 0.0.

    Shape:
        forward: idx (B, T) int -> logits (B, T, vocab_size), loss (scalar or None), and the
        final state (h_n, c_n), each (num_layers, B, hidden).

    Example:
        >>> import glassbox as gb
        >>> model = CharLSTM(vocab_size=12, embed=8, hidden=16)
        >>> idx = gb.randint(0, 12, (2, 5))
        >>> logits, loss, state = model(idx, targets=idx)
        >>> logits.shape, state[0].shape
        ((2, 5, 12), (1, 2, 16))
        >>> model.generate(idx[:, :2], max_new_tokens=3, seed=0).shape
        (2, 5)
    """

    def __init__(self, vocab_size: int, embed: int = 64, hidden: int = 256, num_layers: int = 1,
                 dropout: float = 0.0):
        super().__init__()
        self.vocab_size = _check_positive_int("vocab_size", vocab_size, "CharLSTM")
        self.embed_dim = _check_positive_int("embed", embed, "CharLSTM")
        self.hidden = _check_positive_int("hidden", hidden, "CharLSTM")
        self.num_layers = _check_positive_int("num_layers", num_layers, "CharLSTM")
        self.embed = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers, batch_first=True, dropout=dropout)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, idx, targets=None, state=None):
        """Logits at every position, the mean cross-entropy if targets are given, and the state.

        Args:
            idx: (B, T) int token ids.
            targets: optional (B, T) int ids of the next tokens.
            state: optional (h_0, c_0) to continue from (e.g. the previous call's state).

        Returns:
            (logits, loss, (h_n, c_n)); loss is None without targets.
        """
        if not isinstance(idx, Tensor):
            idx = tensor(np.asarray(idx))
        if idx.ndim != 2 or idx.dtype.kind not in "iu":
            raise ValueError(f"CharLSTM: expected idx of int token ids shaped (B, T), got "
                             f"{idx.dtype} {tuple(idx.shape)}")
        out, state = self.lstm(self.embed(idx), state)  # (B, T, hidden)
        logits = self.head(out)  # (B, T, vocab)
        loss = None
        if targets is not None:
            loss = next_token_loss("CharLSTM", logits, targets, self.vocab_size)
        return logits, loss, state

    def generate(self, idx, max_new_tokens: int, temperature: float = 1.0, top_k=None,
                 top_p=None, seed=None) -> Tensor:
        """Sample `max_new_tokens` tokens after the prompt `idx` (B, T), carrying the state.

        Args are as GPT.generate (temperature 0 is greedy; top_k/top_p filter; seed makes
        it reproducible). Returns (B, T + max_new_tokens) int64.
        """
        if not isinstance(idx, Tensor):
            idx = tensor(np.asarray(idx))
        out = idx.numpy().astype(np.int64)
        with sampling(self, seed) as rng:
            logits, _, state = self(tensor(out))
            for i in range(int(max_new_tokens)):
                nxt = sample(logits.numpy()[:, -1, :], temperature, top_k, top_p, rng)
                out = np.concatenate([out, nxt[:, None]], axis=1)
                if i + 1 < max_new_tokens:
                    logits, _, state = self(tensor(nxt[:, None]), state=state)
        return tensor(out)

    def extra_repr(self) -> str:
        return (f"vocab_size={self.vocab_size}, embed={self.embed_dim}, hidden={self.hidden}, "
                f"num_layers={self.num_layers}")
