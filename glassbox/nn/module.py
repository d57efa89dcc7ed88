"""Module: the base class of every layer and model.

A Module keeps three ordered registries -- parameters, buffers (state that is saved but not
trained, such as BatchNorm's running mean) and child modules -- filled by plain attribute
assignment. `__setattr__` also stores the value as a real attribute, so reading `self.weight`
is an ordinary attribute lookup (no `__getattr__` fallback to hide errors behind).

Calling a module runs `forward`; with no hooks registered that is all it does. When something
inside fails, the error is re-raised once, at the outermost module, with the path of the module
that failed (e.g. `features.3 (Conv2d)`) and the shapes it received.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, namedtuple

import numpy as np

from glassbox import autograd
from glassbox.nn.parameter import Parameter
from glassbox.tensor import Tensor

_call_depth = 0  # how many Module.__call__ frames are active; errors are reworded at depth 1
_hook_ids = itertools.count()

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class RemovableHandle:
    """Returned by register_*_hook; `handle.remove()` (or leaving a `with` block) removes it."""

    def __init__(self, hooks: dict, key: int):
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Module:
    """Base class for all layers and models.

    Subclasses call `super().__init__()` first, assign Parameters, buffers and sub-modules as
    attributes, and implement `forward`.

    Example:
        >>> import glassbox as gb
        >>> import glassbox.nn as nn
        >>> class TwoLayer(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = nn.Linear(4, 8)
        ...         self.out = nn.Linear(8, 2)
        ...     def forward(self, x):
        ...         return self.out(self.hidden(x).relu())
        >>> model = TwoLayer()
        >>> [name for name, _ in model.named_parameters()]
        ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
        >>> model(gb.randn(3, 4)).shape
        (3, 2)
    """

    training: bool

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())

    # --- registration ---------------------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        registries = self.__dict__.get("_parameters")
        if registries is None and isinstance(value, (Parameter, Module)):
            raise AttributeError(
                f"{type(self).__name__}: cannot assign {type(value).__name__} '{name}' before "
                f"Module.__init__() -- call super().__init__() first in {type(self).__name__}"
                ".__init__"
            )
        if registries is not None:
            params, modules = self._parameters, self._modules
            if isinstance(value, Parameter):
                modules.pop(name, None)
                params[name] = value  # a name already registered keeps its place (as torch)
            elif isinstance(value, Module):
                params.pop(name, None)
                modules[name] = value
            elif value is None and (name in params or name in modules):
                # `self.bias = None` leaves an empty slot, as register_parameter(name, None)
                (params if name in params else modules)[name] = None
            else:
                params.pop(name, None)
                modules.pop(name, None)
            if not isinstance(value, (Parameter, Module)) and name in self._buffers:
                if value is not None and not isinstance(value, Tensor):
                    raise TypeError(
                        f"{type(self).__name__}: buffer '{name}' must be a Tensor or None, got "
                        f"{type(value).__name__}"
                    )
                self._buffers[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None, for an optional one such as a missing bias)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"{type(self).__name__}.register_parameter: '{name}' must be a Parameter or "
                f"None, got {type(param).__name__}"
            )
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add saved, non-trained state (e.g. running statistics). Non-persistent buffers are
        left out of state_dict."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"{type(self).__name__}.register_buffer: '{name}' must be a Tensor or None, got "
                f"{type(tensor).__name__}"
            )
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name} is a {type(module).__name__}, not a Module")
        if "." in name or name == "":
            raise KeyError(f"add_module: module name can't be empty or contain '.', got {name!r}")
        self._modules[name] = module
        object.__setattr__(self, name, module)

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The sub-module at dotted path `target` ('' is this module)."""
        module = self
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(
                    f"{type(module).__name__} has no submodule '{part}' (looking for '{target}')"
                )
            module = child
        return module

    def get_parameter(self, target: str) -> Parameter:
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._parameters:
            raise AttributeError(f"{type(module).__name__} has no parameter '{name}'")
        return module._parameters[name]

    # --- calling --------------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward() method")

    def __call__(self, *args, **kwargs):
        global _call_depth
        _call_depth += 1
        try:
            if self._forward_pre_hooks or self._forward_hooks:
                return self._call_with_hooks(args, kwargs)
            return self.forward(*args, **kwargs)
        except Exception as e:
            reworded = _annotate(self, e, args)
            if reworded is e:
                raise
            # same type, more context; the original traceback is kept, the chain is not
            raise reworded.with_traceback(e.__traceback__) from None
        finally:
            _call_depth -= 1

    def _call_with_hooks(self, args, kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            new_args = hook(self, args)
            if new_args is not None:
                args = new_args if isinstance(new_args, tuple) else (new_args,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            new_output = hook(self, args, output)
            if new_output is not None:
                output = new_output
        return output

    def register_forward_pre_hook(self, hook) -> RemovableHandle:
        """`hook(module, args)` runs before forward; it may return replacement args."""
        key = next(_hook_ids)
        self._forward_pre_hooks[key] = hook
        return RemovableHandle(self._forward_pre_hooks, key)

    def register_forward_hook(self, hook) -> RemovableHandle:
        """`hook(module, args, output)` runs after forward; it may return a replacement output."""
        key = next(_hook_ids)
        self._forward_hooks[key] = hook
        return RemovableHandle(self._forward_hooks, key)

    # --- traversal ------------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """(path, module) for this module and every descendant, depth first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is None:
                continue
            path = f"{prefix}.{name}" if prefix else name
            yield from child.named_modules(memo, path, remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self):
        for _, c in self.named_children():
            yield c

    def _named_members(self, registry: str, prefix: str, recurse: bool):
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for path, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{path}.{name}" if path else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        """(dotted name, Parameter) pairs; a parameter shared by two modules appears once."""
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # --- modes and bulk changes -----------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active, batch norm uses batch statistics) recursively."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(): mode must be a bool, got {type(mode).__name__}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode: same as train(False)."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient (to None by default, as in PyTorch)."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad._data[...] = 0

    def apply(self, fn) -> Module:
        """Call `fn(module)` on every descendant, then on this module (e.g. custom init)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, dtype=None, *args, **kwargs) -> Module:
        """Convert floating-point parameters and buffers to `dtype` in place ('cpu' accepted)."""
        dtype = kwargs.get("dtype", dtype)
        if dtype is None or isinstance(dtype, str):
            return self
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Module.to: only floating point dtypes are allowed, got {dtype}")
        for m in self.modules():
            for registry in (m._parameters, m._buffers):
                for t in registry.values():
                    if t is not None and t._data.dtype.kind == "f":
                        t._data = t._data.astype(dtype)
                        if t.grad is not None:
                            t.grad._data = t.grad._data.astype(dtype)
        return self

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    def cpu(self) -> Module:
        return self

    # --- state ----------------------------------------------------------------------------------
    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """Every parameter and persistent buffer by dotted name, in PyTorch's order and names.

        Values share memory with the module (detached unless keep_vars).
        """
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values (Tensors or arrays, e.g. from a PyTorch model) into this module.

        With strict=True (default) a missing key, an unexpected key or a shape mismatch raises
        a RuntimeError that lists them all; shape mismatches always raise.
        """
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        mismatched = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = value._data if isinstance(value, Tensor) else np.asarray(value)
            if array.shape != target._data.shape:
                mismatched.append(
                    f"size mismatch for {key}: copying a param with shape {array.shape} from "
                    f"checkpoint, the shape in current model is {target._data.shape}."
                )
        errors = []
        if strict and missing:
            errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing))
        if strict and unexpected:
            errors.append(
                "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected)
            )
        errors.extend(mismatched)
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        with autograd.no_grad():
            for key, target in own.items():
                if key in state_dict:
                    value = state_dict[key]
                    array = value._data if isinstance(value, Tensor) else np.asarray(value)
                    np.copyto(target._data, array, casting="unsafe")
                    target._version[0] += 1
        return IncompatibleKeys(missing, unexpected)

    # --- description ----------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The layer's configuration, shown in repr (override in layers)."""
        return ""

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for name, child in self._modules.items():
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {child_repr}")
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and not self._modules:
            return f"{type(self).__name__}({lines[0]})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()))

    def __getstate__(self):
        raise TypeError(
            f"{type(self).__name__}: glassbox modules are not pickled; save weights with "
            "glassbox.save(model.state_dict(), path)"
        )


# ---------------------------------------------------------------------------------------------
# Error context: added once, on the error path only


def _shapes(args) -> str:
    parts = []
    for a in args:
        if isinstance(a, Tensor):
            parts.append(str(tuple(a.shape)))
        elif isinstance(a, np.ndarray):
            parts.append(f"ndarray{a.shape}")
        else:
            parts.append(type(a).__name__)
    return ", ".join(parts)


def _annotate(module: Module, e: Exception, args) -> Exception:
    """Record where `e` passed; at the outermost module, reword it with path and shapes."""
    info = getattr(e, "_glassbox_info", None)
    if info is None:
        info = {"failed": module, "class": type(module).__name__, "path": [], "last": module,
                "inputs": _shapes(args), "done": False}
        try:
            e._glassbox_info = info
        except AttributeError:  # exceptions without a __dict__: leave them as they are
            return e
    elif not info["done"]:
        for name, child in module._modules.items():
            if child is info["last"]:
                info["path"].insert(0, name)
                break
        info["last"] = module
    if _call_depth > 1 or info["done"]:
        return e
    info["done"] = True
    where = ".".join(info["path"])
    where = f"{where} ({info['class']})" if where else info["class"]
    message = f"{where}: {e} [input shape(s): {info['inputs']}]"
    try:
        new = type(e)(message)
    except Exception:  # noqa: BLE001  (a special constructor: keep the original exception)
        return e
    new._glassbox_info = info
    return new
