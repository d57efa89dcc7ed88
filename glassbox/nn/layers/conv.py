"""Convolution layers: Conv1d, Conv2d, ConvTranspose2d.

A convolution slides one small bank of weights (the kernel) over every position of the input,
so a feature detector learned in one place works everywhere, with far fewer parameters than a
Linear layer over the whole image. The arithmetic lives in F.conv1d / F.conv2d /
F.conv_transpose2d (ops/conv.py); these classes hold the weights and the configuration.

Weight layouts are torch's: (out_channels, in_channels/groups, *kernel_size) for a convolution
and (in_channels, out_channels/groups, *kernel_size) for a transposed one.
"""

from __future__ import annotations

import math

from glassbox.nn import functional as F
from glassbox.nn import init
from glassbox.nn.layers import _checks as check
from glassbox.nn.module import Module
from glassbox.nn.parameter import Parameter
from glassbox.tensor import Tensor, empty

__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What Conv1d, Conv2d and ConvTranspose2d share: argument checks, weights, init, repr."""

    _n = 2  # number of spatial dims
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 output_padding, groups, bias, padding_mode, device, dtype):
        super().__init__()
        name, n = type(self).__name__, self._n
        self.in_channels = check.positive_int(name, "in_channels", in_channels)
        self.out_channels = check.positive_int(name, "out_channels", out_channels)
        self.kernel_size = check.int_tuple(name, "kernel_size", kernel_size, n, 1)
        self.stride = check.int_tuple(name, "stride", stride, n, 1)
        self.dilation = check.int_tuple(name, "dilation", dilation, n, 1)
        self.output_padding = check.int_tuple(name, "output_padding", output_padding, n, 0)
        self.groups = check.positive_int(name, "groups", groups)
        check.flag(name, "bias", bias)
        self.padding_mode = check.choice(name, "padding_mode", padding_mode, _PADDING_MODES)
        dtype = check.float_dtype(name, dtype, device)
        for what, c in (("in_channels", self.in_channels), ("out_channels", self.out_channels)):
            if c % self.groups:
                raise ValueError(f"{name}: {what} must be divisible by groups, received "
                                 f"{what}={c}, groups={self.groups}")
        if isinstance(padding, str):
            check.choice(name, "padding", padding, ("same", "valid"))
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions, received stride={stride!r}")
            self.padding = padding
        else:
            self.padding = check.int_tuple(name, "padding", padding, n, 0)
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if op >= s and op >= d:
                raise ValueError(f"{name}: output_padding must be smaller than either stride or "
                                 f"dilation, received output_padding={output_padding!r}, "
                                 f"stride={stride!r}, dilation={dilation!r}")
        # F.pad's (left, right) pairs, last spatial dim first, for padding_mode != 'zeros'
        self._reversed_padding_repeated_twice = _pad_pairs(self.padding, self.kernel_size,
                                                           self.dilation)
        g = self.groups
        if self._transposed:
            shape = (self.in_channels, self.out_channels // g) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // g) + self.kernel_size
        self.weight = Parameter(empty(*shape, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(self.out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw weight and bias from torch's defaults: U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
        fan_in = weight.shape[1] * prod(kernel_size)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def _check_input(self, x) -> None:
        n = self._n
        if not isinstance(x, Tensor) or x.ndim not in (n + 1, n + 2) or (
                x.shape[-n - 1] != self.in_channels):
            c = f"C_in={self.in_channels}"
            spatial = ", ".join(("L",) if n == 1 else ("H", "W"))
            raise check.bad_input(x, f"(N, {c}, {spatial}) or ({c}, {spatial})")

    def extra_repr(self) -> str:
        # the same text as torch's, so printed models compare line for line
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


def _pad_pairs(padding, kernel_size, dilation) -> list:
    """[left, right] per spatial dim, last dim first (F.pad's order), for a padding spec.

    'same' pads d*(k-1) in total per dim, the odd element on the right (as torch).
    """
    n = len(kernel_size)
    if padding == "valid":
        return [0, 0] * n
    if padding == "same":
        pairs = []
        for k, d in zip(reversed(kernel_size), reversed(dilation)):
            total = d * (k - 1)
            pairs += [total // 2, total - total // 2]
        return pairs
    return [p for p in reversed(padding) for _ in range(2)]


class _Conv(_ConvNd):
    """A (non-transposed) convolution of any of 1 or 2 spatial dims."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, 0,
                         groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        self._check_input(input)
        conv = F.conv1d if self._n == 1 else F.conv2d
        if self.padding_mode != "zeros":
            # pad explicitly (reflect/replicate/circular), then convolve with no padding
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(padded, self.weight, self.bias, self.stride, 0, self.dilation,
                        self.groups)
        return conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                    self.groups)


class Conv1d(_Conv):
    """A 1-D convolution over an input of shape (N, C_in, L).

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output (number of kernels).
        kernel_size: int or (k,): kernel length.
        stride: int or (s,). Default 1.
        padding: int, (p,), 'valid' (none) or 'same' (output length = input length; stride 1
            only). Default 0.
        dilation: spacing between kernel elements. Default 1.
        groups: split channels into this many independent groups. Default 1.
        bias: learn a per-channel bias. Default True.
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'. Default 'zeros'.
        device: only None or 'cpu'. Default None.
        dtype: parameter dtype. Default the default float dtype (float32).

    Shape:
        (N, C_in, L_in) or (C_in, L_in) -> (N, C_out, L_out) or (C_out, L_out), with
        L_out = floor((L_in + 2*padding - dilation*(kernel_size-1) - 1) / stride + 1).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> conv = nn.Conv1d(2, 4, kernel_size=3, padding=1)
        >>> conv
        Conv1d(2, 4, kernel_size=(3,), stride=(1,), padding=(1,))
        >>> conv(gb.randn(8, 2, 10)).shape
        (8, 4, 10)
    """

    _n = 1


class Conv2d(_Conv):
    """A 2-D convolution over an input of shape (N, C_in, H, W).

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output (number of kernels).
        kernel_size: int or (kh, kw).
        stride: int or (sh, sw). Default 1.
        padding: int, (ph, pw), 'valid' (none) or 'same' (output size = input size; stride 1
            only). Default 0.
        dilation: int or (dh, dw): spacing between kernel elements. Default 1.
        groups: split channels into this many independent groups. Default 1.
        bias: learn a per-channel bias. Default True.
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'. Default 'zeros'.
        device: only None or 'cpu'. Default None.
        dtype: parameter dtype. Default the default float dtype (float32).

    Shape:
        (N, C_in, H, W) or (C_in, H, W) -> (N, C_out, H_out, W_out) or (C_out, H_out, W_out),
        H_out = floor((H + 2*padding[0] - dilation[0]*(kernel_size[0]-1) - 1) / stride[0] + 1).

    Attributes:
        weight: (out_channels, in_channels/groups, kh, kw), U(-1/sqrt(fan_in), 1/sqrt(fan_in))
            with fan_in = in_channels/groups * kh * kw (torch's default).
        bias: (out_channels,), from the same distribution.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> conv = nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)
        >>> conv
        Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))
        >>> conv(gb.randn(2, 3, 16, 16)).shape
        (2, 8, 8, 8)
    """

    _n = 2


class ConvTranspose2d(_ConvNd):
    """A 2-D transposed convolution ("deconvolution"): the gradient of Conv2d with respect to
    its input, used to upsample (decoders, U-Nets, GAN generators).

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: int or (kh, kw).
        stride: int or (sh, sw). Default 1.
        padding: int or (ph, pw): removed from each side of the output. Default 0.
        output_padding: int or (oh, ow): extra size added on one side of the output, to pick
            among the sizes a strided convolution maps to the same input size. Default 0.
        groups: split channels into this many independent groups. Default 1.
        bias: learn a per-channel bias. Default True.
        dilation: int or (dh, dw). Default 1.
        padding_mode: only 'zeros' (as torch). Default 'zeros'.
        device: only None or 'cpu'. Default None.
        dtype: parameter dtype. Default the default float dtype (float32).

    Shape:
        (N, C_in, H, W) or (C_in, H, W) -> (N, C_out, H_out, W_out) or (C_out, H_out, W_out),
        H_out = (H-1)*stride[0] - 2*padding[0] + dilation[0]*(kernel_size[0]-1)
        + output_padding[0] + 1.

    Attributes:
        weight: (in_channels, out_channels/groups, kh, kw), torch's default init with
            fan_in = out_channels/groups * kh * kw.
        bias: (out_channels,).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> up = nn.ConvTranspose2d(8, 3, kernel_size=2, stride=2)
        >>> up(gb.randn(2, 8, 5, 5)).shape
        (2, 3, 10, 10)
    """

    _n = 2
    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None):
        name = type(self).__name__
        if padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported, received "
                             f"padding_mode={padding_mode!r}")
        if isinstance(padding, str):
            raise TypeError(f"{name}: padding must be an int or a tuple of 2 ints, received "
                            f"padding={padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         output_padding, groups, bias, padding_mode, device, dtype)

    def forward(self, input, output_size=None):
        self._check_input(input)
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  output_padding, self.groups, self.dilation)

    def _output_padding(self, input, output_size) -> tuple:
        """output_padding, or the one that gives the requested output_size (as torch)."""
        if output_size is None:
            return self.output_padding
        n = self._n
        output_size = tuple(output_size)
        if len(output_size) == input.ndim:
            output_size = output_size[-n:]  # a full shape was given: keep the spatial dims
        if len(output_size) != n:
            raise ValueError(f"output_size must have {n} or {input.ndim} elements, got "
                             f"{output_size}")
        lows = [(input.shape[d - n] - 1) * s - 2 * p + dl * (k - 1) + 1
                for d, s, p, dl, k in zip(range(n), self.stride, self.padding, self.dilation,
                                          self.kernel_size)]
        highs = [lo + s - 1 for lo, s in zip(lows, self.stride)]
        if any(not lo <= size <= hi for size, lo, hi in zip(output_size, lows, highs)):
            raise ValueError(f"requested an output size of {output_size}, but valid sizes "
                             f"range from {tuple(lows)} to {tuple(highs)} (for an input of "
                             f"{tuple(input.shape[-n:])})")
        return tuple(size - lo for size, lo in zip(output_size, lows))
