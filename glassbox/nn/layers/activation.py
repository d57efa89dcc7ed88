"""Activation layers: the nonlinearity after a neuron's weighted sum, as modules.

Without a nonlinearity a stack of Linear layers is still one linear map; each class here wraps
the function of the same name in glassbox.nn.functional (ops/elementwise.py, ops/reduce.py),
so it can sit in a Sequential. `inplace` is accepted where torch has it (and shown in repr),
but glassbox always returns a new tensor.
"""

from __future__ import annotations

import warnings

from glassbox.nn import functional as F
from glassbox.nn.layers import _checks as check
from glassbox.nn.module import Module

__all__ = [
    "ELU",
    "GELU",
    "LeakyReLU",
    "LogSoftmax",
    "ReLU",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
]


class _Inplace(Module):
    """An activation with torch's `inplace` flag and at most one float option before it.

    A subclass names its option in `_option` (e.g. "alpha") and passes its value as `value`;
    `__init__` validates it with check.real and the repr shows it first, then `inplace=True`
    when set (as torch).
    """

    _option: str | None = None

    def __init__(self, inplace: bool = False, *, value=None):
        name = type(self).__name__
        value = check.real(name, self._option, value) if self._option else None
        super().__init__()
        if self._option:
            setattr(self, self._option, value)
        self.inplace = check.flag(name, "inplace", inplace)

    def extra_repr(self) -> str:
        parts = [f"{self._option}={getattr(self, self._option)}"] if self._option else []
        return ", ".join(parts + (["inplace=True"] if self.inplace else []))


class ReLU(_Inplace):
    """max(0, x), elementwise. Its gradient at 0 is 0 (as torch).

    Args:
        inplace: accepted for torch compatibility. Default False.

    Shape:
        (*) -> (*).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.ReLU()(gb.tensor([-1.0, 0.0, 2.0])).tolist()
        [0.0, 0.0, 2.0]
    """

    def forward(self, input):
        return F.relu(input)


class SiLU(_Inplace):
    """x * sigmoid(x) (also called swish), elementwise.

    Args:
        inplace: accepted for torch compatibility. Default False.

    Shape:
        (*) -> (*).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.SiLU()(gb.tensor([0.0])).tolist()
        [0.0]
    """

    def forward(self, input):
        return F.silu(input)


class LeakyReLU(_Inplace):
    """x for x >= 0, negative_slope * x otherwise: a ReLU whose negative side still learns.

    Args:
        negative_slope: slope for x < 0. Default 0.01.
        inplace: accepted for torch compatibility. Default False.

    Shape:
        (*) -> (*).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.LeakyReLU(0.1)(gb.tensor([-2.0, 3.0])).tolist()
        [-0.20000000298023224, 3.0]
    """

    _option = "negative_slope"

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__(inplace, value=negative_slope)

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)


class ELU(_Inplace):
    """x for x > 0, alpha * (exp(x) - 1) otherwise: smooth, with negative outputs down to -alpha.

    Args:
        alpha: the negative saturation value. Default 1.0.
        inplace: accepted for torch compatibility. Default False.

    Shape:
        (*) -> (*).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.ELU()(gb.tensor([0.0, 1.0])).tolist()
        [0.0, 1.0]
    """

    _option = "alpha"

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__(inplace, value=alpha)

    def forward(self, input):
        return F.elu(input, self.alpha)


class GELU(Module):
    """x * Phi(x), Phi the standard normal CDF (the Transformer activation).

    Args:
        approximate: 'none' (exact, with erf) or 'tanh' (the tanh approximation). Default 'none'.

    Shape:
        (*) -> (*).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.GELU(approximate="tanh")
        GELU(approximate='tanh')
        >>> nn.GELU()(gb.tensor([0.0])).tolist()
        [0.0]
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = check.choice(type(self).__name__, "approximate", approximate,
                                        ("none", "tanh"))

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """1 / (1 + exp(-x)), elementwise: squashes to (0, 1).

    Shape:
        (*) -> (*).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.Sigmoid()(gb.tensor([0.0])).tolist()
        [0.5]
    """

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """tanh(x), elementwise: squashes to (-1, 1).

    Shape:
        (*) -> (*).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.Tanh()(gb.tensor([0.0])).tolist()
        [0.0]
    """

    def forward(self, input):
        return F.tanh(input)


def _implicit_dim(name: str, ndim: int) -> int:
    """torch's legacy choice of softmax dim when none is given (with its warning)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=4)
    return 0 if ndim in (0, 1, 3) else 1


class _DimModule(Module):
    def __init__(self, dim: int | None = None):
        super().__init__()
        if dim is not None and not check._is_int(dim):
            raise TypeError(f"{type(self).__name__}: dim must be an int or None, received "
                            f"dim={dim!r}")
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_DimModule):
    """exp(x_i) / sum_j exp(x_j) along `dim`: turns scores into probabilities.

    Args:
        dim: the dimension that sums to 1. Default None (torch's deprecated implicit choice:
            0 for 0-, 1- and 3-D inputs, else 1, with a warning).

    Shape:
        (*) -> (*).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.Softmax(dim=-1)(gb.tensor([[0.0, 0.0]])).tolist()
        [[0.5, 0.5]]
    """

    def forward(self, input):
        dim = self.dim if self.dim is not None else _implicit_dim("softmax", input.ndim)
        return F.softmax(input, dim)


class LogSoftmax(_DimModule):
    """log(softmax(x)) along `dim`, computed stably (x - logsumexp(x)).

    Args:
        dim: the dimension to normalise over. Default None (torch's implicit choice, with a
            warning).

    Shape:
        (*) -> (*).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.LogSoftmax(dim=1)(gb.tensor([[0.0, 0.0]])).exp().tolist()
        [[0.5, 0.5]]
    """

    def forward(self, input):
        dim = self.dim if self.dim is not None else _implicit_dim("log_softmax", input.ndim)
        return F.log_softmax(input, dim)


class Softplus(Module):
    """log(1 + exp(beta * x)) / beta, a smooth ReLU; linear where beta * x > threshold.

    Args:
        beta: sharpness. Default 1.0.
        threshold: above beta * x > threshold the output is x (for numerical stability).
            Default 20.0.

    Shape:
        (*) -> (*).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.Softplus()(gb.tensor([30.0])).tolist()
        [30.0]
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        name = type(self).__name__
        self.beta = check.real(name, "beta", beta)
        if self.beta == 0:
            raise ValueError(f"{name}: beta must be non-zero, received beta={beta!r}")
        self.threshold = check.real(name, "threshold", threshold)

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"
