"""Data: bundled datasets (more to come: Dataset, DataLoader, transforms)."""

from glassbox.data import datasets  # noqa: F401
