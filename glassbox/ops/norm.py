"""Normalisation layers' ops: layer_norm, batch_norm, group_norm, each one fused Function.

All three normalise groups of values to zero mean and unit (biased) variance, then apply a
per-feature affine map y = xhat * weight + bias. They differ only in which values form a group:

    layer_norm   the last len(normalized_shape) dims of each sample       (M groups of N)
    group_norm   C/G channels x all spatial positions of each sample      (N*G groups)
    batch_norm   one channel over the batch and all spatial positions     (C groups)

The VJP is the closed form of the normalisation's backward. With gx = dL/dxhat (the upstream
gradient times the weight), rstd = 1/sqrt(var + eps) and means taken over each group:

    dL/dx = rstd * (gx - mean(gx) - xhat * mean(gx * xhat))

Everything stays in the input's dtype (float32 in, float32 out).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from glassbox.autograd import Function
from glassbox.ops.fused import (
    InputError,
    _float_arg,
    _same_dtype,
    _tensor_arg,
    col_sums,
    row_dots,
    row_sums,
)
from glassbox.tensor import Tensor

__all__ = ["batch_norm", "group_norm", "layer_norm"]


def _rows_normalise(x2: np.ndarray, eps: float):
    """Normalise each row of a (M, N) array: returns xhat (M, N) and rstd (M,).

    Two passes for the statistics (mean, then the variance of x - mean) keep float32 exact
    for inputs far from zero; the row reductions are BLAS matrix-vector products.
    """
    inv_n = x2.dtype.type(1.0 / x2.shape[1]) if x2.shape[1] else x2.dtype.type(0)
    mean = row_sums(x2)
    mean *= inv_n
    xc = x2 - mean[:, None]  # (M, N)
    var = row_dots(xc, xc)
    var *= inv_n
    var += x2.dtype.type(eps)
    rstd = np.sqrt(var, out=var)
    np.reciprocal(rstd, out=rstd)
    xc *= rstd[:, None]
    return xc, rstd


def _rows_backward(gxhat: np.ndarray, xhat: np.ndarray, rstd: np.ndarray) -> np.ndarray:
    """dL/dx for row normalisation, given dL/dxhat (M, N), which is overwritten."""
    inv_n = xhat.dtype.type(1.0 / xhat.shape[1]) if xhat.shape[1] else xhat.dtype.type(0)
    a = row_sums(gxhat)  # (M,): N * mean(gx)
    c = row_dots(gxhat, xhat)  # (M,): N * mean(gx * xhat)
    a *= inv_n * rstd
    c *= inv_n * rstd
    # rstd * (gx - mean(gx) - xhat * mean(gx * xhat)), with rstd folded into a and c
    gxhat *= rstd[:, None]
    gxhat -= a[:, None]
    gxhat -= np.multiply(xhat, c[:, None])
    return gxhat


def _cols_op(ufunc, a2: np.ndarray, v: np.ndarray, out=None) -> np.ndarray:
    """ufunc(a2, v) for a (M, N) array and a per-column (N,) vector, with long inner loops.

    Broadcasting a row vector makes NumPy run its inner loop once per row, which dominates
    for rows of ~100 elements (60 us instead of 35 for 2048 x 128 float32 here). Seeing k
    consecutive rows as one row of k * N against v tiled k times gives the same result.
    """
    m, n = a2.shape
    if m < 256:  # few rows: the per-row loops cost less than building the tiled vector
        return ufunc(a2, v, out=out)
    k = 1
    while k * 2 * n <= 8192 and m % (k * 2) == 0:
        k *= 2
    if k == 1 or not a2.flags.c_contiguous or (out is not None and not out.flags.c_contiguous):
        return ufunc(a2, v, out=out)
    wide = (m // k, k * n)
    tiled = np.empty((k, n), dtype=v.dtype)  # v repeated k times (cheaper than np.tile)
    tiled[...] = v
    res = ufunc(a2.reshape(wide), tiled.reshape(-1), out=None if out is None else out.reshape(wide))
    return res.reshape(m, n)


def _channels_op(ufunc, x3: np.ndarray, v: np.ndarray, out=None) -> np.ndarray:
    """ufunc(x3, v[:, None]) for x3 (N, C, L) and a per-channel (C,) vector.

    Broadcasting v over L makes NumPy run one inner loop per (sample, channel); repeating
    each v[c] L times gives a pattern that is constant along whole samples, so the same op
    runs as (N, C*L) against a (C*L,) row: a few long loops (2-3x faster for CNN shapes).
    """
    n, c, ell = x3.shape
    flat = (n, c * ell)
    if not x3.flags.c_contiguous or (out is not None and not out.flags.c_contiguous):
        return ufunc(x3, v[:, None], out=out)
    res = _cols_op(ufunc, x3.reshape(flat), np.repeat(v, ell),
                   out=None if out is None else out.reshape(flat))
    return res.reshape(n, c, ell)


def _unpack_affine(affine: tuple, has_weight: bool):
    """(weight, bias) from the op's optional trailing inputs: (), (w,), (b,) or (w, b)."""
    w = affine[0] if has_weight else None
    b = affine[-1] if len(affine) == 1 + has_weight else None
    return w, b


# ---------------------------------------------------------------------------------------------
# layer_norm


class LayerNorm(Function):
    """Normalise over the last k dims of x; weight/bias have those k dims' shape."""

    saves_inputs = False  # keeps xhat and rstd, not x

    def forward(self, x, *affine, k, eps, has_weight):
        w, b = _unpack_affine(affine, has_weight)
        n = math.prod(x.shape[x.ndim - k:])
        x2 = x.reshape(-1, n)  # (M, N): one row per normalised group
        xhat, rstd = _rows_normalise(x2, eps)
        if w is not None:
            y = _cols_op(np.multiply, xhat, w.reshape(-1))
            if b is not None:
                _cols_op(np.add, y, b.reshape(-1), out=y)
        elif b is not None:
            y = _cols_op(np.add, xhat, b.reshape(-1))
        else:
            y = xhat.copy()  # xhat is kept for backward; the output may be changed in place
        self.xhat, self.rstd, self.w, self.has_bias = xhat, rstd, w, b is not None
        self.x_shape, self.p_shape = x.shape, x.shape[x.ndim - k:]
        return y.reshape(x.shape)

    def backward(self, g):
        xhat, w = self.xhat, self.w
        g2 = g.reshape(xhat.shape)
        grads = []
        need = self.needs_input_grad
        if need[0]:
            gxhat = _cols_op(np.multiply, g2, w.reshape(-1)) if w is not None else g2.copy()
            grads.append(_rows_backward(gxhat, xhat, self.rstd).reshape(self.x_shape))
        else:
            grads.append(None)
        if w is not None:
            grads.append(col_sums(g2 * xhat).reshape(self.p_shape) if need[1] else None)
        if self.has_bias:
            grads.append(col_sums(g2).reshape(self.p_shape) if need[-1] else None)
        return tuple(grads)


def _shape_arg(shape, op: str) -> tuple:
    if isinstance(shape, numbers.Integral):
        return (int(shape),)
    try:
        return tuple(int(s) for s in shape)
    except TypeError:
        raise TypeError(f"{op}: normalized_shape must be an int or a sequence of ints, "
                        f"got {shape!r}") from None


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last dims to zero mean, unit variance, then scale and shift.

    Args:
        input: float tensor (*, *normalized_shape).
        normalized_shape: int or tuple: the trailing dims to normalise over.
        weight: optional scale of shape normalized_shape. Default None.
        bias: optional shift of shape normalized_shape. Default None.
        eps: added to the variance. Default 1e-5.

    Shape:
        (*, *normalized_shape) -> the same.

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> y = F.layer_norm(gb.tensor([[1.0, 3.0]]), (2,))
        >>> [round(v, 4) for v in y.tolist()[0]]
        [-1.0, 1.0]
    """
    op = "layer_norm"
    _float_arg(input, op)
    shape = _shape_arg(normalized_shape, op)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise InputError(f"{op}: given normalized_shape={list(shape)}, expected input with "
                         f"shape (*, {', '.join(map(str, shape))}), got {tuple(input.shape)}")
    affine = []
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None:
            _tensor_arg(t, op, what)
            if tuple(t.shape) != shape:
                raise InputError(f"{op}: expected {what} of shape normalized_shape={list(shape)}"
                                 f", got {tuple(t.shape)}")
            affine.append(t)
    _same_dtype(op, input, weight=weight, bias=bias)
    return LayerNorm.apply(input, *affine, k=k, eps=float(eps), has_weight=weight is not None)


# ---------------------------------------------------------------------------------------------
# group_norm


class GroupNorm(Function):
    """x (N, C, *) seen as (N, G, C/G * L): normalise each group, then a per-channel affine."""

    saves_inputs = False

    def forward(self, x, *affine, groups, eps, has_weight):
        w, b = _unpack_affine(affine, has_weight)
        n, c = x.shape[:2]
        ell = math.prod(x.shape[2:])
        xhat, rstd = _rows_normalise(x.reshape(n * groups, -1), eps)  # (N*G, C/G * L)
        y = xhat.reshape(n, c, ell)  # per-channel view for the affine map
        if w is not None:
            y = _channels_op(np.multiply, y, w)
        if b is not None:
            y = _channels_op(np.add, y, b, out=y if w is not None else None)
        if w is None and b is None:
            y = y.copy()
        self.xhat, self.rstd, self.w, self.has_bias = xhat, rstd, w, b is not None
        self.x_shape = x.shape
        return y.reshape(x.shape)

    def backward(self, g):
        n, c = self.x_shape[:2]
        xhat, w, need = self.xhat, self.w, self.needs_input_grad
        g3 = g.reshape(n, c, -1)  # (N, C, L)
        grads = []
        if need[0]:
            gxhat = _channels_op(np.multiply, g3, w) if w is not None else g3.copy()
            gx = _rows_backward(gxhat.reshape(xhat.shape), xhat, self.rstd)
            grads.append(gx.reshape(self.x_shape))
        else:
            grads.append(None)
        if w is not None:
            grads.append(_channel_dots(g3, xhat.reshape(g3.shape)) if need[1] else None)
        if self.has_bias:
            grads.append(_channel_sums(g3) if need[-1] else None)
        return tuple(grads)


def _channel_affine(op, c, weight, bias):
    affine = []
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None:
            _tensor_arg(t, op, what)
            if tuple(t.shape) != (c,):
                raise InputError(f"{op}: expected {what} of shape ({c},) for {c} channels, "
                                 f"got {tuple(t.shape)}")
            affine.append(t)
    return affine


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Normalise groups of channels of each sample, then a per-channel scale and shift.

    Args:
        input: float tensor (N, C, *).
        num_groups: number of groups G; must divide C.
        weight: optional per-channel scale (C,). Default None.
        bias: optional per-channel shift (C,). Default None.
        eps: added to the variance. Default 1e-5.

    Shape:
        (N, C, *) -> (N, C, *).

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.group_norm(gb.randn(2, 4, 3), 2).shape
        (2, 4, 3)
    """
    op = "group_norm"
    _float_arg(input, op)
    if input.ndim < 2:
        raise InputError(f"{op}: expected an input with at least 2 dims (N, C, *), got "
                         f"{tuple(input.shape)}")
    c = input.shape[1]
    if not isinstance(num_groups, numbers.Integral) or num_groups <= 0 or c % num_groups:
        raise InputError(f"{op}: expected the number of channels ({c}) to be divisible by "
                         f"num_groups, got input {tuple(input.shape)} and num_groups={num_groups}")
    if input.shape[0] * math.prod(input.shape[2:]) * (c // num_groups) == 1:
        raise ValueError(f"{op}: expected more than 1 value per group, got input size "
                         f"{tuple(input.shape)} and num_groups={num_groups}")
    affine = _channel_affine(op, c, weight, bias)
    _same_dtype(op, input, weight=weight, bias=bias)
    return GroupNorm.apply(input, *affine, groups=int(num_groups), eps=float(eps),
                           has_weight=weight is not None)


# ---------------------------------------------------------------------------------------------
# batch_norm


class BatchNorm(Function):
    """Normalise each channel of x (N, C, L): batch statistics in training, running ones in eval.

    With xc = x - mean, xhat = xc * rstd and scale = weight * rstd (per channel), both modes
    compute y = xc * scale + bias. Backward, with sums over (N, L) and count = N * L:
        d bias = sum(g),   d weight = rstd * sum(g * xc),
        dx = scale * (g - sum(g) / count - xc * rstd^2 * sum(g * xc) / count)   (training)
        dx = scale * g                                                          (eval)
    The two per-channel sums serve all three gradients.
    """

    saves_inputs = False

    def forward(self, x, *affine, training, eps, has_weight, running, momentum):
        w, b = _unpack_affine(affine, has_weight)
        n, c = x.shape[:2]
        x3 = x.reshape(n, c, -1)  # (N, C, L)
        dt = x.dtype.type
        self.count = n * x3.shape[2]
        if training:
            mean = _channel_sums(x3) * dt(1.0 / self.count)  # (C,)
            xc = _channels_op(np.subtract, x3, mean)  # (N, C, L), kept for backward
            var = _channel_dots(xc, xc) * dt(1.0 / self.count)  # biased: for normalising
            # running statistics, in place; the unbiased variance, as torch
            unbiased = var * dt(self.count / max(self.count - 1, 1))
            for arr, stat in zip(running, (mean, unbiased), strict=True):
                if arr is not None:
                    arr *= arr.dtype.type(1.0 - momentum)
                    arr += (momentum * stat).astype(arr.dtype)
        else:
            mean, var = (r.astype(x.dtype) for r in running)
            xc = None  # x - running_mean is never formed: backward uses x and the mean
        rstd = 1 / np.sqrt(var + dt(eps))
        scale = rstd if w is None else rstd * w  # (C,)
        if training:
            y = _channels_op(np.multiply, xc, scale)
            if b is not None:
                _channels_op(np.add, y, b, out=y)
        else:
            shift = -mean * scale if b is None else b - mean * scale
            y = _channels_op(np.multiply, x3, scale)
            _channels_op(np.add, y, shift, out=y)
        self.training, self.xc, self.x3, self.mean = training, xc, x3, mean
        self.rstd, self.scale = rstd, scale
        self.has_weight, self.has_bias = w is not None, b is not None
        self.x_shape = x.shape
        return y.reshape(x.shape)

    def backward(self, g):
        n, c = self.x_shape[:2]
        need = self.needs_input_grad
        need_w = self.has_weight and need[1]
        need_b = self.has_bias and need[-1]
        g3 = g.reshape(n, c, -1)  # (N, C, L)
        scale, rstd = self.scale, self.rstd
        sum_g = dot_gxc = None
        if need_b or need_w or (need[0] and self.training):
            sum_g = _channel_sums(g3)
        if need_w or (need[0] and self.training):
            if self.training:
                dot_gxc = _channel_dots(g3, self.xc)
            else:  # sum(g * (x - mean)) without forming x - mean
                dot_gxc = _channel_dots(g3, self.x3) - self.mean * sum_g
        gx = None
        if need[0]:
            gx = _channels_op(np.multiply, g3, scale)
            if self.training:
                inv = g3.dtype.type(1.0 / self.count)
                _channels_op(np.subtract, gx, scale * sum_g * inv, out=gx)
                gx -= _channels_op(np.multiply, self.xc, scale * rstd * rstd * dot_gxc * inv)
            gx = gx.reshape(self.x_shape)
        grads = [gx]
        if self.has_weight:
            grads.append(dot_gxc * rstd if need_w else None)
        if self.has_bias:
            grads.append(sum_g if need_b else None)
        return tuple(grads)


def _channel_sums(x3: np.ndarray) -> np.ndarray:
    """(N, C, L) -> (C,): sums over N and L, as BLAS matrix-vector products."""
    n, c, ell = x3.shape
    if ell == 1:
        return col_sums(x3.reshape(n, c))
    return col_sums(row_sums(x3.reshape(n * c, ell)).reshape(n, c))


def _channel_dots(a3: np.ndarray, b3: np.ndarray) -> np.ndarray:
    """(N, C, L), (N, C, L) -> (C,): sum over N and L of a * b."""
    n, c, ell = a3.shape
    if ell == 1:
        return col_sums((a3 * b3).reshape(n, c))
    return col_sums(row_dots(a3.reshape(n * c, ell), b3.reshape(n * c, ell)).reshape(n, c))


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel over the batch (and spatial dims), then scale and shift.

    In training the batch's mean and biased variance normalise the input, and the running
    statistics (if given) are updated in place: running = (1 - momentum) * running +
    momentum * batch, with the unbiased variance for running_var (as torch). In eval the
    running statistics normalise the input.

    Args:
        input: float tensor (N, C), (N, C, L) or (N, C, H, W) (any (N, C, *)).
        running_mean, running_var: (C,) tensors or None (None only when training).
        weight: optional per-channel scale (C,). Default None.
        bias: optional per-channel shift (C,). Default None.
        training: use batch statistics and update the running ones. Default False.
        momentum: weight of the batch statistic in the running update. Default 0.1.
        eps: added to the variance. Default 1e-5.

    Shape:
        (N, C, *) -> (N, C, *).

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> rm, rv = gb.zeros(3), gb.ones(3)
        >>> F.batch_norm(gb.randn(8, 3), rm, rv, training=True).shape
        (8, 3)
    """
    op = "batch_norm"
    _float_arg(input, op)
    if input.ndim < 2:
        raise InputError(f"{op}: expected an input with at least 2 dims (N, C, *), got "
                         f"{tuple(input.shape)}")
    c = input.shape[1]
    for what, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None:
            _tensor_arg(t, op, what)
            if t.numel() != c:
                raise InputError(f"{op}: {what} should contain {c} elements (one per channel "
                                 f"of input {tuple(input.shape)}), not {t.numel()}")
        elif not training:
            raise InputError(f"{op}: {what} must be given in evaluation mode (training=False)")
    if training and input.shape[0] * math.prod(input.shape[2:]) == 1:
        raise ValueError(f"{op}: expected more than 1 value per channel when training, got "
                         f"input size {tuple(input.shape)}")
    affine = _channel_affine(op, c, weight, bias)
    _same_dtype(op, input, weight=weight, bias=bias)
    running = tuple(None if t is None else t._data.reshape(c) for t in (running_mean, running_var))
    out = BatchNorm.apply(input, *affine, training=bool(training), eps=float(eps),
                          has_weight=weight is not None, running=running, momentum=float(momentum))
    if training:
        for t in (running_mean, running_var):
            if t is not None:
                t._version[0] += 1  # changed in place (as torch)
    return out
