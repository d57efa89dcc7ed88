"""Adversarial attacks: FGSM and PGD, white-box, on the gradient of the loss w.r.t. the input.

Units. An attack perturbs the tensor you pass in, so `eps`, `alpha` and `clamp` are in the
units of `inputs`:

* The model normalises internally (e.g. its first layer is `robust.Normalize(mean, std)`) and
  you pass raw images in [0, 1]: eps is in pixel units and the default `clamp=(0, 1)` is right.
* The data pipeline normalises (the model sees (x - mean) / std): either pass eps and `clamp`
  in normalised units yourself, or pass `normalize=(mean, std)`; then eps, alpha and clamp are
  read in pixel units, the attack runs in pixel space, and the adversarial inputs come back
  normalised, ready for the model.

The model's parameters are frozen while an attack runs (their `.grad` is left untouched and
no weight gradients are computed); the model runs in whatever mode (train/eval) it is in.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassbox.data.dataset import resolve_generator
from glassbox.nn._inputs import FrozenParameters, as_array, float_inputs
from glassbox.nn.module import Module
from glassbox.tensor import Tensor

__all__ = ["Normalize", "fgsm", "input_gradient", "pgd"]


# ---------------------------------------------------------------------------------------------
# helpers shared by the attacks (as_array, float_inputs and FrozenParameters, which explain/
# needs too, live in glassbox/nn/_inputs.py)

def _targets(targets, n: int, where: str) -> Tensor:
    t = as_array(targets, "targets", where)
    if t.shape[:1] != (n,):
        raise ValueError(f"{where}: targets must have one entry per input ({n}), got shape "
                         f"{t.shape}")
    return Tensor._wrap(np.ascontiguousarray(t))


def input_gradient(model, x: np.ndarray, objective) -> tuple[np.ndarray, np.ndarray]:
    """d objective(model(x)) / dx, with the model's parameters frozen.

    Args:
        model: a callable Module.
        x: the input array, float.
        objective: `objective(output) -> scalar Tensor` to differentiate.

    Returns:
        (gradient array of x's shape, the model output as an array).

    Example:
        >>> import glassbox.nn as nn
        >>> import numpy as np
        >>> g, out = input_gradient(nn.Identity(), np.ones((2, 3), np.float32), lambda o: o.sum())
        >>> g
        array([[1., 1., 1.],
               [1., 1., 1.]], dtype=float32)
    """
    xt = Tensor._wrap(np.array(x, copy=True)).requires_grad_()
    with FrozenParameters(model):
        out = model(xt)
        obj = objective(out)
        if not isinstance(obj, Tensor) or obj._data.size != 1:
            raise ValueError("input_gradient: the objective must return a one-element Tensor")
        obj.backward()
    grad = xt.grad._data if xt.grad is not None else np.zeros_like(x)
    return grad, out.detach()._data


def _check_eps(eps, where: str, name: str = "eps") -> float:
    if not isinstance(eps, numbers.Real) or isinstance(eps, bool) or not np.isfinite(eps) \
            or eps < 0:
        raise ValueError(f"{where}: {name} must be a finite number >= 0, got {eps!r}")
    return float(eps)


def _check_clamp(clamp, where: str):
    if clamp is None:
        return None
    if not (isinstance(clamp, (tuple, list)) and len(clamp) == 2 and clamp[0] < clamp[1]):
        raise ValueError(f"{where}: clamp must be None or a pair (min, max) with min < max, "
                         f"got {clamp!r}")
    return float(clamp[0]), float(clamp[1])


def _stats(value, x: np.ndarray, what: str, where: str) -> np.ndarray:
    """A scalar or per-channel sequence -> an array broadcastable to x (channels on dim 1)."""
    a = np.asarray(value, dtype=x.dtype)
    if a.ndim == 0:
        return a
    if a.ndim != 1 or x.ndim < 2 or a.shape[0] != x.shape[1]:
        raise ValueError(f"{where}: normalize {what} must be a number or one value per channel "
                         f"(dim 1 of inputs, size {x.shape[1] if x.ndim > 1 else None}), got "
                         f"shape {a.shape}")
    return a.reshape((1, -1) + (1,) * (x.ndim - 2))


class Normalize(Module):
    """(x - mean) / std as a layer: put it first in a model that takes pixel inputs.

    Then attacks on the model take eps in pixel units and the default clamp (0, 1) is right.

    Args:
        mean: a number or one value per channel (dim 1).
        std: a number or one value per channel; all > 0.

    Shape:
        Input (N, C, *) -> output of the same shape.

    Example:
        >>> import glassbox as gb
        >>> Normalize(0.5, 0.25)(gb.tensor([[1.0, 0.5]]))
        tensor([[2., 0.]])
    """

    def __init__(self, mean, std):
        super().__init__()
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)
        if np.any(self.std <= 0):
            raise ValueError(f"Normalize: std must be > 0, got {std!r}")

    def forward(self, x):
        m = _stats(self.mean, x._data, "mean", "Normalize").astype(x._data.dtype)
        s = _stats(self.std, x._data, "std", "Normalize").astype(x._data.dtype)
        return (x - Tensor._wrap(m)) / Tensor._wrap(s)

    def extra_repr(self) -> str:
        return f"mean={self.mean.tolist()}, std={self.std.tolist()}"


class _Setup:
    """What both attacks do first: check arguments and move to pixel units if asked."""

    def __init__(self, model, inputs, targets, eps, loss_fn, clamp, normalize, where):
        if not callable(model):
            raise TypeError(f"{where}: model must be callable, got {type(model).__name__}")
        x = float_inputs(inputs, where)
        self.was_tensor = isinstance(inputs, Tensor)
        self.dtype = x.dtype
        self.targets = _targets(targets, x.shape[0], where)
        self.eps = _check_eps(eps, where)
        self.clamp = _check_clamp(clamp, where)
        if loss_fn is None:
            from glassbox.nn.functional import cross_entropy as loss_fn
        self.loss_fn = loss_fn
        self.model = model
        self.mean = self.std = None
        if normalize is not None:
            if not (isinstance(normalize, (tuple, list)) and len(normalize) == 2):
                raise ValueError(f"{where}: normalize must be a pair (mean, std), got "
                                 f"{normalize!r}")
            self.mean = _stats(normalize[0], x, "mean", where)
            self.std = _stats(normalize[1], x, "std", where)
            if np.any(self.std <= 0):
                raise ValueError(f"{where}: normalize std must be > 0, got {normalize[1]!r}")
            x = x * self.std + self.mean  # back to pixel units: the attack works there
        self.x = x

    def grad(self, x_pixel: np.ndarray) -> tuple[np.ndarray, float]:
        """Gradient of the loss w.r.t. the (pixel-unit) input, and the loss."""
        if self.mean is not None:
            x_model = (x_pixel - self.mean) / self.std
            g, _ = input_gradient(self.model, x_model.astype(self.dtype), self._objective)
            return g / self.std, self._last_loss
        g, _ = input_gradient(self.model, x_pixel, self._objective)
        return g, self._last_loss

    def _objective(self, output):
        loss = self.loss_fn(output, self.targets)
        self._last_loss = float(loss.item())
        return loss

    def project_clamp(self, x_adv: np.ndarray) -> np.ndarray:
        if self.clamp is not None:
            x_adv = np.clip(x_adv, *self.clamp)
        return x_adv.astype(self.dtype, copy=False)

    def finish(self, x_adv: np.ndarray):
        if self.mean is not None:
            x_adv = (x_adv - self.mean) / self.std
        x_adv = np.ascontiguousarray(x_adv, dtype=self.dtype)
        return Tensor._wrap(x_adv) if self.was_tensor else x_adv


# ---------------------------------------------------------------------------------------------
def fgsm(model, inputs, targets, eps: float, loss_fn=None, clamp=(0.0, 1.0), normalize=None):
    """Fast Gradient Sign Method (Goodfellow et al., 2015): x + eps * sign(d loss / dx).

    One gradient step that raises the loss as much as possible to first order inside the
    L-infinity ball of radius `eps`; the result is then clipped to `clamp`.

    Args:
        model: the Module to attack (called as `model(x)`).
        inputs: the clean inputs, a float Tensor or array (returned as the same type).
        targets: the true labels (or regression targets) for `loss_fn`.
        eps: the L-infinity budget, in the units of `inputs` (or pixel units with `normalize`).
        loss_fn: `loss_fn(output, targets) -> scalar` (default `F.cross_entropy`).
        clamp: (min, max) valid input range, or None for none (default (0, 1)).
        normalize: (mean, std) when `inputs` are normalised by the data pipeline: eps and
            clamp are then in pixel units and the result is normalised again (default None).

    Shape:
        inputs (N, *) -> adversarial inputs (N, *).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> gb.manual_seed(0)  # doctest: +ELLIPSIS
        Generator(PCG64) at 0x...
        >>> model = nn.Linear(4, 3)
        >>> x, y = gb.rand(8, 4), gb.tensor([0, 1, 2, 0, 1, 2, 0, 1])
        >>> x_adv = fgsm(model, x, y, eps=0.1)
        >>> bool((x_adv - x).abs().max().item() <= 0.1 + 1e-6)
        True
    """
    s = _Setup(model, inputs, targets, eps, loss_fn, clamp, normalize, "fgsm")
    g, _ = s.grad(s.x)
    x_adv = s.project_clamp(s.x + s.eps * np.sign(g))
    return s.finish(x_adv)


def _l2_norms(a: np.ndarray) -> np.ndarray:
    """Per-example L2 norms, shaped (N, 1, 1, ...) to broadcast against a."""
    n = np.sqrt((a.reshape(a.shape[0], -1).astype(np.float64) ** 2).sum(axis=1))
    return n.reshape((-1,) + (1,) * (a.ndim - 1))


def pgd(model, inputs, targets, eps: float, alpha: float | None = None, steps: int = 10,
        norm: str = "linf", random_start: bool = True, loss_fn=None, clamp=(0.0, 1.0),
        normalize=None, seed=None):
    """Projected Gradient Descent (Madry et al., 2018): iterated FGSM projected onto the ball.

    Each step moves by `alpha` along sign(grad) (norm='linf') or grad / ||grad||_2 (norm='l2'),
    projects back onto the eps ball around the clean input, then clips to `clamp`. Clipping
    to a box that contains the clean input only shortens the perturbation, so the result is
    inside both the ball and the valid range.

    Args:
        model: the Module to attack.
        inputs: the clean inputs, float Tensor or array (returned as the same type).
        targets: the true labels for `loss_fn`.
        eps: the radius of the ball, in the units of `inputs` (pixel units with `normalize`).
        alpha: step size (default 2.5 * eps / steps).
        steps: number of gradient steps (default 10).
        norm: 'linf' or 'l2' (default 'linf').
        random_start: start at a uniformly random point of the ball (default True).
        loss_fn: `loss_fn(output, targets) -> scalar` (default `F.cross_entropy`).
        clamp: (min, max) valid range, or None (default (0, 1)).
        normalize: (mean, std) when the data pipeline normalises; see `fgsm` (default None).
        seed: int seed or numpy Generator for the random start (default None: glassbox's
            generator, so `gb.manual_seed` makes it reproducible).

    Shape:
        inputs (N, *) -> adversarial inputs (N, *).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> gb.manual_seed(0)  # doctest: +ELLIPSIS
        Generator(PCG64) at 0x...
        >>> model = nn.Linear(4, 3)
        >>> x, y = gb.rand(8, 4), gb.tensor([0, 1, 2, 0, 1, 2, 0, 1])
        >>> x_adv = pgd(model, x, y, eps=0.5, norm="l2", steps=5, seed=0)
        >>> bool(((x_adv - x) ** 2).sum(dim=1).sqrt().max().item() <= 0.5 + 1e-5)
        True
    """
    s = _Setup(model, inputs, targets, eps, loss_fn, clamp, normalize, "pgd")
    if norm not in ("linf", "l2"):
        raise ValueError(f"pgd: norm must be 'linf' or 'l2', got {norm!r}")
    if not isinstance(steps, numbers.Integral) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"pgd: steps must be an int >= 1, got {steps!r}")
    alpha = 2.5 * s.eps / steps if alpha is None else _check_eps(alpha, "pgd", "alpha")
    x0, eps = s.x, s.eps

    def project(x_adv):
        delta = x_adv - x0
        if norm == "linf":
            delta = np.clip(delta, -eps, eps)
        else:  # shrink only the examples outside the ball
            delta = delta * np.minimum(1.0, eps / np.maximum(_l2_norms(delta), 1e-12))
        return s.project_clamp(x0 + delta.astype(x0.dtype, copy=False))

    x_adv = x0.copy()
    if random_start and eps > 0:
        rng = resolve_generator(seed)
        if norm == "linf":
            delta = rng.uniform(-eps, eps, size=x0.shape)
        else:  # uniform in the L2 ball: a random direction, radius ~ eps * U^(1/d)
            delta = rng.standard_normal(size=x0.shape)
            d = delta[0].size
            radius = eps * rng.uniform(size=(x0.shape[0],)) ** (1.0 / d)
            delta = delta / _l2_norms(delta) * radius.reshape(_l2_norms(delta).shape)
        x_adv = project(x0 + delta.astype(x0.dtype))
    for _ in range(steps):
        g, _ = s.grad(x_adv)
        if norm == "linf":
            step = np.sign(g)
        else:
            step = g / np.maximum(_l2_norms(g), 1e-12)
        x_adv = project(x_adv + alpha * step.astype(x0.dtype, copy=False))
    return s.finish(x_adv)
