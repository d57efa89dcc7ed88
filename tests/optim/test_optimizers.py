"""Every optimizer, with every option combination, follows torch.optim step for step."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import glassbox as gb
from tests.optim.harness import (
    INIT,
    assert_state_close,
    make_params,
    run_side_by_side,
    run_with_reload,
)


def _grid(**axes):
    keys = list(axes)
    return [dict(zip(keys, values)) for values in itertools.product(*axes.values())]


def _id(options: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in options.items())


SGD_CASES = [
    c for c in _grid(lr=[0.05], momentum=[0.0, 0.9], dampening=[0.0, 0.3],
                     weight_decay=[0.0, 0.01], nesterov=[False, True], maximize=[False, True])
    if not (c["nesterov"] and (c["momentum"] == 0 or c["dampening"] != 0))
]
ADAM_CASES = _grid(lr=[0.02], weight_decay=[0.0, 0.1], amsgrad=[False, True],
                   maximize=[False, True]) + [{"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}]
RMSPROP_CASES = _grid(lr=[0.01], momentum=[0.0, 0.5], centered=[False, True],
                      weight_decay=[0.0, 0.1], maximize=[False, True]) + [
    {"lr": 0.005, "alpha": 0.9, "eps": 1e-6}]
ADAGRAD_CASES = _grid(lr=[0.1], lr_decay=[0.0, 0.01], weight_decay=[0.0, 0.1],
                      initial_accumulator_value=[0.0, 0.1], maximize=[False, True]) + [
    {"lr": 0.05, "eps": 1e-6}]

# The second parameter group overrides some options, so per-group options are exercised.
SGD_GROUP1 = {"lr": 0.02, "weight_decay": 0.05}
ADAM_GROUP1 = {"lr": 0.005, "betas": (0.85, 0.95), "weight_decay": 0.02}
RMSPROP_GROUP1 = {"lr": 0.002, "alpha": 0.95}
ADAGRAD_GROUP1 = {"lr": 0.03, "lr_decay": 0.05}

OPTIMIZERS = {
    "SGD": (gb.optim.SGD, torch.optim.SGD, SGD_CASES, SGD_GROUP1),
    "Adam": (gb.optim.Adam, torch.optim.Adam, ADAM_CASES, ADAM_GROUP1),
    "AdamW": (gb.optim.AdamW, torch.optim.AdamW, ADAM_CASES, ADAM_GROUP1),
    "RMSprop": (gb.optim.RMSprop, torch.optim.RMSprop, RMSPROP_CASES, RMSPROP_GROUP1),
    "Adagrad": (gb.optim.Adagrad, torch.optim.Adagrad, ADAGRAD_CASES, ADAGRAD_GROUP1),
}

ALL_CASES = [
    pytest.param(name, case, id=f"{name}[{_id(case)}]")
    for name, (_, _, cases, _) in OPTIMIZERS.items() for case in cases
]


@pytest.mark.parametrize("name,options", ALL_CASES)
def test_follows_torch_for_50_steps(name, options):
    gb_cls, torch_cls, _, group1 = OPTIMIZERS[name]
    gb_opt, torch_opt, _, _ = run_side_by_side(gb_cls, torch_cls, options, group1)
    assert_state_close(gb_opt, torch_opt)


def test_group_options_override_defaults_per_group():
    # amsgrad/maximize in one group only: the groups must really be stepped with their own.
    run_side_by_side(gb.optim.Adam, torch.optim.Adam, {"lr": 0.02},
                     {"amsgrad": True, "maximize": True, "weight_decay": 0.1})
    run_side_by_side(gb.optim.SGD, torch.optim.SGD, {"lr": 0.02},
                     {"momentum": 0.9, "nesterov": True})
    run_side_by_side(gb.optim.RMSprop, torch.optim.RMSprop, {"lr": 0.01},
                     {"centered": True, "momentum": 0.3})


def test_a_wrong_update_is_caught():
    # The harness must notice a small change of a hyper-parameter on one side only.
    with pytest.raises(AssertionError, match="differs from torch"):
        run_side_by_side(gb.optim.Adam, torch.optim.Adam, {"lr": 0.02},
                         gb_options={"betas": (0.9, 0.998)})
    with pytest.raises(AssertionError, match="differs from torch"):
        run_side_by_side(gb.optim.SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9},
                         gb_options={"dampening": 1e-6})


STATE_CASES = [
    pytest.param("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, id="SGD"),
    pytest.param("Adam", {"lr": 0.02, "amsgrad": True, "weight_decay": 0.1}, id="Adam"),
    pytest.param("AdamW", {"lr": 0.02, "weight_decay": 0.1}, id="AdamW"),
    pytest.param("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}, id="RMSprop"),
    pytest.param("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1},
                 id="Adagrad"),
]


@pytest.mark.parametrize("name,options", STATE_CASES)
def test_state_dict_round_trip_mid_run_continues_identically(name, options):
    gb_cls, torch_cls, _, group1 = OPTIMIZERS[name]
    run_with_reload(gb_cls, torch_cls, options, group1)


@pytest.mark.parametrize("name,options", STATE_CASES)
def test_state_dict_survives_safetensors_and_json(name, options):
    gb_cls, torch_cls, _, group1 = OPTIMIZERS[name]
    run_with_reload(gb_cls, torch_cls, options, group1, via_files=True)


@pytest.mark.parametrize("name,options", STATE_CASES)
def test_loads_a_torch_optimizer_state_dict(name, options):
    gb_cls, torch_cls, _, group1 = OPTIMIZERS[name]
    run_with_reload(gb_cls, torch_cls, options, group1, from_torch=True)


def test_reloading_without_the_state_breaks_the_run():
    # Counter-check for the round-trip tests: dropping the state must make the runs differ.
    class ForgetfulAdam(gb.optim.Adam):
        def load_state_dict(self, state_dict):
            super().load_state_dict({**state_dict, "state": {}})

    with pytest.raises(AssertionError, match="differs from torch"):
        run_with_reload(ForgetfulAdam, torch.optim.Adam, {"lr": 0.02}, None)


def test_state_dict_layout_matches_torch():
    gb_params, torch_params = make_params()
    gb_opt = gb.optim.Adam([{"params": gb_params[:2]}, {"params": gb_params[2:], "lr": 0.1}])
    torch_opt = torch.optim.Adam([{"params": torch_params[:2]},
                                  {"params": torch_params[2:], "lr": 0.1}])
    for p, q in zip(gb_params[1:], torch_params[1:]):  # parameter 0 gets no gradient
        p.grad, q.grad = gb.ones(*p.shape), torch.ones(q.shape, dtype=q.dtype)
    gb_opt.step()
    torch_opt.step()
    ours, theirs = gb_opt.state_dict(), torch_opt.state_dict()
    assert list(ours) == ["state", "param_groups"]
    assert list(ours["state"]) == list(theirs["state"]) == [1, 2, 3]
    assert [g["params"] for g in ours["param_groups"]] == [[0, 1], [2, 3]]
    assert isinstance(ours["state"][1]["step"], float)
    assert isinstance(ours["state"][1]["exp_avg"], np.ndarray)
    assert_state_close(gb_opt, torch_opt)


def test_load_state_dict_checks_the_layout():
    params, _ = make_params()
    opt = gb.optim.Adam(params)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})
    saved = opt.state_dict()
    saved["param_groups"][0]["params"] = [0, 1]
    with pytest.raises(ValueError, match="has 2 parameters, the optimizer's has 4"):
        opt.load_state_dict(saved)
    bad = opt.state_dict()
    bad["state"] = {0: {"step": 1.0, "exp_avg": np.zeros((4, 3)), "exp_avg_sq": np.zeros((3, 4))}}
    with pytest.raises(ValueError, match=r"'exp_avg' of shape \(4, 3\).*shape \(3, 4\)"):
        opt.load_state_dict(bad)


def test_load_state_dict_copies_and_casts_to_the_parameter_dtype():
    w = gb.nn.Parameter(gb.zeros(3))  # float32
    opt = gb.optim.Adam([w])
    saved = {"state": {"0": {"step": 2, "exp_avg": np.ones(3), "exp_avg_sq": np.ones(3)}},
             "param_groups": [dict(opt.state_dict()["param_groups"][0], betas=[0.8, 0.9])]}
    opt.load_state_dict(saved)
    state = opt.state[w]
    assert state["exp_avg"].dtype == np.float32 and state["step"] == 2.0
    assert state["exp_avg"] is not saved["state"]["0"]["exp_avg"]
    assert opt.param_groups[0]["betas"] == (0.8, 0.9)
    assert opt.param_groups[0]["params"][0] is w


def test_add_param_group_midway_matches_torch():
    gb_params, torch_params = make_params()
    gb_opt = gb.optim.Adam(gb_params[:2], lr=0.02)
    torch_opt = torch.optim.Adam(torch_params[:2], lr=0.02)
    rng = np.random.default_rng(1)
    for step in range(20):
        if step == 10:
            gb_opt.add_param_group({"params": gb_params[2:], "lr": 0.05, "amsgrad": True})
            torch_opt.add_param_group({"params": torch_params[2:], "lr": 0.05, "amsgrad": True})
        for p, q in zip(gb_params, torch_params):
            g = rng.standard_normal(p.shape)
            p.grad, q.grad = gb.tensor(g), torch.tensor(g)
        gb_opt.step()
        torch_opt.step()
    for p, q in zip(gb_params, torch_params):
        np.testing.assert_allclose(p._data, q.detach().numpy(), rtol=1e-10, atol=1e-10)


def test_adagrad_add_param_group_creates_its_state():
    w, v = gb.nn.Parameter(gb.zeros(2)), gb.nn.Parameter(gb.zeros(3))
    opt = gb.optim.Adagrad([w], initial_accumulator_value=0.5)
    opt.add_param_group({"params": [v], "initial_accumulator_value": 2.0})
    assert sorted(opt.state_dict()["state"]) == [0, 1]
    np.testing.assert_array_equal(opt.state[v]["sum"], [2.0, 2.0, 2.0])


def test_parameters_without_grad_are_skipped_and_get_no_state():
    w, v = gb.nn.Parameter(gb.ones(2)), gb.nn.Parameter(gb.ones(2))
    opt = gb.optim.Adam([w, v], lr=0.1)
    w.grad = gb.ones(2)
    version = v._version[0]
    opt.step()
    assert v.tolist() == [1.0, 1.0] and v._version[0] == version
    assert w in opt.state and v not in opt.state
    assert w._version[0] > 0


@pytest.mark.parametrize("cls", [gb.optim.SGD, gb.optim.Adam, gb.optim.AdamW,
                                 gb.optim.RMSprop, gb.optim.Adagrad])
def test_step_keeps_float32_and_updates_in_place(cls):
    w = gb.nn.Parameter(gb.randn(4, 3))
    array = w._data
    opt = cls([w], lr=0.1)
    w.grad = gb.randn(4, 3)
    grad_before = w.grad._data.copy()
    opt.step()
    assert w._data is array and w.dtype == np.float32
    np.testing.assert_array_equal(w.grad._data, grad_before)  # the gradient is not modified
    for value in opt.state[w].values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32


def test_zero_grad():
    w = gb.nn.Parameter(gb.ones(2))
    opt = gb.optim.SGD([w], lr=0.1)
    w.grad = gb.ones(2)
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and w.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None


def test_closure_is_evaluated_with_grad_and_its_loss_returned():
    w = gb.nn.Parameter(gb.tensor([3.0]))
    opt = gb.optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with gb.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0
    assert w.tolist() == [1.5]


def test_model_parameters_and_named_parameters():
    model = gb.nn.Module()  # no parameters at all
    w = gb.nn.Parameter(gb.ones(2))
    opt = gb.optim.SGD([("weight", w)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight"]
    with pytest.raises(ValueError, match="empty parameter list"):
        gb.optim.SGD(model.parameters(), lr=0.1)


def test_bad_params_are_refused():
    w = gb.nn.Parameter(gb.ones(2))
    with pytest.raises(TypeError, match="single Tensor"):
        gb.optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        gb.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="set"):
        gb.optim.SGD({w}, lr=0.1)
    with pytest.raises(TypeError, match=r"params\[1\] is ndarray"):
        gb.optim.SGD([w, np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        gb.optim.SGD([w * 2], lr=0.1)
    opt = gb.optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})
    with pytest.raises(ValueError, match="duplicate"):
        gb.optim.SGD([gb.nn.Parameter(gb.ones(1))] * 2, lr=0.1)


def test_repr_lists_the_groups():
    opt = gb.optim.SGD([gb.nn.Parameter(gb.ones(1))], lr=0.1, momentum=0.9)
    text = repr(opt)
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "momentum: 0.9" in text


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_zero_learning_rate_moves_nothing_but_keeps_the_state_like_torch(name):
    # A schedule can reach lr == 0 exactly (CosineAnnealingLR with eta_min=0 at T_max).
    gb_cls, torch_cls, _, _ = OPTIMIZERS[name]
    gb_opt, torch_opt, gb_params, _ = run_side_by_side(gb_cls, torch_cls, {"lr": 0.0}, steps=5)
    for p, w in zip(gb_params, INIT):
        np.testing.assert_array_equal(p._data, w)
    assert_state_close(gb_opt, torch_opt)
