"""Gradient clipping (and flattening parameters to one vector), as `torch.nn.utils`.

Clipping works on the raw gradient arrays in place and builds no graph. It lives under nn (not
optim) because it only needs Tensors, and so that `glassbox.nn.utils` matches PyTorch's path.
"""

from __future__ import annotations

import math

import numpy as np

from glassbox.tensor import Tensor

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
    "parameters_to_vector",
    "vector_to_parameters",
]


def _as_list(parameters) -> list:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _vector_norm(x: np.ndarray, norm_type: float) -> np.ndarray:
    """The p-norm of all entries of `x`, as a 0-d array in x's dtype."""
    x = x.ravel()
    if norm_type == 2.0:
        return np.sqrt(np.dot(x, x))  # one BLAS call, no temporary
    if norm_type == math.inf:
        return np.max(np.abs(x)) if x.size else np.zeros((), x.dtype)
    if norm_type == -math.inf:
        return np.min(np.abs(x))
    if norm_type == 1.0:
        return np.sum(np.abs(x))
    if norm_type == 0.0:
        return np.asarray(np.count_nonzero(x), dtype=x.dtype)
    return np.sum(np.abs(x) ** norm_type) ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """The norm of all the given tensors taken together, as if concatenated into one vector.

    Args:
        tensors (Tensor or iterable of Tensors): e.g. the gradients.
        norm_type (float): p of the p-norm; `float('inf')` for the max-norm (default 2.0).
        error_if_nonfinite (bool): raise RuntimeError if the norm is NaN or infinite
            (default False).

    Example:
        >>> import glassbox as gb
        >>> gb.nn.utils.get_total_norm([gb.tensor([3.0]), gb.tensor([4.0])])
        tensor(5.)
    """
    arrays = [t._data for t in _as_list(tensors)]
    norm_type = float(norm_type)
    if not arrays:
        return Tensor._wrap(np.zeros((), dtype=np.float32))
    # The norm of per-tensor norms equals the norm of everything concatenated, for every p.
    norms = np.stack([_vector_norm(a, norm_type) for a in arrays])
    total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            f"non-finite ({float(total)}), so it cannot be clipped. To disable this error and "
            "scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return Tensor._wrap(np.asarray(total))


def clip_grads_with_norm_(parameters, max_norm: float, total_norm) -> None:
    """Scale the gradients in place by min(1, max_norm / (total_norm + 1e-6)).

    Args:
        parameters (Tensor or iterable of Tensors): parameters whose `.grad` to scale.
        max_norm (float): the largest norm allowed.
        total_norm (Tensor or float): the gradients' norm, e.g. from `get_total_norm`.

    Example:
        >>> import glassbox as gb
        >>> w = gb.nn.Parameter(gb.zeros(2)); w.grad = gb.tensor([3.0, 4.0])
        >>> gb.nn.utils.clip_grads_with_norm_([w], 1.0, gb.tensor(5.0)); w.grad
        tensor([0.6, 0.8])
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    dtype = total.dtype if np.issubdtype(total.dtype, np.floating) else np.float32
    total = total.astype(dtype)
    # 1e-6 keeps a zero norm from dividing by zero; the factor never grows a gradient.
    coef = np.minimum(dtype.type(max_norm) / (total + dtype.type(1e-6)), dtype.type(1.0))
    for g in grads:
        np.multiply(g._data, coef, out=g._data, casting="unsafe")
        g._version[0] += 1


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Rescale gradients in place so that their total norm is at most `max_norm`.

    The norm is taken over all gradients together (as one concatenated vector); if it
    exceeds max_norm, every gradient is multiplied by max_norm / (norm + 1e-6). Parameters
    without a gradient are skipped. Call it between `loss.backward()` and `optimizer.step()`.

    Args:
        parameters (Tensor or iterable of Tensors): e.g. `model.parameters()`.
        max_norm (float): the largest total norm allowed.
        norm_type (float): p of the p-norm; `float('inf')` for the max-norm (default 2.0).
        error_if_nonfinite (bool): raise RuntimeError if the total norm is NaN or infinite
            (default False).

    Returns:
        Tensor: the total norm of the gradients *before* clipping (0-d).

    Example:
        >>> import glassbox as gb
        >>> w = gb.nn.Parameter(gb.zeros(2)); w.grad = gb.tensor([3.0, 4.0])
        >>> gb.nn.utils.clip_grad_norm_([w], max_norm=1.0)
        tensor(5.)
        >>> w.grad
        tensor([0.6, 0.8])
    """
    parameters = _as_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient entry in place to [-clip_value, clip_value].

    Args:
        parameters (Tensor or iterable of Tensors): e.g. `model.parameters()`.
        clip_value (float): the largest absolute value allowed.

    Example:
        >>> import glassbox as gb
        >>> w = gb.nn.Parameter(gb.zeros(3)); w.grad = gb.tensor([-2.0, 0.5, 3.0])
        >>> gb.nn.utils.clip_grad_value_([w], 1.0); w.grad
        tensor([-1. ,  0.5,  1. ])
    """
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            np.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)
            p.grad._version[0] += 1


def parameters_to_vector(parameters) -> Tensor:
    """Concatenate the parameters, flattened, into one 1-d Tensor (a copy, no graph).

    Args:
        parameters (iterable of Tensors): e.g. `model.parameters()`.

    Example:
        >>> import glassbox as gb
        >>> gb.nn.utils.parameters_to_vector([gb.ones(2, 2), gb.zeros(1)]).shape
        (5,)
    """
    return Tensor._wrap(np.concatenate([p._data.ravel() for p in _as_list(parameters)]))


def vector_to_parameters(vec, parameters) -> None:
    """Copy the slices of a 1-d vector back into the parameters, in order, in place.

    Args:
        vec (Tensor): a 1-d Tensor with as many entries as the parameters together.
        parameters (iterable of Tensors): the parameters to overwrite.

    Example:
        >>> import glassbox as gb
        >>> w = gb.zeros(2, 2)
        >>> gb.nn.utils.vector_to_parameters(gb.arange(4.0), [w]); w
        tensor([[0., 1.],
                [2., 3.]])
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected vec to be a Tensor, but got {type(vec).__name__}")
    data = vec._data
    params = _as_list(parameters)
    total = sum(p._data.size for p in params)
    if data.ndim != 1 or data.size != total:
        raise ValueError(
            f"vector_to_parameters: expected a 1-d vector of {total} entries, got shape "
            f"{data.shape}"
        )
    offset = 0
    for p in params:
        n = p._data.size
        p._data[...] = data[offset:offset + n].reshape(p._data.shape)
        p._version[0] += 1
        offset += n
