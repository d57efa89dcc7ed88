"""Small real models for the explain tests, trained on scikit-learn's digits in about a second."""

import numpy as np

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn
from glassbox.data import datasets


class FirstHalf(nn.Module):
    """Looks only at the first half of its 64 inputs (the top four rows of the digit)."""

    def __init__(self, hidden=32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(32, hidden), nn.ReLU(), nn.Linear(hidden, 10))

    def forward(self, x):
        return self.net(x[:, :32])


def fit(model, x, y, epochs=60, lr=0.01, batch=128, seed=0):
    """Plain minibatch Adam; returns the model (in eval mode)."""
    opt = gb.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for i in range(0, len(y), batch):
            idx = order[i:i + batch]
            opt.zero_grad()
            F.cross_entropy(model(gb.tensor(x[idx])), gb.tensor(y[idx])).backward()
            opt.step()
    return model.eval()


def accuracy(model, x, y):
    with gb.no_grad():
        return float((model(gb.tensor(x)).argmax(dim=1).numpy() == y).mean())


def digits():
    return datasets.digits()
