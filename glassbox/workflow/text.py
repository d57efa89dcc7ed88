"""Language-model runs: train a GPT or a character LSTM on a text, evaluate it, generate.

    train_language_model("gpt", "text", epochs=2, out="runs/gpt")     # Python's stdlib sources
    train_language_model("char-lstm", "notes.txt", out="runs/lstm")   # a user's text file
    generate_text("runs/gpt", "def ", max_new_tokens=200)

The text is cut into one id per character (CharTokenizer), split 90/10 by position into
training and validation text, and the training text into non-overlapping windows of
`context` characters; the target of each window is the same window shifted by one character.
The run folder is the same as for other runs, and config.json also holds the vocabulary.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn
from glassbox.train import EarlyStopping, ModelCheckpoint, ProgressBar, Trainer

__all__ = ["TEXT_SOURCES", "evaluate_language_model", "generate_text", "is_text_source",
           "load_text", "train_language_model"]

TEXT_SOURCES = ("text",)  # 'text' = the Python standard library's own sources
_TEXT_SUFFIXES = (".txt", ".md", ".py", ".rst")


def is_text_source(data) -> bool:
    """True for 'text' and for paths to plain-text files (.txt, .md, .py, .rst)."""
    return str(data) in TEXT_SOURCES or Path(str(data)).suffix.lower() in _TEXT_SUFFIXES


def load_text(source, max_chars: int | None = 200_000, chars=None):
    """(tokenizer, train ids, validation ids) of a text source, split 90/10 by position.

    Args:
        source: 'text' (the standard library's sources) or a path to a UTF-8 text file.
        max_chars: read at most this many characters (default 200,000).
        chars: an existing vocabulary (a saved run's); None fits one to the text.
    """
    from glassbox.data.datasets import text_corpus
    from glassbox.models import CharTokenizer

    if str(source) not in TEXT_SOURCES and not Path(source).is_file():
        raise FileNotFoundError(f"no such text file: {source}")
    try:
        text = text_corpus(None if str(source) in TEXT_SOURCES else source, max_chars=max_chars)
    except UnicodeDecodeError:
        raise ValueError(f"{source}: not a UTF-8 text file") from None
    if len(text) < 100:
        raise ValueError(f"{source}: {len(text)} characters is too little text to train on")
    tok = CharTokenizer(chars) if chars is not None else CharTokenizer().fit(text)
    if chars is not None:  # drop characters the saved vocabulary does not know
        text = "".join(c for c in text if c in set(chars))
    ids = tok.encode(text)
    n = int(0.9 * len(ids))
    return tok, ids[:n], ids[n:]


def _windows(ids: np.ndarray, context: int) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping (x, y) windows: x = ids[s:s+T], y = ids[s+1:s+T+1]."""
    starts = np.arange(0, len(ids) - context - 1, context)
    if len(starts) == 0:
        raise ValueError(f"the text is too short for windows of {context} characters")
    rows = starts[:, None] + np.arange(context + 1)  # (N, T + 1)
    win = ids[rows]
    return win[:, :-1], win[:, 1:]


class NextToken(nn.Module):
    """Wraps a language model for the Trainer: logits flattened to (B*T, vocab).

    Shape:
        (B, T) int -> (B * T, vocab_size).
    """

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, idx):
        logits = self.model(idx)[0]  # GPT and CharLSTM both return logits first
        b, t, v = logits.shape
        return logits.reshape(b * t, v)


def _next_token_loss(output, target):
    return F.cross_entropy(output, target.reshape(-1))


def _next_token_accuracy(output, target) -> float:
    return float(np.mean(np.asarray(output).argmax(axis=1) == np.asarray(target).reshape(-1)))


def train_language_model(model: str = "gpt", data: str = "text", *, epochs: int = 1,
                         batch_size: int = 32, lr: float = 3e-3, optimizer: str = "adamw",
                         schedule: str = "none", dropout: float = 0.0,
                         weight_decay: float = 0.0, early_stopping: int | None = None,
                         checkpoint=None, resume=None, out="runs/latest",
                         hidden: int | None = None, context: int = 64,
                         max_chars: int | None = 200_000, seed: int = 0, verbose: int = 1,
                         **_ignored):
    """Train 'gpt' or 'char-lstm' on a text and save the run folder (see runs.train_model).

    Args:
        model: 'gpt' or 'char-lstm' (default 'gpt').
        data: 'text' (the standard library's sources) or a path to a text file.
        context: characters per training window (GPT's context length) (default 64).
        max_chars: characters of the text used (default 200,000).
        hidden: CharLSTM's hidden size (default: the builder's).
        The other arguments are those of `train_model`.

    Returns:
        RunResult; its test metrics are the validation text's loss (nats per character),
        bits per character and next-character accuracy.
    """
    from glassbox.workflow.models import LANGUAGE_MODELS, build_model, model_spec
    from glassbox.workflow.runs import (
        CONFIG,
        HISTORY,
        WEIGHTS,
        RunResult,
        _optimizer,
        _schedule,
        _write_json,
    )

    missing = str(data) not in TEXT_SOURCES and not Path(str(data)).exists()
    if missing and is_text_source(data):
        raise FileNotFoundError(f"no such file: {data}")
    if model not in LANGUAGE_MODELS:
        raise ValueError(f"{data} is text: train a language model on it "
                         f"({', '.join(LANGUAGE_MODELS)}), not {model!r}")
    if not is_text_source(data):
        raise ValueError(f"model {model!r} is a language model: train it on text (--data text, "
                         f"or a .txt file), not on {data!r}")
    gb.manual_seed(seed)
    tok, train_ids, val_ids = load_text(data, max_chars)
    kwargs = {"dropout": dropout} if dropout else {}
    if hidden is not None:
        kwargs["hidden"] = hidden
    spec = model_spec(model, **kwargs)
    lm = build_model(spec, (context,), tok.vocab_size)
    x, y = _windows(train_ids, context)
    val = _windows(val_ids, context)
    net = NextToken(lm)
    opt = _optimizer(optimizer, net.parameters(), lr, weight_decay)
    steps = -(-len(x) // batch_size)
    scheduler, callbacks = _schedule(schedule, opt, epochs, steps, lr)
    trainer = Trainer(net, _next_token_loss, opt, metrics=(("accuracy", _next_token_accuracy),),
                      scheduler=scheduler, capture="auto")  # replayed steps, see runs.py
    if early_stopping is not None:
        callbacks.append(EarlyStopping(patience=early_stopping, restore_best_weights=True))
    if checkpoint is not None:
        Path(checkpoint).parent.mkdir(parents=True, exist_ok=True)
        callbacks.append(ModelCheckpoint(checkpoint, save_best_only=False))
    if verbose == 1:
        callbacks.append(ProgressBar(1))
    history = trainer.fit((x, y), val=val, epochs=epochs, batch_size=batch_size,
                          callbacks=callbacks, verbose=0 if verbose == 1 else verbose,
                          resume_from=resume)
    test = trainer.evaluate(val, batch_size=batch_size)
    test["bits_per_char"] = float(test["loss"] / np.log(2))

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config = {
        "glassbox_version": gb.__version__, "model": spec,
        "data": {"source": str(data), "task": "language-model", "num_classes": tok.vocab_size,
                 "num_outputs": tok.vocab_size, "input_shape": [context], "normalize": None,
                 "max_chars": max_chars, "tokenizer": {"type": "char", "chars": tok.chars},
                 "train_size": len(train_ids), "test_size": len(val_ids)},
        "training": {"epochs": epochs, "batch_size": batch_size, "lr": lr,
                     "optimizer": optimizer, "schedule": schedule, "dropout": dropout,
                     "weight_decay": weight_decay, "early_stopping": early_stopping,
                     "seed": seed, "resumed_from": None if resume is None else str(resume)},
    }
    gb.save(lm.state_dict(), out / WEIGHTS)
    _write_json(out / CONFIG, config)
    _write_json(out / HISTORY, {"history": history.history, "test": test,
                                "stop_reason": history.stop_reason})
    return RunResult(out, lm, history.history, test)


def evaluate_language_model(model, config: dict, data=None, batch_size: int = 64) -> dict:
    """Loss (nats per character), bits per character and next-character accuracy on the
    validation part of the run's text (or of `data`)."""
    info = config["data"]
    _, _, val_ids = load_text(data if data is not None else info["source"],
                              info.get("max_chars"), chars=info["tokenizer"]["chars"])
    x, y = _windows(val_ids, info["input_shape"][0])
    net = NextToken(model)
    net.eval()
    total, correct, count = 0.0, 0, 0
    with gb.no_grad():
        for i in range(0, len(x), batch_size):
            out = net(gb.tensor(x[i:i + batch_size]))
            target = gb.tensor(y[i:i + batch_size])
            n = target.numel()
            total += _next_token_loss(out, target).item() * n
            correct += int(_next_token_accuracy(out.numpy(), y[i:i + batch_size]) * n + 0.5)
            count += n
    loss = total / count
    return {"loss": loss, "bits_per_char": float(loss / np.log(2)), "accuracy": correct / count,
            "samples": count}


def generate_text(run, prompt: str = "\n", max_new_tokens: int = 200,
                  temperature: float = 0.8, top_k: int | None = None,
                  seed: int | None = 0) -> str:
    """The prompt followed by `max_new_tokens` characters sampled from a saved language model.

    Raises:
        ValueError: the run is not a language model, or the prompt has characters outside its
        vocabulary.
    """
    from glassbox.models import CharTokenizer
    from glassbox.workflow.runs import load_run

    model, config = load_run(run)
    info = config["data"]
    if info.get("task") != "language-model":
        raise ValueError(f"{run} is a {info.get('task', 'non-text')} model, not a language "
                         "model; train one with --model gpt or char-lstm --data text")
    tok = CharTokenizer(info["tokenizer"]["chars"])
    if not prompt:
        raise ValueError("the prompt is empty; give at least one character")
    ids = tok.encode(prompt)[-info["input_shape"][0]:]  # GPT reads at most `context` ids
    out = model.generate(gb.tensor(ids)[None], max_new_tokens=max_new_tokens,
                         temperature=temperature, top_k=top_k, seed=seed)
    return prompt + tok.decode(out[0].numpy()[len(ids):])
