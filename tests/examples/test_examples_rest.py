"""The remaining examples run end to end: the raw-engine digits MLP, robustness and report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from tests.examples.test_examples import EXAMPLES, ROOT, check_png


def _run(script: str, *args: str) -> str:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_digits_mlp_by_hand_learns():
    out = _run("digits_mlp.py", "--epochs", "5")
    accuracy = float(re.search(r"test accuracy: ([\d.]+)%", out).group(1)) / 100
    assert accuracy > 0.8  # chance: 0.1; 30 epochs reach ~98%


def test_robustness_attacks_hurt_and_adversarial_training_helps(tmp_path):
    _run("robustness.py", "--fast", "--out", str(tmp_path))
    results = json.loads((tmp_path / "results.json").read_text())
    before, after = results["before"], results["after"]
    assert before["clean"] > 0.3
    # an attack can only lower accuracy, more so with a larger eps; PGD at least as strong as FGSM
    for stage in (before, after):
        pgd = [stage["pgd"][k] for k in ("0.05", "0.1", "0.2")]
        fgsm = [stage["fgsm"][k] for k in ("0.05", "0.1", "0.2")]
        assert pgd[-1] <= pgd[0] <= stage["clean"] + 1e-9
        assert all(p <= f + 0.02 for p, f in zip(pgd, fgsm))
    check_png(tmp_path / "adversarial_example.png")
    assert (tmp_path / "w2_adversarially_trained.safetensors").stat().st_size > 10_000


def test_report_example_writes_a_self_contained_page(tmp_path):
    page = tmp_path / "report.html"
    _run("report.py", "--fast", "--out", str(page), "--threads", "1")
    html = page.read_text()
    assert html.count("data:image/png;base64,") >= 5
    assert "http://" not in html and "https://" not in html
