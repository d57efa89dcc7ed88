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
import glassbox.nn.functional as F
from glassbox import nn
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


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def save_figure(model, x, y, path, eps=0.1):
    """FGSM on a batch; draw the flipped digit whose clean and adversarial predictions are
    both the most confident (the panda-to-gibbon look: sure before, sure and wrong after)."""
    x_adv = fgsm(model, x, y, eps)
    with gb.no_grad():
        p_clean = _softmax(model(gb.tensor(x)).numpy())
        p_adv = _softmax(model(gb.tensor(x_adv)).numpy())
    flipped = (p_clean.argmax(1) == y) & (p_adv.argmax(1) != y)
    score = np.where(flipped, np.minimum(p_clean.max(1), p_adv.max(1)), -1.0)
    i = int(score.argmax())
    plot_adversarial_example(model, x[i], x_adv[i], path=path)
    return i, eps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="tiny smoke run")
    parser.add_argument("--out", default="runs/robustness", help="output folder")
    parser.add_argument("--adv-epochs", type=int, default=6)
    parser.add_argument("--train-eps", type=float, default=0.15)
    parser.add_argument("--figure-only", action="store_true",
                        help="train the clean model, save the figure, stop")
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
    figure = os.path.join(args.out, "adversarial_example.png")
    i, eps = save_figure(model, x_test[:256], y_test[:256], figure)
    print(f"figure (test digit {i}, FGSM eps {eps}): {figure}", flush=True)
    if args.figure_only:
        return
    before = measure(model, test, pgd_steps, "before adversarial training")

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
