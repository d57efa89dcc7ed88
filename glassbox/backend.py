"""The array module, dtypes, the default dtype and the random generator.

Everything below the Tensor talks to arrays through this module, so that one place decides
what the array library is (NumPy), which float type tensors get by default (float32, as in
PyTorch) and where random numbers come from (one seeded NumPy Generator).
"""

from __future__ import annotations

import ctypes
import functools
import os

import numpy as np

xp = np  # the array module; CuPy can stand here when a GPU is asked for

# dtypes, exposed as glassbox.float32 etc. A NumPy dtype compares equal to its scalar type,
# so `t.dtype == glassbox.float32` and `t.dtype == np.float32` both hold.
float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

_default_dtype = float32


def get_default_dtype() -> np.dtype:
    """The float dtype new tensors get when none is given (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype) -> None:
    """Set the float dtype for new tensors; only float32 and float64 are allowed.

    Example:
        >>> import glassbox as gb
        >>> gb.set_default_dtype(gb.float64); gb.tensor(1.0).dtype
        dtype('float64')
        >>> gb.set_default_dtype(gb.float32)
    """
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype not in (float32, float64):
        raise TypeError(f"set_default_dtype: only float32 and float64 are supported, got {dtype}")
    _default_dtype = dtype


def is_floating(dtype) -> bool:
    return np.dtype(dtype).kind == "f"


# ---------------------------------------------------------------------------------------------
# Random numbers: one Generator, reseeded by manual_seed.
_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed glassbox's random generator (used by rand, randn, init, dropout, shuffling).

    Returns the new generator, so `g = gb.manual_seed(0)` can be passed on where one is wanted.
    """
    global _generator
    if not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    _generator = np.random.default_rng(seed)
    return _generator


def default_generator() -> np.random.Generator:
    """The generator glassbox draws from when no generator is passed."""
    return _generator


def get_rng_state() -> dict:
    """The generator's state as a plain dict (JSON-serialisable), for checkpoints."""
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    _generator.bit_generator.state = state


# ---------------------------------------------------------------------------------------------
# Memory: training allocates and frees the same large buffers every step. glibc returns big
# blocks to the OS (mmap/trim) after each free, and fetching them again costs page faults that
# can take a third of a small model's step time. Keeping freed memory in the process avoids it.
# Set GLASSBOX_MALLOC_TUNING=0 to leave the allocator alone.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def _tune_malloc() -> bool:
    if os.environ.get("GLASSBOX_MALLOC_TUNING", "1") == "0":
        return False
    try:
        # the soname first: find_library would start an `ldconfig` process at every import
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False  # not glibc: nothing to tune
    # 1 GiB: large activations come from the heap instead of fresh mmap pages; never trim.
    mmap_ok = mallopt(_M_MMAP_THRESHOLD, 1 << 30)
    trim_ok = mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)
    return bool(mmap_ok and trim_ok)


malloc_tuned = _tune_malloc()


# ---------------------------------------------------------------------------------------------
# Cache blocking: a kernel that makes many elementwise passes over a large array (GELU's
# polynomial, attention's softmax, max-pooling's running max) runs it a block at a time. A
# block of ~1 MB of float32 stays in the L2 cache across the passes; a whole large activation
# (a GPT MLP's 32 MB at batch 256) would go to memory and back on every pass, twice as slow.
BLOCK_ELEMENTS = 1 << 18


def by_blocks(kernel, n_rows: int, row_size: int) -> None:
    """Call kernel(start, stop) over the rows [0, n_rows), about BLOCK_ELEMENTS elements
    (rows of row_size elements) at a time."""
    step = max(1, BLOCK_ELEMENTS // max(1, row_size))
    for start in range(0, n_rows, step):
        kernel(start, min(start + step, n_rows))


# ---------------------------------------------------------------------------------------------
# Zeros to compare against: NumPy's maximum/minimum run 2-3x slower with a scalar operand than
# with an array (the scalar loop is not vectorised), so ReLU takes its zeros from here, a block
# at a time: one read-only block of BLOCK_ELEMENTS zeros per dtype, whatever the array's size.


@functools.lru_cache(maxsize=8)
def zeros_block(dtype) -> np.ndarray:
    """A read-only (BLOCK_ELEMENTS,) zero array of `dtype`, for ufunc operands."""
    zeros = np.zeros(BLOCK_ELEMENTS, dtype=dtype)
    zeros.flags.writeable = False
    return zeros


# ---------------------------------------------------------------------------------------------
# Threads: NumPy's BLAS (OpenBLAS in NumPy's wheels) does every matmul and convolution GEMM; it
# is the only thread pool glassbox uses (elementwise NumPy code is single-threaded, and
# glassbox.data.DataLoader loads batches in the calling thread, so it starts none).
#
# The thread count is read and set through threadpoolctl, which finds the BLAS library NumPy
# actually loaded. A raw ctypes call to `openblas_set_num_threads` would have to guess the
# symbol: NumPy 2's wheels ship scipy-openblas, whose symbols carry a prefix and suffix
# (`scipy_openblas_set_num_threads64_`), and other builds use MKL or BLIS.
#
# Default: OpenBLAS starts one thread per online CPU unless OPENBLAS_NUM_THREADS /
# OMP_NUM_THREADS says otherwise, and glassbox keeps that, with two changes: GLASSBOX_NUM_THREADS
# wins when set, and when no variable is set but the process may run on fewer CPUs than the
# machine has (taskset, a container's cpuset), the pool is cut to those CPUs -- more BLAS
# threads than CPUs only makes them wait for each other. Several training processes on one
# machine should each be given their share (set_num_threads or the variables above).

_THREAD_VARS = ("GLASSBOX_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                "MKL_NUM_THREADS")


def _blas_controller():
    import threadpoolctl  # imported here: `import glassbox` stays light

    return threadpoolctl.ThreadpoolController().select(user_api="blas")


def get_num_threads() -> int:
    """The number of threads NumPy's BLAS uses for matmul and convolution GEMMs.

    Example:
        >>> import glassbox as gb
        >>> gb.get_num_threads() >= 1
        True
    """
    pools = _blas_controller().lib_controllers
    return max((p.num_threads for p in pools), default=1)


def set_num_threads(n: int) -> None:
    """Set the number of threads NumPy's BLAS uses, at run time (all BLAS libraries loaded).

    Args:
        n (int): threads, >= 1. One per physical core is usually best; less when several
            processes share the machine.

    Example:
        >>> import glassbox as gb
        >>> before = gb.get_num_threads()
        >>> gb.set_num_threads(1); gb.get_num_threads()
        1
        >>> gb.set_num_threads(before)
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive int, got {n!r}")
    _blas_controller().limit(limits=int(n))


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask), or the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _default_threads() -> None:
    wanted = os.environ.get("GLASSBOX_NUM_THREADS")
    try:
        if wanted:
            set_num_threads(int(wanted))
        elif not any(os.environ.get(v) for v in _THREAD_VARS) and \
                available_cpus() < (os.cpu_count() or 1):
            set_num_threads(available_cpus())
    except (ImportError, ValueError):
        pass  # no threadpoolctl, or a bad value: BLAS keeps its own default


_default_threads()
