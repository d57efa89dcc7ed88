"""Adam and AdamW: adaptive moment estimation, with coupled (Adam) or decoupled (AdamW) decay."""

from __future__ import annotations

import numbers

import numpy as np

from glassbox.optim.optimizer import Optimizer, _check_nonnegative


class Adam(Optimizer):
    """Adam: per-coordinate steps scaled by running averages of the gradient and its square.

    Each step t, with g the gradient (negated if `maximize`):

        g <- g + weight_decay * p                 (Adam: L2 folded into g)
        p <- p * (1 - lr * weight_decay)          (AdamW: decay applied to p directly)
        m <- beta1 * m + (1 - beta1) * g          (first moment)
        v <- beta2 * v + (1 - beta2) * g * g      (second moment)
        v_max <- max(v_max, v); use v_max for v   (amsgrad only)
        p <- p - lr / (1 - beta1^t) * m / (sqrt(v / (1 - beta2^t)) + eps)

    State per parameter: 'step' (float), 'exp_avg' (m), 'exp_avg_sq' (v) and, with amsgrad,
    'max_exp_avg_sq' - the same names and layout as `torch.optim.Adam`.

    Args:
        params: parameters to optimize, or parameter groups (dicts).
        lr (float): learning rate (default 1e-3).
        betas (tuple[float, float]): decay rates of the two moment averages (default
            (0.9, 0.999)).
        eps (float): added to the denominator for numerical stability (default 1e-8).
        weight_decay (float): L2 penalty added to the gradient (default 0).
        amsgrad (bool): use the running maximum of v (AMSGrad; default False).
        maximize (bool): maximize the objective instead of minimizing it (default False).
        decoupled_weight_decay (bool): decay the weights directly, as AdamW (default False).

    Example:
        >>> import glassbox as gb
        >>> w = gb.nn.Parameter(gb.tensor([1.0, -2.0]))
        >>> opt = gb.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w  # the first Adam step moves every coordinate by about lr
        Parameter containing:
        tensor([ 0.9, -1.9], requires_grad=True)
    """

    _param_shaped_state = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False):
        defaults = {
            "lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
            "amsgrad": amsgrad, "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        self._validate_group(defaults)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict) -> None:
        _check_nonnegative("learning rate", group["lr"])
        _check_nonnegative("epsilon value", group["eps"])
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Invalid betas: {betas!r}; expected a pair (beta1, beta2)")
        for i, beta in enumerate(betas):
            if not isinstance(beta, numbers.Real) or not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        _check_nonnegative("weight_decay value", group["weight_decay"])

    def step(self, closure=None):
        """Perform one Adam update; returns the closure's loss if one is given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, amsgrad, maximize = (
                group["weight_decay"], group["amsgrad"], group["maximize"])
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                x, g = p._data, p.grad._data
                state = self.state[p]
                if not state:
                    state["step"] = 0.0
                    state["exp_avg"] = np.zeros_like(x)
                    state["exp_avg_sq"] = np.zeros_like(x)
                    if amsgrad:
                        state["max_exp_avg_sq"] = np.zeros_like(x)
                state["step"] = step = state["step"] + 1
                m, v = state["exp_avg"], state["exp_avg_sq"]

                sign = -1.0 if maximize else 1.0  # the sign of g in the update
                if weight_decay != 0:
                    if decoupled:
                        # AdamW: shrink the weights outside the adaptive scaling, so every
                        # weight decays at the same rate lr * weight_decay whatever its
                        # gradient history (L2 inside g would be divided by sqrt(v) too).
                        x *= 1 - lr * weight_decay
                    else:
                        # Adam: L2 penalty added to the gradient: g <- sign * g + wd * x.
                        d = np.multiply(x, weight_decay)
                        if maximize:
                            np.subtract(d, g, out=d)
                        else:
                            np.add(d, g, out=d)
                        g, sign = d, 1.0

                # m <- m + (1 - beta1) * (sign * g - m), the lerp form PyTorch uses.
                t = np.add(g, m) if sign < 0 else np.subtract(g, m)
                t *= sign * (1 - beta1)
                m += t
                # v <- beta2 * v + (1 - beta2) * g * g (the sign of g does not matter here).
                v *= beta2
                np.multiply(g, g, out=t)
                t *= 1 - beta2
                v += t
                if amsgrad:
                    vmax = state["max_exp_avg_sq"]
                    np.maximum(vmax, v, out=vmax)
                    v = vmax

                bias_correction1 = 1 - beta1 ** step
                bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
                step_size = lr / bias_correction1
                if step_size == 0:  # lr 0 (e.g. the end of a cosine schedule): moments only
                    continue
                # p <- p - step_size * m / (sqrt(v) / bc2_sqrt + eps), computed as
                # m / (sqrt(v) * k + eps / step_size) with k = 1 / (step_size * bc2_sqrt):
                # the same value in one pass fewer over the arrays.
                np.sqrt(v, out=t)
                t *= 1.0 / (step_size * bias_correction2_sqrt)
                t += eps / step_size
                np.divide(m, t, out=t)
                x -= t
                p._version[0] += 1
        return loss


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay (Loshchilov & Hutter), as `torch.optim.AdamW`.

    Same update as `Adam`, except weight decay multiplies the weights by (1 - lr * weight_decay)
    before the Adam step instead of being added to the gradient. Added to the gradient, the
    decay would be divided by sqrt(v) like everything else, so weights with large gradients
    would hardly decay; decoupled, every weight decays at the same rate.

    Args:
        params: parameters to optimize, or parameter groups (dicts).
        lr (float): learning rate (default 1e-3).
        betas (tuple[float, float]): decay rates of the moment averages (default (0.9, 0.999)).
        eps (float): added to the denominator for numerical stability (default 1e-8).
        weight_decay (float): decoupled weight decay coefficient (default 1e-2).
        amsgrad (bool): use the running maximum of v (AMSGrad; default False).
        maximize (bool): maximize the objective instead of minimizing it (default False).

    Example:
        >>> import glassbox as gb
        >>> w = gb.nn.Parameter(gb.tensor([1.0, -2.0]))
        >>> opt = gb.optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> w.grad = gb.zeros(2)      # no gradient signal: only the decay acts
        >>> opt.step()
        >>> w
        Parameter containing:
        tensor([ 0.95, -1.9 ], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # AdamW always decouples, whatever was saved
            group["decoupled_weight_decay"] = True
