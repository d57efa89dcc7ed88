"""Datasets: things that can be indexed and measured, and ways to split and join them.

A `Dataset` maps an integer index to one example (usually a tuple such as `(image, label)`).
`TensorDataset` wraps whole tensors whose first dimension counts the examples; it also offers
`get_batch(indices)`, the fast path the `DataLoader` uses: one fancy-index per tensor per batch
instead of one `__getitem__` per example followed by a stack. Any dataset may define
`get_batch`; the DataLoader looks through (nested) `Subset`s for it, so a train/validation
split made by `random_split` loads as fast as the whole TensorDataset.
"""

from __future__ import annotations

import bisect
import itertools
import math
import numbers
import warnings
from collections.abc import Sequence

import numpy as np

from glassbox import backend
from glassbox.tensor import Tensor, as_tensor


class Dataset:
    """Abstract map-style dataset: subclasses define `__getitem__(index)` and `__len__()`.

    `dataset_a + dataset_b` gives a `ConcatDataset`, as in PyTorch.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return i * i
        >>> [Squares()[i] for i in range(len(Squares()))]
        [0, 1, 4, 9]
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index)")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__()")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """A dataset of tensors that share their first dimension; example i is `(t[i] for t ...)`.

    NumPy arrays are accepted and wrapped without a copy (their dtype is kept).

    Args:
        *tensors: Tensors (or ndarrays) with the same size of dimension 0.

    Shape:
        tensors[k]: (N, *S_k) -> example: a tuple of one (*S_k) Tensor per input tensor.

    Example:
        >>> import glassbox as gb
        >>> ds = TensorDataset(gb.zeros(5, 3), gb.arange(5))
        >>> len(ds), ds[2][0].shape, ds[2][1].item()
        (5, (3,), 2)
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor, got none")
        converted = []
        for k, t in enumerate(tensors):
            if not isinstance(t, (Tensor, np.ndarray)):
                raise TypeError(
                    f"TensorDataset: argument {k} must be a Tensor or np.ndarray, "
                    f"got {type(t).__name__}"
                )
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: argument {k} is 0-d; it needs a first dimension")
            converted.append(as_tensor(t))
        sizes = [t.shape[0] for t in converted]
        if len(set(sizes)) != 1:
            raise ValueError(
                f"TensorDataset: size mismatch between tensors: first dimensions are {sizes}; "
                "every tensor must hold the same number of examples"
            )
        self.tensors = tuple(converted)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def get_batch(self, indices: np.ndarray) -> list:
        """A whole collated batch: each tensor indexed once with the index array.

        Gives exactly what `default_collate([self[i] for i in indices])` gives, in one
        fancy-index per tensor.

        Args:
            indices: 1-D integer array of example indices.

        Shape:
            indices: (B,) -> a list with one (B, *S_k) Tensor per tensor.
        """
        return [Tensor._wrap(t._data[indices]) for t in self.tensors]


class Subset(Dataset):
    """The examples of `dataset` at `indices`, in that order.

    Args:
        dataset: the dataset to take examples from.
        indices: a sequence of integer indices into `dataset`.

    Example:
        >>> import glassbox as gb
        >>> sub = Subset(TensorDataset(gb.arange(10)), [7, 2])
        >>> len(sub), sub[0][0].item()
        (2, 7)
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, (list, np.ndarray)):
            return [self.dataset[self.indices[i]] for i in index]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after another.

    Args:
        datasets: the datasets to join; none may be empty of `__len__`.

    Example:
        >>> import glassbox as gb
        >>> cat = ConcatDataset([TensorDataset(gb.arange(3)), TensorDataset(gb.arange(10, 12))])
        >>> len(cat), cat[3][0].item()
        (5, 10)
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: expected at least one dataset, got none")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        n = len(self)
        if index < 0:
            if -index > n:
                raise IndexError(f"ConcatDataset: index {index} out of range for length {n}")
            index += n
        if index >= n:
            raise IndexError(f"ConcatDataset: index {index} out of range for length {n}")
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


def resolve_generator(generator) -> np.random.Generator:
    """A NumPy Generator from `generator`: a Generator, an int seed, or None (glassbox's own).

    None means glassbox's default generator, so `gb.manual_seed` makes the result reproducible.
    """
    if generator is None:
        return backend.default_generator()
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (numbers.Integral, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(
        f"generator must be a numpy.random.Generator, an int seed or None, "
        f"got {type(generator).__name__}"
    )


def _split_lengths(lengths, n: int) -> list[int]:
    """Turn `lengths` (ints, or fractions summing to 1) into ints summing to n (torch's rule)."""
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths is empty")
    is_fraction = all(isinstance(x, float) for x in lengths)
    total = sum(lengths)
    if is_fraction and math.isclose(total, 1.0) and total <= 1.0 + 1e-9:
        for x in lengths:
            if not 0.0 <= x <= 1.0:
                raise ValueError(f"random_split: fraction {x} is not between 0 and 1")
        sizes = [math.floor(n * frac) for frac in lengths]
        # Hand out the remainder one by one, round-robin from the first split (as PyTorch).
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"random_split: length of split at index {i} is 0", stacklevel=3)
        return sizes
    for x in lengths:
        if not isinstance(x, (numbers.Integral, np.integer)) or isinstance(x, bool) or x < 0:
            raise ValueError(
                f"random_split: lengths must be non-negative ints or fractions summing to 1, "
                f"got {lengths}"
            )
    if total != n:
        raise ValueError(
            f"random_split: sum of input lengths ({total}) does not equal the length of the "
            f"input dataset ({n})"
        )
    return [int(x) for x in lengths]


def random_split(dataset: Dataset, lengths, generator=None) -> list[Subset]:
    """Split `dataset` at random into non-overlapping `Subset`s of the given lengths.

    One permutation of all indices is drawn and cut into consecutive pieces. Fractions are
    turned into counts as PyTorch does: floor(n * f) each, then the remainder is handed out one
    at a time starting from the first split.

    Args:
        dataset: the dataset to split.
        lengths: ints summing to len(dataset), or floats summing to 1.
        generator: a NumPy Generator, an int seed, or None for glassbox's default generator
            (seeded by `gb.manual_seed`).

    Example:
        >>> import glassbox as gb
        >>> train, val = random_split(TensorDataset(gb.arange(10)), [0.8, 0.2], generator=0)
        >>> len(train), len(val)
        (8, 2)
    """
    sizes = _split_lengths(lengths, len(dataset))
    order = resolve_generator(generator).permutation(sum(sizes))
    offsets = np.cumsum([0] + sizes)
    return [
        Subset(dataset, order[start:stop].tolist())
        for start, stop in itertools.pairwise(offsets)
    ]
