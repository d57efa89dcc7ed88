"""Attention maps: every layer's and head's attention weights from one forward pass.

Works with
* `glassbox.models.GPT` (its forward takes `return_attention=True`),
* any model built from `nn.MultiheadAttention` (TransformerEncoder stacks, your own blocks):
  each MultiheadAttention's forward is wrapped for the duration of one call so that it also
  computes per-head weights (need_weights=True, average_attn_weights=False) -- Transformer
  layers call it with need_weights=False for speed. The wrapper is removed afterwards. The
  layer's output comes from the explicit softmax(QK^T / sqrt(d)) V path, equal to the fused
  path up to float rounding.
* a single `nn.MultiheadAttention`, used as self-attention on `inputs`.
"""

from __future__ import annotations

import inspect

import numpy as np

from glassbox import autograd
from glassbox.explain._common import wrap
from glassbox.tensor import Tensor

__all__ = ["attention_maps"]


def _mha_class():
    from glassbox.nn.layers.attention import MultiheadAttention

    return MultiheadAttention


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor._wrap(np.ascontiguousarray(np.asarray(x)))


def attention_maps(model, inputs, layers=None, **forward_kwargs):
    """Attention weights of every attention layer and head, stacked.

    Runs one forward pass without gradients, in the model's current mode (call
    `model.eval()` first if it has dropout).

    Args:
        model: a GPT, a model containing nn.MultiheadAttention modules (e.g. a
            TransformerEncoder), or a single nn.MultiheadAttention.
        inputs: what the model takes: token ids (B, T) for GPT, the sequence batch for an
            encoder ((T, B, E), or (B, T, E) with batch_first), the query/key/value sequence
            for a single MultiheadAttention.
        layers: names of the MultiheadAttention modules to read (default None: all, in the
            order they run). Not for GPT or a single MultiheadAttention.
        **forward_kwargs: passed to the model's forward (e.g. mask=..., is_causal=True).

    Returns:
        Tensor (layers, batch, heads, T_query, T_key); for a single MultiheadAttention
        (batch, heads, T_query, T_key). Rows are queries and sum to 1.

    Shape:
        see Returns.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0,
        ...                                                        batch_first=True), 3)
        >>> w = attention_maps(enc, gb.randn(4, 5, 8))
        >>> w.shape, bool(((w.sum(dim=-1) - 1).abs().max() < 1e-5).item())
        ((3, 4, 2, 5, 5), True)
    """
    where = "attention_maps"
    if not callable(model):
        raise TypeError(f"{where}: model must be callable, got {type(model).__name__}")
    mha_cls = _mha_class()
    x = _as_tensor(inputs)
    with autograd.no_grad():
        if isinstance(model, mha_cls):
            if layers is not None:
                raise ValueError(f"{where}: layers= is for models that contain attention "
                                 f"layers, not a single MultiheadAttention")
            _, w = model(x, x, x, need_weights=True, average_attn_weights=False,
                         **forward_kwargs)
            return wrap(w._data if w.ndim == 4 else w._data[None])
        if "return_attention" in inspect.signature(model.forward).parameters:
            if layers is not None:
                raise ValueError(f"{where}: layers= is not supported for {type(model).__name__}; "
                                 f"index the result instead")
            result = model(x, return_attention=True, **forward_kwargs)
            weights = result[-1]
            return wrap(np.stack([w._data for w in weights]))
        return _from_mha_modules(model, x, layers, forward_kwargs, mha_cls, where)


def _from_mha_modules(model, x, layers, forward_kwargs, mha_cls, where):
    named = [(n, m) for n, m in model.named_modules() if isinstance(m, mha_cls)]
    if not named:
        raise ValueError(f"{where}: {type(model).__name__} has no nn.MultiheadAttention "
                         f"layers and its forward takes no return_attention argument")
    if layers is not None:
        names = [n for n, _ in named]
        unknown = [n for n in layers if n not in names]
        if unknown:
            raise ValueError(f"{where}: {unknown} are not MultiheadAttention layers of the "
                             f"model; those are {names}")
        named = [(n, m) for n, m in named if n in set(layers)]
    captured: list = []
    patched = []

    def wrapped_forward(module, original, name):
        def forward(query, key, value, key_padding_mask=None, need_weights=True,
                    attn_mask=None, average_attn_weights=True, is_causal=False):
            out, w = original(query, key, value, key_padding_mask=key_padding_mask,
                              need_weights=True, attn_mask=attn_mask,
                              average_attn_weights=False, is_causal=is_causal)
            captured.append((name, w._data if w.ndim == 4 else w._data[None]))
            if not need_weights:
                return out, None
            return out, (w.mean(dim=1) if average_attn_weights else w)
        return forward

    try:
        for name, module in named:
            object.__setattr__(module, "forward", wrapped_forward(module, module.forward, name))
            patched.append(module)
        model(x, **forward_kwargs)
    finally:
        for module in patched:
            object.__delattr__(module, "forward")  # back to the class's forward
    if not captured:
        raise RuntimeError(f"{where}: no attention layer ran in the forward pass")
    shapes = {w.shape for _, w in captured}
    if len(shapes) != 1:
        raise ValueError(f"{where}: the attention layers have different shapes "
                         f"{[(n, w.shape) for n, w in captured]}; pick layers of one shape "
                         f"with layers=")
    return wrap(np.stack([w for _, w in captured]))
