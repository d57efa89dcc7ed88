"""glassbox: a deep-learning framework on NumPy in which every part can be looked at.

    import glassbox as gb
    x = gb.randn(64, 784)
    w = gb.randn(784, 10, requires_grad=True)
    loss = (x @ w).relu().mean()
    loss.backward()
"""

from glassbox import tensor as _tensor  # noqa: F401  (first: it imports autograd, then the ops)
from glassbox import autograd  # noqa: F401
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
from glassbox.ops.elementwise import *  # noqa: F401,F403
from glassbox.ops.index import *  # noqa: F401,F403
from glassbox.ops.linalg import *  # noqa: F401,F403
from glassbox.ops.reduce import *  # noqa: F401,F403
from glassbox.ops.shape import *  # noqa: F401,F403
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
from glassbox import nn  # noqa: E402,F401
from glassbox import optim  # noqa: E402,F401
from glassbox import io  # noqa: E402,F401  (safetensors is imported only when a file is used)
from glassbox import train  # noqa: E402,F401
from glassbox.io import load, load_checkpoint, save, save_checkpoint  # noqa: E402,F401
from glassbox.nn.summary import summary  # noqa: E402,F401
from glassbox.profiler import profile  # noqa: E402,F401
from glassbox.capture import GraphCaptureError, capture  # noqa: E402,F401

# PyTorch's dtype aliases (they shadow the builtins only inside this namespace, as in torch)
half, float, double = float16, float32, float64
short, int, long = int16, int32, int64

__version__ = "0.1.0"
