"""Small tabular tasks with glassbox's Trainer: digits classification and diabetes regression.

digits (scikit-learn, 8x8 images as 64 features): an MLP 64-128-10 with ReLU and dropout,
AdamW, 40 epochs; test accuracy on the 20% held out.

diabetes (scikit-learn, 10 standardised features -> disease progression): a linear model and
a small MLP 10-32-1 with weight decay, both trained with MSE on standardised targets (AdamW)
with early stopping on a validation split; test R^2 (1 = perfect, 0 = predicting the mean).

    python examples/tabular.py [--seed 0] [--fast]
"""

from __future__ import annotations

import _common

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn
from glassbox.data import datasets
from glassbox.train import EarlyStopping, Trainer, metrics


def digits(epochs: int, seed: int) -> float:
    data = datasets.digits()
    gb.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
    trainer = Trainer(model, F.cross_entropy,
                      gb.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2))
    trainer.fit((data.x_train, data.y_train), epochs=epochs, batch_size=32, verbose=0)
    acc = trainer.evaluate((data.x_test, data.y_test))["accuracy"]
    print(f"digits: MLP 64-128-10, {len(data.y_train)} train / {len(data.y_test)} test, "
          f"{epochs} epochs: test accuracy {acc:.2%}")
    return acc


def diabetes(epochs: int, seed: int) -> dict:
    data = datasets.diabetes()
    # Standardise the target with the training split's statistics: MSE on raw scores in the
    # hundreds would need a tiny learning rate. Predictions are mapped back before scoring.
    mean, std = data.y_train.mean(), data.y_train.std()
    y_train = ((data.y_train - mean) / std).reshape(-1, 1)
    scores = {}
    for name, make, wd in (
        ("linear", lambda: nn.Linear(10, 1), 0.0),
        ("mlp", lambda: nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 1)), 1e-1),
    ):
        gb.manual_seed(seed)
        model = make()
        trainer = Trainer(model, F.mse_loss, gb.optim.AdamW(model.parameters(), lr=1e-2,
                                                             weight_decay=wd), metrics=())
        # the last 20% of the training split is held out to stop before the MLP overfits
        stop = EarlyStopping(monitor="val_loss", patience=10)
        trainer.fit((data.x_train, y_train), validation_split=0.2, epochs=epochs, batch_size=32,
                    callbacks=[stop], verbose=0)
        pred = trainer.predict(data.x_test).numpy().reshape(-1) * std + mean
        scores[name] = metrics.r2(pred, data.y_test)
        print(f"diabetes: {name:6s} {len(data.y_train)} train / {len(data.y_test)} test, "
              f"stopped after {len(trainer.history.epoch)} epochs: test R^2 {scores[name]:.3f}")
    return scores


def main():
    args = _common.parser(__doc__).parse_args()
    fast = args.fast
    acc = digits(5 if fast else 40, args.seed)
    r2 = diabetes(10 if fast else 100, args.seed)
    _common.report("digits_test_accuracy", acc)
    _common.report("diabetes_linear_r2", r2["linear"])
    _common.report("diabetes_mlp_r2", r2["mlp"])


if __name__ == "__main__":
    main()
