"""MNIST-5k with a small convolutional network: the W2 recipe, or a tuned one from glassbox parts.

W2 (default): Conv2d(1,16,3,pad 1)-ReLU-MaxPool2d(2) - Conv2d(16,32,3,pad 1)-ReLU-MaxPool2d(2)
- Flatten - Linear(1568,128)-ReLU-Linear(128,10); Adam lr 1e-3, batch 64, 5 epochs over the
4,000 training images; test accuracy on the 1,000 held-out ones. PyTorch with the same recipe:
benchmarks/accuracy_torch.py.

--tuned: the same network with BatchNorm after each convolution and dropout before each linear
layer, AdamW with weight decay, a one-cycle learning rate stepped every batch, and small random
rotations, shifts and zooms of every training batch (RandomAffine).

    python examples/mnist5k_cnn.py [--tuned] [--epochs N] [--seed 0] [--fast]
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

W2_EPOCHS = 5
TUNED_EPOCHS = 20


def w2_model() -> nn.Module:
    """The W2 CNN (WORKLOADS.md). Input (N, 1, 28, 28) -> logits (N, 10)."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # -> (N, 16, 14, 14)
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # -> (N, 32, 7, 7)
        nn.Flatten(),                                                 # -> (N, 1568)
        nn.Linear(1568, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def tuned_model() -> nn.Module:
    """W2 with BatchNorm2d after each convolution and dropout before each linear layer."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.1),
        nn.Linear(1568, 128), nn.ReLU(), nn.Dropout(0.1),
        nn.Linear(128, 10),
    )


def augment() -> RandomAffine:
    """Small random rotations (+-10 degrees), shifts (+-2 pixels) and zooms (+-10%)."""
    return RandomAffine(degrees=10, translate=(0.08, 0.08), scale=(0.9, 1.1))


def train_w2(data, epochs: int, seed: int, verbose: int = 2, callbacks=()):
    """Train the W2 recipe; returns (model, History)."""
    gb.manual_seed(seed)
    model = w2_model()
    trainer = Trainer(model, F.cross_entropy, gb.optim.Adam(model.parameters(), lr=1e-3))
    loader = DataLoader(TensorDataset(gb.tensor(data.x_train), gb.tensor(data.y_train)),
                        batch_size=64, shuffle=True, generator=seed)
    history = trainer.fit(loader, val=(data.x_test, data.y_test), epochs=epochs,
                          verbose=verbose, callbacks=list(callbacks))
    return model, history


def train_tuned(data, epochs: int, seed: int, verbose: int = 2):
    """Train the tuned recipe; returns (model, History)."""
    gb.manual_seed(seed)
    model = tuned_model()
    opt = gb.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=5e-2)
    loader = DataLoader(TensorDataset(gb.tensor(data.x_train), gb.tensor(data.y_train)),
                        batch_size=64, shuffle=True, generator=seed, transform=augment())
    sched = OneCycleLR(opt, max_lr=5e-3, epochs=epochs, steps_per_epoch=len(loader))
    trainer = Trainer(model, F.cross_entropy, opt)
    history = trainer.fit(loader, val=(data.x_test, data.y_test), epochs=epochs,
                          verbose=verbose, callbacks=[LRSchedulerCallback(sched, interval="batch")])
    return model, history


def main():
    p = _common.parser(__doc__)
    p.add_argument("--tuned", action="store_true", help="the tuned recipe instead of W2")
    p.add_argument("--epochs", type=int, default=None,
                   help=f"epochs (default {W2_EPOCHS} for W2, {TUNED_EPOCHS} tuned)")
    args = p.parse_args()

    data = datasets.mnist5k()
    epochs = args.epochs or (TUNED_EPOCHS if args.tuned else W2_EPOCHS)
    if args.fast:
        data, epochs = _common.shrink(data, 640, 500), 1
    recipe = "tuned" if args.tuned else "W2"
    print(f"MNIST-5k CNN, {recipe} recipe: {len(data.y_train)} training / {len(data.y_test)} "
          f"test images, {epochs} epochs, seed {args.seed}")
    start = time.perf_counter()
    model, _ = (train_tuned if args.tuned else train_w2)(data, epochs, args.seed)
    seconds = time.perf_counter() - start
    acc = _common.accuracy(model, data.x_test, data.y_test)
    print(f"glassbox CNN ({recipe}): test accuracy {acc:.2%} in {seconds:.1f} s")
    _common.report("test_accuracy", acc)
    _common.report("train_seconds", seconds)


if __name__ == "__main__":
    main()
