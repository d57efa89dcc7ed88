"""Lower bounds: glassbox's matrix products alone, next to PyTorch's whole op.

    python benchmarks/floors.py [--rounds 3] [--repeats 11] [--only lstm]

Where glassbox loses to PyTorch, is the loss in the work around the GEMMs (copies, elementwise
passes, Python) or in the GEMMs themselves? For each case this script runs glassbox's op
once while recording every np.matmul call it makes (the very operands, views and strides
included), then times replaying just those calls. That time is a floor for this design on
NumPy's BLAS: no change outside the GEMMs can take glassbox below it. Next to it, PyTorch's
whole op, each framework alone in its own subprocesses (benchmarks.common.run_sides).

Printed per case: glassbox's whole op, its GEMMs alone, PyTorch's whole op, and the floor
ratio (GEMMs alone / PyTorch's whole op). Where the floor ratio is above the workload's
target ratio (the `target` column), that target is out of reach for an op that makes these
GEMMs with this BLAS, however fast everything else gets. Cases:
  W1-W4   one whole training step of the workload, as `make bench` runs it (forward,
          backward and the optimizer; glassbox's replayed through gb.capture)
  lstm    W3's LSTM layer (batch 32, 64 steps, input 64, hidden 256), forward + backward
  conv1   W2's first convolution (1 -> 16 channels, 28x28, batch 64), forward + backward
  conv2   W2's second convolution (16 -> 32 channels, 14x14, batch 64), forward + backward
  cnn-b1  W6: the W2 CNN's forward over one image, no grad
  gpt-b1  W6: the W4 GPT's forward over one sequence of 64 tokens, no grad
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# benchmarks.common pins NumPy's and torch's threads, so it is imported before them
from benchmarks.common import (THREADS, add_side_args, positive_int, run_sides,  # noqa: I001
                               side_summary, time_call)
import numpy as np
import torch
import torch.nn.functional as TF

import glassbox as gb
import glassbox.nn.functional as F
from benchmarks import rnn_micro
from benchmarks import run as workloads


def _lstm(side):
    run_g, run_t = rnn_micro.build("lstm", B=32, T=64, I=64, H=256)
    return run_g if side == "glassbox" else run_t


def _conv(c_in, c_out, size, input_grad):
    """One conv2d (3x3, padding 1) with bias at batch 64, forward + backward."""

    def make(side):
        rng = np.random.default_rng(0)
        arrays = [rng.standard_normal(s).astype(np.float32)
                  for s in ((64, c_in, size, size), (c_out, c_in, 3, 3), (c_out,),
                            (64, c_out, size, size))]
        lib, f = (gb, F) if side == "glassbox" else (torch, TF)
        x, w, b, up = (lib.tensor(a, requires_grad=g) for a, g in
                       zip(arrays, (input_grad, True, True, False)))

        def run():
            for t in (x, w, b):
                t.grad = None
            f.conv2d(x, w, b, padding=1).backward(up)

        return run

    return make


def _forward(side, g_fn, t_fn, array):
    """One no-grad forward of `array`: glassbox's replayed through gb.capture, as `make bench`
    times W6, or PyTorch's eagerly."""
    if side == "glassbox":
        x, forward = gb.tensor(array), gb.capture(g_fn)
        return lambda: forward(x)
    x = torch.tensor(array)

    def run():
        with torch.no_grad():
            t_fn(x)

    return run


def _gpt_b1(side):
    batches, vocab = workloads.text_batches(1, seed=3)
    g_model, t_model = (m.eval() for m in workloads.build_gpt_models(vocab))
    return _forward(side, lambda x: g_model(x)[0], t_model, batches[0][0][:1])  # (1, 64)


def _cnn_b1(side):
    g_params, t_params = workloads.both_params(
        workloads.init_params(workloads.WORKLOADS["W2"]["shapes"]))
    return _forward(side, lambda x: workloads.cnn(F, g_params, x),
                    lambda x: workloads.cnn(TF, t_params, x),
                    workloads.mnist().x_test[:1])  # (1, 1, 28, 28)


def _step(key):
    """One training step of workload `key` as `make bench` runs it (glassbox through
    gb.capture), on its first batch."""
    return lambda side: workloads.build(key, side)[0]


# name -> (what is timed, target ratio for its workload, builder of one run for a side)
CASES = {
    "W1": ("W1 training step", 0.6, _step("W1")),
    "W2": ("W2 training step", 1.0, _step("W2")),
    "W3": ("W3 training step", 1.0, _step("W3")),
    "W4": ("W4 training step", 1.0, _step("W4")),
    "lstm": ("W3 LSTM f+b", 1.0, _lstm),
    "conv1": ("W2 conv1 f+b", 1.0, _conv(1, 16, 28, input_grad=False)),
    "conv2": ("W2 conv2 f+b", 1.0, _conv(16, 32, 14, input_grad=True)),
    "cnn-b1": ("W6 CNN b1 forward", 0.7, _cnn_b1),
    "gpt-b1": ("W6 GPT b1 forward", 0.7, _gpt_b1),
}


class MatmulRecorder:
    """Within `with`, every np.matmul call anywhere is run and its arguments kept, so that
    exactly those products (same operands, same layouts, same `out`) can be run again."""

    def __enter__(self):
        self.calls, self._matmul = [], np.matmul

        def recording(*args, **kwargs):
            self.calls.append((args, kwargs))
            return self._matmul(*args, **kwargs)

        np.matmul = recording
        return self

    def __exit__(self, *exc):
        np.matmul = self._matmul

    def replay(self):
        for args, kwargs in self.calls:
            np.matmul(*args, **kwargs)


def measure(name: str, side: str, repeats: int) -> dict:
    run = CASES[name][2](side)
    run()  # warm-up
    result = {"whole": statistics.median(time_call(run) for _ in range(repeats))}
    if side == "glassbox":
        with MatmulRecorder() as rec:
            run()
        rec.replay()  # warm-up
        result["gemm"] = statistics.median(time_call(rec.replay) for _ in range(repeats))
        result["gemm_calls"] = len(rec.calls)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=positive_int, default=11, help="timed runs per subprocess")
    parser.add_argument("--only", default="", help="comma-separated cases: " + ", ".join(CASES))
    add_side_args(parser, rounds=3)
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(CASES)
    unknown = sorted(set(names) - set(CASES))
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(CASES)}")
    if args.side:
        print(json.dumps({n: measure(n, args.side, args.repeats) for n in names}))
        return
    rounds = run_sides(__file__, ["--repeats", str(args.repeats), "--only", ",".join(names)],
                       args.rounds)
    print(f"{THREADS} threads, each framework alone in {args.rounds} subprocesses of "
          f"{args.repeats} runs; times in ms (median)")
    head = (f"{'case':<20}{'gb whole':>10}{'gb GEMMs':>10}{'pt whole':>10}{'floor':>7}"
            f"{'target':>8}  GEMMs")
    print(head)
    print("-" * len(head))
    for n in names:
        what, target = CASES[n][:2]
        gb_whole, pt_whole, _ = side_summary(rounds, n, "whole")
        ours = [r[n] for r in rounds["glassbox"]]
        gemm = statistics.median(r["gemm"] for r in ours)
        floor = statistics.median(r["gemm"] / t[n]["whole"] for r, t in zip(ours, rounds["torch"]))
        calls = ours[0]["gemm_calls"]
        verdict = "  (above the target)" if floor > target else ""
        print(f"{what:<20}{gb_whole * 1e3:>10.2f}{gemm * 1e3:>10.2f}{pt_whole * 1e3:>10.2f}"
              f"{floor:>7.2f}{target:>8.2f}  {calls} calls{verdict}", flush=True)
    print("floor = glassbox's GEMMs alone / PyTorch's whole op, median of the per-round ratios; "
          "above the target,\nno work outside the GEMMs can bring that op to its target")


if __name__ == "__main__":
    main()
