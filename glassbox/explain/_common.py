"""What every attribution method shares: inputs in, target picked, gradients out.

Conventions (Captum's): `inputs` is a batch (N, *); `target` picks the output each example is
explained for -- None when the model returns one number per example ((N,) or (N, 1)), an int
for the same class for every example, or a sequence / array of N ints. Attributions come back
as a Tensor of the shape of `inputs`.

The model's parameters are frozen while gradients are taken (no weight gradients are computed
and their `.grad` is left alone); the model runs in whatever mode it is in, so call
`model.eval()` first when it has dropout or batch norm.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassbox import autograd

# shared with robust/, so they live one floor down; explain/ modules import them from here
from glassbox.nn._inputs import FrozenParameters, as_array, float_inputs  # noqa: F401
from glassbox.tensor import Tensor


def baselines_like(baselines, x: np.ndarray, where: str) -> np.ndarray:
    """None/number -> filled array; an array of x's shape or of one example's shape."""
    if baselines is None:
        return np.zeros_like(x)
    if isinstance(baselines, numbers.Real) and not isinstance(baselines, bool):
        return np.full_like(x, float(baselines))
    b = as_array(baselines, "baselines", where).astype(x.dtype, copy=False)
    if b.shape == x.shape:
        return b
    one_example = b.ndim == x.ndim and b.shape[0] == 1 and b.shape[1:] == x.shape[1:]
    if b.shape == x.shape[1:] or one_example:
        return np.broadcast_to(b, x.shape).copy()
    raise ValueError(f"{where}: baselines must be a number or have shape {x.shape} or "
                     f"{x.shape[1:]}, got {b.shape}")


def target_index(target, n: int, where: str):
    """Normalise `target` to None or an int array of length n."""
    if target is None:
        return None
    if isinstance(target, numbers.Integral) and not isinstance(target, bool):
        return np.full(n, int(target), dtype=np.int64)
    t = as_array(target, "target", where) if isinstance(target, (Tensor, np.ndarray)) \
        else np.asarray(target)
    if t.ndim == 0:
        return np.full(n, int(t), dtype=np.int64)
    if t.shape != (n,) or t.dtype.kind not in "iu":
        raise ValueError(f"{where}: target must be None, an int or {n} ints (one per example), "
                         f"got {t.dtype} array of shape {t.shape}")
    return t.astype(np.int64)


def select(output, target, where: str):
    """The explained scalar per example, from the model output: (N, ...) -> (N,)."""
    data = output._data if isinstance(output, Tensor) else np.asarray(output)
    n = data.shape[0]
    if target is None:
        if data.ndim == 1:
            return output
        if data.ndim == 2 and data.shape[1] == 1:
            return output[:, 0]
        raise ValueError(f"{where}: the model returns shape {data.shape}; pass target= to pick "
                         f"the output to explain (e.g. a class index)")
    if data.ndim != 2:
        raise ValueError(f"{where}: target needs a model output of shape (N, classes), got "
                         f"{data.shape}")
    if target.max() >= data.shape[1] or target.min() < -data.shape[1]:
        raise ValueError(f"{where}: target {target.tolist()} out of range for {data.shape[1]} "
                         f"outputs")
    if isinstance(output, Tensor):
        return output[np.arange(n), target]
    return data[np.arange(n), target]


def check_model(model, where: str) -> None:
    if not callable(model):
        raise TypeError(f"{where}: the model (forward_func) must be callable, got "
                        f"{type(model).__name__}")


class Attribution:
    """Base of the attribution classes: holds the model as `forward_func`, checked callable.

    Errors name the subclass (e.g. "Saliency: the model ... must be callable").
    """

    def __init__(self, forward_func):
        check_model(forward_func, type(self).__name__)
        self.forward_func = forward_func


def gradients(model, x: np.ndarray, target, where: str) -> tuple[np.ndarray, np.ndarray]:
    """d output[i, target[i]] / d x[i] for every example i, and the selected outputs (N,).

    Examples are independent in the model (no batch norm in train mode), so the gradient of
    the sum over the batch gives each example's own gradient.
    """
    xt = Tensor._wrap(np.array(x, copy=True)).requires_grad_()
    with FrozenParameters(model), autograd.enable_grad():
        out = model(xt)
        picked = select(out, target, where)
        picked.sum().backward()
    grad = xt.grad._data if xt.grad is not None else np.zeros_like(x)
    return grad.astype(x.dtype, copy=False), picked.detach()._data


def forward_selected(model, x: np.ndarray, target, where: str, batch_size=None) -> np.ndarray:
    """The selected output per example (N,), without gradients, in chunks of batch_size."""
    outs = []
    step = x.shape[0] if not batch_size else int(batch_size)
    with autograd.no_grad():
        for i in range(0, x.shape[0], step):
            t = None if target is None else target[i:i + step]
            outs.append(np.asarray(select(model(Tensor._wrap(np.ascontiguousarray(
                x[i:i + step]))), t, where)._data))
    return np.concatenate(outs)


def check_positive_int(value, name: str, where: str, minimum: int = 1) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{where}: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def wrap(a: np.ndarray) -> Tensor:
    return Tensor._wrap(np.ascontiguousarray(a))
