"""MNIST-1D (Greydanus, 2020) with the paper's training set-up: logistic regression, MLP, CNN.

WORKLOADS.md W5: Adam lr 1e-2, batch 100, 8,000 steps, no weight decay; batches taken in order,
cycling through the training set as the paper's train.py does (--batches random draws each
batch at random instead); 4,000 training / 1,000 test signals of length 40 from the `mnist1d` package's default
generator (seed 42). The paper's test accuracies: logistic regression 32%, MLP 68%, CNN 94%.
Prints each model's test accuracy (mean over --seeds seeds) and wall time.

    python examples/mnist1d_paper.py [--seeds 3] [--steps 8000] [--models logreg,mlp,cnn]
                               [--mlp-hidden 100] [--batches sequential|random] [--fast]
"""

from __future__ import annotations

import time

import _common
import numpy as np

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn
from glassbox.data import datasets

PAPER = {"logreg": 0.32, "mlp": 0.68, "cnn": 0.94}


class ResidualMLP(nn.Module):
    """The paper's MLP: h = ReLU(Linear(40,100)(x)); h = h + ReLU(Linear(100,100)(h)); logits.

    Shape: (N, 40) -> (N, 10).
    """

    def __init__(self, hidden: int = 100):
        super().__init__()
        self.inp = nn.Linear(40, hidden)
        self.hidden = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 10)

    def forward(self, x):
        h = F.relu(self.inp(x))
        h = h + F.relu(self.hidden(h))  # residual connection
        return self.out(h)


def cnn() -> nn.Module:
    """The paper's CNN: three strided Conv1d + ReLU, then a linear layer. (N, 40) -> (N, 10)."""
    return nn.Sequential(
        nn.Unflatten(1, (1, 40)),                                     # -> (N, 1, 40)
        nn.Conv1d(1, 25, 5, stride=2, padding=1), nn.ReLU(),          # -> (N, 25, 19)
        nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),         # -> (N, 25, 10)
        nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),         # -> (N, 25, 5)
        nn.Flatten(),                                                 # -> (N, 125)
        nn.Linear(125, 10),
    )


MODELS = {"logreg": lambda: nn.Linear(40, 10), "mlp": ResidualMLP, "cnn": cnn}


def train(name: str, data, steps: int, seed: int, mlp_hidden: int = 100,
          batches: str = "sequential") -> float:
    """Train one model with the paper's recipe; returns its final test accuracy."""
    gb.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = ResidualMLP(mlp_hidden) if name == "mlp" else MODELS[name]()
    opt = gb.optim.Adam(model.parameters(), lr=1e-2)
    x, y = gb.tensor(data.x_train), gb.tensor(data.y_train)
    for step in range(steps):
        idx = gb.tensor(_common.batch_indices(step, len(data.y_train), 100, batches, rng))
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return _common.accuracy(model, data.x_test, data.y_test)


def main():
    p = _common.parser(__doc__)
    p.add_argument("--seeds", type=int, default=3, help="seeds per model, from --seed on")
    p.add_argument("--steps", type=int, default=8000, help="training steps (default 8000)")
    p.add_argument("--models", default="logreg,mlp,cnn", help="comma-separated subset")
    p.add_argument("--mlp-hidden", type=int, default=100,
                   help="MLP width (default 100, WORKLOADS.md; the mnist1d repo's train.py "
                        "defaults to hidden_size 256)")
    p.add_argument("--batches", choices=["sequential", "random"], default="sequential",
                   help="sequential: batches in order, as the paper's code (default); "
                        "random: each batch drawn at random")
    args = p.parse_args()
    data = datasets.mnist1d()
    steps, seeds = args.steps, args.seeds
    if args.fast:
        steps, seeds = 300, 1
    print(f"MNIST-1D: {len(data.y_train)} training / {len(data.y_test)} test signals; "
          f"Adam lr 1e-2, batch 100 ({args.batches}), {steps} steps, seeds {args.seed}..{args.seed + seeds - 1}")
    for name in args.models.split(","):
        start = time.perf_counter()
        accs = [train(name, data, steps, args.seed + s, args.mlp_hidden, args.batches)
                for s in range(seeds)]
        seconds = (time.perf_counter() - start) / seeds
        per_seed = ", ".join(f"{a:.2%}" for a in accs)
        print(f"{name:7s} test accuracy {np.mean(accs):.2%} ({per_seed}); paper {PAPER[name]:.0%}"
              f"; {seconds:.1f} s per run")
        _common.report(f"{name}_test_accuracy", float(np.mean(accs)))
        _common.report(f"{name}_seconds_per_run", seconds)


if __name__ == "__main__":
    main()
