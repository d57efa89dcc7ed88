"""Pooling layers: MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d.

Pooling summarises each window of a feature map by its maximum or mean: it shrinks the map,
and makes the result less sensitive to small shifts of the input. Pooling layers have no
parameters; they keep their configuration as given (an int stays an int), as torch does, so
`repr` prints the same text.
"""

from __future__ import annotations

from glassbox.nn import functional as F
from glassbox.nn.layers import _checks as check
from glassbox.nn.module import Module
from glassbox.tensor import Tensor

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "MaxPool1d",
    "MaxPool2d",
]


def _layout(n: int) -> str:
    spatial = "L" if n == 1 else "H, W"
    return f"(N, C, {spatial}) or (C, {spatial})"


def _check_input(x, n: int) -> None:
    if not isinstance(x, Tensor) or x.ndim not in (n + 1, n + 2):
        raise check.bad_input(x, _layout(n))


class _PoolNd(Module):
    """Window pooling: validates kernel_size, stride, padding (and dilation) once."""

    _n = 2

    def _configure(self, kernel_size, stride, padding, dilation=1) -> None:
        name, n = type(self).__name__, self._n
        kernel = check.int_tuple(name, "kernel_size", kernel_size, n, 1)
        check.int_tuple(name, "stride", kernel_size if stride is None else stride, n, 1)
        pads = check.int_tuple(name, "padding", padding, n, 0)
        dil = check.int_tuple(name, "dilation", dilation, n, 1)
        for p, k, d in zip(pads, kernel, dil):
            if 2 * p > d * (k - 1) + 1:  # torch: pad at most half the (dilated) kernel
                raise ValueError(f"{name}: padding should be at most half of the kernel size, "
                                 f"received padding={padding!r}, kernel_size={kernel_size!r}")
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride  # torch: stride defaults to kernel
        self.padding = padding


class _MaxPoolNd(_PoolNd):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False):
        super().__init__()
        name = type(self).__name__
        self._configure(kernel_size, stride, padding, dilation)
        self.dilation = dilation
        self.return_indices = check.flag(name, "return_indices", return_indices)
        self.ceil_mode = check.flag(name, "ceil_mode", ceil_mode)

    def forward(self, input):
        _check_input(input, self._n)
        pool = F.max_pool1d if self._n == 1 else F.max_pool2d
        return pool(input, self.kernel_size, self.stride, self.padding, self.dilation,
                    ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max over sliding windows of a 1-D signal, per channel.

    Args:
        kernel_size: window length.
        stride: window step. Default kernel_size.
        padding: implicit -inf padding on both sides (at most kernel_size / 2). Default 0.
        dilation: spacing between window elements. Default 1.
        return_indices: also return the argmax positions. Default False.
        ceil_mode: round the output length up instead of down. Default False.

    Shape:
        (N, C, L_in) or (C, L_in) -> (N, C, L_out) or (C, L_out), with
        L_out = floor((L_in + 2*padding - dilation*(kernel_size-1) - 1) / stride + 1).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.MaxPool1d(2)(gb.tensor([[[1.0, 3.0, 2.0, 0.0]]])).tolist()
        [[[3.0, 2.0]]]
    """

    _n = 1


class MaxPool2d(_MaxPoolNd):
    """Max over sliding 2-D windows, per channel.

    Args:
        kernel_size: int or (kh, kw).
        stride: int or (sh, sw). Default kernel_size.
        padding: implicit -inf padding (at most half the kernel). Default 0.
        dilation: spacing between window elements. Default 1.
        return_indices: also return the argmax positions. Default False.
        ceil_mode: round the output size up instead of down. Default False.

    Shape:
        (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out) or (C, H_out, W_out), with
        H_out = floor((H + 2*padding[0] - dilation[0]*(kernel_size[0]-1) - 1) / stride[0] + 1).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> pool = nn.MaxPool2d(2)
        >>> pool
        MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
        >>> pool(gb.randn(1, 3, 8, 8)).shape
        (1, 3, 4, 4)
    """

    _n = 2


class _AvgPoolNd(_PoolNd):
    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """Mean over sliding windows of a 1-D signal, per channel.

    Args:
        kernel_size: window length.
        stride: window step. Default kernel_size.
        padding: implicit zero padding on both sides (at most kernel_size / 2). Default 0.
        ceil_mode: round the output length up instead of down. Default False.
        count_include_pad: count padded zeros in the mean's denominator. Default True.

    Shape:
        (N, C, L_in) or (C, L_in) -> (N, C, L_out) or (C, L_out), with
        L_out = floor((L_in + 2*padding - kernel_size) / stride + 1).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.AvgPool1d(2)(gb.tensor([[[1.0, 3.0, 2.0, 0.0]]])).tolist()
        [[[2.0, 1.0]]]
    """

    _n = 1

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True):
        super().__init__()
        name = type(self).__name__
        self._configure(kernel_size, stride, padding)
        # torch keeps AvgPool1d's sizes as 1-tuples (unlike the other pools), and so does repr
        self.kernel_size, self.stride, self.padding = (
            check.int_tuple(name, what, value, 1, 0)
            for what, value in (("kernel_size", self.kernel_size), ("stride", self.stride),
                                ("padding", self.padding)))
        self.ceil_mode = check.flag(name, "ceil_mode", ceil_mode)
        self.count_include_pad = check.flag(name, "count_include_pad", count_include_pad)

    def forward(self, input):
        _check_input(input, 1)
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)


class AvgPool2d(_AvgPoolNd):
    """Mean over sliding 2-D windows, per channel.

    Args:
        kernel_size: int or (kh, kw).
        stride: int or (sh, sw). Default kernel_size.
        padding: implicit zero padding (at most half the kernel). Default 0.
        ceil_mode: round the output size up instead of down. Default False.
        count_include_pad: count padded zeros in the mean's denominator. Default True.
        divisor_override: divide every window sum by this instead. Default None.

    Shape:
        (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out) or (C, H_out, W_out), with
        H_out = floor((H + 2*padding[0] - kernel_size[0]) / stride[0] + 1).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.AvgPool2d(2, stride=1)(gb.randn(1, 3, 8, 8)).shape
        (1, 3, 7, 7)
    """

    _n = 2

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):
        super().__init__()
        name = type(self).__name__
        self._configure(kernel_size, stride, padding)
        self.ceil_mode = check.flag(name, "ceil_mode", ceil_mode)
        self.count_include_pad = check.flag(name, "count_include_pad", count_include_pad)
        if divisor_override is not None:
            check.positive_int(name, "divisor_override", divisor_override)
        self.divisor_override = divisor_override

    def forward(self, input):
        _check_input(input, 2)
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class _AdaptiveAvgPoolNd(Module):
    _n = 2

    def __init__(self, output_size):
        super().__init__()
        name, n = type(self).__name__, self._n
        # None in a 2-D size keeps that input dim; 1-D pooling needs an int
        sizes = (output_size,) * n if not isinstance(output_size, (tuple, list)) else output_size
        if len(sizes) != n or not all(
                (s is None and n > 1) or (check._is_int(s) and s > 0) for s in sizes):
            kind = "a positive int" if n == 1 else "a positive int or a tuple of 2 (int or None)"
            raise ValueError(f"{name}: output_size must be {kind}, received "
                             f"output_size={output_size!r}")
        self.output_size = output_size

    def forward(self, input):
        _check_input(input, self._n)
        pool = F.adaptive_avg_pool1d if self._n == 1 else F.adaptive_avg_pool2d
        return pool(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Mean pooling to a fixed output length, whatever the input length.

    Args:
        output_size: the output length L_out.

    Shape:
        (N, C, L_in) or (C, L_in) -> (N, C, L_out) or (C, L_out).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.AdaptiveAvgPool1d(1)(gb.tensor([[[1.0, 2.0, 6.0]]])).tolist()
        [[[3.0]]]
    """

    _n = 1


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Mean pooling to a fixed output size, whatever the input size (e.g. before a classifier).

    Args:
        output_size: int (square) or (H_out, W_out); None in the tuple keeps that input size.

    Shape:
        (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out) or (C, H_out, W_out).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.AdaptiveAvgPool2d((1, 1))(gb.randn(2, 16, 7, 5)).shape
        (2, 16, 1, 1)
    """

    _n = 2
