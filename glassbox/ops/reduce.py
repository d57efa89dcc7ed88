"""Reductions: sum, mean, var/std, max/min, logsumexp, prod, cumsum, norm, softmax.

A reduction's VJP broadcasts the upstream gradient back over the reduced axes; `_expand_back`
restores those axes as size 1 so NumPy broadcasting does the rest.
"""

from __future__ import annotations

import numpy as np

from glassbox import backend
from glassbox.autograd import Function
from glassbox.tensor import Tensor

__all__ = ["sum", "mean"]


def _dims(dim, ndim: int, op: str):
    """Normalise `dim` (None, int or sequence; negative allowed) to a sorted tuple of axes."""
    if dim is None or dim == ():
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in dims:
        lo = -ndim if ndim else -1
        hi = ndim - 1 if ndim else 0
        if not lo <= d <= hi:
            raise IndexError(
                f"{op}: dimension out of range (expected to be in range of [{lo}, {hi}], but got {d})"
            )
        out.append(d % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: dim {dim} names a dimension twice")
    return tuple(sorted(out))


def _expand_back(g, shape, axes, keepdim):
    """Reinsert reduced axes (as size 1) into the upstream gradient so it broadcasts."""
    if not keepdim and shape:
        g = np.expand_dims(g, axes) if axes else g
    return g


class Sum(Function):
    saves_inputs = False

    def forward(self, x, axes, keepdim, dtype):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        return np.sum(x, axis=axes, keepdims=keepdim, dtype=dtype)

    def backward(self, g):
        g = _expand_back(g, self.shape, self.axes, self.keepdim)
        return np.broadcast_to(g, self.shape)


class Mean(Function):
    saves_inputs = False

    def forward(self, x, axes, keepdim):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        self.count = int(np.prod([x.shape[a] for a in axes])) if x.ndim else 1
        return np.mean(x, axis=axes, keepdims=keepdim)

    def backward(self, g):
        g = _expand_back(g, self.shape, self.axes, self.keepdim)
        return np.broadcast_to(g / g.dtype.type(self.count) if self.count else g, self.shape)


def sum(x, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Sum over `dim` (all dimensions when None). Bool and int tensors sum to int64."""
    axes = _dims(dim, x.ndim, "sum")
    if x.dtype.kind != "f":
        out = np.sum(x._data, axis=axes, keepdims=keepdim, dtype=dtype or backend.int64)
        return Tensor._wrap(out)
    return Sum.apply(x, axes=axes, keepdim=keepdim, dtype=dtype)


def mean(x, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Mean over `dim` (all dimensions when None). Only float tensors, as in torch."""
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind != "f":
        raise TypeError(
            f"mean: input dtype should be floating point, got {x.dtype}; use x.float().mean()"
        )
    return Mean.apply(x, axes=_dims(dim, x.ndim, "mean"), keepdim=keepdim)
