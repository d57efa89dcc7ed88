"""Diffusion models from scratch: DDPM on scikit-learn's 8x8 digits and on two moons.

1. Digits (scaled to [-1, 1]): a small U-Net learns to predict the noise; samples come from
   ancestral sampling and from DDIM with fewer steps. A glassbox MLP classifier, trained on
   the real digits, labels the generated ones: the class histogram shows whether all ten
   digits appear, the mean confidence whether they look like digits (compared with the same
   figure for real test digits and for noise images).
2. Two moons: an MLP denoiser; the energy distance between generated and true points is
   compared with the distance of a Gaussian-noise baseline and of a second true sample.

Writes PNGs (sample grids, denoising trajectories) under --out.

    python examples/diffusion.py --fast        # seconds: tiny models, for tests
    nohup python examples/diffusion.py > runs/diffusion.log 2>&1 &
"""

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small GEMMs: threads only contend

import _common
import numpy as np

import glassbox as gb
from glassbox import nn
from glassbox.models.diffusion import DDPM, MLPDenoiser, UNet
from glassbox.nn import functional as F
from glassbox.train import Trainer


def train_ddpm(ddpm, data, steps, batch_size, lr, label):
    opt = gb.optim.AdamW(ddpm.parameters(), lr=lr, weight_decay=0.0)
    sched = gb.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    rng = np.random.default_rng(0)
    start, running = time.perf_counter(), None
    for step in range(1, steps + 1):
        batch = gb.tensor(data[rng.integers(0, len(data), batch_size)])
        loss = ddpm.loss(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % max(1, steps // 10) == 0:
            print(f"  [{label}] step {step}/{steps} loss {running:.4f} "
                  f"({time.perf_counter() - start:.0f}s)", flush=True)
    return running


def digit_classifier(x_train, y_train, x_test, y_test, epochs=30):
    gb.manual_seed(0)
    clf = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    trainer = Trainer(clf, F.cross_entropy, gb.optim.Adam(clf.parameters(), lr=1e-3))
    trainer.fit((x_train, y_train), epochs=epochs, batch_size=64, verbose=0)
    acc = trainer.evaluate((x_test, y_test))["accuracy"]
    return clf, acc


def label_images(clf, images):
    with gb.no_grad():
        p = F.softmax(clf(gb.tensor(images.reshape(len(images), 64).astype(np.float32))), -1).numpy()
    return np.bincount(p.argmax(1), minlength=10), float(p.max(1).mean())


def save_grid(images, path, rows, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cols = int(np.ceil(len(images) / rows))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.8, rows * 0.8 + 0.4))
    for ax, img in zip(np.ravel(axes), images):
        ax.imshow(np.clip(img.reshape(8, 8), -1, 1), cmap="gray_r", vmin=-1, vmax=1)
    for ax in np.ravel(axes):
        ax.axis("off")
    fig.suptitle(title, fontsize=9)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def energy_distance(a, b):
    def mean_dist(u, v):
        return np.sqrt(((u[:, None, :] - v[None, :, :]) ** 2).sum(-1)).mean()
    return 2 * mean_dist(a, b) - mean_dist(a, a) - mean_dist(b, b)


def run_digits(args):
    from sklearn.datasets import load_digits
    d = load_digits()
    x = (d.data / 8.0 - 1.0).astype(np.float32)  # [0, 16] -> [-1, 1]
    y = d.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(y))
    x, y = x[order], y[order]
    xtr, ytr, xte, yte = x[360:], y[360:], x[:360], y[:360]
    # --fast: a tiny U-Net, short chain and training, for tests (samples are blurry)
    clf_epochs, base, T, steps, k = (10, 8, 40, 120, 20) if args.fast else (30, 32, 300, 1000, 50)
    clf, acc = digit_classifier(xtr, ytr, xte, yte, epochs=clf_epochs)
    print(f"digits classifier (glassbox MLP) test accuracy: {acc:.3f}")

    gb.manual_seed(0)
    ddpm = DDPM(UNet(base_channels=base), timesteps=T, schedule="cosine")
    n_params = sum(p.numel() for p in ddpm.parameters())
    print(f"digits DDPM: U-Net {n_params} parameters, T={T}, {steps} steps of batch 64")
    train_ddpm(ddpm, xtr.reshape(-1, 1, 8, 8), steps, 64, 2e-3, "digits")

    n = 100
    t0 = time.perf_counter()
    anc, traj = ddpm.sample((n, 1, 8, 8), seed=1, return_trajectory=True)
    t_anc = time.perf_counter() - t0
    t0 = time.perf_counter()
    ddim = ddpm.ddim_sample((n, 1, 8, 8), steps=k, eta=0.0, seed=2).numpy()
    t_ddim = time.perf_counter() - t0
    anc = anc.numpy()
    noise = np.random.default_rng(3).uniform(-1, 1, (n, 64)).astype(np.float32)
    rows = []
    for name, imgs in [("real test digits", xte[:n]), (f"DDPM ancestral ({T} steps)", anc),
                       (f"DDIM ({k} steps, eta=0)", ddim), ("uniform noise", noise)]:
        hist, conf = label_images(clf, imgs)
        rows.append((name, hist, conf))
        print(f"  {name:28s} classes {hist.tolist()}  mean confidence {conf:.3f}")
    os.makedirs(args.out, exist_ok=True)
    save_grid(anc[:100], os.path.join(args.out, "digits_ddpm_samples.png"), 10,
              f"DDPM samples (T={T})")
    save_grid(ddim[:100], os.path.join(args.out, "digits_ddim_samples.png"), 10,
              f"DDIM samples ({k} steps, eta=0)")
    frames = np.stack([f[:8].reshape(8, 64) for _, f in traj], axis=1)  # (8 samples, frames, 64)
    save_grid(frames.reshape(-1, 64), os.path.join(args.out, "digits_trajectory.png"), 8,
              "denoising trajectory: x_T (left) to x_0 (right), 8 samples")
    print(f"  sampling: ancestral {t_anc:.1f}s, DDIM {t_ddim:.1f}s for {n} images; PNGs in {args.out}")
    return acc, rows


def run_moons(args):
    from sklearn.datasets import make_moons
    data, _ = make_moons(4000, noise=0.05, random_state=0)
    mu, sd = data.mean(0), data.std(0)
    data = ((data - mu) / sd).astype(np.float32)
    gb.manual_seed(0)
    steps = 600 if args.fast else 6000
    ddpm = DDPM(MLPDenoiser(dim=2, hidden=128, layers=3), timesteps=100, schedule="linear",
                clip_denoised=False)
    print(f"two moons DDPM: MLP denoiser, T=100, {steps} steps of batch 256")
    train_ddpm(ddpm, data, steps, 256, 2e-3, "moons")
    gen, traj = ddpm.sample((1000, 2), seed=1, return_trajectory=True, every=20)
    gen = gen.numpy()
    ddim = ddpm.ddim_sample((1000, 2), steps=20, seed=2).numpy()
    true = ((make_moons(1000, noise=0.05, random_state=1)[0] - mu) / sd)
    noise = np.random.default_rng(4).standard_normal((1000, 2))
    true2 = ((make_moons(1000, noise=0.05, random_state=2)[0] - mu) / sd)
    e = {"DDPM ancestral (100 steps)": energy_distance(gen, true),
         "DDIM (20 steps)": energy_distance(ddim, true),
         "Gaussian noise baseline": energy_distance(noise, true),
         "second true sample (floor)": energy_distance(true2, true)}
    for k, v in e.items():
        print(f"  energy distance to true moons, {k:28s} {v:.4f}")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(traj), figsize=(2.2 * len(traj), 2.4))
    for ax, (t, pts) in zip(axes, traj):
        ax.scatter(pts[:, 0], pts[:, 1], s=1)
        ax.set_title(f"t={t}", fontsize=8)
        ax.set_xlim(-3, 3)
        ax.set_ylim(-3, 3)
        ax.axis("off")
    fig.savefig(os.path.join(args.out, "moons_trajectory.png"), dpi=100)
    plt.close(fig)
    fig, axes = plt.subplots(1, 2, figsize=(7, 3.3))
    axes[0].scatter(true[:, 0], true[:, 1], s=2)
    axes[0].set_title("true")
    axes[1].scatter(gen[:, 0], gen[:, 1], s=2, color="C1")
    axes[1].set_title(f"DDPM samples (energy distance {e['DDPM ancestral (100 steps)']:.3f})")
    fig.savefig(os.path.join(args.out, "moons_samples.png"), dpi=100)
    plt.close(fig)
    return e


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fast", action="store_true", help="tiny models, short training (seconds)")
    p.add_argument("--out", default=None, help="folder for PNGs (default runs/diffusion[_fast])")
    args = p.parse_args()
    args.out = args.out or ("runs/diffusion_fast" if args.fast else "runs/diffusion")
    os.makedirs(args.out, exist_ok=True)
    start = time.perf_counter()
    energy = run_moons(args)
    clf_acc, rows = run_digits(args)
    print(f"total {time.perf_counter() - start:.0f}s")
    for key, name in [("DDPM ancestral (100 steps)", "ddpm"), ("DDIM (20 steps)", "ddim"),
                      ("Gaussian noise baseline", "noise"), ("second true sample (floor)", "floor")]:
        _common.report(f"moons_energy_distance_{name}", energy[key])
    _common.report("digits_classifier_test_accuracy", clf_acc)
    for (_, hist, conf), name in zip(rows, ["real", "ddpm", "ddim", "noise"]):
        _common.report(f"digits_confidence_{name}", conf)
        _common.report(f"digits_classes_{name}", np.count_nonzero(hist))


if __name__ == "__main__":
    main()
