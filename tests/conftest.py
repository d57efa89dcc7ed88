"""Shared test set-up: deterministic seeds and the torch oracle pinned to 2 threads."""

import numpy as np
import pytest

import glassbox as gb


@pytest.fixture(autouse=True)
def _seed():
    gb.manual_seed(0)
    np.random.seed(0)


def pytest_configure(config):
    try:
        import torch

        torch.set_num_threads(2)
    except ImportError:  # pragma: no cover - torch is a dev dependency
        pass
