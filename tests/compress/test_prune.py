"""Pruning: masks keep weights at exactly zero through training; channel pruning shrinks layers."""

import numpy as np
import pytest

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn
from glassbox.compress import (
    global_unstructured,
    is_pruned,
    l1_unstructured,
    prune_channels,
    remove,
    sparsity,
)


def _mlp():
    return nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(),
                         nn.Linear(16, 3))


def _data(n=128, d=12, k=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x[:, :k].argmax(axis=1)).astype(np.int64)
    return gb.tensor(x), gb.tensor(y)


def _train(model, opt, x, y, steps):
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return float(loss.item())


OPTIMIZERS = [
    lambda p: gb.optim.AdamW(p, lr=1e-2, weight_decay=0.1),
    lambda p: gb.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3),
]


@pytest.mark.parametrize("make_opt", OPTIMIZERS)
def test_pruned_weights_stay_exactly_zero_during_fine_tuning(make_opt):
    model = _mlp()
    x, y = _data()
    _train(model, gb.optim.Adam(model.parameters(), lr=1e-2), x, y, 3)
    for i in (0, 2, 4):
        l1_unstructured(model[i], amount=0.6)
    masks = {i: model[i].weight_mask.detach().numpy().copy() for i in (0, 2, 4)}
    opt = make_opt(model.parameters())  # fine-tuning optimizer, after pruning
    loss0 = F.cross_entropy(model(x), y).item()
    loss = _train(model, opt, x, y, 25)
    assert loss < loss0  # it really trained
    for i, mask in masks.items():
        orig = model[i].weight_orig.detach().numpy()
        # right after opt.step(), no forward in between: the masked gradient kept them at 0
        assert np.all(orig[mask == 0] == 0), f"layer {i}: a pruned weight moved"
        assert np.any(orig[mask == 1] != 0)
        assert (mask == 0).mean() == pytest.approx(0.6, abs=0.01)


@pytest.mark.parametrize("make_opt", OPTIMIZERS)
def test_pruned_weights_are_zero_in_use_even_with_stale_optimizer_state(make_opt):
    """An optimizer with momentum from before pruning still pushes weight_orig; the weights the
    forward pass uses, and the ones `remove` keeps, are exactly zero all the same."""
    model = _mlp()
    x, y = _data()
    opt = make_opt(model.parameters())
    _train(model, opt, x, y, 3)  # momentum buffers now hold non-zero values everywhere
    l1_unstructured(model[0], amount=0.5)
    mask = model[0].weight_mask.detach().numpy().copy()
    seen = []
    model[0].register_forward_hook(lambda m, a, out: seen.append(m.weight.detach().numpy()))
    _train(model, opt, x, y, 10)
    assert len(seen) == 10 and all(np.all(w[mask == 0] == 0) for w in seen)
    remove(model[0])
    assert np.all(model[0].weight.detach().numpy()[mask == 0] == 0)


def test_mask_gradient_is_zero_at_pruned_entries():
    lin = l1_unstructured(nn.Linear(6, 4), amount=0.5)
    x = gb.randn(5, 6)
    lin(x).sum().backward()
    g = lin.weight_orig.grad.detach().numpy()
    assert np.all(g[lin.weight_mask.detach().numpy() == 0] == 0)
    assert np.any(g[lin.weight_mask.detach().numpy() == 1] != 0)


def test_remove_makes_it_permanent_and_outputs_unchanged():
    model = _mlp()
    l1_unstructured(model[0], amount=0.5)
    x, _ = _data(8)
    before = model(x).detach().numpy()
    remove(model[0])
    assert not is_pruned(model[0])
    assert sorted(model[0].state_dict()) == ["bias", "weight"]
    assert isinstance(model[0].weight, nn.Parameter)
    np.testing.assert_array_equal(model(x).detach().numpy(), before)
    assert (model[0].weight.detach().numpy() == 0).mean() == 0.5
    with pytest.raises(ValueError, match="not pruned"):
        remove(model[0])


def test_global_pruning_threshold_is_shared():
    model = _mlp()
    model[4].weight.data = model[4].weight.data * 100  # big weights: this layer loses few
    global_unstructured(model, amount=0.5)
    assert sparsity(model) == pytest.approx(0.5, abs=1e-3)
    assert (model[4].weight.detach().numpy() == 0).mean() < 0.05
    # pruning again prunes among the survivors
    l1_unstructured(model[0], amount=0.5)
    assert (model[0].weight_mask.detach().numpy() == 0).mean() > 0.5


def test_pruning_bad_amount_is_rejected():
    with pytest.raises(ValueError, match="amount"):
        l1_unstructured(nn.Linear(3, 3), amount=1.5)


def _cnn():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(6 * 2 * 2, 10), nn.ReLU(), nn.Linear(10, 3))


def _n_params(model):
    return sum(p.detach().numpy().size for p in model.parameters())


def test_prune_channels_physically_shrinks_and_runs():
    model = _cnn()
    small = prune_channels(model, amount=0.5, layers=(nn.Conv2d, nn.Linear))
    assert [small[0].out_channels, small[1].num_features, small[4].in_channels,
            small[4].out_channels, small[8].in_features, small[8].out_features,
            small[10].in_features] == [4, 4, 4, 3, 12, 5, 5]
    assert small[1].running_mean.shape == (4,)
    assert small[0].weight.shape == (4, 1, 3, 3) and small[4].weight.shape == (3, 4, 3, 3)
    assert _n_params(small) < 0.45 * _n_params(model)
    x = gb.randn(5, 1, 8, 8)
    assert small(x).shape == model(x).shape == (5, 3)
    assert model[0].out_channels == 8  # the original is untouched
    # the pruned model trains
    opt = gb.optim.Adam(small.parameters(), lr=1e-2)
    y = gb.tensor(np.array([0, 1, 2, 0, 1]))
    first = F.cross_entropy(small(x), y).item()
    assert _train(small, opt, x, y, 10) < first


def test_prune_channels_removes_dead_channels_exactly():
    """Channels that are exactly zero carry nothing: removing them must not change the output.

    Half of conv1's channels (weights, bias, BatchNorm shift, running mean) are zeroed, so
    their L1 norm is smallest and their activations are exactly 0 in eval mode. If BatchNorm,
    the next conv's input channels or the Flatten->Linear columns were sliced wrongly, the
    outputs would differ.
    """
    model = _cnn().eval()
    dead = [1, 2, 5, 7]
    w, b = model[0].weight.detach().numpy(), model[0].bias.detach().numpy()
    w[dead], b[dead] = 0, 0
    for name in ("bias", "running_mean"):
        getattr(model[1], name).detach().numpy()[dead] = 0
    model[1].running_var.detach().numpy()[:] = np.linspace(0.5, 2, 8)  # non-trivial statistics
    w2 = model[8].weight.detach().numpy()
    w2[[0, 3, 4, 9]] = 0  # dead neurons of the first Linear too
    model[8].bias.detach().numpy()[[0, 3, 4, 9]] = -1.0  # -> ReLU gives exactly 0
    x = gb.randn(4, 1, 8, 8)
    small = prune_channels(model, amount=4, layers=["0", "8"]).eval()
    assert small[0].out_channels == 4 and small[8].out_features == 6
    np.testing.assert_allclose(small(x).detach().numpy(), model(x).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_prune_channels_errors():
    with pytest.raises(TypeError, match="Sequential"):
        prune_channels(nn.Linear(3, 3))
    model = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.Linear(8, 2))
    with pytest.raises(ValueError, match="LayerNorm"):
        prune_channels(model, layers=(nn.Linear,))
