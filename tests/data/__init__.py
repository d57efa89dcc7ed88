"""Tests of glassbox.data: datasets, the DataLoader, transforms and dataset loaders."""
