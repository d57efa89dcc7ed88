"""LIME (Ribeiro et al., 2016): explain one prediction with a weighted linear surrogate.

For each example: draw random coalitions z in {0, 1}^M (feature j kept where z_j = 1, set to
the baseline where z_j = 0), run the model on them, weight each by its closeness to the
original (z = all ones) and fit y ~ c + z . w by weighted ridge regression. The coefficients w
are the attributions. Features are single input elements or groups given by `feature_mask`
(e.g. `superpixel_mask` for images).
"""

from __future__ import annotations

import numbers

import numpy as np

from glassbox.data.dataset import resolve_generator
from glassbox.explain._common import Attribution, check_positive_int
from glassbox.explain._features import coalition_setup, coalition_values, spread

__all__ = ["Lime"]


class Lime(Attribution):
    """LIME attributions: coefficients of a locally weighted linear surrogate model.

    Similarity is LIME's image kernel, exp(-d^2 / kernel_width^2), with d the cosine distance
    between the coalition z and the all-ones vector (d = 1 - sqrt(|z| / M)).

    Args:
        forward_func: the model.
        kernel_width: width of the similarity kernel (default 0.25, as LIME for images).
        alpha: ridge penalty of the surrogate (intercept not penalised) (default 0.01).

    Shape:
        inputs (N, *) -> attributions (N, *) (or (N, M) with return_input_shape=False).

    Example:
        >>> import glassbox as gb
        >>> f = lambda x: 2 * x[:, 0] - x[:, 1]          # linear: LIME recovers it
        >>> attr = Lime(f, alpha=0.0).attribute(gb.tensor([[1.0, 1.0]]), n_samples=50, seed=0)
        >>> [round(v, 4) for v in attr.numpy()[0].tolist()]
        [2.0, -1.0]
    """

    def __init__(self, forward_func, kernel_width: float = 0.25, alpha: float = 0.01):
        super().__init__(forward_func)
        for name, v in (("kernel_width", kernel_width), ("alpha", alpha)):
            if not isinstance(v, numbers.Real) or v < 0 or (name == "kernel_width" and v == 0):
                raise ValueError(f"Lime: {name} must be a number > 0 (alpha >= 0), got {v!r}")
        self.kernel_width = float(kernel_width)
        self.alpha = float(alpha)

    def attribute(self, inputs, baselines=None, target=None, feature_mask=None,
                  n_samples: int = 50, perturbations_per_eval: int = 1024,
                  return_input_shape: bool = True, seed=None):
        """LIME attributions, one surrogate per example.

        Args:
            inputs: the batch to explain, float (N, *).
            baselines: values of removed features: None (0), a number, or an array of the
                inputs' shape or one example's shape (default None).
            target: output to explain: None, an int, or one int per example (default None).
            feature_mask: integer feature id per input element (one example's shape or
                (N, *)); default None: every element is a feature.
            n_samples: random coalitions per example (default 50, as Captum); the original
                input (all features kept) is always one of them.
            perturbations_per_eval: coalitions per forward pass (default 1024).
            return_input_shape: spread each feature's coefficient over its elements
                (default True).
            seed: int seed or numpy Generator (default None: glassbox's generator).

        Returns:
            Tensor of the inputs' shape, or (N, M).
        """
        where = "Lime"
        x, base, tgt, masks = coalition_setup(inputs, baselines, target, feature_mask, where)
        n_samples = check_positive_int(n_samples, "n_samples", where, minimum=2)
        per_eval = check_positive_int(perturbations_per_eval, "perturbations_per_eval", where)
        rng = resolve_generator(seed)
        rows = []
        for i, (ids, m) in enumerate(masks):
            z = (rng.random((n_samples, m)) < 0.5).astype(np.int8)
            z[0] = 1  # the original input itself
            y = coalition_values(self.forward_func, z, x[i], base[i], ids,
                                 None if tgt is None else tgt[i], where, per_eval)
            rows.append(self._surrogate(z, y))
        return spread(rows, masks, x, return_input_shape)

    def _surrogate(self, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Weighted ridge fit of y on z with an unpenalised intercept; returns the slopes."""
        m = z.shape[1]
        kept = z.sum(axis=1)
        d = 1.0 - np.sqrt(kept / m)  # cosine distance to the all-ones vector
        w = np.exp(-(d ** 2) / self.kernel_width ** 2)
        zf = z.astype(np.float64)
        # centre with the weighted means: removes the intercept from the penalised problem
        zm = (w[:, None] * zf).sum(axis=0) / w.sum()
        ym = (w * y).sum() / w.sum()
        a = (zf - zm) * np.sqrt(w)[:, None]
        b = (y - ym) * np.sqrt(w)
        gram = a.T @ a + self.alpha * np.eye(m)
        coef, *_ = np.linalg.lstsq(gram, a.T @ b, rcond=None)
        return coef
