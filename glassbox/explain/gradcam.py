"""Grad-CAM (Selvaraju et al., 2017): where in a conv layer's feature map the class evidence is.

For the layer's output A (N, C, H, W) and the target score y:
    alpha_c = mean over (h, w) of dy / dA_c        (how much channel c matters)
    cam     = sum_c alpha_c A_c                    (N, 1, H, W)
The layer output is caught by a forward hook and its gradient kept with `retain_grad()`.
"""

from __future__ import annotations

import numpy as np

from glassbox import autograd
from glassbox.explain._common import (
    Attribution,
    FrozenParameters,
    float_inputs,
    select,
    target_index,
    wrap,
)
from glassbox.explain.activations import resolve_layer
from glassbox.tensor import Tensor

__all__ = ["LayerGradCam", "interpolate"]


def interpolate(maps: np.ndarray, size) -> np.ndarray:
    """Bilinear resize of (N, C, H, W) maps to spatial `size` (align_corners=False, as torch).

    Args:
        maps: array (N, C, H, W).
        size: (H_out, W_out).

    Returns:
        array (N, C, H_out, W_out).

    Example:
        >>> interpolate(np.arange(4.0).reshape(1, 1, 2, 2), (4, 4))[0, 0, 0]
        array([0.  , 0.25, 0.75, 1.  ])
    """
    maps = np.asarray(maps)
    h_out, w_out = int(size[0]), int(size[1])
    h, w = maps.shape[-2:]

    def axis(n_in, n_out):
        pos = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
        pos = np.clip(pos, 0, n_in - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, pos - lo

    r0, r1, rf = axis(h, h_out)
    c0, c1, cf = axis(w, w_out)
    top = maps[..., r0, :] * (1 - rf)[:, None] + maps[..., r1, :] * rf[:, None]
    return top[..., c0] * (1 - cf) + top[..., c1] * cf


class LayerGradCam(Attribution):
    """Grad-CAM map of one conv layer for a target class.

    Args:
        forward_func: the model (a Module).
        layer: the conv layer, by name (e.g. "features.3") or as the module.

    Shape:
        inputs (N, C_in, H_in, W_in) -> (N, 1, H, W) at the layer's resolution, or
        (N, 1, H_in, W_in) with upsample=True.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        ...                       nn.Flatten(), nn.Linear(64, 3))
        >>> cam = LayerGradCam(model, "1").attribute(gb.rand(2, 1, 8, 8), target=0)
        >>> cam.shape
        (2, 1, 8, 8)
    """

    def __init__(self, forward_func, layer):
        super().__init__(forward_func)
        self.layer_name, self.layer = resolve_layer(forward_func, layer, "LayerGradCam")

    def attribute(self, inputs, target=None, relu_attributions: bool = False,
                  upsample: bool = False):
        """The Grad-CAM map.

        Args:
            inputs: the image batch, float (N, C, H, W).
            target: output to explain: None, an int, or one int per example (default None).
            relu_attributions: keep only positive evidence (ReLU of the map, as in the paper;
                default False, as Captum).
            upsample: resize the map bilinearly to the input's height and width (default
                False).

        Returns:
            Tensor (N, 1, H, W).
        """
        where = f"LayerGradCam({self.layer_name!r})"
        x = float_inputs(inputs, where)
        tgt = target_index(target, len(x), where)
        caught = []

        def hook(module, args, output):
            if not isinstance(output, Tensor):
                raise TypeError(f"{where}: the layer's output is a {type(output).__name__}, "
                                f"not a Tensor")
            caught.append(output)

        xt = Tensor._wrap(np.array(x, copy=True)).requires_grad_()
        handle = self.layer.register_forward_hook(hook)
        try:
            with FrozenParameters(self.forward_func), autograd.enable_grad():
                out = self.forward_func(xt)
                if not caught:
                    raise RuntimeError(f"{where}: the layer was not called in the forward pass")
                act = caught[-1]
                act.retain_grad()
                select(out, tgt, where).sum().backward()
        finally:
            handle.remove()
        a = act.detach()._data
        if a.ndim != 4:
            raise ValueError(f"{where}: expected a conv layer output (N, C, H, W), got shape "
                             f"{a.shape}")
        g = act.grad._data if act.grad is not None else np.zeros_like(a)
        weights = g.mean(axis=(2, 3), keepdims=True)  # (N, C, 1, 1)
        cam = (weights * a).sum(axis=1, keepdims=True)  # (N, 1, H, W)
        if relu_attributions:
            cam = np.maximum(cam, 0)
        if upsample:
            cam = interpolate(cam, x.shape[-2:])
        return wrap(cam.astype(x.dtype))
