"""Fused network ops: linear, dropout, embedding, attention, cosine similarity, normalize.

Each op is one Function with a hand-written vector-Jacobian product: one forward pass over raw
arrays and one backward pass, instead of a graph of many tiny ops. Forward keeps on `self` only
what the VJP needs, and only for inputs that need a gradient. Semantics (shapes, defaults,
non-smooth points, error classes) follow torch.nn.functional 2.13.

Conventions used below: in linear, M is the number of rows once the leading dims are flattened;
in attention, L is the query length, S the key/value length, E the embedding size, Ev the value
size, and `...` any batch dims (which broadcast between query, key and value, as in torch).
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np

from glassbox import autograd, backend
from glassbox.autograd import Function
from glassbox.ops.errors import DTypeError, ShapeError
from glassbox.tensor import Tensor

__all__ = [
    "cosine_similarity",
    "dropout",
    "dropout2d",
    "embedding",
    "linear",
    "normalize",
    "scaled_dot_product_attention",
]


# ---------------------------------------------------------------------------------------------
# Errors shared by the fused ops, norms and losses


# (one set of classes for all ops: see glassbox/ops/errors.py)
InputError = ShapeError
DtypeError = DTypeError


def _tensor_arg(x, op: str, what: str = "input") -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {what} must be a Tensor, got {type(x).__name__}")
    return x


def _float_arg(x, op: str, what: str = "input") -> Tensor:
    _tensor_arg(x, op, what)
    if x._data.dtype.kind != "f":
        raise DtypeError(f"{op}: {what} must be a floating point tensor, got dtype {x.dtype}")
    return x


def _same_dtype(op: str, ref: Tensor, **others) -> None:
    for what, t in others.items():
        if t is not None and t._data.dtype != ref._data.dtype:
            raise DtypeError(
                f"{op}: {what} has dtype {t.dtype} but input has dtype {ref.dtype}; "
                f"they must match (use {what}.to(input.dtype))"
            )


def _constant_arg(t, op: str, what: str):
    """The array of an argument torch does not differentiate (class weights, masks, ...)."""
    if t is None:
        return None
    _tensor_arg(t, op, what)
    if t.requires_grad and autograd.is_grad_enabled():
        raise RuntimeError(
            f"{op}: is not differentiable with respect to {what} (as in torch), but {what} "
            f"requires grad; pass {what}.detach()"
        )
    return t._data


# ---------------------------------------------------------------------------------------------
# Row and column reductions of a 2-D array as BLAS matrix-vector products: several times
# faster than ndarray.sum(axis=...) for the (rows of a few hundred) shapes networks use.


@functools.lru_cache(maxsize=64)
def _ones(n: int, dtype) -> np.ndarray:
    ones = np.ones(n, dtype=dtype)
    ones.flags.writeable = False
    return ones


def row_sums(a: np.ndarray) -> np.ndarray:
    """(M, N) -> (M,): the sum of each row."""
    return np.matmul(a, _ones(a.shape[1], a.dtype))


def col_sums(a: np.ndarray) -> np.ndarray:
    """(M, N) -> (N,): the sum of each column."""
    return np.matmul(_ones(a.shape[0], a.dtype), a)


if hasattr(np, "vecdot"):  # NumPy >= 2.0

    def row_dots(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """(M, N), (M, N) -> (M,): the dot product of each pair of rows."""
        return np.vecdot(a, b)

else:  # pragma: no cover - older NumPy

    def row_dots(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """(M, N), (M, N) -> (M,): the dot product of each pair of rows."""
        return np.einsum("ij,ij->i", a, b)


# ---------------------------------------------------------------------------------------------
# linear


class Linear(Function):
    """y = x @ W.T + b: one GEMM forward; backward dX = dY @ W, dW = dY.T @ X, db = sum dY."""

    def forward(self, x, w, b=None):
        need_x, need_w = self.needs_input_grad[0], self.needs_input_grad[1]
        self.x_shape, self.w_shape = x.shape, w.shape
        self.n_out = w.shape[0] if w.ndim == 2 else 1
        w2 = w if w.ndim == 2 else w.reshape(1, -1)  # a 1-D weight is one output feature
        x2 = x.reshape(-1, x.shape[-1])  # (M, in)
        out = np.matmul(x2, w2.T)  # (M, out); BLAS reads the transposed view directly
        if b is not None:
            out += b
        self.x2 = x2 if need_w else None  # dW needs X, dX needs W: keep only what is asked
        self.w2 = w2 if need_x else None
        lead = x.shape[:-1]
        return out.reshape(lead + (w.shape[0],) if w.ndim == 2 else lead)

    def backward(self, g):
        g2 = g.reshape(-1, self.n_out)  # (M, out)
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = np.matmul(g2, self.w2).reshape(self.x_shape)
        if self.needs_input_grad[1]:
            gw = np.matmul(g2.T, self.x2).reshape(self.w_shape)  # (out, in)
        if len(self.needs_input_grad) > 2 and self.needs_input_grad[2]:
            gb = col_sums(g2)  # (out,); the engine reduces further for a (1,) or () bias
        return gx, gw, gb


def linear(input, weight, bias=None) -> Tensor:
    """Apply an affine map y = x W^T + b over the last dimension (as torch.nn.functional.linear).

    Args:
        input: float tensor (*, in_features).
        weight: (out_features, in_features), or (in_features,) for a single output.
        bias: optional (out_features,). Default None.

    Shape:
        (*, in_features) -> (*, out_features); (*,) when weight is 1-D.

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.linear(gb.ones(2, 3), gb.ones(4, 3), gb.zeros(4)).shape
        (2, 4)
    """
    op = "linear"
    _float_arg(input, op)
    _float_arg(weight, op, "weight")
    if input.ndim == 0 or weight.ndim not in (1, 2):
        raise InputError(
            f"{op}: expected input with at least 1 dim and a 1-D or 2-D weight, got input "
            f"{tuple(input.shape)} and weight {tuple(weight.shape)}"
        )
    if input.shape[-1] != weight.shape[-1]:
        raise InputError(
            f"{op}: input has {input.shape[-1]} features (last dim of {tuple(input.shape)}) but "
            f"weight {tuple(weight.shape)} expects {weight.shape[-1]}"
        )
    _same_dtype(op, input, weight=weight, bias=bias)
    if bias is None:
        return Linear.apply(input, weight)
    _tensor_arg(bias, op, "bias")
    n_out = weight.shape[0] if weight.ndim == 2 else 1
    if bias.ndim > 1 or (bias.ndim == 1 and bias.shape[0] not in (1, n_out)):
        raise InputError(f"{op}: bias must have shape ({n_out},), got {tuple(bias.shape)}")
    return Linear.apply(input, weight, bias)


# ---------------------------------------------------------------------------------------------
# dropout


class Dropout(Function):
    """y = x * mask, with the mask already scaled by 1/(1-p); the VJP reuses the same mask."""

    saves_inputs = False

    def forward(self, x, mask):
        self.mask = mask  # may be smaller than x (channel dropout): it broadcasts
        return x * mask

    def backward(self, g):
        return g * self.mask


def _check_p(p, op: str) -> float:
    if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    return float(p)


def _keep_mask(shape, p: float, dtype) -> np.ndarray:
    """A {0, 1/(1-p)} mask: each element kept with probability 1 - p (inverted dropout)."""
    if p == 1.0:
        return np.zeros(shape, dtype=dtype)  # 1/(1-p) would be inf, and 0 * inf is nan
    u = backend.default_generator().random(shape, dtype=np.float32)  # uniform in [0, 1)
    mask = np.greater_equal(u, np.float32(p)).astype(dtype)
    mask *= dtype.type(1.0 / (1.0 - p))
    return mask


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout).

    The mask comes from glassbox's generator (`gb.manual_seed` makes it repeatable). With
    training=False or p=0 the input is returned unchanged.

    Args:
        input: float tensor.
        p: probability of zeroing an element, in [0, 1]. Default 0.5.
        training: apply dropout only when True. Default True.
        inplace: accepted for torch compatibility; glassbox always returns a new tensor.

    Shape:
        (*) -> (*).

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.dropout(gb.ones(4), p=0.5, training=False).tolist()
        [1.0, 1.0, 1.0, 1.0]
    """
    p = _check_p(p, "dropout")
    _float_arg(input, "dropout")
    if not training or p == 0.0:
        return input
    return Dropout.apply(input, mask=_keep_mask(input.shape, p, input.dtype))


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels with probability p and scale the rest by 1/(1-p).

    As torch 2.13: a 4-D input is (N, C, H, W); a 3-D input is read as (N, C, L) (one
    mask value per (sample, channel)); other ranks mask dims 0 and 1 the same way.

    Args:
        input: float tensor with at least 2 dims.
        p: probability of zeroing a channel, in [0, 1]. Default 0.5.
        training: apply dropout only when True. Default True.
        inplace: accepted for torch compatibility; glassbox always returns a new tensor.

    Shape:
        (N, C, *) -> (N, C, *).

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.dropout2d(gb.ones(2, 3, 4, 4), training=False).shape
        (2, 3, 4, 4)
    """
    p = _check_p(p, "dropout2d")
    _float_arg(input, "dropout2d")
    if input.ndim < 2:
        raise InputError(
            f"dropout2d: expected an input with at least 2 dims (N, C, *), got {tuple(input.shape)}"
        )
    if not training or p == 0.0:
        return input
    shape = input.shape[:2] + (1,) * (input.ndim - 2)  # one draw per (sample, channel)
    return Dropout.apply(input, mask=_keep_mask(shape, p, input.dtype))


# ---------------------------------------------------------------------------------------------
# embedding


class Embedding(Function):
    """out = W[idx]; the VJP scatter-adds the output gradient into the rows that were read."""

    saves_inputs = False  # the weight's values are not needed, only the indices

    def forward(self, w, idx, padding_idx):
        # checked here, not in `embedding`, so replays of a captured step check too
        num = w.shape[0]
        if idx.size:
            lo, hi = int(idx.min()), int(idx.max())
            if lo < 0 or hi >= num:
                bad = lo if lo < 0 else hi
                raise IndexError(f"embedding: index {bad} is out of range for {num} embeddings")
        self.idx, self.w_shape, self.padding_idx = idx, w.shape, padding_idx
        return np.take(w, idx, axis=0)  # idx.shape + (D,)

    def backward(self, g):
        num, dim = self.w_shape
        flat = self.idx.reshape(-1)
        g2 = g.reshape(-1, dim)  # (n, D)
        gw = _scatter_rows(flat, g2, num)
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0  # the padding row never learns (as torch)
        return gw


def _scatter_rows(idx: np.ndarray, rows: np.ndarray, num: int) -> np.ndarray:
    """out[idx[k]] += rows[k] for every k, summing repeated indices; out is (num, D).

    Sort the indices, then sum each run of equal indices with one np.add.reduceat. On this
    project's 2-core CPU that beat np.add.at (2-7x), a one-hot GEMM (except for tiny tables)
    and per-column np.bincount for every table size measured (benchmarks/fused_micro.py).
    """
    out = np.zeros((num, rows.shape[1]), dtype=rows.dtype)
    if idx.size == 0:
        return out
    order = np.argsort(idx, kind="stable")
    sorted_idx = idx[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_idx[1:] != sorted_idx[:-1])))
    out[sorted_idx[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    return out


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of `weight` by integer index (as torch.nn.functional.embedding).

    Args:
        input: int tensor of indices in [0, num_embeddings), any shape.
        weight: float tensor (num_embeddings, embedding_dim).
        padding_idx: optional row (negative counts from the end) whose gradient stays zero.
            Default None.
        max_norm, norm_type, scale_grad_by_freq, sparse: not supported (must keep defaults).

    Shape:
        (*) indices, (V, D) weight -> (*, D).

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.embedding(gb.tensor([[0, 2]]), gb.eye(3)).tolist()
        [[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]]
    """
    op = "embedding"
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError(
            f"{op}: max_norm, scale_grad_by_freq and sparse are not supported"
        )
    _tensor_arg(input, op, "indices")
    _float_arg(weight, op, "weight")
    if input._data.dtype.kind not in "iu":
        raise DtypeError(f"{op}: indices must be an integer tensor, got dtype {input.dtype}")
    if weight.ndim != 2:
        raise InputError(f"{op}: weight must be 2-D (num_embeddings, embedding_dim), "
                         f"got {tuple(weight.shape)}")
    num = weight.shape[0]
    idx = input._data  # its range is checked by the op
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"{op}: padding_idx must be within num_embeddings ({num}), "
                             f"got {padding_idx}")
        padding_idx %= num
    return Embedding.apply(weight, idx=idx, padding_idx=padding_idx)


# ---------------------------------------------------------------------------------------------
# scaled dot-product attention


class Attention(Function):
    """softmax(Q K^T * scale + mask) V with the probabilities P saved for the VJP.

    Backward, with dO the output gradient (P' = P after dropout):
        dV = P'^T dO,   dP = (dO V^T) * dropmask,   dS = P * (dP - rowsum(dP * P)),
        dQ = dS K * scale,   dK = dS^T (Q * scale),   d(float mask) = dS.
    The scale is applied to Q (L x E) rather than to the scores (L x S): fewer elements.
    """

    def forward(self, q, k, v, fmask=None, keep=None, causal=False, scale=1.0, dropout_p=0.0):
        need_q, need_k = self.needs_input_grad[:2]
        need_mask = len(self.needs_input_grad) > 3 and self.needs_input_grad[3]
        L, S = q.shape[-2], k.shape[-2]
        dt = q.dtype
        keep01 = None  # the bool mask as 0/1 floats, for the bound-shifted softmax
        if causal:
            keep, keep01 = _causal_keep(L, S), _causal_keep01(L, S, dt)
        elif keep is not None and fmask is None:
            keep01 = keep.astype(dt)
        # Without a float mask, dropout or a bool mask that is not the causal one, and with q,
        # k, v sharing their batch dims, every batch row is independent: the rows are then
        # computed a block at a time, so each block's scores (about 1 MB) stay in the cache
        # through the softmax's passes (a GPT's scores at batch 256 are 16 MB per layer).
        self.blocked = (fmask is None and dropout_p == 0.0 and (keep is None or causal)
                        and q.ndim >= 3 and q.shape[:-2] == k.shape[:-2] == v.shape[:-2])
        self.drop = self.pd = None
        self.scale = scale
        if self.blocked:
            out = self._forward_blocked(q, k, v, keep, keep01, scale)
        else:
            qs = q * dt.type(scale)  # (..., L, E)
            kt = np.ascontiguousarray(_mT(k))  # (..., E, S): NumPy's batched GEMM is faster
            self.p = p = _attention_probs(qs, kt, k, keep, keep01, fmask)
            if dropout_p > 0.0:
                self.drop = _keep_mask(p.shape, dropout_p, p.dtype)
                self.pd = p * self.drop
            out = np.matmul(p if self.pd is None else self.pd, v)  # (..., L, Ev)
            self.qs = qs
        # keep only what the asked-for gradients read
        if not need_k:
            self.qs = None
        self.k = k if need_q else None
        self.v = v if (need_q or need_k or need_mask) else None
        return out

    def _forward_blocked(self, q, k, v, keep, keep01, scale):
        """The forward a block of batch rows at a time. Backward reads the probabilities and
        the scaled queries; without it (inference) one block's worth of each is enough."""
        S, dt = k.shape[-2], q.dtype
        train = any(self.needs_input_grad)
        self.qs = qs = np.empty(q.shape, dt) if train else None
        self.p = p = np.empty(q.shape[:-1] + (S,), dt) if train else None
        out = np.empty(q.shape[:-1] + (v.shape[-1],), dt)

        def rows(a, b):
            qs_r = np.multiply(q[a:b], dt.type(scale), out=None if qs is None else qs[a:b])
            kt_r = np.ascontiguousarray(_mT(k[a:b]))  # only the scores read it: one block's
            p_r = _attention_probs(qs_r, kt_r, k[a:b], keep, keep01,
                                   out=None if p is None else p[a:b])
            np.matmul(p_r, v[a:b], out=out[a:b])

        backend.by_blocks(rows, q.shape[0], math.prod(q.shape[1:-1]) * S)
        return out

    def backward(self, g):
        need_q, need_k, need_v = self.needs_input_grad[:3]
        need_mask = len(self.needs_input_grad) > 3 and self.needs_input_grad[3]
        p, qs, k, v = self.p, self.qs, self.k, self.v
        scale = g.dtype.type(self.scale)
        if not self.blocked:
            return _attention_vjp(g, p, self.pd, self.drop, v, k, qs, scale, need_q, need_k,
                                  need_v, need_mask)
        # the same VJP a block of batch rows at a time, into preallocated gradients
        dt = g.dtype
        gq = np.empty(p.shape[:-1] + (k.shape[-1],), dt) if need_q else None
        gk = np.empty(p.shape[:-2] + (p.shape[-1], qs.shape[-1]), dt) if need_k else None
        gv = np.empty(p.shape[:-2] + (p.shape[-1], g.shape[-1]), dt) if need_v else None

        def rows(a, b):
            _attention_vjp(g[a:b], p[a:b], None, None, _rows(v, a, b), _rows(k, a, b),
                           _rows(qs, a, b), scale, need_q, need_k, need_v, False,
                           out=(_rows(gq, a, b), _rows(gk, a, b), _rows(gv, a, b)))

        backend.by_blocks(rows, p.shape[0], p[:1].size)
        return gq, gk, gv, None


def _rows(a, start: int, stop: int):
    """a[start:stop], or None for None."""
    return None if a is None else a[start:stop]


def _attention_probs(qs, kt, k, keep, keep01, fmask=None, out=None):
    """softmax(qs @ kt + fmask) over the last axis, keys where `keep` is False masked out.

    Written into `out` when given (where the masks broadcast into it), else a fresh array.
    Without a float mask the shift is the cheap bound of _softmax_shifted_by_bound_; rows it
    cannot do get the exact softmax.
    """
    s = np.matmul(qs, kt, out=out)  # the softmax works in place
    if fmask is None and s.shape[-1]:
        p = _softmax_shifted_by_bound_(s, qs, k, keep01)
        if p is not None:
            return p
        s = np.matmul(qs, kt, out=out)  # the bound pass overwrote the scores
    if fmask is not None:
        s = _grow_to(s, fmask.shape)  # a mask may carry batch dims the scores lack
        s += fmask
    elif keep is not None:
        s = _grow_to(s, keep.shape)
        np.copyto(s, -np.inf, where=~keep)
    return _softmax_lastdim_(s, maybe_empty_rows=fmask is not None or keep is not None)


def _attention_vjp(g, p, pd, drop, v, k, qs, scale, need_q, need_k, need_v, need_mask,
                   out=(None, None, None)):
    """(dQ, dK, dV, d float mask) of attention; see Attention. `out` may hold arrays for
    dQ, dK, dV to be written into."""
    gq_out, gk_out, gv_out = out
    gq = gk = gv = None
    if need_v:
        gv = np.matmul(_mT(p if drop is None else pd), g, out=gv_out)  # (..., S, Ev)
    if not (need_q or need_k or need_mask):
        return gq, gk, gv, None
    dp = np.matmul(g, np.ascontiguousarray(_mT(v)))  # (..., L, S), fresh: reused in place
    if drop is not None:
        dp *= drop
    # softmax VJP, in place: dS = P * (dP - sum_j dP_j P_j)
    dp -= _last_dots(dp, p)[..., None]
    dp *= p
    if need_q:
        gq = np.matmul(dp, k, out=gq_out)  # (..., L, E)
        gq *= scale
    if need_k:
        gk = np.matmul(_mT(dp), qs, out=gk_out)  # (..., S, E); qs already carries the scale
    return gq, gk, gv, (dp if need_mask else None)


def _mT(a: np.ndarray) -> np.ndarray:
    """Swap the last two axes (a view)."""
    return np.swapaxes(a, -1, -2)


def _last_dots(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dot products along the last axis, any leading dims: (..., n), (..., n) -> (...)."""
    return row_dots(a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])).reshape(a.shape[:-1])


def _grow_to(s: np.ndarray, other_shape) -> np.ndarray:
    """`s` itself when `other_shape` broadcasts into it, else a copy expanded to both."""
    shape = np.broadcast_shapes(s.shape, other_shape)
    return s if shape == s.shape else np.broadcast_to(s, shape).copy()


def _softmax_lastdim_(s: np.ndarray, maybe_empty_rows: bool) -> np.ndarray:
    """Softmax over the last axis of a contiguous array, in place, shifted by each row's max.

    Rows that are entirely -inf (every key masked out) give zeros, as torch.
    """
    if s.shape[-1] == 0:
        return s
    m = s.max(axis=-1, keepdims=True)
    if maybe_empty_rows:
        m[~np.isfinite(m)] = 0  # an all -inf row: exp(-inf - 0) = 0 everywhere, not nan
    s -= m
    np.exp(s, out=s)
    total = row_sums(s.reshape(-1, s.shape[-1])).reshape(m.shape)
    if maybe_empty_rows:
        total[total == 0] = 1
    s *= np.reciprocal(total, out=total)
    return s


# A row whose exp-sum falls below this after the bound shift lost precision (or was fully
# masked): about e^-57, far above float32's smallest normal number (1.2e-38).
_UNDERFLOW = 1e-25


def _softmax_shifted_by_bound_(s, qs, k, keep01):
    """Softmax of the scores s = qs @ k^T over the last axis, in place; None if it can't.

    Softmax is the same for any per-row shift; the max is the usual one, but NumPy's max over
    rows of a few dozen keys costs as much as the exp itself. Cauchy-Schwarz gives a cheap
    upper bound instead: s_ij <= |q_i| * max_j |k_j|. With it no exp overflows; masked keys
    are then zeroed by multiplying with the 0/1 mask. If the bound is so loose that a row's
    terms underflow (or every key of a row is masked), return None: the caller redoes the
    softmax with the exact max.
    """
    q_norm = np.sqrt(_last_dots(qs, qs))[..., None]  # (..., L, 1)
    k_max_norm = np.sqrt(_last_dots(k, k).max(axis=-1))[..., None, None]  # (..., 1, 1)
    s -= q_norm * k_max_norm  # every entry <= 0 (up to rounding)
    np.exp(s, out=s)
    if keep01 is not None:
        s = _grow_to(s, keep01.shape)
        s *= keep01
    total = row_sums(s.reshape(-1, s.shape[-1])).reshape(s.shape[:-1] + (1,))
    if total.size and total.min() < _UNDERFLOW:
        return None
    s *= np.reciprocal(total, out=total)
    return s


@functools.lru_cache(maxsize=32)
def _causal_keep(L: int, S: int) -> np.ndarray:
    """(L, S) bool, True on and below the diagonal: the keys each query may see (as torch)."""
    keep = np.tril(np.ones((L, S), dtype=bool))
    keep.flags.writeable = False  # shared between calls
    return keep


@functools.lru_cache(maxsize=32)
def _causal_keep01(L: int, S: int, dtype) -> np.ndarray:
    """The causal mask as 0/1 floats of `dtype`."""
    keep = _causal_keep(L, S).astype(dtype)
    keep.flags.writeable = False
    return keep


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale=None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q K^T * scale + mask) V, one fused op (as torch.nn.functional's).

    Args:
        query: (..., L, E). key: (..., S, E). value: (..., S, Ev). Batch dims broadcast.
        attn_mask: optional, broadcastable to (..., L, S): bool (True = may attend) or float
            (added to the scores; it gets a gradient if it requires one). Default None.
        dropout_p: dropout on the attention probabilities (applied whenever > 0, as torch).
        is_causal: mask out keys after each query (top-left aligned); not together with
            attn_mask (as torch). Default False.
        scale: score scale; default 1/sqrt(E).
        enable_gqa: not supported (must be False).

    Shape:
        (..., L, E), (..., S, E), (..., S, Ev) -> (..., L, Ev). A query whose keys are all
        masked out gets zeros (and zero gradient), as torch.

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> q = gb.randn(2, 4, 5, 8)
        >>> F.scaled_dot_product_attention(q, q, q, is_causal=True).shape
        (2, 4, 5, 8)
    """
    op = "scaled_dot_product_attention"
    if enable_gqa:
        raise NotImplementedError(f"{op}: enable_gqa is not supported")
    for what, t in (("query", query), ("key", key), ("value", value)):
        _float_arg(t, op, what)
        if t.ndim < 2:
            raise InputError(f"{op}: {what} must have at least 2 dims (..., seq, features), "
                             f"got {tuple(t.shape)}")
    _same_dtype(op, query, key=key, value=value)
    L, E = query.shape[-2:]
    S = key.shape[-2]
    if key.shape[-1] != E or value.shape[-2] != S:
        raise InputError(
            f"{op}: expected key (..., S, {E}) and value (..., S, Ev) for query "
            f"{tuple(query.shape)}, got key {tuple(key.shape)} and value {tuple(value.shape)}"
        )
    try:
        batch = np.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except ValueError:
        raise InputError(
            f"{op}: batch dims of query {tuple(query.shape)}, key {tuple(key.shape)} and value "
            f"{tuple(value.shape)} cannot be broadcast together"
        ) from None
    dropout_p = _check_p(dropout_p, op)
    scale = 1.0 / math.sqrt(E) if scale is None else float(scale)

    keep, inputs = None, (query, key, value)
    if attn_mask is not None and is_causal:
        raise InputError(f"{op}: pass attn_mask or is_causal=True, not both (as torch); fold "
                         "the causal mask into attn_mask instead")
    if attn_mask is not None:
        _tensor_arg(attn_mask, op, "attn_mask")
        try:
            np.broadcast_shapes(attn_mask.shape, batch + (L, S))
        except ValueError:
            raise InputError(f"{op}: attn_mask {tuple(attn_mask.shape)} cannot be broadcast to "
                             f"the scores' shape {batch + (L, S)}") from None
        if attn_mask.dtype == np.bool_:
            keep = attn_mask._data  # torch: True = may attend
        elif attn_mask.dtype == query.dtype:
            inputs = inputs + (attn_mask,)
        else:
            raise DtypeError(f"{op}: attn_mask must be bool or have the query's dtype "
                             f"({query.dtype}), got {attn_mask.dtype}")
    return Attention.apply(*inputs, keep=keep, causal=bool(is_causal), scale=scale,
                           dropout_p=dropout_p)


# ---------------------------------------------------------------------------------------------
# cosine similarity and normalize


class CosineSimilarity(Function):
    """cos = sum(x1 * x2) / (N1 * N2) with N = max(||x||, eps).

    As torch 2.13, the clamp to eps is invisible to the gradient: the norm's derivative x/||x||
    is used even where N was clamped (and is 0 for an all-zero vector).
    """

    def forward(self, x1, x2, dim, eps):
        x1, x2 = np.broadcast_arrays(x1, x2)  # torch expands both first
        n1 = np.sqrt((x1 * x1).sum(dim, keepdims=True))
        n2 = np.sqrt((x2 * x2).sum(dim, keepdims=True))
        N1, N2 = np.maximum(n1, eps), np.maximum(n2, eps)
        cos = (x1 * x2).sum(dim, keepdims=True) / (N1 * N2)  # keepdim: broadcasts in backward
        self.saved = (x1, x2, n1, n2, N1, N2, cos)
        self.dim = dim
        return np.squeeze(cos, axis=dim)

    def backward(self, g):
        x1, x2, n1, n2, N1, N2, cos = self.saved
        g = np.expand_dims(g, self.dim)
        gx1 = gx2 = None
        if self.needs_input_grad[0]:
            gx1 = g * (x2 / (N1 * N2) - (cos / N1) * _safe_div(x1, n1))
        if self.needs_input_grad[1]:
            gx2 = g * (x1 / (N1 * N2) - (cos / N2) * _safe_div(x2, n2))
        return gx1, gx2


def _safe_div(x, n):
    """x / n, with 0 where n == 0 (the norm's gradient at the origin, as torch)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n == 0, 0, x / n).astype(x.dtype, copy=False)


def _dim_arg(dim: int, ndim: int, op: str) -> int:
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dims")
    return dim % ndim if ndim else 0


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between x1 and x2 along `dim` (as torch.nn.functional's).

    Args:
        x1, x2: float tensors; they broadcast against each other.
        dim: the dimension holding the vectors. Default 1.
        eps: lower bound on each norm, to avoid dividing by zero. Default 1e-8.

    Shape:
        broadcast(x1, x2) -> the same with `dim` removed.

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.cosine_similarity(gb.tensor([[1.0, 0.0]]), gb.tensor([[1.0, 1.0]])).tolist()
        [0.7071067690849304]
    """
    op = "cosine_similarity"
    _float_arg(x1, op, "x1")
    _float_arg(x2, op, "x2")
    _same_dtype(op, x1, x2=x2)
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise InputError(f"{op}: x1 {tuple(x1.shape)} and x2 {tuple(x2.shape)} cannot be "
                         "broadcast together") from None
    return CosineSimilarity.apply(x1, x2, dim=_dim_arg(dim, len(shape), op), eps=float(eps))


class Normalize(Function):
    """y = x / max(||x||_p, eps) along dim; the clamp is an ordinary clamp_min (as torch)."""

    def forward(self, x, p, dim, eps):
        n = _pnorm(x, p, dim)  # keepdims
        d = np.maximum(n, x.dtype.type(eps))
        self.x, self.n, self.d, self.p, self.dim, self.eps = x, n, d, p, dim, eps
        return x / d

    def backward(self, g):
        x, n, d, p = self.x, self.n, self.d, self.p
        gx = g / d
        # through the norm, only where it was not clamped: d(1/n)/dx = -(dn/dx) / n^2
        through = n >= self.eps
        if np.any(through):
            coef = -(g * x).sum(self.dim, keepdims=True) / (d * d) * through
            gx += coef * _pnorm_grad(x, n, p, self.dim)
        return gx


def _pnorm(x, p, dim):
    a = np.abs(x)
    if p == math.inf:
        return a.max(axis=dim, keepdims=True) if x.shape[dim] else a.sum(dim, keepdims=True)
    if p == 2:
        return np.sqrt((x * x).sum(dim, keepdims=True))
    if p == 1:
        return a.sum(dim, keepdims=True)
    return np.power(np.power(a, p).sum(dim, keepdims=True), 1.0 / p).astype(x.dtype)


def _pnorm_grad(x, n, p, dim):
    """d||x||_p / dx, zero at x = 0 (as torch's norm backward)."""
    if p == math.inf:
        # ties share the gradient evenly, as torch
        at_max = (np.abs(x) == n).astype(x.dtype)
        return np.sign(x) * at_max / np.maximum(at_max.sum(dim, keepdims=True), 1)
    if p == 1:
        return np.sign(x)
    if p == 2:
        return _safe_div(x, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        grad = np.sign(x) * np.power(np.abs(x), p - 1) / np.power(n, p - 1)
    return np.where(n == 0, 0, grad).astype(x.dtype, copy=False)


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """Divide by the p-norm along `dim`, clamped below by eps (as torch.nn.functional's).

    Args:
        input: float tensor.
        p: the norm's exponent (> 0, math.inf allowed). Default 2.0.
        dim: the dimension to normalise. Default 1.
        eps: lower bound on the norm. Default 1e-12.

    Shape:
        (*) -> (*).

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.normalize(gb.tensor([[3.0, 4.0]])).tolist()
        [[0.6000000238418579, 0.800000011920929]]
    """
    op = "normalize"
    _float_arg(input, op)
    if not isinstance(p, numbers.Real) or not p > 0:
        raise ValueError(f"{op}: p must be a positive number (or math.inf), got {p}")
    if input.ndim == 0:
        raise InputError(f"{op}: input must have at least 1 dim, got a 0-d tensor")
    return Normalize.apply(input, p=float(p), dim=_dim_arg(dim, input.ndim, op), eps=float(eps))
