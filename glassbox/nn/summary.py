"""summary(model, input_shape): a Keras-style table of a model's layers, shapes and sizes.

It runs one forward pass on a dummy input with a forward hook on every sub-module, records
each module's output shape and its own parameter count, and prints the table with totals and a
memory estimate. The model is left as it was: the pass runs in eval mode (so BatchNorm's
running statistics do not move) without recording a graph, and the hooks are removed after.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from glassbox import autograd, backend
from glassbox.nn.module import Module
from glassbox.tensor import Tensor, randn, zeros

__all__ = ["LayerRow", "ModelSummary", "summary"]

_MB = 1024.0**2


@dataclass
class LayerRow:
    """One line of the table: a module that ran during the forward pass."""

    name: str  # dotted path, e.g. 'features.3'
    type: str  # class name, e.g. 'Conv2d'
    depth: int  # nesting depth (1 for the model's direct children)
    output_shape: tuple | list  # a tuple, or a list of tuples for several outputs
    num_params: int  # the module's own parameters (not its children's)
    trainable_params: int


@dataclass
class ModelSummary:
    """What `summary` printed, as data."""

    model_type: str
    input_shape: tuple | list
    output_shape: tuple | list
    rows: list = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    non_trainable_params: int = 0
    param_bytes: int = 0
    activation_bytes: int = 0

    @property
    def param_mb(self) -> float:
        return self.param_bytes / _MB

    @property
    def activation_mb(self) -> float:
        return self.activation_bytes / _MB

    @property
    def total_mb(self) -> float:
        """Estimated memory for one forward pass: parameters plus activations."""
        return (self.param_bytes + self.activation_bytes) / _MB

    def table(self) -> list:
        """The table's rows as strings: (layer, output shape, param #)."""
        return [(f"{'  ' * (r.depth - 1)}{r.name} ({r.type})", _shape_str(r.output_shape),
                 f"{r.num_params:,}") for r in self.rows]

    def totals(self) -> list:
        """The lines printed under the table."""
        return [
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
            f"Params size (MB): {self.param_mb:.2f}",
            f"Forward activations size (MB): {self.activation_mb:.2f}",
            f"Estimated total size (MB): {self.total_mb:.2f}",
        ]

    def __str__(self) -> str:
        header = ("Layer (type)", "Output shape", "Param #")
        body = self.table()
        widths = [max(len(row[i]) for row in [header, *body]) for i in range(3)]

        def line(row) -> str:  # name and shape left-aligned, the count right-aligned
            cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].rjust(widths[2])]
            return "  ".join(cells)

        rule = "=" * (sum(widths) + 4)
        out = [(f"{self.model_type} (input {_shape_str(self.input_shape)}, output "
               f"{_shape_str(self.output_shape)})"), rule, line(header), rule]
        out += [line(row) for row in body] or ["(no sub-modules ran)"]
        return "\n".join(out + [rule] + self.totals() + [rule])


def _shape_str(shape) -> str:
    if isinstance(shape, list):
        return "[" + ", ".join(_shape_str(s) for s in shape) + "]"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _outputs(value) -> list:
    """Every Tensor in a module's output (a Tensor, or nested tuples/lists/dicts of them)."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _outputs(v)]
    return []


def _shape_of(value):
    tensors = _outputs(value)
    if len(tensors) == 1 and isinstance(value, Tensor):
        return tuple(value.shape)
    return [tuple(t.shape) for t in tensors]


def _input_shapes(input_shape) -> list:
    """[shape] for one input, [shape, shape, ...] for several."""
    if isinstance(input_shape, (tuple, list)) and input_shape and all(
            isinstance(s, (tuple, list)) for s in input_shape):
        return [tuple(s) for s in input_shape]
    return [tuple(input_shape) if isinstance(input_shape, (tuple, list)) else (input_shape,)]


def _dummy(shape: tuple, dtype) -> Tensor:
    # random floats (a constant input can hide problems, e.g. zero variance); integer inputs
    # (token ids for an Embedding) are zeros, which is a valid index for any table
    if dtype.kind == "f":
        return randn(*shape, dtype=dtype)
    return zeros(*shape, dtype=dtype)


def summary(model: Module, input_shape, dtype=backend.float32) -> ModelSummary:
    """Print a table of the model's layers (path and type, output shape, parameter count) and
    its totals, from one forward pass on a dummy input; return the same data.

    Uses `rich` for the table when it is installed (`pip install glassbox[progress]`), plain
    text otherwise.

    Args:
        model: the Module to describe.
        input_shape: the input's full shape, batch dimension included, e.g. (1, 3, 32, 32);
            or a list of shapes for a model whose forward takes several inputs.
        dtype: the dummy input's dtype; an integer dtype (e.g. glassbox.int64) for token ids.
            Default float32.

    Returns:
        ModelSummary: rows (LayerRow per module that ran, in call order), total_params,
        trainable_params, non_trainable_params, param_mb, activation_mb (outputs of the
        leaf modules) and total_mb (their sum).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> info = gb.summary(model, (1, 4))  # doctest: +ELLIPSIS
        Sequential (input (1, 4), output (1, 2))
        ...
        Total params: 58
        ...
        >>> info.total_params == sum(p.numel() for p in model.parameters())
        True
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: model must be a Module, got {type(model).__name__}")
    shapes = _input_shapes(input_shape)
    for s in shapes:
        if not s or not all(isinstance(d, (int, np.integer)) and d > 0 for d in s):
            raise ValueError(f"summary: input_shape must be a tuple of positive ints (batch "
                             f"dim included) or a list of them, got {input_shape!r}")
    dtype = np.dtype(dtype)
    inputs = [_dummy(tuple(s), dtype) for s in shapes]

    paths = {id(m): name for name, m in model.named_modules()}
    calls: list = []  # [module, depth, output] in the order forward() was entered
    open_calls: list = []  # indices into calls of the forwards still running (they nest)

    def pre_hook(module, args):
        open_calls.append(len(calls))
        calls.append([module, paths[id(module)].count(".") + 1, None])

    def post_hook(module, args, output):
        calls[open_calls.pop()][2] = output

    handles = []
    for name, m in model.named_modules():
        if name:  # the model itself is the table's title, not a row
            handles += [m.register_forward_pre_hook(pre_hook), m.register_forward_hook(post_hook)]
    was_training = model.training
    try:
        model.eval()
        with autograd.no_grad():
            output = model(*inputs)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)

    shown = tuple(shapes[0]) if len(shapes) == 1 else [tuple(s) for s in shapes]
    info = ModelSummary(type(model).__name__, shown, _shape_of(output))
    seen = set()
    for module, depth, out in calls:
        # a module called twice gets a second row; its parameters are counted on the first
        own = [p for p in module._parameters.values() if p is not None and id(module) not in seen]
        seen.add(id(module))
        info.rows.append(LayerRow(paths[id(module)], type(module).__name__, depth,
                                  _shape_of(out), sum(p.numel() for p in own),
                                  sum(p.numel() for p in own if p.requires_grad)))
        if not module._modules:  # leaves only: a container's output is its last child's
            info.activation_bytes += sum(t.nbytes for t in _outputs(out))
    params = list(model.parameters())  # each shared parameter once
    info.total_params = sum(p.numel() for p in params)
    info.trainable_params = sum(p.numel() for p in params if p.requires_grad)
    info.non_trainable_params = info.total_params - info.trainable_params
    info.param_bytes = sum(p.nbytes for p in params)
    _print(info)
    return info


def _print(info: ModelSummary) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(info)
        return
    table = Table(title=f"{info.model_type} (input {_shape_str(info.input_shape)}, output "
                        f"{_shape_str(info.output_shape)})")
    table.add_column("Layer (type)")
    table.add_column("Output shape")
    table.add_column("Param #", justify="right")
    for row in info.table():
        table.add_row(*row)
    console = Console()
    console.print(table)
    console.print("\n".join(info.totals()), highlight=False)
