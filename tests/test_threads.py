"""glassbox.set_num_threads / get_num_threads drive NumPy's BLAS thread pool."""

import os
import subprocess
import sys

import numpy as np
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


def test_parallel_rows_covers_every_row_once_across_threads():
    import threading

    from glassbox import backend

    seen, names = np.zeros(1000, dtype=np.int64), set()

    def kernel(a, b):
        names.add(threading.current_thread().name)
        seen[a:b] += 1

    before = gb.get_num_threads()
    try:
        gb.set_num_threads(2)
        backend.parallel_rows(kernel, 1000, 1 << 12)  # big enough to split
        assert seen.tolist() == [1] * 1000
        if backend.available_cpus() > 1:
            assert len(names) == 2  # the caller and one pool thread
        gb.set_num_threads(1)
        names.clear()
        backend.parallel_rows(kernel, 1000, 1 << 12)
        assert names == {threading.current_thread().name} and seen.tolist() == [2] * 1000
    finally:
        gb.set_num_threads(before)


@pytest.mark.parametrize("threads", [1, 2])
def test_gelu_split_over_threads_matches_one_piece(threads):
    import glassbox.nn.functional as F
    from glassbox.ops.elementwise import normal_cdf

    x = np.random.default_rng(0).standard_normal((1024, 512)).astype(np.float32) * 3
    before = gb.get_num_threads()
    try:
        gb.set_num_threads(threads)
        t = gb.tensor(x, requires_grad=True)
        y = F.gelu(t)
        y.backward(gb.tensor(np.full_like(x, 0.5)))
    finally:
        gb.set_num_threads(before)
    cdf = normal_cdf(x)
    np.testing.assert_array_equal(y.detach().numpy(), x * cdf)
    pdf = np.exp(-0.5 * x * x) * x / np.sqrt(2 * np.pi)
    np.testing.assert_allclose(t.grad.numpy(), 0.5 * (cdf + pdf), rtol=1e-6, atol=1e-7)


def test_attention_rows_split_over_threads_match_torch():
    import torch

    import glassbox.nn.functional as F

    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((32, 4, 64, 16)).astype(np.float32) for _ in range(3))
    g = rng.standard_normal((32, 4, 64, 16)).astype(np.float32)
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    ref = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=True)
    ref.backward(torch.tensor(g))
    before = gb.get_num_threads()
    try:
        for threads in (1, 2):
            gb.set_num_threads(threads)
            gq, gk, gv = (gb.tensor(a, requires_grad=True) for a in (q, k, v))
            out = F.scaled_dot_product_attention(gq, gk, gv, is_causal=True)
            out.backward(gb.tensor(g))
            np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), atol=1e-5)
            for mine, theirs in ((gq, tq), (gk, tk), (gv, tv)):
                np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), atol=1e-4)
    finally:
        gb.set_num_threads(before)


def test_max_pool_planes_split_over_threads_match_torch():
    import torch

    import glassbox.nn.functional as F

    rng = np.random.default_rng(1)
    # rounded values: many ties, whose gradient must go to the first maximum
    x = np.round(rng.standard_normal((64, 16, 28, 28)), 1).astype(np.float32)
    g = rng.standard_normal((64, 16, 14, 14)).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.max_pool2d(tx, 2)
    ref.backward(torch.tensor(g))
    before = gb.get_num_threads()
    try:
        for threads in (1, 2):
            gb.set_num_threads(threads)
            gx = gb.tensor(x, requires_grad=True)
            out = F.max_pool2d(gx, 2)
            out.backward(gb.tensor(g))
            np.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
            np.testing.assert_array_equal(gx.grad.numpy(), tx.grad.numpy())
    finally:
        gb.set_num_threads(before)
