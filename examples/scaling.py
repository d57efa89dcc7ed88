"""Scaling laws on MNIST-1D: test loss against parameters N, data D and compute C.

Trains MLPs (40 -> w -> w -> 10) along three axes, each with the other two at their largest
value, caches every run as JSON under --out (a rerun skips finished runs), fits
L = a x^-alpha + c per axis and plots the log-log curves.

    python examples/scaling.py --fast          # seconds: 4-5 tiny runs per axis, for tests
    nohup python examples/scaling.py > runs/scaling.log 2>&1 &   # the full sweep, < 20 min
"""

import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # tiny GEMMs: threads only contend

import _common

from glassbox.scaling import fit_axes, plot_sweep, run_sweep, sweep_configs


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fast", action="store_true", help="a small sweep for a quick look")
    p.add_argument("--out", default=None, help="cache folder (default runs/scaling[_fast])")
    args = p.parse_args()
    if args.fast:  # >= 4 runs per axis, so that every fit has standard errors
        widths, sizes, steps = [4, 8, 16, 32, 64], [200, 400, 800, 1600], [40, 80, 160, 320, 640]
    else:
        widths = [4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256]
        sizes = [125, 177, 250, 354, 500, 707, 1000, 1414, 2000, 2828, 3500]
        steps = [100, 200, 400, 800, 1600, 3200, 6400]
    out = args.out or ("runs/scaling_fast" if args.fast else "runs/scaling")
    configs = sweep_configs(widths, sizes, steps, batch_size=64, lr=3e-3, seed=0)
    results = run_sweep(configs, out)
    fits = fit_axes(results)
    print("\nfits L = a x^-alpha + c (standard errors in brackets):")
    for axis, fit in fits.items():
        print(f"  {axis}: alpha = {fit.alpha:.3f} ({fit.alpha_err:.3f}), a = {fit.a:.3g} "
              f"({fit.a_err:.2g}), c = {fit.c:.3f} ({fit.c_err:.3f})")
        rows = sorted((r for r in results if r["axis"] == axis),
                      key=lambda r: r[{"N": "params", "D": "n_train", "C": "compute"}[axis]])
        for r in rows:
            x = r[{"N": "params", "D": "n_train", "C": "compute"}[axis]]
            print(f"      x={x:<12.4g} loss={r['test_loss']:.4f} fit={fit.predict(x):.4f} "
                  f"acc={r['test_acc']:.3f}")
    path = os.path.join(out, "scaling.png")
    try:
        plot_sweep(results, fits, path)
        print(f"plot: {path}")
    except ImportError as e:
        print(e)
    for axis, fit in fits.items():
        _common.report(f"{axis}_alpha", fit.alpha)
        _common.report(f"{axis}_alpha_err", fit.alpha_err)
        _common.report(f"{axis}_c", fit.c)
    _common.report("best_test_accuracy", max(r["test_acc"] for r in results))


if __name__ == "__main__":
    main()
