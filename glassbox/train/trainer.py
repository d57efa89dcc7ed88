"""Trainer: Keras-style fit / evaluate / predict for any glassbox Module.

The training loop is the textbook one, written out so it can be read:

    for each epoch:
        for each batch (x, y):
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)        # forward pass
            loss.backward()                    # backpropagation
            optimizer.step()                   # gradient descent
        evaluate on the validation data        # watch for overfitting

Everything else -- early stopping, checkpoints, LR schedules, progress bars, CSV logs -- is a
callback (callbacks.py) that sees the loop only through its `on_*` hooks, the `logs` dict,
`trainer.stop_training` and `transform_batch` (which may replace a batch before the forward
pass, e.g. with adversarial examples). The Trainer has no special case for any of them.

Two safety nets are built in:

* NaN / Inf: the loss is checked at every step before backward. A non-finite loss stops
  training with a warning that names the epoch, the step and the first non-finite parameter
  (or says the parameters are finite and looks at the batch), and restores the weights and the
  optimizer state from the start of that epoch -- the last state known to be good.
* Exact resume: `save_checkpoint` stores the model, optimizer, scheduler, glassbox's RNG state,
  the DataLoader's shuffling state (its seed and position), the history and every callback's
  state. `fit(..., resume_from=path)` restores all of them, so a run killed after epoch k and
  resumed ends with bit-for-bit the weights of a run that never stopped.
"""

from __future__ import annotations

import copy
import math
import numbers
import os
import warnings

import numpy as np

from glassbox import autograd, backend
from glassbox.capture import GraphCaptureError, capture
from glassbox.nn.layers.normalization import _BatchNorm
from glassbox.tensor import Tensor
from glassbox.train import metrics as metrics_lib
from glassbox.train.callbacks import CallbackList, LRSchedulerCallback, ProgressBar
from glassbox.train.history import History

__all__ = ["Trainer"]


class Trainer:
    """Train, evaluate and run a model, Keras style: `fit`, `evaluate`, `predict`.

    Args:
        model: the Module to train.
        loss_fn: `loss_fn(output, target) -> scalar Tensor`, e.g. `F.cross_entropy` or
            `nn.MSELoss()`.
        optimizer: a glassbox optimizer over the model's parameters.
        metrics: metric names or functions reported as logs (default ('accuracy',)); see
            `glassbox.train.metrics.get`. Use () for none, ('mae',) for regression.
        scheduler: an LR scheduler stepped once per epoch (default None); for per-batch
            stepping pass `LRSchedulerCallback(scheduler, interval='batch')` as a callback.
        capture (bool or 'auto'): run each training step through `glassbox.capture`:
            recorded once per batch shape, then replayed without Python dispatch, with the
            same numbers (docs/capture.md). A model a replay cannot follow (batch norm,
            dropout in training mode, forward hooks, reading values in forward) trains
            eagerly instead, with a warning saying why; with 'auto', without the warning.
            Default False.

    Attributes:
        stop_training: set to True (by a callback) to end training after the current batch.
        history: the History of the latest `fit`.
        params: {'epochs', 'steps', 'batch_size', 'samples'} of the latest `fit`.

    Example:
        >>> import numpy as np
        >>> import glassbox as gb
        >>> import glassbox.nn as nn
        >>> import glassbox.nn.functional as F
        >>> gb.manual_seed(0)  # doctest: +ELLIPSIS
        Generator(PCG64) at 0x...
        >>> x = np.random.default_rng(0).normal(size=(200, 2)).astype(np.float32)
        >>> y = (x[:, 0] > 0).astype(np.int64)
        >>> model = nn.Linear(2, 2)
        >>> trainer = Trainer(model, F.cross_entropy, gb.optim.SGD(model.parameters(), lr=0.5))
        >>> history = trainer.fit((x, y), epochs=5, verbose=0)
        >>> history.history["accuracy"][-1] > 0.9
        True
        >>> round(trainer.evaluate((x, y))["accuracy"], 2) > 0.9
        True
    """

    def __init__(self, model, loss_fn, optimizer, metrics=("accuracy",), scheduler=None,
                 capture: bool | str = False):
        if not (callable(model) and hasattr(model, "parameters") and hasattr(model, "state_dict")):
            raise TypeError(f"Trainer: model must be a glassbox Module, got {type(model).__name__}")
        if not callable(loss_fn):
            raise TypeError(f"Trainer: loss_fn must be callable, got {type(loss_fn).__name__}")
        for method in ("step", "zero_grad", "state_dict", "load_state_dict"):
            if not callable(getattr(optimizer, method, None)):
                raise TypeError(
                    f"Trainer: optimizer must have a {method}() method, got "
                    f"{type(optimizer).__name__}"
                )
        if isinstance(metrics, (str, tuple)) and (isinstance(metrics, str) or (
                len(metrics) == 2 and isinstance(metrics[0], str) and callable(metrics[1]))):
            metrics = [metrics]  # a single metric given without a list around it
        self.metrics = [metrics_lib.get(m) for m in (metrics or ())]
        names = [name for name, _ in self.metrics]
        clash = [n for n in names if n in ("loss", "lr") or names.count(n) > 1]
        if clash:
            raise ValueError(
                f"Trainer: metric names must be unique and not 'loss'/'lr', got {names}"
            )
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.scheduler = scheduler
        if capture not in (True, False, "auto"):
            raise ValueError(f"Trainer: capture must be True, False or 'auto', got {capture!r}")
        self.capture = capture
        self._captured = None  # the captured step (glassbox.capture), made at its first use
        self._captured_state = None  # what of the model it was recorded with
        self.stop_training = False
        self.stop_reason = None
        self.history = History()
        self.params: dict = {}
        self.epoch = 0
        self.callbacks = CallbackList()
        self._train_loader = None
        self._epochs_done = 0
        self._batches_done = 0  # batches of the current epoch already trained on
        self._totals = None  # the current epoch's loss and outputs so far
        self._config: dict = {}

    # ------------------------------------------------------------------------------------------
    def fit(self, train, val=None, validation_split=None, epochs: int = 1, batch_size: int = 32,
            shuffle: bool = True, callbacks=(), verbose: int = 1, resume_from=None) -> History:
        """Train for `epochs` epochs and return the History.

        Args:
            train: the training data: a Dataset, a DataLoader, or a pair (x, y) of arrays or
                Tensors (float arrays become the default float dtype, as in DataLoader).
            val: validation data in the same forms (default None); its results are logged
                with a 'val_' prefix.
            validation_split: fraction of `train` held out for validation -- the last
                examples, before shuffling, as in Keras (default None). Not for DataLoaders.
            epochs: index of the epoch to stop at; with resume_from, training continues from
                the checkpoint's epoch up to this one (default 1).
            batch_size: examples per batch when `train` is not a DataLoader (default 32).
            shuffle: reshuffle the training data every epoch (default True; not for
                DataLoaders, which shuffle as they were built to).
            callbacks: Callback instances (default ()).
            verbose: 0 silent, 1 progress bar on a terminal plus a line per epoch (default),
                2 a line per epoch. (Pass 0 when `callbacks` has its own ProgressBar.)
            resume_from: a checkpoint written by ModelCheckpoint / `save_checkpoint` to
                continue from (default None).

        Returns:
            History, whose `.history` maps each log key to a list of floats, one per epoch.
        """
        _check_int("epochs", epochs, minimum=0)
        _check_int("batch_size", batch_size, minimum=1)
        if not isinstance(shuffle, bool):
            raise TypeError(f"Trainer.fit: shuffle must be a bool, got {shuffle!r}")
        if verbose not in (0, 1, 2):
            raise ValueError(f"Trainer.fit: verbose must be 0, 1 or 2, got {verbose!r}")
        if validation_split is not None and val is not None:
            raise ValueError("Trainer.fit: pass either val= or validation_split=, not both")
        if resume_from is not None and not os.path.exists(resume_from):
            raise FileNotFoundError(
                f"Trainer.fit: resume_from checkpoint {os.fspath(resume_from)!r} does not exist"
            )

        train, split_val = _split(train, validation_split)
        val = split_val if split_val is not None else val
        train_loader = _loader(train, batch_size, shuffle, "train")
        val_loader = None if val is None else _loader(val, batch_size, False, "val")

        self.history = History()
        all_callbacks = []
        if self.scheduler is not None:
            monitor = "val_loss" if val_loader is not None else "loss"
            all_callbacks.append(LRSchedulerCallback(self.scheduler, monitor=monitor))
        all_callbacks.extend(callbacks)
        if verbose:
            all_callbacks.append(ProgressBar(verbose))
        all_callbacks.append(self.history)
        self.callbacks = CallbackList(all_callbacks, trainer=self)

        steps = len(train_loader) if hasattr(train_loader, "__len__") else None
        self.params = {"epochs": epochs, "steps": steps, "batch_size": batch_size,
                       "samples": _num_samples(train_loader)}
        self.history.params = dict(self.params)
        self._config = {
            "epochs": epochs, "batch_size": batch_size, "shuffle": shuffle,
            "validation_split": validation_split, "metrics": [n for n, _ in self.metrics],
            "model": type(self.model).__name__, "optimizer": type(self.optimizer).__name__,
            "loss_fn": getattr(self.loss_fn, "__name__", type(self.loss_fn).__name__),
        }
        self._train_loader = train_loader
        self.stop_training = False
        self.stop_reason = None

        self.callbacks.on_train_begin({})
        start_epoch, first_step, partial = 0, 0, None
        if resume_from is not None:
            start_epoch, first_step, partial = self._resume(resume_from, train_loader)
        self._epochs_done = start_epoch

        logs: dict = {}
        for epoch in range(start_epoch, epochs):
            self.epoch = epoch
            good_state = self._snapshot()  # restored if this epoch hits a NaN/Inf loss
            self.callbacks.on_epoch_begin(epoch, {})
            self.model.train()
            self._totals = totals = _Totals(self.metrics)
            if partial is not None:  # resuming mid-epoch: the epoch's first batches' numbers
                totals.load_state_dict(partial)
            self._batches_done = first_step
            completed = self._train_epoch(train_loader, totals, epoch, first_step, good_state)
            first_step, partial = 0, None
            if not (completed and self._check_parameters(epoch, good_state)):
                break
            logs = totals.result()
            if val_loader is not None:
                logs.update({"val_" + k: v for k, v in self._evaluate_loader(val_loader).items()})
            lr = self._current_lr()
            if lr is not None:
                logs["lr"] = lr
            self._epochs_done = epoch + 1
            self.callbacks.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        self.callbacks.on_train_end(logs)
        self.history.stop_reason = self.stop_reason
        return self.history

    def _train_epoch(self, loader, totals, epoch: int, first_step: int, good_state) -> bool:
        """One pass over the training data; False if a non-finite loss stopped training."""
        steps = self.params.get("steps")
        if steps is not None and first_step >= steps > 0:
            # resumed from a checkpoint written after the epoch's last batch, before its end:
            # only the end of the epoch (validation, callbacks) is left to do
            loader = ()
        for step, batch in enumerate(loader, start=first_step):
            inputs, target = _unpack(batch, "Trainer.fit", need_target=True)
            n = _batch_len(target)
            self.callbacks.on_batch_begin(step, {"batch": step, "size": n})
            inputs, target = self.callbacks.transform_batch(step, inputs, target)
            n = _batch_len(target)  # a callback may have changed the batch's size

            self.optimizer.zero_grad()
            replayed = self._replayed_step(inputs, target) if self.capture else None
            if replayed is None:
                output = self.model(*inputs)
                loss = _scalar_loss(self.loss_fn(output, target))
            else:
                loss, output = replayed  # the replay ran the backward pass too
            value = float(loss.item())
            if not math.isfinite(value):  # check before the update: it would spread it
                if replayed is not None:
                    self.optimizer.zero_grad()  # as in eager mode, where no backward ran
                self._stop_non_finite(value, epoch, step, steps, inputs, good_state)
                return False
            if replayed is None:
                loss.backward()
            self.optimizer.step()

            self._batches_done = step + 1  # what a checkpoint written now has behind it
            totals.add(output, target, value, n, running=True)
            self.callbacks.on_batch_end(step, {"batch": step, "size": n, **totals.running()})
            if self.stop_training:
                break
        self._batches_done = 0
        if totals.count == 0 and not self.stop_training:
            raise ValueError("Trainer.fit: the training data gave no batches (is it empty?)")
        return True

    def _replayed_step(self, inputs, target):
        """(loss, output) of a captured forward and backward pass; None where the model
        cannot be captured (then capture is off for this Trainer, after a warning)."""
        modules = list(self.model.modules())
        # what a recording took as fixed: the parameter objects, and that no hook runs (a
        # callback may swap a layer or add a hook, e.g. for pruning): a change records again
        state = (tuple(id(p) for p in self.model.parameters()),
                 any(m._forward_hooks or m._forward_pre_hooks for m in modules))
        if self._captured is None or state != self._captured_state:
            # refused before recording: a recording runs the forward pass before it can
            # refuse, and batch norm's running statistics would be updated twice that step
            if any(isinstance(m, _BatchNorm) for m in modules):
                self._stop_capturing("batch norm's running statistics change outside its "
                                     "op's inputs")
                return None
            model, loss_fn = self.model, self.loss_fn

            def step(*args):
                output = model(*args[:-1])
                return _scalar_loss(loss_fn(output, args[-1])), output

            self._captured, self._captured_state = capture(step, backward=True), state
        rng = backend.get_rng_state()
        try:
            return self._captured(*inputs, target)
        except GraphCaptureError as err:
            backend.set_rng_state(rng)  # the eager step draws what the recording drew
            self._stop_capturing(str(err))
            return None

    def _stop_capturing(self, why: str) -> None:
        """Train eagerly from now on, with a warning unless capture='auto' (the caller then
        returns None)."""
        if self.capture is True:
            warnings.warn(f"Trainer(capture=True): training eagerly instead, since {why}",
                          RuntimeWarning, stacklevel=5)  # at the call of fit
        self.capture, self._captured = False, None

    # ------------------------------------------------------------------------------------------
    def evaluate(self, data, batch_size: int = 32) -> dict:
        """Loss and metrics over `data`, in eval mode and without gradients.

        Args:
            data: a Dataset, a DataLoader, or a pair (x, y) of arrays or Tensors.
            batch_size: examples per batch when `data` is not a DataLoader (default 32).

        Returns:
            dict of floats: {'loss': ..., '<metric>': ...}.
        """
        _check_int("batch_size", batch_size, minimum=1)
        return self._evaluate_loader(_loader(data, batch_size, False, "evaluate"))

    def predict(self, data, batch_size: int = 32) -> Tensor:
        """The model's outputs for every example of `data`, concatenated along dim 0.

        Args:
            data: inputs x (array or Tensor), a pair (x, y) (y is ignored), a Dataset or a
                DataLoader; when its examples are tuples, the last element is taken to be the
                target and left out.
            batch_size: examples per batch when `data` is not a DataLoader (default 32).

        Returns:
            A Tensor of shape (N, *output_shape).
        """
        _check_int("batch_size", batch_size, minimum=1)
        if isinstance(data, (Tensor, np.ndarray)):
            data = _tensor_dataset(data)
        loader = _loader(data, batch_size, False, "predict")
        was_training = self.model.training
        self.model.eval()
        outputs = []
        try:
            with autograd.no_grad():
                for batch in loader:
                    inputs, _ = _unpack(batch, "Trainer.predict", need_target=False)
                    outputs.append(_array_of(self.model(*inputs), "model output"))
        finally:
            self.model.train(was_training)
        if not outputs:
            raise ValueError("Trainer.predict: the data gave no batches (is it empty?)")
        return Tensor._wrap(np.concatenate(outputs, axis=0))

    def _evaluate_loader(self, loader) -> dict:
        was_training = self.model.training
        self.model.eval()
        totals = _Totals(self.metrics)
        try:
            with autograd.no_grad():
                for batch in loader:
                    inputs, target = _unpack(batch, "Trainer.evaluate", need_target=True)
                    output = self.model(*inputs)
                    value = float(_scalar_loss(self.loss_fn(output, target)).item())
                    totals.add(output, target, value, _batch_len(target), running=False)
        finally:
            self.model.train(was_training)
        if totals.count == 0:
            raise ValueError("Trainer.evaluate: the data gave no batches (is it empty?)")
        return totals.result()

    # ------------------------------------------------------------------------------------------
    def save_checkpoint(self, path) -> None:
        """Write everything needed to resume this fit exactly, atomically (io.save_checkpoint).

        Holds: model and optimizer state, scheduler state, completed epochs, glassbox's RNG
        state and the training DataLoader's state (seed and position), the config of the fit
        call, the history, and each callback's `state_dict()`.

        Args:
            path: the checkpoint file to write.
        """
        from glassbox.io import save_checkpoint

        loader_state = None
        if callable(getattr(self._train_loader, "state_dict", None)):
            loader_state = self._train_loader.state_dict()
        save_checkpoint(
            path,
            model=self.model,
            optimizer=self.optimizer,
            scheduler=self.scheduler,
            epoch=self._epochs_done,
            rng={"glassbox": backend.get_rng_state(), "loader": loader_state},
            config=self._config,
            history=self.history.history,
            extra={"trainer": {
                "callbacks": self.callbacks.state_dict(),
                "batches_done": self._batches_done,
                # mid-epoch: the loss and outputs so far, so the epoch's logs come out whole
                "partial_epoch": self._totals.state_dict() if self._batches_done else None,
            }},
        )

    def _resume(self, path, train_loader) -> tuple[int, int, dict | None]:
        """Restore a checkpoint; return (first epoch to run, first step of that epoch, the
        epoch's totals so far when the checkpoint was written mid-epoch)."""
        from glassbox.io import load_checkpoint

        ckpt = load_checkpoint(path)
        if ckpt["model"] is None:
            raise ValueError(f"Trainer.fit: resume_from {os.fspath(path)!r} holds no model weights")
        self.model.load_state_dict(ckpt["model"])
        if ckpt["optimizer"] is not None:
            self.optimizer.load_state_dict(ckpt["optimizer"])
        if self.scheduler is not None and ckpt["scheduler"] is not None:
            self.scheduler.load_state_dict(ckpt["scheduler"])
        rng = ckpt["rng"] or {}
        if rng.get("glassbox") is not None:
            backend.set_rng_state(rng["glassbox"])
        if rng.get("loader") is not None:
            if not callable(getattr(train_loader, "load_state_dict", None)):
                raise ValueError(
                    f"Trainer.fit: {os.fspath(path)!r} holds a DataLoader state, but the "
                    f"training data ({type(train_loader).__name__}) can't load it"
                )
            train_loader.load_state_dict(rng["loader"])
        trainer_state = (ckpt["extra"] or {}).get("trainer", {})
        self.callbacks.load_state_dict(trainer_state.get("callbacks", []))
        # a checkpoint written mid-epoch (from on_batch_end) resumes inside that epoch: the
        # loader skips the batches already used, and step numbers continue from there
        step = int(trainer_state.get("batches_done", 0))
        return int(ckpt["epoch"] or 0), step, trainer_state.get("partial_epoch")

    # ------------------------------------------------------------------------------------------
    def _snapshot(self) -> dict:
        return {
            "model": {k: np.array(v._data, copy=True) for k, v in self.model.state_dict().items()},
            "optimizer": copy.deepcopy(self.optimizer.state_dict()),
            "scheduler": (copy.deepcopy(self.scheduler.state_dict())
                          if self.scheduler is not None else None),
        }

    def _stop_non_finite(self, value, epoch, step, steps, inputs, good_state) -> None:
        """A NaN/Inf loss at (epoch, step): say where and why, restore, stop."""
        where = f"epoch {epoch + 1}/{self.params['epochs']}, step {step + 1}"
        where += f"/{steps}" if steps else ""
        culprit = _first_non_finite_parameter(self.model)
        if culprit is not None:
            name, shape, count = culprit
            cause = (f"First non-finite parameter: '{name}' (shape {shape}, {count} non-finite "
                     "values) -- the previous update blew up; try a smaller learning rate or "
                     "gradient clipping.")
        else:
            bad_inputs = sum(int((~np.isfinite(a)).sum()) for a in map(_array_of_input, inputs)
                             if a is not None and a.dtype.kind == "f")
            cause = ("All parameters are finite; "
                     + (f"this batch's inputs hold {bad_inputs} NaN/Inf values."
                        if bad_inputs else
                        "so the loss itself overflowed or took log(0) on this batch."))
        self._restore_and_stop(f"the loss is {value} at {where}. {cause}", epoch, good_state)

    def _check_parameters(self, epoch, good_state) -> bool:
        """After an epoch whose losses were all finite: are the weights finite too? (The last
        step's update is never seen by a loss.)"""
        culprit = _first_non_finite_parameter(self.model)
        if culprit is None:
            return True
        name, shape, count = culprit
        self._restore_and_stop(
            f"the parameters became non-finite during epoch {epoch + 1}/{self.params['epochs']} "
            f"although every step's loss was finite. First non-finite parameter: '{name}' "
            f"(shape {shape}, {count} non-finite values).", epoch, good_state)
        return False

    def _restore_and_stop(self, what: str, epoch: int, good_state) -> None:
        self.model.load_state_dict(good_state["model"])
        self.optimizer.load_state_dict(good_state["optimizer"])
        if good_state["scheduler"] is not None:
            self.scheduler.load_state_dict(good_state["scheduler"])
        self.stop_reason = (
            f"Trainer.fit: {what} Training stopped; the weights and optimizer state were "
            f"restored to the start of epoch {epoch + 1}, the last good state."
        )
        self.stop_training = True
        warnings.warn(self.stop_reason, RuntimeWarning, stacklevel=4)

    def _current_lr(self):
        groups = getattr(self.optimizer, "param_groups", None)
        if groups and "lr" in groups[0]:
            return float(groups[0]["lr"])
        return None


# ---------------------------------------------------------------------------------------------
# Loss and metric bookkeeping


class _Totals:
    """Sample-weighted running loss, plus the outputs and targets seen, for exact metrics.

    Epoch metrics are computed once on all the epoch's outputs, so metrics that are not means
    over examples (rmse, r2, f1) come out exactly as on the whole data; the running values in
    batch logs (for progress bars) are sample-weighted means of per-batch values.
    """

    def __init__(self, metrics):
        self.metrics = metrics
        self.loss_sum = 0.0
        self.count = 0
        self.outputs, self.targets = [], []
        self.running_sums = {name: 0.0 for name, _ in metrics}

    def add(self, output, target, loss: float, n: int, running: bool) -> None:
        self.loss_sum += loss * n
        self.count += n
        if not self.metrics:
            return
        out, tgt = _array_of(output, "model output"), _array_of(target, "target")
        self.outputs.append(out)
        self.targets.append(tgt)
        if running:
            for name, fn in self.metrics:
                self.running_sums[name] += float(fn(out, tgt)) * n

    def state_dict(self) -> dict:
        """The totals so far, as plain data and arrays (for mid-epoch checkpoints)."""
        return {
            "loss_sum": self.loss_sum, "count": self.count,
            "running_sums": dict(self.running_sums),
            "outputs": np.concatenate(self.outputs, axis=0) if self.outputs else None,
            "targets": np.concatenate(self.targets, axis=0) if self.targets else None,
        }

    def load_state_dict(self, state: dict) -> None:
        self.loss_sum, self.count = float(state["loss_sum"]), int(state["count"])
        self.running_sums.update(state["running_sums"])
        self.outputs = [state["outputs"]] if state["outputs"] is not None else []
        self.targets = [state["targets"]] if state["targets"] is not None else []

    def running(self) -> dict:
        logs = {"loss": self.loss_sum / self.count}
        logs.update({k: v / self.count for k, v in self.running_sums.items()})
        return logs

    def result(self) -> dict:
        logs = {"loss": self.loss_sum / self.count}
        if self.metrics:
            out = np.concatenate(self.outputs, axis=0)
            tgt = np.concatenate(self.targets, axis=0)
            for name, fn in self.metrics:
                logs[name] = float(fn(out, tgt))
        return logs


def _scalar_loss(loss) -> Tensor:
    if not isinstance(loss, Tensor):
        raise TypeError(f"Trainer: loss_fn must return a Tensor, got {type(loss).__name__}")
    if loss._data.size != 1:
        raise ValueError(
            f"Trainer: loss_fn must return a scalar (one-element) Tensor, got shape {loss.shape}; "
            "use reduction='mean' or 'sum'"
        )
    return loss


def _first_non_finite_parameter(model):
    for name, p in model.named_parameters():
        bad = ~np.isfinite(p._data)
        if bad.any():
            return name, tuple(p._data.shape), int(bad.sum())
    return None


# ---------------------------------------------------------------------------------------------
# Data: (x, y) pairs, Datasets and DataLoaders


def _check_int(name: str, value, minimum: int) -> None:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"Trainer.fit: {name} must be an int >= {minimum}, got {value!r}")


def _as_tensor(a, what: str) -> Tensor:
    if isinstance(a, Tensor):
        return a
    array = np.asarray(a)
    if array.dtype == object:
        raise TypeError(f"Trainer: {what} must be a numeric array or Tensor, got dtype object")
    if array.dtype.kind == "f":
        # like DataLoader's collate: float64 from NumPy/scikit-learn would run the model in float64
        array = array.astype(backend.get_default_dtype(), copy=False)
    return Tensor._wrap(array)


def _tensor_dataset(*arrays):
    from glassbox.data import TensorDataset

    return TensorDataset(*[_as_tensor(a, "data") for a in arrays])


def _is_pair(data) -> bool:
    return isinstance(data, (tuple, list)) and len(data) == 2 and all(
        isinstance(a, (Tensor, np.ndarray, list)) for a in data)


def _is_loader(data) -> bool:
    from glassbox.data import DataLoader

    return isinstance(data, DataLoader) or (
        hasattr(data, "__iter__") and not hasattr(data, "__getitem__"))


def _split(train, validation_split):
    """(training data, held-out validation data or None)."""
    if validation_split is None:
        return train, None
    if not isinstance(validation_split, numbers.Real) or not 0 < validation_split < 1:
        raise ValueError(
            f"Trainer.fit: validation_split must be a float in (0, 1), got {validation_split!r}"
        )
    if _is_loader(train):
        raise ValueError(
            "Trainer.fit: validation_split needs (x, y) arrays or a Dataset, not a DataLoader; "
            "pass val= instead"
        )
    if _is_pair(train):
        x, y = _as_tensor(train[0], "x"), _as_tensor(train[1], "y")
        n = x.shape[0]
    else:
        n = len(train)
    n_val = int(n * validation_split)
    if n_val == 0 or n_val == n:
        raise ValueError(
            f"Trainer.fit: validation_split={validation_split} of {n} examples leaves "
            f"{n - n_val} for training and {n_val} for validation; both need at least one"
        )
    cut = n - n_val  # as Keras: the last examples, before any shuffling
    if _is_pair(train):
        head = (Tensor._wrap(x._data[:cut]), Tensor._wrap(y._data[:cut]))
        tail = (Tensor._wrap(x._data[cut:]), Tensor._wrap(y._data[cut:]))
        return head, tail
    from glassbox.data import Subset

    return Subset(train, range(cut)), Subset(train, range(cut, n))


def _loader(data, batch_size: int, shuffle: bool, where: str):
    """A DataLoader (or the given loader) over `data`."""
    from glassbox.data import DataLoader

    if _is_loader(data):
        return data
    if _is_pair(data):
        data = _tensor_dataset(data[0], data[1])
    if not (hasattr(data, "__getitem__") and hasattr(data, "__len__")):
        raise TypeError(
            f"Trainer ({where}): data must be a Dataset, a DataLoader or a pair (x, y) of "
            f"arrays/Tensors, got {type(data).__name__}"
        )
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle)


def _num_samples(loader):
    dataset = getattr(loader, "dataset", None)
    try:
        return len(dataset) if dataset is not None else None
    except TypeError:
        return None


def _unpack(batch, where: str, need_target: bool):
    """A batch -> (tuple of model inputs, target or None). The last element is the target."""
    if isinstance(batch, (list, tuple)):
        if len(batch) >= 2 or (len(batch) == 1 and need_target):
            if len(batch) < 2:
                raise ValueError(
                    f"{where}: each batch must be (inputs..., target); got a batch of "
                    f"{len(batch)} element(s)"
                )
            inputs, target = batch[:-1], batch[-1]
        else:
            inputs, target = batch, None
    else:
        if need_target:
            raise ValueError(
                f"{where}: each batch must be (inputs..., target); got a single "
                f"{type(batch).__name__}"
            )
        inputs, target = (batch,), None
    inputs = tuple(b if isinstance(b, Tensor) else _as_tensor(b, "input") for b in inputs)
    if target is not None and not isinstance(target, Tensor):
        target = _as_tensor(target, "target")
    return inputs, target


def _batch_len(t) -> int:
    return int(t.shape[0]) if t.ndim > 0 else 1


def _array_of(t, what: str) -> np.ndarray:
    if isinstance(t, Tensor):
        return t._data
    if isinstance(t, np.ndarray):
        return t
    raise TypeError(f"Trainer: {what} must be a Tensor, got {type(t).__name__}")


def _array_of_input(t):
    return t._data if isinstance(t, Tensor) else None
