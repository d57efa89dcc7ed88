"""glassbox vs PyTorch eager on the WORKLOADS benchmarks, side by side in one process.

    python benchmarks/run.py [--repeats 7] [--only W1,W2] [--json benchmarks/results/latest.json]

Both frameworks get the same initial weights (drawn once, copied into each), the same batches
in the same order and the same optimizer (Adam, lr 1e-3). The first losses are compared, so the
same work is timed. One warm-up step each, then whole epochs, alternating which goes first.
The models are written with functional ops (F.linear, F.conv2d, ...) in both frameworks.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import Result, gemm_peak_gflops, interleave, print_table, write_json  # noqa: E402, I001
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

import glassbox as gb  # noqa: E402
import glassbox.nn.functional as F  # noqa: E402
from glassbox.data import datasets  # noqa: E402

BATCH = 64


# ---------------------------------------------------------------------------------------------
# Adam on raw arrays for glassbox (the same update as torch.optim.Adam, no weight decay)


class ArrayAdam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, self.betas, self.eps, self.t = params, lr, betas, eps, 0
        self.m = [np.zeros_like(p._data) for p in params]
        self.v = [np.zeros_like(p._data) for p in params]

    def step(self):
        self.t += 1
        b1, b2 = self.betas
        step_size = self.lr / (1 - b1**self.t)
        bias2_sqrt = math.sqrt(1 - b2**self.t)
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad._data
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            denom = np.sqrt(v)
            denom /= bias2_sqrt
            denom += self.eps
            p._data -= step_size * (m / denom)
            p.grad = None


def init_params(shapes, seed=0):
    """PyTorch's default Linear/Conv init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for all."""
    rng = np.random.default_rng(seed)
    arrays = []
    for w_shape in shapes:
        fan_in = int(np.prod(w_shape[1:]))
        bound = 1 / math.sqrt(fan_in)
        arrays.append(rng.uniform(-bound, bound, w_shape).astype(np.float32))
        arrays.append(rng.uniform(-bound, bound, w_shape[:1]).astype(np.float32))
    return arrays


def both_params(arrays):
    g = [gb.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    return g, t


# ---------------------------------------------------------------------------------------------
# W1: MLP 784-128-64-10


def mlp(F_, p, x):
    h = F_.relu(F_.linear(x, p[0], p[1]))
    h = F_.relu(F_.linear(h, p[2], p[3]))
    return F_.linear(h, p[4], p[5])


def cnn(F_, p, x):
    h = F_.max_pool2d(F_.relu(F_.conv2d(x, p[0], p[1], padding=1)), 2)
    h = F_.max_pool2d(F_.relu(F_.conv2d(h, p[2], p[3], padding=1)), 2)
    h = h.reshape(h.shape[0], -1)
    h = F_.relu(F_.linear(h, p[4], p[5]))
    return F_.linear(h, p[6], p[7])


WORKLOADS = {
    "W1": dict(
        name="W1 MLP", model=mlp, flat=True,
        shapes=[(128, 784), (64, 128), (10, 64)],
        fwd_flops=lambda b: 2 * b * (784 * 128 + 128 * 64 + 64 * 10),
    ),
    "W2": dict(
        name="W2 CNN", model=cnn, flat=False,
        shapes=[(16, 1, 3, 3), (32, 16, 3, 3), (128, 1568), (10, 128)],
        fwd_flops=lambda b: 2 * b * (16 * 784 * 9 + 32 * 196 * 16 * 9 + 1568 * 128 + 128 * 10),
    ),
}


def run_workload(key, data, repeats):
    spec = WORKLOADS[key]
    x = data.x_train.reshape(len(data.x_train), -1) if spec["flat"] else data.x_train
    y = data.y_train
    order = np.random.default_rng(1).permutation(len(y))
    batches = [order[i : i + BATCH] for i in range(0, len(order), BATCH)]
    gx = [(gb.tensor(x[b]), gb.tensor(y[b])) for b in batches]
    tx = [(torch.tensor(x[b]), torch.tensor(y[b])) for b in batches]

    g_params, t_params = both_params(init_params(spec["shapes"]))
    g_opt = ArrayAdam(g_params)
    t_opt = torch.optim.Adam(t_params, lr=1e-3)
    model = spec["model"]

    def g_step(xb, yb):
        loss = F.cross_entropy(model(F, g_params, xb), yb)
        loss.backward()
        g_opt.step()
        return loss

    def t_step(xb, yb):
        t_opt.zero_grad(set_to_none=True)
        loss = TF.cross_entropy(model(TF, t_params, xb), yb)
        loss.backward()
        t_opt.step()
        return loss

    result = Result(spec["name"], "s/epoch")
    result.first_loss_glassbox = g_step(*gx[0]).item()  # also the warm-up step
    result.first_loss_torch = t_step(*tx[0]).item()
    if not math.isclose(result.first_loss_glassbox, result.first_loss_torch, rel_tol=1e-4):
        raise SystemExit(
            f"{spec['name']}: first losses differ (glassbox {result.first_loss_glassbox:.6f}, "
            f"torch {result.first_loss_torch:.6f}) -- not the same work"
        )
    result.flops = 3 * sum(spec["fwd_flops"](len(b)) for b in batches)

    def g_epoch():
        for xb, yb in gx:
            g_step(xb, yb)

    def t_epoch():
        for xb, yb in tx:
            t_step(xb, yb)

    return interleave(result, g_epoch, t_epoch, repeats)


def main():
    parser = argparse.ArgumentParser(description="glassbox vs PyTorch eager, side by side")
    parser.add_argument("--repeats", type=int, default=7, help="timed epochs per framework")
    parser.add_argument("--only", default="W1,W2", help="comma-separated workloads")
    parser.add_argument("--json", default="benchmarks/results/latest.json", help="output file")
    args = parser.parse_args()

    peak = gemm_peak_gflops()
    data = datasets.mnist5k()
    rows = []
    for key in args.only.split(","):
        res = run_workload(key.strip(), data, args.repeats)
        rows.append(res.summary(peak))
        print(f"{res.workload}: first loss glassbox {res.first_loss_glassbox:.5f} "
              f"torch {res.first_loss_torch:.5f}", flush=True)
    print_table(rows, peak)
    write_json(rows, peak, args.json)
    print(f"results written to {args.json}")


if __name__ == "__main__":
    main()
