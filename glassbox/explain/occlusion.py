"""Occlusion (Zeiler & Fergus, 2014): slide a patch of baseline values over the input and
record how much the target output drops."""

from __future__ import annotations

import itertools
import numbers

import numpy as np

from glassbox.explain._common import (
    Attribution,
    baselines_like,
    check_positive_int,
    float_inputs,
    forward_selected,
    target_index,
    wrap,
)

__all__ = ["Occlusion"]


def _shape_arg(value, ndim: int, name: str, where: str) -> tuple:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (int(value),) * ndim
    value = tuple(value) if isinstance(value, (tuple, list)) else None
    if value is None or len(value) != ndim or any(
            not isinstance(v, numbers.Integral) or v < 1 for v in value):
        raise ValueError(f"{where}: {name} must be {ndim} positive ints (one per non-batch "
                         f"input dimension), got {value!r}")
    return tuple(int(v) for v in value)


class Occlusion(Attribution):
    """Attribution of a region = the drop of the target output when the region is occluded.

    Each window position replaces a patch of `sliding_window_shapes` with the baseline; every
    input element gets the mean output drop over the windows that cover it (as Captum).

    Args:
        forward_func: the model.

    Shape:
        inputs (N, *) -> attributions (N, *).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> model = nn.Linear(4, 1, bias=False)
        >>> x = gb.ones(1, 4)
        >>> attr = Occlusion(model).attribute(x, sliding_window_shapes=(1,))
        >>> bool(((attr - model.weight.detach()).abs().max() < 1e-6).item())
        True
    """

    def attribute(self, inputs, sliding_window_shapes, strides=None, baselines=None,
                  target=None, perturbations_per_eval: int = 1):
        """Occlusion attributions.

        Args:
            inputs: the batch to explain, float, (N, *).
            sliding_window_shapes: the patch shape over the non-batch dimensions, e.g.
                (1, 4, 4) for (N, 1, 28, 28) images.
            strides: step of the window per dimension, an int or a tuple (default 1).
            baselines: value(s) put in the patch: None (0), a number, or an array of the
                inputs' shape or one example's shape (default None).
            target: output to explain: None, an int, or one int per example (default None).
            perturbations_per_eval: window positions evaluated in one forward pass
                (default 1; larger is faster and uses more memory).

        Returns:
            Tensor of the inputs' shape.
        """
        where = "Occlusion"
        x = float_inputs(inputs, where)
        dims = x.shape[1:]
        window = _shape_arg(sliding_window_shapes, len(dims), "sliding_window_shapes", where)
        strides = _shape_arg(1 if strides is None else strides, len(dims), "strides", where)
        if any(w > d for w, d in zip(window, dims, strict=True)):
            raise ValueError(f"{where}: sliding_window_shapes {window} is larger than the input "
                             f"{dims}")
        per_eval = check_positive_int(perturbations_per_eval, "perturbations_per_eval", where)
        base = baselines_like(baselines, x, where)
        n = x.shape[0]
        tgt = target_index(target, n, where)

        starts = [range(0, d - w + 1, s) for d, w, s in zip(dims, window, strides, strict=True)]
        positions = list(itertools.product(*starts))
        total = np.zeros(x.shape, dtype=np.float64)
        count = np.zeros(dims, dtype=np.float64)
        for p0 in range(0, len(positions), per_eval):
            group = positions[p0:p0 + per_eval]
            batch = np.repeat(x[None], len(group), axis=0)  # (P, N, *)
            slices = [tuple(slice(a, a + w) for a, w in zip(pos, window, strict=True))
                      for pos in group]
            for i, sl in enumerate(slices):
                batch[(i, slice(None)) + sl] = base[(slice(None),) + sl]
            # the unoccluded inputs ride along in the same forward pass: a GEMM may round a
            # row differently in a batch of another size, and an element the model ignores
            # must get exactly zero
            batch = np.concatenate([x[None], batch])  # (1 + P, N, *)
            t = None if tgt is None else np.tile(tgt, len(group) + 1)
            f_all = forward_selected(self.forward_func, batch.reshape((-1,) + dims), t, where)
            f_all = f_all.reshape(len(group) + 1, n)
            drop = f_all[:1] - f_all[1:]  # (P, N)
            for i, sl in enumerate(slices):
                total[(slice(None),) + sl] += drop[i].reshape((n,) + (1,) * len(dims))
                count[sl] += 1
        attr = np.where(count > 0, total / np.maximum(count, 1), 0.0)
        return wrap(attr.astype(x.dtype))
