"""Recurrent layers: RNN, LSTM, GRU (multi-layer, bidirectional, variable length) and their cells.

Each layer direction runs as ONE fused op (glassbox.ops.rnn.rnn_sequence): the input of all
time steps is projected with one GEMM, the recurrence does one GEMM per step, and the backward
pass through time is a hand-written VJP. Parameter names, shapes, gate order and the default
initialisation U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) are torch's, so state_dicts convert
with no renaming.

Variable-length batches: pass `lengths=` (one int per sequence) to `forward`. Outputs after each
sequence's end are zero, and the final states are each sequence's state at its own last step
(for the reverse direction of a bidirectional layer: after it has run from that last step back
to step 0), i.e. the same as running every sequence alone. This replaces torch's PackedSequence.
"""

from __future__ import annotations

import math

import numpy as np

from glassbox.nn import functional as F
from glassbox.nn import init
from glassbox.nn.layers import _checks as check
from glassbox.nn.module import Module
from glassbox.nn.parameter import Parameter
from glassbox.ops.errors import ShapeError as InputError
from glassbox.ops.rnn import rnn_sequence
from glassbox.ops.shape import cat, stack
from glassbox.tensor import Tensor, empty, zeros

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "GRUCell",
    "LSTMCell",
    "RNNCell",
    "lengths_mask",
    "pad_sequence",
]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def lengths_mask(lengths, T: int, B: int, dtype, layer: str = "lengths") -> np.ndarray:
    """A (T, B, 1) 0/1 array of `dtype`, 1 where t < lengths[b]; checks the lengths.

    Args:
        lengths: a Tensor, NumPy array or list of B ints, each in [0, T].
        T, B: sequence length and batch size of the padded input.
        dtype: the dtype of the mask.
        layer: name used in error messages.

    Example:
        >>> import numpy as np
        >>> from glassbox.nn.layers.rnn import lengths_mask
        >>> lengths_mask([2, 1], 3, 2, np.float32)[:, :, 0]
        array([[1., 1.],
               [1., 0.],
               [0., 0.]], dtype=float32)
    """
    arr = lengths._data if isinstance(lengths, Tensor) else np.asarray(lengths)
    if arr.ndim != 1 or arr.shape[0] != B or (arr.size and arr.dtype.kind not in "iu"):
        raise InputError(f"{layer}: expected lengths of {B} ints (one per sequence in the "
                         f"batch), got shape {tuple(arr.shape)} and dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() > T):
        raise InputError(f"{layer}: lengths must lie in [0, {T}] (the padded sequence "
                         f"length), got min {arr.min()} and max {arr.max()}")
    return (np.arange(T)[:, None] < arr[None, :]).astype(dtype)[:, :, None]


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0):
    """Pad a list of (L_i, *) tensors to one (L_max, N, *) batch and return it with the lengths.

    Differentiable (built from pad and stack). Unlike torch.nn.utils.rnn.pad_sequence it also
    returns the lengths, ready for the recurrent layers' `lengths=` argument.

    Args:
        sequences: list of N tensors (L_i, *), the same trailing shape.
        batch_first: return (N, L_max, *) instead of (L_max, N, *). Default False.
        padding_value: value written after each sequence's end. Default 0.

    Shape:
        [(L_i, *)] -> ((L_max, N, *) or (N, L_max, *), lengths as a list of N ints).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> padded, lengths = nn.pad_sequence([gb.ones(3, 2), gb.ones(1, 2)], batch_first=True)
        >>> padded.shape, lengths
        ((2, 3, 2), [3, 1])
        >>> out, h = nn.GRU(2, 4, batch_first=True)(padded, lengths=lengths)
    """
    seqs = list(sequences)
    if not seqs or not all(isinstance(s, Tensor) and s.ndim >= 1 for s in seqs):
        raise TypeError("pad_sequence: expected a non-empty list of tensors with >= 1 dim")
    trailing = {tuple(s.shape[1:]) for s in seqs}
    if len(trailing) != 1:
        raise InputError(f"pad_sequence: sequences must share their trailing shape, got "
                         f"{[tuple(s.shape) for s in seqs]}")
    lengths = [int(s.shape[0]) for s in seqs]
    T = max(lengths)
    padded = [F.pad(s, (0, 0) * (s.ndim - 1) + (0, T - s.shape[0]), value=padding_value)
              if s.shape[0] < T else s for s in seqs]
    return stack(padded, dim=0 if batch_first else 1), lengths


class _RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU: parameters per layer and direction, and forward."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        self.mode = mode
        self.input_size = check.positive_int(name, "input_size", input_size)
        self.hidden_size = check.positive_int(name, "hidden_size", hidden_size)
        self.num_layers = check.positive_int(name, "num_layers", num_layers)
        self.bias = check.flag(name, "bias", bias)
        self.batch_first = check.flag(name, "batch_first", batch_first)
        self.dropout = float(check.probability(name, "dropout", dropout))
        self.bidirectional = check.flag(name, "bidirectional", bidirectional)
        self.proj_size = check.int_at_least(name, "proj_size", proj_size, 0)
        if self.proj_size and mode != "LSTM":
            raise ValueError(f"{name}: proj_size is only supported by LSTM")
        if self.proj_size >= self.hidden_size:
            raise ValueError(f"{name}: proj_size must be smaller than hidden_size, received "
                             f"proj_size={proj_size}, hidden_size={hidden_size}")
        dtype = check.float_dtype(name, dtype, device)
        G, H = _GATES[mode], self.hidden_size
        P = self.proj_size or H
        D = 2 if self.bidirectional else 1
        self._flat_names = []  # per (layer, direction): the names of its parameters, in order
        for layer in range(self.num_layers):
            layer_in = self.input_size if layer == 0 else P * D
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                shapes = [("weight_ih", (G * H, layer_in)), ("weight_hh", (G * H, P))]
                if self.bias:
                    shapes += [("bias_ih", (G * H,)), ("bias_hh", (G * H,))]
                if self.proj_size:
                    shapes.append(("weight_hr", (P, H)))
                names = []
                for base, shape in shapes:
                    setattr(self, base + sfx, Parameter(empty(*shape, dtype=dtype)))
                    names.append(base + sfx)
                self._flat_names.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _weights(self, k: int):
        """(w_ih, w_hh, b_ih, b_hh, w_hr) of layer-direction k (None where absent)."""
        ps = [getattr(self, n) for n in self._flat_names[k]]
        w_ih, w_hh = ps[0], ps[1]
        b_ih, b_hh = (ps[2], ps[3]) if self.bias else (None, None)
        w_hr = ps[-1] if self.proj_size else None
        return w_ih, w_hh, b_ih, b_hh, w_hr

    def _state_shape(self, B, size):
        D = 2 if self.bidirectional else 1
        return (D * self.num_layers, B, size)

    def _check_state(self, t, what, shape, batched, x):
        want = shape if batched else (shape[0], shape[2])
        if not isinstance(t, Tensor):
            raise TypeError(f"{type(self).__name__}: {what} must be a Tensor, got "
                            f"{type(t).__name__}")
        if tuple(t.shape) != want:
            raise InputError(
                f"{type(self).__name__}: expected {what} of shape {want} "
                f"(num_layers * num_directions, batch, size), got {tuple(t.shape)}")
        if t.dtype != x.dtype:
            raise TypeError(f"{type(self).__name__}: {what} has dtype {t.dtype} but input has "
                            f"dtype {x.dtype}")
        return t if batched else t.unsqueeze(1)

    def forward(self, input, hx=None, lengths=None):
        name = type(self).__name__
        if not isinstance(input, Tensor) or input.ndim not in (2, 3) or (
                input.shape[-1] != self.input_size):
            lay = "(N, L, " if self.batch_first else "(L, N, "
            raise check.bad_input(input, f"{lay}input_size={self.input_size}) or "
                                         f"(L, input_size={self.input_size})")
        batched = input.ndim == 3
        x = input if batched else input.unsqueeze(1)  # (L, 1, I) for an unbatched sequence
        if batched and self.batch_first:
            x = x.transpose(0, 1)  # (N, L, I) -> (L, N, I)
        T, B = x.shape[0], x.shape[1]
        H = self.hidden_size
        P = self.proj_size or H
        lstm = self.mode == "LSTM"
        # initial states, (D * num_layers, B, P) and for LSTM (D * num_layers, B, H)
        if hx is None:
            h0 = zeros(*self._state_shape(B, P), dtype=x.dtype)
            c0 = zeros(*self._state_shape(B, H), dtype=x.dtype) if lstm else None
        elif lstm:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{name}: hx must be a tuple (h_0, c_0), got "
                                f"{type(hx).__name__}")
            h0 = self._check_state(hx[0], "h_0", self._state_shape(B, P), batched, x)
            c0 = self._check_state(hx[1], "c_0", self._state_shape(B, H), batched, x)
        else:
            h0 = self._check_state(hx, "hx", self._state_shape(B, P), batched, x)
            c0 = None
        mask = None
        if lengths is not None:
            mask = lengths_mask(lengths, T, B, x._data.dtype, name)

        mode = self.mode.lower()
        D = 2 if self.bidirectional else 1
        h_out, c_out = [], []
        layer_in = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                k = layer * D + d
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(k)
                y, h_n, c_n = rnn_sequence(layer_in, h0[k], w_ih, w_hh, b_ih, b_hh, mode=mode,
                                           cx=c0[k] if lstm else None, weight_hr=w_hr,
                                           reverse=d == 1, mask=mask)
                outs.append(y)
                h_out.append(h_n)
                c_out.append(c_n)
            layer_in = outs[0] if D == 1 else cat(outs, dim=2)  # (T, B, D * P)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, training=True)
        output = layer_in
        h_n = stack(h_out, dim=0)  # (D * num_layers, B, P)
        c_n = stack(c_out, dim=0) if lstm else None
        if not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if lstm else None
        elif self.batch_first:
            output = output.transpose(0, 1)  # back to (N, L, D * P)
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


_LAYER_DOC = """
    Args:
        input_size: features of each input step.
        hidden_size: features of the hidden state h.
        num_layers: stacked recurrent layers; layer k > 0 reads layer k-1's output. Default 1.
        {extra}bias: use b_ih and b_hh. Default True.
        batch_first: input and output are (N, L, *) instead of (L, N, *). Default False
            (the states h_0 / h_n are (num_layers * D, N, *) either way, as torch).
        dropout: dropout on each layer's output except the last, in training. Default 0.
        bidirectional: add a reverse-direction layer; outputs concatenate. Default False.
        device: only None or 'cpu'. dtype: parameter dtype (default float32).

    forward(input, hx=None, lengths=None):
        input: (L, N, input_size), (N, L, input_size) with batch_first, or (L, input_size).
        hx: {state}; zeros when None.
        lengths: optional N ints: sequence b is input[:lengths[b]] (along time). Outputs after
            its end are zero and its final state is taken at its last valid step (the same as
            running it alone); the reverse direction starts at that last step.
"""


class RNN(_RNNBase):
    """Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh) (or relu), as torch.nn.RNN.
    {doc}
    Shape:
        output (L, N, D * hidden_size); h_n (D * num_layers, N, hidden_size); D = 2 if
        bidirectional else 1. Returns (output, h_n).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> rnn = nn.RNN(10, 20, num_layers=2)
        >>> out, h_n = rnn(gb.randn(5, 3, 10))
        >>> out.shape, h_n.shape
        ((5, 3, 20), (2, 3, 20))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None):
        check.choice("RNN", "nonlinearity", nonlinearity, ("tanh", "relu"))
        super().__init__("RNN_" + nonlinearity.upper(), input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, 0, device, dtype)
        self.nonlinearity = nonlinearity


class LSTM(_RNNBase):
    """Long short-term memory, as torch.nn.LSTM (gates i, f, g, o; optional projection).

    c_t = f * c_(t-1) + i * g,  h_t = o * tanh(c_t) (then h_t = W_hr h_t with proj_size).
    {doc}
    Shape:
        output (L, N, D * P); h_n (D * num_layers, N, P); c_n (D * num_layers, N, hidden_size)
        with P = proj_size or hidden_size. Returns (output, (h_n, c_n)).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> lstm = nn.LSTM(10, 20, batch_first=True, bidirectional=True)
        >>> out, (h_n, c_n) = lstm(gb.randn(3, 5, 10), lengths=[5, 2, 4])
        >>> out.shape, h_n.shape, c_n.shape
        ((3, 5, 40), (2, 3, 20), (2, 3, 20))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)


class GRU(_RNNBase):
    """Gated recurrent unit, as torch.nn.GRU (gates r, z, n).

    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h_t = (1 - z) * n + z * h_(t-1).
    {doc}
    Shape:
        output (L, N, D * hidden_size); h_n (D * num_layers, N, hidden_size). Returns
        (output, h_n).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> gru = nn.GRU(10, 20)
        >>> out, h_n = gru(gb.randn(5, 3, 10), gb.zeros(1, 3, 20))
        >>> out.shape, h_n.shape
        ((5, 3, 20), (1, 3, 20))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype)


_RNN_STATE = "(num_layers * D, N, hidden_size), or (num_layers * D, hidden_size) unbatched"
RNN.__doc__ = RNN.__doc__.format(doc=_LAYER_DOC.format(
    extra="nonlinearity: 'tanh' or 'relu'. Default 'tanh'.\n        ", state="h_0 " + _RNN_STATE))
GRU.__doc__ = GRU.__doc__.format(doc=_LAYER_DOC.format(extra="", state="h_0 " + _RNN_STATE))
LSTM.__doc__ = LSTM.__doc__.format(doc=_LAYER_DOC.format(
    extra="proj_size: if > 0, h is projected to this size by weight_hr. Default 0.\n        ",
    state="(h_0, c_0): h_0 (num_layers * D, N, P), c_0 (num_layers * D, N, hidden_size) "
          "(no N unbatched)"))


# ---------------------------------------------------------------------------------------------
# cells: one time step, parameters weight_ih, weight_hh, bias_ih, bias_hh


class _CellBase(Module):
    def __init__(self, mode, input_size, hidden_size, bias, device, dtype):
        super().__init__()
        name = type(self).__name__
        self.mode = mode
        self.input_size = check.positive_int(name, "input_size", input_size)
        self.hidden_size = check.positive_int(name, "hidden_size", hidden_size)
        self.bias = check.flag(name, "bias", bias)
        dtype = check.float_dtype(name, dtype, device)
        GH = _GATES[mode] * self.hidden_size
        self.weight_ih = Parameter(empty(GH, self.input_size, dtype=dtype))
        self.weight_hh = Parameter(empty(GH, self.hidden_size, dtype=dtype))
        if self.bias:
            self.bias_ih = Parameter(empty(GH, dtype=dtype))
            self.bias_hh = Parameter(empty(GH, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def forward(self, input, hx=None):
        """One step of the cell's mode (RNN_TANH/RNN_RELU, LSTM or GRU); see the subclass."""
        name = type(self).__name__
        if not isinstance(input, Tensor) or input.ndim not in (1, 2) or (
                input.shape[-1] != self.input_size):
            raise check.bad_input(input, f"(N, input_size={self.input_size}) or "
                                         f"(input_size={self.input_size})")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        B, H = x.shape[0], self.hidden_size
        lstm = self.mode == "LSTM"
        want = (B, H) if batched else (H,)
        if hx is None:
            states = [zeros(B, H, dtype=x.dtype)] * (2 if lstm else 1)
        else:
            states = list(hx) if lstm else [hx]
            if lstm and len(states) != 2:
                raise TypeError(f"{name}: hx must be a tuple (h, c), got {len(states)} items")
            for what, s in zip(("h", "c"), states):
                if not isinstance(s, Tensor) or tuple(s.shape) != want:
                    got = tuple(s.shape) if isinstance(s, Tensor) else type(s).__name__
                    raise InputError(f"{name}: expected {what} of shape {want}, got {got}")
            if not batched:
                states = [s.unsqueeze(0) for s in states]
        _y, h, c = rnn_sequence(x.unsqueeze(0), states[0], self.weight_ih, self.weight_hh,
                                self.bias_ih, self.bias_hh, mode=self.mode.lower(),
                                cx=states[1] if lstm else None)
        if not batched:
            h = h.squeeze(0)
            c = c.squeeze(0) if lstm else None
        return (h, c) if lstm else h

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        return s


class RNNCell(_CellBase):
    """One Elman RNN step: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu), as torch.

    Args:
        input_size, hidden_size: feature sizes of x and h.
        bias: use b_ih and b_hh. Default True.
        nonlinearity: 'tanh' or 'relu'. Default 'tanh'.
        device, dtype: as Linear.

    Shape:
        input (N, input_size) or (input_size,); hx (N, hidden_size) (zeros if None) ->
        h' (N, hidden_size).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.RNNCell(3, 5)(gb.randn(2, 3)).shape
        (2, 5)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None):
        check.choice("RNNCell", "nonlinearity", nonlinearity, ("tanh", "relu"))
        super().__init__("RNN_" + nonlinearity.upper(), input_size, hidden_size, bias, device,
                         dtype)
        self.nonlinearity = nonlinearity

class LSTMCell(_CellBase):
    """One LSTM step (gates i, f, g, o), as torch.nn.LSTMCell; returns (h', c').

    Args:
        input_size, hidden_size: feature sizes of x and h.
        bias: use b_ih and b_hh. Default True.
        device, dtype: as Linear.

    Shape:
        input (N, input_size); hx a tuple (h, c) of (N, hidden_size) (zeros if None) ->
        (h', c'), each (N, hidden_size). Unbatched: drop N.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> h, c = nn.LSTMCell(3, 5)(gb.randn(2, 3))
        >>> h.shape, c.shape
        ((2, 5), (2, 5))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype)

class GRUCell(_CellBase):
    """One GRU step (gates r, z, n), as torch.nn.GRUCell.

    Args:
        input_size, hidden_size: feature sizes of x and h.
        bias: use b_ih and b_hh. Default True.
        device, dtype: as Linear.

    Shape:
        input (N, input_size); hx (N, hidden_size) (zeros if None) -> h' (N, hidden_size).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.GRUCell(3, 5)(gb.randn(2, 3), gb.zeros(2, 5)).shape
        (2, 5)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype)