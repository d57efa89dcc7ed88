"""AdversarialTraining through the Trainer's transform_batch hook improves robust accuracy."""

import numpy as np
import pytest

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn
from glassbox.robust import AdversarialTraining, evaluate_robustness
from glassbox.train import Callback, Trainer
from tests.explain.helpers import digits


def _train(callbacks, epochs=12):
    gb.manual_seed(0)
    d = digits()
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    trainer = Trainer(model, F.cross_entropy, gb.optim.Adam(model.parameters(), lr=3e-3))
    trainer.fit((d.x_train, d.y_train), epochs=epochs, batch_size=64, verbose=0,
                callbacks=callbacks)
    return model, d


def test_adversarial_training_improves_robust_accuracy():
    eps = 0.1
    clean_model, d = _train([])
    adv = AdversarialTraining(eps=eps, attack="pgd", fraction=0.5, steps=3)
    adv_model, _ = _train([adv])
    test = (d.x_test, d.y_test)
    before = evaluate_robustness(clean_model, test, [0.0, eps], attack="pgd", steps=10, seed=0)
    after = evaluate_robustness(adv_model, test, [0.0, eps], attack="pgd", steps=10, seed=0)
    assert adv.replaced == 12 * sum(round(0.5 * min(64, len(d.y_train) - i))
                                    for i in range(0, len(d.y_train), 64))
    assert after[eps] > before[eps] + 0.15
    assert after[0.0] > 0.85  # still a good classifier on clean digits


def test_fgsm_variant_and_errors():
    adv = AdversarialTraining(eps=0.1, attack="fgsm", fraction=1.0)
    _, d = _train([adv], epochs=1)
    assert adv.replaced == len(d.y_train)
    with pytest.raises(ValueError, match="fraction"):
        AdversarialTraining(eps=0.1, fraction=0)
    with pytest.raises(TypeError, match="steps"):
        AdversarialTraining(eps=0.1, attack="fgsm", steps=3)


class _ConstantTarget(Callback):
    def transform_batch(self, batch, inputs, target):
        return inputs, gb.zeros_like(target)


class _BadTransform(Callback):
    def transform_batch(self, batch, inputs, target):
        return inputs


def test_transform_batch_replaces_what_the_model_trains_on():
    gb.manual_seed(0)
    d = digits()
    model = nn.Linear(64, 10)
    trainer = Trainer(model, F.cross_entropy, gb.optim.Adam(model.parameters(), lr=1e-2))
    trainer.fit((d.x_train, d.y_train), epochs=3, verbose=0, callbacks=[_ConstantTarget()])
    with gb.no_grad():
        pred = model(gb.tensor(d.x_test)).argmax(dim=1).numpy()
    assert np.all(pred == 0)  # it learned the replaced targets, not the real ones
    with pytest.raises(TypeError, match="transform_batch must return"):
        trainer.fit((d.x_train, d.y_train), epochs=1, verbose=0, callbacks=[_BadTransform()])
