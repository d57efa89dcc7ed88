"""glassbox.optim: optimizers, learning-rate schedulers (glassbox.optim.lr_scheduler).

Gradient clipping is in glassbox.nn.utils (clip_grad_norm_, clip_grad_value_), as in PyTorch.
"""

from glassbox.optim import lr_scheduler  # noqa: F401
from glassbox.optim.adagrad import Adagrad  # noqa: F401
from glassbox.optim.adam import Adam, AdamW  # noqa: F401
from glassbox.optim.optimizer import Optimizer  # noqa: F401
from glassbox.optim.rmsprop import RMSprop  # noqa: F401
from glassbox.optim.sgd import SGD  # noqa: F401
