"""Indexing ops: x[key], x[key] = value, gather / scatter / scatter_add, index_select /
index_add, take_along_dim, masked_select and one_hot.

Each differentiable op is a Function with its forward beside its VJP. The VJP of every
"select" op is a "scatter-add" of the upstream gradient into zeros of the input's shape:
positions read twice receive the sum of both gradients (np.add.at, or `_add_rows` below),
which is what makes duplicate indices correct. Basic indexing (ints, slices, None, ...) returns
a NumPy view that shares memory and the version counter with its input, as in PyTorch.

Index rules follow PyTorch 2.13: negative positions wrap in x[key] and take_along_dim but are
errors in gather / scatter / index_select / index_add; slices take positive steps only; an
index tensor must be an integer or bool tensor. Range checks run on the error path (NumPy
already checks) or as one min/max pass where NumPy would wrap silently.

Error classes. PyTorch raises RuntimeError for most of these; glassbox's own convention
(STYLE.md section 7) is IndexError / ValueError / TypeError. The three classes below inherit
from both, so `except RuntimeError` code written for torch and `except ValueError` code
written for glassbox both work.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from glassbox import backend
from glassbox.autograd import Function, SliceGrad
from glassbox.ops.errors import DTypeError, IndexOutOfRangeError, ShapeError
from glassbox.tensor import Tensor

# Public names, re-exported as glassbox.<name>. getitem / setitem are reached as x[key].
__all__ = [
    "gather", "index_add", "index_select", "masked_select", "one_hot", "scatter", "scatter_add",
    "take_along_dim",
]


# ---------------------------------------------------------------------------------------------
# Shared helpers


def _check_dim(dim, ndim: int, op: str) -> int:
    """`dim` as a non-negative axis; a 0-d tensor accepts dim 0 and -1, as in torch."""
    n = max(ndim, 1)
    if not isinstance(dim, numbers.Integral):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: dimension out of range (expected to be in range of [{-n}, {n - 1}], "
            f"but got {dim})"
        )
    return int(dim) % n


def _index_array(index, op: str, what: str = "index") -> np.ndarray:
    """The ndarray of an int32/int64 index tensor (what gather & co. accept, as torch)."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}: {what} must be a Tensor, got {type(index).__name__}")
    a = index._data
    if a.dtype not in (np.int64, np.int32):
        raise DTypeError(f"{op}: expected an int64 or int32 {what} tensor, got dtype {a.dtype}")
    return a


def _check_range(idx: np.ndarray, size: int, dim: int, op: str, negative_ok=False) -> None:
    """Raise naming the first index outside [0, size) (or [-size, size) if negative_ok)."""
    if idx.size == 0:
        return
    lo = -size if negative_ok else 0
    if idx.min() < lo or idx.max() >= size:
        bad = idx[(idx < lo) | (idx >= size)].flat[0]
        raise IndexOutOfRangeError(
            f"{op}: index {bad} is out of bounds for dimension {dim} with size {size}"
        )


def _same_dtype(x: Tensor, other: Tensor, op: str, what: str) -> None:
    if x.dtype != other.dtype:
        raise DTypeError(
            f"{op}: expected {what} to have the input's dtype {x.dtype}, got {other.dtype}"
        )


def _add_rows(out: np.ndarray, rows: np.ndarray, src: np.ndarray) -> None:
    """out[rows[i]] += src[i] for every i, summing repeated rows; in place.

    out is (N, *rest), rows (M,) int, src (M, *rest). np.add.at is fast for narrow rows; for
    wide rows and many hits, summing runs of sorted row ids with np.add.reduceat is faster.
    """
    width = src[0].size if src.ndim > 1 and len(src) else 1
    if width < 16 or 4 * len(rows) < len(out):
        np.add.at(out, rows, src)
        return
    order = np.argsort(rows, kind="stable")
    ids = rows[order]
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])  # first slot of each run
    out[ids[starts]] += np.add.reduceat(src[order], starts, axis=0)


def _axis_key(idx: np.ndarray, dim: int) -> tuple:
    """Fancy-index key that reads a[..., idx[i, j, k], ...] at position (i, j, k) along dim.

    Every other axis d gets arange(idx.shape[d]) shaped to broadcast against idx.
    """
    key = []
    for d, n in enumerate(idx.shape):
        if d == dim:
            key.append(idx)
        else:
            shape = [1] * idx.ndim
            shape[d] = n
            key.append(np.arange(n).reshape(shape))
    return tuple(key)


def _leading(a: np.ndarray, shape: tuple, skip: int | None = None) -> np.ndarray:
    """The view a[:shape[0], :shape[1], ...] (axis `skip` kept whole): the part an index uses."""
    if a.shape == shape:
        return a
    return a[tuple(slice(None) if d == skip else slice(0, n) for d, n in enumerate(shape))]


# ---------------------------------------------------------------------------------------------
# x[key]: keys are converted once to a NumPy key with torch's meaning

_BAD_INDEX = (
    "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
    "indices"
)


def _convert_key(key, op: str = "getitem"):
    """(numpy key tuple, True if it is basic indexing, i.e. the result is a view)."""
    if isinstance(key, tuple):
        items = key
    elif isinstance(key, list) and _sequence_as_tuple(key):
        # torch's legacy rule: x[[0, [1, 2]]] means x[0, [1, 2]] (it warns, as here)
        warnings.warn(
            "Using a non-tuple sequence for multidimensional indexing is deprecated (as in "
            "torch); use x[tuple(seq)] instead of x[seq].",
            UserWarning,
            stacklevel=4,  # the user's x[...] line
        )
        items = tuple(key)
    else:
        items = (key,)
    out = []
    basic = True
    for k in items:
        if k is None or k is Ellipsis:
            out.append(k)
        elif isinstance(k, slice):
            if k.step is not None and k.step <= 0:
                raise ValueError(
                    f"{op}: slice step must be greater than zero, got {k.step} (negative "
                    "steps are not supported, as in torch; use flip())"
                )
            out.append(k)
        elif isinstance(k, (bool, np.bool_)):
            out.append(bool(k))  # unsqueeze + select all / none, as NumPy and torch do
            basic = False
        elif isinstance(k, numbers.Integral):
            out.append(int(k))
        elif isinstance(k, Tensor):
            a = k._data
            if a.ndim == 0 and a.dtype.kind in "iu" and a.dtype != np.uint8:
                out.append(int(a))  # a 0-d int tensor selects like an int: a view
            elif a.ndim == 0 and a.dtype == np.bool_:
                out.append(bool(a))
                basic = False
            else:
                out.append(_key_array(a, op))
                basic = False
        elif isinstance(k, (list, tuple, np.ndarray)):
            a = np.asarray(k)
            if a.size == 0 and not isinstance(k, np.ndarray):
                a = a.astype(np.int64)  # [] is an empty long index, not a float one
            out.append(_key_array(a, op))
            basic = False
        elif isinstance(k, numbers.Real):
            raise IndexError(f"{op}: {_BAD_INDEX} (got {type(k).__name__})")
        else:
            raise TypeError(f"{op}: cannot index with an object of type {type(k).__name__}")
    return tuple(out), basic


def _sequence_as_tuple(key: list) -> bool:
    """torch treats a short list holding slices, None, ..., sequences or tensors as a tuple."""
    if len(key) >= 32:
        return False
    return any(
        k is None or k is Ellipsis or isinstance(k, (slice, list, tuple, Tensor)) for k in key
    )


def _key_array(a: np.ndarray, op: str) -> np.ndarray:
    if a.dtype.kind == "b":
        return a
    if a.dtype == np.uint8:
        return a.astype(bool)  # a byte tensor is a mask (deprecated in torch, still honoured)
    if a.dtype in (np.int64, np.int32):
        return a
    raise IndexError(
        f"{op}: tensors used as indices must be long, int, byte or bool tensors, got dtype "
        f"{a.dtype}"
    )


def _explain_index_error(shape: tuple, key: tuple, op: str, err: Exception):
    """Build a clear IndexError for a key NumPy rejected (the error path only)."""
    consumed = sum(
        (np.ndim(k) if isinstance(k, np.ndarray) and k.dtype == bool else 1)
        for k in key
        if k is not None and k is not Ellipsis and not isinstance(k, bool)
    )
    if consumed > len(shape):
        return IndexError(f"{op}: too many indices for tensor of dimension {len(shape)}")
    # walk the key, tracking which input dimension each entry indexes
    n_ell = len(shape) - consumed
    dim = 0
    for k in key:
        if k is Ellipsis:
            dim += n_ell
            n_ell = 0
        elif k is None or isinstance(k, bool):
            continue
        elif isinstance(k, slice):
            dim += 1
        elif isinstance(k, np.ndarray) and k.dtype == bool:
            bad = [j for j, n in enumerate(k.shape) if shape[dim + j:dim + j + 1] != (n,)]
            if bad:
                at = dim + bad[0]
                return IndexError(
                    f"{op}: the shape of the mask {list(k.shape)} at index {bad[0]} does not "
                    f"match the shape of the indexed tensor {list(shape)} at index {at}"
                )
            dim += k.ndim
        else:
            a = np.asarray(k)
            n = shape[dim]
            bad = a[(a < -n) | (a >= n)]
            if bad.size:
                return IndexError(
                    f"{op}: index {bad.flat[0]} is out of bounds for dimension {dim} with "
                    f"size {n}"
                )
            dim += 1
    if "broadcast" in str(err):
        shapes = [list(np.shape(k)) for k in key if isinstance(k, np.ndarray)]
        return IndexError(
            f"{op}: shape mismatch: indexing tensors could not be broadcast together with "
            f"shapes {shapes}"
        )
    return IndexError(f"{op}: {err}")


class View(Function):
    """x[key] for a basic key (ints, slices, None, ...): a view of x, no copy."""

    saves_inputs = False
    is_view = True

    def forward(self, x, key):
        self.shape, self.key = x.shape, key
        return x[key]

    def backward(self, g):
        return SliceGrad(self.shape, self.key, g)  # zero outside x[key]; see SliceGrad


class Index(Function):
    """x[key] with integer arrays or masks (advanced indexing): a copy."""

    saves_inputs = False

    def forward(self, x, key):
        self.shape, self.key = x.shape, key
        return x[key]

    def backward(self, g):
        gx = np.zeros(self.shape, dtype=g.dtype)
        key = self.key
        first = key[0]
        if (
            isinstance(first, np.ndarray)
            and first.dtype.kind in "iu"
            and all(isinstance(k, slice) and k == slice(None) for k in key[1:])
        ):
            # x[idx] / x[idx, :, ...] (embedding lookups): a row scatter over dim 0.
            # g is (*idx.shape, *rest) -> (idx.size, *rest) rows
            _add_rows(gx, first.ravel(), g.reshape((first.size,) + self.shape[1:]))
        else:
            np.add.at(gx, key, g)  # repeated positions accumulate
        return gx


def getitem(x: Tensor, key) -> Tensor:
    """x[key] with PyTorch's rules; called by Tensor.__getitem__.

    Basic keys (ints, slices with positive steps, None, Ellipsis) give a view that shares
    memory and the version counter with `x`. Integer tensors / lists / arrays and bool masks
    (advanced indexing, NumPy's placement rules) give a copy; the gradient of a repeated
    position is the sum of its uses.

    Args:
        x: the tensor indexed.
        key: an index or a tuple of them.

    Example:
        >>> import glassbox as gb
        >>> x = gb.tensor([[0, 1, 2], [3, 4, 5]])
        >>> x[1, ::2], x[:, [0, 0]].shape
        (tensor([3, 5]), (2, 2))
    """
    if type(key) is int or type(key) is slice:  # the common case, kept cheap
        nkey, basic = (key,), True
        if type(key) is slice and key.step is not None:
            nkey, basic = _convert_key(key)
    else:
        nkey, basic = _convert_key(key)
    try:
        if basic:
            return View.apply(x, key=nkey)
        first, second = _split_ints(nkey)
        if first is not None:
            return Index.apply(View.apply(x, key=first), key=second)
        return Index.apply(x, key=nkey)
    except IndexError as e:
        raise _explain_index_error(x.shape, nkey, "getitem", e) from None


def _split_ints(key: tuple):
    """Split a key mixing ints and index arrays into (basic key, advanced key), or (None, None).

    torch applies integer indices first, as selects, and only then the index tensors; NumPy
    counts an int among index arrays as one more index array, which can move the result's
    dimensions (x[:, idx, :, 0] is (B, len(idx), C) in torch, (len(idx), B, C) in NumPy).
    So the ints (and slices, None) go into a view first and the arrays index that view.
    """
    if not any(type(k) is int for k in key):
        return None, None
    first, second = [], []
    for k in key:
        if type(k) is int:
            first.append(k)
        elif isinstance(k, bool):  # torch: unsqueeze, then index the new dim with [0] or []
            first.append(None)
            second.append(np.zeros(1 if k else 0, dtype=np.int64))
        elif k is None:
            first.append(None)
            second.append(slice(None))
        elif k is Ellipsis:
            first.append(k)
            second.append(k)
        elif isinstance(k, slice):
            first.append(k)
            second.append(slice(None))
        else:  # an index array, or a mask spanning mask.ndim dimensions
            first.extend([slice(None)] * (k.ndim if k.dtype == bool else 1))
            second.append(k)
    return tuple(first), tuple(second)


def setitem(x: Tensor, key, value) -> None:
    """x[key] = value, in place; bumps x's version counter. Called by Tensor.__setitem__.

    `value` (a number or a Tensor) is cast to x's dtype and broadcast to the shape of x[key].
    Not recorded for autograd: with grad mode on, neither x nor value may require grad.

    Args:
        x: the tensor written to.
        key: as for x[key].
        value: a Python number or a Tensor.

    Example:
        >>> import glassbox as gb
        >>> x = gb.zeros(2, 3)
        >>> x[:, 1] = 5.0
        >>> x[0]
        tensor([0., 5., 0.])
    """
    op = "setitem (x[key] = value)"
    x._check_inplace(op)
    if isinstance(value, Tensor):
        from glassbox import autograd

        if value.requires_grad and autograd.is_grad_enabled():
            raise RuntimeError(
                f"{op}: the value (shape {value.shape}) requires grad, but writing into a tensor "
                "is not recorded by autograd, so its gradient would be lost. Detach the value, "
                "do it under `with glassbox.no_grad():`, or build the result out of place "
                "(glassbox.where, index_add, scatter, cat)."
            )
        array = value._data
    else:
        array = value if isinstance(value, numbers.Number) else np.asarray(value)
    nkey, basic = _convert_key(key, "setitem")
    target, tkey = x._data, nkey
    try:
        if not basic:
            first, second = _split_ints(nkey)  # torch's placement of dims (see _split_ints)
            if first is not None:
                target, tkey = target[first], second  # a view: writes reach x
        target[tkey] = array
    except IndexError as e:
        raise _explain_index_error(x.shape, nkey, "setitem", e) from None
    except ValueError:
        raise ShapeError(
            f"{op}: a value of shape {tuple(np.shape(array))} cannot be broadcast to the "
            f"indexed shape {target[tkey].shape}"
        ) from None
    x._version[0] += 1


# ---------------------------------------------------------------------------------------------
# gather / scatter / scatter_add / take_along_dim: one index per output element


def _check_index_shape(x_shape, index_shape, dim, op, src_shape=None):
    """torch's rule: index.size(d) <= input.size(d) for d != dim (and <= src.size(d) for all d)."""
    if len(index_shape) != len(x_shape):
        raise ShapeError(
            f"{op}: index must have as many dimensions as the input, got index shape "
            f"{index_shape} for input shape {x_shape}"
        )
    for d, (i, n) in enumerate(zip(index_shape, x_shape)):
        if d != dim and i > n:
            raise ShapeError(
                f"{op}: index shape {index_shape} must be no larger than the input's "
                f"{x_shape} apart from dimension {dim} (dimension {d}: {i} > {n})"
            )
    too_big = src_shape is not None and (
        len(src_shape) != len(index_shape) or any(i > s for i, s in zip(index_shape, src_shape))
    )
    if too_big:
        raise ShapeError(
            f"{op}: index shape {index_shape} must be no larger than src's shape {src_shape} "
            "in every dimension"
        )


def _atleast_1d(shape: tuple) -> tuple:
    return shape if shape else (1,)


class Gather(Function):
    saves_inputs = False

    def forward(self, x, index, dim):
        # torch treats a 0-d input or index as shape (1,); the output has index's shape
        self.shape, self.index, self.dim = x.shape, index.reshape(_atleast_1d(index.shape)), dim
        x1 = x.reshape(_atleast_1d(x.shape))  # a view
        src = _leading(x1, self.index.shape, skip=dim)  # (index.shape, but dim kept whole)
        return np.take_along_axis(src, self.index, axis=dim).reshape(index.shape)

    def backward(self, g):
        gx = np.zeros(_atleast_1d(self.shape), dtype=g.dtype)
        # scatter-add into the part of gx that forward read; repeats accumulate
        region = _leading(gx, self.index.shape, self.dim)
        np.add.at(region, _axis_key(self.index, self.dim), g.reshape(self.index.shape))
        return gx.reshape(self.shape)


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """Values of `input` along `dim` at `index`: out[i][j] = input[index[i][j]][j] for dim 0.

    Args:
        input: the source tensor.
        dim: the dimension indexed.
        index: int64/int32 tensor with input's number of dimensions; index.size(d) <=
            input.size(d) for d != dim. Values in [0, input.size(dim)).

    Shape: the output has index's shape.

    Example:
        >>> import glassbox as gb
        >>> x = gb.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> gb.gather(x, 1, gb.tensor([[0, 0], [1, 0]]))
        tensor([[1., 1.],
                [4., 3.]])
    """
    idx = _index_array(index, "gather")
    d = _check_dim(dim, input.ndim, "gather")
    x_shape = _atleast_1d(input.shape)
    _check_index_shape(x_shape, _atleast_1d(idx.shape), d, "gather")
    _check_range(idx, x_shape[d], d, "gather")
    return Gather.apply(input, index=idx, dim=d)


def _scatter_args(input, dim, index, src, op):
    """Validate a scatter-family call; the index as an array of at least one dimension."""
    if isinstance(src, Tensor):
        _same_dtype(input, src, op, "src")
    idx = _index_array(index, op)
    d = _check_dim(dim, input.ndim, op)
    x_shape, i_shape = _atleast_1d(input.shape), _atleast_1d(idx.shape)
    s_shape = _atleast_1d(src.shape) if isinstance(src, Tensor) else None
    _check_index_shape(x_shape, i_shape, d, op, s_shape)
    _check_range(idx, x_shape[d], d, op)
    return idx.reshape(i_shape), d


def _gather_for_src(g, index, dim, src_shape):
    """The gradient of src: g read back at the scattered positions, zero where src was unused."""
    picked = np.take_along_axis(_leading(g, index.shape, dim), index, axis=dim)
    if picked.shape == _atleast_1d(src_shape):
        return picked.reshape(src_shape)
    # src larger than index: its unused tail gets zero (torch's own backward errors here)
    gsrc = np.zeros(src_shape, dtype=g.dtype)
    gsrc[tuple(slice(0, n) for n in index.shape)] = picked
    return gsrc


class ScatterAdd(Function):
    saves_inputs = False

    def forward(self, x, src, index, dim):
        # index is at least 1-d; 0-d x / src are seen as (1,), as in torch
        self.src_shape, self.index, self.dim = src.shape, index, dim
        out = x.reshape(_atleast_1d(x.shape)).copy()
        src1 = _leading(src.reshape(_atleast_1d(src.shape)), index.shape)
        np.add.at(_leading(out, index.shape, dim), _axis_key(index, dim), src1)
        return out.reshape(x.shape)

    def backward(self, g):
        gsrc = None
        if self.needs_input_grad[1]:
            g1 = g.reshape(_atleast_1d(g.shape))
            gsrc = _gather_for_src(g1, self.index, self.dim, self.src_shape)
        return g, gsrc


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of `input` with src added at `index` along `dim`; repeated indices accumulate.

    out[index[i][j]][j] += src[i][j] for dim 0. The inverse of gather.

    Args:
        input: the tensor added into (not modified).
        dim: the dimension indexed.
        index: int64/int32, same number of dimensions; index.size(d) <= src.size(d) for all d
            and <= input.size(d) for d != dim.
        src: values to add, input's dtype (only its leading index-shaped part is used).

    Example:
        >>> import glassbox as gb
        >>> gb.scatter_add(gb.zeros(3), 0, gb.tensor([0, 2, 0]), gb.tensor([1.0, 2.0, 3.0]))
        tensor([4., 0., 2.])
    """
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add: src must be a Tensor, got {type(src).__name__}")
    idx, d = _scatter_args(input, dim, index, src, "scatter_add")
    return ScatterAdd.apply(input, src, index=idx, dim=d)


class Scatter(Function):
    """scatter with a src tensor; `value` (a number) instead when src is None."""

    saves_inputs = False

    def forward(self, x, src=None, *, index, dim, value=None):
        self.index, self.dim = index, dim
        self.src_shape = None if src is None else src.shape
        out = x.reshape(_atleast_1d(x.shape)).copy()
        if src is not None:
            value = _leading(src.reshape(_atleast_1d(src.shape)), index.shape)
        # with repeated indices one write wins (the last here; unspecified in torch)
        _leading(out, index.shape, dim)[_axis_key(index, dim)] = value
        return out.reshape(x.shape)

    def backward(self, g):
        g1 = g.reshape(_atleast_1d(g.shape))
        gx = gsrc = None
        if self.needs_input_grad[0]:
            gx = g1.copy()  # overwritten positions get no gradient
            _leading(gx, self.index.shape, self.dim)[_axis_key(self.index, self.dim)] = 0
            gx = gx.reshape(g.shape)
        if self.src_shape is None:
            return gx
        if self.needs_input_grad[1]:
            gsrc = _gather_for_src(g1, self.index, self.dim, self.src_shape)
        return gx, gsrc


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None) -> Tensor:
    """A copy of `input` with src (a Tensor) or a number written at `index` along `dim`.

    out[index[i][j]][j] = src[i][j] for dim 0. Where an index repeats, one write wins (which
    one is unspecified, as in torch); every src element still gets the gradient g[index].

    Args:
        input: the tensor written into (not modified).
        dim: the dimension indexed.
        index: int64/int32, same number of dimensions as input (and src).
        src: a Tensor of input's dtype, or a Python number.
        value: keyword alternative to a number `src`.

    Example:
        >>> import glassbox as gb
        >>> gb.scatter(gb.zeros(2, 3), 1, gb.tensor([[2], [0]]), 7.0)
        tensor([[0., 0., 7.],
                [7., 0., 0.]])
    """
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter: give src (a Tensor or a number) or value=")
    idx, d = _scatter_args(input, dim, index, src, "scatter")
    if isinstance(src, Tensor):
        return Scatter.apply(input, src, index=idx, dim=d)
    return Scatter.apply(input, index=idx, dim=d, value=np.asarray(src).astype(input.dtype))


class TakeAlongDim(Function):
    saves_inputs = False

    def forward(self, x, index, dim, shape, out_shape):
        # x is broadcast to `shape` (a read-only view, no copy); the gradient comes back in
        # that shape and the engine sums it down to x's. index is already broadcast.
        self.shape, self.index, self.dim = shape, index, dim
        return np.take_along_axis(np.broadcast_to(x, shape), index, axis=dim).reshape(out_shape)

    def backward(self, g):
        gx = np.zeros(self.shape, dtype=g.dtype)
        np.add.at(gx, _axis_key(self.index, self.dim), g.reshape(self.index.shape))
        return gx


class Take(Function):
    """x.flatten()[index]."""

    saves_inputs = False

    def forward(self, x, index):
        self.shape, self.index = x.shape, index
        return np.take(x, index)

    def backward(self, g):
        gx = np.zeros(int(np.prod(self.shape)), dtype=g.dtype)
        np.add.at(gx, self.index, g)
        return gx.reshape(self.shape)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """Values of `input` at `indices` along `dim`, broadcasting the other dimensions.

    Like gather, but input and indices broadcast against each other except along `dim`, and
    negative indices count from the end (as in torch; not with dim=None, where both are
    flattened first).

    Args:
        input: the source tensor.
        indices: int64/int32 tensor; with dim given, input's number of dimensions.
        dim: the dimension indexed, or None for the flattened input.

    Example:
        >>> import glassbox as gb
        >>> x = gb.tensor([[10.0, 30.0, 20.0], [5.0, 4.0, 6.0]])
        >>> gb.take_along_dim(x, gb.tensor([[1], [2]]), dim=1)
        tensor([[30.],
                [ 6.]])
    """
    op = "take_along_dim"
    idx = _index_array(indices, op, "indices")
    if dim is None:
        _check_range(idx, input._data.size, 0, op)  # torch: no negatives when flattened
        return Take.apply(input, index=idx.reshape(-1))
    d = _check_dim(dim, input.ndim, op)
    if idx.ndim != input.ndim:
        raise ShapeError(
            f"{op}: input and indices should have the same number of dimensions, got shapes "
            f"{input.shape} and {idx.shape}"
        )
    x_shape, i_shape = _atleast_1d(input.shape), _atleast_1d(idx.shape)
    x_rest = x_shape[:d] + (1,) + x_shape[d + 1:]
    i_rest = i_shape[:d] + (1,) + i_shape[d + 1:]
    try:
        common = np.broadcast_shapes(x_rest, i_rest)
    except ValueError:
        raise ShapeError(
            f"{op}: input of shape {input.shape} and indices of shape {idx.shape} cannot be "
            f"broadcast together outside dimension {d}"
        ) from None
    _check_range(idx, x_shape[d], d, op, negative_ok=True)
    x_b = common[:d] + (x_shape[d],) + common[d + 1:]
    i_b = common[:d] + (i_shape[d],) + common[d + 1:]
    index = np.broadcast_to(idx.reshape(i_shape), i_b)
    out_shape = idx.shape if input.ndim == 0 else i_b  # 0-d in, 0-d out
    return TakeAlongDim.apply(input, index=index, dim=d, shape=x_b, out_shape=out_shape)
# ---------------------------------------------------------------------------------------------
# index_select / index_add: whole slices along one dimension


def _vector_index(index, op: str) -> np.ndarray:
    idx = _index_array(index, op)
    if idx.ndim > 1:
        raise IndexError(f"{op}: index must be 0-d or 1-d, got shape {idx.shape}")
    return idx.reshape(-1)


class IndexSelect(Function):
    saves_inputs = False

    def forward(self, x, index, dim):
        self.shape, self.index, self.dim = x.shape, index, dim
        if x.ndim == 0:  # torch: a 0-d input takes one index and stays 0-d
            return x.copy()
        return np.take(x, index, axis=dim)

    def backward(self, g):
        if not self.shape:
            return g
        gx = np.zeros(self.shape, dtype=g.dtype)
        # moving dim to the front makes the slices rows: (N, ...) += (M, ...)
        _add_rows(np.moveaxis(gx, self.dim, 0), self.index, np.moveaxis(g, self.dim, 0))
        return gx


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of `input` along `dim` at positions `index` (repeats allowed).

    Args:
        input: the source tensor.
        dim: the dimension indexed.
        index: 0-d or 1-d int64/int32 tensor with values in [0, input.size(dim)).

    Shape: input's, with size len(index) along dim.

    Example:
        >>> import glassbox as gb
        >>> gb.index_select(gb.tensor([[0, 1, 2], [3, 4, 5]]), 1, gb.tensor([2, 0]))
        tensor([[2, 0],
                [5, 3]])
    """
    op = "index_select"
    idx = _vector_index(index, op)
    d = _check_dim(dim, input.ndim, op)
    if input.ndim == 0 and idx.size != 1:
        raise ShapeError(f"{op}: a 0-d input takes exactly one index, got {idx.size}")
    _check_range(idx, _atleast_1d(input.shape)[d], d, op)
    return IndexSelect.apply(input, index=idx, dim=d)


class IndexAdd(Function):
    saves_inputs = False

    def forward(self, x, source, index, dim, alpha):
        self.index, self.dim, self.alpha = index, dim, alpha
        self.src_shape = source.shape
        out = x.reshape(_atleast_1d(x.shape)).copy()  # 0-d is seen as (1,), as in torch
        src = source.reshape(_atleast_1d(source.shape))
        if alpha != 1:
            src = src * np.asarray(alpha).astype(x.dtype)
        _add_rows(np.moveaxis(out, dim, 0), index, np.moveaxis(src, dim, 0))
        return out.reshape(x.shape)

    def backward(self, g):
        gs = None
        if self.needs_input_grad[1]:
            g1 = g.reshape(_atleast_1d(g.shape))
            gs = np.take(g1, self.index, axis=self.dim).reshape(self.src_shape)
            if self.alpha != 1:
                gs = gs * np.asarray(self.alpha).astype(g.dtype)
        return g, gs


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, alpha=1) -> Tensor:
    """A copy of `input` with alpha * source[i] added to slice index[i] along `dim`.

    Repeated indices accumulate. The inverse of index_select.

    Args:
        input: the tensor added into (not modified).
        dim: the dimension indexed.
        index: 0-d or 1-d int64/int32 tensor, values in [0, input.size(dim)).
        source: input's dtype and shape, except size len(index) along dim.
        alpha: scale for source (default 1).

    Example:
        >>> import glassbox as gb
        >>> gb.index_add(gb.zeros(3, 2), 0, gb.tensor([0, 0]), gb.ones(2, 2))
        tensor([[2., 2.],
                [0., 0.],
                [0., 0.]])
    """
    op = "index_add"
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}: source must be a Tensor, got {type(source).__name__}")
    idx = _vector_index(index, op)
    d = _check_dim(dim, input.ndim, op)
    _same_dtype(input, source, op, "source")
    x_shape, s_shape = _atleast_1d(input.shape), _atleast_1d(source.shape)
    if len(s_shape) != len(x_shape) or any(
        a != b for k, (a, b) in enumerate(zip(x_shape, s_shape)) if k != d
    ):
        raise ShapeError(
            f"{op}: source shape must match the input's shape except along dimension {d}, got "
            f"input {input.shape} and source {source.shape}"
        )
    if s_shape[d] != idx.size:
        raise ShapeError(
            f"{op}: number of indices ({idx.size}) must equal source.size({d}) = {s_shape[d]}"
        )
    _check_range(idx, x_shape[d], d, op)
    return IndexAdd.apply(input, source, index=idx, dim=d, alpha=alpha)


# ---------------------------------------------------------------------------------------------
# masked_select, one_hot


class MaskedSelect(Function):
    saves_inputs = False

    def forward(self, x, mask):
        # both broadcast to one shape; the gradient comes back in that shape and the engine
        # sums it down to x's
        self.mask = np.broadcast_to(mask, np.broadcast_shapes(x.shape, mask.shape))
        return np.broadcast_to(x, self.mask.shape)[self.mask]

    def backward(self, g):
        gx = np.zeros(self.mask.shape, dtype=g.dtype)
        gx[self.mask] = g
        return gx, None


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of `input` where the bool `mask` is True, as a 1-D tensor.

    input and mask broadcast together; elements come in row-major order.

    Args:
        input: the source tensor.
        mask: a bool tensor broadcastable with input.

    Example:
        >>> import glassbox as gb
        >>> x = gb.tensor([[1.0, -2.0], [-3.0, 4.0]])
        >>> gb.masked_select(x, x > 0)
        tensor([1., 4.])
    """
    op = "masked_select"
    if not isinstance(mask, Tensor) or mask.dtype != np.bool_:
        what = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
        raise DTypeError(f"{op}: expected a bool tensor for mask, got {what}")
    try:
        np.broadcast_shapes(input.shape, mask.shape)
    except ValueError:
        raise ShapeError(
            f"{op}: input of shape {input.shape} and mask of shape {mask.shape} cannot be "
            "broadcast together"
        ) from None
    return MaskedSelect.apply(input, mask)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """One-hot encoding of int64 class indices: a trailing dimension of size num_classes.

    Args:
        tensor: int64 tensor of class indices in [0, num_classes).
        num_classes: number of classes; -1 (default) uses max(tensor) + 1.

    Shape: (*) -> (*, num_classes), dtype int64 (no gradient).

    Example:
        >>> import glassbox as gb
        >>> gb.one_hot(gb.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    op = "one_hot"
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(tensor).__name__}")
    a = tensor._data
    if a.dtype != np.int64:
        raise DTypeError(
            f"{op}: only applicable to int64 (long) index tensors, got dtype {a.dtype}"
        )
    if num_classes == -1:
        if a.size == 0:
            raise ShapeError(
                f"{op}: can not infer the number of classes from an empty tensor; pass "
                "num_classes"
            )
        num_classes = int(a.max()) + 1
    if a.size:
        lo, hi = int(a.min()), int(a.max())
        if lo < 0:
            raise IndexOutOfRangeError(f"{op}: class values must be non-negative, got {lo}")
        if hi >= num_classes:
            raise IndexOutOfRangeError(
                f"{op}: class value {hi} is out of range for num_classes={num_classes} "
                f"(classes must be in [0, {num_classes}))"
            )
    elif num_classes < 0:
        raise ValueError(f"{op}: num_classes must be -1 or non-negative, got {num_classes}")
    out = np.zeros(a.shape + (num_classes,), dtype=backend.int64)
    if a.size:
        flat = out.reshape(a.size, num_classes)  # a view of the fresh array
        flat[np.arange(a.size), a.reshape(-1)] = 1
    return Tensor._wrap(out)
