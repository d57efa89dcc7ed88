"""Whole runs: train a model on a dataset and save it as a folder; load, evaluate, predict.

A run folder holds three files:

    model.safetensors   the weights (numbers only: loading never runs code)
    config.json         how to rebuild the model (its spec), what data it was trained on
                        (input shape, classes, normalisation) and the training settings
    history.json        the per-epoch logs (loss, accuracy, val_loss, ..., lr) and test metrics

    result = train_model("mlp", "digits", epochs=5, out="runs/digits")
    model, config = load_run("runs/digits")
    evaluate_run("runs/digits")                       # {'loss': ..., 'accuracy': ...}
    predict_run("runs/digits", read_inputs("digit.png", config))
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import glassbox as gb
import glassbox.nn.functional as F
from glassbox.data import DataLoader, TensorDataset, transforms
from glassbox.train import EarlyStopping, ModelCheckpoint, ProgressBar, Trainer
from glassbox.train import metrics as metrics_lib
from glassbox.train.callbacks import LRSchedulerCallback
from glassbox.workflow.data import load_data, read_csv
from glassbox.workflow.models import build_model, check_fits, model_spec

__all__ = ["OPTIMIZERS", "SCHEDULES", "RunResult", "evaluate_run", "load_run", "predict_run",
           "read_inputs", "run_benchmarks", "summarize_run", "train_model"]

OPTIMIZERS = {"sgd": "SGD", "momentum": "SGD", "adam": "Adam", "adamw": "AdamW",
              "rmsprop": "RMSprop", "adagrad": "Adagrad"}
SCHEDULES = ("none", "step", "cosine", "exponential", "onecycle", "plateau")
WEIGHTS, CONFIG, HISTORY = "model.safetensors", "config.json", "history.json"


@dataclass
class RunResult:
    """What `train_model` returns: the folder, the trained model, its history and test metrics."""

    out: Path
    model: object
    history: dict
    test: dict


def _optimizer(name: str, params, lr: float, weight_decay: float):
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}: use one of {', '.join(OPTIMIZERS)}")
    cls = getattr(gb.optim, OPTIMIZERS[name])
    extra = {"momentum": 0.9} if name == "momentum" else {}
    return cls(params, lr=lr, weight_decay=weight_decay, **extra)


def _schedule(name: str, optimizer, epochs: int, steps: int, lr: float):
    """(scheduler for the Trainer, extra callbacks) for a schedule name."""
    sched = gb.optim.lr_scheduler
    if name in (None, "none"):
        return None, []
    if name == "step":
        return sched.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1), []
    if name == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=max(1, epochs)), []
    if name == "exponential":
        return sched.ExponentialLR(optimizer, gamma=0.9), []
    if name == "plateau":
        return sched.ReduceLROnPlateau(optimizer, patience=2), []
    if name == "onecycle":  # stepped every batch, so it is a callback, not the epoch scheduler
        one = sched.OneCycleLR(optimizer, max_lr=lr, total_steps=max(1, epochs * steps))
        return None, [LRSchedulerCallback(one, interval="batch")]
    raise ValueError(f"unknown schedule {name!r}: use one of {', '.join(SCHEDULES)}")


def _augmentation(data, augment: bool):
    if not augment:
        return None
    if len(data.input_shape) != 3:
        raise ValueError(f"--augment shifts and rotates images; {data.name} has examples of "
                         f"shape {data.input_shape}, not (C, H, W) images")
    return transforms.RandomAffine(degrees=10, translate=(0.1, 0.1))


def _targets(data, y: np.ndarray) -> np.ndarray:
    """Regression targets are standardised and get a trailing axis to match the (N, 1) output."""
    if data.task != "regression":
        return y
    scale = data.target_scale
    return ((y - scale["mean"]) / scale["std"]).astype(np.float32).reshape(-1, 1)


def _regression_metrics(pred: np.ndarray, target: np.ndarray, scale: dict | None) -> dict:
    """mse, mae, rmse in the targets' own units (outputs mapped back through `scale`)."""
    if scale:
        pred = pred * scale["std"] + scale["mean"]
    err = pred[:, 0] - target
    return {"mse": float(np.mean(err**2)), "mae": float(np.mean(np.abs(err))),
            "rmse": float(np.sqrt(np.mean(err**2))), "samples": len(target)}


def _write_json(path: Path, obj) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(obj, indent=2) + "\n")
    os.replace(tmp, path)  # atomic: a reader never sees half a file


def train_model(model: str = "mlp", data: str = "digits", *, epochs: int = 10,
                batch_size: int = 32, lr: float = 1e-3, optimizer: str = "adam",
                schedule: str = "none", augment: bool = False, dropout: float = 0.0,
                weight_decay: float = 0.0, early_stopping: int | None = None,
                checkpoint=None, resume=None, out="runs/latest", hidden: int | None = None,
                validation_fraction: float = 0.1, label_column: str = "label", seed: int = 0,
                verbose: int = 1, text_options: dict | None = None) -> RunResult:
    """Train a registry model or a user's factory on a dataset and save the run folder.

    Args:
        model: 'mlp', 'cnn', 'linear', or 'path/to/file.py:function' (default 'mlp').
        data: a bundled dataset name or a path (see `load_data`) (default 'digits').
        epochs, batch_size, lr: the usual (defaults 10, 32, 1e-3).
        optimizer: 'adam', 'adamw', 'sgd', 'momentum', 'rmsprop' or 'adagrad' (default 'adam').
        schedule: learning-rate schedule, one of SCHEDULES (default 'none').
        augment: random shifts and rotations of training images (default False).
        dropout: dropout probability in the registry models (default 0.0).
        weight_decay: L2 penalty / decoupled decay for AdamW (default 0.0).
        early_stopping: stop after this many epochs without a better val_loss, and keep the
            best weights (default None: never).
        checkpoint: write a resumable checkpoint here after every epoch (default None).
        resume: continue from this checkpoint, up to `epochs` (default None).
        out: the run folder to write (default 'runs/latest').
        hidden: hidden width of mlp / cnn (default: the builder's).
        validation_fraction: part of the training split held out for val_loss (default 0.1).
        label_column: label column of a CSV file (default 'label').
        seed: seeds weights, shuffling and augmentation (default 0).
        verbose: 0 silent, 1 progress bar and a line per epoch, 2 a line per epoch.
        text_options: for language models ('gpt', 'char-lstm' on 'text' or a .txt file):
            {'context': window length, 'max_chars': characters read}; see
            text.train_language_model.

    Returns:
        RunResult with the folder, model, history dict and test metrics.
    """
    from glassbox.workflow.models import LANGUAGE_MODELS
    from glassbox.workflow.text import is_text_source, train_language_model

    if model in LANGUAGE_MODELS or is_text_source(data):
        return train_language_model(
            model, data, epochs=epochs, batch_size=batch_size, lr=lr, optimizer=optimizer,
            schedule=schedule, dropout=dropout, weight_decay=weight_decay,
            early_stopping=early_stopping, checkpoint=checkpoint, resume=resume, out=out,
            hidden=hidden, seed=seed, verbose=verbose, **(text_options or {}))
    gb.manual_seed(seed)
    dataset = load_data(data, label_column=label_column)
    kwargs = {"dropout": dropout} if dropout else {}
    if hidden is not None:
        kwargs["hidden"] = hidden
    spec = model_spec(model, **kwargs)
    net = build_model(spec, dataset.input_shape, dataset.num_outputs)
    check_fits(net, dataset.input_shape, dataset.num_outputs, where=f"model {model!r}")

    x, y = dataset.x_train, _targets(dataset, dataset.y_train)
    n_val = round(len(x) * validation_fraction) if validation_fraction else 0
    val = (x[len(x) - n_val:], y[len(x) - n_val:]) if n_val else None
    x, y = x[: len(x) - n_val], y[: len(y) - n_val]
    loader = DataLoader(TensorDataset(gb.from_numpy(x), gb.from_numpy(y)),
                        batch_size=batch_size, shuffle=True, generator=seed,
                        transform=_augmentation(dataset, augment))

    opt = _optimizer(optimizer, net.parameters(), lr, weight_decay)
    scheduler, callbacks = _schedule(schedule, opt, epochs, len(loader), lr)
    classify = dataset.task == "classification"
    # replayed steps (gb.capture) where the model allows: the same numbers, less Python
    trainer = Trainer(net, F.cross_entropy if classify else F.mse_loss, opt,
                      metrics=("accuracy",) if classify else ("mae",), scheduler=scheduler,
                      capture="auto")
    if early_stopping is not None:
        callbacks.append(EarlyStopping(monitor="val_loss" if val else "loss",
                                       patience=early_stopping, restore_best_weights=True))
    if checkpoint is not None:
        Path(checkpoint).parent.mkdir(parents=True, exist_ok=True)
        callbacks.append(ModelCheckpoint(checkpoint, save_best_only=False))
    if verbose == 1:
        callbacks.append(ProgressBar(1))
    history = trainer.fit(loader, val=val, epochs=epochs, callbacks=callbacks,
                          verbose=0 if verbose == 1 else verbose, resume_from=resume)

    if classify:
        test = trainer.evaluate((dataset.x_test, dataset.y_test), batch_size=max(batch_size, 256))
    else:
        test = _regression_metrics(_forward(net, dataset.x_test, 256), dataset.y_test,
                                   dataset.target_scale)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config = {
        "glassbox_version": gb.__version__, "model": spec, "data": dataset.describe(),
        "training": {"epochs": epochs, "batch_size": batch_size, "lr": lr,
                     "optimizer": optimizer, "schedule": schedule, "augment": augment,
                     "dropout": dropout, "weight_decay": weight_decay,
                     "early_stopping": early_stopping, "seed": seed,
                     "validation_fraction": validation_fraction,
                     "resumed_from": None if resume is None else str(resume)},
    }
    gb.save(net.state_dict(), out / WEIGHTS)
    _write_json(out / CONFIG, config)
    _write_json(out / HISTORY, {"history": history.history, "test": test,
                                "stop_reason": history.stop_reason})
    return RunResult(out, net, history.history, test)


def load_run(run) -> tuple:
    """(model with its trained weights, config dict) from a run folder written by train_model.

    Raises:
        FileNotFoundError: the folder or one of its files is missing.
    """
    run = Path(run)
    if not run.exists():
        raise FileNotFoundError(f"no such run folder: {run}")
    for name in (CONFIG, WEIGHTS):
        if not (run / name).is_file():
            raise FileNotFoundError(f"{run} is not a glassbox run folder (no {name} in it); "
                                    "write one with `glassbox train --out DIR`")
    try:
        config = json.loads((run / CONFIG).read_text())
        data = config["data"]
        outputs = data.get("num_outputs") or (
            data["num_classes"] if data["task"] == "classification" else 1)
        model = build_model(config["model"], data["input_shape"], outputs)
    except (KeyError, TypeError, json.JSONDecodeError) as err:
        raise ValueError(f"{run / CONFIG}: not a glassbox run config ({err})") from None
    model.load_state_dict(gb.load(run / WEIGHTS))
    model.eval()
    return model, config


def evaluate_run(run, data=None, batch_size: int = 256) -> dict:
    """Loss and metrics of a saved run on the test split of its data (or of `data`).

    Regression runs report mse, mae and rmse; classification runs loss and accuracy.
    """
    model, config = load_run(run)
    info = config["data"]
    if info["task"] == "language-model":
        from glassbox.workflow.text import evaluate_language_model

        return evaluate_language_model(model, config, data=data)
    dataset = load_data(data if data is not None else info["source"])
    outputs = info["num_classes"] if info["task"] == "classification" else 1
    check_fits(model, dataset.input_shape, outputs, where=f"run {os.fspath(run)!r}")
    classify = info["task"] == "classification"
    pred = _forward(model, dataset.x_test, batch_size)
    target = dataset.y_test
    if classify:
        loss = F.cross_entropy(gb.from_numpy(pred), gb.from_numpy(target.astype(np.int64)))
        return {"loss": float(loss.item()), "accuracy": metrics_lib.accuracy(pred, target),
                "samples": len(target)}
    return _regression_metrics(pred, target, info.get("target_scale"))


def _forward(model, x: np.ndarray, batch_size: int) -> np.ndarray:
    model.eval()
    outs = []
    with gb.no_grad():
        for i in range(0, len(x), batch_size):
            outs.append(model(gb.from_numpy(np.ascontiguousarray(x[i:i + batch_size]))).numpy())
    return np.concatenate(outs) if outs else np.zeros((0, 1), np.float32)


def _image_file(path: Path) -> np.ndarray:
    """A PNG/JPEG as float32 grey (H, W) or colour (3, H, W), values in [0, 1]."""
    import matplotlib.image as mpimg  # only here: reading an image is the one use of it

    img = np.asarray(mpimg.imread(path), dtype=np.float32)
    if img.dtype.kind in "ui" or img.max() > 1.0:
        img = img / 255.0
    if img.ndim == 3:
        img = img[..., :3]  # drop alpha
    return img


def read_inputs(source, config: dict, values: str | None = None) -> np.ndarray:
    """Model-ready inputs (N, *input_shape) from an image, a .npy, a CSV file or a CSV row.

    Args:
        source: a .png/.jpg image, a .npy array (one example or a batch), or a .csv file
            (one example per row; a label column is dropped). None with `values`.
        config: the run's config (input shape, normalisation).
        values: one example as comma-separated numbers, e.g. "5.1,3.5,1.4,0.2".

    Raises:
        FileNotFoundError: no such file. ValueError: the input cannot take the model's shape.
    """
    shape = tuple(config["data"]["input_shape"])
    norm = config["data"].get("normalize")
    if values is not None:
        try:
            x = np.array([[float(v) for v in values.split(",")]], dtype=np.float64)
        except ValueError:
            raise ValueError(f"--values must be comma-separated numbers, got {values!r}") from None
        where = "--values"
    else:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {source}")
        where, suffix = str(path), path.suffix.lower()
        if suffix == ".npy":
            x = np.load(path, allow_pickle=False).astype(np.float64)
            x = x[None] if x.shape == shape or x.size == np.prod(shape) and x.ndim < 2 else x
        elif suffix == ".csv":
            x, _, _ = read_csv(path)
        elif suffix in (".png", ".jpg", ".jpeg"):
            img = _image_file(path)
            if img.ndim == 3 and (len(shape) != 3 or shape[0] == 1):
                img = img.mean(axis=2)  # colour file, grey model -> grey
            elif img.ndim == 3:
                img = img.transpose(2, 0, 1)  # (H, W, 3) -> (3, H, W)
            x = img[None].astype(np.float64)
        else:
            raise ValueError(f"{source}: cannot read {suffix or 'this'} files as input; use "
                             ".png, .npy or .csv")
    per_example = int(np.prod(shape))
    if x.ndim < 1 or x.size % per_example or x.shape[0] * per_example != x.size:
        raise ValueError(f"{where}: got an input of shape {x.shape}, but the model takes "
                         f"examples of shape {shape} ({per_example} values each)")
    x = x.reshape(-1, *shape)
    if norm is not None:  # the training split's statistics, stored at training time
        x = (x - np.asarray(norm["mean"])) / np.asarray(norm["std"])
    return x.astype(np.float32)


def predict_run(run, inputs: np.ndarray, top: int = 3) -> list[dict]:
    """Predictions of a saved run for model-ready inputs (see `read_inputs`).

    Returns one dict per example: classification {'class', 'probabilities' (top classes with
    their probability)}; regression {'value'}.
    """
    model, config = load_run(run)
    out = _forward(model, np.asarray(inputs, dtype=np.float32), 256)
    if config["data"]["task"] != "classification":
        scale = config["data"].get("target_scale") or {"mean": 0.0, "std": 1.0}
        return [{"value": float(v[0] * scale["std"] + scale["mean"])} for v in out]
    probs = F.softmax(gb.from_numpy(out), dim=1).numpy()
    results = []
    for p in probs:
        order = np.argsort(-p)[:top]
        results.append({"class": int(order[0]),
                        "probabilities": {int(c): float(p[c]) for c in order}})
    return results


def summarize_run(run_or_model, data: str | None = None, batch: int = 1):
    """`glassbox.summary` of a saved run, or of a registry model built for `data`'s shape."""
    from glassbox.workflow.models import LANGUAGE_MODELS

    dtype = gb.float32
    if Path(run_or_model).is_dir():
        model, config = load_run(run_or_model)
        shape = config["data"]["input_shape"]
        if config["data"]["task"] == "language-model":
            dtype = gb.int64  # token ids
    elif run_or_model in LANGUAGE_MODELS:
        from glassbox.workflow.text import load_text

        tok, _, _ = load_text(data or "text", max_chars=20_000)
        shape, dtype = (64,), gb.int64
        model = build_model(model_spec(run_or_model), shape, tok.vocab_size)
    else:
        dataset = load_data(data or "digits")
        spec = model_spec(run_or_model)
        model = build_model(spec, dataset.input_shape, dataset.num_outputs)
        check_fits(model, dataset.input_shape, dataset.num_outputs,
                   where=f"model {run_or_model!r}")
        shape = dataset.input_shape
    return gb.summary(model, (batch, *shape), dtype=dtype)


def run_benchmarks(args=()) -> int:
    """Run benchmarks/run.py (present in a source checkout) with `args`; its exit status."""
    script = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"
    if not script.is_file():
        raise FileNotFoundError(f"benchmarks/run.py not found at {script}; the benchmarks ship "
                                "with the source repository, not the installed package")
    return subprocess.call([sys.executable, str(script), *args])
