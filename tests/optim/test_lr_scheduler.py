"""Every LR scheduler follows torch.optim.lr_scheduler's rates (and momenta) step for step."""

from __future__ import annotations

import copy
import json
import warnings

import numpy as np
import pytest
import torch

import glassbox as gb
from glassbox.optim import lr_scheduler as S

TS = torch.optim.lr_scheduler
STEPS = 50
TOL = 1e-8
GROUP_LRS = [0.1, 0.03]


class Pair:
    """A glassbox and a torch optimizer with the same two groups (lr 0.1 and 0.03)."""

    def __init__(self, optimizer: str = "SGD", **options):
        self.gb = getattr(gb.optim, optimizer)(
            [{"params": [gb.nn.Parameter(gb.zeros(2))], "lr": GROUP_LRS[0]},
             {"params": [gb.nn.Parameter(gb.zeros(3))], "lr": GROUP_LRS[1]}], **options)
        self.torch = getattr(torch.optim, optimizer)(
            [{"params": [torch.zeros(2, requires_grad=True)], "lr": GROUP_LRS[0]},
             {"params": [torch.zeros(3, requires_grad=True)], "lr": GROUP_LRS[1]}], **options)

    def step(self):  # no gradients: the parameters stay put, only the schedule matters
        self.gb.step()
        self.torch.step()


def _momenta(opt) -> list:
    out = []
    for g in opt.param_groups:
        if "betas" in g:
            out.append(g["betas"][0])
        elif "momentum" in g:
            out.append(g["momentum"])
    return out


def assert_same_schedule(pair: Pair, gb_sched, torch_sched, step: int) -> None:
    ours = [g["lr"] for g in pair.gb.param_groups]
    theirs = [g["lr"] for g in pair.torch.param_groups]
    np.testing.assert_allclose(ours, theirs, rtol=TOL, atol=TOL,
                               err_msg=f"group lrs differ from torch at step {step}")
    np.testing.assert_allclose(gb_sched.get_last_lr(), torch_sched.get_last_lr(), rtol=TOL,
                               atol=TOL, err_msg=f"get_last_lr differs at step {step}")
    np.testing.assert_allclose(_momenta(pair.gb), _momenta(pair.torch), rtol=TOL, atol=TOL,
                               err_msg=f"momentum differs from torch at step {step}")


def run_schedule(make, optimizer="SGD", steps=STEPS, metrics=None, reload_at=None, **options):
    """Build the scheduler on both sides with `make(module, optimizer)`; step and compare.

    With reload_at, the glassbox optimizer and scheduler are rebuilt at that step from their
    state dicts (passed through JSON, as a checkpoint would store them).
    """
    pair = Pair(optimizer, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's chained-scheduler / epoch warnings
        gb_sched, torch_sched = make(S, pair.gb), make(TS, pair.torch)
        assert_same_schedule(pair, gb_sched, torch_sched, 0)
        for step in range(1, steps + 1):
            if reload_at == step:
                opt_state = json.loads(json.dumps(pair.gb.state_dict()))
                sched_state = json.loads(json.dumps(gb_sched.state_dict()))
                pair.gb = getattr(gb.optim, optimizer)(
                    [{"params": [gb.nn.Parameter(gb.zeros(2))]},
                     {"params": [gb.nn.Parameter(gb.zeros(3))]}], **options)
                # PyTorch's order: build the scheduler first (it writes the rates), then
                # load the optimizer's state, then the scheduler's.
                gb_sched = make(S, pair.gb)
                pair.gb.load_state_dict(opt_state)
                gb_sched.load_state_dict(sched_state)
            pair.step()
            if metrics is None:
                gb_sched.step()
                torch_sched.step()
            else:
                gb_sched.step(metrics[step - 1])
                torch_sched.step(metrics[step - 1])
            assert_same_schedule(pair, gb_sched, torch_sched, step)
    return pair, gb_sched, torch_sched


def _lambda_lrs(m, o):
    return m.LambdaLR(o, [lambda e: 0.95 ** e, lambda e: 1.0 / (1 + e)])


SCHEDULES = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
    "StepLR-default-gamma": lambda m, o: m.StepLR(o, step_size=3),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.93),
    "CosineAnnealingLR-periodic": lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "CosineAnnealingLR-long": lambda m, o: m.CosineAnnealingLR(o, T_max=50),
    "CosineAnnealingLR-odd": lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=10),
    "LinearLR-decay": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.1,
                                              total_iters=30),
    "LambdaLR": _lambda_lrs,
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.97),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.4, total_iters=6),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=30, power=2.0),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=5, T_mult=2, eta_min=0.001),
    "CosineAnnealingWarmRestarts-T_mult1": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=8),
    "SequentialLR-warmup-cosine": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=45)],
        milestones=[5]),
    "SequentialLR-three": lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.5, total_iters=10), m.ExponentialLR(o, gamma=0.9),
            m.StepLR(o, step_size=4, gamma=0.5)], milestones=[3, 20]),
    "SequentialLR-lambda": lambda m, o: m.SequentialLR(
        o, [m.LambdaLR(o, lambda e: (e + 1) / 4), m.MultiStepLR(o, [10, 20], gamma=0.5)],
        milestones=[4]),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler(
        [m.ExponentialLR(o, gamma=0.95), m.StepLR(o, step_size=10, gamma=0.5),
         m.LinearLR(o, start_factor=0.5, total_iters=5)]),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_scheduler_follows_torch_for_50_steps(name):
    run_schedule(SCHEDULES[name])


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "CosineAnnealingLR-periodic",
                                  "LambdaLR", "SequentialLR-warmup-cosine", "ChainedScheduler",
                                  "CosineAnnealingWarmRestarts", "LinearLR"])
def test_scheduler_state_dict_round_trip_mid_run(name):
    run_schedule(SCHEDULES[name], reload_at=23)


def test_multistep_repeated_milestone_survives_reload():
    # Reload before epoch 12, which is listed twice (decays twice) - the count must survive.
    run_schedule(SCHEDULES["MultiStepLR"], reload_at=8)


def test_two_schedulers_on_one_optimizer_compose_like_torch():
    def make(m, o):
        a = m.ExponentialLR(o, gamma=0.9)
        b = m.CosineAnnealingLR(o, T_max=12)

        class Both:
            def step(self):
                a.step()
                b.step()

            def get_last_lr(self):
                return b.get_last_lr()
        return Both()

    run_schedule(make)


def test_schedule_check_can_fail():
    # Counter-check: a slightly different gamma on one side must be detected.
    def make(m, o):
        return m.ExponentialLR(o, gamma=0.93 if m is TS else 0.9300001)

    with pytest.raises(AssertionError, match="differ"):
        run_schedule(make)


ONE_CYCLE = [
    {"anneal_strategy": "cos", "three_phase": False},
    {"anneal_strategy": "linear", "three_phase": False},
    {"anneal_strategy": "cos", "three_phase": True},
    {"anneal_strategy": "linear", "three_phase": True, "pct_start": 0.25},
    {"div_factor": 10.0, "final_div_factor": 100.0, "pct_start": 0.4},
    {"base_momentum": 0.8, "max_momentum": [0.9, 0.99]},
    {"cycle_momentum": False},
]


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
@pytest.mark.parametrize("options", ONE_CYCLE, ids=[str(o) for o in ONE_CYCLE])
def test_one_cycle_follows_torch_lr_and_momentum(optimizer, options):
    extra = {"momentum": 0.9} if optimizer == "SGD" else {}

    def make(m, o):
        return m.OneCycleLR(o, max_lr=[1.0, 0.3], total_steps=STEPS, **options)

    pair, gb_sched, torch_sched = run_schedule(make, optimizer, steps=STEPS - 1, **extra)
    if options.get("cycle_momentum", True):
        assert _momenta(pair.gb) != [0.9, 0.9]  # the momentum really moved
    # Stepping past total_steps raises in both.
    gb_sched.step()
    torch_sched.step()
    with pytest.raises(ValueError, match=f"Tried to step {STEPS + 1} times"):
        gb_sched.step()
    with pytest.raises(ValueError, match=f"Tried to step {STEPS + 1} times"):
        torch_sched.step()


def test_one_cycle_epochs_and_steps_per_epoch_and_reload():
    def make(m, o):
        return m.OneCycleLR(o, max_lr=0.5, epochs=5, steps_per_epoch=10)

    run_schedule(make, "SGD", steps=STEPS - 1, momentum=0.9)
    run_schedule(make, "Adam", steps=STEPS - 1, reload_at=17)


METRICS = (
    [1.0, 0.9, 0.85, 0.85, 0.86, 0.849, 0.85, 0.85, 0.85, 0.7]
    + [0.7] * 6 + list(np.linspace(0.7, 0.6, 8)) + [0.6, 0.61, 0.62, 0.63, 0.6, 0.6]
    + list(0.6 + 0.01 * np.sin(np.arange(20)))
)
PLATEAU = [
    {},
    {"patience": 2, "factor": 0.5},
    {"patience": 1, "factor": 0.5, "cooldown": 3},
    {"patience": 2, "threshold": 0.05, "threshold_mode": "abs"},
    {"patience": 0, "factor": 0.7, "min_lr": [0.02, 0.001]},
    {"patience": 1, "factor": 0.5, "min_lr": 0.01, "eps": 1e-3},
    {"mode": "max", "patience": 2, "factor": 0.5},
    {"mode": "max", "patience": 1, "threshold": 0.01, "threshold_mode": "abs", "cooldown": 2},
    {"mode": "max", "patience": 0, "threshold": 0.1, "threshold_mode": "rel"},
]


@pytest.mark.parametrize("options", PLATEAU, ids=[str(o) for o in PLATEAU])
def test_reduce_lr_on_plateau_follows_torch(options):
    def make(m, o):
        return m.ReduceLROnPlateau(o, **options)

    _, gb_sched, _ = run_schedule(make, metrics=METRICS)
    if options:
        assert gb_sched.get_last_lr() != GROUP_LRS  # the metric sequence did trigger cuts


def test_reduce_lr_on_plateau_state_dict_round_trip():
    def make(m, o):
        return m.ReduceLROnPlateau(o, patience=2, factor=0.5, cooldown=1)

    run_schedule(make, metrics=METRICS, reload_at=12)


def test_reduce_lr_on_plateau_takes_a_tensor_metric():
    opt = gb.optim.SGD([gb.nn.Parameter(gb.zeros(1))], lr=1.0)
    sched = S.ReduceLROnPlateau(opt, patience=0)
    sched.step(gb.tensor(1.0))
    sched.step(gb.tensor(2.0))
    assert sched.get_last_lr() == [0.1]


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR",
                                  "CosineAnnealingLR-long", "LinearLR", "PolynomialLR",
                                  "ConstantLR"])
def test_deprecated_step_with_epoch_uses_the_closed_form(name):
    pair = Pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gb_sched, torch_sched = SCHEDULES[name](S, pair.gb), SCHEDULES[name](TS, pair.torch)
        for epoch in [3, 17, 8, 40]:
            pair.step()
            gb_sched.step(epoch)
            torch_sched.step(epoch)
            assert_same_schedule(pair, gb_sched, torch_sched, epoch)


def test_stepping_the_scheduler_before_the_optimizer_warns():
    opt = gb.optim.SGD([gb.nn.Parameter(gb.zeros(1))], lr=1.0)
    sched = S.StepLR(opt, step_size=1)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt2 = gb.optim.SGD([gb.nn.Parameter(gb.zeros(1))], lr=1.0)
    sched2 = S.StepLR(opt2, step_size=1)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()


def test_scheduler_state_dict_is_plain_data():
    pair = Pair("Adam")
    makers = list(SCHEDULES.values()) + [
        lambda m, o: m.ReduceLROnPlateau(o),
        lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=10),
    ]
    for make in makers:
        state = make(S, pair.gb).state_dict()
        assert "optimizer" not in state
        json.dumps(state)  # raises TypeError if anything is not plain data


def test_resuming_with_last_epoch_needs_initial_lr():
    opt = gb.optim.SGD([gb.nn.Parameter(gb.zeros(1))], lr=1.0)
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(opt, step_size=2, last_epoch=5)


def test_resuming_cosine_with_last_epoch_matches_torch():
    pair = Pair()
    for opt in (pair.gb, pair.torch):
        for group in opt.param_groups:
            group["initial_lr"] = group["lr"]
    gb_sched = S.CosineAnnealingLR(pair.gb, T_max=20, last_epoch=6)
    torch_sched = TS.CosineAnnealingLR(pair.torch, T_max=20, last_epoch=6)
    for step in range(30):
        pair.step()
        gb_sched.step()
        torch_sched.step()
        assert_same_schedule(pair, gb_sched, torch_sched, step)


def test_sequential_lr_refuses_bad_schedulers():
    opt = gb.optim.SGD([gb.nn.Parameter(gb.zeros(1))], lr=1.0)
    other = gb.optim.SGD([gb.nn.Parameter(gb.zeros(1))], lr=1.0)
    a, b = S.ExponentialLR(opt, 0.9), S.ExponentialLR(other, 0.9)
    with pytest.raises(ValueError, match="same optimizer"):
        S.SequentialLR(opt, [a, b], milestones=[3])
    with pytest.raises(ValueError, match="one more scheduler than milestones"):
        S.SequentialLR(opt, [a], milestones=[3])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        S.SequentialLR(opt, [a, S.ReduceLROnPlateau(opt)], milestones=[3])
    assert copy.deepcopy(a.state_dict())["gamma"] == 0.9
