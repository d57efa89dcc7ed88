"""examples/compression.py --fast runs end to end and prints the tables it promises."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_compression_example_fast():
    done = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "compression.py"),
                           "--fast", "--threads", "1"], check=False, capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    for text in ("### W1 MLP", "### W2 CNN", "int8 static (min/max)", "int8 dynamic",
                 "conv channels pruned", "hidden neurons pruned", "int8 GEMM paths",
                 "BLAS threads: 1"):
        assert text in out, text
    # the int8 rows are ~3.9x smaller on disk (file sizes do not depend on training)
    int8_rows = [line for line in out.splitlines() if line.startswith("| int8 static")]
    ratios = [float(line.split("|")[4].strip().rstrip("x")) for line in int8_rows]
    assert len(ratios) == 4 and min(ratios) >= 3.5, ratios
