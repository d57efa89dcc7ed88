"""Adversarial robustness of the W2 CNN on MNIST-5k, before and after adversarial training.

    python examples/robustness.py            # full run: several minutes on 2 cores
    python examples/robustness.py --fast     # a smoke run in well under a minute

1. Train the W2 CNN (WORKLOADS.md) on 4,000 MNIST digits for 5 epochs.
2. Measure test accuracy clean and under FGSM and PGD at eps 0.05 / 0.1 / 0.2 (pixel units:
   images are in [0, 1] and the model sees them as they are).
3. Fine-tune the same model with `AdversarialTraining` (PGD, half of every batch attacked).
4. Measure again, write the numbers to runs/robustness/results.json and save the classic
   figure (original + perturbation = adversarial) to runs/robustness/adversarial_example.png.
"""

import argparse
import json
import os
import time

import numpy as np

import glassbox as gb
import glassbox.nn as nn
import glassbox.nn.functional as F
from glassbox.data import datasets
from glassbox.robust import AdversarialTraining, evaluate_robustness, fgsm, plot_adversarial_example
from glassbox.train import Trainer

EPSILONS = [0.05, 0.1, 0.2]


def w2_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def measure(model, test, pgd_steps, label):
    t = time.time()
    row = {"clean": evaluate_robustness(model, test, [0.0])[0.0]}
    row["fgsm"] = evaluate_robustness(model, test, EPSILONS, attack="fgsm")
    row["pgd"] = evaluate_robustness(model, test, EPSILONS, attack="pgd", steps=pgd_steps,
                                     seed=0)
    print(f"{label}: clean {row['clean']:.3f} | "
          + " | ".join(f"eps {e}: FGSM {row['fgsm'][e]:.3f} PGD {row['pgd'][e]:.3f}"
                       for e in EPSILONS) + f"  ({time.time() - t:.0f} s)", flush=True)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="tiny smoke run")
    parser.add_argument("--out", default="runs/robustness", help="output folder")
    parser.add_argument("--adv-epochs", type=int, default=6)
    parser.add_argument("--train-eps", type=float, default=0.15)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    gb.manual_seed(0)
    split = datasets.mnist5k()
    x_train, y_train, x_test, y_test = split
    epochs, adv_epochs, pgd_steps, train_steps = 5, args.adv_epochs, 20, 7
    if args.fast:
        x_train, y_train = x_train[:1000], y_train[:1000]
        x_test, y_test = x_test[:200], y_test[:200]
        epochs, adv_epochs, pgd_steps, train_steps = 1, 1, 3, 2
    test = (x_test, y_test)

    model = w2_cnn()
    trainer = Trainer(model, F.cross_entropy, gb.optim.Adam(model.parameters(), lr=1e-3))
    t = time.time()
    trainer.fit((x_train, y_train), epochs=epochs, batch_size=64, verbose=0)
    print(f"trained {epochs} epochs in {time.time() - t:.0f} s", flush=True)
    before = measure(model, test, pgd_steps, "before adversarial training")

    # the figure: the first test digit FGSM flips at the smallest eps of the list
    chosen = None
    for eps in EPSILONS:
        x_adv = fgsm(model, x_test[:64], y_test[:64], eps)
        with gb.no_grad():
            pred = model(gb.tensor(x_adv)).argmax(dim=1).numpy()
            clean = model(gb.tensor(x_test[:64])).argmax(dim=1).numpy()
        flipped = np.flatnonzero((pred != y_test[:64]) & (clean == y_test[:64]))
        if len(flipped):
            chosen = (flipped[0], eps, x_adv[flipped[0]])
            break
    if chosen is None:
        chosen = (0, EPSILONS[-1], x_adv[0])
    i, eps, adv = chosen
    figure = os.path.join(args.out, "adversarial_example.png")
    plot_adversarial_example(model, x_test[i], adv, path=figure)
    print(f"figure (test digit {i}, FGSM eps {eps}): {figure}", flush=True)

    trainer = Trainer(model, F.cross_entropy, gb.optim.Adam(model.parameters(), lr=1e-3))
    t = time.time()
    adv = AdversarialTraining(eps=args.train_eps, attack="pgd", fraction=0.5,
                              steps=train_steps, seed=0)
    trainer.fit((x_train, y_train), epochs=adv_epochs, batch_size=64, verbose=0,
                callbacks=[adv])
    print(f"adversarial training: {adv_epochs} epochs, PGD eps {args.train_eps}, "
          f"{train_steps} steps, half of each batch, in {time.time() - t:.0f} s", flush=True)
    after = measure(model, test, pgd_steps, "after adversarial training")

    results = {"epsilons": EPSILONS, "pgd_steps": pgd_steps, "train_eps": args.train_eps,
               "adv_epochs": adv_epochs, "fast": args.fast, "before": before, "after": after,
               "figure": figure}
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2, default=str)
    gb.save(model.state_dict(), os.path.join(args.out, "w2_adversarially_trained.safetensors"))


if __name__ == "__main__":
    main()
