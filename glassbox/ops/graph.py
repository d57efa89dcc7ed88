"""Segment ops for message passing: reduce rows of `src` that share a segment id in `index`.

A graph layer computes one message per edge, then has to combine the messages that arrive at
the same node. All ops here take `src` of shape (E, *rest) and an int index of shape (E,) with
values in [0, dim_size), and reduce along dim 0 into (dim_size, *rest):

    scatter_sum      out[i] = sum of src[e] with index[e] == i            (index_add)
    scatter_mean     out[i] = that sum / the number of such e (0 for none)
    scatter_max      out[i] = elementwise max over those e (0 for none)
    scatter_softmax  out[e] = exp(src[e]) / sum of exp(src[e']) with index[e'] == index[e]

They match torch's `index_add`, `scatter_reduce(..., 'mean' / 'amax', include_self=False)` on
zeros, and a softmax built from them (the tests use torch as the oracle). Ties in scatter_max
share the gradient equally, as torch's amax does. No dense N x N matrix is ever built.
"""

from __future__ import annotations

import numpy as np

from glassbox.autograd import Function
from glassbox.ops.index import _add_rows, index_add
from glassbox.tensor import Tensor, zeros

__all__ = ["scatter_max", "scatter_mean", "scatter_softmax", "scatter_sum"]


def _check(src, index, dim_size, op: str) -> np.ndarray:
    """Validate (src, index, dim_size); return the index as an int64 ndarray."""
    if not isinstance(src, Tensor):
        raise TypeError(f"{op}: src must be a Tensor, got {type(src).__name__}")
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must be an integer tensor, got dtype {idx.dtype}")
    if idx.ndim != 1 or src.ndim < 1 or idx.shape[0] != src.shape[0]:
        raise ValueError(
            f"{op}: index must be 1-d with one entry per row of src; received index of shape "
            f"{tuple(idx.shape)} and src of shape {tuple(src.shape)}"
        )
    if not isinstance(dim_size, (int, np.integer)) or dim_size < 0:
        raise ValueError(f"{op}: dim_size must be a non-negative int, got {dim_size!r}")
    if idx.size and (idx.min() < 0 or idx.max() >= dim_size):
        bad = idx[(idx < 0) | (idx >= dim_size)][0]
        raise IndexError(f"{op}: index {bad} is out of range for dim_size {dim_size}")
    return idx.astype(np.int64, copy=False)


def _dim_size(idx: np.ndarray, dim_size) -> int:
    return int(idx.max()) + 1 if dim_size is None and idx.size else int(dim_size or 0)


def _counts(idx: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(idx, minlength=n)[:n]


def scatter_sum(src: Tensor, index, dim_size: int | None = None) -> Tensor:
    """Sum the rows of src that share a segment id: out[index[e]] += src[e].

    Args:
        src: (E, *rest) values, one row per edge (message).
        index: (E,) int segment id of each row, in [0, dim_size).
        dim_size: number of segments (default index.max() + 1).

    Shape:
        (E, *rest), (E,) -> (dim_size, *rest).

    Example:
        >>> import glassbox as gb
        >>> from glassbox.ops.graph import scatter_sum
        >>> scatter_sum(gb.tensor([1.0, 2.0, 3.0]), gb.tensor([0, 2, 0]), 3).tolist()
        [4.0, 0.0, 2.0]
    """
    idx = _check(src, index, _dim_size(_as_array(index), dim_size), "scatter_sum")
    n = _dim_size(idx, dim_size)
    out = zeros(n, *src.shape[1:], dtype=src.dtype)
    return index_add(out, 0, Tensor._wrap(idx), src)


def _as_array(index) -> np.ndarray:
    return index._data if isinstance(index, Tensor) else np.asarray(index)


def scatter_mean(src: Tensor, index, dim_size: int | None = None) -> Tensor:
    """Mean of the rows of src that share a segment id (0 for a segment with no rows).

    Args:
        src: (E, *rest) values.
        index: (E,) int segment ids.
        dim_size: number of segments (default index.max() + 1).

    Shape:
        (E, *rest), (E,) -> (dim_size, *rest).

    Example:
        >>> import glassbox as gb
        >>> from glassbox.ops.graph import scatter_mean
        >>> scatter_mean(gb.tensor([1.0, 2.0, 3.0]), gb.tensor([0, 2, 0]), 4).tolist()
        [2.0, 0.0, 2.0, 0.0]
    """
    idx = _check(src, index, _dim_size(_as_array(index), dim_size), "scatter_mean")
    n = _dim_size(idx, dim_size)
    total = scatter_sum(src, idx, n)
    count = np.maximum(_counts(idx, n), 1).astype(src.dtype)
    return total / Tensor._wrap(count.reshape((n,) + (1,) * (src.ndim - 1)))


class ScatterMax(Function):
    """out[i] = max over rows e with index[e] == i; empty segments give 0."""

    def forward(self, src, index, n):
        out = np.full((n,) + src.shape[1:], -np.inf, dtype=src.dtype)
        np.maximum.at(out, index, src)
        out[np.isneginf(out)] = 0  # empty segments (and only they) are still -inf
        self.index, self.n = index, n
        self.is_max = src == out[index]  # which rows won (ties all win)
        return out

    def backward(self, g):
        hits = np.zeros((self.n,) + g.shape[1:], dtype=g.dtype)
        _add_rows(hits, self.index, self.is_max.astype(g.dtype))
        share = g / np.maximum(hits, 1)  # ties split the gradient equally, as torch's amax
        return np.where(self.is_max, share[self.index], 0).astype(g.dtype), None


def scatter_max(src: Tensor, index, dim_size: int | None = None) -> Tensor:
    """Elementwise max of the rows of src that share a segment id (0 for an empty segment).

    Args:
        src: (E, *rest) values.
        index: (E,) int segment ids.
        dim_size: number of segments (default index.max() + 1).

    Shape:
        (E, *rest), (E,) -> (dim_size, *rest).

    Example:
        >>> import glassbox as gb
        >>> from glassbox.ops.graph import scatter_max
        >>> scatter_max(gb.tensor([1.0, -2.0, 3.0]), gb.tensor([0, 1, 0]), 3).tolist()
        [3.0, -2.0, 0.0]
    """
    idx = _check(src, index, _dim_size(_as_array(index), dim_size), "scatter_max")
    return ScatterMax.apply(src, Tensor._wrap(idx), n=_dim_size(idx, dim_size))


class ScatterSoftmax(Function):
    """y[e] = exp(src[e] - m) / sum over the segment of index[e]; VJP y * (g - sum(g * y))."""

    saves_inputs = False
    saves_output = True

    def forward(self, src, index, n):
        top = np.full((n,) + src.shape[1:], -np.inf, dtype=src.dtype)
        np.maximum.at(top, index, src)
        e = np.exp(src - top[index])  # <= 1: no overflow
        total = np.zeros((n,) + src.shape[1:], dtype=src.dtype)
        _add_rows(total, index, e)
        y = e / total[index]
        self.y, self.index, self.n = y, index, n
        return y

    def backward(self, g):
        gy = g * self.y
        total = np.zeros((self.n,) + g.shape[1:], dtype=g.dtype)
        _add_rows(total, self.index, gy)
        return gy - self.y * total[self.index], None


def scatter_softmax(src: Tensor, index, dim_size: int | None = None) -> Tensor:
    """Softmax of src over the rows that share a segment id (e.g. the edges into one node).

    Args:
        src: (E, *rest) scores, e.g. one attention logit per edge (and head).
        index: (E,) int segment ids (the target node of each edge).
        dim_size: number of segments (default index.max() + 1).

    Shape:
        (E, *rest), (E,) -> (E, *rest); within each segment the values sum to 1.

    Example:
        >>> import glassbox as gb
        >>> from glassbox.ops.graph import scatter_softmax
        >>> y = scatter_softmax(gb.tensor([0.0, 0.0, 5.0]), gb.tensor([0, 0, 1]))
        >>> [round(v, 3) for v in y.tolist()]
        [0.5, 0.5, 1.0]
    """
    idx = _check(src, index, _dim_size(_as_array(index), dim_size), "scatter_softmax")
    return ScatterSoftmax.apply(src, Tensor._wrap(idx), n=_dim_size(idx, dim_size))
