"""matmul / einsum beyond the op table: errors vs torch, dtypes, strides, random broadcasting."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb


def _pair(array, requires_grad=False):
    array = np.asarray(array)
    return gb.tensor(array, requires_grad=requires_grad), torch.tensor(array, requires_grad=requires_grad)


def _compare(g_fn, t_fn, arrays, tol=1e-5):
    """Forward values, shape, dtype and every input gradient of g_fn vs t_fn."""
    pairs = [_pair(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    g_out = g_fn(*[g for g, _ in pairs])
    t_out = t_fn(*[t for _, t in pairs])
    assert g_out.shape == tuple(t_out.shape)
    assert str(g_out.dtype) == str(t_out.dtype).replace("torch.", "")
    np.testing.assert_allclose(g_out.detach().numpy(), t_out.detach().numpy(), rtol=tol, atol=tol)
    if not g_out.requires_grad:
        return
    w = np.random.default_rng(1).standard_normal(g_out.shape).astype(g_out.dtype)
    (g_out * gb.tensor(w)).sum().backward()
    (t_out * torch.tensor(w)).sum().backward()
    for g, t in pairs:
        assert g.grad.shape == g.shape and g.grad.dtype == g.dtype
        np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=tol, atol=tol)


# --- errors ----------------------------------------------------------------------------------


def test_matmul_shape_message_names_op_and_shapes():
    with pytest.raises(RuntimeError) as err:
        gb.ones(8, 30) @ gb.ones(40, 10)
    assert str(err.value) == "matmul: shapes (8, 30) and (40, 10) cannot be multiplied (30 != 40)"
    assert isinstance(err.value, ValueError)  # glassbox's convention for shapes, too


ERROR_CASES = [
    ("mismatch", lambda m: m.matmul(m.ones(8, 30), m.ones(40, 10)), ["matmul", "(8, 30)", "(40, 10)"]),
    ("dot_mismatch", lambda m: m.ones(3) @ m.ones(4), ["matmul", "(3,)", "(4,)"]),
    ("vec_mat", lambda m: m.ones(3) @ m.ones(4, 5), ["(3,)", "(4, 5)", "3 != 4"]),
    ("mat_vec", lambda m: m.ones(4, 5) @ m.ones(4), ["(4, 5)", "(4,)", "5 != 4"]),
    ("zero_dim", lambda m: m.matmul(m.tensor(2.0), m.ones(3)), ["matmul", "1-D", "()"]),
    ("batch", lambda m: m.ones(2, 3, 4) @ m.ones(5, 4, 6), ["matmul", "(2,)", "(5,)"]),
    ("dtype", lambda m: m.ones(2, 3) @ m.ones(3, 2, dtype=m.float64), ["matmul", "float32", "float64"]),
    ("int_float", lambda m: m.ones(2, 3) @ m.ones(3, 2, dtype=m.int64), ["matmul", "int64"]),
    ("mm_1d", lambda m: m.mm(m.ones(3), m.ones(3, 4)), ["mm", "(3,)"]),
    ("mm_mismatch", lambda m: m.mm(m.ones(2, 3), m.ones(4, 5)), ["mm", "3 != 4"]),
    ("bmm_2d", lambda m: m.bmm(m.ones(3, 4), m.ones(4, 5)), ["bmm", "(3, 4)"]),
    ("bmm_batch", lambda m: m.bmm(m.ones(2, 3, 4), m.ones(3, 4, 5)), ["bmm", "2 != 3"]),
    ("bmm_inner", lambda m: m.bmm(m.ones(2, 3, 4), m.ones(2, 5, 5)), ["bmm", "4 != 5"]),
    ("dot_2d", lambda m: m.dot(m.ones(2, 2), m.ones(2, 2)), ["dot", "(2, 2)"]),
    ("dot_len", lambda m: m.dot(m.ones(3), m.ones(4)), ["dot", "3 != 4"]),
    ("dot_dtype", lambda m: m.dot(m.ones(3), m.ones(3, dtype=m.float64)), ["dot", "float64"]),
    ("outer_2d", lambda m: m.outer(m.ones(3, 1), m.ones(4)), ["outer", "(3, 1)"]),
    ("einsum_size", lambda m: m.einsum("ij,jk->ik", m.ones(2, 3), m.ones(4, 5)), ["einsum", "j", "4", "3"]),
    ("einsum_nsub", lambda m: m.einsum("ijk,jk->ik", m.ones(2, 3), m.ones(3, 3)), ["einsum", "'ijk'", "(2, 3)"]),
    ("einsum_too_few", lambda m: m.einsum("ij,jk->ik", m.ones(2, 3)), ["einsum", "fewer"]),
    ("einsum_too_many", lambda m: m.einsum("ij->i", m.ones(2, 3), m.ones(2, 3)), ["einsum", "more"]),
    ("einsum_char", lambda m: m.einsum("i1->i", m.ones(2, 3)), ["einsum", "'i1'"]),
    ("einsum_out_missing", lambda m: m.einsum("ij->iz", m.ones(2, 3)), ["einsum", "z"]),
    ("einsum_out_twice", lambda m: m.einsum("ij->ii", m.ones(2, 3)), ["einsum", "i", "more than once"]),
    ("einsum_diag_sizes", lambda m: m.einsum("ii->i", m.ones(3, 4)), ["einsum", "repeated", "4 != 3"]),
    ("einsum_two_ellipses", lambda m: m.einsum("...i...->i", m.ones(2, 3)), ["einsum", "'...'"]),
    ("einsum_ellipsis_dims", lambda m: m.einsum("ijkl...->i", m.ones(2, 3, 4)), ["einsum", "(2, 3, 4)"]),
    ("einsum_dtype", lambda m: m.einsum("ij,jk->ik", m.ones(2, 3), m.ones(3, 2, dtype=m.float64)), ["einsum", "float64"]),
]


@pytest.mark.parametrize("fn,words", [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_error_class_matches_torch(fn, words):
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(type(t_err.value)) as g_err:
        fn(gb)
    for word in words:
        assert word in str(g_err.value), f"{word!r} missing from {str(g_err.value)!r}"


# --- dtypes and memory layouts ---------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", [((6, 5), (5, 4)), ((3, 6, 5), (5, 4)), ((6, 5), (3, 5, 4)), ((5,), (5,))])
def test_dtype_is_kept_with_no_upcast(dtype, shapes):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(s).astype(dtype) for s in shapes)
    ga, gb_ = gb.tensor(a, requires_grad=True), gb.tensor(b, requires_grad=True)
    out = ga @ gb_
    assert out.dtype == dtype
    out.sum().backward()
    assert ga.grad.dtype == dtype and gb_.grad.dtype == dtype


def test_integer_matmul_like_torch():
    a = np.arange(6).reshape(2, 3)
    b = np.arange(12).reshape(3, 4) - 5
    _compare(gb.matmul, torch.matmul, [a, b])
    _compare(lambda x, y: gb.einsum("ij,jk->ik", x, y), lambda x, y: torch.einsum("ij,jk->ik", x, y), [a, b])


@pytest.mark.parametrize(
    "view",
    [
        lambda a: a[:, ::2],  # neither inner stride is one element: copied before BLAS
        lambda a: a.T,  # Fortran order: handed to BLAS as is
        lambda a: a[::2],  # rows skipped, inner stride one
        lambda a: np.broadcast_to(a[:1], a.shape),  # zero stride
    ],
)
def test_strided_operands(view):
    rng = np.random.default_rng(0)
    base = rng.standard_normal((8, 8)).astype(np.float32)
    a = view(base)
    b = rng.standard_normal((a.shape[1], 3)).astype(np.float32)
    g = gb.from_numpy(a) @ gb.tensor(b)
    np.testing.assert_allclose(g.numpy(), a.astype(np.float64) @ b, rtol=1e-5, atol=1e-5)
    g = gb.tensor(b.T.copy()) @ gb.from_numpy(a.T)
    np.testing.assert_allclose(g.numpy(), b.T.astype(np.float64) @ a.T, rtol=1e-5, atol=1e-5)


def test_batched_left_operand_against_matrix_is_one_gemm_and_right():
    """(B, T, k) @ (k, n) folds into one GEMM forward and for the matrix's gradient."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 7, 5)).astype(np.float32)
    b = rng.standard_normal((5, 3)).astype(np.float32)
    _compare(gb.matmul, torch.matmul, [a, b], tol=1e-4)
    _compare(gb.matmul, torch.matmul, [b.T.copy(), a.transpose(0, 2, 1).copy()], tol=1e-4)


def test_matmul_accepts_the_engine_reducing_broadcast_batches():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 1, 3, 4)).astype(np.float32)
    b = rng.standard_normal((5, 4, 2)).astype(np.float32)
    _compare(gb.matmul, torch.matmul, [a, b], tol=1e-4)


# --- einsum ----------------------------------------------------------------------------------


def test_einsum_operands_as_a_list_and_spaces():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32)
    _compare(lambda x, y: gb.einsum(" ij , jk -> ik ", [x, y]), lambda x, y: torch.einsum("ij,jk->ik", [x, y]), [a, b])


@pytest.mark.parametrize(
    "equation,shapes",
    [
        ("ii->i", [(4, 4)]),
        ("ii", [(4, 4)]),
        ("iij->j", [(3, 3, 2)]),
        ("bii->bi", [(2, 3, 3)]),
        ("ij,i->j", [(3, 4), (1,)]),  # size-1 broadcast on a contracted letter
        ("ij,kj->ikj", [(2, 1), (3, 4)]),  # x's size-1 axis meets size 4: gradient summed
        ("i,j->i", [(3,), (4,)]),  # j only in the second operand: summed away
        ("...i,...i->...", [(2, 1, 3), (4, 3)]),
        ("bAa", [(2, 3, 4)]),  # implicit output: uppercase sorts first (ASCII), as torch
        ("...,...->...", [(2, 3), (3,)]),
    ],
)
def test_einsum_special_cases(equation, shapes):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float64) for s in shapes]
    _compare(lambda *o: gb.einsum(equation, *o), lambda *o: torch.einsum(equation, *o), arrays, tol=1e-10)
    inputs = [gb.tensor(a, requires_grad=True) for a in arrays]
    assert gb.autograd.gradcheck(lambda *o: gb.einsum(equation, *o), inputs)


def test_einsum_permutation_does_not_alias_its_input():
    x = gb.tensor(np.arange(6.0).reshape(2, 3))
    y = gb.einsum("ij->ji", x)
    assert not np.shares_memory(y.numpy(), x.numpy())
    np.testing.assert_array_equal(y.numpy(), np.arange(6.0).reshape(2, 3).T)


def test_einsum_trace_gradient_is_identity():
    x = gb.tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
    gb.einsum("ii", x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.eye(3))


# --- randomized broadcasting -----------------------------------------------------------------


@st.composite
def matmul_shapes(draw):
    """Two shapes torch can multiply: optional 1-D operands, batch dims that broadcast."""
    m, k, n = (draw(st.integers(0, 4)) for _ in range(3))
    batch = draw(st.lists(st.integers(1, 3), max_size=3))
    nd_a, nd_b = draw(st.integers(0, len(batch))), draw(st.integers(0, len(batch)))

    def batch_for(nd):
        # the trailing nd batch dims, each kept or set to 1 (broadcast)
        return tuple(b if draw(st.booleans()) else 1 for b in batch[len(batch) - nd:])

    a = (k,) if draw(st.integers(0, 4)) == 0 else batch_for(nd_a) + (m, k)
    b = (k,) if draw(st.integers(0, 4)) == 0 else batch_for(nd_b) + (k, n)
    return a, b


@settings(max_examples=60, deadline=None)
@given(shapes=matmul_shapes(), seed=st.integers(0, 2**16))
def test_matmul_random_broadcasting_matches_torch(shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    _compare(gb.matmul, torch.matmul, [a, b], tol=1e-4)
