"""Looking at what layers compute: their outputs (via forward hooks) and conv filters."""

from __future__ import annotations

import numpy as np

from glassbox import autograd
from glassbox.explain._common import as_array
from glassbox.tensor import Tensor

__all__ = ["activations", "conv_filters", "resolve_layer"]


def resolve_layer(model, layer, where: str):
    """(name, module) for a dotted name or a module of `model`; a clear error otherwise."""
    named = dict(model.named_modules()) if callable(getattr(model, "named_modules", None)) else {}
    if isinstance(layer, str):
        if layer in named:
            return layer, named[layer]
        names = [n for n in named if n]
        raise ValueError(f"{where}: the model has no layer {layer!r}; its layers are "
                         f"{names[:40]}{' ...' if len(names) > 40 else ''}")
    for name, module in named.items():
        if module is layer:
            return name, module
    raise ValueError(f"{where}: layer must be a layer name or a sub-module of the model, got "
                     f"{type(layer).__name__}")


def activations(model, inputs, layers) -> dict:
    """Each named layer's output for `inputs`, captured by forward hooks (removed afterwards).

    Runs without gradients, in the model's current mode.

    Args:
        model: a Module.
        inputs: the model's input batch (Tensor or array).
        layers: layer names (as in `model.named_modules()`), or one name.

    Returns:
        dict {name: Tensor output of that layer}, in the order given. A layer called more
        than once keeps its last output.

    Shape:
        inputs (N, *) -> each value (N, *layer output shape).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> acts = activations(model, gb.rand(3, 4), ["0", "1"])
        >>> {k: v.shape for k, v in acts.items()}
        {'0': (3, 8), '1': (3, 8)}
    """
    where = "activations"
    if isinstance(layers, str):
        layers = [layers]
    layers = list(layers)
    if not layers:
        raise ValueError(f"{where}: layers is empty")
    resolved = [resolve_layer(model, name, where) for name in layers]
    x = inputs if isinstance(inputs, Tensor) else Tensor._wrap(
        np.ascontiguousarray(as_array(inputs, "inputs", where)))
    captured: dict = {}
    handles = []

    def make_hook(name):
        def hook(module, args, output):
            captured[name] = output.detach() if isinstance(output, Tensor) else output
        return hook

    try:
        for name, module in resolved:
            handles.append(module.register_forward_hook(make_hook(name)))
        with autograd.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    missing = [name for name, _ in resolved if name not in captured]
    if missing:
        raise RuntimeError(f"{where}: layers {missing} were not called in the forward pass")
    return {name: captured[name] for name, _ in resolved}


def conv_filters(model, layer) -> np.ndarray:
    """The weights of a convolution layer as an array (out_channels, in_channels, *kernel).

    Args:
        model: a Module.
        layer: the conv layer's name (or the module itself).

    Returns:
        A copy of the weight array.

    Example:
        >>> import glassbox.nn as nn
        >>> model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU())
        >>> conv_filters(model, "0").shape
        (4, 1, 3, 3)
    """
    name, module = resolve_layer(model, layer, "conv_filters")
    weight = getattr(module, "weight", None)
    if not isinstance(weight, Tensor) or weight.ndim < 3:
        raise ValueError(f"conv_filters: layer {name!r} ({type(module).__name__}) has no "
                         f"convolution weight of shape (out, in, *kernel)")
    return np.array(weight.detach()._data, copy=True)
