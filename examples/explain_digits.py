"""Which pixels did the network look at? Saliency, integrated gradients and occlusion on digits.

Trains a small MLP on scikit-learn's 8x8 digits, then explains its predictions for a few test
images three ways (glassbox.explain, Captum's names):

* Saliency: |d score / d pixel|, one backward pass.
* Integrated gradients: the gradient averaged along the straight path from a black image to
  the input, times the input's difference from black. Its attributions add up to
  score(input) - score(black image) -- the "completeness" check printed below.
* Occlusion: how much the score drops when a 2x2 patch is blacked out.

Then a deletion test: blacking out the 8 pixels integrated gradients ranks highest should
lower the predicted class's probability more than blacking out 8 random lit pixels.
Saves the maps to explain_digits.png.

    python examples/explain_digits.py [--epochs 20] [--seed 0] [--fast] [--out DIR]
"""

from __future__ import annotations

import os

import _common
import numpy as np

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn
from glassbox.data import datasets
from glassbox.explain import IntegratedGradients, Occlusion, Saliency, plot_attributions
from glassbox.train import Trainer


def train(data, epochs: int, seed: int):
    gb.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    Trainer(model, F.cross_entropy, gb.optim.Adam(model.parameters(), lr=3e-3)).fit(
        (data.x_train, data.y_train), epochs=epochs, batch_size=32, verbose=0)
    return model.eval()


def probability_of(model, x: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Softmax probability of `classes[i]` for each input x[i]."""
    with gb.no_grad():
        probs = F.softmax(model(gb.tensor(x)), dim=1).numpy()
    return probs[np.arange(len(x)), classes]


def deletion_test(model, x, predicted, ranking, k: int, seed: int) -> tuple[float, float]:
    """Mean drop in the predicted class's probability after blacking out k pixels:
    the k the ranking puts first, and k random lit pixels."""
    rng = np.random.default_rng(seed)
    base = probability_of(model, x, predicted)
    top, rand = x.copy(), x.copy()
    for i in range(len(x)):
        top[i, np.argsort(-ranking[i])[:k]] = 0.0
        lit = np.flatnonzero(x[i] > 0)
        rand[i, rng.choice(lit, size=min(k, len(lit)), replace=False)] = 0.0
    return (float(np.mean(base - probability_of(model, top, predicted))),
            float(np.mean(base - probability_of(model, rand, predicted))))


def main():
    p = _common.parser(__doc__)
    p.add_argument("--epochs", type=int, default=20, help="training epochs (default 20)")
    p.add_argument("--out", default=".", help="folder for explain_digits.png (default .)")
    args = p.parse_args()
    epochs, n_explain = (3, 50) if args.fast else (args.epochs, 200)

    data = datasets.digits()
    model = train(data, epochs, args.seed)
    x = data.x_test[:n_explain]
    with gb.no_grad():
        predicted = model(gb.tensor(x)).argmax(dim=1).numpy()
    accuracy = float(np.mean(predicted == data.y_test[:n_explain]))
    print(f"MLP after {epochs} epochs: accuracy {accuracy:.2%} on {n_explain} test digits")

    target = predicted.tolist()  # explain the class the model chose
    saliency = Saliency(model).attribute(x, target=target).numpy()
    ig, delta = IntegratedGradients(model).attribute(x, target=target, n_steps=64,
                                                     return_convergence_delta=True)
    ig = ig.numpy()
    # occlusion works on the image's own layout: view each 64-vector as 8x8
    occlusion = Occlusion(lambda images: model(images.reshape(len(images), 64))).attribute(
        x.reshape(-1, 8, 8), sliding_window_shapes=(2, 2), target=target).numpy()
    occlusion = occlusion.reshape(-1, 64)

    completeness = float(np.abs(delta.numpy()).max())
    print(f"integrated gradients: |sum(attributions) - (f(x) - f(0))| <= {completeness:.2e}")
    drop_top, drop_random = deletion_test(model, x, predicted, ig, k=8, seed=args.seed)
    print(f"black out 8 pixels: probability drops by {drop_top:.3f} (top by integrated "
          f"gradients) vs {drop_random:.3f} (random lit pixels)")

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "explain_digits.png")
    shown = slice(0, 4)
    fig = plot_attributions(x[shown], {"Saliency": saliency[shown], "Integrated gradients":
                                       ig[shown], "Occlusion 2x2": occlusion[shown]},
                            titles=[f"predicted {c}" for c in predicted[shown]], path=path)
    _common.pyplot().close(fig)
    print(f"saved {path}")

    _common.report("accuracy", accuracy)
    _common.report("ig_completeness_error", completeness)
    _common.report("deletion_drop_top", drop_top)
    _common.report("deletion_drop_random", drop_random)


if __name__ == "__main__":
    main()
