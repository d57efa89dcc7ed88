"""Dynamically quantized LSTM: int8 gate weights, inputs and hidden states quantized per step.

Inference only (no graph). The input projection of a whole sequence, x_t @ W_ih^T for every t,
is one quantized GEMM; the recurrent product h_(t-1) @ W_hh^T is quantized step by step with the
scale of that step's h, as PyTorch's dynamic LSTM does. Gates in PyTorch's order i, f, g, o:

    i, f, g, o = split(x W_ih^T + b_ih + h W_hh^T + b_hh),   c = sig(f) c + sig(i) tanh(g),
    h = sig(o) tanh(c)   (then h = h W_hr^T with proj_size).

The cell arithmetic stays float32; only the matrix products are int8 x int8 -> int32.
"""

from __future__ import annotations

import numpy as np

from glassbox.compress.observers import affine_qparams
from glassbox.compress.qgemm import METHODS
from glassbox.nn.module import Module
from glassbox.tensor import Tensor

__all__ = ["DynamicQuantizedLSTM"]


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # overflow-free logistic


class DynamicQuantizedLSTM(Module):
    """An nn.LSTM with int8 weights whose matmul inputs are quantized on the fly.

    Args:
        lstm: the float nn.LSTM to quantize (any num_layers, bidirectional, batch_first,
            bias, proj_size; `lengths=` is not supported).
        method: integer GEMM of glassbox.compress.qgemm (default 'float32').

    Shape:
        as nn.LSTM: input (L, N, H_in) (or (N, L, H_in) with batch_first) -> (output, (h_n, c_n))

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> lstm = nn.LSTM(3, 8, batch_first=True)
        >>> q = DynamicQuantizedLSTM(lstm)
        >>> x = gb.randn(2, 5, 3)
        >>> (y, (h, c)), (yq, (hq, cq)) = lstm(x), q(x)
        >>> yq.shape, bool((yq - y).abs().max().item() < 0.05)
        ((2, 5, 8), True)
    """

    def __init__(self, lstm, method: str = "float32"):
        super().__init__()
        from glassbox.compress.quantize import quantize_weight

        if method not in METHODS:
            raise ValueError(f"DynamicQuantizedLSTM: method must be one of {METHODS}, "
                             f"received method={method!r}")
        for attr in ("input_size", "hidden_size", "num_layers", "bias", "batch_first",
                     "bidirectional", "proj_size"):
            setattr(self, attr, getattr(lstm, attr))
        self.method = method
        self._flat_names = [list(names) for names in lstm._flat_names]
        for names in self._flat_names:
            for name in names:
                w = getattr(lstm, name)._data
                if name.startswith("weight"):
                    q, s = quantize_weight(w)
                    self.register_buffer(name + "_int8", Tensor._wrap(q))
                    self.register_buffer(name + "_scale", Tensor._wrap(s))
                else:
                    self.register_buffer(name, Tensor._wrap(w.astype(np.float32)))

    def _linear(self, x: np.ndarray, name: str, bias: np.ndarray | None = None):
        """x (M, K) @ W^T with x quantized by its own range; W = the int8 buffer `name`."""
        from glassbox.compress.quantize import _accumulate, _quantize_input

        wq = getattr(self, name + "_int8")._data  # (O, K)
        ws = getattr(self, name + "_scale")._data
        scale, zp = affine_qparams(x.min(), x.max())
        dtype = np.int8 if self.method == "int32" else np.float32
        acc = _accumulate(_quantize_input(x, scale, zp), wq.T.astype(dtype), self.method)
        rowsum = wq.astype(np.int64).sum(axis=1)
        mult = np.float32(scale) * ws
        out = (acc.astype(np.float32) - np.float32(zp) * rowsum.astype(np.float32)) * mult
        return out if bias is None else out + bias

    def forward(self, input, hx=None, lengths=None):
        if lengths is not None:
            raise ValueError("DynamicQuantizedLSTM: lengths= is not supported; pad and mask "
                             "outside, or keep this LSTM in float")
        x = input._data if isinstance(input, Tensor) else np.asarray(input, dtype=np.float32)
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            raise ValueError(f"DynamicQuantizedLSTM: expected input (L, N, {self.input_size}), "
                             f"got {tuple(x.shape)}")
        batched = x.ndim == 3
        x = x if batched else x[:, None]
        if batched and self.batch_first:
            x = x.transpose(1, 0, 2)  # (N, L, I) -> (L, N, I)
        B = x.shape[1]  # x: (T, B, I)
        H, P = self.hidden_size, self.proj_size or self.hidden_size
        D = 2 if self.bidirectional else 1
        if hx is None:
            h0 = np.zeros((D * self.num_layers, B, P), np.float32)
            c0 = np.zeros((D * self.num_layers, B, H), np.float32)
        else:
            h0, c0 = (np.asarray(t._data if isinstance(t, Tensor) else t, np.float32)
                      for t in hx)
            if not batched:
                h0, c0 = h0[:, None], c0[:, None]
        layer_in, h_n, c_n = x.astype(np.float32), [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                k = layer * D + d
                y, h, c = self._direction(layer_in, h0[k], c0[k], self._flat_names[k], d == 1)
                outs.append(y)
                h_n.append(h)
                c_n.append(c)
            layer_in = outs[0] if D == 1 else np.concatenate(outs, axis=2)  # (T, B, D * P)
        out, hn, cn = layer_in, np.stack(h_n), np.stack(c_n)
        if not batched:
            out, hn, cn = out[:, 0], hn[:, 0], cn[:, 0]
        elif self.batch_first:
            out = out.transpose(1, 0, 2)
        return Tensor._wrap(np.ascontiguousarray(out)), (Tensor._wrap(hn), Tensor._wrap(cn))

    def _direction(self, x, h, c, names, reverse: bool):
        """One layer, one direction: x (T, B, I) -> (y (T, B, P), h_T, c_T)."""
        T, B, _ = x.shape
        H = self.hidden_size
        w_ih, w_hh = names[0], names[1]
        bias = None
        if self.bias:
            bias = getattr(self, names[2])._data + getattr(self, names[3])._data
        gx = self._linear(x.reshape(T * B, -1), w_ih, bias).reshape(T, B, 4 * H)
        ys = np.empty((T, B, self.proj_size or H), np.float32)
        for t in (range(T - 1, -1, -1) if reverse else range(T)):
            gates = gx[t] + self._linear(h, w_hh)  # (B, 4H)
            i, f = _sigmoid(gates[:, :H]), _sigmoid(gates[:, H : 2 * H])
            g, o = np.tanh(gates[:, 2 * H : 3 * H]), _sigmoid(gates[:, 3 * H :])
            c = f * c + i * g
            h = o * np.tanh(c)
            if self.proj_size:
                h = self._linear(h, names[-1])
            ys[t] = h
        return ys, h, c

    def extra_repr(self) -> str:
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
                f"dynamic int8, method={self.method}")
