"""PyTorch twins of glassbox's reference models, with the same parameter names and layout.

`load_state_dict({k: torch.tensor(v.numpy()) for k, v in gb_model.state_dict().items()})`
copies a glassbox model into its twin unchanged, so both start from the same weights.
"""

from __future__ import annotations

import torch
import torch.nn.functional as TF
from torch import nn


class TorchCharLSTM(nn.Module):
    """glassbox.models.CharLSTM: embed -> lstm (batch-first) -> head."""

    def __init__(self, vocab_size: int, embed: int = 64, hidden: int = 256):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        logits = self.head(self.lstm(self.embed(idx))[0])  # (B, T, vocab)
        loss = None
        if targets is not None:
            loss = TF.cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T))
        return logits, loss


class _Attention(nn.Module):
    def __init__(self, d_model: int, n_head: int):
        super().__init__()
        self.n_head = n_head
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x):
        B, T, C = x.shape
        hs = C // self.n_head
        qkv = self.qkv(x).view(B, T, 3, self.n_head, hs).permute(2, 0, 3, 1, 4)  # (3, B, nh, T, hs)
        y = TF.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))  # (B, nh, T, hs) -> (B, T, C)


class _MLP(nn.Module):
    def __init__(self, d_model: int):
        super().__init__()
        self.fc = nn.Linear(d_model, 4 * d_model)
        self.proj = nn.Linear(4 * d_model, d_model)

    def forward(self, x):
        return self.proj(TF.gelu(self.fc(x)))


class _Block(nn.Module):
    def __init__(self, d_model: int, n_head: int):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model)
        self.attn = _Attention(d_model, n_head)
        self.ln_2 = nn.LayerNorm(d_model)
        self.mlp = _MLP(d_model)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class TorchGPT(nn.Module):
    """glassbox.models.GPT (pre-LayerNorm, learned positions, tied head), no dropout."""

    def __init__(self, vocab_size: int, context: int, n_layer: int, n_head: int, d_model: int):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Embedding(context, d_model)
        self.blocks = nn.ModuleList([_Block(d_model, n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        self.head.weight = self.tok_emb.weight  # tied, as in glassbox's GPT

    def forward(self, idx, targets=None):
        B, T = idx.shape
        x = self.tok_emb(idx) + self.pos_emb(torch.arange(T))  # (B, T, C) + (T, C)
        for block in self.blocks:
            x = block(x)
        logits = self.head(self.ln_f(x))  # (B, T, vocab)
        loss = None
        if targets is not None:
            loss = TF.cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T))
        return logits, loss

    def configure_optimizer(self, lr=3e-4, weight_decay=0.1, betas=(0.9, 0.999)):
        """AdamW, decay on matrices only -- the groups of glassbox's GPT.configure_optimizer."""
        params = list(self.parameters())
        groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
                  {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
        return torch.optim.AdamW(groups, lr=lr, betas=betas)
