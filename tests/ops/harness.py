"""Builds inputs for an op spec on both sides (glassbox and torch) and compares them.

An argument in a spec case is one of:
  a tuple            a float tensor of that shape, random in the spec's domain, requires grad
  Idx(shape, high)   an int64 tensor of indices in [0, high)
  Mask(shape)        a random bool tensor
  Lit(value)         a Python value passed unchanged to both sides
  NonGrad(shape)     a float tensor that does not require grad
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

import glassbox as gb


@dataclass(frozen=True)
class Idx:
    shape: tuple
    high: int


@dataclass(frozen=True)
class Mask:
    shape: tuple


@dataclass(frozen=True)
class Lit:
    value: Any


@dataclass(frozen=True)
class NonGrad:
    shape: tuple


@dataclass
class Spec:
    """One op: how to call it in glassbox and in torch, on which inputs, to what tolerance."""

    name: str
    gb_fn: Callable
    torch_fn: Callable
    cases: list  # each case: a tuple of arguments (see module docstring)
    low: float = -2.0
    high: float = 2.0
    grad: bool = True  # False for ops without gradients (comparisons, argmax, ...)
    gradcheck: bool = True  # False where finite differences are meaningless (sampling)
    atol32: float = 1e-4
    rtol32: float = 1e-4
    atol64: float = 1e-6
    rtol64: float = 1e-6
    noncontiguous: bool = True  # also run the first case on non-contiguous float inputs
    marks: list = field(default_factory=list)

    def case_ids(self):
        return [f"{self.name}-{i}" for i in range(len(self.cases))]


def make_arrays(spec: Spec, case, dtype, seed: int, noncontiguous=False):
    """NumPy arrays (or literals) for one case, identical for both frameworks."""
    rng = np.random.default_rng(seed)
    out = []
    for arg in case:
        if isinstance(arg, tuple):
            a = rng.uniform(spec.low, spec.high, size=arg).astype(dtype)
            if noncontiguous and a.ndim >= 1 and a.size > 1:
                # the same values, seen through a stride-2 view of a bigger buffer
                big = np.zeros(arg[:-1] + (arg[-1] * 2,), dtype=dtype)
                big[..., ::2] = a
                a = big[..., ::2]
                assert not a.flags.c_contiguous
            out.append(("float", a))
        elif isinstance(arg, NonGrad):
            out.append(("const", rng.uniform(spec.low, spec.high, size=arg.shape).astype(dtype)))
        elif isinstance(arg, Idx):
            out.append(("const", rng.integers(0, arg.high, size=arg.shape).astype(np.int64)))
        elif isinstance(arg, Mask):
            out.append(("const", rng.random(arg.shape) < 0.5))
        elif isinstance(arg, Lit):
            out.append(("lit", arg.value))
        else:
            raise TypeError(f"bad spec argument {arg!r}")
    return out


def to_glassbox(arrays, requires_grad=True):
    args = []
    for kind, a in arrays:
        if kind == "float":
            args.append(gb.tensor(a, requires_grad=requires_grad))
        elif kind == "const":
            args.append(gb.tensor(a))
        else:
            args.append(a)
    return args


def to_torch(arrays, requires_grad=True):
    args = []
    for kind, a in arrays:
        if kind == "float":
            args.append(torch.tensor(a, requires_grad=requires_grad))
        elif kind == "const":
            args.append(torch.tensor(a))
        else:
            args.append(a)
    return args


def as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def to_numpy(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    if isinstance(t, gb.Tensor):
        return t.detach().numpy()
    return np.asarray(t)
