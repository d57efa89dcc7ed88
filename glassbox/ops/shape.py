"""Shape ops: reshape/view, flatten/unflatten, squeeze/unsqueeze, permute/transpose/movedim,
expand/repeat, contiguous, cat/stack, split/chunk/unbind/narrow, flip, tril/triu, pad.

Views. What torch implements as a view (view, reshape where the strides allow, flatten,
unflatten, squeeze, unsqueeze, permute, transpose, movedim, expand, split, chunk, unbind,
narrow) returns a NumPy view here too, from a Function with `is_view = True`: the result shares
its input's version counter, so autograd sees an in-place change made through either. What
copies in torch (flip, repeat, cat, stack, tril/triu, pad, reshape of a tensor whose strides
forbid a view) copies here, so writing into the result never changes the input.

Gradients. A view's VJP is its inverse (reshape back, the inverse permutation); expand's is the
engine's `sum_to_shape` (expand is broadcasting); a slice's (split, narrow, unbind) writes the
gradient into zeros of the input's shape; pad's gathers are undone by summing each gathered
gradient back onto its source position.

Dims follow torch: negative dims count from the end; out-of-range dims raise IndexError; other
bad arguments raise RuntimeError (TypeError for non-int sizes), each message naming the op and
the shapes involved.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from glassbox.autograd import Function, SliceGrad
from glassbox.ops import elementwise
from glassbox.ops.reduce import _check_dim as _dim
from glassbox.tensor import Tensor

__all__ = [
    "cat",
    "chunk",
    "concat",
    "concatenate",
    "contiguous",
    "expand",
    "flatten",
    "flip",
    "moveaxis",
    "movedim",
    "narrow",
    "pad",
    "permute",
    "repeat",
    "reshape",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "swapdims",
    "transpose",
    "tril",
    "triu",
    "unbind",
    "unflatten",
    "unsqueeze",
    "view",
]


# ---------------------------------------------------------------------------------------------
# Argument helpers


def _sizes(sizes: tuple, op: str) -> tuple:
    """Sizes given as varargs `f(2, 3)` or as one sequence `f((2, 3))`, each an int."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    try:
        return tuple(operator.index(s) for s in sizes)
    except TypeError:
        raise TypeError(f"{op}: sizes must be ints, got {sizes}") from None


def _unique_dims(dims, ndim: int, op: str) -> tuple:
    out = tuple(_dim(d, ndim, op) for d in dims)
    for i, d in enumerate(out):
        if d in out[:i]:
            raise RuntimeError(f"{op}: dim {d} appears multiple times in the list of dims {dims}")
    return out


def _infer_shape(shape: tuple, numel: int, op: str, mismatch) -> tuple:
    """`shape` with its one -1 replaced by the size that makes it hold `numel` elements.

    `mismatch()` builds the error message when no size fits (formatted only on error).
    """
    inferred = None
    for i, s in enumerate(shape):
        if s == -1:
            if inferred is not None:
                raise RuntimeError(
                    f"{op}: only one dimension can be inferred (-1), got {list(shape)}"
                )
            inferred = i
        elif s < 0:
            raise RuntimeError(f"{op}: invalid shape dimension {s} at index {i} of {list(shape)}")
    known = math.prod(s for s in shape if s != -1)
    if inferred is None:
        if known != numel:
            raise RuntimeError(mismatch())
        return shape
    if known == 0:
        if numel == 0:
            raise RuntimeError(
                f"{op}: cannot reshape a tensor of 0 elements into shape {list(shape)}: the -1 "
                "could be any size"
            )
        raise RuntimeError(mismatch())
    if numel % known:
        raise RuntimeError(mismatch())
    return shape[:inferred] + (numel // known,) + shape[inferred + 1 :]


def _view_possible(a: np.ndarray, shape: tuple) -> bool:
    """Whether `a` can be reshaped to `shape` without copying (torch's rule for view)."""
    if a.flags.c_contiguous:
        return True
    try:
        np.reshape(a, shape, copy=False)
        return True
    except ValueError:
        return False
    except TypeError:  # NumPy < 2.1 has no copy=: setting .shape refuses the same cases
        try:
            a.view().shape = shape
            return True
        except AttributeError:
            return False


# ---------------------------------------------------------------------------------------------
# reshape, view, flatten, unflatten, squeeze, unsqueeze


class Reshape(Function):
    """A reshape NumPy does without copying: the result is a view of the input."""

    saves_inputs = False
    is_view = True

    def forward(self, x, shape):
        self.in_shape = x.shape
        return x.reshape(shape)

    def backward(self, g):
        return g.reshape(self.in_shape)


class ReshapeCopy(Reshape):
    """A reshape of a tensor whose strides forbid a view (e.g. a transpose): it copies."""

    is_view = False


def _reshape(x, shape: tuple) -> Tensor:
    cls = Reshape if _view_possible(x._data, shape) else ReshapeCopy
    return cls.apply(x, shape=shape)


def _target_shape(x, sizes, op):
    shape = _sizes(sizes, op)
    return _infer_shape(
        shape,
        x._data.size,
        op,
        lambda: (
            f"{op}: shape {list(shape)} is invalid for a tensor of shape {tuple(x.shape)} "
            f"({x._data.size} elements)"
        ),
    )


def reshape(x, *shape) -> Tensor:
    """The same elements in a new shape; a view when the memory layout allows, else a copy.

    Args:
        x: the tensor.
        *shape: the new sizes, as varargs `reshape(x, 2, -1)` or a tuple `reshape(x, (2, -1))`;
            one size may be -1 (inferred).

    Example:
        >>> import glassbox as gb
        >>> gb.arange(6).reshape(2, -1).shape
        (2, 3)
    """
    return _reshape(x, _target_shape(x, shape, "reshape"))


def view(x, *shape) -> Tensor:
    """A view of `x` with a new shape, sharing memory; raises if the strides do not allow one.

    Use `reshape` (which copies when needed) for, e.g., a transposed tensor.

    Args:
        x: the tensor.
        *shape: the new sizes (varargs or one tuple; one may be -1).

    Example:
        >>> import glassbox as gb
        >>> gb.arange(6).view(3, 2).shape
        (3, 2)
    """
    shape = _target_shape(x, shape, "view")
    if not _view_possible(x._data, shape):
        strides = tuple(s // x._data.itemsize for s in x._data.strides)
        raise RuntimeError(
            f"view: a tensor of shape {tuple(x.shape)} with strides {strides} cannot be viewed "
            f"as shape {shape}: its elements are not laid out in memory in that order (e.g. "
            "after a transpose). Use .reshape(...) instead, which copies when needed."
        )
    return Reshape.apply(x, shape=shape)


def flatten(x, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim (inclusive) into one; a 0-d tensor becomes shape (1,).

    Args:
        x: the tensor.
        start_dim: first dim to merge (default 0).
        end_dim: last dim to merge, inclusive (default -1).

    Example:
        >>> import glassbox as gb
        >>> gb.zeros(2, 3, 4).flatten(1).shape
        (2, 12)
    """
    s, e = _dim(start_dim, x.ndim, "flatten"), _dim(end_dim, x.ndim, "flatten")
    if x.ndim == 0:
        return Reshape.apply(x, shape=(1,))
    if s > e:
        raise RuntimeError(
            f"flatten: start_dim ({start_dim}) cannot come after end_dim ({end_dim}) "
            f"(input shape {tuple(x.shape)})"
        )
    shape = x.shape[:s] + (math.prod(x.shape[s : e + 1]),) + x.shape[e + 1 :]
    return _reshape(x, shape)


def unflatten(x, dim: int, sizes) -> Tensor:
    """Split dim `dim` into `sizes` (a sequence; one entry may be -1).

    Args:
        x: the tensor (at least 1-d).
        dim: the dim to split.
        sizes: the new sizes replacing it; their product must equal its size.

    Example:
        >>> import glassbox as gb
        >>> gb.zeros(2, 12).unflatten(1, (3, -1)).shape
        (2, 3, 4)
    """
    if x.ndim == 0:
        raise RuntimeError("unflatten: a 0-d tensor has no dimension to unflatten")
    d = _dim(dim, x.ndim, "unflatten")
    sizes = _sizes((sizes,), "unflatten")
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = x.shape[d]
    sizes = _infer_shape(
        sizes,
        n,
        "unflatten",
        lambda: (
            f"unflatten: sizes {list(sizes)} don't multiply up to the size of dim {d} ({n}) "
            f"of the input of shape {tuple(x.shape)}"
        ),
    )
    return _reshape(x, x.shape[:d] + sizes + x.shape[d + 1 :])


def squeeze(x, dim=None) -> Tensor:
    """Remove size-1 dims: all of them (dim=None), or those among `dim` (int or tuple).

    A named dim whose size is not 1 is left alone, as in torch.

    Args:
        x: the tensor.
        dim: None (every size-1 dim), an int or a tuple of ints.

    Example:
        >>> import glassbox as gb
        >>> gb.zeros(1, 3, 1).squeeze().shape, gb.zeros(1, 3, 1).squeeze((0, 1)).shape
        ((3,), (3, 1))
    """
    if dim is None:
        axes = range(x.ndim)
    else:
        dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
        axes = _unique_dims(dims, x.ndim, "squeeze") if x.ndim else ()
    drop = {a for a in axes if x.shape[a] == 1}
    return Reshape.apply(x, shape=tuple(s for a, s in enumerate(x.shape) if a not in drop))


def unsqueeze(x, dim: int) -> Tensor:
    """Insert a size-1 dim at `dim` (in [-ndim - 1, ndim]).

    Args:
        x: the tensor.
        dim: where the new dim goes in the result.

    Example:
        >>> import glassbox as gb
        >>> gb.zeros(3, 4).unsqueeze(-1).shape
        (3, 4, 1)
    """
    d = _dim(dim, x.ndim + 1, "unsqueeze")
    return Reshape.apply(x, shape=x.shape[:d] + (1,) + x.shape[d:])


# ---------------------------------------------------------------------------------------------
# permute, transpose, movedim


class Permute(Function):
    saves_inputs = False
    is_view = True

    def forward(self, x, dims):
        self.dims = dims
        return np.transpose(x, dims)

    def backward(self, g):
        return np.transpose(g, np.argsort(self.dims))  # the inverse permutation


def permute(x, *dims) -> Tensor:
    """Reorder the dims: output dim i is input dim dims[i] (varargs or one tuple); a view.

    Args:
        x: the tensor.
        *dims: a permutation of range(x.ndim) (negative dims allowed).

    Example:
        >>> import glassbox as gb
        >>> gb.zeros(2, 3, 4).permute(2, 0, 1).shape
        (4, 2, 3)
    """
    dims = _sizes(dims, "permute")
    if len(dims) != x.ndim:
        raise RuntimeError(
            f"permute: the number of dims ({len(dims)}, {list(dims)}) does not match the number "
            f"of dimensions of the input ({x.ndim}, shape {tuple(x.shape)})"
        )
    return Permute.apply(x, dims=_unique_dims(dims, x.ndim, "permute"))


def transpose(x, dim0: int, dim1: int) -> Tensor:
    """Swap dims dim0 and dim1; a view.

    Args:
        x: the tensor.
        dim0, dim1: the dims to swap.

    Example:
        >>> import glassbox as gb
        >>> gb.zeros(2, 3, 4).transpose(0, -1).shape
        (4, 3, 2)
    """
    d0, d1 = _dim(dim0, x.ndim, "transpose"), _dim(dim1, x.ndim, "transpose")
    perm = list(range(x.ndim))
    if x.ndim:
        perm[d0], perm[d1] = perm[d1], perm[d0]
    return Permute.apply(x, dims=tuple(perm))


swapaxes = swapdims = transpose


def movedim(x, source, destination) -> Tensor:
    """Move dims `source` (int or sequence) to positions `destination`; the rest keep their order.

    Args:
        x: the tensor.
        source: int or sequence of dims to move.
        destination: int or sequence, their positions in the result.

    Example:
        >>> import glassbox as gb
        >>> gb.zeros(2, 3, 4).movedim(0, -1).shape
        (3, 4, 2)
    """
    src = tuple(source) if isinstance(source, (tuple, list)) else (source,)
    dst = tuple(destination) if isinstance(destination, (tuple, list)) else (destination,)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: source ({list(src)}) and destination ({list(dst)}) must have the same "
            "number of dims"
        )
    src = tuple(_dim(d, x.ndim, "movedim") for d in src)
    dst = tuple(_dim(d, x.ndim, "movedim") for d in dst)
    for name, ds in (("source", src), ("destination", dst)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(ds)})")
    if not x.ndim:  # a 0-d tensor accepts dim 0 / -1 and has nothing to move
        return Permute.apply(x, dims=())
    perm = [None] * x.ndim
    for s, d in zip(src, dst):
        perm[d] = s
    rest = iter(a for a in range(x.ndim) if a not in src)
    perm = tuple(p if p is not None else next(rest) for p in perm)
    return Permute.apply(x, dims=perm)


moveaxis = movedim


# ---------------------------------------------------------------------------------------------
# expand, repeat, contiguous


class Expand(Function):
    """Broadcast to a bigger shape without copying (a read-only NumPy view)."""

    saves_inputs = False
    is_view = True

    def forward(self, x, shape):
        return np.broadcast_to(x, shape)

    def backward(self, g):
        # expand is broadcasting: the engine's sum_to_shape sums g back to the input's shape
        return g


def expand(x, *sizes) -> Tensor:
    """A view with size-1 dims repeated (and new leading dims) to `sizes`; -1 keeps a size.

    Args:
        x: the tensor.
        *sizes: target sizes (varargs or one tuple), at least x.ndim of them; -1 keeps a
            size; a non-1 size must stay the same.

    Example:
        >>> import glassbox as gb
        >>> gb.zeros(3, 1).expand(2, -1, 4).shape
        (2, 3, 4)
    """
    sizes = _sizes(sizes, "expand")
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}, {list(sizes)}) must be greater "
            f"or equal to the number of dimensions in the tensor ({x.ndim}, shape {tuple(x.shape)})"
        )
    shape = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"expand: the expanded size of the tensor ({s}) isn't allowed in a leading, "
                    f"non-existing dimension {i} (target sizes {list(sizes)})"
                )
            shape.append(s)
            continue
        have = x.shape[i - lead]
        if s == -1:
            s = have
        elif s < 0 or (have != 1 and s != have):
            raise RuntimeError(
                f"expand: the expanded size of the tensor ({s}) must match the existing size "
                f"({have}) at non-singleton dimension {i}. Target sizes: {list(sizes)}. "
                f"Tensor sizes: {list(x.shape)}"
            )
        shape.append(s)
    return Expand.apply(x, shape=tuple(shape))


class Repeat(Function):
    saves_inputs = False

    def forward(self, x, reps):
        self.in_shape, self.reps = x.shape, reps
        return np.tile(x, reps)

    def backward(self, g):
        # The output has shape (r0*s0, r1*s1, ...): view it as (r0, s0, r1, s1, ...) and sum
        # over the r axes, adding up every copy of each input element.
        padded = (1,) * (len(self.reps) - len(self.in_shape)) + self.in_shape
        interleaved = [n for r, s in zip(self.reps, padded) for n in (r, s)]
        g = g.reshape(interleaved).sum(axis=tuple(range(0, len(interleaved), 2)))
        return g.reshape(self.in_shape)


def repeat(x, *sizes) -> Tensor:
    """Tile `x`: repeat it sizes[i] times along dim i (extra leading sizes add dims); a copy.

    Args:
        x: the tensor.
        *sizes: repetitions per dim (varargs or one tuple), at least x.ndim of them.

    Example:
        >>> import glassbox as gb
        >>> gb.tensor([1, 2]).repeat(2, 2)
        tensor([[1, 2, 1, 2],
                [1, 2, 1, 2]])
    """
    reps = _sizes(sizes, "repeat")
    if len(reps) < x.ndim:
        raise RuntimeError(
            f"repeat: number of dimensions of repeat dims ({len(reps)}, {list(reps)}) can not be "
            f"smaller than the number of dimensions of the tensor ({x.ndim}, shape "
            f"{tuple(x.shape)})"
        )
    if any(r < 0 for r in reps):
        raise RuntimeError(f"repeat: repeats must be non-negative, got {list(reps)}")
    return Repeat.apply(x, reps=reps)


class Contiguous(Function):
    saves_inputs = False

    def forward(self, x):
        return np.ascontiguousarray(x)

    def backward(self, g):
        return g


def contiguous(x) -> Tensor:
    """`x` itself if its memory is C-contiguous, else a C-contiguous copy.

    Args:
        x: the tensor.

    Example:
        >>> import glassbox as gb
        >>> gb.zeros(2, 3).T.contiguous().is_contiguous()
        True
    """
    if x._data.flags.c_contiguous:
        return x
    return Contiguous.apply(x)


# ---------------------------------------------------------------------------------------------
# cat, stack


class Cat(Function):
    saves_inputs = False

    def forward(self, *arrays, axis, skip):
        # skip[i]: a legacy 1-D empty input, left out of the result (its gradient is empty)
        self.axis, self.skip = axis, skip
        kept = [a for a, s in zip(arrays, skip) if not s]
        self.bounds = np.cumsum([a.shape[axis] for a in kept])[:-1]
        return np.concatenate(kept, axis=axis)

    def backward(self, g):
        pieces = iter(np.split(g, self.bounds, axis=self.axis))
        grads = []
        for skipped, need in zip(self.skip, self.needs_input_grad):
            piece = np.zeros(0, dtype=g.dtype) if skipped else next(pieces)
            grads.append(piece if need else None)
        return tuple(grads)


class Stack(Function):
    saves_inputs = False

    def forward(self, *arrays, axis):
        self.axis = axis
        return np.stack(arrays, axis=axis)

    def backward(self, g):
        lead = (slice(None),) * self.axis
        return tuple(
            g[lead + (i,)] if need else None for i, need in enumerate(self.needs_input_grad)
        )


def _tensor_list(tensors, op: str) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expected a list or tuple of Tensors, got {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected a Tensor at position {i}, got {type(t).__name__}")
    return list(tensors)


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dim; all other sizes must match. Dtypes are promoted.

    As in torch, 1-D empty tensors (shape (0,)) are skipped, whatever the others' shapes.

    Args:
        tensors: a list or tuple of tensors of the same ndim (at least 1-d).
        dim: the dim to join along (default 0).

    Example:
        >>> import glassbox as gb
        >>> gb.cat([gb.zeros(2, 3), gb.ones(2, 1)], dim=1).shape
        (2, 4)
    """
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("cat: expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(
                f"cat: zero-dimensional tensor (at position {i}) cannot be concatenated"
            )
    dtype = elementwise.result_dtype(*tensors)
    skip = tuple(t.shape == (0,) for t in tensors)
    if all(skip):
        skip = (False,) * len(tensors)
    kept = [(i, t) for i, t in enumerate(tensors) if not skip[i]]
    ref = kept[0][1]
    axis = _dim(dim, ref.ndim, "cat")
    for i, t in kept:
        if t.ndim != ref.ndim:
            raise RuntimeError(
                f"cat: tensors must have the same number of dimensions: got {ref.ndim} and "
                f"{t.ndim} (shapes {_shapes(tensors)})"
            )
        for d in range(ref.ndim):
            if d != axis and t.shape[d] != ref.shape[d]:
                raise RuntimeError(
                    f"cat: sizes of tensors must match except in dimension {axis}. Expected size "
                    f"{ref.shape[d]} but got size {t.shape[d]} for tensor number {i} in the "
                    f"list (shapes {_shapes(tensors)})"
                )
    operands = [elementwise.as_operand(t, dtype) for t in tensors]
    return Cat.apply(*operands, axis=axis, skip=skip)


concat = concatenate = cat


def _shapes(tensors) -> str:
    return ", ".join(str(tuple(t.shape)) for t in tensors)


def stack(tensors, dim: int = 0) -> Tensor:
    """Join same-shape tensors along a new dim `dim` (in [-ndim - 1, ndim]).

    Args:
        tensors: a list or tuple of same-shape tensors.
        dim: where the new dim goes in the result (default 0).

    Example:
        >>> import glassbox as gb
        >>> gb.stack([gb.zeros(2, 3), gb.ones(2, 3)], dim=-1).shape
        (2, 3, 2)
    """
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack: expects a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack: expects each tensor to be equal size, but got {tuple(tensors[0].shape)} "
                f"at entry 0 and {tuple(t.shape)} at entry {i}"
            )
    axis = _dim(dim, tensors[0].ndim + 1, "stack")
    dtype = elementwise.result_dtype(*tensors)
    return Stack.apply(*[elementwise.as_operand(t, dtype) for t in tensors], axis=axis)


# ---------------------------------------------------------------------------------------------
# split, chunk, unbind, narrow: views of slices


class Narrow(Function):
    """x[..., start:start + length, ...] along `axis`: a view."""

    saves_inputs = False
    is_view = True

    def forward(self, x, axis, start, length):
        self.shape = x.shape
        self.index = (slice(None),) * axis + (slice(start, start + length),)
        return x[self.index]

    def backward(self, g):
        return SliceGrad(self.shape, self.index, g)  # zero outside the piece; see SliceGrad


class Select(Narrow):
    """x[..., i, ...] along `axis` (the dim removed): a view."""

    def forward(self, x, axis, index):
        self.shape = x.shape
        self.index = (slice(None),) * axis + (index,)
        return x[self.index]


def _pieces(x, sizes, axis) -> tuple:
    out, start = [], 0
    for s in sizes:
        out.append(Narrow.apply(x, axis=axis, start=start, length=s))
        start += s
    return tuple(out)


def split(x, split_size_or_sections, dim: int = 0) -> tuple:
    """Views of consecutive pieces along `dim`, of one size or of the sizes in a list.

    An int gives pieces of that size (the last may be smaller); a list/tuple of sizes must
    add up to the dim's size.

    Args:
        x: the tensor (at least 1-d).
        split_size_or_sections: an int (piece size) or a list/tuple of piece sizes.
        dim: the dim to split (default 0).

    Example:
        >>> import glassbox as gb
        >>> [p.shape for p in gb.zeros(5, 2).split(2)]
        [(2, 2), (2, 2), (1, 2)]
    """
    if x.ndim == 0:
        raise RuntimeError("split: expects at least a 1-dimensional tensor")
    axis = _dim(dim, x.ndim, "split")
    n = x.shape[axis]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = _sizes((split_size_or_sections,), "split")
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise RuntimeError(
                f"split: split_sizes {list(sizes)} must be non-negative and sum exactly to {n} "
                f"(the size of dim {axis} of the input of shape {tuple(x.shape)})"
            )
        return _pieces(x, sizes, axis)
    size = operator.index(split_size_or_sections)
    if size < 0:
        raise RuntimeError(f"split: expects split_size to be non-negative, but got {size}")
    if size == 0:
        if n:
            raise RuntimeError(
                f"split: split_size can only be 0 if the dimension size is 0, but dim {axis} of "
                f"the input of shape {tuple(x.shape)} has size {n}"
            )
        return _pieces(x, [0], axis)
    count = max(-(-n // size), 1)
    return _pieces(x, [size] * (count - 1) + [n - size * (count - 1)], axis)


def chunk(x, chunks: int, dim: int = 0) -> tuple:
    """Split into `chunks` views of size ceil(n / chunks) along `dim` (maybe fewer, as torch).

    Args:
        x: the tensor (at least 1-d).
        chunks: the number of pieces wanted (> 0).
        dim: the dim to split (default 0).

    Example:
        >>> import glassbox as gb
        >>> [p.shape for p in gb.zeros(6).chunk(4)]
        [(2,), (2,), (2,)]
    """
    if x.ndim == 0:
        raise RuntimeError("chunk: expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk: expects `chunks` to be greater than 0, got: {chunks}")
    axis = _dim(dim, x.ndim, "chunk")
    n = x.shape[axis]
    if n == 0:  # split would give one empty piece; chunk keeps the number asked for
        return _pieces(x, [0] * chunks, axis)
    return split(x, -(-n // chunks), axis)


def unbind(x, dim: int = 0) -> tuple:
    """The slices along `dim`, each without that dim (views).

    Args:
        x: the tensor (at least 1-d).
        dim: the dim to remove (default 0).

    Example:
        >>> import glassbox as gb
        >>> [t.shape for t in gb.zeros(2, 3).unbind(1)]
        [(2,), (2,), (2,)]
    """
    if x.ndim == 0:
        raise IndexError("unbind: dimension specified as 0 but the tensor has no dimensions")
    axis = _dim(dim, x.ndim, "unbind")
    return tuple(Select.apply(x, axis=axis, index=i) for i in range(x.shape[axis]))


def narrow(x, dim: int, start: int, length: int) -> Tensor:
    """A view of `length` elements along `dim` from `start` (negative start counts from the end).

    Args:
        x: the tensor (at least 1-d).
        dim: the dim to narrow.
        start: first index kept (in [-size, size]).
        length: number of elements kept (>= 0).

    Example:
        >>> import glassbox as gb
        >>> gb.arange(5).narrow(0, 1, 3)
        tensor([1, 2, 3])
    """
    if x.ndim == 0:
        raise RuntimeError("narrow: cannot be applied to a 0-dim tensor")
    axis = _dim(dim, x.ndim, "narrow")
    n = x.shape[axis]
    start, length = operator.index(start), operator.index(length)
    if not -n <= start <= n:
        raise IndexError(
            f"narrow: start out of range (expected to be in range of [{-n}, {n}], but got {start})"
        )
    start %= n if n else 1
    if length < 0:
        raise RuntimeError(f"narrow: length must be non-negative, got {length}")
    if start + length > n:
        raise RuntimeError(
            f"narrow: start ({start}) + length ({length}) exceeds dimension size ({n}) of dim "
            f"{axis} (input shape {tuple(x.shape)})"
        )
    return Narrow.apply(x, axis=axis, start=start, length=length)


# ---------------------------------------------------------------------------------------------
# flip, tril, triu


class Flip(Function):
    saves_inputs = False

    def forward(self, x, axes):
        self.axes = axes
        return np.flip(x, axes).copy()  # torch's flip copies; a negative-stride view would not

    def backward(self, g):
        return np.flip(g, self.axes)


def flip(x, dims) -> Tensor:
    """Reverse the order of elements along `dims` (an int or a sequence); a copy.

    Args:
        x: the tensor.
        dims: int or sequence of dims to reverse.

    Example:
        >>> import glassbox as gb
        >>> gb.tensor([[1, 2], [3, 4]]).flip((0, 1))
        tensor([[4, 3],
                [2, 1]])
    """
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    axes = _unique_dims(dims, x.ndim, "flip")
    return Flip.apply(x, axes=axes if x.ndim else ())


class Tril(Function):
    saves_inputs = False

    def forward(self, x, diagonal, upper):
        self.diagonal, self.upper = diagonal, upper
        return (np.triu if upper else np.tril)(x, diagonal)

    def backward(self, g):
        return (np.triu if self.upper else np.tril)(g, self.diagonal)


def _triangle(x, diagonal, upper, op):
    if x.ndim < 2:
        raise RuntimeError(
            f"{op}: input tensor must have at least 2 dimensions, got shape {tuple(x.shape)}"
        )
    return Tril.apply(x, diagonal=operator.index(diagonal), upper=upper)


def tril(x, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (entries with j - i <= diagonal); others 0.

    Args:
        x: a tensor with at least 2 dims (a batch of matrices).
        diagonal: 0 is the main diagonal, > 0 above it, < 0 below (default 0).

    Example:
        >>> import glassbox as gb
        >>> gb.ones(2, 2).tril()
        tensor([[1., 0.],
                [1., 1.]])
    """
    return _triangle(x, diagonal, False, "tril")


def triu(x, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (entries with j - i >= diagonal); others 0.

    Args:
        x, diagonal: as in `tril`.
    """
    return _triangle(x, diagonal, True, "triu")


# ---------------------------------------------------------------------------------------------
# pad


class PadConstant(Function):
    """Constant padding; a negative width crops instead."""

    saves_inputs = False

    def forward(self, x, widths, value):
        # widths[axis] = (before, after). Copy the kept block x[src] into out[dst].
        out_shape, src, dst = [], [], []
        for n, (lo, hi) in zip(x.shape, widths):
            kept = max(0, n - max(-lo, 0) - max(-hi, 0))
            out_shape.append(n + lo + hi)
            src.append(slice(max(-lo, 0), max(-lo, 0) + kept))
            dst.append(slice(max(lo, 0), max(lo, 0) + kept))
        self.shape, self.src, self.dst = x.shape, tuple(src), tuple(dst)
        out = np.full(out_shape, value, dtype=x.dtype)
        out[self.dst] = x[self.src]
        return out

    def backward(self, g):
        gx = np.zeros(self.shape, dtype=g.dtype)
        gx[self.src] = g[self.dst]
        return gx


class PadGather(Function):
    """reflect / replicate / circular padding: a gather along each padded dim."""

    saves_inputs = False

    def forward(self, x, plan):
        self.plan = plan  # [(axis, source index of each output position, input size)]
        if not plan:  # nothing to pad: still a copy, never the input itself
            return x.copy()
        for axis, index, _ in plan:
            x = np.take(x, index, axis=axis)
        return x

    def backward(self, g):
        for axis, index, n in reversed(self.plan):
            g = _gather_vjp(g, index, n, axis)
        return g


def _gather_vjp(g, index, n, axis):
    """Gradient of np.take(x, index, axis) for x of size n along axis: sum g onto the sources."""
    g = np.moveaxis(g, axis, 0)  # (len(index), ...)
    gx = np.zeros((n,) + g.shape[1:], dtype=g.dtype)
    if index.size and g.size:
        # Sort the output positions by source, then add up each run of equal sources.
        order = np.argsort(index, kind="stable")
        sources = index[order]
        starts = np.flatnonzero(np.r_[True, sources[1:] != sources[:-1]])
        gx[sources[starts]] = np.add.reduceat(g[order], starts, axis=0)
    return np.moveaxis(gx, 0, axis)


def _gather_index(mode, n, lo, hi, axis, shape, min_size):
    """Source index, for each output position, of dim `axis` (size n) padded by (lo, hi).

    reflect / replicate need an output of at least `min_size` (torch: 1 when padding one dim,
    0 when padding two or three).
    """
    out_n = n + lo + hi
    where = f"dim {axis} (size {n}) of the input of shape {shape}"
    if mode == "circular":
        if lo > n or hi > n:
            raise RuntimeError(
                f"pad: circular padding ({lo}, {hi}) of {where} wraps around more than once"
            )
        if out_n < 0:
            raise RuntimeError(f"pad: padding ({lo}, {hi}) of {where} gives a negative size")
        # Crop by negative widths first, then wrap the kept block (torch's order).
        first, kept = max(-lo, 0), n - max(-lo, 0) - max(-hi, 0)
        if kept <= 0:
            if out_n:
                raise RuntimeError(f"pad: circular padding ({lo}, {hi}) crops all of {where}")
            return np.zeros(0, dtype=np.intp)
        return first + (np.arange(out_n) - max(lo, 0)) % kept
    if out_n < min_size:
        raise RuntimeError(
            f"pad: {mode} padding ({lo}, {hi}) of {where} leaves an output size of {out_n}"
        )
    src = np.arange(out_n) - lo  # may fall outside [0, n): mirror or clamp it back
    if mode == "replicate":
        return np.clip(src, 0, n - 1)
    if lo >= n or hi >= n:
        raise RuntimeError(
            f"pad: reflect padding ({lo}, {hi}) must be less than the size of {where}"
        )
    src = np.abs(src)  # mirror at 0 (the edge element is not repeated)
    return np.where(src >= n, 2 * (n - 1) - src, src)  # mirror at n - 1


def pad(x, pad, mode: str = "constant", value=None) -> Tensor:
    """Pad (or, with negative widths, crop) the last len(pad) // 2 dims, as F.pad.

    Args:
        x: the tensor.
        pad: widths (left, right) of the last dim, then (top, bottom) of the one before, ...
            A negative width removes elements.
        mode: 'constant' (fill with value), 'reflect' (mirror without repeating the edge),
            'replicate' (repeat the edge) or 'circular' (wrap around). The last three pad 1-3
            dims of a tensor with 1 or 2 more dims (batch and channel), as torch.
        value: the fill for mode='constant' (default 0).

    Example:
        >>> import glassbox as gb
        >>> gb.pad(gb.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
        tensor([[3., 2., 1., 2., 3., 2.]])
    """
    try:
        pads = tuple(operator.index(p) for p in pad)
    except TypeError:
        raise TypeError(f"pad: pad must be a sequence of ints, got {pad}") from None
    if len(pads) % 2:
        raise RuntimeError(f"pad: padding length must be divisible by 2, got {len(pads)} ({pads})")
    k = len(pads) // 2
    if k > x.ndim:
        raise RuntimeError(
            f"pad: padding length should be less than or equal to two times the input dimension "
            f"but got padding length {len(pads)} ({pads}) and input of shape {tuple(x.shape)}"
        )
    # pads[2i], pads[2i + 1] belong to dim ndim - 1 - i: the last dim comes first
    widths = [(0, 0)] * (x.ndim - k) + [(pads[2 * i], pads[2 * i + 1]) for i in reversed(range(k))]
    if mode == "constant":
        for axis, (n, (lo, hi)) in enumerate(zip(x.shape, widths)):
            if n + lo + hi < 0:
                raise RuntimeError(
                    f"pad: the input size {n}, plus negative padding {lo} and {hi} resulted in a "
                    f"negative output size, which is invalid. Check dim {axis} of the input of "
                    f"shape {tuple(x.shape)}"
                )
        return PadConstant.apply(x, widths=widths, value=0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(
            f"pad: unrecognised padding mode {mode!r}; use 'constant', 'reflect', 'replicate' "
            "or 'circular'"
        )
    if value is not None and value != 0:
        raise RuntimeError(f"pad: padding mode {mode!r} doesn't take in a value argument")
    if not 1 <= k <= 3 or x.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"pad: padding size {len(pads)} is not supported for a {x.ndim}D input in mode "
            f"{mode!r}: pad 1-3 dims of an input with 1 or 2 more dims (channel, batch)"
        )
    if mode != "circular":
        first = 1 if x.ndim == k + 2 else 0  # a batch dim may be empty, the others not
        if any(n == 0 for n in x.shape[first:]):
            raise RuntimeError(
                f"pad: {mode} padding needs non-empty non-batch dims, got input of shape "
                f"{tuple(x.shape)}"
            )
    plan = [
        (axis, _gather_index(mode, n, lo, hi, axis, tuple(x.shape), 1 if k == 1 else 0), n)
        for axis, (n, (lo, hi)) in enumerate(zip(x.shape, widths))
        if (lo, hi) != (0, 0)
    ]
    return PadGather.apply(x, plan=plan)
