"""glassbox.train: Keras-style training -- Trainer (fit / evaluate / predict), callbacks,
History and metrics.

    from glassbox.train import Trainer, EarlyStopping
    trainer = Trainer(model, F.cross_entropy, optimizer, metrics=("accuracy",))
    history = trainer.fit((x, y), validation_split=0.2, epochs=20,
                          callbacks=[EarlyStopping(patience=3)])
"""

from glassbox.train import callbacks, metrics
from glassbox.train.callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    LRSchedulerCallback,
    ModelCheckpoint,
    ProgressBar,
)
from glassbox.train.history import History
from glassbox.train.trainer import Trainer

__all__ = [
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LRSchedulerCallback",
    "ModelCheckpoint",
    "ProgressBar",
    "Trainer",
    "callbacks",
    "metrics",
]
