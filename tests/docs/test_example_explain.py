"""examples/explain_digits.py in its --fast mode: it runs, and its figures make sense."""

import re
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "explain_digits.py"


def test_explain_digits_fast(tmp_path):
    proc = subprocess.run([sys.executable, str(EXAMPLE), "--fast", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = re.findall(r"^final (\w+): (\S+)$", proc.stdout, re.MULTILINE)
    final = {name: float(value) for name, value in lines}
    assert final["accuracy"] > 0.8
    # integrated gradients add up to f(x) - f(baseline), up to the quadrature error
    assert final["ig_completeness_error"] < 0.05
    # the pixels IG ranks first matter more than random lit pixels
    assert final["deletion_drop_top"] > 2 * final["deletion_drop_random"]
    assert (tmp_path / "explain_digits.png").stat().st_size > 1000
