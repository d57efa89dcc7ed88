"""Module behaviour, checked against torch where torch defines it: parameter order and
sharing, buffers, modes, zero_grad, apply, dtype conversion, hooks, load_state_dict errors,
repr, and assignment before Module.__init__."""

import numpy as np
import pytest
import torch

import glassbox as gb
from glassbox import nn


def make_net(nn):
    """The same nested model in either framework: pass glassbox.nn or torch.nn."""

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.bn = nn.BatchNorm2d(4)

        def forward(self, x):
            return self.bn(self.conv(x)).relu()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(Block(), nn.MaxPool2d(2), nn.Flatten())
            self.head = nn.Linear(4 * 4 * 4, 3)
            self.register_buffer("scale", torch.ones(1) if nn is torch.nn else gb.ones(1))

        def forward(self, x):
            return self.head(self.features(x)) * self.scale

    return Net()


def test_named_parameters_and_buffers_order_matches_torch():
    g, t = make_net(nn), make_net(torch.nn)
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in g.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert list(g.state_dict()) == list(t.state_dict())
    assert [n for n, _ in g.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in g.named_children()] == [n for n, _ in t.named_children()]


def test_repr_of_a_nested_model_matches_torch():
    assert repr(make_net(nn)) == repr(make_net(torch.nn))
    seq = lambda nn: nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Dropout(0.1)))
    assert repr(seq(nn)) == repr(seq(torch.nn))


def test_whole_model_matches_torch_after_state_dict_copy():
    g, t = make_net(nn), make_net(torch.nn)
    t.load_state_dict({k: torch.from_numpy(np.array(v.numpy())) for k, v in
                       g.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    for mode in ("train", "eval"):
        getattr(g, mode)(), getattr(t, mode)()
        go, to = g(gb.tensor(x)), t(torch.tensor(x))
        np.testing.assert_allclose(go.detach().numpy(), to.detach().numpy(), atol=1e-4)
        go.sum().backward(), to.sum().backward()
        tp = dict(t.named_parameters())
        for n, p in g.named_parameters():
            np.testing.assert_allclose(p.grad.numpy(), tp[n].grad.numpy(), atol=1e-4,
                                       rtol=1e-4, err_msg=f"{mode}: {n}")
        g.zero_grad(), t.zero_grad()


def test_torch_checkpoint_loads_into_glassbox_unchanged():
    t = make_net(torch.nn)
    t.train()
    t(torch.randn(4, 3, 8, 8))  # running statistics and num_batches_tracked move
    g = make_net(nn)
    g.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    assert g.features[0].bn.num_batches_tracked.item() == 1
    t.eval(), g.eval()
    x = np.random.default_rng(1).standard_normal((2, 3, 8, 8)).astype(np.float32)
    with torch.no_grad():
        ref = t(torch.tensor(x)).numpy()
    np.testing.assert_allclose(g(gb.tensor(x)).detach().numpy(), ref, atol=1e-4)


def _shared(nn):
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 3)
            self.b = nn.Linear(3, 3)
            self.b.weight = self.a.weight  # a tied weight
            self.again = self.a  # the same module twice

    return Tied()


def test_shared_parameters_and_modules_appear_once():
    g, t = _shared(nn), _shared(torch.nn)
    names = [n for n, _ in g.named_parameters()]
    assert names == [n for n, _ in t.named_parameters()] == ["a.weight", "a.bias", "b.bias"]
    assert len(list(g.parameters())) == 3
    assert [n for n, _ in g.named_modules()] == [n for n, _ in t.named_modules()]
    assert list(g.state_dict()) == list(t.state_dict())  # the state_dict keeps every name


def test_buffers_persistent_and_not():
    m = nn.Module()
    m.register_buffer("kept", gb.zeros(2))
    m.register_buffer("scratch", gb.ones(2), persistent=False)
    assert [n for n, _ in m.named_buffers()] == ["kept", "scratch"]
    assert list(m.state_dict()) == ["kept"]
    assert list(m.parameters()) == []
    m.kept = gb.ones(2) * 3  # reassigning keeps it registered
    assert m.state_dict()["kept"].tolist() == [3.0, 3.0]
    with pytest.raises(TypeError, match="kept"):
        m.kept = np.zeros(2)


def test_train_and_eval_propagate_to_every_submodule():
    g = make_net(nn)
    assert g.eval() is g
    assert all(not m.training for m in g.modules())
    g.train()
    assert all(m.training for m in g.modules())
    g.features.train(False)
    assert g.training and not any(m.training for m in g.features.modules())
    with pytest.raises(TypeError):
        g.train("no")


def test_zero_grad_to_none_or_to_zero():
    g = nn.Linear(3, 2)
    g(gb.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in g.parameters())
    g.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in g.parameters())
    g.zero_grad()
    assert all(p.grad is None for p in g.parameters())


def test_apply_visits_children_first_like_torch():
    seen_g, seen_t = [], []
    make_net(nn).apply(lambda m: seen_g.append(type(m).__name__))
    make_net(torch.nn).apply(lambda m: seen_t.append(type(m).__name__))
    assert seen_g == seen_t
    # the usual use: a custom initialisation
    net = make_net(nn)

    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.weight)

    assert net.apply(init_weights) is net
    assert not net.head.weight.detach().numpy().any()


def test_to_float64_converts_parameters_buffers_and_grads():
    g = make_net(nn)
    g(gb.randn(2, 3, 8, 8)).sum().backward()
    assert g.to(gb.float64) is g
    assert all(p.dtype == np.float64 for p in g.parameters())
    assert all(p.grad.dtype == np.float64 for p in g.parameters())
    bn = g.features[0].bn
    assert bn.running_mean.dtype == np.float64
    assert bn.num_batches_tracked.dtype == np.int64  # integer buffers are left alone
    out = g(gb.randn(2, 3, 8, 8, dtype=gb.float64))
    assert out.dtype == np.float64
    g.float()
    assert all(p.dtype == np.float32 for p in g.parameters())
    with pytest.raises(TypeError):
        g.to(gb.int64)


def test_forward_hooks_see_and_can_replace_output_and_input():
    lin = nn.Linear(3, 2)
    seen = []
    h1 = lin.register_forward_hook(lambda m, args, out: seen.append((m, out.shape)))
    x = gb.randn(4, 3)
    y = lin(x)
    assert seen == [(lin, (4, 2))]
    h2 = lin.register_forward_hook(lambda m, args, out: out * 0)  # may modify the output
    assert not lin(x).detach().numpy().any()
    h2.remove()
    np.testing.assert_array_equal(lin(x).detach().numpy(), y.detach().numpy())
    h1.remove()
    lin(x)
    assert len(seen) == 3  # removed: no longer called
    with lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,)):
        np.testing.assert_allclose(lin(x).detach().numpy(),
                                   np.broadcast_to(lin.bias.detach().numpy(), (4, 2)))
    np.testing.assert_array_equal(lin(x).detach().numpy(), y.detach().numpy())
    h1.remove()  # removing twice is harmless


def test_hooks_on_submodules_collect_activations_in_call_order():
    net = make_net(nn)
    names, handles = [], []
    for name, m in net.named_modules():
        if name:
            handles.append(m.register_forward_hook(
                lambda m, a, o, name=name: names.append(name)))
    net(gb.randn(1, 3, 8, 8))
    assert names == ["features.0.conv", "features.0.bn", "features.0", "features.1",
                     "features.2", "features", "head"]
    for h in handles:
        h.remove()
    names.clear()
    net(gb.randn(1, 3, 8, 8))
    assert names == []


def test_load_state_dict_strict_errors_name_the_keys_and_shapes():
    net = make_net(nn)
    state = dict(net.state_dict())
    del state["head.bias"]
    state["head.extra"] = gb.zeros(1)
    with pytest.raises(RuntimeError) as err:
        net.load_state_dict(state)
    msg = str(err.value)
    assert 'Missing key(s) in state_dict: "head.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "head.extra"' in msg
    # strict=False loads what matches and reports the rest
    result = net.load_state_dict(state, strict=False)
    assert result.missing_keys == ["head.bias"] and result.unexpected_keys == ["head.extra"]
    # a wrong shape always raises, naming both shapes
    state = dict(net.state_dict())
    state["head.weight"] = gb.zeros(3, 5)
    with pytest.raises(RuntimeError, match=r"size mismatch for head.weight.*\(3, 5\).*\(3, 64\)"):
        net.load_state_dict(state, strict=False)


def test_load_state_dict_refuses_before_changing_anything():
    net = nn.Linear(2, 2)
    before = net.weight.detach().numpy().copy()
    with pytest.raises(RuntimeError):
        net.load_state_dict({"weight": np.ones((2, 2), np.float32)})  # bias missing
    np.testing.assert_array_equal(net.weight.detach().numpy(), before)


def test_assigning_a_parameter_before_super_init_names_the_class():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(gb.zeros(2))
            super().__init__()

    with pytest.raises(AttributeError, match="Broken.*super\\(\\).__init__\\(\\)"):
        Broken()

    class BrokenChild(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="BrokenChild"):
        BrokenChild()


def test_attributes_are_real_and_replacing_them_updates_the_registries():
    m = nn.Linear(2, 3)
    assert "weight" in vars(m)  # no __getattr__ fallback: a plain attribute
    m.weight = nn.Parameter(gb.zeros(3, 2))
    assert dict(m.named_parameters())["weight"] is m.weight
    m.bias = None  # a plain value replaces the parameter in the registry
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    del m.weight
    assert list(m.named_parameters()) == []
