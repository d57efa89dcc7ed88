"""fit_power_law recovers known parameters within its errors; the sweep cache skips finished runs."""

import json

import numpy as np
import pytest

from glassbox.scaling import (
    RunConfig,
    fit_axes,
    fit_power_law,
    load_results,
    run_sweep,
    sweep_configs,
    train_mnist1d_mlp,
)


def test_exact_data_is_fit_exactly():
    x = np.geomspace(1e2, 1e6, 8)
    fit = fit_power_law(x, 7.0 * x ** -0.3 + 1.2)
    assert fit.converged
    assert fit.a == pytest.approx(7.0, rel=1e-6) and fit.alpha == pytest.approx(0.3, rel=1e-6)
    assert fit.c == pytest.approx(1.2, abs=1e-8)


def test_noisy_fits_are_within_their_standard_errors():
    rng = np.random.default_rng(0)
    truth = np.array([3.0, 0.4, 0.5])
    x = np.geomspace(1e2, 1e6, 12)
    inside, trials = np.zeros(3), 100
    for _ in range(trials):
        y = truth[0] * x ** -truth[1] + truth[2] + rng.normal(0, 0.003, x.size)
        f = fit_power_law(x, y)
        est, err = np.array([f.a, f.alpha, f.c]), np.array([f.a_err, f.alpha_err, f.c_err])
        assert np.all(err > 0) and np.all(np.isfinite(err))
        inside += np.abs(est - truth) < 2 * err
    # about 95% of 2-sigma intervals should cover the truth; a wrong covariance gives far less
    assert (inside / trials > 0.85).all(), inside / trials
    # and the errors are not uselessly wide: alpha is pinned to a few percent
    assert f.alpha_err < 0.05


def test_fit_rejects_bad_input():
    with pytest.raises(ValueError, match=">= 3"):
        fit_power_law([1, 2], [1, 2])
    with pytest.raises(ValueError, match="positive"):
        fit_power_law([0, 1, 2], [3, 2, 1])


def test_sweep_cache_skips_finished_runs(tmp_path):
    calls = []

    def train(cfg):
        calls.append(cfg.key)
        return {"test_loss": 2.0 * cfg.width ** -0.5 + 0.1, "params": cfg.width,
                "compute": float(cfg.steps), "seconds": 0.0}

    configs = sweep_configs([4, 8, 16], [100, 200, 400], [10, 20, 40])
    assert len(configs) == 9 and len({c.key for c in configs}) == 9
    first = run_sweep(configs[:5], tmp_path, train, verbose=False)
    assert len(calls) == 5 and not any(r["cached"] for r in first)
    everything = run_sweep(configs, tmp_path, train, verbose=False)
    assert len(calls) == 9  # only the 4 new runs trained
    assert [r["cached"] for r in everything] == [True] * 5 + [False] * 4
    assert len(load_results(tmp_path)) == 9
    saved = json.loads((tmp_path / f"{configs[0].key}.json").read_text())
    assert saved["width"] == 4 and saved["axis"] == "N"
    fits = fit_axes(everything)
    assert set(fits) == {"N", "D", "C"}
    assert fits["N"].alpha == pytest.approx(0.5, rel=1e-4)


def test_mnist1d_run_trains_exact_steps_and_learns():
    small = train_mnist1d_mlp(RunConfig("N", 32, 1000, 5, batch_size=32, evals=5))
    more = train_mnist1d_mlp(RunConfig("N", 32, 1000, 200, batch_size=32))
    assert small["compute"] * 40 == pytest.approx(more["compute"])
    assert more["test_loss"] < small["test_loss"] - 0.2
