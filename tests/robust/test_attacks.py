"""FGSM / PGD on a real small model: budgets, valid range, strength, units, robustness curves."""

import numpy as np
import pytest

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn
from glassbox.robust import Normalize, evaluate_robustness, fgsm, pgd
from tests.explain.helpers import accuracy, digits, fit


@pytest.fixture(scope="module")
def model_and_data():
    gb.manual_seed(0)
    d = digits()
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    fit(model, d.x_train, d.y_train, epochs=20)
    assert accuracy(model, d.x_test, d.y_test) > 0.9
    return model, d.x_test[:200], d.y_test[:200]


def _loss(model, x, y):
    with gb.no_grad():
        return float(F.cross_entropy(model(gb.tensor(np.asarray(x))), gb.tensor(y)).item())


def test_fgsm_raises_the_loss_within_eps_and_range(model_and_data):
    model, x, y = model_and_data
    grads_before = [p.grad for p in model.parameters()]
    x_adv = fgsm(model, x, y, eps=0.1)
    assert isinstance(x_adv, np.ndarray) and x_adv.dtype == x.dtype and x_adv.shape == x.shape
    assert np.abs(x_adv - x).max() <= 0.1 + 1e-6
    assert x_adv.min() >= 0.0 and x_adv.max() <= 1.0
    assert _loss(model, x_adv, y) > _loss(model, x, y) + 0.5
    assert accuracy(model, x_adv, y) < accuracy(model, x, y) - 0.2
    # the model's parameters are untouched and still trainable
    assert [p.grad for p in model.parameters()] == grads_before
    assert all(p.requires_grad for p in model.parameters())
    # a Tensor in gives a Tensor out
    t_adv = fgsm(model, gb.tensor(x), gb.tensor(y), eps=0.1)
    np.testing.assert_array_equal(t_adv.numpy(), x_adv)


def test_random_direction_of_the_same_size_hurts_much_less(model_and_data):
    """FGSM's direction matters: a random sign pattern of the same eps barely moves the loss."""
    model, x, y = model_and_data
    rnd = np.clip(x + 0.1 * np.sign(np.random.default_rng(0).normal(size=x.shape)), 0, 1)
    gain_fgsm = _loss(model, fgsm(model, x, y, eps=0.1), y) - _loss(model, x, y)
    gain_rand = _loss(model, rnd.astype(np.float32), y) - _loss(model, x, y)
    assert gain_fgsm > 5 * max(gain_rand, 1e-3)


def test_pgd_is_stronger_than_fgsm(model_and_data):
    model, x, y = model_and_data
    eps = 0.05
    x_f = fgsm(model, x, y, eps)
    x_p = pgd(model, x, y, eps, steps=10, seed=0)
    assert np.abs(x_p - x).max() <= eps + 1e-6 and x_p.min() >= 0 and x_p.max() <= 1
    assert _loss(model, x_p, y) > _loss(model, x_f, y)
    assert accuracy(model, x_p, y) <= accuracy(model, x_f, y)
    np.testing.assert_array_equal(pgd(model, x, y, eps, steps=3, seed=5),
                                  pgd(model, x, y, eps, steps=3, seed=5))


def test_l2_pgd_stays_in_the_l2_ball(model_and_data):
    model, x, y = model_and_data
    eps = 0.5
    x_adv = pgd(model, x, y, eps, norm="l2", steps=10, seed=0)
    norms = np.sqrt(((x_adv - x) ** 2).reshape(len(x), -1).sum(axis=1))
    assert norms.max() <= eps * (1 + 1e-5)
    assert norms.mean() > 0.5 * eps  # it does use the budget
    assert x_adv.min() >= 0 and x_adv.max() <= 1
    assert _loss(model, x_adv, y) > _loss(model, x, y)
    # an L2 ball of radius 0.5 allows far bigger single-pixel changes than L-inf 0.5/8
    assert np.abs(x_adv - x).max() > eps / 8


def test_units_model_normalises_vs_pipeline_normalises(model_and_data):
    """Same network, two set-ups: Normalize inside the model (eps in pixels) or normalised
    data (normalize=(mean, std), or eps and clamp converted by hand). Same adversary."""
    base, x, y = model_and_data
    mean, std = 0.3, 0.4
    # the inner network expects normalised inputs; wrapping it gives a pixel-input model
    pixel_model = nn.Sequential(Normalize(mean, std), base)
    x_norm = ((x - mean) / std).astype(np.float32)
    eps = 0.1

    a = fgsm(pixel_model, x, y, eps)  # pixel units
    b = fgsm(base, x_norm, y, eps, normalize=(mean, std))  # normalised in, normalised out
    c = fgsm(base, x_norm, y, eps / std, clamp=((0 - mean) / std, (1 - mean) / std))
    np.testing.assert_allclose(b * std + mean, a, atol=1e-5)
    np.testing.assert_allclose(c, b, atol=1e-5)
    # the wrong units (eps in pixels applied to normalised data) give a weaker attack
    wrong = fgsm(base, x_norm, y, eps, clamp=None)
    assert np.abs(wrong - x_norm).max() < np.abs(b - x_norm).max()

    p_pix = pgd(pixel_model, x, y, eps, steps=5, seed=0)
    p_norm = pgd(base, x_norm, y, eps, steps=5, seed=0, normalize=(mean, std))
    np.testing.assert_allclose(p_norm * std + mean, p_pix, atol=1e-4)
    assert np.abs(p_norm * std + mean - x).max() <= eps + 1e-5


def test_evaluate_robustness(model_and_data):
    model, x, y = model_and_data
    acc = evaluate_robustness(model, (x, y), [0.0, 0.05, 0.2], batch_size=64)
    assert list(acc) == [0.0, 0.05, 0.2]
    assert acc[0.0] == pytest.approx(accuracy(model, x, y))
    assert acc[0.0] > acc[0.05] > acc[0.2]
    acc_pgd = evaluate_robustness(model, (x, y), [0.05], attack="pgd", steps=5, seed=0)
    assert acc_pgd[0.05] <= acc[0.05]
    loader = [(x[i:i + 50], y[i:i + 50]) for i in range(0, 200, 50)]
    assert evaluate_robustness(model, loader, [0.05]) == {0.05: acc[0.05]}


def test_bad_arguments(model_and_data):
    model, x, y = model_and_data
    with pytest.raises(ValueError, match="eps"):
        fgsm(model, x, y, eps=-0.1)
    with pytest.raises(ValueError, match="norm"):
        pgd(model, x, y, 0.1, norm="l1")
    with pytest.raises(ValueError, match="targets"):
        fgsm(model, x, y[:3], 0.1)
    with pytest.raises(TypeError, match="floating"):
        fgsm(model, x.astype(np.int64), y, 0.1)
    with pytest.raises(ValueError, match="clamp"):
        fgsm(model, x, y, 0.1, clamp=(1, 0))
    with pytest.raises(ValueError, match="attack"):
        evaluate_robustness(model, (x, y), [0.1], attack="cw")
