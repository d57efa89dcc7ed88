"""Fixtures shared by the train/ tests."""

import pytest

import glassbox as gb
import glassbox.data


@pytest.fixture(scope="module")
def digits():
    """sklearn's 8x8 digits (1797 images, 64 features, 10 classes), split train/test."""
    return gb.data.datasets.digits()
