"""Metrics: plain functions of (output, target) that return Python floats (or NumPy arrays).

Every metric accepts glassbox Tensors, NumPy arrays or lists, and never records a graph: it
reads the values and computes with NumPy. Classification metrics take either scores of shape
(N, C) -- logits or probabilities, the predicted class is the argmax -- or predicted class
indices of shape (N,); targets are class indices (N,) or one-hot / probability rows (N, C).
Regression metrics refuse output and target of different shapes rather than broadcasting
(N, 1) against (N,) into an (N, N) matrix and a wrong number.

`get(name)` turns the names the Trainer accepts ('accuracy', 'mae', ...) into functions.
"""

from __future__ import annotations

import numpy as np

from glassbox.tensor import Tensor

__all__ = [
    "accuracy",
    "confusion_matrix",
    "f1",
    "get",
    "mae",
    "mse",
    "precision",
    "precision_recall_f1",
    "r2",
    "recall",
    "rmse",
    "top_k_accuracy",
]


def _array(x, what: str, where: str) -> np.ndarray:
    if isinstance(x, Tensor):
        return x._data
    try:
        return np.asarray(x)
    except Exception:  # noqa: BLE001  (whatever NumPy raises, say what the metric got)
        raise TypeError(
            f"{where}: {what} must be a Tensor or array, got {type(x).__name__}"
        ) from None


def _labels(target: np.ndarray, n: int, where: str) -> np.ndarray:
    """Class indices from (N,) indices or (N, C) one-hot/probability rows."""
    if target.ndim == 2:
        target = target.argmax(axis=1)
    elif target.ndim != 1:
        raise ValueError(f"{where}: expected target of shape (N,) or (N, C), got {target.shape}")
    if target.shape[0] != n:
        raise ValueError(
            f"{where}: output has {n} examples but target has {target.shape[0]}"
        )
    return target


def _predicted_classes(output, target, where: str, threshold: float = 0.5):
    """(predicted class indices, true class indices), both (N,) int arrays."""
    out = _array(output, "output", where)
    tgt = _array(target, "target", where)
    if out.ndim == 2 and out.shape[1] > 1:
        pred = out.argmax(axis=1)
    elif out.ndim == 2 and out.shape[1] == 1 or (out.ndim == 1 and out.dtype.kind == "f"):
        pred = (out.reshape(-1) > threshold).astype(np.int64)  # one score per example: binary
        if tgt.ndim == 2 and tgt.shape[1] == 1:
            tgt = tgt.reshape(-1)
    elif out.ndim == 1:
        pred = out  # already class indices
    else:
        raise ValueError(
            f"{where}: expected output of shape (N, C) scores or (N,) classes, got {out.shape}"
        )
    return pred.astype(np.int64), _labels(tgt, pred.shape[0], where).astype(np.int64)


def accuracy(output, target, threshold: float = 0.5) -> float:
    """Fraction of examples whose predicted class equals the target class.

    Args:
        output: (N, C) scores (argmax is the prediction), (N,) class indices, or (N,)/(N, 1)
            float scores of a binary problem (class 1 where score > threshold).
        target: (N,) class indices or (N, C) one-hot rows.
        threshold: cut-off for binary scores (default 0.5; use 0.0 for logits).

    Example:
        >>> accuracy([[2.0, 1.0], [0.1, 0.9], [3.0, 0.0]], [0, 1, 1])
        0.6666666666666666
    """
    pred, true = _predicted_classes(output, target, "accuracy", threshold)
    return float(np.mean(pred == true)) if len(true) else float("nan")


def top_k_accuracy(output, target, k: int = 5) -> float:
    """Fraction of examples whose target class is among the k highest scores.

    Args:
        output: (N, C) scores.
        target: (N,) class indices or (N, C) one-hot rows.
        k: how many top classes count as a hit (default 5).

    Example:
        >>> top_k_accuracy([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7]], [1, 0], k=2)
        0.5
    """
    out = _array(output, "output", "top_k_accuracy")
    if out.ndim != 2:
        raise ValueError(f"top_k_accuracy: expected output of shape (N, C), got {out.shape}")
    if not 1 <= k <= out.shape[1]:
        raise ValueError(f"top_k_accuracy: k must be in 1..{out.shape[1]} (C), got {k}")
    true = _labels(_array(target, "target", "top_k_accuracy"), out.shape[0], "top_k_accuracy")
    # the k best classes per row, in any order: (N, k)
    top = np.argpartition(-out, k - 1, axis=1)[:, :k]
    return float(np.mean((top == true[:, None]).any(axis=1))) if len(true) else float("nan")


def confusion_matrix(output, target, num_classes: int | None = None) -> np.ndarray:
    """Counts of (true class, predicted class) pairs: rows are true classes, columns predicted.

    Args:
        output: (N, C) scores or (N,) predicted class indices.
        target: (N,) class indices or (N, C) one-hot rows.
        num_classes: C (default: inferred from the scores' width or the largest label + 1).

    Shape:
        -> (C, C) int64.

    Example:
        >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
        array([[1, 0, 0],
               [0, 1, 0],
               [0, 1, 1]])
    """
    pred, true = _predicted_classes(output, target, "confusion_matrix")
    out = _array(output, "output", "confusion_matrix")
    if num_classes is None:
        width = out.shape[1] if out.ndim == 2 and out.shape[1] > 1 else 0
        num_classes = max(width, int(max(pred.max(initial=-1), true.max(initial=-1))) + 1)
    for name, labels in (("predicted", pred), ("target", true)):
        if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(
                f"confusion_matrix: {name} classes must lie in 0..{num_classes - 1}, got "
                f"{labels.min()}..{labels.max()}"
            )
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (true, pred), 1)
    return cm


def precision_recall_f1(output, target, average: str | None = "macro",
                        num_classes: int | None = None):
    """Precision, recall and F1 per class, or their unweighted mean over classes ('macro').

    A class never predicted gets precision 0, a class absent from the targets recall 0 (as
    scikit-learn's zero_division=0), so nothing turns into NaN.

    Args:
        output: (N, C) scores or (N,) predicted class indices.
        target: (N,) class indices or (N, C) one-hot rows.
        average: 'macro' (default) for three floats, or None for three (C,) arrays.
        num_classes: C (default: inferred as in `confusion_matrix`).

    Example:
        >>> p, r, f = precision_recall_f1([0, 1, 1, 1], [0, 1, 1, 0])
        >>> round(p, 4), round(r, 4), round(f, 4)
        (0.8333, 0.75, 0.7333)
    """
    if average not in ("macro", None):
        raise ValueError(f"precision_recall_f1: average must be 'macro' or None, got {average!r}")
    cm = confusion_matrix(output, target, num_classes).astype(np.float64)
    tp = np.diag(cm)
    predicted, actual = cm.sum(axis=0), cm.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(tp), where=both > 0)
    if average is None:
        return precision, recall, f1
    return float(precision.mean()), float(recall.mean()), float(f1.mean())


def precision(output, target) -> float:
    """Macro-averaged precision (see `precision_recall_f1`).

    Example:
        >>> precision([0, 1, 1, 1], [0, 1, 1, 0])
        0.8333333333333333
    """
    return precision_recall_f1(output, target)[0]


def recall(output, target) -> float:
    """Macro-averaged recall (see `precision_recall_f1`).

    Example:
        >>> recall([0, 1, 1, 1], [0, 1, 1, 0])
        0.75
    """
    return precision_recall_f1(output, target)[1]


def f1(output, target) -> float:
    """Macro-averaged F1 score (see `precision_recall_f1`).

    Example:
        >>> round(f1([0, 1, 1, 1], [0, 1, 1, 0]), 4)
        0.7333
    """
    return precision_recall_f1(output, target)[2]


def _regression_pair(output, target, where: str):
    out = _array(output, "output", where).astype(np.float64)
    tgt = _array(target, "target", where).astype(np.float64)
    if out.shape != tgt.shape:
        raise ValueError(
            f"{where}: output and target must have the same shape, got {out.shape} and "
            f"{tgt.shape}. Reshape one of them (e.g. target.reshape(-1, 1)) -- broadcasting "
            "them would compare every output with every target"
        )
    return out, tgt


def mae(output, target) -> float:
    """Mean absolute error, mean(|output - target|).

    Example:
        >>> mae([1.0, 2.0, 3.0], [1.0, 2.5, 2.0])
        0.5
    """
    out, tgt = _regression_pair(output, target, "mae")
    return float(np.mean(np.abs(out - tgt)))


def mse(output, target) -> float:
    """Mean squared error, mean((output - target)^2).

    Example:
        >>> mse([1.0, 2.0], [1.0, 4.0])
        2.0
    """
    out, tgt = _regression_pair(output, target, "mse")
    return float(np.mean((out - tgt) ** 2))


def rmse(output, target) -> float:
    """Root mean squared error, sqrt(mean((output - target)^2)).

    Example:
        >>> rmse([1.0, 2.0], [1.0, 4.0])
        1.4142135623730951
    """
    return float(np.sqrt(mse(output, target)))


def r2(output, target) -> float:
    """Coefficient of determination, 1 - SS_res / SS_tot (1 is perfect, 0 predicts the mean).

    With several output columns the scores of the columns are averaged (scikit-learn's
    'uniform_average'). A constant target gives 1.0 for a perfect fit, else 0.0 (as sklearn).

    Example:
        >>> r2([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
        0.7857142857142857
    """
    out, tgt = _regression_pair(output, target, "r2")
    ss_res = ((tgt - out) ** 2).sum(axis=0)
    ss_tot = ((tgt - tgt.mean(axis=0)) ** 2).sum(axis=0)
    score = np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1),
                     np.where(ss_res == 0, 1.0, 0.0))
    return float(np.mean(score))


_BY_NAME = {
    "accuracy": accuracy, "acc": accuracy, "top_k_accuracy": top_k_accuracy,
    "top5_accuracy": top_k_accuracy, "precision": precision, "recall": recall, "f1": f1,
    "mae": mae, "mse": mse, "rmse": rmse, "r2": r2,
}


def get(metric):
    """(name, function) for a metric given by name, as a function, or as a (name, fn) pair.

    Args:
        metric: 'accuracy' (or 'acc'), 'top_k_accuracy' (k=5), 'precision', 'recall', 'f1',
            'mae', 'mse', 'rmse', 'r2'; or any callable `fn(output, target) -> float` (its
            name is `fn.__name__`); or a pair (name, fn).

    Example:
        >>> get("acc")[0], get(rmse)[0]
        ('accuracy', 'rmse')
    """
    if isinstance(metric, str):
        if metric not in _BY_NAME:
            raise ValueError(
                f"unknown metric {metric!r}; known metrics: {', '.join(sorted(_BY_NAME))}, or "
                "pass a function fn(output, target) -> float"
            )
        name = "accuracy" if metric == "acc" else metric
        return name, _BY_NAME[metric]
    if isinstance(metric, tuple) and len(metric) == 2 and callable(metric[1]):
        return str(metric[0]), metric[1]
    if callable(metric):
        return getattr(metric, "__name__", type(metric).__name__), metric
    raise TypeError(
        f"a metric must be a name, a function or a (name, function) pair, got {metric!r}"
    )
