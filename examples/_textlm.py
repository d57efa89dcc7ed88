"""Shared plumbing for the character language-model examples (text_gpt.py, text_lstm.py).

The data: the first 1,000,000 characters of the Python standard library's sources (benchmarks
W3/W4), one id per character, split 90/10 into train and validation by position. Batches are
random windows; the validation loss is the mean cross-entropy over a fixed set of windows,
in nats per character.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np

import glassbox as gb
from glassbox.data.datasets import text_corpus
from glassbox.models import CharTokenizer


def load_text(max_chars: int, path=None):
    """(tokenizer, train ids, val ids) for the first `max_chars` characters, split 90/10."""
    text = text_corpus(path, max_chars=max_chars)
    tok = CharTokenizer().fit(text)
    ids = tok.encode(text)
    n = int(0.9 * len(ids))
    return tok, ids[:n], ids[n:]


def get_batch(ids: np.ndarray, batch: int, seq: int, rng: np.random.Generator):
    """Random windows: x (batch, seq) and y, the same windows shifted by one character."""
    starts = rng.integers(0, len(ids) - seq - 1, size=batch)
    rows = starts[:, None] + np.arange(seq + 1)  # (batch, seq + 1)
    win = ids[rows]
    return gb.tensor(win[:, :-1]), gb.tensor(win[:, 1:])


def make_val_batches(ids: np.ndarray, n_batches: int, batch: int, seq: int, seed: int = 1234):
    """A fixed list of validation batches, so every evaluation sees the same windows."""
    rng = np.random.default_rng(seed)
    return [get_batch(ids, batch, seq, rng) for _ in range(n_batches)]


def evaluate(loss_fn, model, val_batches) -> float:
    """Mean validation loss (nats per character) of `loss_fn(model, x, y)`, in eval mode."""
    was_training = model.training
    model.eval()
    with gb.no_grad():
        total = sum(float(loss_fn(model, x, y).item()) for x, y in val_batches)
    model.train(was_training)
    return total / len(val_batches)


def lr_at(step: int, frac_time: float, lr: float, warmup: int, schedule: str,
          min_ratio: float = 0.1) -> float:
    """Learning rate: linear warmup over `warmup` steps, then constant or cosine decay.

    The cosine follows the fraction of the time (or step) budget used, `frac_time` in [0, 1],
    so a run with a minutes budget anneals exactly once, however fast the machine is.
    """
    if step < warmup:
        return lr * (step + 1) / warmup
    if schedule == "constant":
        return lr
    f = min(max(frac_time, 0.0), 1.0)
    return lr * (min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * f)))


def train_loop(model, opt, loss_fn, train_ids, val_batches, *, batch: int, seq: int,
               max_steps: int | None, minutes: float | None, lr: float, warmup: int,
               schedule: str, eval_every: int, clip: float | None, seed: int, log=print):
    """Train until `max_steps` or `minutes` runs out; returns the history dict.

    history: step, time (s), train_loss (smoothed), val_loss lists at each evaluation, and
    steps_per_s.
    """
    rng = np.random.default_rng(seed)
    hist = {"step": [], "time": [], "train_loss": [], "val_loss": [], "lr": []}
    budget = None if minutes is None else 60.0 * minutes
    t0 = time.perf_counter()
    step, smooth = 0, None
    eval_time = 0.0  # evaluation time is counted in the wall clock but reported apart

    def record():
        nonlocal eval_time
        te = time.perf_counter()
        v = evaluate(loss_fn, model, val_batches)
        eval_time += time.perf_counter() - te
        now = time.perf_counter() - t0
        hist["step"].append(step)
        hist["time"].append(now)
        hist["train_loss"].append(smooth if smooth is not None else float("nan"))
        hist["val_loss"].append(v)
        hist["lr"].append(opt.param_groups[0]["lr"])
        train = f"{smooth:.4f}" if smooth is not None else "  -   "  # no step taken yet
        log(f"step {step:6d}  {now:7.1f} s  train {train}  "
            f"val {v:.4f} nats/char  lr {opt.param_groups[0]['lr']:.2e}")

    record()
    while True:
        elapsed = time.perf_counter() - t0
        if max_steps is not None and step >= max_steps:
            break
        if budget is not None and elapsed >= budget:
            break
        if budget is not None:
            frac = elapsed / budget
        else:
            frac = step / max(max_steps, 1)
        cur = lr_at(step, frac, lr, warmup, schedule)
        for g in opt.param_groups:
            g["lr"] = cur
        x, y = get_batch(train_ids, batch, seq, rng)
        loss = loss_fn(model, x, y)
        opt.zero_grad()
        loss.backward()
        if clip:
            gb.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        step += 1
        li = float(loss.item())
        if not math.isfinite(li):
            raise FloatingPointError(f"training loss became {li} at step {step}")
        smooth = li if smooth is None else 0.95 * smooth + 0.05 * li
        if step % eval_every == 0:
            record()
    if not hist["step"] or hist["step"][-1] != step:
        record()
    total = time.perf_counter() - t0
    hist["wall_s"] = total
    hist["eval_s"] = eval_time
    hist["steps"] = step
    hist["train_s_per_100_steps"] = 100 * (total - eval_time) / max(step, 1)
    return hist


def save_outputs(out: Path, model, tok, hist: dict, title: str) -> None:
    """model.safetensors, tokenizer.json, history.json and loss.png (if matplotlib is there)."""
    out.mkdir(parents=True, exist_ok=True)
    gb.save(model.state_dict(), out / "model.safetensors")
    tok.save(out / "tokenizer.json")
    (out / "history.json").write_text(json.dumps(hist, indent=1))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install 'glassbox[plot]'): no loss.png")
        return
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, label in ((a1, "step", "step"), (a2, "time", "wall time (s)")):
        ax.plot(hist[key], hist["val_loss"], "o-", label="validation", ms=3)
        ax.plot(hist[key][1:], hist["train_loss"][1:], "-", label="train (smoothed)", alpha=0.7)
        ax.set_xlabel(label)
        ax.set_ylabel("loss (nats/char)")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out / "loss.png", dpi=100)
    plt.close(fig)


def load_note() -> str:
    """The 1-minute load average, so every timing says what it ran under."""
    try:
        return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    except OSError:
        return "load average unknown"


def lm_loss(model, x, y):
    """The training loss of a language model that returns (logits, loss, ...) given targets."""
    return model(x, targets=y)[1]


def add_common_args(ap, out: str) -> None:
    """The command-line options both examples take (data size, seed, output folder)."""
    ap.add_argument("--eval-every", type=int, default=None)
    ap.add_argument("--chars", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=out)


def load_seeded(args):
    """Seed glassbox, load the text and say how much there is: (tok, train_ids, val_ids)."""
    gb.manual_seed(args.seed)
    tok, train_ids, val_ids = load_text(args.chars)
    print(f"text: {len(train_ids):,} train / {len(val_ids):,} validation characters, "
          f"vocabulary {tok.vocab_size}")
    return tok, train_ids, val_ids


def report_sample_save(model, tok, hist: dict, args, sample_len: int, title: str,
                       note: str = "") -> None:
    """Print the run's timing and losses, a sample after "def ", and write the outputs."""
    print(f"done: {hist['steps']} steps in {hist['wall_s']:.1f} s "
          f"({hist['train_s_per_100_steps']:.2f} s per 100 training steps; {load_note()})")
    print(f"final validation loss {hist['val_loss'][-1]:.4f} nats/char "
          f"(best {min(hist['val_loss']):.4f})")

    t0 = time.perf_counter()
    prompt = gb.tensor(tok.encode("def ")[None, :])
    sample = model.generate(prompt, sample_len, temperature=0.8, top_k=40, seed=args.seed)
    print(f"--- sample ({sample_len} tokens, {time.perf_counter() - t0:.1f} s{note}) ---")
    print(tok.decode(sample[0]))
    print("---")
    out = Path(args.out)
    save_outputs(out, model, tok, hist, title)
    print(f"wrote {out}/model.safetensors, tokenizer.json, history.json, loss.png")
