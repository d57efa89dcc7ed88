"""Multi-head attention (as torch.nn.MultiheadAttention) and positional encodings.

MultiheadAttention projects query, key and value, splits them into heads, runs scaled
dot-product attention per head and projects the concatenated heads back. With
need_weights=False it calls the fused F.scaled_dot_product_attention; with need_weights=True
(torch's default) it computes softmax(Q K^T / sqrt(d) + mask) explicitly so the attention
weights of every head can be returned (average_attn_weights=False) -- what glassbox.explain reads.

Masks follow torch's MultiheadAttention (NOT F.scaled_dot_product_attention): a bool attn_mask
or key_padding_mask is True where attending is NOT allowed; a float mask is added to the scores.
"""

from __future__ import annotations

import math

import numpy as np

from glassbox.nn import functional as F
from glassbox.nn import init
from glassbox.nn.layers import _checks as check
from glassbox.nn.layers.linear import Linear
from glassbox.nn.module import Module
from glassbox.nn.parameter import Parameter
from glassbox.ops.errors import ShapeError as InputError
from glassbox.tensor import Tensor, empty, tensor

__all__ = ["LearnedPositionalEmbedding", "MultiheadAttention", "SinusoidalPositionalEncoding"]


class MultiheadAttention(Module):
    """Multi-head scaled dot-product attention, as torch.nn.MultiheadAttention.

    out = concat(head_1, ..., head_h) W_o^T + b_o,
    head_i = softmax(Q_i K_i^T / sqrt(embed_dim / num_heads) + mask) V_i,
    with Q = query W_q^T + b_q etc. (W_q, W_k, W_v stacked in in_proj_weight).

    Args:
        embed_dim: model size E (query features and output features).
        num_heads: heads; must divide embed_dim.
        dropout: dropout on the attention weights in training. Default 0.
        bias: biases on the input and output projections. Default True.
        add_bias_kv, add_zero_attn: not supported (must be False).
        kdim, vdim: key / value feature sizes (default embed_dim). When either differs,
            q_proj_weight, k_proj_weight and v_proj_weight replace in_proj_weight (as torch).
        batch_first: inputs and output are (N, L, E) instead of (L, N, E). Default False.
        device: only None or 'cpu'. dtype: parameter dtype (default float32).

    forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False):
        key_padding_mask: (N, S) (or (S,) unbatched); bool True = ignore that key, or float
            added to the scores.
        attn_mask: (L, S) or (N * num_heads, L, S); bool True = not allowed, or float added.
        need_weights: also return the attention weights. Default True.
        average_attn_weights: average the weights over heads (N, L, S); else (N, num_heads,
            L, S). Default True.
        is_causal: apply a causal mask. glassbox builds it when attn_mask is None (torch
            requires attn_mask as well and treats is_causal as a hint).

    Shape:
        query (L, N, E), key (S, N, kdim), value (S, N, vdim) (N first with batch_first; no N
        unbatched) -> (output (L, N, E), weights (N, L, S) or (N, num_heads, L, S) or None).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> mha = nn.MultiheadAttention(8, 2, batch_first=True)
        >>> x = gb.randn(3, 5, 8)
        >>> out, w = mha(x, x, x, average_attn_weights=False)
        >>> out.shape, w.shape
        ((3, 5, 8), (3, 2, 5, 5))
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim=None, vdim=None,
                 batch_first: bool = False, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        self.embed_dim = check.positive_int(name, "embed_dim", embed_dim)
        self.num_heads = check.positive_int(name, "num_heads", num_heads)
        if embed_dim % num_heads:
            raise ValueError(f"{name}: embed_dim must be divisible by num_heads, received "
                             f"embed_dim={embed_dim}, num_heads={num_heads}")
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError(f"{name}: add_bias_kv and add_zero_attn are not supported")
        self.head_dim = embed_dim // num_heads
        self.dropout = float(check.probability(name, "dropout", dropout))
        self.batch_first = check.flag(name, "batch_first", batch_first)
        self.kdim = embed_dim if kdim is None else check.positive_int(name, "kdim", kdim)
        self.vdim = embed_dim if vdim is None else check.positive_int(name, "vdim", vdim)
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        dtype = check.float_dtype(name, dtype, device)
        E = embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty(3 * E, E, dtype=dtype))
            for n in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(n, None)
        else:
            self.q_proj_weight = Parameter(empty(E, E, dtype=dtype))
            self.k_proj_weight = Parameter(empty(E, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(empty(E, self.vdim, dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        if check.flag(name, "bias", bias):
            self.in_proj_bias = Parameter(empty(3 * E, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(E, E, bias=bias, dtype=dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform projections and zero biases, as torch."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def _projections(self):
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            ws = (w[:E], w[E:2 * E], w[2 * E:])
        else:
            ws = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        b = self.in_proj_bias
        bs = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
        return ws, bs

    def _bad(self, what, want, got):
        return InputError(f"{type(self).__name__}: expected {what} of shape {want}, got {got}")

    def _score_mask(self, attn_mask, key_padding_mask, is_causal, N, L, S, dtype):
        """One additive float mask (N or 1, heads or 1, L, S) as an array, or None."""
        h = self.num_heads
        total = None
        if attn_mask is None and is_causal:
            attn_mask = tensor(np.triu(np.ones((L, S), dtype=bool), 1))
        if attn_mask is not None:
            m = attn_mask._data
            if m.ndim == 2:
                if m.shape != (L, S):
                    raise self._bad("attn_mask", f"(L, S) = {(L, S)} or (N * num_heads, L, S) = "
                                    f"{(N * h, L, S)}", tuple(m.shape))
                m = m[None, None]
            elif m.ndim == 3:
                if m.shape != (N * h, L, S):
                    raise self._bad("3-D attn_mask", f"(N * num_heads, L, S) = {(N * h, L, S)}",
                                    tuple(m.shape))
                m = m.reshape(N, h, L, S)
            else:
                raise self._bad("attn_mask", f"(L, S) = {(L, S)} or (N * num_heads, L, S) = "
                                f"{(N * h, L, S)}", tuple(m.shape))
            total = _additive(m, dtype)
        if key_padding_mask is not None:
            m = key_padding_mask._data
            if m.shape != (N, S):
                raise self._bad("key_padding_mask", f"(N, S) = {(N, S)}", tuple(m.shape))
            m = _additive(m, dtype)[:, None, None, :]  # (N, 1, 1, S)
            total = m if total is None else total + m
        return total

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True,
                attn_mask=None, average_attn_weights: bool = True, is_causal: bool = False):
        name = type(self).__name__
        E, h, hd = self.embed_dim, self.num_heads, self.head_dim
        for what, t, size in (("query", query, E), ("key", key, self.kdim),
                              ("value", value, self.vdim)):
            if not isinstance(t, Tensor) or t.ndim not in (2, 3) or t.shape[-1] != size:
                lay = "(N, L, " if self.batch_first else "(L, N, "
                got = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
                raise InputError(f"{name}: expected {what} of shape {lay}{size}) or "
                                 f"(L, {size}), got {got}")
        batched = query.ndim == 3
        if key.ndim != query.ndim or value.ndim != query.ndim:
            raise InputError(f"{name}: query, key and value must all be batched or all "
                             f"unbatched, got {tuple(query.shape)}, {tuple(key.shape)}, "
                             f"{tuple(value.shape)}")
        q, k, v = query, key, value
        if not batched:
            q, k, v = q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:
            q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)  # -> (N, L, *)
        N, L, S = q.shape[0], q.shape[1], k.shape[1]
        if k.shape[:2] != (N, S) or v.shape[:2] != (N, S):
            raise InputError(f"{name}: key and value must have the same batch and length, and "
                             f"the query's batch, got query {tuple(query.shape)}, key "
                             f"{tuple(key.shape)}, value {tuple(value.shape)}")
        fmask = self._score_mask(attn_mask, key_padding_mask, is_causal, N, L, S,
                                 q._data.dtype)
        (wq, wk, wv), (bq, bk, bv) = self._projections()
        # (N, L, E) -> (N, L, h, hd) -> (N, h, L, hd)
        q = F.linear(q, wq, bq).reshape(N, L, h, hd).transpose(1, 2)
        k = F.linear(k, wk, bk).reshape(N, S, h, hd).transpose(1, 2)
        v = F.linear(v, wv, bv).reshape(N, S, h, hd).transpose(1, 2)
        p = self.dropout if self.training else 0.0
        weights = None
        if need_weights:
            scores = (q * (1.0 / math.sqrt(hd))) @ k.transpose(-2, -1)  # (N, h, L, S)
            if fmask is not None:
                scores = scores + tensor(fmask)
            weights = F.softmax(scores, dim=-1)
            attn = F.dropout(weights, p) if p > 0 else weights
            out = attn @ v  # (N, h, L, hd)
        else:
            m = None if fmask is None else tensor(fmask)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=m, dropout_p=p)
        out = out.transpose(1, 2).reshape(N, L, E)  # heads side by side again
        out = self.out_proj(out)
        if not batched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if weights is not None:
            if average_attn_weights:
                weights = weights.mean(dim=1)  # (N, L, S)
            if not batched:
                weights = weights.squeeze(0)
        return out, weights

    def extra_repr(self) -> str:
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
                f"dropout={self.dropout}, batch_first={self.batch_first}")


def _additive(m: np.ndarray, dtype) -> np.ndarray:
    """A bool mask (True = masked out) as 0 / -inf floats; a float mask as it is."""
    if m.dtype == np.bool_:
        out = np.zeros(m.shape, dtype=dtype)
        out[m] = -np.inf
        return out
    return m.astype(dtype, copy=False)


# ---------------------------------------------------------------------------------------------
# positional encodings


def _check_len(layer, x, batch_first, max_len, d_model):
    if not isinstance(x, Tensor) or x.ndim not in (2, 3) or x.shape[-1] != d_model:
        raise check.bad_input(x, f"({'N, L' if batch_first else 'L, N'}, d_model={d_model})")
    T = x.shape[1] if (batch_first and x.ndim == 3) else x.shape[0]
    if T > max_len:
        raise InputError(f"{layer}: sequence length {T} exceeds max_len={max_len}")
    return T


class SinusoidalPositionalEncoding(Module):
    """Add the fixed sine/cosine position code of "Attention Is All You Need" to the input.

    pe[t, 2i] = sin(t / 10000^(2i/d_model)), pe[t, 2i+1] = cos(t / 10000^(2i/d_model)).
    A glassbox module (torch has none); it has no parameters and no state_dict entries.

    Args:
        d_model: feature size.
        max_len: longest sequence supported. Default 5000.
        dropout: dropout applied after the addition, in training. Default 0.
        batch_first: input (N, L, d_model) instead of (L, N, d_model). Default False.

    Shape:
        (L, N, d_model) or (N, L, d_model) with batch_first, or (L, d_model) -> same shape.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> pe = nn.SinusoidalPositionalEncoding(8, batch_first=True)
        >>> pe(gb.zeros(2, 5, 8)).shape
        (2, 5, 8)
    """

    def __init__(self, d_model: int, max_len: int = 5000, dropout: float = 0.0,
                 batch_first: bool = False, dtype=None):
        super().__init__()
        name = type(self).__name__
        self.d_model = check.positive_int(name, "d_model", d_model)
        self.max_len = check.positive_int(name, "max_len", max_len)
        self.p = float(check.probability(name, "dropout", dropout))
        self.batch_first = check.flag(name, "batch_first", batch_first)
        dtype = check.float_dtype(name, dtype)
        pos = np.arange(max_len, dtype=np.float64)[:, None]
        freq = np.exp(-math.log(10000.0) * np.arange(0, d_model, 2) / d_model)
        pe = np.zeros((max_len, d_model))
        pe[:, 0::2] = np.sin(pos * freq)
        pe[:, 1::2] = np.cos(pos * freq)[:, : d_model // 2]
        self.register_buffer("pe", tensor(pe.astype(dtype)), persistent=False)

    def forward(self, x):
        T = _check_len(type(self).__name__, x, self.batch_first, self.max_len, self.d_model)
        pe = self.pe[:T]  # (L, d_model)
        if x.ndim == 3 and not self.batch_first:
            pe = pe.unsqueeze(1)  # (L, 1, d_model): broadcast over the batch
        out = x + pe
        return F.dropout(out, self.p) if self.training and self.p > 0 else out

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}, batch_first={self.batch_first}"


class LearnedPositionalEmbedding(Module):
    """Add a learned vector per position (GPT-2 style) to the input.

    A glassbox module: one Parameter `weight` (max_len, d_model), initialised N(0, 0.02^2)
    as in GPT-2; position t of every sequence gets weight[t] added.

    Args:
        max_len: longest sequence supported (number of positions).
        d_model: feature size.
        batch_first: input (N, L, d_model) instead of (L, N, d_model). Default False.

    Shape:
        (L, N, d_model) or (N, L, d_model) with batch_first, or (L, d_model) -> same shape.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> pos = nn.LearnedPositionalEmbedding(16, 8, batch_first=True)
        >>> pos(gb.zeros(2, 5, 8)).shape
        (2, 5, 8)
    """

    def __init__(self, max_len: int, d_model: int, batch_first: bool = False, dtype=None):
        super().__init__()
        name = type(self).__name__
        self.max_len = check.positive_int(name, "max_len", max_len)
        self.d_model = check.positive_int(name, "d_model", d_model)
        self.batch_first = check.flag(name, "batch_first", batch_first)
        self.weight = Parameter(empty(max_len, d_model, dtype=check.float_dtype(name, dtype)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the position vectors from N(0, 0.02^2)."""
        init.normal_(self.weight, 0.0, 0.02)

    def forward(self, x):
        T = _check_len(type(self).__name__, x, self.batch_first, self.max_len, self.d_model)
        pe = self.weight[:T]
        if x.ndim == 3 and not self.batch_first:
            pe = pe.unsqueeze(1)
        return x + pe

    def extra_repr(self) -> str:
        return f"max_len={self.max_len}, d_model={self.d_model}, batch_first={self.batch_first}"
