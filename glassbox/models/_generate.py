"""What the language models (GPT, CharLSTM) share: next-token loss and sampling.

Both return logits (B, T, vocab) for token ids (B, T) and generate by sampling one token per
row at a time; the bookkeeping around that (eval mode, no_grad, the generator) lives here once.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

import glassbox.nn.functional as F
from glassbox.autograd import no_grad
from glassbox.tensor import Tensor, tensor


def next_token_loss(where: str, logits: Tensor, targets, vocab_size: int) -> Tensor:
    """Mean cross-entropy of logits (B, T, vocab) against targets (B, T), checked like idx."""
    B, T = logits.shape[0], logits.shape[1]
    if not isinstance(targets, Tensor):
        targets = tensor(np.asarray(targets))
    if tuple(targets.shape) != (B, T):
        raise ValueError(f"{where}: expected targets shaped {(B, T)} like idx, got "
                         f"{tuple(targets.shape)}")
    # (B, T, vocab) -> (B * T, vocab): every position is one classification
    return F.cross_entropy(logits.reshape(B * T, vocab_size), targets.reshape(B * T))


@contextmanager
def sampling(model, seed):
    """Eval mode and no_grad for the block, restoring the training flag after; yields the rng.

    seed: an int for a reproducible numpy Generator, or None for glassbox's default generator.
    """
    from glassbox import backend

    rng = np.random.default_rng(seed) if seed is not None else backend.default_generator()
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            yield rng
    finally:
        model.train(was_training)


def sample(logits: np.ndarray, temperature: float, top_k, top_p, rng) -> np.ndarray:
    """One token id per row of `logits` (B, V), after temperature, top-k and top-p filtering."""
    logits = logits.astype(np.float64)
    if temperature == 0:
        return logits.argmax(axis=-1)
    logits = logits / temperature
    V = logits.shape[-1]
    if top_k is not None and top_k < V:
        kth = np.sort(logits, axis=-1)[:, V - top_k][:, None]  # the k-th largest per row
        logits = np.where(logits < kth, -np.inf, logits)
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs /= probs.sum(axis=-1, keepdims=True)
    if top_p is not None and top_p < 1.0:
        order = np.argsort(-probs, axis=-1, kind="stable")
        sorted_p = np.take_along_axis(probs, order, axis=-1)
        # keep a token if the mass before it is still < top_p (the most likely always stays)
        keep_sorted = (np.cumsum(sorted_p, axis=-1) - sorted_p) < top_p
        keep = np.zeros_like(keep_sorted)
        np.put_along_axis(keep, order, keep_sorted, axis=-1)
        probs = np.where(keep, probs, 0.0)
        probs /= probs.sum(axis=-1, keepdims=True)
    u = rng.random(probs.shape[0])[:, None]  # inverse-CDF sampling, one uniform per row
    choice = (np.cumsum(probs, axis=-1) < u).sum(axis=-1)
    last = V - 1 - np.argmax(probs[:, ::-1] > 0, axis=-1)  # rounding can leave u past the end
    return np.minimum(choice, last)
