"""Parameter: a Tensor that a Module registers as trainable state."""

from __future__ import annotations

import numpy as np

from glassbox.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is a module's learnable weight: assigning one to a Module attribute
    registers it, so it appears in `parameters()` and `state_dict()`.

    Args:
        data: a Tensor or array (shares memory with it); empty float32 if None.
        requires_grad: whether the optimizer should train it (default True).

    Example:
        >>> import glassbox as gb
        >>> p = gb.nn.Parameter(gb.zeros(2, 3))
        >>> p.requires_grad, p.shape
        (True, (2, 3))
    """

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            array = np.empty(0, dtype=np.float32)
        elif isinstance(data, Tensor):
            array = data._data
        else:
            array = np.asarray(data)
        self._data = array
        self.grad = None
        self._ctx = None
        self._version = data._version if isinstance(data, Tensor) else [0]
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        raise TypeError("glassbox parameters are saved with glassbox.save (safetensors), not pickle")
