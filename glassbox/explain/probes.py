"""Linear probes (Alain & Bengio, 2016): what each layer knows, read off by a linear classifier.

For every chosen layer, the (flattened) activations of the training inputs are fed to a
linear classifier, which is scored on held-out inputs. Accuracy that grows with depth means
the network has made the labels linearly readable as the data flows through it.
"""

from __future__ import annotations

import numpy as np

from glassbox.explain._common import as_array
from glassbox.explain.activations import activations, resolve_layer

__all__ = ["LinearProbe"]

INPUT = "input"  # the pseudo-layer name for the raw input


class LinearProbe:
    """Fit one linear classifier per layer on its activations; report held-out accuracy.

    Args:
        model: the Module to probe (its weights are not changed).
        layers: layer names (as in `model.named_modules()`); "input" probes the raw input.
        method: 'ridge' (closed-form one-vs-rest ridge regression on one-hot targets,
            default) or 'logistic' (softmax regression trained with glassbox's Adam).
        alpha: L2 penalty (default 1.0 for ridge; weight decay for logistic).
        epochs: full-batch steps for 'logistic' (default 200).
        batch_size: examples per forward pass when collecting activations (default 256).

    Attributes:
        scores_: {layer: held-out accuracy} after `score`.

    Example:
        >>> import numpy as np, glassbox as gb, glassbox.nn as nn
        >>> gb.manual_seed(0)  # doctest: +ELLIPSIS
        Generator(PCG64) at 0x...
        >>> x = np.random.default_rng(0).normal(size=(200, 4)).astype(np.float32)
        >>> y = (x[:, 0] > 0).astype(np.int64)
        >>> model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
        >>> probe = LinearProbe(model, ["input", "1"]).fit(x[:150], y[:150])
        >>> scores = probe.score(x[150:], y[150:])
        >>> scores["input"] > 0.9
        True
    """

    def __init__(self, model, layers, method: str = "ridge", alpha: float = 1.0,
                 epochs: int = 200, batch_size: int = 256):
        if method not in ("ridge", "logistic"):
            raise ValueError(f"LinearProbe: method must be 'ridge' or 'logistic', got {method!r}")
        if isinstance(layers, str):
            layers = [layers]
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("LinearProbe: layers is empty")
        for name in self.layers:
            if name != INPUT:
                resolve_layer(model, name, "LinearProbe")
        if alpha < 0:
            raise ValueError(f"LinearProbe: alpha must be >= 0, got {alpha!r}")
        self.model = model
        self.method = method
        self.alpha = float(alpha)
        self.epochs = int(epochs)
        self.batch_size = int(batch_size)
        self.probes_: dict = {}
        self.scores_: dict = {}

    def features(self, x) -> dict:
        """{layer: (N, D) float64 flattened activations} for inputs x."""
        x = as_array(x, "x", "LinearProbe")
        names = [n for n in self.layers if n != INPUT]
        parts: dict = {n: [] for n in self.layers}
        for i in range(0, len(x), self.batch_size):
            xb = x[i:i + self.batch_size]
            acts = activations(self.model, xb, names) if names else {}
            for n in self.layers:
                a = xb if n == INPUT else acts[n]._data
                parts[n].append(np.asarray(a, dtype=np.float64).reshape(len(xb), -1))
        return {n: np.concatenate(p) for n, p in parts.items()}

    def fit(self, x, y) -> LinearProbe:
        """Fit one probe per layer on inputs x (N, *) with integer labels y (N,)."""
        y = np.asarray(as_array(y, "y", "LinearProbe")).astype(np.int64)
        x_arr = as_array(x, "x", "LinearProbe")
        if len(x_arr) != len(y) or len(y) < 2:
            raise ValueError(f"LinearProbe.fit: need as many labels as inputs (>= 2), got "
                             f"{len(x_arr)} inputs and {len(y)} labels")
        self.classes_ = np.unique(y)
        for name, f in self.features(x_arr).items():
            mean, std = f.mean(axis=0), f.std(axis=0) + 1e-8  # standardise each feature
            z = (f - mean) / std
            if self.method == "ridge":
                w, b = self._ridge(z, y)
            else:
                w, b = self._logistic(z, y)
            self.probes_[name] = (mean, std, w, b)
        return self

    def _ridge(self, z, y):
        onehot = (y[:, None] == self.classes_[None, :]).astype(np.float64)
        target = onehot - onehot.mean(axis=0)
        zc = z - z.mean(axis=0)
        n, d = zc.shape
        if d <= n:  # primal: (Z^T Z + a I)^-1 Z^T Y, a D x D system
            w = np.linalg.solve(zc.T @ zc + self.alpha * np.eye(d), zc.T @ target)
        else:  # dual: Z^T (Z Z^T + a I)^-1 Y, an N x N system (wide conv activations)
            w = zc.T @ np.linalg.solve(zc @ zc.T + self.alpha * np.eye(n), target)
        b = onehot.mean(axis=0) - z.mean(axis=0) @ w
        return w, b

    def _logistic(self, z, y):
        import glassbox as gb
        import glassbox.nn.functional as F
        from glassbox import nn

        labels = np.searchsorted(self.classes_, y)
        layer = nn.Linear(z.shape[1], len(self.classes_))
        opt = gb.optim.AdamW(layer.parameters(), lr=0.05, weight_decay=self.alpha * 1e-2)
        zt, yt = gb.tensor(z.astype(np.float32)), gb.tensor(labels)
        for _ in range(self.epochs):
            opt.zero_grad()
            F.cross_entropy(layer(zt), yt).backward()
            opt.step()
        return (layer.weight.detach().numpy().T.astype(np.float64),
                layer.bias.detach().numpy().astype(np.float64))

    def predict(self, x) -> dict:
        """{layer: predicted labels (N,)} for inputs x."""
        if not self.probes_:
            raise RuntimeError("LinearProbe.predict: call fit() first")
        out = {}
        for name, f in self.features(x).items():
            mean, std, w, b = self.probes_[name]
            out[name] = self.classes_[np.argmax(((f - mean) / std) @ w + b, axis=1)]
        return out

    def score(self, x, y) -> dict:
        """{layer: accuracy} of each layer's probe on held-out inputs x and labels y."""
        y = np.asarray(as_array(y, "y", "LinearProbe"))
        self.scores_ = {n: float((p == y).mean()) for n, p in self.predict(x).items()}
        return dict(self.scores_)
