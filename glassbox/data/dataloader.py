"""The DataLoader: batches from a Dataset, in a seeded order that a checkpoint can resume.

Reproducibility and checkpoints. A loader owns one integer `seed` (drawn from glassbox's
default generator when none is given, so `gb.manual_seed` fixes it). Epoch e's order is a pure
function of (seed, e): the permutation comes from `np.random.default_rng([seed, 0, e])`, and
the augmentation of batch b in epoch e from `np.random.default_rng([seed, 1, e, b])`. On top
of that, `state_dict()` records the seed, the epoch in progress and how many of its batches
were already handed out; `load_state_dict()` makes the next `iter(loader)` continue with
exactly the batches a run that never stopped would have seen next (same indices, same
augmentation), and the epochs after it too.

Fast path. For a `TensorDataset` (or `Subset`s of one, as `random_split` makes), with the
default collate, a batch is made by indexing each whole tensor once with the batch's index
array instead of calling `__getitem__` per example and stacking. Any dataset that defines
`get_batch(indices)` returning an already-collated batch gets the same treatment. The two
paths give identical batches (tests/data check it).

Loading runs in the main process: `num_workers` and `pin_memory` are accepted so PyTorch code
ports unchanged, and have no effect.
"""

from __future__ import annotations

import collections.abc
import itertools
import numbers

import numpy as np

from glassbox import backend
from glassbox.data.dataset import Subset
from glassbox.data.transforms import Transform
from glassbox.tensor import Tensor

_SHUFFLE, _AUGMENT = 0, 1  # stream tags, so shuffling and augmentation never share numbers


def _draw_seed(generator) -> int:
    """An int seed from `generator`: an int is used as is; a Generator (or None: glassbox's
    default generator) gives one draw."""
    if generator is None:
        return int(backend.default_generator().integers(2**63))
    if isinstance(generator, np.random.Generator):
        return int(generator.integers(2**63))
    if isinstance(generator, (numbers.Integral, np.integer)) and not isinstance(generator, bool):
        if generator < 0:
            raise ValueError(f"generator: an int seed must be non-negative, got {generator}")
        return int(generator)
    raise TypeError(
        "generator must be a numpy.random.Generator, a non-negative int seed or None, "
        f"got {type(generator).__name__}"
    )


# ---------------------------------------------------------------------------------------------
# Samplers: which example indices, in which order.
class Sampler:
    """Base class of samplers: `__iter__` yields dataset indices, `__len__` counts them."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class SequentialSampler(Sampler):
    """Indices 0, 1, ..., len(data_source) - 1, in order.

    Args:
        data_source: the dataset (only its length is used).

    Example:
        >>> list(SequentialSampler(range(3)))
        [0, 1, 2]
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def __len__(self) -> int:
        return len(self.data_source)

    def indices(self) -> np.ndarray:
        """This epoch's indices as one int64 array."""
        return np.arange(len(self.data_source), dtype=np.int64)

    def __iter__(self):
        return iter(range(len(self.data_source)))


class RandomSampler(Sampler):
    """A random order of the indices, new each epoch, fixed by (seed, epoch).

    Each `iter()` uses the current epoch's order and then moves on to the next epoch; the
    DataLoader sets the epoch itself with `set_epoch`.

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw with replacement (then `num_samples` draws).
        num_samples: how many indices per epoch (default len(data_source)); without replacement
            and larger than the dataset, whole permutations are concatenated (as PyTorch).
        generator: an int seed, a NumPy Generator (one seed is drawn from it now) or None
            (one seed is drawn from glassbox's default generator, set by `gb.manual_seed`).

    Example:
        >>> s = RandomSampler(range(5), generator=0)
        >>> sorted(s) == [0, 1, 2, 3, 4], list(s) != list(s)
        (True, True)
    """

    def __init__(self, data_source, replacement: bool = False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement must be a bool, got {replacement!r}")
        if num_samples is not None and (
            not isinstance(num_samples, (numbers.Integral, np.integer)) or num_samples <= 0
        ):
            raise ValueError(
                f"RandomSampler: num_samples must be a positive int, got {num_samples!r}"
            )
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.seed = _draw_seed(generator)
        self.epoch = 0

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else int(self._num_samples)

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration use epoch `epoch`'s order."""
        self.epoch = int(epoch)

    def indices(self) -> np.ndarray:
        """The current epoch's indices as one int64 array (does not advance the epoch)."""
        n, k = len(self.data_source), self.num_samples
        rng = np.random.default_rng([self.seed, _SHUFFLE, self.epoch])
        if self.replacement:
            return rng.integers(0, n, size=k, dtype=np.int64)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        reps = -(-k // n)  # whole permutations needed to cover k
        return np.concatenate([rng.permutation(n) for _ in range(reps)])[:k].astype(np.int64)

    def __iter__(self):
        order = self.indices()
        self.epoch += 1
        return iter(order.tolist())

    def state_dict(self) -> dict:
        return {"seed": self.seed, "epoch": self.epoch}

    def load_state_dict(self, state: dict) -> None:
        self.seed, self.epoch = int(state["seed"]), int(state["epoch"])


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of `batch_size`.

    Args:
        sampler: any iterable of indices.
        batch_size: indices per batch (positive int).
        drop_last: drop the last batch when it is smaller than `batch_size`.

    Example:
        >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
        [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        _check_batch_size(batch_size, "BatchSampler")
        if not isinstance(drop_last, bool):
            raise TypeError(f"BatchSampler: drop_last must be a bool, got {drop_last!r}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self):
        it = iter(self.sampler)
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


def _check_batch_size(batch_size, where: str) -> None:
    if (
        not isinstance(batch_size, (numbers.Integral, np.integer))
        or isinstance(batch_size, bool)
        or batch_size <= 0
    ):
        raise ValueError(f"{where}: batch_size must be a positive int, got {batch_size!r}")


# ---------------------------------------------------------------------------------------------
# Collation: a list of examples -> one batch.
def default_collate(batch):
    """Stack a list of examples into one batch of Tensors, recursing into tuples and dicts.

    - Tensors are stacked along a new first dimension; their dtype is kept.
    - NumPy arrays and scalars are stacked; floating ones become the default float dtype
      (float32), integer scalars int64, other arrays keep their dtype. (PyTorch keeps float64:
      here a float64 array from NumPy or scikit-learn would silently run the model in float64.)
    - Python ints become int64, Python floats float32 (PyTorch: float64), bools bool.
    - dicts collate per key; tuples and lists per position (returning a list, as PyTorch;
      a namedtuple keeps its type); strings stay a list.

    Args:
        batch: a non-empty list of examples with the same structure.

    Shape:
        B examples of shape S -> (B, *S).

    Example:
        >>> out = default_collate([(1.5, 0), (2.5, 1)])
        >>> out[0].dtype, out[1].dtype, out[1].tolist()
        (dtype('float32'), dtype('int64'), [0, 1])
    """
    if not isinstance(batch, collections.abc.Sequence) or len(batch) == 0:
        raise ValueError("default_collate: expected a non-empty list of examples")
    elem = batch[0]
    if isinstance(elem, Tensor):
        _check_same_shapes([e.shape for e in batch], "Tensor")
        return Tensor._wrap(np.stack([e._data for e in batch]))
    if isinstance(elem, (np.ndarray, np.generic)) and not isinstance(elem, (np.str_, np.bytes_)):
        arrays = [np.asarray(e) for e in batch]
        _check_same_shapes([a.shape for a in arrays], "ndarray")
        out = np.stack(arrays)
        if out.dtype.kind == "f":
            out = out.astype(backend.get_default_dtype(), copy=False)
        elif out.dtype.kind in "iu" and isinstance(elem, np.generic):
            out = out.astype(np.int64, copy=False)
        return Tensor._wrap(out)
    if isinstance(elem, bool):
        return Tensor._wrap(np.array(batch, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return Tensor._wrap(np.array(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return Tensor._wrap(np.array(batch, dtype=backend.get_default_dtype()))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(collated)  # keep OrderedDict & co.
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(e) != len(elem) for e in batch):
            raise ValueError(
                "default_collate: each element in the batch should be of equal size, got "
                f"lengths {sorted({len(e) for e in batch})}"
            )
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(
        "default_collate: examples must be Tensors, NumPy arrays, numbers, strings, dicts, "
        f"tuples or lists; got {type(elem).__name__}"
    )


def _check_same_shapes(shapes: list, what: str) -> None:
    if any(s != shapes[0] for s in shapes):
        raise ValueError(
            f"default_collate: cannot stack {what} examples of different shapes "
            f"{sorted(set(shapes))}; pad them or pass a collate_fn"
        )


def _check_loader_args(dataset, batch_size, shuffle, sampler, batch_sampler, num_workers,
                       collate_fn, drop_last, transform) -> None:
    """Validate DataLoader arguments, naming the bad one (PyTorch's messages where it has one)."""
    if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
        raise TypeError(
            "DataLoader: dataset must define __getitem__ and __len__ (map-style), "
            f"got {type(dataset).__name__}"
        )
    if not isinstance(shuffle, (bool, type(None))):
        raise TypeError(f"DataLoader: shuffle must be a bool, got {shuffle!r}")
    if not isinstance(drop_last, bool):
        raise TypeError(f"DataLoader: drop_last must be a bool, got {drop_last!r}")
    if sampler is not None and shuffle:
        raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
    if batch_sampler is not None:
        if batch_size != 1 or shuffle or sampler is not None or drop_last:
            raise ValueError(
                "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                "shuffle, sampler, and drop_last"
            )
    else:
        _check_batch_size(batch_size, "DataLoader")
    if collate_fn is not None and not callable(collate_fn):
        raise TypeError(f"DataLoader: collate_fn must be callable, got {collate_fn!r}")
    if transform is not None and not callable(transform):
        raise TypeError(f"DataLoader: transform must be callable, got {transform!r}")
    if not isinstance(num_workers, numbers.Integral) or num_workers < 0:
        raise ValueError(
            f"DataLoader: num_workers must be a non-negative int, got {num_workers!r}"
        )


# ---------------------------------------------------------------------------------------------
class DataLoader:
    """Iterate over a dataset in batches: shuffled or not, seeded, resumable, optionally augmented.

    Args:
        dataset: a map-style dataset (`__getitem__` and `__len__`).
        batch_size: examples per batch (default 1).
        shuffle: a new random order every epoch (mutually exclusive with `sampler`).
        sampler: a custom order (iterable of indices with `__len__`).
        batch_sampler: yields whole lists of indices; excludes batch_size, shuffle, sampler and
            drop_last.
        num_workers: accepted for PyTorch compatibility; loading stays in this process.
        collate_fn: turns a list of examples into a batch (default `default_collate`).
        pin_memory: accepted for PyTorch compatibility; no effect.
        drop_last: drop the last, smaller batch.
        generator: an int seed, a NumPy Generator (one seed is drawn from it), or None (one seed
            drawn from glassbox's default generator, so `gb.manual_seed` fixes the order).
        transform: applied to each collated batch's inputs -- the batch itself when it is a
            Tensor, else its first element (`x` of `(x, y)`). A `glassbox.data.transforms`
            transform gets the batch's own generator (seeded by seed, epoch, batch index), so
            augmentation is reproducible and resumes exactly; a plain callable gets only x.

    Shape:
        A TensorDataset of (N, *S_k) tensors gives lists of (batch_size, *S_k) Tensors.

    Example:
        >>> import glassbox as gb
        >>> from glassbox.data import TensorDataset
        >>> ds = TensorDataset(gb.arange(10).float(), gb.arange(10))
        >>> loader = DataLoader(ds, batch_size=4, shuffle=True, generator=0)
        >>> len(loader), [y.shape for x, y in loader]
        (3, [(4,), (4,), (2,)])
    """

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle: bool = False,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn=None,
        pin_memory: bool = False,
        drop_last: bool = False,
        generator=None,
        *,
        transform=None,
    ):
        _check_loader_args(dataset, batch_size, shuffle, sampler, batch_sampler, num_workers,
                           collate_fn, drop_last, transform)
        if batch_sampler is not None:
            batch_size = None

        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.drop_last = drop_last
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self.transform = transform
        self.seed = _draw_seed(generator)
        self._own_sampler = sampler is None and bool(shuffle)  # a RandomSampler we make
        if sampler is None:
            sampler = (
                RandomSampler(dataset, generator=self.seed) if shuffle
                else SequentialSampler(dataset)
            )
        self.sampler = sampler
        self.batch_sampler = (
            BatchSampler(sampler, self.batch_size, drop_last) if batch_sampler is None
            else batch_sampler
        )
        self._custom_batch_sampler = batch_sampler is not None
        self._epoch = 0  # the epoch the next iter() starts
        self._skip = 0  # batches of that epoch already handed out (set by load_state_dict)
        self._active = None  # [epoch, batches yielded] of the latest iteration

    def __len__(self) -> int:
        return len(self.batch_sampler)

    # --- checkpointing ------------------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        """Make the next `iter(loader)` start epoch `epoch` from its first batch."""
        if not isinstance(epoch, numbers.Integral) or epoch < 0:
            raise ValueError(
                f"DataLoader.set_epoch: epoch must be a non-negative int, got {epoch!r}"
            )
        self._epoch, self._skip, self._active = int(epoch), 0, None

    def state_dict(self) -> dict:
        """Where the loader stands: {'seed', 'epoch', 'batches_yielded'} (+ 'sampler' if any).

        'epoch' is the epoch in progress (or the next one when none is) and 'batches_yielded'
        how many of its batches were handed out; all plain ints, so JSON can hold them.
        """
        if self._active is not None:
            epoch, done = self._active
            if done >= len(self):  # the epoch is finished: point at the next one
                epoch, done = epoch + 1, 0
        else:
            epoch, done = self._epoch, self._skip
        state = {"seed": self.seed, "epoch": epoch, "batches_yielded": done}
        if not self._own_sampler and hasattr(self.sampler, "state_dict"):
            state["sampler"] = self.sampler.state_dict()
        return state

    def load_state_dict(self, state: dict) -> None:
        """Continue from `state_dict()`: the next iteration yields the batches still due."""
        missing = {"seed", "epoch", "batches_yielded"} - set(state)
        if missing:
            raise KeyError(f"DataLoader.load_state_dict: state is missing {sorted(missing)}")
        self.seed = int(state["seed"])
        if self._own_sampler:
            self.sampler.seed = self.seed
        elif "sampler" in state and hasattr(self.sampler, "load_state_dict"):
            self.sampler.load_state_dict(state["sampler"])
        self._epoch, self._skip = int(state["epoch"]), int(state["batches_yielded"])
        self._active = None

    # --- iteration ----------------------------------------------------------------------------
    def __iter__(self):
        epoch, skip = self._epoch, self._skip
        self._epoch, self._skip = epoch + 1, 0
        self._active = [epoch, skip]
        return self._iterate(epoch, skip, self._active)

    def _iterate(self, epoch: int, skip: int, progress: list):
        if hasattr(self.sampler, "set_epoch"):
            self.sampler.set_epoch(epoch)
        fetch = self._fast_fetch()
        for b, indices in enumerate(self._index_batches(skip), start=skip):
            if fetch is not None:
                batch = fetch(indices)
            else:
                batch = self.collate_fn([self.dataset[i] for i in indices.tolist()])
            if self.transform is not None:
                batch = self._apply_transform(batch, epoch, b)
            progress[1] = b + 1
            yield batch

    def _index_batches(self, skip: int):
        """The epoch's batches of indices (int64 arrays), after skipping `skip` batches."""
        if not self._custom_batch_sampler and isinstance(
            self.sampler, (SequentialSampler, RandomSampler)
        ):
            # Our own samplers hand over the whole order at once: slice it, no Python loop
            # over single indices.
            order = self.sampler.indices()
            if isinstance(self.sampler, RandomSampler):
                self.sampler.epoch += 1  # as iterating it would
            bs = self.batch_size
            stop = len(order) - len(order) % bs if self.drop_last else len(order)
            for start in range(skip * bs, stop, bs):
                yield order[start:start + bs]
            return
        for batch in itertools.islice(iter(self.batch_sampler), skip, None):
            yield np.asarray(batch, dtype=np.int64)

    def _fast_fetch(self):
        """indices -> collated batch via `get_batch` of the dataset under any Subsets, or None."""
        if self.collate_fn is not default_collate:
            return None
        dataset, mapping = self.dataset, None
        while isinstance(dataset, Subset):
            index = np.asarray(dataset.indices, dtype=np.int64)
            mapping = index if mapping is None else index[mapping]  # outer -> inner indices
            dataset = dataset.dataset
        get_batch = getattr(dataset, "get_batch", None)
        if get_batch is None:
            return None
        if mapping is None:
            return get_batch
        return lambda indices: get_batch(mapping[indices])

    def _apply_transform(self, batch, epoch: int, b: int):
        if isinstance(self.transform, Transform):
            rng = np.random.default_rng([self.seed, _AUGMENT, epoch, b])

            def call(x):
                return self.transform(x, generator=rng)
        else:
            call = self.transform
        if isinstance(batch, (Tensor, np.ndarray)):
            return call(batch)
        if isinstance(batch, (list, tuple)) and len(batch) > 0:
            out = [call(batch[0]), *batch[1:]]
            if isinstance(batch, tuple):
                return type(batch)(*out) if hasattr(batch, "_fields") else tuple(out)
            return out
        raise TypeError(
            "DataLoader: transform applies to a Tensor batch or to the first element of a "
            f"tuple/list batch; got a {type(batch).__name__} batch. Apply it in collate_fn."
        )


__all__ = [
    "BatchSampler",
    "DataLoader",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "default_collate",
]
