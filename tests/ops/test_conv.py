"""Convolution and pooling beyond the op table: errors (torch raises for the same inputs),
max-pool indices, ties (the gradient goes to the first maximum), NaN and -inf windows, both
im2col layouts, partial requires_grad, and the W2 layer stack against torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassbox as gb
import glassbox.nn.functional as F
from glassbox.ops import conv as conv_ops


def _pair(a, requires_grad=False):
    return gb.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _ties(*shape, seed=0):
    """Post-ReLU, quantised activations: most windows hold repeated values (zeros above all)."""
    return np.maximum(np.round(_rand(*shape, seed=seed) * 2) / 2, 0).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Errors: glassbox raises ConvError (a ValueError and a RuntimeError) naming the op and the
# shapes; torch raises RuntimeError for the same call.

ERRORS = [
    ("conv2d_ndim", lambda M, T: M.conv2d(T(3, 28, 28, 1, 1), T(16, 3, 3, 3)),
     (r"conv2d: expected input with 4 dimensions \(N, C, H, W\) or 3 \(C, H, W\), got shape "
      r"\(3, 28, 28, 1, 1\)")),
    ("conv1d_ndim", lambda M, T: M.conv1d(T(2, 1, 8, 8), T(4, 1, 3)),
     r"conv1d: expected input with 3 dimensions \(N, C, L\).*got shape \(2, 1, 8, 8\)"),
    ("conv2d_channels", lambda M, T: M.conv2d(T(2, 2, 8, 8), T(4, 1, 3, 3)),
     (r"conv2d: weight of shape \(4, 1, 3, 3\) with groups=1 expects an input with 1 channels, "
      r"got input of shape \(2, 2, 8, 8\)")),
    ("conv2d_group_channels", lambda M, T: M.conv2d(T(2, 4, 8, 8), T(4, 1, 3, 3), groups=2),
     r"conv2d: .* expects an input with 2 channels.*\(2, 4, 8, 8\)"),
    ("conv2d_kernel_too_big", lambda M, T: M.conv2d(T(2, 1, 2, 2), T(4, 1, 3, 3)),
     r"conv2d: kernel \(3, 3\) .* larger than the padded input \(2, 2\)"),
    ("conv2d_dilated_too_big", lambda M, T: M.conv2d(T(1, 1, 6, 6), T(1, 1, 3, 3), dilation=3),
     r"conv2d: kernel \(3, 3\) \(dilated extent \(7, 7\)\) is larger than the padded input"),
    ("conv1d_kernel_too_big", lambda M, T: M.conv1d(T(1, 1, 4), T(1, 1, 7), padding=1),
     r"conv1d: kernel .* larger than the padded input"),
    ("conv2d_groups_zero", lambda M, T: M.conv2d(T(2, 2, 8, 8), T(4, 2, 3, 3), groups=0),
     r"conv2d: non-positive groups"),
    ("conv2d_groups_indivisible", lambda M, T: M.conv2d(T(2, 4, 8, 8), T(3, 2, 3, 3), groups=2),
     r"conv2d: weight of shape \(3, 2, 3, 3\) cannot be split into groups=2"),
    ("conv2d_same_strided", lambda M, T: M.conv2d(T(2, 1, 8, 8), T(4, 1, 3, 3), stride=2,
                                                  padding="same"),
     r"conv2d: padding='same' is not supported for strided convolutions"),
    ("conv1d_same_strided", lambda M, T: M.conv1d(T(2, 1, 8), T(4, 1, 3), stride=2,
                                                  padding="same"),
     r"conv1d: padding='same' is not supported for strided"),
    ("conv2d_padding_string", lambda M, T: M.conv2d(T(2, 1, 8, 8), T(4, 1, 3, 3), padding="full"),
     r"conv2d: invalid padding string 'full'"),
    ("conv2d_negative_padding", lambda M, T: M.conv2d(T(2, 1, 8, 8), T(4, 1, 3, 3), padding=-1),
     r"conv2d: negative padding"),
    ("conv2d_zero_stride", lambda M, T: M.conv2d(T(2, 1, 8, 8), T(4, 1, 3, 3), stride=0),
     r"conv2d: non-positive stride"),
    ("conv2d_stride_length", lambda M, T: M.conv2d(T(2, 1, 8, 8), T(4, 1, 3, 3),
                                                   stride=(1, 1, 1)),
     r"conv2d: expected stride to be a single integer or a list of 2 integers"),
    ("conv2d_weight_ndim", lambda M, T: M.conv2d(T(2, 1, 8, 8), T(4, 1, 3)),
     r"conv2d: expected weight with 4 dimensions .* got shape \(4, 1, 3\)"),
    ("conv2d_bias_shape", lambda M, T: M.conv2d(T(2, 1, 8, 8), T(4, 1, 3, 3), T(3)),
     r"conv2d: expected bias of shape \(4,\) .* got shape \(3,\)"),
    ("conv_transpose2d_channels", lambda M, T: M.conv_transpose2d(T(1, 3, 4, 4), T(2, 3, 3, 3)),
     (r"conv_transpose2d: weight of shape \(2, 3, 3, 3\) expects an input with 2 channels.*"
      r"\(1, 3, 4, 4\)")),
    ("conv_transpose2d_output_padding",
     lambda M, T: M.conv_transpose2d(T(1, 2, 4, 4), T(2, 3, 3, 3), stride=2, output_padding=2),
     r"conv_transpose2d: output padding must be smaller than either stride or dilation"),
    ("max_pool2d_ndim", lambda M, T: M.max_pool2d(T(8, 8), 2),
     r"max_pool2d: expected input with 4 dimensions .* got shape \(8, 8\)"),
    ("max_pool1d_ndim", lambda M, T: M.max_pool1d(T(2, 3, 8, 8), 2),
     r"max_pool1d: expected input with 3 dimensions"),
    ("max_pool2d_too_small", lambda M, T: M.max_pool2d(T(1, 1, 2, 2), 3),
     r"max_pool2d: input of spatial size \(2, 2\) is too small for kernel_size=\(3, 3\)"),
    ("max_pool2d_padding", lambda M, T: M.max_pool2d(T(1, 1, 8, 8), 2, padding=2),
     r"max_pool2d: padding must be .* at most half of kernel_size"),
    ("max_pool2d_zero_stride", lambda M, T: M.max_pool2d(T(1, 1, 8, 8), 2, stride=0),
     r"max_pool2d: stride must be greater than zero"),
    ("max_pool2d_zero_dilation", lambda M, T: M.max_pool2d(T(1, 1, 8, 8), 2, dilation=0),
     r"max_pool2d: dilation must be greater than zero"),
    ("avg_pool2d_padding", lambda M, T: M.avg_pool2d(T(1, 1, 8, 8), 3, padding=2),
     r"avg_pool2d: padding must be .* at most half"),
    ("avg_pool2d_too_small", lambda M, T: M.avg_pool2d(T(1, 1, 2, 2), 3),
     r"avg_pool2d: input of spatial size \(2, 2\) is too small"),
    ("avg_pool1d_ndim", lambda M, T: M.avg_pool1d(T(8), 2),
     r"avg_pool1d: expected input with 3 dimensions"),
    ("adaptive_avg_pool2d_ndim", lambda M, T: M.adaptive_avg_pool2d(T(8), 2),
     r"adaptive_avg_pool2d: expected input with 4 dimensions"),
    ("adaptive_max_pool2d_ndim", lambda M, T: M.adaptive_max_pool2d(T(2, 8), 2),
     r"adaptive_max_pool2d: expected input with 4 dimensions"),
]


@pytest.mark.parametrize("call,match", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors(call, match):
    with pytest.raises(conv_ops.ConvError, match=match) as info:
        call(F, lambda *s: gb.tensor(_rand(*s)))
    assert isinstance(info.value, ValueError) and isinstance(info.value, RuntimeError)
    with pytest.raises(RuntimeError):
        call(TF, lambda *s: torch.tensor(_rand(*s)))


def test_geometries_are_cached_but_errors_raise_every_time():
    x, w = gb.tensor(_rand(2, 3, 8, 8)), gb.tensor(_rand(4, 3, 3, 3))
    first = F.conv2d(x, w, padding=1).grad_fn
    with gb.enable_grad():
        x.requires_grad = True
        a, b = F.conv2d(x, w, padding=1).grad_fn, F.conv2d(x, w, padding=[1, 1]).grad_fn
    assert first is None and a.geom is b.geom  # one geometry for equal arguments
    assert F.conv2d(x, w, padding=2).shape == (2, 4, 10, 10)  # a new one for new arguments
    for _ in range(2):  # a failed validation is not cached
        with pytest.raises(conv_ops.ConvError, match=r"kernel \(3, 3\).*larger than the padded"):
            F.conv2d(gb.tensor(_rand(1, 3, 2, 2)), w)
    pool_a = F.max_pool2d(x, 2).grad_fn.geom
    assert F.max_pool2d(x, (2, 2)).grad_fn.geom is pool_a


def test_dtype_mismatch_raises_like_torch():
    x, w = _rand(2, 1, 5, 5), _rand(3, 1, 3, 3)
    with pytest.raises(TypeError, match=r"conv2d: input is float64 but weight is float32"):
        F.conv2d(gb.tensor(x.astype(np.float64)), gb.tensor(w))
    with pytest.raises(RuntimeError):
        F.conv2d(gb.tensor(x.astype(np.float64)), gb.tensor(w))
    with pytest.raises(RuntimeError):
        TF.conv2d(torch.tensor(x.astype(np.float64)), torch.tensor(w))


def test_non_tensor_input_is_a_type_error():
    with pytest.raises(TypeError, match=r"conv2d: input must be a Tensor, got ndarray"):
        F.conv2d(_rand(1, 1, 4, 4), gb.tensor(_rand(1, 1, 3, 3)))
    with pytest.raises(TypeError, match=r"max_pool2d: input must be a Tensor"):
        F.max_pool2d([[1.0, 2.0]], 2)


# ---------------------------------------------------------------------------------------------
# Max pooling: ties, indices, NaN and -inf, compared exactly with torch

POOLS = [
    ("2x2", {"kernel_size": 2}),
    ("3s2p1", {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("3s1", {"kernel_size": 3, "stride": 1}),
    ("2x3_dilated", {"kernel_size": (2, 3), "stride": (1, 2), "dilation": (2, 1),
                     "padding": (1, 1)}),
    ("3s2_ceil", {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
    ("4x1", {"kernel_size": (4, 1), "stride": (2, 1), "padding": (2, 0)}),
]


def _pool_parity(fn_g, fn_t, x, seed=1):
    xg, xt = _pair(x, requires_grad=True)
    out_g, idx_g = fn_g(xg)
    out_t, idx_t = fn_t(xt)
    np.testing.assert_array_equal(out_g.detach().numpy(), out_t.detach().numpy())
    np.testing.assert_array_equal(idx_g.numpy(), idx_t.numpy())
    assert idx_g.dtype == gb.int64
    up = _rand(*out_t.shape, seed=seed)
    out_g.backward(gb.tensor(up))
    out_t.backward(torch.tensor(up))
    # the same positions get the gradient; overlapping windows may add in another order
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kw", [p[1] for p in POOLS], ids=[p[0] for p in POOLS])
@pytest.mark.parametrize("shape", [(4, 3, 12, 10), (2, 3, 9, 7), (3, 8, 8)])
def test_max_pool2d_ties_go_to_the_first_maximum(kw, shape):
    _pool_parity(lambda x: F.max_pool2d(x, return_indices=True, **kw),
                 lambda x: TF.max_pool2d(x, return_indices=True, **kw), _ties(*shape))


@pytest.mark.parametrize("kw", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
                                {"kernel_size": 3, "stride": 1, "dilation": 2, "ceil_mode": True}])
def test_max_pool1d_ties_go_to_the_first_maximum(kw):
    _pool_parity(lambda x: F.max_pool1d(x, return_indices=True, **kw),
                 lambda x: TF.max_pool1d(x, return_indices=True, **kw), _ties(3, 4, 17))


@pytest.mark.parametrize("size", [(3, 4), (4, 4), 1])
def test_adaptive_max_pool2d_ties(size):
    _pool_parity(lambda x: F.adaptive_max_pool2d(x, size, return_indices=True),
                 lambda x: TF.adaptive_max_pool2d(x, size, return_indices=True), _ties(2, 3, 8, 9))


def test_tied_window_gives_everything_to_its_first_element():
    x = gb.ones(1, 1, 2, 4, requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[1, 0, 1, 0], [0, 0, 0, 0]]]])


@pytest.mark.parametrize("kw", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 3, "padding": 1},
                                {"kernel_size": 2, "stride": 3, "dilation": 2}])
def test_an_infinite_gradient_reaches_only_the_maximum_as_in_torch(kw):
    x = _rand(2, 3, 6, 6)
    xg, xt = _pair(x, requires_grad=True)
    out_g, out_t = F.max_pool2d(xg, **kw), TF.max_pool2d(xt, **kw)
    up = _rand(*out_t.shape, seed=2)
    up[0, 0, 0, 0], up[1, 2, -1, -1] = np.inf, -np.inf
    out_g.backward(gb.tensor(up))
    out_t.backward(torch.tensor(up))
    np.testing.assert_array_equal(xg.grad.numpy(), xt.grad.numpy())  # no NaN beside them


def test_nan_wins_and_its_index_is_the_last_nan():
    x = _rand(2, 2, 6, 6)
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan  # two NaN in one window
    x[1, 1, 4, 5] = np.nan
    x[0, 1, 2:4, 2:4] = np.nan
    for kw in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1}):
        _pool_parity(lambda t, kw=kw: F.max_pool2d(t, return_indices=True, **kw),
                     lambda t, kw=kw: TF.max_pool2d(t, return_indices=True, **kw), x)


def test_all_minus_inf_window_with_padding_points_at_a_real_pixel():
    x = _rand(1, 2, 5, 5)
    x[0, 0, :2, :2] = -np.inf
    x[0, 1] = -np.inf
    _pool_parity(lambda t: F.max_pool2d(t, 3, stride=2, padding=1, return_indices=True),
                 lambda t: TF.max_pool2d(t, 3, stride=2, padding=1, return_indices=True), x)


def test_indices_address_the_flat_input_plane():
    x = gb.tensor(np.arange(30, dtype=np.float32).reshape(1, 1, 5, 6))
    _, idx = F.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), [[[[7, 9, 11], [19, 21, 23]]]])


# ---------------------------------------------------------------------------------------------
# Convolution: both im2col layouts, any subset of inputs requiring grad

CONVS = [
    ("pad1", (2, 3, 6, 5), (4, 3, 3, 3), {"padding": 1}),
    ("pad1_wide", (2, 1, 6, 5), (8, 1, 3, 3), {"padding": 1}),
    ("valid", (2, 2, 6, 7), (3, 2, 2, 3), {}),
    ("same_even", (2, 2, 5, 6), (3, 2, 2, 4), {"padding": "same"}),
    ("dilated_bigpad", (1, 2, 5, 5), (2, 2, 3, 3), {"padding": (4, 3), "dilation": (2, 1)}),
    ("groups", (2, 4, 5, 5), (6, 2, 3, 3), {"padding": 1, "groups": 2}),
]


@pytest.mark.parametrize("flat", [True, False], ids=["flat", "strided"])
@pytest.mark.parametrize("x_shape,w_shape,kw", [c[1:] for c in CONVS], ids=[c[0] for c in CONVS])
def test_conv2d_both_layouts(monkeypatch, flat, x_shape, w_shape, kw):
    monkeypatch.setattr(conv_ops, "FLAT_LAYOUT", flat)
    x, w, b = _rand(*x_shape).astype(np.float64), _rand(*w_shape, seed=1).astype(np.float64), \
        _rand(w_shape[0], seed=2).astype(np.float64)
    g = [gb.tensor(a, requires_grad=True) for a in (x, w, b)]
    t = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    out_g, out_t = F.conv2d(*g, **kw), TF.conv2d(*t, **kw)
    assert conv_ops.Conv in (type(out_g.grad_fn),)
    assert out_g.grad_fn.geom.flat == flat
    np.testing.assert_allclose(out_g.detach().numpy(), out_t.detach().numpy(), atol=1e-10)
    up = _rand(*out_t.shape, seed=3).astype(np.float64)
    out_g.backward(gb.tensor(up))
    out_t.backward(torch.tensor(up))
    for a, b_ in zip(g, t):
        np.testing.assert_allclose(a.grad.numpy(), b_.grad.numpy(), atol=1e-10)
    # the transposed convolution runs the same geometry the other way round
    wt = _rand(x_shape[1], w_shape[0] // kw.get("groups", 1), *w_shape[2:], seed=4)
    if kw.get("padding") not in ("same",) and "dilation" not in kw:
        pad = kw.get("padding", 0)
        yg = gb.tensor(_rand(*out_t.shape, seed=5).astype(np.float64), requires_grad=True)
        yt = torch.tensor(yg.detach().numpy(), requires_grad=True)
        wg = gb.tensor(np.ascontiguousarray(np.swapaxes(wt, 0, 1)).astype(np.float64)
                       .reshape(w_shape[0], -1, *w_shape[2:]), requires_grad=True)
        wtt = torch.tensor(wg.detach().numpy(), requires_grad=True)
        groups = kw.get("groups", 1)
        rg = F.conv_transpose2d(yg, wg, padding=pad, groups=groups)
        rt = TF.conv_transpose2d(yt, wtt, padding=pad, groups=groups)
        np.testing.assert_allclose(rg.detach().numpy(), rt.detach().numpy(), atol=1e-10)
        rg.sum().backward()
        rt.sum().backward()
        np.testing.assert_allclose(yg.grad.numpy(), yt.grad.numpy(), atol=1e-10)
        np.testing.assert_allclose(wg.grad.numpy(), wtt.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize("needs", [(True, False, False), (False, True, False),
                                   (False, False, True), (True, False, True)])
@pytest.mark.parametrize("op", ["conv2d", "conv_transpose2d"])
def test_gradients_for_any_subset_of_inputs(op, needs):
    x, w, b = _rand(2, 4, 5, 5), _rand(4, 4, 3, 3, seed=1), _rand(4, seed=2)
    g = [gb.tensor(a, requires_grad=r) for a, r in zip((x, w, b), needs)]
    t = [torch.tensor(a, requires_grad=r) for a, r in zip((x, w, b), needs)]
    out_g = getattr(F, op)(*g, padding=1)
    out_t = getattr(TF, op)(*t, padding=1)
    up = _rand(*out_t.shape, seed=3)
    out_g.backward(gb.tensor(up))
    out_t.backward(torch.tensor(up))
    for a, b_, r in zip(g, t, needs):
        if r:
            np.testing.assert_allclose(a.grad.numpy(), b_.grad.numpy(), rtol=1e-4, atol=1e-4)
        else:
            assert a.grad is None


def test_no_grad_forward_matches_and_keeps_nothing():
    x, w, b = _rand(2, 3, 7, 7), _rand(5, 3, 3, 3, seed=1), _rand(5, seed=2)
    with gb.no_grad():
        out = F.conv2d(gb.tensor(x), gb.tensor(w, requires_grad=True), gb.tensor(b), stride=2)
    assert not out.requires_grad and out.dtype == gb.float32
    ref = TF.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), stride=2)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-5, atol=1e-5)


def test_w2_conv_stack_matches_torch():
    """The W2 layers chained: channel-major conv outputs flow through ReLU, pooling, a second
    convolution and a flatten, forwards and backwards."""
    arrays = [_ties(8, 1, 28, 28), _rand(16, 1, 3, 3, seed=1) / 3, _rand(16, seed=2) / 10,
              _rand(32, 16, 3, 3, seed=3) / 12, _rand(32, seed=4) / 10]
    needs = [False, True, True, True, True]
    results = []
    for M, T in ((F, gb.tensor), (TF, torch.tensor)):
        x, w1, b1, w2, b2 = [T(a, requires_grad=r) for a, r in zip(arrays, needs)]
        h = M.max_pool2d(M.relu(M.conv2d(x, w1, b1, padding=1)), 2)
        h = M.max_pool2d(M.relu(M.conv2d(h, w2, b2, padding=1)), 2)
        h = h.reshape(h.shape[0], -1)
        (h * T(_rand(*h.shape, seed=5))).sum().backward()
        results.append([h.detach().numpy()] + [p.grad.numpy() for p in (w1, b1, w2, b2)])
    for a, b in zip(*results):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-4)


def test_max_pool1d_window_longer_than_256():
    """Window codes outgrow uint8: a global max pool over a long sequence."""
    x = _ties(2, 3, 300)
    x[0, 0, 280:] = 9.0  # the first of these ties sits past index 255
    _pool_parity(lambda t: F.max_pool1d(t, 300, return_indices=True),
                 lambda t: TF.max_pool1d(t, 300, return_indices=True), x)


@pytest.mark.parametrize("kw", [{"kernel_size": 3, "stride": 2, "padding": 1},
                                {"kernel_size": 2}])  # 2x2: the split-columns path
def test_max_pool_without_grad_matches_torch(kw):
    x = _ties(4, 3, 10, 9)
    x[0, 0, 0, 0] = np.nan
    with gb.no_grad():
        out = F.max_pool2d(gb.tensor(x), **kw)
    np.testing.assert_array_equal(out.numpy(), TF.max_pool2d(torch.tensor(x), **kw).numpy())


def test_two_by_two_pool_reads_whole_windows_on_odd_sizes():
    """Stride-2 2x2 windows over odd sizes skip the last row and column, as in torch."""
    x = _rand(2, 3, 7, 5)
    x[:, :, 6, :] = x[:, :, :, 4] = 100.0  # only a window reading past the edge would see these
    _pool_parity(lambda t: F.max_pool2d(t, 2, return_indices=True),
                 lambda t: TF.max_pool2d(t, 2, return_indices=True), x)


def test_large_two_by_two_pool_runs_in_blocks_and_matches_torch():
    """Beyond four blocks of elements the 2x2 path runs a block of planes at a time."""
    x = _ties(4, 70, 70, 68)  # 1.33M elements, planes of 70 x 68
    assert x.size > 4 * gb.backend.BLOCK_ELEMENTS
    _pool_parity(lambda t: F.max_pool2d(t, 2, return_indices=True),
                 lambda t: TF.max_pool2d(t, 2, return_indices=True), x)


def test_outputs_are_contiguous_so_view_works_as_in_torch():
    # ported code flattens with .view after conv / activation / pooling (e.g. ResNet's head)
    x, w = gb.randn(2, 3, 8, 8), gb.randn(4, 3, 3, 3)
    y = F.relu(F.conv2d(x, w, padding=1))
    for t in (y, F.max_pool2d(y, 2), F.avg_pool2d(y, 2), F.adaptive_avg_pool2d(y, 1)):
        assert t.is_contiguous()
        assert t.view(2, -1).shape == (2, t.numel() // 2)
    z = F.conv_transpose2d(y, gb.randn(4, 2, 2, 2), stride=2)
    assert z.view(2, -1).shape == (2, 2 * 16 * 16)


def test_max_pool_over_several_plane_blocks_matches_torch():
    """Many planes are pooled a block at a time; ties must still go to the first maximum."""
    rng = np.random.default_rng(7)
    x = np.round(rng.standard_normal((64, 20, 28, 28)), 1).astype(np.float32)  # 1.0M values
    g = rng.standard_normal((64, 20, 14, 14)).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.max_pool2d(tx, 2)
    ref.backward(torch.tensor(g))
    gx = gb.tensor(x, requires_grad=True)
    out = F.max_pool2d(gx, 2)
    out.backward(gb.tensor(g))
    np.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
    np.testing.assert_array_equal(gx.grad.numpy(), tx.grad.numpy())
