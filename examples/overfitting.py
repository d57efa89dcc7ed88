"""Overfitting and its remedies, in pictures: early stopping, dropout, weight decay, augmentation.

An oversized MLP (784-512-512-10) is trained on only 500 MNIST-5k images. Its training loss
falls towards zero while its loss on 1,000 separate validation images turns round and climbs:
it is memorising the 500 images rather than learning digits.

1. early_stopping.png -- training vs validation loss of that run, with where EarlyStopping
   (patience 5, restore_best_weights) stopped it and which epoch's weights it kept.
2. remedies.png -- the same run against three remedies, one at a time: dropout (p = 0.5),
   weight decay (AdamW, 0.5) and data augmentation (small random rotations, shifts, zooms);
   each panel shows how the remedy moves the validation curve.

The test accuracy of every variant, on the 1,000 held-out test images, is printed at the end.

    python examples/overfitting.py [--out runs/overfitting] [--epochs 40] [--seed 0] [--fast]

Needs matplotlib (pip install 'glassbox[plot]').
"""

from __future__ import annotations

import os

import _common

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn
from glassbox.data import DataLoader, TensorDataset, datasets
from glassbox.data.transforms import RandomAffine
from glassbox.train import EarlyStopping, Trainer


def oversized_mlp(dropout: float = 0.0) -> nn.Module:
    """784-512-512-10 ReLU: 670k weights for 500 training images. (N, 1, 28, 28) -> (N, 10)."""
    drop = [nn.Dropout(dropout)] if dropout else []
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 512), nn.ReLU(), *drop,
        nn.Linear(512, 512), nn.ReLU(), *drop,
        nn.Linear(512, 10),
    )


def run(data, epochs, seed, dropout=0.0, weight_decay=0.0, augment=False, callbacks=()):
    """Train one variant; returns (History, test accuracy)."""
    gb.manual_seed(seed)
    model = oversized_mlp(dropout)
    opt = gb.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=weight_decay)
    transform = RandomAffine(degrees=10, translate=(0.1, 0.1), scale=(0.9, 1.1)) if augment \
        else None
    loader = DataLoader(TensorDataset(gb.tensor(data["x_train"]), gb.tensor(data["y_train"])),
                        batch_size=32, shuffle=True, generator=seed, transform=transform)
    trainer = Trainer(model, F.cross_entropy, opt)
    history = trainer.fit(loader, val=(data["x_val"], data["y_val"]), epochs=epochs,
                          callbacks=list(callbacks), verbose=0)
    return history, _common.accuracy(model, data["x_test"], data["y_test"])


def plot_early_stopping(plt, history, stopper, path):
    epochs = [e + 1 for e in history.epoch]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(epochs, history.history["loss"], label="training loss")
    ax.plot(epochs, history.history["val_loss"], label="validation loss")
    ax.axvline(stopper.best_epoch + 1, color="green", ls="--",
               label=f"best epoch {stopper.best_epoch + 1} (weights restored)")
    ax.axvline(stopper.stopped_epoch + 1, color="red", ls=":",
               label=f"EarlyStopping stops (epoch {stopper.stopped_epoch + 1})")
    ax.set(xlabel="epoch", ylabel="cross-entropy", yscale="log",
           title="Oversized MLP on 500 MNIST images: memorising, then caught")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_remedies(plt, base, remedies, path):
    fig, axes = plt.subplots(1, len(remedies), figsize=(5 * len(remedies), 4.2), sharey=True)
    epochs = [e + 1 for e in base.epoch]
    for ax, (name, history) in zip(axes, remedies.items()):
        ax.plot(epochs, base.history["val_loss"], color="C1", label="validation, no remedy")
        ax.plot(epochs, base.history["loss"], color="C1", ls=":", label="training, no remedy")
        ax.plot(epochs, history.history["val_loss"], color="C2", label=f"validation, {name}")
        ax.plot(epochs, history.history["loss"], color="C2", ls=":", label=f"training, {name}")
        ax.set(xlabel="epoch", yscale="log", title=name)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("cross-entropy")
    fig.suptitle("How each remedy moves the validation curve (500 training images)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    p = _common.parser(__doc__)
    p.add_argument("--out", default="runs/overfitting", help="folder for the PNGs")
    p.add_argument("--epochs", type=int, default=40, help="epochs per run (default 40)")
    args = p.parse_args()
    plt = _common.pyplot()  # fail early, before training, if matplotlib is missing
    out = _common.out_dir(args.out)

    split = datasets.mnist5k()
    n_train, n_val, epochs = (500, 1000, args.epochs) if not args.fast else (200, 300, 8)
    # 500 images to train on, 1,000 other training images to watch (validation), and the
    # 1,000 test images touched only for the final accuracies
    data = {"x_train": split.x_train[:n_train], "y_train": split.y_train[:n_train],
            "x_val": split.x_train[n_train:n_train + n_val],
            "y_val": split.y_train[n_train:n_train + n_val],
            "x_test": split.x_test, "y_test": split.y_test}
    print(f"oversized MLP on {n_train} images, validation {n_val}, {epochs} epochs")

    base, base_acc = run(data, epochs, args.seed)
    stopper = EarlyStopping(monitor="val_loss", patience=5 if not args.fast else 1)
    stopped, stopped_acc = run(data, epochs, args.seed, callbacks=[stopper])
    if stopper.stopped_epoch < 0:  # never stopped: mark the last epoch
        stopper.stopped_epoch = stopped.epoch[-1]
    plot_early_stopping(plt, base, stopper, os.path.join(out, "early_stopping.png"))
    remedies = {}
    accs = {"no remedy": base_acc, "early stopping": stopped_acc}
    for name, kwargs in (("dropout 0.5", {"dropout": 0.5}),
                         ("weight decay 0.5", {"weight_decay": 0.5}),
                         ("augmentation", {"augment": True})):
        remedies[name], accs[name] = run(data, epochs, args.seed, **kwargs)
    plot_remedies(plt, base, remedies, os.path.join(out, "remedies.png"))

    lowest = min(base.history["val_loss"])
    print(f"no remedy: validation loss lowest {lowest:.3f} at epoch "
          f"{stopper.best_epoch + 1}, {base.history['val_loss'][-1]:.3f} at the end; "
          f"training loss at the end {base.history['loss'][-1]:.4f}")
    print(f"EarlyStopping stopped at epoch {stopper.stopped_epoch + 1} and kept epoch "
          f"{stopper.best_epoch + 1}'s weights")
    for name, history in remedies.items():
        print(f"{name}: validation loss at the end {history.history['val_loss'][-1]:.3f} "
              f"(no remedy {base.history['val_loss'][-1]:.3f})")
    for name, acc in accs.items():
        print(f"test accuracy, {name}: {acc:.2%}")
    print(f"plots: {os.path.join(out, 'early_stopping.png')}, {os.path.join(out, 'remedies.png')}")
    _common.report("stopped_epoch", stopper.stopped_epoch + 1)
    _common.report("best_epoch", stopper.best_epoch + 1)
    for name, acc in accs.items():
        _common.report("test_accuracy_" + name.split()[0], acc)
    for name, history in remedies.items():
        _common.report("final_val_loss_" + name.split()[0], history.history["val_loss"][-1])
    _common.report("final_val_loss_none", base.history["val_loss"][-1])


if __name__ == "__main__":
    main()
