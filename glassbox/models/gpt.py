"""GPT: a decoder-only Transformer language model (GPT-2's layout, small enough for a CPU).

Token and learned position embeddings, `n_layer` pre-LayerNorm blocks (causal self-attention,
then a GELU MLP of 4x width, each around a residual connection), a final LayerNorm and a linear
head whose weight is the token embedding (weight tying). Initialised as GPT-2: every weight
normal(0, 0.02), biases zero, and the projections that write into the residual stream scaled
by 1/sqrt(2 * n_layer) so the residual's variance does not grow with depth.

Parameter names: tok_emb, pos_emb, blocks.<i>.{ln_1, attn.qkv, attn.proj, ln_2, mlp.fc,
mlp.proj}, ln_f, head -- a torch module with the same names loads `state_dict()` unchanged.

Generation keeps a key/value cache: after the prompt, each new token runs the network on one
position and attends to the cached keys and values of the earlier ones.
"""

from __future__ import annotations

import math

import numpy as np

import glassbox.nn.functional as F
from glassbox import nn
from glassbox.models._generate import next_token_loss, sample, sampling
from glassbox.nn import init
from glassbox.ops.shape import cat
from glassbox.tensor import Tensor, tensor


def _check_positive_int(name: str, value, where: str = "GPT") -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{where}: {name} must be a positive int, got {value!r}")
    return int(value)


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention with one fused q/k/v projection.

    Args:
        d_model (int): width of the residual stream.
        n_head (int): number of heads; must divide d_model.
        dropout (float): dropout on the attention probabilities and the output. Default 0.0.
        bias (bool): biases in the two Linear layers. Default True.

    Shape:
        (B, T, d_model) -> (B, T, d_model).

    Example:
        >>> import glassbox as gb
        >>> attn = CausalSelfAttention(16, 4)
        >>> attn(gb.randn(2, 5, 16)).shape
        (2, 5, 16)
    """

    def __init__(self, d_model: int, n_head: int, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        if d_model % n_head:
            raise ValueError(f"CausalSelfAttention: d_model ({d_model}) must be divisible by "
                             f"n_head ({n_head})")
        self.d_model, self.n_head, self.dropout = d_model, n_head, float(dropout)
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=bias)
        self.proj = nn.Linear(d_model, d_model, bias=bias)
        self.resid_drop = nn.Dropout(dropout)

    def _heads(self, x):
        """(B, T, 3C) -> three (B, nh, T, hs) tensors."""
        B, T, _ = x.shape
        hs = self.d_model // self.n_head
        qkv = x.view(B, T, 3, self.n_head, hs).permute(2, 0, 3, 1, 4)  # (3, B, nh, T, hs)
        return qkv[0], qkv[1], qkv[2]

    def forward(self, x, return_attention: bool = False):
        B, T, C = x.shape
        q, k, v = self._heads(self.qkv(x))
        p = self.dropout if self.training else 0.0
        weights = None
        if return_attention:
            # the same attention spelled out, so the (B, nh, T, T) weights can be returned
            scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
            mask = np.triu(np.ones((T, T), dtype=bool), 1)  # True above the diagonal: future
            weights = scores.masked_fill(tensor(mask), float("-inf")).softmax(dim=-1)
            y = F.dropout(weights, p, self.training) @ v
        else:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        y = y.transpose(1, 2).reshape(B, T, C)  # (B, nh, T, hs) -> (B, T, C)
        y = self.resid_drop(self.proj(y))
        return (y, weights) if return_attention else y

    def step(self, x, cache: dict):
        """Attention for new positions `x` (B, t, C) given the cached keys/values (no grad).

        The cache dict holds 'k' and 'v' arrays (B, nh, S, hs) for the S earlier positions
        (absent at first); they are extended in place of the dict entries.
        """
        B, t, C = x.shape
        q, k, v = self._heads(self.qkv(x))
        if "k" in cache:
            k = cat([cache["k"], k], dim=2)  # (B, nh, S + t, hs)
            v = cat([cache["v"], v], dim=2)
        cache["k"], cache["v"] = k, v
        S = k.shape[2]
        # query i (absolute position S - t + i) may see keys 0 .. S - t + i
        mask = np.tril(np.ones((t, S), dtype=bool), S - t)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=tensor(mask))
        return self.proj(y.transpose(1, 2).reshape(B, t, C))

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, n_head={self.n_head}, dropout={self.dropout}"


class MLP(nn.Module):
    """Linear(d, 4d) - GELU - Linear(4d, d) - Dropout: the Transformer's feed-forward part.

    Args:
        d_model (int): input and output width.
        dropout (float): dropout after the second Linear. Default 0.0.
        bias (bool): biases in the Linear layers. Default True.

    Shape:
        (*, d_model) -> (*, d_model).

    Example:
        >>> import glassbox as gb
        >>> MLP(8)(gb.randn(3, 8)).shape
        (3, 8)
    """

    def __init__(self, d_model: int, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        self.fc = nn.Linear(d_model, 4 * d_model, bias=bias)
        self.act = nn.GELU()
        self.proj = nn.Linear(4 * d_model, d_model, bias=bias)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.drop(self.proj(self.act(self.fc(x))))


class Block(nn.Module):
    """One pre-LayerNorm Transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)).

    Args:
        d_model (int): width. n_head (int): heads. dropout (float): default 0.0.
        bias (bool): biases in Linear and LayerNorm. Default True.

    Shape:
        (B, T, d_model) -> (B, T, d_model).

    Example:
        >>> import glassbox as gb
        >>> Block(16, 2)(gb.randn(1, 4, 16)).shape
        (1, 4, 16)
    """

    def __init__(self, d_model: int, n_head: int, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model, bias=bias)
        self.attn = CausalSelfAttention(d_model, n_head, dropout, bias)
        self.ln_2 = nn.LayerNorm(d_model, bias=bias)
        self.mlp = MLP(d_model, dropout, bias)

    def forward(self, x, return_attention: bool = False):
        if return_attention:
            a, weights = self.attn(self.ln_1(x), return_attention=True)
            x = x + a
            return x + self.mlp(self.ln_2(x)), weights
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))

    def step(self, x, cache: dict):
        x = x + self.attn.step(self.ln_1(x), cache)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """A GPT-2-style language model: predicts the next token at every position.

    Args:
        vocab_size (int): number of token ids.
        context (int): the longest sequence (block size); the number of position embeddings.
        n_layer (int): number of Transformer blocks.
        n_head (int): attention heads per block; must divide d_model.
        d_model (int): width of the residual stream.
        dropout (float): dropout on embeddings, attention and residual branches. Default 0.0.
        bias (bool): biases in Linear and LayerNorm layers. Default True.
        tie_weights (bool): the output head reuses the token embedding matrix (one Parameter).
            Default True.

    Shape:
        forward: idx (B, T) int, T <= context -> logits (B, T, vocab_size); the loss is a
        scalar (mean cross-entropy in nats per token) when targets (B, T) are given, else None.

    Example:
        >>> import glassbox as gb
        >>> _ = gb.manual_seed(0)
        >>> model = GPT(vocab_size=10, context=8, n_layer=1, n_head=2, d_model=16)
        >>> idx = gb.randint(0, 10, (2, 8))
        >>> logits, loss = model(idx, targets=idx)
        >>> logits.shape, loss.shape
        ((2, 8, 10), ())
        >>> model.generate(idx[:, :3], max_new_tokens=4, seed=0).shape
        (2, 7)
    """

    def __init__(self, vocab_size: int, context: int, n_layer: int, n_head: int, d_model: int,
                 dropout: float = 0.0, bias: bool = True, tie_weights: bool = True):
        super().__init__()
        self.vocab_size = _check_positive_int("vocab_size", vocab_size)
        self.context = _check_positive_int("context", context)
        self.n_layer = _check_positive_int("n_layer", n_layer)
        self.n_head = _check_positive_int("n_head", n_head)
        self.d_model = _check_positive_int("d_model", d_model)
        if d_model % n_head:
            raise ValueError(f"GPT: d_model ({d_model}) must be divisible by n_head ({n_head})")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"GPT: dropout must be in [0, 1), got {dropout!r}")
        self.dropout, self.tie_weights = float(dropout), bool(tie_weights)
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Embedding(context, d_model)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([Block(d_model, n_head, dropout, bias)
                                     for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d_model, bias=bias)
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        if tie_weights:
            self.head.weight = self.tok_emb.weight  # one Parameter, two uses
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """GPT-2's initialisation: normal(0, 0.02), zero biases, scaled residual projections."""
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                init.zeros_(p)
            elif ".ln_" in name or name.startswith("ln_f"):
                init.ones_(p)
            elif name.endswith("proj.weight"):  # writes into the residual stream
                init.normal_(p, 0.0, 0.02 / math.sqrt(2 * self.n_layer))
            else:
                init.normal_(p, 0.0, 0.02)

    def _check_idx(self, idx, what: str = "idx") -> Tensor:
        if not isinstance(idx, Tensor):
            idx = tensor(np.asarray(idx))
        if idx.ndim != 2 or idx.dtype.kind not in "iu":
            raise ValueError(f"GPT: expected {what} of int token ids shaped (B, T), got "
                             f"{idx.dtype} {tuple(idx.shape)}")
        if idx.shape[1] > self.context:
            raise ValueError(f"GPT: sequence length {idx.shape[1]} is longer than the model's "
                             f"context {self.context}; crop it to the last {self.context} tokens")
        if idx.shape[1] == 0:
            raise ValueError(f"GPT: {what} is empty (B, 0); give at least one token")
        return idx

    def forward(self, idx, targets=None, return_attention: bool = False):
        """Logits for the next token at every position, and the loss if targets are given.

        Args:
            idx: (B, T) int token ids, T <= context.
            targets: optional (B, T) int ids of the next tokens; the loss is their mean
                cross-entropy (nats per token).
            return_attention (bool): also return each layer's attention weights, a list of
                n_layer tensors (B, n_head, T, T) (row = query, column = key). Default False.

        Returns:
            (logits, loss), or (logits, loss, attentions) with return_attention.
        """
        idx = self._check_idx(idx)
        T = idx.shape[1]
        pos = tensor(np.arange(T))
        x = self.drop(self.tok_emb(idx) + self.pos_emb(pos))  # (B, T, C) + (T, C)
        attentions = []
        for block in self.blocks:
            if return_attention:
                x, w = block(x, return_attention=True)
                attentions.append(w)
            else:
                x = block(x)
        logits = self.head(self.ln_f(x))  # (B, T, vocab)
        loss = None
        if targets is not None:
            loss = next_token_loss("GPT", logits, targets, self.vocab_size)
        return (logits, loss, attentions) if return_attention else (logits, loss)

    def configure_optimizer(self, lr: float = 3e-4, weight_decay: float = 0.1,
                            betas=(0.9, 0.999)):
        """AdamW with weight decay on the matrices (Linear weights, embeddings) only.

        Biases and LayerNorm parameters (1-d) are not decayed, as in GPT-2 training recipes.

        Args:
            lr (float): learning rate. Default 3e-4.
            weight_decay (float): decoupled decay for the matrices. Default 0.1.
            betas (tuple): Adam's moment decay rates. Default (0.9, 0.999).

        Returns:
            glassbox.optim.AdamW with two parameter groups: [decayed matrices, the rest].

        Example:
            >>> model = GPT(10, 8, 1, 2, 16)
            >>> opt = model.configure_optimizer(lr=1e-3)
            >>> [g["weight_decay"] for g in opt.param_groups]
            [0.1, 0.0]
        """
        from glassbox.optim import AdamW  # optim sits above nn; models above both

        params = list(self.parameters())  # each shared Parameter once
        decay = [p for p in params if p.ndim >= 2]
        no_decay = [p for p in params if p.ndim < 2]
        groups = [{"params": decay, "weight_decay": weight_decay},
                  {"params": no_decay, "weight_decay": 0.0}]
        return AdamW(groups, lr=lr, betas=betas)

    def _step_logits(self, idx: Tensor, caches: list, start: int) -> np.ndarray:
        """Run positions start .. start + t - 1 (idx is (B, t)) through the cached blocks."""
        pos = tensor(np.arange(start, start + idx.shape[1]))
        x = self.tok_emb(idx) + self.pos_emb(pos)
        for block, cache in zip(self.blocks, caches):
            x = block.step(x, cache)
        return self.head(self.ln_f(x[:, -1:, :])).numpy()[:, -1, :]  # (B, vocab)

    def generate(self, idx, max_new_tokens: int, temperature: float = 1.0, top_k=None,
                 top_p=None, seed=None, use_cache: bool = True) -> Tensor:
        """Sample `max_new_tokens` tokens after the prompt `idx`, one at a time.

        With the key/value cache, the prompt is run once and every new token costs one
        position of compute. Past `context` tokens the learned positions shift with the
        window, so the cache is no help there: each step then recomputes the last `context`
        tokens (the same tokens as without a cache).

        Args:
            idx: (B, T) int prompt, 1 <= T <= context; a longer prompt raises ValueError
                (crop it yourself: idx[:, -context:]).
            max_new_tokens (int): how many tokens to add.
            temperature (float): logits are divided by it; 0 picks the most likely token.
                Default 1.0.
            top_k (int or None): sample only among the k most likely tokens.
            top_p (float or None): sample only among the smallest set of most likely tokens
                whose probabilities sum to at least top_p (nucleus sampling).
            seed (int or None): seed of a private generator, for reproducible samples; None
                draws from glassbox's default generator.
            use_cache (bool): use the key/value cache. Default True.

        Returns:
            (B, T + max_new_tokens) int64 tensor: the prompt followed by the samples.
        """
        idx = self._check_idx(idx, "prompt")
        if not isinstance(max_new_tokens, (int, np.integer)) or max_new_tokens < 0:
            raise ValueError(f"GPT.generate: max_new_tokens must be an int >= 0, got "
                             f"{max_new_tokens!r}")
        if temperature < 0:
            raise ValueError(f"GPT.generate: temperature must be >= 0, got {temperature}")
        if top_k is not None and (not isinstance(top_k, (int, np.integer)) or top_k < 1):
            raise ValueError(f"GPT.generate: top_k must be a positive int, got {top_k!r}")
        if top_p is not None and not 0.0 < top_p <= 1.0:
            raise ValueError(f"GPT.generate: top_p must be in (0, 1], got {top_p!r}")
        out = idx.numpy().astype(np.int64)
        with sampling(self, seed) as rng:
            caches = None
            for _ in range(int(max_new_tokens)):
                T = out.shape[1]
                if use_cache and T <= self.context:
                    if caches is None:  # the prompt: every position at once
                        caches = [{} for _ in self.blocks]
                        logits = self._step_logits(tensor(out), caches, 0)
                    else:  # one new position against the cache
                        logits = self._step_logits(tensor(out[:, -1:]), caches, T - 1)
                else:
                    window = tensor(out[:, -self.context:])
                    logits = self(window)[0].numpy()[:, -1, :]
                nxt = sample(logits, temperature, top_k, top_p, rng)
                out = np.concatenate([out, nxt[:, None]], axis=1)
        return tensor(out)

    def extra_repr(self) -> str:
        return (f"vocab_size={self.vocab_size}, context={self.context}, n_layer={self.n_layer}, "
                f"n_head={self.n_head}, d_model={self.d_model}, tie_weights={self.tie_weights}")
