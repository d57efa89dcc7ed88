"""glassbox.nn: modules (layers, containers, losses), parameters, initialisation, F."""

from glassbox.nn import functional, init
from glassbox.nn import utils  # clip_grad_norm_, clip_grad_value_
from glassbox.nn.containers import ModuleDict, ModuleList, Sequential
from glassbox.nn.module import Module, RemovableHandle
from glassbox.nn.parameter import Parameter

# --- layers (glassbox/nn/layers/) ------------------------------------------------------------------
from glassbox.nn.layers import *  # every layer, loss and activation
from glassbox.nn.layers.graph import (  # graph layers and pools
    GATConv, GCNConv, SAGEConv, global_add_pool, global_max_pool, global_mean_pool,
)
