"""Callbacks: EarlyStopping, ModelCheckpoint, CSVLogger, LRSchedulerCallback, ProgressBar."""

import csv
import io
import os

import numpy as np
import pytest

import glassbox as gb
import glassbox.data
import glassbox.nn.functional as F
from glassbox import nn
from glassbox.optim.lr_scheduler import ReduceLROnPlateau, StepLR
from glassbox.train import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LRSchedulerCallback,
    ModelCheckpoint,
    ProgressBar,
    Trainer,
)
from tests.train.helpers import RecordWeights, same_weights, weights_of


class Score(Callback):
    """Adds a 'score' to the epoch logs from a fixed sequence (a stand-in for any metric)."""

    def __init__(self, values):
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["score"] = self.values[epoch]


def _trainer(seed=0, lr=0.1):
    gb.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    return Trainer(model, F.cross_entropy, gb.optim.SGD(model.parameters(), lr=lr))


def _small(digits, n=200):
    return digits.x_train[:n], digits.y_train[:n]


# ---------------------------------------------------------------------------------------------
# EarlyStopping


def test_early_stopping_stops_after_patience_and_restores_best_weights(digits):
    trainer = _trainer()
    record = RecordWeights()
    scores = [5.0, 3.0, 4.0, 2.5, 2.6, 2.7, 2.8, 1.0, 0.5, 0.1]
    stopper = EarlyStopping(monitor="score", patience=2)
    history = trainer.fit(_small(digits), epochs=10, verbose=0,
                          callbacks=[Score(scores), record, stopper])
    # best at epoch index 3; epochs 4 and 5 do not improve -> stop after epoch index 5
    assert history.epoch == [0, 1, 2, 3, 4, 5]
    assert stopper.stopped_epoch == 5 and stopper.best_epoch == 3 and stopper.best == 2.5
    assert same_weights(weights_of(trainer.model), record.by_epoch[3])
    assert not same_weights(weights_of(trainer.model), record.by_epoch[5])


def test_early_stopping_on_real_val_loss_ends_with_best_epoch_weights(digits):
    # a tiny training set and a big learning rate: validation loss bottoms out, then rises
    trainer = _trainer(lr=0.5)
    record = RecordWeights()
    history = trainer.fit((digits.x_train[:60], digits.y_train[:60]),
                          val=(digits.x_test, digits.y_test), epochs=40, verbose=0,
                          callbacks=[record, EarlyStopping(patience=3)])
    val_loss = history.history["val_loss"]
    best = int(np.argmin(val_loss))
    assert len(val_loss) < 40, "expected training to stop early"
    assert len(val_loss) == best + 4  # patience 3 after the best epoch
    assert same_weights(weights_of(trainer.model), record.by_epoch[best])


def test_early_stopping_min_delta_mode_and_no_restore(digits):
    trainer = _trainer()
    record = RecordWeights()
    stopper = EarlyStopping(monitor="score", mode="max", min_delta=0.1, patience=2,
                            restore_best_weights=False)
    # 0.55 and 0.58 are not better than 0.5 by more than min_delta
    history = trainer.fit(_small(digits), epochs=6, verbose=0,
                          callbacks=[Score([0.3, 0.5, 0.55, 0.58, 0.9, 1.0]), record, stopper])
    assert history.epoch == [0, 1, 2, 3]
    assert same_weights(weights_of(trainer.model), record.by_epoch[3])  # the last weights, kept


def test_early_stopping_auto_mode():
    assert EarlyStopping("val_accuracy").mode == "max"
    assert EarlyStopping("top_k_accuracy").mode == "max"
    assert EarlyStopping("val_f1").mode == "max"
    assert EarlyStopping("val_loss").mode == "min"
    assert EarlyStopping("mae").mode == "min"
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)


# ---------------------------------------------------------------------------------------------
# Missing monitored metric


@pytest.mark.parametrize("make", [
    lambda: EarlyStopping(),
    lambda: ModelCheckpoint("unused-{epoch}.safetensors"),
    lambda: LRSchedulerCallback(ReduceLROnPlateau(
        gb.optim.SGD([gb.nn.Parameter(gb.zeros(1))], lr=0.1))),
])
def test_missing_monitored_metric_lists_the_metrics_that_exist(digits, make, tmp_path,
                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    trainer = _trainer()
    with pytest.raises(ValueError) as info:
        trainer.fit(_small(digits), epochs=2, verbose=0, callbacks=[make()])
    message = str(info.value)
    assert "'val_loss' is not in the logs" in message
    assert "'loss', 'accuracy', 'lr'" in message
    assert "validation" in message  # the hint: pass val= or validation_split=
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------------------------
# ModelCheckpoint


def test_model_checkpoint_writes_only_on_improvement(digits, tmp_path):
    trainer = _trainer()
    record = RecordWeights()
    scores = [3.0, 2.0, 2.5, 1.0, 1.0, 1.5]
    checkpoint = ModelCheckpoint(tmp_path / "ckpt-{epoch:02d}.safetensors", monitor="score")
    trainer.fit(_small(digits), epochs=6, verbose=0,
                callbacks=[Score(scores), record, checkpoint])
    written = sorted(os.listdir(tmp_path))
    assert written == ["ckpt-01.safetensors", "ckpt-02.safetensors", "ckpt-04.safetensors"]
    for name in written:
        epoch = int(name[5:7])
        ckpt = gb.load_checkpoint(tmp_path / name)
        assert ckpt["epoch"] == epoch
        weights = {k: v._data for k, v in ckpt["model"].items()}
        assert same_weights(weights, record.by_epoch[epoch - 1])
        assert len(ckpt["history"]["loss"]) == epoch  # the history up to that epoch
    assert checkpoint.best == 1.0 and checkpoint.last_saved.endswith("ckpt-04.safetensors")


def test_model_checkpoint_one_file_best_only_and_every_epoch(digits, tmp_path):
    trainer = _trainer()
    record = RecordWeights()
    best = ModelCheckpoint(tmp_path / "best.safetensors", monitor="val_accuracy")
    every = ModelCheckpoint(tmp_path / "last.safetensors", save_best_only=False)
    weights_only = ModelCheckpoint(tmp_path / "w.safetensors", save_best_only=False,
                                   save_weights_only=True)
    history = trainer.fit(_small(digits, 300), validation_split=0.3, epochs=5, verbose=0,
                          callbacks=[record, best, every, weights_only])
    best_epoch = int(np.argmax(history.history["val_accuracy"]))  # first of equal maxima
    ckpt = gb.load_checkpoint(tmp_path / "best.safetensors")
    assert ckpt["epoch"] == best_epoch + 1
    assert same_weights({k: v._data for k, v in ckpt["model"].items()}, record.by_epoch[best_epoch])
    assert gb.load_checkpoint(tmp_path / "last.safetensors")["epoch"] == 5
    loaded = {k: v._data for k, v in gb.load(tmp_path / "w.safetensors").items()}
    assert same_weights(loaded, record.by_epoch[4])
    assert [f for f in os.listdir(tmp_path) if f.endswith(".tmp")] == []


def test_model_checkpoint_bad_path_field(digits, tmp_path):
    trainer = _trainer()
    with pytest.raises(ValueError, match="val_acc"):
        trainer.fit(_small(digits), epochs=1, verbose=0, callbacks=[ModelCheckpoint(
            tmp_path / "m-{val_acc:.2f}.safetensors", save_best_only=False)])


# ---------------------------------------------------------------------------------------------
# CSVLogger


def test_csv_logger_writes_one_row_per_epoch(digits, tmp_path):
    trainer = _trainer()
    path = tmp_path / "logs" / "train.csv"
    history = trainer.fit(_small(digits), validation_split=0.25, epochs=3, verbose=0,
                          callbacks=[CSVLogger(path)])
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr"]
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    for key, values in history.history.items():
        assert [float(r[key]) for r in rows] == values, key  # exact: repr round-trips


def test_csv_logger_append(digits, tmp_path):
    path = tmp_path / "train.csv"
    _trainer().fit(_small(digits), epochs=2, verbose=0, callbacks=[CSVLogger(path)])
    _trainer().fit(_small(digits), epochs=1, verbose=0, callbacks=[CSVLogger(path, append=True)])
    with open(path, newline="") as f:
        assert [r["epoch"] for r in csv.DictReader(f)] == ["0", "1", "0"]


# ---------------------------------------------------------------------------------------------
# LR schedules


def test_scheduler_steps_per_epoch_and_lr_is_logged(digits):
    gb.manual_seed(0)
    model = nn.Linear(64, 10)
    opt = gb.optim.SGD(model.parameters(), lr=0.1)
    trainer = Trainer(model, F.cross_entropy, opt, scheduler=StepLR(opt, step_size=1, gamma=0.5))
    history = trainer.fit(_small(digits), epochs=3, verbose=0)
    assert history.history["lr"] == [0.1, 0.05, 0.025]  # the lr each epoch trained with
    assert opt.param_groups[0]["lr"] == 0.0125


def test_scheduler_per_batch(digits):
    gb.manual_seed(0)
    model = nn.Linear(64, 10)
    opt = gb.optim.SGD(model.parameters(), lr=1.0)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    Trainer(model, F.cross_entropy, opt).fit(
        _small(digits, 100), epochs=1, batch_size=25, verbose=0,
        callbacks=[LRSchedulerCallback(sched, interval="batch")])
    assert opt.param_groups[0]["lr"] == 0.5 ** 4


def test_reduce_lr_on_plateau_gets_the_monitored_metric(digits):
    gb.manual_seed(0)
    model = nn.Linear(64, 10)
    opt = gb.optim.SGD(model.parameters(), lr=1.0)
    plateau = ReduceLROnPlateau(opt, mode="min", factor=0.1, patience=0)
    history = Trainer(model, F.cross_entropy, opt).fit(
        _small(digits, 100), epochs=4, verbose=0,
        callbacks=[Score([1.0, 2.0, 2.0, 0.5]),
                   LRSchedulerCallback(plateau, monitor="score")])
    # lr trained with per epoch: reduced after epochs 1 and 2 (no improvement, patience 0)
    assert history.history["lr"] == pytest.approx([1.0, 1.0, 0.1, 0.01])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.01)


# ---------------------------------------------------------------------------------------------
# ProgressBar


def test_progress_bar_live_on_a_terminal(digits):
    import pty

    master, slave = pty.openpty()
    try:
        with os.fdopen(slave, "w", closefd=False) as terminal:
            assert terminal.isatty()
            bar = ProgressBar(verbose=1, file=terminal)
            _trainer().fit(_small(digits), epochs=2, batch_size=50, verbose=0, callbacks=[bar])
            terminal.flush()
        output = b""
        while True:
            import select

            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                break
            output += os.read(master, 65536)
    finally:
        os.close(master)
        os.close(slave)
    text = output.decode(errors="replace")
    assert "samples/s" in text and "loss: " in text
    assert "\r" in text  # redrawn in place, per batch
    assert text.count("Epoch 1/2 - ") >= 1 and "Epoch 2/2 - " in text


def test_progress_bar_quiet_when_not_a_terminal(digits):
    out = io.StringIO()
    _trainer().fit(_small(digits), epochs=2, batch_size=50, verbose=0,
                   callbacks=[ProgressBar(verbose=1, file=out)])
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in out.getvalue()
    assert lines[1].startswith("Epoch 2/2 - ")


def test_callbacks_run_in_order_then_list_order():
    calls = []

    class Named(Callback):
        def __init__(self, name, order=0):
            super().__init__()
            self.name, self.order = name, order

        def on_epoch_end(self, epoch, logs=None):
            calls.append(self.name)

    from glassbox.train import CallbackList

    CallbackList([Named("a"), Named("last", 5), Named("b"), Named("first", -5)]).on_epoch_end(0)
    assert calls == ["first", "a", "b", "last"]
