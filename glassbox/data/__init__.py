"""Data: datasets, batching and augmentation.

    from glassbox.data import TensorDataset, DataLoader, random_split, transforms, datasets
    split = datasets.mnist5k()
    train = TensorDataset(gb.from_numpy(split.x_train), gb.from_numpy(split.y_train))
    loader = DataLoader(train, batch_size=64, shuffle=True,
                        transform=transforms.RandomCrop(28, padding=2))
"""

from glassbox.data import datasets, transforms
from glassbox.data.dataloader import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    Sampler,
    SequentialSampler,
    default_collate,
)
from glassbox.data.dataset import (
    ConcatDataset,
    Dataset,
    Subset,
    TensorDataset,
    random_split,
)

__all__ = [
    "BatchSampler",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "TensorDataset",
    "datasets",
    "default_collate",
    "random_split",
    "transforms",
]
