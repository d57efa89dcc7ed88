"""benchmarks/run.py end to end: each framework timed in subprocess rounds, results as JSON."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


@pytest.mark.parametrize("eager", [False, True])
def test_run_times_each_framework_in_its_own_rounds(tmp_path, eager):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(RUN), "--only", "W6-CNN-1", "--rounds", "2", "--repeats", "2",
         "--no-memory", "--json", str(out)] + (["--eager"] if eager else []),
        capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["glassbox_steps"] == ("eager" if eager else "gb.capture")
    (row,) = result["results"]
    assert row["workload"] == "W6 CNN b1"
    assert row["repeats"] == 2  # one ratio per round, not per unit
    assert len(row["round_ratios"]) == 2
    assert math.isclose(row["ratio_median"], sum(row["round_ratios"]) / 2)
    low, high = min(row["round_ratios"]), max(row["round_ratios"])
    assert f"{low:.2f}-{high:.2f}" in proc.stdout  # the table's rounds column
    assert math.isclose(row["first_loss_glassbox"], row["first_loss_torch"], rel_tol=1e-4)
    assert 0 < row["glassbox_median_s"] < 1 and 0 < row["torch_median_s"] < 1
    assert row["ratio_median"] > 0 and "median over alternating rounds" in proc.stdout
