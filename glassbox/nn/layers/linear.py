"""Affine layers: Identity, Linear (y = x W^T + b) and Bilinear (y_k = x1^T W_k x2 + b_k).

Also the functional `bilinear`, written as a composition of differentiable ops (one GEMM
through the fused `linear`, then a multiply and a sum), so it needs no gradient of its own.
"""

from __future__ import annotations

import math

from glassbox.nn import functional as F
from glassbox.nn import init
from glassbox.nn.layers import _checks as check
from glassbox.nn.module import Module
from glassbox.nn.parameter import Parameter
from glassbox.ops.errors import ShapeError as InputError
from glassbox.ops.fused import linear as _linear
from glassbox.tensor import Tensor, empty

__all__ = ["Bilinear", "Identity", "Linear", "bilinear"]


class Identity(Module):
    """Return the input unchanged: a placeholder, e.g. to remove a layer from a model.

    Args:
        *args, **kwargs: accepted and ignored (as in torch), so it can stand in for any layer.

    Shape:
        (*) -> (*), the same tensor.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> x = gb.randn(2, 3)
        >>> nn.Identity(54, unused="argument")(x) is x
        True
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """A fully connected layer: y = x W^T + b over the last dimension.

    Each of the out_features outputs is one artificial neuron: a weighted sum of the
    in_features inputs plus a bias. W is stored as (out_features, in_features), as in torch.

    Args:
        in_features: size of each input sample's last dimension.
        out_features: size of each output sample's last dimension.
        bias: learn an additive bias. Default True.
        device: only None or 'cpu'. Default None.
        dtype: parameter dtype. Default the default float dtype (float32).

    Shape:
        (*, in_features) -> (*, out_features).

    Attributes:
        weight: (out_features, in_features), initialised U(-1/sqrt(in_features), 1/sqrt(in_features))
            (kaiming_uniform_ with a=sqrt(5), as torch).
        bias: (out_features,), initialised from the same uniform distribution.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> layer = nn.Linear(4, 8)
        >>> layer
        Linear(in_features=4, out_features=8, bias=True)
        >>> layer(gb.randn(3, 4)).shape
        (3, 8)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__()
        name = type(self).__name__
        self.in_features = check.positive_int(name, "in_features", in_features)
        self.out_features = check.positive_int(name, "out_features", out_features)
        check.flag(name, "bias", bias)
        dtype = check.float_dtype(name, dtype, device)
        self.weight = Parameter(empty(self.out_features, self.in_features, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(self.out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw weight and bias from torch's default distributions."""
        # gain sqrt(2 / (1 + 5)) makes kaiming's bound sqrt(3) * gain / sqrt(fan_in) = 1/sqrt(fan_in)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        if not isinstance(input, Tensor) or input.ndim == 0 or (
                input.shape[-1] != self.in_features):
            raise check.bad_input(input, f"(*, in_features={self.in_features})")
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


def bilinear(input1, input2, weight, bias=None) -> Tensor:
    """y_k = x1^T W_k x2 + b_k for every output k (as torch.nn.functional.bilinear).

    Built from differentiable ops, so autograd derives its gradient: W is laid out as one
    (out*in2, in1) matrix, one GEMM gives every x1^T W_k at once, and a multiply-and-sum with
    x2 finishes each bilinear form.

    Args:
        input1: float tensor (*, in1_features).
        input2: float tensor (*, in2_features), with the same leading dims as input1.
        weight: (out_features, in1_features, in2_features).
        bias: optional (out_features,). Default None.

    Shape:
        (*, in1), (*, in2) -> (*, out).

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> w = gb.ones(1, 2, 2)
        >>> F.bilinear(gb.tensor([[1.0, 2.0]]), gb.tensor([[3.0, 4.0]]), w).tolist()
        [[21.0]]
    """
    op = "bilinear"
    for what, t in (("input1", input1), ("input2", input2), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {what} must be a Tensor, got {type(t).__name__}")
    if weight.ndim != 3:
        raise InputError(f"{op}: weight must be 3-D (out_features, in1_features, in2_features), "
                         f"got {tuple(weight.shape)}")
    n_out, n1, n2 = weight.shape
    if (input1.ndim == 0 or input2.ndim == 0 or input1.shape[:-1] != input2.shape[:-1]
            or input1.shape[-1] != n1 or input2.shape[-1] != n2):
        raise InputError(f"{op}: expected input1 (*, {n1}) and input2 (*, {n2}) with the same "
                         f"leading dims for weight {tuple(weight.shape)}, got "
                         f"{tuple(input1.shape)} and {tuple(input2.shape)}")
    if bias is not None and tuple(bias.shape) != (n_out,):
        raise InputError(f"{op}: bias must have shape ({n_out},), got {tuple(bias.shape)}")
    lead = tuple(input1.shape[:-1])
    # (out, in1, in2) -> (out, in2, in1) -> (out*in2, in1): row (k, j) is column j of W_k
    w2 = weight.permute(0, 2, 1).reshape(n_out * n2, n1)
    z = _linear(input1, w2)  # (*, out*in2): z[..., k, j] = sum_i x1_i W_k[i, j]
    z = z.reshape(lead + (n_out, n2))  # (*, out, in2)
    y = (z * input2.unsqueeze(-2)).sum(-1)  # (*, out): contract with x2 over in2
    return y if bias is None else y + bias


class Bilinear(Module):
    """A bilinear layer: y_k = x1^T W_k x2 + b_k, one (in1, in2) matrix W_k per output.

    Args:
        in1_features: size of the first input's last dimension.
        in2_features: size of the second input's last dimension.
        out_features: size of the output's last dimension.
        bias: learn an additive bias. Default True.
        device: only None or 'cpu'. Default None.
        dtype: parameter dtype. Default the default float dtype (float32).

    Shape:
        (*, in1_features), (*, in2_features) -> (*, out_features).

    Attributes:
        weight: (out_features, in1_features, in2_features), U(-1/sqrt(in1), 1/sqrt(in1)) (torch).
        bias: (out_features,), from the same distribution.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> layer = nn.Bilinear(3, 5, 2)
        >>> layer(gb.randn(4, 3), gb.randn(4, 5)).shape
        (4, 2)
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        self.in1_features = check.positive_int(name, "in1_features", in1_features)
        self.in2_features = check.positive_int(name, "in2_features", in2_features)
        self.out_features = check.positive_int(name, "out_features", out_features)
        check.flag(name, "bias", bias)
        dtype = check.float_dtype(name, dtype, device)
        shape = (self.out_features, self.in1_features, self.in2_features)
        self.weight = Parameter(empty(*shape, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(self.out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw weight and bias from U(-1/sqrt(in1_features), 1/sqrt(in1_features))."""
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        for x, n, what in ((input1, self.in1_features, "in1_features"),
                           (input2, self.in2_features, "in2_features")):
            if not isinstance(x, Tensor) or x.ndim == 0 or x.shape[-1] != n:
                raise check.bad_input(x, f"(*, {what}={n})")
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
