"""Observers: they watch activations during calibration and choose int8 scales from them.

An observer sees float arrays (`observe(x)`), keeps a summary of their range, and turns it into
affine int8 parameters (`qparams()` -> scale, zero_point) with

    x_q = clip(round(x / scale) + zero_point, -128, 127),   x ~ (x_q - zero_point) * scale.

The range always contains 0, so 0.0 is exactly representable (zero padding and ReLU zeros stay
exact). `MinMaxObserver` keeps the extremes; `PercentileObserver` keeps a bounded random sample
and clips at a percentile, which trades rare outliers for finer steps everywhere else.
"""

from __future__ import annotations

import numpy as np

QMIN, QMAX = -128, 127  # activations: affine int8


def affine_qparams(lo: float, hi: float) -> tuple[float, int]:
    """(scale, zero_point) of affine int8 for the range [lo, hi] widened to contain 0.

    Example:
        >>> affine_qparams(0.0, 255.0), affine_qparams(-1.0, 1.0)[1]
        ((1.0, -128), 0)
    """
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo < 1e-12:  # a constant-zero activation: any scale works
        return 1.0, 0
    scale = (hi - lo) / (QMAX - QMIN)
    zero_point = int(np.clip(round(QMIN - lo / scale), QMIN, QMAX))
    return float(np.float32(scale)), zero_point


class MinMaxObserver:
    """Track the smallest and largest value seen; int8 parameters cover exactly that range.

    Example:
        >>> import numpy as np
        >>> obs = MinMaxObserver()
        >>> obs.observe(np.array([-1.0, 0.5])); obs.observe(np.array([3.0]))
        >>> obs.min, obs.max
        (-1.0, 3.0)
    """

    def __init__(self):
        self.min, self.max = np.inf, -np.inf

    def observe(self, x: np.ndarray) -> None:
        self.min = min(self.min, float(x.min()))
        self.max = max(self.max, float(x.max()))

    def range(self) -> tuple[float, float]:
        if self.min > self.max:
            raise RuntimeError(f"{type(self).__name__}: no data observed; calibration saw no "
                               "batch that reached this layer")
        return self.min, self.max

    def qparams(self) -> tuple[float, int]:
        return affine_qparams(*self.range())


class PercentileObserver(MinMaxObserver):
    """Clip the range at the `percentile` (and 100 - percentile) of the values seen.

    Args:
        percentile: upper percentile kept, in (50, 100] (default 99.99).
        max_samples: values kept per observer, a uniform random sample (default 200_000).
        seed: seed of the sampling (default 0).

    Example:
        >>> import numpy as np
        >>> obs = PercentileObserver(percentile=99.0)
        >>> obs.observe(np.append(np.linspace(0, 1, 999), 100.0))  # one outlier
        >>> obs.range()[1] < 1.01  # the outlier (100.0) is clipped away
        True
    """

    def __init__(self, percentile: float = 99.99, max_samples: int = 200_000, seed: int = 0):
        super().__init__()
        if not 50 < percentile <= 100:
            raise ValueError(f"PercentileObserver: percentile must be in (50, 100], received "
                             f"percentile={percentile}")
        self.percentile, self.max_samples = float(percentile), int(max_samples)
        self._rng = np.random.default_rng(seed)
        self._samples: list[np.ndarray] = []
        self._count = 0

    def observe(self, x: np.ndarray) -> None:
        super().observe(x)
        flat = x.reshape(-1)
        per_batch = self.max_samples // 8  # several batches share the budget
        if flat.size > per_batch:
            flat = flat[self._rng.integers(0, flat.size, per_batch)]
        self._samples.append(np.asarray(flat, dtype=np.float32))
        self._count += flat.size
        if self._count > self.max_samples:  # keep a uniform subsample of everything so far
            allv = np.concatenate(self._samples)
            self._samples = [allv[self._rng.permutation(allv.size)[: self.max_samples]]]
            self._count = self.max_samples

    def range(self) -> tuple[float, float]:
        super().range()
        values = np.concatenate(self._samples)
        lo, hi = np.percentile(values, [100 - self.percentile, self.percentile])
        return float(lo), float(hi)


def make_observer(kind) -> MinMaxObserver:
    """An observer from a name ('minmax', 'percentile') or a zero-argument factory."""
    if callable(kind):
        return kind()
    if kind == "minmax":
        return MinMaxObserver()
    if kind == "percentile":
        return PercentileObserver()
    raise ValueError(f"quantize: observer must be 'minmax', 'percentile' or a factory, "
                     f"received observer={kind!r}")
