"""The op table: one line per op -- glassbox call, torch call, input cases, domain, tolerances.

Generic tests in test_specs.py loop over SPECS: float64 finite-difference gradcheck, float32 and
float64 forward + gradient parity with torch (values, shapes, dtypes), non-contiguous inputs.
Case arguments: a shape tuple (float input), Idx/Mask/Lit/NonGrad (see harness.py).
Shapes cover broadcasting, size-1 and zero-size dims and 0-d tensors where the op allows them.
"""

import torch
import torch.nn.functional as TF

import glassbox as gb
import glassbox.nn.functional as F
from tests.ops.harness import Idx, Lit, Mask, NonGrad, Spec  # noqa: F401

S = Spec
UNARY_CASES = [((3, 4),), ((),), ((2, 1, 3),), ((0, 3),)]
BINARY_CASES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((), (2, 3)), ((0, 3), (3,))]

# --- elementwise -------------------------------------------------------------------------------
ELEMENTWISE = [
    S("add", lambda a, b: a + b, lambda a, b: a + b, BINARY_CASES),
    S("add_alpha", lambda a, b: gb.add(a, b, alpha=0.5), lambda a, b: torch.add(a, b, alpha=0.5), BINARY_CASES[:2]),
    S("sub", lambda a, b: a - b, lambda a, b: a - b, BINARY_CASES),
    S("mul", lambda a, b: a * b, lambda a, b: a * b, BINARY_CASES),
    S("div", lambda a, b: a / b, lambda a, b: a / b, BINARY_CASES, low=0.5, high=2.0),
    S("rsub_scalar", lambda a: 2.5 - a, lambda a: 2.5 - a, UNARY_CASES),
    S("rdiv_scalar", lambda a: 2.5 / a, lambda a: 2.5 / a, UNARY_CASES, low=0.5),
    S("mul_scalar", lambda a: a * 3, lambda a: a * 3, UNARY_CASES),
    S("remainder", lambda a, b: a % b, lambda a, b: a % b, [((3, 4), NonGrad((3, 4)))], low=0.3, high=3.0),
    S("pow_scalar", lambda a: a ** 3, lambda a: a ** 3, UNARY_CASES),
    S("pow_square", lambda a: a ** 2, lambda a: a ** 2, UNARY_CASES),
    S("pow_frac", lambda a: a ** 1.5, lambda a: a ** 1.5, UNARY_CASES, low=0.2),
    S("pow_tensor", lambda a, b: a ** b, lambda a, b: a ** b, BINARY_CASES[:3], low=0.3, high=2.0),
    S("rpow", lambda a: 2.0 ** a, lambda a: 2.0 ** a, UNARY_CASES),
    S("neg", lambda a: -a, lambda a: -a, UNARY_CASES),
    S("exp", gb.exp, torch.exp, UNARY_CASES),
    S("log", gb.log, torch.log, UNARY_CASES, low=0.1),
    S("log1p", gb.log1p, torch.log1p, UNARY_CASES, low=-0.5),
    S("expm1", gb.expm1, torch.expm1, UNARY_CASES),
    S("sqrt", gb.sqrt, torch.sqrt, UNARY_CASES, low=0.1),
    S("rsqrt", gb.rsqrt, torch.rsqrt, UNARY_CASES, low=0.2),
    S("reciprocal", gb.reciprocal, torch.reciprocal, UNARY_CASES, low=0.3),
    S("abs", gb.abs, torch.abs, UNARY_CASES),
    S("sign", gb.sign, torch.sign, UNARY_CASES),
    S("floor", gb.floor, torch.floor, UNARY_CASES),
    S("sin", gb.sin, torch.sin, UNARY_CASES),
    S("cos", gb.cos, torch.cos, UNARY_CASES),
    S("tanh", gb.tanh, torch.tanh, UNARY_CASES),
    S("sigmoid", gb.sigmoid, torch.sigmoid, UNARY_CASES, low=-6, high=6),
    S("relu", gb.relu, torch.relu, UNARY_CASES),
    S("leaky_relu", lambda a: gb.leaky_relu(a, 0.1), lambda a: TF.leaky_relu(a, 0.1), UNARY_CASES),
    S("elu", lambda a: gb.elu(a, 0.7), lambda a: TF.elu(a, 0.7), UNARY_CASES),
    S("gelu", gb.gelu, TF.gelu, UNARY_CASES, low=-4, high=4),
    S("gelu_tanh", lambda a: gb.gelu(a, approximate="tanh"), lambda a: TF.gelu(a, approximate="tanh"), UNARY_CASES, low=-4, high=4),
    S("silu", gb.silu, TF.silu, UNARY_CASES, low=-4, high=4),
    S("softplus", gb.softplus, TF.softplus, UNARY_CASES, low=-4, high=4),
    S("softplus_beta", lambda a: gb.softplus(a, beta=2.0, threshold=3.0), lambda a: TF.softplus(a, beta=2.0, threshold=3.0), UNARY_CASES, low=-3, high=3),
    S("clamp", lambda a: gb.clamp(a, -0.5, 0.7), lambda a: torch.clamp(a, -0.5, 0.7), UNARY_CASES),
    S("clamp_min", lambda a: a.clamp(min=0.1), lambda a: a.clamp(min=0.1), UNARY_CASES),
    S("maximum", gb.maximum, torch.maximum, BINARY_CASES),
    S("minimum", gb.minimum, torch.minimum, BINARY_CASES),
    S("where", lambda c, a, b: gb.where(c, a, b), lambda c, a, b: torch.where(c, a, b), [(Mask((3, 4)), (3, 4), (4,)), (Mask((2, 1)), (1, 3), (2, 3))]),
    S("masked_fill", lambda a, m: a.masked_fill(m, -1.5), lambda a, m: a.masked_fill(m, -1.5), [((3, 4), Mask((3, 4))), ((2, 3, 4), Mask((3, 1)))]),
    S("clone", lambda a: a.clone(), lambda a: a.clone(), UNARY_CASES),
    S("double", lambda a: a.double() * 2, lambda a: a.double() * 2, UNARY_CASES[:1]),
    S("eq", lambda a, b: a == b, lambda a, b: a == b, BINARY_CASES, grad=False),
    S("lt", lambda a, b: a < b, lambda a, b: a < b, BINARY_CASES, grad=False),
    S("ge", lambda a, b: a >= b, lambda a, b: a >= b, BINARY_CASES, grad=False),
]

# --- reduce ------------------------------------------------------------------------------------
REDUCE = []

# --- shape -------------------------------------------------------------------------------------
SHAPE = []

# --- index -------------------------------------------------------------------------------------
INDEX = []

# --- linalg ------------------------------------------------------------------------------------
LINALG = []

# --- conv / pool ----------------------------------------------------------------------------------
CONV = []

# --- fused network ops and losses ------------------------------------------------------------
NN = []

SPECS = ELEMENTWISE + REDUCE + SHAPE + INDEX + LINALG + CONV + NN
