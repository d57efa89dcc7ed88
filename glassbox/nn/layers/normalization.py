"""Normalisation layers: BatchNorm1d/2d, LayerNorm, GroupNorm.

Each rescales groups of activations to zero mean and unit variance, then applies a learned
per-feature scale (weight, initialised to 1) and shift (bias, initialised to 0). They differ
in what forms a group (see ops/norm.py): a channel over the whole batch (BatchNorm), the
features of one sample (LayerNorm), or groups of channels of one sample (GroupNorm).

BatchNorm is the only one with state: in training it normalises with the batch's statistics
and keeps running averages of them (buffers running_mean, running_var and the int64 count
num_batches_tracked, named and shaped as in torch); in eval mode it uses those averages, so
one sample's output no longer depends on the rest of its batch.
"""

from __future__ import annotations

import numbers

from glassbox.backend import int64
from glassbox.nn import functional as F
from glassbox.nn import init
from glassbox.nn.layers import _checks as check
from glassbox.nn.module import Module
from glassbox.nn.parameter import Parameter
from glassbox.tensor import Tensor, empty, ones, tensor, zeros

__all__ = ["BatchNorm1d", "BatchNorm2d", "GroupNorm", "LayerNorm"]


def _affine(module: Module, shape: tuple, affine: bool, bias: bool, dtype) -> None:
    """Register weight and bias of `shape` (None when not learned)."""
    if affine:
        module.weight = Parameter(empty(*shape, dtype=dtype))
        if bias:
            module.bias = Parameter(empty(*shape, dtype=dtype))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


def _reset_affine(module: Module) -> None:
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _BatchNorm(Module):
    """BatchNorm1d/2d's shared body; subclasses only say which input ranks they accept."""

    _ndims: tuple = ()
    _layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, *, bias: bool = True):
        super().__init__()
        name = type(self).__name__
        self.num_features = check.positive_int(name, "num_features", num_features)
        self.eps = check.real(name, "eps", eps, low=0.0)
        if momentum is not None:
            check.probability(name, "momentum", momentum)
        self.momentum = momentum
        self.affine = check.flag(name, "affine", affine)
        self.track_running_stats = check.flag(name, "track_running_stats", track_running_stats)
        check.flag(name, "bias", bias)
        dtype = check.float_dtype(name, dtype, device)
        _affine(self, (self.num_features,), affine, bias, dtype)
        if self.track_running_stats:
            self.register_buffer("running_mean", zeros(self.num_features, dtype=dtype))
            self.register_buffer("running_var", ones(self.num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running statistics; weight to ones and bias to zeros."""
        self.reset_running_stats()
        _reset_affine(self)

    def forward(self, input):
        if not isinstance(input, Tensor) or input.ndim not in self._ndims or (
                input.shape[1] != self.num_features):
            raise check.bad_input(input, self._layout.format(C=f"C={self.num_features}"))
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)  # an int64 buffer: no grad involved
            if self.momentum is None:  # cumulative moving average: the plain mean of all batches
                factor = 1.0 / int(self.num_batches_tracked.item())
        # batch statistics in training, and in eval when no running statistics are kept
        use_batch = self.training or self.running_mean is None
        # running statistics are passed only when they are used or updated (as torch)
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs, per channel C.

    In training: y = (x - mean) / sqrt(var + eps) * weight + bias with the batch's mean and
    biased variance per channel, and running_mean/running_var updated as
    running = (1 - momentum) * running + momentum * batch (unbiased variance). In eval mode
    the running statistics replace the batch's.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance. Default 1e-5.
        momentum: weight of each new batch in the running statistics; None keeps a
            cumulative average of all batches instead. Default 0.1.
        affine: learn weight and bias. Default True.
        track_running_stats: keep running statistics (else batch statistics are used in eval
            too). Default True.
        device: only None or 'cpu'. Default None.
        dtype: parameter dtype. Default the default float dtype (float32).
        bias: (keyword only) learn the bias when affine. Default True.

    Shape:
        (N, C) or (N, C, L) -> the same.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> bn = nn.BatchNorm1d(3)
        >>> bn
        BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
        >>> bn(gb.randn(8, 3)).shape, bn.num_batches_tracked.item()
        ((8, 3), 1)
    """

    _ndims = (2, 3)
    _layout = "(N, {C}) or (N, {C}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) inputs, per channel C over the batch and positions.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance. Default 1e-5.
        momentum: weight of each new batch in the running statistics; None keeps a
            cumulative average of all batches instead. Default 0.1.
        affine: learn weight and bias. Default True.
        track_running_stats: keep running statistics (else batch statistics are used in eval
            too). Default True.
        device: only None or 'cpu'. Default None.
        dtype: parameter dtype. Default the default float dtype (float32).
        bias: (keyword only) learn the bias when affine. Default True.

    Shape:
        (N, C, H, W) -> the same.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> bn = nn.BatchNorm2d(4).eval()
        >>> bn(gb.randn(2, 4, 5, 5)).shape
        (2, 4, 5, 5)
    """

    _ndims = (4,)
    _layout = "(N, {C}, H, W)"


class LayerNorm(Module):
    """Layer normalisation: each sample's last dims normalised to zero mean, unit variance.

    Args:
        normalized_shape: int or tuple: the trailing dims to normalise over.
        eps: added to the variance. Default 1e-5.
        elementwise_affine: learn a per-element weight (ones) and bias (zeros). Default True.
        bias: learn the bias when elementwise_affine. Default True.
        device: only None or 'cpu'. Default None.
        dtype: parameter dtype. Default the default float dtype (float32).

    Shape:
        (*, *normalized_shape) -> the same.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> ln = nn.LayerNorm(8)
        >>> ln
        LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)
        >>> ln(gb.randn(2, 5, 8)).shape
        (2, 5, 8)
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else (
            normalized_shape)
        try:
            shape = tuple(shape)
        except TypeError:
            shape = None
        if not shape or not all(check._is_int(s) and s > 0 for s in shape):
            raise ValueError(f"{name}: normalized_shape must be a positive int or a non-empty "
                             f"tuple of positive ints, received normalized_shape="
                             f"{normalized_shape!r}")
        self.normalized_shape = tuple(int(s) for s in shape)
        self.eps = check.real(name, "eps", eps, low=0.0)
        self.elementwise_affine = check.flag(name, "elementwise_affine", elementwise_affine)
        check.flag(name, "bias", bias)
        dtype = check.float_dtype(name, dtype, device)
        _affine(self, self.normalized_shape, elementwise_affine, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight to ones, bias to zeros."""
        _reset_affine(self)

    def forward(self, input):
        k = len(self.normalized_shape)
        if not isinstance(input, Tensor) or input.ndim < k or (
                input.shape[input.ndim - k:] != self.normalized_shape):
            raise check.bad_input(input, "(*, " + ", ".join(map(str, self.normalized_shape))
                                  + ")")
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Group normalisation: each sample's channels split into groups, each group normalised.

    Independent of the batch size (unlike BatchNorm); num_groups=1 normalises all channels
    together, num_groups=num_channels each channel on its own.

    Args:
        num_groups: number of groups; must divide num_channels.
        num_channels: C, the number of channels.
        eps: added to the variance. Default 1e-5.
        affine: learn a per-channel weight (ones) and bias (zeros). Default True.
        device: only None or 'cpu'. Default None.
        dtype: parameter dtype. Default the default float dtype (float32).
        bias: (keyword only) learn the bias when affine. Default True.

    Shape:
        (N, C, *) -> the same.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> gn = nn.GroupNorm(2, 6)
        >>> gn
        GroupNorm(2, 6, eps=1e-05, affine=True, bias=True)
        >>> gn(gb.randn(4, 6, 3, 3)).shape
        (4, 6, 3, 3)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device=None, dtype=None, *, bias: bool = True):
        super().__init__()
        name = type(self).__name__
        self.num_groups = check.positive_int(name, "num_groups", num_groups)
        self.num_channels = check.positive_int(name, "num_channels", num_channels)
        if self.num_channels % self.num_groups:
            raise ValueError(f"{name}: num_channels must be divisible by num_groups, received "
                             f"num_channels={num_channels}, num_groups={num_groups}")
        self.eps = check.real(name, "eps", eps, low=0.0)
        self.affine = check.flag(name, "affine", affine)
        check.flag(name, "bias", bias)
        dtype = check.float_dtype(name, dtype, device)
        _affine(self, (self.num_channels,), affine, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight to ones, bias to zeros."""
        _reset_affine(self)

    def forward(self, input):
        if not isinstance(input, Tensor) or input.ndim < 2 or (
                input.shape[1] != self.num_channels):
            raise check.bad_input(input, f"(N, C={self.num_channels}, *)")
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")
