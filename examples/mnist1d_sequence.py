"""MNIST-1D as a sequence task (benchmark W5): the paper's GRU and a small Transformer beside it.

Each example is 40 time steps of one number. The paper's GRU (Greydanus, 2020: 91% test
accuracy): a bidirectional GRU, hidden 6, batch-first; all 40 outputs (40 x 12 = 480) flattened
into Linear(480, 10). Trained with Adam lr 1e-2, batch 100, 8,000 steps, 4,000 train / 1,000
test; batches taken in order, cycling through the training set as the paper's code does.
The Transformer: each step's value embedded to d_model 32 plus a learned position, 2 encoder
layers (4 heads, feed-forward 64), mean over positions, Linear(32, 10).

    python examples/mnist1d_sequence.py                   # both models, 8,000 steps, seed 0
    python examples/mnist1d_sequence.py --seeds 0 1 2     # mean over seeds
    python examples/mnist1d_sequence.py --steps 2000 --models gru
    python examples/mnist1d_sequence.py --fast            # a few steps (tests)
"""

import argparse
import json
import os
import time
from pathlib import Path

import _common
import numpy as np

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn
from glassbox.data import datasets

PAPER = {"gru": 0.91}


class GRUClassifier(nn.Module):
    """The MNIST-1D paper's GRU: bidirectional, hidden 6, all outputs into Linear(480, 10)."""

    def __init__(self, steps: int = 40, hidden: int = 6, classes: int = 10):
        super().__init__()
        self.gru = nn.GRU(1, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(steps * 2 * hidden, classes)

    def forward(self, x):  # x: (B, 40)
        out, _ = self.gru(x.unsqueeze(-1))  # (B, 40, 1) -> (B, 40, 12)
        return self.fc(out.flatten(1))  # (B, 480) -> (B, 10)


class _EncoderLayer(nn.Module):
    """Post-LN encoder block (attention + ReLU MLP), used only if nn.TransformerEncoder is absent."""

    def __init__(self, d, nhead, ff):
        super().__init__()
        self.nhead = nhead
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.ff1, self.ff2 = nn.Linear(d, ff), nn.Linear(ff, d)

    def forward(self, x):
        B, T, C = x.shape
        qkv = self.qkv(x).view(B, T, 3, self.nhead, C // self.nhead).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])  # (B, nh, T, hs)
        x = self.ln1(x + self.proj(y.transpose(1, 2).reshape(B, T, C)))
        return self.ln2(x + self.ff2(F.relu(self.ff1(x))))


class TransformerClassifier(nn.Module):
    """Value embedding + learned positions, a small Transformer encoder, mean pool, Linear."""

    def __init__(self, steps: int = 40, d_model: int = 32, nhead: int = 4, ff: int = 64,
                 num_layers: int = 2, classes: int = 10):
        super().__init__()
        self.inp = nn.Linear(1, d_model)
        self.pos = nn.Parameter(gb.randn(steps, d_model) * 0.02)
        if hasattr(nn, "TransformerEncoder"):
            layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=ff, dropout=0.0,
                                               batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, num_layers)
        else:
            self.encoder = nn.Sequential(*[_EncoderLayer(d_model, nhead, ff)
                                           for _ in range(num_layers)])
        self.fc = nn.Linear(d_model, classes)

    def forward(self, x):  # x: (B, 40)
        h = self.inp(x.unsqueeze(-1)) + self.pos  # (B, 40, d_model)
        return self.fc(self.encoder(h).mean(dim=1))  # (B, d_model) -> (B, 10)


def accuracy(model, x, y) -> float:
    model.eval()
    with gb.no_grad():
        pred = np.concatenate([model(gb.tensor(x[i:i + 500])).argmax(-1).numpy()
                               for i in range(0, len(x), 500)])
    model.train()
    return float((pred == y).mean())


def train_one(name, data, steps, lr, batch, seed, log_every, tiny=False, batches="sequential",
              model=None):
    """Train `name` (or the given `model`) with Adam; returns (test accuracy, seconds, model)."""
    gb.manual_seed(seed)
    if model is None and name == "gru":
        model = GRUClassifier()
    elif model is None:
        model = TransformerClassifier(d_model=16, ff=32, num_layers=1) if tiny else \
            TransformerClassifier()
    opt = gb.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    xtr, ytr = data.x_train.astype(np.float32), data.y_train
    t0 = time.perf_counter()
    for step in range(1, steps + 1):
        i = _common.batch_indices(step - 1, len(xtr), batch, batches, rng)
        loss = F.cross_entropy(model(gb.tensor(xtr[i])), gb.tensor(ytr[i]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % log_every == 0 or step == steps:
            print(f"  {name} seed {seed} step {step:5d}  loss {loss.item():.4f}  "
                  f"{time.perf_counter() - t0:6.1f} s")
    wall = time.perf_counter() - t0
    acc = accuracy(model, data.x_test.astype(np.float32), data.y_test)
    return acc, wall, model


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--fast", action="store_true", help="a few steps, for tests")
    ap.add_argument("--steps", type=int, default=8000)
    ap.add_argument("--models", nargs="+", default=["gru", "transformer"],
                    choices=["gru", "transformer"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--tf-lr", type=float, default=3e-3, help="the Transformer's Adam lr")
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--batches", choices=["sequential", "random"], default="sequential",
                    help="sequential: in order, as the paper's code (default); random: drawn")
    ap.add_argument("--out", default="runs/mnist1d_sequence")
    args = ap.parse_args(argv)
    steps = 20 if args.fast else args.steps
    log_every = 10 if args.fast else 500
    if args.fast:
        args.batch = min(args.batch, 32)

    data = datasets.mnist1d()
    print(f"MNIST-1D: {len(data.x_train)} train / {len(data.x_test)} test, "
          f"{data.x_train.shape[1]} steps; load average {os.getloadavg()[0]:.2f}")
    results = {}
    for name in args.models:
        accs, walls = [], []
        for seed in args.seeds:
            lr = args.lr if name == "gru" else args.tf_lr
            acc, wall, model = train_one(name, data, steps, lr, args.batch, seed, log_every,
                                         tiny=args.fast, batches=args.batches)
            accs.append(acc)
            walls.append(wall)
            print(f"{name} seed {seed}: test accuracy {acc:.1%} after {steps} steps, {wall:.1f} s")
        n_params = sum(p.numel() for p in model.parameters())
        results[name] = {"accuracy": accs, "mean_accuracy": float(np.mean(accs)), "wall_s": walls,
                             "steps": steps, "params": n_params, "paper": PAPER.get(name)}
    print("\nmodel        params  test accuracy (mean over seeds)  wall s/run   paper")
    for name, r in results.items():
        paper = f"{r['paper']:.0%}" if r["paper"] else "-"
        print(f"{name:12s} {r['params']:6d}  {r['mean_accuracy']:.1%} "
              f"({', '.join(f'{a:.1%}' for a in r['accuracy'])}){'':8s}"
              f"{np.mean(r['wall_s']):8.1f}   {paper}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results["load_average"] = os.getloadavg()[0]
    (out / "results.json").write_text(json.dumps(results, indent=1))
    print(f"wrote {out}/results.json; load average {os.getloadavg()[0]:.2f}")
    return results


if __name__ == "__main__":
    main()
