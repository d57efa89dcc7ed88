"""glassbox.optim: optimizers, learning-rate schedulers (glassbox.optim.lr_scheduler).

Gradient clipping is in glassbox.nn.utils (clip_grad_norm_, clip_grad_value_), as in PyTorch.
"""

from glassbox.optim import lr_scheduler
from glassbox.optim.adagrad import Adagrad
from glassbox.optim.adam import Adam, AdamW
from glassbox.optim.optimizer import Optimizer
from glassbox.optim.rmsprop import RMSprop
from glassbox.optim.sgd import SGD
