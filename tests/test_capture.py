"""glassbox.capture: replays give eager mode's numbers bit for bit, and whatever a replay
could not repeat is refused when it is recorded."""

import numpy as np
import pytest

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn

B, IN, HID, OUT = 16, 20, 32, 5


def _mlp():
    gb.manual_seed(0)
    return nn.Sequential(nn.Linear(IN, HID), nn.ReLU(), nn.Linear(HID, OUT))


def _batches(n, batch=B, seed=1):
    rng = np.random.default_rng(seed)
    return [(gb.tensor(rng.standard_normal((batch, IN)).astype(np.float32)),
             gb.tensor(rng.integers(0, OUT, batch))) for _ in range(n)]


def _train(model, batches, step_fn):
    opt = gb.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for x, y in batches:
        opt.zero_grad(set_to_none=True)
        losses.append(step_fn(x, y).item())
        opt.step()
    return losses


def _train_both_ways(build, batches):
    """Train two copies of a classifier with cross-entropy, eagerly and captured; assert the
    same losses and weights bit for bit; return the captured step."""
    eager_model, captured_model = build(), build()

    def eager(x, y):
        loss = F.cross_entropy(eager_model(x), y)
        loss.backward()
        return loss

    step = gb.capture(lambda x, y: F.cross_entropy(captured_model(x), y), backward=True)
    assert _train(eager_model, batches, eager) == _train(captured_model, batches, step)
    for a, b in zip(eager_model.parameters(), captured_model.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    return step


def test_captured_training_matches_eager_bit_for_bit():
    step = _train_both_ways(_mlp, _batches(6))
    assert len(step._plans) == 1  # recorded once, replayed five times


def test_gradients_accumulate_as_backward_does():
    model = _mlp()
    x, y = _batches(1)[0]
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    eager = [p.grad.numpy().copy() for p in model.parameters()]
    for p in model.parameters():
        p.grad = None
    step = gb.capture(lambda x, y: F.cross_entropy(model(x), y), backward=True)
    step(x, y)
    step(x, y)  # a replay adds into .grad, as a second backward() would
    for p, g in zip(model.parameters(), eager):
        np.testing.assert_allclose(p.grad.numpy(), 2 * g, rtol=1e-6)


def test_forward_only_cnn_matches_eager_and_builds_no_graph():
    gb.manual_seed(0)
    conv, lin = nn.Conv2d(1, 4, 3, padding=1), nn.Linear(4 * 7 * 7, 3)

    def net(x):
        h = F.max_pool2d(F.relu(conv(x)), 2)
        return lin(h.reshape(h.shape[0], -1))

    run = gb.capture(net)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = gb.tensor(rng.standard_normal((2, 1, 14, 14)).astype(np.float32))
        with gb.no_grad():
            expected = net(x).numpy()
        out = run(x)
        np.testing.assert_array_equal(out.numpy(), expected)
        assert not out.requires_grad and out.grad_fn is None


def test_new_shapes_record_again_and_old_ones_still_replay():
    model = _mlp()
    run = gb.capture(lambda x: model(x))
    for batch in (5, 3, 5):
        x = _batches(1, batch=batch)[0][0]
        with gb.no_grad():
            np.testing.assert_array_equal(run(x).numpy(), model(x).numpy())
    assert len(run._plans) == 2


def test_slices_and_broadcasts_get_the_engines_gradients():
    rng = np.random.default_rng(3)
    w = gb.tensor(rng.standard_normal((4, 6)).astype(np.float32), requires_grad=True)
    b = gb.tensor(rng.standard_normal((1, 6)).astype(np.float32), requires_grad=True)

    def f(x):
        h = x @ w + b  # b broadcast over rows: its gradient is summed back
        left, right = h.chunk(2, dim=1)  # views: SliceGrad gradients
        return (left.tanh() * right).sum() + h[0].sum()

    x = gb.tensor(rng.standard_normal((5, 4)).astype(np.float32))
    f(x).backward()
    expected = (w.grad.numpy().copy(), b.grad.numpy().copy())
    w.grad = b.grad = None
    step = gb.capture(f, backward=True)
    step(x)  # recorded (eager backward)
    w.grad = b.grad = None
    step(x)  # replayed
    np.testing.assert_allclose(w.grad.numpy(), expected[0], rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), expected[1], rtol=1e-6)


def test_a_frozen_leaf_records_again_and_gets_no_gradient():
    model = _mlp()
    x, y = _batches(1)[0]
    step = gb.capture(lambda x, y: F.cross_entropy(model(x), y), backward=True)
    step(x, y)
    first = model[0].weight
    first.requires_grad_(False)
    first.grad = None
    step(x, y)
    assert first.grad is None and model[2].weight.grad is not None
    assert len(step._plans) == 1  # the stale recording was replaced
    with gb.no_grad():  # a parameter turned float64 records again, and eager mode refuses it
        first.data = first.data.double()
    with pytest.raises(Exception, match="dtype"):
        step(x, y)


def test_replayed_cross_entropy_still_checks_its_targets():
    model = _mlp()
    step = gb.capture(lambda x, y: F.cross_entropy(model(x), y), backward=True)
    x, y = _batches(1)[0]
    step(x, y)
    bad = gb.tensor(np.full(B, -3))  # negative indices would wrap around silently
    with pytest.raises(IndexError, match="cross_entropy: target -3 is out of range"):
        step(x, bad)


def test_profile_sees_replayed_ops():
    model = _mlp()
    x, y = _batches(1)[0]
    step = gb.capture(lambda x, y: F.cross_entropy(model(x), y), backward=True)
    step(x, y)
    with gb.profile() as prof:
        step(x, y)
    assert prof.stats["Linear"].calls == 2 and prof.stats["Linear"].backward_calls == 2


@pytest.mark.parametrize("fn, backward, message", [
    (lambda x: F.dropout(x, 0.5, training=True).sum(), True, "array option 'mask'"),
    (lambda x: (x + gb.randn(3, 4)).sum(), True, "draws random numbers"),
    (lambda x: (x * x.detach().numpy().sum()).sum(), True, r"values into Python \(numpy\(\)"),
    (lambda x: x.relu() if x.sum() > 0 else x.tanh(), False, r"values into Python \(__bool__"),
    (lambda x: (x * float(x[0, 0])).sum(), True, r"values into Python \(__float__"),
    # (the private ._data stands for any array view of an argument that bypasses the ops)
    (lambda x: (x * gb.from_numpy(x._data[0])).sum(), True, "made from part of another's"),
    (lambda x: _add_one_in_place(x * 2.0), False, "changed in place"),
    (lambda x: x.relu(), True, "a scalar loss first"),
    (lambda x: x, False, "made by its ops"),
    (lambda x: 3.0, False, "a Tensor or a tuple"),
])
def test_what_a_replay_could_not_repeat_is_refused(fn, backward, message):
    x = gb.randn(3, 4, requires_grad=True)
    with pytest.raises(gb.GraphCaptureError, match=message):
        gb.capture(fn, backward=backward)(x)
    assert type(x).numpy is not None and x.detach().numpy().shape == (3, 4)  # restored


def test_constants_made_inside_fn_and_detached_aliases_replay():
    """Scalars, tensors fn makes from no tensor's values, and a detached argument are fine:
    the first two are constants, the last is the argument itself at every call."""
    w = gb.randn(4, requires_grad=True)

    def f(x):
        scale = gb.tensor(np.arange(4, dtype=np.float32))  # made from no tensor's values
        return ((x * w * 2.0 + scale) * x.detach()).sum()

    step = gb.capture(f, backward=True)
    for seed in range(3):
        x = gb.tensor(np.random.default_rng(seed).standard_normal(4).astype(np.float32))
        w.grad = None
        loss = step(x)
        expected = (x.numpy() * w.detach().numpy() * 2 + np.arange(4)) * x.numpy()
        np.testing.assert_allclose(loss.item(), expected.sum(), rtol=1e-6)
        np.testing.assert_allclose(w.grad.numpy(), 2 * x.numpy() ** 2, rtol=1e-6)


def _add_one_in_place(h):
    h.add_(1)  # (h += 1 would be h = h + 1: an op, which replays)
    return h


def test_arguments_must_be_hashable_and_fn_callable():
    with pytest.raises(TypeError, match="must be callable"):
        gb.capture(3)
    with pytest.raises(gb.GraphCaptureError, match="hashable"):
        gb.capture(lambda x, opts: x.relu())(gb.randn(2), [1, 2])


@pytest.mark.parametrize("name", ["gpt", "char_lstm"])
def test_language_models_train_the_same_captured(name):
    """Token ids feed embeddings as options (replays pass each call's ids), positions and
    initial states are made inside forward from no tensor's values (constants)."""
    from glassbox.models import GPT, CharLSTM

    def build():
        gb.manual_seed(0)
        if name == "gpt":
            return GPT(30, context=8, n_layer=1, n_head=2, d_model=16)
        return CharLSTM(30, embed=8, hidden=16)

    rng = np.random.default_rng(4)
    batches = [(gb.tensor(rng.integers(0, 30, (3, 8))), gb.tensor(rng.integers(0, 30, (3, 8))))
               for _ in range(4)]
    eager_model, captured_model = build(), build()

    def eager(x, y):
        loss = eager_model(x, y)[1]
        loss.backward()
        return loss

    step = gb.capture(lambda x, y: captured_model(x, y)[1], backward=True)
    assert _train(eager_model, batches, eager) == _train(captured_model, batches, step)
    with pytest.raises(IndexError, match="embedding: index 30 is out of range"):
        step(gb.tensor(np.full((3, 8), 30)), batches[0][1])


def test_batch_norm_is_refused_in_both_modes():
    gb.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    x = gb.randn(2, 1, 5, 5)
    for mode in (net.train, net.eval):
        mode()
        with pytest.raises(gb.GraphCaptureError, match="running statistics"):
            gb.capture(lambda x: net(x))(x)


def test_an_input_that_requires_grad_gets_it_and_graph_outputs_are_refused():
    """Saliency-style: the gradient with respect to the argument itself, as eager mode."""
    model = _mlp()
    x = _batches(1)[0][0].requires_grad_(True)
    model(x).sum().backward()
    expected = x.grad.numpy().copy()
    step = gb.capture(lambda x: model(x).sum(), backward=True)
    for _ in range(2):  # recorded, then replayed
        x.grad = None
        step(x)
        np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)
    with pytest.raises(gb.GraphCaptureError, match="out of a graph"):
        step(x * 2.0)


def test_a_replay_frees_each_intermediate_after_its_last_use():
    """Replays hold no more memory than eager mode: a chain of ten 4 MB results never has
    more than a few alive at once."""
    import tracemalloc

    def chain(x):
        for _ in range(10):
            x = x * 1.5
        return x.sum()

    run = gb.capture(chain)
    x = gb.ones(1000, 1000)
    run(x)  # recorded
    for mode in ("eager", "replay"):
        tracemalloc.start()
        with gb.no_grad():
            chain(x) if mode == "eager" else run(x)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 14e6, (mode, peak)  # ten results alive would be 40 MB


def test_forward_hooks_are_refused_and_restored():
    model = _mlp()
    seen = []
    handle = model[1].register_forward_hook(lambda m, args, out: seen.append(out.shape))
    x = _batches(1)[0][0]
    with pytest.raises(gb.GraphCaptureError, match="ReLU has forward hooks"):
        gb.capture(lambda x: model(x))(x)
    model(x)  # eager mode calls the hook as before
    assert seen == [(B, HID)]
    handle.remove()
    np.testing.assert_array_equal(gb.capture(lambda x: model(x))(x).numpy(),
                                  model(x).detach().numpy())


def test_the_same_tensor_twice_is_a_different_recording_from_two_tensors():
    run = gb.capture(lambda x, y: x * 2.0 + y)
    t = gb.tensor([1.0, 2.0])
    np.testing.assert_array_equal(run(t, t).numpy(), [3.0, 6.0])
    a, b = gb.tensor([1.0, 1.0]), gb.tensor([10.0, 20.0])
    np.testing.assert_array_equal(run(a, b).numpy(), [12.0, 22.0])
    assert len(run._plans) == 2


def test_other_threads_run_eagerly_while_a_recording_is_made():
    """The recording's patches act in its own thread: another thread's ops are not recorded
    and its value reads work."""
    import threading

    seen = []

    def other():
        seen.append((gb.ones(2) * 3.0).sum().item())

    def fn(x):
        worker = threading.Thread(target=other)
        worker.start()
        worker.join()
        return (x * 2.0).sum()

    run = gb.capture(fn)
    x = gb.tensor([1.0, 2.0])
    assert run(x).item() == 6.0 and seen == [6.0]
    (plan,) = run._plans.values()
    assert [step[0].__name__ for step in plan.steps] == ["Mul", "Sum"]
    assert run(gb.tensor([2.0, 2.0])).item() == 8.0


def test_non_tensor_arguments_are_part_of_the_key_and_plans_are_bounded():
    run = gb.capture(lambda x, scale: x * scale)
    x = gb.tensor([1.0, 2.0])
    np.testing.assert_array_equal(run(x, 2.0).numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(run(x, 3.0).numpy(), [3.0, 6.0])
    for n in range(1, 20):  # more shapes than a Captured keeps: the oldest are dropped
        np.testing.assert_array_equal(run(gb.ones(n), 2.0).numpy(), np.full(n, 2.0))
    assert len(run._plans) == 16


def _op_names(captured):
    (plan,) = captured._plans.values()
    return [step[0].__name__ for step in plan.steps]


@pytest.mark.parametrize("pool", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1}])
@pytest.mark.parametrize("stride", [1, 2])  # the conv's flat and strided column layouts
def test_relu_then_max_pool_replays_as_pool_then_relu_with_eager_gradients(pool, stride):
    gb.manual_seed(0)
    conv = nn.Conv2d(1, 3, 3, padding=1, stride=stride)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 1, 8 * stride, 8 * stride)).astype(np.float32)
    x[:, :, :4] = 0  # a flat background: windows of ties, and windows with no positive value
    x[0, 0, 4:6, 4:6] = -1.0
    x, y = gb.tensor(x), gb.tensor(rng.integers(0, 3, 4))

    def loss_of(x, y):
        h = F.max_pool2d(F.relu(conv(x)), **pool)
        return F.cross_entropy(h.mean(dim=(2, 3)), y)

    loss = loss_of(x, y)
    loss.backward()
    eager = [loss.item()] + [p.grad.numpy().copy() for p in conv.parameters()]
    step = gb.capture(loss_of, backward=True)
    for _ in range(2):  # the recording, then a replay of the rewritten plan
        for p in conv.parameters():
            p.grad = None
        replayed = [step(x, y).item()] + [p.grad.numpy() for p in conv.parameters()]
        for a, b in zip(eager, replayed):
            np.testing.assert_array_equal(a, b)
    assert _op_names(step)[:3] == ["Conv", "MaxPool", "Relu"]
    (plan,) = step._plans.values()
    assert plan.steps[0][2]["channel_major"]  # the pool reads the conv's GEMM order


def test_a_relu_read_elsewhere_keeps_its_place():
    gb.manual_seed(0)
    x = gb.randn(2, 3, 4, 4)
    both = gb.capture(lambda x: (F.max_pool2d(r := F.relu(x), 2), r))  # an output
    shared = gb.capture(lambda x: F.max_pool2d(r := F.relu(x), 2).sum() + r.sum())  # read twice
    for run in (both, shared):
        run(x)
    with gb.no_grad():
        np.testing.assert_array_equal(both(x)[0].numpy(), F.max_pool2d(F.relu(x), 2).numpy())
    assert _op_names(both)[:2] == ["Relu", "MaxPool"]
    assert _op_names(shared)[:2] == ["Relu", "MaxPool"]


def test_captured_cnn_training_matches_eager_bit_for_bit():
    def cnn():
        gb.manual_seed(0)
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(8 * 3 * 3, OUT))

    rng = np.random.default_rng(4)
    batches = []
    for _ in range(4):
        images = np.maximum(rng.standard_normal((6, 1, 12, 12)), 0).astype(np.float32)
        batches.append((gb.tensor(images), gb.tensor(rng.integers(0, OUT, 6))))
    step = _train_both_ways(cnn, batches)
    assert _op_names(step)[:6] == ["Conv", "MaxPool", "Relu", "Conv", "MaxPool", "Relu"]


def test_an_argument_through_relu_and_pool_gets_eager_gradients():
    rng = np.random.default_rng(5)
    data = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    data[0, :, :2, :2] = -1.0  # windows with no positive value
    x = gb.tensor(data, requires_grad=True)
    F.max_pool2d(F.relu(x), 2).pow(2).sum().backward()
    eager = x.grad.numpy().copy()
    x.grad = None
    step = gb.capture(lambda x: F.max_pool2d(F.relu(x), 2).pow(2).sum(), backward=True)
    step(x)
    x.grad = None
    step(x)  # the rewritten replay
    np.testing.assert_array_equal(x.grad.numpy(), eager)
    assert _op_names(step)[:2] == ["MaxPool", "Relu"]


def test_backward_may_return_the_loss_with_other_outputs():
    batches = _batches(3)
    eager_model, captured_model = _mlp(), _mlp()
    eager_logits, captured_logits = [], []

    def eager(x, y):
        logits = eager_model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        eager_logits.append(logits.detach().numpy())
        return loss

    step = gb.capture(lambda x, y: (F.cross_entropy(out := captured_model(x), y), out),
                      backward=True)

    def captured(x, y):
        loss, logits = step(x, y)
        assert logits.grad_fn is None and not logits.requires_grad
        captured_logits.append(logits.numpy())
        return loss

    assert _train(eager_model, batches, eager) == _train(captured_model, batches, captured)
    for a, b in zip(eager_logits, captured_logits):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(gb.GraphCaptureError, match="a scalar loss first"):
        gb.capture(lambda x: (x.relu(), x.sum()), backward=True)(gb.ones(2, 2))
