"""Argument and input checks shared by the layers.

Constructor checks run once, when the layer is built, and name the layer, the argument and the
value received ("Linear: in_features must be a positive int, received in_features=0"). Input
checks run in `forward` and only look at cheap things (ndim, one size); Module.__call__ adds
the module path and the input shapes to whatever they raise.

Shape errors are `InputError`: a ValueError (glassbox's rule) that is also a RuntimeError,
the class torch raises for the same mistakes, so code written against torch keeps working.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassbox import backend
from glassbox.ops.errors import ShapeError as InputError
from glassbox.tensor import Tensor

__all__ = ["InputError"]


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def integer(layer: str, name: str, value) -> int:
    """`value` as an int (any sign), or a TypeError naming `layer` and the argument."""
    if not _is_int(value):
        raise TypeError(f"{layer}: {name} must be an int, received {name}={value!r}")
    return int(value)


def positive_int(layer: str, name: str, value) -> int:
    """`value` as an int, or an error naming `layer`, the argument and what was received."""
    if not _is_int(value):
        raise TypeError(f"{layer}: {name} must be a positive int, received {name}={value!r} "
                        f"(type {type(value).__name__})")
    if value <= 0:
        raise ValueError(f"{layer}: {name} must be a positive int, received {name}={value!r}")
    return int(value)


def int_at_least(layer: str, name: str, value, low: int) -> int:
    if not _is_int(value):
        raise TypeError(f"{layer}: {name} must be an int >= {low}, received {name}={value!r} "
                        f"(type {type(value).__name__})")
    if value < low:
        raise ValueError(f"{layer}: {name} must be an int >= {low}, received {name}={value!r}")
    return int(value)


def int_tuple(layer: str, name: str, value, n: int, low: int) -> tuple:
    """An int or a sequence of n ints, each >= low, as an n-tuple (torch's _single/_pair)."""
    items = (value,) * n if _is_int(value) else value
    try:
        items = tuple(items)
    except TypeError:
        raise TypeError(f"{layer}: {name} must be an int or a tuple of {n} ints, received "
                        f"{name}={value!r}") from None
    if len(items) != n or not all(_is_int(v) for v in items):
        raise TypeError(f"{layer}: {name} must be an int or a tuple of {n} ints, received "
                        f"{name}={value!r}")
    if any(v < low for v in items):
        kind = "positive" if low == 1 else f">= {low}"
        raise ValueError(f"{layer}: {name} must be {kind}, received {name}={value!r}")
    return tuple(int(v) for v in items)


def real(layer: str, name: str, value, low: float | None = None, low_open: bool = False) -> float:
    """A real number (optionally > or >= low), or an error naming the argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{layer}: {name} must be a number, received {name}={value!r} "
                        f"(type {type(value).__name__})")
    if low is not None and (value <= low if low_open else value < low):
        sign = ">" if low_open else ">="
        raise ValueError(f"{layer}: {name} must be {sign} {low}, received {name}={value!r}")
    return value


def probability(layer: str, name: str, value) -> float:
    real(layer, name, value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{layer}: {name} must be a probability in [0, 1], received "
                         f"{name}={value!r}")
    return value


def flag(layer: str, name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{layer}: {name} must be True or False, received {name}={value!r}")
    return bool(value)


def choice(layer: str, name: str, value, options: tuple):
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{layer}: {name} must be one of {listed}, received {name}={value!r}")
    return value


def float_dtype(layer: str, dtype, device=None) -> np.dtype:
    """The dtype for new parameters (the default float dtype when None); only 'cpu' devices."""
    if device is not None and str(device) != "cpu":
        raise ValueError(f"{layer}: only device='cpu' is supported, received device={device!r}")
    if dtype is None:
        return backend.get_default_dtype()
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{layer}: dtype must be a floating point dtype, received dtype={dtype}")
    return dtype


def bad_input(x, expected: str) -> Exception:
    """The error for an input that is not of the `expected` layout (e.g. "(N, 3, H, W) or
    (3, H, W)"): TypeError for a non-Tensor, else InputError with the shape received.

    Layers test the cheap condition inline (`if ...: raise bad_input(x, ...)`) so the fast
    path costs one comparison; the message is only built when something is wrong.
    """
    if not isinstance(x, Tensor):
        return TypeError(f"expected a Tensor of shape {expected}, got {type(x).__name__}")
    return InputError(f"expected input of shape {expected}, got {tuple(x.shape)}")
