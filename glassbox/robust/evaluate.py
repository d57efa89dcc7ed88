"""Robustness curves: accuracy under attack for several budgets eps."""

from __future__ import annotations

import numpy as np

from glassbox import autograd
from glassbox.nn._inputs import as_array
from glassbox.robust.attacks import _check_eps, fgsm, pgd
from glassbox.tensor import Tensor

__all__ = ["evaluate_robustness"]

_ATTACKS = {"fgsm": fgsm, "pgd": pgd}


def _batches(data, batch_size: int, where: str):
    """(x, y) array pairs from a pair (x, y) or any iterable of (x, y) batches (DataLoader)."""
    pair = isinstance(data, (tuple, list)) and len(data) == 2
    if pair and not isinstance(data[0], (tuple, list)):
        x = as_array(data[0], "x", where)
        y = as_array(data[1], "y", where)
        if len(x) != len(y):
            raise ValueError(f"{where}: x and y must have the same length, got {len(x)} and "
                             f"{len(y)}")
        for i in range(0, len(x), batch_size):
            yield x[i:i + batch_size], y[i:i + batch_size]
        return
    for batch in data:
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            raise ValueError(f"{where}: each batch must be a pair (x, y), got "
                             f"{type(batch).__name__}")
        yield as_array(batch[0], "x", where), as_array(batch[1], "y", where)


def evaluate_robustness(model, data, epsilons, attack: str = "fgsm", batch_size: int = 256,
                        **attack_kwargs) -> dict:
    """Accuracy of `model` on `data` attacked with each eps in `epsilons`.

    The model is put in eval mode for the evaluation and given back in its former mode.
    eps = 0 gives the clean accuracy (no attack is run).

    Args:
        model: a classifier Module returning logits (N, classes).
        data: a pair (x, y) of arrays/Tensors or an iterable of (x, y) batches (DataLoader).
        epsilons: the budgets (numbers >= 0), in the units the attack takes (see attacks.py).
        attack: 'fgsm' or 'pgd', or a function `attack(model, x, y, eps, **kw)` (default 'fgsm').
        batch_size: examples per attack batch when `data` is a pair (default 256).
        **attack_kwargs: passed to the attack (e.g. steps=20, norm='l2', clamp, normalize, seed).

    Returns:
        dict {eps: accuracy in [0, 1]}, in the order of `epsilons`.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> gb.manual_seed(0)  # doctest: +ELLIPSIS
        Generator(PCG64) at 0x...
        >>> model = nn.Linear(4, 2)
        >>> x = gb.rand(16, 4)
        >>> y = model(x).argmax(dim=1).detach()
        >>> acc = evaluate_robustness(model, (x, y), [0.0, 0.5])
        >>> acc[0.0], acc[0.5] <= 1.0
        (1.0, True)
    """
    where = "evaluate_robustness"
    attack_fn = _ATTACKS.get(attack) if isinstance(attack, str) else attack
    if attack_fn is None or not callable(attack_fn):
        raise ValueError(f"{where}: attack must be 'fgsm', 'pgd' or a function, got {attack!r}")
    epsilons = [_check_eps(e, where) for e in np.atleast_1d(np.asarray(epsilons, dtype=float))]
    if not epsilons:
        raise ValueError(f"{where}: epsilons is empty")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"{where}: batch_size must be an int >= 1, got {batch_size!r}")
    correct = {e: 0 for e in epsilons}
    total = 0
    was_training = getattr(model, "training", False)
    if callable(getattr(model, "eval", None)):
        model.eval()
    try:
        for x, y in _batches(data, batch_size, where):
            total += len(y)
            for e in epsilons:
                x_adv = x if e == 0 else as_array(attack_fn(model, x, y, e, **attack_kwargs),
                                                   "attack output", where)
                with autograd.no_grad():
                    logits = model(Tensor._wrap(np.ascontiguousarray(x_adv)))._data
                correct[e] += int((logits.argmax(axis=1) == y).sum())
    finally:
        if was_training and callable(getattr(model, "train", None)):
            model.train(True)
    if total == 0:
        raise ValueError(f"{where}: the data gave no examples")
    return {e: correct[e] / total for e in epsilons}
