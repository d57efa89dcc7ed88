"""Flatten and Unflatten: reshape a range of dims into one, and one dim back into several.

Flatten sits between the convolutional part of a network and its Linear head, turning each
(C, H, W) feature map into one vector of C*H*W features; the batch dim is kept.
"""

from __future__ import annotations

import math

from glassbox.nn.layers import _checks as check
from glassbox.nn.module import Module
from glassbox.tensor import Tensor

__all__ = ["Flatten", "Unflatten"]


def _dim_ok(dim: int, ndim: int) -> bool:
    ndim = max(ndim, 1)  # a 0-d tensor is treated as 1-d (as torch)
    return -ndim <= dim < ndim


def _fits(size: int, sizes: tuple) -> bool:
    """Whether a dim of `size` can be split into `sizes` (one of which may be -1)."""
    known = math.prod(s for s in sizes if s != -1)
    return size % known == 0 if -1 in sizes else size == known


class Flatten(Module):
    """Flatten dims start_dim..end_dim (inclusive) into one.

    Args:
        start_dim: first dim to flatten. Default 1 (keeps the batch dim).
        end_dim: last dim to flatten. Default -1.

    Shape:
        (*, S_start, ..., S_end, *) -> (*, S_start * ... * S_end, *).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.Flatten()(gb.randn(32, 1, 5, 5)).shape
        (32, 25)
        >>> nn.Flatten(0, 2)(gb.randn(32, 1, 5, 5)).shape
        (160, 5)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        name = type(self).__name__
        self.start_dim = check.integer(name, "start_dim", start_dim)
        self.end_dim = check.integer(name, "end_dim", end_dim)

    def forward(self, input):
        if not isinstance(input, Tensor) or not (
                _dim_ok(self.start_dim, input.ndim) and _dim_ok(self.end_dim, input.ndim)):
            raise check.bad_input(input, f"(...) with dims {self.start_dim} and "
                                  f"{self.end_dim} (start_dim, end_dim)")
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expand dim `dim` into the shape unflattened_size (one entry may be -1).

    Args:
        dim: the dim to unflatten.
        unflattened_size: tuple (or list) of ints whose product is input.shape[dim].

    Shape:
        (*, S_dim, *) -> (*, U_1, ..., U_n, *).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.Unflatten(1, (2, 5, 5))(gb.randn(2, 50)).shape
        (2, 2, 5, 5)
    """

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        name = type(self).__name__
        dim = check.integer(name, "dim", dim)
        if not isinstance(unflattened_size, (tuple, list)) or not all(
                check._is_int(s) for s in unflattened_size):
            raise TypeError(f"{name}: unflattened_size must be a tuple of ints, received "
                            f"unflattened_size={unflattened_size!r}")
        if not unflattened_size or any(s == 0 or s < -1 for s in unflattened_size) or (
                sum(s == -1 for s in unflattened_size) > 1):
            raise ValueError(f"{name}: unflattened_size must hold positive sizes and at most "
                             f"one -1, received unflattened_size={unflattened_size!r}")
        self.dim = int(dim)
        self.unflattened_size = unflattened_size

    def forward(self, input):
        sizes = tuple(self.unflattened_size)
        if not isinstance(input, Tensor) or input.ndim == 0 or not _dim_ok(self.dim, input.ndim) \
                or not _fits(input.shape[self.dim], sizes):
            raise check.bad_input(input, f"(...) whose dim {self.dim} unflattens into {sizes}")
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
