"""Compress the W1 MLP and the W2 CNN on MNIST-5k: int8 quantization and channel pruning.

Trains both models with glassbox, then measures file size, test accuracy and latency at batch 1
and 256 for: the float32 model, static int8 (min/max and percentile calibration), dynamic int8,
and (W2) half of the conv channels pruned away and fine-tuned, (W1) half the hidden neurons.
It also times the three exact int8 GEMM paths (glassbox.compress.qgemm).

    python examples/compression.py            # W1 10 epochs, W2 4 epochs (a few minutes)
    python examples/compression.py --fast     # tiny run used by the tests (seconds)
    python examples/compression.py --out compression.md
    python examples/compression.py --threads 1   # BLAS threads; use 1 on a busy machine

On a machine busy with other processes, multi-threaded BLAS can be 10-100x slower than one
thread (threads wait for cores), which swamps every latency; the tables print the thread count
and the load average so that the numbers can be judged.
"""

from __future__ import annotations

import os
import sys

if "--threads" in sys.argv:  # BLAS reads these once, when NumPy is first imported
    _n = sys.argv[sys.argv.index("--threads") + 1]
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _n

import argparse
import json
import time

import numpy as np

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn
from glassbox.compress import (
    compression_report,
    prune_channels,
    qmatmul,
    quantize,
    quantize_dynamic,
)
from glassbox.data import datasets
from glassbox.train import Trainer


def w1():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64),
                         nn.ReLU(), nn.Linear(64, 10))


def w2():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10))


def fit(model, x, y, epochs: int):
    trainer = Trainer(model, F.cross_entropy, gb.optim.Adam(model.parameters(), lr=1e-3))
    return trainer.fit((x, y), epochs=epochs, batch_size=64, verbose=0)


def gemm_timings(repeats: int) -> list[str]:
    """Seconds of one int8 GEMM at the shapes of W2's layers, batch 256, per method."""
    rng = np.random.default_rng(0)
    shapes = {"conv2 im2col (32x144 @ 144x50176)": (32, 144, 50176),
              "fc1 (256x1568 @ 1568x128)": (256, 1568, 128)}
    if repeats < 2:  # --fast: small shapes, still checked for exactness
        shapes = {"small (8x1500 @ 1500x16)": (8, 1500, 16)}
    header = ("| int8 GEMM (exact int32 result) | float32 sgemm (blocked K<=1024) | float64 dgemm "
              "| int32 np.matmul | plain float32 GEMM (reference) |")
    lines = [header, "|---|---|---|---|---|"]
    for label, (m, k, n) in shapes.items():
        a = rng.integers(-128, 128, (m, k)).astype(np.int8)
        b = rng.integers(-127, 128, (k, n)).astype(np.int8)
        ref = a.astype(np.int64) @ b.astype(np.int64)
        cells = [label]
        for method in ("float32", "float64", "int32"):
            assert np.array_equal(qmatmul(a, b, method), ref), method  # exact, every way
            cells.append(f"{1000 * _best(qmatmul, repeats, a, b, method):.2f} ms")
        af, bf = a.astype(np.float32), b.astype(np.float32)
        cells.append(f"{1000 * _best(np.matmul, repeats, af, bf):.2f} ms")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _best(fn, repeats: int, *args) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def run(fast: bool = False, seed: int = 0):
    gb.manual_seed(seed)
    data = datasets.mnist5k()
    xtr, ytr, xte, yte = data
    if fast:  # the test's version: small and quick, same code path
        xtr, ytr, xte, yte = xtr[:600], ytr[:600], xte[:200], yte[:200]
    calib = xtr[:512]
    repeats = 2 if fast else 20
    batch_sizes = (1, 64) if fast else (1, 256)
    results, tables = {}, {}
    for name, make, epochs, ft_epochs, layers in (
        ("W1 MLP", w1, 2 if fast else 10, 1 if fast else 2, (nn.Linear,)),
        ("W2 CNN", w2, 1 if fast else 4, 1 if fast else 3, (nn.Conv2d,)),
    ):
        t0 = time.perf_counter()
        model = make()
        history = fit(model, xtr, ytr, epochs)
        train_s = time.perf_counter() - t0
        variants = {
            "int8 static (min/max)": quantize(model, calib),
            "int8 static (percentile 99.99)": quantize(model, calib, observer="percentile"),
            "int8 dynamic (Linear only)": quantize_dynamic(model, {nn.Linear}),
        }
        pruned = prune_channels(model, amount=0.5, layers=layers)
        what = "conv channels" if layers == (nn.Conv2d,) else "hidden neurons"
        variants[f"50% {what} pruned, no fine-tune"] = prune_channels(model, 0.5, layers=layers)
        fit(pruned, xtr, ytr, ft_epochs)
        variants[f"50% {what} pruned + {ft_epochs} ep fine-tune"] = pruned
        variants["pruned + fine-tuned + int8"] = quantize(pruned, calib)
        report = compression_report(model, (xte, yte), variants, batch_sizes, repeats)
        tables[name] = report
        results[name] = {"train_seconds": train_s, "epochs": epochs, "rows": report.rows,
                         "history": history.history}
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    lines = [f"BLAS threads: {threads}; load average at the end: {load} on {os.cpu_count()} CPUs",
             ""]
    for name, report in tables.items():
        lines += [f"### {name} (test set: {len(yte)} images)", "", report.to_markdown(), ""]
    lines += ["### int8 GEMM paths (median, batch 256 shapes)", ""]
    lines += gemm_timings(1) if fast else gemm_timings(10)
    return "\n".join(lines), results, tables


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="tiny data and epochs (for tests)")
    parser.add_argument("--out", help="also write the tables to this markdown file")
    parser.add_argument("--json", help="also write the raw measurements to this JSON file")
    parser.add_argument("--threads", help="BLAS threads (set before NumPy loads)")
    args = parser.parse_args()
    text, results, _ = run(fast=args.fast)
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text + "\n")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1, default=str)


if __name__ == "__main__":
    main()
