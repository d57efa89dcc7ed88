"""Embedding: a table of learned vectors looked up by integer index (words, tokens, ids).

Looking up row i is the same as multiplying a one-hot vector by the table, so the gradient of
a lookup adds the output gradient into the rows that were read (F.embedding does that with a
scatter-add, ops/fused.py). A padding row (padding_idx) starts at zero and gets no gradient.
"""

from __future__ import annotations

import numpy as np

from glassbox.nn import functional as F
from glassbox.nn import init
from glassbox.nn.layers import _checks as check
from glassbox.nn.module import Module
from glassbox.nn.parameter import Parameter
from glassbox.tensor import Tensor, empty

__all__ = ["Embedding", "embedding_renorm_"]


def embedding_renorm_(weight: Tensor, indices: Tensor, max_norm: float,
                      norm_type: float = 2.0) -> Tensor:
    """Rescale, in place and outside the graph, the rows of `weight` that `indices` names
    whose p-norm exceeds max_norm, to norm max_norm (as torch.embedding_renorm_).

    Example:
        >>> import glassbox as gb
        >>> from glassbox.nn.layers.embedding import embedding_renorm_
        >>> w = gb.tensor([[3.0, 4.0], [0.3, 0.4]])
        >>> embedding_renorm_(w, gb.tensor([0, 1]), max_norm=1.0).tolist()
        [[0.6000000238418579, 0.800000011920929], [0.30000001192092896, 0.4000000059604645]]
    """
    w = weight._data
    rows = np.unique(indices._data.reshape(-1))
    rows = rows[(rows >= 0) & (rows < w.shape[0])]  # bad indices are F.embedding's to report
    norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        # the 1e-7 is torch's, so the rescaled norm lands just under max_norm
        scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
        w[rows[big]] *= scale[:, None]
        weight._version[0] += 1
    return weight


class Embedding(Module):
    """A lookup table of num_embeddings vectors of size embedding_dim.

    Args:
        num_embeddings: size of the vocabulary (rows of the table).
        embedding_dim: size of each vector.
        padding_idx: a row (negative counts from the end) initialised to zero and never
            updated: its gradient is always zero. Default None.
        max_norm: if given, each looked-up row whose norm exceeds it is rescaled in place to
            norm max_norm before the lookup. Default None.
        norm_type: the p of the p-norm for max_norm. Default 2.0.
        scale_grad_by_freq: not supported (must be False).
        sparse: not supported (must be False).
        device: only None or 'cpu'. Default None.
        dtype: weight dtype. Default the default float dtype (float32).

    Shape:
        (*) int64 indices -> (*, embedding_dim).

    Attributes:
        weight: (num_embeddings, embedding_dim), initialised N(0, 1) (as torch).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> emb = nn.Embedding(10, 3, padding_idx=0)
        >>> emb
        Embedding(10, 3, padding_idx=0)
        >>> emb(gb.tensor([[0, 2, 4]])).shape, emb.weight[0].tolist()
        ((1, 3, 3), [0.0, 0.0, 0.0])
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False, _weight=None,
                 _freeze: bool = False, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        self.num_embeddings = check.positive_int(name, "num_embeddings", num_embeddings)
        self.embedding_dim = check.positive_int(name, "embedding_dim", embedding_dim)
        if padding_idx is not None:
            n = self.num_embeddings
            if not check._is_int(padding_idx) or not -n <= padding_idx < n:
                raise ValueError(f"{name}: padding_idx must be an int within num_embeddings "
                                 f"(in [{-n}, {n - 1}]), received padding_idx={padding_idx!r}")
            padding_idx = int(padding_idx) % n
        self.padding_idx = padding_idx
        if max_norm is not None:
            check.real(name, "max_norm", max_norm, low=0.0, low_open=True)
        self.max_norm = max_norm
        self.norm_type = check.real(name, "norm_type", norm_type, low=0.0, low_open=True)
        for what, value in (("scale_grad_by_freq", scale_grad_by_freq), ("sparse", sparse)):
            if check.flag(name, what, value):
                raise NotImplementedError(f"{name}: {what}=True is not supported")
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            dtype = check.float_dtype(name, dtype, device)
            self.weight = Parameter(empty(*shape, dtype=dtype), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != shape:
                raise ValueError(f"{name}: _weight must have shape (num_embeddings, "
                                 f"embedding_dim)={shape}, received {tuple(_weight.shape)}")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """Redraw the table from N(0, 1) and zero the padding row."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx=None, max_norm=None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An Embedding whose table is `embeddings` (2-D, shared, not copied); frozen by
        default."""
        if not isinstance(embeddings, Tensor) or embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be a 2-D Tensor, got "
                             f"{getattr(embeddings, 'shape', type(embeddings).__name__)}")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)

    def forward(self, input):
        if not isinstance(input, Tensor):
            raise check.bad_input(input, "(*) of int64 indices")
        if self.max_norm is not None and input.dtype.kind in "iu":
            embedding_renorm_(self.weight, input, self.max_norm, self.norm_type)
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        return s
