"""Trainer: fit / evaluate / predict on real data, History, NaN/Inf handling, input forms."""

import math
import time
import warnings

import numpy as np
import pytest

import glassbox as gb
import glassbox.data
import glassbox.nn.functional as F
from glassbox import nn
from glassbox.data import DataLoader, TensorDataset
from glassbox.train import Callback, History, Trainer
from tests.train.helpers import RecordWeights, same_weights, weights_of


def _mlp():
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def test_fits_digits_to_90_percent_in_seconds(digits):
    gb.manual_seed(0)
    model = _mlp()
    trainer = Trainer(model, F.cross_entropy, gb.optim.Adam(model.parameters(), lr=3e-3))
    start = time.perf_counter()
    history = trainer.fit((digits.x_train, digits.y_train), val=(digits.x_test, digits.y_test),
                          epochs=8, batch_size=32, verbose=0)
    elapsed = time.perf_counter() - start
    result = trainer.evaluate((digits.x_test, digits.y_test))
    assert result["accuracy"] >= 0.90, result
    assert elapsed < 30, f"training took {elapsed:.1f}s"
    # the last val_accuracy in the history is exactly what evaluate reports
    assert history.history["val_accuracy"][-1] == result["accuracy"]
    assert history.history["val_loss"][-1] == pytest.approx(result["loss"], rel=1e-6)
    # predict agrees with evaluate's accuracy
    predicted = trainer.predict(digits.x_test).numpy().argmax(axis=1)
    assert np.mean(predicted == digits.y_test) == result["accuracy"]


def test_history_holds_python_floats_only(digits):
    gb.manual_seed(0)
    model = _mlp()
    trainer = Trainer(model, F.cross_entropy, gb.optim.SGD(model.parameters(), lr=0.1),
                      metrics=("accuracy", "f1"))
    history = trainer.fit((digits.x_train[:300], digits.y_train[:300]), validation_split=0.2,
                          epochs=3, verbose=0)
    assert isinstance(history, History) and history is trainer.history
    assert history.epoch == [0, 1, 2]
    assert set(history.history) == {"loss", "accuracy", "f1", "val_loss", "val_accuracy",
                                    "val_f1", "lr"}
    for key, values in history.history.items():
        assert len(values) == 3, key
        assert all(type(v) is float for v in values), (key, [type(v) for v in values])
    assert history.history["lr"] == [0.1, 0.1, 0.1]
    assert history.params["epochs"] == 3 and history.params["samples"] == 240


def test_batch_logs_are_running_floats(digits):
    seen = []

    class Spy(Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(dict(logs))

    gb.manual_seed(0)
    model = _mlp()
    Trainer(model, F.cross_entropy, gb.optim.SGD(model.parameters(), lr=0.1)).fit(
        (digits.x_train[:100], digits.y_train[:100]), epochs=1, batch_size=30, verbose=0,
        callbacks=[Spy()])
    assert [s["batch"] for s in seen] == [0, 1, 2, 3]
    assert [s["size"] for s in seen] == [30, 30, 30, 10]
    assert all(type(s["loss"]) is float and type(s["accuracy"]) is float for s in seen)


def test_accepts_dataset_dataloader_tensors_and_arrays(digits):
    x, y = digits.x_train[:200], digits.y_train[:200]
    forms = {
        "arrays": (x, y),
        "tensors": (gb.tensor(x), gb.tensor(y)),
        "dataset": TensorDataset(gb.tensor(x), gb.tensor(y)),
        "loader": None,
    }
    results = {}
    for name, data in forms.items():
        gb.manual_seed(0)
        model = _mlp()
        if name == "loader":
            data = DataLoader(TensorDataset(gb.tensor(x), gb.tensor(y)), batch_size=32,
                              shuffle=True)
        trainer = Trainer(model, F.cross_entropy, gb.optim.SGD(model.parameters(), lr=0.1))
        trainer.fit(data, epochs=2, verbose=0)
        results[name] = weights_of(model)
    # the same seed gives the same run whichever form the data comes in
    for name in ("tensors", "dataset", "loader"):
        assert same_weights(results[name], results["arrays"]), name


def test_float64_arrays_train_in_float32(digits):
    gb.manual_seed(0)
    model = _mlp()
    trainer = Trainer(model, F.cross_entropy, gb.optim.SGD(model.parameters(), lr=0.1))
    trainer.fit((digits.x_train[:64].astype(np.float64), digits.y_train[:64]), verbose=0)
    assert trainer.predict(digits.x_test[:4].astype(np.float64)).dtype == np.float32


def test_validation_split_takes_the_last_examples(digits):
    x, y = digits.x_train[:100], digits.y_train[:100]
    gb.manual_seed(0)
    model = _mlp()
    trainer = Trainer(model, F.cross_entropy, gb.optim.SGD(model.parameters(), lr=0.1))
    history = trainer.fit((x, y), validation_split=0.3, epochs=1, verbose=0)
    expected = trainer.evaluate((x[70:], y[70:]))
    assert history.history["val_loss"][0] == expected["loss"]
    assert history.params["samples"] == 70


def test_regression_with_mae_rmse_r2():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 3)).astype(np.float32)
    y = (x @ np.array([[1.5], [-2.0], [0.5]], dtype=np.float32) + 0.3).astype(np.float32)
    gb.manual_seed(0)
    model = nn.Linear(3, 1)
    trainer = Trainer(model, F.mse_loss, gb.optim.SGD(model.parameters(), lr=0.1),
                      metrics=("mae", "rmse", "r2"))
    history = trainer.fit((x, y), epochs=30, verbose=0)
    result = trainer.evaluate((x, y))
    assert result["r2"] > 0.999 and result["rmse"] < 0.05
    assert history.history["rmse"][-1] < history.history["rmse"][0]
    assert result["rmse"] == pytest.approx(math.sqrt(result["loss"]), rel=1e-4)


@pytest.mark.parametrize("capture", [False, True])
def test_nan_loss_stops_names_epoch_and_step_and_restores_last_good_weights(digits, capture):
    x = digits.x_train[:256].copy()
    y = digits.y_train[:256]

    class CorruptAfterFirstEpoch(Callback):
        """A data source going bad: example 100 becomes NaN after epoch 1."""

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                x_tensor._data[100, 5] = np.nan

    x_tensor = gb.tensor(x)
    gb.manual_seed(0)
    model = _mlp()
    record = RecordWeights()
    trainer = Trainer(model, F.cross_entropy, gb.optim.Adam(model.parameters(), lr=1e-3),
                      capture=capture)
    with pytest.warns(RuntimeWarning) as caught:
        history = trainer.fit((x_tensor, gb.tensor(y)), epochs=5, batch_size=32, shuffle=False,
                              callbacks=[record, CorruptAfterFirstEpoch()], verbose=0)
    assert trainer.capture == capture  # the replay stopped at the NaN just as eager mode did
    assert all(p.grad is None for p in model.parameters())  # no backward's NaN left behind
    message = str(caught[0].message)
    # example 100 is in batch 100 // 32 = 3, i.e. step 4 (1-based) of epoch 2
    assert "epoch 2/5, step 4/8" in message, message
    assert "nan" in message and "inputs hold 1 NaN/Inf" in message
    assert trainer.stop_training and history.stop_reason == message
    assert len(history.epoch) == 1  # the broken epoch is not recorded
    # the weights are those at the end of epoch 1, the last good state
    assert same_weights(weights_of(model), record.by_epoch[0])


def test_diverging_training_names_the_first_non_finite_parameter():
    x = np.full((8, 1), 1e4, dtype=np.float32)
    y = np.zeros((8, 1), dtype=np.float32)
    gb.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 1))
    start = weights_of(model)
    trainer = Trainer(model, F.mse_loss, gb.optim.SGD(model.parameters(), lr=1e31), metrics=())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = trainer.fit((x, y), epochs=3, batch_size=4, shuffle=False, verbose=0)
    messages = [str(w.message) for w in caught if "Trainer.fit" in str(w.message)]
    assert len(messages) == 1, messages
    assert "epoch 1/3, step 2/2" in messages[0]
    assert "First non-finite parameter: '0.weight'" in messages[0]
    assert history.epoch == []
    assert same_weights(weights_of(model), start)  # restored to the start of epoch 1
    assert np.isfinite(model[0].weight._data).all()


def test_evaluate_and_predict_leave_training_mode_and_need_no_grad(digits):
    gb.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.Dropout(0.5), nn.Linear(32, 10))
    trainer = Trainer(model, F.cross_entropy, gb.optim.SGD(model.parameters(), lr=0.1))
    model.train()
    out1 = trainer.predict(digits.x_test[:10])
    out2 = trainer.predict((digits.x_test[:10], digits.y_test[:10]))
    assert model.training  # restored
    assert out1.shape == (10, 10) and not out1.requires_grad
    assert out1._data.tobytes() == out2._data.tobytes()  # eval mode: dropout is off
    assert set(trainer.evaluate((digits.x_test, digits.y_test))) == {"loss", "accuracy"}


def test_stop_training_from_a_callback(digits):
    class StopAtBatch(Callback):
        def on_batch_end(self, batch, logs=None):
            if batch == 2:
                self.trainer.stop_training = True

    gb.manual_seed(0)
    model = _mlp()
    trainer = Trainer(model, F.cross_entropy, gb.optim.SGD(model.parameters(), lr=0.1))
    history = trainer.fit((digits.x_train[:320], digits.y_train[:320]), epochs=4, verbose=0,
                          callbacks=[StopAtBatch()])
    assert history.epoch == [0]


def test_bad_arguments_are_named(digits):
    model = _mlp()
    opt = gb.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="unknown metric 'acuracy'"):
        Trainer(model, F.cross_entropy, opt, metrics=("acuracy",))
    trainer = Trainer(model, F.cross_entropy, opt)
    data = (digits.x_train[:10], digits.y_train[:10])
    with pytest.raises(ValueError, match="validation_split"):
        trainer.fit(data, validation_split=1.5, verbose=0)
    with pytest.raises(ValueError, match="either val= or validation_split="):
        trainer.fit(data, val=data, validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match="epochs"):
        trainer.fit(data, epochs=-1, verbose=0)
    with pytest.raises(FileNotFoundError, match="nope.safetensors"):
        trainer.fit(data, resume_from="nope.safetensors", verbose=0)
    with pytest.raises(TypeError, match="Callback"):
        trainer.fit(data, callbacks=[object()], verbose=0)
    with pytest.raises(ValueError, match="scalar"):
        Trainer(model, lambda out, y: out, opt).fit(data, verbose=0)


def test_verbose_output_one_line_per_epoch_when_not_a_terminal(digits, capsys):
    gb.manual_seed(0)
    model = _mlp()
    trainer = Trainer(model, F.cross_entropy, gb.optim.SGD(model.parameters(), lr=0.1))
    trainer.fit((digits.x_train[:200], digits.y_train[:200]), validation_split=0.2, epochs=3,
                verbose=1)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("Epoch 1/3 - ") and "samples/s" in lines[0]
    assert "loss: " in lines[2] and "val_accuracy: " in lines[2] and "lr: " in lines[2]
    trainer.fit((digits.x_train[:200], digits.y_train[:200]), epochs=2, verbose=0)
    assert capsys.readouterr().out == ""


def test_non_finite_weights_after_the_last_step_of_an_epoch_are_caught():
    # one step per epoch: its loss is finite, its update overflows to inf
    x = np.full((8, 1), 1e4, dtype=np.float32)
    y = np.zeros((8, 1), dtype=np.float32)
    gb.manual_seed(0)
    model = nn.Linear(1, 1)
    start = weights_of(model)
    trainer = Trainer(model, F.mse_loss, gb.optim.SGD(model.parameters(), lr=1e31), metrics=())
    with np.errstate(over="ignore", invalid="ignore"), pytest.warns(
            RuntimeWarning, match=r"non-finite during epoch 1/3.*'weight'"):
        history = trainer.fit((x, y), epochs=3, batch_size=8, verbose=0)
    assert history.epoch == []
    assert same_weights(weights_of(model), start)


def _resumable_run(digits, epochs, callbacks=(), resume_from=None):
    gb.manual_seed(5)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 10))
    opt = gb.optim.Adam(model.parameters(), lr=1e-3)
    trainer = Trainer(model, F.cross_entropy, opt)
    history = trainer.fit((digits.x_train[:300], digits.y_train[:300]), epochs=epochs,
                          batch_size=32, callbacks=list(callbacks), verbose=0,
                          resume_from=resume_from)
    return model, history


@pytest.mark.parametrize("batch", [0, 3, 9])  # 300 examples / 32: batch 9 is the last
def test_resume_from_a_checkpoint_written_mid_epoch(digits, tmp_path, batch):
    path = tmp_path / "mid.safetensors"

    class SaveMidEpoch(Callback):
        def on_batch_end(self, b, logs=None):
            if self.trainer.epoch == 1 and b == batch:
                self.trainer.save_checkpoint(path)

    full, full_history = _resumable_run(digits, 3, callbacks=[SaveMidEpoch()])
    assert gb.load_checkpoint(path)["epoch"] == 1
    resumed, history = _resumable_run(digits, 3, resume_from=path)
    assert same_weights(weights_of(resumed), weights_of(full))
    assert history.epoch == [0, 1, 2]
    assert history.history == full_history.history  # the interrupted epoch's logs are whole


def test_resume_after_the_last_epoch_trains_no_more(digits, tmp_path):
    from glassbox.train import ModelCheckpoint

    path = tmp_path / "last.safetensors"
    full, history = _resumable_run(digits, 2, [ModelCheckpoint(path, save_best_only=False)])
    resumed, again = _resumable_run(digits, 2, resume_from=path)
    assert same_weights(weights_of(resumed), weights_of(full))
    assert again.history == history.history


# ---------------------------------------------------------------------------------------------
# Trainer(capture=True): the same training, replayed


def _capture_run(digits, make_model, capture, epochs=2):
    gb.manual_seed(0)
    model = make_model()
    trainer = Trainer(model, F.cross_entropy, gb.optim.Adam(model.parameters(), lr=3e-3),
                      capture=capture)
    data = (digits.x_train[:250], digits.y_train[:250])  # a last, smaller batch too
    history = trainer.fit(data, val=(digits.x_test[:100], digits.y_test[:100]), epochs=epochs,
                          batch_size=32, verbose=0)
    return trainer, history.history, weights_of(model)


def _image_cnn():
    return nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 10))


@pytest.mark.parametrize("make_model", [_mlp, _image_cnn], ids=["mlp", "cnn"])
def test_captured_training_gives_the_eager_history_and_weights(digits, make_model):
    _, eager_history, eager_weights = _capture_run(digits, make_model, capture=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing here needs the eager fallback
        trainer, history, weights = _capture_run(digits, make_model, capture=True)
    assert history == eager_history
    assert same_weights(weights, eager_weights)
    assert trainer.capture and len(trainer._captured._plans) == 2  # batches of 32 and of 26


@pytest.mark.parametrize("layer, why", [(lambda: nn.Dropout(0.3), "Dropout"),
                                        (lambda: nn.BatchNorm1d(64), "batch norm")])
def test_a_model_capture_cannot_follow_trains_eagerly_with_a_warning(digits, layer, why):
    def make_model():
        return nn.Sequential(nn.Linear(64, 64), layer(), nn.ReLU(), nn.Linear(64, 10))

    _, eager_history, eager_weights = _capture_run(digits, make_model, capture=False)
    with pytest.warns(RuntimeWarning, match=f"training eagerly instead, since .*{why}"):
        trainer, history, weights = _capture_run(digits, make_model, capture=True)
    assert not trainer.capture
    assert history == eager_history  # the failed recording's random draws were given back
    assert same_weights(weights, eager_weights)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 'auto' falls back without a word
        trainer, history, weights = _capture_run(digits, make_model, capture="auto")
    assert history == eager_history and same_weights(weights, eager_weights)


def test_capture_must_be_true_false_or_auto():
    model = _mlp()
    with pytest.raises(ValueError, match="capture must be True, False or 'auto', got 'yes'"):
        Trainer(model, F.cross_entropy, gb.optim.SGD(model.parameters(), lr=0.1), capture="yes")


def test_a_hook_or_a_new_layer_after_the_recording_is_not_skipped(digits):
    """A callback that hooks or swaps a layer mid-training: the step records again."""

    class Swap(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                self.model[2] = nn.Linear(64, 10)  # a new layer, new parameters
                self.trainer.optimizer.add_param_group({"params": self.model[2].parameters()})
            if epoch == 1:
                self.model[0].register_forward_hook(lambda m, a, out: seen.append(out.shape))

    seen = []
    gb.manual_seed(0)
    model = _mlp()
    trainer = Trainer(model, F.cross_entropy, gb.optim.Adam(model.parameters(), lr=3e-3),
                      capture=True)
    new_layer = []

    class Keep(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                new_layer.append(weights_of(self.model[2]))

    with pytest.warns(RuntimeWarning, match="training eagerly instead, since .*hook"):
        trainer.fit((digits.x_train[:128], digits.y_train[:128]), epochs=3, batch_size=32,
                    verbose=0, callbacks=[Swap(), Keep()])
    assert not same_weights(weights_of(model[2]), new_layer[0])  # the new layer trained
    assert len(seen) == 4  # the hook ran on each batch of the last epoch
