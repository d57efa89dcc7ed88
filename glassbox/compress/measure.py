"""`compression_report`: file size, accuracy and latency of a model and its compressed variants.

Latencies are medians of repeated no-grad forward passes in eval mode, with the variants timed
in turn inside each repetition (interleaved), so that load from other processes hits them all
alike. They are wall-clock times on whatever machine runs it: quote them with the machine's load.
"""

from __future__ import annotations

import os
import tempfile
import time

import numpy as np

from glassbox.autograd import no_grad
from glassbox.tensor import Tensor

__all__ = ["CompressionReport", "accuracy_of", "compression_report", "file_size", "latency"]


def file_size(model) -> int:
    """Bytes of `model.state_dict()` written as safetensors (what `gb.save` puts on disk).

    Example:
        >>> import glassbox.nn as nn
        >>> file_size(nn.Linear(100, 10)) > 4 * 1010
        True
    """
    from glassbox.io import save

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.safetensors")
        save(model.state_dict(), path)
        return os.path.getsize(path)


def _predict(model, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    outs = []
    with no_grad():
        for s in range(0, len(x), batch_size):
            out = model(Tensor._wrap(np.ascontiguousarray(x[s : s + batch_size])))
            outs.append(out._data)
    return np.concatenate(outs)


def accuracy_of(model, x, y, batch_size: int = 256) -> float:
    """Top-1 accuracy of `model` (eval mode, no grad) on arrays x, y.

    Example:
        >>> import numpy as np, glassbox.nn as nn
        >>> lin = nn.Linear(2, 2)
        >>> 0.0 <= accuracy_of(lin, np.ones((4, 2), np.float32), np.zeros(4, np.int64)) <= 1.0
        True
    """
    was = model.training
    model.eval()
    try:
        pred = _predict(model, np.asarray(x, dtype=np.float32), batch_size).argmax(axis=1)
    finally:
        model.train(was)
    return float((pred == np.asarray(y)).mean())


def latency(models: dict, x, batch_sizes=(1, 256), repeats: int = 20,
            warmup: int = 2) -> dict:
    """Median seconds per forward pass, {name: {batch_size: seconds}}, timed interleaved.

    Example:
        >>> import numpy as np, glassbox.nn as nn
        >>> t = latency({"lin": nn.Linear(4, 2)}, np.ones((8, 4), np.float32), (1, 8), repeats=3)
        >>> sorted(t["lin"]), t["lin"][1] > 0
        ([1, 8], True)
    """
    x = np.asarray(x, dtype=np.float32)
    times = {name: {b: [] for b in batch_sizes} for name in models}
    for m in models.values():
        m.eval()
    with no_grad():
        for b in batch_sizes:
            xb = Tensor._wrap(np.ascontiguousarray(x[:b]))
            for m in models.values():
                for _ in range(warmup):
                    m(xb)
            reps = repeats if b > 16 else repeats * 5  # small batches are noisier, and cheap
            for _ in range(reps):
                for name, m in models.items():
                    t0 = time.perf_counter()
                    m(xb)
                    times[name][b].append(time.perf_counter() - t0)
    return {name: {b: float(np.median(v)) for b, v in d.items()} for name, d in times.items()}


class CompressionReport:
    """Rows of measurements, one per variant, with the first row as the baseline.

    Attributes:
        rows: list of dicts with keys name, params, nonzero, file_bytes, accuracy and
            latency_ms (a dict batch size -> milliseconds).
        batch_sizes: the batch sizes timed.
    """

    def __init__(self, rows: list[dict], batch_sizes):
        self.rows, self.batch_sizes = rows, tuple(batch_sizes)

    def to_markdown(self) -> str:
        """The table as GitHub markdown, sizes and speed-ups relative to the first row."""
        base = self.rows[0]
        head = ["variant", "params (nonzero)", "file", "size x", "accuracy", "acc. change"]
        for b in self.batch_sizes:
            head += [f"latency b={b}", f"speed-up b={b}"]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in self.rows:
            cells = [r["name"], f"{r['params']:,} ({r['nonzero']:,})",
                     f"{r['file_bytes'] / 1024:.1f} KiB",
                     f"{base['file_bytes'] / r['file_bytes']:.2f}x",
                     f"{100 * r['accuracy']:.2f}%",
                     f"{100 * (r['accuracy'] - base['accuracy']):+.2f} pt"]
            for b in self.batch_sizes:
                ms = r["latency_ms"][b]
                cells += [f"{ms:.3f} ms", f"{base['latency_ms'][b] / ms:.2f}x"]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def to_html(self) -> str:
        """The same table as an HTML <table> (no styling, no external assets)."""
        import html

        md = self.to_markdown().splitlines()
        rows = [[c.strip() for c in line.strip("|").split("|")] for line in md]
        out = ["<table class='compression'>", "<tr>" + "".join(
            f"<th>{html.escape(c)}</th>" for c in rows[0]) + "</tr>"]
        for r in rows[2:]:
            out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>")
        out.append("</table>")
        return "\n".join(out)

    def __repr__(self) -> str:
        return self.to_markdown()


def compression_report(model, data, variants: dict | None = None, batch_sizes=(1, 256),
                       repeats: int = 20, name: str = "float32") -> CompressionReport:
    """Measure file size, accuracy and latency of `model` and of each compressed variant.

    Args:
        model: the baseline (float) model; its row comes first.
        data: (x, y) test arrays; accuracy uses all of them, latency the first rows of x.
        variants: {name: model} of compressed versions (default None: the baseline only).
        batch_sizes: batch sizes to time (default (1, 256)).
        repeats: timed repetitions per batch size (x5 for batches <= 16) (default 20).
        name: the baseline's name in the table (default 'float32').

    Returns:
        a CompressionReport (`.rows`, `.to_markdown()`, `.to_html()`).

    Example:
        >>> import numpy as np, glassbox as gb, glassbox.nn as nn
        >>> from glassbox.compress import quantize
        >>> model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
        >>> x = np.random.default_rng(0).normal(size=(64, 16)).astype(np.float32)
        >>> y = model(gb.tensor(x)).argmax(dim=1).numpy()
        >>> rep = compression_report(model, (x, y), {"int8": quantize(model, x)}, (1, 64), 2)
        >>> [r["name"] for r in rep.rows], rep.rows[0]["accuracy"]
        (['float32', 'int8'], 1.0)
    """
    x, y = data
    x = x._data if isinstance(x, Tensor) else np.asarray(x, dtype=np.float32)
    y = y._data if isinstance(y, Tensor) else np.asarray(y)
    models = {name: model, **(variants or {})}
    times = latency(models, x, batch_sizes, repeats)
    rows = []
    for key, m in models.items():
        weights = [a for k, a in m.state_dict().items() if not k.endswith("_mask")]
        rows.append({
            "name": key,
            "params": int(sum(a._data.size for a in weights)),
            "nonzero": int(sum(np.count_nonzero(a._data) for a in weights)),
            "file_bytes": file_size(m),
            "accuracy": accuracy_of(m, x, y),
            "latency_ms": {b: 1000 * times[key][b] for b in batch_sizes},
        })
    return CompressionReport(rows, batch_sizes)
