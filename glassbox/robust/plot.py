"""The classic adversarial-example figure: original, scaled perturbation, adversarial image."""

from __future__ import annotations

import numpy as np

from glassbox import autograd
from glassbox._plot import pyplot, to_image
from glassbox.nn._inputs import as_array
from glassbox.tensor import Tensor

__all__ = ["plot_adversarial_example"]


def plot_adversarial_example(model, x, x_adv, class_names=None, path=None):
    """Three panels in the style of Goodfellow et al.'s panda-to-gibbon figure.

    Original image, the perturbation (x_adv - x, scaled to fill the colour range), and the
    adversarial image, each titled with the model's top class and its softmax confidence.

    Args:
        model: the classifier (logits out).
        x: one clean input, shape (C, H, W) or (H, W) (no batch dimension).
        x_adv: its adversarial version, same shape.
        class_names: names for the classes (default: their indices).
        path: where to save the figure as PNG (default None: not saved).

    Returns:
        The matplotlib Figure.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
        >>> x = gb.rand(1, 4, 4)
        >>> fig = plot_adversarial_example(model, x, x + 0.1)
        >>> len(fig.axes)
        3
    """
    x = as_array(x, "x", "plot_adversarial_example")
    x_adv = as_array(x_adv, "x_adv", "plot_adversarial_example")
    if x.shape != x_adv.shape or x.ndim not in (2, 3):
        raise ValueError(f"plot_adversarial_example: x and x_adv must share one image shape "
                         f"(C, H, W) or (H, W), got {x.shape} and {x_adv.shape}")
    plt = pyplot()
    was_training = getattr(model, "training", False)
    if callable(getattr(model, "eval", None)):
        model.eval()
    try:
        with autograd.no_grad():
            logits = model(Tensor._wrap(np.stack([x, x_adv]).astype(np.float32)))._data
    finally:
        if was_training:
            model.train(True)
    logits = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)

    def label(i):
        c = int(probs[i].argmax())
        name = class_names[c] if class_names is not None else str(c)
        return f'"{name}"\n{100 * probs[i, c]:.1f}% confidence'

    delta = x_adv - x
    scale = float(np.abs(delta).max()) or 1.0
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.4))
    gray = "gray" if to_image(x).ndim == 2 else None
    axes[0].imshow(to_image(x), cmap=gray, vmin=0, vmax=1)
    axes[0].set_title(label(0))
    axes[1].imshow(to_image(delta / scale), cmap="RdBu_r" if gray else None, vmin=-1, vmax=1)
    axes[1].set_title(f"perturbation\n(max |delta| = {scale:.3g}, scaled)")
    axes[2].imshow(to_image(x_adv), cmap=gray, vmin=0, vmax=1)
    axes[2].set_title(label(1))
    for ax in axes:
        ax.axis("off")
    fig.tight_layout(w_pad=3)
    for left, right, sign in ((axes[0], axes[1], "+"), (axes[1], axes[2], "=")):
        a, b = left.get_position(), right.get_position()
        fig.text((a.x1 + b.x0) / 2, (a.y0 + a.y1) / 2, sign, fontsize=22, ha="center",
                 va="center")
    if path is not None:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    return fig
