"""The backward engine: accumulation, shared nodes, freed graphs, memory, grad mode."""

import gc
import tracemalloc
import weakref

import numpy as np
import pytest
import torch

import glassbox as gb
from glassbox.autograd import Function, GradcheckError, gradcheck


def test_gradients_accumulate_across_backward_calls():
    x = gb.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy() + 3)


def test_reused_tensor_gets_the_sum_of_its_uses():
    # diamond: y = a*b + a*c + a, every path back to a adds up
    a = gb.tensor([0.5, -1.0], requires_grad=True)
    b = gb.tensor([2.0, 3.0], requires_grad=True)
    h = a * b
    y = (h * h + h + a).sum()
    y.backward()
    ta = torch.tensor([0.5, -1.0], requires_grad=True)
    tb = torch.tensor([2.0, 3.0], requires_grad=True)
    th = ta * tb
    (th * th + th + ta).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy())


def test_same_tensor_as_both_operands():
    x = gb.tensor([3.0], requires_grad=True)
    (x * x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [27.0])


def test_second_backward_through_freed_graph_raises():
    x = gb.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp().sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = gb.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp().sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1.0, 2.0]), rtol=1e-6)


def test_saved_arrays_are_freed_after_backward():
    x = gb.randn(100, 100, requires_grad=True)
    y = x.exp()
    saved = weakref.ref(y.grad_fn.out)
    z = y.sum()
    del y
    z.backward()
    gc.collect()
    assert saved() is None


def test_training_loop_memory_stays_flat():
    w = gb.randn(64, 64, requires_grad=True)
    x = gb.randn(32, 64)

    def step():
        loss = ((x @ w).tanh() ** 2).mean()
        loss.backward()
        with gb.no_grad():
            w.sub_(w.grad * 0.01)
        w.grad = None

    for _ in range(50):
        step()
    tracemalloc.start()
    for _ in range(100):
        step()
    gc.collect()  # also empties CPython's free lists, which hold a bounded number of blocks
    after_100, _ = tracemalloc.get_traced_memory()
    for _ in range(900):
        step()
    gc.collect()
    after_1000, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # anything retained per step (graphs, histories) would grow by >= 900 * 8 KiB here
    assert after_1000 - after_100 < 64 * 1024


def test_no_grad_builds_no_graph_and_works_as_decorator():
    x = gb.ones(3, requires_grad=True)
    with gb.no_grad():
        y = x * 2
        with gb.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None

    @gb.no_grad()
    def f(t):
        return t * t

    assert not f(x).requires_grad
    assert gb.is_grad_enabled()


def test_integer_and_bool_tensors_never_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        gb.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        gb.tensor([True, False]).requires_grad_()
    x = gb.tensor([1.0, 2.0], requires_grad=True)
    assert not (x > 1).requires_grad
    assert not x.long().requires_grad


def test_long_chain_does_not_recurse():
    x = gb.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**10_000], rtol=1e-3)


def test_backward_on_non_scalar_without_gradient_says_so():
    x = gb.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"scalar outputs.*\(2, 3\)"):
        (x * 2).backward()
    (x * 2).backward(gb.ones(2, 3))
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.ones((2, 3)))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gb.ones(2).sum().backward()


def test_inplace_change_of_a_saved_value_is_caught():
    x = gb.randn(4, requires_grad=True)
    y = x.sigmoid()  # backward reads y
    z = (y * 2).sum()
    with gb.no_grad():
        y.mul_(3)
    with pytest.raises(RuntimeError, match="modified by an in-place"):
        z.backward()

    w = gb.randn(4)
    a = gb.randn(4, requires_grad=True)
    out = (a * w).sum()  # backward of a needs w
    w.add_(1.0)
    with pytest.raises(RuntimeError, match="in-place"):
        out.backward()


def test_inplace_on_leaf_requiring_grad_needs_no_grad():
    w = gb.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.add_(1.0)
    with gb.no_grad():
        w.add_(1.0)
    np.testing.assert_allclose(w.detach().numpy(), [2.0, 2.0, 2.0])


def test_inplace_that_does_not_touch_saved_values_is_fine():
    x = gb.randn(3, requires_grad=True)
    b = gb.randn(3)
    y = (x + b).sum()  # add saves nothing
    b.add_(1.0)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.ones(3))


def test_retain_grad_keeps_intermediate_gradient():
    x = gb.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.detach().numpy())
    g = x * 2
    (g * 1).sum().backward()
    assert g.grad is None  # not retained


def test_broadcast_gradient_is_reduced_to_input_shape():
    a = gb.randn(3, 1, requires_grad=True)
    b = gb.randn(4, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    np.testing.assert_allclose(a.grad.numpy()[:, 0], np.full(3, b.detach().numpy().sum()), rtol=1e-5)


def test_grad_has_input_dtype():
    x = gb.randn(3, requires_grad=True)
    (x.double() * 2).sum().backward()
    assert x.grad.dtype == gb.float32


class _BrokenSquare(Function):
    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, g):
        return g * self.x  # wrong on purpose: should be 2 * x


def test_gradcheck_catches_a_wrong_vjp():
    x = gb.randn(5, dtype=gb.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="analytic"):
        gradcheck(lambda t: _BrokenSquare.apply(t), (x,))
    assert gradcheck(lambda t: t * t, (x,))


def test_gradcheck_requires_float64():
    x = gb.randn(3, requires_grad=True)
    with pytest.raises(ValueError, match="float64"):
        gradcheck(lambda t: t * t, (x,))


def test_vjp_with_wrong_shape_names_the_op():
    class BadShape(Function):
        def forward(self, x):
            return x.sum()

        def backward(self, g):
            return np.ones(7)

    x = gb.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="BadShape.backward returned a gradient of shape"):
        BadShape.apply(x).backward()


def test_slice_gradients_accumulate_in_place_without_touching_shared_arrays():
    """Views (split, unbind, x[key]) hand back SliceGrads that the engine adds into the
    input's gradient in place; an array that another input's gradient shares must be copied
    first (Add's VJP gives both inputs the same array)."""
    data = np.random.default_rng(0).standard_normal((4, 6))
    x = gb.tensor(data, requires_grad=True)
    a, b = x.exp(), x.sin()
    q, k, v = (a * 1.5).split(2, dim=1)  # three slices of one non-leaf
    loss = (a + b).sum() + (a[0] * 3).sum() + (q * k * v).sum() + b.unbind(0)[2].sum()
    loss.backward()
    tx = torch.tensor(data, requires_grad=True)
    ta, tb = tx.exp(), tx.sin()
    tq, tk, tv = (ta * 1.5).split(2, dim=1)
    tloss = (ta + tb).sum() + (ta[0] * 3).sum() + (tq * tk * tv).sum() + tb.unbind(0)[2].sum()
    tloss.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_slices_of_a_leaf_accumulate_into_its_grad():
    x = gb.tensor(np.arange(6.0), requires_grad=True)
    first, second = x.split(3)
    (first * 2).sum().backward(retain_graph=False)
    (second * 5).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0, 5.0, 5.0, 5.0]
    x[1:3].sum().backward()  # into an existing .grad, in place
    assert x.grad.tolist() == [2.0, 3.0, 3.0, 5.0, 5.0, 5.0]
