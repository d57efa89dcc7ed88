"""Graph neural networks on real tasks, each beside a baseline that ignores the graph.

1. Node classification: the 1,797 scikit-learn digits are nodes of a k-nearest-neighbour
   graph (k = 10, in pixel space). Only 10 labelled digits per class are given; GCN, GraphSAGE
   and GAT spread that information along the graph's edges, while an MLP sees only the 100
   labelled images.
2. Graph classification: generated graphs (fixed seed), cycles vs random trees with the same
   number of nodes (8 to 16), and constant node features, so only the structure tells them
   apart. A GCN with global pooling against an MLP on the node count.

    python examples/graphs.py --fast
"""

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import _common
import numpy as np

import glassbox as gb
from glassbox import nn
from glassbox.nn import functional as F


class MLP(nn.Module):
    def __init__(self, c_in, hidden, c_out, p=0.5):
        super().__init__()
        self.l1, self.l2, self.p = nn.Linear(c_in, hidden), nn.Linear(hidden, c_out), p

    def forward(self, x, edge_index=None):
        x = F.dropout(x, self.p, self.training)
        return self.l2(F.dropout(F.relu(self.l1(x)), self.p, self.training))


class GNN(nn.Module):
    """Two graph layers of one kind with ReLU and dropout between them."""

    def __init__(self, kind, c_in, hidden, c_out, p=0.5):
        super().__init__()
        if kind == "GAT":
            self.c1, self.c2 = nn.GATConv(c_in, hidden // 8, heads=8), nn.GATConv(hidden, c_out)
        else:
            layer = {"GCN": nn.GCNConv, "SAGE": nn.SAGEConv}[kind]
            self.c1, self.c2 = layer(c_in, hidden), layer(hidden, c_out)
        self.p = p

    def forward(self, x, edge_index):
        x = F.dropout(x, self.p, self.training)
        h = F.dropout(F.elu(self.c1(x, edge_index)), self.p, self.training)
        return self.c2(h, edge_index)


def knn_graph(x, k):
    from sklearn.neighbors import NearestNeighbors
    _, nbr = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x)
    src = nbr[:, 1:].ravel()
    dst = np.repeat(np.arange(len(x)), k)
    both = np.unique(np.concatenate([np.stack([src, dst]), np.stack([dst, src])], 1), axis=1)
    return both  # symmetric, (2, E)


def node_classification(seeds, epochs, n_nodes=None):
    """GCN, GraphSAGE and GAT against an MLP; n_nodes keeps only the first digits (--fast)."""
    from sklearn.datasets import load_digits
    d = load_digits()
    data, target = d.data[:n_nodes], d.target[:n_nodes]
    x = ((data - data.mean(0)) / (data.std(0) + 1e-6)).astype(np.float32)
    y = target.astype(np.int64)
    ei = knn_graph(data, 10)
    homophily = (y[ei[0]] == y[ei[1]]).mean()
    print(f"node classification: {len(y)} digits, kNN graph with {ei.shape[1]} directed edges "
          f"(k=10, symmetrised), {homophily:.1%} of edges join the same digit")
    X, EI = gb.tensor(x), gb.tensor(ei)
    results = {}
    for kind in ["MLP", "GCN", "SAGE", "GAT"]:
        accs = []
        for seed in seeds:
            rng = np.random.default_rng(seed)
            train = np.concatenate([rng.choice(np.flatnonzero(y == c), 10, replace=False)
                                    for c in range(10)])
            rest = np.setdiff1d(np.arange(len(y)), train)
            val, test = rest[:300], rest[300:]
            gb.manual_seed(seed)
            model = MLP(64, 64, 10) if kind == "MLP" else GNN(kind, 64, 64, 10)
            opt = gb.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
            yt = gb.tensor(y[train])
            best_val, best_test = -1, 0
            for _ in range(epochs):
                model.train()
                loss = F.cross_entropy(model(X, EI)[gb.tensor(train)], yt)
                opt.zero_grad()
                loss.backward()
                opt.step()
                model.eval()
                with gb.no_grad():
                    pred = model(X, EI).numpy().argmax(1)
                v = (pred[val] == y[val]).mean()
                if v > best_val:  # model selection on 300 held-out nodes
                    best_val, best_test = v, (pred[test] == y[test]).mean()
            accs.append(best_test)
        results[kind] = (np.mean(accs), np.std(accs))
        print(f"  {kind:5s} test accuracy {np.mean(accs):.3f} +- {np.std(accs):.3f} "
              f"({len(seeds)} label draws)", flush=True)
    return results


def random_tree(n, rng):
    parent = [rng.integers(0, i) for i in range(1, n)]
    return np.array([parent, list(range(1, n))])


def cycle(n):
    i = np.arange(n)
    return np.stack([i, (i + 1) % n])


def make_graphs(count, rng):
    graphs = []
    for _ in range(count):
        n = int(rng.integers(8, 17))
        label = int(rng.integers(0, 2))
        e = cycle(n) if label else random_tree(n, rng)
        e = np.concatenate([e, e[::-1]], 1)  # undirected
        perm = rng.permutation(n)  # node ids carry no information
        graphs.append((n, perm[e], label))
    return graphs


def collate(graphs):
    """Many graphs as one disjoint graph: offset the edges, record each node's graph id."""
    offs = np.cumsum([0] + [n for n, _, _ in graphs])
    ei = np.concatenate([e + o for (_, e, _), o in zip(graphs, offs)], 1)
    batch = np.repeat(np.arange(len(graphs)), [n for n, _, _ in graphs])
    return offs[-1], gb.tensor(ei), gb.tensor(batch), gb.tensor(np.array([g[2] for g in graphs]))


class GraphClassifier(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.c1, self.c2 = nn.GCNConv(1, hidden), nn.GCNConv(hidden, hidden)
        self.head = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.ReLU(), nn.Linear(hidden, 2))

    def forward(self, n, edge_index, batch):
        x = gb.ones(n, 1)
        h = F.relu(self.c1(x, edge_index))
        h = F.relu(self.c2(h, edge_index))
        g = gb.cat([nn.global_mean_pool(h, batch), nn.global_max_pool(h, batch)], dim=1)
        return self.head(g)


def graph_classification(epochs, n_train=600, n_test=300):
    rng = np.random.default_rng(0)
    train, test = make_graphs(n_train, rng), make_graphs(n_test, rng)
    print(f"graph classification: cycles vs trees, 8-16 nodes, {len(train)} train / "
          f"{len(test)} test graphs, constant node features")
    gb.manual_seed(0)
    model = GraphClassifier()
    opt = gb.optim.Adam(model.parameters(), lr=0.01)
    for epoch in range(epochs):
        order = rng.permutation(len(train))
        for s in range(0, len(train), 64):
            n, ei, b, yb = collate([train[i] for i in order[s:s + 64]])
            loss = F.cross_entropy(model(n, ei, b), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    n, ei, b, yt = collate(test)
    with gb.no_grad():
        gnn_acc = (model(n, ei, b).numpy().argmax(1) == yt.numpy()).mean()
    # baseline without the graph: logistic regression on the node count
    from sklearn.linear_model import LogisticRegression
    count = lambda gs: np.array([[g[0]] for g in gs])
    base = LogisticRegression().fit(count(train), [g[2] for g in train])
    base_acc = base.score(count(test), [g[2] for g in test])
    print(f"  GCN + mean/max pool test accuracy {gnn_acc:.3f}; no-graph baseline (node count) "
          f"{base_acc:.3f}")
    return gnn_acc, base_acc


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fast", action="store_true", help="one label draw on 600 digits, few epochs (seconds)")
    p.add_argument("--seeds", type=int, default=None, help="label draws (default 1 fast, 5)")
    args = p.parse_args()
    start = time.perf_counter()
    seeds = args.seeds or (1 if args.fast else 5)
    if args.fast:  # 600 of the digits, few epochs; 300 generated graphs: seconds, for tests
        nodes = node_classification(seeds=list(range(seeds)), epochs=25, n_nodes=600)
        gnn_acc, base_acc = graph_classification(epochs=8, n_train=300, n_test=200)
    else:
        nodes = node_classification(seeds=list(range(seeds)), epochs=200)
        gnn_acc, base_acc = graph_classification(epochs=40)
    print(f"total {time.perf_counter() - start:.0f}s")
    for kind, (mean, _) in nodes.items():
        _common.report(f"node_{kind.lower()}_test_accuracy", mean)
    _common.report("graph_gcn_test_accuracy", gnn_acc)
    _common.report("graph_baseline_test_accuracy", base_acc)


if __name__ == "__main__":
    main()
