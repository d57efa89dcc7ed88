"""Micro-benchmark: W2's convolution and pooling layers, glassbox vs PyTorch eager.

    python benchmarks/conv_micro.py [--repeats 60]

W2 (shared/WORKLOADS.md) at batch 64 on 28x28 MNIST-sized inputs: Conv2d(1,16,3,p1) -
MaxPool2d(2) - Conv2d(16,32,3,p1) - MaxPool2d(2), each layer alone and the whole stack (with
ReLUs, as in W2). Forward and backward are timed separately in the same run: forward with
the graph recorded, then backward from a fixed upstream gradient. glassbox and torch take turns
in blocks of runs (see `bench`); the ratio glassbox/torch is the median over rounds of the
ratio of block medians (lower is faster). The first conv's input does not require grad (it is
the data), so its backward is the weight and bias gradients only, as in training.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# benchmarks.common pins NumPy's and torch's threads, so it is imported before them
from benchmarks.common import THREADS  # noqa: I001
import numpy as np
import torch
import torch.nn.functional as TF

import glassbox as gb
import glassbox.nn.functional as F

BATCH = 64


def _case(name, fn_of, shapes, grads):
    """A benchmark case: fn_of(F) builds the op from a functional module; shapes of its
    inputs; grads says which inputs require grad."""
    return {"name": name, "fn_of": fn_of, "shapes": shapes, "grads": grads}


CASES = [
    _case("conv1 (1->16, 28x28)", lambda f: lambda x, w, b: f.conv2d(x, w, b, padding=1),
          [(BATCH, 1, 28, 28), (16, 1, 3, 3), (16,)], [False, True, True]),
    _case("pool1 (16ch, 28x28)", lambda f: lambda x: f.max_pool2d(x, 2),
          [(BATCH, 16, 28, 28)], [True]),
    _case("conv2 (16->32, 14x14)", lambda f: lambda x, w, b: f.conv2d(x, w, b, padding=1),
          [(BATCH, 16, 14, 14), (32, 16, 3, 3), (32,)], [True, True, True]),
    _case("pool2 (32ch, 14x14)", lambda f: lambda x: f.max_pool2d(x, 2),
          [(BATCH, 32, 14, 14)], [True]),
    _case("W2 conv stack", lambda f: lambda x, w1, b1, w2, b2: f.max_pool2d(f.relu(
        f.conv2d(f.max_pool2d(f.relu(f.conv2d(x, w1, b1, padding=1)), 2), w2, b2, padding=1)), 2),
        [(BATCH, 1, 28, 28), (16, 1, 3, 3), (16,), (32, 16, 3, 3), (32,)],
        [False, True, True, True, True]),
]


def _inputs(case, rng):
    arrays = []
    for shape in case["shapes"]:
        a = rng.standard_normal(shape).astype(np.float32)
        if len(shape) == 4 and shape[1] != 1 and "pool" in case["name"]:
            # post-ReLU activations, quantised: many ties, as on MNIST backgrounds
            a = np.maximum(np.round(a * 4) / 4, 0)
        arrays.append(a)
    return arrays


def _run_once(side, case, arrays, upstream):
    """Time one forward and one backward; return (forward_s, backward_s)."""
    if side == "glassbox":
        args = [gb.tensor(a, requires_grad=r) for a, r in zip(arrays, case["grads"])]
        fn, seed = case["fn_of"](F), gb.tensor(upstream)
    else:
        args = [torch.tensor(a, requires_grad=r) for a, r in zip(arrays, case["grads"])]
        fn, seed = case["fn_of"](TF), torch.tensor(upstream)
    t0 = time.perf_counter()
    out = fn(*args)
    t1 = time.perf_counter()
    out.backward(seed)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def bench(case, repeats, rng, block=5):
    """Rounds of `block` timed runs per framework (after one untimed run), alternating
    which goes first. Blocks rather than single runs, because torch's OpenMP threads keep
    spinning for a while after torch returns and would slow whichever NumPy code ran next,
    which a training loop (many steps of one framework) does not see."""
    arrays = _inputs(case, rng)
    with torch.no_grad():
        out_shape = case["fn_of"](TF)(*[torch.tensor(a) for a in arrays]).shape
    upstream = rng.standard_normal(tuple(out_shape)).astype(np.float32)
    rounds = {"glassbox": [], "torch": []}  # per round: per-phase medians of the block
    for r in range(max(1, repeats // block)):
        order = ("glassbox", "torch") if r % 2 == 0 else ("torch", "glassbox")
        for side in order:
            _run_once(side, case, arrays, upstream)  # warm-up after the switch
            runs = [_run_once(side, case, arrays, upstream) for _ in range(block)]
            rounds[side].append(tuple(
                statistics.median(phase) for phase in ([f for f, _ in runs], [b for _, b in runs],
                                                       [f + b for f, b in runs])
            ))
    row = {"name": case["name"]}
    for k, phase in enumerate(("fwd", "bwd", "total")):
        g = [t[k] for t in rounds["glassbox"]]
        t = [t[k] for t in rounds["torch"]]
        row[phase] = (statistics.median(g), statistics.median(t),
                      statistics.median(a / b for a, b in zip(g, t)))
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=60)
    parser.add_argument("--only", default="", help="substring of the case names to run")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{THREADS} threads; times in ms (median); ratio = glassbox / torch, median of rounds")
    head = f"{'case':<24}" + "".join(f"{p + ' gb':>9}{p + ' pt':>9}{'ratio':>7}"
                                       for p in ("fwd", "bwd", "f+b"))
    print(head)
    print("-" * len(head))
    for case in CASES:
        if args.only and args.only not in case["name"]:
            continue
        row = bench(case, args.repeats, rng)
        cells = "".join(f"{g * 1e3:>9.3f}{t * 1e3:>9.3f}{r:>7.2f}"
                        for g, t, r in (row["fwd"], row["bwd"], row["total"]))
        print(f"{row['name']:<24}{cells}", flush=True)


if __name__ == "__main__":
    main()
