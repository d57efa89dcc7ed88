"""glassbox.profile(): time, calls and FLOPs per op type, forward and backward apart.

While a `profile` is active, `Function.apply` times each op's forward and the backward sweep
times each op's VJP (both in glassbox/autograd.py, behind one check of a module-level
variable, so nothing is timed or counted when no profile is active). Statistics are kept per
op type -- the Function subclass name (Linear, Conv, MatMul, Add, ...).

FLOPs are counted for the ops that do GEMM work -- MatMul, Linear, Conv, ConvTranspose,
Attention, RNNSequence -- as 2 x multiply-adds of the forward; the backward of such an op is
counted as one forward's worth per gradient it computes of its first two inputs (data and
weight), which is exact for MatMul and Linear and close for the others. Other ops report no
FLOPs: they are memory-bound, and their time is what matters.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from glassbox import autograd


@dataclass
class OpStats:
    """What one op type cost inside a profile."""

    calls: int = 0  # forward calls
    forward_s: float = 0.0
    backward_calls: int = 0
    backward_s: float = 0.0
    flops: float = 0.0  # forward + backward, where known

    @property
    def total_s(self) -> float:
        return self.forward_s + self.backward_s


def _gemm_flops(fn, arrays, out) -> float:
    """Forward FLOPs of the GEMM-like ops (0.0 for every other op)."""
    name = type(fn).__name__
    if name == "MatMul":
        return 2.0 * out.size * arrays[0].shape[-1]
    if name == "Linear":  # x (..., in), w (out, in)
        return 2.0 * out.size * arrays[1].shape[-1]
    if name == "Conv":  # w (C_out, C_in / groups, *kernel): each output is one dot product
        return 2.0 * out.size * int(np.prod(arrays[1].shape[1:]))
    if name == "ConvTranspose":  # w (C_in, C_out / groups, *kernel): each input scatters
        return 2.0 * arrays[0].size * int(np.prod(arrays[1].shape[1:]))
    if name == "Attention":  # q (..., T, d), k (..., S, d): q k^T and p v
        return 4.0 * arrays[0].size * arrays[1].shape[-2]
    if name == "RNNSequence":
        T, B, I, H, P = fn.shape
        gates = fn.mode == "lstm" and 4 or (3 if fn.mode == "gru" else 1)
        return 2.0 * T * B * gates * H * (I + P)
    return 0.0


class profile:
    """Context manager: per op type, forward and backward time, calls and FLOPs.

    Args:
        show (bool): print the table when the block ends. Default True.
        sort_by (str): 'total' (default), 'forward', 'backward' or 'calls'.

    Attributes (after the block):
        stats: {op name: OpStats}. wall_s: seconds the block took. table(): the table text.

    Example:
        >>> import glassbox as gb
        >>> w = gb.randn(4, 3, requires_grad=True)
        >>> with gb.profile(show=False) as prof:
        ...     (gb.randn(8, 4) @ w).relu().sum().backward()
        >>> prof.stats["MatMul"].calls, prof.stats["MatMul"].flops
        (1, 384.0)
    """

    def __init__(self, show: bool = True, sort_by: str = "total"):
        if sort_by not in ("total", "forward", "backward", "calls"):
            raise ValueError(f"profile: sort_by must be 'total', 'forward', 'backward' or "
                             f"'calls', got {sort_by!r}")
        self.show, self.sort_by = show, sort_by
        self.stats: dict[str, OpStats] = {}
        self.wall_s = 0.0

    def __enter__(self):
        if autograd._profiler is not None:
            raise RuntimeError("profile: another glassbox.profile() is already active")
        self.stats.clear()
        self._start = time.perf_counter()
        autograd._profiler = self
        return self

    def __exit__(self, *exc):
        autograd._profiler = None
        self.wall_s = time.perf_counter() - self._start
        if self.show and exc[0] is None:
            print(self.table())
        return False

    # -- called by the engine -------------------------------------------------------------

    def _entry(self, fn) -> OpStats:
        name = type(fn).__name__
        entry = self.stats.get(name)
        if entry is None:
            entry = self.stats[name] = OpStats()
        return entry

    def forward(self, fn, arrays, options):
        start = time.perf_counter()
        out = fn.forward(*arrays, **options)
        elapsed = time.perf_counter() - start
        entry = self._entry(fn)
        entry.calls += 1
        entry.forward_s += elapsed
        flops = _gemm_flops(fn, arrays, out)
        if flops:
            entry.flops += flops
            fn._profile_flops = flops  # the backward's count is derived from it
        return out

    def backward(self, fn, grad):
        flops = getattr(fn, "_profile_flops", 0.0)
        needs = sum(bool(n) for n in fn.needs_input_grad[:2])
        start = time.perf_counter()
        grads = fn.backward(grad)
        elapsed = time.perf_counter() - start
        entry = self._entry(fn)
        entry.backward_calls += 1
        entry.backward_s += elapsed
        entry.flops += flops * needs
        return grads

    # -- the report -----------------------------------------------------------------------

    def _sorted(self):
        key = {"total": lambda s: s.total_s, "forward": lambda s: s.forward_s,
               "backward": lambda s: s.backward_s, "calls": lambda s: s.calls}[self.sort_by]
        return sorted(self.stats.items(), key=lambda item: key(item[1]), reverse=True)

    def table(self) -> str:
        """The statistics as a text table, one row per op type, most expensive first."""
        head = (f"{'op':<20}{'calls':>7}{'fwd ms':>10}{'bwd ms':>10}{'total ms':>10}"
                f"{'%':>6}{'GFLOP':>9}{'GFLOP/s':>9}")
        lines = [head, "-" * len(head)]
        ops_s = sum(s.total_s for s in self.stats.values())
        for name, s in self._sorted():
            rate = f"{s.flops / s.total_s / 1e9:9.1f}" if s.flops and s.total_s else f"{'':>9}"
            gflop = f"{s.flops / 1e9:9.3f}" if s.flops else f"{'':>9}"
            share = 100 * s.total_s / self.wall_s if self.wall_s else 0.0
            lines.append(f"{name:<20}{s.calls:>7}{1e3 * s.forward_s:>10.2f}"
                         f"{1e3 * s.backward_s:>10.2f}{1e3 * s.total_s:>10.2f}{share:>6.1f}"
                         f"{gflop}{rate}")
        other = self.wall_s - ops_s
        lines.append("-" * len(head))
        lines.append(f"{'ops':<20}{'':>7}{'':>10}{'':>10}{1e3 * ops_s:>10.2f}"
                     f"{100 * ops_s / self.wall_s if self.wall_s else 0:>6.1f}")
        lines.append(f"{'outside ops':<20}{'':>7}{'':>10}{'':>10}{1e3 * other:>10.2f}"
                     f"{100 * other / self.wall_s if self.wall_s else 0:>6.1f}"
                     "   (Python, optimizer, data, engine)")
        lines.append(f"{'wall':<20}{'':>7}{'':>10}{'':>10}{1e3 * self.wall_s:>10.2f}")
        return "\n".join(lines)
