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

import _mnist5k

from glassbox import nn

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


def train_w2(data, epochs: int, seed: int, verbose: int = 2, callbacks=()):
    """Train the W2 recipe; returns (model, History)."""
    return _mnist5k.train_benchmark(w2_model, data, epochs, seed, verbose, callbacks)


def train_tuned(data, epochs: int, seed: int, verbose: int = 2):
    """Train the tuned recipe; returns (model, History)."""
    return _mnist5k.train_tuned(tuned_model, data, epochs, seed, lr=5e-3, verbose=verbose)


def main():
    _mnist5k.main(__doc__, "CNN", "W2", W2_EPOCHS, TUNED_EPOCHS, train_w2, train_tuned,
                  fast_train=640)


if __name__ == "__main__":
    main()
