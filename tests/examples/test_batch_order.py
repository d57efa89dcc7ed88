"""The MNIST-1D examples' batch order: in order and cycling, as the paper's train.py."""

import importlib.util
from pathlib import Path

import numpy as np

# loaded from its file, so that examples/ stays off this process's sys.path
_spec = importlib.util.spec_from_file_location(
    "examples_common", Path(__file__).resolve().parents[2] / "examples" / "_common.py")
_common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_common)
batch_indices = _common.batch_indices


def test_sequential_batches_cycle_through_the_set_like_the_paper():
    n, batch = 250, 100
    # the paper: bix = (step * batch) % n; x[bix:bix + batch] (the last batch may be short)
    for step in range(12):
        start = (step * batch) % n
        expected = np.arange(n)[start:start + batch]
        np.testing.assert_array_equal(batch_indices(step, n, batch, "sequential", None), expected)


def test_random_batches_come_from_the_generator():
    a = batch_indices(0, 50, 20, "random", np.random.default_rng(3))
    b = np.random.default_rng(3).integers(0, 50, size=20)
    np.testing.assert_array_equal(a, b)
