"""A real training run for the kill-and-resume test (tests/train/test_resume.py).

    python resume_script.py OUT_DIR EPOCHS [--resume CKPT] [--slow SECONDS]

Trains an MLP with dropout and batch norm on scikit-learn's digits with AdamW, a StepLR
schedule, shuffling and a validation split, writing a checkpoint after every epoch
(OUT_DIR/ckpt-XX.safetensors), a CSV log, and at the end the final weights
(OUT_DIR/final.safetensors). --slow sleeps after every batch so that the test can kill the
process in the middle of an epoch; it changes nothing in the numbers.
"""

import argparse
import json
import os
import time

import glassbox as gb
import glassbox.data
import glassbox.nn.functional as F
from glassbox import nn
from glassbox.optim.lr_scheduler import StepLR
from glassbox.train import Callback, CSVLogger, ModelCheckpoint, Trainer


class Slow(Callback):
    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def on_batch_end(self, batch, logs=None):
        time.sleep(self.seconds)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("epochs", type=int)
    parser.add_argument("--resume", default=None)
    parser.add_argument("--slow", type=float, default=0.0)
    args = parser.parse_args()

    gb.manual_seed(1234)
    split = gb.data.datasets.digits()
    x, y = split.x_train[:800], split.y_train[:800]
    model = nn.Sequential(nn.Linear(64, 48), nn.BatchNorm1d(48), nn.ReLU(), nn.Dropout(0.3),
                          nn.Linear(48, 10))
    optimizer = gb.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    scheduler = StepLR(optimizer, step_size=2, gamma=0.7)
    trainer = Trainer(model, F.cross_entropy, optimizer, metrics=("accuracy",),
                      scheduler=scheduler)
    callbacks = [
        ModelCheckpoint(os.path.join(args.out, "ckpt-{epoch:02d}.safetensors"),
                        save_best_only=False),
        CSVLogger(os.path.join(args.out, "log.csv")),
    ]
    if args.slow:
        callbacks.append(Slow(args.slow))
    history = trainer.fit((x, y), validation_split=0.25, epochs=args.epochs, batch_size=32,
                          callbacks=callbacks, verbose=0, resume_from=args.resume)
    gb.save(model.state_dict(), os.path.join(args.out, "final.safetensors"))
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump(history.history, f)


if __name__ == "__main__":
    main()
