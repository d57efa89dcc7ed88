"""`make demo`: train the W2 CNN on MNIST-5k, print its test accuracy, save weights and a plot.

The network (two convolutions with ReLU and max-pooling, then two linear layers) learns from
4,000 real MNIST digits for 5 epochs with Adam, showing the Trainer's progress bar; then:

- prints the accuracy on the 1,000 held-out digits,
- saves the weights as safetensors (load them back with `model.load_state_dict(gb.load(path))`),
- saves the training curves (loss and accuracy, training vs held-out) as a PNG.

    python examples/demo.py [--out runs/demo] [--epochs 5] [--seed 0] [--fast]

Needs the datasets, plot and progress extras: pip install -e '.[datasets,plot,progress]'.
For the same kind of network written out by hand, without Module or Trainer, see
examples/digits_mlp.py.
"""

from __future__ import annotations

import os
import time

import _common
from mnist5k_cnn import W2_EPOCHS, train_w2, w2_model

import glassbox as gb
from glassbox.data import datasets


def plot_history(plt, history, path):
    """Loss and accuracy per epoch, training vs held-out, side by side."""
    epochs = [e + 1 for e in history.epoch]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, label in ((left, "loss", "cross-entropy"), (right, "accuracy", "accuracy")):
        ax.plot(epochs, history.history[key], "o-", label="training")
        ax.plot(epochs, history.history["val_" + key], "o-", label="held-out test")
        ax.set(xlabel="epoch", ylabel=label)
        ax.legend()
    fig.suptitle("W2 CNN on MNIST-5k (glassbox)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    p = _common.parser(__doc__)
    p.add_argument("--out", default="runs/demo", help="folder for the weights and the plot")
    p.add_argument("--epochs", type=int, default=W2_EPOCHS, help=f"epochs (default {W2_EPOCHS})")
    args = p.parse_args()
    plt = _common.pyplot()  # fail before training if matplotlib is missing
    out = _common.out_dir(args.out)

    data, epochs = datasets.mnist5k(), args.epochs
    if args.fast:
        data, epochs = _common.shrink(data, 640, 500), 2
    print(f"Training the W2 CNN on {len(data.y_train)} MNIST digits for {epochs} epochs "
          f"(held-out: {len(data.y_test)})")
    start = time.perf_counter()
    model, history = train_w2(data, epochs, args.seed, verbose=1)  # verbose=1: progress bar
    seconds = time.perf_counter() - start
    acc = _common.accuracy(model, data.x_test, data.y_test)

    weights = os.path.join(out, "mnist5k_cnn.safetensors")
    gb.save(model.state_dict(), weights, metadata={"recipe": "W2", "test_accuracy": f"{acc:.4f}"})
    reloaded = w2_model()
    reloaded.load_state_dict(gb.load(weights))  # the file holds the whole trained model
    if _common.accuracy(reloaded, data.x_test, data.y_test) != acc:
        raise RuntimeError(f"{weights}: the reloaded model does not give the same accuracy")
    curves = os.path.join(out, "training_curves.png")
    plot_history(plt, history, curves)

    print(f"test accuracy: {acc:.2%} on {len(data.y_test)} held-out digits "
          f"(trained in {seconds:.1f} s)")
    print(f"saved the model to {weights} and the training curves to {curves}")
    _common.report("test_accuracy", acc)
    _common.report("train_seconds", seconds)


if __name__ == "__main__":
    main()
