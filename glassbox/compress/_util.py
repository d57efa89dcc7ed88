"""Helpers shared by quantize and prune: copying a model, finding and replacing sub-modules."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from glassbox.nn.module import Module
from glassbox.nn.parameter import Parameter
from glassbox.tensor import Tensor


def clone_module(module: Module) -> Module:
    """A deep copy of `module`: new arrays for every parameter and buffer, same structure.

    glassbox modules refuse to be pickled (so `copy.deepcopy` fails on purpose); compress/
    returns new models and leaves the caller's untouched, so it copies them here. Forward hooks
    are copied by reference: the ones compress/ installs take the module as an argument and
    hold no reference to it, so they work on the copy too.
    """
    new = object.__new__(type(module))
    state = dict(module.__dict__)
    params = OrderedDict(
        (k, None if p is None else _copy_tensor(p)) for k, p in module._parameters.items())
    buffers = OrderedDict(
        (k, None if b is None else _copy_tensor(b)) for k, b in module._buffers.items())
    children = OrderedDict(
        (k, None if m is None else clone_module(m)) for k, m in module._modules.items())
    state.update(
        _parameters=params, _buffers=buffers, _modules=children,
        _non_persistent=set(module._non_persistent),
        _forward_hooks=OrderedDict(module._forward_hooks),
        _forward_pre_hooks=OrderedDict(module._forward_pre_hooks),
    )
    for registry in (params, buffers, children):
        state.update(registry)  # the attribute and the registry entry are the same object
    object.__setattr__(new, "__dict__", state)
    return new


def _copy_tensor(t: Tensor) -> Tensor:
    if isinstance(t, Parameter):
        return Parameter(Tensor._wrap(t._data.copy()), requires_grad=t.requires_grad)
    out = Tensor._wrap(t._data.copy())
    out.requires_grad = t.requires_grad
    return out


def replace_modules(model: Module, make) -> list[str]:
    """Replace every descendant `m` for which `make(path, m)` returns a Module; return the paths.

    The model itself is never replaced (wrap it in a Sequential to quantize a bare layer).
    """
    replaced = []
    for path, parent in list(model.named_modules()):
        for name, child in list(parent._modules.items()):
            if child is None:
                continue
            full = f"{path}.{name}" if path else name
            new = make(full, child)
            if new is not None:
                setattr(parent, name, new)
                replaced.append(full)
    return replaced


def first_array(batch) -> np.ndarray:
    """The input array of a batch: the batch itself, or its first element ((x, y) pairs)."""
    if isinstance(batch, (tuple, list)):
        batch = batch[0]
    return batch._data if isinstance(batch, Tensor) else np.asarray(batch)


def iter_batches(data, batch_size: int, max_batches: int | None = None):
    """Yield float input arrays from an array/Tensor (sliced) or an iterable of batches."""
    if isinstance(data, (np.ndarray, Tensor)):
        x = data._data if isinstance(data, Tensor) else data
        starts = range(0, len(x), batch_size)
        batches = (x[s : s + batch_size] for s in starts)
    elif isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], (np.ndarray, Tensor)):
        yield from iter_batches(data[0], batch_size, max_batches)
        return
    else:
        batches = (first_array(b) for b in data)
    for i, b in enumerate(batches):
        if max_batches is not None and i >= max_batches:
            return
        yield b
