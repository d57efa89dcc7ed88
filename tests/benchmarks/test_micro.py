"""The op-level benchmarks end to end: each framework timed alone, in its own subprocesses."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _run(script, *args):
    proc = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


@pytest.mark.parametrize(("script", "args", "row"), [
    ("fused_micro.py", ["--only", "gelu", "--repeats", "1", "--inner", "1", "--no-scatter"],
     "gelu 32x64x512"),
    ("conv_micro.py", ["--only", "pool2", "--repeats", "2"], "pool2 (32ch, 14x14)"),
])
def test_micro_benchmark_runs_each_framework_alone(script, args, row):
    proc = _run(script, "--rounds", "2", *args)
    # two rounds, each running both frameworks, the order flipped in the second
    assert re.findall(r"round (\d)/2: (\w+)", proc.stderr) == [
        ("1", "glassbox"), ("1", "torch"), ("2", "torch"), ("2", "glassbox")]
    (line,) = [ln for ln in proc.stdout.splitlines() if ln.startswith(row)]
    numbers = [float(v) for v in line[len(row):].split()]
    assert numbers and all(v > 0 for v in numbers)


def _run_sides_on(script):
    """run_sides over `script` for one round, in a process of its own (benchmarks.common pins
    the thread counts of whoever imports it)."""
    call = f"from benchmarks.common import run_sides; run_sides({str(script)!r}, [], rounds=1)"
    return subprocess.run([sys.executable, "-c", call], cwd=BENCH.parent, capture_output=True,
                          text=True, timeout=300, check=False)


def test_a_failing_child_run_is_reported(tmp_path):
    script = tmp_path / "child.py"
    script.write_text("raise SystemExit('the child run broke')\n")
    proc = _run_sides_on(script)
    assert proc.returncode != 0
    assert "--side glassbox failed" in proc.stderr
    assert "(exit 1)" in proc.stderr and "the child run broke" in proc.stderr


@pytest.mark.parametrize(("body", "why"), [
    ("print('timings: soon')", "not JSON"),
    ("pass", "prints nothing"),
])
def test_a_child_run_without_timings_is_reported(tmp_path, body, why):
    script = tmp_path / "child.py"
    script.write_text(f"import sys\n{body}\nprint('child stderr', file=sys.stderr)\n")
    proc = _run_sides_on(script)
    assert proc.returncode != 0, why
    assert "RuntimeError" in proc.stderr and "--side glassbox failed (exit 0)" in proc.stderr
    assert "child stderr" in proc.stderr  # the child's own output is passed on


def test_floors_reports_the_gemm_floor_of_a_case():
    proc = _run("floors.py", "--rounds", "1", "--repeats", "1", "--only", "conv1")
    (line,) = [ln for ln in proc.stdout.splitlines() if ln.startswith("W2 conv1 f+b")]
    gb_whole, gemm, pt_whole, floor, target = (float(v) for v in line.split()[3:8])
    assert 0 < gemm < gb_whole and pt_whole > 0 and target == 1.0
    # one round: floor = GEMMs / torch, up to the printed rounding (2 decimals each)
    slack = 0.005 + floor * 0.005 * (1 / gemm + 1 / pt_whole)
    assert floor == pytest.approx(gemm / pt_whole, abs=slack)
    calls = int(line.split()[8])
    assert calls >= 3  # forward, input-free backward: the output and weight-gradient GEMMs


def test_floors_batch_one_cnn_makes_only_the_forward_gemms():
    # W6's CNN at batch 1 through gb.capture, no grad: two convolutions and two linear layers
    proc = _run("floors.py", "--rounds", "1", "--repeats", "9", "--only", "cnn-b1")
    (line,) = [ln for ln in proc.stdout.splitlines() if ln.startswith("W6 CNN b1 forward")]
    gb_whole, gemm, pt_whole = (float(v) for v in line.split()[4:7])
    assert 0 < gemm < gb_whole and pt_whole > 0
    assert int(line.split()[9]) == 4


def test_matmul_recorder_replays_the_same_products():
    # in a process of its own: benchmarks.common pins the thread counts of whoever imports it
    check = """
import numpy as np
from benchmarks.floors import MatmulRecorder
rng = np.random.default_rng(0)
a, b = rng.standard_normal((5, 3)), rng.standard_normal((3, 4))
out = np.empty((4, 5))
matmul = np.matmul
with MatmulRecorder() as rec:
    np.matmul(a, b)
    np.matmul(b.T, a.T, out=out)  # a transposed view and an `out` array
assert np.matmul is matmul, "np.matmul not restored"
assert len(rec.calls) == 2, rec.calls
out[...] = 0
rec.replay()
np.testing.assert_allclose(out, (a @ b).T)
print("replayed")
"""
    proc = subprocess.run([sys.executable, "-c", check], cwd=BENCH.parent, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "replayed"


def test_floors_names_the_cases_when_given_an_unknown_one():
    proc = subprocess.run([sys.executable, str(BENCH / "floors.py"), "--only", "conv2,W9"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 2
    assert "unknown case(s) W9; choose from W1, W2, W3, W4, lstm" in proc.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--rounds", "0"], "argument --rounds: must be at least 1, got 0"),
    (["--repeats", "0"], "argument --repeats: must be at least 1, got 0"),
    (["--rounds", "two"], "argument --rounds: expected a whole number, got 'two'"),
])
def test_floors_refuses_counts_that_would_time_nothing(args, message):
    proc = subprocess.run([sys.executable, str(BENCH / "floors.py"), *args],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 2
    assert message in proc.stderr


@pytest.mark.parametrize(("script", "option"), [
    ("run.py", "--rounds"), ("run.py", "--repeats"), ("conv_micro.py", "--repeats"),
    ("fused_micro.py", "--inner"), ("rnn_micro.py", "--repeats"), ("rnn_micro.py", "--hidden"),
])
def test_every_benchmark_refuses_a_count_or_size_of_zero(script, option):
    proc = subprocess.run([sys.executable, str(BENCH / script), option, "0"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 2
    assert f"argument {option}: must be at least 1, got 0" in proc.stderr
