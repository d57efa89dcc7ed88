"""SGD: stochastic gradient descent with optional momentum, Nesterov momentum and L2 decay."""

from __future__ import annotations

import numpy as np

from glassbox.optim.optimizer import Optimizer, _check_nonnegative, _weighted_grad


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum, as `torch.optim.SGD`.

    Each step, with g the gradient (negated if `maximize`):

        g <- g + weight_decay * p                         (L2 penalty, coupled into g)
        b <- g on the first step, else momentum * b + (1 - dampening) * g
        g <- g + momentum * b if nesterov, else b          (only when momentum != 0)
        p <- p - lr * g

    State per parameter: 'momentum_buffer' (b), only when momentum != 0.

    Args:
        params: parameters to optimize, or parameter groups (dicts).
        lr (float): learning rate (default 1e-3).
        momentum (float): momentum factor (default 0).
        dampening (float): dampening of the gradient's share of the momentum (default 0).
        weight_decay (float): L2 penalty (default 0).
        nesterov (bool): use Nesterov momentum (default False); needs momentum > 0 and
            dampening == 0.
        maximize (bool): maximize the objective instead of minimizing it (default False).

    Example:
        >>> import glassbox as gb
        >>> w = gb.nn.Parameter(gb.tensor([1.0, -2.0]))
        >>> opt = gb.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        Parameter containing:
        tensor([ 0.8, -1.6], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False):
        defaults = {
            "lr": lr, "momentum": momentum, "dampening": dampening,
            "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
        }
        self._validate_group(defaults)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict) -> None:
        _check_nonnegative("learning rate", group["lr"])
        _check_nonnegative("momentum value", group["momentum"])
        _check_nonnegative("weight_decay value", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "Nesterov momentum requires a momentum and zero dampening, got "
                f"momentum={group['momentum']}, dampening={group['dampening']}"
            )

    def step(self, closure=None):
        """Perform one SGD update; returns the closure's loss if one is given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov, maximize = (
                group["weight_decay"], group["nesterov"], group["maximize"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                x, g = p._data, p.grad._data
                if momentum == 0 and weight_decay == 0:
                    # Plain SGD: one fused update, no temporary beyond lr * g.
                    x += (lr if maximize else -lr) * g
                    p._version[0] += 1
                    continue
                d = _weighted_grad(g, x, weight_decay, maximize)
                owned = d is not g  # d is a temporary of ours, free to overwrite
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        # The first step seeds the buffer with the gradient itself (no dampening).
                        buf = state["momentum_buffer"] = np.array(d, dtype=x.dtype, copy=True)
                    else:
                        buf *= momentum
                        if dampening == 0:
                            buf += d
                        else:
                            buf += (1 - dampening) * d
                    if nesterov:
                        # Look ahead: step along the gradient plus the momentum it will add.
                        if owned:
                            d += momentum * buf
                        else:
                            d = np.multiply(buf, momentum)
                            d += g
                            owned = True
                    else:
                        d, owned = buf, False
                if owned:
                    d *= lr
                    x -= d
                else:
                    x -= lr * d
                p._version[0] += 1
        return loss
