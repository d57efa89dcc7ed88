"""Reductions: sum, mean, var/std, max/min, amax/amin, argmax/argmin, logsumexp, prod, cumsum,
norm, softmax/log_softmax, all/any.

Conventions (those of PyTorch 2.13):
- `dim` is None (every dimension), an int, or a tuple of ints where torch takes one; negative
  dims count from the end; `dim=()` also means every dimension (torch's legacy meaning). A 0-d
  tensor accepts dim 0 or -1 and reduces over nothing.
- A reduction's VJP broadcasts the upstream gradient back over the reduced axes;
  `_expand_back` restores those axes as size 1 so NumPy broadcasting does the rest.
- Integer and bool inputs: sum, prod and cumsum give int64; max/min/amax/amin keep the dtype;
  logsumexp gives the default float dtype; var, std and norm raise RuntimeError and softmax
  NotImplementedError, as torch does. None of them has a gradient.
- Non-smooth points follow torch: max() and amax/amin share the gradient evenly among tied
  extremes, max(dim)/min(dim) send it to the returned index only, the norm's gradient at the
  zero vector is 0, and prod's gradient is exact when the input holds zeros.
"""

from __future__ import annotations

import builtins
import math
import operator
from collections import namedtuple

import numpy as np

from glassbox import backend
from glassbox.autograd import Function
from glassbox.ops import elementwise
from glassbox.tensor import Tensor

__all__ = [
    "all",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "cumsum",
    "log_softmax",
    "logsumexp",
    "max",
    "mean",
    "min",
    "norm",
    "prod",
    "softmax",
    "std",
    "sum",
    "var",
]

# torch.return_types.max / .min: a named (values, indices) pair that unpacks like a tuple.
MaxResult = namedtuple("max", ("values", "indices"))
MinResult = namedtuple("min", ("values", "indices"))


# ---------------------------------------------------------------------------------------------
# dim handling


def _check_dim(d, ndim: int, op: str) -> int:
    """One dim (negative allowed) as an axis in [0, ndim); a 0-d tensor accepts 0 and -1."""
    try:
        d = operator.index(d)
    except TypeError:
        raise TypeError(f"{op}: dim must be an int, got {type(d).__name__}") from None
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not lo <= d <= hi:
        raise IndexError(
            f"{op}: dimension out of range (expected to be in range of [{lo}, {hi}], but got {d})"
        )
    return d % ndim if ndim else 0


def _dims(dim, ndim: int, op: str) -> tuple:
    """Normalise `dim` (None, int or sequence; negative allowed) to a sorted tuple of axes.

    None and () mean every axis. A 0-d tensor has no axes to reduce, so it gets ().
    """
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    out = [_check_dim(d, ndim, op) for d in dims]
    for i, d in enumerate(out):
        if d in out[:i]:
            raise RuntimeError(f"{op}: dim {d} appears multiple times in the list of dims {dim}")
    return tuple(sorted(out)) if ndim else ()


def _expand_back(g, shape, axes, keepdim):
    """Reinsert reduced axes (as size 1) into the upstream gradient so it broadcasts."""
    if not keepdim and shape:
        g = np.expand_dims(g, axes) if axes else g
    return g


def _squeeze(out, axes, keepdim):
    """A keepdims result without its reduced axes (unless keepdim)."""
    return out if keepdim or not axes else np.squeeze(out, axis=axes)


def _count(shape, axes) -> int:
    """Number of elements each reduction over `axes` combines (a Python int)."""
    return math.prod(shape[a] for a in axes)


def _require_nonempty(x, axes, dim, op: str, index_error: bool = False) -> None:
    """max/amax/argmax have no identity: refuse empty reductions with torch's error class."""
    if x._data.size == 0:
        if dim is None or dim == ():
            cls = IndexError if index_error else RuntimeError
            raise cls(
                f"{op}(): Expected reduction dim to be specified for input.numel() == 0 "
                f"(input shape {tuple(x.shape)}). Specify the reduction dim with the 'dim' "
                "argument."
            )
        for a in axes:
            if x.shape[a] == 0:
                raise IndexError(
                    f"{op}(): Expected reduction dim {a} to have non-zero size "
                    f"(input shape {tuple(x.shape)})."
                )


def _require_float(x, op: str) -> None:
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"{op}: expected a floating point tensor, got dtype {x.dtype}; convert with .float()"
        )


# ---------------------------------------------------------------------------------------------
# sum, mean


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
    """Sum over `dim` (all dimensions when None). Bool and int tensors sum to int64.

    Args:
        x: the tensor.
        dim: int, tuple of ints, or None (default: all dimensions).
        keepdim: keep the reduced dimensions as size 1 (default False).
        dtype: the result's dtype (default: x's, int64 for bool/int).

    Example:
        >>> import glassbox as gb
        >>> gb.tensor([[True, False], [True, True]]).sum(1)
        tensor([1, 2])
    """
    axes = _dims(dim, x.ndim, "sum")
    if x.dtype.kind != "f":
        out = np.sum(x._data, axis=axes, keepdims=keepdim, dtype=dtype or backend.int64)
        return Tensor._wrap(out)
    return Sum.apply(x, axes=axes, keepdim=keepdim, dtype=dtype)


def mean(x, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Mean over `dim` (all dimensions when None). Only float tensors, as in torch.

    Args:
        x: a float tensor (an int tensor needs dtype=).
        dim: int, tuple of ints, or None (default: all dimensions).
        keepdim: keep the reduced dimensions as size 1 (default False).
        dtype: cast the input to this dtype first.

    Example:
        >>> import glassbox as gb
        >>> gb.tensor([[1.0, 2.0], [3.0, 5.0]]).mean(0)
        tensor([2. , 3.5])
    """
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"mean: input dtype should be floating point, got {x.dtype}; use x.float().mean()"
        )
    return Mean.apply(x, axes=_dims(dim, x.ndim, "mean"), keepdim=keepdim)


# ---------------------------------------------------------------------------------------------
# var, std


class Var(Function):
    """sum((x - mean)^2) / max(0, N - correction) over `axes`."""

    saves_inputs = False

    def forward(self, x, axes, correction, keepdim):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        n = _count(x.shape, axes)
        self.dof = x.dtype.type(builtins.max(0, n - correction))
        with np.errstate(invalid="ignore", divide="ignore"):
            # sum / n rather than np.mean: an empty slice gives nan without a warning
            self.centered = x - np.sum(x, axis=axes, keepdims=True) / x.dtype.type(n)
            ss = np.sum(self.centered * self.centered, axis=axes, keepdims=keepdim)
            return ss / self.dof

    def backward(self, g):
        # d/dx_i sum_j (x_j - mean)^2 = 2 (x_i - mean): the mean's own derivative sums to zero
        g = _expand_back(g, self.shape, self.axes, self.keepdim)
        with np.errstate(invalid="ignore", divide="ignore"):
            return g * (2 / self.dof) * self.centered


class Std(Var):
    """sqrt(var); its gradient is var's scaled by 1 / (2 std), and 0 where std is 0 (torch)."""

    saves_output = True

    def forward(self, x, axes, correction, keepdim):
        self.out = np.sqrt(super().forward(x, axes, correction, keepdim))
        return self.out

    def backward(self, g):
        with np.errstate(invalid="ignore", divide="ignore"):
            g = np.where(self.out == 0, 0, g / (2 * self.out))
        return super().backward(g)


def _correction(correction, unbiased, op: str):
    if unbiased is None:
        return 1 if correction is None else correction
    if correction not in (None, 1):  # Tensor.var passes correction=1 by default
        raise TypeError(f"{op}: give either unbiased= or correction=, not both")
    return 1 if unbiased else 0


def _var_std(cls, op, x, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # legacy var(x, unbiased)
        dim, unbiased = None, dim
    c = _correction(correction, unbiased, op)
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: std and var only support floating point dtypes, got {x.dtype}")
    return cls.apply(x, axes=_dims(dim, x.ndim, op), correction=c, keepdim=keepdim)


def var(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Variance over `dim`, dividing by N - correction (Bessel's correction by default).

    Args:
        x: a float tensor.
        dim: int, tuple of ints, or None (default: all dimensions).
        unbiased: legacy form of correction (True -> 1, False -> 0); `var(x, True)` works too.
        keepdim: keep the reduced dimensions as size 1 (default False).
        correction: subtracted from the element count N (default 1); N - correction <= 0
            gives inf or nan, as in torch.

    Example:
        >>> import glassbox as gb
        >>> gb.tensor([1.0, 2.0, 3.0, 4.0]).var()
        tensor(1.6667)
    """
    return _var_std(Var, "var", x, dim, unbiased, keepdim, correction)


def std(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Standard deviation over `dim`: sqrt(var(x, dim, correction=...)).

    Args:
        x, dim, unbiased, keepdim, correction: as in `var`. The gradient is 0 where std is 0.

    Example:
        >>> import glassbox as gb
        >>> gb.tensor([[1.0, 3.0], [2.0, 2.0]]).std(dim=1, correction=0)
        tensor([1., 0.])
    """
    return _var_std(Std, "std", x, dim, unbiased, keepdim, correction)


# ---------------------------------------------------------------------------------------------
# max, min, amax, amin, argmax, argmin


class Extremum(Function):
    """amax/amin over `axes` (max()/min() with no dim): ties share the gradient evenly."""

    saves_output = True

    def forward(self, x, axes, keepdim, largest):
        self.x, self.axes, self.keepdim = x, axes, keepdim
        self.out = (np.max if largest else np.min)(x, axis=axes, keepdims=True)
        return _squeeze(self.out, axes, keepdim)

    def backward(self, g):
        x, out = self.x, self.out
        g = _expand_back(g, x.shape, self.axes, self.keepdim)
        # NaN is the extreme when present (it propagates), so NaN entries count as ties
        mask = (x == out) | (np.isnan(x) & np.isnan(out))
        count = np.sum(mask, axis=self.axes, keepdims=True)
        return (g / count.astype(g.dtype)) * mask


class ExtremumDim(Function):
    """max/min along one dim at precomputed `index` (keepdims shape): gradient to that index."""

    saves_inputs = False

    def forward(self, x, axis, keepdim, index):
        self.shape, self.axis, self.keepdim, self.index = x.shape, axis, keepdim, index
        x1 = x.reshape(x.shape or (1,))  # a 0-d tensor reduces like a 1-element vector
        out = np.take_along_axis(x1, index, axis)
        return out.reshape(()) if not x.ndim else _squeeze(out, (axis,), keepdim)

    def backward(self, g):
        if not self.keepdim and self.shape:
            g = np.expand_dims(g, self.axis)
        gx = np.zeros(self.shape or (1,), dtype=g.dtype)
        np.put_along_axis(gx, self.index, g.reshape(self.index.shape), self.axis)
        return gx.reshape(self.shape)


def _extremum_dim(x, dim, keepdim, largest, op):
    axis = _check_dim(dim, x.ndim, op)
    _require_nonempty(x, (axis,) if x.ndim else (), dim, op, index_error=True)
    a = x._data.reshape(x.shape or (1,))
    index = (np.argmax if largest else np.argmin)(a, axis=axis, keepdims=True)
    values = ExtremumDim.apply(x, axis=axis, keepdim=keepdim, index=index)
    indices = index.reshape(()) if not x.ndim else _squeeze(index, (axis,), keepdim)
    result = MaxResult if largest else MinResult
    return result(values, Tensor._wrap(indices.astype(np.int64, copy=False)))


def max(x, dim=None, keepdim: bool = False):
    """The largest value (a 0-d tensor), or (values, indices) along `dim`.

    Forms, as torch.max: `max(x)` -> 0-d tensor, the gradient split evenly among tied maxima;
    `max(x, dim, keepdim=False)` -> a named pair (values, indices), the gradient going to the
    returned index (the first maximum; NaN counts as the maximum); `max(x, other_tensor)` ->
    elementwise `maximum`.

    Args:
        x: a tensor (any dtype; the values keep it).
        dim: int or None.
        keepdim: keep the reduced dimension as size 1 (with dim only).

    Example:
        >>> import glassbox as gb
        >>> x = gb.tensor([[1.0, 5.0], [7.0, 2.0]])
        >>> x.max()
        tensor(7.)
        >>> x.max(dim=1).indices
        tensor([1, 0])
    """
    if isinstance(dim, Tensor):
        return elementwise.maximum(x, dim)
    if dim is None:
        _require_nonempty(x, (), None, "max")
        return Extremum.apply(x, axes=tuple(range(x.ndim)), keepdim=False, largest=True)
    return _extremum_dim(x, dim, keepdim, True, "max")


def min(x, dim=None, keepdim: bool = False):
    """The smallest value, or (values, indices) along `dim`; the mirror image of `max`.

    Args:
        x: a tensor (any dtype; the values keep it).
        dim: int or None; a Tensor here means elementwise `minimum`.
        keepdim: keep the reduced dimension as size 1 (with dim only).

    Example:
        >>> import glassbox as gb
        >>> gb.tensor([[1.0, 5.0], [7.0, 2.0]]).min(0).values
        tensor([1., 2.])
    """
    if isinstance(dim, Tensor):
        return elementwise.minimum(x, dim)
    if dim is None:
        _require_nonempty(x, (), None, "min")
        return Extremum.apply(x, axes=tuple(range(x.ndim)), keepdim=False, largest=False)
    return _extremum_dim(x, dim, keepdim, False, "min")


def _amax_amin(x, dim, keepdim, largest, op):
    axes = _dims(dim, x.ndim, op)
    _require_nonempty(x, axes, dim, op)
    return Extremum.apply(x, axes=axes, keepdim=keepdim, largest=largest)


def amax(x, dim=(), keepdim: bool = False) -> Tensor:
    """Maximum over `dim` (an int or a tuple; () = all), ties sharing the gradient evenly.

    Args:
        x: a tensor (any dtype; the result keeps it).
        dim: int or tuple of ints (default (): all dimensions).
        keepdim: keep the reduced dimensions as size 1 (default False).

    Example:
        >>> import glassbox as gb
        >>> gb.tensor([[1.0, 5.0], [7.0, 2.0]]).amax(dim=(0, 1))
        tensor(7.)
    """
    return _amax_amin(x, dim, keepdim, True, "amax")


def amin(x, dim=(), keepdim: bool = False) -> Tensor:
    """Minimum over `dim` (an int or a tuple; () = all), ties sharing the gradient evenly.

    Args:
        x, dim, keepdim: as in `amax`.

    Example:
        >>> import glassbox as gb
        >>> gb.tensor([[1.0, 5.0], [7.0, 2.0]]).amin(1)
        tensor([1., 2.])
    """
    return _amax_amin(x, dim, keepdim, False, "amin")


def _arg_extremum(x, dim, keepdim, fn, op) -> Tensor:
    if x.dtype == np.bool_:
        raise RuntimeError(f"{op}(): does not support bool input")
    a = x._data
    if dim is None:  # index into the flattened tensor
        _require_nonempty(x, (), None, op, index_error=True)
        return Tensor._wrap(
            np.asarray(fn(a), dtype=np.int64).reshape((1,) * a.ndim if keepdim else ())
        )
    axis = _check_dim(dim, a.ndim, op)
    if a.ndim == 0:
        return Tensor._wrap(np.zeros((), dtype=np.int64))
    _require_nonempty(x, (axis,), dim, op, index_error=True)
    return Tensor._wrap(fn(a, axis=axis, keepdims=keepdim).astype(np.int64, copy=False))


def argmax(x, dim=None, keepdim: bool = False) -> Tensor:
    """Index (int64) of the first maximum along `dim`; of the flattened tensor when dim is None.

    Args:
        x: an int or float tensor (bool is refused, as in torch).
        dim: int or None (default: flatten first).
        keepdim: keep the reduced dimension(s) as size 1 (default False).

    Example:
        >>> import glassbox as gb
        >>> gb.tensor([[1.0, 5.0], [7.0, 2.0]]).argmax()
        tensor(2)
    """
    return _arg_extremum(x, dim, keepdim, np.argmax, "argmax")


def argmin(x, dim=None, keepdim: bool = False) -> Tensor:
    """Index (int64) of the first minimum along `dim`; of the flattened tensor when dim is None.

    Args:
        x, dim, keepdim: as in `argmax`.

    Example:
        >>> import glassbox as gb
        >>> gb.tensor([[1.0, 5.0], [7.0, 2.0]]).argmin(1)
        tensor([0, 1])
    """
    return _arg_extremum(x, dim, keepdim, np.argmin, "argmin")


# ---------------------------------------------------------------------------------------------
# logsumexp, prod, cumsum


class LogSumExp(Function):
    saves_output = True

    def forward(self, x, axes, keepdim):
        self.x, self.axes, self.keepdim = x, axes, keepdim
        # Shift by the max so exp cannot overflow (inputs like 1e4); an infinite max would
        # give inf - inf = nan, so shift by 0 there (initial=-inf covers empty slices).
        m = np.max(x, axis=axes, keepdims=True, initial=-np.inf)
        m = np.where(np.isfinite(m), m, 0).astype(x.dtype, copy=False)
        with np.errstate(divide="ignore"):  # log(0) = -inf for empty / all -inf slices
            self.out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
        return _squeeze(self.out, axes, keepdim)

    def backward(self, g):
        # d logsumexp / dx_i = exp(x_i - logsumexp) = softmax(x)_i
        g = _expand_back(g, self.x.shape, self.axes, self.keepdim)
        with np.errstate(invalid="ignore"):
            return g * np.exp(self.x - self.out)


def logsumexp(x, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) over `dim` (int or tuple), computed without overflow.

    Int and bool inputs give the default float dtype; an empty reduction gives -inf.

    Args:
        x: the tensor.
        dim: int or tuple of ints (required).
        keepdim: keep the reduced dimensions as size 1 (default False).

    Example:
        >>> import glassbox as gb
        >>> round(gb.tensor([1e4, 1e4]).logsumexp(0).item(), 2)  # 1e4 + log(2)
        10000.69
    """
    if x.dtype.kind != "f":
        x = Tensor._wrap(x._data.astype(backend.get_default_dtype()))
    return LogSumExp.apply(x, axes=_dims(dim, x.ndim, "logsumexp"), keepdim=keepdim)


class Prod(Function):
    saves_output = True

    def forward(self, x, axes, keepdim):
        self.x, self.axes, self.keepdim = x, axes, keepdim
        self.out = np.prod(x, axis=axes, keepdims=True)
        return _squeeze(self.out, axes, keepdim)

    def backward(self, g):
        x, axes = self.x, self.axes
        g = _expand_back(g, x.shape, axes, self.keepdim)
        is_zero = x == 0
        if not is_zero.any():  # d prod / d x_i = prod / x_i
            return g * (self.out / x)
        # prod / x_i would divide by zero. Per slice: no zero -> prod / x_i; one zero -> that
        # entry gets the product of the others and every other entry 0; two or more -> all 0.
        n_zeros = np.sum(is_zero, axis=axes, keepdims=True)
        safe_x = np.where(is_zero, 1, x)
        nonzero_prod = np.prod(safe_x, axis=axes, keepdims=True)
        grad = np.where(n_zeros == 0, nonzero_prod / safe_x, 0)
        grad = np.where(is_zero & (n_zeros == 1), nonzero_prod, grad)
        return g * grad


def prod(x, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product over one `dim` (an int), or of all elements. Bool and int tensors give int64.

    The gradient is exact where the input holds zeros (it does not divide by them).

    Args:
        x: the tensor.
        dim: int or None (default: all elements); torch.prod takes no tuple.
        keepdim: keep the reduced dimension as size 1 (default False).
        dtype: cast the input to this dtype first.

    Example:
        >>> import glassbox as gb
        >>> gb.tensor([[1.0, 2.0], [3.0, 4.0]]).prod(1)
        tensor([ 2., 12.])
    """
    if dtype is not None:
        x = x.to(dtype)
    if dim is not None and isinstance(dim, (tuple, list)):
        raise TypeError(f"prod: dim must be an int or None, got {type(dim).__name__} {dim}")
    axes = _dims(dim, x.ndim, "prod")
    if x.dtype.kind != "f":
        return Tensor._wrap(np.prod(x._data, axis=axes, keepdims=keepdim, dtype=np.int64))
    return Prod.apply(x, axes=axes, keepdim=keepdim)


class Cumsum(Function):
    saves_inputs = False

    def forward(self, x, axis):
        self.axis = axis
        return np.cumsum(x.reshape(x.shape or (1,)), axis=axis).reshape(x.shape)

    def backward(self, g):
        # x_i feeds every out_j with j >= i: the gradient is g's reverse cumulative sum
        g1 = g.reshape(g.shape or (1,))
        rev = np.flip(np.cumsum(np.flip(g1, self.axis), axis=self.axis), self.axis)
        return rev.reshape(g.shape)


def cumsum(x, dim, *, dtype=None) -> Tensor:
    """Cumulative sum along `dim`. Bool and int tensors give int64.

    Args:
        x: the tensor.
        dim: the dimension to accumulate along (required).
        dtype: cast the input to this dtype first.

    Example:
        >>> import glassbox as gb
        >>> gb.tensor([1.0, 2.0, 3.0]).cumsum(0)
        tensor([1., 3., 6.])
    """
    if dtype is not None:
        x = x.to(dtype)
    axis = _check_dim(dim, x.ndim, "cumsum")
    if x.dtype.kind != "f":
        a = x._data.reshape(x.shape or (1,))
        return Tensor._wrap(np.cumsum(a, axis=axis, dtype=np.int64).reshape(x.shape))
    return Cumsum.apply(x, axis=axis)


# ---------------------------------------------------------------------------------------------
# norm


class Norm(Function):
    """Vector p-norm over `axes`: (sum |x|^p)^(1/p); p = inf/-inf: max/min |x|; p = 0: count."""

    saves_output = True

    def forward(self, x, p, axes, keepdim):
        self.x, self.p, self.axes, self.keepdim = x, p, axes, keepdim
        ax = np.abs(x)
        with np.errstate(divide="ignore", over="ignore"):
            if p == 2:
                n = np.sqrt(np.sum(x * x, axis=axes, keepdims=True))
            elif p == 1:
                n = np.sum(ax, axis=axes, keepdims=True)
            elif p == math.inf:
                n = np.max(ax, axis=axes, keepdims=True)
            elif p == -math.inf:
                n = np.min(ax, axis=axes, keepdims=True)
            elif p == 0:
                n = np.sum(x != 0, axis=axes, keepdims=True, dtype=x.dtype)
            else:  # negative p: a zero entry makes |x|^p inf and the norm 0, as in torch
                n = np.sum(ax**p, axis=axes, keepdims=True) ** (1 / p)
        self.out = n
        return _squeeze(n, axes, keepdim)

    def backward(self, g):
        # The formulas, and their values at zero entries / a zero norm, are torch's.
        x, p, n = self.x, self.p, self.out
        g = _expand_back(g, x.shape, self.axes, self.keepdim)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if p == 0:
                return np.zeros_like(x)
            if p == 1:
                return g * np.sign(x)
            if p == 2:  # x / ||x||, and 0 at the zero vector
                return g * np.where(n == 0, 0, x / n)
            if math.isinf(p):  # like amax(|x|): ties (and NaNs) share the gradient
                ax = np.abs(x)
                mask = (ax == n) | np.isnan(ax)
                count = np.sum(mask, axis=self.axes, keepdims=True).astype(g.dtype)
                return np.sign(x) * (g / count) * mask
            # d n / d x_i = sign(x_i) |x_i|^(p-1) / n^(p-1)
            if p < 1:
                scaled = np.where(x == 0, 0, np.sign(x) * np.abs(x) ** (p - 1))
                return scaled * g * n ** (1 - p)
            if p < 2:
                scaled = np.sign(x) * np.abs(x) ** (p - 1)
            else:
                scaled = x * np.abs(x) ** (p - 2)
            return scaled * np.where(n == 0, 0, g / n ** (p - 1))


def norm(x, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Vector p-norm over `dim` (all dimensions when None), as torch.norm.

    Args:
        x: a float tensor.
        p: 'fro' or 2 (Euclidean), 1, inf, -inf, 0 (count of non-zeros) or any other number.
            'fro' takes at most two dims. ('nuc', the nuclear norm, is not implemented.)
        dim: int, tuple of ints or None.
        keepdim: keep the reduced dimensions as size 1 (default False).
        dtype: cast the input to this dtype first.

    The gradient at the zero vector is 0 (torch's choice; the norm is not differentiable there).

    Example:
        >>> import glassbox as gb
        >>> gb.tensor([[3.0, 4.0], [0.0, 0.0]]).norm(dim=1)
        tensor([5., 0.])
    """
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind != "f":
        raise RuntimeError(f"norm: expected a floating point tensor as input, got dtype {x.dtype}")
    if p is None:
        p = "fro"
    if isinstance(p, str):
        if p == "nuc":
            raise NotImplementedError("norm: the nuclear norm (p='nuc') is not implemented")
        if p != "fro":
            raise ValueError(f"norm: p must be a number, 'fro' or 'nuc', got {p!r}")
        if isinstance(dim, (tuple, list)) and len(dim) > 2:
            raise RuntimeError(f"norm: p='fro' takes at most 2 dims, got dim={tuple(dim)}")
        p = 2.0
    p = float(p)
    axes = _dims(dim, x.ndim, "norm")
    if math.isinf(p) and builtins.any(x.shape[a] == 0 for a in axes):
        raise RuntimeError(
            f"norm: cannot compute the {p} norm over an empty dimension (input shape "
            f"{tuple(x.shape)}, dim={dim}): the max/min of no values is undefined"
        )
    return Norm.apply(x, p=p, axes=axes, keepdim=keepdim)


# ---------------------------------------------------------------------------------------------
# softmax, log_softmax


class Softmax(Function):
    saves_inputs, saves_output = False, True

    def forward(self, x, axis):
        self.axis = axis
        # Subtracting the max keeps exp <= 1, so logits like 1e4 cannot overflow.
        with np.errstate(invalid="ignore"):  # an all -inf slice gives nan, as in torch
            e = np.exp(x - np.max(x, axis=axis, keepdims=True))
        e /= np.sum(e, axis=axis, keepdims=True)
        self.out = e
        return e

    def backward(self, g):
        # J^T g for y = softmax(x), J = diag(y) - y y^T:  y * (g - <g, y>)
        y = self.out
        return y * (g - np.sum(g * y, axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    saves_inputs, saves_output = False, True

    def forward(self, x, axis):
        self.axis = axis
        with np.errstate(invalid="ignore", divide="ignore"):
            shifted = x - np.max(x, axis=axis, keepdims=True)
            self.out = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        return self.out

    def backward(self, g):
        # d log_softmax_j / d x_i = [i = j] - softmax_i: g - softmax * sum(g)
        return g - np.exp(self.out) * np.sum(g, axis=self.axis, keepdims=True)


def _softmax(cls, op, x, dim, dtype):
    if dim is None:
        raise TypeError(f"{op}: dim must be given (the dimension that sums to 1)")
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f"{op}: not implemented for dtype {x.dtype}; pass dtype=glassbox.float32 or call "
            ".float() first"
        )
    axis = _check_dim(dim, x.ndim, op)
    if x._data.size == 0:  # nothing to normalise; np.max would refuse the empty axis
        return elementwise.clone(x)
    return cls.apply(x, axis=axis if x.ndim else ())


def softmax(x, dim, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim`, stable for large logits (the max is subtracted first).

    Args:
        x: a float tensor (int tensors need dtype=).
        dim: the dimension along which the result sums to 1 (required).
        dtype: cast the input to this dtype first.

    Example:
        >>> import glassbox as gb
        >>> gb.tensor([1e4, 1e4, -1e4]).softmax(0)
        tensor([0.5, 0.5, 0. ])
    """
    return _softmax(Softmax, "softmax", x, dim, dtype)


def log_softmax(x, dim, dtype=None) -> Tensor:
    """log(softmax(x)) along `dim`, computed as x - logsumexp(x) (finite for logits of 1e4).

    Args:
        x, dim, dtype: as in `softmax`.

    Example:
        >>> import glassbox as gb
        >>> gb.tensor([0.0, 0.0]).log_softmax(0)
        tensor([-0.6931, -0.6931])
    """
    return _softmax(LogSoftmax, "log_softmax", x, dim, dtype)


# ---------------------------------------------------------------------------------------------
# all, any (no gradient)


def _logical(fn, x, dim, keepdim, op):
    out = np.asarray(fn(x._data, axis=_dims(dim, x.ndim, op), keepdims=keepdim))
    if x.dtype == np.uint8:  # torch keeps uint8 for all/any of uint8
        out = out.astype(np.uint8)
    return Tensor._wrap(out)


def all(x, dim=None, keepdim: bool = False) -> Tensor:
    """True where every element over `dim` (int, tuple or None = all) is non-zero; bool result.

    Args:
        x: a tensor of any dtype (uint8 gives a uint8 result, as in torch).
        dim: int, tuple of ints, or None (default: all dimensions).
        keepdim: keep the reduced dimensions as size 1 (default False).

    Example:
        >>> import glassbox as gb
        >>> gb.tensor([[1, 0], [2, 3]]).all(dim=1)
        tensor([False,  True])
    """
    return _logical(np.all, x, dim, keepdim, "all")


def any(x, dim=None, keepdim: bool = False) -> Tensor:
    """True where some element over `dim` (int, tuple or None = all) is non-zero; bool result.

    Args:
        x, dim, keepdim: as in `all`.

    Example:
        >>> import glassbox as gb
        >>> gb.tensor([[1, 0], [0, 0]]).any(dim=1)
        tensor([ True, False])
    """
    return _logical(np.any, x, dim, keepdim, "any")
