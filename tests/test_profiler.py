"""glassbox.profile(): counts, times and FLOPs per op type; off means off."""

import numpy as np
import pytest

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import autograd, nn

B, IN, HID, OUT = 16, 20, 32, 5


def _train_step(model, opt, x, y):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


def test_profile_counts_the_ops_of_a_training_step(capsys):
    gb.manual_seed(0)
    model = nn.Sequential(nn.Linear(IN, HID), nn.ReLU(), nn.Linear(HID, OUT))
    opt = gb.optim.SGD(model.parameters(), lr=0.1)
    x, y = gb.randn(B, IN), gb.randint(0, OUT, (B,))
    with gb.profile() as prof:
        _train_step(model, opt, x, y)
    stats = prof.stats
    assert stats["Linear"].calls == 2 and stats["Linear"].backward_calls == 2
    assert stats["Relu"].calls == 1 and stats["Relu"].backward_calls == 1
    assert stats["CrossEntropyIndex"].calls == 1
    # forward 2*B*(IN*HID + HID*OUT); backward: layer 1 needs only dW (x is data), layer 2
    # needs dW and dx -- one forward's worth each
    fwd1, fwd2 = 2 * B * IN * HID, 2 * B * HID * OUT
    assert stats["Linear"].flops == fwd1 + fwd2 + fwd1 + 2 * fwd2
    assert stats["Relu"].flops == 0
    assert all(s.forward_s >= 0 and s.backward_s >= 0 for s in stats.values())
    assert prof.wall_s >= sum(s.total_s for s in stats.values())
    # the table is printed on exit, rows sorted by total time
    out = capsys.readouterr().out
    assert out.startswith("op") and "Linear" in out and "outside ops" in out
    rows = [name for name, _ in prof._sorted()]
    totals = [stats[n].total_s for n in rows]
    assert totals == sorted(totals, reverse=True)
    assert [line.split()[0] for line in out.splitlines()[2:2 + len(rows)]] == rows


def test_profile_is_off_outside_the_block_and_not_nested():
    w = gb.randn(3, 3, requires_grad=True)
    with gb.profile(show=False) as prof:
        with pytest.raises(RuntimeError, match="already active"), gb.profile(show=False):
            pass
        (w @ w).sum().backward()
    assert autograd._profiler is None
    before = {k: (v.calls, v.backward_calls) for k, v in prof.stats.items()}
    (w @ w).sum().backward()  # not counted
    assert {k: (v.calls, v.backward_calls) for k, v in prof.stats.items()} == before
    assert prof.stats["MatMul"].flops == 2 * 27 * 3  # forward + both gradients


def test_profile_gives_the_same_results():
    x = gb.tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3), requires_grad=True)
    with gb.profile(show=False):
        (x.exp() * x).sum().backward()
    profiled = x.grad.numpy().copy()
    x.grad = None
    (x.exp() * x).sum().backward()
    np.testing.assert_array_equal(profiled, x.grad.numpy())


def test_profile_sort_by_is_validated():
    with pytest.raises(ValueError, match="sort_by"):
        gb.profile(sort_by="flops")
