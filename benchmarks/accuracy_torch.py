"""The examples' accuracy recipes run in PyTorch 2.13, for the glassbox-vs-PyTorch comparison.

Same data (glassbox.data.datasets), same architectures, optimizers, learning-rate schedules,
batch sizes and epochs as examples/mnist5k_mlp.py, examples/mnist5k_cnn.py,
examples/mnist1d_paper.py and examples/mnist1d_sequence.py (the GRU); augmentation uses
glassbox's RandomAffine on the NumPy batches, so only the network, its gradients and the
optimizer are PyTorch's. Weights start from PyTorch's own
initialisation (same distributions as glassbox's, different draws), so single runs differ by
seed noise: compare means over seeds.

    python benchmarks/accuracy_torch.py [--only w1,w2,mlp_tuned,cnn_tuned,mnist1d] [--seeds 1]
        [--first-seed 0] [--mnist1d-models logreg,mlp,cnn,gru] [--batches sequential|random]

Prints one line per recipe: `torch <recipe>: test accuracy <mean> (<per-seed>) in <s> s`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")

import numpy as np
import torch
from torch import nn

from glassbox.data import datasets
from glassbox.data.transforms import RandomAffine

sys.path.append(str(Path(__file__).resolve().parents[1] / "examples"))
from _common import batch_indices  # the examples' batch order

torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


def w1():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64),
                         nn.ReLU(), nn.Linear(64, 10))


def mlp_tuned():
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(512, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(256, 10))


def w2():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10))


def cnn_tuned():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.1), nn.Linear(1568, 128), nn.ReLU(), nn.Dropout(0.1),
        nn.Linear(128, 10))


class ResidualMLP(nn.Module):
    """MNIST-1D paper's MLP: Linear(40,100)-ReLU; h + ReLU(Linear(100,100)(h)); Linear(100,10)."""

    def __init__(self):
        super().__init__()
        self.inp, self.hidden, self.out = nn.Linear(40, 100), nn.Linear(100, 100), nn.Linear(100, 10)

    def forward(self, x):
        h = torch.relu(self.inp(x))
        return self.out(h + torch.relu(self.hidden(h)))


def cnn1d():
    return nn.Sequential(
        nn.Unflatten(1, (1, 40)),
        nn.Conv1d(1, 25, 5, stride=2, padding=1), nn.ReLU(),
        nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(125, 10))


# recipe: (model, optimizer, lr, weight decay, epochs, one-cycle?, augment?)
MNIST5K = {
    "w1": (w1, "adam", 1e-3, 0.0, 10, False, False),
    "w2": (w2, "adam", 1e-3, 0.0, 5, False, False),
    "mlp_tuned": (mlp_tuned, "adamw", 3e-3, 5e-2, 30, True, True),
    "cnn_tuned": (cnn_tuned, "adamw", 5e-3, 5e-2, 20, True, True),
}
class TorchGRUClassifier(nn.Module):
    """MNIST-1D paper's GRU: bidirectional, hidden 6, all 40 outputs into Linear(480, 10)."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(1, 6, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(480, 10)

    def forward(self, x):
        out, _ = self.gru(x.unsqueeze(-1))
        return self.fc(out.flatten(1))


MNIST1D = {"logreg": lambda: nn.Linear(40, 10), "mlp": ResidualMLP, "cnn": cnn1d,
           "gru": TorchGRUClassifier}


def accuracy(model, x, y) -> float:
    model.eval()
    with torch.no_grad():
        return float((model(torch.from_numpy(x)).argmax(1).numpy() == y).mean())


def run_mnist5k(name, data, seed):
    make, opt_name, lr, wd, epochs, one_cycle, aug = MNIST5K[name]
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = make()
    if opt_name == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)
    steps = -(-len(data.y_train) // 64)
    sched = (torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=epochs,
                                                 steps_per_epoch=steps) if one_cycle else None)
    transform = RandomAffine(degrees=10, translate=(0.08, 0.08), scale=(0.9, 1.1),
                             generator=seed) if aug else None
    for _ in range(epochs):
        model.train()
        order = rng.permutation(len(data.y_train))
        for i in range(0, len(order), 64):
            idx = order[i:i + 64]
            xb = data.x_train[idx]
            if transform is not None:
                xb = transform(xb)
            loss = nn.functional.cross_entropy(model(torch.from_numpy(xb)),
                                               torch.from_numpy(data.y_train[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
    return accuracy(model, data.x_test, data.y_test)


def run_mnist1d(name, data, seed, batches="sequential", steps=8000, model=None):
    """Adam lr 1e-2, batch 100, `steps` steps, no weight decay (WORKLOADS.md W5)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = MNIST1D[name]() if model is None else model
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    x, y = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)
    for step in range(steps):
        idx = torch.from_numpy(batch_indices(step, len(data.y_train), 100, batches, rng))
        loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return accuracy(model, data.x_test, data.y_test)


def gru_crossed(data, seed, direction):
    """The W5 GRU started from the other framework's initial weights for `seed`.

    direction 'torch-to-glassbox': PyTorch draws the weights, glassbox trains them (with
    examples/mnist1d_sequence.py's loop); 'glassbox-to-torch': the other way round. Separates
    the initial draw from the training dynamics.
    """
    from mnist1d_sequence import GRUClassifier, train_one

    import glassbox as gb

    if direction == "torch-to-glassbox":
        torch.manual_seed(seed)
        weights = {k: gb.tensor(v.detach().numpy().copy())
                   for k, v in TorchGRUClassifier().state_dict().items()}
        model = GRUClassifier()
        model.load_state_dict(weights)
        return train_one("gru", data, 8000, 1e-2, 100, seed, 8000, model=model)[0]
    gb.manual_seed(seed)
    model = TorchGRUClassifier()
    model.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy())
                           for k, v in GRUClassifier().state_dict().items()})
    return run_mnist1d("gru", data, seed, model=model)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default="w1,w2,mlp_tuned,cnn_tuned",
                   help="comma-separated: w1, w2, mlp_tuned, cnn_tuned, mnist1d, gru_crossed "
                        "(the W5 GRU from the other framework's initial weights, both ways)")
    p.add_argument("--seeds", type=int, default=1, help="seeds per recipe (default 1)")
    p.add_argument("--first-seed", type=int, default=0, help="the first seed (default 0)")
    p.add_argument("--mnist1d-models", default="logreg,mlp,cnn",
                   help="comma-separated MNIST-1D models: logreg, mlp, cnn, gru")
    p.add_argument("--batches", choices=["sequential", "random"], default="sequential",
                   help="MNIST-1D batch order: in order as the paper's code (default), or random")
    args = p.parse_args()
    wanted = args.only.split(",")
    for name in wanted:
        if name == "mnist1d":
            data = datasets.mnist1d()
            jobs = [(f"mnist1d_{m}", lambda s, m=m, d=data: run_mnist1d(m, d, s, args.batches))
                    for m in args.mnist1d_models.split(",")]
        elif name == "gru_crossed":
            data = datasets.mnist1d()
            jobs = [(f"gru {d}", lambda s, d=d, data=data: gru_crossed(data, s, d))
                    for d in ("torch-to-glassbox", "glassbox-to-torch")]
        elif name in MNIST5K:
            data = datasets.mnist5k()
            jobs = [(name, lambda s, n=name, d=data: run_mnist5k(n, d, s))]
        else:
            raise SystemExit(f"unknown recipe {name!r}")
        for label, job in jobs:
            start = time.perf_counter()
            accs = [job(seed) for seed in range(args.first_seed, args.first_seed + args.seeds)]
            seconds = (time.perf_counter() - start) / len(accs)
            per_seed = ", ".join(f"{a:.2%}" for a in accs)
            who = label if name == "gru_crossed" else f"torch {label}"
            print(f"{who}: test accuracy {np.mean(accs):.2%} ({per_seed}) "
                  f"in {seconds:.1f} s per seed", flush=True)


if __name__ == "__main__":
    main()
