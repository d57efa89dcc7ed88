"""Dropout layers: Dropout (single elements) and Dropout2d (whole channels).

Dropout fights overfitting: in training each unit is zeroed with probability p, so the network
cannot rely on any one unit, and the survivors are scaled by 1/(1-p) so the expected value of
every activation is unchanged ("inverted dropout"). In eval mode the layer does nothing. Masks
come from glassbox's generator, so `glassbox.manual_seed` makes them repeatable.
"""

from __future__ import annotations

from glassbox.nn import functional as F
from glassbox.nn.layers import _checks as check
from glassbox.nn.module import Module
from glassbox.tensor import Tensor

__all__ = ["Dropout", "Dropout2d"]


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        name = type(self).__name__
        self.p = check.probability(name, "p", p)
        self.inplace = check.flag(name, "inplace", inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability p in training, scaling the rest by 1/(1-p).

    Args:
        p: probability of zeroing an element, in [0, 1]. Default 0.5.
        inplace: accepted for torch compatibility; a new tensor is always returned.
            Default False.

    Shape:
        (*) -> (*).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> drop = nn.Dropout(p=0.5)
        >>> y = drop(gb.ones(1000))
        >>> sorted(set(y.tolist()))
        [0.0, 2.0]
        >>> drop.eval()(gb.ones(3)).tolist()
        [1.0, 1.0, 1.0]
    """

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels with probability p in training, scaling the rest by 1/(1-p).

    Neighbouring pixels of a feature map are strongly correlated, so dropping single pixels
    barely regularises a convolutional network; dropping whole channels does.

    Args:
        p: probability of zeroing a channel, in [0, 1]. Default 0.5.
        inplace: accepted for torch compatibility; a new tensor is always returned.
            Default False.

    Shape:
        (N, C, H, W) or (N, C, L) -> the same (one mask value per sample and channel).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> y = nn.Dropout2d(p=0.5)(gb.ones(2, 8, 3, 3))
        >>> sorted(set(y.sum(dim=(2, 3)).tolist()[0]))  # per-channel sums: dropped or kept whole
        [0.0, 18.0]
    """

    def forward(self, input):
        if not isinstance(input, Tensor) or input.ndim < 2:
            raise check.bad_input(input, "(N, C, H, W)")
        return F.dropout2d(input, self.p, self.training, self.inplace)
