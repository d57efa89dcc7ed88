"""glassbox.scaling: scaling laws -- fit L = a x^-alpha + c, and sweeps over N, D and compute."""

from glassbox.scaling.fit import PowerLawFit, fit_power_law
from glassbox.scaling.sweep import (
    RunConfig,
    fit_axes,
    load_results,
    plot_sweep,
    run_sweep,
    sweep_configs,
    train_mnist1d_mlp,
)
