"""Integer matrix products: int8 x int8 -> int32, exactly, three ways.

NumPy has no int8 BLAS. There are three honest ways to get the int32 result of an int8 GEMM:

* ``'int32'``: widen both operands to int32 and call `np.matmul`. Exact by construction, but
  NumPy's integer matmul is a plain loop without BLAS: it is slow.
* ``'float32'``: hold the int8 values in float32 and call BLAS sgemm. float32 represents every
  integer up to 2**24 exactly, so the result is exact as long as no partial sum can pass 2**24:
  |a| <= 128, |b| <= 127 gives |a*b| <= 16256, and 2**24 / 16256 = 1032 products. The inner
  dimension is therefore cut into blocks of at most 1024; each block's sum is exact, and blocks
  are added in int32.
* ``'float64'``: the same in double precision (exact up to 2**53, so no blocks): one dgemm, about
  half the speed of sgemm.

`qmatmul` is what the quantized layers call; `method` picks the way (default 'float32', the
fastest exact one on the machines we measured; `examples/compression.py` prints the timings).
"""

from __future__ import annotations

import numpy as np

METHODS = ("float32", "float64", "int32")
BLOCK = 1024  # inner-dimension block of the float32 path: 1024 * 128 * 127 < 2**24


def qmatmul(a: np.ndarray, b: np.ndarray, method: str = "float32") -> np.ndarray:
    """Exact integer product of int8-valued matrices a (M, K) and b (K, N) -> int32 (M, N).

    Args:
        a: (M, K) array of integers in [-128, 127] (int8, or float32 holding such integers).
        b: (K, N) array of integers in [-127, 127], same kinds as `a`.
        method: 'float32' (blocked sgemm, default), 'float64' (dgemm) or 'int32' (NumPy's
            integer matmul).

    Example:
        >>> import numpy as np
        >>> a = np.full((1, 3000), -128, dtype=np.int8); b = np.full((3000, 1), 127, np.int8)
        >>> int(qmatmul(a, b)[0, 0]) == -128 * 127 * 3000
        True
    """
    if method == "float32":
        k = a.shape[1]
        af, bf = a.astype(np.float32, copy=False), b.astype(np.float32, copy=False)
        if k <= BLOCK:
            return (af @ bf).astype(np.int32)
        acc = np.zeros((a.shape[0], b.shape[1]), dtype=np.int32)
        for s in range(0, k, BLOCK):
            acc += (af[:, s : s + BLOCK] @ bf[s : s + BLOCK]).astype(np.int32)
        return acc
    if method == "float64":
        return (a.astype(np.float64) @ b.astype(np.float64)).astype(np.int32)
    if method == "int32":
        return a.astype(np.int32) @ b.astype(np.int32)
    raise ValueError(f"qmatmul: method must be one of {METHODS}, received method={method!r}")
