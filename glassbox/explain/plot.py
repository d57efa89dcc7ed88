"""Figures for explanations: attribution grids and attention maps (matplotlib, loaded lazily)."""

from __future__ import annotations

import numpy as np

from glassbox._plot import pyplot, to_image
from glassbox.explain._common import as_array

__all__ = ["plot_attention", "plot_attributions"]


def plot_attributions(inputs, attributions: dict, titles=None, path=None, cmap="RdBu_r"):
    """A grid: one row per example, its input, then one column per attribution method.

    Each attribution map is drawn with a symmetric colour scale (red positive, blue negative).

    Args:
        inputs: the examples (N, *) (images (N, C, H, W) or flat squares like 8x8 digits).
        attributions: {method name: attributions of the inputs' shape}.
        titles: a title per row (e.g. the predicted class) (default None).
        path: save the figure as PNG there (default None).
        cmap: colour map of the attributions (default 'RdBu_r').

    Returns:
        The matplotlib Figure.

    Example:
        >>> import numpy as np
        >>> x = np.random.rand(2, 64)
        >>> fig = plot_attributions(x, {"Saliency": x - 0.5, "IG": 0.5 - x})
        >>> len(fig.axes)
        6
    """
    x = as_array(inputs, "inputs", "plot_attributions")
    if not isinstance(attributions, dict) or not attributions:
        raise ValueError("plot_attributions: attributions must be a non-empty dict "
                         "{method: array}")
    maps = {k: as_array(v, k, "plot_attributions") for k, v in attributions.items()}
    for k, v in maps.items():
        if v.shape != x.shape:
            raise ValueError(f"plot_attributions: attributions {k!r} have shape {v.shape}, "
                             f"the inputs {x.shape}")
    plt = pyplot()
    n, cols = x.shape[0], 1 + len(maps)
    fig, axes = plt.subplots(n, cols, figsize=(2.2 * cols, 2.2 * n), squeeze=False)
    for i in range(n):
        img = to_image(x[i])
        axes[i, 0].imshow(img, cmap="gray" if img.ndim == 2 else None)
        axes[i, 0].set_title(titles[i] if titles is not None else "input", fontsize=9)
        for j, (name, a) in enumerate(maps.items(), start=1):
            m = to_image(a[i])
            if m.ndim == 3:
                m = m.sum(axis=-1)
            lim = float(np.abs(m).max()) or 1.0
            axes[i, j].imshow(m, cmap=cmap, vmin=-lim, vmax=lim)
            if i == 0:
                axes[i, j].set_title(name, fontsize=9)
    for ax in axes.flat:
        ax.axis("off")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110, bbox_inches="tight")
    return fig


def plot_attention(weights, tokens=None, path=None, max_cols: int = 8):
    """Attention maps as a grid: one row per layer, one column per head.

    Args:
        weights: attention weights of one example: (layers, heads, T, T), (heads, T, T) or
            (T, T); e.g. `attention_maps(model, x)[:, 0]`.
        tokens: T labels for the axes (default None: positions).
        path: save the figure as PNG there (default None).
        max_cols: at most this many heads are drawn per row (default 8).

    Returns:
        The matplotlib Figure.

    Example:
        >>> import numpy as np
        >>> w = np.random.dirichlet(np.ones(5), size=(2, 3, 5))  # (layers, heads, T, T)
        >>> len(plot_attention(w, tokens=list("hello")).axes)
        6
    """
    w = as_array(weights, "weights", "plot_attention")
    while w.ndim < 4:
        w = w[None]
    if w.ndim != 4 or w.shape[-1] != w.shape[-2]:
        raise ValueError(f"plot_attention: expected (layers, heads, T, T) weights of one "
                         f"example, got shape {w.shape}")
    layers, heads, t = w.shape[0], min(w.shape[1], max_cols), w.shape[-1]
    if tokens is not None and len(tokens) != t:
        raise ValueError(f"plot_attention: {len(tokens)} tokens for T = {t}")
    plt = pyplot()
    fig, axes = plt.subplots(layers, heads, figsize=(2.4 * heads, 2.4 * layers), squeeze=False)
    for li in range(layers):
        for h in range(heads):
            ax = axes[li, h]
            ax.imshow(w[li, h], cmap="viridis", vmin=0, vmax=1)
            ax.set_title(f"layer {li} head {h}", fontsize=8)
            if tokens is not None and t <= 32:
                ax.set_xticks(range(t), [str(s) for s in tokens], fontsize=6, rotation=90)
                ax.set_yticks(range(t), [str(s) for s in tokens], fontsize=6)
            else:
                ax.set_xticks([])
                ax.set_yticks([])
    fig.supxlabel("key (attended to)", fontsize=9)
    fig.supylabel("query", fontsize=9)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110, bbox_inches="tight")
    return fig
