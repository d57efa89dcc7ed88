"""Loss modules: each holds a loss's options and calls the function of the same name in F.

A loss measures how far the network's output is from the target; training follows its
gradient downhill. Constructors take torch's arguments, including the legacy size_average and
reduce (turned into `reduction` with torch's warning). Class weights are buffers, so they
appear in state_dict exactly when torch's do. Mismatched input/target shapes are refused by
the functions in ops/loss.py, never broadcast.
"""

from __future__ import annotations

import warnings

from glassbox.nn import functional as F
from glassbox.nn.layers import _checks as check
from glassbox.nn.module import Module
from glassbox.tensor import Tensor

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "HuberLoss",
    "KLDivLoss",
    "L1Loss",
    "MSELoss",
    "NLLLoss",
    "SmoothL1Loss",
]

_REDUCTIONS = ("none", "mean", "sum")


def _legacy_reduction(size_average, reduce) -> str:
    """torch's mapping of the deprecated (size_average, reduce) pair to a reduction."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "none" if not reduce else ("mean" if size_average else "sum")
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", stacklevel=4)
    return reduction


class _Loss(Module):
    _reductions = _REDUCTIONS

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        if size_average is not None or reduce is not None:
            self.reduction = _legacy_reduction(size_average, reduce)
        else:
            self.reduction = check.choice(type(self).__name__, "reduction", reduction,
                                          self._reductions)


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _weight_buffer(type(self).__name__, "weight", weight))


def _weight_buffer(name: str, what: str, weight):
    if weight is not None and not isinstance(weight, Tensor):
        raise TypeError(f"{name}: {what} must be a Tensor or None, received "
                        f"{type(weight).__name__}")
    if weight is not None and weight.dtype.kind != "f":
        raise TypeError(f"{name}: {what} must be a floating point tensor, received dtype "
                        f"{weight.dtype}")
    return weight


class L1Loss(_Loss):
    """Mean absolute error: reduce(|input - target|).

    Args:
        size_average, reduce: deprecated (as torch); use reduction.
        reduction: 'none', 'mean' or 'sum'. Default 'mean'.

    Shape:
        input (*), target (*) the same shape -> scalar, or (*) for 'none'.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.L1Loss()(gb.tensor([1.0, 2.0]), gb.tensor([0.0, 4.0])).item()
        1.5
    """

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error: reduce((input - target)^2).

    Args:
        size_average, reduce: deprecated (as torch); use reduction.
        reduction: 'none', 'mean' or 'sum'. Default 'mean'.

    Shape:
        input (*), target (*) the same shape -> scalar, or (*) for 'none'.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.MSELoss()(gb.tensor([1.0, 2.0]), gb.tensor([0.0, 4.0])).item()
        2.5
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Smooth L1: 0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = input - target).

    Args:
        size_average, reduce: deprecated (as torch); use reduction.
        reduction: 'none', 'mean' or 'sum'. Default 'mean'.
        beta: where the loss turns from quadratic to linear (>= 0). Default 1.0.

    Shape:
        input (*), target (*) the same shape -> scalar, or (*) for 'none'.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.SmoothL1Loss()(gb.tensor([0.5, 3.0]), gb.tensor([0.0, 0.0])).item()
        1.3125
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 beta: float = 1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = check.real(type(self).__name__, "beta", beta, low=0.0)

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Huber: 0.5 d^2 where |d| < delta, delta * (|d| - 0.5 delta) elsewhere.

    Args:
        reduction: 'none', 'mean' or 'sum'. Default 'mean'.
        delta: where the loss turns from quadratic to linear (> 0). Default 1.0.

    Shape:
        input (*), target (*) the same shape -> scalar, or (*) for 'none'.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.HuberLoss(delta=2.0)(gb.tensor([3.0]), gb.tensor([0.0])).item()
        4.0
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        self.delta = check.real(type(self).__name__, "delta", delta, low=0.0, low_open=True)

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices, given log-probabilities (e.g. LogSoftmax).

    loss_n = -weight[y_n] * input[n, y_n]; 'mean' divides by the sum of the weights used.

    Args:
        weight: optional per-class weight (C,), a buffer. Default None.
        size_average, reduce: deprecated (as torch); use reduction.
        ignore_index: a target value that contributes nothing. Default -100.
        reduction: 'none', 'mean' or 'sum'. Default 'mean'.

    Shape:
        input (N, C) or (N, C, d1, ...), target (N) or (N, d1, ...) of int64 -> scalar, or
        the target's shape for 'none'.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> logp = gb.tensor([[-0.5, -1.0], [-2.0, -0.1]])
        >>> nn.NLLLoss()(logp, gb.tensor([0, 1])).item()
        0.30000001192092896
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = check.integer(type(self).__name__, "ignore_index", ignore_index)

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy between logits and class indices (or class probabilities).

    log_softmax and NLL in one stable step: loss_n = -log softmax(x_n)[y_n], optionally
    class-weighted and with label smoothing.

    Args:
        weight: optional per-class weight (C,), a buffer. Default None.
        size_average, reduce: deprecated (as torch); use reduction.
        ignore_index: a target index that contributes nothing. Default -100.
        reduction: 'none', 'mean' or 'sum'. Default 'mean'.
        label_smoothing: in [0, 1]: mix the one-hot target with a uniform one. Default 0.0.

    Shape:
        input (N, C) or (N, C, d1, ...) logits; target (N) or (N, d1, ...) int64 indices, or
        input-shaped probabilities -> scalar, or the per-sample shape for 'none'.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> loss = nn.CrossEntropyLoss()(gb.zeros(2, 4), gb.tensor([1, 3]))
        >>> round(loss.item(), 4)  # log(4)
        1.3863
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(weight, size_average, reduce, reduction)
        name = type(self).__name__
        self.ignore_index = check.integer(name, "ignore_index", ignore_index)
        self.label_smoothing = check.probability(name, "label_smoothing", label_smoothing)

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy between probabilities in [0, 1] and targets in [0, 1].

    loss = -weight * (t log x + (1 - t) log(1 - x)), each log clamped at -100 (as torch).

    Args:
        weight: optional rescaling weight, broadcast to the input's shape (a buffer).
            Default None.
        size_average, reduce: deprecated (as torch); use reduction.
        reduction: 'none', 'mean' or 'sum'. Default 'mean'.

    Shape:
        input (*), target (*) the same shape -> scalar, or (*) for 'none'.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> round(nn.BCELoss()(gb.tensor([0.5]), gb.tensor([1.0])).item(), 4)  # log(2)
        0.6931
    """

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits: sigmoid and BCELoss fused, stable for any logit.

    Args:
        weight: optional rescaling weight, broadcast to the input's shape (a buffer).
            Default None.
        size_average, reduce: deprecated (as torch); use reduction.
        reduction: 'none', 'mean' or 'sum'. Default 'mean'.
        pos_weight: optional weight of the positive term per class, broadcast along the
            last dim (a buffer). Default None.

    Shape:
        input (*), target (*) the same shape -> scalar, or (*) for 'none'.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> round(nn.BCEWithLogitsLoss()(gb.tensor([0.0]), gb.tensor([1.0])).item(), 4)
        0.6931
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        name = type(self).__name__
        self.register_buffer("weight", _weight_buffer(name, "weight", weight))
        self.register_buffer("pos_weight", _weight_buffer(name, "pos_weight", pos_weight))

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence KL(target || input) with `input` given as log-probabilities.

    Pointwise: target * (log target - input) (or, with log_target, exp(target) * (target -
    input)). 'batchmean' divides the sum by the batch size, which is the true KL divergence;
    'mean' (the default, as torch) divides by the number of elements.

    Args:
        size_average, reduce: deprecated (as torch); use reduction.
        reduction: 'none', 'batchmean', 'sum' or 'mean'. Default 'mean'.
        log_target: the target is given as log-probabilities too. Default False.

    Shape:
        input (*), target (*) the same shape -> scalar, or (*) for 'none'.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> p = gb.tensor([[0.25, 0.75]])
        >>> nn.KLDivLoss(reduction="batchmean")(p.log(), p).item()
        0.0
    """

    _reductions = ("none", "batchmean", "sum", "mean")

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 log_target: bool = False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = check.flag(type(self).__name__, "log_target", log_target)

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
