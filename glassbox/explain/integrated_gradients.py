"""Integrated Gradients (Sundararajan et al., 2017).

    IG_i(x) = (x_i - x'_i) * integral_0^1 d f(x' + a (x - x')) / d x_i  da

Completeness: sum_i IG_i(x) = f(x) - f(x'). The integral is a quadrature over n_steps points
on the straight path from the baseline x' to x; `return_convergence_delta=True` gives the
difference between the two sides of that identity per example, which shrinks as n_steps grows.
"""

from __future__ import annotations

import numpy as np

from glassbox.explain._common import (
    Attribution,
    baselines_like,
    check_positive_int,
    float_inputs,
    forward_selected,
    gradients,
    target_index,
    wrap,
)

__all__ = ["IntegratedGradients", "quadrature"]

METHODS = ("gausslegendre", "riemann_trapezoid", "riemann_left", "riemann_right",
           "riemann_middle", "riemann")


def quadrature(method: str, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Points a in [0, 1] and weights for integrating over [0, 1] with n_steps points.

    Args:
        method: 'gausslegendre', 'riemann_trapezoid' ('riemann' is the same),
            'riemann_left', 'riemann_right' or 'riemann_middle'.
        n_steps: number of points (>= 2 for the trapezoid rule).

    Returns:
        (alphas, weights), both of shape (n_steps,); the weights sum to 1.

    Example:
        >>> a, w = quadrature("gausslegendre", 3)
        >>> round(float((w * a ** 2).sum()), 6)  # integral of a^2 over [0, 1]
        0.333333
    """
    where = "IntegratedGradients"
    n = check_positive_int(n_steps, "n_steps", where)
    if method == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(n)  # on [-1, 1]
        return (nodes + 1) / 2, weights / 2
    if method in ("riemann_trapezoid", "riemann"):
        if n < 2:
            raise ValueError(f"{where}: the trapezoid rule needs n_steps >= 2, got {n}")
        w = np.full(n, 1.0 / (n - 1))
        w[[0, -1]] /= 2
        return np.linspace(0.0, 1.0, n), w
    offsets = {"riemann_left": 0.0, "riemann_right": 1.0, "riemann_middle": 0.5}
    if method not in offsets:
        raise ValueError(f"{where}: method must be one of {list(METHODS)}, got {method!r}")
    return (np.arange(n) + offsets[method]) / n, np.full(n, 1.0 / n)


class IntegratedGradients(Attribution):
    """Integrated Gradients: path integral of gradients from a baseline to the input.

    Args:
        forward_func: the model.

    Shape:
        inputs (N, *) -> attributions (N, *); the delta, when asked for, is (N,).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> gb.manual_seed(0)  # doctest: +ELLIPSIS
        Generator(PCG64) at 0x...
        >>> model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
        >>> attr, delta = IntegratedGradients(model).attribute(
        ...     gb.rand(4, 3), target=0, n_steps=64, return_convergence_delta=True)
        >>> attr.shape, bool(delta.abs().max().item() < 1e-4)
        ((4, 3), True)
    """

    def attribute(self, inputs, baselines=None, target=None, n_steps: int = 50,
                  method: str = "gausslegendre", internal_batch_size=None,
                  return_convergence_delta: bool = False):
        """Integrated gradients of the target output w.r.t. `inputs`.

        Args:
            inputs: the batch to explain, float.
            baselines: the reference input: None (zeros, as Captum), a number, or an array of
                the inputs' shape or one example's shape (default None).
            target: output to explain: None, an int, or one int per example (default None).
            n_steps: quadrature points on the path (default 50).
            method: 'gausslegendre' (default, as Captum), 'riemann_trapezoid' (or 'riemann'),
                'riemann_left', 'riemann_right', 'riemann_middle'.
            internal_batch_size: at most this many path points per forward pass (default
                None: all N * n_steps at once).
            return_convergence_delta: also return sum(attributions) - (f(x) - f(baseline))
                per example (default False).

        Returns:
            Tensor of the inputs' shape, or (attributions, delta) with delta of shape (N,).
        """
        where = "IntegratedGradients"
        x = float_inputs(inputs, where)
        base = baselines_like(baselines, x, where)
        n = x.shape[0]
        tgt = target_index(target, n, where)
        alphas, weights = quadrature(method, n_steps)
        alphas = alphas.astype(x.dtype)
        if internal_batch_size is not None:
            check_positive_int(internal_batch_size, "internal_batch_size", where)
        # path points ordered (step, example): (n_steps * N, *)
        diff = x - base
        total = np.zeros(x.shape, dtype=np.float64)
        chunk = internal_batch_size or n * len(alphas)
        steps_per_chunk = max(1, chunk // n)  # whole steps per pass keeps the indexing simple
        for s0 in range(0, len(alphas), steps_per_chunk):
            a = alphas[s0:s0 + steps_per_chunk]
            w = weights[s0:s0 + steps_per_chunk]
            points = base[None] + a.reshape((-1,) + (1,) * x.ndim) * diff[None]  # (S, N, *)
            flat = points.reshape((-1,) + x.shape[1:])  # (S * N, *)
            t = None if tgt is None else np.tile(tgt, len(a))
            if internal_batch_size is not None and len(flat) > internal_batch_size:
                grads = np.concatenate([
                    gradients(self.forward_func, flat[i:i + internal_batch_size],
                              None if t is None else t[i:i + internal_batch_size], where)[0]
                    for i in range(0, len(flat), internal_batch_size)])
            else:
                grads, _ = gradients(self.forward_func, flat, t, where)
            grads = grads.reshape((len(a),) + x.shape)  # (S, N, *)
            total += np.tensordot(w, grads.astype(np.float64), axes=(0, 0))
        attr = (diff.astype(np.float64) * total).astype(x.dtype)
        if not return_convergence_delta:
            return wrap(attr)
        f_x = forward_selected(self.forward_func, x, tgt, where, internal_batch_size)
        f_b = forward_selected(self.forward_func, base, tgt, where, internal_batch_size)
        delta = attr.reshape(n, -1).astype(np.float64).sum(axis=1) - (f_x - f_b)
        return wrap(attr), wrap(delta.astype(x.dtype))
