"""glassbox.nn: modules (layers, containers, losses), parameters, initialisation, F."""

from glassbox.nn import functional, init  # noqa: F401
from glassbox.nn import utils  # noqa: F401  (clip_grad_norm_, clip_grad_value_)
from glassbox.nn.containers import ModuleDict, ModuleList, Sequential  # noqa: F401
from glassbox.nn.module import Module, RemovableHandle  # noqa: F401
from glassbox.nn.parameter import Parameter  # noqa: F401

# --- layers (glassbox/nn/layers/) ------------------------------------------------------------------
from glassbox.nn.layers import *  # noqa: E402,F401,F403  (every layer, loss and activation)
from glassbox.nn.layers.graph import (  # noqa: E402,F401  (graph layers and pools)
    GATConv, GCNConv, SAGEConv, global_add_pool, global_max_pool, global_mean_pool,
)
