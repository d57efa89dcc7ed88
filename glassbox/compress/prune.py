"""Magnitude pruning: masks that keep weights at zero, and structured pruning that shrinks layers.

Unstructured (PyTorch's `torch.nn.utils.prune` idea, same names): pruning a tensor `weight`
re-registers the Parameter as `weight_orig`, adds a buffer `weight_mask` (1 keep, 0 pruned) and a
forward pre-hook that sets `module.weight = weight_orig * weight_mask` before every call. Because
the product is part of the graph, the gradient reaching `weight_orig` is multiplied by the mask:
pruned entries get exactly 0 gradient, so SGD, momentum, Adam and weight decay all leave them at
exactly 0 during fine-tuning (the hook also re-zeroes them in place, in case anything else
wrote to them). `remove` folds the mask in and makes `weight` a plain Parameter again.

Structured (`prune_channels`): whole output channels of Conv2d (or neurons of Linear) with the
smallest L1/L2 norm are deleted -- the layer becomes physically smaller, and so do the layers that
read its output: BatchNorm's statistics, the next Conv2d's input channels, or (through Flatten)
the next Linear's input columns. This is what makes a pruned model faster; masks alone do not.

About optimizer state: an optimizer created *after* pruning never moves a pruned entry of
`weight_orig` (its gradient is exactly 0 from the first step). One created before pruning may
still carry momentum for those entries and push `weight_orig`; the weight the forward pass
uses, and the one `remove` keeps, is exactly zero all the same (the mask multiplies it, and the
pre-hook zeroes `weight_orig` again before every call).
"""

from __future__ import annotations

import numpy as np

from glassbox import nn
from glassbox.compress import _util
from glassbox.nn.parameter import Parameter
from glassbox.tensor import Tensor

__all__ = [
    "global_unstructured",
    "is_pruned",
    "l1_unstructured",
    "prune_channels",
    "remove",
    "sparsity",
]


def _count(amount, n: int, where: str) -> int:
    """How many of n entries to prune: a fraction in [0, 1] or an int count."""
    if isinstance(amount, (int, np.integer)) and not isinstance(amount, bool):
        if not 0 <= amount <= n:
            raise ValueError(f"{where}: amount must be in [0, {n}], received amount={amount}")
        return int(amount)
    if not isinstance(amount, float) or not 0.0 <= amount <= 1.0:
        raise ValueError(f"{where}: amount must be a fraction in [0, 1] or an int, "
                         f"received amount={amount!r}")
    return round(amount * n)


class _MaskHook:
    """Forward pre-hook: `name = name_orig * name_mask` (holds no reference to the module)."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, module, args):
        orig = getattr(module, self.name + "_orig")
        mask = getattr(module, self.name + "_mask")
        np.multiply(orig._data, mask._data, out=orig._data)  # re-zero in place: cheap, certain
        setattr(module, self.name, orig * mask)  # in the graph: d/d orig = grad * mask


def is_pruned(module, name: str = "weight") -> bool:
    """Whether `module.<name>` is under a pruning mask.

    Example:
        >>> import glassbox.nn as nn
        >>> lin = nn.Linear(4, 4)
        >>> is_pruned(lin), is_pruned(l1_unstructured(lin, amount=0.5))
        (False, True)
    """
    return (name + "_mask") in module._buffers


def _effective(module, name: str) -> np.ndarray:
    if is_pruned(module, name):
        return getattr(module, name + "_orig")._data * getattr(module, name + "_mask")._data
    t = getattr(module, name, None)
    if not isinstance(t, Tensor):
        raise TypeError(f"prune: {type(module).__name__} has no tensor '{name}'")
    return t._data


def _apply_mask(module, name: str, keep: np.ndarray) -> None:
    """Install (or tighten) the mask `keep` (bool array) on module.<name>."""
    if is_pruned(module, name):
        mask = getattr(module, name + "_mask")
        mask._data *= keep.astype(mask._data.dtype)
    else:
        param = module._parameters.get(name)
        if not isinstance(param, Parameter):
            raise TypeError(f"prune: {type(module).__name__}.{name} is not a Parameter")
        delattr(module, name)
        module.register_parameter(name + "_orig", param)  # same object: optimizers keep it
        module.register_buffer(name + "_mask", Tensor._wrap(keep.astype(param._data.dtype)))
        module.register_forward_pre_hook(_MaskHook(name))
    _MaskHook(name)(module, ())


def l1_unstructured(module, name: str = "weight", amount=0.5):
    """Mask the `amount` entries of `module.<name>` with the smallest absolute value.

    Args:
        module: the layer (e.g. nn.Linear, nn.Conv2d).
        name: the parameter to prune (default 'weight').
        amount: fraction in [0, 1] of the entries, or an int count (default 0.5). Pruning again
            prunes that many more of the entries still alive (as PyTorch).

    Returns:
        the module, pruned in place.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> lin = l1_unstructured(nn.Linear(10, 10), amount=0.3)
        >>> int((lin.weight == 0).sum().item()), sorted(lin.state_dict())
        (30, ['bias', 'weight_mask', 'weight_orig'])
    """
    w = _effective(module, name)
    alive = np.flatnonzero(_mask_or_ones(module, name, w).reshape(-1))
    k = _count(amount, alive.size, "l1_unstructured")
    keep = np.ones(w.size, dtype=bool)
    if k:
        order = np.argsort(np.abs(w.reshape(-1)[alive]), kind="stable")
        keep[alive[order[:k]]] = False
    _apply_mask(module, name, keep.reshape(w.shape) & (_mask_or_ones(module, name, w) > 0))
    return module


def _mask_or_ones(module, name, w) -> np.ndarray:
    return getattr(module, name + "_mask")._data if is_pruned(module, name) else np.ones_like(w)


def global_unstructured(parameters, amount=0.5) -> None:
    """Mask the `amount` smallest-magnitude entries across several tensors at once.

    One threshold for all the layers: layers with many small weights lose more of them.

    Args:
        parameters: iterable of (module, name) pairs, or a model (every Linear/Conv weight).
        amount: fraction in [0, 1] of all their entries, or an int count (default 0.5).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> global_unstructured(model, amount=0.5)
        >>> round(sparsity(model), 2)
        0.5
    """
    if isinstance(parameters, nn.Module):
        parameters = [(m, "weight") for m in parameters.modules()
                      if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))]
    parameters = list(parameters)
    weights = [_effective(m, n) for m, n in parameters]
    masks = [_mask_or_ones(m, n, w).reshape(-1) > 0 for (m, n), w in zip(parameters, weights)]
    flat = np.concatenate([np.abs(w.reshape(-1)) for w in weights])
    alive = np.flatnonzero(np.concatenate(masks))
    k = _count(amount, alive.size, "global_unstructured")
    keep = np.ones(flat.size, dtype=bool)
    keep[alive[np.argsort(flat[alive], kind="stable")[:k]]] = False
    start = 0
    for (m, n), w, old in zip(parameters, weights, masks):
        _apply_mask(m, n, (keep[start : start + w.size] & old).reshape(w.shape))
        start += w.size


def remove(module, name: str = "weight"):
    """Make pruning permanent: `name` becomes a plain Parameter holding the masked values.

    Example:
        >>> import glassbox.nn as nn
        >>> lin = remove(l1_unstructured(nn.Linear(4, 4), amount=0.5))
        >>> sorted(lin.state_dict()), int((lin.weight == 0).sum().item())
        (['bias', 'weight'], 8)
    """
    if not is_pruned(module, name):
        raise ValueError(f"remove: {type(module).__name__}.{name} is not pruned")
    orig = getattr(module, name + "_orig")
    orig._data *= getattr(module, name + "_mask")._data
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, _MaskHook) and hook.name == name:
            del module._forward_pre_hooks[key]
    delattr(module, name + "_mask")
    delattr(module, name + "_orig")
    if name in module.__dict__:
        object.__delattr__(module, name)  # the computed product
    module.register_parameter(name, orig)
    return module


def sparsity(model, types=(nn.Linear, nn.Conv1d, nn.Conv2d)) -> float:
    """Fraction of exactly-zero weights over the weights of `types` layers in `model`.

    Example:
        >>> import glassbox.nn as nn
        >>> sparsity(l1_unstructured(nn.Linear(5, 4), amount=0.25))
        0.25
    """
    zeros = total = 0
    for m in model.modules():
        if isinstance(m, types):
            w = _effective(m, "weight")
            zeros += int((w == 0).sum())
            total += w.size
    return zeros / total if total else 0.0


# ---------------------------------------------------------------------------------------------
# Structured pruning: remove channels for real


def _leaves(model) -> list[tuple]:
    """(parent, name, module) of every leaf, in execution order of (nested) Sequentials."""
    out = []
    for name, child in model._modules.items():
        if child is None:
            continue
        if isinstance(child, nn.Sequential):
            out.extend(_leaves(child))
        else:
            out.append((model, name, child))
    return out


def _slice(module, name: str, axis: int, index: np.ndarray) -> None:
    t = getattr(module, name, None)
    if t is not None:
        t._data = np.ascontiguousarray(np.take(t._data, index, axis=axis))
        t.grad = None


_PER_CHANNEL = ("weight", "bias", "running_mean", "running_var")


def prune_channels(model, amount=0.5, n: int = 1, layers=(nn.Conv2d,), inplace: bool = False):
    """Delete the output channels / neurons with the smallest L`n` norm, shrinking the layers.

    Works on nn.Sequential models (nested Sequentials too). For each pruned layer, the layers
    that read its output are shrunk to match: BatchNorm1d/2d (weight, bias, running stats), the
    next Conv2d's input channels, or the next Linear's input columns (through a Flatten).
    Parameter-free layers in between (ReLU, pooling, Dropout) pass channels through. The last
    weight layer (the model's output) is never pruned.

    Args:
        model: an nn.Sequential.
        amount: fraction of each layer's channels to remove, or an int count (default 0.5).
        n: the norm, 1 (L1, default) or 2 (L2), of each channel's weights.
        layers: which layers to prune: a tuple of types (default (nn.Conv2d,); add nn.Linear
            for neurons), or a list of layer names as in `model.named_modules()` (e.g. ['0']).
        inplace: change `model` itself instead of a copy (default False).

    Returns:
        the pruned model.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        ...                       nn.Flatten(), nn.Linear(8 * 4 * 4, 3))
        >>> small = prune_channels(model, amount=0.5)
        >>> small[0].out_channels, small[1].num_features, small[4].in_features
        (4, 4, 64)
        >>> small(gb.randn(2, 1, 4, 4)).shape
        (2, 3)
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"prune_channels: expected an nn.Sequential, got {type(model).__name__}")
    if n not in (1, 2):
        raise ValueError(f"prune_channels: n must be 1 or 2, received n={n!r}")
    model = model if inplace else _util.clone_module(model)
    weighted = [i for i, (_, _, m) in enumerate(_leaves(model))
                if isinstance(m, (nn.Linear, nn.Conv2d))]
    by_name = isinstance(layers, list)
    if by_name:
        paths = {id(m): p for p, m in model.named_modules()}
        wanted = set(layers)
        known = {paths[id(_leaves(model)[i][2])] for i in weighted[:-1]}
        if wanted - known:
            raise ValueError(f"prune_channels: no prunable layer named {sorted(wanted - known)};"
                             f" prunable: {sorted(known)}")
    for i in weighted[:-1]:
        leaves = _leaves(model)
        layer = leaves[i][2]
        if by_name:
            if paths[id(layer)] not in wanted:
                continue
        elif not isinstance(layer, tuple(layers)):
            continue
        if is_pruned(layer) or getattr(layer, "groups", 1) != 1:
            raise ValueError(f"prune_channels: layer {i} ({type(layer).__name__}) has a mask or "
                             "groups > 1; call remove() first / use groups=1")
        w = layer.weight._data
        norms = np.abs(w.reshape(len(w), -1)) ** n
        norms = norms.sum(axis=1)
        drop = _count(amount, len(w), "prune_channels")
        drop = min(drop, len(w) - 1)  # keep at least one channel
        keep = np.sort(np.argsort(-norms, kind="stable")[: len(w) - drop])
        _shrink_outputs(layer, keep)
        _shrink_readers(leaves[i + 1 :], keep, len(w), i)
    return model


def _shrink_outputs(layer, keep) -> None:
    _slice(layer, "weight", 0, keep)
    _slice(layer, "bias", 0, keep)
    if isinstance(layer, nn.Conv2d):
        layer.out_channels = len(keep)
    else:
        layer.out_features = len(keep)


def _shrink_readers(after, keep, old: int, i: int) -> None:
    """Shrink what reads a pruned layer's `old` channels, keeping `keep`, up to the next layer."""
    flattened = False
    for _, _, m in after:
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            for name in _PER_CHANNEL:
                _slice(m, name, 0, keep)
            m.num_features = len(keep)
        elif isinstance(m, nn.Flatten):
            flattened = True
        elif isinstance(m, nn.Conv2d):
            if m.groups != 1:
                raise ValueError(f"prune_channels: the Conv2d after layer {i} has groups > 1")
            _slice(m, "weight", 1, keep)
            m.in_channels = len(keep)
            return
        elif isinstance(m, nn.Linear):
            if is_pruned(m):
                raise ValueError("prune_channels: the Linear after a pruned layer has a mask; "
                                 "call remove() first")
            per = m.in_features // old if flattened else 1  # (C, H, W) flattened: C-major
            cols = (keep[:, None] * per + np.arange(per)).reshape(-1)
            _slice(m, "weight", 1, cols)
            m.in_features = len(cols)
            return
        elif any(p is not None for p in m._parameters.values()):
            raise ValueError(f"prune_channels: don't know how to shrink {type(m).__name__} "
                             f"after layer {i}; only BatchNorm, Flatten and parameter-free "
                             "layers may sit between two weight layers")
