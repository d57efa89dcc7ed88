"""Capture a function's ops once and replay them without Python dispatch.

    step = gb.capture(lambda x, y: F.cross_entropy(model(x), y), backward=True)
    for x, y in batches:
        opt.zero_grad()
        loss = step(x, y)      # forward and backward: the parameters' .grad are filled
        opt.step()

The first call with given argument shapes runs `fn` as usual and records every op it runs
(`Function.apply`): the op, its input tensors, its options. Later calls with the same shapes
replay that list: each op's `forward` on arrays, then (with `backward=True`) each op's
`backward` in reverse, adding into the `.grad` of the leaf tensors that require grad, as
`loss.backward()` would. No module is called, no argument is checked again, no Tensor or
graph is built: for a small network that Python work is a fifth of a training step (W1).
The numbers are the same as eager mode's: the same kernels run on the same arrays.

What a replay sees. The tensor arguments are placeholders: each call's arrays go where the
first call's went. Every other tensor the ops read (parameters, buffers, constants made
before the first call) is read again at each call, so an optimizer's updates are seen; the
leaves are the tensor objects the first call used, so after replacing a module or a
Parameter object (not just its values), capture again. Everything else was fixed by the first
call: the ops, their order and their options, like `torch.jit.trace`. Tensors fn makes from
no tensor's values (a scalar operand, positions from np.arange) are constants. The first call
refuses (GraphCaptureError) what it can see a replay would not repeat:
  - reading a tensor's values into Python (item(), numpy(), float(t), `if t > 0:`),
  - drawing from glassbox's random generator (gb.randn, dropout; NumPy's own is not seen),
  - an op option holding an array that is neither an argument's nor an op's output (e.g.
    dropout's random mask in training mode, class weights),
  - an in-place change to a tensor the ops read or made (e.g. `h.add_(1)`), and batch norm,
    whose running statistics ride outside the op's inputs,
  - a module with forward hooks (a replay would not call them).
New argument shapes, dtypes or non-tensor arguments, or a leaf whose requires_grad changed,
start a new recording. A replay frees each intermediate after its last use, as eager mode
does, and `gb.profile()` times replayed ops as usual. Two rewrites change how ops run where
the numbers stay the same: a relu read only by a max pool runs after it (_pool_before_relu),
and a conv read only by a max pool skips its copy into NCHW order
(_conv_output_in_gemm_order). See docs/capture.md.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

from glassbox import autograd, backend
from glassbox.autograd import Function, SliceGrad, enable_grad, no_grad
from glassbox.nn.module import Module
from glassbox.ops.conv import Conv, MaxPool
from glassbox.ops.elementwise import Relu
from glassbox.tensor import Tensor

__all__ = ["Captured", "GraphCaptureError", "capture"]

_MAX_PLANS = 16  # one per argument signature (a last, smaller batch adds one)


class GraphCaptureError(RuntimeError):
    """`fn` does something a replay of its recorded ops would not repeat."""


def capture(fn, *, backward: bool = False) -> Captured:
    """Record the ops `fn` runs on its first call and replay them on later calls.

    Args:
        fn: a function of tensors (and hashable non-tensor arguments) that returns a Tensor
            or a tuple of Tensors made by ops.
        backward (bool): also run the backward pass: `fn` must return a scalar loss (or a
            tuple whose first element is the scalar loss, the others returned alongside it,
            such as the model's output for metrics), and each call adds its gradients into
            the `.grad` of every leaf tensor that requires grad, as `loss.backward()`.
            Without it, a call runs the forward pass only (as under no_grad). Default False.

    Returns:
        Captured: call it as you would call `fn`. Its outputs carry no graph.

    Example:
        >>> import glassbox as gb, glassbox.nn.functional as F
        >>> w = gb.ones(3, 2, requires_grad=True)
        >>> step = gb.capture(lambda x: F.linear(x, w).relu().sum(), backward=True)
        >>> step(gb.ones(4, 2)).item(), w.grad.tolist()[0]
        (24.0, [4.0, 4.0])
        >>> w.grad = None; step(gb.ones(4, 2)).item(), w.grad.tolist()[0]   # replayed
        (24.0, [4.0, 4.0])
    """
    if not callable(fn):
        raise TypeError(f"capture: fn must be callable, got {type(fn).__name__}")
    return Captured(fn, bool(backward))


class Captured:
    """A function whose ops were recorded on its first call (see `capture`)."""

    def __init__(self, fn, backward: bool):
        self.fn, self.backward = fn, backward
        self._plans: dict = {}

    def __call__(self, *args):
        key = _signature(args)
        plan = self._plans.get(key)
        if plan is not None and plan.leaves_unchanged():
            return plan.run(args)
        plan, result = _Plan.record(self.fn, args, self.backward)
        self._plans.pop(key, None)
        if len(self._plans) >= _MAX_PLANS:
            self._plans.pop(next(iter(self._plans)))
        self._plans[key] = plan
        return result

    def __repr__(self):
        mode = "forward and backward" if self.backward else "forward"
        return f"Captured({getattr(self.fn, '__name__', 'fn')}, {mode}, {len(self._plans)} plans)"


def _signature(args) -> tuple:
    """What a recording depends on besides the tensors' values: shapes, dtypes, which
    arguments are the same tensor or share an array (f(x, x) records x once), and the
    non-tensor arguments."""
    key, first, first_array = [], {}, {}
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            if a._ctx is not None and a.requires_grad:
                raise GraphCaptureError(
                    "capture: tensor arguments must not come out of a graph (a replay could not "
                    "carry gradients back into it); pass a leaf, or .detach() it")
            key.append((Tensor, a._data.shape, a._data.dtype.str, a.requires_grad,
                        first.setdefault(id(a), i), first_array.setdefault(id(a._data), i)))
        else:
            try:
                hash(a)
            except TypeError:
                raise GraphCaptureError(
                    f"capture: a non-tensor argument must be hashable (it is part of what a "
                    f"recording depends on), got {type(a).__name__}") from None
            key.append((type(a), a))
    return tuple(key)


class _Recorder:
    """Turns each op of the first call into a step over numbered slots as it runs.

    It holds tensors and arrays only through weak references (an id is looked up only while
    its object lives), so the intermediates are freed as in eager mode, not kept to the end.
    """

    def __init__(self, args):
        self.thread = threading.get_ident()  # other threads' ops are not fn's
        self.n_slots = 0
        self.slots = {}  # id(tensor) -> (weak reference, slot)
        self.data = {}  # id(array) -> (weak reference, slot): arrays each call brings anew
        self.fresh = []  # weak references to those arrays
        self.made = {}  # id(tensor) -> (weak reference, True): tensors created while fn runs
        self.made_arrays = {}  # id(array) -> (weak reference, True): their arrays
        self.versions = {}  # id(tensor) -> (weak reference, version when first seen)
        self.arg_slots = [self._new_slot(a, fresh=True) if isinstance(a, Tensor) else None
                          for a in args]
        self.leaves = []  # (slot, tensor, _leaf_state at recording)
        self.constants = []  # (slot, array) of tensors fn made from no tensor's values
        self.steps = []

    @staticmethod
    def _lookup(table: dict, obj):
        entry = table.get(id(obj))
        return None if entry is None or entry[0]() is not obj else entry[1]

    def _new_slot(self, t, fresh=False) -> int:
        s = self.n_slots
        self.n_slots += 1
        self.slots[id(t)] = (weakref.ref(t), s)
        if fresh:  # its array is this call's: an op may take it as an option
            self.data.setdefault(id(t._data), (weakref.ref(t._data), s))
            self.fresh.append(weakref.ref(t._data))
        return s

    def note_made(self, t):
        if threading.get_ident() != self.thread:
            return
        self.made[id(t)] = (weakref.ref(t), True)
        self.made_arrays[id(t._data)] = (weakref.ref(t._data), True)

    def shares_fresh_memory(self, array) -> bool:
        return any(a is not None and np.may_share_memory(array, a)
                   for a in (r() for r in self.fresh))

    def check_version(self, t):
        entry = self.versions.get(id(t))
        if entry is None or entry[0]() is not t:
            self.versions[id(t)] = (weakref.ref(t), t._version[0])
        elif entry[1] != t._version[0]:
            raise GraphCaptureError(
                f"capture: a tensor of shape {tuple(t.shape)} was changed in place while fn "
                "ran (e.g. `h.add_(1)`); a replay would not repeat it")

    def _input_slot(self, fn, t) -> int:
        s = self._lookup(self.slots, t)
        if s is not None:
            return s
        if self._lookup(self.made, t) is not None:  # made by fn, not by an op
            s = self._lookup(self.data, t._data)  # the same array as an argument or output
            if s is None:
                if self.shares_fresh_memory(t._data):
                    raise GraphCaptureError(
                        f"capture: {fn.name} reads a tensor of shape {tuple(t.shape)} that fn "
                        "made from part of another's values without an op; a replay would "
                        "reuse its first value")
                s = self._new_slot(t)
                self.constants.append((s, t._data))
            else:
                self.slots[id(t)] = (weakref.ref(t), s)
            return s
        s = self._new_slot(t)  # made before fn ran: read again at every replay
        self.leaves.append((s, t, _leaf_state(t)))
        return s

    def record(self, fn, inputs, options, result):
        if threading.get_ident() != self.thread:
            return
        for t in inputs:
            self.check_version(t)
        in_slots = tuple(self._input_slot(fn, t) for t in inputs)
        dynamic = self._dynamic_options(fn, options)
        out_slot = self._new_slot(result, fresh=True)
        self.versions[id(result)] = (weakref.ref(result), result._version[0])
        self.steps.append((type(fn), in_slots, options, dynamic, out_slot, fn.needs_input_grad,
                           tuple(t._data.shape for t in inputs),
                           tuple(t._data.dtype for t in inputs)))

    def _dynamic_options(self, fn, options: dict) -> tuple:
        """(name, slot) for each option that is the array of an argument or of an op's output
        (a replay passes that call's array). The array of a tensor fn made from no tensor's
        values stays as recorded; any other array is refused."""
        dynamic = []
        for name, value in options.items():
            if isinstance(value, np.ndarray):
                s = self._lookup(self.data, value)
                if s is not None:
                    dynamic.append((name, s))
                    continue
                made = self._lookup(self.made_arrays, value) is not None
                if not made or self.shares_fresh_memory(value):
                    raise GraphCaptureError(
                        f"capture: {fn.name} takes an array option '{name}' that is neither an "
                        "argument's nor an op's output (a random mask, class weights, or values "
                        "computed outside the ops): a replay would reuse it. Dropout must be off "
                        "(eval mode); class weights are not supported.")
            elif _holds_mutable(value):
                raise GraphCaptureError(
                    f"capture: {fn.name}'s option '{name}' holds arrays or other mutable values "
                    f"({type(value).__name__}) outside the op's tensor inputs, which a replay "
                    "could not follow (batch norm's running statistics are one such)")
        return tuple(dynamic)

    def output_slot(self, t):
        """The slot of a tensor an op made during the recording, else None."""
        s = self._lookup(self.slots, t)
        return s if s is not None and self._lookup(self.made, t) is not None else None


class _Plan:
    """The recorded ops of one call, as steps over numbered slots: arguments, leaves,
    constants, then each op's output."""

    @classmethod
    def record(cls, fn, args, backward: bool):
        recorder = _Recorder(args)
        wrap = Tensor.__dict__["_wrap"]

        def wrap_and_note(klass, array):  # every Tensor is made here (ops' outputs, factories)
            t = wrap.__func__(klass, array)
            recorder.note_made(t)
            return t

        # the patches below act in this thread only; other threads run eagerly meanwhile

        versions_before = [a._version[0] if isinstance(a, Tensor) else None for a in args]
        rng_before = backend.get_rng_state()
        previous = autograd._recorder
        readers = {name: Tensor.__dict__[name] for name in _VALUE_READERS}
        call_hooks = Module._call_with_hooks
        autograd._recorder, Tensor._wrap = recorder, classmethod(wrap_and_note)
        for name, method in readers.items():
            setattr(Tensor, name, _refuse_value_read(name, method, recorder.thread))
        Module._call_with_hooks = _refuse_hooks(call_hooks, recorder.thread)
        try:
            with enable_grad() if backward else no_grad():
                out = fn(*args)
        finally:
            autograd._recorder, Tensor._wrap = previous, wrap
            for name, method in readers.items():
                setattr(Tensor, name, method)
            Module._call_with_hooks = call_hooks
        if backend.get_rng_state() != rng_before:
            raise GraphCaptureError(
                "capture: fn draws random numbers (gb.randn, dropout, ...); a replay would reuse "
                "the first call's draws. Draw them outside and pass them as arguments.")
        plan = cls(recorder, args, versions_before, out, backward)
        if backward:  # the loss is the first output; a replay's outputs carry no graph either
            if plan.single:
                out.backward()
                out = out.detach()
            else:
                out[0].backward()
                out = tuple(o.detach() for o in out)
        return plan, out

    def __init__(self, recorder, args, versions_before, out, backward):
        self.backward = backward
        self.single = isinstance(out, Tensor)
        outs = (out,) if self.single else tuple(out) if isinstance(out, (tuple, list)) else None
        if not outs or not all(isinstance(o, Tensor) for o in outs):
            raise GraphCaptureError("capture: fn must return a Tensor or a tuple of Tensors, got "
                                    f"{type(out).__name__}")
        if backward and outs[0]._data.size != 1:
            raise GraphCaptureError("capture(backward=True): fn must return a scalar loss first, "
                                    f"got shape(s) {[tuple(o.shape) for o in outs]}")
        for a, v in zip(args, versions_before):
            if isinstance(a, Tensor) and a._version[0] != v:
                raise GraphCaptureError("capture: fn changed an argument in place; a replay would "
                                        "not")
        for _, t, _ in recorder.leaves:
            recorder.check_version(t)  # a parameter changed in place after its first use
        self.out_slots = []
        for o in outs:
            s = recorder.output_slot(o)
            if s is None:
                raise GraphCaptureError("capture: fn must return tensors made by its ops "
                                        "(not an argument or a tensor made outside fn)")
            recorder.check_version(o)
            self.out_slots.append(s)
        self.arg_slots, self.leaves = recorder.arg_slots, recorder.leaves
        self.steps = _conv_output_in_gemm_order(_pool_before_relu(recorder.steps, self.out_slots),
                                                self.out_slots)
        self.n_slots = recorder.n_slots
        # after each step, the slots no later step reads: freed then, as eager mode frees an
        # intermediate when its last user has run (backward reads what the ops saved)
        last_use = {}
        for i, (_, in_slots, _, dynamic, out_slot, *_) in enumerate(self.steps):
            for s in (*in_slots, *(s for _, s in dynamic), out_slot):
                last_use[s] = i
        for s in self.out_slots:
            last_use.pop(s, None)
        self.release = [[] for _ in self.steps]
        for s, i in last_use.items():
            self.release[i].append(s)
        self.constants = [None] * self.n_slots  # what fn made from no tensor's values
        for s, array in recorder.constants:
            self.constants[s] = array

    def leaves_unchanged(self) -> bool:
        return all(_leaf_state(t) == seen for _, t, seen in self.leaves)

    def run(self, args):
        values = list(self.constants)
        for s, a in zip(self.arg_slots, args):
            if s is not None:
                values[s] = a._data
        for s, t, _ in self.leaves:
            values[s] = t._data
        profiler = autograd._profiler
        done = []
        for step, release in zip(self.steps, self.release):
            cls, in_slots, options, dynamic, out_slot, needs, _, _ = step
            fn = cls()
            fn.needs_input_grad = needs
            if dynamic:
                options = dict(options)
                for name, s in dynamic:
                    options[name] = values[s]
            arrays = [values[s] for s in in_slots]
            values[out_slot] = (fn.forward(*arrays, **options) if profiler is None
                                else profiler.forward(fn, arrays, options))
            del arrays
            for s in release:
                values[s] = None
            if self.backward:  # each op holds what its backward reads
                done.append(fn)
        outs = tuple(Tensor._wrap(values[s]) for s in self.out_slots)
        if self.backward:
            self._backward(values, done, args)
        return outs[0] if self.single else outs

    def _backward(self, values, done, args):
        """The engine's sweep (autograd.backward) over the recorded ops, keyed by slot."""
        root = self.out_slots[0]
        grads = {root: np.ones(values[root].shape, values[root].dtype)}
        owned = set()
        profiler = autograd._profiler
        for step, fn in zip(reversed(self.steps), reversed(done)):
            _, in_slots, _, _, out_slot, needs, shapes, dtypes = step
            g = grads.pop(out_slot, None)
            if g is None or not any(needs):
                continue
            input_grads = fn.backward(g) if profiler is None else profiler.backward(fn, g)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            for s, pg, need, shape, dtype in zip(in_slots, input_grads, needs, shapes, dtypes):
                if pg is None or not need:
                    continue
                if not isinstance(pg, SliceGrad):
                    pg = autograd.fit_to_shape(fn.name, pg, shape, dtype)
                autograd.add_gradient(grads, owned, s, pg, dtype)
        leaves = [(s, t) for s, t, _ in self.leaves]
        leaves += [(s, a) for s, a in zip(self.arg_slots, args) if s is not None]  # inputs too
        for s, t in leaves:
            if t.requires_grad and s in grads:
                autograd._accumulate_leaf(t, grads[s])


# ---------------------------------------------------------------------------------------------
# Rewrites: a replay may run the recorded ops in another order where the results are the same


def _readers(steps: list) -> dict:
    """slot -> how many times the steps read it (as an input or an array option)."""
    readers: dict = {}
    for _, in_slots, _, dynamic, *_ in steps:
        for s in (*in_slots, *(s for _, s in dynamic)):
            readers[s] = readers.get(s, 0) + 1
    return readers


def _pool_before_relu(steps: list, out_slots: list) -> list:
    """relu -> max pool becomes max pool -> relu, on a quarter of the values for a 2x2 window.

    max is monotone and relu(v) = max(v, 0), so pooling relu(x) gives relu(pool(x)) exactly;
    the gradient is the same too: where a window's maximum is positive, both orders send it
    to the first maximum; where it is not, relu's derivative (0 at 0, as in torch) zeroes it
    either way. A CNN's conv - relu - pool block does this (W2: a tenth of the step).
    Only a relu whose output nothing else reads (no other op, not an output) is moved.
    """
    readers = _readers(steps)
    producer = {step[4]: i for i, step in enumerate(steps)}
    steps = list(steps)
    for j, (cls, in_slots, options, dynamic, out, needs, _, dtypes) in enumerate(steps):
        i = producer.get(in_slots[0]) if cls is MaxPool and len(in_slots) == 1 else None
        if i is None or steps[i][0] is not Relu or options.get("indices_out") is not None:
            continue
        _, (x,), relu_options, relu_dynamic, r, relu_needs, x_shapes, _ = steps[i]
        if readers[r] != 1 or r in out_slots:
            continue
        # slot r now holds pool(x), read by the relu alone; the relu writes the pool's output
        steps[i] = (MaxPool, (x,), options, dynamic, r, needs, x_shapes, dtypes)
        steps[j] = (Relu, (r,), relu_options, relu_dynamic, out, relu_needs,
                    (options["out_shape"],), dtypes)
    return steps


def _conv_output_in_gemm_order(steps: list, out_slots: list) -> list:
    """A convolution read only by a max pool hands it the GEMM's (C, N, H, W) memory order.

    Eager mode copies a conv's output into (N, C, H, W) order, as torch's, so that `.view`
    works on it; pooling reads either order without a copy (it works on planes), and its
    gradient comes back in the same order, which the conv's backward then reads without a copy
    either. Values are the same; W2 saves a copy of each conv's output and of its gradient.
    """
    readers = _readers(steps)
    pooled = {step[1][0] for step in steps if step[0] is MaxPool}
    steps = list(steps)
    for i, (cls, in_slots, options, dynamic, out, *rest) in enumerate(steps):
        if cls is Conv and out in pooled and readers[out] == 1 and out not in out_slots:
            steps[i] = (cls, in_slots, {**options, "channel_major": True}, dynamic, out, *rest)
    return steps


# Tensor methods that hand values to Python: a recording refuses them, since a replay would
# not run the Python code that used the values (a branch, an option, a new tensor).
_VALUE_READERS = ("item", "tolist", "numpy", "__array__", "__float__", "__int__", "__bool__",
                  "__index__")


def _refuse_value_read(name: str, method, thread: int):
    def refuse(self, *args, **kwargs):
        if threading.get_ident() != thread:
            return method(self, *args, **kwargs)
        raise GraphCaptureError(
            f"capture: fn reads a tensor's values into Python ({name}() on a tensor of shape "
            f"{tuple(self.shape)}); a replay runs only the recorded ops, so whatever fn did with "
            "the values would stay as on the first call")

    return refuse


def _refuse_hooks(call_hooks, thread: int):
    def refuse(module, args, kwargs):
        if threading.get_ident() != thread:
            return call_hooks(module, args, kwargs)
        raise GraphCaptureError(
            f"capture: {type(module).__name__} has forward hooks; a replay runs only the "
            "recorded ops and would not call them. Remove the hooks (or look inside the model "
            "eagerly).")

    return refuse


def _leaf_state(t) -> tuple:
    """What of a leaf a recording depends on besides its values."""
    return t.requires_grad, t._data.shape, t._data.dtype


def _holds_mutable(value) -> bool:
    if isinstance(value, tuple):
        return any(_holds_mutable(v) for v in value)
    return isinstance(value, (list, dict, set, Tensor, np.ndarray, Function))
