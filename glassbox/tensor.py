"""The Tensor: a NumPy array, its gradient, and a link to the op that made it.

A Tensor is deliberately thin: `_data` (the ndarray), `grad`, `requires_grad`, `_ctx` (the
Function that produced it, None for leaves) and `_version` (a counter bumped by in-place ops,
shared with views, so backward can tell when a saved value was overwritten). Every method below
is a short call into `glassbox.ops`, where each op's forward and gradient live side by side.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassbox import autograd, backend


class Tensor:
    """A multi-dimensional array that can record the ops applied to it, for backpropagation.

    Create tensors with `glassbox.tensor`, `glassbox.zeros`, `glassbox.randn`, ... rather than
    calling this class. Methods follow PyTorch's names and semantics (`dim`, `keepdim`, ...).

    Example:
        >>> import glassbox as gb
        >>> x = gb.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        >>> y = (x * x).sum()
        >>> y.backward()
        >>> x.grad
        tensor([[2., 4.],
                [6., 8.]])
    """

    __slots__ = ("_data", "grad", "requires_grad", "_ctx", "_version", "__weakref__")
    __array_priority__ = 1000  # `ndarray * tensor` defers to Tensor.__rmul__
    __hash__ = object.__hash__  # == is elementwise, but tensors stay usable as dict keys

    def __init__(self, data, dtype=None, requires_grad: bool = False):
        t = tensor(data, dtype=dtype, requires_grad=requires_grad)
        self._data = t._data
        self.grad = None
        self.requires_grad = t.requires_grad
        self._ctx = None
        self._version = [0]

    @classmethod
    def _wrap(cls, array) -> Tensor:
        """Wrap an ndarray (or NumPy scalar) as a leaf Tensor without copying or checks."""
        t = object.__new__(cls)
        t._data = array if type(array) is np.ndarray else np.asarray(array)
        t.grad = None
        t.requires_grad = False
        t._ctx = None
        t._version = [0]
        return t

    # --- attributes -----------------------------------------------------------------------------
    @property
    def data(self) -> Tensor:
        """This tensor's values as a new Tensor that shares memory and has no graph (as torch)."""
        t = Tensor._wrap(self._data)
        t._version = self._version
        return t

    @data.setter
    def data(self, value) -> None:
        array = value._data if isinstance(value, Tensor) else np.asarray(value)
        self._data = array
        self._version[0] += 1

    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    @property
    def T(self) -> Tensor:
        """All dimensions reversed (the transpose for a matrix)."""
        return shape_ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        """The last two dimensions swapped (batched matrix transpose)."""
        return shape_ops.transpose(self, -2, -1)

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def size(self, dim: int | None = None):
        if dim is None:
            return self._data.shape
        return self._data.shape[dim]

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def element_size(self) -> int:
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        return self._data.flags.c_contiguous

    # --- autograd -------------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Backpropagate: add d(self)/d(leaf) into `.grad` of every leaf that requires grad.

        Gradients accumulate: calling backward twice adds twice (as in PyTorch) -- clear them
        with `optimizer.zero_grad()` or `t.grad = None`. The graph is freed afterwards unless
        `retain_graph=True`; a second backward through a freed graph raises.

        Args:
            gradient: d(loss)/d(self), same shape as self; may be omitted for a scalar.
            retain_graph: keep the graph so that backward can run through it again.
        """
        autograd.backward(self, gradient, retain_graph)

    def retain_grad(self) -> None:
        """Keep `.grad` for this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad(): the tensor does not require grad")
        if self._ctx is not None:
            self._ctx.retained_output = self

    @property
    def retains_grad(self) -> bool:
        return self._ctx is not None and getattr(self._ctx, "retained_output", None) is self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"requires_grad_: only floating point tensors can require gradients, "
                f"got dtype {self._data.dtype}"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError(
                "requires_grad_(False): this tensor is the output of an op in the graph; "
                "use .detach() instead"
            )
        self.requires_grad = requires_grad
        return self

    def detach(self) -> Tensor:
        """A new tensor sharing this one's memory, cut from the graph."""
        t = Tensor._wrap(self._data)
        t._version = self._version
        return t

    def detach_(self) -> Tensor:
        self._ctx = None
        self.requires_grad = False
        return self

    def clone(self) -> Tensor:
        """A copy with its own memory; gradients flow back to the original."""
        return elementwise.clone(self)

    # --- conversion -----------------------------------------------------------------------------
    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError(
                f"item(): only one-element tensors can be converted to a Python scalar, got "
                f"shape {self.shape}"
            )
        return self._data.reshape(()).item()

    def numpy(self) -> np.ndarray:
        """The values as an ndarray sharing memory with this tensor (as torch)."""
        if self.requires_grad:
            raise RuntimeError(
                "numpy(): can't call numpy() on a tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        return self._data

    def tolist(self):
        return self._data.tolist()

    def to(self, dtype=None, *args, **kwargs) -> Tensor:
        """Convert to `dtype` (devices other than 'cpu' are not supported)."""
        if isinstance(dtype, str) and dtype in ("cpu",):
            dtype = kwargs.get("dtype")
        elif isinstance(dtype, Tensor):
            dtype = dtype.dtype
        if dtype is None:
            dtype = kwargs.get("dtype")
        if dtype is None:
            return self
        return elementwise.to_dtype(self, dtype)

    def type(self, dtype) -> Tensor:
        return self.to(dtype)

    def cpu(self) -> Tensor:
        return self

    def float(self) -> Tensor:
        return self.to(backend.float32)

    def double(self) -> Tensor:
        return self.to(backend.float64)

    def half(self) -> Tensor:
        return self.to(backend.float16)

    def long(self) -> Tensor:
        return self.to(backend.int64)

    def int(self) -> Tensor:
        return self.to(backend.int32)

    def bool(self) -> Tensor:
        return self.to(backend.bool_)

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of a tensor with {self._data.size} elements is ambiguous; use "
                ".any() or .all()"
            )
        return bool(self._data.reshape(()))

    def __index__(self):
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self._data.reshape(()))

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __repr__(self):
        body = np.array2string(
            self._data, separator=", ", prefix="tensor(", precision=4, suppress_small=True
        )
        extras = []
        if self._data.dtype not in (backend.get_default_dtype(), backend.int64, backend.bool_):
            extras.append(f"dtype=glassbox.{self._data.dtype}")
        if self._data.size == 0:
            extras.append(f"size={self.shape}")
        if self._ctx is not None:
            extras.append(f"grad_fn={self._ctx!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # --- in-place ops (optimizers, init); they bump the version counter -----------------------
    def _check_inplace(self, op: str, other=None) -> None:
        if autograd.is_grad_enabled() and (
            self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)
        ):
            what = "a leaf tensor that requires grad" if self.is_leaf else "a tensor in the graph"
            raise RuntimeError(
                f"{op}: in-place operation on {what} (shape {self.shape}) while grad mode is on. "
                "Do it under `with glassbox.no_grad():` (as optimizers do), or use the "
                "out-of-place op."
            )

    def _inplace(self, op: str, ufunc, other, alpha=None) -> Tensor:
        self._check_inplace(op, other)
        value = other._data if isinstance(other, Tensor) else other
        if alpha is not None and alpha != 1:
            value = value * alpha
        try:
            ufunc(self._data, value, out=self._data, casting="same_kind")
        except (ValueError, TypeError) as e:
            value_shape = np.shape(value)
            raise type(e)(
                f"{op}: cannot apply a value of shape {value_shape} (dtype "
                f"{np.asarray(value).dtype}) in place to a tensor of shape {self.shape} "
                f"(dtype {self.dtype}): {e}"
            ) from None
        self._version[0] += 1
        return self

    def add_(self, other, alpha=1) -> Tensor:
        return self._inplace("add_", np.add, other, alpha)

    def sub_(self, other, alpha=1) -> Tensor:
        return self._inplace("sub_", np.subtract, other, alpha)

    def mul_(self, other) -> Tensor:
        return self._inplace("mul_", np.multiply, other)

    def div_(self, other) -> Tensor:
        return self._inplace("div_", np.true_divide, other)

    def copy_(self, src) -> Tensor:
        self._check_inplace("copy_", src)
        value = src._data if isinstance(src, Tensor) else np.asarray(src)
        try:
            np.copyto(self._data, value, casting="unsafe")
        except ValueError:
            raise ValueError(
                f"copy_: source of shape {np.shape(value)} cannot be broadcast to the "
                f"destination's shape {self.shape}"
            ) from None
        self._version[0] += 1
        return self

    def fill_(self, value) -> Tensor:
        self._check_inplace("fill_", value)
        self._data.fill(value._data.item() if isinstance(value, Tensor) else value)
        self._version[0] += 1
        return self

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def clamp_(self, min=None, max=None) -> Tensor:
        self._check_inplace("clamp_")
        if min is None and max is None:
            raise ValueError("clamp_: at least one of min and max must be given")
        np.clip(self._data, min, max, out=self._data)
        self._version[0] += 1
        return self

    def masked_fill_(self, mask, value) -> Tensor:
        self._check_inplace("masked_fill_")
        m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
        if m.dtype != np.bool_:
            raise TypeError(f"masked_fill_: mask must be a bool tensor, got {m.dtype}")
        np.copyto(self._data, value._data if isinstance(value, Tensor) else value, where=m)
        self._version[0] += 1
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
        self._check_inplace("uniform_")
        g = generator or backend.default_generator()
        self._data[...] = g.uniform(a, b, size=self.shape)
        self._version[0] += 1
        return self

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
        self._check_inplace("normal_")
        g = generator or backend.default_generator()
        self._data[...] = g.normal(mean, std, size=self.shape)
        self._version[0] += 1
        return self

    def __setitem__(self, key, value) -> None:
        index.setitem(self, key, value)

    # --- operators ------------------------------------------------------------------------------
    def __add__(self, other):
        return elementwise.add(self, other)

    def __radd__(self, other):
        return elementwise.add(other, self)

    def __sub__(self, other):
        return elementwise.sub(self, other)

    def __rsub__(self, other):
        return elementwise.sub(other, self)

    def __mul__(self, other):
        return elementwise.mul(self, other)

    def __rmul__(self, other):
        return elementwise.mul(other, self)

    def __truediv__(self, other):
        return elementwise.div(self, other)

    def __rtruediv__(self, other):
        return elementwise.div(other, self)

    def __floordiv__(self, other):
        return elementwise.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return elementwise.floor_divide(other, self)

    def __mod__(self, other):
        return elementwise.remainder(self, other)

    def __rmod__(self, other):
        return elementwise.remainder(other, self)

    def __pow__(self, other):
        return elementwise.pow(self, other)

    def __rpow__(self, other):
        return elementwise.pow(other, self)

    def __matmul__(self, other):
        return linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return linalg.matmul(other, self)

    def __neg__(self):
        return elementwise.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return elementwise.abs(self)

    def __eq__(self, other):
        return elementwise.eq(self, other)

    def __ne__(self, other):
        return elementwise.ne(self, other)

    def __lt__(self, other):
        return elementwise.lt(self, other)

    def __le__(self, other):
        return elementwise.le(self, other)

    def __gt__(self, other):
        return elementwise.gt(self, other)

    def __ge__(self, other):
        return elementwise.ge(self, other)

    def __and__(self, other):
        return elementwise.logical_and(self, other)

    def __rand__(self, other):
        return elementwise.logical_and(other, self)

    def __or__(self, other):
        return elementwise.logical_or(self, other)

    def __ror__(self, other):
        return elementwise.logical_or(other, self)

    def __xor__(self, other):
        return elementwise.logical_xor(self, other)

    def __rxor__(self, other):
        return elementwise.logical_xor(other, self)

    def __invert__(self):
        return elementwise.logical_not(self)

    def __getitem__(self, key):
        return index.getitem(self, key)

    # --- elementwise ----------------------------------------------------------------------------
    def add(self, other, alpha=1):
        return elementwise.add(self, other, alpha=alpha)

    def sub(self, other, alpha=1):
        return elementwise.sub(self, other, alpha=alpha)

    def mul(self, other):
        return elementwise.mul(self, other)

    def div(self, other, rounding_mode=None):
        return elementwise.div(self, other, rounding_mode=rounding_mode)

    def pow(self, exponent):
        return elementwise.pow(self, exponent)

    def neg(self):
        return elementwise.neg(self)

    def exp(self):
        return elementwise.exp(self)

    def log(self):
        return elementwise.log(self)

    def log1p(self):
        return elementwise.log1p(self)

    def expm1(self):
        return elementwise.expm1(self)

    def sqrt(self):
        return elementwise.sqrt(self)

    def rsqrt(self):
        return elementwise.rsqrt(self)

    def abs(self):
        return elementwise.abs(self)

    def sign(self):
        return elementwise.sign(self)

    def square(self):
        return elementwise.square(self)

    def reciprocal(self):
        return elementwise.reciprocal(self)

    def clamp(self, min=None, max=None):
        return elementwise.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        return elementwise.maximum(self, other)

    def minimum(self, other):
        return elementwise.minimum(self, other)

    def sin(self):
        return elementwise.sin(self)

    def cos(self):
        return elementwise.cos(self)

    def tanh(self):
        return elementwise.tanh(self)

    def sigmoid(self):
        return elementwise.sigmoid(self)

    def relu(self):
        return elementwise.relu(self)

    def floor(self):
        return elementwise.floor(self)

    def ceil(self):
        return elementwise.ceil(self)

    def round(self):
        return elementwise.round(self)

    def isnan(self):
        return elementwise.isnan(self)

    def isinf(self):
        return elementwise.isinf(self)

    def isfinite(self):
        return elementwise.isfinite(self)

    def masked_fill(self, mask, value):
        return elementwise.masked_fill(self, mask, value)

    def where(self, condition, other):
        return elementwise.where(condition, self, other)

    def eq(self, other):
        return elementwise.eq(self, other)

    def ne(self, other):
        return elementwise.ne(self, other)

    def lt(self, other):
        return elementwise.lt(self, other)

    def le(self, other):
        return elementwise.le(self, other)

    def gt(self, other):
        return elementwise.gt(self, other)

    def ge(self, other):
        return elementwise.ge(self, other)

    def logical_and(self, other):
        return elementwise.logical_and(self, other)

    def logical_or(self, other):
        return elementwise.logical_or(self, other)

    def logical_not(self):
        return elementwise.logical_not(self)

    # --- reductions -----------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, dtype=None):
        return reduce.sum(self, dim, keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim=False, dtype=None):
        return reduce.mean(self, dim, keepdim, dtype=dtype)

    def var(self, dim=None, *, correction=1, keepdim=False, unbiased=None):
        return reduce.var(self, dim, correction=correction, keepdim=keepdim, unbiased=unbiased)

    def std(self, dim=None, *, correction=1, keepdim=False, unbiased=None):
        return reduce.std(self, dim, correction=correction, keepdim=keepdim, unbiased=unbiased)

    def max(self, dim=None, keepdim=False):
        return reduce.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return reduce.min(self, dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        return reduce.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return reduce.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return reduce.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return reduce.argmin(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        return reduce.logsumexp(self, dim, keepdim)

    def prod(self, dim=None, keepdim=False):
        return reduce.prod(self, dim, keepdim)

    def cumsum(self, dim):
        return reduce.cumsum(self, dim)

    def norm(self, p="fro", dim=None, keepdim=False):
        return reduce.norm(self, p, dim, keepdim)

    def softmax(self, dim):
        return reduce.softmax(self, dim)

    def log_softmax(self, dim):
        return reduce.log_softmax(self, dim)

    def all(self, dim=None, keepdim=False):
        return reduce.all(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return reduce.any(self, dim, keepdim)

    # --- shape ----------------------------------------------------------------------------------
    def reshape(self, *shape):
        return shape_ops.reshape(self, *shape)

    def view(self, *shape):
        return shape_ops.view(self, *shape)

    def view_as(self, other):
        return shape_ops.view(self, other.shape)

    def reshape_as(self, other):
        return shape_ops.reshape(self, other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return shape_ops.flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        return shape_ops.unflatten(self, dim, sizes)

    def squeeze(self, dim=None):
        return shape_ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        return shape_ops.unsqueeze(self, dim)

    def permute(self, *dims):
        return shape_ops.permute(self, *dims)

    def transpose(self, dim0, dim1):
        return shape_ops.transpose(self, dim0, dim1)

    def t(self):
        if self.ndim > 2:
            raise ValueError(f"t(): expects a tensor with <= 2 dimensions, got {self.ndim}")
        return self.T

    def expand(self, *sizes):
        return shape_ops.expand(self, *sizes)

    def expand_as(self, other):
        return shape_ops.expand(self, other.shape)

    def repeat(self, *sizes):
        return shape_ops.repeat(self, *sizes)

    def contiguous(self):
        return shape_ops.contiguous(self)

    def split(self, split_size_or_sections, dim=0):
        return shape_ops.split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        return shape_ops.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        return shape_ops.unbind(self, dim)

    def flip(self, dims):
        return shape_ops.flip(self, dims)

    def tril(self, diagonal=0):
        return shape_ops.tril(self, diagonal)

    def triu(self, diagonal=0):
        return shape_ops.triu(self, diagonal)

    def movedim(self, source, destination):
        return shape_ops.movedim(self, source, destination)

    def narrow(self, dim, start, length):
        return shape_ops.narrow(self, dim, start, length)

    # --- indexing -------------------------------------------------------------------------------
    def gather(self, dim, index_):
        return index.gather(self, dim, index_)

    def scatter_add(self, dim, index_, src):
        return index.scatter_add(self, dim, index_, src)

    def index_add(self, dim, index_, source, alpha=1):
        return index.index_add(self, dim, index_, source, alpha=alpha)

    def index_select(self, dim, index_):
        return index.index_select(self, dim, index_)

    def scatter(self, dim, index_, src=None, *, value=None):
        return index.scatter(self, dim, index_, src, value=value)

    def take_along_dim(self, indices, dim=None):
        return index.take_along_dim(self, indices, dim)

    def masked_select(self, mask):
        return index.masked_select(self, mask)

    # --- linear algebra -------------------------------------------------------------------------
    def matmul(self, other):
        return linalg.matmul(self, other)

    def mm(self, other):
        return linalg.mm(self, other)

    def bmm(self, other):
        return linalg.bmm(self, other)

    def dot(self, other):
        return linalg.dot(self, other)


# -------------------------------------------------------------------------------------------------
# Creation


def _infer_array(data, dtype):
    """Turn Python data / arrays into an ndarray with PyTorch's dtype inference."""
    if isinstance(data, Tensor):
        array = data._data
    elif isinstance(data, np.ndarray):
        array = data
    elif isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in _flat(data)):
        array = np.array([_infer_array(d, None) for d in data])
    else:
        array = np.asarray(data)
        if dtype is None:
            if array.dtype.kind == "f":
                array = array.astype(backend.get_default_dtype())
            elif array.dtype.kind in "iu":
                array = array.astype(backend.int64)
            elif array.dtype.kind not in "b":
                raise TypeError(
                    f"tensor(): cannot make a tensor from {type(data).__name__} data "
                    f"(dtype {array.dtype})"
                )
    if dtype is not None:
        array = array.astype(np.dtype(dtype), copy=False)
    return array


def _flat(data):
    for d in data:
        if isinstance(d, (list, tuple)):
            yield from _flat(d)
        else:
            yield d


def _finish(array, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (nested lists, scalars, an ndarray or a Tensor).

    dtype inference follows PyTorch: an ndarray keeps its dtype; Python floats become the
    default float dtype (float32), Python ints int64, bools bool.

    Example:
        >>> import glassbox as gb
        >>> gb.tensor([1.5, 2.0]).dtype, gb.tensor([1, 2]).dtype
        (dtype('float32'), dtype('int64'))
    """
    array = np.array(_infer_array(data, dtype), copy=True)
    return _finish(array, requires_grad)


def as_tensor(data, dtype=None) -> Tensor:
    """Like `tensor`, but shares memory with an ndarray or Tensor when no conversion is needed."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == np.dtype(dtype)):
        return data
    return _finish(_infer_array(data, dtype), False)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with `array` (its dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected an np.ndarray, got {type(array).__name__}")
    return Tensor._wrap(array)


def _shape_arg(size, fn: str) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, numbers.Integral) or s < 0:
            raise ValueError(f"{fn}: sizes must be non-negative ints, got {size}")
    return tuple(int(s) for s in size)


def _float_dtype(dtype):
    return backend.get_default_dtype() if dtype is None else np.dtype(dtype)


def zeros(*size, dtype=None, requires_grad=False) -> Tensor:
    return _finish(np.zeros(_shape_arg(size, "zeros"), _float_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad=False) -> Tensor:
    return _finish(np.ones(_shape_arg(size, "ones"), _float_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad=False) -> Tensor:
    return _finish(np.empty(_shape_arg(size, "empty"), _float_dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = np.asarray(fill_value).dtype
        dtype = backend.get_default_dtype() if dtype.kind == "f" else dtype
        dtype = backend.int64 if np.dtype(dtype).kind in "iu" else dtype
    return _finish(np.full(_shape_arg((size,), "full"), fill_value, np.dtype(dtype)), requires_grad)


def zeros_like(t: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return _finish(np.zeros(t.shape, dtype or t.dtype), requires_grad)


def ones_like(t: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return _finish(np.ones(t.shape, dtype or t.dtype), requires_grad)


def empty_like(t: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return _finish(np.empty(t.shape, dtype or t.dtype), requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, requires_grad=False) -> Tensor:
    return _finish(np.full(t.shape, fill_value, dtype or t.dtype), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False) -> Tensor:
    """Values from start (default 0) up to, not including, end; int64 unless a float is given."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    if dtype is None:
        is_int = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = backend.int64 if is_int else backend.get_default_dtype()
    return _finish(np.arange(start, end, step).astype(dtype), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False) -> Tensor:
    return _finish(np.linspace(start, end, steps).astype(_float_dtype(dtype)), requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False) -> Tensor:
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def rand(*size, dtype=None, generator=None, requires_grad=False) -> Tensor:
    """Uniform samples on [0, 1)."""
    g = generator or backend.default_generator()
    shape = _shape_arg(size, "rand")
    return _finish(g.random(shape, dtype=np.float64).astype(_float_dtype(dtype)), requires_grad)


def randn(*size, dtype=None, generator=None, requires_grad=False) -> Tensor:
    """Standard normal samples."""
    g = generator or backend.default_generator()
    shape = _shape_arg(size, "randn")
    dt = _float_dtype(dtype)
    # NumPy draws float32 normals natively, which is twice as fast as drawing float64.
    array = g.standard_normal(shape, dtype=dt if dt in (backend.float32, backend.float64) else None)
    return _finish(array.astype(dt, copy=False), requires_grad)


def randint(low, high=None, size=None, dtype=None, generator=None) -> Tensor:
    """Random ints in [low, high); `randint(high, size)` uses low = 0."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint: size must be given as a tuple, e.g. randint(0, 10, (3,))")
        low, high, size = 0, low, high
    g = generator or backend.default_generator()
    return Tensor._wrap(g.integers(low, high, size=tuple(size)).astype(dtype or backend.int64))


def rand_like(t: Tensor, dtype=None) -> Tensor:
    return rand(*t.shape, dtype=dtype or t.dtype)


def randn_like(t: Tensor, dtype=None) -> Tensor:
    return randn(*t.shape, dtype=dtype or t.dtype)


def randperm(n: int, generator=None) -> Tensor:
    g = generator or backend.default_generator()
    return Tensor._wrap(g.permutation(n).astype(backend.int64))


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


# The op families, imported last: they import Tensor from this module.
from glassbox.ops import elementwise, index, linalg, reduce
from glassbox.ops import shape as shape_ops
