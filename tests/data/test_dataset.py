"""Dataset, TensorDataset, Subset, ConcatDataset and random_split."""

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import glassbox as gb
from glassbox.data import ConcatDataset, Dataset, Subset, TensorDataset, random_split


def _ds(n=10):
    return TensorDataset(gb.arange(n).float().reshape(n, 1) * 10, gb.arange(n))


def test_dataset_base_is_abstract():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())


def test_tensor_dataset_items_and_len():
    ds = _ds(5)
    assert len(ds) == 5
    x, y = ds[3]
    assert x.shape == (1,) and x.item() == 30.0 and y.item() == 3
    assert y.dtype == np.int64 and x.dtype == np.float32


def test_tensor_dataset_accepts_ndarrays_without_copy():
    a = np.arange(6, dtype=np.float64).reshape(3, 2)
    ds = TensorDataset(a)
    assert ds.tensors[0].dtype == np.float64
    a[0, 0] = 99.0
    assert ds[0][0].tolist() == [99.0, 1.0]


def test_tensor_dataset_size_mismatch_names_sizes():
    with pytest.raises(ValueError, match=r"\[4, 3\]"):
        TensorDataset(gb.zeros(4, 2), gb.zeros(3))


def test_tensor_dataset_bad_arguments():
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(TypeError, match="argument 1"):
        TensorDataset(gb.zeros(3), [1, 2, 3])
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(gb.tensor(1.0))


def test_get_batch_matches_getitem():
    ds = _ds(8)
    idx = np.array([5, 0, 7, 5])
    xb, yb = ds.get_batch(idx)
    assert xb.shape == (4, 1) and yb.tolist() == [5, 0, 7, 5]
    np.testing.assert_array_equal(xb.numpy()[:, 0], [50, 0, 70, 50])


def test_subset_maps_indices():
    sub = Subset(_ds(10), [9, 4, 1])
    assert len(sub) == 3
    assert [sub[i][1].item() for i in range(3)] == [9, 4, 1]
    assert [e[1].item() for e in sub[[2, 0]]] == [1, 9]


def test_concat_dataset():
    cat = ConcatDataset([_ds(3), _ds(2)])
    assert len(cat) == 5
    assert [cat[i][1].item() for i in range(5)] == [0, 1, 2, 0, 1]
    assert cat[-1][1].item() == 1
    with pytest.raises(IndexError, match="out of range"):
        cat[5]
    assert len(_ds(3) + _ds(4)) == 7


@pytest.mark.parametrize("n, lengths", [
    (10, [0.8, 0.2]), (11, [0.5, 0.5]), (7, [0.3, 0.3, 0.4]), (10, [0.1] * 10),
    (5, [0.5, 0.25, 0.25]), (10, [3, 7]),
])
def test_random_split_sizes_match_torch(n, lengths):
    ours = [len(s) for s in random_split(_ds(n), lengths, generator=0)]
    theirs = [len(s) for s in tud.random_split(range(n), lengths, torch.Generator().manual_seed(0))]
    assert ours == theirs
    assert sum(ours) == n


def test_random_split_is_a_disjoint_cover():
    parts = random_split(_ds(20), [5, 7, 8], generator=1)
    seen = [ds[i][1].item() for ds in parts for i in range(len(ds))]
    assert sorted(seen) == list(range(20))
    assert seen != list(range(20))  # shuffled, not cut in order


def test_random_split_seeding():
    def order(gen):
        return [s.indices for s in random_split(_ds(30), [10, 20], generator=gen)]

    assert order(3) == order(3)
    assert order(3) != order(4)
    assert order(np.random.default_rng(3)) == order(np.random.default_rng(3))
    gb.manual_seed(5)
    a = order(None)
    gb.manual_seed(5)
    assert order(None) == a


def test_random_split_bad_lengths():
    with pytest.raises(ValueError, match=r"sum of input lengths \(9\)"):
        random_split(_ds(10), [4, 5])
    with pytest.raises(ValueError, match="non-negative"):
        random_split(_ds(10), [-1, 11])
    with pytest.raises(TypeError, match="generator"):
        random_split(_ds(10), [5, 5], generator="seed")


def test_random_split_zero_fraction_warns():
    with pytest.warns(UserWarning, match="index 1 is 0"):
        random_split(_ds(2), [0.9, 0.1])
