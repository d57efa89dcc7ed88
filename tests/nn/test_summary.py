"""glassbox.summary: the table's rows and totals, and that the model is left as it was."""

import builtins

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4),
                                      nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 4 * 4, 10))

    def forward(self, x):
        return self.head(self.features(x))


@pytest.fixture
def no_rich(monkeypatch):
    """Make `import rich...` fail, as on a machine without the extra."""
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "rich" or name.startswith("rich."):
            raise ImportError("no rich here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)


def test_totals_equal_the_parameter_count_and_are_printed(capsys, no_rich):
    net = Net()
    info = gb.summary(net, (2, 1, 8, 8))
    total = sum(p.numel() for p in net.parameters())
    assert info.total_params == total == 4 * 9 + 4 + 4 + 4 + 64 * 10 + 10
    assert info.trainable_params == total and info.non_trainable_params == 0
    out = capsys.readouterr().out
    assert f"Total params: {total:,}" in out
    assert "Trainable params: 698" in out
    assert "features.0 (Conv2d)" in out and "head.1 (Linear)" in out
    assert "(2, 4, 8, 8)" in out and "(2, 10)" in out
    assert "Estimated total size (MB)" in out
    assert "━" not in out  # plain text without rich


def test_rows_are_in_call_order_with_shapes_and_own_parameter_counts(no_rich):
    info = gb.summary(Net(), (2, 1, 8, 8))
    rows = [(r.name, r.type, r.output_shape, r.num_params, r.depth) for r in info.rows]
    assert rows == [
        ("features", "Sequential", (2, 4, 4, 4), 0, 1),
        ("features.0", "Conv2d", (2, 4, 8, 8), 40, 2),
        ("features.1", "BatchNorm2d", (2, 4, 8, 8), 8, 2),
        ("features.2", "ReLU", (2, 4, 8, 8), 0, 2),
        ("features.3", "MaxPool2d", (2, 4, 4, 4), 0, 2),
        ("head", "Sequential", (2, 10), 0, 1),
        ("head.0", "Flatten", (2, 64), 0, 2),
        ("head.1", "Linear", (2, 10), 650, 2),
    ]
    assert sum(r.num_params for r in info.rows) == info.total_params
    assert info.output_shape == (2, 10)
    # memory: float32 parameters, and the outputs of the leaf layers
    assert info.param_bytes == 4 * info.total_params
    leaf_elems = 3 * 2 * 4 * 8 * 8 + 2 * 4 * 4 * 4 + 2 * 64 + 2 * 10
    assert info.activation_bytes == 4 * leaf_elems
    assert info.total_mb == pytest.approx((info.param_bytes + info.activation_bytes) / 2**20)


def test_frozen_parameters_are_counted_as_non_trainable(no_rich):
    net = Net()
    net.features.requires_grad_(False)
    info = gb.summary(net, (1, 1, 8, 8))
    assert info.non_trainable_params == 48 and info.trainable_params == 650


def test_the_model_is_left_unchanged(no_rich):
    net = Net()
    net.train()
    bn = net.features[1]
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    gb.summary(net, (4, 1, 8, 8))
    assert net.training and all(m.training for m in net.modules())
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)
    assert bn.num_batches_tracked.item() == 0
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in net.modules())
    assert all(p.grad is None for p in net.parameters())


def test_integer_inputs_shared_modules_and_several_outputs(no_rich):
    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(20, 8)
            self.act = nn.Tanh()
            self.pool = nn.MaxPool1d(2, return_indices=True)

        def forward(self, idx):
            h = self.act(self.act(self.emb(idx)))  # the same module called twice
            return self.pool(h)

    info = gb.summary(Tagger(), (3, 6), dtype=gb.int64)
    assert [r.name for r in info.rows] == ["emb", "act", "act", "pool"]
    assert info.rows[0].output_shape == (3, 6, 8) and info.rows[0].num_params == 160
    assert info.rows[3].output_shape == [(3, 6, 4), (3, 6, 4)]
    assert info.output_shape == [(3, 6, 4), (3, 6, 4)]


def test_several_inputs():
    info = gb.summary(nn.Bilinear(3, 4, 2), [(5, 3), (5, 4)])
    assert info.total_params == 2 * 3 * 4 + 2 and info.output_shape == (5, 2)


def test_rich_table_when_rich_is_installed(capsys):
    pytest.importorskip("rich")
    info = gb.summary(Net(), (1, 1, 8, 8))
    out = capsys.readouterr().out
    assert "Layer (type)" in out and "features.0 (Conv2d)" in out
    assert f"Total params: {info.total_params:,}" in out


def test_bad_arguments():
    with pytest.raises(TypeError, match="summary: model must be a Module"):
        gb.summary(lambda x: x, (1, 2))
    with pytest.raises(ValueError, match="input_shape"):
        gb.summary(nn.Linear(2, 2), (0, 2))
    with pytest.raises(ValueError, match=r"head\.1 \(Linear\)"):  # a wrong shape says where
        gb.summary(Net(), (1, 1, 10, 10))
