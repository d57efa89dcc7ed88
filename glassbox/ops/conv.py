"""Convolution and pooling: conv1d/2d, conv_transpose1d/2d, max/avg pooling, adaptive pooling.

Everything is computed on 4-d arrays (N, C, H, W); 1-d ops add H = 1 and unbatched inputs add
N = 1, as views. Semantics (shapes, defaults, ties, error classes) follow torch.nn.functional 2.13.

Convolution is one GEMM per layer (one per group) over a column matrix `cols` of shape
(G, Cg*kh*kw [+1], M): row (c, ki, kj) holds input channel c shifted by kernel offset (ki, kj),
one column per output position. The result (G, Og, M) is the output in channel-major memory
order (C, N, H, W); it is copied once into a contiguous (N, C, H, W) array, as torch returns,
so that `.view(n, -1)` after a conv, a pool or an activation works as it does in torch (a
transposed view saved that copy, but broke ported code). The VJPs below accept any order. When a bias is
given, `cols` gets a row of ones and the weight matrix the bias as a column, so the GEMM adds
the bias and the weight-gradient GEMM also yields the bias gradient (no extra passes).

The column matrix is built in one of two ways (`_ConvGeometry`):
- strided (any stride): a zero-padded copy of the input, then one copy out of an as_strided
  view with 7 axes; M = N*Ho*Wo.
- flat (stride 1): each channel is laid out as one long row holding all N images, each image
  row followed by enough zeros to act as the left and right padding and each image followed by
  zero rows. A kernel offset is then a constant shift along that row, so each row of `cols`
  is one contiguous memcpy and col2im is kh*kw contiguous adds. The price: M = N*Hp*Wp counts
  the few padding positions too (their outputs are computed and ignored; their gradient is 0).
The flat layout wins when the column matrix is large next to the output (Cg*kh*kw > Og).

The backward pass reuses the forward's `cols` for the weight gradient; the input gradient is
W^T @ g (a GEMM) folded back by col2im, looping over the kh*kw kernel offsets with strided adds.
conv_transpose is the same pair of GEMMs with roles swapped (its forward is conv's input VJP).

Pooling works on "planes" (N*C or C*N, H, W), whichever the memory order gives without a
copy. Max pooling is separable: the max along each row of a window (per row, the first
column holding it), then the first row holding the largest of those. That is the first maximum
in row-major window order, which is where torch sends the gradient when values tie (common
after ReLU). The window position is kept as a uint8 code for the backward pass. NaN wins, as in
torch (the last NaN of a window).
"""

from __future__ import annotations

import functools
import numbers

import numpy as np
from numpy.lib.stride_tricks import as_strided

from glassbox import backend
from glassbox.autograd import Function
from glassbox.ops.errors import DTypeError, ShapeError
from glassbox.tensor import Tensor

__all__ = [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "avg_pool1d", "avg_pool2d", "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d",
    "max_pool1d", "max_pool2d",
]


# (one set of classes for all ops: see glassbox/ops/errors.py)
ConvError = ShapeError
ConvDtypeError = DTypeError


# None: choose the im2col layout by size (see _make_geometry); True/False forces the flat or
# the strided layout wherever it applies (tests use this to cover both).
FLAT_LAYOUT = None


# ---------------------------------------------------------------------------------------------
# Arguments


def _ints(value, n: int, name: str, op: str) -> tuple:
    """An int or a sequence of n ints as a tuple of n ints (torch's single-or-list rule)."""
    if type(value) is int:  # the common case, without the slower ABC checks below
        return (value,) * n
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),) * n
    if isinstance(value, (tuple, list)) and all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value
    ):
        if len(value) == n:
            return tuple(int(v) for v in value)
        if len(value) == 1:
            return (int(value[0]),) * n
    raise ConvError(
        f"{op}: expected {name} to be a single integer or a list of {n} integers, got "
        f"{name}={value!r}"
    )


def _tensor(x, op: str, what: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {what} must be a Tensor, got {type(x).__name__}")
    return x


def _float_tensor(x, op: str, what: str) -> Tensor:
    _tensor(x, op, what)
    if x._data.dtype.kind != "f":
        raise TypeError(f"{op}: {what} must be a floating point tensor, got dtype {x.dtype}")
    return x


def _spatial_input(x, op: str, nd: int) -> tuple:
    """Check that x is (N, C, *spatial) or unbatched (C, *spatial); return its 4-d shape."""
    names = ("L",) if nd == 1 else ("H", "W")
    if x.ndim not in (nd + 1, nd + 2):
        dims = ", ".join(names)
        raise ConvError(
            f"{op}: expected input with {nd + 2} dimensions (N, C, {dims}) or {nd + 1} "
            f"(C, {dims}), got shape {tuple(x.shape)}"
        )
    shape = x.shape if x.ndim == nd + 2 else (1,) + x.shape
    return shape[:2] + (1,) * (2 - nd) + shape[2:]


def _out_shape(shape4: tuple, ndim: int, nd: int) -> tuple:
    """The 4-d result shape as the caller sees it: drop the 1-d H axis and the added batch."""
    shape = shape4 if nd == 2 else shape4[:2] + shape4[3:]
    return shape if ndim == nd + 2 else shape[1:]


def _strided_view(a: np.ndarray, shape: tuple, strides: tuple) -> np.ndarray:
    """A strided view of `a`, such as every convolution window at once (callers only read it).

    On a C-contiguous array it is built with np.ndarray (about 0.4 us, against 4.8 us for
    as_strided), which matters for batch-1 latency; other arrays go through as_strided.
    """
    if a.flags.c_contiguous:
        return np.ndarray(shape, a.dtype, a, 0, strides)
    return as_strided(a, shape, strides)


# ---------------------------------------------------------------------------------------------
# Convolution geometry: im2col, col2im, and moving between (N, C, H, W) and (G, Cg, M)


class _ConvGeometry:
    """Sizes of one convolution (input (N, C, H, W) -> output (N, O, Ho, Wo)) and its layouts.

    `pad` is (top, left); padding below and right is whatever the output size needs.
    `flat` picks the stride-1 layout described in the module docstring.
    """

    def __init__(self, n, c, o, hw, out_hw, kernel, stride, pad, dilation, groups, flat):
        self.n, self.c, self.o, self.groups = n, c, o, groups
        self.h, self.w = hw
        self.ho, self.wo = out_hw
        self.kh, self.kw = kernel
        self.sh, self.sw = stride
        self.ph, self.pw = pad
        self.dh, self.dw = dilation
        self.flat = flat
        self.kk = self.kh * self.kw
        if flat:
            # Zero rows/columns after each image row and image: enough for the top/left pad
            # (read as the previous row's/image's tail) and for the reach past the bottom/right.
            reach_h = (self.ho - 1) - self.ph + (self.kh - 1) * self.dh - (self.h - 1)
            reach_w = (self.wo - 1) - self.pw + (self.kw - 1) * self.dw - (self.w - 1)
            self.hp = max(self.h + max(self.ph, reach_h, 0), self.ho)
            self.wp = max(self.w + max(self.pw, reach_w, 0), self.wo)
            self.m = n * self.hp * self.wp
            self.base = self.ph * self.wp + self.pw  # where image 0, pixel (0, 0) sits
            max_shift = (self.kh - 1) * self.dh * self.wp + (self.kw - 1) * self.dw
            self.length = max(self.base + self.m, self.m + max_shift)
        else:
            # Padded extent that the windows touch (the bottom/right pad may be cut short).
            self.hp = max(self.ph + self.h, (self.ho - 1) * self.sh + (self.kh - 1) * self.dh + 1)
            self.wp = max(self.pw + self.w, (self.wo - 1) * self.sw + (self.kw - 1) * self.dw + 1)
            self.m = n * self.ho * self.wo

    # -- input side ------------------------------------------------------------------------------
    def im2col(self, x, bias_row: bool):
        """x (N, C, H, W) -> cols (G, Cg*kh*kw [+1 row of ones], M)."""
        g, cg = self.groups, self.c // self.groups
        cols = np.empty((g, cg * self.kk + bias_row, self.m), dtype=x.dtype)
        if bias_row:
            cols[:, -1] = 1
        # (G, Cg*kh*kw, M) -> (G, Cg, kh, kw, M...): splitting axes is always a view
        if self.flat:
            buf = self.pack(x)  # (C, length)
            sc, se = buf.strides
            src = _strided_view(buf, (g, cg, self.kh, self.kw, self.m),
                                (cg * sc, sc, self.dh * self.wp * se, self.dw * se, se))
            dst = cols[:, : cg * self.kk].reshape(g, cg, self.kh, self.kw, self.m)
        else:
            xp = self.pad(x)  # (C, N, Hp, Wp), any strides
            sc, sn, sh, sw = xp.strides
            src = _strided_view(
                xp, (g, cg, self.kh, self.kw, self.n, self.ho, self.wo),
                (cg * sc, sc, self.dh * sh, self.dw * sw, sn, self.sh * sh, self.sw * sw),
            )
            dst = cols[:, : cg * self.kk].reshape(g, cg, self.kh, self.kw, self.n, self.ho, self.wo)
        np.copyto(dst, src)
        return cols

    def pad(self, x):
        """x (N, C, H, W) as a zero-padded (C, N, Hp, Wp) array (a view when no padding)."""
        xt = x.transpose(1, 0, 2, 3)
        if self.ph == self.pw == 0 and self.hp == self.h and self.wp == self.w:
            return xt
        xp = np.zeros((self.c, self.n, self.hp, self.wp), dtype=x.dtype)
        xp[:, :, self.ph : self.ph + self.h, self.pw : self.pw + self.w] = xt
        return xp

    def pack(self, x):
        """x (N, C, H, W) in the flat layout: (C, length), zeros everywhere but the pixels."""
        buf = np.zeros((self.c, self.length), dtype=x.dtype)
        self._pixels(buf)[...] = x.transpose(1, 0, 2, 3)
        return buf

    def _pixels(self, buf):
        """The (C, N, H, W) view of the pixels inside a flat (C, length) buffer."""
        grid = buf[:, self.base : self.base + self.m].reshape(len(buf), self.n, self.hp, self.wp)
        return grid[:, :, : self.h, : self.w]

    def col2im(self, gcols):
        """The adjoint of im2col: gcols (G, Cg*kh*kw, M) -> (N, C, H, W), summing overlaps."""
        gc = gcols.reshape(self.c, self.kh, self.kw, self.m)
        if self.flat:
            buf = np.zeros((self.c, self.length), dtype=gcols.dtype)
            for ki in range(self.kh):
                for kj in range(self.kw):
                    shift = ki * self.dh * self.wp + kj * self.dw
                    buf[:, shift : shift + self.m] += gc[:, ki, kj]
            return self._pixels(buf).transpose(1, 0, 2, 3)
        gxp = np.zeros((self.c, self.n, self.hp, self.wp), dtype=gcols.dtype)
        gc = gc.reshape(self.c, self.kh, self.kw, self.n, self.ho, self.wo)
        for ki in range(self.kh):
            rows = slice(ki * self.dh, ki * self.dh + (self.ho - 1) * self.sh + 1, self.sh)
            for kj in range(self.kw):
                cols = slice(kj * self.dw, kj * self.dw + (self.wo - 1) * self.sw + 1, self.sw)
                gxp[:, :, rows, cols] += gc[:, ki, kj]
        gx = gxp[:, :, self.ph : self.ph + self.h, self.pw : self.pw + self.w]
        return gx.transpose(1, 0, 2, 3)

    # -- output side -----------------------------------------------------------------------------
    def to_output(self, out):
        """GEMM result (G, Og, M) -> the (N, O, Ho, Wo) output as a view."""
        if self.flat:
            grid = out.reshape(self.o, self.n, self.hp, self.wp)[:, :, : self.ho, : self.wo]
        else:
            grid = out.reshape(self.o, self.n, self.ho, self.wo)
        return grid.transpose(1, 0, 2, 3)

    def from_output(self, g):
        """An output-shaped array (N, O, Ho, Wo) -> (G, Og, M), zero at the flat padding."""
        gt = g.transpose(1, 0, 2, 3)  # (O, N, Ho, Wo)
        if self.flat:
            full = np.zeros((self.o, self.n, self.hp, self.wp), dtype=g.dtype)
            full[:, :, : self.ho, : self.wo] = gt
            gt = full
        return gt.reshape(self.groups, self.o // self.groups, self.m)  # copies if it must


def _conv_geometry(op, x_shape, w_shape, stride, padding, dilation, groups, transposed=False,
                   output_padding=(0, 0)):
    """Validate a convolution's arguments (as torch does) and return its _ConvGeometry.

    Geometries are immutable and cached by their arguments (and FLAT_LAYOUT), so a network
    run again on the same shapes skips this work: it matters for batch-1 latency.
    """
    return _cached_conv_geometry(op, tuple(x_shape), tuple(w_shape), tuple(stride),
                                 tuple(padding), tuple(dilation), int(groups), bool(transposed),
                                 tuple(output_padding), FLAT_LAYOUT)


@functools.lru_cache(maxsize=512)
def _cached_conv_geometry(op, x_shape, w_shape, stride, padding, dilation, groups, transposed,
                          output_padding, flat_layout):
    """_conv_geometry's work (exceptions are not cached: a bad call raises every time).

    Shapes are 4-d: x (N, C, H, W), weight (O, C/groups, kh, kw), or for a transposed
    convolution weight (C, O/groups, kh, kw). For a transposed convolution the geometry is that
    of the adjoint convolution, whose input is the transposed convolution's output.
    """
    n, c, h, w = x_shape
    kh, kw = w_shape[2:]
    if groups <= 0:
        raise ConvError(f"{op}: non-positive groups is not supported, got groups={groups}")
    if min(stride) <= 0:
        raise ConvError(f"{op}: non-positive stride is not supported, got stride={stride}")
    if min(dilation) <= 0:
        raise ConvError(f"{op}: dilation should be greater than zero, got dilation={dilation}")
    if w_shape[0] % groups:
        raise ConvError(
            f"{op}: weight of shape {w_shape} cannot be split into groups={groups} along "
            f"dimension 0 ({w_shape[0]} is not divisible by {groups})"
        )
    if not transposed and c != w_shape[1] * groups:
        raise ConvError(
            f"{op}: weight of shape {w_shape} with groups={groups} expects an input with "
            f"{w_shape[1] * groups} channels, got input of shape {x_shape} ({c} channels)"
        )
    if transposed and c != w_shape[0]:
        raise ConvError(
            f"{op}: weight of shape {w_shape} expects an input with {w_shape[0]} channels "
            f"(weight.shape[0]), got input of shape {x_shape} ({c} channels)"
        )
    extent = [d * (k - 1) + 1 for d, k in zip(dilation, (kh, kw))]
    if transposed:
        if any(p < 0 for p in padding):
            raise ConvError(f"{op}: negative padding is not supported, got padding={padding}")
        if any(op_ >= max(s, d) for op_, s, d in zip(output_padding, stride, dilation)):
            raise ConvError(
                f"{op}: output padding must be smaller than either stride or dilation, got "
                f"output_padding={output_padding}, stride={stride}, dilation={dilation}"
            )
        out_hw = tuple(
            (i - 1) * s - 2 * p + e + op_
            for i, s, p, e, op_ in zip((h, w), stride, padding, extent, output_padding)
        )
        if min(out_hw) <= 0:
            raise ConvError(
                f"{op}: input of shape {x_shape} with kernel {(kh, kw)}, stride {stride}, "
                f"padding {padding} gives an empty output size {out_hw}"
            )
        # the adjoint convolution: input = our output (O channels), output = our input
        o = w_shape[1] * groups
        return _make_geometry(n, o, c, out_hw, (h, w), (kh, kw), stride, padding, dilation,
                              groups, flat_layout)
    pads = padding if len(padding) == 4 else (padding[0], padding[0], padding[1], padding[1])
    if min(pads) < 0:
        raise ConvError(f"{op}: negative padding is not supported, got padding={padding}")
    padded = (h + pads[0] + pads[1], w + pads[2] + pads[3])
    if padded[0] < extent[0] or padded[1] < extent[1]:
        raise ConvError(
            f"{op}: kernel {(kh, kw)} (dilated extent {tuple(extent)}) is larger than the "
            f"padded input {padded} (input of shape {x_shape}, padding {padding})"
        )
    out_hw = tuple((p - e) // s + 1 for p, e, s in zip(padded, extent, stride))
    return _make_geometry(n, c, w_shape[0], (h, w), out_hw, (kh, kw), stride,
                          (pads[0], pads[2]), dilation, groups, flat_layout)


def _make_geometry(n, c, o, hw, out_hw, kernel, stride, pad, dilation, groups, flat_layout):
    cg, og = c // groups, o // groups
    # flat layout: stride 1 and a column matrix larger than the output (see module docstring)
    flat = stride == (1, 1) and kernel != (1, 1)
    flat = flat and (cg * kernel[0] * kernel[1] > og if flat_layout is None else flat_layout)
    return _ConvGeometry(n, c, o, hw, out_hw, kernel, stride, pad, dilation, groups, flat)


def _conv_padding(padding, nd: int, kernel: tuple, stride: tuple, dilation: tuple, op: str):
    """padding as an int, a tuple, 'valid' or 'same' -> (top, bottom, left, right) amounts."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ConvError(
                f"{op}: invalid padding string {padding!r}, expected 'valid' or 'same'"
            )
        if any(s != 1 for s in stride):
            raise ConvError(
                f"{op}: padding='same' is not supported for strided convolutions, got "
                f"stride={stride[-nd:] if nd == 1 else stride}"
            )
        pads = []
        for k, d in zip(kernel, dilation):  # torch puts the odd pixel on the right/bottom
            total = d * (k - 1)
            pads += [total // 2, total - total // 2]
        return tuple(pads)
    p = _ints(padding, nd, "padding", op)
    p = (0,) * (2 - nd) + p
    return (p[0], p[0], p[1], p[1])


def _spatial_args(nd, op, stride, dilation):
    s = (1,) * (2 - nd) + _ints(stride, nd, "stride", op)
    d = (1,) * (2 - nd) + _ints(dilation, nd, "dilation", op)
    return s, d


def _check_weight_bias(op, nd, x, weight, bias, groups, transposed=False):
    _float_tensor(weight, op, "weight")
    if weight.ndim != nd + 2:
        dims = "kL" if nd == 1 else "kH, kW"
        layout = "in_channels, out_channels/groups" if transposed else (
            "out_channels, in_channels/groups")
        raise ConvError(
            f"{op}: expected weight with {nd + 2} dimensions ({layout}, {dims}), got shape "
            f"{tuple(weight.shape)}"
        )
    out_channels_of = weight.shape[1] * groups if transposed else weight.shape[0]
    if weight.dtype != x.dtype:
        raise ConvDtypeError(
            f"{op}: input is {x.dtype} but weight is {weight.dtype}; they must match"
        )
    if bias is not None:
        _float_tensor(bias, op, "bias")
        if bias.shape != (out_channels_of,):
            raise ConvError(
                f"{op}: expected bias of shape ({out_channels_of},) for weight of shape "
                f"{tuple(weight.shape)}, got shape {tuple(bias.shape)}"
            )
        if bias.dtype != x.dtype:
            raise ConvDtypeError(
                f"{op}: input is {x.dtype} but bias is {bias.dtype}; they must match"
            )


# ---------------------------------------------------------------------------------------------
# Convolution ops

_GEMM_BLOCK = 4096  # columns per block where one long, thin GEMM is slow (_bmm, _bmm_nt)


def _bmm(a, b):
    """Per-group matrix product (G, m, k) @ (G, k, n) -> (G, m, n).

    With a short inner dimension k, OpenBLAS's speed depends on where the output lands
    relative to b (4K aliasing): 0.2 ms or 8 ms for W2's first layer (k = 10, n = 50176),
    depending on the allocator. Blocks of 4096 columns run at the fast speed wherever the
    arrays are, so thin products are computed block by block.
    """
    g, m, k = a.shape
    n = b.shape[2]
    if k > 24 or n <= 2 * _GEMM_BLOCK:
        return np.matmul(a[0], b[0])[None] if g == 1 else np.matmul(a, b)
    out = np.empty((g, m, n), dtype=np.result_type(a, b))
    for s in range(0, n, _GEMM_BLOCK):
        e = s + _GEMM_BLOCK
        np.matmul(a, b[:, :, s:e], out=out[:, :, s:e])
    return out


def _bmm_nt(a, b):
    """a @ b^T per group, (G, K, M) x (G, O, M) -> (G, K, O): the weight-gradient GEMM.

    It sums over M, the output positions. When the result is small and M long, OpenBLAS is
    about 3x slower than on blocks of 4096 columns (W2's first layer: K = 10, O = 16,
    M = 50176: 0.6 ms vs 0.2 ms), so such products are summed block by block.
    """
    m = a.shape[2]
    if a.shape[1] * b.shape[1] >= 4096 or m <= 2 * _GEMM_BLOCK:
        return _bmm(a, b.transpose(0, 2, 1))
    out = _bmm(a[:, :, :_GEMM_BLOCK], b[:, :, :_GEMM_BLOCK].transpose(0, 2, 1))
    for s in range(_GEMM_BLOCK, m, _GEMM_BLOCK):
        e = s + _GEMM_BLOCK
        out += _bmm(a[:, :, s:e], b[:, :, s:e].transpose(0, 2, 1))
    return out


class Conv(Function):
    """conv1d/conv2d: out = W @ im2col(x) (+ b), per group; VJPs are two more GEMMs + col2im."""

    def forward(self, x, w, b=None, geom=None, x4=None, w4=None, out_shape=None,
                channel_major=False):
        g, needs = geom.groups, self.needs_input_grad
        self.geom, self.x_shape, self.w_shape = geom, x.shape, w.shape
        wm = w.reshape(w4).reshape(g, geom.o // g, -1)  # (G, Og, Cg*kh*kw)
        self.has_bias = b is not None
        if self.has_bias:  # bias as an extra weight column; cols gets a row of ones
            wm = np.concatenate([wm, b.reshape(g, -1, 1)], axis=2)
        cols = geom.im2col(x.reshape(x4), bias_row=self.has_bias)  # (G, Kg[+1], M)
        out = _bmm(wm, cols)  # (G, Og, M)
        self.cols = cols if needs[1] else None  # reused for the weight (and bias) gradient
        self.wm = wm if needs[0] else None
        out = geom.to_output(out)
        if channel_major and geom.n > 1 and out.shape == out_shape:
            # a replay whose next op reads any layout (glassbox.capture) skips the copy; one
            # image is in NCHW order already, and the copy drops the flat layout's padding
            return out
        # (N, C, H, W) contiguous, as torch's output (see the module docstring)
        return np.ascontiguousarray(out).reshape(out_shape)

    def backward(self, grad):
        geom, needs = self.geom, self.needs_input_grad
        gm = geom.from_output(grad.reshape(geom.n, geom.o, geom.ho, geom.wo))  # (G, Og, M)
        gx = gw = gb = None
        if needs[0]:
            kg = self.wm.shape[2] - self.has_bias
            wt = np.ascontiguousarray(self.wm[:, :, :kg].transpose(0, 2, 1))  # (G, Kg, Og)
            gx = geom.col2im(_bmm(wt, gm)).reshape(self.x_shape)  # col2im(W^T @ g)
        if self.cols is not None:
            # dW^T = cols @ g^T (faster than g @ cols^T here) -> dW (G, Og, Kg[+1]); with a
            # bias, the bias gradient is the last column (cols' row of ones)
            gw = _bmm_nt(self.cols, gm).transpose(0, 2, 1)
            if self.has_bias:
                gb = gw[:, :, -1].reshape(-1) if needs[2] else None
                gw = gw[:, :, :-1]
            gw = gw.reshape(self.w_shape)
        elif self.has_bias and needs[2]:
            gb = gm.sum(axis=2).reshape(-1)
        return (gx, gw, gb) if self.has_bias else (gx, gw)


class ConvTranspose(Function):
    """conv_transpose1d/2d: the input-gradient of a convolution, run forwards.

    `geom` is the adjoint convolution's (its input is our output), so forward is
    col2im(W^T @ x) and the VJPs are im2col(g) with two GEMMs.
    """

    def forward(self, x, w, b=None, geom=None, x4=None, w4=None, out_shape=None):
        g, needs = geom.groups, self.needs_input_grad
        self.geom, self.x_shape, self.w_shape = geom, x.shape, w.shape
        wm = w.reshape(w4).reshape(g, geom.o // g, -1)  # (G, Cin_g, Cout_g*kh*kw)
        xm = geom.from_output(x.reshape(x4))  # (G, Cin_g, M)
        wt = np.ascontiguousarray(wm.transpose(0, 2, 1))
        # (N, Cout, Hout, Wout), made contiguous as torch's output (see the module docstring)
        out = np.ascontiguousarray(geom.col2im(_bmm(wt, xm)))
        if b is not None:
            out += b.reshape(-1, 1, 1)
        self.has_bias = b is not None
        self.wm = wm if needs[0] else None
        self.xm = xm if needs[1] else None
        return out.reshape(out_shape)

    def backward(self, grad):
        geom, needs = self.geom, self.needs_input_grad
        g4 = grad.reshape(geom.n, geom.c, geom.h, geom.w)
        gx = gw = gb = None
        if needs[0] or needs[1]:
            cols = geom.im2col(g4, bias_row=False)  # (G, Cout_g*kh*kw, M)
            if needs[0]:
                gx = geom.to_output(_bmm(self.wm, cols)).reshape(self.x_shape)
            if needs[1]:
                gw = _bmm_nt(self.xm, cols).reshape(self.w_shape)
        if self.has_bias and needs[2]:
            gb = g4.sum(axis=(0, 2, 3))
        return (gx, gw, gb) if self.has_bias else (gx, gw)


def _conv(op, nd, input, weight, bias, stride, padding, dilation, groups):
    _float_tensor(input, op, "input")
    x4 = _spatial_input(input, op, nd)
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool):
        raise TypeError(f"{op}: groups must be an int, got {type(groups).__name__}")
    _check_weight_bias(op, nd, input, weight, bias, int(groups))
    w4 = weight.shape if nd == 2 else weight.shape[:2] + (1,) + weight.shape[2:]
    stride, dilation = _spatial_args(nd, op, stride, dilation)
    pads = _conv_padding(padding, nd, w4[2:], stride, dilation, op)
    geom = _conv_geometry(op, x4, w4, stride, pads, dilation, int(groups))
    out_shape = _out_shape((x4[0], geom.o, geom.ho, geom.wo), input.ndim, nd)
    tensors = (input, weight) if bias is None else (input, weight, bias)
    return Conv.apply(*tensors, geom=geom, x4=x4, w4=w4, out_shape=out_shape)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """1-d convolution (cross-correlation, as in torch) over a batch of sequences.

    Args:
        input: (N, C_in, L) or unbatched (C_in, L).
        weight: (C_out, C_in / groups, kL).
        bias: optional (C_out,). Default None.
        stride, dilation: int or 1-tuple. Default 1.
        padding: int, 1-tuple, 'valid' (no padding) or 'same' (output length = input
            length; stride must be 1). Default 0.
        groups: split the channels into this many independent convolutions. Default 1.

    Shape:
        (N, C_in, L) -> (N, C_out, L_out), L_out = (L + 2p - dilation*(kL-1) - 1) // stride + 1.

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.conv1d(gb.ones(2, 3, 10), gb.ones(4, 3, 5), stride=2).shape
        (2, 4, 3)
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-d convolution (cross-correlation, as in torch) over a batch of images.

    Computed as one GEMM per group over a column matrix built once; the weight gradient reuses
    it. The output is a view in channel-major memory order (see the module docstring).

    Args:
        input: (N, C_in, H, W) or unbatched (C_in, H, W).
        weight: (C_out, C_in / groups, kH, kW).
        bias: optional (C_out,). Default None.
        stride, dilation: int or (h, w). Default 1.
        padding: int, (h, w), 'valid' (none) or 'same' (output size = input size; stride
            must be 1; an odd total goes to the bottom/right, as in torch). Default 0.
        groups: split the channels into this many independent convolutions. Default 1.

    Shape:
        (N, C_in, H, W) -> (N, C_out, H_out, W_out),
        H_out = (H + 2*padding - dilation*(kH-1) - 1) // stride + 1 (W likewise).

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.conv2d(gb.ones(8, 1, 28, 28), gb.ones(16, 1, 3, 3), padding=1).shape
        (8, 16, 28, 28)
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose(op, nd, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    _float_tensor(input, op, "input")
    x4 = _spatial_input(input, op, nd)
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool):
        raise TypeError(f"{op}: groups must be an int, got {type(groups).__name__}")
    groups = int(groups)
    _check_weight_bias(op, nd, input, weight, bias, groups, transposed=True)
    w4 = weight.shape if nd == 2 else weight.shape[:2] + (1,) + weight.shape[2:]
    stride, dilation = _spatial_args(nd, op, stride, dilation)
    if isinstance(padding, str):
        raise ConvError(f"{op}: padding must be an int or a tuple of ints, got {padding!r}")
    pad = (0,) * (2 - nd) + _ints(padding, nd, "padding", op)
    out_pad = (0,) * (2 - nd) + _ints(output_padding, nd, "output_padding", op)
    geom = _conv_geometry(op, x4, w4, stride, pad, dilation, groups, transposed=True,
                          output_padding=out_pad)
    out_shape = _out_shape((x4[0], geom.c, geom.h, geom.w), input.ndim, nd)
    tensors = (input, weight) if bias is None else (input, weight, bias)
    return ConvTranspose.apply(*tensors, geom=geom, x4=x4, w4=w4, out_shape=out_shape)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """1-d transposed convolution (the gradient of conv1d with respect to its input).

    Args:
        input: (N, C_in, L) or unbatched (C_in, L).
        weight: (C_in, C_out / groups, kL).
        bias: optional (C_out,). Default None.
        stride, padding, dilation: int or 1-tuple. Defaults 1, 0, 1.
        output_padding: extra length added at the end, < max(stride, dilation). Default 0.
        groups: independent channel groups. Default 1.

    Shape:
        (N, C_in, L) -> (N, C_out, L_out),
        L_out = (L-1)*stride - 2*padding + dilation*(kL-1) + output_padding + 1.

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.conv_transpose1d(gb.ones(2, 4, 5), gb.ones(4, 3, 3), stride=2).shape
        (2, 3, 11)
    """
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """2-d transposed convolution (the gradient of conv2d with respect to its input).

    Args:
        input: (N, C_in, H, W) or unbatched (C_in, H, W).
        weight: (C_in, C_out / groups, kH, kW).
        bias: optional (C_out,). Default None.
        stride, padding, dilation: int or (h, w). Defaults 1, 0, 1.
        output_padding: extra rows/columns added at the bottom/right, each smaller than
            max(stride, dilation). Default 0.
        groups: independent channel groups. Default 1.

    Shape:
        (N, C_in, H, W) -> (N, C_out, H_out, W_out),
        H_out = (H-1)*stride - 2*padding + dilation*(kH-1) + output_padding + 1 (W likewise).

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.conv_transpose2d(gb.ones(2, 8, 7, 7), gb.ones(8, 4, 2, 2), stride=2).shape
        (2, 4, 14, 14)
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


# ---------------------------------------------------------------------------------------------
# Pooling: windows over planes


def _planes(a):
    """(N, C, H, W) -> (P, H, W) planes without a copy where the memory order allows.

    Returns the planes and whether they are channel-major (P = C*N) rather than N*C.
    """
    n, c, h, w = a.shape
    sn, sc = a.strides[:2]
    if n == 1 or c == 1 or sn == c * sc:  # N and C merge into one axis: a view
        return a.reshape(n * c, h, w), False
    if sc == n * sn:
        return a.transpose(1, 0, 2, 3).reshape(c * n, h, w), True
    return np.ascontiguousarray(a).reshape(n * c, h, w), False


def _from_planes(p, n, c, channel_major):
    """(P, h, w) planes -> (N, C, h, w), a view."""
    if channel_major:
        return p.reshape(c, n, *p.shape[1:]).transpose(1, 0, 2, 3)
    return p.reshape(n, c, *p.shape[1:])


def _to_planes(g, channel_major):
    """An (N, C, h, w) gradient as planes in the same order as the forward's (copies if it must)."""
    n, c, h, w = g.shape
    if channel_major:
        return g.transpose(1, 0, 2, 3).reshape(c * n, h, w)
    return g.reshape(n * c, h, w)


class _PoolGeometry:
    """Window sizes of a pooling op over (H, W) planes, with torch's output-size rule.

    `hp`, `wp` are the padded extents the windows touch (top/left padding plus the input plus
    whatever the last window needs, e.g. in ceil_mode).
    """

    def __init__(self, op, hw, kernel, stride, padding, dilation, ceil_mode):
        self.h, self.w = hw
        self.kh, self.kw = kernel
        self.sh, self.sw = stride
        self.ph, self.pw = padding
        self.dh, self.dw = dilation
        self.kk = self.kh * self.kw
        if min(kernel) <= 0:
            raise ConvError(f"{op}: kernel_size must be greater than zero, got {kernel}")
        if min(stride) <= 0:
            raise ConvError(f"{op}: stride must be greater than zero, got {stride}")
        if min(dilation) <= 0:
            raise ConvError(f"{op}: dilation must be greater than zero, got {dilation}")
        if min(padding) < 0 or padding[0] > self.kh // 2 or padding[1] > self.kw // 2:
            raise ConvError(
                f"{op}: padding must be at least 0 and at most half of kernel_size, got "
                f"padding={padding} for kernel_size={kernel}"
            )
        outs = []
        for size, k, s, p, d in zip(hw, kernel, stride, padding, dilation):
            out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
            if ceil_mode and (out - 1) * s >= size + p:  # the last window must start inside
                out -= 1
            outs.append(out)
        self.ho, self.wo = outs
        if self.ho < 1 or self.wo < 1:
            raise ConvError(
                f"{op}: input of spatial size {hw} is too small for kernel_size={kernel}, "
                f"stride={stride}, padding={padding}, dilation={dilation}: output size would "
                f"be {(self.ho, self.wo)}"
            )
        self.hp = max(self.ph + self.h, (self.ho - 1) * self.sh + (self.kh - 1) * self.dh + 1)
        self.wp = max(self.pw + self.w, (self.wo - 1) * self.sw + (self.kw - 1) * self.dw + 1)
        self.padded = (self.hp, self.wp, self.ph, self.pw) != (self.h, self.w, 0, 0)
        # each input pixel in at most one window (assignment instead of accumulation), and
        # every padded pixel in exactly one (no zero-fill needed)
        extent_h, extent_w = (self.kh - 1) * self.dh + 1, (self.kw - 1) * self.dw + 1
        self.disjoint = self.sh >= extent_h and self.sw >= extent_w
        self.tiles = (
            (self.sh, self.sw) == (extent_h, extent_w) == kernel
            and (self.hp, self.wp) == (self.ho * self.sh, self.wo * self.sw)
        )
        # 2x2 windows at stride 2 (a trailing odd row/column is never read): a faster path
        self.halves = kernel == stride == (2, 2) and dilation == (1, 1) and not self.padded

    def pad(self, planes, fill):
        """Planes (P, H, W) padded with `fill` to (P, hp, wp); the planes themselves if no pad."""
        if not self.padded:
            return planes
        out = np.full((planes.shape[0], self.hp, self.wp), fill, dtype=planes.dtype)
        out[:, self.ph : self.ph + self.h, self.pw : self.pw + self.w] = planes
        return out

    def rows(self, a, ki):
        """The (.., ho, ..) rows of `a` (axis 1) that kernel row ki of every window reads."""
        start = ki * self.dh
        return a[:, start : start + (self.ho - 1) * self.sh + 1 : self.sh]

    def cols(self, a, kj):
        """The (.., .., wo) columns of `a` (axis 2) that kernel column kj of every window reads."""
        start = kj * self.dw
        return a[:, :, start : start + (self.wo - 1) * self.sw + 1 : self.sw]

    def unpad(self, gp):
        return gp[:, self.ph : self.ph + self.h, self.pw : self.pw + self.w]


@functools.lru_cache(maxsize=512)
def _pool_geometry(op, hw, kernel, stride, padding, dilation, ceil_mode) -> _PoolGeometry:
    """A cached _PoolGeometry: it is immutable, and a network repeats the same few shapes."""
    return _PoolGeometry(op, hw, kernel, stride, padding, dilation, ceil_mode)


def _running_max(views, want_index=True):
    """Elementwise max over same-shape arrays and the index of the first maximum.

    Ties keep the earlier index (strict >). NaN propagates into the values but never wins the
    index here; the caller fixes indices of windows holding NaN. The index is uint8 (int32
    beyond 256 arrays), None for a single array or when not wanted.
    """
    if len(views) == 1:
        return views[0], None
    m = np.maximum(views[0], views[1])
    if not want_index:
        for v in views[2:]:
            np.maximum(m, v, out=m)
        return m, None
    idx = np.greater(views[1], views[0])
    idx = idx.view(np.uint8) if len(views) <= 256 else idx.astype(np.int32)
    for q in range(2, len(views)):
        upd = np.greater(views[q], m)
        np.maximum(m, views[q], out=m)
        np.copyto(idx, q, where=upd)
    return m, idx


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


class MaxPool(Function):
    """max_pool1d/2d: the window maximum, its gradient sent to the first maximum's position."""

    saves_inputs = False

    def forward(self, x, geom=None, x4=None, out_shape=None, indices_out=None):
        n, c = x4[:2]
        planes, self.channel_major = _planes(x.reshape(x4))
        xp = geom.pad(planes, _lowest(x.dtype))
        # the window codes are for the gradient and the indices: skip them for inference
        want_code = indices_out is not None or any(self.needs_input_grad)
        out, code = self._window_max_planes(xp, geom, want_code)
        if indices_out is not None:
            indices_out.append(_from_planes(self._indices(code, geom), n, c, self.channel_major))
        self.geom, self.code, self.n, self.c, self.x_shape = geom, code, n, c, x.shape
        return _from_planes(out, n, c, self.channel_major).reshape(out_shape)

    @staticmethod
    def _window_max_planes(xp, geom, want_code):
        """_window_max over all planes, a block of planes at a time (the passes stay in cache)."""
        p = xp.shape[0]
        # the halving path makes few passes and gains little from the cache: it runs whole
        # up to 4 blocks (W2's layers), in blocks beyond (its copies stay bounded in memory)
        limit = backend.BLOCK_ELEMENTS * (4 if geom.halves else 1)
        if p * xp[:1].size <= limit:
            return MaxPool._window_max(xp, geom, want_code)
        out = np.empty((p, geom.ho, geom.wo), xp.dtype)
        code = np.empty(out.shape, np.uint8 if geom.kk <= 256 else np.int32) if want_code else None

        def planes(a, b):
            o, c = MaxPool._window_max(xp[a:b], geom, want_code)
            out[a:b] = o
            if want_code:
                code[a:b] = c

        backend.by_blocks(planes, p, xp[:1].size)
        return out, code

    @staticmethod
    def _window_max(xp, geom, want_code=True):
        """Window maxima (P, ho, wo) and the code ki*kw + kj of each window's first maximum;
        windows holding NaN or only padding get torch's scan instead (_exact_codes)."""
        if geom.halves:
            out, code = MaxPool._halving_max(xp, geom, want_code)
        else:
            out, code = MaxPool._separable_max(xp, geom, want_code)
        if not want_code:
            return out, None
        flagged = None
        if out.dtype.kind == "f":
            flagged = np.isnan(out)
        if geom.padded:  # a window whose max is the fill value may point at padding
            low = out == _lowest(out.dtype)
            flagged = low if flagged is None else flagged | low
        if flagged is not None and flagged.any():
            MaxPool._exact_codes(xp, geom, code, flagged)
        return out, code

    @staticmethod
    def _halving_max(xp, geom, want_code):
        """The common 2x2, stride-2 window. Strided reads cost NumPy's maximum 5x more than
        contiguous ones, so the even and odd columns are first copied apart (a strided copy
        is cheap); every comparison after that reads whole or half rows."""
        p, ho, wo = len(xp), geom.ho, geom.wo
        halves = np.empty((2, p, 2 * ho, wo), xp.dtype)  # [kj][plane, row, j]
        np.copyto(halves, xp[:, : 2 * ho, : 2 * wo].reshape(p, 2 * ho, wo, 2).transpose(3, 0, 1, 2))
        row_max = np.maximum(halves[0], halves[1]).reshape(p, ho, 2 * wo)  # [.., i, ki*wo + j]
        top, bottom = row_max[:, :, :wo], row_max[:, :, wo:]
        out = np.maximum(top, bottom)
        if not want_code:
            return out, None
        # first maximum: column 1 only if strictly larger, row 1 only if strictly larger
        col_code = np.greater(halves[1], halves[0]).view(np.uint8).reshape(p, ho, 2 * wo)
        row_code = np.greater(bottom, top).view(np.uint8)
        c0, c1 = col_code[:, :, :wo], col_code[:, :, wo:]
        code = np.bitwise_xor(c0, c1)  # c1 where row 1 won, else c0: c0 ^ (r * (c0 ^ c1))
        code *= row_code
        code ^= c0
        code += row_code
        code += row_code  # + 2 * ki
        return out, code

    @staticmethod
    def _separable_max(xp, geom, want_code):
        """Any window: along each window row first (first column with the row's max), then
        the first row with the largest row max."""
        cols = [geom.cols(xp, kj) for kj in range(geom.kw)]
        row_max, col_code = _running_max(cols, want_code)
        out, row_code = _running_max([geom.rows(row_max, ki) for ki in range(geom.kh)], want_code)
        if geom.kk == 1:  # a 1x1 window: `out` is a view of the input
            out = out.copy()
        if not want_code:
            return out, None
        code_dtype = np.uint8 if geom.kk <= 256 else np.int32
        if col_code is None:  # kw == 1
            code = np.zeros(out.shape, code_dtype) if row_code is None else row_code
        else:
            if row_code is None:  # kh == 1
                col_sel = geom.rows(col_code, 0)
            elif geom.kh == 2:  # c1 where row 1 won, else c0: c0 ^ (r * (c0 ^ c1))
                c0, c1 = geom.rows(col_code, 0), geom.rows(col_code, 1)
                col_sel = np.bitwise_xor(c0, c1)
                col_sel *= row_code
                col_sel ^= c0
            else:
                p, _, wo = col_code.shape
                s0, s1, s2 = col_code.strides
                stacked = _strided_view(  # (P, ho, kh, wo): column codes of each window row
                    col_code, (p, geom.ho, geom.kh, wo), (s0, geom.sh * s1, geom.dh * s1, s2)
                )
                col_sel = np.take_along_axis(stacked, row_code[:, :, None, :], axis=2)[:, :, 0]
            code = col_sel.astype(code_dtype, copy=col_sel.base is not None)
            if row_code is not None:
                code += row_code.astype(code_dtype) * code_dtype(geom.kw)
        return out, code

    @staticmethod
    def _exact_codes(xp, geom, code, flagged):
        """torch's scan for the flagged windows: start at the first real (unpadded) pixel,
        move on to a larger value or to any NaN (so the last NaN wins)."""
        p, i, j = np.nonzero(flagged)
        best = np.zeros(len(p), dtype=xp.dtype)
        best_q = np.full(len(p), -1)
        for q in range(geom.kk):
            ki, kj = divmod(q, geom.kw)
            r, col = i * geom.sh + ki * geom.dh, j * geom.sw + kj * geom.dw
            real = (r >= geom.ph) & (r < geom.ph + geom.h)
            real &= (col >= geom.pw) & (col < geom.pw + geom.w)
            v = xp[p, np.minimum(r, geom.hp - 1), np.minimum(col, geom.wp - 1)]
            upd = real & ((best_q < 0) | (v > best) | np.isnan(v))
            best[upd], best_q[upd] = v[upd], q
        code[p, i, j] = best_q

    @staticmethod
    def _indices(code, geom):
        """Window codes -> torch's indices: the flat position h*W + w in each input plane."""
        ki, kj = np.divmod(code.astype(np.int64), geom.kw)
        rows = np.arange(geom.ho)[:, None] * geom.sh - geom.ph + ki * geom.dh
        cols = np.arange(geom.wo)[None, :] * geom.sw - geom.pw + kj * geom.dw
        return rows * geom.w + cols

    def backward(self, grad):
        geom = self.geom
        g = _to_planes(grad.reshape(self.n, self.c, geom.ho, geom.wo), self.channel_major)
        gp = np.zeros((g.shape[0], geom.hp, geom.wp), g.dtype)
        code = self.code
        if geom.disjoint:
            # each pixel in one window at most: g goes straight to each window's maximum, one
            # scatter with no short strided loops (W2's 7-wide planes ran 1.7x slower)
            gp.reshape(-1)[_max_positions(code, geom)] = g.reshape(-1)
        else:
            # overlapping windows: each window offset adds g where the code names it (a
            # non-finite g also spreads NaN to the window's other pixels, as inf * 0 is NaN)
            def planes(a, b):
                gp_ab, g_ab, code_ab = gp[a:b], g[a:b], code[a:b]
                for q in range(geom.kk):
                    view = geom.cols(geom.rows(gp_ab, q // geom.kw), q % geom.kw)  # (P, ho, wo)
                    view += g_ab * (code_ab == q)

            backend.by_blocks(planes, g.shape[0], geom.hp * geom.wp)
        gx = _from_planes(geom.unpad(gp), self.n, self.c, self.channel_major)
        return gx.reshape(self.x_shape)


def _max_positions(code, geom) -> np.ndarray:
    """Flat positions in the padded planes (P, hp, wp) of each window's first maximum."""
    kw = geom.kw
    if kw & (kw - 1) == 0:  # a power of two (the common 2 and 1): a shift and a mask
        shift = kw.bit_length() - 1
        ki, kj = np.right_shift(code, shift), np.bitwise_and(code, kw - 1)
    else:
        ki, kj = np.divmod(code, kw)
    pos = ki.astype(np.intp).reshape(-1)
    pos *= geom.dh * geom.wp
    pos += kj.reshape(-1) if geom.dw == 1 else np.multiply(kj.reshape(-1), geom.dw, dtype=np.intp)
    pos += _window_starts(geom, code.shape[0])
    return pos


@functools.lru_cache(maxsize=16)
def _window_starts(geom, p: int) -> np.ndarray:
    """Flat position of each window's top-left pixel in (p, hp, wp) planes, (p*ho*wo,)."""
    rows = np.arange(geom.ho, dtype=np.intp) * (geom.sh * geom.wp)
    starts = rows[:, None] + np.arange(geom.wo, dtype=np.intp) * geom.sw
    starts = np.arange(p, dtype=np.intp)[:, None] * (geom.hp * geom.wp) + starts.reshape(-1)
    starts = starts.reshape(-1)
    starts.flags.writeable = False
    return starts


def _window_sum(views):
    if len(views) == 1:
        return views[0]
    total = np.add(views[0], views[1])
    for v in views[2:]:
        total += v
    return total


class AvgPool(Function):
    """avg_pool1d/2d: window sums (separable: along rows, then across rows) over a divisor."""

    saves_inputs = False

    def forward(self, x, geom=None, x4=None, out_shape=None, divisor=None):
        n, c = x4[:2]
        planes, self.channel_major = _planes(x.reshape(x4))
        xp = geom.pad(planes, 0)
        row_sum = _window_sum([geom.cols(xp, kj) for kj in range(geom.kw)])
        total = _window_sum([geom.rows(row_sum, ki) for ki in range(geom.kh)])
        out = np.divide(total, divisor, dtype=x.dtype)
        self.geom, self.divisor, self.n, self.c, self.x_shape = geom, divisor, n, c, x.shape
        return _from_planes(out, n, c, self.channel_major).reshape(out_shape)

    def backward(self, grad):
        geom = self.geom
        g = _to_planes(grad.reshape(self.n, self.c, geom.ho, geom.wo), self.channel_major)
        g = np.divide(g, self.divisor, dtype=g.dtype)
        p = g.shape[0]
        alloc = np.empty if geom.tiles else np.zeros
        # the transpose of each stage: spread over the window rows, then along each row
        g_rows = alloc((p, geom.hp, geom.wo), g.dtype)
        for ki in range(geom.kh):
            view = geom.rows(g_rows, ki)
            if geom.disjoint:
                view[...] = g
            else:
                view += g
        gp = alloc((p, geom.hp, geom.wp), g.dtype)
        for kj in range(geom.kw):
            view = geom.cols(gp, kj)
            if geom.disjoint:
                view[...] = g_rows
            else:
                view += g_rows
        gx = _from_planes(geom.unpad(gp), self.n, self.c, self.channel_major)
        return gx.reshape(self.x_shape)


def _avg_divisor(geom, count_include_pad, divisor_override, dtype):
    """torch's divisor per output position: window size within the padded input, or only the
    real pixels (count_include_pad=False); a scalar where it is the same everywhere."""
    if divisor_override is not None:
        return dtype.type(divisor_override)
    counts = []
    for size, out, k, s, p in ((geom.h, geom.ho, geom.kh, geom.sh, geom.ph),
                               (geom.w, geom.wo, geom.kw, geom.sw, geom.pw)):
        start = np.arange(out) * s - p
        end = np.minimum(start + k, size + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        counts.append(end - start)
    div = (counts[0][:, None] * counts[1][None, :]).astype(dtype)
    return div.flat[0] if np.all(div == div.flat[0]) else div


def _pool_args(op, nd, input, kernel_size, stride, padding, dilation):
    x4 = _spatial_input(input, op, nd)
    if 0 in x4[1:]:
        raise ConvError(f"{op}: expected an input with non-zero channel and spatial sizes, "
                        f"got shape {tuple(input.shape)}")
    kernel = (1,) * (2 - nd) + _ints(kernel_size, nd, "kernel_size", op)
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        stride = kernel
    else:
        stride = (1,) * (2 - nd) + _ints(stride, nd, "stride", op)
    padding = (0,) * (2 - nd) + _ints(padding, nd, "padding", op)
    dilation = (1,) * (2 - nd) + _ints(dilation, nd, "dilation", op)
    return x4, kernel, stride, padding, dilation


def _max_pool(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    _tensor(input, op, "input")
    x4, kernel, stride, padding, dilation = _pool_args(
        op, nd, input, kernel_size, stride, padding, dilation
    )
    geom = _pool_geometry(op, x4[2:], kernel, stride, padding, dilation, bool(ceil_mode))
    out_shape = _out_shape((x4[0], x4[1], geom.ho, geom.wo), input.ndim, nd)
    sink = [] if return_indices else None
    out = MaxPool.apply(input, geom=geom, x4=x4, out_shape=out_shape, indices_out=sink)
    if return_indices:
        return out, Tensor._wrap(np.ascontiguousarray(sink[0]).reshape(out_shape))
    return out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-d max pooling; the gradient goes to the first maximum of each window, as in torch.

    Args:
        input: (N, C, L) or unbatched (C, L).
        kernel_size: window length.
        stride: step between windows. Default None (= kernel_size).
        padding: implicit -inf padding on both ends, at most kernel_size // 2. Default 0.
        dilation: spacing between window elements. Default 1.
        ceil_mode: round the output length up (a last, partial window). Default False.
        return_indices: also return the int64 position of each maximum in its row. Default False.

    Shape:
        (N, C, L) -> (N, C, L_out), L_out = (L + 2p - dilation*(k-1) - 1) // stride + 1
        (rounded up with ceil_mode, unless the last window would start in the padding).

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.max_pool1d(gb.tensor([[[1., 3., 2., 2., 0.]]]), 2, return_indices=True)
        (tensor([[[3., 2.]]]), tensor([[[1, 2]]]))
    """
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-d max pooling; the gradient goes to the first maximum (row-major) of each window.

    Args:
        input: (N, C, H, W) or unbatched (C, H, W).
        kernel_size: int or (kH, kW).
        stride: int or (sH, sW). Default None (= kernel_size).
        padding: implicit -inf padding, at most half the kernel size. Default 0.
        dilation: spacing between window elements. Default 1.
        ceil_mode: round the output size up (partial windows at the bottom/right). Default False.
        return_indices: also return the int64 flat position h*W + w of each maximum in its
            input plane (for max_unpool). Default False.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out),
        H_out = (H + 2p - dilation*(kH-1) - 1) // stride + 1 (W likewise; see ceil_mode).

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.max_pool2d(gb.ones(8, 16, 28, 28), 2).shape
        (8, 16, 14, 14)
    """
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def _avg_pool(op, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override=None):
    _float_tensor(input, op, "input")
    x4, kernel, stride, padding, dilation = _pool_args(op, nd, input, kernel_size, stride,
                                                       padding, 1)
    if divisor_override is not None and (
        not isinstance(divisor_override, numbers.Integral) or divisor_override == 0
    ):
        raise ConvError(f"{op}: divisor_override must be a non-zero int, got {divisor_override!r}")
    geom = _pool_geometry(op, x4[2:], kernel, stride, padding, dilation, bool(ceil_mode))
    divisor = _avg_divisor(geom, count_include_pad, divisor_override, input.dtype)
    out_shape = _out_shape((x4[0], x4[1], geom.ho, geom.wo), input.ndim, nd)
    return AvgPool.apply(input, geom=geom, x4=x4, out_shape=out_shape, divisor=divisor)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True) -> Tensor:
    """1-d average pooling.

    Args:
        input: (N, C, L) or unbatched (C, L).
        kernel_size: window length.
        stride: step between windows. Default None (= kernel_size).
        padding: implicit zero padding on both ends, at most kernel_size // 2. Default 0.
        ceil_mode: round the output length up (a last, partial window). Default False.
        count_include_pad: divide by the window length including padding. Default True.

    Shape:
        (N, C, L) -> (N, C, L_out), L_out = (L + 2p - k) // stride + 1 (see ceil_mode).

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.avg_pool1d(gb.tensor([[[1., 3., 2., 4.]]]), 2)
        tensor([[[2., 3.]]])
    """
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None) -> Tensor:
    """2-d average pooling.

    Args:
        input: (N, C, H, W) or unbatched (C, H, W).
        kernel_size: int or (kH, kW).
        stride: int or (sH, sW). Default None (= kernel_size).
        padding: implicit zero padding, at most half the kernel size. Default 0.
        ceil_mode: round the output size up (partial windows at the bottom/right). Default False.
        count_include_pad: divide by the window size including padding. Default True.
        divisor_override: divide by this number instead. Default None.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out), H_out = (H + 2p - kH) // stride + 1
        (W likewise; see ceil_mode).

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.avg_pool2d(gb.ones(2, 3, 6, 6), 3, stride=2, padding=1).shape
        (2, 3, 3, 3)
    """
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


# ---------------------------------------------------------------------------------------------
# Adaptive pooling: window i covers [floor(i*H/Ho), ceil((i+1)*H/Ho))


def _adaptive_sizes(op, nd, input, output_size):
    _tensor(input, op, "input")
    x4 = _spatial_input(input, op, nd)
    if 0 in x4[1:]:
        raise ConvError(f"{op}: expected an input with non-zero channel and spatial sizes, "
                        f"got shape {tuple(input.shape)}")
    if nd == 1 and isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = output_size[0]
    if isinstance(output_size, (tuple, list)) and nd == 2 and len(output_size) == 2:
        sizes = tuple(x4[2 + i] if s is None else s for i, s in enumerate(output_size))
    else:
        sizes = (x4[2],) * (2 - nd) + _ints(output_size, nd, "output_size", op)
    if min(sizes) < 0:
        raise ConvError(f"{op}: output_size must be non-negative, got {output_size!r}")
    return x4, sizes


def _adaptive_bounds(size, out):
    i = np.arange(out)
    return (i * size) // out, ((i + 1) * size + out - 1) // out


def _divides(x4, sizes):
    return all(s > 0 and x % s == 0 for x, s in zip(x4[2:], sizes))


class AdaptiveAvgPool(Function):
    """adaptive_avg_pool where windows vary in size: out = A_h @ x @ A_w^T per plane."""

    saves_inputs = False

    def forward(self, x, x4=None, sizes=None, out_shape=None):
        n, c, h, w = x4
        planes, self.channel_major = _planes(x.reshape(x4))
        self.a_h = self._matrix(h, sizes[0], x.dtype)  # (Ho, H)
        self.a_w = self._matrix(w, sizes[1], x.dtype)  # (Wo, W)
        out = np.matmul(self.a_h, np.matmul(planes, self.a_w.T))  # (P, Ho, Wo)
        self.n, self.c, self.sizes, self.x_shape = n, c, sizes, x.shape
        return _from_planes(out, n, c, self.channel_major).reshape(out_shape)

    @staticmethod
    def _matrix(size, out, dtype):
        """(out, size): row i averages window i."""
        a = np.zeros((out, size), dtype=dtype)
        for i, (s, e) in enumerate(zip(*_adaptive_bounds(size, out))):
            a[i, s:e] = 1 / (e - s)
        return a

    def backward(self, grad):
        g = _to_planes(grad.reshape(self.n, self.c, *self.sizes), self.channel_major)
        gp = np.matmul(self.a_h.T, np.matmul(g, self.a_w))  # (P, H, W)
        return _from_planes(gp, self.n, self.c, self.channel_major).reshape(self.x_shape)


class AdaptiveMaxPool(Function):
    """adaptive_max_pool where windows vary in size: a scan over the largest window's offsets
    (indices clipped to each window's end, so shorter windows repeat their last pixel)."""

    saves_inputs = False

    def forward(self, x, x4=None, sizes=None, out_shape=None, indices_out=None):
        n, c, h, w = x4
        planes, self.channel_major = _planes(x.reshape(x4))
        (hs, he), (ws, we) = _adaptive_bounds(h, sizes[0]), _adaptive_bounds(w, sizes[1])
        out = idx = None
        for di in range(int((he - hs).max(initial=0))):
            rows = np.minimum(hs + di, he - 1)[:, None]
            for dj in range(int((we - ws).max(initial=0))):
                cols = np.minimum(ws + dj, we - 1)[None, :]
                v = planes[:, rows, cols]  # (P, Ho, Wo)
                flat = np.broadcast_to(rows * w + cols, v.shape)
                if out is None:
                    out, idx = v, flat.copy()
                    continue
                upd = v > out  # torch's rule: a larger value or any NaN
                if v.dtype.kind == "f":
                    upd |= np.isnan(v)
                np.copyto(out, v, where=upd)
                np.copyto(idx, flat, where=upd)
        if out is None:  # an empty output size
            out = np.zeros((planes.shape[0],) + sizes, x.dtype)
            idx = np.zeros(out.shape, np.int64)
        if indices_out is not None:
            indices_out.append(_from_planes(idx, n, c, self.channel_major))
        self.idx, self.n, self.c, self.hw, self.x_shape = idx, n, c, (h, w), x.shape
        return _from_planes(out, n, c, self.channel_major).reshape(out_shape)

    def backward(self, grad):
        g = _to_planes(grad.reshape(self.n, self.c, *self.idx.shape[1:]), self.channel_major)
        p = g.shape[0]
        gp = np.zeros((p, self.hw[0] * self.hw[1]), g.dtype)
        np.add.at(gp, (np.arange(p)[:, None, None], self.idx), g)  # windows may overlap
        gp = gp.reshape(p, *self.hw)
        return _from_planes(gp, self.n, self.c, self.channel_major).reshape(self.x_shape)


def _adaptive_avg(op, nd, input, output_size):
    _float_tensor(input, op, "input")
    x4, sizes = _adaptive_sizes(op, nd, input, output_size)
    if _divides(x4, sizes):  # equal windows: plain average pooling, torch's arithmetic
        kernel = tuple(x // s for x, s in zip(x4[2:], sizes))
        geom = _pool_geometry(op, x4[2:], kernel, kernel, (0, 0), (1, 1), False)
        out_shape = _out_shape((x4[0], x4[1]) + sizes, input.ndim, nd)
        divisor = input.dtype.type(kernel[0] * kernel[1])
        return AvgPool.apply(input, geom=geom, x4=x4, out_shape=out_shape, divisor=divisor)
    out_shape = _out_shape((x4[0], x4[1]) + sizes, input.ndim, nd)
    return AdaptiveAvgPool.apply(input, x4=x4, sizes=sizes, out_shape=out_shape)


def adaptive_avg_pool1d(input, output_size) -> Tensor:
    """1-d adaptive average pooling: output_size windows of (nearly) equal length.

    Args:
        input: (N, C, L) or unbatched (C, L).
        output_size: the output length L_out.

    Shape:
        (N, C, L) -> (N, C, L_out); window i covers [floor(i*L/L_out), ceil((i+1)*L/L_out)).

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.adaptive_avg_pool1d(gb.tensor([[[1., 2., 3., 4., 5.]]]), 2)
        tensor([[[2., 4.]]])
    """
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input, output_size) -> Tensor:
    """2-d adaptive average pooling: an output of the given size, whatever the input size.

    Args:
        input: (N, C, H, W) or unbatched (C, H, W).
        output_size: int or (H_out, W_out); None in the tuple keeps that input size.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out); window i covers rows
        [floor(i*H/H_out), ceil((i+1)*H/H_out)) (columns likewise).

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.adaptive_avg_pool2d(gb.ones(2, 8, 7, 9), (3, None)).shape
        (2, 8, 3, 9)
    """
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def _adaptive_max(op, nd, input, output_size, return_indices):
    x4, sizes = _adaptive_sizes(op, nd, input, output_size)
    if _divides(x4, sizes):  # equal windows: plain max pooling
        kernel = tuple(x // s for x, s in zip(x4[2:], sizes))
        return _max_pool(op, nd, input, kernel[2 - nd :], None, 0, 1, False, return_indices)
    out_shape = _out_shape((x4[0], x4[1]) + sizes, input.ndim, nd)
    sink = [] if return_indices else None
    out = AdaptiveMaxPool.apply(input, x4=x4, sizes=sizes, out_shape=out_shape, indices_out=sink)
    if return_indices:
        return out, Tensor._wrap(np.ascontiguousarray(sink[0]).reshape(out_shape))
    return out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """1-d adaptive max pooling (gradient to the first maximum of each window).

    Args:
        input: (N, C, L) or unbatched (C, L).
        output_size: the output length L_out.
        return_indices: also return the int64 position of each maximum. Default False.

    Shape:
        (N, C, L) -> (N, C, L_out); window i covers [floor(i*L/L_out), ceil((i+1)*L/L_out)).

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.adaptive_max_pool1d(gb.tensor([[[1., 5., 3., 4., 2.]]]), 2)
        tensor([[[5., 4.]]])
    """
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """2-d adaptive max pooling (gradient to the first maximum of each window).

    Args:
        input: (N, C, H, W) or unbatched (C, H, W).
        output_size: int or (H_out, W_out); None in the tuple keeps that input size.
        return_indices: also return the int64 flat position h*W + w of each maximum.
            Default False.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out); windows as in adaptive_avg_pool2d.

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.adaptive_max_pool2d(gb.ones(2, 8, 7, 9), 4).shape
        (2, 8, 4, 4)
    """
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)
