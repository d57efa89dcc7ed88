"""glassbox.set_num_threads / get_num_threads drive NumPy's BLAS thread pool."""

import os
import subprocess
import sys

import pytest
import threadpoolctl

import glassbox as gb


def _blas_threads():
    """The BLAS pool's size as threadpoolctl reports it (independent of glassbox)."""
    return [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]


def test_set_num_threads_changes_the_blas_pool():
    before = gb.get_num_threads()
    try:
        gb.set_num_threads(1)
        assert gb.get_num_threads() == 1 and set(_blas_threads()) == {1}
        gb.set_num_threads(2)
        assert gb.get_num_threads() == 2 and set(_blas_threads()) == {2}
    finally:
        gb.set_num_threads(before)
    assert gb.get_num_threads() == before


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="set_num_threads"):
        gb.set_num_threads(bad)


def test_glassbox_num_threads_env_sets_the_default():
    env = {**os.environ, "GLASSBOX_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "2"}
    code = "import glassbox as gb; print(gb.get_num_threads())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "1"
