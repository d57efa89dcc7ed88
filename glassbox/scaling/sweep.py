"""A scaling-law sweep: train models along three axes, cache each run as JSON, fit power laws.

The three axes, each varied with the other two held at their largest value:

    N  model size: parameters of an MLP of width w (40 -> w -> w -> 10 for MNIST-1D)
    D  data: number of training examples
    C  compute: training FLOPs, ~ 6 * N * (examples seen) = 6 N * batch * steps (Kaplan et al.)

Each run writes `<folder>/<key>.json` when it finishes (atomically); a sweep started again
skips every run whose file exists, so a killed sweep resumes where it stopped. Training reuses
glassbox.train.Trainer: `evals` "epochs" over a DataLoader whose sampler draws
steps / evals batches (with replacement), so the step count is exact. A validation split (500
examples held out of the training pool) picks the best of those checkpoints (EarlyStopping
with restore_best_weights), and the test loss is measured there: without it the large-N,
long-C and small-D runs overfit and the curves bend upwards, measuring overfitting rather
than scale.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from glassbox.scaling.fit import fit_power_law

__all__ = [
    "RunConfig",
    "fit_axes",
    "load_results",
    "plot_sweep",
    "run_sweep",
    "sweep_configs",
    "train_mnist1d_mlp",
]


@dataclass(frozen=True)
class RunConfig:
    """One training run of the sweep."""

    axis: str       # 'N', 'D' or 'C': which axis this run belongs to
    width: int
    n_train: int
    steps: int
    batch_size: int = 64
    lr: float = 3e-3
    seed: int = 0
    evals: int = 10  # validation checks; the test loss is taken at the best one

    @property
    def key(self) -> str:
        return (f"{self.axis}_w{self.width}_d{self.n_train}_s{self.steps}_b{self.batch_size}"
                f"_lr{self.lr:g}_e{self.evals}_seed{self.seed}")


def sweep_configs(widths, data_sizes, step_counts, batch_size: int = 64, lr: float = 3e-3,
                  seed: int = 0) -> list[RunConfig]:
    """The runs of a three-axis sweep (each axis at the largest value of the other two).

    Example:
        >>> from glassbox.scaling import sweep_configs
        >>> [c.key for c in sweep_configs([8, 16], [100], [10])][:2]
        ['N_w8_d100_s10_b64_lr0.003_e10_seed0', 'N_w16_d100_s10_b64_lr0.003_e10_seed0']
    """
    W, D, S = max(widths), max(data_sizes), max(step_counts)
    kw = {"batch_size": batch_size, "lr": lr, "seed": seed}
    return ([RunConfig("N", w, D, S, **kw) for w in sorted(widths)]
            + [RunConfig("D", W, d, S, **kw) for d in sorted(data_sizes)]
            + [RunConfig("C", W, D, s, **kw) for s in sorted(step_counts)])


def _mlp_params(width: int, n_in: int = 40, n_out: int = 10) -> int:
    return n_in * width + width + width * width + width + width * n_out + n_out


def train_mnist1d_mlp(cfg: RunConfig, data=None) -> dict:
    """Train an MLP 40 -> w -> w -> 10 on MNIST-1D; test loss and accuracy at the best checkpoint.

    Args:
        cfg: the run (width, n_train examples, steps, batch size, lr, seed).
        data: optional (x_train, y_train, x_test, y_test) arrays (default MNIST-1D).

    Returns:
        dict with params, compute (6 N * batch * steps), test_loss, test_acc, train_loss,
        best_eval (which of the evals was best), val_loss, seconds.
    """
    import glassbox as gb
    from glassbox import nn
    from glassbox.data import DataLoader, RandomSampler, TensorDataset
    from glassbox.data.datasets import mnist1d
    from glassbox.nn import functional as F
    from glassbox.train import Trainer
    from glassbox.train.callbacks import EarlyStopping

    xtr, ytr, xte, yte = data if data is not None else mnist1d()
    order = np.random.default_rng(1234).permutation(len(ytr))  # the same split for every run
    xval, yval = xtr[order[:VAL_SIZE]], ytr[order[:VAL_SIZE]]
    pool = order[VAL_SIZE:]
    if cfg.n_train > len(pool):
        raise ValueError(f"train_mnist1d_mlp: n_train {cfg.n_train} > {len(pool)} available")
    take = pool[np.random.default_rng(cfg.seed).permutation(len(pool))[: cfg.n_train]]
    gb.manual_seed(cfg.seed)
    n_in, n_out = xtr.shape[1], int(max(ytr.max(), yte.max())) + 1
    model = nn.Sequential(nn.Linear(n_in, cfg.width), nn.ReLU(), nn.Linear(cfg.width, cfg.width),
                          nn.ReLU(), nn.Linear(cfg.width, n_out))
    ds = TensorDataset(xtr[take], ytr[take])
    evals = max(1, min(cfg.evals, cfg.steps))
    if cfg.steps % evals:
        raise ValueError(f"train_mnist1d_mlp: steps {cfg.steps} must be a multiple of evals {evals}")
    sampler = RandomSampler(ds, replacement=True, num_samples=cfg.steps // evals * cfg.batch_size,
                            generator=np.random.default_rng(cfg.seed))
    loader = DataLoader(ds, batch_size=cfg.batch_size, sampler=sampler)
    trainer = Trainer(model, F.cross_entropy, gb.optim.Adam(model.parameters(), lr=cfg.lr))
    best = EarlyStopping("val_loss", patience=evals, restore_best_weights=True)
    start = time.perf_counter()
    hist = trainer.fit(loader, val=(xval, yval), epochs=evals, verbose=0, callbacks=[best])
    seconds = time.perf_counter() - start
    test = trainer.evaluate((xte, yte), batch_size=1000)
    n_params = sum(p.numel() for p in model.parameters())
    return {"params": int(n_params), "compute": float(6 * n_params * cfg.batch_size * cfg.steps),
            "test_loss": float(test["loss"]), "test_acc": float(test["accuracy"]),
            "train_loss": float(hist.history["loss"][-1]), "best_eval": int(best.best_epoch + 1),
            "val_loss": float(best.best), "seconds": seconds}


def _write_json(path: Path, obj) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)  # atomic: a killed run leaves no half-written result


def run_sweep(configs, folder, train_fn=train_mnist1d_mlp, verbose: bool = True) -> list[dict]:
    """Run every config not yet cached in `folder`; return all results (cached and new).

    Args:
        configs: RunConfig list (see `sweep_configs`).
        folder: directory of one JSON file per finished run (created if absent).
        train_fn: `train_fn(cfg) -> dict` of metrics (default `train_mnist1d_mlp`).
        verbose: print one line per run (default True).

    Returns:
        list of dicts: the config's fields, the metrics and 'cached' (True if skipped).

    Example:
        >>> import tempfile
        >>> from glassbox.scaling import RunConfig, run_sweep
        >>> fake = lambda cfg: {"test_loss": 1.0 / cfg.width}
        >>> folder = tempfile.mkdtemp()
        >>> [r["cached"] for r in run_sweep([RunConfig("N", 4, 10, 1)], folder, fake, False)]
        [False]
        >>> [r["cached"] for r in run_sweep([RunConfig("N", 4, 10, 1)], folder, fake, False)]
        [True]
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, cfg in enumerate(configs):
        path = folder / f"{cfg.key}.json"
        if path.exists():
            result = json.loads(path.read_text())
            result["cached"] = True
        else:
            metrics = train_fn(cfg)
            result = {**asdict(cfg), **metrics}
            _write_json(path, result)
            result["cached"] = False
        if verbose:
            tag = "cached" if result["cached"] else f"{result.get('seconds', 0):.1f}s"
            print(f"[{i + 1}/{len(configs)}] {cfg.key}: test_loss {result['test_loss']:.4f} "
                  f"({tag})", flush=True)
        out.append(result)
    return out


def load_results(folder) -> list[dict]:
    """Every cached result in `folder` (e.g. to re-plot a finished sweep)."""
    return [json.loads(p.read_text()) for p in sorted(Path(folder).glob("*.json"))]


VAL_SIZE = 500  # MNIST-1D training examples held out to choose the checkpoint

_AXIS_X = {"N": "params", "D": "n_train", "C": "compute"}


def fit_axes(results) -> dict:
    """Fit L = a x^-alpha + c along each axis with >= 3 runs: {'N': PowerLawFit, ...}."""
    fits = {}
    for axis, xkey in _AXIS_X.items():
        rows = sorted((r for r in results if r["axis"] == axis), key=lambda r: r[xkey])
        if len(rows) >= 3:
            fits[axis] = fit_power_law([r[xkey] for r in rows], [r["test_loss"] for r in rows])
    return fits


def plot_sweep(results, fits, path) -> None:
    """Log-log test loss against N, D and C with the fitted curves; saved to `path` (PNG)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plot_sweep needs matplotlib: pip install 'glassbox[plot]'") from None
    labels = {"N": "parameters N", "D": "training examples D", "C": "compute C (FLOPs)"}
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for ax, (axis, xkey) in zip(axes, _AXIS_X.items()):
        rows = sorted((r for r in results if r["axis"] == axis), key=lambda r: r[xkey])
        if not rows:
            continue
        x = np.array([r[xkey] for r in rows], dtype=float)
        y = np.array([r["test_loss"] for r in rows])
        ax.loglog(x, y, "o", label="runs")
        if axis in fits:
            f = fits[axis]
            xx = np.geomspace(x.min(), x.max(), 100)
            ax.loglog(xx, f.predict(xx), "-",
                      label=f"{f.a:.3g} x^-{f.alpha:.2f}(±{f.alpha_err:.2f}) + {f.c:.3f}")
            ax.axhline(f.c, color="gray", ls=":", lw=1)
        ax.set_xlabel(labels[axis])
        ax.set_ylabel("test loss")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
