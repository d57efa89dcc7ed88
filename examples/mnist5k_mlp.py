"""MNIST-5k with a multilayer perceptron: the W1 recipe, or a tuned one built from glassbox parts.

W1 (default): 784-128-64-10 with ReLU, cross-entropy, Adam lr 1e-3, batch 64, 10 epochs over
the 4,000 training images; test accuracy on the 1,000 held-out ones. PyTorch with the same
recipe: benchmarks/accuracy_torch.py.

--tuned: a wider MLP with BatchNorm and dropout, AdamW with weight decay, a one-cycle learning
rate (warm up, then anneal, stepped every batch) and small random rotations, shifts and zooms
of every training batch (RandomAffine), so the network cannot memorise pixel positions.

    python examples/mnist5k_mlp.py [--tuned] [--epochs N] [--seed 0] [--fast]
"""

from __future__ import annotations

import time

import _common

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn
from glassbox.data import DataLoader, TensorDataset, datasets
from glassbox.data.transforms import RandomAffine
from glassbox.optim.lr_scheduler import OneCycleLR
from glassbox.train import LRSchedulerCallback, Trainer

W1_EPOCHS = 10
TUNED_EPOCHS = 30


def w1_model() -> nn.Module:
    """784-128-64-10, ReLU (WORKLOADS.md W1). Input (N, 1, 28, 28) -> logits (N, 10)."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 128), nn.ReLU(),
        nn.Linear(128, 64), nn.ReLU(),
        nn.Linear(64, 10),
    )


def tuned_model() -> nn.Module:
    """784-512-256-10 with BatchNorm and dropout after each hidden layer."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(512, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(256, 10),
    )


def augment() -> RandomAffine:
    """Small random rotations (+-10 degrees), shifts (+-2 pixels) and zooms (+-10%)."""
    return RandomAffine(degrees=10, translate=(0.08, 0.08), scale=(0.9, 1.1))


def train_w1(data, epochs: int, seed: int, verbose: int = 2):
    gb.manual_seed(seed)
    model = w1_model()
    trainer = Trainer(model, F.cross_entropy, gb.optim.Adam(model.parameters(), lr=1e-3))
    loader = DataLoader(TensorDataset(gb.tensor(data.x_train), gb.tensor(data.y_train)),
                        batch_size=64, shuffle=True, generator=seed)
    trainer.fit(loader, val=(data.x_test, data.y_test), epochs=epochs, verbose=verbose)
    return model


def train_tuned(data, epochs: int, seed: int, verbose: int = 2):
    gb.manual_seed(seed)
    model = tuned_model()
    opt = gb.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=5e-2)
    loader = DataLoader(TensorDataset(gb.tensor(data.x_train), gb.tensor(data.y_train)),
                        batch_size=64, shuffle=True, generator=seed, transform=augment())
    sched = OneCycleLR(opt, max_lr=3e-3, epochs=epochs, steps_per_epoch=len(loader))
    trainer = Trainer(model, F.cross_entropy, opt)
    trainer.fit(loader, val=(data.x_test, data.y_test), epochs=epochs, verbose=verbose,
                callbacks=[LRSchedulerCallback(sched, interval="batch")])
    return model


def main():
    p = _common.parser(__doc__)
    p.add_argument("--tuned", action="store_true", help="the tuned recipe instead of W1")
    p.add_argument("--epochs", type=int, default=None,
                   help=f"epochs (default {W1_EPOCHS} for W1, {TUNED_EPOCHS} tuned)")
    args = p.parse_args()

    data = datasets.mnist5k()
    epochs = args.epochs or (TUNED_EPOCHS if args.tuned else W1_EPOCHS)
    if args.fast:
        data, epochs = _common.shrink(data, 1000, 500), 1
    recipe = "tuned" if args.tuned else "W1"
    print(f"MNIST-5k MLP, {recipe} recipe: {len(data.y_train)} training / {len(data.y_test)} "
          f"test images, {epochs} epochs, seed {args.seed}")
    start = time.perf_counter()
    model = (train_tuned if args.tuned else train_w1)(data, epochs, args.seed)
    seconds = time.perf_counter() - start
    acc = _common.accuracy(model, data.x_test, data.y_test)
    print(f"glassbox MLP ({recipe}): test accuracy {acc:.2%} in {seconds:.1f} s")
    _common.report("test_accuracy", acc)
    _common.report("train_seconds", seconds)


if __name__ == "__main__":
    main()
