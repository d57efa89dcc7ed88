"""Transformer blocks, as torch.nn: TransformerEncoderLayer, TransformerDecoderLayer and the
TransformerEncoder / TransformerDecoder stacks (same arguments, defaults and state_dict keys).

A layer is attention + a two-layer feed-forward network, each wrapped in a residual
connection and a LayerNorm: after the residual (norm_first=False, the original "post-LN") or
on the branch input (norm_first=True, "pre-LN", what GPT-style models use).
"""

from __future__ import annotations

from glassbox.nn import functional as F
from glassbox.nn.containers import ModuleList
from glassbox.nn.layers import _checks as check
from glassbox.nn.layers.attention import MultiheadAttention
from glassbox.nn.layers.dropout import Dropout
from glassbox.nn.layers.linear import Linear
from glassbox.nn.layers.normalization import LayerNorm
from glassbox.nn.module import Module

__all__ = ["TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
           "TransformerEncoderLayer"]

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def _activation(layer: str, activation):
    if isinstance(activation, str):
        check.choice(layer, "activation", activation, tuple(_ACTIVATIONS))
        return _ACTIVATIONS[activation]
    if not callable(activation):
        raise TypeError(f"{layer}: activation must be 'relu', 'gelu' or a callable, received "
                        f"activation={activation!r}")
    return activation


class _Block(Module):
    """Shared parts: the attention modules, config kept for cloning, the feed-forward branch.

    `attentions` names the MultiheadAttention attributes in registration order ("self_attn",
    then "multihead_attn" for the decoder); each gets a LayerNorm and a dropout, and the
    feed-forward branch one more of each.
    """

    def __init__(self, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                 batch_first, norm_first, bias, device, dtype, attentions):
        super().__init__()
        check.float_dtype(type(self).__name__, dtype, device)
        for attr in attentions:
            setattr(self, attr, MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                   batch_first=batch_first, dtype=dtype))
        self._setup(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                    batch_first, norm_first, bias, dtype, len(attentions) + 1)

    def _sa(self, x, mask, kpm, is_causal):
        out = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=kpm, need_weights=False,
                             is_causal=is_causal)[0]
        return self.dropout1(out)

    def _setup(self, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
               batch_first, norm_first, bias, dtype, n_norms):
        name = type(self).__name__
        self._config = {"d_model": d_model, "nhead": nhead, "dim_feedforward": dim_feedforward,
                            "dropout": dropout, "activation": activation,
                            "layer_norm_eps": layer_norm_eps, "batch_first": batch_first,
                            "norm_first": norm_first, "bias": bias, "dtype": dtype}
        check.positive_int(name, "dim_feedforward", dim_feedforward)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = check.flag(name, "norm_first", norm_first)
        for k in range(1, n_norms + 1):
            setattr(self, f"norm{k}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias,
                                                dtype=dtype))
        for k in range(1, n_norms + 1):
            setattr(self, f"dropout{k}", Dropout(dropout))
        act = _activation(name, activation)
        if isinstance(act, Module):
            self.activation = act
        else:
            self._act = act

    def _ff(self, x, drop):
        act = self.activation if isinstance(getattr(self, "activation", None), Module) else (
            self._act)
        return drop(self.linear2(self.dropout(act(self.linear1(x)))))

    def _clone(self):
        """A new layer with the same configuration and a copy of the weights."""
        new = type(self)(**self._config)
        new.load_state_dict({k: v.detach().clone() for k, v in self.state_dict().items()})
        return new


class TransformerEncoderLayer(_Block):
    """Self-attention + feed-forward block, as torch.nn.TransformerEncoderLayer.

    norm_first=False: x = norm1(x + SA(x)); x = norm2(x + FF(x)).
    norm_first=True:  x = x + SA(norm1(x)); x = x + FF(norm2(x)).
    FF(x) = linear2(dropout(activation(linear1(x)))).

    Args:
        d_model: model size. nhead: attention heads.
        dim_feedforward: hidden size of FF. Default 2048.
        dropout: dropout probability. Default 0.1.
        activation: 'relu', 'gelu' or a callable. Default 'relu'.
        layer_norm_eps: Default 1e-5.
        batch_first: (N, L, E) instead of (L, N, E). Default False.
        norm_first: pre-LN instead of post-LN. Default False.
        bias: biases in the linear layers and LayerNorms. Default True.

    Shape:
        src (L, N, E) or (N, L, E) with batch_first, or (L, E) -> same shape.
        forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False); masks as
        MultiheadAttention.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
        >>> layer(gb.randn(3, 5, 8)).shape
        (3, 5, 8)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device=None, dtype=None):
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                         batch_first, norm_first, bias, device, dtype, ("self_attn",))

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        x = src
        if self.norm_first:
            x = x + self._sa(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff(self.norm2(x), self.dropout2)
        else:
            x = self.norm1(x + self._sa(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff(x, self.dropout2))
        return x


class TransformerDecoderLayer(_Block):
    """Self-attention + cross-attention + feed-forward block, as torch.nn.TransformerDecoderLayer.

    norm_first=False: x = norm1(x + SA(x)); x = norm2(x + MHA(x, memory)); x = norm3(x + FF(x)).
    norm_first=True:  the same with each norm moved onto its branch input.

    Args:
        as TransformerEncoderLayer.

    Shape:
        tgt (T, N, E), memory (S, N, E) (N first with batch_first) -> (T, N, E).
        forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
        memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16)
        >>> layer(gb.randn(4, 2, 8), gb.randn(6, 2, 8)).shape
        (4, 2, 8)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device=None, dtype=None):
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                         batch_first, norm_first, bias, device, dtype,
                         ("self_attn", "multihead_attn"))

    def _mha(self, x, mem, mask, kpm, is_causal):
        out = self.multihead_attn(x, mem, mem, attn_mask=mask, key_padding_mask=kpm,
                                  need_weights=False, is_causal=is_causal)[0]
        return self.dropout2(out)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False):
        x = tgt
        if self.norm_first:
            x = x + self._sa(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha(self.norm2(x), memory, memory_mask, memory_key_padding_mask,
                              memory_is_causal)
            x = x + self._ff(self.norm3(x), self.dropout3)
        else:
            x = self.norm1(x + self._sa(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha(x, memory, memory_mask, memory_key_padding_mask,
                                         memory_is_causal))
            x = self.norm3(x + self._ff(x, self.dropout3))
        return x


class TransformerEncoder(Module):
    """A stack of num_layers copies of encoder_layer (then an optional norm), as torch.

    Args:
        encoder_layer: a TransformerEncoderLayer; each copy starts with its weights.
        num_layers: number of copies.
        norm: optional final module (e.g. LayerNorm). Default None.

    Shape:
        as TransformerEncoderLayer; forward(src, mask=None, src_key_padding_mask=None,
        is_causal=False).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), num_layers=2)
        >>> enc(gb.randn(5, 3, 8)).shape
        (5, 3, 8)
    """

    def __init__(self, encoder_layer, num_layers: int, norm=None, enable_nested_tensor=True,
                 mask_check=True):
        super().__init__()
        self.num_layers = check.positive_int(type(self).__name__, "num_layers", num_layers)
        self.layers = ModuleList([encoder_layer._clone() for _ in range(num_layers)])
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal: bool = False):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        return self.norm(x) if self.norm is not None else x


class TransformerDecoder(Module):
    """A stack of num_layers copies of decoder_layer (then an optional norm), as torch.

    Args:
        decoder_layer: a TransformerDecoderLayer; each copy starts with its weights.
        num_layers: number of copies.
        norm: optional final module. Default None.

    Shape:
        as TransformerDecoderLayer.

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), num_layers=2)
        >>> dec(gb.randn(4, 3, 8), gb.randn(6, 3, 8)).shape
        (4, 3, 8)
    """

    def __init__(self, decoder_layer, num_layers: int, norm=None):
        super().__init__()
        self.num_layers = check.positive_int(type(self).__name__, "num_layers", num_layers)
        self.layers = ModuleList([decoder_layer._clone() for _ in range(num_layers)])
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False):
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        return self.norm(x) if self.norm is not None else x
