"""Fused recurrent ops: a whole sequence of an RNN (tanh / relu), LSTM or GRU layer in ONE Function.

Backpropagation through time as one op: forward runs the recurrence with one GEMM per step,
[W_hh W_ih b] @ [h; x_t; 1] ((G*H, P + I + 1) @ (P + I + 1, B)), and saves the gate
activations; GRU, whose n gate keeps W_in x apart from W_hn h, instead projects the input of
ALL time steps with one GEMM up front and runs (G*H, P) @ (P, B) per step. Backward walks the
steps in reverse with one GEMM per step for the gradient flowing to the previous hidden state,
keeps each step's pre-activation gradient, and then gets every weight gradient and the input
gradient from a few big GEMMs over all T*B columns at once (dW = dA [H_prev; X; 1]^T,
dX = dA^T W_ih). The recurrence is feature-major (states (P, B), see RNNSequence): for W3's
LSTM that made the forward 11% faster, and the MNIST-1D GRU's training step 40% faster, than
batch-major (B, P) states.

Equations and gate order are torch's (G gates of size H each, stacked in the weights' rows):
    RNN:  h' = act(W_ih x + b_ih + W_hh h + b_hh),    act = tanh or relu       (G = 1)
    LSTM: i, f, g, o = sigma, sigma, tanh, sigma of (W_ih x + b_ih + W_hh h + b_hh)  (G = 4)
          c' = f * c + i * g,   h' = o * tanh(c')   [then h' = W_hr h' with proj_size]
    GRU:  r, z = sigma(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z})              (G = 3)
          n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),   h' = (1 - z) * n + z * h

Sigmoid is computed as 0.5 * tanh(x / 2) + 0.5, so one np.tanh call covers every gate of a step:
the rows of the pre-activations that feed a sigmoid are halved up front (in the projected
input and in a scaled copy of W_hh), and after the tanh an affine map `a * s + (1 - s)` turns
those rows into sigmoids while leaving the tanh rows unchanged.

Variable lengths: with a (T, B, 1) 0/1 `mask` (1 while t < length of sequence b; used as its
(T, 1, B) transpose inside), a step leaves the state of finished sequences untouched and
writes zeros to their outputs, so the final state is each sequence's state at its own last
step. Run in reverse, a sequence's state stays at h0 until its last valid step, which is where
the reverse direction of a padded batch starts.

Shapes: T time steps, B batch, I input size, H hidden size, P = proj_size or H (the size of h).
The Function returns one flat array (output (T, B, P), h_n (B, P), then c_n (B, H) for LSTM);
`rnn_sequence` slices it back into tensors, so autograd sees a single op per layer direction.
"""

from __future__ import annotations

import numpy as np

from glassbox.autograd import Function
from glassbox.ops.errors import ShapeError as InputError
from glassbox.ops.fused import _float_arg, _same_dtype, row_sums
from glassbox.tensor import Tensor

__all__ = ["gru_cell", "lstm_cell", "rnn_relu_cell", "rnn_sequence", "rnn_tanh_cell"]

_GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


def _gate_scale(mode: str, H: int, dtype) -> np.ndarray | None:
    """Per-row scale s of the pre-activations: 0.5 where a sigmoid follows, 1 for tanh."""
    if mode == "lstm":  # i, f, g, o
        s = np.full(4 * H, 0.5, dtype=dtype)
        s[2 * H:3 * H] = 1.0
        return s
    if mode == "gru":  # r, z (sigmoid), n (its own tanh)
        s = np.ones(3 * H, dtype=dtype)
        s[:2 * H] = 0.5
        return s
    return None


def _per_step(features: int, T: int, B: int, dtype) -> np.ndarray:
    """An empty (features, T, B) array for values kept per time step, its rows padded.

    Unpadded, consecutive rows of a step's (features, B) slice would sit T*B*4 bytes apart,
    a multiple of 4 KiB for W3's sizes, and every row would land in the same cache sets
    (GEMMs reading such a slice ran slower than on a copy). A little padding avoids that;
    `.reshape(features, T * B)` of the result is a view with unit inner stride.
    """
    n = T * B
    return np.empty((features, n + 16), dtype=dtype)[:, :n].reshape(features, T, B)


class RNNSequence(Function):
    """One recurrent layer direction over a whole sequence; see the module docstring.

    Inputs (arrays): x (T, B, I), h0 (B, P), [c0 (B, H) for LSTM], w_ih (G*H, I),
    w_hh (G*H, P), [b_ih (G*H,), b_hh (G*H,)], [w_hr (P, H) for a projected LSTM].

    Inside, the recurrence runs feature-major: states are (P, B), gates (G*H, B), and each
    step's GEMM is W_hh (G*H, P) @ h (P, B) (with x_t and a row of ones stacked under h, and W_ih
    and b beside W_hh, for RNN and LSTM). With a batch of a few dozen that orientation is
    much faster in OpenBLAS than h (B, P) @ W_hh^T (100 vs 180 us for W3's 32 x 256 x 1024),
    and every gate is a block of whole rows. Per-step values the weight gradients need are
    kept as (features, T, B), so each weight gradient is one GEMM over all T*B columns.
    """

    def forward(self, x, h0, *rest, mode, reverse, mask, has_bias, has_proj):
        rest = list(rest)
        c0 = rest.pop(0) if mode == "lstm" else None
        w_ih, w_hh = rest.pop(0), rest.pop(0)
        b_ih, b_hh = (rest.pop(0), rest.pop(0)) if has_bias else (None, None)
        w_hr = rest.pop(0) if has_proj else None
        T, B, I = x.shape
        G = _GATES[mode]
        H = w_ih.shape[0] // G
        P = h0.shape[1]
        dt = x.dtype
        self.mode, self.shape = mode, (T, B, I, H, P)
        self.mask = None if mask is None else mask.transpose(0, 2, 1)  # (T, 1, B)
        self.order = range(T - 1, -1, -1) if reverse else range(T)

        # The gate scale and the biases ride in the GEMMs: scaled weight rows, and a bias
        # column against a row of ones (applied afterwards, each was a pass over all columns).
        x2 = x.reshape(T * B, I)
        s = _gate_scale(mode, H, dt)
        w_in = w_ih if s is None else w_ih * s[:, None]
        if has_bias:
            bias = b_ih.copy()
            if mode == "gru":  # b_hn sits inside r * (...): only b_hr, b_hz fold into xw
                bias[:2 * H] += b_hh[:2 * H]
            else:
                bias += b_hh
            if s is not None:
                bias *= s
            w_in = np.concatenate([w_in, bias[:, None]], axis=1)  # (G*H, I + 1)
        whh = w_hh * s[:, None] if s is not None else w_hh  # a scaled copy if scaled
        k_in = w_in.shape[1]
        if mode == "gru":
            # GRU's n gate needs W_in x apart from W_hn h: the input projection of every
            # time step is one GEMM up front, (G*H, I + 1) @ (I + 1, T*B)
            x_in = np.empty((T * B, k_in), dtype=dt)
            x_in[:, :I] = x2
            x_in[:, I:] = 1
            xw = _per_step(G * H, T, B, dt)
            np.matmul(w_in, x_in.T, out=xw.reshape(G * H, T * B))  # column t*B + b
            hprev, stacked, w_step = _per_step(P, T, B, dt), None, np.ascontiguousarray(whh)
        else:
            # RNN and LSTM: each step's GEMM takes the input too, [W_hh W_ih b] @ [h; x_t; 1]
            # (K = P + I + 1 rows): reading x_t costs less than adding a projected (G*H, B)
            # slice of a T-step array that no cache holds (W3's forward step: 250 -> 215 us).
            stacked = _per_step(P + k_in, T, B, dt)  # rows: h entering the step, x_t, ones
            stacked[P:P + I] = x.transpose(2, 0, 1)
            stacked[P + I:] = 1
            hprev, xw = stacked[:P], None
            w_step = np.concatenate([whh, w_in], axis=1)  # (G*H, K)

        flat = np.empty(T * B * P + B * P + (B * H if mode == "lstm" else 0), dtype=dt)
        y = flat[:T * B * P].reshape(T, B, P)
        step = getattr(self, "_forward_" + ("rnn" if mode.startswith("rnn") else mode))
        h, c = step(xw if stacked is None else stacked, w_step, s, h0.T.copy(),
                    None if c0 is None else c0.T.copy(), hprev, y, b_hh, w_hr)
        flat[T * B * P:T * B * P + B * P] = h.T.reshape(-1)
        if mode == "lstm":
            flat[T * B * P + B * P:] = c.T.reshape(-1)
        self.x2, self.stacked = (x2 if stacked is None else None), stacked  # x2: GRU's dW_ih
        self.hprev, self.w_ih, self.w_hh, self.w_hr = hprev, w_ih, w_hh, w_hr
        self.has_bias, self.has_proj = has_bias, has_proj
        return flat

    # --- forward recurrences (feature-major); each saves its activations on self -------------

    def _blend(self, t, new, old):
        """Keep `old` for the columns whose sequence has ended (mask 0), take `new` elsewhere."""
        if self.mask is None:
            return new
        m = self.mask[t]
        return old + m * (new - old)

    def _emit(self, t, y, h_new):
        """Write step t's output (P, B) into y (T, B, P), zero where the sequence has ended."""
        y[t] = (h_new if self.mask is None else h_new * self.mask[t]).T

    def _forward_rnn(self, stacked, w_step, s, h, c, hprev, y, b_hh, w_hr):
        T, B, _I, H, _P = self.shape
        acts = np.empty((T, H, B), dtype=stacked.dtype)  # h' of every step
        relu = self.mode == "rnn_relu"
        for t in self.order:
            hprev[:, t] = h
            a = acts[t]
            np.matmul(w_step, stacked[:, t], out=a)
            if relu:
                np.maximum(a, 0, out=a)
            else:
                np.tanh(a, out=a)
            self._emit(t, y, a)
            h = self._blend(t, a, h)
        self.acts = acts
        return h, None

    def _forward_lstm(self, stacked, w_step, s, h, c, hprev, y, b_hh, w_hr):
        T, B, _I, H, _P = self.shape
        dt = stacked.dtype
        s = np.ascontiguousarray(np.broadcast_to(s[:, None], (4 * H, B)))  # no broadcast in the loop
        s1 = 1 - s
        acts = np.empty((T, 4 * H, B), dtype=dt)  # i, f, g, o after their nonlinearity
        cprev = np.empty((T, H, B), dtype=dt)
        tanh_c = np.empty((T, H, B), dtype=dt)  # tanh(c') of every step
        hraw = _per_step(H, T, B, dt) if w_hr is not None else None
        for t in self.order:
            hprev[:, t] = h
            cprev[t] = c
            a = acts[t]
            np.matmul(w_step, stacked[:, t], out=a)
            np.tanh(a, out=a)  # sigmoid rows were halved: 0.5 * tanh(x/2) + 0.5 below
            a *= s
            a += s1
            i, f, g, o = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
            c_new = f * c
            c_new += i * g
            tc = tanh_c[t]
            np.tanh(c_new, out=tc)
            h_new = o * tc
            if w_hr is not None:  # projected LSTM: h' = W_hr (o * tanh(c'))
                hraw[:, t] = h_new
                h_new = np.matmul(w_hr, h_new)
            self._emit(t, y, h_new)
            h, c = self._blend(t, h_new, h), self._blend(t, c_new, c)
        self.acts, self.cprev, self.tanh_c, self.hraw = acts, cprev, tanh_c, hraw
        return h, c

    def _forward_gru(self, xw, whh, s, h, c, hprev, y, b_hh, w_hr):
        T, B, _I, H, _P = self.shape
        acts = np.empty((T, 3 * H, B), dtype=xw.dtype)  # r, z, n
        hn = np.empty((T, H, B), dtype=xw.dtype)  # W_hn h + b_hn of every step
        bhn = b_hh[2 * H:, None] if b_hh is not None else None
        for t in self.order:
            hprev[:, t] = h
            a = acts[t]
            hw = np.matmul(whh, h)  # (3H, B); r, z rows already halved
            if bhn is not None:
                hw[2 * H:] += bhn
            hn[t] = hw[2 * H:]
            rz = a[:2 * H]
            np.add(xw[:2 * H, t], hw[:2 * H], out=rz)
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            n = a[2 * H:]
            np.multiply(a[:H], hw[2 * H:], out=n)
            n += xw[2 * H:, t]
            np.tanh(n, out=n)
            h_new = n + a[H:2 * H] * (h - n)  # (1 - z) * n + z * h
            self._emit(t, y, h_new)
            h = self._blend(t, h_new, h)
        self.acts, self.hn = acts, hn
        return h, None

    # --- backward ----------------------------------------------------------------------------

    def backward(self, g):
        T, B, I, H, P = self.shape
        mode, mask = self.mode, self.mask
        gy = g[:T * B * P].reshape(T, B, P)
        dh = g[T * B * P:T * B * P + B * P].reshape(B, P).T.copy()  # (P, B)
        dc = g[T * B * P + B * P:].reshape(B, H).T.copy() if mode == "lstm" else None
        G = _GATES[mode]
        # dA: gradient of the loss w.r.t. each step's gate pre-activations, (G*H, T, B); for
        # GRU dA feeds W_ih and dHW (its n-part times r) feeds W_hh.
        dA = _per_step(G * H, T, B, g.dtype)
        dHW = _per_step(G * H, T, B, g.dtype) if mode == "gru" else dA
        dhout = _per_step(P, T, B, g.dtype) if self.has_proj else None
        # (P, G*H): dh_prev = W_hh^T @ dA_t; a C-order copy makes each step's GEMM ~8% faster
        w_hh_t = np.ascontiguousarray(self.w_hh.T)
        for t in reversed(self.order):  # the steps in the reverse of the order they ran
            dnew = dh + gy[t].T  # gradient reaching this step's new h, (P, B)
            if mask is not None:
                m = mask[t]
                dnew *= m  # a finished sequence's step changed nothing: no gradient into it
                keep_h = dh * (1 - m)
            if mode == "lstm":
                dc = self._back_lstm(t, dnew, dc, dA[:, t], dhout)
            elif mode == "gru":
                self._back_gru(t, dnew, dA[:, t], dHW[:, t])
            else:
                a = self.acts[t]
                if mode == "rnn_relu":
                    np.multiply(dnew, a > 0, out=dA[:, t])
                else:
                    np.multiply(dnew, 1 - a * a, out=dA[:, t])
            dh_prev = np.matmul(w_hh_t, dHW[:, t])  # (P, B): through the recurrent GEMM
            if mode == "gru":
                dh_prev += dnew * self.acts[t, H:2 * H]  # the z * h term
            if mask is not None:
                dh_prev += keep_h
            dh = dh_prev

        need = self.needs_input_grad
        n_in = len(need)
        idx = 2 + (mode == "lstm")  # position of w_ih among the inputs
        grads = [None] * n_in
        dA2 = dA.reshape(G * H, T * B)
        dHW2 = dHW.reshape(G * H, T * B)
        if need[0]:
            grads[0] = np.matmul(dA2.T, self.w_ih).reshape(T, B, I)
        grads[1] = np.ascontiguousarray(dh.T)
        if mode == "lstm":
            grads[2] = np.ascontiguousarray(dc.T)
        wanted = need[idx:idx + 2 + 2 * self.has_bias]
        if self.stacked is not None and any(wanted):
            # one GEMM against the stacked [h; x; 1] rows: dW_hh, dW_ih and the bias gradient
            stacked = self.stacked
            dw = np.matmul(dA2, stacked.reshape(len(stacked), T * B).T)  # (G*H, P + I [+ 1])
            grads[idx] = np.ascontiguousarray(dw[:, P:P + I]) if need[idx] else None
            grads[idx + 1] = np.ascontiguousarray(dw[:, :P]) if need[idx + 1] else None
            if self.has_bias:
                db = np.ascontiguousarray(dw[:, P + I])
                grads[idx + 2] = db if need[idx + 2] else None
                grads[idx + 3] = db if need[idx + 3] else None  # the engine copies shared arrays
        elif self.stacked is None:
            if need[idx]:
                grads[idx] = np.matmul(dA2, self.x2)  # (G*H, I)
            if need[idx + 1]:
                grads[idx + 1] = np.matmul(dHW2, self.hprev.reshape(P, T * B).T)  # (G*H, P)
            if self.has_bias:
                if need[idx + 2]:
                    grads[idx + 2] = row_sums(dA2)
                if need[idx + 3]:
                    grads[idx + 3] = row_sums(dHW2)
        if self.has_proj and need[-1]:
            grads[-1] = np.matmul(dhout.reshape(P, T * B), self.hraw.reshape(H, T * B).T)
        return tuple(grads)

    def _back_lstm(self, t, dnew, dc, da, dhout):
        """Fill da (4H, B) for step t; return the gradient w.r.t. the previous cell state."""
        H = self.shape[3]
        if dhout is not None:  # through the projection h' = W_hr h_raw
            dhout[:, t] = dnew
            dnew = np.matmul(self.w_hr.T, dnew)
        a, tc = self.acts[t], self.tanh_c[t]
        i, f, g, o = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
        if self.mask is not None:
            m = self.mask[t]
            keep_c = dc * (1 - m)
            dc = dc * m
        dcn = dc + dnew * o * (1 - tc * tc)  # total gradient w.r.t. c' of this step
        # sigma' = s (1 - s), tanh' = 1 - t^2, each times its upstream gradient
        np.multiply(dcn * g, i * (1 - i), out=da[:H])
        np.multiply(dcn * self.cprev[t], f * (1 - f), out=da[H:2 * H])
        np.multiply(dcn * i, 1 - g * g, out=da[2 * H:3 * H])
        np.multiply(dnew * tc, o * (1 - o), out=da[3 * H:])
        dc_prev = dcn * f
        if self.mask is not None:
            dc_prev += keep_c
        return dc_prev

    def _back_gru(self, t, dnew, da, dhw):
        """Fill da (input side) and dhw (recurrent side), each (3H, B), for step t."""
        H = self.shape[3]
        a = self.acts[t]
        r, z, n = a[:H], a[H:2 * H], a[2 * H:]
        dn = dnew * (1 - z) * (1 - n * n)  # w.r.t. the pre-activation of n
        da[2 * H:] = dn
        np.multiply(dn, r, out=dhw[2 * H:])  # n's pre-activation holds r * (W_hn h + b_hn)
        np.multiply(dn * self.hn[t], r * (1 - r), out=da[:H])
        np.multiply(dnew * (self.hprev[:, t] - n), z * (1 - z), out=da[H:2 * H])
        dhw[:2 * H] = da[:2 * H]


def _check_2d(t, op, what, rows, cols):
    if t.ndim != 2 or t.shape != (rows, cols):
        raise InputError(f"{op}: expected {what} of shape ({rows}, {cols}), got {tuple(t.shape)}")


def rnn_sequence(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, *, mode: str,
                 cx=None, weight_hr=None, reverse: bool = False, mask=None):
    """Run one recurrent layer direction over a whole sequence as one fused op.

    Args:
        input: (T, B, I) float tensor (time first).
        hx: (B, P) initial hidden state.
        weight_ih: (G*H, I); weight_hh: (G*H, P); bias_ih, bias_hh: (G*H,) or both None.
            G = 1 (rnn_tanh, rnn_relu), 4 (lstm: i, f, g, o), 3 (gru: r, z, n), torch's order.
        mode: 'rnn_tanh', 'rnn_relu', 'lstm' or 'gru'.
        cx: (B, H) initial cell state (lstm only).
        weight_hr: (P, H) projection of a projected LSTM (torch's proj_size), or None.
        reverse: run from the last step to the first (the reverse half of a bidirectional layer).
        mask: optional (T, B, 1) NumPy 0/1 array of the input's dtype: 1 while t < length.

    Returns:
        (output (T, B, P), h_n (B, P), c_n (B, H) or None).

    Shape:
        (T, B, I) -> (T, B, P); P = H unless weight_hr is given.

    Example:
        >>> import glassbox as gb
        >>> from glassbox.ops.rnn import rnn_sequence
        >>> x, h = gb.randn(5, 2, 3), gb.zeros(2, 4)
        >>> y, h_n, _ = rnn_sequence(x, h, gb.randn(4, 3), gb.randn(4, 4), mode="rnn_tanh")
        >>> y.shape, h_n.shape
        ((5, 2, 4), (2, 4))
    """
    op = f"rnn_sequence({mode})"
    if mode not in _GATES:
        raise ValueError(f"rnn_sequence: mode must be one of {sorted(_GATES)}, got {mode!r}")
    _float_arg(input, op)
    if input.ndim != 3:
        raise InputError(f"{op}: expected input (T, B, I), got {tuple(input.shape)}")
    T, B, I = input.shape
    G = _GATES[mode]
    GH = weight_ih.shape[0]
    H = GH // G
    P = weight_hr.shape[0] if weight_hr is not None else H
    _check_2d(weight_ih, op, "weight_ih", G * H, I)
    _check_2d(weight_hh, op, "weight_hh", G * H, P)
    _check_2d(hx, op, "hx", B, P)
    inputs = [input, hx]
    if mode == "lstm":
        _check_2d(cx, op, "cx", B, H)
        inputs.append(cx)
    inputs += [weight_ih, weight_hh]
    has_bias = bias_ih is not None
    if has_bias:
        for what, b in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
            if b is None or tuple(b.shape) != (G * H,):
                raise InputError(f"{op}: expected {what} of shape ({G * H},), got "
                                 f"{None if b is None else tuple(b.shape)}")
        inputs += [bias_ih, bias_hh]
    if weight_hr is not None:
        if mode != "lstm":
            raise ValueError(f"{op}: weight_hr (proj_size) is only for LSTM")
        _check_2d(weight_hr, op, "weight_hr", P, H)
        inputs.append(weight_hr)
    _same_dtype(op, input, **{f"input {k}": t for k, t in enumerate(inputs[1:], 1)})
    flat = RNNSequence.apply(*inputs, mode=mode, reverse=bool(reverse), mask=mask,
                             has_bias=has_bias, has_proj=weight_hr is not None)
    n = T * B * P
    out = flat[:n].reshape(T, B, P)
    h_n = flat[n:n + B * P].reshape(B, P)
    c_n = flat[n + B * P:].reshape(B, H) if mode == "lstm" else None
    return out, h_n, c_n


def _cell(mode, input, hx, cx, w_ih, w_hh, b_ih, b_hh):
    op = f"{mode}_cell"
    _float_arg(input, op)
    if input.ndim != 2:
        raise InputError(f"{op}: expected input (B, I), got {tuple(input.shape)}")
    _, h_n, c_n = rnn_sequence(input.unsqueeze(0), hx, w_ih, w_hh, b_ih, b_hh, mode=mode, cx=cx)
    return h_n, c_n


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """One step h' = tanh(W_ih x + b_ih + W_hh h + b_hh), one fused op.

    Args:
        input: (B, I). hx: (B, H). w_ih: (H, I). w_hh: (H, H). b_ih, b_hh: (H,) or None.

    Shape:
        (B, I), (B, H) -> (B, H).

    Example:
        >>> import glassbox as gb
        >>> from glassbox.ops.rnn import rnn_tanh_cell
        >>> rnn_tanh_cell(gb.randn(2, 3), gb.zeros(2, 4), gb.randn(4, 3), gb.randn(4, 4)).shape
        (2, 4)
    """
    return _cell("rnn_tanh", input, hx, None, w_ih, w_hh, b_ih, b_hh)[0]


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """One step h' = relu(W_ih x + b_ih + W_hh h + b_hh), one fused op.

    Args:
        input: (B, I). hx: (B, H). w_ih: (H, I). w_hh: (H, H). b_ih, b_hh: (H,) or None.

    Shape:
        (B, I), (B, H) -> (B, H).

    Example:
        >>> import glassbox as gb
        >>> from glassbox.ops.rnn import rnn_relu_cell
        >>> rnn_relu_cell(gb.randn(2, 3), gb.zeros(2, 4), gb.randn(4, 3), gb.randn(4, 4)).shape
        (2, 4)
    """
    return _cell("rnn_relu", input, hx, None, w_ih, w_hh, b_ih, b_hh)[0]


def lstm_cell(input, hx, cx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step (gates i, f, g, o as torch), one fused op; returns (h', c').

    Args:
        input: (B, I). hx, cx: (B, H). w_ih: (4H, I). w_hh: (4H, H). b_ih, b_hh: (4H,) or None.

    Shape:
        (B, I), (B, H), (B, H) -> (B, H), (B, H).

    Example:
        >>> import glassbox as gb
        >>> from glassbox.ops.rnn import lstm_cell
        >>> h, c = lstm_cell(gb.randn(2, 3), gb.zeros(2, 4), gb.zeros(2, 4),
        ...                  gb.randn(16, 3), gb.randn(16, 4))
        >>> h.shape, c.shape
        ((2, 4), (2, 4))
    """
    return _cell("lstm", input, hx, cx, w_ih, w_hh, b_ih, b_hh)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """One GRU step (gates r, z, n as torch, n = tanh(W_in x + b_in + r * (W_hn h + b_hn))).

    Args:
        input: (B, I). hx: (B, H). w_ih: (3H, I). w_hh: (3H, H). b_ih, b_hh: (3H,) or None.

    Shape:
        (B, I), (B, H) -> (B, H).

    Example:
        >>> import glassbox as gb
        >>> from glassbox.ops.rnn import gru_cell
        >>> gru_cell(gb.randn(2, 3), gb.zeros(2, 4), gb.randn(12, 3), gb.randn(12, 4)).shape
        (2, 4)
    """
    return _cell("gru", input, hx, None, w_ih, w_hh, b_ih, b_hh)[0]
