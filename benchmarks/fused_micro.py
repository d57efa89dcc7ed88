"""Micro-benchmarks of the fused ops: forward + backward, glassbox vs PyTorch eager, 2 threads.

    python benchmarks/fused_micro.py [--rounds 3] [--repeats 11] [--inner 50]
                                     [--only linear,attention]

Each case builds the same inputs in either framework, then times `inner` iterations of
forward + backward (with a fixed upstream gradient, so no extra reduction op is timed). Each
framework runs alone in its own subprocess, `rounds` of them, alternating which goes first
(see benchmarks.common.run_sides). Printed: median seconds per iteration and the median of
the per-round ratios glassbox / torch (lower is better; below 1.0 glassbox is faster).
Also times four ways to do the embedding backward's scatter-add (glassbox uses "sorted").
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import (THREADS, add_side_args, positive_int, run_sides,  # noqa: I001
                               side_summary)  # pins the threads
import numpy as np
import torch
import torch.nn.functional as TF

import glassbox as gb
import glassbox.nn.functional as F
from glassbox.ops import fused


FRAMEWORKS = {"glassbox": (gb.tensor, F), "torch": (torch.tensor, TF)}


def _arr(shape, rng, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def _step(fn, args, grad_out):
    """One forward + backward; returns a callable for the timer."""

    def run():
        out = fn(*args)
        out.backward(grad_out)

    return run


# Each case builds one framework's inputs (the same values for both, from the same rng
# state) and returns one forward + backward as a callable.


def case_linear(rng, fw, x_grad=False):
    tensor, f = FRAMEWORKS[fw]
    x = tensor(_arr((64, 784), rng), requires_grad=x_grad)
    w = tensor(_arr((128, 784), rng, 0.03), requires_grad=True)
    b = tensor(_arr((128,), rng), requires_grad=True)
    return _step(f.linear, (x, w, b), tensor(_arr((64, 128), rng)))


def case_cross_entropy(rng, fw):
    tensor, f = FRAMEWORKS[fw]
    x = tensor(_arr((64, 10), rng), requires_grad=True)
    t = tensor(rng.integers(0, 10, 64))
    return _step(f.cross_entropy, (x, t), tensor(np.float32(1.0)))


def case_layer_norm(rng, fw):
    tensor, f = FRAMEWORKS[fw]
    x, w, b = (tensor(_arr(s, rng), requires_grad=True) for s in ((32, 64, 128), (128,), (128,)))
    return _step(lambda x, w, b: f.layer_norm(x, (128,), w, b), (x, w, b),
                 tensor(_arr((32, 64, 128), rng)))


def case_gelu(rng, fw):
    tensor, f = FRAMEWORKS[fw]
    x = tensor(_arr((32, 64, 512), rng), requires_grad=True)  # W4's MLP activations
    return _step(f.gelu, (x,), tensor(_arr((32, 64, 512), rng)))


def case_attention(rng, fw):
    tensor, f = FRAMEWORKS[fw]
    shape = (32, 4, 64, 32)  # (B, heads, T, head size)
    q, k, v = (tensor(_arr(shape, rng), requires_grad=True) for _ in range(3))
    return _step(lambda a, b, c: f.scaled_dot_product_attention(a, b, c, is_causal=True),
                 (q, k, v), tensor(_arr(shape, rng)))


def case_embedding(rng, fw):
    tensor, f = FRAMEWORKS[fw]
    w = tensor(_arr((100, 64), rng), requires_grad=True)  # a character vocabulary (W3, W4)
    idx = tensor(rng.integers(0, 100, (32, 64)))
    return _step(f.embedding, (idx, w), tensor(_arr((32, 64, 64), rng)))


def case_batch_norm(rng, fw):
    tensor, f = FRAMEWORKS[fw]
    x, w, b = (tensor(_arr(s, rng), requires_grad=True)
               for s in ((64, 16, 14, 14), (16,), (16,)))
    running_mean, running_var = tensor(np.zeros(16, np.float32)), tensor(np.ones(16, np.float32))
    return _step(lambda x, w, b: f.batch_norm(x, running_mean, running_var, w, b, training=True),
                 (x, w, b), tensor(_arr((64, 16, 14, 14), rng)))


CASES = {
    "linear 64x784->128": case_linear,
    "linear, dX too": lambda rng, fw: case_linear(rng, fw, x_grad=True),
    "cross_entropy 64x10": case_cross_entropy,
    "layer_norm 32x64x128": case_layer_norm,
    "gelu 32x64x512": case_gelu,
    "attention 32x4x64x32 causal": case_attention,
    "embedding 100x64, 32x64 idx": case_embedding,
    "batch_norm 64x16x14x14 train": case_batch_norm,
}


def _loop(fn, inner):
    def run():
        for _ in range(inner):
            fn()

    return run


def _scatter_onehot(idx, rows, num):
    """A (num, n) one-hot matrix times the rows: one GEMM."""
    onehot = np.zeros((num, len(idx)), dtype=rows.dtype)
    onehot[idx, np.arange(len(idx))] = 1
    return onehot @ rows


def _scatter_add_at(idx, rows, num):
    out = np.zeros((num, rows.shape[1]), dtype=rows.dtype)
    np.add.at(out, idx, rows)
    return out


def _scatter_bincount(idx, rows, num):
    """One np.bincount per column."""
    cols = [np.bincount(idx, weights=rows[:, j], minlength=num) for j in range(rows.shape[1])]
    return np.stack(cols, axis=1).astype(rows.dtype)


def scatter_strategies(rng, repeats=7):
    """Time four ways to do the embedding backward's scatter-add ("sorted" is glassbox's)."""
    strategies = {
        "sorted": fused._scatter_rows, "onehot": _scatter_onehot, "add.at": _scatter_add_at,
        "bincount": _scatter_bincount,
    }
    print("\nembedding backward scatter-add, best ms per call:")
    print(f"  {'table':>14} {'n':>6} " + "".join(f"{k:>10}" for k in strategies))
    for num, n, dim in [(100, 2048, 64), (300, 2048, 64), (1000, 2048, 64), (10000, 2048, 64),
                        (50000, 512, 32)]:
        idx = rng.integers(0, num, n)
        rows = rng.standard_normal((n, dim)).astype(np.float32)
        expected = _scatter_add_at(idx, rows, num)
        times = []
        for fn in strategies.values():
            np.testing.assert_allclose(fn(idx, rows, num), expected, rtol=1e-4, atol=1e-4)
            call = functools.partial(fn, idx, rows, num)
            times.append(min(_clock(call) for _ in range(repeats)) * 1e3)
        print(f"  {num:>8} x {dim:<3} {n:>6} " + "".join(f"{t:>10.3f}" for t in times))


def _clock(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def time_side(side: str, names: list, repeats: int, inner: int) -> dict:
    """{case: median seconds per forward + backward} for one framework."""
    times = {}
    for name in names:
        run = CASES[name](np.random.default_rng(0), side)
        run()  # warm-up
        samples = [_clock(_loop(run, inner)) / inner for _ in range(repeats)]
        times[name] = statistics.median(samples)
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=positive_int, default=11, help="samples per subprocess")
    parser.add_argument("--inner", type=positive_int, default=50, help="iterations per sample")
    parser.add_argument("--only", default="", help="comma-separated substrings of case names")
    parser.add_argument("--no-scatter", action="store_true")
    add_side_args(parser, rounds=3)
    args = parser.parse_args(argv)
    only = [s for s in args.only.split(",") if s]
    names = [n for n in CASES if not only or any(s in n for s in only)]
    if args.side:
        print(json.dumps(time_side(args.side, names, args.repeats, args.inner)))
        return
    print(f"fused ops, forward + backward, {THREADS} threads; each framework alone in "
          f"{args.rounds} subprocesses, {args.repeats} samples of {args.inner} iterations each")
    child = ["--repeats", str(args.repeats), "--inner", str(args.inner), "--only", args.only]
    rounds = run_sides(__file__, child, args.rounds)
    print(f"{'case':<32}{'glassbox ms':>12}{'torch ms':>10}{'ratio':>8}")
    for name in names:
        g, t, ratio = side_summary(rounds, name)
        print(f"{name:<32}{g * 1e3:>12.4f}{t * 1e3:>10.4f}{ratio:>8.2f}")
    print("ratio = glassbox / torch, median of the per-round ratios (lower is faster)")
    if not args.no_scatter:
        scatter_strategies(np.random.default_rng(0))


if __name__ == "__main__":
    main()
