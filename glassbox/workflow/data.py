"""Data for whole runs: a bundled dataset by name, or a user's file, as one `Data` record.

    data = load_data("digits")            # bundled: mnist5k, mnist1d, digits, iris, wine, ...
    data = load_data("my_table.csv")      # a CSV with a 'label' column (or --label-column)
    data = load_data("arrays.npz")        # x/y (split here) or x_train/y_train/x_test/y_test
    data = load_data("mnist_folder/")     # the four MNIST IDX files (plain or .gz)

Tabular data (the scikit-learn tables and CSV files) is standardised with the training split's
mean and standard deviation; those numbers are kept in `Data.normalize` and written into the
run's config, so `glassbox predict` can apply them to raw rows later.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from glassbox.data import datasets

__all__ = ["BUNDLED", "Data", "load_data", "read_csv"]

# name -> (loader, kind). Tabular loaders are called with standardize=False: we do it here,
# so the statistics can be stored with the model.
BUNDLED = {
    "mnist5k": "image",
    "mnist1d": "signal",
    "digits": "image-flat",
    "iris": "table",
    "wine": "table",
    "breast_cancer": "table",
    "diabetes": "table",
}
SPLIT_SEED = 0


@dataclass
class Data:
    """A train/test split plus what a model and a prediction need to know about it.

    Attributes:
        name: the bundled name or the file path it came from.
        x_train, y_train, x_test, y_test: NumPy arrays; x float32, y int64 (classes) or
            float32 (regression targets).
        task: 'classification' or 'regression'.
        num_classes: number of classes (1 output for regression).
        normalize: None, or {'mean': [...], 'std': [...]} applied to raw features.
        columns: feature names for tabular data (None otherwise).
        target_scale: regression only, {'mean': m, 'std': s} of the training targets: models
            are trained on (y - m) / s and their outputs mapped back with `* s + m`.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    task: str = "classification"
    num_classes: int = 1
    normalize: dict | None = None
    columns: list | None = field(default=None)
    target_scale: dict | None = None

    @property
    def input_shape(self) -> tuple:
        """Shape of one example, e.g. (64,) or (1, 28, 28)."""
        return tuple(self.x_train.shape[1:])

    @property
    def num_outputs(self) -> int:
        """Outputs a model needs: one logit per class, or one value for regression."""
        return self.num_classes if self.task == "classification" else 1

    def describe(self) -> dict:
        """The JSON-able facts a saved run keeps about its data."""
        return {"source": self.name, "task": self.task, "num_classes": self.num_classes,
                "input_shape": list(self.input_shape), "normalize": self.normalize,
                "columns": self.columns, "target_scale": self.target_scale,
                "train_size": len(self.y_train),
                "test_size": len(self.y_test)}


def _classes_or_regression(y: np.ndarray) -> tuple[str, int]:
    """Integer labels -> classification; anything else -> regression."""
    if np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.bool_):
        return "classification", int(y.max()) + 1 if y.size else 0
    if y.size and np.all(np.mod(y, 1) == 0) and len(np.unique(y)) <= 50 and y.min() >= 0:
        return "classification", int(y.max()) + 1  # 0., 1., 2. labels written as floats
    return "regression", 1


def _finish(name, x_train, y_train, x_test, y_test, standardize: bool, columns=None) -> Data:
    """Cast, choose the task, and standardise tabular features with the training statistics."""
    x_train = np.asarray(x_train, dtype=np.float64)
    x_test = np.asarray(x_test, dtype=np.float64)
    y_all = np.concatenate([np.asarray(y_train), np.asarray(y_test)])
    task, num_classes = _classes_or_regression(y_all)
    normalize = None
    if standardize:
        mean, std = x_train.mean(axis=0), x_train.std(axis=0)
        std = np.where(std > 0, std, 1.0)  # a constant column stays as it is, not NaN
        x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
        normalize = {"mean": mean.tolist(), "std": std.tolist()}
    cast = np.int64 if task == "classification" else np.float32
    scale = None
    if task == "regression":  # targets such as 25..346 (diabetes) train badly unscaled
        y_std = float(np.std(y_train))
        scale = {"mean": float(np.mean(y_train)), "std": y_std if y_std > 0 else 1.0}
    return Data(name, x_train.astype(np.float32), np.asarray(y_train).astype(cast),
                x_test.astype(np.float32), np.asarray(y_test).astype(cast), task, num_classes,
                normalize, columns, scale)


def _split(x: np.ndarray, y: np.ndarray, test_fraction: float, where: str):
    if len(x) != len(y):
        raise ValueError(f"{where}: {len(x)} inputs but {len(y)} labels")
    if len(y) < 2:
        raise ValueError(f"{where}: need at least 2 examples to split, got {len(y)}")
    order = np.random.default_rng(SPLIT_SEED).permutation(len(y))
    n_test = max(1, round(len(y) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def read_csv(path, label_column: str | None = "label") -> tuple[np.ndarray, np.ndarray | None,
                                                                 list]:
    """Read a numeric CSV with a header row: (features, labels or None, feature names).

    Args:
        path: the file.
        label_column: name of the column holding the labels (default 'label'); None, or a
            name that is absent, means every column is a feature and labels are None.
    """
    path = Path(path)
    with open(path, newline="") as fh:
        rows = [row for row in csv.reader(fh) if row and any(c.strip() for c in row)]
    if not rows:
        raise ValueError(f"{path}: the CSV file is empty")
    header = [h.strip() for h in rows[0]]
    try:  # no header: the first row is numbers
        [float(v) for v in header]
        header, body = [f"x{i}" for i in range(len(header))], rows
    except ValueError:
        body = rows[1:]
    if not body:
        raise ValueError(f"{path}: the CSV file has a header but no rows")
    try:
        table = np.array([[float(v) for v in row] for row in body], dtype=np.float64)
    except ValueError as err:
        raise ValueError(f"{path}: every value must be a number ({err})") from None
    if table.ndim != 2 or table.shape[1] != len(header):
        raise ValueError(f"{path}: every row must have {len(header)} values like the header")
    if label_column is not None and label_column in header:
        i = header.index(label_column)
        return (np.delete(table, i, axis=1), table[:, i],
                [h for j, h in enumerate(header) if j != i])
    return table, None, header


def _load_csv(path: Path, label_column: str, test_fraction: float) -> Data:
    x, y, columns = read_csv(path, label_column)
    if y is None:
        raise ValueError(f"{path}: no label column {label_column!r} in the header "
                         f"(columns: {', '.join(columns)}); name it with --label-column")
    if np.all(np.mod(y, 1) == 0):
        y = y.astype(np.int64) if y.min() >= 0 and len(np.unique(y)) <= 50 else y
    return _finish(str(path), *_split(x, y, test_fraction, str(path)), standardize=True,
                   columns=columns)


def _load_npz(path: Path, test_fraction: float) -> Data:
    with np.load(path, allow_pickle=False) as f:
        names = set(f.files)
        if {"x_train", "y_train", "x_test", "y_test"} <= names:
            parts = [f[k] for k in ("x_train", "y_train", "x_test", "y_test")]
        elif {"x", "y"} <= names:
            parts = list(_split(f["x"], f["y"], test_fraction, str(path)))
        else:
            raise ValueError(f"{path}: expected arrays x and y (or x_train, y_train, x_test, "
                             f"y_test), found {', '.join(sorted(names)) or 'none'}")
    x_train = parts[0]
    if x_train.ndim == 3:  # (N, H, W) grey images -> (N, 1, H, W)
        parts[0], parts[2] = x_train[:, None], parts[2][:, None]
    if np.issubdtype(parts[0].dtype, np.integer) and parts[0].max() > 1:
        parts[0], parts[2] = parts[0] / 255.0, parts[2] / 255.0  # 8-bit pixels -> [0, 1]
    return _finish(str(path), *parts, standardize=False)


def load_data(source, label_column: str = "label", test_fraction: float = 0.2) -> Data:
    """A bundled dataset by name, or a user's CSV / .npz / MNIST IDX folder, as `Data`.

    Args:
        source: one of BUNDLED ('mnist5k', 'mnist1d', 'digits', 'iris', 'wine',
            'breast_cancer', 'diabetes') or a path.
        label_column: the label column of a CSV file (default 'label').
        test_fraction: fraction held out for testing when a file has no split (default 0.2).

    Raises:
        FileNotFoundError: a path that does not exist. ValueError: an unknown name or a file
        in a format glassbox cannot read.

    Example:
        >>> data = load_data("iris")
        >>> data.input_shape, data.task, data.num_classes
        ((4,), 'classification', 3)
    """
    name = str(source)
    if name in BUNDLED:
        kind = BUNDLED[name]
        if kind == "table":
            split = getattr(datasets, name)(standardize=False)
            return _finish(name, *split, standardize=True)
        return _finish(name, *getattr(datasets, name)(), standardize=False)
    path = Path(name).expanduser()
    if not path.exists():
        if path.suffix or "/" in name or "\\" in name:
            raise FileNotFoundError(f"no such file or folder: {name}")
        raise ValueError(f"unknown dataset {name!r}: use one of {', '.join(BUNDLED)}, or a path "
                         "to a .csv, a .npz or an MNIST IDX folder")
    if path.is_dir():
        return _finish(name, *datasets.load_mnist(path), standardize=False)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _load_csv(path, label_column, test_fraction)
    if suffix == ".npz":
        return _load_npz(path, test_fraction)
    raise ValueError(f"{name}: cannot read {suffix or 'this'} files as data; use a .csv with a "
                     f"{label_column!r} column, a .npz with x and y, or an MNIST IDX folder")
