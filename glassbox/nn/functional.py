"""glassbox.nn.functional (usually imported as F): network ops named and defined as in
torch.nn.functional. Each name here is implemented in glassbox.ops; this module gathers them.
"""

# --- activations (ops/elementwise.py, ops/reduce.py) ---------------------------------------------
from glassbox.ops.elementwise import elu, gelu, leaky_relu, relu, sigmoid, silu, softplus, tanh

# --- reductions used as activations (ops/reduce.py) ----------------------------------------------
from glassbox.ops.reduce import log_softmax, softmax

# --- shape (ops/shape.py) ------------------------------------------------------------------------
from glassbox.ops.shape import pad

# --- indexing (ops/index.py) ---------------------------------------------------------------------
from glassbox.ops.index import one_hot

# --- convolution and pooling (ops/conv.py) -------------------------------------------------------
from glassbox.ops.conv import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv_transpose1d,
    conv_transpose2d,
    max_pool1d,
    max_pool2d,
)

# --- fused layers: linear, dropout, embedding, attention (ops/fused.py) --------------------------
from glassbox.ops.fused import (
    dropout,
    dropout2d,
    embedding,
    linear,
    scaled_dot_product_attention,
)

# --- normalisation (ops/norm.py) -----------------------------------------------------------------
from glassbox.ops.norm import batch_norm, group_norm, layer_norm

# --- losses and similarities (ops/loss.py) -------------------------------------------------------
from glassbox.ops.fused import cosine_similarity, normalize
from glassbox.ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)

# --- composed from the ops above (nn/layers/linear.py) -------------------------------------------
from glassbox.nn.layers.linear import bilinear
