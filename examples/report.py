"""One command, one file: train the W2 CNN on MNIST-5k and write its HTML report.

The report (a single self-contained .html) holds the training curves, the confusion matrix with
per-class precision/recall/F1, the most confused digits, saliency and integrated-gradient maps,
activations, filters and linear-probe accuracy by layer, an adversarial example with the
robustness curve, and the compression table (int8, and half the conv channels pruned and
fine-tuned).

    python examples/report.py                 # W2, 4 epochs -> glassbox_report.html
    python examples/report.py --fast          # small and quick
    python examples/report.py --out my.html --threads 1
"""

from __future__ import annotations

import os
import sys

if "--threads" in sys.argv:  # BLAS reads these once, when NumPy is first imported
    _n = sys.argv[sys.argv.index("--threads") + 1]
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _n

import argparse

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn
from glassbox.compress import compression_report, prune_channels, quantize
from glassbox.data import datasets
from glassbox.report import build_report
from glassbox.train import Trainer


def w2():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="small data, 1 epoch")
    parser.add_argument("--out", default="glassbox_report.html", help="the HTML file to write")
    parser.add_argument("--threads", help="BLAS threads (set before NumPy loads)")
    args = parser.parse_args()
    gb.manual_seed(0)
    d = datasets.mnist5k()
    n, epochs = (800, 1) if args.fast else (len(d.x_train), 4)
    x, y = d.x_train[:n], d.y_train[:n]
    model = w2()
    fit = Trainer(model, F.cross_entropy, gb.optim.Adam(model.parameters(), lr=1e-3)).fit
    history = fit((x, y), epochs=epochs, batch_size=64, validation_split=0.1, verbose=0)
    pruned = prune_channels(model, amount=0.5)
    Trainer(pruned, F.cross_entropy, gb.optim.Adam(pruned.parameters(), lr=1e-3)).fit(
        (x, y), epochs=1 if args.fast else 3, batch_size=64, verbose=0)
    test = (d.x_test[:300], d.y_test[:300]) if args.fast else (d.x_test, d.y_test)
    table = compression_report(model, test, {
        "int8 static": quantize(model, x[:512]),
        "50% conv channels pruned + fine-tuned": pruned,
        "pruned + int8": quantize(pruned, x[:512]),
    }, repeats=3 if args.fast else 20)
    print(table.to_markdown())
    path = build_report(model, (x, y, *test), args.out, history=history, compression=table,
                        max_eval=300 if args.fast else 1000, title="W2 CNN on MNIST-5k")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
