"""Optimizer: the base class that holds parameter groups, per-parameter state and state dicts.

An optimizer owns a list of *parameter groups*. Each group is a dict with the key 'params' (a
list of Tensors) and one entry per hyper-parameter ('lr', 'momentum', ...); a group that leaves
an option out takes it from the optimizer's `defaults`. This is how one optimizer gives the
biases no weight decay, or the last layer a bigger learning rate.

Per-parameter state (moment estimates, step counts) lives in `optimizer.state[param]`, a dict of
NumPy arrays and Python numbers. Subclasses update the raw arrays in place (`p._data`,
`p.grad._data`) with NumPy `out=` arguments: no graph is built and no per-element Python runs,
because the optimizer step is a visible part of the time a small model takes to train.

`state_dict()` has PyTorch's layout - state keyed by the integer index of each parameter (counted
across groups in order), groups with 'params' as lists of those indices - so it is plain data
(numbers, tuples, lists, arrays) that can be written as safetensors + JSON without pickle.
"""

from __future__ import annotations

import copy
import numbers
from collections import defaultdict

import numpy as np

from glassbox.autograd import enable_grad
from glassbox.tensor import Tensor


class Optimizer:
    """Base class of all optimizers: parameter groups, per-parameter state, state dicts.

    Subclasses pass their hyper-parameters as `defaults`, implement `step`, and may override
    `_validate_group` to check a group's options (it runs for every group, including ones added
    later with `add_param_group`).

    Args:
        params: an iterable of Tensors, of (name, Tensor) pairs, or of dicts (parameter groups,
            each with a 'params' entry and any per-group options).
        defaults (dict): the value of every option for groups that do not set it.

    Example:
        >>> import glassbox as gb
        >>> w, b = gb.nn.Parameter(gb.ones(2)), gb.nn.Parameter(gb.zeros(2))
        >>> opt = gb.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.5]
        >>> sorted(opt.state_dict())
        ['param_groups', 'state']
    """

    # State entries with the parameter's shape; load_state_dict checks their shapes.
    _param_shaped_state: tuple = ()

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)  # keyed by the parameter Tensor (hashed by identity)
        self.param_groups = []
        self._opt_called = False  # set by step(); LR schedulers warn if they step first
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params should be an iterable of Tensors or dicts, "
                f"got a single Tensor of shape {params.shape}; pass [tensor] instead"
            )
        if isinstance(params, dict):
            params = [params]
        if isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters must be an ordered collection (list, tuple, generator), "
                "not a set: a set's order changes between runs"
            )
        groups = list(params)
        if len(groups) == 0:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # --- groups ----------------------------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (e.g. to unfreeze a layer later).

        Args:
            param_group (dict): 'params' (a Tensor, or an iterable of Tensors or (name, Tensor)
                pairs) plus any options; missing options come from `defaults`.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            # A set's order changes between runs, so state_dict indices would not line up.
            raise TypeError(
                "optimizer parameters must be an ordered collection (list, tuple, generator), "
                "not a set: a set's order changes between runs"
            )
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        tensors = [p[1] if isinstance(p, tuple) else p for p in params]
        if names and len(names) != len(tensors):
            raise ValueError("all optimizer params should be with or without names, not a mix")
        for i, p in enumerate(tensors):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but params[{i}] is "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"can't optimize a non-leaf Tensor (params[{i}], shape {p.shape}); "
                    "optimize the leaf it was computed from, or call .detach() first"
                )
        param_group["params"] = tensors
        if names:
            param_group["param_names"] = names
        for key, value in self.defaults.items():
            param_group.setdefault(key, value)
        self._validate_group(param_group)

        if len({id(p) for p in tensors}) != len(tensors):
            raise ValueError("optimizer got a parameter group with duplicate parameters")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        if self.param_groups and ("param_names" in param_group) != (
            "param_names" in self.param_groups[0]
        ):
            raise ValueError("all optimizer param groups should be with or without names")
        self.param_groups.append(param_group)

    def _validate_group(self, group: dict) -> None:
        """Raise ValueError naming the option if a group's hyper-parameter is invalid."""

    # --- gradients and stepping --------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of all optimized parameters.

        Args:
            set_to_none (bool): set `.grad` to None (default True: frees memory, and the next
                backward writes a fresh array instead of adding into zeros); otherwise fill the
                existing gradients with zeros in place.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad._data.fill(0)
                    p.grad._version[0] += 1

    def _run_closure(self, closure):
        """Mark that the optimizer stepped and evaluate `closure` (with grad mode on)."""
        self._opt_called = True
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def step(self, closure=None):
        """Update the parameters once from their `.grad`; parameters without a grad are skipped.

        Args:
            closure (callable, optional): re-evaluates the model and returns the loss; it is
                called first (with gradients enabled) and its result is returned.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement step()")

    # --- state dicts -------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """The optimizer's state as plain data, in PyTorch's layout.

        Returns {'state': {index: {name: array or number}}, 'param_groups': [{option: value,
        'params': [index, ...]}]}, where a parameter's index counts across groups in order.
        Arrays share memory with the optimizer, as in PyTorch; `copy.deepcopy` it for a snapshot.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            if s:
                state[index[id(p)]] = dict(s)
        state = dict(sorted(state.items()))
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore state from `state_dict()` (this optimizer's, or another of the same layout).

        Arrays are copied and cast to each parameter's dtype; state keys may be ints or their
        strings (as JSON writes them); values may be arrays, Tensors or anything with
        `__array__` (a PyTorch optimizer's state dict loads too). Groups keep their own params.

        Args:
            state_dict (dict): {'state': ..., 'param_groups': ...} as returned by `state_dict`.
        """
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict:
            raise ValueError(
                "load_state_dict expects a dict with 'state' and 'param_groups', got "
                f"{type(state_dict).__name__}"
                + (f" with keys {sorted(state_dict)}" if isinstance(state_dict, dict) else "")
            )
        saved_groups = copy.deepcopy(list(state_dict["param_groups"]))
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                "loaded state dict has a different number of parameter groups: "
                f"{len(saved_groups)} saved, {len(self.param_groups)} in the optimizer"
            )
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"loaded state dict's parameter group {i} has {len(saved['params'])} "
                    f"parameters, the optimizer's has {len(group['params'])}"
                )
        id_map = {}
        for group, saved in zip(self.param_groups, saved_groups):
            for index, p in zip(saved["params"], group["params"]):
                id_map[int(index)] = p

        state = defaultdict(dict)
        for key, values in state_dict.get("state", {}).items():
            index = int(key)
            if index not in id_map:
                raise ValueError(
                    f"loaded state dict has state for parameter {index}, but its param_groups "
                    f"only list {sorted(id_map)}"
                )
            p = id_map[index]
            state[p] = {name: self._cast_state(p, index, name, v) for name, v in values.items()}

        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            if isinstance(saved.get("betas"), list):
                saved["betas"] = tuple(saved["betas"])  # JSON turns tuples into lists
            for key, value in self.defaults.items():
                saved.setdefault(key, value)
            self._validate_group(saved)
            new_groups.append(saved)
        self.state = state
        self.param_groups = new_groups

    def _cast_state(self, p: Tensor, index: int, name: str, value):
        """Copy one loaded state value: 'step' to a float, arrays to the parameter's dtype."""
        if isinstance(value, Tensor):
            value = value._data
        elif hasattr(value, "__array__") and not isinstance(value, np.ndarray):
            value = np.asarray(value)  # e.g. a torch tensor from a PyTorch state dict
        if name == "step":
            return float(np.asarray(value).item())
        if name in self._param_shaped_state or isinstance(value, np.ndarray):
            array = np.asarray(value)
            if np.issubdtype(p._data.dtype, np.floating):
                array = array.astype(p._data.dtype)
            array = np.array(array, copy=True)
            if name in self._param_shaped_state and array.shape != p._data.shape:
                raise ValueError(
                    f"loaded state for parameter {index} has '{name}' of shape {array.shape}, "
                    f"but the parameter has shape {p._data.shape}"
                )
            return array
        if isinstance(value, numbers.Number):
            return value
        return copy.deepcopy(value)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key not in ("params", "param_names"):
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _check_nonnegative(name: str, value) -> None:
    """Raise PyTorch's 'Invalid <name>: <value>' ValueError unless 0 <= value."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0.0 <= value:
        raise ValueError(f"Invalid {name}: {value}")


def _weighted_grad(g: np.ndarray, x: np.ndarray, weight_decay: float, maximize: bool):
    """The gradient the update uses: -g if maximizing, plus weight_decay * x (coupled L2).

    Returns `g` itself when neither applies (the caller must not write into it: it is the
    user's .grad), else a new array.
    """
    if weight_decay != 0:
        d = np.multiply(x, weight_decay)
        if maximize:
            np.subtract(d, g, out=d)
        else:
            np.add(d, g, out=d)
        return d
    if maximize:
        return np.negative(g)
    return g
