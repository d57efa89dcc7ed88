"""Gradient attributions: Saliency (|d y / d x|) and InputXGradient (x * d y / d x)."""

from __future__ import annotations

import numpy as np

from glassbox.explain._common import Attribution, float_inputs, gradients, target_index, wrap

__all__ = ["InputXGradient", "Saliency"]


class Saliency(Attribution):
    """Saliency map (Simonyan et al., 2014): the gradient of the target output w.r.t. the input.

    Args:
        forward_func: the model (a Module or any callable on a Tensor batch).

    Shape:
        inputs (N, *) -> attributions (N, *).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> model = nn.Linear(3, 2)
        >>> attr = Saliency(model).attribute(gb.rand(4, 3), target=1)
        >>> bool(((attr - model.weight[1].detach().abs()).abs().max() < 1e-6).item())
        True
    """

    def attribute(self, inputs, target=None, abs: bool = True):
        """Gradient attributions.

        Args:
            inputs: the batch to explain (Tensor or array), float.
            target: output to explain: None, an int, or one int per example (default None).
            abs: return |gradient| (default True, as Captum).

        Returns:
            Tensor of the shape of `inputs`.
        """
        x = float_inputs(inputs, "Saliency")
        grad, _ = gradients(self.forward_func, x, target_index(target, len(x), "Saliency"),
                            "Saliency")
        return wrap(np.abs(grad) if abs else grad)


class InputXGradient(Attribution):
    """Input times gradient: the first-order Taylor contribution of each input feature.

    Args:
        forward_func: the model.

    Shape:
        inputs (N, *) -> attributions (N, *).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> model = nn.Linear(3, 1, bias=False)
        >>> x = gb.rand(2, 3)
        >>> attr = InputXGradient(model).attribute(x)
        >>> bool(((attr.sum(dim=1) - model(x)[:, 0].detach()).abs().max() < 1e-5).item())
        True
    """

    def attribute(self, inputs, target=None):
        """x * d output / d x.

        Args:
            inputs: the batch to explain, float.
            target: output to explain: None, an int, or one int per example (default None).

        Returns:
            Tensor of the shape of `inputs`.
        """
        x = float_inputs(inputs, "InputXGradient")
        grad, _ = gradients(self.forward_func, x,
                            target_index(target, len(x), "InputXGradient"), "InputXGradient")
        return wrap(x * grad)
