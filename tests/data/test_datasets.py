"""Dataset loaders: shipped data (shapes, dtypes, labels, splits, caching) and files on disk."""

import gzip
import os
import pickle
import random
import struct
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

from glassbox.data import datasets


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty cache folder for this test only."""
    monkeypatch.setenv("GLASSBOX_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _check_split(split, n_train, n_test, feature_shape, n_classes=None):
    assert split.x_train.shape == (n_train, *feature_shape)
    assert split.x_test.shape == (n_test, *feature_shape)
    assert split.x_train.dtype == split.x_test.dtype == np.float32
    assert split.y_train.shape == (n_train,) and split.y_test.shape == (n_test,)
    if n_classes is not None:
        assert split.y_train.dtype == split.y_test.dtype == np.int64
        labels = np.concatenate([split.y_train, split.y_test])
        assert labels.min() == 0 and labels.max() == n_classes - 1


# --- MNIST-5k and digits --------------------------------------------------------------------
def test_mnist5k_shapes_and_values():
    s = datasets.mnist5k()
    _check_split(s, 4000, 1000, (1, 28, 28), 10)
    assert s.x_train.min() == 0.0 and s.x_train.max() == 1.0


def test_mnist5k_class_balance():
    s = datasets.mnist5k()
    total = np.bincount(s.y_train, minlength=10) + np.bincount(s.y_test, minlength=10)
    assert (total == 500).all()  # 500 of each digit in the file
    train = np.bincount(s.y_train, minlength=10)
    assert train.min() >= 350 and train.max() <= 450  # shuffled before the split, not sorted
    assert len(set(s.y_train[:50].tolist())) > 5


def test_mnist5k_is_cached(fresh_cache, monkeypatch):
    first = datasets.mnist5k()
    assert (fresh_cache / "mnist5k.npz").exists()

    def refuse(*args, **kwargs):
        raise AssertionError("parsed the CSV again")

    monkeypatch.setattr(np, "loadtxt", refuse)
    second = datasets.mnist5k()
    np.testing.assert_array_equal(first.x_train, second.x_train)
    np.testing.assert_array_equal(first.y_test, second.y_test)


def test_digits():
    _check_split(datasets.digits(), 1438, 359, (64,), 10)


# --- scikit-learn tabular -------------------------------------------------------------------
TABULAR = [
    (datasets.iris, "load_iris", 120, 30, 4, 3),
    (datasets.wine, "load_wine", 142, 36, 13, 3),
    (datasets.breast_cancer, "load_breast_cancer", 455, 114, 30, 2),
]


@pytest.mark.parametrize("loader, sk_name, n_train, n_test, n_features, n_classes", TABULAR)
def test_tabular_classification(loader, sk_name, n_train, n_test, n_features, n_classes):
    s = loader()
    _check_split(s, n_train, n_test, (n_features,), n_classes)
    np.testing.assert_allclose(s.x_train.mean(axis=0), 0, atol=1e-5)  # standardised on train
    np.testing.assert_allclose(s.x_train.std(axis=0), 1, atol=1e-4)
    assert abs(s.x_test.mean()) < 0.5  # test data use the train statistics
    again = loader()
    np.testing.assert_array_equal(s.x_train, again.x_train)  # fixed split


@pytest.mark.parametrize("loader, sk_name, n_train, n_test, n_features, n_classes", TABULAR)
def test_tabular_raw_rows_come_from_sklearn(loader, sk_name, n_train, n_test, n_features,
                                            n_classes):
    import sklearn.datasets

    d = getattr(sklearn.datasets, sk_name)()
    raw = loader(standardize=False, test_fraction=0.5)
    assert len(raw.y_train) + len(raw.y_test) == len(d.target)
    # every row is a row of the original, with its label
    rows = {tuple(np.float32(r)): t for r, t in zip(d.data, d.target)}
    for x, y in zip(raw.x_test, raw.y_test):
        assert rows[tuple(x)] == y


def test_diabetes_regression():
    s = datasets.diabetes()
    _check_split(s, 354, 88, (10,))
    assert s.y_train.dtype == s.y_test.dtype == np.float32
    assert 20 < s.y_train.min() and s.y_train.max() < 400 and len(np.unique(s.y_train)) > 100
    np.testing.assert_allclose(s.x_train.mean(axis=0), 0, atol=1e-5)


def test_tabular_errors_and_missing_sklearn(monkeypatch):
    with pytest.raises(ValueError, match="test_fraction"):
        datasets.iris(test_fraction=1.5)
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"glassbox\[datasets\]"):
        datasets.wine()


# --- MNIST-1D -------------------------------------------------------------------------------
def test_mnist1d_matches_the_package_and_is_cached(fresh_cache, monkeypatch):
    np.random.seed(123)
    random.seed(123)
    s = datasets.mnist1d()
    # the generator seeds the global state; the loader puts it back
    assert np.random.rand() == np.random.RandomState(123).rand()
    assert random.random() == random.Random(123).random()
    _check_split(s, 4000, 1000, (40,), 10)
    assert np.bincount(s.y_train).min() > 350

    from mnist1d.data import get_dataset_args, make_dataset

    ref = make_dataset(get_dataset_args())
    np.testing.assert_allclose(s.x_train, ref["x"], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(s.y_test, ref["y_test"])

    assert (fresh_cache / "mnist1d.npz").exists()
    monkeypatch.setitem(sys.modules, "mnist1d", None)
    monkeypatch.setitem(sys.modules, "mnist1d.data", None)
    np.testing.assert_array_equal(datasets.mnist1d().x_test, s.x_test)  # cache: no package


def test_mnist1d_missing_package_names_the_extra(fresh_cache, monkeypatch):
    monkeypatch.setitem(sys.modules, "mnist1d", None)
    monkeypatch.setitem(sys.modules, "mnist1d.data", None)
    with pytest.raises(ImportError, match=r"glassbox\[mnist1d\]"):
        datasets.mnist1d()


# --- IDX (MNIST / Fashion-MNIST) ------------------------------------------------------------
def _idx_bytes(array, code=0x08):
    header = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write_mnist(folder, compress=False, n_train=6, n_test=4, h=5, w=4, dotted=False, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, h, w), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, h, w), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        data = _idx_bytes(array)
        name = name.replace("-idx", ".idx") if dotted else name
        if compress:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return arrays


@pytest.mark.parametrize("compress, dotted", [(False, False), (True, False), (True, True)])
def test_load_mnist_idx(tmp_path, compress, dotted):
    arrays = _write_mnist(tmp_path, compress=compress, dotted=dotted)
    s = datasets.load_mnist(tmp_path)
    _check_split(s, 6, 4, (1, 5, 4))
    np.testing.assert_allclose(s.x_train[:, 0] * 255, arrays["train-images-idx3-ubyte"], atol=1e-4)
    np.testing.assert_array_equal(s.y_test, arrays["t10k-labels-idx1-ubyte"])
    assert s.y_train.dtype == np.int64 and 0 <= s.x_test.min() and s.x_test.max() <= 1


def test_load_mnist_npz(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (3, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "mnist.npz", x_train=x, y_train=np.array([1, 2, 3]), x_test=x[:1],
             y_test=np.array([9]))
    s = datasets.load_mnist(tmp_path / "mnist.npz")
    _check_split(s, 3, 1, (1, 28, 28))
    np.savez(tmp_path / "bad.npz", x_train=x)
    with pytest.raises(ValueError, match="missing arrays"):
        datasets.load_mnist(tmp_path / "bad.npz")


def test_read_idx_other_dtypes(tmp_path):
    for code, dtype in [(0x0C, np.int32), (0x0D, np.float32), (0x0B, np.int16)]:
        a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
        (tmp_path / "f").write_bytes(_idx_bytes(a, code))
        out = datasets.read_idx(tmp_path / "f")
        assert out.dtype == dtype and out.dtype.isnative
        np.testing.assert_array_equal(out, a)


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)
    (tmp_path / "images-idx2-ubyte").write_bytes(gzip.compress(_idx_bytes(a)))
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "images-idx2-ubyte"), a)


def _corrupt(folder, name, data):
    (folder / name).write_bytes(data)


@pytest.mark.parametrize("name, mutate, message", [
    ("train-images-idx3-ubyte", lambda b: b"\x01\x02" + b[2:], "bad magic number"),
    ("train-images-idx3-ubyte", lambda b: b[:2] + b"\x07" + b[3:], "bad magic number"),
    ("train-images-idx3-ubyte", lambda b: b[:-3], r"truncated: header says shape \(6, 5, 4\)"),
    ("train-labels-idx1-ubyte", lambda b: b + b"\x00", "trailing bytes"),
    ("t10k-images-idx3-ubyte", lambda b: b[:6], "truncated IDX header"),
    ("t10k-images-idx3-ubyte", lambda b: b[:2], "shorter than the header"),
    ("t10k-labels-idx1-ubyte", lambda b: _idx_bytes(np.zeros((4, 5, 4), np.uint8)),
     "expected magic number 2049"),
    ("t10k-labels-idx1-ubyte", lambda b: _idx_bytes(np.zeros(3, np.uint8)), "4 images but"),
    ("t10k-labels-idx1-ubyte", lambda b: _idx_bytes(np.full(4, 12, np.uint8)),
     "labels must be in 0-9"),
])
def test_load_mnist_malformed(tmp_path, name, mutate, message):
    _write_mnist(tmp_path)
    _corrupt(tmp_path, name, mutate((tmp_path / name).read_bytes()))
    with pytest.raises(ValueError, match=message) as err:
        datasets.load_mnist(tmp_path)
    assert name in str(err.value) or "images but" in message


def test_load_mnist_corrupt_gzip_and_missing(tmp_path):
    _write_mnist(tmp_path, compress=True)
    good = (tmp_path / "train-labels-idx1-ubyte.gz").read_bytes()
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(good[:-12])
    with pytest.raises(ValueError, match="corrupt gzip"):
        datasets.load_mnist(tmp_path)
    os.remove(tmp_path / "train-labels-idx1-ubyte.gz")
    with pytest.raises(FileNotFoundError, match="train-labels-idx1-ubyte"):
        datasets.load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="neither a folder"):
        datasets.load_mnist(tmp_path / "nowhere")


# --- CIFAR-10 -------------------------------------------------------------------------------
_BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def _cifar_arrays(seed=0, n=3):
    rng = np.random.default_rng(seed)
    return [(rng.integers(0, 256, (n, 3072), dtype=np.uint8), rng.integers(0, 10, n))
            for _ in _BATCHES]


def test_load_cifar10_binary(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    parts = _cifar_arrays()
    for name, (data, labels) in zip(_BATCHES, parts):
        records = np.concatenate([labels[:, None].astype(np.uint8), data], axis=1)
        (folder / (name + ".bin")).write_bytes(records.tobytes())
    s = datasets.load_cifar10(tmp_path)  # the folder above works too
    _check_split(s, 15, 3, (3, 32, 32))
    np.testing.assert_allclose(s.x_train[3] * 255, parts[1][0][0].reshape(3, 32, 32), atol=1e-4)
    np.testing.assert_array_equal(s.y_test, parts[5][1])
    (folder / "test_batch.bin").write_bytes(b"\x00" * 100)
    with pytest.raises(ValueError, match="multiple of the 3073-byte"):
        datasets.load_cifar10(folder)


def test_load_cifar10_python_batches(tmp_path):
    parts = _cifar_arrays(seed=1)
    for name, (data, labels) in zip(_BATCHES, parts):
        batch = {b"batch_label": b"x", b"data": data, b"labels": labels.tolist()}
        (tmp_path / name).write_bytes(pickle.dumps(batch, protocol=2))
    s = datasets.load_cifar10(tmp_path)
    _check_split(s, 15, 3, (3, 32, 32))
    np.testing.assert_array_equal(s.y_train[:3], parts[0][1])
    np.testing.assert_allclose(s.x_test * 255, parts[5][0].reshape(3, 3, 32, 32), atol=1e-4)


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_load_cifar10_refuses_code_in_pickles(tmp_path):
    parts = _cifar_arrays()
    for name, (data, labels) in zip(_BATCHES, parts):
        batch = {b"data": data, b"labels": labels.tolist()}
        (tmp_path / name).write_bytes(pickle.dumps(batch, protocol=2))
    (tmp_path / "data_batch_3").write_bytes(pickle.dumps({b"data": _Exploit()}, protocol=2))
    with pytest.raises(ValueError, match="refusing to load"):
        datasets.load_cifar10(tmp_path)
    with pytest.raises(FileNotFoundError, match="data_batch_1"):
        datasets.load_cifar10(tmp_path / "empty")


# --- text -----------------------------------------------------------------------------------
def test_text_corpus_default_is_the_stdlib_sources():
    text = datasets.text_corpus()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p.name for p in stdlib.glob("*.py"))
    assert [p.name for p in datasets.stdlib_source_files()] == files
    first = (stdlib / files[0]).read_text(encoding="utf-8")
    assert text.startswith(first)
    assert len(text) > 1_000_000 and "def " in text and "import " in text
    second = (stdlib / files[1]).read_text(encoding="utf-8")
    assert text[len(first):].startswith(second)  # concatenated as is, in name order


def test_text_corpus_max_chars_and_user_file(tmp_path):
    assert datasets.text_corpus(max_chars=1_000_000) == datasets.text_corpus()[:1_000_000]
    assert datasets.text_corpus(max_chars=0) == ""
    f = tmp_path / "t.txt"
    f.write_text("héllo wörld\n", encoding="utf-8")
    assert datasets.text_corpus(f) == "héllo wörld\n"
    assert datasets.text_corpus(f, max_chars=5) == "héllo"
    with pytest.raises(ValueError, match="max_chars"):
        datasets.text_corpus(max_chars=-1)
    with pytest.raises(FileNotFoundError):
        datasets.text_corpus(tmp_path / "missing.txt")
