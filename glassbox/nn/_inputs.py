"""Helpers for code that differentiates a model with respect to its inputs.

explain/ (attributions) and robust/ (attacks) both take a batch as a Tensor or a NumPy array
and take gradients through a model whose weights must not collect any; they share these
helpers from here, one floor below both (STYLE.md section 2).
"""

from __future__ import annotations

import numpy as np

from glassbox.tensor import Tensor

__all__ = ["FrozenParameters", "as_array", "float_inputs"]


def as_array(x, name: str, where: str) -> np.ndarray:
    """A Tensor or ndarray -> ndarray (detached); anything else is a TypeError naming `where`.

    Example:
        >>> import glassbox as gb
        >>> as_array(gb.tensor([1.0, 2.0]), "x", "demo")
        array([1., 2.], dtype=float32)
    """
    if isinstance(x, Tensor):
        return x.detach()._data
    if isinstance(x, np.ndarray):
        return x
    raise TypeError(f"{where}: {name} must be a Tensor or a NumPy array, got {type(x).__name__}")


def float_inputs(inputs, where: str) -> np.ndarray:
    """`inputs` as a floating-point ndarray batch (N, *) with N >= 1, or an error naming `where`.

    Example:
        >>> import numpy as np
        >>> float_inputs(np.zeros((2, 3), np.float32), "demo").shape
        (2, 3)
    """
    x = as_array(inputs, "inputs", where)
    if x.dtype.kind != "f":
        raise TypeError(f"{where}: inputs must be floating point, got dtype {x.dtype}")
    if x.ndim < 1 or x.shape[0] == 0:
        raise ValueError(f"{where}: inputs must be a non-empty batch (N, *), got shape {x.shape}")
    return x


class FrozenParameters:
    """Context manager: the model's parameters stop requiring grad, then are restored.

    Only parameters that required grad on entry are touched, and their `.grad` is left as it
    was, so explaining or attacking a model in the middle of training changes nothing.

    Example:
        >>> import glassbox.nn as nn
        >>> layer = nn.Linear(2, 1)
        >>> with FrozenParameters(layer):
        ...     layer.weight.requires_grad
        False
        >>> layer.weight.requires_grad
        True
    """

    def __init__(self, model):
        params = model.parameters() if callable(getattr(model, "parameters", None)) else ()
        self.params = [p for p in params if p.requires_grad]

    def __enter__(self):
        for p in self.params:
            p.requires_grad = False
        return self

    def __exit__(self, *exc):
        for p in self.params:
            p.requires_grad = True
        return False
