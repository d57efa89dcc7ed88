"""Generic tests over the op table (specs.py): gradcheck and torch parity for every op."""

import numpy as np
import pytest
import torch

import glassbox as gb
from tests.ops.harness import as_list, make_arrays, to_glassbox, to_numpy, to_torch
from tests.ops.specs import SPECS

CASES = [(s, i) for s in SPECS for i in range(len(s.cases))]
IDS = [f"{s.name}-{i}" for s, i in CASES]


def _float_results(outs):
    return [o for o in outs if o.dtype in (gb.float32, gb.float64, torch.float32, torch.float64)]


def _run_both(spec, case, dtype, seed, noncontiguous=False):
    arrays = make_arrays(spec, case, dtype, seed, noncontiguous)
    g_args = to_glassbox(arrays, requires_grad=spec.grad)
    t_args = to_torch(arrays, requires_grad=spec.grad)
    g_out = as_list(spec.gb_fn(*g_args))
    t_out = as_list(spec.torch_fn(*t_args))
    return arrays, g_args, t_args, g_out, t_out


def _check_parity(spec, case, dtype, seed, noncontiguous=False):
    atol, rtol = (spec.atol32, spec.rtol32) if dtype == np.float32 else (spec.atol64, spec.rtol64)
    arrays, g_args, t_args, g_out, t_out = _run_both(spec, case, dtype, seed, noncontiguous)
    assert len(g_out) == len(t_out), f"{spec.name}: {len(g_out)} outputs vs torch {len(t_out)}"
    for k, (go, to) in enumerate(zip(g_out, t_out)):
        gv, tv = to_numpy(go), to_numpy(to)
        assert gv.shape == tv.shape, f"{spec.name} output {k}: shape {gv.shape} vs torch {tv.shape}"
        assert str(gv.dtype) == str(tv.dtype).replace("torch.", ""), (
            f"{spec.name} output {k}: dtype {gv.dtype} vs torch {tv.dtype}"
        )
        np.testing.assert_allclose(gv, tv, atol=atol, rtol=rtol, err_msg=f"{spec.name} forward")
    if not spec.grad:
        return
    # Backward from a random weighting of every float output: checks the whole VJP.
    rng = np.random.default_rng(seed + 1)
    g_loss, t_loss = 0, 0
    for go, to in zip(_float_results(g_out), _float_results(t_out)):
        w = rng.standard_normal(tuple(go.shape)).astype(to_numpy(go).dtype)
        g_loss = g_loss + (go * gb.tensor(w)).sum()
        t_loss = t_loss + (to * torch.tensor(w)).sum()
    if not isinstance(g_loss, gb.Tensor) or not g_loss.requires_grad:
        return
    g_loss.backward()
    t_loss.backward()
    for k, ((kind, _), ga, ta) in enumerate(zip(arrays, g_args, t_args)):
        if kind != "float":
            continue
        tg = ta.grad
        gg = ga.grad
        if tg is None:
            assert gg is None or np.all(to_numpy(gg) == 0), f"{spec.name}: grad of input {k}"
            continue
        assert gg is not None, f"{spec.name}: input {k} got no gradient (torch has one)"
        assert gg.shape == tuple(tg.shape)
        assert gg.dtype == ga.dtype
        np.testing.assert_allclose(
            to_numpy(gg), to_numpy(tg), atol=atol, rtol=rtol,
            err_msg=f"{spec.name} gradient of input {k}",
        )


@pytest.mark.parametrize("spec,i", CASES, ids=IDS)
def test_parity_float32(spec, i):
    _check_parity(spec, spec.cases[i], np.float32, seed=i)


@pytest.mark.parametrize("spec,i", CASES, ids=IDS)
def test_parity_float64(spec, i):
    _check_parity(spec, spec.cases[i], np.float64, seed=100 + i)


NONCONTIG = [(s, 0) for s in SPECS if s.noncontiguous]


@pytest.mark.parametrize("spec,i", NONCONTIG, ids=[s.name for s, _ in NONCONTIG])
def test_parity_noncontiguous(spec, i):
    _check_parity(spec, spec.cases[i], np.float32, seed=7, noncontiguous=True)


GRADCHECK = [(s, i) for s, i in CASES if s.grad and s.gradcheck]


@pytest.mark.parametrize("spec,i", GRADCHECK, ids=[f"{s.name}-{i}" for s, i in GRADCHECK])
def test_gradcheck_float64(spec, i):
    arrays = make_arrays(spec, spec.cases[i], np.float64, seed=200 + i)
    args = to_glassbox(arrays, requires_grad=True)
    if not any(isinstance(a, gb.Tensor) and a.requires_grad for a in args):
        pytest.skip("no differentiable input")
    assert gb.autograd.gradcheck(spec.gb_fn, args)
