"""Shared benchmark machinery: thread pinning, the GEMM peak, one subprocess per framework,
the table.

Import this module before NumPy or torch anywhere else: it pins both to the same number of
threads (2 by default, GLASSBOX_BENCH_THREADS to change).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field

THREADS = int(os.environ.get("GLASSBOX_BENCH_THREADS", "2"))
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(THREADS)

import numpy as np
import torch

torch.set_num_threads(THREADS)


def gemm_peak_gflops(n: int = 2048, repeats: int = 5) -> float:
    """The best float32 GFLOP/s of an n x n NumPy matmul: the ceiling we measure against."""
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = a.T.copy()
    a @ b
    best = min(time_call(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def time_call(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@dataclass
class Result:
    workload: str
    unit: str
    glassbox_s: list = field(default_factory=list)
    torch_s: list = field(default_factory=list)
    flops: float = 0.0  # per unit of work
    first_loss_glassbox: float = float("nan")
    first_loss_torch: float = float("nan")
    notes: str = ""
    round_ratios: list = field(default_factory=list)  # one per pair of timing subprocesses

    @property
    def ratios(self):
        """Per-round ratios when the timing ran in subprocess rounds, else per-unit pairs."""
        return self.round_ratios or [g / t for g, t in zip(self.glassbox_s, self.torch_s)]

    def summary(self, peak_gflops: float) -> dict:
        g_med = statistics.median(self.glassbox_s)
        t_med = statistics.median(self.torch_s)
        return {
            "workload": self.workload,
            "unit": self.unit,
            "glassbox_median_s": g_med,
            "glassbox_best_s": min(self.glassbox_s),
            "torch_median_s": t_med,
            "torch_best_s": min(self.torch_s),
            "ratio_median": statistics.median(self.ratios),
            "round_ratios": list(self.ratios),
            "ratio_best": min(self.glassbox_s) / min(self.torch_s),
            "glassbox_peak_fraction": self.flops / g_med / 1e9 / peak_gflops,
            "torch_peak_fraction": self.flops / t_med / 1e9 / peak_gflops,
            "first_loss_glassbox": self.first_loss_glassbox,
            "first_loss_torch": self.first_loss_torch,
            "repeats": len(self.ratios),
            "notes": self.notes,
        }


SIDES = ("glassbox", "torch")


def run_sides(script: str, argv: list, rounds: int) -> dict:
    """Run `script *argv --side S` once per framework per round, each in its own subprocess,
    alternating which goes first; each run prints its timings as JSON on its last line.

    In one process each library's idle worker threads spin for a while after its last op
    (OpenBLAS's and torch's OpenMP pool) and slow the other library down: at W4's Linear
    shapes torch timed almost 2x slower next to NumPy than alone. So op-level comparisons
    with torch run each framework alone, as benchmarks/run.py does for whole workloads.
    Returns {side: [one parsed JSON object per round]}.
    """
    out = {side: [] for side in SIDES}
    for r in range(rounds):
        for side in SIDES if r % 2 == 0 else SIDES[::-1]:
            print(f"  round {r + 1}/{rounds}: {side}", file=sys.stderr, flush=True)
            proc = subprocess.run([sys.executable, script, *argv, "--side", side],
                                  capture_output=True, text=True, check=False)
            lines = proc.stdout.strip().splitlines()
            try:
                if proc.returncode != 0 or not lines:
                    raise ValueError("no result")
                out[side].append(json.loads(lines[-1]))
            except ValueError:  # JSONDecodeError too: the last line was not the timings
                raise RuntimeError(f"{script} --side {side} failed (exit {proc.returncode}):\n"
                                   f"{proc.stderr[-4000:]}{proc.stdout[-1000:]}") from None
    return out


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (0 rounds or runs time nothing, and
    the medians of nothing would fail later with a less clear error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_side_args(parser, rounds: int) -> None:
    """The options of a script timed through run_sides: --rounds, and the hidden --side with
    which run_sides starts each child run."""
    parser.add_argument("--rounds", type=positive_int, default=rounds,
                        help=f"subprocesses per framework (default {rounds})")
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)


def side_summary(rounds: dict, *keys) -> tuple:
    """(glassbox median, torch median, median per-round ratio) of the value at rounds'
    [side][round][key][subkey]... over the rounds."""

    def pick(obj):
        for k in keys:
            obj = obj[k]
        return obj

    g = [pick(r) for r in rounds["glassbox"]]
    t = [pick(r) for r in rounds["torch"]]
    return statistics.median(g), statistics.median(t), statistics.median(a / b for a, b in zip(g, t))


def _spread(row: dict) -> str:
    """The lowest-highest per-round ratio: how far one round can be from the median."""
    ratios = row.get("round_ratios") or [row["ratio_median"]]
    return f"{min(ratios):.2f}-{max(ratios):.2f}"


def _fmt_s(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}ms" if seconds < 0.1 else f"{seconds:.3f}"


def print_table(rows: list[dict], peak: float) -> None:
    print(f"\nNumPy float32 GEMM peak: {peak:.0f} GFLOP/s, {THREADS} threads, "
          f"{platform.processor() or platform.machine()}")
    head = (f"{'workload':<28}{'glassbox':>10}{'torch':>10}{'ratio':>7}{'rounds':>11}{'best':>7}"
            f"{'gb %pk':>8}{'pt %pk':>8}{'gb MB':>8}{'pt MB':>8}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['workload'] + ' (' + r['unit'] + ')':<28}{_fmt_s(r['glassbox_median_s']):>10}"
            f"{_fmt_s(r['torch_median_s']):>10}{r['ratio_median']:>7.2f}{_spread(r):>11}"
            f"{r['ratio_best']:>7.2f}"
            f"{100 * r['glassbox_peak_fraction']:>7.0f}%{100 * r['torch_peak_fraction']:>7.0f}%"
            f"{r.get('glassbox_peak_mb', float('nan')):>8.0f}"
            f"{r.get('torch_peak_mb', float('nan')):>8.0f}"
        )
    print("ratio = glassbox time / torch time, median over alternating rounds (lower is faster); "
          "rounds = the lowest and\nhighest round's ratio; best = best / best; %pk = achieved "
          "GFLOP/s over the NumPy GEMM peak;\nMB = peak RSS above the post-import baseline, one "
          "subprocess per framework")


def write_json(rows: list[dict], peak: float, path: str, **extra) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        json.dump({"gemm_peak_gflops": peak, "threads": THREADS, **extra, "results": rows}, f,
                  indent=2)


__all__ = ["SIDES", "Result", "add_side_args", "asdict", "gemm_peak_gflops", "positive_int",
           "print_table", "run_sides", "side_summary", "time_call", "write_json"]
