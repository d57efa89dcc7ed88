"""Elementwise ops: arithmetic, unary math, activations, comparisons, selection.

Each differentiable op is a Function whose `forward` (raw ndarrays in, ndarray out) sits just
above its `backward` (the vector-Jacobian product). Binary ops broadcast like NumPy; the engine
sums broadcast gradients back to each input's shape, so no VJP here reduces by hand.

Type promotion follows PyTorch: a Python float with a float32 tensor stays float32, an int
tensor with a Python float becomes the default float dtype, and a dimensioned tensor decides
the dtype over a 0-d tensor of the same category (float32 (3,) + float64 () -> float32).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from glassbox import backend
from glassbox.autograd import Function
from glassbox.tensor import Tensor

# Public names, re-exported as glassbox.<name>.
__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
    "floor_divide", "remainder", "pow", "neg", "negative", "exp", "log", "log1p", "expm1",
    "sqrt", "rsqrt", "reciprocal", "square", "abs", "sign", "floor", "ceil", "round", "trunc",
    "sin", "cos", "clamp", "clip", "clone", "to_dtype", "tanh", "sigmoid", "relu",
    "leaky_relu", "elu", "gelu", "silu", "softplus", "maximum", "minimum", "where",
    "masked_fill", "eq", "ne", "lt", "le", "gt", "ge", "less", "less_equal", "greater",
    "greater_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "isnan",
    "isinf", "isfinite", "allclose", "equal", "result_dtype",
]

# ---------------------------------------------------------------------------------------------
# Operand handling: Python scalars, arrays and mixed dtypes -> Tensors of one result dtype

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def _category(dtype) -> int:
    return _CATEGORY.get(dtype.kind, 2)


def result_dtype(*operands) -> np.dtype:
    """The dtype PyTorch gives an op on these operands (Tensors and Python scalars)."""
    best_cat = -1
    for op in operands:
        dt = op.dtype if isinstance(op, Tensor) else _python_scalar_dtype(op)
        best_cat = max(best_cat, _category(dt))
    # Among operands of the highest category, dimensioned tensors outrank 0-d tensors, which
    # outrank Python scalars; the result holds every operand of the winning rank.
    for rank in (2, 1):
        dts = [
            op.dtype
            for op in operands
            if isinstance(op, Tensor)
            and _category(op.dtype) == best_cat
            and (op.ndim > 0) == (rank == 2)
        ]
        if dts:
            return np.result_type(*dts)
    return {0: backend.bool_, 1: backend.int64, 2: backend.get_default_dtype()}[best_cat]


def _python_scalar_dtype(value) -> np.dtype:
    if isinstance(value, (bool, np.bool_)):
        return backend.bool_
    if isinstance(value, numbers.Integral):
        return backend.int64
    if isinstance(value, numbers.Real):
        return backend.float64  # category only: a Python float never decides the width
    raise TypeError(f"unsupported operand type {type(value).__name__}")


def as_operand(value, dtype) -> Tensor:
    """`value` as a Tensor of `dtype`: a cast (differentiable between floats) or a new constant."""
    if isinstance(value, Tensor):
        if value.dtype == dtype:
            return value
        return to_dtype(value, dtype)
    return Tensor._wrap(np.asarray(value, dtype=dtype))


def _operands(a, b, op: str):
    """Both operands as Tensors of the promoted dtype. Lists/arrays become tensors first."""
    if type(a) is Tensor:
        if type(b) is Tensor and a._data.dtype == b._data.dtype:
            return a, b  # the common case: nothing to decide
        if _scalar_keeps_dtype(b, a._data.dtype):  # tensor op Python number
            return a, Tensor._wrap(np.asarray(b, a._data.dtype))
    elif type(b) is Tensor and _scalar_keeps_dtype(a, b._data.dtype):
        return Tensor._wrap(np.asarray(a, b._data.dtype)), b
    if not isinstance(a, (Tensor, numbers.Number)):
        a = _to_tensor(a, op)
    if not isinstance(b, (Tensor, numbers.Number)):
        b = _to_tensor(b, op)
    dtype = result_dtype(a, b)
    return as_operand(a, dtype), as_operand(b, dtype)


def _scalar_keeps_dtype(value, dtype) -> bool:
    """A Python float/int with a float tensor, or an int with an int tensor: dtype unchanged."""
    kind = dtype.kind
    t = type(value)
    return (kind == "f" and (t is float or t is int)) or (kind in "iu" and t is int)


def _to_tensor(value, op: str) -> Tensor:
    from glassbox.tensor import tensor

    try:
        return tensor(value)
    except TypeError:
        raise TypeError(f"{op}: unsupported operand of type {type(value).__name__}") from None


def _binary(cls, a, b, op: str, **options) -> Tensor:
    a, b = _operands(a, b, op)
    try:
        return cls.apply(a, b, **options)
    except ValueError as e:
        if a.ndim and b.ndim and "broadcast" in str(e):
            raise ValueError(
                f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast "
                "together (sizes must match or be 1, aligned from the right)"
            ) from None
        raise


def _float_input(x, op: str) -> Tensor:
    """Math like exp/log on an int tensor gives the default float dtype, as in torch."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    if x._data.dtype.kind != "f":
        return Tensor._wrap(x._data.astype(backend.get_default_dtype()))
    return x


# ---------------------------------------------------------------------------------------------
# Arithmetic


class Add(Function):
    saves_inputs = False

    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class Sub(Function):
    saves_inputs = False

    def forward(self, a, b):
        return a - b

    def backward(self, g):
        return g, (-g if self.needs_input_grad[1] else None)


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        ga = g * self.b if self.needs_input_grad[0] else None
        gb = g * self.a if self.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    def forward(self, a, b):
        self.b = b
        out = a / b
        self.out = out
        return out

    def backward(self, g):
        ga = g / self.b
        # d(a/b)/db = -a/b^2 = -(a/b)/b
        gb = -ga * self.out if self.needs_input_grad[1] else None
        return ga, gb


class _ZeroGrad(Function):
    """Base for piecewise-constant ops (floor, sign, ...): gradient zero, as in torch."""

    saves_inputs = False

    def backward(self, g):
        zero = np.zeros_like(g)
        return (zero,) * len(self.needs_input_grad)


class FloorDivide(_ZeroGrad):
    def forward(self, a, b):
        return np.floor_divide(a, b)


class TruncDivide(_ZeroGrad):
    def forward(self, a, b):
        return np.trunc(a / b) if a.dtype.kind == "f" else _int_trunc_div(a, b)


def _int_trunc_div(a, b):
    q = np.floor_divide(a, b)
    # floor and trunc differ when the signs differ and the division is inexact
    return q + ((np.remainder(a, b) != 0) & ((a < 0) != (b < 0)))


class Remainder(Function):
    """a - floor(a / b) * b, with the sign of the divisor (Python's %, torch.remainder)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.remainder(a, b)

    def backward(self, g):
        gb = -g * np.floor(self.a / self.b) if self.needs_input_grad[1] else None
        return g, gb


class Pow(Function):
    """a ** b with both tensors. Gradients follow torch at a == 0."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = np.power(a, b)
        return self.out

    def backward(self, g):
        a, b = self.a, self.b
        ga = gb = None
        if self.needs_input_grad[0]:
            with np.errstate(divide="ignore", invalid="ignore"):
                ga = g * b * np.power(a, b - 1)
            ga = np.where(b == 0, 0, ga)
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = g * self.out * np.log(a)
            gb = np.where((a == 0) & (b >= 0), 0, gb)
        return ga, gb


class PowScalar(Function):
    """x ** p for a Python number p (the common case: squares, roots, inverses)."""

    def forward(self, x, exponent):
        self.x, self.p = x, exponent
        if exponent == 2:
            return x * x
        return np.power(x, x.dtype.type(exponent))

    def backward(self, g):
        p, x = self.p, self.x
        if p == 0:
            return np.zeros_like(g)
        if p == 2:
            return g * (2 * x)
        return g * (p * np.power(x, x.dtype.type(p - 1)))


def add(a, b, alpha=1) -> Tensor:
    """a + alpha * b, broadcasting."""
    if alpha != 1:
        b = mul(b, alpha)
    return _binary(Add, a, b, "add")


def sub(a, b, alpha=1) -> Tensor:
    """a - alpha * b, broadcasting."""
    if alpha != 1:
        b = mul(b, alpha)
    return _binary(Sub, a, b, "sub")


def mul(a, b) -> Tensor:
    return _binary(Mul, a, b, "mul")


def div(a, b, rounding_mode=None) -> Tensor:
    """a / b; rounding_mode None (true division), 'trunc' or 'floor' as in torch."""
    if rounding_mode is None:
        a, b = _operands(a, b, "div")
        if a.dtype.kind != "f":  # true division of ints gives floats, as in torch
            dtype = backend.get_default_dtype()
            a, b = as_operand(a, dtype), as_operand(b, dtype)
        return _binary(Div, a, b, "div")
    if rounding_mode == "floor":
        return _binary(FloorDivide, a, b, "div")
    if rounding_mode == "trunc":
        return _binary(TruncDivide, a, b, "div")
    raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")


true_divide = divide = div
multiply = mul
subtract = sub


def floor_divide(a, b) -> Tensor:
    return _binary(FloorDivide, a, b, "floor_divide")


def remainder(a, b) -> Tensor:
    return _binary(Remainder, a, b, "remainder")


def pow(x, exponent) -> Tensor:
    """x ** exponent; either may be a Python number."""
    if isinstance(x, Tensor) and isinstance(exponent, numbers.Real) and x.dtype.kind == "f":
        return PowScalar.apply(x, exponent=exponent)
    if isinstance(x, Tensor) and isinstance(exponent, numbers.Integral) and x.dtype.kind in "iu":
        if exponent < 0:
            raise ValueError("pow: integers to negative integer powers are not allowed")
        return Tensor._wrap(np.power(x._data, exponent))
    return _binary(Pow, x, exponent, "pow")


# ---------------------------------------------------------------------------------------------
# Unary math


class Neg(Function):
    saves_inputs = False

    def forward(self, x):
        return -x

    def backward(self, g):
        return -g


class Exp(Function):
    saves_inputs, saves_output = False, True

    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, g):
        return g * self.out


class Log(Function):
    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, g):
        return g / self.x


class Log1p(Function):
    def forward(self, x):
        self.x = x
        return np.log1p(x)

    def backward(self, g):
        return g / (1 + self.x)


class Expm1(Function):
    saves_inputs, saves_output = False, True

    def forward(self, x):
        self.out = np.expm1(x)
        return self.out

    def backward(self, g):
        return g * (self.out + 1)


class Sqrt(Function):
    saves_inputs, saves_output = False, True

    def forward(self, x):
        self.out = np.sqrt(x)
        return self.out

    def backward(self, g):
        return g / (2 * self.out)


class Rsqrt(Function):
    saves_inputs, saves_output = False, True

    def forward(self, x):
        self.out = 1 / np.sqrt(x)
        return self.out

    def backward(self, g):
        # d x^(-1/2) = -1/2 x^(-3/2)
        return g * (-0.5 * self.out**3)


class Reciprocal(Function):
    saves_inputs, saves_output = False, True

    def forward(self, x):
        self.out = 1 / x
        return self.out

    def backward(self, g):
        return -g * self.out * self.out


class Abs(Function):
    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, g):
        return g * np.sign(self.x)  # abs'(0) = 0, as in torch


class Sign(_ZeroGrad):
    def forward(self, x):
        return np.sign(x)


class Floor(_ZeroGrad):
    def forward(self, x):
        return np.floor(x)


class Ceil(_ZeroGrad):
    def forward(self, x):
        return np.ceil(x)


class Round(_ZeroGrad):
    def forward(self, x):
        return np.round(x)  # half to even, as torch.round


class Trunc(_ZeroGrad):
    def forward(self, x):
        return np.trunc(x)


class Sin(Function):
    def forward(self, x):
        self.x = x
        return np.sin(x)

    def backward(self, g):
        return g * np.cos(self.x)


class Cos(Function):
    def forward(self, x):
        self.x = x
        return np.cos(x)

    def backward(self, g):
        return -g * np.sin(self.x)


class Clamp(Function):
    def forward(self, x, min, max):
        self.x, self.min, self.max = x, min, max
        return np.clip(x, min, max)

    def backward(self, g):
        # the gradient passes where min <= x <= max (bounds inclusive, as torch)
        x = self.x
        inside = np.ones(x.shape, dtype=bool)
        if self.min is not None:
            inside &= x >= self.min
        if self.max is not None:
            inside &= x <= self.max
        return g * inside


class Clone(Function):
    saves_inputs = False

    def forward(self, x):
        return x.copy()

    def backward(self, g):
        return g


class ToDtype(Function):
    """A cast between float dtypes; the engine casts the gradient back to the input's dtype."""

    saves_inputs = False

    def forward(self, x, dtype):
        return x.astype(dtype)

    def backward(self, g):
        return g


def _unary(cls, op: str):
    def fn(x) -> Tensor:
        return cls.apply(_float_input(x, op))

    fn.__name__ = op
    fn.__doc__ = f"Elementwise {op}, differentiable."
    return fn


exp = _unary(Exp, "exp")
log = _unary(Log, "log")
log1p = _unary(Log1p, "log1p")
expm1 = _unary(Expm1, "expm1")
sqrt = _unary(Sqrt, "sqrt")
rsqrt = _unary(Rsqrt, "rsqrt")
reciprocal = _unary(Reciprocal, "reciprocal")
sin = _unary(Sin, "sin")
cos = _unary(Cos, "cos")


def _same_dtype_unary(cls, op: str):
    def fn(x) -> Tensor:
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
        if x.dtype.kind != "f":
            return Tensor._wrap(cls().forward(x._data))
        return cls.apply(x)

    fn.__name__ = op
    fn.__doc__ = f"Elementwise {op}; keeps the dtype."
    return fn


neg = negative = _same_dtype_unary(Neg, "neg")
abs = _same_dtype_unary(Abs, "abs")
sign = _same_dtype_unary(Sign, "sign")
floor = _same_dtype_unary(Floor, "floor")
ceil = _same_dtype_unary(Ceil, "ceil")
round = _same_dtype_unary(Round, "round")
trunc = _same_dtype_unary(Trunc, "trunc")


def square(x) -> Tensor:
    return pow(x, 2)


def clamp(x, min=None, max=None) -> Tensor:
    """Limit values to [min, max]; either bound may be None, a number or a Tensor."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    if x.dtype.kind != "f":
        return Tensor._wrap(np.clip(x._data, min, max))
    dt = x.dtype.type
    return Clamp.apply(
        x, min=None if min is None else dt(min), max=None if max is None else dt(max)
    )


clip = clamp


def clone(x) -> Tensor:
    return Clone.apply(x)


def to_dtype(x, dtype) -> Tensor:
    """Cast to `dtype`. Float-to-float casts carry gradients; casts to int/bool do not."""
    dtype = np.dtype(dtype)
    if x._data.dtype == dtype:
        return x
    if dtype.kind != "f" or x._data.dtype.kind != "f":
        return Tensor._wrap(x._data.astype(dtype))
    return ToDtype.apply(x, dtype=dtype)


# ---------------------------------------------------------------------------------------------
# Activations (hand-written VJPs: each is one pass forward and one pass back)


class Tanh(Function):
    saves_inputs, saves_output = False, True

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, g):
        return g * (1 - self.out * self.out)


class Sigmoid(Function):
    saves_inputs, saves_output = False, True

    def forward(self, x):
        self.out = _sigmoid(x)
        return self.out

    def backward(self, g):
        return g * self.out * (1 - self.out)


def _sigmoid(x):
    # 1 / (1 + exp(-x)) overflows exp for x << 0 (harmlessly, to 0), so silence the warning
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


class Relu(Function):
    saves_inputs, saves_output = False, True

    def forward(self, x):
        self.out = _relu(x)
        return self.out

    def backward(self, g):
        return g * (self.out > 0)  # relu'(0) = 0, as in torch


def _relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0) into a new array in x's memory order; a C-order array is compared against
    backend.zeros_block, block by block beyond one block (2x faster than against the scalar 0,
    see there), and so is an array whose axes are a permutation of a C-order array's (such as
    a convolution's output in a replay, see glassbox.capture)."""
    if not x.flags.c_contiguous and x.ndim > 1:
        strides = x.strides
        order = sorted(range(x.ndim), key=strides.__getitem__, reverse=True)
        xt = x.transpose(order)
        if xt.flags.c_contiguous:
            return _relu(xt).transpose(sorted(range(x.ndim), key=order.__getitem__))
    if not x.flags.c_contiguous or x.ndim == 0:
        return np.maximum(x, 0)
    zeros = backend.zeros_block(x.dtype)
    if x.size <= zeros.size:
        return np.maximum(x, zeros[: x.size].reshape(x.shape))
    flat, out = x.reshape(-1), np.empty(x.shape, x.dtype)
    out_flat = out.reshape(-1)
    backend.by_blocks(
        lambda a, b: np.maximum(flat[a:b], zeros[: b - a], out=out_flat[a:b]), flat.size, 1)
    return out


class LeakyRelu(Function):
    def forward(self, x, negative_slope):
        self.x, self.slope = x, negative_slope
        return np.where(x > 0, x, x * negative_slope)

    def backward(self, g):
        return np.where(self.x > 0, g, g * self.slope)


class Elu(Function):
    def forward(self, x, alpha):
        self.x, self.alpha = x, alpha
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))

    def backward(self, g):
        x = self.x
        return np.where(x > 0, g, g * self.alpha * np.exp(np.minimum(x, 0)))


_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


# erfc(z) ~ t exp(-z^2 + P(t)), t = 1 / (1 + z/2): P's coefficients, highest power first
_ERFC_POLY = (0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806,
              0.09678418, 0.37409196, 1.00002368, -1.26551223)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function on arrays (NumPy has none), dtype kept.

    Uses the Chebyshev-fitted erfc of Press et al., fractional error < 1.2e-7 everywhere, with
    the Taylor series near zero where 1 - erfc would lose relative precision. Computed in
    place in two buffers: GELU calls it on every activation of a Transformer's MLP.
    """
    if x.ndim == 0:  # NumPy turns 0-d results into scalars, which can't be written in place
        return erf(x.reshape(1)).reshape(())
    z = np.abs(x)
    small = z < 0.05
    z_small = z[small] if small.any() else None
    t = np.multiply(z, 0.5)
    t += 1
    np.reciprocal(t, out=t)
    acc = t * _ERFC_POLY[0]  # Horner's rule, one coefficient per pass
    for c in _ERFC_POLY[1:-1]:
        acc += c
        acc *= t
    acc += _ERFC_POLY[-1]
    with np.errstate(over="ignore"):  # z^2 = inf for huge z: exp(-inf) = 0, erf = +-1
        acc -= np.square(z, out=z)  # z's buffer now holds z^2
    np.exp(acc, out=acc)
    acc *= t  # erfc
    np.subtract(1, acc, out=acc)
    if z_small is not None:
        z2 = z_small * z_small
        # erf z = 2/sqrt(pi) (z - z^3/3 + z^5/10 - z^7/42)
        acc[small] = (2 / math.sqrt(math.pi)) * z_small * (1 - z2 / 3 + z2 * z2 / 10 - z2**3 / 42)
    np.copysign(acc, x, out=acc)
    return acc.astype(x.dtype, copy=False)


# float32: erf(x) ~ tanh(x P(x^2)), fitted on |x| <= 3.92 (beyond, erf rounds to +-1). P's
# coefficients, lowest power first, were fitted by weighted least squares to atanh(erf x) / x
# with the constant fixed at 2/sqrt(pi); evaluated in float32 the error is below 2e-7 absolute
# and 3e-7 relative (for Phi: 2.5e-7 absolute; in the far left tail, where Phi < 1e-6, its
# relative error grows, as 0.5 + 0.5 tanh cancels). A tanh and a degree-6 polynomial take a
# third of the passes of the exp-based erfc.
_ERF_TANH_POLY = (2 / math.sqrt(math.pi), 1.0276893181e-01, -1.9083161467e-04, -6.2079191588e-04,
                  8.8000982350e-05, -5.7204777502e-06, 1.4427826579e-07)
# Phi(x) = (1 + erf(x / sqrt 2)) / 2: the same polynomial in x^2 / 2, times 1 / sqrt 2
_PHI_TANH_POLY = tuple(c * _SQRT_HALF * 0.5**k for k, c in enumerate(_ERF_TANH_POLY))


def normal_cdf(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Phi(x), the standard normal CDF, on arrays (into `out` if given; dtype kept).

    float32 goes through the tanh form above (about 17 passes over the data); other dtypes
    through `erf`. GELU computes Phi for every activation of a Transformer's MLP.
    """
    if x.dtype != np.float32 or x.ndim == 0:
        cdf = erf(x * _SQRT_HALF)
        cdf += 1
        cdf *= 0.5
        if out is None:
            return cdf
        out[...] = cdf
        return out
    # No clip is needed: P(u) >= 0.79 for every u >= 0, so beyond the fitted range x P(x^2)
    # only grows in size and the tanh saturates to +-1 (an overflow to inf gives +-1 too).
    with np.errstate(over="ignore"):
        u = np.square(x)
        acc = np.multiply(u, np.float32(_PHI_TANH_POLY[-1]), out=out)  # Horner: a pass a step
        for c in _PHI_TANH_POLY[-2:0:-1]:
            acc += np.float32(c)
            acc *= u
        acc += np.float32(_PHI_TANH_POLY[0])
        acc *= x
    np.tanh(acc, out=acc)
    acc *= 0.5
    acc += 0.5
    return acc


def _c_order(a: np.ndarray) -> np.ndarray:
    """`a` in C order (itself when it already is; np.ascontiguousarray would make 0-d 1-d)."""
    return a if a.flags.c_contiguous else a.copy(order="C")


class Gelu(Function):
    """x * Phi(x) (exact, with erf) or its tanh approximation."""

    def forward(self, x, approximate):
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            self.t = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3))
            return 0.5 * x * (1 + self.t)
        # flat, a block at a time (backend.by_blocks): the passes stay in the L2 cache
        x = _c_order(x).reshape(-1)
        y = np.empty(x.shape, x.dtype)
        keep = any(self.needs_input_grad)  # backward reads Phi(x); inference needs a block's
        cdf = np.empty(x.shape, x.dtype) if keep else None

        def block(a, b):
            phi = normal_cdf(x[a:b], out=None if cdf is None else cdf[a:b])
            np.multiply(x[a:b], phi, out=y[a:b])

        backend.by_blocks(block, x.size, 1)
        self.cdf = cdf
        return y.reshape(self.x.shape)

    def backward(self, g):
        x = self.x
        if self.approximate == "tanh":
            t = self.t
            dinner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner)
        x, g, cdf = _c_order(x).reshape(-1), _c_order(g).reshape(-1), self.cdf
        d = np.empty(x.shape, x.dtype)

        # d/dx x Phi(x) = Phi(x) + x phi(x), phi the normal density, in place block by block
        def block(a, b):
            db, xb = d[a:b], x[a:b]
            np.multiply(xb, xb, out=db)
            db *= -0.5
            np.exp(db, out=db)
            db *= xb
            db *= _INV_SQRT_2PI
            db += cdf[a:b]
            db *= g[a:b]

        backend.by_blocks(block, x.size, 1)
        return d.reshape(self.x.shape)


class Silu(Function):
    def forward(self, x):
        self.x = x
        self.s = _sigmoid(x)
        return x * self.s

    def backward(self, g):
        s = self.s
        return g * (s * (1 + self.x * (1 - s)))


class Softplus(Function):
    """log(1 + exp(beta x)) / beta, linear above beta x > threshold (as torch)."""

    def forward(self, x, beta, threshold):
        self.x, self.beta, self.threshold = x, beta, threshold
        bx = x * beta
        # logaddexp(0, bx) is log1p(exp(bx)) without overflow
        return np.where(bx > threshold, x, np.logaddexp(0, bx) / beta).astype(x.dtype)

    def backward(self, g):
        bx = self.x * self.beta
        return np.where(bx > self.threshold, g, g * _sigmoid(bx))


def tanh(x) -> Tensor:
    return Tanh.apply(_float_input(x, "tanh"))


def sigmoid(x) -> Tensor:
    return Sigmoid.apply(_float_input(x, "sigmoid"))


def relu(x) -> Tensor:
    if x.dtype.kind != "f":
        return Tensor._wrap(np.maximum(x._data, 0))
    return Relu.apply(x)


def leaky_relu(x, negative_slope: float = 0.01) -> Tensor:
    return LeakyRelu.apply(_float_input(x, "leaky_relu"), negative_slope=negative_slope)


def elu(x, alpha: float = 1.0) -> Tensor:
    return Elu.apply(_float_input(x, "elu"), alpha=alpha)


def gelu(x, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit; approximate='none' (exact, default) or 'tanh'."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return Gelu.apply(_float_input(x, "gelu"), approximate=approximate)


def silu(x) -> Tensor:
    return Silu.apply(_float_input(x, "silu"))


def softplus(x, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return Softplus.apply(_float_input(x, "softplus"), beta=beta, threshold=threshold)


# ---------------------------------------------------------------------------------------------
# Two-input selection


class Maximum(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return np.maximum(a, b)

    def backward(self, g):
        # ties share the gradient equally, as in torch
        a, b = self.a, self.b
        half = np.where(a == b, g * 0.5, g)
        ga = np.where(a < b, 0, half) if self.needs_input_grad[0] else None
        gb = np.where(a > b, 0, half) if self.needs_input_grad[1] else None
        return ga, gb


class Minimum(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return np.minimum(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        half = np.where(a == b, g * 0.5, g)
        ga = np.where(a > b, 0, half) if self.needs_input_grad[0] else None
        gb = np.where(a < b, 0, half) if self.needs_input_grad[1] else None
        return ga, gb


class Where(Function):
    def forward(self, condition, a, b):
        self.condition = condition
        return np.where(condition, a, b)

    def backward(self, g):
        c = self.condition
        ga = np.where(c, g, 0) if self.needs_input_grad[1] else None
        gb = np.where(c, 0, g) if self.needs_input_grad[2] else None
        return None, ga, gb


class MaskedFill(Function):
    def forward(self, x, mask, value):
        self.mask = mask
        return np.where(mask, value.astype(x.dtype), x)

    def backward(self, g):
        gx = np.where(self.mask, 0, g) if self.needs_input_grad[0] else None
        gv = np.where(self.mask, g, 0).sum() if self.needs_input_grad[2] else None
        return gx, None, gv


def maximum(a, b) -> Tensor:
    return _binary(Maximum, a, b, "maximum")


def minimum(a, b) -> Tensor:
    return _binary(Minimum, a, b, "minimum")


def _bool_tensor(mask, op: str, what: str) -> Tensor:
    if not isinstance(mask, Tensor):
        mask = Tensor._wrap(np.asarray(mask))
    if mask.dtype != np.bool_:
        raise TypeError(f"{op}: {what} must be a bool tensor, got dtype {mask.dtype}")
    return mask


def where(condition, input, other) -> Tensor:
    """Elementwise `input` where `condition` holds, else `other`, broadcasting all three."""
    condition = _bool_tensor(condition, "where", "condition")
    input, other = _operands(input, other, "where")
    try:
        return Where.apply(condition, input, other)
    except ValueError:
        raise ValueError(
            f"where: condition {tuple(condition.shape)}, input {tuple(input.shape)} and other "
            f"{tuple(other.shape)} cannot be broadcast together"
        ) from None


def masked_fill(x, mask, value) -> Tensor:
    """`x` with `value` written where the bool `mask` (broadcast to x's shape) is True."""
    mask = _bool_tensor(mask, "masked_fill", "mask")
    if np.broadcast_shapes(mask.shape, x.shape) != x.shape:
        raise ValueError(
            f"masked_fill: mask of shape {tuple(mask.shape)} cannot be broadcast to the "
            f"input's shape {tuple(x.shape)}"
        )
    if not isinstance(value, Tensor):
        value = Tensor._wrap(np.asarray(value, dtype=x.dtype))
    elif value.ndim != 0:
        raise ValueError(f"masked_fill: value must be a 0-d tensor, got shape {value.shape}")
    return MaskedFill.apply(x, mask, value)


# ---------------------------------------------------------------------------------------------
# Comparisons and logic: no gradient, bool results


def _compare(ufunc, op: str):
    def fn(a, b) -> Tensor:
        a, b = _operands(a, b, op)
        try:
            return Tensor._wrap(ufunc(a._data, b._data))
        except ValueError:
            raise ValueError(
                f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast together"
            ) from None

    fn.__name__ = op
    fn.__doc__ = f"Elementwise {op} (no gradient); a bool tensor."
    return fn


eq = _compare(np.equal, "eq")
ne = _compare(np.not_equal, "ne")
lt = less = _compare(np.less, "lt")
le = less_equal = _compare(np.less_equal, "le")
gt = greater = _compare(np.greater, "gt")
ge = greater_equal = _compare(np.greater_equal, "ge")
logical_and = _compare(np.logical_and, "logical_and")
logical_or = _compare(np.logical_or, "logical_or")
logical_xor = _compare(np.logical_xor, "logical_xor")


def logical_not(x) -> Tensor:
    return Tensor._wrap(np.logical_not(x._data))


def isnan(x) -> Tensor:
    return Tensor._wrap(np.isnan(x._data))


def isinf(x) -> Tensor:
    return Tensor._wrap(np.isinf(x._data))


def isfinite(x) -> Tensor:
    return Tensor._wrap(np.isfinite(x._data))


def allclose(a, b, rtol=1e-5, atol=1e-8) -> bool:
    return bool(np.allclose(_arr(a), _arr(b), rtol=rtol, atol=atol))


def equal(a, b) -> bool:
    return bool(np.array_equal(_arr(a), _arr(b)))


def _arr(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)

