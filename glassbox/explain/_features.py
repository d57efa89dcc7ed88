"""Interpretable features shared by KernelShap, Lime and exact_shapley: a feature mask groups
input elements into M features; a coalition z in {0, 1}^M keeps feature j's input values where
z_j = 1 and puts the baseline's values where z_j = 0."""

from __future__ import annotations

import numpy as np

from glassbox.explain._common import (
    as_array,
    baselines_like,
    float_inputs,
    forward_selected,
    target_index,
    wrap,
)


def feature_masks(feature_mask, x: np.ndarray, where: str) -> list[tuple[np.ndarray, int]]:
    """One (element -> feature id in 0..M-1 array of one example's shape, M) per example.

    feature_mask: None (every element is its own feature), or ints of one example's shape,
    (1, *) or (N, *). Ids need not be contiguous: they are renumbered in sorted order.
    """
    n, shape = x.shape[0], x.shape[1:]
    if feature_mask is None:
        size = int(np.prod(shape, dtype=np.int64))
        ids = np.arange(size).reshape(shape)
        return [(ids, size)] * n
    m = as_array(feature_mask, "feature_mask", where) if not isinstance(feature_mask, list) \
        else np.asarray(feature_mask)
    if m.dtype.kind not in "iu":
        raise TypeError(f"{where}: feature_mask must hold integer feature ids, got dtype {m.dtype}")
    if m.shape == shape:
        per = [m] * n
    elif m.shape == (1,) + shape:
        per = [m[0]] * n
    elif m.shape == x.shape:
        per = list(m)
    else:
        raise ValueError(f"{where}: feature_mask must have shape {shape}, {(1,) + shape} or "
                         f"{x.shape}, got {m.shape}")
    out, cache = [], {}
    for mi in per:
        key = id(mi)
        if key not in cache:
            uniq, inverse = np.unique(mi, return_inverse=True)
            cache[key] = (inverse.reshape(shape), len(uniq))
        out.append(cache[key])
    return out


def coalition_inputs(z: np.ndarray, x_i: np.ndarray, b_i: np.ndarray,
                     ids: np.ndarray) -> np.ndarray:
    """Inputs (S, *) for coalitions z (S, M): feature j from x_i where z_j else from b_i."""
    keep = z[:, ids.reshape(-1)].reshape((z.shape[0],) + x_i.shape).astype(bool)
    return np.where(keep, x_i[None], b_i[None])


def coalition_setup(inputs, baselines, target, feature_mask, where: str):
    """The checked arguments of a coalition method: (x, baselines, target ids, feature masks).

    x is the float batch (N, *), baselines an array of its shape, target None or N ints, and
    masks feature_masks(feature_mask, x) (one (ids, M) per example).
    """
    x = float_inputs(inputs, where)
    base = baselines_like(baselines, x, where)
    tgt = target_index(target, len(x), where)
    return x, base, tgt, feature_masks(feature_mask, x, where)


def coalition_values(model, z, x_i, b_i, ids, t_i, where, per_eval) -> np.ndarray:
    """v(z) (S,) float64 for every coalition row of z (S, M), in chunks of per_eval coalitions."""
    inputs = coalition_inputs(z, x_i, b_i, ids)
    tgt = None if t_i is None else np.full(len(z), t_i, dtype=np.int64)
    return forward_selected(model, inputs, tgt, where, per_eval).astype(np.float64)


def spread(phi_rows: list, masks, x: np.ndarray, return_input_shape: bool):
    """Per-example feature values (M,) each -> attributions of the input's shape (or (N, M))."""
    if return_input_shape:
        out = np.stack([phi[ids] for phi, (ids, _) in zip(phi_rows, masks, strict=True)])
        return wrap(out.astype(x.dtype))
    sizes = {len(p) for p in phi_rows}
    if len(sizes) != 1:
        raise ValueError("return_input_shape=False needs the same number of features for every "
                         "example")
    return wrap(np.stack(phi_rows).astype(x.dtype))


def superpixel_mask(shape, size) -> np.ndarray:
    """Feature ids for square superpixels: a grid of size x size patches over an image.

    Args:
        shape: one example's shape (C, H, W) or (H, W); all channels of a patch share an id.
        size: patch side (int) or (height, width).

    Returns:
        int64 array of `shape`, ids 0..M-1 in row-major patch order.

    Example:
        >>> superpixel_mask((1, 4, 4), 2)[0]
        array([[0, 0, 1, 1],
               [0, 0, 1, 1],
               [2, 2, 3, 3],
               [2, 2, 3, 3]])
    """
    shape = tuple(shape)
    if len(shape) not in (2, 3):
        raise ValueError(f"superpixel_mask: shape must be (C, H, W) or (H, W), got {shape}")
    ph, pw = (size, size) if np.ndim(size) == 0 else tuple(size)
    if ph < 1 or pw < 1:
        raise ValueError(f"superpixel_mask: size must be >= 1, got {size!r}")
    h, w = shape[-2:]
    rows = np.arange(h) // ph
    cols = np.arange(w) // pw
    ids = rows[:, None] * (int(cols.max()) + 1) + cols[None, :]
    return np.broadcast_to(ids, shape).astype(np.int64).copy()
