"""The training recipes and command line shared by mnist5k_mlp.py and mnist5k_cnn.py.

Both examples train a network on MNIST-5k in two ways: the benchmark recipe (Adam lr 1e-3,
batch 64; W1 or W2 in WORKLOADS.md) and a tuned one (AdamW with weight decay, a one-cycle
learning rate stepped every batch, RandomAffine augmentation). Only the networks, the tuned
learning rate and the epochs differ, so those are the arguments here.
"""

from __future__ import annotations

import time

import _common

import glassbox as gb
import glassbox.nn.functional as F
from glassbox.data import DataLoader, TensorDataset, datasets
from glassbox.data.transforms import RandomAffine
from glassbox.optim.lr_scheduler import OneCycleLR
from glassbox.train import LRSchedulerCallback, Trainer


def augment() -> RandomAffine:
    """Small random rotations (+-10 degrees), shifts (+-2 pixels) and zooms (+-10%)."""
    return RandomAffine(degrees=10, translate=(0.08, 0.08), scale=(0.9, 1.1))


def train_benchmark(make_model, data, epochs: int, seed: int, verbose: int = 2, callbacks=()):
    """The W1/W2 recipe: Adam lr 1e-3, batch 64, no augmentation; returns (model, History)."""
    gb.manual_seed(seed)  # before the model, so its initial weights follow the seed
    model = make_model()
    trainer = Trainer(model, F.cross_entropy, gb.optim.Adam(model.parameters(), lr=1e-3))
    loader = DataLoader(TensorDataset(gb.tensor(data.x_train), gb.tensor(data.y_train)),
                        batch_size=64, shuffle=True, generator=seed)
    history = trainer.fit(loader, val=(data.x_test, data.y_test), epochs=epochs,
                          verbose=verbose, callbacks=list(callbacks))
    return model, history


def train_tuned(make_model, data, epochs: int, seed: int, lr: float, verbose: int = 2):
    """The tuned recipe: AdamW, one-cycle lr peaking at `lr`, augmentation; (model, History)."""
    gb.manual_seed(seed)
    model = make_model()
    opt = gb.optim.AdamW(model.parameters(), lr=lr, weight_decay=5e-2)
    loader = DataLoader(TensorDataset(gb.tensor(data.x_train), gb.tensor(data.y_train)),
                        batch_size=64, shuffle=True, generator=seed, transform=augment())
    sched = OneCycleLR(opt, max_lr=lr, epochs=epochs, steps_per_epoch=len(loader))
    trainer = Trainer(model, F.cross_entropy, opt)
    history = trainer.fit(loader, val=(data.x_test, data.y_test), epochs=epochs,
                          verbose=verbose, callbacks=[LRSchedulerCallback(sched, interval="batch")])
    return model, history


def main(doc: str, arch: str, recipe: str, recipe_epochs: int, tuned_epochs: int,
         train_recipe, train_tuned_recipe, fast_train: int) -> None:
    """Parse --tuned/--epochs/--fast/--seed, train, and report test accuracy and seconds.

    arch names the network ("MLP", "CNN"), recipe the benchmark ("W1", "W2"); the two train
    functions take (data, epochs, seed) and return (model, History); --fast keeps
    fast_train training and 500 test images for one epoch.
    """
    p = _common.parser(doc)
    p.add_argument("--tuned", action="store_true", help=f"the tuned recipe instead of {recipe}")
    p.add_argument("--epochs", type=int, default=None,
                   help=f"epochs (default {recipe_epochs} for {recipe}, {tuned_epochs} tuned)")
    args = p.parse_args()

    data = datasets.mnist5k()
    epochs = args.epochs or (tuned_epochs if args.tuned else recipe_epochs)
    if args.fast:
        data, epochs = _common.shrink(data, fast_train, 500), 1
    name = "tuned" if args.tuned else recipe
    print(f"MNIST-5k {arch}, {name} recipe: {len(data.y_train)} training / {len(data.y_test)} "
          f"test images, {epochs} epochs, seed {args.seed}")
    start = time.perf_counter()
    model, _ = (train_tuned_recipe if args.tuned else train_recipe)(data, epochs, args.seed)
    seconds = time.perf_counter() - start
    acc = _common.accuracy(model, data.x_test, data.y_test)
    print(f"glassbox {arch} ({name}): test accuracy {acc:.2%} in {seconds:.1f} s")
    _common.report("test_accuracy", acc)
    _common.report("train_seconds", seconds)
