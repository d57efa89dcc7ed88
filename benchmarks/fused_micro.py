"""Micro-benchmarks of the fused ops: forward + backward, glassbox vs PyTorch eager, 2 threads.

    python benchmarks/fused_micro.py [--repeats 21] [--inner 50] [--only linear,attention]

Each case builds the same inputs in both frameworks, then times `inner` iterations of
forward + backward (with a fixed upstream gradient, so no extra reduction op is timed),
alternating which framework goes first. Printed: median seconds per iteration and the median of
the per-pair ratios glassbox / torch (lower is better; below 1.0 glassbox is faster).
Also times four ways to do the embedding backward's scatter-add (glassbox uses "sorted").
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import THREADS, Result, interleave  # noqa: E402, I001  (pins threads)
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

import glassbox as gb  # noqa: E402
import glassbox.nn.functional as F  # noqa: E402
from glassbox.ops import fused  # noqa: E402


def _pair(shape, rng, requires_grad=True, scale=1.0):
    a = (rng.standard_normal(shape) * scale).astype(np.float32)
    return gb.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


def _step(fn, args, grad_out):
    """One forward + backward; returns a callable for the timer."""

    def run():
        out = fn(*args)
        out.backward(grad_out)

    return run


def case_linear(rng, x_grad=False):
    gx, tx = _pair((64, 784), rng, requires_grad=x_grad)
    gw, tw = _pair((128, 784), rng, scale=0.03)
    gbias, tbias = _pair((128,), rng)
    g = rng.standard_normal((64, 128)).astype(np.float32)
    return (_step(F.linear, (gx, gw, gbias), gb.tensor(g)),
            _step(TF.linear, (tx, tw, tbias), torch.tensor(g)))


def case_cross_entropy(rng):
    gx, tx = _pair((64, 10), rng)
    t = rng.integers(0, 10, 64)
    gt, tt = gb.tensor(t), torch.tensor(t)
    one_g, one_t = gb.tensor(np.float32(1.0)), torch.tensor(1.0)
    return (_step(F.cross_entropy, (gx, gt), one_g), _step(TF.cross_entropy, (tx, tt), one_t))


def case_layer_norm(rng):
    gx, tx = _pair((32, 64, 128), rng)
    gw, tw = _pair((128,), rng)
    gbias, tbias = _pair((128,), rng)
    g = rng.standard_normal((32, 64, 128)).astype(np.float32)
    return (_step(lambda x, w, b: F.layer_norm(x, (128,), w, b), (gx, gw, gbias), gb.tensor(g)),
            _step(lambda x, w, b: TF.layer_norm(x, (128,), w, b), (tx, tw, tbias),
                  torch.tensor(g)))


def case_attention(rng):
    shape = (32, 4, 64, 32)  # (B, heads, T, head size)
    q, k, v = (_pair(shape, rng) for _ in range(3))
    g = rng.standard_normal(shape).astype(np.float32)
    return (_step(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True),
                  (q[0], k[0], v[0]), gb.tensor(g)),
            _step(lambda a, b, c: TF.scaled_dot_product_attention(a, b, c, is_causal=True),
                  (q[1], k[1], v[1]), torch.tensor(g)))


def case_embedding(rng):
    w_g, w_t = _pair((100, 64), rng)  # a character vocabulary, as in W3/W4
    idx = rng.integers(0, 100, (32, 64))
    g = rng.standard_normal((32, 64, 64)).astype(np.float32)
    return (_step(F.embedding, (gb.tensor(idx), w_g), gb.tensor(g)),
            _step(TF.embedding, (torch.tensor(idx), w_t), torch.tensor(g)))


def case_batch_norm(rng):
    gx, tx = _pair((64, 16, 14, 14), rng)
    gw, tw = _pair((16,), rng)
    gbias, tbias = _pair((16,), rng)
    rm_g, rv_g = gb.zeros(16), gb.ones(16)
    rm_t, rv_t = torch.zeros(16), torch.ones(16)
    g = rng.standard_normal((64, 16, 14, 14)).astype(np.float32)
    return (_step(lambda x, w, b: F.batch_norm(x, rm_g, rv_g, w, b, training=True),
                  (gx, gw, gbias), gb.tensor(g)),
            _step(lambda x, w, b: TF.batch_norm(x, rm_t, rv_t, w, b, training=True),
                  (tx, tw, tbias), torch.tensor(g)))


CASES = {
    "linear 64x784->128": case_linear,
    "linear, dX too": lambda rng: case_linear(rng, x_grad=True),
    "cross_entropy 64x10": case_cross_entropy,
    "layer_norm 32x64x128": case_layer_norm,
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--inner", type=int, default=50)
    parser.add_argument("--only", default="", help="comma-separated substrings of case names")
    parser.add_argument("--no-scatter", action="store_true")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    print(f"fused ops, forward + backward, {THREADS} threads, {args.inner} iterations per sample, "
          f"{args.repeats} interleaved samples")
    print(f"{'case':<32}{'glassbox ms':>12}{'torch ms':>10}{'ratio':>8}{'best':>8}")
    only = [s for s in args.only.split(",") if s]
    for name, make in CASES.items():
        if only and not any(s in name for s in only):
            continue
        run_gb, run_torch = make(rng)
        run_gb(), run_torch()  # warm-up
        res = interleave(Result(name, "iter"), _loop(run_gb, args.inner),
                         _loop(run_torch, args.inner), args.repeats)
        g_ms = statistics.median(res.glassbox_s) / args.inner * 1e3
        t_ms = statistics.median(res.torch_s) / args.inner * 1e3
        best = min(res.glassbox_s) / min(res.torch_s)
        print(f"{name:<32}{g_ms:>12.4f}{t_ms:>10.4f}{statistics.median(res.ratios):>8.2f}"
              f"{best:>8.2f}")
    print("ratio = glassbox / torch, median of interleaved pairs (lower is faster)")
    if not args.no_scatter:
        scatter_strategies(rng)


if __name__ == "__main__":
    main()
