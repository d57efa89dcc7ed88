"""glassbox vs PyTorch eager on the WORKLOADS benchmarks, side by side in one run.

    python benchmarks/run.py [--rounds 5] [--repeats 5] [--only W1,W2,W3,W4,W6] [--no-memory]
                             [--eager] [--json benchmarks/results/latest.json]

Both frameworks get the same initial weights (drawn once, copied into each), the same batches
in the same order and the same optimizer. The first losses are compared (abort beyond 1e-4
relative), so the same work is timed. glassbox's forward (and backward) run through
`gb.capture`: the warm-up call records the ops, the timed calls replay them without Python
dispatch, with the same numbers as eager mode; `--eager` times glassbox op by op instead.
torch is always eager.

Timing: each framework runs in its own subprocess, `--rounds` times, alternating which goes
first; a subprocess takes one warm-up step and then times `--repeats` units of work. The ratio
is the median over rounds of (glassbox median / torch median). Timing both in one process is
unfair here: after a GEMM, OpenBLAS's worker threads keep spinning for about 0.1 s, and torch's
OpenMP threads for a while too, so whichever framework runs next loses part of the second core
(in one process, torch's W1 epoch took 136 ms; alone, 59-78 ms).

- W1 MLP, W2 CNN: functional ops (F.linear, F.conv2d, ...) in both, Adam lr 1e-3; s/epoch.
- W3 char-LSTM: glassbox.models.CharLSTM vs a torch twin (nn.LSTM), Adam lr 3e-3, batch 32 x 64
  characters of the stdlib text; timed over W3_STEPS steps and scaled to s/100 steps.
- W4 tiny GPT: glassbox.models.GPT vs benchmarks/torch_models.TorchGPT (same parameter names),
  AdamW lr 3e-4, weight decay 0.1 on matrices; W4_STEPS steps scaled to s/100 steps.
- W6 inference: the W2 CNN and the W4 GPT (B x 64 tokens, full context) at batch 1 and 256,
  no-grad and eval mode; s/batch is the median over repeats of the mean of a few calls.

Peak memory: each framework's part of each workload runs once more in its own subprocess
(`--mem-probe`), which reads Linux's VmRSS after imports and data loading, resets the peak
(/proc/self/clear_refs), builds the model, runs the warm-up step and one unit of work, and
reads VmHWM: the table's "MB" is that peak resident set above the baseline (the JSON also has
the whole peak, `*_rss_peak_total_mb`, imports included). Both subprocesses import both
frameworks, and glassbox's import keeps freed memory in the process (mallopt), for torch too.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import (Result, gemm_peak_gflops, positive_int, print_table,  # noqa: I001
                               time_call, write_json)
import numpy as np
import torch
import torch.nn.functional as TF

import glassbox as gb
import glassbox.nn.functional as F
from glassbox.data import datasets
from glassbox.models import GPT, CharLSTM

from benchmarks.torch_models import TorchCharLSTM, TorchGPT

BATCH = 64
# glassbox runs its steps through gb.capture (recorded once, replayed without Python dispatch)
# unless --eager; the flag reaches the timing subprocesses through the environment
EAGER = os.environ.get("GLASSBOX_BENCH_EAGER") == "1"


def eager_step(loss_of):
    """loss_of's forward and backward (into the parameters' .grad), returning the loss;
    for either framework."""

    def step(*args):
        loss = loss_of(*args)
        loss.backward()
        return loss

    return step


def glassbox_step(loss_of):
    """eager_step's work for glassbox: its gb.capture replay unless --eager."""
    return eager_step(loss_of) if EAGER else gb.capture(loss_of, backward=True)


def glassbox_forward(fn):
    """fn for inference: its gb.capture replay, or fn itself with --eager."""
    return fn if EAGER else gb.capture(fn)


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
    "W1": {
        "name": "W1 MLP", "model": mlp, "flat": True,
        "shapes": [(128, 784), (64, 128), (10, 64)],
        "fwd_flops": lambda b: 2 * b * (784 * 128 + 128 * 64 + 64 * 10),
    },
    "W2": {
        "name": "W2 CNN", "model": cnn, "flat": False,
        "shapes": [(16, 1, 3, 3), (32, 16, 3, 3), (128, 1568), (10, 128)],
        "fwd_flops": lambda b: 2 * b * (16 * 784 * 9 + 32 * 196 * 16 * 9 + 1568 * 128 + 128 * 10),
    },
}


W3_STEPS, W4_STEPS = 30, 15  # steps per timed unit (scaled to s/100 steps)
SEQ, TEXT_BATCH = 64, 32
FRAMEWORKS = ("glassbox", "torch")


# ---------------------------------------------------------------------------------------------
# Shared data, loaded once per process


_cache: dict = {}


def mnist():
    if "mnist" not in _cache:
        _cache["mnist"] = datasets.mnist5k()
    return _cache["mnist"]


def text_batches(steps: int, seed: int = 2):
    """`steps` (x, y) int64 batches (32, 64) of the first 1,000,000 stdlib characters."""
    if "text" not in _cache:
        text = datasets.text_corpus(max_chars=1_000_000)
        vocab = sorted(set(text))
        lookup = {c: i for i, c in enumerate(vocab)}
        _cache["text"] = (np.array([lookup[c] for c in text], dtype=np.int64), len(vocab))
    ids, vocab = _cache["text"]
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(ids) - SEQ - 1, (steps, TEXT_BATCH))
    window = np.arange(SEQ)
    return [(ids[s[:, None] + window], ids[s[:, None] + window + 1]) for s in starts], vocab


def to_torch_state(gb_model):
    return {k: torch.tensor(v.numpy()) for k, v in gb_model.state_dict().items()}


# ---------------------------------------------------------------------------------------------
# Builders: build(key, fw) -> (first, unit, flops, scale). first() runs the warm-up step and
# returns the scalar compared across frameworks; unit() is one timed unit of work; flops are
# per reported unit; measured seconds are multiplied by scale (e.g. 100 / steps).


def build_mlp_cnn(key, fw):
    spec = WORKLOADS[key]
    data = mnist()
    x = data.x_train.reshape(len(data.x_train), -1) if spec["flat"] else data.x_train
    y = data.y_train
    order = np.random.default_rng(1).permutation(len(y))
    batches = [order[i : i + BATCH] for i in range(0, len(order), BATCH)]
    g_params, t_params = both_params(init_params(spec["shapes"]))
    model = spec["model"]
    glassbox = fw == "glassbox"
    tensor, F_, params = (gb.tensor, F, g_params) if glassbox else (torch.tensor, TF, t_params)
    xs = [(tensor(x[b]), tensor(y[b])) for b in batches]
    opt = (gb.optim.Adam if glassbox else torch.optim.Adam)(params, lr=1e-3)

    def loss_of(xb, yb):
        return F_.cross_entropy(model(F_, params, xb), yb)

    forward_backward = glassbox_step(loss_of) if glassbox else eager_step(loss_of)

    def step(xb, yb):
        opt.zero_grad(set_to_none=True)
        loss = forward_backward(xb, yb)
        opt.step()
        return loss

    def unit():
        for xb, yb in xs:
            step(xb, yb)

    flops = 3 * sum(spec["fwd_flops"](len(b)) for b in batches)
    return (lambda: step(*xs[0]).item()), unit, flops, 1.0


def lstm_flops(vocab, B=TEXT_BATCH, T=SEQ, E=64, H=256):
    return 2 * B * T * (4 * H * (E + H) + H * vocab)  # forward GEMMs: gates and head


def gpt_flops(vocab, B=TEXT_BATCH, T=SEQ, C=128, L=4):
    # per token per layer: qkv 3C^2, proj C^2, MLP 8C^2 (x2 for multiply-add); attention
    # scores and weighted values 2 * 2 * T * C (full T x T, as both frameworks compute it)
    return B * T * (L * (24 * C * C + 4 * T * C) + 2 * C * vocab)


def build_gpt_models(vocab):
    gb.manual_seed(0)
    g_model = GPT(vocab, context=SEQ, n_layer=4, n_head=4, d_model=128)
    t_model = TorchGPT(vocab, SEQ, 4, 4, 128)
    t_model.load_state_dict(to_torch_state(g_model))
    return g_model, t_model


def build_text(key, fw):
    steps = W3_STEPS if key == "W3" else W4_STEPS
    batches, vocab = text_batches(steps)
    if key == "W3":
        gb.manual_seed(0)
        g_model = CharLSTM(vocab, embed=64, hidden=256)
        if fw == "glassbox":
            model, opt = g_model, gb.optim.Adam(g_model.parameters(), lr=3e-3)
        else:
            model = TorchCharLSTM(vocab, 64, 256)
            model.load_state_dict(to_torch_state(g_model))
            opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        flops = 3 * lstm_flops(vocab) * 100
    else:
        g_model, t_model = build_gpt_models(vocab)
        model = g_model if fw == "glassbox" else t_model
        opt = model.configure_optimizer(lr=3e-4, weight_decay=0.1)
        flops = 3 * gpt_flops(vocab) * 100
    tensor = gb.tensor if fw == "glassbox" else torch.tensor
    xs = [(tensor(x), tensor(y)) for x, y in batches]

    def loss_of(xb, yb):
        return model(xb, yb)[1]

    forward_backward = glassbox_step(loss_of) if fw == "glassbox" else eager_step(loss_of)

    def step(xb, yb):
        opt.zero_grad(set_to_none=True)
        loss = forward_backward(xb, yb)
        opt.step()
        return loss

    def unit():
        for xb, yb in xs:
            step(xb, yb)

    return (lambda: step(*xs[0]).item()), unit, flops, 100 / steps


def build_inference(key, fw):
    """W6: keys W6-CNN-1, W6-CNN-256, W6-GPT-1, W6-GPT-256."""
    _, net, batch = key.split("-")
    batch = int(batch)
    calls = max(1, 16 // batch) if net == "GPT" else max(1, 64 // batch)  # calls per unit
    if net == "CNN":
        data = mnist()
        x, y = data.x_test[:batch], data.y_test[:batch]
        g_params, t_params = both_params(init_params(WORKLOADS["W2"]["shapes"]))
        flops = WORKLOADS["W2"]["fwd_flops"](batch)
        if fw == "glassbox":
            xb, yb = gb.tensor(x), gb.tensor(y)
            net = glassbox_forward(lambda x: cnn(F, g_params, x))
            forward = lambda: net(xb)
        else:
            xb, yb = torch.tensor(x), torch.tensor(y)
            forward = lambda: cnn(TF, t_params, xb)
    else:
        batches, vocab = text_batches(1, seed=3)
        x, y = (np.resize(a, (batch, SEQ)) for a in batches[0])  # first `batch` rows, recycled
        g_model, t_model = build_gpt_models(vocab)
        model = (g_model if fw == "glassbox" else t_model).eval()
        xb, yb = (gb.tensor(x), gb.tensor(y)) if fw == "glassbox" else (torch.tensor(x),
                                                                        torch.tensor(y))
        def logits(x):
            return model(x)[0]

        if fw == "glassbox":
            logits = glassbox_forward(logits)
        forward = lambda: logits(xb).reshape(batch * SEQ, vocab)
        yb = yb.reshape(batch * SEQ)
        flops = gpt_flops(vocab, B=batch)
    no_grad, ce = (gb.no_grad, F.cross_entropy) if fw == "glassbox" else (torch.no_grad,
                                                                            TF.cross_entropy)

    def first():
        with no_grad():
            return ce(forward(), yb).item()  # the loss of the outputs: same work, same result

    def unit():
        with no_grad():
            for _ in range(calls):
                forward()

    return first, unit, flops, 1 / calls


def build(key, fw):
    if key in ("W1", "W2"):
        return build_mlp_cnn(key, fw)
    if key in ("W3", "W4"):
        return build_text(key, fw)
    return build_inference(key, fw)


NAMES = {"W1": ("W1 MLP", "s/epoch"), "W2": ("W2 CNN", "s/epoch"),
         "W3": ("W3 LSTM", "s/100 steps"), "W4": ("W4 GPT", "s/100 steps"),
         "W6-CNN-1": ("W6 CNN b1", "s/batch"), "W6-CNN-256": ("W6 CNN b256", "s/batch"),
         "W6-GPT-1": ("W6 GPT b1", "s/batch"), "W6-GPT-256": ("W6 GPT b256", "s/batch")}


def expand(only: str) -> list:
    keys = []
    for key in (k.strip() for k in only.split(",")):
        if key == "W6":
            keys += ["W6-CNN-1", "W6-CNN-256", "W6-GPT-1", "W6-GPT-256"]
        elif key in NAMES:
            keys.append(key)
        else:
            raise SystemExit(f"--only: unknown workload {key!r}; choose from W1,W2,W3,W4,W6 "
                             f"or {', '.join(k for k in NAMES if k.startswith('W6-'))}")
    return keys


def time_probe(key, fw, repeats) -> dict:
    """In a subprocess of its own: one framework's first loss (also the warm-up step), then
    `repeats` timed units of work, scaled to the table's unit."""
    first, unit, flops, scale = build(key, fw)
    first_loss = first()
    unit()  # warm-up unit: caches, allocator, lazy set-up
    times = [time_call(unit) * scale for _ in range(repeats)]
    return {"first_loss": first_loss, "times": times, "flops": flops}


def _probe(kind: str, key: str, fw: str, *extra) -> dict:
    """Run this script's internal --KIND-probe for (key, fw) in a fresh Python process."""
    spec = ":".join([key, fw, *map(str, extra)])
    cmd = [sys.executable, __file__, f"--{kind}-probe", spec]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"error": out.stderr[-500:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_workload(key, rounds, repeats):
    name, unit_name = NAMES[key]
    result = Result(name, unit_name)
    for r in range(rounds):
        order = FRAMEWORKS if r % 2 == 0 else FRAMEWORKS[::-1]
        got = {fw: _probe("time", key, fw, repeats) for fw in order}
        for fw, probe in got.items():
            if "error" in probe:
                raise SystemExit(f"{name}: the {fw} timing subprocess failed:\n{probe['error']}")
        g, t = got["glassbox"], got["torch"]
        result.flops = g["flops"]
        result.first_loss_glassbox, result.first_loss_torch = g["first_loss"], t["first_loss"]
        if not math.isclose(g["first_loss"], t["first_loss"], rel_tol=1e-4):
            raise SystemExit(
                f"{name}: first losses differ (glassbox {g['first_loss']:.6f}, "
                f"torch {t['first_loss']:.6f}) -- not the same work"
            )
        result.glassbox_s += g["times"]
        result.torch_s += t["times"]
        result.round_ratios.append(statistics.median(g["times"]) / statistics.median(t["times"]))
    return result


# ---------------------------------------------------------------------------------------------
# Peak memory, one framework per subprocess


def _status_kb(field_name: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return -1


def mem_probe(key, fw) -> dict:
    """Build and run one framework's part of `key`; the peak RSS above the baseline, in MB."""
    if key in ("W1", "W2") or key.startswith("W6-CNN"):
        mnist()
    if key in ("W3", "W4") or key.startswith("W6-GPT"):
        text_batches(1)
    base = _status_kb("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # reset VmHWM to the current RSS
        reset = True
    except OSError:
        reset = False
    first, unit, _, _ = build(key, fw)
    first()
    unit()
    peak = _status_kb("VmHWM")
    return {"peak_mb": (peak - base) / 1024, "rss_peak_total_mb": peak / 1024,
            "hwm_reset": reset}


def measure_memory(key, fw) -> dict:
    probe = _probe("mem", key, fw)
    return {"peak_mb": float("nan"), **probe} if "error" in probe else probe


def main():
    parser = argparse.ArgumentParser(description="glassbox vs PyTorch eager, side by side")
    # 5: one round's ratio ranged 0.45-0.79 (W1) and 0.83-1.36 (W2) within a 3-round run here
    parser.add_argument("--rounds", type=positive_int, default=5,
                        help="timing subprocesses per framework, alternating (default 5)")
    parser.add_argument("--repeats", type=positive_int, default=5,
                        help="timed units per subprocess (default 5)")
    parser.add_argument("--only", default="W1,W2,W3,W4,W6",
                        help="comma-separated workloads (W6 = its four cases, or e.g. W6-GPT-1)")
    parser.add_argument("--json", default="benchmarks/results/latest.json", help="output file")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    parser.add_argument("--eager", action="store_true",
                        help="time glassbox without gb.capture (every op dispatched from Python)")
    parser.add_argument("--mem-probe", help=argparse.SUPPRESS)  # KEY:framework (internal)
    parser.add_argument("--time-probe", help=argparse.SUPPRESS)  # KEY:framework:repeats
    args = parser.parse_args()
    if args.eager:
        os.environ["GLASSBOX_BENCH_EAGER"] = "1"  # read by the subprocesses
    if args.mem_probe:
        key, fw = args.mem_probe.split(":")
        print(json.dumps(mem_probe(key, fw)))
        return
    if args.time_probe:
        key, fw, repeats = args.time_probe.split(":")
        print(json.dumps(time_probe(key, fw, int(repeats))))
        return

    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores",
          flush=True)
    peak = gemm_peak_gflops()
    rows = []
    for key in expand(args.only):
        res = run_workload(key, args.rounds, args.repeats)
        row = res.summary(peak)
        if not args.no_memory:
            for fw in FRAMEWORKS:
                m = measure_memory(key, fw)
                row[f"{fw}_peak_mb"] = m["peak_mb"]
                row[f"{fw}_rss_peak_total_mb"] = m.get("rss_peak_total_mb", float("nan"))
                if "error" in m:
                    row["notes"] += f" memory probe {fw} failed: {m['error']}"
        rows.append(row)
        print(f"{res.workload}: first loss glassbox {res.first_loss_glassbox:.5f} "
              f"torch {res.first_loss_torch:.5f}; ratio {row['ratio_median']:.2f}", flush=True)
    print_table(rows, peak)
    print("glassbox steps: " + ("eager, op by op" if args.eager else "gb.capture replays"))
    end_load = os.getloadavg()
    print(f"load average at the end {end_load[0]:.2f} {end_load[1]:.2f} {end_load[2]:.2f}")
    write_json(rows, peak, args.json, load_average=load, load_average_end=end_load,
               glassbox_steps="eager" if args.eager else "gb.capture")
    print(f"results written to {args.json}")


if __name__ == "__main__":
    main()
