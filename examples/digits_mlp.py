"""Train a small MLP on scikit-learn's 8x8 digits with glassbox's raw engine, by hand.

Everything a training loop does is spelled out: weights initialised as nn.Linear does, the
forward pass (weighted sums, bias, ReLU), the loss, backpropagation with loss.backward(), and
Adam's update written in a few lines. Prints the loss per epoch and the test accuracy.

    python examples/digits_mlp.py [--epochs 30] [--hidden 128] [--seed 0]
"""

import argparse
import math
import time

import numpy as np

import glassbox as gb
import glassbox.nn.functional as F
from glassbox.data import datasets


def init_linear(in_features, out_features):
    """Weight (out, in) and bias drawn from U(-1/sqrt(in), 1/sqrt(in)), as nn.Linear does."""
    bound = 1 / math.sqrt(in_features)
    w = gb.rand(out_features, in_features) * (2 * bound) - bound
    b = gb.rand(out_features) * (2 * bound) - bound
    return w.requires_grad_(), b.requires_grad_()


def forward(params, x):
    (w1, b1), (w2, b2) = params
    hidden = F.relu(F.linear(x, w1, b1))  # each hidden neuron: ReLU(weights . x + bias)
    return F.linear(hidden, w2, b2)  # one logit per class


def adam_step(params, state, step, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    """Adam: move each weight against a running average of its gradient, scaled per weight."""
    b1, b2 = betas
    with gb.no_grad():
        for p in (t for pair in params for t in pair):
            m, v = state.setdefault(id(p), (gb.zeros_like(p), gb.zeros_like(p)))
            m.mul_(b1).add_(p.grad, alpha=1 - b1)
            v.mul_(b2).add_(p.grad * p.grad, alpha=1 - b2)
            m_hat = m / (1 - b1**step)
            v_hat = v / (1 - b2**step)
            p.sub_(lr * m_hat / (v_hat.sqrt() + eps))
            p.grad = None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30, help="passes over the training set")
    parser.add_argument("--hidden", type=int, default=128, help="hidden neurons")
    parser.add_argument("--batch-size", type=int, default=32, help="examples per step")
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args()

    gb.manual_seed(args.seed)
    data = datasets.digits()
    x_train, y_train = gb.tensor(data.x_train), gb.tensor(data.y_train)
    x_test, y_test = gb.tensor(data.x_test), gb.tensor(data.y_test)
    print(f"digits: {len(y_train)} training and {len(y_test)} test images of 8x8 pixels")

    params = [init_linear(64, args.hidden), init_linear(args.hidden, 10)]
    state, step = {}, 0
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(y_train))
        total = 0.0
        for i in range(0, len(order), args.batch_size):
            idx = gb.tensor(order[i : i + args.batch_size])
            loss = F.cross_entropy(forward(params, x_train[idx]), y_train[idx])
            loss.backward()  # backpropagation: d loss / d every weight
            step += 1
            adam_step(params, state, step, lr=args.lr)
            total += loss.item() * len(idx)
        if epoch == 1 or epoch % 5 == 0:
            print(f"epoch {epoch:3d}  training loss {total / len(order):.4f}")

    with gb.no_grad():
        predictions = forward(params, x_test).argmax(dim=1)
    accuracy = (predictions == y_test).float().mean().item()
    print(f"trained in {time.perf_counter() - start:.1f} s")
    print(f"test accuracy: {accuracy:.2%} on {len(y_test)} held-out digits")


if __name__ == "__main__":
    main()
