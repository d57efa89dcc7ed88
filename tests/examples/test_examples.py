"""Every example runs end to end in --fast mode (a subprocess each) and prints sane figures.

Each example prints its figures as `final <name>: <value>` lines; these tests parse them and
check them against chance level, and check that the files an example writes (PNG plots,
safetensors weights) exist and parse. --fast runs train on a slice of the data for an epoch
or two, so the thresholds are "clearly learned something", not the reported accuracies.
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def run_example(script: str, *args: str) -> dict:
    """Run examples/<script> --fast; return its `final` figures as {name: float}."""
    env = dict(os.environ)
    # one BLAS thread: the test runner already runs test files in parallel
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), "--fast", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout}\n{proc.stderr}"
    figures = {m[1]: float(m[2]) for m in re.finditer(r"^final (\S+): (\S+)$", proc.stdout, re.MULTILINE)}
    assert figures, f"{script} printed no 'final name: value' lines:\n{proc.stdout}"
    return figures


def check_png(path: Path) -> tuple[int, int]:
    """A real PNG: signature, an IHDR chunk whose CRC matches, image data that inflates."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, chunks, idat = 8, [], b""
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body, crc = data[pos + 8:pos + 8 + length], data[pos + 8 + length:pos + 12 + length]
        assert struct.unpack(">I", crc)[0] == zlib.crc32(kind + body), f"{path}: bad CRC"
        chunks.append(kind)
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND", f"{path}: chunks {chunks}"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 100 and height > 100
    assert len(zlib.decompress(idat)) > width * height  # at least a byte per pixel
    return width, height


def test_mnist5k_mlp_w1_and_tuned():
    assert run_example("mnist5k_mlp.py")["test_accuracy"] > 0.5  # chance: 0.1
    assert run_example("mnist5k_mlp.py", "--tuned")["test_accuracy"] > 0.3


def test_mnist5k_cnn_tuned():
    assert run_example("mnist5k_cnn.py", "--tuned")["test_accuracy"] > 0.2


def test_mnist1d_three_models():
    figures = run_example("mnist1d_paper.py")
    assert figures["logreg_test_accuracy"] > 0.2  # chance: 0.1
    assert figures["mlp_test_accuracy"] > 0.3
    assert figures["cnn_test_accuracy"] > 0.3
    assert all(figures[f"{m}_seconds_per_run"] > 0 for m in ("logreg", "mlp", "cnn"))


def test_tabular():
    figures = run_example("tabular.py")
    assert figures["digits_test_accuracy"] > 0.8
    assert figures["diabetes_linear_r2"] > 0.2  # 0 = predicting the mean
    assert -1.0 < figures["diabetes_mlp_r2"] <= 1.0


def test_overfitting_plots(tmp_path):
    figures = run_example("overfitting.py", "--out", str(tmp_path))
    for name in ("early_stopping.png", "remedies.png"):
        check_png(tmp_path / name)
    assert 1 <= figures["best_epoch"] <= figures["stopped_epoch"]
    assert figures["test_accuracy_no"] > 0.3


@pytest.mark.filterwarnings("ignore")
def test_demo_saves_model_and_curves(tmp_path):
    figures = run_example("demo.py", "--out", str(tmp_path))
    assert figures["test_accuracy"] > 0.2
    check_png(tmp_path / "training_curves.png")
    sys.path.insert(0, str(EXAMPLES))
    try:
        from mnist5k_cnn import w2_model
    finally:
        sys.path.remove(str(EXAMPLES))
    import glassbox as gb

    state = gb.load(tmp_path / "mnist5k_cnn.safetensors")
    model = w2_model()
    assert list(state) == list(model.state_dict())
    model.load_state_dict(state)
    assert all(np.isfinite(v.numpy()).all() for v in state.values())


def test_no_example_shadows_an_installed_module():
    """Running examples/<name>.py puts examples/ first on sys.path, so an example named like a
    package glassbox imports (as examples/mnist1d.py once was) breaks that import."""
    from importlib.machinery import PathFinder

    # the installed modules only: other tests may have put examples/ on sys.path
    path = [p for p in sys.path if Path(p or ".").resolve() != EXAMPLES]
    clashes = [p.name for p in EXAMPLES.glob("*.py") if PathFinder.find_spec(p.stem, path)]
    assert clashes == [], f"rename these examples: {clashes}"
