"""Micro-benchmark: W2's convolution and pooling layers, glassbox vs PyTorch eager.

    python benchmarks/conv_micro.py [--rounds 3] [--repeats 30] [--only conv2]

W2 (shared/WORKLOADS.md) at batch 64 on 28x28 MNIST-sized inputs: Conv2d(1,16,3,p1) -
MaxPool2d(2) - Conv2d(16,32,3,p1) - MaxPool2d(2), each layer alone and the whole stack (with
ReLUs, as in W2). Forward and backward are timed separately: forward with the graph
recorded, then backward from a fixed upstream gradient. Each framework runs alone in its own
subprocess, `rounds` of them, alternating which goes first (benchmarks.common.run_sides); the
ratio glassbox/torch is the median over rounds of the ratio of the two runs' medians (lower
is faster). The first conv's input does not require grad (it is the data), so its backward
is the weight and bias gradients only, as in training.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# benchmarks.common pins NumPy's and torch's threads, so it is imported before them
from benchmarks.common import THREADS, add_side_args, positive_int, run_sides, side_summary  # noqa: I001
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


def _run_once(fn, args, seed):
    """Time one forward and one backward; return (forward_s, backward_s)."""
    t0 = time.perf_counter()
    out = fn(*args)
    t1 = time.perf_counter()
    out.backward(seed)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def bench(case, side, repeats):
    """{phase: median seconds} over `repeats` runs (after one untimed run) of one framework."""
    rng = np.random.default_rng(0)
    arrays = _inputs(case, rng)
    tensor, f = (gb.tensor, F) if side == "glassbox" else (torch.tensor, TF)
    fn = case["fn_of"](f)
    args = [tensor(a, requires_grad=r) for a, r in zip(arrays, case["grads"])]
    seed = tensor(rng.standard_normal(tuple(fn(*args).shape)).astype(np.float32))
    _run_once(fn, args, seed)  # warm-up
    runs = [_run_once(fn, args, seed) for _ in range(repeats)]
    fwd, bwd = [a for a, _ in runs], [b for _, b in runs]
    return {"fwd": statistics.median(fwd), "bwd": statistics.median(bwd),
            "total": statistics.median(a + b for a, b in runs)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=positive_int, default=30, help="runs per subprocess")
    parser.add_argument("--only", default="", help="substring of the case names to run")
    add_side_args(parser, rounds=3)
    args = parser.parse_args(argv)
    cases = [c for c in CASES if not args.only or args.only in c["name"]]
    if args.side:
        print(json.dumps({c["name"]: bench(c, args.side, args.repeats) for c in cases}))
        return
    rounds = run_sides(__file__, ["--repeats", str(args.repeats), "--only", args.only],
                       args.rounds)
    print(f"{THREADS} threads, each framework alone in {args.rounds} subprocesses; times in ms "
          f"(median); ratio = glassbox / torch, median of the per-round ratios")
    head = f"{'case':<24}" + "".join(f"{p + ' gb':>9}{p + ' pt':>9}{'ratio':>7}"
                                       for p in ("fwd", "bwd", "f+b"))
    print(head)
    print("-" * len(head))
    for case in cases:
        cells = "".join(f"{g * 1e3:>9.3f}{t * 1e3:>9.3f}{r:>7.2f}"
                        for g, t, r in (side_summary(rounds, case["name"], phase)
                                        for phase in ("fwd", "bwd", "total")))
        print(f"{case['name']:<24}{cells}", flush=True)


if __name__ == "__main__":
    main()
