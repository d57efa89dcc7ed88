"""History: what `Trainer.fit` returns -- every epoch's logs, as lists of Python floats."""

from __future__ import annotations

import math
import numbers

import numpy as np

from glassbox.tensor import Tensor
from glassbox.train.callbacks import Callback


def to_float(value, key: str) -> float:
    """A log value as a plain Python float (a one-element Tensor or array is unwrapped).

    History and logs never keep Tensors: a Tensor would keep its whole autograd graph -- and
    with it every activation of the step that made it -- alive for the rest of training.
    """
    if isinstance(value, Tensor):
        value = value._data
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise TypeError(
                f"log value '{key}' must be a number, got an array of shape {value.shape}"
            )
        value = value.reshape(()).item()
    if not isinstance(value, numbers.Real):
        raise TypeError(f"log value '{key}' must be a number, got {type(value).__name__}")
    return float(value)


class History(Callback):
    """Record of training: `history[key]` is the list of that key's value at each epoch.

    The Trainer adds one to every `fit` call and returns it (as Keras does). Keys are the epoch
    logs: 'loss', metrics, 'val_' versions of both, 'lr'. Values are Python floats only.

    Attributes:
        history: dict of key -> list of floats, one per epoch.
        epoch: list of the epoch indices recorded (0-based).
        params: {'epochs': ..., 'steps': ...} of the fit call.

    Example:
        >>> h = History()
        >>> h.on_epoch_end(0, {"loss": 0.9, "accuracy": 0.5})
        >>> h.on_epoch_end(1, {"loss": 0.7, "accuracy": 0.75})
        >>> h.history["loss"], h.epoch, h.best("accuracy", mode="max")
        ([0.9, 0.7], [0, 1], (1, 0.75))
    """

    order = 900  # after callbacks that add keys to the logs, before checkpoints are written

    def __init__(self):
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.params: dict = {}
        self.stop_reason = None  # why training stopped early on a NaN/Inf loss, if it did

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        n = len(self.epoch)
        self.epoch.append(int(epoch))
        for key, value in logs.items():
            values = self.history.setdefault(key, [math.nan] * n)  # a key that appears late
            values.append(to_float(value, key))
        for key, values in self.history.items():
            if len(values) < n + 1:  # a key missing this epoch
                values.append(math.nan)

    def best(self, key: str, mode: str = "min") -> tuple[int, float]:
        """(epoch index, value) of the best value of `key` ('min' or 'max')."""
        if key not in self.history:
            raise ValueError(
                f"History.best: no key {key!r}; recorded: {', '.join(self.history) or 'none'}"
            )
        values = np.asarray(self.history[key], dtype=np.float64)
        i = int(np.nanargmin(values) if mode == "min" else np.nanargmax(values))
        return self.epoch[i], float(values[i])

    def state_dict(self) -> dict:
        return {"history": {k: list(v) for k, v in self.history.items()},
                "epoch": list(self.epoch)}

    def load_state_dict(self, state: dict) -> None:
        self.history = {k: [float(x) for x in v] for k, v in state["history"].items()}
        self.epoch = [int(e) for e in state["epoch"]]

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"
