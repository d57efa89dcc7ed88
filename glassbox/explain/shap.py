"""Shapley values: KernelShap (Lundberg & Lee, 2017) and exact enumeration for few features.

The Shapley value of feature j for the game v(S) = f(x with the features in S, baseline
elsewhere) is

    phi_j = sum over S not containing j of |S|! (M - |S| - 1)! / M! * (v(S + j) - v(S)).

Kernel SHAP finds the same numbers as the solution of a weighted linear regression of v(z) on
the coalition indicators z, with the Shapley kernel pi(z) = (M - 1) / (C(M, |z|) |z| (M - |z|))
and the constraint sum(phi) = v(all) - v(none). With every coalition enumerated the solution is
exact; with fewer it is an estimate. Like the `shap` package, this implementation spends its
budget on whole coalition sizes first, starting with the heaviest (sizes 1 and M - 1), and
samples the remaining sizes in complementary pairs (z and 1 - z), which cancels much of the
sampling noise.
"""

from __future__ import annotations

import math

import numpy as np

from glassbox.data.dataset import resolve_generator
from glassbox.explain._common import Attribution, check_model, check_positive_int
from glassbox.explain._features import coalition_setup, coalition_values, spread

__all__ = ["KernelShap", "exact_shapley"]

MAX_EXACT_FEATURES = 16


def exact_shapley(forward_func, inputs, baselines=None, target=None, feature_mask=None,
                  return_input_shape: bool = True):
    """Exact Shapley values by enumerating all 2^M coalitions (M <= 16 features).

    Args:
        forward_func: the model.
        inputs: the batch to explain, float (N, *).
        baselines: values of absent features: None (0), a number, or an array of the inputs'
            shape or one example's shape (default None).
        target: output to explain: None, an int, or one int per example (default None).
        feature_mask: integer feature id per input element, one example's shape or (N, *)
            (default None: every element is a feature).
        return_input_shape: spread each feature's value over its elements (default True);
            False returns (N, M).

    Shape:
        inputs (N, *) -> attributions (N, *) (or (N, M)).

    Example:
        >>> import glassbox as gb
        >>> f = lambda x: (x[:, 0] * x[:, 1] + x[:, 2])   # a game with an interaction
        >>> exact_shapley(f, gb.tensor([[1.0, 2.0, 3.0]]))
        tensor([[1., 1., 3.]])
    """
    where = "exact_shapley"
    check_model(forward_func, where)
    x, base, tgt, masks = coalition_setup(inputs, baselines, target, feature_mask, where)
    rows = []
    for i, (ids, m) in enumerate(masks):
        if m > MAX_EXACT_FEATURES:
            raise ValueError(f"{where}: {m} features means 2^{m} model calls; use at most "
                             f"{MAX_EXACT_FEATURES} (group inputs with feature_mask) or KernelShap")
        codes = np.arange(2 ** m)
        z = ((codes[:, None] >> np.arange(m)[None, :]) & 1).astype(np.int8)  # (2^M, M)
        v = coalition_values(forward_func, z, x[i], base[i], ids, None if tgt is None else tgt[i],
                    where, 4096)
        size = z.sum(axis=1)
        phi = np.zeros(m)
        for j in range(m):
            without = codes[(codes >> j) & 1 == 0]  # coalitions S not containing j
            s = size[without]
            w = np.array([math.factorial(k) * math.factorial(m - k - 1) for k in s]) \
                / math.factorial(m)
            phi[j] = (w * (v[without | (1 << j)] - v[without])).sum()
        rows.append(phi)
    return spread(rows, masks, x, return_input_shape)


def _kernel_coalitions(m: int, n_samples: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Coalitions (K, M) and their regression weights for Kernel SHAP with this budget."""
    sizes = np.arange(1, m)
    mass = (m - 1) / (sizes * (m - sizes))  # total kernel weight of each coalition size
    rows, weights = [], []
    budget = n_samples
    open_sizes = list(range(1, m))
    # whole sizes first, pairing s with m - s, heaviest pairs first
    for s in range(1, m // 2 + 1):
        pair = [s] if s == m - s else [s, m - s]
        count = sum(math.comb(m, k) for k in pair)
        pair_mass = sum(mass[k - 1] for k in pair)
        open_mass = sum(mass[k - 1] for k in open_sizes)
        if count > budget * pair_mass / open_mass + 1e-9:
            break
        for k in pair:
            for subset in _subsets(m, k):
                z = np.zeros(m, dtype=np.int8)
                z[list(subset)] = 1
                rows.append(z)
                weights.append(mass[k - 1] / math.comb(m, k))
            open_sizes.remove(k)
        budget -= count
    if open_sizes and budget > 0:
        open_mass = np.array([mass[k - 1] for k in open_sizes])
        p = open_mass / open_mass.sum()
        drawn = []
        while len(drawn) < budget:
            k = open_sizes[rng.choice(len(open_sizes), p=p)]
            z = np.zeros(m, dtype=np.int8)
            z[rng.choice(m, size=k, replace=False)] = 1
            drawn.append(z)
            if len(drawn) < budget:
                drawn.append(1 - z)  # the complement: its size is open too (pairs stay open)
        rows.extend(drawn)
        weights.extend([open_mass.sum() / len(drawn)] * len(drawn))
    return np.array(rows, dtype=np.int8).reshape(-1, m), np.array(weights)


def _subsets(m: int, k: int):
    from itertools import combinations

    return combinations(range(m), k)


def _constrained_wls(z, y, w, total):
    """min sum w (y - z phi)^2 subject to sum(phi) = total; the last feature is eliminated."""
    m = z.shape[1]
    if m == 1:
        return np.array([total])
    a = z[:, :-1].astype(np.float64) - z[:, -1:].astype(np.float64)
    b = y - z[:, -1] * total
    sw = np.sqrt(w)
    phi, *_ = np.linalg.lstsq(a * sw[:, None], b * sw, rcond=None)
    return np.append(phi, total - phi.sum())


class KernelShap(Attribution):
    """Kernel SHAP: Shapley values estimated by a Shapley-kernel-weighted linear regression.

    Args:
        forward_func: the model.

    Shape:
        inputs (N, *) -> attributions (N, *) (or (N, M) with return_input_shape=False).

    Example:
        >>> import glassbox as gb
        >>> f = lambda x: (x[:, 0] * x[:, 1] + x[:, 2])
        >>> KernelShap(f).attribute(gb.tensor([[1.0, 2.0, 3.0]]), n_samples=6, seed=0)
        tensor([[1., 1., 3.]])
    """

    def attribute(self, inputs, baselines=None, target=None, feature_mask=None,
                  n_samples: int = 25, perturbations_per_eval: int = 1024,
                  return_input_shape: bool = True, seed=None):
        """Kernel SHAP attributions, one regression per example.

        Args:
            inputs: the batch to explain, float (N, *).
            baselines: values of absent features: None (0), a number, or an array of the
                inputs' shape or one example's shape (default None).
            target: output to explain: None, an int, or one int per example (default None).
            feature_mask: integer feature id per input element (one example's shape or
                (N, *)); default None: every element is a feature.
            n_samples: coalitions evaluated per example besides "none" and "all" (default
                25, as Captum). At 2^M - 2 or more every coalition is used and the answer is
                the exact Shapley value.
            perturbations_per_eval: coalitions per forward pass (default 1024).
            return_input_shape: spread each feature's value over its elements (default True).
            seed: int seed or numpy Generator for the sampled coalitions (default None:
                glassbox's generator).

        Returns:
            Tensor of the inputs' shape, or (N, M).
        """
        where = "KernelShap"
        x, base, tgt, masks = coalition_setup(inputs, baselines, target, feature_mask, where)
        n_samples = check_positive_int(n_samples, "n_samples", where)
        per_eval = check_positive_int(perturbations_per_eval, "perturbations_per_eval", where)
        rng = resolve_generator(seed)
        rows = []
        for i, (ids, m) in enumerate(masks):
            t_i = None if tgt is None else tgt[i]
            ends = coalition_values(self.forward_func, np.stack([np.zeros(m, np.int8), np.ones(m, np.int8)]),
                           x[i], base[i], ids, t_i, where, per_eval)
            total = ends[1] - ends[0]
            if m == 1:
                rows.append(np.array([total]))
                continue
            z, w = _kernel_coalitions(m, min(n_samples, 2 ** m - 2), rng)
            y = coalition_values(self.forward_func, z, x[i], base[i], ids, t_i, where, per_eval) - ends[0]
            rows.append(_constrained_wls(z, y, w, total))
        return spread(rows, masks, x, return_input_shape)
