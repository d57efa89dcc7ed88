"""glassbox: a deep-learning framework on NumPy in which every part can be looked at.

    import glassbox as gb
    x = gb.randn(64, 784)
    w = gb.randn(784, 10, requires_grad=True)
    loss = (x @ w).relu().mean()
    loss.backward()
"""

from glassbox import tensor as _tensor  # first: it imports autograd, then the ops
from glassbox import autograd
from glassbox.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from glassbox.backend import (
    bool_ as bool,
    default_generator,
    float16,
    float32,
    float64,
    get_default_dtype,
    get_num_threads,
    get_rng_state,
    int8,
    int16,
    int32,
    int64,
    manual_seed,
    set_default_dtype,
    set_num_threads,
    set_rng_state,
    uint8,
)
from glassbox.ops.elementwise import *
from glassbox.ops.index import *
from glassbox.ops.linalg import *
from glassbox.ops.reduce import *
from glassbox.ops.shape import *
from glassbox.tensor import (
    Tensor,
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    is_tensor,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)

# The floors above the ops, in import order (each builds on the ones before it).
from glassbox import nn
from glassbox import optim
from glassbox import io  # safetensors is imported only when a file is used
from glassbox import train
from glassbox.io import load, load_checkpoint, save, save_checkpoint
from glassbox.nn.summary import summary
from glassbox.profiler import profile
from glassbox.capture import GraphCaptureError, capture

# PyTorch's dtype aliases (they shadow the builtins only inside this namespace, as in torch)
half, float, double = float16, float32, float64
short, int, long = int16, int32, int64

__version__ = "0.1.0"
