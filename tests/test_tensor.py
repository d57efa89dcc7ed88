"""Tensor creation, dtype inference, conversions, operators and in-place ops vs PyTorch."""

import numpy as np
import pytest
import torch

import glassbox as gb


@pytest.mark.parametrize(
    "data",
    [1.5, 3, True, [1, 2, 3], [1.0, 2], [[1, 2], [3, 4]], [True, False], np.arange(3),
     np.ones(2, dtype=np.float64), np.ones(2, dtype=np.int32), np.ones(2, dtype=np.float16)],
)
def test_tensor_dtype_inference_matches_torch(data):
    g, t = gb.tensor(data), torch.tensor(data)
    assert str(g.dtype) == str(t.dtype).replace("torch.", "")
    assert g.shape == tuple(t.shape)
    np.testing.assert_array_equal(g.numpy(), t.numpy())


def test_tensor_copies_but_from_numpy_and_as_tensor_share():
    a = np.zeros(3, dtype=np.float32)
    t, s, v = gb.tensor(a), gb.from_numpy(a), gb.as_tensor(a)
    a[0] = 5
    assert t.numpy()[0] == 0 and s.numpy()[0] == 5 and v.numpy()[0] == 5


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.zeros(2, 3), lambda m: m.ones((2, 3)), lambda m: m.full((2,), 1.5),
        lambda m: m.full((2,), 7), lambda m: m.arange(5), lambda m: m.arange(0, 1, 0.25),
        lambda m: m.linspace(0, 1, 5), lambda m: m.eye(3), lambda m: m.eye(2, 3),
        lambda m: m.zeros_like(m.ones(2, dtype=m.float64)), lambda m: m.empty(2, 0),
    ],
)
def test_creation_functions_match_torch(make):
    g, t = make(gb), make(torch)
    assert g.shape == tuple(t.shape)
    assert str(g.dtype) == str(t.dtype).replace("torch.", "")
    if g.numel():
        np.testing.assert_allclose(g.numpy(), t.numpy()) if "empty" not in str(make) else None


def test_random_creation_is_seeded_and_shaped():
    gb.manual_seed(3)
    a = gb.randn(4, 5)
    gb.manual_seed(3)
    b = gb.randn(4, 5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.dtype == gb.float32
    r = gb.rand(1000)
    assert 0 <= r.min().item() and r.max().item() < 1
    i = gb.randint(0, 10, (100,))
    assert i.dtype == gb.int64 and 0 <= i.min().item() and i.max().item() < 10
    assert gb.randn_like(a).shape == a.shape and gb.rand_like(a).dtype == gb.float32
    assert abs(gb.randn(20000).mean().item()) < 0.05


@pytest.mark.parametrize(
    "op",
    [lambda x: x + 2, lambda x: 2 + x, lambda x: x * 2.5, lambda x: 2.5 * x, lambda x: x - 1,
     lambda x: 1 - x, lambda x: x / 3, lambda x: 3 / x, lambda x: x ** 2, lambda x: 2 ** x,
     lambda x: x // 2, lambda x: x % 2, lambda x: -x, lambda x: x > 1, lambda x: x == 2.0,
     lambda x: (x > 1) & (x < 3), lambda x: (x > 1) | (x < 0), lambda x: ~(x > 1)],
)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_operators_with_python_scalars_keep_dtype_like_torch(op, dtype):
    data = np.array([1, 2, 3], dtype=dtype)
    g, t = op(gb.tensor(data)), op(torch.tensor(data))
    assert str(g.dtype) == str(t.dtype).replace("torch.", ""), (g.dtype, t.dtype)
    np.testing.assert_allclose(g.numpy().astype(float), t.numpy().astype(float), rtol=1e-6)


def test_mixed_tensor_promotion_matches_torch():
    cases = [
        (np.ones(3, np.int64), np.ones(3, np.float32)),
        (np.ones(3, np.float32), np.ones(3, np.float64)),
        (np.ones(3, np.float32), np.array(2.0, np.float64)),
        (np.ones(3, np.int64), np.array(2.5, np.float64)),
        (np.ones(3, np.bool_), np.ones(3, np.int64)),
    ]
    for a, b in cases:
        g = gb.tensor(a) + gb.tensor(b)
        t = torch.tensor(a) + torch.tensor(b)
        assert str(g.dtype) == str(t.dtype).replace("torch.", ""), (a.dtype, b.dtype)


def test_ndarray_operand_defers_to_tensor():
    x = gb.ones(3)
    y = np.ones(3, dtype=np.float32) * x
    assert isinstance(y, gb.Tensor)


def test_broadcast_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(4,\)"):
        gb.ones(2, 3) + gb.ones(4)
    with pytest.raises(ValueError, match=r"mul: shapes \(2, 3\) and \(2,\)"):
        gb.ones(2, 3) * gb.ones(2)


def test_conversions_and_accessors():
    x = gb.tensor([[1.5, 2.0], [3.0, 4.0]])
    assert x.size() == (2, 2) and x.size(1) == 2 and x.numel() == 4 and x.ndim == 2
    assert x.dim() == 2
    assert x.T.shape == (2, 2) and x.T.numpy()[0, 1] == 3.0
    assert x.double().dtype == gb.float64 and x.long().dtype == gb.int64
    assert x.to(gb.float64).dtype == gb.float64 and x.float().dtype == gb.float32
    assert x.long().tolist() == [[1, 2], [3, 4]]
    assert gb.tensor([2.5]).item() == 2.5 and isinstance(gb.tensor(3).item(), int)
    assert float(gb.tensor(1.5)) == 1.5
    with pytest.raises(ValueError, match="one-element"):
        x.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)
    y = gb.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        y.numpy()
    assert y.detach().numpy().tolist() == [1.0, 1.0]


def test_data_property_is_a_detached_tensor_sharing_memory():
    w = gb.ones(3, requires_grad=True)
    d = w.data
    assert isinstance(d, gb.Tensor) and not d.requires_grad
    d.mul_(2)  # torch-style p.data.mul_(...) updates the parameter
    assert w.detach().numpy().tolist() == [2.0, 2.0, 2.0]


def test_inplace_ops_match_torch():
    base = np.array([1.0, -2.0, 3.0], dtype=np.float32)
    ops = [
        lambda t, m: t.add_(m.ones(3), alpha=2), lambda t, m: t.sub_(1.5), lambda t, m: t.mul_(3),
        lambda t, m: t.div_(2), lambda t, m: t.zero_(), lambda t, m: t.fill_(7),
        lambda t, m: t.clamp_(-1, 2), lambda t, m: t.copy_(m.tensor([4.0, 5.0, 6.0])),
    ]
    for op in ops:
        g, t = gb.tensor(base), torch.tensor(base)
        r = op(g, gb)
        op(t, torch)
        assert r is g
        np.testing.assert_allclose(g.numpy(), t.numpy())
        assert g.dtype == gb.float32


def test_inplace_bumps_version():
    x = gb.zeros(3)
    v = x._version[0]
    x.add_(1)
    assert x._version[0] == v + 1


def test_repr_looks_like_torch():
    assert repr(gb.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "requires_grad=True" in repr(gb.ones(2, requires_grad=True))
    assert "dtype=glassbox.float64" in repr(gb.ones(2, dtype=gb.float64))


def test_default_dtype_can_change():
    gb.set_default_dtype(gb.float64)
    try:
        assert gb.tensor(1.5).dtype == gb.float64 and gb.randn(2).dtype == gb.float64
    finally:
        gb.set_default_dtype(gb.float32)
    assert gb.tensor(1.5).dtype == gb.float32
