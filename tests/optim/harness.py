"""Side-by-side optimizer runs: the same weights and gradient rule in glassbox and torch.optim.

Each run optimizes four float64 parameters in two parameter groups. The gradient of every
parameter at every step is computed in NumPy from *that framework's own* current weights
(a fixed nonlinear quadratic, plus a per-step noise term shared by both), so a wrong update
changes the next gradients too and the two runs drift apart. Parameter 3 gets no gradient on
every third step, which checks that parameters without a grad are skipped.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import torch

import glassbox as gb

SHAPES = [(3, 4), (4,), (2, 3, 2), (5,)]
STEPS = 50
ATOL = RTOL = 1e-8


def _problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s) for s in SHAPES]
    curv = [rng.uniform(0.2, 1.5, s) for s in SHAPES]  # per-coordinate curvature
    centre = [rng.standard_normal(s) for s in SHAPES]
    noise = [[0.05 * rng.standard_normal(s) for s in SHAPES] for _ in range(STEPS)]
    return init, curv, centre, noise


INIT, CURV, CENTRE, NOISE = _problem()


def grad_of(i: int, w: np.ndarray, step: int):
    """The gradient for parameter i at `step`, or None when that parameter gets none."""
    if i == 3 and step % 3 == 1:
        return None
    d = w - CENTRE[i]
    return CURV[i] * d + 0.1 * np.sin(3 * d) + NOISE[step][i]


def make_params():
    """Fresh copies of the initial weights as glassbox Parameters and torch leaf tensors."""
    gb_params = [gb.nn.Parameter(gb.tensor(w.copy())) for w in INIT]
    torch_params = [torch.tensor(w.copy(), requires_grad=True) for w in INIT]
    return gb_params, torch_params


def groups(params, group1_options: dict | None):
    """Two parameter groups: params 0-1 on the defaults, params 2-3 with their own options."""
    second = {"params": params[2:]}
    second.update(group1_options or {})
    return [{"params": params[:2]}, second]


def set_grads(gb_params, torch_params, step: int) -> None:
    for i, (p, q) in enumerate(zip(gb_params, torch_params)):
        g = grad_of(i, p._data, step)
        p.grad = None if g is None else gb.tensor(g)
        g = grad_of(i, q.detach().numpy(), step)
        q.grad = None if g is None else torch.tensor(g)


def assert_params_close(gb_params, torch_params, step: int) -> None:
    for i, (p, q) in enumerate(zip(gb_params, torch_params)):
        np.testing.assert_allclose(
            p._data, q.detach().numpy(), rtol=RTOL, atol=ATOL,
            err_msg=f"parameter {i} differs from torch after step {step}",
        )


def assert_state_close(gb_opt, torch_opt) -> None:
    """Same state entries (names, values) and the same group options as torch's state_dict."""
    ours, theirs = gb_opt.state_dict(), torch_opt.state_dict()
    assert sorted(ours["state"]) == sorted(theirs["state"])
    for index, t_state in theirs["state"].items():
        g_state = ours["state"][index]
        assert list(g_state) == list(t_state), f"state names differ for parameter {index}"
        for name, value in t_state.items():
            if name == "step":
                assert g_state[name] == float(value)
            else:
                np.testing.assert_allclose(g_state[name], value.numpy(), rtol=RTOL, atol=ATOL,
                                           err_msg=f"state {name!r} of parameter {index}")
    for g_group, t_group in zip(ours["param_groups"], theirs["param_groups"]):
        assert g_group["params"] == t_group["params"]
        for key, value in g_group.items():
            assert key in t_group, f"group option {key!r} is not one of torch's"
            if isinstance(value, tuple):
                assert tuple(t_group[key]) == value, key
            else:
                assert t_group[key] == value, key


def run_side_by_side(gb_cls, torch_cls, options: dict, group1: dict | None = None,
                     steps: int = STEPS, gb_options: dict | None = None):
    """Step both optimizers `steps` times on the same problem; assert they agree every step."""
    gb_params, torch_params = make_params()
    gb_opt = gb_cls(groups(gb_params, group1), **{**options, **(gb_options or {})})
    torch_opt = torch_cls(groups(torch_params, group1), **options)
    for step in range(steps):
        set_grads(gb_params, torch_params, step)
        gb_opt.step()
        torch_opt.step()
        assert_params_close(gb_params, torch_params, step)
    return gb_opt, torch_opt, gb_params, torch_params


def through_safetensors_and_json(state_dict: dict) -> dict:
    """Round-trip an optimizer state dict as a safetensors file would store it: the arrays in
    a flat name -> array dict, everything else through JSON (so tuples become lists and the
    integer keys become strings). No pickle anywhere."""
    arrays, meta = {}, {"state": {}, "param_groups": state_dict["param_groups"]}
    for index, entries in state_dict["state"].items():
        meta["state"][index] = {}
        for name, value in entries.items():
            if isinstance(value, np.ndarray):
                arrays[f"state.{index}.{name}"] = value.copy()
                meta["state"][index][name] = {"__array__": f"state.{index}.{name}"}
            else:
                meta["state"][index][name] = value
    meta = json.loads(json.dumps(meta))
    for entries in meta["state"].values():
        for name, value in entries.items():
            if isinstance(value, dict) and "__array__" in value:
                entries[name] = arrays[value["__array__"]]
    return meta


def run_with_reload(gb_cls, torch_cls, options: dict, group1: dict | None = None,
                    reload_at: int = 25, via_files: bool = False, from_torch: bool = False):
    """Like run_side_by_side, but at `reload_at` the glassbox run continues in a *new*
    optimizer (on new parameter objects) built from the old one's state dict - or, with
    from_torch, from torch's state dict."""
    gb_params, torch_params = make_params()
    gb_opt = gb_cls(groups(gb_params, group1), **options)
    torch_opt = torch_cls(groups(torch_params, group1), **options)
    for step in range(STEPS):
        if step == reload_at:
            if from_torch:
                saved = torch_opt.state_dict()
            else:
                saved = copy.deepcopy(gb_opt.state_dict())
                if via_files:
                    saved = through_safetensors_and_json(saved)
            gb_params = [gb.nn.Parameter(gb.tensor(p._data.copy())) for p in gb_params]
            fresh_group1 = {k: v for k, v in (group1 or {}).items()}
            gb_opt = gb_cls(groups(gb_params, {**fresh_group1, "lr": 123.0}), **options)
            gb_opt.load_state_dict(saved)  # restores every group option too (lr=123 gone)
        set_grads(gb_params, torch_params, step)
        gb_opt.step()
        torch_opt.step()
        assert_params_close(gb_params, torch_params, step)
    return gb_opt, torch_opt
