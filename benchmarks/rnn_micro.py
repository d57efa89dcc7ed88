"""Micro-benchmark of the fused recurrent op: a W3-shaped LSTM forward + backward vs PyTorch.

    python benchmarks/rnn_micro.py [--rounds 3] [--repeats 11] [--batch 32] [--seq 64]
                                   [--input 64] [--hidden 256] [--mode lstm]

Both frameworks get the same weights and input; one iteration is forward + backward with a
fixed upstream gradient on the output sequence. Each framework runs alone in its own
subprocess, `rounds` of them, alternating which goes first (benchmarks.common.run_sides),
2 threads. Prints the median seconds per iteration of each and the median of the per-round
ratios glassbox / torch (lower is better). Also prints the 1-minute load average: other
processes on the machine slow both sides, but not always equally.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import (SIDES, THREADS, add_side_args, positive_int, run_sides,  # noqa: I001
                               side_summary, time_call)
import numpy as np
import torch

import glassbox as gb
from glassbox import nn


def build(mode: str, B: int, T: int, I: int, H: int, seed: int = 0):
    """(run_glassbox, run_torch): one forward + backward each, on identical weights."""
    name = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}[mode]
    g = getattr(nn, name)(I, H, batch_first=True)
    t = getattr(torch.nn, name)(I, H, batch_first=True)
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in g.state_dict().items()})
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((B, T, I)).astype(np.float32)
    up = rng.standard_normal((B, T, H)).astype(np.float32)
    gx, tx = gb.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gup, tup = gb.tensor(up), torch.tensor(up)

    def run_g():
        g.zero_grad()
        gx.grad = None
        g(gx)[0].backward(gup)

    def run_t():
        t.zero_grad()
        tx.grad = None
        t(tx)[0].backward(tup)

    return run_g, run_t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=positive_int, default=11, help="timed iterations per subprocess")
    ap.add_argument("--batch", type=positive_int, default=32)
    ap.add_argument("--seq", type=positive_int, default=64)
    ap.add_argument("--input", type=positive_int, default=64)
    ap.add_argument("--hidden", type=positive_int, default=256)
    ap.add_argument("--mode", choices=("lstm", "gru", "rnn"), default="lstm")
    add_side_args(ap, rounds=3)
    a = ap.parse_args(argv)
    if a.side:
        run = build(a.mode, a.batch, a.seq, a.input, a.hidden)[SIDES.index(a.side)]
        run()  # warm-up
        print(json.dumps({"s": statistics.median(time_call(run) for _ in range(a.repeats))}))
        return
    child = [f"--{k}={getattr(a, k)}" for k in ("repeats", "batch", "seq", "input", "hidden",
                                                 "mode")]
    rounds = run_sides(__file__, child, a.rounds)
    g_med, t_med, ratio = side_summary(rounds, "s")
    load = os.getloadavg()[0]
    print(f"{a.mode.upper()} B={a.batch} T={a.seq} I={a.input} H={a.hidden}, {THREADS} threads, "
          f"{a.rounds} subprocesses per framework of {a.repeats} iterations, load average "
          f"{load:.1f} on {os.cpu_count()} cores")
    print(f"  glassbox {g_med * 1e3:8.2f} ms   torch {t_med * 1e3:8.2f} ms   "
          f"ratio glassbox/torch {ratio:.2f}")


if __name__ == "__main__":
    main()
