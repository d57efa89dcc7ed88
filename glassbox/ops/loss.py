"""Loss functions, each one fused Function: cross-entropy (log-softmax + NLL), NLL, MSE, L1,
smooth L1, Huber, binary cross-entropy (on probabilities and on logits) and KL divergence.

Every loss computes its pointwise values and their derivatives in one forward and one backward
pass. The reduction ('none' | 'mean' | 'sum') is folded in: backward scales the pointwise
derivative by the upstream gradient (a scalar, or one value per element for 'none') and, for
'mean', by 1/count. Semantics follow torch.nn.functional 2.13, with one deliberate difference:
input and target must have the same shape (torch broadcasts some of them with only a warning,
which silently computes the wrong loss for an (N, 1) prediction and an (N,) target).

Class-index layouts (cross_entropy, nll_loss): input (N, C) or (C,) or (N, C, d1, ...); the class
dim is moved last and flattened to (M, C) rows, one per target element.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassbox.autograd import Function
from glassbox.ops.elementwise import to_dtype
from glassbox.ops.fused import (
    DtypeError,
    InputError,
    _constant_arg,
    _float_arg,
    _tensor_arg,
    row_sums,
)
from glassbox.tensor import Tensor

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "mse_loss",
    "nll_loss",
    "smooth_l1_loss",
]

_REDUCTIONS = ("none", "mean", "sum")


# ---------------------------------------------------------------------------------------------
# Argument checks and the reduction, forward and backward


def _check_reduction(reduction, op: str, allowed=_REDUCTIONS) -> str:
    if reduction not in allowed:
        names = ", ".join(repr(r) for r in allowed)
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction "
                         f"(expected one of {names})")
    return reduction


def _check_same_shape(input, target, op: str) -> None:
    if tuple(input.shape) != tuple(target.shape):
        raise InputError(
            f"{op}: input shape {tuple(input.shape)} and target shape {tuple(target.shape)} "
            "differ; losses do not broadcast (reshape one of them, e.g. "
            f"target.view({', '.join(map(str, input.shape)) or '()'}))"
        )


def _float_pair(input, target, op: str):
    """Input and target as float Tensors of one dtype (torch's promotion: f32 + f64 -> f64)."""
    _float_arg(input, op)
    _tensor_arg(target, op, "target")
    if target.dtype.kind != "f":
        target = Tensor._wrap(target._data.astype(input.dtype))
    elif target.dtype != input.dtype:
        dtype = np.promote_types(input.dtype, target.dtype)
        input, target = to_dtype(input, dtype), to_dtype(target, dtype)
    return input, target


def _reduce(values: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return values
    total = values.sum(dtype=values.dtype)
    if reduction == "sum":
        return np.asarray(total)
    n = values.size
    return np.asarray(total / values.dtype.type(n) if n else values.dtype.type(np.nan))


def _grad_scale(g: np.ndarray, reduction: str, count: int) -> np.ndarray:
    """The factor that multiplies each pointwise derivative: g, or g / count for 'mean'."""
    if reduction == "mean":
        return g / g.dtype.type(count) if count else g * g.dtype.type(np.nan)
    return g  # 'sum': a 0-d array that broadcasts; 'none': one value per element


# ---------------------------------------------------------------------------------------------
# Pointwise losses on (input, target) of the same shape


class _PointwiseLoss(Function):
    """Base: loss = reduce(f(input, target)). Subclasses give `values` and `derivatives`.

    `derivatives` returns (d f/d input, d f/d target) arrays, or None for one that is not
    needed; backward multiplies them by the reduction's scale.
    """

    def forward(self, x, t, reduction, **params):
        self.x, self.t, self.reduction, self.params = x, t, reduction, params
        out = self.values(x, t, **params)
        self.count = out.size
        return _reduce(out, reduction)

    def backward(self, g):
        scale = _grad_scale(g, self.reduction, self.count)
        dx, dt = self.derivatives(self.x, self.t, *self.needs_input_grad[:2], **self.params)
        return (None if dx is None else dx * scale), (None if dt is None else dt * scale)


class _DifferenceLoss(_PointwiseLoss):
    """f depends on d = input - target only, so d f/d target = -d f/d input."""

    def derivatives(self, x, t, need_x, need_t, **params):
        dx = self.dfd(x - t, **params)
        return (dx if need_x else None), (-dx if need_t else None)


class MSELoss(_DifferenceLoss):
    def values(self, x, t):
        d = x - t
        return d * d

    def dfd(self, d):
        d *= d.dtype.type(2)
        return d


class L1Loss(_DifferenceLoss):
    def values(self, x, t):
        return np.abs(x - t)

    def dfd(self, d):
        return np.sign(d)  # sign(0) = 0, as torch


class SmoothL1Loss(_DifferenceLoss):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta."""

    def values(self, x, t, beta):
        a = np.abs(x - t)
        dt = a.dtype.type
        return np.where(a < beta, dt(0.5 / beta) * a * a, a - dt(0.5 * beta))

    def dfd(self, d, beta):
        return np.clip(d * d.dtype.type(1.0 / beta), -1, 1)  # d/beta inside, sign(d) outside


class HuberLoss(_DifferenceLoss):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""

    def values(self, x, t, delta):
        a = np.abs(x - t)
        dt = a.dtype.type
        return np.where(a < delta, dt(0.5) * a * a, dt(delta) * (a - dt(0.5 * delta)))

    def dfd(self, d, delta):
        return np.clip(d, -delta, delta)


def _pointwise(cls, op, input, target, reduction, **params) -> Tensor:
    _check_reduction(reduction, op)
    input, target = _float_pair(input, target, op)
    _check_same_shape(input, target, op)
    return cls.apply(input, target, reduction=reduction, **params)


def mse_loss(input, target, reduction: str = "mean") -> Tensor:
    """Mean squared error: reduce((input - target)^2).

    Args:
        input, target: float tensors of the same shape (no broadcasting).
        reduction: 'none' | 'mean' | 'sum'. Default 'mean'.

    Shape:
        (*), (*) -> () or (*) for 'none'.

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.mse_loss(gb.tensor([1.0, 2.0]), gb.tensor([1.0, 4.0])).item()
        2.0
    """
    return _pointwise(MSELoss, "mse_loss", input, target, reduction)


def l1_loss(input, target, reduction: str = "mean") -> Tensor:
    """Mean absolute error: reduce(|input - target|).

    Args:
        input, target: float tensors of the same shape (no broadcasting).
        reduction: 'none' | 'mean' | 'sum'. Default 'mean'.

    Shape:
        (*), (*) -> () or (*) for 'none'.

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.l1_loss(gb.tensor([1.0, 2.0]), gb.tensor([1.0, 4.0])).item()
        1.0
    """
    return _pointwise(L1Loss, "l1_loss", input, target, reduction)


def smooth_l1_loss(input, target, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1: quadratic 0.5 d^2 / beta for |d| < beta, else linear |d| - 0.5 beta.

    Args:
        input, target: float tensors of the same shape (no broadcasting).
        reduction: 'none' | 'mean' | 'sum'. Default 'mean'.
        beta: where the quadratic part ends (>= 0; 0 gives the L1 loss). Default 1.0.

    Shape:
        (*), (*) -> () or (*) for 'none'.

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.smooth_l1_loss(gb.tensor([0.0, 0.0]), gb.tensor([0.5, 3.0])).item()
        1.3125
    """
    op = "smooth_l1_loss"
    if not isinstance(beta, numbers.Real) or beta < 0:
        raise InputError(f"{op}: beta must be >= 0, got {beta}")
    if beta == 0:
        _check_reduction(reduction, op)
        return _pointwise(L1Loss, op, input, target, reduction)
    return _pointwise(SmoothL1Loss, op, input, target, reduction, beta=float(beta))


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """Huber loss: 0.5 d^2 for |d| < delta, else delta * (|d| - 0.5 delta).

    Args:
        input, target: float tensors of the same shape (no broadcasting).
        reduction: 'none' | 'mean' | 'sum'. Default 'mean'.
        delta: where the quadratic part ends (> 0). Default 1.0.

    Shape:
        (*), (*) -> () or (*) for 'none'.

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.huber_loss(gb.tensor([0.0, 0.0]), gb.tensor([0.5, 3.0]), delta=2.0).item()
        2.0625
    """
    op = "huber_loss"
    if not isinstance(delta, numbers.Real) or delta <= 0:
        raise InputError(f"{op}: delta must be > 0, got {delta}")
    return _pointwise(HuberLoss, op, input, target, reduction, delta=float(delta))


# ---------------------------------------------------------------------------------------------
# Binary cross-entropy


class BCELoss(_PointwiseLoss):
    """-w (t log x + (1 - t) log(1 - x)), each log clamped at -100 (as torch)."""

    def values(self, x, t, weight):
        dt = x.dtype.type
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), dt(-100))
            log_1mx = np.maximum(np.log1p(-x), dt(-100))
        out = -(t * log_x + (1 - t) * log_1mx)
        return out if weight is None else out * weight

    def derivatives(self, x, t, need_x, need_t, weight):
        dx = dt_ = None
        if need_x:
            # torch's backward: (x - t) / max(x (1 - x), 1e-12)
            dx = (x - t) / np.maximum(x * (1 - x), x.dtype.type(1e-12))
        if need_t:
            with np.errstate(divide="ignore"):
                dt_ = np.log1p(-x) - np.log(x)  # -logit(x), unclamped (as torch)
        if weight is not None:
            dx = None if dx is None else dx * weight
            dt_ = None if dt_ is None else dt_ * weight
        return dx, dt_


class BCEWithLogitsLoss(_PointwiseLoss):
    """(1 - t) x - (1 + (pw - 1) t) log sigmoid(x), times w; stable for large |x|."""

    def values(self, x, t, weight, pos_weight):
        log_sig = _log_sigmoid(x)
        if pos_weight is None:
            out = (1 - t) * x - log_sig
        else:
            out = (1 - t) * x - (1 + (pos_weight - 1) * t) * log_sig
        return out if weight is None else out * weight

    def derivatives(self, x, t, need_x, need_t, weight, pos_weight):
        dx = dt_ = None
        if need_x:
            sig = _sigmoid(x)
            if pos_weight is None:
                dx = sig - t
            else:  # (pw t + 1 - t) sigmoid(x) - pw t
                pt = pos_weight * t
                dx = (pt + 1 - t) * sig - pt
        if need_t:
            dt_ = -x if pos_weight is None else -x - (pos_weight - 1) * _log_sigmoid(x)
        if weight is not None:
            dx = None if dx is None else dx * weight
            dt_ = None if dt_ is None else dt_ * weight
        return dx, dt_


def _log_sigmoid(x):
    # log sigmoid(x) = min(x, 0) - log(1 + exp(-|x|)): no overflow for any x
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def _sigmoid(x):
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _weight_arg(weight, input, op: str, what: str = "weight"):
    w = _constant_arg(weight, op, what)
    if w is None:
        return None
    try:
        np.broadcast_shapes(w.shape, input.shape)
    except ValueError:
        raise InputError(f"{op}: {what} {w.shape} cannot be broadcast to input "
                         f"{tuple(input.shape)}") from None
    return w.astype(input.dtype, copy=False)


def binary_cross_entropy(input, target, weight=None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy between probabilities and targets in [0, 1].

    loss = -weight * (t log(x) + (1 - t) log(1 - x)), each log clamped at -100 (as torch),
    so x = 0 or 1 gives a finite loss.

    Args:
        input: float tensor of probabilities in [0, 1].
        target: float tensor of the same shape (no broadcasting).
        weight: optional rescaling, broadcastable to input (not differentiated). Default None.
        reduction: 'none' | 'mean' | 'sum'. Default 'mean'.

    Shape:
        (*), (*) -> () or (*) for 'none'.

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> round(F.binary_cross_entropy(gb.tensor([0.5]), gb.tensor([1.0])).item(), 4)
        0.6931
    """
    op = "binary_cross_entropy"
    _check_reduction(reduction, op)
    input, target = _float_pair(input, target, op)
    _check_same_shape(input, target, op)
    x = input._data
    if x.size and not (x.min() >= 0 and x.max() <= 1):  # also refuses nan
        raise InputError(f"{op}: all elements of input should be between 0 and 1, got values "
                         f"in [{x.min()}, {x.max()}]; apply sigmoid first, or use "
                         "binary_cross_entropy_with_logits")
    w = _weight_arg(weight, input, op)
    return BCELoss.apply(input, target, reduction=reduction, weight=w)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    """Binary cross-entropy on logits: sigmoid and BCE fused, stable for any logit.

    loss = -weight * (pos_weight * t * log sigmoid(x) + (1 - t) * log(1 - sigmoid(x))).

    Args:
        input: float tensor of logits.
        target: float tensor of the same shape (no broadcasting), usually in [0, 1].
        weight: optional rescaling, broadcastable to input (not differentiated). Default None.
        reduction: 'none' | 'mean' | 'sum'. Default 'mean'.
        pos_weight: optional weight of positive examples, broadcastable to input, e.g. (C,)
            for (N, C) multi-label targets (not differentiated). Default None.

    Shape:
        (*), (*) -> () or (*) for 'none'.

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> round(F.binary_cross_entropy_with_logits(gb.tensor([0.0]), gb.tensor([1.0])).item(), 4)
        0.6931
    """
    op = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, op)
    input, target = _float_pair(input, target, op)
    _check_same_shape(input, target, op)
    w = _weight_arg(weight, input, op)
    pw = _weight_arg(pos_weight, input, op, "pos_weight")
    return BCEWithLogitsLoss.apply(input, target, reduction=reduction, weight=w, pos_weight=pw)


# ---------------------------------------------------------------------------------------------
# KL divergence


class KLDivLoss(_PointwiseLoss):
    """Pointwise t (log t - x), or exp(t) (t - x) with log_target; x holds log-probabilities."""

    def forward(self, x, t, reduction, log_target):
        # 'batchmean' = 'sum' / batch size: handled here so the base class sees 'sum'
        self.batch = x.shape[0] if reduction == "batchmean" and x.ndim else 1
        red = "sum" if reduction == "batchmean" else reduction
        out = super().forward(x, t, red, log_target=log_target)
        return out / out.dtype.type(self.batch) if self.batch != 1 else out

    def backward(self, g):
        if self.batch != 1:
            g = g / g.dtype.type(self.batch)
        return super().backward(g)

    def values(self, x, t, log_target):
        if log_target:
            return np.exp(t) * (t - x)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_log_t = np.where(t == 0, 0, t * np.log(t))  # xlogy: 0 log 0 = 0
        return t_log_t - t * x

    def derivatives(self, x, t, need_x, need_t, log_target):
        dx = dt_ = None
        if log_target:
            et = np.exp(t)
            dx = -et if need_x else None
            dt_ = et * (t - x + 1) if need_t else None
        else:
            dx = -t if need_x else None
            if need_t:
                with np.errstate(divide="ignore"):
                    dt_ = np.log(t) + 1 - x
        return dx, dt_


def kl_div(input, target, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence KL(target || exp(input)), with input in log space.

    Pointwise: target * (log(target) - input), or exp(target) * (target - input) when
    log_target. As torch, 'mean' divides by the number of elements; 'batchmean' divides the
    sum by the batch size (input.shape[0]), which is the KL divergence's true value.

    Args:
        input: float tensor of log-probabilities.
        target: float tensor of the same shape (no broadcasting): probabilities, or
            log-probabilities if log_target.
        reduction: 'none' | 'mean' | 'batchmean' | 'sum'. Default 'mean'.
        log_target: whether target is given in log space. Default False.

    Shape:
        (*), (*) -> () or (*) for 'none'.

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> p = gb.tensor([[0.5, 0.5]])
        >>> F.kl_div(p.log(), p, reduction="batchmean").item()
        0.0
    """
    op = "kl_div"
    _check_reduction(reduction, op, _REDUCTIONS + ("batchmean",))
    input, target = _float_pair(input, target, op)
    _check_same_shape(input, target, op)
    return KLDivLoss.apply(input, target, reduction=reduction, log_target=bool(log_target))


# ---------------------------------------------------------------------------------------------
# Cross-entropy and NLL over class dims


def _classes_last(z: np.ndarray) -> np.ndarray:
    """(N, C, d1, ...) or (C,) -> (M, C): one row per target element, classes last."""
    if z.ndim == 1:
        return z.reshape(1, -1)
    if z.ndim == 2:
        return z
    return np.moveaxis(z, 1, -1).reshape(-1, z.shape[1])


def _classes_back(g2: np.ndarray, shape: tuple) -> np.ndarray:
    """Inverse of _classes_last: (M, C) -> the input's layout."""
    if len(shape) <= 2:
        return g2.reshape(shape)
    moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    return np.moveaxis(g2.reshape(moved), -1, 1)


def _log_softmax_rows(z2: np.ndarray):
    """(shifted, lse, p): z - max (M, C), log(sum(exp(z - max))) (M,) and softmax(z) (M, C).

    Subtracting the row max first keeps everything finite for logits of any size.
    """
    shifted = z2 - np.maximum.reduce(z2, axis=1, keepdims=True)
    p = np.exp(shifted)
    total = row_sums(p)  # (M,), >= 1: the max term is exp(0)
    p *= np.reciprocal(total)[:, None]
    return shifted, np.log(total), p


class _ClassIndexLoss(Function):
    """Shared by cross_entropy (on logits) and nll_loss (on log-probabilities).

    Per row i with target t_i (weight w, smoothing eps, C classes, valid_i = t_i != ignore):
        loss_i = -sum_c a_ic logp_ic,  a_ic = valid_i ((1 - eps) w_t delta_ct + eps / C * w_c)
    'mean' divides by sum_i valid_i w_{t_i} (as torch, also for the smoothing part).
    """

    saves_inputs = False
    from_logits = True

    def forward(self, z, target, weight, ignore_index, reduction, smoothing):
        self.shape, self.reduction, self.smoothing = z.shape, reduction, smoothing
        self.weight = weight
        dt = z.dtype.type
        z2 = _classes_last(z)  # (M, C)
        m, c = z2.shape
        t = target.reshape(-1)
        # one reduction settles the common case: every target a class, none ignore_index
        all_classes = _check_target_range(t, c, ignore_index,
                                          "cross_entropy" if self.from_logits else "nll_loss")
        ignored = None if all_classes and not 0 <= ignore_index < c else t == ignore_index
        if ignored is not None and ignored.any():
            tt = np.where(ignored, 0, t)  # safe indices for the gather
            valid = (~ignored).astype(z.dtype)  # (M,)
        else:
            tt, valid = t, dt(1)  # the common case: every row counts
        self.rows = rows = np.arange(m)
        if self.from_logits:
            shifted, lse, self.p = _log_softmax_rows(z2)
            logp_t = shifted[rows, tt] - lse  # (M,)
        else:
            logp_t = z2[rows, tt]
        wt = valid if weight is None else weight[tt] * valid  # a_i,t_i / (1 - eps): (M,) or 1
        loss = -(logp_t * wt) if weight is not None or np.ndim(valid) else -logp_t
        if smoothing:
            # sum_c w_c logp_ic without forming logp: (shifted @ w) - lse * sum(w)
            if weight is None:
                sum_wlogp = row_sums(shifted) - dt(c) * lse
            else:
                sum_wlogp = shifted @ weight - lse * weight.sum()
            loss = dt(1 - smoothing) * loss - dt(smoothing / c) * sum_wlogp * valid
        self.tt, self.valid, self.wt = tt, valid, wt
        self.denominator = wt.sum() if np.ndim(wt) else dt(m)
        if reduction == "none":
            return loss.reshape(target.shape)
        total = loss.sum()
        if reduction == "sum":
            return np.asarray(total)
        return np.asarray(total / self.denominator if self.denominator else dt(np.nan))

    def backward(self, g):
        dt = g.dtype.type
        if self.reduction == "none":
            gs = g.reshape(-1)  # (M,)
        elif self.reduction == "mean":  # every target ignored: nan, as the loss
            gs = g / self.denominator if self.denominator else g * dt(np.nan)
        else:
            gs = g
        m = self.tt.shape[0]
        eps, w = self.smoothing, self.weight
        c = self.shape[1] if len(self.shape) > 1 else self.shape[0]
        # d loss_i / d z_ic = p_ic * sum_c' a_ic' - a_ic (logits) or -a_ic (log-probabilities);
        # coefficients are (M,) arrays or scalars when every row has the same
        coef_t = dt(1 - eps) * self.wt * gs  # a_i,t_i times the upstream scale
        if self.from_logits:
            row_sum = coef_t
            if eps:
                total_w = dt(c) if w is None else w.sum()
                row_sum = coef_t + dt(eps / c) * total_w * self.valid * gs
            grad = self.p * (row_sum[:, None] if np.ndim(row_sum) else row_sum)
        else:
            grad = np.zeros((m, c), dtype=g.dtype)
        grad[self.rows, self.tt] -= coef_t
        if eps:
            smooth = dt(eps / c) * self.valid * gs  # (M,) or a scalar
            w_row = np.ones(c, dtype=g.dtype) if w is None else w
            grad -= np.multiply.outer(smooth, w_row)
        return _classes_back(grad, self.shape)


class CrossEntropyIndex(_ClassIndexLoss):
    from_logits = True


class NLLLoss(_ClassIndexLoss):
    from_logits = False


class CrossEntropyProb(Function):
    """Probability targets: loss_i = -sum_c w_c t'_ic logp_ic, t' = (1 - eps) t + eps / C.

    'mean' divides by the number of rows M (not by the weights), as torch.
    d/dz = p * sum_c(w t') - w t';  d/dt = -(1 - eps) w logp.
    """

    saves_inputs = False

    def forward(self, z, t, weight, reduction, smoothing):
        self.shape, self.reduction, self.smoothing = z.shape, reduction, smoothing
        self.weight = weight
        z2, t2 = _classes_last(z), _classes_last(t)
        m, c = z2.shape
        shifted, lse, self.p = _log_softmax_rows(z2)
        logp = shifted
        logp -= lse[:, None]
        self.logp = logp
        dt = z.dtype.type
        wt = t2 * dt(1 - smoothing) + dt(smoothing / c) if smoothing else t2
        if weight is not None:
            wt = wt * weight
        self.wt = wt
        loss = -np.einsum("ij,ij->i", wt, logp)  # (M,)
        self.count = m
        if reduction == "none":
            return loss.reshape(t.shape[:1] + t.shape[2:] if t.ndim > 1 else ())
        total = loss.sum()
        if reduction == "sum":
            return np.asarray(total)
        return np.asarray(total / dt(m) if m else dt(np.nan))

    def backward(self, g):
        dt = g.dtype.type
        if self.reduction == "none":
            gs = g.reshape(-1, 1)
        elif self.reduction == "mean":
            gs = g / dt(self.count) if self.count else g * dt(np.nan)
        else:
            gs = g
        gz = gt = None
        if self.needs_input_grad[0]:
            gz = self.p * self.wt.sum(axis=1, keepdims=True)
            gz -= self.wt
            gz *= gs
            gz = _classes_back(gz, self.shape)
        if self.needs_input_grad[1]:
            gt = self.logp * (-dt(1 - self.smoothing) * gs)
            if self.weight is not None:
                gt *= self.weight
            gt = _classes_back(gt, self.shape)
        return gz, gt


def _class_loss_args(input, target, weight, op: str):
    """Validate a class-dim input (and its class weights); returns (C, weight array)."""
    _float_arg(input, op)
    _tensor_arg(target, op, "target")
    if input.ndim == 0:
        raise InputError(f"{op}: input must have a class dim ((C,), (N, C) or (N, C, d1, ...)), "
                         "got a 0-d tensor")
    c = input.shape[1] if input.ndim > 1 else input.shape[0]
    w = _constant_arg(weight, op, "weight")
    if w is not None:
        if w.shape != (c,):
            raise InputError(f"{op}: weight should have one value per class ({c},), got "
                             f"{w.shape}")
        w = w.astype(input.dtype, copy=False)
    return c, w


def _index_target(input, target, c: int, ignore_index: int, op: str) -> np.ndarray:
    """Check class-index targets: shape (N, d1, ...) and values in [0, C) or ignore_index."""
    if target.dtype.kind not in "iu":
        raise DtypeError(f"{op}: class-index targets must be an integer tensor, got dtype "
                         f"{target.dtype} (float targets must have the input's shape "
                         f"{tuple(input.shape)} and hold class probabilities)")
    expected = tuple(input.shape[:1] + input.shape[2:]) if input.ndim > 1 else ()
    if tuple(target.shape) != expected:
        raise InputError(f"{op}: expected target of shape {expected} for input "
                         f"{tuple(input.shape)} (classes in dim 1), got {tuple(target.shape)}")
    return target._data  # its values are checked by the op (_check_target_range)


def _all_in_range(t: np.ndarray, c: int) -> bool:
    """Whether every class index in t lies in [0, c): one max over the indices read as
    unsigned, where a negative one is huge (the check runs on every loss call)."""
    if not t.size:
        return True
    if t.dtype.kind == "i":
        return bool(np.maximum.reduce(t.view(t.dtype.str.replace("i", "u")), axis=None) < c)
    return bool(0 <= t.min() and t.max() < c)


def _check_target_range(t: np.ndarray, c: int, ignore_index: int, op: str) -> bool:
    """Class indices must be in [0, C) or ignore_index; returns whether all are classes. The
    op checks, so replays of a captured step (glassbox.capture), which skip this module's
    wrappers, check too."""
    if _all_in_range(t, c):  # the fast check, then the details
        return True
    bad = ((t < 0) | (t >= c)) & (t != ignore_index)
    if bad.any():
        value = int(t[bad].flat[0])
        raise IndexError(f"{op}: target {value} is out of range for {c} classes "
                         f"(expected 0 <= target < {c} or ignore_index={ignore_index})")
    return False


def cross_entropy(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between logits and targets: log-softmax and NLL fused into one op.

    Targets are class indices (int, shape (N, d1, ...)) or class probabilities (float, the
    input's shape). The gradient is (softmax - target) times the reduction's scale, and both
    loss and gradient stay finite for logits of any magnitude.

    Args:
        input: float logits (N, C), (C,) or (N, C, d1, ...).
        target: int64 class indices (N,), () or (N, d1, ...); or float probabilities shaped
            as input.
        weight: optional per-class weight (C,) (not differentiated). Default None.
        ignore_index: target value that contributes nothing (class-index targets). Default -100.
        reduction: 'none' | 'mean' | 'sum'. 'mean' divides by the summed weights of the
            non-ignored targets (class indices) or by N * d1 * ... (probabilities).
        label_smoothing: in [0, 1]; mixes the target with the uniform distribution. Default 0.

    Shape:
        (N, C, *), (N, *) -> () or (N, *) for 'none'.

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> round(F.cross_entropy(gb.zeros(2, 4), gb.tensor([1, 3])).item(), 4)
        1.3863
    """
    op = "cross_entropy"
    _check_reduction(reduction, op)
    if not isinstance(label_smoothing, numbers.Real) or not 0.0 <= label_smoothing <= 1.0:
        raise InputError(f"{op}: label_smoothing must be between 0.0 and 1.0, got "
                         f"{label_smoothing}")
    c, w = _class_loss_args(input, target, weight, op)
    if target.dtype.kind == "f":
        input, target = _float_pair(input, target, op)
        if ignore_index != -100:
            raise InputError(f"{op}: ignore_index is not supported for probability targets")
        _check_same_shape(input, target, op)
        w = None if w is None else w.astype(input.dtype, copy=False)
        return CrossEntropyProb.apply(input, target, weight=w, reduction=reduction,
                                      smoothing=float(label_smoothing))
    t = _index_target(input, target, c, ignore_index, op)
    return CrossEntropyIndex.apply(input, target=t, weight=w, ignore_index=ignore_index,
                                   reduction=reduction, smoothing=float(label_smoothing))


def nll_loss(input, target, weight=None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class-index targets, given log-probabilities.

    loss_i = -weight[t_i] * input[i, t_i]; 'mean' divides by the summed weights of the
    non-ignored targets (as torch).

    Args:
        input: float log-probabilities (N, C), (C,) or (N, C, d1, ...).
        target: int64 class indices (N,), () or (N, d1, ...).
        weight: optional per-class weight (C,) (not differentiated). Default None.
        ignore_index: target value that contributes nothing. Default -100.
        reduction: 'none' | 'mean' | 'sum'. Default 'mean'.

    Shape:
        (N, C, *), (N, *) -> () or (N, *) for 'none'.

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> F.nll_loss(gb.tensor([[-1.0, -2.0]]), gb.tensor([1])).item()
        2.0
    """
    op = "nll_loss"
    _check_reduction(reduction, op)
    c, w = _class_loss_args(input, target, weight, op)
    t = _index_target(input, target, c, ignore_index, op)
    return NLLLoss.apply(input, target=t, weight=w, ignore_index=ignore_index,
                         reduction=reduction, smoothing=0.0)
