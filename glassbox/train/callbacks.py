"""Callbacks: code that runs at fixed points of `Trainer.fit` and talks to it only through
`on_*` methods, a `logs` dict and `trainer.stop_training`.

The Trainer knows nothing about any particular callback (Keras's design; STYLE.md 10.9):
early stopping, checkpoints, LR schedules, progress bars and CSV logs are all written here
against the same small interface.

Hooks and the `logs` they receive:

    on_train_begin(logs)          {}
    on_epoch_begin(epoch, logs)   {}                  epoch is 0-based
    on_batch_begin(batch, logs)   {'batch', 'size'}
    transform_batch(batch, inputs, target) -> (inputs, target)   may replace the batch
    on_batch_end(batch, logs)     {'batch', 'size', 'loss', metrics...}  running means
    on_epoch_end(epoch, logs)     {'loss', metrics..., 'val_loss', 'val_<metric>'..., 'lr'}
    on_train_end(logs)            the last epoch's logs

Callbacks run in the order given, except that each class has an `order` (default 0) and the
list is stably sorted by it: `ProgressBar` (800) and `History` (900) come after the callbacks
that add keys to the logs or step LR schedules, and `ModelCheckpoint` (1000) saves last, so a
checkpoint holds every other callback's state (and the scheduler's) for this epoch.

A callback that must survive a resumed run (EarlyStopping's counters, ModelCheckpoint's best)
implements `state_dict()` / `load_state_dict()`; the Trainer stores them in its checkpoints.
"""

from __future__ import annotations

import csv
import io
import math
import os
import sys
import time

import numpy as np

__all__ = [
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "LRSchedulerCallback",
    "ModelCheckpoint",
    "ProgressBar",
]


class Callback:
    """Base class: override any of the `on_*` methods; `self.trainer` is set by the Trainer.

    Example:
        >>> class StopAfterTwo(Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         if epoch == 1:
        ...             self.trainer.stop_training = True
        >>> StopAfterTwo().order
        0
    """

    order = 0  # callbacks are stably sorted by this before training (see module docstring)

    def __init__(self):
        self.trainer = None

    def set_trainer(self, trainer) -> None:
        self.trainer = trainer

    @property
    def model(self):
        return None if self.trainer is None else self.trainer.model

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass

    def transform_batch(self, batch, inputs, target):
        """Return the (inputs, target) to train on for this batch (default: unchanged).

        Called after `on_batch_begin` and before the forward pass. `inputs` is the tuple of
        model inputs (Tensors) and `target` the target Tensor; a callback may return new ones,
        e.g. augmented or adversarial examples (glassbox.robust.AdversarialTraining). Callbacks
        are chained: each receives what the previous one returned.
        """
        return inputs, target

    def state_dict(self) -> dict:
        """Plain data (numbers, strings, lists, dicts, arrays) to store in checkpoints."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what `state_dict` returned (called after `on_train_begin` on resume)."""


class CallbackList:
    """Calls each hook on every callback, in `order`, then list order.

    Args:
        callbacks: the callbacks (Callback instances).
        trainer: passed to each callback's `set_trainer` (default None).

    Example:
        >>> cbs = CallbackList([ModelCheckpoint("m.safetensors"), EarlyStopping()])
        >>> [type(c).__name__ for c in cbs]
        ['EarlyStopping', 'ModelCheckpoint']
    """

    def __init__(self, callbacks=(), trainer=None):
        callbacks = list(callbacks)
        for c in callbacks:
            if not isinstance(c, Callback):
                raise TypeError(
                    f"callbacks must be glassbox.train.Callback instances, got {type(c).__name__}"
                )
        self.callbacks = sorted(callbacks, key=lambda c: c.order)  # stable
        if trainer is not None:
            for c in self.callbacks:
                c.set_trainer(trainer)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)

    def on_train_begin(self, logs=None):
        for c in self.callbacks:
            c.on_train_begin(logs)

    def on_train_end(self, logs=None):
        for c in self.callbacks:
            c.on_train_end(logs)

    def on_epoch_begin(self, epoch, logs=None):
        for c in self.callbacks:
            c.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        for c in self.callbacks:
            c.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        for c in self.callbacks:
            c.on_batch_begin(batch, logs)

    def on_batch_end(self, batch, logs=None):
        for c in self.callbacks:
            c.on_batch_end(batch, logs)

    def transform_batch(self, batch, inputs, target):
        for c in self.callbacks:
            result = c.transform_batch(batch, inputs, target)
            if not (isinstance(result, tuple) and len(result) == 2):
                raise TypeError(
                    f"{type(c).__name__}.transform_batch must return (inputs, target), got "
                    f"{type(result).__name__}"
                )
            inputs, target = result
            if not isinstance(inputs, tuple):  # a single input Tensor is allowed
                inputs = (inputs,)
        return inputs, target

    def state_dict(self) -> list:
        """[{'class': name, 'state': state}, ...] in calling order."""
        return [{"class": type(c).__name__, "state": c.state_dict()} for c in self.callbacks]

    def load_state_dict(self, states: list) -> None:
        """Give each callback the saved state of the callback of the same class and rank."""
        by_class: dict = {}
        for entry in states:
            by_class.setdefault(entry["class"], []).append(entry["state"])
        seen: dict = {}
        for c in self.callbacks:
            name = type(c).__name__
            k = seen.get(name, 0)
            seen[name] = k + 1
            saved = by_class.get(name, [])
            if k < len(saved):
                c.load_state_dict(saved[k])


# ---------------------------------------------------------------------------------------------
# Watching one metric

_MAX_WORDS = ("acc", "accuracy", "auc", "f1", "precision", "recall", "r2", "fmeasure")


def _resolve_mode(mode: str, monitor: str, where: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{where}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    name = monitor.removeprefix("val_")
    # Keras's rule, by words: 'val_accuracy', 'top_k_accuracy', 'f1' -> max; 'mae' -> min
    return "max" if any(word in _MAX_WORDS for word in name.split("_")) else "min"


def monitored_value(logs, monitor: str, where: str) -> float:
    """`logs[monitor]` as a float; a missing key raises a ValueError listing the keys there."""
    logs = logs or {}
    if monitor not in logs:
        available = ", ".join(repr(k) for k in logs) or "none"
        hint = ""
        if monitor.startswith("val_") and not any(k.startswith("val_") for k in logs):
            hint = " (validation metrics need validation data: pass val= or validation_split=)"
        raise ValueError(
            f"{where}: monitored metric {monitor!r} is not in the logs; the metrics that exist "
            f"are: {available}{hint}"
        )
    return float(logs[monitor])


class _Monitor:
    """Is `current` better than `best` by more than min_delta, in mode 'min' or 'max'?"""

    def __init__(self, monitor: str, mode: str, min_delta: float, where: str):
        if not isinstance(monitor, str):
            raise TypeError(f"{where}: monitor must be a str, got {type(monitor).__name__}")
        self.monitor, self.where = monitor, where
        self.mode = _resolve_mode(mode, monitor, where)
        self.min_delta = abs(float(min_delta))

    def initial(self) -> float:
        return math.inf if self.mode == "min" else -math.inf

    def improved(self, current: float, best: float) -> bool:
        if math.isnan(current):
            return False
        if self.mode == "min":
            return current < best - self.min_delta
        return current > best + self.min_delta

    def value(self, logs) -> float:
        return monitored_value(logs, self.monitor, self.where)


def _copy_weights(model) -> dict:
    return {k: np.array(v._data, copy=True) for k, v in model.state_dict().items()}


# ---------------------------------------------------------------------------------------------


class EarlyStopping(Callback):
    """Stop training when a monitored metric has stopped improving.

    After each epoch the monitored value is compared with the best so far; after `patience`
    epochs in a row without an improvement larger than `min_delta`, `trainer.stop_training` is
    set. With restore_best_weights, the model ends training with the weights of its best
    epoch.

    restore_best_weights defaults to True (Keras: False). When training stops, the last
    `patience` epochs are by definition worse than the best one, so keeping the final weights
    hands the user a model that is measurably worse than one the run already found; nearly
    everyone who asks for early stopping wants the best model, and the cost is one copy of the
    weights in memory. (The best weights are restored at the end of training whether it
    stopped early or ran all its epochs.)

    Args:
        monitor: key of the epoch logs to watch (default 'val_loss').
        min_delta: smallest change that counts as an improvement (default 0).
        patience: epochs without improvement before stopping (default 0).
        mode: 'min', 'max' or 'auto' (default): 'max' for accuracy-like names, else 'min'.
        restore_best_weights: load the best epoch's weights when training ends (default True).
        baseline: a value the metric must beat; until it does, patience runs (default None).
        verbose: print a line when stopping / restoring (default 0).

    Example:
        >>> stopper = EarlyStopping(monitor="val_loss", patience=3)
        >>> stopper.mode, stopper.restore_best_weights
        ('min', True)
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0,
                 mode: str = "auto", restore_best_weights: bool = True, baseline=None,
                 verbose: int = 0):
        super().__init__()
        if not isinstance(patience, int) or isinstance(patience, bool) or patience < 0:
            raise ValueError(
                f"EarlyStopping: patience must be a non-negative int, got {patience!r}"
            )
        self._watch = _Monitor(monitor, mode, min_delta, "EarlyStopping")
        self.monitor, self.mode, self.min_delta = monitor, self._watch.mode, self._watch.min_delta
        self.patience = patience
        self.restore_best_weights = bool(restore_best_weights)
        self.baseline = baseline
        self.verbose = verbose
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.best = self._watch.initial()
        self.best_epoch = -1
        self.best_weights = None
        self.stopped_epoch = -1
        self._last_epoch = -1

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        current = self._watch.value(logs)
        self._last_epoch = epoch
        self.wait += 1
        if self._watch.improved(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = _copy_weights(self.model)
            # below the baseline an improvement does not reset patience
            if self.baseline is None or self._watch.improved(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True
            if self.verbose:
                print(f"Epoch {epoch + 1}: early stopping ({self.monitor} has not improved "
                      f"for {self.wait} epochs; best {self.best:.6g} at epoch "
                      f"{self.best_epoch + 1})")

    def on_train_end(self, logs=None):
        if (self.restore_best_weights and self.best_weights is not None
                and self.best_epoch != self._last_epoch):
            self.model.load_state_dict(self.best_weights)
            if self.verbose:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")

    def state_dict(self) -> dict:
        return {"wait": self.wait, "best": self.best, "best_epoch": self.best_epoch,
                "stopped_epoch": self.stopped_epoch, "last_epoch": self._last_epoch,
                "best_weights": self.best_weights}

    def load_state_dict(self, state: dict) -> None:
        self.wait, self.best = int(state["wait"]), float(state["best"])
        self.best_epoch, self.stopped_epoch = int(state["best_epoch"]), int(state["stopped_epoch"])
        self._last_epoch = int(state["last_epoch"])
        self.best_weights = state["best_weights"]


class ModelCheckpoint(Callback):
    """Save a checkpoint (atomically) after an epoch -- every epoch, or only on improvement.

    The file is a full `glassbox.save_checkpoint` checkpoint (model, optimizer, scheduler, RNG
    and loader state, epoch, history, callback states), so `fit(..., resume_from=path)` continues
    the run exactly; with save_weights_only it is a plain `glassbox.save` of the weights.

    Args:
        path: file path; may contain format fields filled from the epoch (1-based) and the logs,
            e.g. 'ckpt-{epoch:02d}-{val_loss:.3f}.safetensors'.
        monitor: logs key that decides what "best" is (default 'val_loss').
        save_best_only: write only when the monitored metric improves (default True).
        mode: 'min', 'max' or 'auto' (default), as in EarlyStopping.
        save_weights_only: write only the model's state dict (default False).
        verbose: print a line for each write (default 0).

    Example:
        >>> ckpt = ModelCheckpoint("best.safetensors", monitor="val_accuracy")
        >>> ckpt.mode, ckpt.save_best_only
        ('max', True)
    """

    order = 1000  # last: the checkpoint holds every other callback's state for this epoch

    def __init__(self, path, monitor: str = "val_loss", save_best_only: bool = True,
                 mode: str = "auto", save_weights_only: bool = False, verbose: int = 0):
        super().__init__()
        self.path = os.fspath(path)
        self._watch = _Monitor(monitor, mode, 0, "ModelCheckpoint")
        self.monitor, self.mode = monitor, self._watch.mode
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.verbose = verbose
        self.best = self._watch.initial()
        self.last_saved = None  # the path of the latest file written

    def on_train_begin(self, logs=None):
        self.best = self._watch.initial()
        self.last_saved = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.save_best_only:
            current = self._watch.value(logs)
            if not self._watch.improved(current, self.best):
                return
            self.best = current
        path = self._format(epoch, logs)
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            from glassbox.io import save

            save(self.model.state_dict(), path)
        else:
            self.trainer.save_checkpoint(path)
        self.last_saved = path
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved checkpoint to {path}")

    def _format(self, epoch: int, logs: dict) -> str:
        try:
            return self.path.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as e:
            raise ValueError(
                f"ModelCheckpoint: can't fill in the path {self.path!r} ({e!r}); available "
                f"fields: epoch, {', '.join(logs)}"
            ) from None

    def state_dict(self) -> dict:
        return {"best": self.best, "last_saved": self.last_saved}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.last_saved = float(state["best"]), state["last_saved"]


def _is_plateau_scheduler(scheduler) -> bool:
    """ReduceLROnPlateau needs the metric in step(metric); every other scheduler steps blind."""
    try:
        from glassbox.optim.lr_scheduler import ReduceLROnPlateau
    except ImportError:
        ReduceLROnPlateau = None
    if ReduceLROnPlateau is not None and isinstance(scheduler, ReduceLROnPlateau):
        return True
    return type(scheduler).__name__ == "ReduceLROnPlateau"


class LRSchedulerCallback(Callback):
    """Step a learning-rate scheduler after every epoch or every batch.

    A ReduceLROnPlateau scheduler is stepped once per epoch with the monitored metric.
    `Trainer(scheduler=...)` wraps its scheduler in one of these (per epoch).

    Args:
        scheduler: a `glassbox.optim.lr_scheduler` scheduler (anything with step()).
        interval: 'epoch' (default) or 'batch'.
        monitor: logs key fed to ReduceLROnPlateau (default 'val_loss').

    Example:
        >>> import glassbox as gb
        >>> from glassbox.optim.lr_scheduler import StepLR
        >>> w = gb.nn.Parameter(gb.zeros(1))
        >>> opt = gb.optim.SGD([w], lr=0.1)
        >>> sched = StepLR(opt, step_size=1, gamma=0.5)
        >>> cb = LRSchedulerCallback(sched)
        >>> opt.step()  # an epoch of training
        >>> cb.on_epoch_end(0, {"loss": 1.0}); sched.get_last_lr()
        [0.05]
    """

    def __init__(self, scheduler, interval: str = "epoch", monitor: str = "val_loss"):
        super().__init__()
        if interval not in ("epoch", "batch"):
            raise ValueError(
                f"LRSchedulerCallback: interval must be 'epoch' or 'batch', got {interval!r}"
            )
        if not callable(getattr(scheduler, "step", None)):
            raise TypeError(
                f"LRSchedulerCallback: scheduler must have a step() method, got "
                f"{type(scheduler).__name__}"
            )
        self.scheduler = scheduler
        self.plateau = _is_plateau_scheduler(scheduler)
        if self.plateau and interval == "batch":
            raise ValueError(
                "LRSchedulerCallback: ReduceLROnPlateau is stepped per epoch with a metric; "
                "interval='batch' is not supported for it"
            )
        self.interval = interval
        self.monitor = monitor

    def on_batch_end(self, batch, logs=None):
        if self.interval == "batch":
            self.scheduler.step()

    def on_epoch_end(self, epoch, logs=None):
        if self.plateau:
            self.scheduler.step(monitored_value(logs, self.monitor, "LRSchedulerCallback"))
        elif self.interval == "epoch":
            self.scheduler.step()

    def state_dict(self) -> dict:
        state = getattr(self.scheduler, "state_dict", None)
        return {"scheduler": state() if callable(state) else None}

    def load_state_dict(self, state: dict) -> None:
        if state.get("scheduler") is not None and hasattr(self.scheduler, "load_state_dict"):
            self.scheduler.load_state_dict(state["scheduler"])


# ---------------------------------------------------------------------------------------------
# Progress


def _format_logs(logs: dict, skip=("batch", "size")) -> str:
    parts = []
    for k, v in logs.items():
        if k in skip:
            continue
        if isinstance(v, float) and (abs(v) >= 1e-3 or v == 0) and abs(v) < 1e5:
            parts.append(f"{k}: {v:.4f}")
        elif isinstance(v, float):
            parts.append(f"{k}: {v:.3e}")
        else:
            parts.append(f"{k}: {v}")
    return " - ".join(parts)


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class _TqdmBar:
    def __init__(self, total, desc, file):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, desc=desc, file=file, leave=False, unit="batch",
                        dynamic_ncols=True)

    def update(self, n, text):
        self.bar.set_postfix_str(text, refresh=False)
        self.bar.update(n)

    def close(self):
        self.bar.close()


class _RichBar:
    def __init__(self, total, desc, file):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), TextColumn("{task.fields[text]}"),
            console=Console(file=file), transient=True,
        )
        self.progress.start()
        self.task = self.progress.add_task(desc, total=total, text="")

    def update(self, n, text):
        self.progress.update(self.task, advance=n, text=text)

    def close(self):
        self.progress.stop()


class _PlainBar:
    """A one-line progress display rewritten with carriage returns."""

    def __init__(self, total, desc, file):
        self.total, self.desc, self.file = total, desc, file
        self.done, self.start = 0, time.perf_counter()

    def update(self, n, text):
        self.done += n
        elapsed = time.perf_counter() - self.start
        eta = elapsed / self.done * (self.total - self.done) if self.total and self.done else 0
        total = self.total or "?"
        self.file.write(f"\r{self.desc} {self.done}/{total} - ETA {_duration(eta)} - {text}")
        self.file.flush()

    def close(self):
        self.file.write("\r\033[K")
        self.file.flush()


class ProgressBar(Callback):
    """Show progress: a live bar per batch on a terminal, and one summary line per epoch.

    The live bar (tqdm if installed, else rich, else plain text) shows the running loss and
    metrics, samples/s and the ETA. When `file` is not a terminal (a log file, CI, a pipe) or
    verbose=2, only the one line per epoch is printed. `Trainer.fit(verbose=...)` adds one of
    these for verbose > 0.

    Args:
        verbose: 1 = live bar + epoch lines (default), 2 = epoch lines only, 0 = nothing.
        file: where to write (default sys.stdout at the time of each epoch).

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> bar = ProgressBar(file=out)
        >>> bar.on_train_begin(); bar.on_epoch_begin(0)
        >>> bar.on_batch_end(0, {"batch": 0, "size": 32, "loss": 0.5})
        >>> bar.on_epoch_end(0, {"loss": 0.5})
        >>> out.getvalue().startswith("Epoch 1 -")
        True
    """

    order = 800

    def __init__(self, verbose: int = 1, file=None):
        super().__init__()
        self.verbose = verbose
        self.file = file
        self._bar = None

    def _out(self):
        return self.file if self.file is not None else sys.stdout

    def _live(self) -> bool:
        out = self._out()
        try:
            return self.verbose == 1 and out.isatty()
        except (AttributeError, ValueError, io.UnsupportedOperation):
            return False

    def _epochs(self):
        params = getattr(self.trainer, "params", None) or {}
        return params.get("epochs"), params.get("steps")

    def on_train_begin(self, logs=None):
        self._bar = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = self._last_batch = time.perf_counter()
        self._samples = 0
        epochs, steps = self._epochs()
        self._title = f"Epoch {epoch + 1}" + (f"/{epochs}" if epochs else "")
        if self._live():
            self._bar = self._make_bar(steps, self._title)

    def _make_bar(self, total, desc):
        out = self._out()
        for maker in (_TqdmBar, _RichBar):
            try:
                return maker(total, desc, out)
            except ImportError:
                continue
        return _PlainBar(total, desc, out)

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        self._samples += int(logs.get("size", 0))
        self._last_batch = time.perf_counter()
        if self._bar is not None:
            elapsed = self._last_batch - self._start
            rate = self._samples / elapsed if elapsed > 0 else 0.0
            self._bar.update(1, f"{_format_logs(logs)} - {rate:,.0f} samples/s")

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self.verbose == 0:
            return
        elapsed = time.perf_counter() - self._start  # training and validation
        train_time = self._last_batch - self._start
        rate = self._samples / train_time if train_time > 0 else 0.0
        line = f"{self._title} - {_duration(elapsed)} - {rate:,.0f} samples/s"
        text = _format_logs(logs or {})
        out = self._out()
        out.write(line + (f" - {text}" if text else "") + "\n")
        out.flush()

    def on_train_end(self, logs=None):
        if self._bar is not None:  # training stopped mid-epoch
            self._bar.close()
            self._bar = None


class CSVLogger(Callback):
    """Write one row per epoch (epoch, loss, metrics, val_*, lr) to a CSV file.

    The whole file is rewritten atomically after each epoch from the rows kept in memory, so
    it is always complete and, after a resumed run, holds exactly one row per epoch.

    Args:
        path: the .csv file.
        separator: column separator (default ',').
        append: keep the rows of an existing file and add to them (default False).

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
        >>> log = CSVLogger(path)
        >>> log.on_train_begin()
        >>> log.on_epoch_end(0, {"loss": 0.5, "accuracy": 0.75})
        >>> print(open(path).read().strip())
        epoch,loss,accuracy
        0,0.5,0.75
    """

    def __init__(self, path, separator: str = ",", append: bool = False):
        super().__init__()
        self.path = os.fspath(path)
        self.separator = separator
        self.append = append
        self.rows: list[dict] = []

    def on_train_begin(self, logs=None):
        self.rows = []
        if self.append and os.path.exists(self.path):
            with open(self.path, newline="") as f:
                self.rows = [dict(r) for r in csv.DictReader(f, delimiter=self.separator)]

    def on_epoch_end(self, epoch, logs=None):
        from glassbox.train.history import to_float

        row = {"epoch": int(epoch)}
        for k, v in (logs or {}).items():
            row[k] = to_float(v, k)
        self.rows.append(row)
        self._write()

    def _write(self) -> None:
        from glassbox.io.serialization import _atomic_write

        folder = os.path.dirname(self.path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        columns: list = []
        for row in self.rows:
            columns.extend(k for k in row if k not in columns)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, delimiter=self.separator,
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        _atomic_write(self.path, buffer.getvalue().encode("utf-8"))

    def state_dict(self) -> dict:
        return {"rows": [dict(r) for r in self.rows]}

    def load_state_dict(self, state: dict) -> None:
        self.rows = [dict(r) for r in state["rows"]]
        if self.rows:
            self._write()
