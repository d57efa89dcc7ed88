"""Every layer against torch 2.13: same state_dict (keys, shapes, dtypes, buffers), same repr,
same outputs, input gradients and parameter gradients (float32, 1e-4) in train and eval mode,
and the same buffers after several training-mode forwards.

torch's layer gets glassbox's weights through the state_dict, as NumPy arrays, so any
difference in layout (e.g. a transposed weight) or in a buffer's name fails here.
"""

import numpy as np
import pytest
import torch

import glassbox as gb
from tests.nn.cases import CASE_IDS, CASES, as_numpy, build_pair, make_inputs

TOL = 1e-4


def _outputs(out):
    return list(out) if isinstance(out, tuple) else [out]


def _assert_close(g, t, what, atol=TOL):
    a, b = as_numpy(g), as_numpy(t)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != torch {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} != torch {b.dtype}"
    if a.dtype.kind in "iub":
        np.testing.assert_array_equal(a, b, err_msg=what)
    else:
        np.testing.assert_allclose(a, b, rtol=TOL, atol=atol, err_msg=what)


def _assert_same_state(g, t, when):
    gs, ts = g.state_dict(), t.state_dict()
    assert list(gs) == list(ts), f"{when}: state_dict keys {list(gs)} != torch {list(ts)}"
    for k in ts:
        _assert_close(gs[k], ts[k], f"{when}: state_dict[{k!r}]")


def _forward_backward(g, t, case, seed, when):
    """One forward and backward on both, comparing outputs and every gradient."""
    gi, ti = make_inputs(case, seed)
    go, to = _outputs(g(*gi, **case.kwargs)), _outputs(t(*ti, **case.kwargs))
    assert len(go) == len(to), f"{when}: {len(go)} outputs, torch gives {len(to)}"
    for k, (a, b) in enumerate(zip(go, to)):
        _assert_close(a, b, f"{when}: output {k}", atol=case.atol)
    # backward from the first output with a random upstream gradient
    out_g, out_t = go[0], to[0]
    if not out_t.requires_grad:
        assert not out_g.requires_grad, f"{when}: output requires grad, torch's does not"
        return
    up = np.random.default_rng(seed + 100).standard_normal(out_t.shape).astype(np.float32)
    out_g.backward(gb.tensor(up))
    out_t.backward(torch.tensor(up))
    for k, (a, b) in enumerate(zip(gi, ti)):
        if b.requires_grad:
            assert (a.grad is None) == (b.grad is None), f"{when}: input {k} grad presence"
            if b.grad is not None:
                _assert_close(a.grad, b.grad, f"{when}: input {k} grad")
    tp = dict(t.named_parameters())
    for name, p in g.named_parameters():
        ref = tp[name].grad
        assert (p.grad is None) == (ref is None), f"{when}: {name}.grad presence"
        if ref is not None:
            _assert_close(p.grad, ref, f"{when}: {name}.grad")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_state_dict_names_shapes_buffers_and_repr_match_torch(case):
    gb.manual_seed(0)
    g = case.build(gb.nn, gb.tensor)
    t = case.build(torch.nn, torch.tensor)
    gs, ts = g.state_dict(), t.state_dict()
    assert list(gs) == list(ts)
    for k in ts:
        assert tuple(gs[k].shape) == tuple(ts[k].shape), k
        assert gs[k].dtype == as_numpy(ts[k]).dtype, k
    # buffers are deterministic at construction: their values must agree before any copying
    gbuf, tbuf = dict(g.named_buffers()), dict(t.named_buffers())
    assert list(gbuf) == list(tbuf)
    for k, ref in tbuf.items():
        _assert_close(gbuf[k], ref, f"buffer {k}")
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [p.requires_grad for _, p in g.named_parameters()] == [
        p.requires_grad for _, p in t.named_parameters()]
    assert repr(g) == repr(t)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_train_mode_matches_torch(case):
    if not case.forward:
        pytest.skip("construction-only case")
    if not case.train:
        pytest.skip("random in training mode (checked statistically in test_dropout)")
    g, t = build_pair(case)
    g.train(), t.train()
    _forward_backward(g, t, case, seed=1, when="train")
    _assert_same_state(g, t, "after a training step")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_buffers_after_training_forwards_match_torch(case):
    if not (case.train and case.forward):
        pytest.skip("random in training mode")
    g, t = build_pair(case)
    g.train(), t.train()
    for step in range(3):
        gi, ti = make_inputs(case, seed=10 + step)
        with gb.no_grad(), torch.no_grad():
            g(*gi, **case.kwargs), t(*ti, **case.kwargs)
        _assert_same_state(g, t, f"after {step + 1} training forward(s)")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_eval_mode_matches_torch(case):
    if not case.forward:
        pytest.skip("construction-only case")
    g, t = build_pair(case)
    if case.train:  # move the running statistics away from (0, 1) first
        g.train(), t.train()
        gi, ti = make_inputs(case, seed=20)
        with gb.no_grad(), torch.no_grad():
            g(*gi, **case.kwargs), t(*ti, **case.kwargs)
    g.eval(), t.eval()
    assert not any(m.training for m in g.modules())
    _forward_backward(g, t, case, seed=2, when="eval")
    _assert_same_state(g, t, "after an eval step")
