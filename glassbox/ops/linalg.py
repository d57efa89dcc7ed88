"""Linear algebra ops: matmul (and its strict forms mm, bmm, dot), outer, einsum.

matmul follows PyTorch's (and NumPy's) rules: 1-D x 1-D is a dot product; a 1-D first operand
is a row vector (1, k) and a 1-D second operand a column (k, 1), the added dimension removed
from the result; otherwise the last two dimensions multiply as matrices and the batch
dimensions in front broadcast. Gradients whose batch dimensions were broadcast come back in
the broadcast shape and the engine's sum_to_shape reduces them.

Speed. Everything is one np.matmul (BLAS) call in the operands' own dtype: float32 stays
float32. Two cases are folded into a single GEMM rather than a loop of small ones: a batched
(..., m, k) @ 2-D (k, n) forward (a linear layer), and the gradient of a 2-D operand used
against a batched one, whose batch sum becomes part of the contraction.

einsum's gradient with respect to each operand is itself an einsum: the upstream gradient
(output subscripts) contracted with the other operands, producing that operand's subscripts.
"""

from __future__ import annotations

import math
import string

import numpy as np

from glassbox.autograd import Function, sum_to_shape
from glassbox.ops.elementwise import _operands
from glassbox.ops.errors import DTypeError, ShapeError
from glassbox.tensor import Tensor

# Public names, re-exported as glassbox.<name>.
__all__ = ["bmm", "dot", "einsum", "matmul", "mm", "outer"]


# ---------------------------------------------------------------------------------------------
# Helpers


def _as_tensor(x, op: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (list, tuple, np.ndarray)):
        from glassbox.tensor import tensor

        return tensor(x)
    raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")


def _same_dtype(a: Tensor, b: Tensor, op: str) -> None:
    if a.dtype != b.dtype:
        raise DTypeError(
            f"{op}: expected both operands to have the same dtype, got {a.dtype} and {b.dtype} "
            "(cast one with .to(dtype))"
        )


def _blas_ready(a: np.ndarray) -> np.ndarray:
    """`a`, copied to C order only if neither of its last two axes is unit-stride.

    NumPy hands a matrix to BLAS when one of its two inner strides is one element (C or
    Fortran layout, e.g. a transposed view); otherwise it falls back to a loop that is orders
    of magnitude slower (e.g. x[:, ::2] or a broadcast view with zero strides).
    """
    if a.ndim < 2 or a.flags.c_contiguous or a.flags.f_contiguous:
        return a
    item = a.itemsize
    if a.strides[-1] == item or a.strides[-2] == item:
        return a
    return np.ascontiguousarray(a)


def _mm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.matmul, with a batched (..., m, k) @ 2-D (k, n) folded into one (N*m, k) GEMM."""
    a, b = _blas_ready(a), _blas_ready(b)
    if b.ndim == 2 and a.ndim > 2 and a.flags.c_contiguous:
        # (..., m, k) -> (N*m, k) is a view of a C-ordered array; one GEMM instead of N
        rows = math.prod(a.shape[:-1])
        out = np.matmul(a.reshape(rows, a.shape[-1]), b)
        return out.reshape(a.shape[:-1] + (b.shape[-1],))
    return np.matmul(a, b)


def _check_matmul(a: Tensor, b: Tensor, op: str) -> None:
    """Raise naming `op` and both shapes unless a @ b is defined (torch's matmul rules)."""
    sa, sb = tuple(a.shape), tuple(b.shape)
    if not sa or not sb:
        raise ShapeError(
            f"{op}: both arguments need to be at least 1-D, got shapes {sa} and {sb}"
        )
    k_a = sa[-1]
    k_b = sb[-2] if len(sb) >= 2 else sb[0]
    if k_a != k_b:
        raise ShapeError(f"{op}: shapes {sa} and {sb} cannot be multiplied ({k_a} != {k_b})")
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ShapeError(
            f"{op}: batch dimensions {sa[:-2]} and {sb[:-2]} of shapes {sa} and {sb} cannot be "
            "broadcast together"
        ) from None
    _same_dtype(a, b, op)


# ---------------------------------------------------------------------------------------------
# matmul


class MatMul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return _mm(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        need_a, need_b = self.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:  # dot product: g is 0-d
            return (g * b if need_a else None), (g * a if need_b else None)
        # View 1-D operands as matrices, as forward did: a (k,) -> (1, k), b (k,) -> (k, 1),
        # and give g back the axes forward removed: g (..., m, n).
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = g2[..., None, :]
        if b.ndim == 1:
            g2 = g2[..., None]
        # A 2-D operand used against a batched one gets the batch sum folded into one GEMM.
        ga = gb = None
        if need_a:  # dL/da = g @ b^T, (..., m, k)
            ga = _grad_left(g2, b2) if a2.ndim == 2 and b2.ndim > 2 else _mm(g2, b2.mT)
            if a.ndim == 1:
                ga = ga[..., 0, :]  # (..., 1, k) -> (..., k); the engine sums batch axes
        if need_b:  # dL/db = a^T @ g, (..., k, n)
            gb = _grad_right(a2, g2) if b2.ndim == 2 and a2.ndim > 2 else _mm(a2.mT, g2)
            if b.ndim == 1:
                gb = gb[..., 0]  # (..., k, 1) -> (..., k)
        return ga, gb


def _grad_left(g: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sum_i g_i @ b_i^T over the batch of g (..., m, n) and b (..., k, n): (m, k)."""
    m, k = g.shape[-2], b.shape[-2]
    nn = math.prod(b.shape[:-2]) * b.shape[-1]  # N*n, the folded contraction
    g_t = np.moveaxis(g, -2, 0).reshape(m, nn)  # (m, ..., n) -> (m, N*n)
    b_t = b.mT.reshape(nn, k)  # (..., n, k) -> (N*n, k)
    return np.matmul(g_t, b_t)


def _grad_right(a: np.ndarray, g: np.ndarray) -> np.ndarray:
    """sum_i a_i^T @ g_i over the batch of a (..., m, k) and g (..., m, n): (k, n)."""
    k, n = a.shape[-1], g.shape[-1]
    nm = math.prod(a.shape[:-1])  # N*m, the folded contraction
    return np.matmul(a.reshape(nm, k).T, g.reshape(nm, n))  # (k, N*m) @ (N*m, n)


def matmul(input, other) -> Tensor:
    """Matrix product with PyTorch's rules for 1-D operands and broadcast batch dimensions.

    (k,) @ (k,) -> () dot product; (k,) @ (..., k, n) -> (..., n); (..., m, k) @ (k,) ->
    (..., m); (..., m, k) @ (..., k, n) -> (..., m, n) with the batch dims broadcast.

    Args:
        input: the left operand, at least 1-D.
        other: the right operand, at least 1-D, same dtype.

    Example:
        >>> import glassbox as gb
        >>> (gb.ones(8, 30) @ gb.ones(30, 10)).shape
        (8, 10)
        >>> gb.matmul(gb.ones(2, 5, 3), gb.ones(3)).shape
        (2, 5)
    """
    a, b = _as_tensor(input, "matmul"), _as_tensor(other, "matmul")
    _check_matmul(a, b, "matmul")
    return MatMul.apply(a, b)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Matrix product of two 2-D tensors (no broadcasting): (n, m) @ (m, p) -> (n, p).

    Args:
        input: (n, m) matrix.
        mat2: (m, p) matrix of the same dtype.

    Example:
        >>> import glassbox as gb
        >>> gb.mm(gb.ones(2, 3), gb.ones(3, 4)).shape
        (2, 4)
    """
    a, b = _as_tensor(input, "mm"), _as_tensor(mat2, "mm")
    if a.ndim != 2 or b.ndim != 2:
        raise ShapeError(f"mm: expected two 2-D matrices, got shapes {a.shape} and {b.shape}")
    _check_matmul(a, b, "mm")
    return MatMul.apply(a, b)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of 3-D tensors with equal batch sizes: (B, n, m) @ (B, m, p).

    Args:
        input: (B, n, m) batch of matrices.
        mat2: (B, m, p) batch of matrices, same dtype (batch sizes must match, no broadcasting).

    Example:
        >>> import glassbox as gb
        >>> gb.bmm(gb.ones(5, 2, 3), gb.ones(5, 3, 4)).shape
        (5, 2, 4)
    """
    a, b = _as_tensor(input, "bmm"), _as_tensor(mat2, "bmm")
    if a.ndim != 3 or b.ndim != 3:
        raise ShapeError(f"bmm: expected two 3-D tensors, got shapes {a.shape} and {b.shape}")
    if a.shape[0] != b.shape[0]:
        raise ShapeError(
            f"bmm: batch sizes differ, got shapes {a.shape} and {b.shape} "
            f"({a.shape[0]} != {b.shape[0]}); use matmul to broadcast"
        )
    _check_matmul(a, b, "bmm")
    return MatMul.apply(a, b)


def dot(input: Tensor, other: Tensor) -> Tensor:
    """Dot product of two 1-D tensors of the same length and dtype: a 0-d tensor.

    Args:
        input: (n,) vector.
        other: (n,) vector.

    Example:
        >>> import glassbox as gb
        >>> gb.dot(gb.tensor([1.0, 2.0]), gb.tensor([3.0, 4.0]))
        tensor(11.)
    """
    a, b = _as_tensor(input, "dot"), _as_tensor(other, "dot")
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"dot: expected two 1-D tensors, got shapes {a.shape} and {b.shape}")
    _check_matmul(a, b, "dot")
    return MatMul.apply(a, b)


class Outer(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return np.outer(a, b)

    def backward(self, g):
        # out[i, j] = a[i] b[j]: dL/da = g @ b, dL/db = a @ g
        ga = g @ self.b if self.needs_input_grad[0] else None
        gb = self.a @ g if self.needs_input_grad[1] else None
        return ga, gb


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two 1-D tensors: (n,) x (m,) -> (n, m), dtypes promoted as in torch.

    Args:
        input: (n,) vector.
        vec2: (m,) vector.

    Example:
        >>> import glassbox as gb
        >>> gb.outer(gb.tensor([1.0, 2.0]), gb.tensor([1.0, 0.0, -1.0]))
        tensor([[ 1.,  0., -1.],
                [ 2.,  0., -2.]])
    """
    a, b = _as_tensor(input, "outer"), _as_tensor(vec2, "outer")
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"outer: expected two 1-D tensors, got shapes {a.shape} and {b.shape}")
    a, b = _operands(a, b, "outer")
    return Outer.apply(a, b)


# ---------------------------------------------------------------------------------------------
# einsum

_LETTERS = frozenset(string.ascii_letters)


def _parse_einsum(equation: str, shapes: list) -> tuple:
    """Equation -> (one subscript string per operand, output subscripts), '...' made explicit.

    Ellipsis dimensions get fresh letters, right-aligned across operands so they broadcast
    as in NumPy; an implicit output (no '->') is the ellipsis letters followed by the letters
    used exactly once, in alphabetical (ASCII) order, as in torch and NumPy.
    """
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    if "->" in rhs:
        raise ShapeError(f"einsum: equation {equation!r} has more than one '->'")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        more = "fewer" if len(shapes) < len(terms) else "more"
        raise ShapeError(
            f"einsum: {more} operands were given ({len(shapes)}) than equation {equation!r} "
            f"names ({len(terms)})"
        )
    for term in terms + ([rhs] if arrow else []):
        bad = [c for c in term.replace("...", "") if c not in _LETTERS]
        if bad or term.count("...") > 1:
            raise ShapeError(
                f"einsum: invalid subscripts {term!r} in {equation!r}: use letters a-z, A-Z and "
                "at most one '...' per operand"
            )
    used = set(eq)
    free = [c for c in string.ascii_letters if c not in used]  # letters for '...' dims
    n_ell = 0
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        n_named = len(term.replace("...", ""))
        if "..." in term:
            if n_named > len(shape):
                raise ShapeError(
                    f"einsum: operand {i} has {len(shape)} dimensions (shape {shape}) but "
                    f"{term!r} names {n_named} besides the '...'"
                )
            n_ell = max(n_ell, len(shape) - n_named)
        elif n_named != len(shape):
            raise ShapeError(
                f"einsum: {term!r} names {n_named} dimensions for operand {i}, but it has shape "
                f"{shape} (and no '...' was given)"
            )
    ell = "".join(free[:n_ell])
    subs = []
    for term, shape in zip(terms, shapes):
        k = len(shape) - len(term.replace("...", ""))
        subs.append(term.replace("...", ell[n_ell - k:] if k else ""))
    if arrow:
        out = rhs.replace("...", ell)  # '...' left out of the output: those dims are summed
        for c in out:
            if out.count(c) > 1:
                raise ShapeError(f"einsum: output subscript {c} appears more than once")
            if not any(c in s for s in subs):
                raise ShapeError(
                    f"einsum: output subscript {c} does not appear in any input operand"
                )
    else:
        named = "".join(terms).replace("...", "")
        out = ell + "".join(sorted(c for c in set(named) if named.count(c) == 1))
    return subs, out


def _letter_sizes(subs: list, shapes: list) -> dict:
    """Size of each letter, with size-1 dimensions broadcasting; raise on a mismatch."""
    sizes = {}
    for i, (s, shape) in enumerate(zip(subs, shapes)):
        seen = {}
        for c, n in zip(s, shape):
            if c in seen and seen[c] != n:
                raise ShapeError(
                    f"einsum: subscript {c} is repeated for operand {i} (shape {shape}) but "
                    f"the sizes don't match, {n} != {seen[c]}"
                )
            seen[c] = n
            prev = sizes.get(c, 1)
            if n != 1 and prev != 1 and n != prev:
                raise ShapeError(
                    f"einsum: subscript {c} has size {n} for operand {i} (shape {shape}), "
                    f"which does not broadcast with the size {prev} seen before"
                )
            if n != 1 or c not in sizes:
                sizes[c] = n
    return sizes


def _einsum(subs: list, out: str, arrays: list) -> np.ndarray:
    expr = ",".join(subs) + "->" + out
    # optimize=True lets NumPy pair operands and contract with BLAS (tensordot)
    return np.einsum(expr, *arrays, optimize=len(arrays) > 1)


class Einsum(Function):
    def forward(self, *arrays, subs, out):
        self.arrays, self.subs, self.out = arrays, subs, out
        result = np.asarray(_einsum(subs, out, list(arrays)))
        if len(arrays) == 1 and np.may_share_memory(result, arrays[0]):
            # NumPy returns a view for a pure permutation / diagonal ('ij->ji'); the output
            # must not alias the input behind the version counter's back
            result = result.copy()
        return result

    def backward(self, g):
        return tuple(
            self._grad(i, g) if need else None for i, need in enumerate(self.needs_input_grad)
        )

    def _grad(self, i: int, g: np.ndarray) -> np.ndarray:
        """dL/d(operand i): g contracted with the other operands into operand i's subscripts.

        Letters of operand i found nowhere else were summed away in forward, so the gradient
        is constant along them (broadcast). Repeated letters (a diagonal, 'ii->i') receive
        the gradient on that diagonal and zero elsewhere.
        """
        s, x = self.subs[i], self.arrays[i]
        others = [(t, a) for j, (t, a) in enumerate(zip(self.subs, self.arrays)) if j != i]
        unique = "".join(dict.fromkeys(s))  # s without repeats, first-seen order
        elsewhere = self.out + "".join(t for t, _ in others)
        kept = "".join(c for c in unique if c in elsewhere)
        grad = _einsum([self.out] + [t for t, _ in others], kept, [g] + [a for _, a in others])
        grad = np.asarray(grad)
        size_x = dict(zip(s, x.shape))
        if kept != unique:  # size-1 axes where the letters found only in operand i go
            grad = grad.reshape([grad.shape[kept.index(c)] if c in kept else 1 for c in unique])
        # The gradient is constant along axes where it has size 1 but x does not (lone
        # letters; x's size-n axis met a size-1 one): broadcast it out, as a copy because a
        # VJP hands back arrays it owns. Axes where x has size 1 but grad size n (x was
        # broadcast) are summed later by sum_to_shape.
        target = tuple(size_x[c] if n == 1 else n for c, n in zip(unique, grad.shape))
        if target != grad.shape:
            grad = np.broadcast_to(grad, target).copy()
        if unique == s:
            return grad
        # repeated letters (a diagonal): write grad on the strided diagonal view of zeros
        gx = np.zeros(x.shape, dtype=g.dtype)
        diag_shape = tuple(size_x[c] for c in unique)
        strides = tuple(sum(st for c2, st in zip(s, gx.strides) if c2 == c) for c in unique)
        view = np.lib.stride_tricks.as_strided(gx, diag_shape, strides)
        view[...] = sum_to_shape(grad, diag_shape)
        return gx


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation over `operands` as written in `equation`, as torch.einsum.

    Supports any number of operands, '...' (broadcast dimensions), implicit outputs,
    repeated subscripts within an operand (diagonals, traces) and size-1 broadcasting.
    The operands may also be passed as one list.

    Args:
        equation: subscripts such as 'ij,jk->ik' (letters a-z, A-Z; spaces ignored).
        *operands: Tensors of one dtype, one per comma-separated term.

    Example:
        >>> import glassbox as gb
        >>> gb.einsum('bij,bjk->bik', gb.ones(2, 3, 4), gb.ones(2, 4, 5)).shape
        (2, 3, 5)
        >>> gb.einsum('ii', gb.eye(3))
        tensor(3.)
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum: equation must be a str, got {type(equation).__name__}")
    ops = [_as_tensor(o, "einsum") for o in operands]
    for o in ops[1:]:
        _same_dtype(ops[0], o, "einsum")
    shapes = [tuple(o.shape) for o in ops]
    subs, out = _parse_einsum(equation, shapes)
    _letter_sizes(subs, shapes)
    return Einsum.apply(*ops, subs=subs, out=out)
