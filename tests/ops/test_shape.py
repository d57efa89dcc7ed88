"""Shape ops beyond the op table: views sharing memory, error classes and messages vs torch,
every pad mode over a grid of widths (negative ones included), integer/bool inputs."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassbox as gb
import glassbox.nn.functional as F
from glassbox.ops import shape as S

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


# --- views share memory (and the version counter); copies do not --------------------------------

VIEWS = [
    ("view", lambda m, t: t.view(6, 4)),
    ("reshape", lambda m, t: t.reshape(-1)),
    ("flatten", lambda m, t: t.flatten(1)),
    ("unflatten", lambda m, t: t.unflatten(2, (2, 2))),
    ("squeeze", lambda m, t: m.squeeze(m.unsqueeze(t, 0))),
    ("unsqueeze", lambda m, t: t.unsqueeze(1)),
    ("permute", lambda m, t: t.permute(2, 0, 1)),
    ("transpose", lambda m, t: t.transpose(0, 2)),
    ("mT", lambda m, t: t.mT),
    ("movedim", lambda m, t: t.movedim(0, -1)),
    ("expand", lambda m, t: t.unsqueeze(0).expand(3, -1, -1, -1)),
    ("split", lambda m, t: t.split(2, dim=2)[1]),
    ("chunk", lambda m, t: t.chunk(3, dim=1)[2]),
    ("unbind", lambda m, t: t.unbind(1)[1]),
    ("narrow", lambda m, t: t.narrow(2, 1, 2)),
    ("contiguous_noop", lambda m, t: t.contiguous()),
]
COPIES = [
    ("reshape_of_transpose", lambda m, t: t.transpose(0, 2).reshape(-1)),
    ("flatten_of_permute", lambda m, t: t.permute(1, 0, 2).flatten()),
    ("contiguous", lambda m, t: t.transpose(0, 1).contiguous()),
    ("flip", lambda m, t: t.flip((0, 2))),
    ("repeat", lambda m, t: t.repeat(1, 1, 1)),
    ("cat", lambda m, t: m.cat([t], 0)),
    ("stack", lambda m, t: m.stack([t])),
    ("tril", lambda m, t: t.tril(10)),
    ("pad", lambda m, t: (F if m is gb else TF).pad(t, (0, 0))),
    ("pad_reflect", lambda m, t: (F if m is gb else TF).pad(t, (0, 0), mode="reflect")),
]


def _torch_shares(a, b):
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


@pytest.mark.parametrize("name,fn", VIEWS, ids=[v[0] for v in VIEWS])
def test_views_share_memory_and_version(name, fn):
    t = torch.tensor(X)
    assert _torch_shares(fn(torch, t), t), f"{name} is not a view in torch either"
    x = gb.tensor(X)
    y = fn(gb, x)
    assert np.shares_memory(y._data, x._data), name
    assert y._version is x._version, f"{name}: a view must share the version counter"
    if name != "expand":  # an expanded view is read-only in NumPy
        y.add_(100.0)
        assert x._version[0] == 1
        assert x.numpy().max() >= 100  # the input changed through the view


@pytest.mark.parametrize("name,fn", COPIES, ids=[c[0] for c in COPIES])
def test_copies_do_not_share_memory(name, fn):
    t = torch.tensor(X)
    assert not _torch_shares(fn(torch, t), t), f"{name} is a view in torch"
    x = gb.tensor(X)
    y = fn(gb, x)
    assert not np.shares_memory(y._data, x._data), name
    assert y._version is not x._version


def test_view_of_a_view_gradients_and_in_place_check():
    x = gb.tensor(X, requires_grad=True)
    y = (x * 1).view(6, 4)
    z = y.transpose(0, 1).sum(0)
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones_like(X))


def test_contiguous_returns_self_when_contiguous():
    x = gb.tensor(X)
    assert x.contiguous() is x
    y = x.transpose(0, 2)
    assert not y.is_contiguous() and y.contiguous().is_contiguous()


def test_view_refuses_incompatible_strides_like_torch():
    with pytest.raises(RuntimeError):
        torch.tensor(X).transpose(0, 2).view(-1)
    with pytest.raises(RuntimeError, match=r"view.*\(4, 3, 2\).*reshape"):
        gb.tensor(X).transpose(0, 2).view(-1)
    # but a view that only splits / merges compatible dims of a transpose works, as in torch
    assert gb.tensor(X).transpose(0, 2).view(2, 2, 3, 2).shape == (2, 2, 3, 2)


# --- errors: torch's class, and a message naming the op and the shapes ----------------------------

_Z = np.float32(2.0)
ERROR_CASES = [
    ("reshape", lambda m, t: t.reshape(5, 5), X, ["(2, 3, 4)", "[5, 5]"]),
    ("reshape", lambda m, t: t.reshape(-1, -1), X, []),
    ("reshape", lambda m, t: t.reshape(-2, 12), X, []),
    ("reshape", lambda m, t: t.reshape(-1, 5), X, ["(2, 3, 4)"]),
    ("reshape", lambda m, t: t.reshape(0, -1), np.zeros((0, 3), np.float32), []),
    ("reshape", lambda m, t: t.reshape(2.0, 12), X, []),
    ("view", lambda m, t: t.view(7), X, ["(2, 3, 4)"]),
    ("flatten", lambda m, t: t.flatten(2, 1), X, []),
    ("flatten", lambda m, t: t.flatten(0, 3), X, []),
    ("unflatten", lambda m, t: t.unflatten(1, (2, 2)), X, ["(2, 3, 4)"]),
    ("unflatten", lambda m, t: t.unflatten(1, ()), X, []),
    ("squeeze", lambda m, t: t.squeeze(3), X, []),
    ("squeeze", lambda m, t: t.squeeze((0, 0)), X, []),
    ("unsqueeze", lambda m, t: t.unsqueeze(4), X, []),
    ("permute", lambda m, t: t.permute(0, 1), X, []),
    ("permute", lambda m, t: t.permute(0, 1, 1), X, []),
    ("permute", lambda m, t: t.permute(0, 1, 3), X, []),
    ("transpose", lambda m, t: t.transpose(0, 3), X, []),
    ("movedim", lambda m, t: m.movedim(t, (0, 1), (2,)), X, []),
    ("movedim", lambda m, t: m.movedim(t, (0, 0), (1, 2)), X, []),
    ("movedim", lambda m, t: m.movedim(t, (0, 1), (2, 2)), X, []),
    ("expand", lambda m, t: t.expand(3, 4), X, []),
    ("expand", lambda m, t: t.expand(2, 5, 4), X, ["[2, 5, 4]"]),
    ("expand", lambda m, t: t.expand(-1, 2, 3, 4), X, []),
    ("repeat", lambda m, t: t.repeat(2, 2), X, []),
    ("repeat", lambda m, t: t.repeat(1, -1, 1), X, []),
    (
        "cat",
        lambda m, t: m.cat([t, t.narrow(1, 0, 2).narrow(2, 0, 1)], 1),
        X,
        ["(2, 3, 4)", "(2, 2, 1)"],
    ),
    ("cat", lambda m, t: m.cat([t, t.unbind(0)[0]]), X, ["(2, 3, 4)", "(3, 4)"]),
    ("cat", lambda m, t: m.cat([t, t], 3), X, []),
    ("cat", lambda m, t: m.cat([]), X, []),
    ("cat", lambda m, t: m.cat(t), X, []),
    ("cat", lambda m, t: m.cat([t.sum(), t.sum()]), X, []),
    ("stack", lambda m, t: m.stack([t, t.narrow(0, 0, 1)]), X, ["(2, 3, 4)", "(1, 3, 4)"]),
    ("stack", lambda m, t: m.stack([]), X, []),
    ("stack", lambda m, t: m.stack([t, t], 4), X, []),
    ("split", lambda m, t: m.split(t, [1, 2], 2), X, ["4"]),
    ("split", lambda m, t: m.split(t, [-1, 5], 2), X, []),
    ("split", lambda m, t: m.split(t, 0, 2), X, []),
    ("split", lambda m, t: m.split(t, -1, 2), X, []),
    ("split", lambda m, t: m.split(t, 1, 0), _Z, []),
    ("chunk", lambda m, t: m.chunk(t, 0, 1), X, []),
    ("chunk", lambda m, t: m.chunk(t, 2, 3), X, []),
    ("unbind", lambda m, t: m.unbind(t), _Z, []),
    ("narrow", lambda m, t: m.narrow(t, 2, 3, 2), X, []),
    ("narrow", lambda m, t: m.narrow(t, 2, 5, 0), X, []),
    ("narrow", lambda m, t: m.narrow(t, 2, -5, 1), X, []),
    ("narrow", lambda m, t: m.narrow(t, 2, 1, -1), X, []),
    ("narrow", lambda m, t: m.narrow(t, 0, 0, 1), _Z, []),
    ("flip", lambda m, t: m.flip(t, (0, 0)), X, []),
    ("flip", lambda m, t: m.flip(t, (3,)), X, []),
    ("tril", lambda m, t: m.tril(t.unbind(0)[0].unbind(0)[0]), X, ["(4,)"]),
    ("triu", lambda m, t: m.triu(t.sum()), X, []),
]


@pytest.mark.parametrize(
    "op,call,array,names", ERROR_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(ERROR_CASES)]
)
def test_error_class_matches_torch(op, call, array, names):
    with pytest.raises(Exception) as ref:
        call(torch, torch.tensor(array))
    with pytest.raises(Exception) as got:
        call(gb, gb.tensor(array))
    assert isinstance(got.value, type(ref.value)), (
        f"glassbox raised {type(got.value).__name__}: {got.value}; torch {type(ref.value).__name__}"
    )
    message = str(got.value)
    assert op in message
    for shape in names:
        assert shape in message, f"{shape} not in {message!r}"


# --- pad: every mode over a grid of widths, values + gradients or the error class ---------------

WIDTHS = [-3, -1, 0, 1, 2, 3]
PAD_CASES = [
    (mode, shape, pads)
    for mode in ("constant", "reflect", "replicate", "circular")
    for shape in ((2, 3, 4), (3, 4))
    for pads in itertools.product(WIDTHS, WIDTHS)
] + [
    (mode, (1, 2, 3, 4), pads)
    for mode in ("constant", "reflect", "replicate", "circular")
    for pads in [(1, -1, 2, 0), (-2, 3, 1, 2), (0, 0, -2, -1), (3, 3, 2, 2), (1, 0, 0, 3)]
]


def _torch_circular_is_defined(shape, pads):
    """torch's circular padding reads uninitialised memory when a dim is cropped to nothing
    and padded again, or when a wrap crosses the whole cropped dim; skip those."""
    for i in range(len(pads) // 2):
        n = shape[len(shape) - 1 - i]
        lo, hi = pads[2 * i], pads[2 * i + 1]
        kept = n - max(-lo, 0) - max(-hi, 0)
        if (lo > 0 or hi > 0) and (kept <= 0 or max(lo, 0) > kept or max(hi, 0) > kept):
            return False
    return True


@pytest.mark.parametrize("mode,shape,pads", PAD_CASES)
def test_pad_matches_torch_values_gradients_and_errors(mode, shape, pads):
    if mode == "circular" and not _torch_circular_is_defined(shape, pads):
        pytest.skip("torch's result is undefined here")
    a = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    t = torch.tensor(a, requires_grad=True)
    g = gb.tensor(a, requires_grad=True)
    try:
        ref = TF.pad(t, pads, mode=mode)
    except (RuntimeError, NotImplementedError) as e:
        with pytest.raises(type(e), match="pad"):
            F.pad(g, pads, mode=mode)
        return
    out = F.pad(g, pads, mode=mode)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
    w = np.random.default_rng(1).standard_normal(out.shape).astype(np.float32)
    (out * gb.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-5)


PAD_ERRORS = [
    (lambda m, f, t: f.pad(t, (1, 2, 3)), X),
    (lambda m, f, t: f.pad(t, (1,) * 8), X),
    (lambda m, f, t: f.pad(t, (1, 1), mode="foo"), X),
    (lambda m, f, t: f.pad(t, (1, 1), mode="reflect", value=1.0), X),
    (lambda m, f, t: f.pad(t, (4, 1), mode="reflect"), X),
    (lambda m, f, t: f.pad(t, (5, 1), mode="circular"), X),
    (lambda m, f, t: f.pad(t.flatten(), (1, 1), mode="reflect"), X),
    (lambda m, f, t: f.pad(t.unsqueeze(0).unsqueeze(0), (1, 1), mode="replicate"), X),
    (lambda m, f, t: f.pad(t, (1.5, 1)), X),
    (lambda m, f, t: f.pad(t, (-3, -2)), X),
    (lambda m, f, t: f.pad(t.sum(), (1, 1)), X),
    (lambda m, f, t: f.pad(t.narrow(1, 0, 0), (1, 1), mode="replicate"), X),
    (lambda m, f, t: f.pad(t.narrow(2, 0, 0), (1, 1), mode="circular"), X),
]


@pytest.mark.parametrize("call,array", PAD_ERRORS)
def test_pad_error_class_matches_torch(call, array):
    with pytest.raises(Exception) as ref:
        call(torch, TF, torch.tensor(array))
    with pytest.raises(Exception) as got:
        call(gb, F, gb.tensor(array))
    assert isinstance(got.value, type(ref.value)), f"{type(got.value)} {got.value} vs {ref.value}"
    assert "pad" in str(got.value)


def test_pad_constant_value_casts_like_torch():
    ints = np.arange(6).reshape(2, 3)
    got, ref = (
        F.pad(gb.tensor(ints), (1, 1), value=2.5),
        TF.pad(torch.tensor(ints), (1, 1), value=2.5),
    )
    assert got.dtype == gb.int64 and got.tolist() == ref.tolist()
    bools = np.array([[True, False]])
    for value in (None, 0.5):
        got = F.pad(gb.tensor(bools), (1, 0, 0, 1), value=value)
        ref = TF.pad(torch.tensor(bools), (1, 0, 0, 1), value=value)
        assert got.dtype == gb.bool and got.tolist() == ref.tolist()
    assert (
        F.pad(gb.tensor(ints[None]), (2, 1), mode="reflect").tolist()
        == TF.pad(torch.tensor(ints[None]), (2, 1), mode="reflect").tolist()
    )


# --- integer / bool inputs and dtype promotion ----------------------------------------------------

INT_CASES = [
    ("cat_int_bool", lambda m, a, b: m.cat([a, b.bool()], 1)),
    ("cat_int_float", lambda m, a, b: m.cat([a, b.float()], 0)),
    ("cat_float_double", lambda m, a, b: m.cat([a.float(), b.double()], 0)),
    ("stack_int_float", lambda m, a, b: m.stack([a, b.float()], 2)),
    ("tril_bool", lambda m, a, b: m.tril(b.bool(), -1)),
    ("triu_int", lambda m, a, b: m.triu(a, 1)),
    ("flip_int", lambda m, a, b: m.flip(a, (1,))),
    ("repeat_bool", lambda m, a, b: b.bool().repeat(2, 1)),
    ("reshape_int", lambda m, a, b: a.reshape(3, 2)),
    ("expand_int", lambda m, a, b: a.narrow(0, 0, 1).expand(4, 3)),
    ("split_int", lambda m, a, b: m.split(a, [1, 2], 1)[1]),
    ("movedim_int", lambda m, a, b: m.movedim(a, 0, 1)),
]


@pytest.mark.parametrize("name,call", INT_CASES, ids=[c[0] for c in INT_CASES])
def test_integer_and_bool_inputs(name, call):
    a, b = np.arange(6).reshape(2, 3), np.array([[0, 1, 2], [3, 0, 1]])
    got = call(gb, gb.tensor(a), gb.tensor(b))
    ref = call(torch, torch.tensor(a), torch.tensor(b))
    assert str(got.dtype) == str(ref.dtype).replace("torch.", ""), name
    assert got.shape == tuple(ref.shape) and got.tolist() == ref.tolist()


def test_cat_gradient_flows_through_the_promotion_cast():
    a = gb.tensor([[1.0, 2.0]], requires_grad=True)
    b = gb.tensor([[3.0, 4.0]], dtype=gb.float64, requires_grad=True)
    out = gb.cat([a, b])
    assert out.dtype == gb.float64
    (out * gb.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=gb.float64)).sum().backward()
    assert a.grad.dtype == gb.float32 and a.grad.tolist() == [[1.0, 2.0]]
    assert b.grad.tolist() == [[3.0, 4.0]]


# --- split / unbind / chunk: gradients when only some pieces are used ----------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, t: m.split(t, [1, 3], 2)[1] * 2,
        lambda m, t: m.chunk(t, 2, 0)[0].sum(1),
        lambda m, t: m.unbind(t, 1)[2] + m.unbind(t, 1)[0],
        lambda m, t: m.narrow(t, 1, 1, 2) * m.narrow(t, 1, 0, 2),
    ],
)
def test_partial_use_of_pieces(fn):
    g, t = gb.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    go, to = fn(gb, g), fn(torch, t)
    np.testing.assert_array_equal(go.detach().numpy(), to.detach().numpy())
    go.sum().backward()
    to.sum().backward()
    np.testing.assert_array_equal(g.grad.numpy(), t.grad.numpy())


def test_chunk_and_split_piece_counts_match_torch():
    for n, chunks in itertools.product(range(9), range(1, 7)):
        a = np.zeros((n, 2), np.float32)
        got = [p.shape for p in gb.tensor(a).chunk(chunks)]
        ref = [tuple(p.shape) for p in torch.tensor(a).chunk(chunks)]
        assert got == ref, (n, chunks)
        if n:
            got = [p.shape for p in gb.tensor(a).split(chunks)]
            ref = [tuple(p.shape) for p in torch.tensor(a).split(chunks)]
            assert got == ref, (n, chunks)


def test_sizes_accept_int_tensors_and_torch_size_like_tuples():
    x = gb.tensor(X)
    assert x.reshape(gb.tensor(6), -1).shape == (6, 4)
    assert x.narrow(2, gb.tensor(1), 2).shape == (2, 3, 2)
    assert x.view(torch.Size([4, 6])).shape == (4, 6)
    assert x.permute([2, 1, 0]).shape == (4, 3, 2) and x.expand([3, 2, 3, 4]).shape == (3, 2, 3, 4)


def test_shape_all_is_exported():
    for name in S.__all__:
        assert getattr(gb, name) is getattr(S, name)
    assert F.pad is S.pad
