"""glassbox.nn.functional (usually imported as F): network ops named and defined as in
torch.nn.functional. Each name here is implemented in glassbox.ops; this module gathers them.
"""

# --- activations (ops/elementwise.py, ops/reduce.py) ---------------------------------------------
from glassbox.ops.elementwise import elu, gelu, leaky_relu, relu, sigmoid, silu, softplus, tanh  # noqa: F401

# --- reductions used as activations (ops/reduce.py) ----------------------------------------------

# --- shape (ops/shape.py) ------------------------------------------------------------------------

# --- indexing (ops/index.py) ---------------------------------------------------------------------

# --- convolution and pooling (ops/conv.py) -------------------------------------------------------

# --- fused layers: linear, dropout, embedding, attention (ops/fused.py) --------------------------

# --- normalisation (ops/norm.py) -----------------------------------------------------------------

# --- losses and similarities (ops/loss.py) -------------------------------------------------------
