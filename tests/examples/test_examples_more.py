"""graphs.py, diffusion.py and scaling.py end to end in --fast mode (a subprocess each).

Same harness as test_examples.py (one BLAS thread, `final name: value` lines, PNG checks);
each --fast run takes seconds, so the thresholds say "learned something", not the reported
figures of the full runs.
"""

from __future__ import annotations

import math

from tests.examples.test_examples import check_png, run_example


def test_graphs_gnns_beat_chance():
    figures = run_example("graphs.py")
    for kind in ("mlp", "gcn", "sage", "gat"):  # 10 labelled nodes per class; chance: 0.1
        assert figures[f"node_{kind}_test_accuracy"] > 0.5, (kind, figures)
    # the kNN graph helps: the best graph model beats the MLP that ignores it
    assert max(figures[f"node_{k}_test_accuracy"] for k in ("gcn", "sage", "gat")) > \
        figures["node_mlp_test_accuracy"]
    # cycles vs trees with constant features: only the structure tells; chance 0.5
    assert figures["graph_gcn_test_accuracy"] > 0.75
    assert 0.3 < figures["graph_baseline_test_accuracy"] < 0.7  # node count says ~nothing
    assert figures["graph_gcn_test_accuracy"] > figures["graph_baseline_test_accuracy"] + 0.15


def test_diffusion_samples_and_plots(tmp_path):
    figures = run_example("diffusion.py", "--out", str(tmp_path))
    energy = {k: figures[f"moons_energy_distance_{k}"] for k in ("ddpm", "ddim", "noise", "floor")}
    assert all(math.isfinite(v) and v > -1e-3 for v in energy.values()), energy
    # generated moons are closer to the truth than Gaussian noise, a second true sample closest
    assert energy["floor"] < energy["ddpm"] < energy["noise"], energy
    assert energy["ddim"] < energy["noise"], energy
    assert figures["digits_classifier_test_accuracy"] > 0.85
    conf = {k: figures[f"digits_confidence_{k}"] for k in ("real", "ddpm", "ddim", "noise")}
    assert all(0.1 <= v <= 1.0 for v in conf.values()), conf  # mean max-softmax: >= 1/10
    assert conf["real"] > conf["noise"] and conf["ddpm"] > conf["noise"], conf
    assert figures["digits_classes_ddpm"] >= 5  # not collapsed onto one or two digits
    for name in ("digits_ddpm_samples.png", "digits_ddim_samples.png", "digits_trajectory.png",
                 "moons_trajectory.png", "moons_samples.png"):
        check_png(tmp_path / name)


def test_scaling_fits_and_plot(tmp_path):
    figures = run_example("scaling.py", "--out", str(tmp_path))
    for axis in ("N", "D", "C"):  # >= 4 runs per axis: every fit has a standard error
        alpha, err = figures[f"{axis}_alpha"], figures[f"{axis}_alpha_err"]
        assert math.isfinite(alpha) and math.isfinite(figures[f"{axis}_c"]), (axis, figures)
        assert math.isfinite(err) and err > 0, (axis, figures)
    assert figures["N_alpha"] > 0 and figures["C_alpha"] > 0  # more N or C: lower loss
    assert 0.2 < figures["best_test_accuracy"] <= 1.0  # chance: 0.1
    check_png(tmp_path / "scaling.png")
    assert len(list(tmp_path.glob("*.json"))) == 14  # one cached run each: 5 N + 4 D + 5 C
