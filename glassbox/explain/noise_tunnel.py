"""NoiseTunnel: average an attribution method over noisy copies of the input (SmoothGrad)."""

from __future__ import annotations

import numbers

import numpy as np

from glassbox.data.dataset import resolve_generator
from glassbox.explain._common import check_positive_int, float_inputs, wrap
from glassbox.tensor import Tensor

__all__ = ["NoiseTunnel"]

NT_TYPES = ("smoothgrad", "smoothgrad_sq", "vargrad")


class NoiseTunnel:
    """Run an attribution method on inputs + Gaussian noise and combine the results.

    smoothgrad (Smilkov et al., 2017) averages the attributions, smoothgrad_sq averages their
    squares, vargrad (Adebayo et al., 2018) takes their variance.

    Args:
        attribution_method: an attribution object with `.attribute(inputs, **kwargs)`, e.g.
            `Saliency(model)` or `IntegratedGradients(model)`.

    Shape:
        inputs (N, *) -> attributions (N, *).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> from glassbox.explain import Saliency
        >>> gb.manual_seed(0)  # doctest: +ELLIPSIS
        Generator(PCG64) at 0x...
        >>> model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
        >>> nt = NoiseTunnel(Saliency(model))
        >>> a = nt.attribute(gb.rand(2, 3), nt_samples=4, stdevs=0.1, seed=1, target=0)
        >>> a.shape
        (2, 3)
    """

    def __init__(self, attribution_method):
        if not callable(getattr(attribution_method, "attribute", None)):
            raise TypeError(f"NoiseTunnel: attribution_method must have an attribute() method, "
                            f"got {type(attribution_method).__name__}")
        self.attribution_method = attribution_method

    def attribute(self, inputs, nt_type: str = "smoothgrad", nt_samples: int = 5,
                  stdevs: float = 1.0, seed=None, **kwargs):
        """Attributions combined over `nt_samples` noisy copies of each input.

        Args:
            inputs: the batch to explain, float.
            nt_type: 'smoothgrad', 'smoothgrad_sq' or 'vargrad' (default 'smoothgrad').
            nt_samples: noisy copies per example (default 5, as Captum).
            stdevs: standard deviation of the Gaussian noise, in input units (default 1.0,
                as Captum; for images in [0, 1] about 0.1-0.2 is usual).
            seed: int seed or numpy Generator (default None: glassbox's generator, so
                `gb.manual_seed` makes it reproducible).
            **kwargs: passed to the method's attribute (target=, baselines=, n_steps=, ...).

        Returns:
            Tensor of the inputs' shape.
        """
        where = "NoiseTunnel"
        x = float_inputs(inputs, where)
        if nt_type not in NT_TYPES:
            raise ValueError(f"{where}: nt_type must be one of {list(NT_TYPES)}, got {nt_type!r}")
        k = check_positive_int(nt_samples, "nt_samples", where)
        if not isinstance(stdevs, numbers.Real) or stdevs < 0:
            raise ValueError(f"{where}: stdevs must be a number >= 0, got {stdevs!r}")
        rng = resolve_generator(seed)
        n = x.shape[0]
        noisy = x[None] + rng.normal(0.0, float(stdevs), size=(k,) + x.shape).astype(x.dtype)
        flat = noisy.reshape((k * n,) + x.shape[1:])  # (k * N, *), copy-major
        kwargs = dict(kwargs)
        # per-example arguments must be repeated for every noisy copy
        for name in ("target", "baselines"):
            value = kwargs.get(name)
            if isinstance(value, (Tensor, np.ndarray, list, tuple)):
                arr = value._data if isinstance(value, Tensor) else np.asarray(value)
                if arr.ndim >= 1 and arr.shape[0] == n and (name == "target"
                                                            or arr.shape == x.shape):
                    kwargs[name] = np.concatenate([arr] * k)
        result = self.attribution_method.attribute(wrap(flat), **kwargs)
        if isinstance(result, tuple):
            result = result[0]
        attr = result._data if isinstance(result, Tensor) else np.asarray(result)
        attr = attr.reshape((k,) + x.shape).astype(np.float64)
        if nt_type == "smoothgrad":
            out = attr.mean(axis=0)
        elif nt_type == "smoothgrad_sq":
            out = (attr ** 2).mean(axis=0)
        else:
            out = attr.var(axis=0)
        return wrap(out.astype(x.dtype))
