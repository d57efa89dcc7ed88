"""A Keras-style harness run over every layer in the table: output shape and parameter count
equal torch's, the state_dict round-trips into a freshly built layer, and one SGD step moves
every parameter and lowers the loss.
"""

import numpy as np
import pytest
import torch

import glassbox as gb
from tests.nn.cases import CASES, as_numpy, make_inputs

RUN = [c for c in CASES if c.forward]
WITH_PARAMS = [c for c in RUN if list(c.build(gb.nn, gb.tensor).parameters())]


def _first(out):
    return out[0] if isinstance(out, tuple) else out


def _build(case, seed):
    gb.manual_seed(seed)
    return case.build(gb.nn, gb.tensor)


@pytest.mark.parametrize("case", RUN, ids=[c.id for c in RUN])
def test_output_shape_and_parameter_count_match_torch(case):
    g, t = _build(case, 0), case.build(torch.nn, torch.tensor)
    gi, ti = make_inputs(case, seed=3)
    with gb.no_grad(), torch.no_grad():
        go, to = _first(g(*gi, **case.kwargs)), _first(t(*ti, **case.kwargs))
    assert tuple(go.shape) == tuple(to.shape)
    assert go.dtype == as_numpy(to).dtype
    n_g = sum(p.numel() for p in g.parameters())
    assert n_g == sum(p.numel() for p in t.parameters())
    assert n_g == sum(int(np.prod(p.shape)) for p in g.parameters())  # numel is honest


@pytest.mark.parametrize("case", RUN, ids=[c.id for c in RUN])
def test_state_dict_round_trip_into_a_fresh_layer(case):
    g, fresh = _build(case, 0), _build(case, 1)
    with gb.no_grad():  # make every value of the fresh layer wrong, so the load must fix all
        for t in fresh.state_dict().values():
            t.add_(1)
    result = fresh.load_state_dict(g.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (k, a), (k2, b) in zip(g.state_dict().items(), fresh.state_dict().items()):
        assert k == k2
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
        assert a.dtype == b.dtype
    g.eval(), fresh.eval()
    gi, _ = make_inputs(case, seed=4)
    with gb.no_grad():
        a, b = _first(g(*gi, **case.kwargs)), _first(fresh(*gi, **case.kwargs))
    np.testing.assert_array_equal(as_numpy(a), as_numpy(b))
    # the values were copied, not shared: changing the source leaves the copy alone
    for p in g.parameters():
        with gb.no_grad():
            p.add_(1.0)
    for (k, a), b in zip(g.state_dict().items(), fresh.state_dict().values()):
        if k in dict(g.named_parameters()):
            assert not np.array_equal(a.numpy(), b.numpy()), k


@pytest.mark.parametrize("case", WITH_PARAMS, ids=[c.id for c in WITH_PARAMS])
def test_one_sgd_step_changes_every_parameter_and_lowers_the_loss(case):
    g = _build(case, 0)
    gi, _ = make_inputs(case, seed=5)
    up = None

    def loss_fn():
        nonlocal up
        out = _first(g(*gi, **case.kwargs))
        if up is None:
            up = gb.tensor(np.random.default_rng(6).standard_normal(out.shape).astype(np.float32))
        return (out * up).sum()

    loss = loss_fn()
    loss.backward()
    before = {n: p.detach().numpy().copy() for n, p in g.named_parameters()}
    lr = 1e-3
    with gb.no_grad():
        for p in g.parameters():
            if p.grad is not None:
                p.sub_(p.grad, alpha=lr)
    for name, p in g.named_parameters():
        assert p.grad is not None, f"{name} got no gradient"
        changed = ~np.isclose(p.detach().numpy(), before[name], rtol=0, atol=0)
        grad_nonzero = p.grad.numpy() != 0
        # exactly the entries with a non-zero gradient move (e.g. only the looked-up rows)
        np.testing.assert_array_equal(changed, grad_nonzero, err_msg=name)
        assert changed.any(), f"{name} did not change"
    with gb.no_grad():
        new_loss = loss_fn()
    assert new_loss.item() < loss.item()
