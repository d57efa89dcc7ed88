"""Indexing beyond the op table: errors vs torch, views, x[key] = value, duplicate indices."""

import warnings

import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.nn.functional as F
from glassbox.ops import index as index_ops


def _pair(array, requires_grad=False):
    """The same values as a glassbox and a torch tensor."""
    array = np.asarray(array)
    return gb.tensor(array, requires_grad=requires_grad), torch.tensor(array, requires_grad=requires_grad)


X = np.arange(12, dtype=np.float32).reshape(3, 4)


# --- errors: same class as torch (glassbox's may also subclass IndexError/ValueError/TypeError),
# --- and a message that names the op and the offending values ---------------------------------

ERROR_CASES = [
    # (name, call on module m and tensor x, words the glassbox message must contain)
    ("float_tensor_index", lambda m, x: x[m.tensor([0.0, 1.0])], ["getitem", "float32"]),
    ("int16_tensor_index", lambda m, x: x[m.tensor([0, 1], dtype=m.int16)], ["getitem", "int16"]),
    ("python_float_index", lambda m, x: x[1.5], ["getitem", "float"]),
    ("negative_step", lambda m, x: x[::-1], ["step", "-1"]),
    ("int_out_of_range", lambda m, x: x[5], ["getitem", "index 5", "dimension 0", "size 3"]),
    ("negative_out_of_range", lambda m, x: x[-4], ["index -4", "size 3"]),
    ("array_out_of_range", lambda m, x: x[m.tensor([0, 5])], ["index 5", "size 3"]),
    ("array_out_of_range_dim1", lambda m, x: x[:, [0, -5]], ["index -5", "dimension 1", "size 4"]),
    ("too_many_indices", lambda m, x: x[1, 2, 3], ["too many indices", "dimension 2"]),
    ("mask_shape", lambda m, x: x[m.tensor([True, False])], ["mask", "[2]", "[3, 4]"]),
    ("unbroadcastable_arrays", lambda m, x: x[[0, 1], [0, 1, 2]], ["broadcast"]),
    ("gather_out_of_range", lambda m, x: m.gather(x, 1, m.tensor([[0, 4]])), ["gather", "index 4", "size 4"]),
    ("gather_negative", lambda m, x: m.gather(x, 1, m.tensor([[-1]])), ["gather", "index -1"]),
    ("gather_float_index", lambda m, x: m.gather(x, 1, m.tensor([[0.0]])), ["gather", "float32"]),
    ("gather_index_too_big", lambda m, x: m.gather(x, 1, m.zeros(4, 1, dtype=m.int64)), ["gather", "(4, 1)", "(3, 4)"]),
    ("gather_index_ndim", lambda m, x: m.gather(x, 1, m.tensor([0])), ["gather", "dimensions"]),
    ("gather_bad_dim", lambda m, x: m.gather(x, 2, m.tensor([[0]])), ["gather", "got 2"]),
    ("index_select_out_of_range", lambda m, x: m.index_select(x, 1, m.tensor([4])), ["index_select", "index 4", "size 4"]),
    ("index_select_negative", lambda m, x: m.index_select(x, 1, m.tensor([-1])), ["index_select", "index -1"]),
    ("index_select_2d_index", lambda m, x: m.index_select(x, 1, m.tensor([[1]])), ["index_select", "(1, 1)"]),
    ("index_select_float_index", lambda m, x: m.index_select(x, 1, m.tensor([1.0])), ["index_select", "float32"]),
    ("index_add_count", lambda m, x: x.index_add(0, m.tensor([0, 1]), m.ones(3, 4)), ["index_add", "(2)", "3"]),
    ("index_add_shape", lambda m, x: x.index_add(0, m.tensor([0, 1]), m.ones(2, 5)), ["index_add", "(2, 5)"]),
    ("index_add_dtype", lambda m, x: x.index_add(0, m.tensor([0]), m.ones(1, 4, dtype=m.float64)), ["index_add", "float64"]),
    ("index_add_out_of_range", lambda m, x: x.index_add(0, m.tensor([0, 3]), m.ones(2, 4)), ["index_add", "index 3", "size 3"]),
    ("scatter_add_src_small", lambda m, x: x.scatter_add(1, m.tensor([[0, 0]]), m.ones(1, 1)), ["scatter_add", "(1, 2)", "(1, 1)"]),
    ("scatter_add_dtype", lambda m, x: x.scatter_add(1, m.tensor([[0]]), m.ones(1, 1, dtype=m.float64)), ["scatter_add", "float64"]),
    ("scatter_add_out_of_range", lambda m, x: x.scatter_add(1, m.tensor([[4]]), m.ones(1, 1)), ["scatter_add", "index 4"]),
    ("scatter_out_of_range", lambda m, x: x.scatter(0, m.tensor([[3]]), 1.0), ["scatter", "index 3", "size 3"]),
    ("masked_select_float_mask", lambda m, x: m.masked_select(x, m.tensor([1.0, 0.0, 1.0, 1.0])), ["masked_select", "bool"]),
    ("masked_select_shape", lambda m, x: m.masked_select(x, m.tensor([True, False])), ["masked_select", "(3, 4)", "(2,)"]),
    ("take_along_dim_ndim", lambda m, x: m.take_along_dim(x, m.tensor([1]), 1), ["take_along_dim", "(3, 4)", "(1,)"]),
]


@pytest.mark.parametrize("fn,words", [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_error_class_matches_torch(fn, words):
    gx, tx = _pair(X)
    with pytest.raises(Exception) as t_err:
        fn(torch, tx)
    with pytest.raises(type(t_err.value)) as g_err:
        fn(gb, gx)
    message = str(g_err.value)
    for word in words:
        assert word in message, f"{word!r} missing from {message!r}"


def test_index_errors_are_also_python_index_errors():
    gx = gb.tensor(X)
    with pytest.raises(IndexError):
        gb.gather(gx, 1, gb.tensor([[9]]))
    with pytest.raises(ValueError):  # shape errors are ValueErrors (STYLE.md) and RuntimeErrors (torch)
        gb.gather(gx, 1, gb.tensor([0]))
    with pytest.raises(TypeError):
        gb.gather(gx, 1, gb.tensor([[0.5]]))


ONE_HOT_ERRORS = [
    (lambda m: m.tensor([0, 7, 1]), 5, ["7", "num_classes=5"]),
    (lambda m: m.tensor([0, -1, 1]), 5, ["-1", "non-negative"]),
    (lambda m: m.tensor([0, 1], dtype=m.int32), 5, ["int32"]),
    (lambda m: m.tensor([0.0, 1.0]), 5, ["float32"]),
    (lambda m: m.zeros(0, dtype=m.int64), -1, ["empty"]),
    (lambda m: m.tensor([0]), 0, ["num_classes=0"]),
]


@pytest.mark.parametrize("make,n,words", ONE_HOT_ERRORS)
def test_one_hot_errors(make, n, words):
    with pytest.raises(Exception) as t_err:
        torch.nn.functional.one_hot(make(torch), n)
    with pytest.raises(type(t_err.value)) as g_err:
        F.one_hot(make(gb), n)
    for word in words:
        assert word in str(g_err.value)


def test_one_hot_values_and_dtype():
    labels = np.array([[3, 0], [1, 3]])
    g = F.one_hot(gb.tensor(labels))
    t = torch.nn.functional.one_hot(torch.tensor(labels))
    assert g.dtype == gb.int64 and g.shape == (2, 2, 4)
    np.testing.assert_array_equal(g.numpy(), t.numpy())
    assert F.one_hot is gb.one_hot
    assert gb.one_hot(gb.zeros(0, dtype=gb.int64), 3).shape == (0, 3)


# --- views ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [1, (slice(None), 2), (Ellipsis, None, slice(1, 3)), slice(0, 3, 2), ()])
def test_basic_indexing_returns_a_view(key):
    x = gb.tensor(X.copy())
    v = x[key]
    assert np.shares_memory(v.numpy(), x.numpy())
    assert v._version is x._version  # one counter: an in-place write to either is seen by both
    with gb.no_grad():
        x.add_(1.0)
    np.testing.assert_array_equal(v.numpy(), (X + 1)[key])


def test_zero_dim_int_tensor_index_is_a_view():
    x = gb.tensor(X.copy())
    v = x[gb.tensor(1)]
    assert np.shares_memory(v.numpy(), x.numpy())
    np.testing.assert_array_equal(v.numpy(), X[1])


@pytest.mark.parametrize("key", [[0, 0], (slice(None), [1]), np.array([True, False, True])])
def test_advanced_indexing_copies(key):
    x = gb.tensor(X.copy())
    y = x[key]
    assert not np.shares_memory(y.numpy(), x.numpy())
    assert y._version is not x._version


def test_inplace_change_of_a_view_is_caught_by_backward():
    w = gb.tensor(X.copy(), requires_grad=True)
    base = gb.tensor(X.copy())
    y = (w * base).sum()  # Mul saves base for its gradient
    view = base[0]
    with gb.no_grad():
        view.mul_(2.0)  # writes into base through the view, bumping the shared counter
    with pytest.raises(RuntimeError, match="modified by an in-place"):
        y.backward()


def test_view_gradient_lands_in_the_right_place():
    x = gb.tensor(X.copy(), requires_grad=True)
    x[1:, ::2].sum().backward()
    expected = np.zeros_like(X)
    expected[1:, ::2] = 1
    np.testing.assert_array_equal(x.grad.numpy(), expected)


# --- x[key] = value ------------------------------------------------------------------------

SETITEM_CASES = [
    (1, lambda m: 5.0),
    ((slice(None), 2), lambda m: m.tensor([1.0, 2.0, 3.0])),
    ((slice(1, None), slice(None, None, 2)), lambda m: m.tensor([[-1.0, -2.0]])),  # broadcast
    ([0, 2], lambda m: m.tensor([7.0, 8.0, 9.0, 10.0])),
    ((Ellipsis, -1), lambda m: m.tensor(4.0)),
    (0, lambda m: m.ones(1, 1, 4)),  # leading size-1 dims are dropped, as in torch
    ((slice(None), [1, 3], None), lambda m: m.tensor([[1.0], [2.0]])),
    ((1, [0, 3]), lambda m: m.tensor([6.0, 7.0])),
    (np.array([[True, False, True, False]] * 3), lambda m: -3.0),
    (0, lambda m: m.tensor([1, 2, 3, 4])),  # int64 into float32: cast to the target's dtype
    (0, lambda m: m.tensor([1.5, 2.5, 3.5, 4.5], dtype=m.float64)),
]


@pytest.mark.parametrize("key,value", SETITEM_CASES)
def test_setitem_matches_torch(key, value):
    gx, tx = _pair(X.copy())
    version = gx._version[0]
    gx[key] = value(gb)
    tx[key] = value(torch)
    assert gx.dtype == gb.float32
    np.testing.assert_array_equal(gx.numpy(), tx.numpy())
    assert gx._version[0] == version + 1


def test_setitem_int_tensor_truncates_like_torch():
    gx, tx = _pair(np.arange(4))
    gx[0] = 2.7
    tx[0] = 2.7
    gx[1] = gb.tensor(-1.9)
    tx[1] = torch.tensor(-1.9)
    np.testing.assert_array_equal(gx.numpy(), tx.numpy())
    assert gx.dtype == gb.int64


def test_setitem_mixed_int_and_array_places_dims_like_torch():
    a = np.zeros((2, 3, 4, 2), dtype=np.float32)
    gx, tx = _pair(a)
    value = np.arange(2 * 2 * 4, dtype=np.float32).reshape(2, 2, 4)  # (B, len(idx), C) as torch
    gx[:, [0, 2], :, 1] = gb.tensor(value)
    tx[:, [0, 2], :, 1] = torch.tensor(value)
    np.testing.assert_array_equal(gx.numpy(), tx.numpy())


def test_setitem_through_a_view_writes_the_base():
    x = gb.tensor(X.copy())
    row = x[2]
    row[1:3] = 0.0
    assert x.numpy()[2, 1] == 0 and x.numpy()[2, 2] == 0
    assert x._version[0] == 1


def test_setitem_shape_mismatch():
    gx, tx = _pair(X.copy())
    with pytest.raises(RuntimeError):
        tx[0] = torch.ones(5)
    with pytest.raises(RuntimeError, match=r"shape \(5,\).*\(4,\)") as err:
        gx[0] = gb.ones(5)
    assert isinstance(err.value, ValueError)
    with pytest.raises(IndexError, match="index 7"):
        gx[7] = 1.0
    assert gx._version[0] == 0  # nothing written, no bump


def test_setitem_refuses_tensors_that_require_grad():
    w = gb.tensor(X.copy(), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w[0] = 1.0
    x = gb.tensor(X.copy())
    with pytest.raises(RuntimeError, match="value .* requires grad"):
        x[0] = w[1]
    with gb.no_grad():
        w[0] = 1.0
        x[0] = w[1]
    np.testing.assert_array_equal(x.numpy()[0], X[1])
    assert w.detach().numpy()[0, 0] == 1.0 and w._version[0] == 1


# --- duplicate indices accumulate their gradients --------------------------------------------

DUPLICATE_CASES = [
    ("getitem", lambda m, x: x[[0, 0, 2, 0]]),
    ("getitem_tensor_2d", lambda m, x: x[m.tensor([[1, 1], [1, 0]])]),
    ("getitem_pair", lambda m, x: x[[0, 0, 0], [3, 3, 1]]),
    ("getitem_dim1", lambda m, x: x[:, [2, 2, 2, 0]]),
    ("gather", lambda m, x: m.gather(x, 1, m.tensor([[0, 0, 0], [1, 1, 3], [2, 2, 2]]))),
    ("index_select", lambda m, x: m.index_select(x, 0, m.tensor([1, 1, 1, 2]))),
    ("take_along_dim", lambda m, x: m.take_along_dim(x, m.tensor([[3, 3]]), 1)),
]


@pytest.mark.parametrize("fn", [c[1] for c in DUPLICATE_CASES], ids=[c[0] for c in DUPLICATE_CASES])
def test_duplicate_indices_accumulate(fn):
    gx, tx = _pair(X, requires_grad=True)
    g_out, t_out = fn(gb, gx), fn(torch, tx)
    weights = np.arange(1, t_out.numel() + 1, dtype=np.float32).reshape(tuple(t_out.shape))
    (g_out * gb.tensor(weights)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy())
    # some position really got several gradients: fewer nonzero slots than output elements
    assert np.count_nonzero(gx.grad.numpy()) < weights.size


def test_duplicate_index_gradient_by_hand():
    x = gb.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 0, 1]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 1.0, 0.0])


@pytest.mark.parametrize("rows,width", [(10, 64), (3, 200), (500, 32)])
def test_embedding_style_row_scatter(rows, width):
    """Wide rows take the sort + reduceat path of _add_rows; compare with torch and add.at."""
    rng = np.random.default_rng(0)
    table = rng.standard_normal((rows, width)).astype(np.float32)
    ids = rng.integers(0, rows, size=(16, 24))
    gx, tx = _pair(table, requires_grad=True)
    weights = rng.standard_normal((16, 24, width)).astype(np.float32)
    (gx[gb.tensor(ids)] * gb.tensor(weights)).sum().backward()
    (tx[torch.tensor(ids)] * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-4)
    reference = np.zeros_like(table)
    np.add.at(reference, ids.ravel(), weights.reshape(-1, width))
    out = np.zeros_like(table)
    index_ops._add_rows(out, ids.ravel(), weights.reshape(-1, width))
    np.testing.assert_allclose(out, reference, rtol=1e-5, atol=1e-4)


def test_scatter_add_src_larger_than_index_gets_zero_gradient_outside():
    # torch's own backward raises here; glassbox gives the tail of src a zero gradient
    x = gb.zeros(3, 4, requires_grad=True)
    src = gb.ones(3, 5, requires_grad=True)
    index = gb.tensor([[0, 0], [1, 3]])
    out = gb.scatter_add(x, 1, index, src)
    expected = np.zeros((3, 4), dtype=np.float32)
    expected[0, 0] = 2
    expected[1, 1] = expected[1, 3] = 1
    np.testing.assert_array_equal(out.detach().numpy(), expected)
    weights = np.arange(12, dtype=np.float32).reshape(3, 4)
    (out * gb.tensor(weights)).sum().backward()
    g = np.zeros((3, 5), dtype=np.float32)
    g[0, :2] = weights[0, 0]
    g[1, :2] = weights[1, [1, 3]]
    np.testing.assert_array_equal(src.grad.numpy(), g)
    np.testing.assert_array_equal(x.grad.numpy(), weights)


# --- keys with torch's particular meanings --------------------------------------------------


def test_nested_list_key_is_a_tuple_as_in_torch():
    gx, tx = _pair(X)
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        g = gx[[0, [1, 2]]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = tx[[0, [1, 2]]]
    np.testing.assert_array_equal(g.numpy(), t.numpy())


@pytest.mark.parametrize(
    "key",
    [
        [],
        ([], 0),
        (True,),
        (False,),
        (slice(None), True, [0, 1]),
        (True, [0, 0]),
        np.array([0, 2], dtype=np.int32),
        (slice(None), np.array([1, 0], dtype=np.int32)),
        np.array([1, 0, 1], dtype=np.uint8),  # a byte tensor is a mask in torch
        (0, slice(None), None),
        (None, Ellipsis, None),
    ],
)
def test_unusual_keys_match_torch(key):
    gx, tx = _pair(X)
    tkey = tuple(torch.tensor(k) if isinstance(k, np.ndarray) else k for k in key) if isinstance(key, tuple) else (
        torch.tensor(key) if isinstance(key, np.ndarray) else key
    )
    gkey = tuple(gb.tensor(k) if isinstance(k, np.ndarray) else k for k in key) if isinstance(key, tuple) else (
        gb.tensor(key) if isinstance(key, np.ndarray) else key
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = tx[tkey]
    g = gx[gkey]
    assert g.shape == tuple(t.shape)
    np.testing.assert_array_equal(g.numpy(), t.numpy())


def test_int_tensor_indexing_keeps_dtype_and_needs_no_grad():
    x = gb.tensor(np.arange(10))
    y = x[gb.tensor([3, 3, 9])]
    assert y.dtype == gb.int64 and not y.requires_grad
    np.testing.assert_array_equal(y.numpy(), [3, 3, 9])


def test_tensor_methods_exist():
    gx, tx = _pair(X)
    index = [[1], [0], [3]]
    pairs = [
        (gx.scatter(1, gb.tensor(index), 9.0), tx.scatter(1, torch.tensor(index), 9.0)),
        (gx.take_along_dim(gb.tensor(index), 1), tx.take_along_dim(torch.tensor(index), 1)),
        (gx.masked_select(gx > 4), tx.masked_select(tx > 4)),
        (gx.gather(1, gb.tensor(index)), tx.gather(1, torch.tensor(index))),
        (gx.index_select(1, gb.tensor([3, 0])), tx.index_select(1, torch.tensor([3, 0]))),
    ]
    for g, t in pairs:
        np.testing.assert_array_equal(g.numpy(), t.numpy())


def test_scatter_with_duplicates_sends_gradient_to_every_src_element():
    # torch's rule (derivatives.yaml: src gets grad.gather(dim, index)), ties included
    gx, tx = _pair(np.zeros((3, 4), np.float32), requires_grad=True)
    gs, ts = _pair(np.ones((2, 2), np.float32), requires_grad=True)
    index = [[0, 0], [1, 3]]
    weights = np.arange(12, dtype=np.float32).reshape(3, 4) + 1
    (gb.scatter(gx, 1, gb.tensor(index), gs) * gb.tensor(weights)).sum().backward()
    (torch.scatter(tx, 1, torch.tensor(index), ts) * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(gs.grad.numpy(), ts.grad.numpy())
    np.testing.assert_array_equal(gx.grad.numpy(), tx.grad.numpy())
