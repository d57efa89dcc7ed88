"""The text and MNIST-1D sequence examples run in --fast mode and write their outputs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(script, out, *extra):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / script), "--fast",
                           "--out", str(out), *extra], check=False, capture_output=True,
                          text=True, timeout=180, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.parametrize("script", ["text_gpt.py", "text_lstm.py"])
def test_text_example_fast(script, tmp_path):
    stdout = _run(script, tmp_path)
    assert "nats/char" in stdout and "--- sample" in stdout
    for name in ("model.safetensors", "tokenizer.json", "history.json", "loss.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    hist = json.loads((tmp_path / "history.json").read_text())
    assert hist["steps"] == 20 and hist["val_loss"][-1] < hist["val_loss"][0]


def test_mnist1d_sequence_fast(tmp_path):
    stdout = _run("mnist1d_sequence.py", tmp_path)
    res = json.loads((tmp_path / "results.json").read_text())
    assert set(res) >= {"gru", "transformer"}
    for name in ("gru", "transformer"):
        assert res[name]["steps"] == 20
        assert 0.15 < res[name]["mean_accuracy"] <= 1.0  # above chance after 20 steps
    assert "test accuracy" in stdout
