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


def test_a_failing_child_run_is_reported():
    proc = subprocess.run([sys.executable, str(BENCH / "fused_micro.py"), "--rounds", "1",
                           "--only", "gelu", "--repeats", "0", "--no-scatter"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode != 0
    assert "--side glassbox failed" in proc.stderr


@pytest.mark.parametrize(("body", "why"), [
    ("print('timings: soon')", "not JSON"),
    ("pass", "prints nothing"),
])
def test_a_child_run_without_timings_is_reported(tmp_path, body, why):
    script = tmp_path / "child.py"
    script.write_text(f"import sys\n{body}\nprint('child stderr', file=sys.stderr)\n")
    # in a process of its own: benchmarks.common pins the thread counts of whoever imports it
    call = f"from benchmarks.common import run_sides; run_sides({str(script)!r}, [], rounds=1)"
    proc = subprocess.run([sys.executable, "-c", call], cwd=BENCH.parent, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode != 0, why
    assert "RuntimeError" in proc.stderr and "--side glassbox failed (exit 0)" in proc.stderr
    assert "child stderr" in proc.stderr  # the child's own output is passed on
