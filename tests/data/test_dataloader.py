"""DataLoader: batching, shuffling, collation, samplers, the fast path and checkpointing."""

import collections
import json

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import glassbox as gb
from glassbox.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
    transforms,
)


def _ds(n=10):
    x = gb.from_numpy(np.arange(n * 6, dtype=np.float32).reshape(n, 2, 3))
    return TensorDataset(x, gb.arange(n))


def _labels(loader):
    return [y.tolist() for _, y in loader]


def _slow(loader_kwargs, ds):
    """The per-example path: a collate_fn that is not default_collate itself."""
    return DataLoader(ds, collate_fn=lambda b: default_collate(b), **loader_kwargs)


class ListDataset(Dataset):
    """A dataset without get_batch: examples come one by one."""

    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


# --- batching -------------------------------------------------------------------------------
def test_sequential_batches():
    batches = list(DataLoader(_ds(10), batch_size=4))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    x, y = batches[0]
    assert x.shape == (4, 2, 3) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(x.numpy(), np.arange(24, dtype=np.float32).reshape(4, 2, 3))


def test_default_batch_size_is_one():
    loader = DataLoader(_ds(3))
    assert len(loader) == 3 and _labels(loader) == [[0], [1], [2]]


def test_drop_last():
    loader = DataLoader(_ds(10), batch_size=4, drop_last=True)
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    loader = DataLoader(_ds(10), batch_size=4, drop_last=True, shuffle=True, generator=0)
    assert [len(y) for y in _labels(loader)] == [4, 4]


@pytest.mark.parametrize("n", [0, 1, 9, 10, 11])
@pytest.mark.parametrize("bs", [1, 3, 10])
@pytest.mark.parametrize("drop_last", [False, True])
def test_len_matches_torch(n, bs, drop_last):
    ours = DataLoader(_ds(n) if n else ListDataset([]), batch_size=bs, drop_last=drop_last)
    theirs = tud.DataLoader(range(n), batch_size=bs, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert len(list(ours)) == len(ours)


# --- shuffling ------------------------------------------------------------------------------
def _order(loader):
    return [i for y in _labels(loader) for i in y]


def test_shuffle_same_seed_same_order():
    a = _order(DataLoader(_ds(50), batch_size=8, shuffle=True, generator=7))
    b = _order(DataLoader(_ds(50), batch_size=8, shuffle=True, generator=7))
    assert a == b and sorted(a) == list(range(50)) and a != list(range(50))


def test_shuffle_different_seed_different_order():
    a = _order(DataLoader(_ds(50), batch_size=8, shuffle=True, generator=7))
    b = _order(DataLoader(_ds(50), batch_size=8, shuffle=True, generator=8))
    assert a != b


def test_shuffle_follows_manual_seed_and_generators():
    gb.manual_seed(3)
    a = _order(DataLoader(_ds(50), batch_size=8, shuffle=True))
    gb.manual_seed(3)
    b = _order(DataLoader(_ds(50), batch_size=8, shuffle=True))
    gb.manual_seed(4)
    c = _order(DataLoader(_ds(50), batch_size=8, shuffle=True))
    assert a == b and a != c
    g1, g2 = np.random.default_rng(1), np.random.default_rng(1)
    assert _order(DataLoader(_ds(50), shuffle=True, generator=g1)) == _order(
        DataLoader(_ds(50), shuffle=True, generator=g2)
    )


def test_each_epoch_is_a_new_permutation():
    loader = DataLoader(_ds(40), batch_size=8, shuffle=True, generator=0)
    e0, e1 = _order(loader), _order(loader)
    assert e0 != e1 and sorted(e0) == sorted(e1) == list(range(40))
    loader.set_epoch(0)
    assert _order(loader) == e0


def test_no_shuffle_keeps_order():
    assert _order(DataLoader(_ds(20), batch_size=6)) == list(range(20))


# --- collation ------------------------------------------------------------------------------
def test_collate_tuples_numbers_and_arrays():
    items = [(np.full(3, i, dtype=np.float64), i, 0.5 * i, True) for i in range(4)]
    x, label, weight, flag = next(iter(DataLoader(ListDataset(items), batch_size=4)))
    assert x.shape == (4, 3) and x.dtype == np.float32  # float64 arrays become float32
    assert label.dtype == np.int64 and label.tolist() == [0, 1, 2, 3]
    assert weight.dtype == np.float32 and weight.tolist() == [0.0, 0.5, 1.0, 1.5]
    assert flag.dtype == np.bool_


def test_collate_dicts_and_namedtuples():
    Pair = collections.namedtuple("Pair", "image label")
    items = [{"pair": Pair(gb.ones(2) * i, i), "name": f"n{i}"} for i in range(3)]
    batch = default_collate(items)
    assert set(batch) == {"pair", "name"}
    assert isinstance(batch["pair"], Pair)
    assert batch["pair"].image.shape == (3, 2) and batch["pair"].label.tolist() == [0, 1, 2]
    assert batch["name"] == ["n0", "n1", "n2"]


def test_collate_keeps_tensor_and_integer_array_dtypes():
    out = default_collate([gb.zeros(2, dtype=gb.float64), gb.zeros(2, dtype=gb.float64)])
    assert out.dtype == np.float64
    out = default_collate([np.zeros(2, np.uint8), np.ones(2, np.uint8)])
    assert out.dtype == np.uint8
    assert default_collate([np.int32(1), np.int32(2)]).dtype == np.int64


def test_collate_errors():
    with pytest.raises(ValueError, match="different shapes"):
        default_collate([gb.zeros(2), gb.zeros(3)])
    with pytest.raises(ValueError, match="equal size"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(TypeError, match="object"):
        default_collate([object(), object()])


def test_custom_collate_fn_gets_list_of_examples():
    seen = []

    def collate(batch):
        seen.append(batch)
        return len(batch)

    out = list(DataLoader(_ds(5), batch_size=2, collate_fn=collate))
    assert out == [2, 2, 1]
    assert isinstance(seen[0], list) and isinstance(seen[0][0], tuple)
    assert seen[0][1][1].item() == 1


# --- samplers -------------------------------------------------------------------------------
def test_custom_sampler_order():
    loader = DataLoader(_ds(6), batch_size=4, sampler=[5, 3, 1, 0, 2])
    assert _labels(loader) == [[5, 3, 1, 0], [2]]
    assert len(loader) == 2


def test_batch_sampler_argument():
    loader = DataLoader(_ds(6), batch_sampler=[[0, 5], [1, 2, 3]])
    assert _labels(loader) == [[0, 5], [1, 2, 3]] and len(loader) == 2


def test_sampler_argument_errors():
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(_ds(4), sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler"):
        DataLoader(_ds(4), batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(_ds(4), batch_size=0)
    with pytest.raises(TypeError, match="map-style"):
        DataLoader(5)
    with pytest.raises(TypeError, match="generator"):
        DataLoader(_ds(4), generator="x")


def test_samplers_standalone():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    s = RandomSampler(range(10), generator=0)
    e0, e1 = list(s), list(s)
    assert sorted(e0) == list(range(10)) and e0 != e1
    s.set_epoch(0)
    assert list(s) == e0
    r = RandomSampler(range(3), replacement=True, num_samples=20, generator=0)
    assert len(list(r)) == 20 and set(r) <= {0, 1, 2}
    long = list(RandomSampler(range(4), num_samples=10, generator=0))
    assert sorted(long[:4]) == [0, 1, 2, 3] and len(long) == 10
    bs = BatchSampler(SequentialSampler(range(5)), 2, drop_last=True)
    assert list(bs) == [[0, 1], [2, 3]] and len(bs) == 2


def test_random_sampler_in_loader_is_reproducible():
    def run():
        sampler = RandomSampler(_ds(30), generator=2)
        return _order(DataLoader(_ds(30), batch_size=7, sampler=sampler))

    assert run() == run() and sorted(run()) == list(range(30))


# --- fast path ------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    {"batch_size": 4}, {"batch_size": 3, "shuffle": True, "generator": 1},
    {"batch_size": 4, "shuffle": True, "drop_last": True, "generator": 2}, {"batch_size": 64},
    {"batch_size": 2, "sampler": [4, 4, 0, 9]},
])
def test_fast_path_equals_per_example_path(kwargs):
    ds = _ds(10)
    fast, slow = list(DataLoader(ds, **kwargs)), list(_slow(kwargs, ds))
    assert len(fast) == len(slow) > 0
    for (fx, fy), (sx, sy) in zip(fast, slow):
        assert fx.dtype == sx.dtype and fy.dtype == sy.dtype
        np.testing.assert_array_equal(fx.numpy(), sx.numpy())
        np.testing.assert_array_equal(fy.numpy(), sy.numpy())


def test_fast_path_through_subsets():
    ds = _ds(30)
    train, _ = random_split(ds, [20, 10], generator=0)
    nested = Subset(train, list(range(19, -1, -2)))
    for dataset in (train, nested):
        kwargs = {"batch_size": 3, "shuffle": True, "generator": 5}
        fast, slow = list(DataLoader(dataset, **kwargs)), list(_slow(kwargs, dataset))
        assert [y.tolist() for _, y in fast] == [y.tolist() for _, y in slow]
        for (fx, _), (sx, _) in zip(fast, slow):
            np.testing.assert_array_equal(fx.numpy(), sx.numpy())


def test_fast_path_does_not_call_getitem(monkeypatch):
    def refuse(self, index):
        raise AssertionError("per-example __getitem__ called")

    monkeypatch.setattr(TensorDataset, "__getitem__", refuse)
    assert _order(DataLoader(_ds(10), batch_size=4, shuffle=True, generator=0)) != []
    with pytest.raises(AssertionError, match="per-example"):
        list(_slow({"batch_size": 4}, _ds(10)))


def test_batches_do_not_alias_the_dataset():
    ds = _ds(4)
    x, _ = next(iter(DataLoader(ds, batch_size=4)))
    x.numpy()[:] = -1
    assert ds.tensors[0].numpy().min() == 0


# --- checkpointing --------------------------------------------------------------------------
def _batches(loader, count):
    out, it = [], None
    while len(out) < count:
        if it is None:
            it = iter(loader)
        try:
            out.append(next(it))
        except StopIteration:
            it = None
    return out, it


def test_resume_mid_epoch_gives_the_same_batches():
    kwargs = {"batch_size": 4, "shuffle": True, "transform": transforms.GaussianNoise(0.1)}
    reference = DataLoader(_ds(10), generator=11, **kwargs)
    expected = [b for _ in range(4) for b in reference]  # 4 epochs of 3 batches

    first = DataLoader(_ds(10), generator=11, **kwargs)
    seen = []
    it = iter(first)
    for _ in range(3):
        seen.append(next(it))
    it = iter(first)  # epoch 1
    seen += [next(it), next(it)]
    state = json.loads(json.dumps(first.state_dict()))  # plain ints only
    assert state["epoch"] == 1 and state["batches_yielded"] == 2

    resumed = DataLoader(_ds(10), generator=999, **kwargs)  # seed comes from the state
    resumed.load_state_dict(state)
    seen += list(resumed) + list(resumed) + list(resumed)
    assert len(seen) == len(expected)
    for (ax, ay), (bx, by) in zip(seen, expected):
        np.testing.assert_array_equal(ay.numpy(), by.numpy())
        np.testing.assert_array_equal(ax.numpy(), bx.numpy())  # augmentation too


def test_state_after_a_finished_epoch_points_at_the_next():
    loader = DataLoader(_ds(10), batch_size=5, shuffle=True, generator=0)
    list(loader)
    assert loader.state_dict() == {"seed": 0, "epoch": 1, "batches_yielded": 0}
    it = iter(loader)
    next(it), next(it)  # both batches handed out, StopIteration not reached yet
    assert loader.state_dict()["epoch"] == 2


def test_load_state_dict_checks_keys():
    with pytest.raises(KeyError, match="batches_yielded"):
        DataLoader(_ds(4)).load_state_dict({"seed": 0, "epoch": 0})


def test_custom_sampler_state_is_saved():
    loader = DataLoader(_ds(10), batch_size=3, sampler=RandomSampler(range(10), generator=4))
    first = _order(loader)
    state = loader.state_dict()
    assert state["sampler"]["seed"] == 4
    other = DataLoader(_ds(10), batch_size=3, sampler=RandomSampler(range(10), generator=5))
    other.load_state_dict(state)
    loader.set_epoch(1)
    assert _order(other) == _order(loader) != first


# --- transforms in the loader ---------------------------------------------------------------
def test_transform_applies_to_inputs_only():
    loader = DataLoader(_ds(6), batch_size=3, transform=lambda x: x * 0 - 1)
    for x, y in loader:
        assert (x.numpy() == -1).all() and y.tolist() != [-1, -1, -1]


def test_transform_on_tensor_batches_and_reproducible():
    ramp = np.arange(4, dtype=np.float32) / 4  # left-right asymmetric, so a flip shows
    ds = ListDataset([np.broadcast_to(ramp + i, (1, 4, 4)).copy() for i in range(8)])
    flip = transforms.RandomHorizontalFlip(0.5)

    def run(seed):
        return np.concatenate(
            [b.numpy() for b in DataLoader(ds, batch_size=4, transform=flip, generator=seed)]
        )

    a, b, c = run(1), run(1), run(2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    flipped = a[:, 0, 0, 0] > a[:, 0, 0, -1]
    assert 0 < flipped.sum() < 8  # some images flipped, some not
    assert isinstance(next(iter(DataLoader(ds, batch_size=4, transform=flip))), gb.Tensor)


def test_augmentation_differs_between_epochs_and_batches():
    ds = ListDataset([np.zeros((1, 2, 2), np.float32)] * 8)
    loader = DataLoader(ds, batch_size=4, transform=transforms.GaussianNoise(1.0), generator=0)
    e0, e1 = [b.numpy() for b in loader], [b.numpy() for b in loader]
    assert not np.array_equal(e0[0], e1[0])  # same images, new epoch: new noise
    assert not np.array_equal(e0[0], e0[1])


def test_transform_on_dict_batch_is_refused():
    ds = ListDataset([{"x": np.zeros(2, np.float32)}] * 2)
    with pytest.raises(TypeError, match="collate_fn"):
        list(DataLoader(ds, batch_size=2, transform=lambda x: x))


def test_matches_torch_sequential_batches():
    x = np.random.default_rng(0).random((11, 3)).astype(np.float32)
    y = np.arange(11)
    ours = DataLoader(TensorDataset(x, y), batch_size=4)
    theirs = tud.DataLoader(
        tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=4
    )
    for (ox, oy), (tx, ty) in zip(ours, theirs):
        np.testing.assert_array_equal(ox.numpy(), tx.numpy())
        np.testing.assert_array_equal(oy.numpy(), ty.numpy())
