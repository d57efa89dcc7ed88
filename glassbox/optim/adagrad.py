"""Adagrad: per-coordinate learning rates that shrink with the sum of squared gradients."""

from __future__ import annotations

import numpy as np

from glassbox.optim.optimizer import Optimizer, _check_nonnegative, _weighted_grad


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), as `torch.optim.Adagrad`.

    Each step t, with g the gradient (negated if `maximize`):

        g <- g + weight_decay * p
        lr_t = lr / (1 + (t - 1) * lr_decay)
        s <- s + g * g
        p <- p - lr_t * g / (sqrt(s) + eps)

    Coordinates that have seen large gradients take small steps and rare ones take large
    steps. Like PyTorch, the state ('step', 'sum' = s, starting at initial_accumulator_value)
    is created for every parameter when it joins the optimizer, not at its first step.

    Args:
        params: parameters to optimize, or parameter groups (dicts).
        lr (float): learning rate (default 1e-2).
        lr_decay (float): learning-rate decay per step (default 0).
        weight_decay (float): L2 penalty (default 0).
        initial_accumulator_value (float): starting value of the sum of squares (default 0).
        eps (float): added to the denominator for numerical stability (default 1e-10).
        maximize (bool): maximize the objective instead of minimizing it (default False).

    Example:
        >>> import glassbox as gb
        >>> w = gb.nn.Parameter(gb.tensor([1.0, -2.0]))
        >>> opt = gb.optim.Adagrad([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w  # first step: g / sqrt(g^2) = sign(g), times lr
        Parameter containing:
        tensor([ 0.9, -1.9], requires_grad=True)
    """

    _param_shaped_state = ("sum",)

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *,
                 maximize: bool = False):
        defaults = {
            "lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value, "maximize": maximize,
        }
        self._validate_group(defaults)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict) -> None:
        _check_nonnegative("learning rate", group["lr"])
        _check_nonnegative("lr_decay value", group["lr_decay"])
        _check_nonnegative("weight_decay value", group["weight_decay"])
        _check_nonnegative("initial_accumulator_value value", group["initial_accumulator_value"])
        _check_nonnegative("epsilon value", group["eps"])

    def add_param_group(self, param_group: dict) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self._init_state(p, group)

    def _init_state(self, p, group) -> dict:
        state = self.state[p]
        if not state:
            state["step"] = 0.0
            state["sum"] = np.full_like(p._data, group["initial_accumulator_value"])
        return state

    def step(self, closure=None):
        """Perform one Adagrad update; returns the closure's loss if one is given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
            weight_decay, maximize = group["weight_decay"], group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                x = p._data
                state = self._init_state(p, group)  # no-op unless load_state_dict dropped it
                state["step"] = step = state["step"] + 1
                g = _weighted_grad(p.grad._data, x, weight_decay, maximize)
                clr = lr / (1 + (step - 1) * lr_decay)
                s = state["sum"]
                t = np.multiply(g, g)
                s += t
                np.sqrt(s, out=t)
                t += eps
                np.divide(g, t, out=t)
                t *= clr
                x -= t
                p._version[0] += 1
        return loss
