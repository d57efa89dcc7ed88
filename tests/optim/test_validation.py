"""Invalid hyper-parameters raise ValueError naming the argument and its value (as torch)."""

from __future__ import annotations

import re

import pytest
import torch

import glassbox as gb

CASES = [
    # (optimizer, kwargs, message both frameworks give)
    ("SGD", {"lr": -1}, "Invalid learning rate: -1"),
    ("SGD", {"lr": 0.1, "momentum": -0.5}, "Invalid momentum value: -0.5"),
    ("SGD", {"lr": 0.1, "weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
    ("SGD", {"lr": 0.1, "nesterov": True}, "Nesterov momentum requires a momentum and zero damp"),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True},
     "Nesterov momentum requires a momentum and zero dampening"),
    ("Adam", {"lr": -0.001}, "Invalid learning rate: -0.001"),
    ("Adam", {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
    ("Adam", {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
    ("Adam", {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
    ("Adam", {"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
    ("AdamW", {"lr": -2}, "Invalid learning rate: -2"),
    ("AdamW", {"betas": (0.9, 1.5)}, "Invalid beta parameter at index 1: 1.5"),
    ("RMSprop", {"lr": -0.01}, "Invalid learning rate: -0.01"),
    ("RMSprop", {"alpha": -0.99}, "Invalid alpha value: -0.99"),
    ("RMSprop", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ("RMSprop", {"momentum": -0.9}, "Invalid momentum value: -0.9"),
    ("RMSprop", {"weight_decay": -0.5}, "Invalid weight_decay value: -0.5"),
    ("Adagrad", {"lr": -0.1}, "Invalid learning rate: -0.1"),
    ("Adagrad", {"lr_decay": -0.1}, "Invalid lr_decay value: -0.1"),
    ("Adagrad", {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
    ("Adagrad", {"initial_accumulator_value": -1.0},
     "Invalid initial_accumulator_value value: -1.0"),
    ("Adagrad", {"eps": -1e-10}, "Invalid epsilon value: -1e-10"),
]


@pytest.mark.parametrize("name,kwargs,message", CASES,
                         ids=[f"{c[0]}-{list(c[1])[-1]}" for c in CASES])
def test_invalid_hyperparameter_raises_like_torch(name, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        getattr(gb.optim, name)([gb.nn.Parameter(gb.ones(2))], **kwargs)
    with pytest.raises(ValueError, match=re.escape(message)):
        getattr(torch.optim, name)([torch.ones(2, requires_grad=True)], **kwargs)


@pytest.mark.parametrize("name,kwargs,message", CASES[:3] + CASES[5:7],
                         ids=[f"{c[0]}-{list(c[1])[-1]}" for c in CASES[:3] + CASES[5:7]])
def test_invalid_option_in_a_param_group_is_refused(name, kwargs, message):
    # Stricter than torch, which accepts any value in a group: the group is validated too.
    opt = getattr(gb.optim, name)([gb.nn.Parameter(gb.ones(2))])
    with pytest.raises(ValueError, match=re.escape(message)):
        opt.add_param_group({"params": [gb.nn.Parameter(gb.ones(2))], **kwargs})
    assert len(opt.param_groups) == 1


def test_valid_edge_values_are_accepted():
    w = [gb.nn.Parameter(gb.ones(2))]
    gb.optim.SGD(w, lr=0.0, momentum=0.0, weight_decay=0.0)
    gb.optim.Adam(w, lr=0.0, betas=(0.0, 0.0), eps=0.0)
    gb.optim.RMSprop(w, alpha=0.0)


SCHEDULER_CASES = [
    ("StepLR", {"step_size": 0}, "step_size must be a positive integer, got 0"),
    ("CosineAnnealingLR", {"T_max": 0}, "T_max must be positive, got 0"),
    ("LinearLR", {"start_factor": 0.0}, "start_factor=0.0"),
    ("LinearLR", {"end_factor": 1.5}, "end_factor=1.5"),
    ("ConstantLR", {"factor": 2.0}, "factor=2.0"),
    ("ReduceLROnPlateau", {"factor": 1.5}, "factor=1.5"),
    ("ReduceLROnPlateau", {"mode": "median"}, "mode median is unknown"),
    ("ReduceLROnPlateau", {"threshold_mode": "pct"}, "threshold mode pct is unknown"),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 0}, "total_steps, but got 0"),
    ("OneCycleLR", {"max_lr": 1.0}, "total_steps OR (epochs AND steps_per_epoch)"),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 10, "pct_start": 1.5}, "pct_start, but got 1.5"),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 10, "anneal_strategy": "exp"},
     "instead got exp"),
    ("OneCycleLR", {"max_lr": [1.0, 2.0], "total_steps": 10}, "got 2 values for 1 group"),
    ("CosineAnnealingWarmRestarts", {"T_0": 0}, "positive integer T_0, but got 0"),
    ("CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 0}, "T_mult >= 1, but got 0"),
]


@pytest.mark.parametrize("name,kwargs,message", SCHEDULER_CASES,
                         ids=[f"{c[0]}-{list(c[1])[-1]}" for c in SCHEDULER_CASES])
def test_invalid_scheduler_argument_raises(name, kwargs, message):
    opt = gb.optim.SGD([gb.nn.Parameter(gb.ones(2))], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=re.escape(message)):
        getattr(gb.optim.lr_scheduler, name)(opt, **kwargs)


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        gb.optim.lr_scheduler.StepLR([], step_size=1)


def test_one_cycle_momentum_needs_an_optimizer_with_momentum():
    opt = gb.optim.Adagrad([gb.nn.Parameter(gb.ones(2))])
    with pytest.raises(ValueError, match="support momentum or beta1.*Adagrad"):
        gb.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    gb.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10, cycle_momentum=False)
