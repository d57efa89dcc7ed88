"""Helpers shared by the train/ tests: weight snapshots and a callback that records them."""

from glassbox.train import Callback


def weights_of(model) -> dict:
    """A copy of the model's state_dict as arrays (a snapshot that later steps do not touch)."""
    return {k: v._data.copy() for k, v in model.state_dict().items()}


def same_weights(a, b) -> bool:
    """Bit-for-bit equality of two weight snapshots."""
    return a.keys() == b.keys() and all(a[k].tobytes() == b[k].tobytes() for k in a)


class RecordWeights(Callback):
    """Keeps a copy of the weights at the end of every epoch."""

    def __init__(self):
        super().__init__()
        self.by_epoch = {}

    def on_epoch_end(self, epoch, logs=None):
        self.by_epoch[epoch] = weights_of(self.model)
