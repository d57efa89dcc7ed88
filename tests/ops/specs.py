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
REDUCE = [
    S("sum", lambda a, d, k: gb.sum(a, d, k), lambda a, d, k: torch.sum(a, d, k) if d is not None else torch.sum(a), [((3, 4), Lit(None), Lit(False)), ((3, 4), Lit(1), Lit(True)), ((2, 1, 3), Lit((0, -1)), Lit(False)), ((), Lit(0), Lit(False)), ((0, 3), Lit(0), Lit(False))]),
    S("mean", lambda a, d, k: gb.mean(a, d, k), lambda a, d, k: torch.mean(a, d, k) if d is not None else torch.mean(a), [((3, 4), Lit(None), Lit(False)), ((3, 4), Lit(-1), Lit(True)), ((2, 1, 3), Lit((0, 2)), Lit(False)), ((), Lit(0), Lit(False))]),
    S("var", lambda a, d, k: gb.var(a, d, keepdim=k), lambda a, d, k: torch.var(a, d, keepdim=k), [((3, 4), Lit(None), Lit(False)), ((3, 4), Lit(1), Lit(True)), ((2, 1, 3), Lit((0, 2)), Lit(False)), ((2, 3, 4), Lit(-1), Lit(False)), ((0, 3), Lit(1), Lit(False)), ((3, 4), Lit(None), Lit(True))]),
    S("var_correction", lambda a, c: a.var(1, correction=c), lambda a, c: a.var(1, correction=c), [((3, 4), Lit(0)), ((3, 5), Lit(2)), ((3, 4), Lit(0.5)), ((2, 1), Lit(0))]),
    S("var_unbiased", lambda a, u: gb.var(a, 1, u), lambda a, u: torch.var(a, 1, u), [((3, 4), Lit(False)), ((3, 4), Lit(True))]),
    S("var_legacy_all", lambda a: gb.var(a, False), lambda a: torch.var(a, False), [((3, 4),), ((),)]),
    S("std", lambda a, d, k: gb.std(a, d, keepdim=k), lambda a, d, k: torch.std(a, d, keepdim=k), [((3, 4), Lit(None), Lit(False)), ((3, 4), Lit(0), Lit(True)), ((2, 1, 3), Lit((0, 2)), Lit(False)), ((2, 3, 4), Lit(-1), Lit(False)), ((0, 3), Lit(1), Lit(False))]),
    S("std_correction", lambda a, c: a.std((0, 1), correction=c, keepdim=True), lambda a, c: a.std((0, 1), correction=c, keepdim=True), [((3, 4), Lit(0)), ((2, 3), Lit(3))]),
    S("max_all", gb.max, torch.max, [((3, 4),), ((),), ((2, 1, 3),)]),
    S("max_dim", lambda a, d, k: gb.max(a, d, k), lambda a, d, k: torch.max(a, d, k), [((3, 4), Lit(1), Lit(False)), ((3, 4), Lit(-2), Lit(True)), ((), Lit(0), Lit(False)), ((0, 3), Lit(1), Lit(False)), ((2, 1, 3), Lit(1), Lit(True)), ((2, 3, 4), Lit(-1), Lit(False))]),
    S("min_all", lambda a: a.min(), lambda a: a.min(), [((3, 4),), ((),), ((2, 1, 3),)]),
    S("min_dim", lambda a, d, k: a.min(d, keepdim=k), lambda a, d, k: a.min(d, keepdim=k), [((3, 4), Lit(0), Lit(False)), ((3, 4), Lit(-1), Lit(True)), ((), Lit(-1), Lit(True)), ((0, 3), Lit(-1), Lit(True))]),
    S("amax", lambda a, d, k: gb.amax(a, d, k), lambda a, d, k: torch.amax(a, d, k), [((3, 4), Lit(()), Lit(False)), ((3, 4), Lit((0, 1)), Lit(True)), ((2, 3, 4), Lit((0, -1)), Lit(False)), ((), Lit(()), Lit(False)), ((0, 3), Lit(1), Lit(False)), ((2, 1, 3), Lit(1), Lit(True))]),
    S("amin", lambda a, d, k: a.amin(d, k), lambda a, d, k: a.amin(d, k), [((3, 4), Lit(()), Lit(False)), ((2, 3, 4), Lit((2, 0)), Lit(True)), ((), Lit(0), Lit(False)), ((0, 3), Lit(-1), Lit(True))]),
    S("argmax", lambda a, d, k: gb.argmax(a, d, k), lambda a, d, k: torch.argmax(a, d, k), [((3, 4), Lit(None), Lit(False)), ((3, 4), Lit(1), Lit(True)), ((3, 4), Lit(None), Lit(True)), ((), Lit(None), Lit(False)), ((), Lit(0), Lit(True)), ((0, 3), Lit(1), Lit(False)), ((2, 3, 4), Lit(-2), Lit(False))], grad=False),
    S("argmin", lambda a, d, k: a.argmin(d, k), lambda a, d, k: a.argmin(d, k), [((3, 4), Lit(None), Lit(False)), ((3, 4), Lit(0), Lit(False)), ((2, 1, 3), Lit(-1), Lit(True))], grad=False),
    S("logsumexp", lambda a, d, k: gb.logsumexp(a, d, k), lambda a, d, k: torch.logsumexp(a, d, k), [((3, 4), Lit(1), Lit(False)), ((3, 4), Lit((0, 1)), Lit(False)), ((2, 3, 4), Lit(-1), Lit(True)), ((), Lit(0), Lit(False)), ((0, 3), Lit(0), Lit(False)), ((2, 1, 3), Lit((0, 2)), Lit(True))], low=-5, high=5),
    S("prod_all", lambda a: a.prod(), lambda a: a.prod(), [((3, 4),), ((),), ((2, 1, 3),), ((0, 3),)], low=0.5, high=1.5),
    S("prod_dim", lambda a, d, k: gb.prod(a, d, k), lambda a, d, k: torch.prod(a, d, k), [((3, 4), Lit(1), Lit(False)), ((2, 1, 3), Lit(-1), Lit(True)), ((), Lit(0), Lit(False)), ((0, 3), Lit(0), Lit(False)), ((3, 4), Lit(0), Lit(True))]),
    S("cumsum", lambda a, d: gb.cumsum(a, d), lambda a, d: torch.cumsum(a, d), [((3, 4), Lit(1)), ((2, 1, 3), Lit(-1)), ((), Lit(0)), ((0, 3), Lit(0)), ((2, 3, 4), Lit(0))]),
    S("norm", lambda a, p, d, k: gb.norm(a, p, d, k), lambda a, p, d, k: torch.norm(a, p, d, k), [((3, 4), Lit("fro"), Lit(None), Lit(False)), ((3, 4), Lit(2), Lit(1), Lit(True)), ((3, 4), Lit(1), Lit(0), Lit(False)), ((3, 4), Lit(float("inf")), Lit(1), Lit(False)), ((3, 4), Lit(float("-inf")), Lit(None), Lit(False)), ((2, 3, 4), Lit(3), Lit((0, 2)), Lit(False)), ((), Lit(2), Lit(None), Lit(False)), ((0, 3), Lit(2), Lit(1), Lit(False)), ((0, 3), Lit(1), Lit(0), Lit(True)), ((2, 3, 4), Lit("fro"), Lit((1, 2)), Lit(True)), ((3, 4), Lit(0), Lit(1), Lit(False))]),
    S("norm_frac_p", lambda a, p: a.norm(p, dim=-1), lambda a, p: a.norm(p, dim=-1), [((3, 4), Lit(0.5)), ((3, 4), Lit(1.5)), ((3, 4), Lit(-1)), ((2, 5), Lit(2.5))], low=0.3, high=2.0),
    S("softmax", lambda a, d: gb.softmax(a, d), lambda a, d: torch.softmax(a, d), [((3, 4), Lit(1)), ((2, 1, 3), Lit(0)), ((2, 3, 4), Lit(-1)), ((), Lit(0)), ((0, 3), Lit(1)), ((3, 4), Lit(0))], low=-4, high=4),
    S("F.softmax", lambda a: F.softmax(a, dim=-1), lambda a: TF.softmax(a, dim=-1), [((3, 4),), ((2, 1, 3),)], low=-4, high=4),
    S("log_softmax", lambda a, d: a.log_softmax(d), lambda a, d: a.log_softmax(d), [((3, 4), Lit(1)), ((2, 1, 3), Lit(0)), ((2, 3, 4), Lit(-2)), ((), Lit(0)), ((0, 3), Lit(1))], low=-4, high=4),
    S("F.log_softmax_dtype", lambda a: F.log_softmax(a, 1, dtype=gb.float64), lambda a: TF.log_softmax(a, 1, dtype=torch.float64), [((3, 4),)]),
    S("all", lambda m, d, k: gb.all(m, d, k) if d is not None else gb.all(m), lambda m, d, k: torch.all(m, d, k) if d is not None else torch.all(m), [(Mask((3, 4)), Lit(None), Lit(False)), (Mask((3, 4)), Lit(1), Lit(True)), (Mask((2, 3, 4)), Lit((0, 2)), Lit(False)), (Mask(()), Lit(0), Lit(False)), (Mask((0, 3)), Lit(1), Lit(False)), (Mask((0, 3)), Lit(None), Lit(False))], grad=False),
    S("any", lambda m, d, k: gb.any(m, d, k) if d is not None else gb.any(m), lambda m, d, k: torch.any(m, d, k) if d is not None else torch.any(m), [(Mask((3, 4)), Lit(None), Lit(False)), (Mask((3, 4)), Lit(-1), Lit(False)), (Mask((2, 3, 4)), Lit((1, 2)), Lit(True)), (Mask((0, 3)), Lit(None), Lit(False))], grad=False),
    S("all_float", lambda a, d: a.all(d), lambda a, d: a.all(d), [((3, 4), Lit(1)), ((2, 0), Lit(1))], grad=False),
]

# --- shape -------------------------------------------------------------------------------------
SHAPE = [
    S("reshape", lambda a, s: a.reshape(s), lambda a, s: a.reshape(s), [((3, 4), Lit((2, -1))), ((2, 1, 3), Lit((3, 2))), ((), Lit((1, 1))), ((0, 3), Lit((3, 0))), ((3, 4), Lit((-1,))), ((1,), Lit(()))]),
    S("reshape_varargs", lambda a: a.reshape(4, 1, -1), lambda a: a.reshape(4, 1, -1), [((3, 4),), ((2, 6),)]),
    S("reshape_of_transpose", lambda a: gb.reshape(a.T, (-1,)), lambda a: torch.reshape(a.T, (-1,)), [((3, 4),), ((2, 1, 3),)]),
    S("view", lambda a, s: a.view(s), lambda a, s: a.view(s), [((3, 4), Lit((2, 6))), ((2, 1, 3), Lit((-1,))), ((), Lit((1,))), ((0, 3), Lit((3, 0, 1)))], noncontiguous=False),
    S("view_varargs", lambda a: a.view(2, -1, 3), lambda a: a.view(2, -1, 3), [((3, 4),)], noncontiguous=False),
    S("view_as", lambda a, b: a.view_as(b), lambda a, b: a.view_as(b), [((3, 4), NonGrad((6, 2)))], noncontiguous=False),
    S("flatten", lambda a, s, e: a.flatten(s, e), lambda a, s, e: a.flatten(s, e), [((2, 3, 4), Lit(0), Lit(-1)), ((2, 3, 4), Lit(1), Lit(2)), ((), Lit(0), Lit(-1)), ((0, 3, 2), Lit(1), Lit(2)), ((2, 1, 3), Lit(-2), Lit(-1)), ((2, 3), Lit(1), Lit(1))]),
    S("unflatten", lambda a, d, s: a.unflatten(d, s), lambda a, d, s: a.unflatten(d, s), [((3, 4), Lit(1), Lit((2, 2))), ((3, 4), Lit(-1), Lit((-1, 2))), ((0, 6), Lit(1), Lit((2, 3))), ((6,), Lit(0), Lit((1, 6, 1)))]),
    S("squeeze", lambda a, d: a.squeeze() if d is None else a.squeeze(d), lambda a, d: a.squeeze() if d is None else a.squeeze(d), [((1, 3, 1), Lit(None)), ((1, 3, 1), Lit((0, 2))), ((1, 3, 1), Lit(-1)), ((1, 3, 1), Lit((0, 1))), ((), Lit(0)), ((0, 1), Lit(1)), ((2, 3), Lit(None))]),
    S("unsqueeze", lambda a, d: gb.unsqueeze(a, d), lambda a, d: torch.unsqueeze(a, d), [((3, 4), Lit(0)), ((3, 4), Lit(-1)), ((), Lit(0)), ((0, 3), Lit(1)), ((3, 4), Lit(-2))]),
    S("permute", lambda a, d: gb.permute(a, d), lambda a, d: torch.permute(a, d), [((2, 3, 4), Lit((2, 0, 1))), ((3, 4), Lit((-1, 0))), ((), Lit(())), ((0, 3, 1), Lit((1, 2, 0)))]),
    S("permute_varargs", lambda a: a.permute(2, 0, 1), lambda a: a.permute(2, 0, 1), [((2, 3, 4),), ((1, 0, 2),)]),
    S("transpose", lambda a, i, j: a.transpose(i, j), lambda a, i, j: a.transpose(i, j), [((2, 3, 4), Lit(0), Lit(-1)), ((3, 4), Lit(1), Lit(0)), ((), Lit(0), Lit(-1)), ((0, 3), Lit(0), Lit(1)), ((3, 4), Lit(1), Lit(1))]),
    S("T_mT", lambda a: a.T + a.mT, lambda a: a.mT + a.mT, [((3, 4),), ((4, 4),)]),
    S("movedim", lambda a, s, d: gb.movedim(a, s, d), lambda a, s, d: torch.movedim(a, s, d), [((2, 3, 4), Lit(0), Lit(-1)), ((2, 3, 4), Lit((0, 1)), Lit((2, 0))), ((), Lit(0), Lit(0)), ((0, 3, 2), Lit(2), Lit(0)), ((2, 3, 4, 5), Lit((3, 0)), Lit((1, 2)))]),
    S("expand", lambda a, s: a.expand(s), lambda a, s: a.expand(s), [((3, 1), Lit((2, 3, 5))), ((3, 1), Lit((-1, 4))), ((), Lit((2, 3))), ((1, 3), Lit((0, 3))), ((2, 1, 3), Lit((4, 2, 2, -1))), ((3, 4), Lit((3, 4)))]),
    S("expand_varargs", lambda a: a.expand(2, -1, 4) * 1.5, lambda a: a.expand(2, -1, 4) * 1.5, [((3, 1),), ((1, 4),)]),
    S("expand_as", lambda a, b: a.expand_as(b), lambda a, b: a.expand_as(b), [((3, 1), NonGrad((2, 3, 4)))]),
    S("repeat", lambda a, r: a.repeat(r), lambda a, r: a.repeat(r), [((3, 4), Lit((2, 1))), ((2, 1, 3), Lit((2, 1, 3, 2))), ((), Lit((2, 3))), ((0, 3), Lit((2, 2))), ((3, 4), Lit((0, 1))), ((), Lit(()))]),
    S("repeat_varargs", lambda a: a.repeat(2, 1, 3), lambda a: a.repeat(2, 1, 3), [((3, 4),), ((2,),)]),
    S("contiguous", lambda a: a.T.contiguous(), lambda a: a.T.contiguous(), [((3, 4),), ((),), ((0, 3),), ((2, 3, 4),)]),
    S("cat", lambda a, b, d: gb.cat([a, b], d), lambda a, b, d: torch.cat([a, b], d), [((3, 4), (3, 2), Lit(1)), ((3, 4), (2, 4), Lit(-2)), ((0, 4), (3, 4), Lit(0)), ((3, 4), (0,), Lit(0)), ((2, 1, 3), (2, 1, 3), Lit(1)), ((0,), (0,), Lit(0)), ((2, 3), (2, 0), Lit(-1))]),
    S("cat_three", lambda a, b, c: gb.cat((a, b, c), dim=1), lambda a, b, c: torch.cat((a, b, c), dim=1), [((2, 1), (2, 3), (2, 2))]),
    S("cat_promote", lambda a, b: gb.cat([a, b.double()]), lambda a, b: torch.cat([a, b.double()]), [((2, 3), (1, 3))]),
    S("cat_nongrad", lambda a, b: gb.cat([b, a], 0), lambda a, b: torch.cat([b, a], 0), [((2, 3), NonGrad((1, 3)))]),
    S("stack", lambda a, b, d: gb.stack([a, b], d), lambda a, b, d: torch.stack([a, b], d), [((3, 4), (3, 4), Lit(0)), ((3, 4), (3, 4), Lit(-1)), ((3, 4), (3, 4), Lit(1)), ((), (), Lit(0)), ((0, 3), (0, 3), Lit(1)), ((2, 1, 3), (2, 1, 3), Lit(-4))]),
    S("stack_three", lambda a, b, c: gb.stack((a, b, c.double()), dim=1), lambda a, b, c: torch.stack((a, b, c.double()), dim=1), [((2, 3), (2, 3), (2, 3))]),
    S("split", lambda a, s, d: gb.split(a, s, d), lambda a, s, d: torch.split(a, s, d), [((5, 4), Lit(2), Lit(0)), ((3, 4), Lit([1, 3]), Lit(1)), ((3, 4), Lit(5), Lit(-1)), ((0, 3), Lit(0), Lit(0)), ((3, 4), Lit((0, 4)), Lit(1)), ((0, 3), Lit(2), Lit(0)), ((2, 6), Lit(3), Lit(1))]),
    S("chunk", lambda a, c, d: a.chunk(c, d), lambda a, c, d: a.chunk(c, d), [((6, 3), Lit(4), Lit(0)), ((5, 2), Lit(4), Lit(0)), ((3, 10), Lit(4), Lit(1)), ((0, 3), Lit(3), Lit(0)), ((3, 4), Lit(1), Lit(-1)), ((3, 4), Lit(8), Lit(1))]),
    S("unbind", lambda a, d: gb.unbind(a, d), lambda a, d: torch.unbind(a, d), [((3, 4), Lit(0)), ((3, 4), Lit(-1)), ((2, 0, 3), Lit(1)), ((2, 1, 3), Lit(1))]),
    S("narrow", lambda a, d, s, n: gb.narrow(a, d, s, n), lambda a, d, s, n: torch.narrow(a, d, s, n), [((3, 4), Lit(1), Lit(1), Lit(2)), ((3, 4), Lit(0), Lit(-2), Lit(2)), ((3, 4), Lit(1), Lit(4), Lit(0)), ((2, 3, 4), Lit(-1), Lit(0), Lit(4))]),
    S("flip", lambda a, d: gb.flip(a, d), lambda a, d: torch.flip(a, d), [((3, 4), Lit((0, 1))), ((2, 3, 4), Lit((-1,))), ((), Lit((0,))), ((0, 3), Lit((1,))), ((3, 4), Lit(())), ((2, 3, 4), Lit((2, 0)))]),
    S("tril", lambda a, k: a.tril(k), lambda a, k: a.tril(k), [((4, 4), Lit(0)), ((3, 5), Lit(1)), ((2, 3, 4), Lit(-1)), ((0, 3), Lit(0)), ((3, 4), Lit(-5)), ((3, 4), Lit(7))]),
    S("triu", lambda a, k: gb.triu(a, k), lambda a, k: torch.triu(a, k), [((4, 4), Lit(0)), ((3, 5), Lit(-1)), ((2, 3, 4), Lit(2)), ((2, 0, 3), Lit(0))]),
    S("pad", lambda a, p, v: F.pad(a, p, value=v), lambda a, p, v: TF.pad(a, p, value=v), [((3, 4), Lit((1, 2)), Lit(0.0)), ((2, 3, 4), Lit((1, 0, 2, 1, 0, 3)), Lit(1.5)), ((3, 4), Lit((-1, -1)), Lit(0)), ((3, 4), Lit((2, -1, -1, 1)), Lit(0)), ((0, 3), Lit((1, 1)), Lit(0)), ((), Lit(()), Lit(0)), ((3, 4), Lit((-3, -1)), Lit(2.0)), ((2, 3), Lit((0, 0, 0, 0)), Lit(0))]),
    S("pad_reflect", lambda a, p: F.pad(a, p, mode="reflect"), lambda a, p: TF.pad(a, p, mode="reflect"), [((2, 3, 5), Lit((2, 1))), ((3, 5), Lit((4, 4))), ((2, 3, 4, 5), Lit((1, 2, 3, 0))), ((1, 2, 3, 4), Lit((1, 1, 2, 2))), ((1, 2, 3, 4, 3), Lit((2, 0, 1, 3, 1, 1))), ((2, 4, 3), Lit((1, 2, 3, 0))), ((2, 3, 5), Lit((-1, 2))), ((0, 3, 4), Lit((1, 1)))]),
    S("pad_replicate", lambda a, p: F.pad(a, p, mode="replicate"), lambda a, p: TF.pad(a, p, mode="replicate"), [((2, 3, 5), Lit((3, 1))), ((2, 3, 4, 5), Lit((1, 6, 0, 2))), ((1, 2, 3, 4, 3), Lit((2, 0, 1, 3, 1, 1))), ((3, 4), Lit((-2, 3))), ((0, 3, 4), Lit((1, 1)))]),
    S("pad_circular", lambda a, p: F.pad(a, p, mode="circular"), lambda a, p: TF.pad(a, p, mode="circular"), [((2, 3, 5), Lit((3, 1))), ((2, 3, 4, 5), Lit((1, 5, 0, 2))), ((1, 2, 3, 4, 3), Lit((2, 0, 1, 3, 1, 1))), ((2, 3, 5), Lit((-1, 2))), ((2, 3, 5), Lit((-2, -1))), ((0, 3, 4), Lit((1, 1)))]),
]

# --- index -------------------------------------------------------------------------------------
INDEX = [
    S("getitem_slice", lambda a: a[1:3, ::2], lambda a: a[1:3, ::2], [((4, 5),), ((3, 1, 2),), ((0, 3),)]),
    S("getitem_int", lambda a: a[-1], lambda a: a[-1], [((3, 4),), ((2, 1, 3),), ((5,),)]),
    S("getitem_none_ellipsis", lambda a: a[..., None, 0], lambda a: a[..., None, 0], [((2, 3, 4),), ((3,),), ((0, 2),)]),
    S("getitem_0d", lambda a: a[None, ...], lambda a: a[None, ...], [((),), ((2, 3),)]),
    S("getitem_neg_slice", lambda a: a[-3:-1, 1:], lambda a: a[-3:-1, 1:], [((4, 5),), ((2, 1),)]),
    S("getitem_idx_dup", lambda a, i: a[i], lambda a, i: a[i], [((4, 3), Idx((9,), 4)), ((5,), Idx((2, 6), 5)), ((3, 2, 2), Idx((0,), 3))]),
    S("getitem_idx_dim1", lambda a, i: a[:, i], lambda a, i: a[:, i], [((3, 4), Idx((7,), 4)), ((2, 5, 3), Idx((2, 2), 5))]),
    S("getitem_idx_pair", lambda a, i, j: a[i, j], lambda a, i, j: a[i, j], [((4, 5), Idx((8,), 4), Idx((8,), 5)), ((3, 4, 2), Idx((2, 1), 3), Idx((5,), 4))]),
    S("getitem_idx_split", lambda a, i, j: a[i, :, j], lambda a, i, j: a[i, :, j], [((3, 4, 5), Idx((6,), 3), Idx((6,), 5)), ((2, 3, 4), Idx((3, 1), 2), Idx((1, 2), 4))]),
    S("getitem_idx_mixed", lambda a, i: a[1:, i, None, -1], lambda a, i: a[1:, i, None, -1], [((3, 4, 5), Idx((6,), 4))]),
    S("getitem_idx_int_between", lambda a, i: a[:, i, :, 0], lambda a, i: a[:, i, :, 0], [((2, 3, 4, 2), Idx((5,), 3)), ((2, 3, 1, 2), Idx((2, 2), 3))]),
    S("getitem_int_mask", lambda a, m: a[0, :, m], lambda a, m: a[0, :, m], [((2, 3, 4), Mask((4,)))]),
    S("getitem_list", lambda a: a[[0, 2, 0, -1]], lambda a: a[[0, 2, 0, -1]], [((3, 4),), ((4,),)]),
    S("getitem_mask", lambda a, m: a[m], lambda a, m: a[m], [((3, 4), Mask((3, 4))), ((3, 4), Mask((3,))), ((2, 3, 2), Mask((2, 3))), ((0, 2), Mask((0, 2)))]),
    S("getitem_mask_dim1", lambda a, m: a[:, m], lambda a, m: a[:, m], [((3, 4), Mask((4,))), ((2, 5, 3), Mask((5, 3)))]),
    S("getitem_bool_scalar", lambda a: a[True, [0, 0]], lambda a: a[True, [0, 0]], [((2, 3),)]),
    S("gather", lambda a, i: gb.gather(a, 1, i), lambda a, i: torch.gather(a, 1, i), [((3, 5), Idx((3, 7), 5)), ((4, 3), Idx((2, 2), 3)), ((2, 3, 4), Idx((2, 3, 1), 3)), ((3, 4), Idx((3, 0), 4))]),
    S("gather_neg_dim", lambda a, i: a.gather(-1, i), lambda a, i: a.gather(-1, i), [((2, 3, 4), Idx((2, 3, 6), 4)), ((5,), Idx((8,), 5)), ((), Idx((), 1))]),
    S("gather_dim0", lambda a, i: gb.gather(a, 0, i), lambda a, i: torch.gather(a, 0, i), [((3, 4), Idx((6, 2), 3)), ((3, 1), Idx((2, 1), 3))]),
    S("scatter_add", lambda a, i, s: a.scatter_add(0, i, s), lambda a, i, s: a.scatter_add(0, i, s), [((3, 4), Idx((6, 4), 3), (6, 4)), ((3, 4), Idx((2, 3), 3), (2, 3)), ((2, 3, 2), Idx((4, 3, 1), 2), (4, 3, 1)), ((3,), Idx((0,), 3), (0,))]),
    S("scatter_add_dim1", lambda a, i, s: gb.scatter_add(a, -1, i, s), lambda a, i, s: torch.scatter_add(a, -1, i, s), [((3, 4), Idx((3, 9), 4), (3, 9)), ((2, 1), Idx((1, 5), 1), (1, 5))]),
    S("scatter", lambda a, s: gb.scatter(a, 1, gb.tensor([[2, 0], [1, 3]]), s), lambda a, s: torch.scatter(a, 1, torch.tensor([[2, 0], [1, 3]]), s), [((2, 4), (2, 2)), ((3, 5), (2, 2))]),
    S("scatter_value", lambda a: a.scatter(0, gb.tensor([[2, 0, 2]]), 1.5), lambda a: a.scatter(0, torch.tensor([[2, 0, 2]]), 1.5), [((3, 3),), ((4, 5),)]),
    S("index_select", lambda a, i: gb.index_select(a, 0, i), lambda a, i: torch.index_select(a, 0, i), [((4, 3), Idx((9,), 4)), ((5,), Idx((3,), 5)), ((3, 2), Idx((), 3)), ((3, 2), Idx((0,), 3))]),
    S("index_select_neg_dim", lambda a, i: a.index_select(-2, i), lambda a, i: a.index_select(-2, i), [((2, 4, 3), Idx((7,), 4)), ((4, 1), Idx((5,), 4))]),
    S("index_add", lambda a, i, s: a.index_add(0, i, s), lambda a, i, s: a.index_add(0, i, s), [((4, 3), Idx((9,), 4), (9, 3)), ((5,), Idx((3,), 5), (3,)), ((3, 2), Idx((0,), 3), (0, 2))]),
    S("index_add_alpha", lambda a, i, s: gb.index_add(a, 1, i, s, alpha=-0.5), lambda a, i, s: torch.index_add(a, 1, i, s, alpha=-0.5), [((2, 4, 3), Idx((6,), 4), (2, 6, 3)), ((3, 40), Idx((90,), 40), (3, 90))]),
    S("index_add_wide", lambda a, i, s: a.index_add(0, i, s), lambda a, i, s: a.index_add(0, i, s), [((6, 20), Idx((50,), 6), (50, 20))]),
    S("take_along_dim", lambda a, i: gb.take_along_dim(a, i, 1), lambda a, i: torch.take_along_dim(a, i, 1), [((3, 4), Idx((3, 6), 4)), ((3, 4, 1), Idx((1, 2, 5), 4)), ((1, 4), Idx((3, 2), 4))]),
    S("take_along_dim_flat", lambda a, i: gb.take_along_dim(a, i), lambda a, i: torch.take_along_dim(a, i), [((3, 4), Idx((9,), 12)), ((5,), Idx((2, 3), 5))]),
    S("masked_select", gb.masked_select, torch.masked_select, [((3, 4), Mask((3, 4))), ((4,), Mask((3, 4))), ((3, 1), Mask((3, 4))), ((), Mask((2,))), ((0, 3), Mask((3,)))]),
    S("one_hot", lambda i: F.one_hot(i, 6), lambda i: TF.one_hot(i, 6), [(Idx((5,), 6),), (Idx((2, 3), 6),), (Idx((), 6),), (Idx((0,), 6),)], grad=False),
    S("one_hot_infer", F.one_hot, TF.one_hot, [(Idx((7,), 4),), (Idx((2, 3), 5),)], grad=False),
]

# --- linalg ------------------------------------------------------------------------------------
LINALG = [
    S("matmul", gb.matmul, torch.matmul, [((4, 2, 3), (3, 5)), ((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((2, 1, 2, 3), (5, 3, 4)), ((1, 2, 3), (5, 3, 1)), ((5, 2, 3), (3,)), ((3,), (2, 3, 4)), ((0, 3), (3, 4)), ((2, 0), (0, 4)), ((2, 2, 3), (2, 3, 0)), ((2, 3, 0), (0, 4)), ((0, 3), (2, 3, 4))]),
    S("matmul_op", lambda a, b: a @ b, lambda a, b: a @ b, [((3, 4), (4, 2)), ((2, 1, 1, 3), (4, 3, 2))]),
    S("mm", gb.mm, torch.mm, [((3, 4), (4, 5)), ((1, 4), (4, 1)), ((3, 0), (0, 2))]),
    S("bmm", gb.bmm, torch.bmm, [((2, 3, 4), (2, 4, 5)), ((1, 1, 4), (1, 4, 2)), ((0, 2, 3), (0, 3, 4))]),
    S("dot", gb.dot, torch.dot, [((5,), (5,)), ((1,), (1,)), ((0,), (0,))]),
    S("outer", gb.outer, torch.outer, [((3,), (4,)), ((1,), (5,)), ((0,), (2,))]),
    S("einsum_mm", lambda a, b: gb.einsum("ij,jk->ik", a, b), lambda a, b: torch.einsum("ij,jk->ik", a, b), [((2, 3), (3, 4)), ((2, 1), (4, 5)), ((0, 3), (3, 2))]),
    S("einsum_bmm", lambda a, b: gb.einsum("bij,bkj->bik", a, b), lambda a, b: torch.einsum("bij,bkj->bik", a, b), [((2, 3, 4), (2, 5, 4)), ((1, 3, 4), (2, 5, 4))]),
    S("einsum_attn", lambda a, b: gb.einsum("bhqd,bhkd->bhqk", a, b), lambda a, b: torch.einsum("bhqd,bhkd->bhqk", a, b), [((2, 2, 3, 4), (2, 2, 5, 4))]),
    S("einsum_transpose", lambda a: gb.einsum("ijk->kij", a), lambda a: torch.einsum("ijk->kij", a), [((2, 3, 4),), ((1, 3, 1),)]),
    S("einsum_outer", lambda a, b: gb.einsum("i,j->ij", a, b), lambda a, b: torch.einsum("i,j->ij", a, b), [((3,), (4,))]),
    S("einsum_sum", lambda a: gb.einsum("ij->j", a), lambda a: torch.einsum("ij->j", a), [((3, 4),), ((0, 2),)]),
    S("einsum_full_sum", lambda a: gb.einsum("ijk->", a), lambda a: torch.einsum("ijk->", a), [((2, 3, 4),)]),
    S("einsum_trace", lambda a: gb.einsum("ii", a), lambda a: torch.einsum("ii", a), [((3, 3),)]),
    S("einsum_diag", lambda a: gb.einsum("iji->ij", a), lambda a: torch.einsum("iji->ij", a), [((3, 2, 3),)]),
    S("einsum_ellipsis", lambda a, b: gb.einsum("...ij,...jk->...ik", a, b), lambda a, b: torch.einsum("...ij,...jk->...ik", a, b), [((2, 1, 2, 3), (4, 3, 2)), ((2, 3), (3, 2))]),
    S("einsum_ellipsis_sum", lambda a: gb.einsum("...ij->ij", a), lambda a: torch.einsum("...ij->ij", a), [((2, 3, 4),), ((3, 4),)]),
    S("einsum_implicit", lambda a, b: gb.einsum("bj,jA", a, b), lambda a, b: torch.einsum("bj,jA", a, b), [((2, 3), (3, 4))]),
    S("einsum_three", lambda a, b, c: gb.einsum("ij,jk,kl->il", a, b, c), lambda a, b, c: torch.einsum("ij,jk,kl->il", a, b, c), [((2, 3), (3, 4), (4, 2))]),
    S("einsum_hadamard_bcast", lambda a, b: gb.einsum("ij,ij->i", a, b), lambda a, b: torch.einsum("ij,ij->i", a, b), [((3, 4), (1, 4)), ((3, 1), (3, 4))]),
    S("einsum_scalar", lambda a, b: gb.einsum(",i->i", a, b), lambda a, b: torch.einsum(",i->i", a, b), [((), (4,))]),
]

# --- conv / pool ----------------------------------------------------------------------------------
CONV = []

# --- fused network ops and losses ------------------------------------------------------------
NN = [
    # linear: leading dims, 1-D input, 1-D weight, no bias, empty batch, constant weight
    S("linear", F.linear, TF.linear, [((4, 5), (3, 5), (3,)), ((2, 3, 5), (4, 5), (4,)), ((5,), (3, 5), (3,)), ((4, 5), (3, 5)), ((2, 0, 5), (3, 5), (3,)), ((4, 5), (5,))]),
    S("linear_const_weight", F.linear, TF.linear, [((4, 5), NonGrad((3, 5)), NonGrad((3,))), (NonGrad((4, 5)), (3, 5), (3,))]),
    # dropout is random: here only its identity cases; tests/ops/test_fused.py checks the rest
    S("dropout_eval", lambda x: F.dropout(x, 0.3, training=False), lambda x: TF.dropout(x, 0.3, training=False), [((3, 4),), ((),)]),
    S("dropout_p0", lambda x: F.dropout(x, 0.0), lambda x: TF.dropout(x, 0.0), [((3, 4),)]),
    S("dropout2d_eval", lambda x: F.dropout2d(x, 0.5, training=False), lambda x: TF.dropout2d(x, 0.5, training=False), [((2, 3, 4, 4),)]),
    S("sdpa_dropout_p0", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, dropout_p=0.0), lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, dropout_p=0.0), [((2, 3, 4), (2, 5, 4), (2, 5, 3))]),
    # embedding: repeated indices, 0-d indices, padding rows (also negative), the np.add.at path
    S("embedding", F.embedding, TF.embedding, [(Idx((4, 3), 6), (6, 5)), (Idx((7,), 3), (3, 2)), (Idx((), 4), (4, 3))]),
    # the padding row's zero gradient is by design, not the derivative: torch parity only
    S("embedding_padding", lambda i, w: F.embedding(i, w, padding_idx=1), lambda i, w: TF.embedding(i, w, padding_idx=1), [(Idx((5, 4), 3), (3, 4))], gradcheck=False),
    S("embedding_padding_neg", lambda i, w: F.embedding(i, w, padding_idx=-1), lambda i, w: TF.embedding(i, w, padding_idx=-1), [(Idx((9,), 3), (3, 2))], gradcheck=False),
    S("embedding_big_table", F.embedding, TF.embedding, [(Idx((700,), 900), (900, 3))], gradcheck=False),
    # scaled dot-product attention: batch dims (broadcasting), causal (L = S, L < S, L > S),
    # bool masks (fully masked rows give zeros), float masks (with gradient), scale
    S("sdpa", F.scaled_dot_product_attention, TF.scaled_dot_product_attention, [((2, 3, 4), (2, 5, 4), (2, 5, 3)), ((1, 2, 3, 4), (1, 2, 3, 4), (1, 2, 3, 4)), ((3, 4), (5, 4), (5, 2)), ((2, 2, 3, 4), (2, 5, 4), (1, 2, 5, 3))]),
    S("sdpa_causal", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, is_causal=True), [((2, 2, 4, 3), (2, 2, 4, 3), (2, 2, 4, 3)), ((3, 4), (5, 4), (5, 2)), ((5, 4), (3, 4), (3, 2))]),
    S("sdpa_bool_mask", lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m), lambda q, k, v, m: TF.scaled_dot_product_attention(q, k, v, attn_mask=m), [((2, 4, 3), (2, 5, 3), (2, 5, 2), Mask((4, 5))), ((2, 2, 3, 3), (2, 2, 3, 3), (2, 2, 3, 3), Mask((2, 1, 3, 3)))]),
    S("sdpa_float_mask", lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m), lambda q, k, v, m: TF.scaled_dot_product_attention(q, k, v, attn_mask=m), [((2, 4, 3), (2, 5, 3), (2, 5, 2), (4, 5)), ((2, 4, 3), (2, 5, 3), (2, 5, 2), NonGrad((2, 1, 5))), ((4, 3), (5, 3), (5, 2), (1, 5))]),
    S("sdpa_scale", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, scale=0.3), lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, scale=0.3), [((2, 3, 4), (2, 5, 4), (2, 5, 3))]),
    S("sdpa_const_kv", F.scaled_dot_product_attention, TF.scaled_dot_product_attention, [((2, 3, 4), NonGrad((2, 5, 4)), NonGrad((2, 5, 3))), (NonGrad((2, 3, 4)), NonGrad((2, 5, 4)), (2, 5, 3))]),
    # cosine similarity and normalize
    S("cosine_similarity", F.cosine_similarity, TF.cosine_similarity, [((3, 5), (3, 5)), ((2, 4, 3), (2, 4, 3)), ((4, 3), (3,))]),
    S("cosine_similarity_dim", lambda a, b: F.cosine_similarity(a, b, dim=-1), lambda a, b: TF.cosine_similarity(a, b, dim=-1), [((4, 1, 3), (2, 3)), ((2, 3, 4), (2, 3, 4)), ((5,), (5,))]),
    # eps above some norms: torch's clamp is invisible to the gradient, so no finite differences
    S("cosine_similarity_eps", lambda a, b: F.cosine_similarity(a, b, eps=0.5), lambda a, b: TF.cosine_similarity(a, b, eps=0.5), [((6, 3), (6, 3))], low=-0.4, high=0.4, gradcheck=False),
    S("normalize", F.normalize, TF.normalize, [((3, 4),), ((2, 3, 4),), ((5, 1),)]),
    S("normalize_p", lambda x: F.normalize(x, p=1.0, dim=0), lambda x: TF.normalize(x, p=1.0, dim=0), [((3, 4),)]),
    S("normalize_p3", lambda x: F.normalize(x, p=3, dim=-1), lambda x: TF.normalize(x, p=3, dim=-1), [((3, 4),)], low=0.2),
    S("normalize_inf", lambda x: F.normalize(x, p=float("inf"), dim=1), lambda x: TF.normalize(x, p=float("inf"), dim=1), [((3, 4),)]),
    S("normalize_eps_clamps", lambda x: F.normalize(x, eps=1.0), lambda x: TF.normalize(x, eps=1.0), [((4, 3),)], low=-0.4, high=0.4),
    # layer norm: one and several normalised dims, with and without weight/bias
    S("layer_norm", lambda x, w, b: F.layer_norm(x, w.shape, w, b), lambda x, w, b: TF.layer_norm(x, w.shape, w, b), [((4, 6), (6,), (6,)), ((2, 3, 4, 5), (4, 5), (4, 5)), ((3, 2, 4), (2, 4), (2, 4)), ((5,), (5,), (5,))]),
    S("layer_norm_plain", lambda x: F.layer_norm(x, 5, eps=1e-3), lambda x: TF.layer_norm(x, (5,), eps=1e-3), [((3, 5),), ((2, 2, 5),)]),
    S("layer_norm_weight_only", lambda x, w: F.layer_norm(x, (4,), w), lambda x, w: TF.layer_norm(x, (4,), w), [((3, 4), (4,))]),
    S("layer_norm_bias_only", lambda x, b: F.layer_norm(x, (2, 4), bias=b), lambda x, b: TF.layer_norm(x, (2, 4), bias=b), [((3, 2, 4), (2, 4))]),
    # batch norm: training (batch stats) and eval (running stats) on (N,C), (N,C,L), (N,C,H,W)
    S("batch_norm_train", lambda x, rm, rv, w, b: F.batch_norm(x, rm, rv, w, b, training=True), lambda x, rm, rv, w, b: TF.batch_norm(x, rm, rv, w, b, training=True), [((6, 3), NonGrad((3,)), NonGrad((3,)), (3,), (3,)), ((4, 3, 5), NonGrad((3,)), NonGrad((3,)), (3,), (3,)), ((2, 3, 3, 4), NonGrad((3,)), NonGrad((3,)), (3,), (3,))]),
    S("batch_norm_train_no_stats", lambda x: F.batch_norm(x, None, None, training=True, eps=1e-3), lambda x: TF.batch_norm(x, None, None, training=True, eps=1e-3), [((5, 4),), ((2, 2, 3, 3),)]),
    S("batch_norm_train_weight_only", lambda x, w: F.batch_norm(x, None, None, w, training=True), lambda x, w: TF.batch_norm(x, None, None, w, training=True), [((4, 2, 3), (2,))]),
    S("batch_norm_eval", lambda x, rm, rv, w, b: F.batch_norm(x, rm, rv.abs() + 0.5, w, b), lambda x, rm, rv, w, b: TF.batch_norm(x, rm, rv.abs() + 0.5, w, b), [((6, 3), NonGrad((3,)), NonGrad((3,)), (3,), (3,)), ((4, 3, 5), NonGrad((3,)), NonGrad((3,)), (3,), (3,)), ((2, 3, 3, 4), NonGrad((3,)), NonGrad((3,)), (3,), (3,))]),
    S("batch_norm_eval_plain", lambda x, rm, rv: F.batch_norm(x, rm, rv.abs() + 0.5), lambda x, rm, rv: TF.batch_norm(x, rm, rv.abs() + 0.5), [((2, 3, 2, 2), NonGrad((3,)), NonGrad((3,)))]),
    # group norm
    S("group_norm", lambda x, w, b: F.group_norm(x, 3, w, b), lambda x, w, b: TF.group_norm(x, 3, w, b), [((2, 6, 5), (6,), (6,)), ((2, 3, 2, 3), (3,), (3,)), ((4, 6), (6,), (6,))]),
    S("group_norm_plain", lambda x: F.group_norm(x, 2, eps=1e-3), lambda x: TF.group_norm(x, 2, eps=1e-3), [((2, 4, 3),), ((3, 2, 2, 2),)]),
    S("group_norm_one_group", lambda x, w: F.group_norm(x, 1, w), lambda x, w: TF.group_norm(x, 1, w), [((2, 4, 3), (4,))]),
    # cross entropy, class indices: (N,C), (C,), (N,C,d1), (N,C,d1,d2); weights (kept positive),
    # ignore_index, reductions, label smoothing (alone and with weights / ignore_index)
    S("cross_entropy", F.cross_entropy, TF.cross_entropy, [((5, 4), Idx((5,), 4)), ((4,), Idx((), 4)), ((3, 4, 5), Idx((3, 5), 4)), ((2, 3, 2, 2), Idx((2, 2, 2), 3)), ((0, 3), Idx((0,), 3))], low=-3, high=3),
    S("cross_entropy_weight", lambda x, t, w: F.cross_entropy(x, t, w.abs() + 0.5), lambda x, t, w: TF.cross_entropy(x, t, w.abs() + 0.5), [((5, 4), Idx((5,), 4), NonGrad((4,))), ((3, 4, 5), Idx((3, 5), 4), NonGrad((4,)))]),
    S("cross_entropy_ignore", lambda x, t: F.cross_entropy(x, t, ignore_index=1), lambda x, t: TF.cross_entropy(x, t, ignore_index=1), [((8, 3), Idx((8,), 3)), ((2, 3, 4), Idx((2, 4), 3))]),
    S("cross_entropy_sum", lambda x, t: F.cross_entropy(x, t, reduction="sum"), lambda x, t: TF.cross_entropy(x, t, reduction="sum"), [((5, 4), Idx((5,), 4))]),
    S("cross_entropy_none", lambda x, t: F.cross_entropy(x, t, reduction="none", ignore_index=0), lambda x, t: TF.cross_entropy(x, t, reduction="none", ignore_index=0), [((5, 4), Idx((5,), 4)), ((2, 3, 4), Idx((2, 4), 3)), ((4,), Idx((), 4))]),
    S("cross_entropy_smoothing", lambda x, t: F.cross_entropy(x, t, label_smoothing=0.2), lambda x, t: TF.cross_entropy(x, t, label_smoothing=0.2), [((5, 4), Idx((5,), 4)), ((2, 3, 4), Idx((2, 4), 3))]),
    S("cross_entropy_smoothing_weight_ignore", lambda x, t, w: F.cross_entropy(x, t, w.abs() + 0.5, ignore_index=2, label_smoothing=0.1), lambda x, t, w: TF.cross_entropy(x, t, w.abs() + 0.5, ignore_index=2, label_smoothing=0.1), [((7, 4), Idx((7,), 4), NonGrad((4,))), ((2, 4, 3), Idx((2, 3), 4), NonGrad((4,)))]),
    S("cross_entropy_smoothing_none", lambda x, t, w: F.cross_entropy(x, t, w.abs() + 0.5, ignore_index=2, label_smoothing=0.3, reduction="none"), lambda x, t, w: TF.cross_entropy(x, t, w.abs() + 0.5, ignore_index=2, label_smoothing=0.3, reduction="none"), [((6, 4), Idx((6,), 4), NonGrad((4,)))]),
    S("cross_entropy_smoothing_sum", lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1, reduction="sum"), lambda x, t: TF.cross_entropy(x, t, label_smoothing=0.1, reduction="sum"), [((5, 4), Idx((5,), 4))]),
    # cross entropy, probability targets (the target gets a gradient too)
    S("cross_entropy_prob", F.cross_entropy, TF.cross_entropy, [((5, 4), (5, 4)), ((2, 3, 4), (2, 3, 4)), ((4,), (4,))], low=0.0, high=1.0),
    S("cross_entropy_prob_weight", lambda x, t, w: F.cross_entropy(x, t, w.abs() + 0.5, label_smoothing=0.2), lambda x, t, w: TF.cross_entropy(x, t, w.abs() + 0.5, label_smoothing=0.2), [((5, 4), (5, 4), NonGrad((4,))), ((2, 4, 3), (2, 4, 3), NonGrad((4,)))], low=0.0, high=1.0),
    S("cross_entropy_prob_none", lambda x, t: F.cross_entropy(x, t, reduction="none", label_smoothing=0.1), lambda x, t: TF.cross_entropy(x, t, reduction="none", label_smoothing=0.1), [((5, 4), (5, 4)), ((2, 3, 2, 2), (2, 3, 2, 2))], low=0.0, high=1.0),
    S("cross_entropy_prob_sum", lambda x, t: F.cross_entropy(x, t, reduction="sum"), lambda x, t: TF.cross_entropy(x, t, reduction="sum"), [((5, 4), NonGrad((5, 4)))], low=0.0, high=1.0),
    # nll_loss on log-probabilities
    S("nll_loss", F.nll_loss, TF.nll_loss, [((5, 4), Idx((5,), 4)), ((4,), Idx((), 4)), ((2, 3, 4), Idx((2, 4), 3))], low=-3, high=0),
    S("nll_loss_options", lambda x, t, w: F.nll_loss(x, t, w.abs() + 0.5, ignore_index=1), lambda x, t, w: TF.nll_loss(x, t, w.abs() + 0.5, ignore_index=1), [((6, 3), Idx((6,), 3), NonGrad((3,))), ((2, 3, 4), Idx((2, 4), 3), NonGrad((3,)))], low=-3, high=0),
    S("nll_loss_none", lambda x, t: F.nll_loss(x, t, reduction="none", ignore_index=0), lambda x, t: TF.nll_loss(x, t, reduction="none", ignore_index=0), [((5, 4), Idx((5,), 4)), ((2, 3, 4), Idx((2, 4), 3))], low=-3, high=0),
    S("nll_loss_sum", lambda x, t: F.nll_loss(x, t, reduction="sum"), lambda x, t: TF.nll_loss(x, t, reduction="sum"), [((5, 4), Idx((5,), 4))], low=-3, high=0),
    # regression losses, each with all three reductions
    S("mse_loss", F.mse_loss, TF.mse_loss, [((3, 4), (3, 4)), ((), ()), ((2, 3, 2), (2, 3, 2))]),
    S("mse_loss_sum", lambda a, b: F.mse_loss(a, b, reduction="sum"), lambda a, b: TF.mse_loss(a, b, reduction="sum"), [((3, 4), (3, 4))]),
    S("mse_loss_none", lambda a, b: F.mse_loss(a, b, reduction="none"), lambda a, b: TF.mse_loss(a, b, reduction="none"), [((3, 4), (3, 4)), ((0, 2), (0, 2))]),
    S("mse_loss_const_target", F.mse_loss, TF.mse_loss, [((3, 4), NonGrad((3, 4)))]),
    S("l1_loss", F.l1_loss, TF.l1_loss, [((3, 4), (3, 4)), ((), ())]),
    S("l1_loss_sum_none", lambda a, b: F.l1_loss(a, b, reduction="sum") + F.l1_loss(a, b, reduction="none").sum(), lambda a, b: TF.l1_loss(a, b, reduction="sum") + TF.l1_loss(a, b, reduction="none").sum(), [((3, 4), (3, 4))]),
    S("smooth_l1_loss", lambda a, b: F.smooth_l1_loss(a, b, beta=0.5), lambda a, b: TF.smooth_l1_loss(a, b, beta=0.5), [((4, 5), (4, 5)), ((), ())]),
    S("smooth_l1_loss_options", lambda a, b: F.smooth_l1_loss(a, b, reduction="none", beta=2.0), lambda a, b: TF.smooth_l1_loss(a, b, reduction="none", beta=2.0), [((4, 5), (4, 5))]),
    S("smooth_l1_loss_beta0", lambda a, b: F.smooth_l1_loss(a, b, reduction="sum", beta=0.0), lambda a, b: TF.smooth_l1_loss(a, b, reduction="sum", beta=0.0), [((4, 5), (4, 5))]),
    S("huber_loss", lambda a, b: F.huber_loss(a, b, delta=0.7), lambda a, b: TF.huber_loss(a, b, delta=0.7), [((4, 5), (4, 5)), ((), ())]),
    S("huber_loss_options", lambda a, b: F.huber_loss(a, b, reduction="none", delta=1.5), lambda a, b: TF.huber_loss(a, b, reduction="none", delta=1.5), [((4, 5), (4, 5))]),
    S("huber_loss_sum", lambda a, b: F.huber_loss(a, b, reduction="sum"), lambda a, b: TF.huber_loss(a, b, reduction="sum"), [((4, 5), (4, 5))]),
    # binary cross-entropy on probabilities (weights broadcast) and on logits (pos_weight)
    S("binary_cross_entropy", F.binary_cross_entropy, TF.binary_cross_entropy, [((3, 4), (3, 4)), ((), ())], low=0.05, high=0.95),
    S("binary_cross_entropy_weight", lambda x, t, w: F.binary_cross_entropy(x, t, w), lambda x, t, w: TF.binary_cross_entropy(x, t, w), [((3, 4), (3, 4), NonGrad((4,))), ((3, 4), (3, 4), NonGrad((3, 4)))], low=0.05, high=0.95),
    S("binary_cross_entropy_none_sum", lambda x, t: F.binary_cross_entropy(x, t, reduction="none").sum() + F.binary_cross_entropy(x, t, reduction="sum"), lambda x, t: TF.binary_cross_entropy(x, t, reduction="none").sum() + TF.binary_cross_entropy(x, t, reduction="sum"), [((3, 4), (3, 4))], low=0.05, high=0.95),
    S("bce_with_logits", F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, [((3, 4), (3, 4)), ((), ())], low=-4, high=4),
    S("bce_with_logits_weights", lambda x, t, w, pw: F.binary_cross_entropy_with_logits(x, t, w, pos_weight=pw.abs() + 0.5), lambda x, t, w, pw: TF.binary_cross_entropy_with_logits(x, t, w, pos_weight=pw.abs() + 0.5), [((3, 4), (3, 4), NonGrad((3, 1)), NonGrad((4,))), ((2, 3, 4), (2, 3, 4), NonGrad((4,)), NonGrad((4,)))], low=-4, high=4),
    S("bce_with_logits_pos_weight_none", lambda x, t, pw: F.binary_cross_entropy_with_logits(x, t, reduction="none", pos_weight=pw.abs() + 0.5), lambda x, t, pw: TF.binary_cross_entropy_with_logits(x, t, reduction="none", pos_weight=pw.abs() + 0.5), [((3, 4), (3, 4), NonGrad((4,)))], low=-4, high=4),
    S("bce_with_logits_sum", lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction="sum"), lambda x, t: TF.binary_cross_entropy_with_logits(x, t, reduction="sum"), [((3, 4), (3, 4))], low=-4, high=4),
    # KL divergence: 'mean' (per element) vs 'batchmean' (per sample), log_target
    S("kl_div", lambda x, t: F.kl_div(x, t, reduction="batchmean"), lambda x, t: TF.kl_div(x, t, reduction="batchmean"), [((3, 4), (3, 4)), ((2, 3, 2), (2, 3, 2)), ((), ())], low=0.1, high=2.0),
    S("kl_div_mean", lambda x, t: F.kl_div(x, t), lambda x, t: TF.kl_div(x, t), [((3, 4), (3, 4))], low=0.1, high=2.0),
    S("kl_div_sum_none", lambda x, t: F.kl_div(x, t, reduction="sum") + F.kl_div(x, t, reduction="none").sum(), lambda x, t: TF.kl_div(x, t, reduction="sum") + TF.kl_div(x, t, reduction="none").sum(), [((3, 4), (3, 4))], low=0.1, high=2.0),
    S("kl_div_log_target", lambda x, t: F.kl_div(x, t, reduction="batchmean", log_target=True), lambda x, t: TF.kl_div(x, t, reduction="batchmean", log_target=True), [((3, 4), (3, 4))]),
    S("kl_div_log_target_none", lambda x, t: F.kl_div(x, t, reduction="none", log_target=True), lambda x, t: TF.kl_div(x, t, reduction="none", log_target=True), [((3, 4), (3, 4))]),
]

SPECS = ELEMENTWISE + REDUCE + SHAPE + INDEX + LINALG + CONV + NN
