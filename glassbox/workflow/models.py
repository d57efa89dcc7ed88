"""Models for whole runs: a small registry of reference models, or a factory in a user's file.

A model is described by a JSON-able *spec*, so a saved run can rebuild it before loading its
weights (the weights file holds only numbers, never code):

    {"name": "mlp", "kwargs": {"hidden": 128, "dropout": 0.1}}          # from the registry
    {"factory": "/abs/path/my_model.py:make", "kwargs": {}}              # from a user's file

Every builder is called as `builder(input_shape, num_outputs, **kwargs)`, where input_shape is
the shape of one example, e.g. (64,) or (1, 28, 28).
"""

from __future__ import annotations

import importlib.util
import inspect
import math
from pathlib import Path

import numpy as np

import glassbox as gb
from glassbox import nn

__all__ = ["LANGUAGE_MODELS", "MODELS", "build_model", "check_fits", "load_factory", "model_spec"]


def mlp(input_shape, num_outputs, hidden: int = 128, layers: int = 2, dropout: float = 0.0):
    """Flatten, then `layers - 1` hidden Linear+ReLU(+Dropout) layers, then a Linear output.

    Shape:
        (N, *input_shape) -> (N, num_outputs).
    """
    features = math.prod(input_shape)
    modules, width = [nn.Flatten()], features
    for _ in range(layers - 1):
        modules += [nn.Linear(width, hidden), nn.ReLU()]
        if dropout:
            modules.append(nn.Dropout(dropout))
        width = hidden
    modules.append(nn.Linear(width, num_outputs))
    return nn.Sequential(*modules)


def cnn(input_shape, num_outputs, channels: int = 16, hidden: int = 128, dropout: float = 0.0):
    """Two Conv(3x3)+ReLU+MaxPool(2) blocks, then Linear+ReLU(+Dropout) and a Linear output.

    Shape:
        (N, C, H, W) -> (N, num_outputs); needs images of at least 4x4 pixels.
    """
    if len(input_shape) != 3:
        raise ValueError(f"cnn: expects images of shape (C, H, W), got examples of shape "
                         f"{tuple(input_shape)}; use --model mlp for flat features")
    c, h, w = input_shape
    if h < 4 or w < 4:
        raise ValueError(f"cnn: images must be at least 4x4 pixels, got {h}x{w}")
    modules = [
        nn.Conv2d(c, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, ch, H/2, W/2)
        nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),                                                   # (N, 2ch, H/4, W/4)
        nn.Flatten(),                                                      # (N, 2ch*H/4*W/4)
        nn.Linear(2 * channels * (h // 4) * (w // 4), hidden), nn.ReLU(),
    ]
    if dropout:
        modules.append(nn.Dropout(dropout))
    modules.append(nn.Linear(hidden, num_outputs))
    return nn.Sequential(*modules)


def linear(input_shape, num_outputs):
    """One Linear layer on the flattened input: logistic / linear regression."""
    return nn.Sequential(nn.Flatten(), nn.Linear(math.prod(input_shape), num_outputs))


def gpt(input_shape, num_outputs, n_layer: int = 2, n_head: int = 4, d_model: int = 64,
        dropout: float = 0.0):
    """A small glassbox.models.GPT: context = input_shape[0], vocab_size = num_outputs.

    Shape:
        (N, context) int token ids -> (logits (N, context, vocab), loss or None).
    """
    from glassbox.models import GPT

    return GPT(vocab_size=num_outputs, context=input_shape[0], n_layer=n_layer, n_head=n_head,
               d_model=d_model, dropout=dropout)


def char_lstm(input_shape, num_outputs, embed: int = 32, hidden: int = 128,
              num_layers: int = 1, dropout: float = 0.0):
    """A small glassbox.models.CharLSTM over a vocabulary of num_outputs characters.

    Shape:
        (N, T) int token ids -> (logits (N, T, vocab), loss or None, state).
    """
    from glassbox.models import CharLSTM

    return CharLSTM(vocab_size=num_outputs, embed=embed, hidden=hidden, num_layers=num_layers,
                    dropout=dropout)


MODELS = {"mlp": mlp, "cnn": cnn, "linear": linear, "gpt": gpt, "char-lstm": char_lstm}
# models of text: their input is token ids, their data a text (see workflow/text.py)
LANGUAGE_MODELS = ("gpt", "char-lstm")


def load_factory(reference: str):
    """The function named by 'path/to/file.py:function' (the file is run as a module).

    Raises:
        FileNotFoundError: the file does not exist. ValueError: bad reference or no such
        function in the file.
    """
    path, sep, name = str(reference).rpartition(":")
    if not sep or not path.endswith(".py") or not name:
        raise ValueError(f"model file must be given as path.py:function, got {reference!r}")
    file = Path(path).expanduser()
    if not file.is_file():
        raise FileNotFoundError(f"no such model file: {path}")
    spec = importlib.util.spec_from_file_location(f"glassbox_user_model_{file.stem}", file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    factory = getattr(module, name, None)
    if not callable(factory):
        raise ValueError(f"{path} defines no function {name!r}")  # noqa: TRY004  (a bad spec)
    return factory


def model_spec(model: str, **kwargs) -> dict:
    """The JSON spec for a registry name or a 'file.py:function' reference (path made absolute)."""
    if model in MODELS:
        return {"name": model, "kwargs": kwargs}
    if ":" in model and model.rpartition(":")[0].endswith(".py"):
        path, _, name = model.rpartition(":")
        return {"factory": f"{Path(path).expanduser().resolve()}:{name}", "kwargs": kwargs}
    raise ValueError(f"unknown model {model!r}: use one of {', '.join(MODELS)}, or "
                     "path/to/file.py:function")


def build_model(spec: dict, input_shape, num_outputs: int):
    """Build the Module a spec describes for examples of `input_shape` and `num_outputs` outputs.

    Registry builders get (input_shape, num_outputs, **kwargs). A user's factory gets whichever
    of input_shape, num_outputs and the kwargs its signature names (a factory with no
    parameters is simply called).

    Example:
        >>> model = build_model({"name": "mlp", "kwargs": {"hidden": 8}}, (4,), 3)
        >>> model(gb.zeros(2, 4)).shape
        (2, 3)
    """
    kwargs = dict(spec.get("kwargs") or {})
    if "name" in spec:
        builder = MODELS[spec["name"]]
        known = inspect.signature(builder).parameters
        kwargs = {k: v for k, v in kwargs.items() if k in known}  # e.g. no dropout for linear
        return builder(tuple(input_shape), num_outputs, **kwargs)
    factory = load_factory(spec["factory"])
    params = inspect.signature(factory).parameters
    offered = {"input_shape": tuple(input_shape), "num_outputs": num_outputs,
               "num_classes": num_outputs, **kwargs}
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    model = factory(**{k: v for k, v in offered.items() if takes_any or k in params})
    if not isinstance(model, nn.Module):
        raise ValueError(  # noqa: TRY004  (a bad model spec, as the other spec errors)
            f"{spec['factory']} returned {type(model).__name__}, not a glassbox nn.Module")
    return model


def check_fits(model, input_shape, num_outputs: int, where: str = "model") -> None:
    """Run two dummy examples through `model` and check it gives (2, num_outputs).

    Raises:
        ValueError: the forward pass fails on this input shape, or the output has another shape.
    """
    x = gb.from_numpy(np.zeros((2, *input_shape), dtype=np.float32))
    was_training = model.training
    model.eval()
    try:
        with gb.no_grad():
            out = model(x)
    except Exception as err:  # any failure here means the model and the data disagree
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ValueError(f"{where} does not fit the data: examples of shape "
                         f"{tuple(input_shape)} fail in the forward pass: {first}") from err
    finally:
        model.train(was_training)
    want = (2, num_outputs)
    if tuple(out.shape) != want:
        raise ValueError(f"{where} does not fit the data: expected output (N, {num_outputs}) "
                         f"for {num_outputs} outputs, got {tuple(out.shape)[1:]} per batch "
                         f"(shape {tuple(out.shape)})")
