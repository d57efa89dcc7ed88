"""Figures of the HTML report, drawn with matplotlib's object API and returned as PNG bytes.

matplotlib is imported here, lazily (only when a report is built), and only through
`matplotlib.figure.Figure`: no pyplot, so no global figure state and no GUI backend.
"""

from __future__ import annotations

import base64
import io

import numpy as np


def new_figure(width: float, height: float):
    """A matplotlib Figure that renders with the Agg canvas (no pyplot, no display)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def png_data_uri(fig) -> str:
    """The figure as a `data:image/png;base64,...` URI (the figure is closed for pyplot ones).

    Example:
        >>> fig = new_figure(1, 1)
        >>> png_data_uri(fig).startswith("data:image/png;base64,iVBOR")
        True
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    try:  # a pyplot-made figure (e.g. glassbox.robust's) must be closed to free it
        import matplotlib.pyplot as plt

        if plt.fignum_exists(getattr(fig, "number", -1)):
            plt.close(fig)
    except Exception:  # noqa: BLE001, S110 - pyplot unavailable: nothing to close
        pass
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def as_images(x: np.ndarray) -> np.ndarray | None:
    """(N, H, W) or (N, H, W, 3) arrays for display, or None when x is not image-like."""
    if x.ndim == 4 and x.shape[1] in (1, 3):
        return x[:, 0] if x.shape[1] == 1 else x.transpose(0, 2, 3, 1)
    if x.ndim == 3:
        return x
    if x.ndim == 2:
        side = round(float(np.sqrt(x.shape[1])))
        if side * side == x.shape[1] and side >= 4:
            return x.reshape(len(x), side, side)
    return None


def _show(ax, img, cmap="gray", title=None, vmin=None, vmax=None):
    if img.ndim == 3:
        lo, hi = img.min(), img.max()
        img = (img - lo) / (hi - lo + 1e-12)
        ax.imshow(img)
    else:
        ax.imshow(img, cmap=cmap, vmin=vmin, vmax=vmax)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=8)


def training_curves(history: dict):
    """Loss and every metric per epoch, train against validation."""
    from matplotlib.ticker import MaxNLocator

    keys = [k for k in history if not k.startswith("val_") and k != "lr"]
    fig = new_figure(4 * len(keys), 3)
    for i, key in enumerate(keys):
        ax = fig.add_subplot(1, len(keys), i + 1)
        ax.plot(range(1, len(history[key]) + 1), history[key], "o-", label="train")
        if "val_" + key in history:
            ax.plot(range(1, len(history["val_" + key]) + 1), history["val_" + key], "s--",
                    label="validation")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(key)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def confusion(cm: np.ndarray, class_names):
    """The confusion matrix as a heat map with counts."""
    n = len(cm)
    fig = new_figure(1 + 0.5 * n, 1 + 0.45 * n)
    ax = fig.add_subplot(1, 1, 1)
    im = ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(n), class_names, fontsize=8)
    ax.set_yticks(range(n), class_names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(n):
        for j in range(n):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7,
                    color="white" if cm[i, j] > cm.max() / 2 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def image_grid(images, titles, ncols: int = 8, cmap="gray", vmin=None, vmax=None, size=1.3):
    """Images in a grid, each with a short title."""
    n = len(images)
    nrows = max(1, -(-n // ncols))
    fig = new_figure(size * min(n, ncols), size * 1.15 * nrows)
    for i, (img, title) in enumerate(zip(images, titles)):
        ax = fig.add_subplot(nrows, min(n, ncols), i + 1)
        _show(ax, img, cmap, title, vmin, vmax)
    fig.tight_layout()
    return fig


def attribution_grid(images, maps: dict, titles):
    """Rows: the inputs, then one row per attribution method (absolute value, per image)."""
    n = len(images)
    rows = 1 + len(maps)
    fig = new_figure(1.3 * n, 1.4 * rows)
    for j in range(n):
        _show(fig.add_subplot(rows, n, j + 1), images[j], title=titles[j])
    for r, (name, attr) in enumerate(maps.items(), start=1):
        for j in range(n):
            ax = fig.add_subplot(rows, n, r * n + j + 1)
            a = np.abs(attr[j])
            _show(ax, a / (a.max() + 1e-12), cmap="inferno", vmin=0, vmax=1)
            if j == 0:
                ax.set_ylabel(name, fontsize=8)
    fig.tight_layout()
    return fig


def line_plot(xs, ys, xlabel: str, ylabel: str, title: str, labels=None):
    """One or more lines with markers (robustness curve, probe accuracy by layer)."""
    fig = new_figure(5, 3.2)
    ax = fig.add_subplot(1, 1, 1)
    series = ys if isinstance(ys, dict) else {None: ys}
    for name, y in series.items():
        ax.plot(range(len(y)) if labels else xs, y, "o-", label=name)
    if labels:
        ax.set_xticks(range(len(labels)), labels, rotation=30, fontsize=8, ha="right")
    if isinstance(ys, dict):
        ax.legend(fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
