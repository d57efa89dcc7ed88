"""Looking inside: activations, conv filters, linear probes, activation maximisation,
attention maps, figures."""

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn
from glassbox.explain import (
    LinearProbe,
    activations,
    attention_maps,
    conv_filters,
    maximize_activation,
    plot_attention,
    plot_attributions,
)
from tests.explain.helpers import digits, fit


def test_activations_equal_the_layers_outputs_and_hooks_are_removed():
    gb.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    x = gb.rand(3, 4)
    acts = activations(model, x, ["0", "1", "2"])
    with gb.no_grad():
        h = model[0](x)
        np.testing.assert_array_equal(acts["0"].numpy(), h.numpy())
        np.testing.assert_array_equal(acts["1"].numpy(), h.relu().numpy())
        np.testing.assert_array_equal(acts["2"].numpy(), model(x).numpy())
    assert all(not m._forward_hooks for _, m in model.named_modules())
    with pytest.raises(ValueError, match="no layer '5'"):
        activations(model, x, ["5"])


def test_conv_filters():
    model = nn.Sequential(nn.Conv2d(1, 3, 5), nn.ReLU())
    w = conv_filters(model, "0")
    np.testing.assert_array_equal(w, model[0].weight.detach().numpy())
    w[...] = 0  # a copy
    assert model[0].weight.detach().numpy().any()
    with pytest.raises(ValueError, match="convolution weight"):
        conv_filters(model, "1")


def _bottleneck():
    return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 6), nn.Tanh(),
                         nn.Linear(6, 10))


def test_linear_probe_sees_what_training_put_into_the_layers():
    d = digits()
    gb.manual_seed(0)
    untrained = _bottleneck().eval()
    gb.manual_seed(0)
    trained = fit(_bottleneck(), d.x_train, d.y_train, epochs=30)
    layers = ["input", "1", "3"]
    s_trained = LinearProbe(trained, layers).fit(d.x_train, d.y_train).score(d.x_test, d.y_test)
    s_untrained = LinearProbe(untrained, layers).fit(d.x_train, d.y_train).score(d.x_test,
                                                                                   d.y_test)
    assert s_trained["input"] == s_untrained["input"]  # same data, same probe
    # six random tanh features lose most of the information; six trained ones keep it
    assert s_untrained["3"] < s_untrained["input"] - 0.2
    assert s_trained["3"] > s_untrained["3"] + 0.3
    assert s_trained["3"] > 0.85
    logistic = LinearProbe(trained, ["3"], method="logistic", epochs=150)
    assert logistic.fit(d.x_train, d.y_train).score(d.x_test, d.y_test)["3"] > 0.8
    with pytest.raises(RuntimeError, match="fit"):
        LinearProbe(trained, ["3"]).predict(d.x_test)


def test_activation_maximisation_finds_a_strong_seeded_input():
    d = digits()
    gb.manual_seed(0)
    model = fit(nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)), d.x_train,
                d.y_train, epochs=15)
    x3, hist = maximize_activation(model, (64,), index=3, steps=60, lr=0.05, seed=0)
    again, _ = maximize_activation(model, (64,), index=3, steps=60, lr=0.05, seed=0)
    np.testing.assert_array_equal(x3.numpy(), again.numpy())
    assert hist[-1] > hist[0]
    with gb.no_grad():
        logits = model(x3).numpy()[0]
        real = model(gb.tensor(d.x_test[d.y_test == 3])).numpy()[:, 3]
    assert logits.argmax() == 3
    assert logits[3] > np.median(real)  # stronger than a typical real 3
    assert x3.numpy().min() >= 0 and x3.numpy().max() <= 1
    # a hidden neuron of a layer, by name
    _, hn = maximize_activation(model, (64,), index=(5,), layer="0", steps=20, seed=0)
    assert hn[-1] > hn[0] and not model[0]._forward_hooks


def test_attention_maps_of_an_encoder_stack_match_each_layer():
    gb.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    enc = nn.TransformerEncoder(layer, num_layers=3).eval()
    x = gb.randn(2, 5, 8)
    w = attention_maps(enc, x).numpy()
    assert w.shape == (3, 2, 2, 5, 5)
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, atol=1e-5)
    # layer 0 sees the input itself: its weights are its own MultiheadAttention's weights
    with gb.no_grad():
        _, w0 = enc.layers[0].self_attn(x, x, x, average_attn_weights=False)
        out_plain = enc(x).numpy()
    np.testing.assert_allclose(w[0], w0.numpy(), atol=1e-6)
    assert not np.allclose(w[0], w[1])
    # the forward is restored and gives what it gave before
    assert "forward" not in vars(enc.layers[0].self_attn)
    with gb.no_grad():
        np.testing.assert_allclose(enc(x).numpy(), out_plain, atol=1e-6)
    mask = np.triu(np.ones((5, 5), bool), k=1)  # True = may not attend (the future)
    causal = attention_maps(enc, x, mask=gb.tensor(mask)).numpy()
    assert np.all(np.triu(causal[0, 0, 0], k=1) == 0)


def test_attention_maps_of_one_multihead_attention_and_of_gpt():
    gb.manual_seed(0)
    mha = nn.MultiheadAttention(8, 4, batch_first=True)
    w = attention_maps(mha, gb.randn(3, 6, 8))
    assert w.shape == (3, 4, 6, 6)
    from glassbox.models import GPT

    gpt = GPT(vocab_size=11, context=8, n_layer=2, n_head=2, d_model=16).eval()
    idx = gb.tensor(np.random.default_rng(0).integers(0, 11, size=(2, 7)))
    w = attention_maps(gpt, idx).numpy()
    assert w.shape == (2, 2, 2, 7, 7)
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, atol=1e-5)
    assert np.all(np.triu(w, k=1) == 0)  # causal: nothing attends to the future
    with pytest.raises(ValueError, match="MultiheadAttention"):
        attention_maps(nn.Linear(3, 3), gb.randn(2, 3))


def test_figures_are_written(tmp_path):
    pytest.importorskip("matplotlib")
    x = np.random.default_rng(0).random((2, 64))
    fig = plot_attributions(x, {"a": x - 0.5, "b": 0.5 - x}, titles=["0", "1"],
                            path=tmp_path / "attr.png")
    assert len(fig.axes) == 6 and (tmp_path / "attr.png").stat().st_size > 1000
    w = np.random.default_rng(0).dirichlet(np.ones(4), size=(2, 2, 4))
    plot_attention(w, tokens=list("abcd"), path=tmp_path / "attn.png")
    assert (tmp_path / "attn.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="shape"):
        plot_attributions(x, {"a": x[:, :10]})
    import matplotlib.pyplot as plt

    plt.close("all")
