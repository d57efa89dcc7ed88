"""Graph layers against dense-matrix references, gradients, attention normalisation, pools."""

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn

RNG = np.random.default_rng(0)
N = 7
# a directed graph with a duplicate-free edge list, one isolated node (6), one existing self loop
EDGES = np.array([[0, 1, 1, 2, 3, 4, 5, 2, 3], [1, 0, 2, 1, 4, 3, 0, 3, 3]])


def _dense_adj(edges, n, self_loops=True):
    a = np.zeros((n, n))
    a[edges[1], edges[0]] = 1.0  # A[target, source]
    if self_loops:
        np.fill_diagonal(a, 1.0)
    return a


def test_gcn_matches_dense_reference():
    conv = nn.GCNConv(4, 3)
    gb.nn.init.normal_(conv.bias)
    x = RNG.standard_normal((N, 4)).astype(np.float32)
    out = conv(gb.tensor(x), gb.tensor(EDGES)).detach().numpy()
    a = _dense_adj(EDGES, N)
    d = np.diag(a.sum(1) ** -0.5)
    ref = d @ a @ d @ x @ conv.lin.weight.detach().numpy().T + conv.bias.detach().numpy()
    np.testing.assert_allclose(out, ref, atol=1e-5, rtol=1e-5)


def test_gcn_without_normalisation_or_loops_sums_neighbours():
    conv = nn.GCNConv(2, 2, add_self_loops=False, normalize=False, bias=False)
    x = RNG.standard_normal((N, 2)).astype(np.float32)
    out = conv(gb.tensor(x), gb.tensor(EDGES)).detach().numpy()
    a = _dense_adj(EDGES, N, self_loops=False)
    np.testing.assert_allclose(out, a @ x @ conv.lin.weight.detach().numpy().T, atol=1e-5)


@pytest.mark.parametrize("layer", ["gcn", "sage", "gat"])
def test_gradcheck_float64(layer):
    gb.manual_seed(0)
    conv = {"gcn": lambda: nn.GCNConv(3, 2), "sage": lambda: nn.SAGEConv(3, 2),
            "gat": lambda: nn.GATConv(3, 2, heads=2)}[layer]()
    params = {k: gb.tensor(v.detach().numpy().astype(np.float64), requires_grad=True)
              for k, v in conv.named_parameters()}
    for k, p in params.items():  # swap in float64 leaves
        mod, attr = (conv, k) if "." not in k else (getattr(conv, k.split(".")[0]), k.split(".")[1])
        setattr(mod, attr, nn.Parameter(p.detach()))
    x = gb.tensor(RNG.standard_normal((N, 3)), requires_grad=True)
    ps = [p for _, p in conv.named_parameters()]
    assert gb.autograd.gradcheck(lambda x, *_: conv(x, gb.tensor(EDGES)), (x, *ps))


def test_sage_matches_dense_mean_reference():
    conv = nn.SAGEConv(4, 3)
    x = RNG.standard_normal((N, 4)).astype(np.float32)
    out = conv(gb.tensor(x), gb.tensor(EDGES)).detach().numpy()
    a = _dense_adj(EDGES, N, self_loops=False)
    a[3, 3] = 1.0  # the existing self loop 3 -> 3 is a message like any other
    mean = (a @ x) / np.maximum(a.sum(1, keepdims=True), 1)
    wl, bl = conv.lin_l.weight.detach().numpy(), conv.lin_l.bias.detach().numpy()
    ref = mean @ wl.T + bl + x @ conv.lin_r.weight.detach().numpy().T
    np.testing.assert_allclose(out, ref, atol=1e-5, rtol=1e-5)


def test_gat_attention_sums_to_one_over_each_neighbourhood():
    conv = nn.GATConv(4, 5, heads=3)
    x = gb.tensor(RNG.standard_normal((N, 4)).astype(np.float32))
    out, (ei, alpha) = conv(x, gb.tensor(EDGES), return_attention_weights=True)
    assert out.shape == (N, 15) and alpha.shape == (ei.shape[1], 3)
    a, target = alpha.detach().numpy(), ei.numpy()[1]
    for h in range(3):
        np.testing.assert_allclose(np.bincount(target, weights=a[:, h], minlength=N), 1.0, rtol=1e-5)
    assert (a > 0).all() and np.ptp(a) > 0.01  # not uniform: the attention depends on x


def test_gat_matches_dense_reference():
    conv = nn.GATConv(3, 2, heads=2, concat=False)
    x = RNG.standard_normal((N, 3)).astype(np.float32)
    out = conv(gb.tensor(x), gb.tensor(EDGES)).detach().numpy()
    h = (x @ conv.lin.weight.detach().numpy().T).reshape(N, 2, 2)
    s = (h * conv.att_src.detach().numpy()).sum(-1)
    d = (h * conv.att_dst.detach().numpy()).sum(-1)
    mask = _dense_adj(EDGES, N) > 0
    ref = np.zeros((N, 2, 2))
    for k in range(2):
        e = d[:, k][:, None] + s[:, k][None, :]  # e[i, j] for edge j -> i
        e = np.where(e > 0, e, 0.2 * e)
        e = np.where(mask, e, -np.inf)
        w = np.exp(e - e.max(1, keepdims=True))
        w /= w.sum(1, keepdims=True)
        ref[:, k] = w @ h[:, k]
    np.testing.assert_allclose(out, ref.mean(1) + conv.bias.detach().numpy(), atol=1e-5)


def test_global_pools():
    x = RNG.standard_normal((6, 3)).astype(np.float32)
    batch = np.array([0, 0, 1, 1, 1, 2])
    for pool, ref in [(nn.global_add_pool, np.add), (nn.global_max_pool, np.maximum)]:
        want = np.stack([ref.reduce(x[batch == b]) for b in range(3)])
        np.testing.assert_allclose(pool(gb.tensor(x), gb.tensor(batch)).numpy(), want, rtol=1e-6)
    want = np.stack([x[batch == b].mean(0) for b in range(3)])
    np.testing.assert_allclose(nn.global_mean_pool(gb.tensor(x), gb.tensor(batch)).numpy(), want,
                               rtol=1e-5)
    assert nn.global_mean_pool(gb.tensor(x)).shape == (1, 3)


def test_bad_edge_index_is_named():
    with pytest.raises(IndexError, match="GCNConv.*edge_index holds node 9"):
        nn.GCNConv(2, 2)(gb.randn(4, 2), gb.tensor([[0, 9], [1, 2]]))
    with pytest.raises(ValueError, match=r"GATConv.*edge_index must be .* \(2, E\)"):
        nn.GATConv(2, 2)(gb.randn(4, 2), gb.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"SAGEConv: expected x of shape \(N, 3\)"):
        nn.SAGEConv(3, 2)(gb.randn(4, 2), gb.tensor([[0], [1]]))
