"""Reductions beyond the op table: index outputs, ties, error classes, stability at +-1e4,
prod with zeros, the norm at zero, integer/bool inputs, and no float64 upcast in the VJPs."""

import math

import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.nn.functional as F
from glassbox.ops import reduce as R


def _pair(array, requires_grad=True):
    """The same values as a glassbox and a torch tensor."""
    a = np.asarray(array)
    g = gb.tensor(a.copy(), requires_grad=requires_grad and a.dtype.kind == "f")
    t = torch.tensor(a.copy(), requires_grad=requires_grad and a.dtype.kind == "f")
    return g, t


def _grads(gb_fn, torch_fn, array, weight_seed=0):
    """Forward values and input gradients of both frameworks on `array`."""
    g, t = _pair(array)
    go, to = gb_fn(g), torch_fn(t)
    w = (
        np.random.default_rng(weight_seed)
        .standard_normal(to.shape)
        .astype(to.detach().numpy().dtype)
    )
    (go * gb.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    tg = np.zeros_like(array) if t.grad is None else t.grad.numpy()  # torch: None for p=0 norms
    return go.detach().numpy(), to.detach().numpy(), g.grad.numpy(), tg


def _assert_same(gb_fn, torch_fn, array, atol=1e-6):
    gv, tv, gg, tg = _grads(gb_fn, torch_fn, array)
    assert gv.dtype == tv.dtype and gv.shape == tv.shape
    np.testing.assert_allclose(gv, tv, atol=atol, rtol=1e-5)
    np.testing.assert_allclose(gg, tg, atol=atol, rtol=1e-5)


# --- max / min: the (values, indices) pair and ties ------------------------------------------


def test_max_dim_returns_named_values_indices_like_torch():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [5.0, -1.0, 0.0]], dtype=np.float32)
    out = gb.max(gb.tensor(x), 1)
    ref = torch.max(torch.tensor(x), 1)
    values, indices = out  # unpacks like a tuple
    assert values is out.values and indices is out.indices
    assert type(out).__name__ == "max" and type(gb.tensor(x).min(0)).__name__ == "min"
    np.testing.assert_array_equal(indices.numpy(), ref.indices.numpy())  # first of the ties
    np.testing.assert_array_equal(values.numpy(), ref.values.numpy())
    assert indices.dtype == gb.int64


@pytest.mark.parametrize("op", ["max", "min"])
def test_dim_gradient_goes_to_the_returned_index_only(op):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], dtype=np.float32)
    _assert_same(lambda t: getattr(t, op)(1).values, lambda t: getattr(t, op)(1).values, x)
    _assert_same(
        lambda t: getattr(t, op)(0, keepdim=True)[0],
        lambda t: getattr(t, op)(0, keepdim=True)[0],
        x,
    )


@pytest.mark.parametrize("op", ["max", "min"])
def test_full_max_splits_gradient_evenly_among_ties(op):
    x = np.array([[1.0, 3.0, 3.0], [-1.0, 3.0, -1.0]], dtype=np.float32)
    _gv, _tv, gg, tg = _grads(lambda t: getattr(t, op)(), lambda t: getattr(t, op)(), x)
    np.testing.assert_allclose(gg, tg)
    assert np.count_nonzero(gg) == (3 if op == "max" else 2)


@pytest.mark.parametrize("dim", [1, 0, (0, 1), ()])
def test_amax_amin_ties_share_gradient_as_torch(dim):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [3.0, 0.0, 3.0]], dtype=np.float32)
    _assert_same(lambda t: t.amax(dim), lambda t: t.amax(dim), x)
    _assert_same(lambda t: gb.amin(t, dim, True), lambda t: torch.amin(t, dim, True), x)


def test_max_propagates_nan_and_points_at_it():
    x = np.array([1.0, np.nan, 3.0, np.nan], dtype=np.float32)
    out, ref = gb.tensor(x).max(0), torch.tensor(x).max(0)
    assert np.isnan(out.values.item()) and out.indices.item() == ref.indices.item() == 1
    assert gb.tensor(x).argmax().item() == torch.tensor(x).argmax().item()
    assert np.isnan(gb.tensor(x).max().item())


def test_max_with_tensor_argument_is_elementwise_maximum():
    a, b = gb.tensor([1.0, 5.0]), gb.tensor([3.0, 2.0])
    np.testing.assert_array_equal(gb.max(a, b).numpy(), [3.0, 5.0])
    np.testing.assert_array_equal(a.min(b).numpy(), [1.0, 2.0])


def test_argmax_keepdim_without_dim_and_on_0d():
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    for args in [(None, True), (None, False), (1, True), (-1, False)]:
        got = gb.argmax(gb.tensor(x), *args)
        ref = torch.argmax(torch.tensor(x), *args)
        assert got.shape == tuple(ref.shape) and got.tolist() == ref.tolist()
    assert gb.tensor(2.0).argmax(0).item() == 0 and gb.tensor(2.0).argmin().shape == ()


# --- errors: the class torch raises, and a message naming the op ------------------------------

_E = np.zeros((0, 3), dtype=np.float32)
_X = np.arange(12, dtype=np.float32).reshape(3, 4)
_I = np.arange(6).reshape(2, 3)
_B = np.array([[True, False]])

ERROR_CASES = [
    ("max", lambda m, x: m.max(x), _E),
    ("max", lambda m, x: m.max(x, 0), _E),
    ("min", lambda m, x: m.min(x, 2), _X),
    ("amax", lambda m, x: m.amax(x), _E),
    ("amax", lambda m, x: m.amax(x, (0, 1)), _E),
    ("amin", lambda m, x: m.amin(x, 0), _E),
    ("argmax", lambda m, x: m.argmax(x), _E),
    ("argmax", lambda m, x: m.argmax(x, 0), _E),
    ("argmax", lambda m, x: m.argmax(x), _B),
    ("argmin", lambda m, x: m.argmin(x, -3), _X),
    ("var", lambda m, x: m.var(x), _I),
    ("std", lambda m, x: m.std(x, 1), _I),
    ("var", lambda m, x: m.var(x, 2), _X),
    ("var", lambda m, x: m.var(x, (0, 0)), _X),
    ("sum", lambda m, x: m.sum(x, (1, -1)), _X),
    ("sum", lambda m, x: m.sum(x, 5), _X),
    ("mean", lambda m, x: m.mean(x), _I),
    ("mean", lambda m, x: m.mean(x, -3), _X),
    ("norm", lambda m, x: m.norm(x), _I),
    ("norm", lambda m, x: m.norm(x, float("inf")), _E),
    ("norm", lambda m, x: m.norm(x, float("-inf"), 0), _E),
    ("norm", lambda m, x: m.norm(x, "fro", (0, 1, 2)), np.zeros((2, 2, 2), np.float32)),
    ("softmax", lambda m, x: m.softmax(x, 1), _I),
    ("softmax", lambda m, x: m.softmax(x, 2), _X),
    ("log_softmax", lambda m, x: m.log_softmax(x, 0), _B),
    ("logsumexp", lambda m, x: m.logsumexp(x, 2), _X),
    ("prod", lambda m, x: m.prod(x, (0, 1)), _X),
    ("prod", lambda m, x: m.prod(x, 3), _X),
    ("cumsum", lambda m, x: m.cumsum(x, 2), _X),
    ("all", lambda m, x: m.all(x, 2), _X),
    ("any", lambda m, x: m.any(x, (0, 0)), _X),
]


@pytest.mark.parametrize(
    "op,call,array", ERROR_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(ERROR_CASES)]
)
def test_error_class_matches_torch(op, call, array):
    with pytest.raises(Exception) as ref:
        call(torch, torch.tensor(array))
    with pytest.raises(Exception) as got:
        call(gb, gb.tensor(array))
    assert isinstance(got.value, type(ref.value)), (
        f"glassbox raised {type(got.value).__name__}, torch {type(ref.value).__name__}"
    )
    assert op in str(got.value)


def test_var_rejects_both_unbiased_and_correction():
    with pytest.raises(TypeError, match="var"):
        gb.var(gb.ones(3), 0, True, correction=0)


def test_empty_tuple_reduces_every_dim():
    x = gb.tensor(_X)
    assert x.sum(()).item() == 66 and x.amax(()).item() == 11
    assert gb.logsumexp(x, ()).item() == pytest.approx(
        torch.logsumexp(torch.tensor(_X), (0, 1)).item()
    )


# --- numerical stability: logits of +-1e4 --------------------------------------------------

BIG = np.array([[1e4, -1e4, 0.0, 1e4 - 1], [-1e4, -1e4 + 2, -1e4 + 1, -1e4]], dtype=np.float32)


@pytest.mark.parametrize(
    "name,gb_fn,torch_fn",
    [
        ("softmax", lambda t: gb.softmax(t, 1), lambda t: torch.softmax(t, 1)),
        ("log_softmax", lambda t: F.log_softmax(t, -1), lambda t: torch.log_softmax(t, -1)),
        ("log_softmax0", lambda t: t.log_softmax(0), lambda t: t.log_softmax(0)),
        ("logsumexp", lambda t: t.logsumexp(1), lambda t: t.logsumexp(1)),
        ("logsumexp_all", lambda t: t.logsumexp((0, 1)), lambda t: t.logsumexp((0, 1))),
    ],
)
def test_stable_and_finite_at_1e4(name, gb_fn, torch_fn):
    gv, tv, gg, tg = _grads(gb_fn, torch_fn, BIG)
    assert np.isfinite(gv).all() and np.isfinite(gg).all(), name
    assert gv.dtype == np.float32 and gg.dtype == np.float32
    np.testing.assert_allclose(gv, tv, rtol=1e-6, atol=1e-3)
    np.testing.assert_allclose(gg, tg, rtol=1e-5, atol=1e-5)


def test_logsumexp_infinities_and_empty():
    x = np.array([[np.inf, 1.0], [-np.inf, -np.inf], [-np.inf, 2.0]], dtype=np.float32)
    np.testing.assert_array_equal(
        gb.tensor(x).logsumexp(1).numpy(), torch.tensor(x).logsumexp(1).numpy()
    )
    empty = gb.zeros(0, 3).logsumexp(0)
    assert empty.shape == (3,) and np.all(empty.numpy() == -np.inf)


def test_logsumexp_of_int_and_bool_is_float32():
    for a in (_I, _B):
        got, ref = gb.tensor(a).logsumexp(1), torch.tensor(a).logsumexp(1)
        assert got.dtype == gb.float32
        np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-6)


# --- prod with zeros ---------------------------------------------------------------------------

ZEROS = [
    np.array([2.0, 0.0, 3.0]),
    np.array([0.0, 0.0, 3.0]),
    np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 1.0], [1.0, 2.0, 3.0], [0.0, -4.0, 0.5]]),
    np.zeros((2, 3)),
]


@pytest.mark.parametrize("i", range(len(ZEROS)))
@pytest.mark.parametrize("dim", [None, 0, -1])
def test_prod_gradient_with_zeros(i, dim):
    x = ZEROS[i].astype(np.float32)
    if dim is None:
        _assert_same(lambda t: t.prod(), lambda t: t.prod(), x)
    else:
        _assert_same(lambda t: t.prod(dim), lambda t: t.prod(dim), x)
    x64 = gb.tensor(ZEROS[i], dtype=gb.float64, requires_grad=True)
    assert gb.autograd.gradcheck(lambda t: t.prod() if dim is None else t.prod(dim), (x64,))


# --- norm: gradient at zero, each p ----------------------------------------------------------


@pytest.mark.parametrize("p", [2, "fro", 1, 3, 1.5, 0.5, -1, float("inf"), float("-inf"), 0])
def test_norm_gradient_at_zero_and_with_zero_entries(p):
    z = np.zeros((2, 3), dtype=np.float32)
    _gv, _tv, gg, _tg = _grads(lambda t: t.norm(p), lambda t: t.norm(p), z)
    np.testing.assert_array_equal(gg, np.zeros_like(z))  # torch: 0 at the zero vector
    partly = np.array([[0.0, 1.0, -2.0], [3.0, 0.0, 0.5]], dtype=np.float32)
    g, t = _pair(partly)
    g.norm(p, dim=1).sum().backward()
    t.norm(p, dim=1).sum().backward()
    np.testing.assert_allclose(
        g.norm(p, dim=1).detach().numpy(), t.norm(p, dim=1).detach().numpy(), rtol=1e-6
    )
    np.testing.assert_allclose(
        g.grad.numpy(),
        np.zeros_like(partly) if t.grad is None else t.grad.numpy(),
        rtol=1e-5,
        atol=1e-6,
    )


def test_norm_inf_ties_share_gradient():
    x = np.array([[-3.0, 1.0, 3.0], [2.0, -2.0, 2.0]], dtype=np.float32)
    _assert_same(lambda t: t.norm(float("inf"), dim=1), lambda t: t.norm(float("inf"), dim=1), x)


# --- std at a constant slice, var's degrees of freedom ------------------------------------------


def test_std_gradient_is_zero_where_std_is_zero():
    x = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]], dtype=np.float32)
    _assert_same(lambda t: t.std(1), lambda t: t.std(1), x)
    gv, _, gg, _ = _grads(lambda t: t.std(1), lambda t: t.std(1), x)
    assert gv[0] == 0 and np.all(gg[0] == 0)


def test_var_with_too_few_elements_is_nan_like_torch():
    one = np.array([[1.5], [2.0]], dtype=np.float32)
    gv, tv, gg, tg = _grads(lambda t: t.var(1), lambda t: t.var(1), one)
    assert np.isnan(gv).all() and np.isnan(tv).all() and np.isnan(gg).all() and np.isnan(tg).all()


@pytest.mark.parametrize("form", ["positional_unbiased", "kw_unbiased", "legacy_all"])
def test_var_std_legacy_unbiased_forms(form):
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    call = {
        "positional_unbiased": lambda m, t: m.std(t, 1, False, True),
        "kw_unbiased": lambda m, t: t.var(dim=0, unbiased=False, keepdim=True),
        "legacy_all": lambda m, t: m.var(t, False),
    }[form]
    got, ref = call(gb, gb.tensor(x)), call(torch, torch.tensor(x))
    assert got.shape == tuple(ref.shape)
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-5)


# --- integer and bool inputs -------------------------------------------------------------------

DTYPE_CASES = [
    ("sum", lambda m, t: m.sum(t)),
    ("sum_dim", lambda m, t: m.sum(t, 1)),
    ("prod", lambda m, t: m.prod(t)),
    ("prod_dim", lambda m, t: m.prod(t, 1, keepdim=True)),
    ("cumsum", lambda m, t: m.cumsum(t, 1)),
    ("max", lambda m, t: m.max(t)),
    ("max_dim", lambda m, t: m.max(t, 1)[0]),
    ("min_dim_idx", lambda m, t: m.min(t, 0)[1]),
    ("amax", lambda m, t: m.amax(t, 0)),
    ("amin", lambda m, t: m.amin(t)),
    ("all", lambda m, t: m.all(t)),
    ("any_dim", lambda m, t: m.any(t, 1)),
    ("all_dim", lambda m, t: m.all(t, (0, 1), keepdim=True)),
    ("logsumexp", lambda m, t: m.logsumexp(t, 1)),
    ("softmax_dtype", lambda m, t: m.softmax(t, 1, dtype=m.float64)),
    ("cumsum_dtype", lambda m, t: m.cumsum(t, 0, dtype=m.float32)),
    ("sum_dtype", lambda m, t: m.sum(t, dtype=m.float32)),
]
INT_INPUTS = {
    "int64": np.array([[3, -1, 0], [2, 5, 1]]),
    "int32": np.array([[3, -1, 0], [2, 5, 1]], dtype=np.int32),
    "uint8": np.array([[3, 1, 0], [2, 5, 1]], dtype=np.uint8),
    "bool": np.array([[True, False, True], [True, True, True]]),
}


@pytest.mark.parametrize("kind", list(INT_INPUTS))
@pytest.mark.parametrize("name,call", DTYPE_CASES, ids=[c[0] for c in DTYPE_CASES])
def test_integer_and_bool_inputs_match_torch(kind, name, call):
    a = INT_INPUTS[kind]
    try:
        ref = call(torch, torch.tensor(a))
    except (RuntimeError, NotImplementedError) as e:
        with pytest.raises(type(e)):
            call(gb, gb.tensor(a))
        return
    got = call(gb, gb.tensor(a))
    assert str(got.dtype) == str(ref.dtype).replace("torch.", ""), (
        f"{name}: {got.dtype} vs {ref.dtype}"
    )
    assert got.shape == tuple(ref.shape)
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-6)
    assert not got.requires_grad


# --- float32 stays float32 inside the VJPs -----------------------------------------------------

F32_OPS = [
    ("sum", lambda t: t.sum(1)),
    ("mean", lambda t: t.mean(0)),
    ("var", lambda t: t.var(1)),
    ("std", lambda t: t.std((0, 1), correction=0)),
    ("max", lambda t: t.max()),
    ("max_dim", lambda t: t.max(1).values),
    ("amax", lambda t: t.amax((0, 1))),
    ("logsumexp", lambda t: t.logsumexp(1)),
    ("prod", lambda t: t.prod(1)),
    ("prod_zero", lambda t: (t * gb.tensor([[0.0, 1, 1, 1]] * 3)).prod(1)),
    ("cumsum", lambda t: t.cumsum(0)),
    ("norm2", lambda t: t.norm()),
    ("norm1", lambda t: t.norm(1, 1)),
    ("norm_inf", lambda t: t.norm(float("inf"), 0)),
    ("norm_p", lambda t: t.norm(2.5, 1)),
    ("norm_p_small", lambda t: t.norm(0.5, 1)),
    ("softmax", lambda t: t.softmax(1)),
    ("log_softmax", lambda t: t.log_softmax(0)),
]


@pytest.mark.parametrize("name,fn", F32_OPS, ids=[c[0] for c in F32_OPS])
def test_float32_in_float32_out_forward_and_vjp(name, fn):
    x = gb.tensor(
        np.random.default_rng(1).uniform(0.5, 2, (3, 4)).astype(np.float32), requires_grad=True
    )
    out = fn(x)
    assert out.dtype == gb.float32
    # call the VJP directly: the engine would hide an upcast by casting back to the input dtype
    grads = out.grad_fn.backward(np.ones(out.shape, dtype=np.float32))
    grads = grads if isinstance(grads, tuple) else (grads,)
    for g in grads:
        if g is not None:
            assert np.asarray(g).dtype == np.float32, f"{name}: VJP returned {np.asarray(g).dtype}"


def test_softmax_requires_dim():
    with pytest.raises(TypeError):
        gb.softmax(gb.ones(3), None)


def test_reduce_all_is_exported():
    for name in R.__all__:
        assert getattr(gb, name) is getattr(R, name)
    assert F.softmax is R.softmax and F.log_softmax is R.log_softmax
    assert math.isclose(gb.tensor([3.0, 4.0]).norm().item(), 5.0)
