"""Adversarial training as a Trainer callback: train on attacked copies of each batch."""

from __future__ import annotations

import numbers

import numpy as np

from glassbox.robust.attacks import _check_eps, fgsm, pgd
from glassbox.tensor import Tensor
from glassbox.train.callbacks import Callback

__all__ = ["AdversarialTraining"]


class AdversarialTraining(Callback):
    """Replace part of every training batch with adversarial examples (Madry et al., 2018).

    Works through the Trainer's `transform_batch` callback hook: after `on_batch_begin`, the
    first `round(fraction * batch)` examples of the batch (the batch is shuffled, so any
    subset is a random one) are replaced by their attacked versions, crafted against the
    current weights with the model in eval mode (so dropout does not blur the attack and batch
    norm statistics are not updated by it). fraction=1 is pure adversarial training;
    fraction=0.5 keeps half the batch clean, which keeps clean accuracy higher.

    Args:
        eps: the attack budget (units of the inputs; see glassbox.robust.attacks).
        attack: 'pgd' or 'fgsm' (default 'pgd').
        fraction: share of each batch replaced, in (0, 1] (default 0.5).
        seed: base seed for PGD's random starts; batch k of the fit uses seed + k (default 0).
        **attack_kwargs: passed to the attack (steps, alpha, norm, clamp, normalize, loss_fn;
            loss_fn defaults to the Trainer's).

    Example:
        >>> import numpy as np, glassbox as gb, glassbox.nn as nn, glassbox.nn.functional as F
        >>> from glassbox.train import Trainer
        >>> gb.manual_seed(0)  # doctest: +ELLIPSIS
        Generator(PCG64) at 0x...
        >>> x = np.random.default_rng(0).uniform(size=(64, 2)).astype(np.float32)
        >>> y = (x[:, 0] > 0.5).astype(np.int64)
        >>> model = nn.Linear(2, 2)
        >>> trainer = Trainer(model, F.cross_entropy, gb.optim.SGD(model.parameters(), lr=0.5))
        >>> adv = AdversarialTraining(eps=0.05, steps=3)
        >>> _ = trainer.fit((x, y), epochs=2, verbose=0, callbacks=[adv])
        >>> adv.replaced > 0
        True
    """

    def __init__(self, eps: float, attack: str = "pgd", fraction: float = 0.5, seed: int = 0,
                 **attack_kwargs):
        super().__init__()
        self.eps = _check_eps(eps, "AdversarialTraining")
        if attack not in ("pgd", "fgsm"):
            raise ValueError(f"AdversarialTraining: attack must be 'pgd' or 'fgsm', got {attack!r}")
        if not isinstance(fraction, numbers.Real) or not 0 < fraction <= 1:
            raise ValueError(f"AdversarialTraining: fraction must be in (0, 1], got {fraction!r}")
        if attack == "fgsm":
            bad = set(attack_kwargs) - {"loss_fn", "clamp", "normalize"}
        else:
            bad = set(attack_kwargs) - {"loss_fn", "clamp", "normalize", "alpha", "steps",
                                        "norm", "random_start"}
        if bad:
            raise TypeError(f"AdversarialTraining: unexpected arguments for {attack}: "
                            f"{sorted(bad)}")
        self.attack = attack
        self.fraction = float(fraction)
        self.seed = int(seed)
        self.attack_kwargs = attack_kwargs
        self.replaced = 0  # examples replaced so far (all fits)
        self._step = 0

    def transform_batch(self, batch, inputs, target):
        if len(inputs) != 1:
            raise ValueError(f"AdversarialTraining: the model must take one input, got "
                             f"{len(inputs)}")
        x = inputs[0]
        k = round(self.fraction * x.shape[0])
        if k == 0 or self.eps == 0:
            return inputs, target
        model = self.trainer.model
        kwargs = dict(self.attack_kwargs)
        kwargs.setdefault("loss_fn", self.trainer.loss_fn)
        if self.attack == "pgd":
            kwargs["seed"] = self.seed + self._step
        self._step += 1
        was_training = model.training
        model.eval()
        try:
            attack = pgd if self.attack == "pgd" else fgsm
            x_adv = attack(model, x._data[:k], target._data[:k], self.eps, **kwargs)
        finally:
            model.train(was_training)
        mixed = np.array(x._data, copy=True)
        mixed[:k] = x_adv
        self.replaced += k
        return (Tensor._wrap(mixed),), target

    def state_dict(self) -> dict:
        return {"step": self._step, "replaced": self.replaced}

    def load_state_dict(self, state: dict) -> None:
        self._step = int(state.get("step", 0))
        self.replaced = int(state.get("replaced", 0))
