"""int8 quantization: exact integer GEMMs, layers close to float, whole models that agree."""

import os

import numpy as np
import pytest

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn
from glassbox.compress import (
    DynamicQuantizedLinear,
    QuantizedConv2d,
    QuantizedLinear,
    file_size,
    load_quantized,
    qmatmul,
    quantize,
    quantize_dynamic,
    quantize_weight,
)
from glassbox.compress.observers import MinMaxObserver, PercentileObserver
from glassbox.data import datasets
from glassbox.train import Trainer


@pytest.mark.parametrize("method", ["float32", "float64", "int32"])
@pytest.mark.parametrize("k", [7, 1024, 3001])
def test_qmatmul_is_exact(method, k):
    rng = np.random.default_rng(k)
    a = rng.integers(-128, 128, (5, k)).astype(np.int8)
    b = rng.integers(-127, 128, (k, 4)).astype(np.int8)
    a[0], b[:, 0] = -128, -127  # the worst case: every product at its largest magnitude
    out = qmatmul(a, b, method)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, a.astype(np.int64) @ b.astype(np.int64))


def test_unblocked_float32_would_not_be_exact():
    """Why the float32 path blocks K: one sgemm over K = 3001 worst-case products rounds."""
    k = 3001
    a = np.full((1, k), -127, np.float32)
    b = np.full((k, 1), -127, np.float32)
    b[::2] = -125  # odd products, odd count: the exact sum is odd and above 2**24
    exact = int((a.astype(np.int64) @ b.astype(np.int64))[0, 0])
    assert exact > 2 ** 24 and exact % 2 == 1
    assert int((a @ b)[0, 0]) != exact  # float32 has no odd integers above 2**24
    assert int(qmatmul(a.astype(np.int8), b.astype(np.int8))[0, 0]) == exact


def test_quantize_weight_per_channel():
    w = np.array([[1.0, -0.5, 0.25], [0.01, 0.02, -0.04], [0, 0, 0]], np.float32)
    q, s = quantize_weight(w)
    assert q.dtype == np.int8 and s.shape == (3,)
    assert q[0, 0] == 127 and q[1, 2] == -127 and np.all(q[2] == 0)  # each row uses its range
    assert np.all(np.abs(q * s[:, None] - w) <= s[:, None] / 2 + 1e-7)


@pytest.mark.parametrize("method", ["float32", "float64", "int32"])
def test_quantized_linear_close_to_float(method):
    gb.manual_seed(1)
    lin = nn.Linear(64, 16)
    x = gb.randn(32, 64)
    obs = MinMaxObserver()
    obs.observe(x.numpy())
    q = QuantizedLinear(lin, *obs.qparams(), method=method)
    ref, out = lin(x).detach().numpy(), q(x).numpy()
    err = np.abs(out - ref).max()
    assert err < 0.02 * np.abs(ref).max()
    assert err > 0  # it really is quantized
    # same int32 accumulator, whichever GEMM computed it
    q32 = QuantizedLinear(lin, *obs.qparams(), method="float64")
    np.testing.assert_allclose(out, q32(x).numpy(), rtol=1e-6, atol=1e-6)
    assert q(gb.randn(2, 3, 64)).shape == (2, 3, 16)


@pytest.mark.parametrize("kwargs", [{"padding": 1}, {"stride": 2}, {"padding": "same"},
                                    {"groups": 2, "padding": 1, "dilation": 2}])
def test_quantized_conv_close_to_float(kwargs):
    gb.manual_seed(2)
    conv = nn.Conv2d(4, 6, 3, **kwargs)
    x = gb.rand(3, 4, 9, 9) * 2 - 0.5  # zero point away from the middle: padding must use it
    obs = MinMaxObserver()
    obs.observe(x.numpy())
    q = QuantizedConv2d(conv, *obs.qparams())
    ref, out = conv(x).detach().numpy(), q(x).numpy()
    assert out.shape == ref.shape
    assert np.abs(out - ref).max() < 0.02 * np.abs(ref).max()


def test_percentile_observer_ignores_outliers():
    x = np.random.default_rng(0).normal(size=100_000).astype(np.float32)
    x[0] = 1000.0
    mm, pc = MinMaxObserver(), PercentileObserver(99.9)
    mm.observe(x)
    pc.observe(x)
    assert mm.range()[1] == 1000.0 and pc.range()[1] < 5.0


@pytest.fixture(scope="module")
def mnist_models():
    gb.manual_seed(0)
    d = datasets.mnist5k()
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    cnn = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(8 * 7 * 7, 10))
    for model, n, epochs in ((mlp, 4000, 1), (cnn, 2000, 1)):  # seconds, not minutes
        Trainer(model, F.cross_entropy, gb.optim.Adam(model.parameters(), lr=3e-3)).fit(
            (d.x_train[:n], d.y_train[:n]), epochs=epochs, batch_size=64, verbose=0)
    return d, {"mlp": mlp.eval(), "cnn": cnn.eval()}


def _pred(model, x):
    with gb.no_grad():
        return model(gb.tensor(x)).numpy().argmax(axis=1)


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_quantized_model_agrees_with_float_on_mnist5k(mnist_models, name):
    d, models = mnist_models
    model = models[name]
    q = quantize(model, d.x_train[:256])
    assert any(isinstance(m, (QuantizedLinear, QuantizedConv2d)) for m in q.modules())
    assert not any(isinstance(m, (QuantizedLinear, QuantizedConv2d)) for m in model.modules())
    float_pred, q_pred = _pred(model, d.x_test), _pred(q, d.x_test)
    assert (float_pred == d.y_test).mean() > 0.6  # a trained model, far above chance
    agreement = (float_pred == q_pred).mean()
    assert agreement >= 0.99, f"{name}: int8 agrees with float on {agreement:.3%}"


def test_int8_file_is_3_5x_smaller_and_round_trips(mnist_models, tmp_path):
    d, models = mnist_models
    ratio = file_size(models["mlp"]) / file_size(quantize(models["mlp"], d.x_train[:256]))
    assert ratio >= 3.5, f"int8 file only {ratio:.2f}x smaller"
    model = models["cnn"]  # round trip through the conv path too
    q = quantize(model, d.x_train[:256], observer="percentile")
    path = os.path.join(tmp_path, "q.safetensors")
    gb.save(q.state_dict(), path)
    assert gb.load(path)["0.weight_int8"].dtype == np.int8
    fresh = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(8 * 7 * 7, 10))
    q2 = load_quantized(fresh, path)
    x = gb.tensor(d.x_test[:50])
    np.testing.assert_array_equal(q2(x).numpy(), q(x).numpy())


def test_dynamic_quantization_linear_and_lstm():
    gb.manual_seed(3)

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(5, 48, num_layers=2, batch_first=True, bidirectional=True)
            self.head = nn.Linear(96, 4)

        def forward(self, x):
            y, _ = self.lstm(x)
            return self.head(y)

    model = Tagger()
    q = quantize_dynamic(model, {nn.Linear, nn.LSTM})
    assert isinstance(q.head, DynamicQuantizedLinear)
    assert type(q.lstm).__name__ == "DynamicQuantizedLSTM"
    x = gb.randn(3, 7, 5)
    ref, out = model(x).detach().numpy(), q(x).numpy()
    assert out.shape == ref.shape
    assert np.abs(out - ref).max() < 0.03 * np.abs(ref).max() + 1e-3
    assert file_size(model) / file_size(q) > 3.3  # float biases and the header stay
    only_linear = quantize_dynamic(model, {nn.Linear})
    assert isinstance(only_linear.lstm, nn.LSTM)


def test_quantize_errors():
    with pytest.raises(ValueError, match="no nn.Linear or nn.Conv2d"):
        quantize(nn.Sequential(nn.ReLU()), np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="observer"):
        quantize(nn.Sequential(nn.Linear(3, 2)), np.zeros((2, 3), np.float32), observer="x")
    q = quantize(nn.Sequential(nn.Linear(3, 2)), np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="QuantizedLinear"):
        q(gb.randn(2, 4))
