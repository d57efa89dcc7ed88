"""A training process killed with SIGKILL and resumed ends bit for bit where an uninterrupted
run ends (same seed): model, optimizer, scheduler, RNG and DataLoader state all come back."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import glassbox as gb
import glassbox.data

SCRIPT = Path(__file__).with_name("resume_script.py")
ROOT = Path(__file__).resolve().parents[2]
EPOCHS, KILL_AFTER = 6, 2


def _run(*args, timeout=300):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], env=env, check=False,
                          capture_output=True, text=True, timeout=timeout)


def _popen(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, str(SCRIPT), *map(str, args)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_killed_training_resumes_to_bit_identical_weights(tmp_path):
    full, part = tmp_path / "full", tmp_path / "part"
    full.mkdir()
    part.mkdir()

    done = _run(full, EPOCHS)
    assert done.returncode == 0, done.stderr

    # the same run, slowed down, killed once the checkpoint of epoch KILL_AFTER is on disk
    proc = _popen(part, EPOCHS, "--slow", 0.03)
    target = part / f"ckpt-{KILL_AFTER:02d}.safetensors"
    deadline = time.monotonic() + 240
    while not target.exists():
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "the training process never wrote its checkpoint"
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert not (part / "final.safetensors").exists()  # it really died before the end

    checkpoints = sorted(part.glob("ckpt-*.safetensors"))
    latest = checkpoints[-1]
    completed = gb.load_checkpoint(latest)["epoch"]
    assert KILL_AFTER <= completed < EPOCHS

    resumed = _run(part, EPOCHS, "--resume", latest)
    assert resumed.returncode == 0, resumed.stderr

    a = gb.load(full / "final.safetensors")
    b = gb.load(part / "final.safetensors")
    assert list(a) == list(b)
    for key in a:
        assert a[key].dtype == b[key].dtype and a[key].shape == b[key].shape, key
        assert a[key]._data.tobytes() == b[key]._data.tobytes(), f"{key} differs after resume"

    # the logs agree exactly too: the resumed history and CSV hold every epoch once
    history_full = json.loads((full / "history.json").read_text())
    history_part = json.loads((part / "history.json").read_text())
    assert history_part == history_full
    assert len(history_full["loss"]) == EPOCHS
    assert (part / "log.csv").read_text() == (full / "log.csv").read_text()

    # and the final checkpoints of both runs hold the same optimizer state
    last = f"ckpt-{EPOCHS:02d}.safetensors"
    opt_a = gb.load_checkpoint(full / last)["optimizer"]
    opt_b = gb.load_checkpoint(part / last)["optimizer"]
    assert opt_a["param_groups"] == opt_b["param_groups"]
    for index, state in opt_a["state"].items():
        for name, value in state.items():
            assert np.array_equal(np.asarray(value), np.asarray(opt_b["state"][index][name]))


def test_resume_differs_without_restoring_state(tmp_path):
    """Control: a run restarted from the checkpoint's weights alone (fresh optimizer, RNG and
    shuffling) does NOT reproduce the uninterrupted run -- so the test above can fail."""
    full = tmp_path / "full"
    full.mkdir()
    assert _run(full, 4).returncode == 0
    ckpt = gb.load_checkpoint(full / "ckpt-02.safetensors")

    import glassbox.nn.functional as F
    from glassbox import nn
    from glassbox.train import Trainer

    gb.manual_seed(1234)
    split = gb.data.datasets.digits()
    model = nn.Sequential(nn.Linear(64, 48), nn.BatchNorm1d(48), nn.ReLU(), nn.Dropout(0.3),
                          nn.Linear(48, 10))
    model.load_state_dict(ckpt["model"])
    optimizer = gb.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    trainer = Trainer(model, F.cross_entropy, optimizer)
    trainer.fit((split.x_train[:800], split.y_train[:800]), validation_split=0.25, epochs=2,
                verbose=0)
    final = gb.load(full / "final.safetensors")
    assert any(final[k]._data.tobytes() != v._data.tobytes()
               for k, v in model.state_dict().items())
