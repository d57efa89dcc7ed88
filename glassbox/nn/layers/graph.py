"""Graph layers: GCNConv, SAGEConv, GATConv and the global pools, by message passing.

Conventions follow PyTorch Geometric: node features x are (N, C); a graph is an edge_index of
shape (2, E) whose row 0 holds source nodes and row 1 target nodes, so a message flows along
each edge from edge_index[0, e] to edge_index[1, e]. A layer (1) transforms x, (2) gathers one
message per edge from its source (index_select), (3) weights it (normalisation or attention)
and (4) sums the messages arriving at each target (glassbox.ops.graph.scatter_*). Memory is
O(N + E): no dense N x N adjacency matrix is built. Parameter names match PyG's
(`lin.weight`, `bias`, `lin_l` / `lin_r`, `att_src` / `att_dst`).
"""

from __future__ import annotations

import math

import numpy as np

from glassbox.nn import functional as F
from glassbox.nn import init
from glassbox.nn.layers.linear import Linear
from glassbox.nn.module import Module
from glassbox.nn.parameter import Parameter
from glassbox.ops.graph import scatter_max, scatter_mean, scatter_softmax, scatter_sum
from glassbox.ops.index import index_select
from glassbox.tensor import Tensor, empty

__all__ = [
    "GATConv", "GCNConv", "SAGEConv", "add_self_loops", "gcn_norm", "global_add_pool",
    "global_max_pool", "global_mean_pool",
]


def _edges(edge_index, num_nodes: int, layer: str) -> np.ndarray:
    """edge_index as a (2, E) int64 ndarray, checked against num_nodes."""
    a = edge_index._data if isinstance(edge_index, Tensor) else np.asarray(edge_index)
    if a.ndim != 2 or a.shape[0] != 2 or a.dtype.kind not in "iu":
        raise ValueError(
            f"{layer}: edge_index must be an integer tensor of shape (2, E); received "
            f"shape {tuple(a.shape)} and dtype {a.dtype}"
        )
    if a.size and (a.min() < 0 or a.max() >= num_nodes):
        raise IndexError(
            f"{layer}: edge_index holds node {int(a.max()) if a.max() >= num_nodes else int(a.min())}"
            f" but x has only {num_nodes} nodes"
        )
    return a.astype(np.int64, copy=False)


def _node_features(x, channels: int, layer: str) -> None:
    if not isinstance(x, Tensor) or x.ndim != 2 or x.shape[1] != channels:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{layer}: expected x of shape (N, {channels}); received {shape}")


def add_self_loops(edge_index, num_nodes: int) -> np.ndarray:
    """Drop any existing self loops, then add exactly one loop i -> i for every node.

    Args:
        edge_index: (2, E) int array or Tensor.
        num_nodes: N.

    Returns:
        (2, E' + N) int64 ndarray, the loops last.

    Example:
        >>> from glassbox.nn.layers.graph import add_self_loops
        >>> add_self_loops([[0, 1, 1], [1, 0, 1]], 2).tolist()
        [[0, 1, 0, 1], [1, 0, 0, 1]]
    """
    ei = _edges(edge_index, num_nodes, "add_self_loops")
    keep = ei[:, ei[0] != ei[1]]
    loops = np.arange(num_nodes, dtype=np.int64)
    return np.concatenate([keep, np.stack([loops, loops])], axis=1)


def gcn_norm(edge_index, num_nodes: int, add_loops: bool = True):
    """Edge weights of the symmetric normalisation D^-1/2 (A + I) D^-1/2.

    The degree of node i counts the edges into i (its row of A + I); the weight of edge
    j -> i is deg(j)^-1/2 deg(i)^-1/2. A node with no incoming edge has weight 0, not inf.

    Args:
        edge_index: (2, E) int array or Tensor.
        num_nodes: N.
        add_loops: add self loops first (default True).

    Returns:
        (edge_index (2, E') int64 ndarray, weight (E',) float64 ndarray).

    Example:
        >>> from glassbox.nn.layers.graph import gcn_norm
        >>> ei, w = gcn_norm([[0, 1], [1, 0]], 2)
        >>> [round(v, 3) for v in w.tolist()]
        [0.5, 0.5, 0.5, 0.5]
    """
    ei = add_self_loops(edge_index, num_nodes) if add_loops else _edges(
        edge_index, num_nodes, "gcn_norm")
    deg = np.bincount(ei[1], minlength=num_nodes).astype(np.float64)
    inv_sqrt = np.zeros_like(deg)
    inv_sqrt[deg > 0] = deg[deg > 0] ** -0.5
    return ei, inv_sqrt[ei[0]] * inv_sqrt[ei[1]]


class GCNConv(Module):
    """Graph convolution (Kipf & Welling, 2017): X' = D^-1/2 (A + I) D^-1/2 X W^T + b.

    Each node averages its neighbours' transformed features (and its own, with the self
    loop), each weighted by 1 / sqrt(deg(source) deg(target)).

    Args:
        in_channels: C_in, features per node.
        out_channels: C_out.
        add_self_loops: add a loop i -> i to every node (default True).
        normalize: use the symmetric normalisation; False sums the messages (default True).
        bias: learn an additive bias (default True).

    Shape:
        x (N, C_in), edge_index (2, E) int -> (N, C_out).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> conv = nn.GCNConv(3, 4)
        >>> edge_index = gb.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
        >>> conv(gb.randn(3, 3), edge_index).shape
        (3, 4)
    """

    def __init__(self, in_channels: int, out_channels: int, add_self_loops: bool = True,
                 normalize: bool = True, bias: bool = True):
        super().__init__()
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.add_self_loops, self.normalize = bool(add_self_loops), bool(normalize)
        self.lin = Linear(in_channels, out_channels, bias=False)
        if bias:
            self.bias = Parameter(empty(out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot-uniform weight and zero bias, as PyG."""
        init.xavier_uniform_(self.lin.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x, edge_index):
        _node_features(x, self.in_channels, "GCNConv")
        n = x.shape[0]
        if self.normalize:
            ei, w = gcn_norm(edge_index, n, self.add_self_loops)
        else:
            ei = add_self_loops(edge_index, n) if self.add_self_loops else _edges(
                edge_index, n, "GCNConv")
            w = None
        h = self.lin(x)                                       # (N, C_out)
        msg = index_select(h, 0, Tensor._wrap(ei[0]))          # (E, C_out), from each source
        if w is not None:
            msg = msg * Tensor._wrap(w.astype(h.dtype)[:, None])
        out = scatter_sum(msg, ei[1], n)                       # (N, C_out), into each target
        return out + self.bias if self.bias is not None else out

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}"


class SAGEConv(Module):
    """GraphSAGE (Hamilton et al., 2017), mean aggregator: x'_i = W_l mean_j x_j + W_r x_i.

    Args:
        in_channels: C_in.
        out_channels: C_out.
        root_weight: add the node's own transformed features W_r x_i (default True).
        normalize: L2-normalise each output row (default False).
        bias: bias of the neighbour transform lin_l (default True).

    Shape:
        x (N, C_in), edge_index (2, E) int -> (N, C_out).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> conv = nn.SAGEConv(3, 4)
        >>> conv(gb.randn(3, 3), gb.tensor([[0, 1], [1, 2]])).shape
        (3, 4)
    """

    def __init__(self, in_channels: int, out_channels: int, root_weight: bool = True,
                 normalize: bool = False, bias: bool = True):
        super().__init__()
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.root_weight, self.normalize = bool(root_weight), bool(normalize)
        self.lin_l = Linear(in_channels, out_channels, bias=bias)
        if root_weight:
            self.lin_r = Linear(in_channels, out_channels, bias=False)
        else:
            self.lin_r = None

    def forward(self, x, edge_index):
        _node_features(x, self.in_channels, "SAGEConv")
        n = x.shape[0]
        ei = _edges(edge_index, n, "SAGEConv")
        neigh = scatter_mean(index_select(x, 0, Tensor._wrap(ei[0])), ei[1], n)  # (N, C_in)
        out = self.lin_l(neigh)
        if self.lin_r is not None:
            out = out + self.lin_r(x)
        if self.normalize:
            out = F.normalize(out, p=2.0, dim=-1)
        return out

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, aggr='mean'"


class GATConv(Module):
    """Graph attention (Velickovic et al., 2018): each node attends over its neighbours.

    Per head: h = W x; for an edge j -> i the logit is
    e_ij = LeakyReLU(a_src . h_j + a_dst . h_i), alpha_ij = softmax of e_ij over the edges into
    i (scatter_softmax), and x'_i = sum_j alpha_ij h_j. Heads are concatenated or averaged.

    Args:
        in_channels: C_in.
        out_channels: C, features per head.
        heads: number of attention heads H (default 1).
        concat: concatenate the heads to (N, H*C); False averages them to (N, C) (default True).
        negative_slope: LeakyReLU slope of the logits (default 0.2).
        dropout: dropout on the attention weights in training (default 0).
        add_self_loops: let every node attend to itself (default True).
        bias: learn an additive bias (default True).

    Shape:
        x (N, C_in), edge_index (2, E) int -> (N, H*C) if concat else (N, C).
        With return_attention_weights=True also returns (edge_index (2, E'), alpha (E', H)).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> conv = nn.GATConv(3, 4, heads=2)
        >>> out, (ei, alpha) = conv(gb.randn(3, 3), gb.tensor([[0, 1], [1, 2]]),
        ...                         return_attention_weights=True)
        >>> out.shape, alpha.shape
        ((3, 8), (5, 2))
    """

    def __init__(self, in_channels: int, out_channels: int, heads: int = 1, concat: bool = True,
                 negative_slope: float = 0.2, dropout: float = 0.0, add_self_loops: bool = True,
                 bias: bool = True):
        super().__init__()
        if int(heads) < 1:
            raise ValueError(f"GATConv: heads must be >= 1, got {heads}")
        self.in_channels, self.out_channels, self.heads = int(in_channels), int(out_channels), int(heads)
        self.concat, self.negative_slope = bool(concat), float(negative_slope)
        self.dropout, self.add_self_loops = float(dropout), bool(add_self_loops)
        self.lin = Linear(in_channels, heads * out_channels, bias=False)
        self.att_src = Parameter(empty(1, heads, out_channels))
        self.att_dst = Parameter(empty(1, heads, out_channels))
        if bias:
            self.bias = Parameter(empty(heads * out_channels if concat else out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot-uniform weights and attention vectors, zero bias, as PyG."""
        init.xavier_uniform_(self.lin.weight)
        for att in (self.att_src, self.att_dst):
            bound = math.sqrt(6.0 / (self.heads + self.out_channels))
            init.uniform_(att, -bound, bound)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x, edge_index, return_attention_weights: bool = False):
        _node_features(x, self.in_channels, "GATConv")
        n, H, C = x.shape[0], self.heads, self.out_channels
        ei = add_self_loops(edge_index, n) if self.add_self_loops else _edges(
            edge_index, n, "GATConv")
        src, dst = Tensor._wrap(ei[0]), Tensor._wrap(ei[1])
        h = self.lin(x).view(n, H, C)                          # (N, H, C)
        a_src = (h * self.att_src).sum(-1)                     # (N, H)
        a_dst = (h * self.att_dst).sum(-1)                     # (N, H)
        logits = F.leaky_relu(index_select(a_src, 0, src) + index_select(a_dst, 0, dst),
                              self.negative_slope)             # (E, H)
        alpha = scatter_softmax(logits, ei[1], n)              # (E, H), sums to 1 per target
        weights = F.dropout(alpha, self.dropout, self.training) if self.dropout else alpha
        msg = index_select(h, 0, src) * weights.unsqueeze(-1)  # (E, H, C)
        out = scatter_sum(msg, ei[1], n)                       # (N, H, C)
        out = out.reshape(n, H * C) if self.concat else out.mean(1)
        if self.bias is not None:
            out = out + self.bias
        if return_attention_weights:
            return out, (Tensor._wrap(ei), alpha)
        return out

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, heads={self.heads}"


def _batch(x, batch, op: str) -> tuple[np.ndarray, int]:
    if not isinstance(x, Tensor) or x.ndim < 1:
        raise ValueError(f"{op}: x must be a tensor of shape (N, C); received {x!r}")
    if batch is None:
        return np.zeros(x.shape[0], dtype=np.int64), 1
    b = batch._data if isinstance(batch, Tensor) else np.asarray(batch)
    if b.ndim != 1 or b.shape[0] != x.shape[0]:
        raise ValueError(
            f"{op}: batch must be (N,) with one graph id per node; received batch of shape "
            f"{tuple(b.shape)} for x of shape {tuple(x.shape)}"
        )
    return b.astype(np.int64), int(b.max()) + 1 if b.size else 0


def global_add_pool(x, batch=None, size: int | None = None) -> Tensor:
    """Sum the node features of each graph in a batch of graphs.

    Args:
        x: (N, C) node features.
        batch: (N,) graph id of every node, in [0, B); None means one graph.
        size: number of graphs B (default batch.max() + 1).

    Shape:
        (N, C) -> (B, C).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.global_add_pool(gb.tensor([[1.0], [2.0], [4.0]]), gb.tensor([0, 0, 1])).tolist()
        [[3.0], [4.0]]
    """
    b, n = _batch(x, batch, "global_add_pool")
    return scatter_sum(x, b, size or n)


def global_mean_pool(x, batch=None, size: int | None = None) -> Tensor:
    """Average the node features of each graph in a batch of graphs.

    Args:
        x: (N, C) node features.
        batch: (N,) graph id of every node; None means one graph.
        size: number of graphs B (default batch.max() + 1).

    Shape:
        (N, C) -> (B, C).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.global_mean_pool(gb.tensor([[1.0], [2.0], [4.0]]), gb.tensor([0, 0, 1])).tolist()
        [[1.5], [4.0]]
    """
    b, n = _batch(x, batch, "global_mean_pool")
    return scatter_mean(x, b, size or n)


def global_max_pool(x, batch=None, size: int | None = None) -> Tensor:
    """Elementwise max of the node features of each graph in a batch of graphs.

    Args:
        x: (N, C) node features.
        batch: (N,) graph id of every node; None means one graph.
        size: number of graphs B (default batch.max() + 1).

    Shape:
        (N, C) -> (B, C).

    Example:
        >>> import glassbox as gb, glassbox.nn as nn
        >>> nn.global_max_pool(gb.tensor([[1.0], [2.0], [4.0]]), gb.tensor([0, 0, 1])).tolist()
        [[2.0], [4.0]]
    """
    b, n = _batch(x, batch, "global_max_pool")
    return scatter_max(x, b, size or n)
