"""Reverse-mode automatic differentiation: the Function base class, the backward sweep,
grad-mode switches and a finite-difference gradient checker.

How it works. Every differentiable op is a `Function` subclass with two methods side by side:
`forward(*arrays, **options)` computes the result from raw arrays and keeps on `self` only what
the gradient will need; `backward(grad)` takes the gradient of the loss with respect to the
op's output and returns one gradient per input (the vector-Jacobian product), or None for an
input that needs none. `Function.apply` runs forward and, when grad mode is on and an input
requires grad, links the result Tensor to the Function instance (its `grad_fn`), which holds
its input Tensors. Those links form the graph.

`backward(root)` sorts the graph's Functions topologically (with an explicit stack, so a
10,000-step chain cannot hit Python's recursion limit), then sweeps them once in reverse,
summing the gradients that reach each node from all of its uses. Each VJP's result is reduced
to its input's shape by `sum_to_shape` -- the only place broadcasting is undone -- and then
checked against that shape, naming the op if it differs. Leaf tensors that require grad add
into `.grad`; intermediates keep no gradient unless `retain_grad()` was called. The graph is
released as it is swept unless `retain_graph=True`.

VJPs compute with arrays, not Tensors: the backward pass builds no graph, so glassbox does not
offer double backward (gradients of gradients).
"""

from __future__ import annotations

import functools

import numpy as np

from glassbox import tensor as _tensor_module  # Tensor is looked up at call time (import cycle)

# ---------------------------------------------------------------------------------------------
# Grad mode

_grad_enabled = True

# The active glassbox.profile() (None when not profiling): Function.apply and the backward
# sweep check it once per op, so profiling costs nothing when it is off.
_profiler = None
# The glassbox.capture recording in progress (None when not recording), checked the same way.
_recorder = None


def is_grad_enabled() -> bool:
    return _grad_enabled


class _GradMode:
    """Base for no_grad / enable_grad: a context manager that is also a decorator."""

    mode = True

    def __enter__(self):
        global _grad_enabled
        self._prev = _grad_enabled
        _grad_enabled = self.mode

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Context manager and decorator: ops inside build no graph.

    Example:
        >>> import glassbox as gb
        >>> w = gb.ones(3, requires_grad=True)
        >>> with gb.no_grad():
        ...     y = w * 2
        >>> y.requires_grad
        False
    """

    mode = False


class enable_grad(_GradMode):
    """Context manager and decorator: turn graph building back on inside a no_grad block."""

    mode = True


class set_grad_enabled(_GradMode):
    """Context manager that sets grad mode to `mode` (True or False)."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


# ---------------------------------------------------------------------------------------------
# Function: one op, forward beside its vector-Jacobian product


class Function:
    """Base class of every differentiable op.

    Subclasses implement `forward(self, *arrays, **options) -> array` and
    `backward(self, grad) -> gradient or tuple of gradients` (one per array input, None where
    `self.needs_input_grad[i]` is False or the input is not differentiable).

    Class flags:
        saves_inputs: backward reads the input values, so modifying an input in place after
            forward would corrupt the gradient; the engine checks the inputs' versions.
        saves_output: the same for the output (e.g. exp, sigmoid, tanh keep their result).
        is_view: the output shares memory with the first input (reshape, transpose, slicing),
            so an in-place change to one is a change to the other: they share a version counter.
    """

    saves_inputs = True
    saves_output = False
    is_view = False

    @classmethod
    def apply(cls, *inputs, **options):
        """Run the op on Tensors `inputs` (non-Tensor options go in `options`)."""
        fn = cls()
        # (list comprehensions, not generators: this runs for every op, and they are faster)
        needs = tuple([t.requires_grad for t in inputs]) if _grad_enabled else ()
        track = True in needs
        fn.needs_input_grad = needs if track else (False,) * len(inputs)
        if _profiler is None:
            out = fn.forward(*[t._data for t in inputs], **options)
        else:
            out = _profiler.forward(fn, [t._data for t in inputs], options)
        result = _tensor_module.Tensor._wrap(out)
        if cls.is_view:
            result._version = inputs[0]._version
        if track:
            fn.parents = inputs
            if cls.saves_inputs:
                fn.input_versions = tuple(t._version[0] for t in inputs)
            if cls.saves_output:
                fn.output_version = result._version
                fn.output_version_at_forward = result._version[0]
            result.requires_grad = True
            result._ctx = fn
        if _recorder is not None:
            _recorder.record(fn, inputs, options, result)
        return result

    def forward(self, *arrays, **options):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, grad):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.backward")

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name}Backward>"


# ---------------------------------------------------------------------------------------------
# Broadcasting, undone in one place


def sum_to_shape(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum `grad` down to `shape`, undoing NumPy broadcasting.

    Sums the extra leading axes, then (keeping dims) the axes where `shape` has size 1.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad


# ---------------------------------------------------------------------------------------------
# The backward sweep


def _topological_order(root_fn: Function) -> list:
    """Functions reachable from `root_fn`, each after every Function that consumes its output.

    Depth-first post-order with an explicit stack, reversed.
    """
    order = []
    seen = {id(root_fn)}
    stack = [(root_fn, iter(_parents_of(root_fn)))]
    while stack:
        fn, parents = stack[-1]
        for p in parents:
            child = p._ctx
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                stack.append((child, iter(_parents_of(child))))
                break
        else:
            stack.pop()
            order.append(fn)
    order.reverse()
    return order


def _parents_of(fn: Function):
    parents = getattr(fn, "parents", None)
    if parents is None:
        raise RuntimeError(
            f"Trying to backward through the graph a second time (through {fn.name}): its "
            "saved values were freed after the first backward. Pass retain_graph=True to the "
            "first backward() if you need to call it twice."
        )
    return parents


def _check_versions(fn: Function) -> None:
    """Raise if a value this op saved for backward was modified in place since forward."""
    if fn.saves_inputs:
        for i, (t, v) in enumerate(zip(fn.parents, fn.input_versions)):
            if t._version[0] != v:
                raise RuntimeError(
                    f"{fn.name}: input {i} (shape {tuple(t.shape)}) was modified by an in-place "
                    f"operation after it was used (version {v} -> {t._version[0]}), but its value "
                    "is needed to compute the gradient. Use an out-of-place op instead "
                    "(e.g. x = x + y rather than x.add_(y))."
                )
    if fn.saves_output and fn.output_version[0] != fn.output_version_at_forward:
        raise RuntimeError(
            f"{fn.name}: its output was modified by an in-place operation, but the gradient "
            "is computed from it. Use an out-of-place op instead."
        )


class SliceGrad:
    """A gradient that is zero outside one basic index of the input: `values` at `index`.

    The VJP of a view op (x[key], narrow, select: split, unbind and chunk make one per piece)
    returns this instead of a zero-filled array of x's shape. The engine writes it into the
    gradient it is accumulating for x, in place, so the n pieces of a split tensor cost one
    zero-filled array and n slice additions instead of n full arrays and n - 1 full sums.
    """

    __slots__ = ("shape", "index", "values")

    def __init__(self, shape: tuple, index, values: np.ndarray):
        self.shape, self.index, self.values = shape, index, values

    def dense(self, dtype) -> np.ndarray:
        out = np.zeros(self.shape, dtype=dtype)
        out[self.index] = self.values
        return out


def backward(root, gradient=None, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) into `.grad` of every leaf that requires grad.

    Called by `Tensor.backward`; see there.
    """
    if not root.requires_grad:
        raise RuntimeError(
            "backward(): the tensor does not require grad and has no grad_fn -- nothing that "
            "produced it requires grad (or it was computed under no_grad)."
        )
    if gradient is None:
        if root._data.size != 1:
            raise RuntimeError(
                f"backward(): grad can be implicitly created only for scalar outputs, but the "
                f"output has shape {tuple(root.shape)}. Pass gradient= (same shape as the "
                "output), or reduce it first, e.g. loss.sum().backward()."
            )
        grad = np.ones(root._data.shape, dtype=root._data.dtype)
    else:
        grad = gradient._data if isinstance(gradient, _tensor_module.Tensor) else np.asarray(gradient)
        if grad.shape != root._data.shape:
            raise RuntimeError(
                f"backward(): gradient has shape {grad.shape} but the output has shape "
                f"{root._data.shape}; they must match."
            )
        grad = grad.astype(root._data.dtype, copy=False)

    if root._ctx is None:  # a leaf: its gradient is the seed itself
        _accumulate_leaf(root, grad)
        return

    grads = {id(root._ctx): grad}
    owned = set()  # keys of grads whose array the engine made itself: safe to add into in place
    for fn in _topological_order(root._ctx):
        g = grads.pop(id(fn), None)
        if g is None:  # no path from this node to the root carried a gradient
            continue
        _check_versions(fn)
        retained = getattr(fn, "retained_output", None)
        if retained is not None:
            _accumulate_leaf(retained, g)
        input_grads = fn.backward(g) if _profiler is None else _profiler.backward(fn, g)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        for parent, pg in zip(fn.parents, input_grads):
            if pg is None or not parent.requires_grad:
                continue
            if not isinstance(pg, SliceGrad):
                pg = fit_to_shape(fn.name, pg, parent._data.shape, parent._data.dtype)
            if parent._ctx is None:
                _accumulate_leaf(parent, pg)
            else:
                add_gradient(grads, owned, id(parent._ctx), pg, parent._data.dtype)
        if not retain_graph:
            _release(fn)


def fit_to_shape(op: str, grad, shape: tuple, dtype) -> np.ndarray:
    """Undo broadcasting, match dtype, and check a VJP's shape; name the op if wrong."""
    grad = np.asarray(grad)
    if grad.shape != shape:
        grad = sum_to_shape(grad, shape)
        if grad.shape != shape:
            raise RuntimeError(
                f"{op}.backward returned a gradient of shape {grad.shape} for an input of "
                f"shape {shape}."
            )
    if grad.dtype != dtype:
        grad = grad.astype(dtype)
    return grad


def add_gradient(grads: dict, owned: set, key, grad, dtype) -> None:
    """Add one VJP result (an array or a SliceGrad) into grads[key].

    `owned` holds the keys whose array the sweep made itself, safe to add into in place; an
    array a VJP returned may be shared with another input's gradient (add returns (g, g)).
    """
    prev = grads.get(key)
    if isinstance(grad, SliceGrad):
        if prev is None:
            grads[key] = grad.dense(dtype)
            owned.add(key)
            return
        if key not in owned:  # someone else's array: copy before writing into it
            prev = grads[key] = np.array(prev, dtype=dtype, copy=True)
            owned.add(key)
        prev[grad.index] += grad.values
    elif prev is None:
        grads[key] = grad  # not owned
    elif key in owned:
        prev += grad
    else:
        grads[key] = prev + grad
        owned.add(key)


def _accumulate_leaf(t, grad) -> None:
    """Add a gradient (an array or a SliceGrad) into the leaf's .grad."""
    if isinstance(grad, SliceGrad):
        if t.grad is None:
            t.grad = _tensor_module.Tensor._wrap(grad.dense(t._data.dtype))
        else:
            t.grad._data[grad.index] += grad.values
    elif t.grad is None:
        # Own the memory: a VJP may hand the same array to several inputs (add returns
        # (g, g)), and .grad is later changed in place (accumulation, clipping).
        t.grad = _tensor_module.Tensor._wrap(np.array(grad, dtype=t._data.dtype, copy=True))
    else:
        np.add(t.grad._data, grad, out=t.grad._data, casting="unsafe")


def _release(fn: Function) -> None:
    """Free what a Function holds (inputs, saved arrays), keeping a marker for misuse."""
    fn.__dict__.clear()
    fn.parents = None


# ---------------------------------------------------------------------------------------------
# Finite-difference gradient check


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """Compare the engine's gradients of `fn(*inputs)` with central finite differences.

    Every input Tensor with requires_grad is perturbed element by element; the Jacobian built
    from backward() (one backward per output element) must match the numerical one within
    `atol + rtol * |numerical|`. Use float64 inputs: the defaults assume double precision.

    Args:
        fn: callable taking the inputs and returning a Tensor (or a tuple of Tensors; all
            float outputs are checked).
        inputs: a Tensor or a tuple of Tensors (and other arguments passed through).
        eps: finite-difference step (default 1e-6).
        atol, rtol: tolerances (defaults 1e-5 and 1e-3, as in PyTorch).

    Returns:
        True; raises GradcheckError naming the input, index, analytic and numeric values of
        the worst mismatch otherwise.

    Example:
        >>> import glassbox as gb
        >>> x = gb.randn(3, dtype=gb.float64, requires_grad=True)
        >>> gb.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
        True
    """
    Tensor = _tensor_module.Tensor
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    wrt = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not wrt:
        raise ValueError("gradcheck: no input requires grad")
    for i in wrt:
        if inputs[i].dtype != np.float64:
            raise ValueError(
                f"gradcheck: input {i} is {inputs[i].dtype}; finite differences need float64 "
                "inputs for these tolerances"
            )

    def outputs_as_arrays():
        with no_grad():
            return [o._data.astype(np.float64).ravel() for o in _float_outputs(fn(*inputs))]

    # Analytic Jacobian rows, one backward per output element.
    outs = _float_outputs(fn(*inputs))
    analytic = {i: [] for i in wrt}
    for o in outs:
        for k in range(o._data.size):
            for i in wrt:
                inputs[i].grad = None
            seed = np.zeros(o._data.shape, dtype=o._data.dtype)
            seed.flat[k] = 1.0
            if o.requires_grad:
                o.backward(seed, retain_graph=True)
            for i in wrt:
                g = inputs[i].grad
                row = np.zeros(inputs[i]._data.size) if g is None else g._data.ravel().copy()
                analytic[i].append(row)
    for i in wrt:
        inputs[i].grad = None

    worst = None
    for i in wrt:
        x = inputs[i]._data
        n_out = len(analytic[i])
        a_jac = np.array(analytic[i]).reshape(n_out, x.size)  # (n_out, n_in)
        n_jac = np.zeros_like(a_jac)
        flat = x.reshape(-1)  # a view: perturbs the input in place
        for j in range(x.size):
            orig = flat[j]
            flat[j] = orig + eps
            plus = np.concatenate(outputs_as_arrays()) if outs else np.zeros(0)
            flat[j] = orig - eps
            minus = np.concatenate(outputs_as_arrays()) if outs else np.zeros(0)
            flat[j] = orig
            n_jac[:, j] = (plus - minus) / (2 * eps)
        err = np.abs(a_jac - n_jac) - (atol + rtol * np.abs(n_jac))
        if err.size and err.max() > 0:
            out_k, in_j = np.unravel_index(np.argmax(err), err.shape)
            cand = (err.max(), i, in_j, out_k, a_jac[out_k, in_j], n_jac[out_k, in_j], x.shape)
            if worst is None or cand[0] > worst[0]:
                worst = cand
    if worst is not None:
        _, i, j, k, a, n, shape = worst
        index = np.unravel_index(j, shape) if shape else ()
        raise GradcheckError(
            f"gradcheck: Jacobian mismatch for input {i} at index {tuple(int(v) for v in index)}, "
            f"output element {k}: analytic {a:.8g} vs numeric {n:.8g} "
            f"(atol={atol}, rtol={rtol})"
        )
    return True


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytic and numerical gradients disagree."""


def _float_outputs(out):
    Tensor = _tensor_module.Tensor
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o._data.dtype.kind == "f"]
