"""Recurrent layers and the fused recurrent op: parity with torch 2.13 (outputs, final states,
every gradient), float64 gradcheck of the fused op, variable lengths, and error messages.

torch's layer gets glassbox's weights through the state_dict as NumPy arrays, so a different
key, shape or gate order fails here.
"""

import numpy as np
import pytest
import torch

import glassbox as gb
from glassbox import nn
from glassbox.ops.rnn import rnn_sequence

TOL = 2e-5


def _np(t):
    return t.detach().numpy()


def _close(a, b, what):
    a, b = _np(a), _np(b)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != torch {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} != torch {b.dtype}"
    np.testing.assert_allclose(a, b, rtol=TOL, atol=TOL, err_msg=what)


def _pair(name, *args, **kwargs):
    g = getattr(nn, name)(*args, **kwargs)
    t = getattr(torch.nn, name)(*args, **kwargs)
    sd = g.state_dict()
    assert list(sd) == list(t.state_dict()), f"keys {list(sd)} != torch {list(t.state_dict())}"
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in sd.items()})
    return g, t


def _leaf(a):
    return gb.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _flat(out):
    """(output, h_n) or (output, (h_n, c_n)) or h or (h, c) -> list of tensors."""
    if not isinstance(out, tuple):
        return [out]
    items = []
    for o in out:
        items += list(o) if isinstance(o, tuple) else [o]
    return items


def _check_parity(g, t, inputs, kwargs_g=None, seed=0):
    """Run both modules on the same arrays; compare outputs, input and parameter gradients."""
    rng = np.random.default_rng(seed)
    gi, ti = [], []
    for a in inputs:
        x, y = _leaf(a)
        gi.append(x)
        ti.append(y)
    n_states = len(inputs) - 1
    if n_states == 2 and isinstance(g, (nn.LSTM,)) or n_states == 2:
        g_args, t_args = (gi[0], (gi[1], gi[2])), (ti[0], (ti[1], ti[2]))
    else:
        g_args, t_args = tuple(gi), tuple(ti)
    go, to = _flat(g(*g_args, **(kwargs_g or {}))), _flat(t(*t_args))
    assert len(go) == len(to)
    gl, tl = 0, 0
    for k, (a, b) in enumerate(zip(go, to)):
        _close(a, b, f"output {k}")
        up = rng.standard_normal(tuple(b.shape)).astype(np.float32)
        gl = gl + (a * gb.tensor(up)).sum()
        tl = tl + (b * torch.tensor(up)).sum()
    gl.backward()
    tl.backward()
    for k, (a, b) in enumerate(zip(gi, ti)):
        _close(a.grad, b.grad, f"grad of input {k}")
    tp = dict(t.named_parameters())
    for name, p in g.named_parameters():
        _close(p.grad, tp[name].grad, f"grad of {name}")


@pytest.mark.parametrize("name,extra", [
    ("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {}),
])
@pytest.mark.parametrize("num_layers,bidirectional,batch_first", [
    (1, False, False), (2, True, False), (2, False, True), (1, True, True),
])
def test_layer_parity(name, extra, num_layers, bidirectional, batch_first):
    I, H, T, B = 3, 5, 4, 2
    g, t = _pair(name, I, H, num_layers=num_layers, bidirectional=bidirectional,
                 batch_first=batch_first, **extra)
    rng = np.random.default_rng(1)
    D = 2 if bidirectional else 1
    x = rng.standard_normal((B, T, I) if batch_first else (T, B, I)).astype(np.float32)
    states = [rng.standard_normal((D * num_layers, B, H)).astype(np.float32)
              for _ in range(2 if name == "LSTM" else 1)]
    _check_parity(g, t, [x] + states)


def test_layer_parity_default_state_no_bias_unbatched():
    g, t = _pair("GRU", 3, 4, bias=False, num_layers=2)
    x = np.random.default_rng(2).standard_normal((6, 3)).astype(np.float32)  # unbatched (L, I)
    _check_parity(g, t, [x])
    g, t = _pair("LSTM", 3, 4, bidirectional=True)
    _check_parity(g, t, [x])


@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_proj_size_parity(bidirectional):
    g, t = _pair("LSTM", 3, 6, proj_size=2, num_layers=2, bidirectional=bidirectional)
    D = 2 if bidirectional else 1
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    h0 = rng.standard_normal((2 * D, 2, 2)).astype(np.float32)
    c0 = rng.standard_normal((2 * D, 2, 6)).astype(np.float32)
    _check_parity(g, t, [x, h0, c0])


@pytest.mark.parametrize("name,extra", [
    ("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}), ("GRUCell", {}),
])
def test_cell_parity(name, extra):
    g, t = _pair(name, 3, 5, **extra)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3)).astype(np.float32)
    states = [rng.standard_normal((2, 5)).astype(np.float32)
              for _ in range(2 if name == "LSTMCell" else 1)]
    _check_parity(g, t, [x] + states)


def test_init_distribution_and_repr():
    lstm = nn.LSTM(4, 100, num_layers=2, bidirectional=True)
    bound = 1 / np.sqrt(100)
    for _, p in lstm.named_parameters():
        a = p.detach().numpy()
        assert np.abs(a).max() <= bound and np.abs(a).max() > 0.9 * bound
    assert repr(nn.GRU(3, 4, batch_first=True)) == repr(torch.nn.GRU(3, 4, batch_first=True))
    assert repr(nn.LSTM(3, 4, 2, dropout=0.5)) == repr(torch.nn.LSTM(3, 4, 2, dropout=0.5))
    assert "nonlinearity='relu'" in repr(nn.RNN(3, 4, 2, nonlinearity="relu"))


# ---------------------------------------------------------------------------------------------
# the fused op: float64 finite differences


@pytest.mark.parametrize("mode", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("reverse,masked,proj", [
    (False, False, False), (True, True, False), (False, True, True), (True, False, True),
])
def test_rnn_sequence_gradcheck(mode, reverse, masked, proj):
    if proj and mode != "lstm":
        pytest.skip("projection is LSTM only")
    rng = np.random.default_rng(5)
    T, B, I, H = 3, 2, 2, 3
    G = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}[mode]
    P = 2 if proj else H

    def leaf(*shape):
        return gb.tensor(rng.standard_normal(shape) * 0.7, dtype=gb.float64, requires_grad=True)

    x, h0, c0 = leaf(T, B, I), leaf(B, P), leaf(B, H)
    w_ih, w_hh, b_ih, b_hh = leaf(G * H, I), leaf(G * H, P), leaf(G * H), leaf(G * H)
    w_hr = leaf(P, H) if proj else None
    mask = None
    if masked:
        mask = (np.arange(T)[:, None] < np.array([3, 1])[None, :]).astype(np.float64)[..., None]

    def f(x, h0, c0, w_ih, w_hh, b_ih, b_hh, *hr):
        y, h, c = rnn_sequence(x, h0, w_ih, w_hh, b_ih, b_hh, mode=mode,
                               cx=c0 if mode == "lstm" else None,
                               weight_hr=hr[0] if hr else None, reverse=reverse, mask=mask)
        return (y, h) if c is None else (y, h, c)

    inputs = (x, h0, c0, w_ih, w_hh, b_ih, b_hh) + ((w_hr,) if proj else ())
    if mode != "lstm":
        c0.requires_grad_(False)
    assert gb.autograd.gradcheck(f, inputs)


@pytest.mark.parametrize("mode", ["rnn_tanh", "lstm", "gru"])
@pytest.mark.parametrize("frozen", ["w_hh", "w_ih"])
def test_rnn_sequence_gradcheck_no_bias_one_weight_frozen(mode, frozen):
    """No biases (RNN and LSTM then stack no row of ones under [h; x_t]) and one weight
    without grad: the weight gradients come from one GEMM sliced by what is asked for."""
    rng = np.random.default_rng(6)
    T, B, I, H = 3, 2, 2, 3
    G = {"rnn_tanh": 1, "lstm": 4, "gru": 3}[mode]

    def leaf(*shape, grad=True):
        return gb.tensor(rng.standard_normal(shape) * 0.7, dtype=gb.float64, requires_grad=grad)

    x, h0, c0 = leaf(T, B, I), leaf(B, H), leaf(B, H, grad=mode == "lstm")
    w_ih, w_hh = leaf(G * H, I, grad=frozen != "w_ih"), leaf(G * H, H, grad=frozen != "w_hh")

    def f(x, h0, c0, w_ih, w_hh):
        y, h, c = rnn_sequence(x, h0, w_ih, w_hh, mode=mode, cx=c0 if mode == "lstm" else None)
        return (y, h) if c is None else (y, h, c)

    assert gb.autograd.gradcheck(f, (x, h0, c0, w_ih, w_hh))
    y = f(x, h0, c0, w_ih, w_hh)[0]
    y.sum().backward()
    assert (w_hh.grad is None) == (frozen == "w_hh") and (w_ih.grad is None) == (frozen == "w_ih")


# ---------------------------------------------------------------------------------------------
# variable lengths


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_lengths_match_running_alone(name, batch_first):
    gb.manual_seed(0)
    layer = getattr(nn, name)(3, 4, num_layers=2, bidirectional=True, batch_first=batch_first)
    lengths = [5, 2, 4]
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 5, 3)).astype(np.float32)  # (N, L, I)
    xin = x if batch_first else x.transpose(1, 0, 2)
    out, state = layer(gb.tensor(xin), lengths=gb.tensor(lengths))
    out = out.detach().numpy()
    if not batch_first:
        out = out.transpose(1, 0, 2)
    states = state if name == "LSTM" else (state,)
    for b, n in enumerate(lengths):
        assert np.all(out[b, n:] == 0), "outputs after a sequence's end must be zero"
        xb = x[b, :n][None] if batch_first else x[b, :n][:, None]
        ob, sb = layer(gb.tensor(xb))
        ob = ob.detach().numpy()
        ob = ob[0] if batch_first else ob[:, 0]
        np.testing.assert_allclose(out[b, :n], ob, rtol=1e-5, atol=1e-6)
        sb = sb if name == "LSTM" else (sb,)
        for s_all, s_one in zip(states, sb):
            np.testing.assert_allclose(s_all.detach().numpy()[:, b], s_one.detach().numpy()[:, 0],
                                       rtol=1e-5, atol=1e-6)


def test_lengths_gradient_ignores_padding():
    layer = nn.LSTM(2, 3)
    x = gb.randn(4, 2, 2, requires_grad=True)
    out, (h, c) = layer(x, lengths=[4, 2])
    (out.sum() + h.sum() + c.sum()).backward()
    g = x.grad.numpy()
    assert np.all(g[2:, 1] == 0) and np.any(g[:2, 1] != 0)


# ---------------------------------------------------------------------------------------------
# errors


def test_errors_name_layer_and_shapes():
    lstm = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=r"LSTM.*input_size=3.*\(5, 2, 7\)"):
        lstm(gb.randn(5, 2, 7))
    with pytest.raises(ValueError, match=r"h_0 of shape \(2, 2, 4\).*got \(1, 2, 4\)"):
        lstm(gb.randn(5, 2, 3), (gb.zeros(1, 2, 4), gb.zeros(2, 2, 4)))
    with pytest.raises(ValueError, match=r"c_0 of shape \(2, 2, 4\).*got \(2, 2, 5\)"):
        lstm(gb.randn(5, 2, 3), (gb.zeros(2, 2, 4), gb.zeros(2, 2, 5)))
    with pytest.raises(ValueError, match=r"GRU.*hx of shape \(1, 3, 4\).*got \(1, 2, 4\)"):
        nn.GRU(3, 4)(gb.randn(5, 3, 3), gb.zeros(1, 2, 4))
    with pytest.raises(ValueError, match=r"lengths must lie in \[0, 5\]"):
        nn.RNN(3, 4)(gb.randn(5, 2, 3), lengths=[6, 1])
    with pytest.raises(ValueError, match=r"expected lengths of 2 ints"):
        nn.RNN(3, 4)(gb.randn(5, 2, 3), lengths=[5, 1, 1])
    with pytest.raises(ValueError, match=r"GRUCell.*expected h of shape \(2, 4\), got \(3, 4\)"):
        nn.GRUCell(3, 4)(gb.randn(2, 3), gb.zeros(3, 4))
    with pytest.raises(ValueError, match=r"nonlinearity must be one of"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"proj_size must be smaller"):
        nn.LSTM(3, 4, proj_size=4)


def test_pad_sequence_feeds_lengths():
    rng = np.random.default_rng(8)
    seqs = [gb.tensor(_r, requires_grad=True) for _r in
            (rng.standard_normal((n, 3)).astype(np.float32) for n in (4, 2, 3))]
    padded, lengths = nn.pad_sequence(seqs, batch_first=True)
    assert padded.shape == (3, 4, 3) and lengths == [4, 2, 3]
    tpad = torch.nn.utils.rnn.pad_sequence([torch.tensor(s.detach().numpy()) for s in seqs],
                                           batch_first=True)
    np.testing.assert_array_equal(padded.detach().numpy(), tpad.numpy())
    _out, h = nn.GRU(3, 2, batch_first=True)(padded, lengths=lengths)
    h.sum().backward()
    assert all(s.grad is not None and s.grad.shape == s.shape for s in seqs)
