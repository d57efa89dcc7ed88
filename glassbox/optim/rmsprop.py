"""RMSprop: divide each step by a running root-mean-square of recent gradients."""

from __future__ import annotations

import numpy as np

from glassbox.optim.optimizer import Optimizer, _check_nonnegative, _weighted_grad


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), as `torch.optim.RMSprop`.

    Each step, with g the gradient (negated if `maximize`):

        g <- g + weight_decay * p
        v <- alpha * v + (1 - alpha) * g * g
        a <- alpha * a + (1 - alpha) * g;  v~ = v - a * a      (centered only; else v~ = v)
        u <- g / (sqrt(v~) + eps)
        b <- momentum * b + u;  u = b                          (momentum > 0 only)
        p <- p - lr * u

    Centering divides by an estimate of the gradient's variance rather than its raw second
    moment, so a gradient with a large steady mean still takes full-size steps.
    State per parameter: 'step', 'square_avg' (v), 'momentum_buffer' (b, if momentum > 0) and
    'grad_avg' (a, if centered).

    Args:
        params: parameters to optimize, or parameter groups (dicts).
        lr (float): learning rate (default 1e-2).
        alpha (float): smoothing constant of the averages (default 0.99).
        eps (float): added to the denominator for numerical stability (default 1e-8).
        weight_decay (float): L2 penalty (default 0).
        momentum (float): momentum factor (default 0).
        centered (bool): normalise by the estimated variance of the gradient (default False).
        maximize (bool): maximize the objective instead of minimizing it (default False).

    Example:
        >>> import glassbox as gb
        >>> w = gb.nn.Parameter(gb.tensor([1.0, -2.0]))
        >>> opt = gb.optim.RMSprop([w], lr=0.01)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w  # first step: g / sqrt(0.01 g^2) = 10 sign(g), times lr
        Parameter containing:
        tensor([ 0.9, -1.9], requires_grad=True)
    """

    _param_shaped_state = ("square_avg", "momentum_buffer", "grad_avg")

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False):
        defaults = {
            "lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
            "weight_decay": weight_decay, "maximize": maximize,
        }
        self._validate_group(defaults)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict) -> None:
        _check_nonnegative("learning rate", group["lr"])
        _check_nonnegative("epsilon value", group["eps"])
        _check_nonnegative("momentum value", group["momentum"])
        _check_nonnegative("weight_decay value", group["weight_decay"])
        _check_nonnegative("alpha value", group["alpha"])

    def step(self, closure=None):
        """Perform one RMSprop update; returns the closure's loss if one is given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            weight_decay, momentum, centered = (
                group["weight_decay"], group["momentum"], group["centered"])
            maximize = group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                x = p._data
                state = self.state[p]
                if not state:
                    state["step"] = 0.0
                    state["square_avg"] = np.zeros_like(x)
                    if momentum > 0:
                        state["momentum_buffer"] = np.zeros_like(x)
                    if centered:
                        state["grad_avg"] = np.zeros_like(x)
                state["step"] += 1
                g = _weighted_grad(p.grad._data, x, weight_decay, maximize)
                v = state["square_avg"]

                # v <- alpha * v + (1 - alpha) * g * g
                t = np.multiply(g, g)
                t *= 1 - alpha
                v *= alpha
                v += t
                if centered:
                    # a <- a + (1 - alpha) * (g - a); denominator from v - a^2
                    a = state["grad_avg"]
                    np.subtract(g, a, out=t)
                    t *= 1 - alpha
                    a += t
                    np.multiply(a, a, out=t)
                    np.subtract(v, t, out=t)
                    np.sqrt(t, out=t)
                else:
                    np.sqrt(v, out=t)
                t += eps
                np.divide(g, t, out=t)  # t is now the unscaled step g / (sqrt(v~) + eps)
                if momentum > 0:
                    buf = state["momentum_buffer"]
                    buf *= momentum
                    buf += t
                    np.multiply(buf, lr, out=t)
                else:
                    t *= lr
                x -= t
                p._version[0] += 1
        return loss
