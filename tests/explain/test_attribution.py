"""Attribution methods on real small models: null features, completeness, Shapley exactness,
seeding, Grad-CAM localisation."""

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn
from glassbox.explain import (
    InputXGradient,
    IntegratedGradients,
    KernelShap,
    LayerGradCam,
    Lime,
    NoiseTunnel,
    Occlusion,
    Saliency,
    exact_shapley,
)
from tests.explain.helpers import FirstHalf, accuracy, digits, fit


@pytest.fixture(scope="module")
def half_model():
    gb.manual_seed(0)
    d = digits()
    model = fit(FirstHalf(), d.x_train, d.y_train, epochs=25)
    assert accuracy(model, d.x_test, d.y_test) > 0.75  # the top half of a digit is enough
    return model, d


@pytest.fixture(scope="module")
def mlp():
    gb.manual_seed(1)
    d = digits()
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    fit(model, d.x_train, d.y_train, epochs=20)
    assert accuracy(model, d.x_test, d.y_test) > 0.9
    return model, d


def _used_and_ignored(attr):
    a = attr.numpy() if hasattr(attr, "numpy") else attr
    return np.abs(a[:, :32]), np.abs(a[:, 32:])


@pytest.mark.parametrize("method", ["saliency", "input_x_gradient", "ig", "occlusion"])
def test_ignored_inputs_get_exactly_zero(half_model, method):
    model, d = half_model
    x, y = d.x_test[:6], d.y_test[:6]
    if method == "saliency":
        attr = Saliency(model).attribute(x, target=y)
    elif method == "input_x_gradient":
        attr = InputXGradient(model).attribute(x, target=y)
    elif method == "ig":
        attr = IntegratedGradients(model).attribute(x, target=y, n_steps=16)
    else:
        attr = Occlusion(model).attribute(x, sliding_window_shapes=(1,), target=y,
                                          perturbations_per_eval=64)
    used, ignored = _used_and_ignored(attr)
    assert np.all(ignored == 0.0)
    assert used.max() > 1e-3  # and the used half is not zero too


def test_kernel_shap_ignored_features_zero_with_every_coalition(half_model):
    model, d = half_model
    x, y = d.x_test[:3], d.y_test[:3]
    # 8 features: rows 0-3 of the image (used) and rows 4-7 (ignored); 254 = 2^8 - 2
    mask = np.repeat(np.arange(8), 8)
    attr = KernelShap(model).attribute(x, target=y, feature_mask=mask, n_samples=254, seed=0)
    used, ignored = _used_and_ignored(attr)
    assert ignored.max() <= 1e-5 * used.max()
    assert used.max() > 1e-3


def test_sampled_kernel_shap_and_lime_put_little_weight_on_ignored_features(half_model):
    """With sampling the null features' estimates are noise, not exactly zero: bound them."""
    model, d = half_model
    x, y = d.x_test[:3], d.y_test[:3]
    mask = np.repeat(np.arange(16), 4)  # 16 features of 4 pixels: 8 used, 8 ignored
    ks = KernelShap(model).attribute(x, target=y, feature_mask=mask, n_samples=600, seed=0)
    lime = Lime(model).attribute(x, target=y, feature_mask=mask, n_samples=600, seed=0)
    for attr in (ks, lime):
        used, ignored = _used_and_ignored(attr)
        assert ignored.max() < 0.1 * used.max()


@pytest.mark.parametrize("method", ["gausslegendre", "riemann_trapezoid"])
def test_integrated_gradients_completeness_within_one_percent(mlp, method):
    model, d = mlp
    x, y = d.x_test[:8], d.y_test[:8]
    ig = IntegratedGradients(model)
    attr, delta = ig.attribute(x, target=y, n_steps=64, method=method,
                               return_convergence_delta=True, internal_batch_size=200)
    with gb.no_grad():
        fx = model(gb.tensor(x)).numpy()[np.arange(8), y]
        fb = model(gb.zeros(8, 64)).numpy()[np.arange(8), y]
    sums = attr.numpy().sum(axis=1)
    np.testing.assert_allclose(delta.numpy(), sums - (fx - fb), atol=1e-4)
    assert np.all(np.abs(sums - (fx - fb)) <= 0.01 * np.abs(fx - fb))


def test_integrated_gradients_coarse_riemann_is_visibly_incomplete(mlp):
    """The completeness check can fail: a 2-point left Riemann sum misses by far more."""
    model, d = mlp
    _, delta = IntegratedGradients(model).attribute(
        d.x_test[:8], target=d.y_test[:8], n_steps=2, method="riemann_left",
        return_convergence_delta=True)
    _, good = IntegratedGradients(model).attribute(
        d.x_test[:8], target=d.y_test[:8], n_steps=64, return_convergence_delta=True)
    assert np.abs(delta.numpy()).max() > 20 * np.abs(good.numpy()).max()


def _five_feature_model():
    gb.manual_seed(3)
    model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(),
                          nn.Linear(16, 2))
    x = gb.rand(4, 5) * 2 - 1
    return model, x


def test_exact_shapley_satisfies_efficiency_and_matches_a_hand_game():
    model, x = _five_feature_model()
    phi = exact_shapley(model, x, target=1).numpy()
    with gb.no_grad():
        total = model(x).numpy()[:, 1] - model(gb.zeros(4, 5)).numpy()[:, 1]
    np.testing.assert_allclose(phi.sum(axis=1), total, atol=1e-5)
    # v = x0 * x1 + x2: the interaction is split evenly
    game = exact_shapley(lambda t: t[:, 0] * t[:, 1] + t[:, 2], gb.tensor([[2.0, 3.0, 5.0]]))
    np.testing.assert_allclose(game.numpy(), [[3.0, 3.0, 5.0]], atol=1e-6)


def test_kernel_shap_matches_exact_shapley_on_five_features():
    model, x = _five_feature_model()
    exact = exact_shapley(model, x, target=1).numpy()
    scale = np.abs(exact).max()
    full = KernelShap(model).attribute(x, target=1, n_samples=30, seed=0).numpy()
    np.testing.assert_allclose(full, exact, atol=1e-5 * scale + 1e-7)  # every coalition
    sampled = KernelShap(model).attribute(x, target=1, n_samples=20, seed=0).numpy()
    assert np.abs(sampled - exact).max() < 0.05 * scale
    crude = KernelShap(model).attribute(x, target=1, n_samples=2, seed=0).numpy()
    assert np.abs(crude - exact).max() > np.abs(sampled - exact).max()


def test_kernel_shap_sampled_on_ten_features_is_close():
    gb.manual_seed(4)
    model = nn.Sequential(nn.Linear(10, 16), nn.Tanh(), nn.Linear(16, 1))
    x = gb.rand(2, 10) * 2 - 1
    exact = exact_shapley(model, x).numpy()
    est = KernelShap(model).attribute(x, n_samples=400, seed=0).numpy()  # of 1022
    assert np.abs(est - exact).max() < 0.05 * np.abs(exact).max()


@pytest.mark.parametrize("which", ["kernel_shap", "lime", "noise_tunnel"])
def test_same_seed_same_answer(mlp, which):
    model, d = mlp
    x, y = d.x_test[:2], d.y_test[:2]
    mask = np.repeat(np.arange(16), 4)

    def run(seed):
        if which == "kernel_shap":
            return KernelShap(model).attribute(x, target=y, feature_mask=mask, n_samples=50,
                                               seed=seed)
        if which == "lime":
            return Lime(model).attribute(x, target=y, feature_mask=mask, n_samples=50,
                                         seed=seed)
        return NoiseTunnel(Saliency(model)).attribute(x, target=y, nt_samples=4, stdevs=0.2,
                                                      seed=seed)

    a, b, c = run(7).numpy(), run(7).numpy(), run(8).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_noise_tunnel_types(mlp):
    model, d = mlp
    x, y = d.x_test[:3], d.y_test[:3]
    nt = NoiseTunnel(Saliency(model))
    sg = nt.attribute(x, target=y, nt_samples=6, stdevs=0.1, seed=0).numpy()
    sq = nt.attribute(x, target=y, nt_samples=6, stdevs=0.1, seed=0, nt_type="smoothgrad_sq")
    var = nt.attribute(x, target=y, nt_samples=6, stdevs=0.1, seed=0, nt_type="vargrad")
    # E[a^2] = Var[a] + E[a]^2 on the same draws
    np.testing.assert_allclose(sq.numpy(), var.numpy() + sg ** 2, rtol=1e-4, atol=1e-7)
    ig = NoiseTunnel(IntegratedGradients(model)).attribute(x, target=y, nt_samples=2,
                                                           stdevs=0.05, n_steps=8, seed=0)
    assert ig.shape == x.shape
    with pytest.raises(ValueError, match="nt_type"):
        nt.attribute(x, target=y, nt_type="smooth")


def test_occlusion_windows_and_strides():
    model = nn.Linear(6, 1, bias=False)
    x = gb.ones(1, 6)
    w = model.weight.detach().numpy()[0]
    attr = Occlusion(model).attribute(x, sliding_window_shapes=(2,), strides=2).numpy()[0]
    expected = np.repeat(w.reshape(3, 2).sum(axis=1), 2)  # each pixel gets its window's drop
    np.testing.assert_allclose(attr, expected, rtol=1e-5)
    with pytest.raises(ValueError, match="sliding_window_shapes"):
        Occlusion(model).attribute(x, sliding_window_shapes=(7,))


def _detector_cnn():
    """Channel 0 fires on bright pixels, channel 1 on dark ones; class 0 = mean of channel 0,
    class 1 = mean of channel 1 (both through a fixed Linear)."""
    conv = nn.Conv2d(1, 2, 1)
    conv.weight._data[...] = np.array([1.0, -1.0], np.float32).reshape(2, 1, 1, 1)
    conv.bias._data[...] = np.array([-0.5, 0.5], np.float32)
    head = nn.Linear(2 * 8 * 8, 2)
    head.weight._data[...] = 0.0
    head.weight._data[0, :64] = 1 / 64
    head.weight._data[1, 64:] = 1 / 64
    head.bias._data[...] = 0.0
    return nn.Sequential(conv, nn.ReLU(), nn.Flatten(), head)


def test_gradcam_highlights_the_region_that_matters():
    model = _detector_cnn()
    x = np.full((1, 1, 8, 8), 0.1, np.float32)
    x[0, 0, 5:8, 4:7] = 0.9  # a bright square, bottom right
    square = np.zeros((8, 8), bool)
    square[5:8, 4:7] = True
    cam = LayerGradCam(model, "1").attribute(x, target=0).numpy()[0, 0]
    assert cam.shape == (8, 8)
    assert np.all(cam[~square] == 0) and np.all(cam[square] > 0)
    dark = LayerGradCam(model, "1").attribute(x, target=1).numpy()[0, 0]
    assert np.all(dark[square] == 0) and np.all(dark[~square] > 0)


def test_gradcam_shape_and_upsampling():
    gb.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 4 * 4, 3))
    x = gb.rand(2, 1, 8, 8)
    gc = LayerGradCam(model, model[4])  # a module works as well as its name
    assert gc.attribute(x, target=[0, 2]).shape == (2, 1, 4, 4)
    up = gc.attribute(x, target=1, upsample=True, relu_attributions=True).numpy()
    assert up.shape == (2, 1, 8, 8) and up.min() >= 0
    assert not model[4]._forward_hooks  # the hook is gone
    with pytest.raises(ValueError, match="no layer 'nope'"):
        LayerGradCam(model, "nope")


def test_bad_inputs_are_clear_errors(mlp):
    model, d = mlp
    x = d.x_test[:2]
    with pytest.raises(ValueError, match="target"):
        Saliency(model).attribute(x)  # (N, 10) output needs a target
    with pytest.raises(ValueError, match="out of range"):
        Saliency(model).attribute(x, target=10)
    with pytest.raises(ValueError, match="baselines"):
        IntegratedGradients(model).attribute(x, target=0, baselines=np.zeros((3, 5)))
    with pytest.raises(ValueError, match="method"):
        IntegratedGradients(model).attribute(x, target=0, method="simpson")
    with pytest.raises(TypeError, match="floating"):
        Saliency(model).attribute(np.ones((2, 64), np.int64), target=0)
    with pytest.raises(ValueError, match="feature_mask"):
        KernelShap(model).attribute(x, target=0, feature_mask=np.zeros(5, np.int64))
