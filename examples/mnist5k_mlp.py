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

import _mnist5k

from glassbox import nn

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


def train_w1(data, epochs: int, seed: int, verbose: int = 2, callbacks=()):
    """Train the W1 recipe; returns (model, History)."""
    return _mnist5k.train_benchmark(w1_model, data, epochs, seed, verbose, callbacks)


def train_tuned(data, epochs: int, seed: int, verbose: int = 2):
    """Train the tuned recipe; returns (model, History)."""
    return _mnist5k.train_tuned(tuned_model, data, epochs, seed, lr=3e-3, verbose=verbose)


def main():
    _mnist5k.main(__doc__, "MLP", "W1", W1_EPOCHS, TUNED_EPOCHS, train_w1, train_tuned,
                  fast_train=1000)


if __name__ == "__main__":
    main()
