"""Activation maximisation (Erhan et al., 2009; Simonyan et al., 2014; Yosinski et al., 2015):
find an input that makes a class score or a neuron fire strongly, by gradient ascent on the
input, kept natural-looking by an L2 penalty and an occasional Gaussian blur."""

from __future__ import annotations

import numbers

import numpy as np

from glassbox import autograd
from glassbox.data.dataset import resolve_generator
from glassbox.explain._common import FrozenParameters, check_positive_int, wrap
from glassbox.explain.activations import resolve_layer
from glassbox.tensor import Tensor

__all__ = ["maximize_activation"]


def _gaussian_blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur over the last two axes (edges replicated)."""
    radius = max(1, round(3 * sigma))
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k /= k.sum()
    for axis in (-1, -2):
        pad = [(0, 0)] * x.ndim
        pad[axis] = (radius, radius)
        xp = np.pad(x, pad, mode="edge")
        n = x.shape[axis]
        x = sum(w * np.take(xp, np.arange(i, i + n), axis=axis) for i, w in enumerate(k))
    return x


def _objective(out, index, where):
    """The mean over the batch of output[:, index], or of channel `index` averaged spatially."""
    d = out._data
    if isinstance(index, numbers.Integral):
        if d.ndim < 2 or not -d.shape[1] <= index < d.shape[1]:
            raise ValueError(f"{where}: index {index} out of range for output shape {d.shape}")
        sel = out[:, int(index)]
        return sel.mean() if sel.ndim == 1 else sel.reshape(d.shape[0], -1).mean()
    index = tuple(index)
    if len(index) != d.ndim - 1:
        raise ValueError(f"{where}: index {index} needs {d.ndim - 1} numbers for an output of "
                         f"shape {d.shape}")
    return out[(slice(None),) + index].mean()


def maximize_activation(model, input_shape, index, layer=None, steps: int = 100,
                        lr: float = 0.05, l2: float = 1e-3, blur_every: int = 4,
                        blur_sigma: float = 0.5, clamp=(0.0, 1.0), init_std: float = 0.01,
                        init_mean: float = 0.5, seed=None):
    """An input that maximises a class score or a neuron, by regularised gradient ascent.

    Each step: x += lr * g / mean|g| (normalised gradient of the objective), x -= lr * l2 * x
    (L2 decay toward 0), every `blur_every` steps a Gaussian blur, then clip to `clamp`.

    Args:
        model: the Module.
        input_shape: one example's shape, e.g. (1, 28, 28).
        index: what to maximise: an int (a class of the model's output, or a channel of the
            layer's output, averaged over its spatial positions) or a tuple (one neuron of the
            layer's output, without the batch dimension).
        layer: a layer name or module; None means the model's output (default None).
        steps: ascent steps (default 100).
        lr: step size (default 0.05).
        l2: L2 decay per step (default 1e-3).
        blur_every: blur every this many steps; 0 for never (default 4).
        blur_sigma: Gaussian blur width in pixels (default 0.5).
        clamp: (min, max) of valid inputs or None (default (0, 1)).
        init_std: standard deviation of the random start (default 0.01).
        init_mean: mean of the random start (default 0.5).
        seed: int seed or numpy Generator for the start (default None: glassbox's).

    Returns:
        (Tensor of shape (1, *input_shape), list of the objective's value per step).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
        >>> x, history = maximize_activation(model, (1, 4, 4), index=2, steps=20, seed=0)
        >>> x.shape, history[-1] > history[0]
        ((1, 1, 4, 4), True)
    """
    where = "maximize_activation"
    shape = tuple(int(s) for s in input_shape)
    steps = check_positive_int(steps, "steps", where)
    if blur_every:
        check_positive_int(blur_every, "blur_every", where)
    rng = resolve_generator(seed)
    x = (init_mean + init_std * rng.standard_normal((1,) + shape)).astype(np.float32)
    caught = []
    handle = None
    if layer is not None:
        _, module = resolve_layer(model, layer, where)
        handle = module.register_forward_hook(lambda m, a, out: caught.append(out))
    history = []
    was_training = getattr(model, "training", False)
    if callable(getattr(model, "eval", None)):
        model.eval()
    try:
        for step in range(steps):
            caught.clear()
            xt = Tensor._wrap(x.copy()).requires_grad_()
            with FrozenParameters(model), autograd.enable_grad():
                out = model(xt)
                target = caught[-1] if layer is not None else out
                obj = _objective(target, index, where)
                obj.backward()
            history.append(float(obj.item()))
            g = xt.grad._data
            x = x + lr * g / (np.abs(g).mean() + 1e-12) - lr * l2 * x
            if blur_every and (step + 1) % blur_every == 0 and x.ndim >= 3:
                x = _gaussian_blur(x, blur_sigma)
            if clamp is not None:
                x = np.clip(x, clamp[0], clamp[1])
            x = x.astype(np.float32)
    finally:
        if handle is not None:
            handle.remove()
        if was_training:
            model.train(True)
    return wrap(x), history
