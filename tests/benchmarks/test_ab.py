"""benchmarks/ab.py end to end: the working tree against a git revision, in one process."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AB = ROOT / "benchmarks" / "ab.py"


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the git repository")
def test_ab_times_both_trees_in_turns_and_removes_its_worktree():
    proc = subprocess.run(
        [sys.executable, str(AB), "--base", "HEAD", "--only", "W6-CNN-1", "--rounds", "2"],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [line for line in proc.stdout.splitlines() if line.startswith("W6-CNN-1")]
    assert len(lines) == 2 and "wall" in lines[0] and "main-thread CPU" in lines[1]
    ratios = [float(x) for x in re.findall(r"(?:median|best) (\d+\.\d+)", lines[0])]
    assert len(ratios) == 2 and all(0.1 < r < 10 for r in ratios)  # the same code: near 1
    worktrees = subprocess.run(["git", "-C", str(ROOT), "worktree", "list"],
                               capture_output=True, text=True, check=True).stdout
    assert "/base" not in worktrees


def test_ab_needs_a_base_revision():
    proc = subprocess.run([sys.executable, str(AB)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode != 0 and "--base" in proc.stderr


def test_ab_refuses_zero_rounds():
    proc = subprocess.run([sys.executable, str(AB), "--base", "HEAD", "--rounds", "0"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and "--rounds: must be at least 1, got 0" in proc.stderr
