"""Bits every example shares: the --fast / --seed flags and the `final name: value` lines.

Each example ends by printing its figures as `final <name>: <value>` lines, one per figure, so
a reader sees them at a glance and tests/examples/test_examples.py can parse them.
"""

from __future__ import annotations

import argparse
import os

import numpy as np


def parser(doc: str) -> argparse.ArgumentParser:
    """An ArgumentParser described by the first line of `doc`, with --fast and --seed."""
    p = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    p.add_argument("--fast", action="store_true",
                   help="a few seconds' run on a slice of the data, for tests (figures are rough)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    return p


def report(name: str, value: float) -> None:
    """Print one figure as `final <name>: <value>`."""
    print(f"final {name}: {value:.4f}", flush=True)


def shrink(split, n_train: int, n_test: int):
    """The first n_train training and n_test test examples of a datasets.Split (for --fast)."""
    return type(split)(split.x_train[:n_train], split.y_train[:n_train],
                       split.x_test[:n_test], split.y_test[:n_test])


def accuracy(model, x, y, batch_size: int = 500) -> float:
    """Share of `x` that `model` (in eval mode, no gradients) puts in the right class."""
    import glassbox as gb

    was_training = model.training
    model.eval()
    correct = 0
    with gb.no_grad():
        for i in range(0, len(y), batch_size):
            logits = model(gb.tensor(x[i:i + batch_size])).numpy()
            correct += int((logits.argmax(axis=1) == y[i:i + batch_size]).sum())
    model.train(was_training)
    return correct / len(y)


def pyplot():
    """matplotlib.pyplot with a file-only backend, or an ImportError naming the extra."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError(
            "plots need matplotlib: pip install 'glassbox[plot]'  (plot = ['matplotlib>=3.7'])"
        ) from None
    matplotlib.use("Agg")  # write files; never open a window
    import matplotlib.pyplot as plt

    return plt


def out_dir(path: str) -> str:
    os.makedirs(path, exist_ok=True)
    return path


def mean_std(values) -> str:
    values = np.asarray(values, dtype=np.float64)
    return f"{values.mean():.2%} +- {values.std():.2%}" if len(values) > 1 else f"{values[0]:.2%}"


def batch_indices(step: int, n: int, batch: int, batches: str, rng) -> np.ndarray:
    """The training examples of step `step`: in order, cycling through the set (as MNIST-1D's
    own train.py does), or drawn at random from `rng`."""
    if batches == "sequential":
        start = (step * batch) % n
        return np.arange(start, min(start + batch, n))
    return rng.integers(0, n, size=batch)
