"""glassbox against itself at another git revision: both in one process, timed in turns.

    python benchmarks/ab.py --base 6103f91 --only W2,W6-CNN-256 --rounds 16

On a shared machine whose speed drifts by more than a single change gains, two separate runs
of benchmarks/run.py cannot tell a 5% change from noise. Here the working tree and the base
revision (checked out into a temporary git worktree) each build the same workload from their
own benchmarks/run.py, and their units run alternately, the order flipped every round, so
both see the same drift. Printed per workload: the median and best wall time, and the same for
the main thread's CPU time (time.thread_time: what the main thread itself computed, which
excludes time the machine gave to other work), and the ratios new / base.
The base revision's benchmarks/run.py must have build(key, framework), as this one does.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.common import positive_int  # it also pins the threads


def load_unit(root: Path, key: str):
    """The glassbox unit of `key` built by the benchmarks/run.py under `root`."""
    for name in [m for m in sys.modules if m.split(".")[0] in ("glassbox", "benchmarks")]:
        del sys.modules[name]
    sys.path.insert(0, str(root))
    try:
        from benchmarks import run

        if not Path(run.__file__).resolve().is_relative_to(root.resolve()):
            raise SystemExit(f"ab: imported {run.__file__}, not the tree under {root}")
        first, unit, _, _ = run.build(key, "glassbox")
        first()  # also the warm-up step, as in run.py
        unit()
        return unit
    finally:
        sys.path.pop(0)


def compare(units: dict, rounds: int) -> dict:
    """Run the units in turns; returns {name: (wall times, main-thread CPU times)}."""
    times = {name: ([], []) for name in units}
    order = list(units)
    for r in range(rounds):
        for name in order if r % 2 == 0 else order[::-1]:
            wall, cpu = time.perf_counter(), time.thread_time()
            units[name]()
            times[name][1].append(time.thread_time() - cpu)
            times[name][0].append(time.perf_counter() - wall)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the git revision to compare against")
    parser.add_argument("--only", default="W1,W2", help="comma-separated workloads, as in run.py")
    parser.add_argument("--rounds", type=positive_int, default=12,
                        help="timed units per tree (default 12)")
    args = parser.parse_args()
    from benchmarks.run import expand

    keys = expand(args.only)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet",
                        str(base), args.base], check=True)
        try:
            for key in keys:
                units = {"base": load_unit(base, key), "new": load_unit(ROOT, key)}
                times = compare(units, args.rounds)
                for i, what in enumerate(("wall", "main-thread CPU")):
                    med = {n: statistics.median(t[i]) for n, t in times.items()}
                    best = {n: min(t[i]) for n, t in times.items()}
                    print(f"{key} {what:15s} base {med['base'] * 1e3:9.2f} ms (best "
                          f"{best['base'] * 1e3:8.2f})  new {med['new'] * 1e3:9.2f} ms (best "
                          f"{best['new'] * 1e3:8.2f})  new/base median "
                          f"{med['new'] / med['base']:.3f}, best {best['new'] / best['base']:.3f}",
                          flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)],
                           check=False)


if __name__ == "__main__":
    main()
