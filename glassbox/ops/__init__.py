"""Differentiable primitives, one module per family; each op's forward beside its VJP.

elementwise  arithmetic, unary math, activations, comparisons, where / masked_fill
reduce       sum, mean, var/std, max/min, logsumexp, prod, cumsum, norm, softmax
shape        reshape/view, permute/transpose, expand/repeat, cat/stack/split, tril/triu
index        indexing, gather, scatter_add, index_add, index_select, one_hot
linalg       matmul, einsum
conv         convolution and pooling as GEMMs over strided windows
nn           fused network ops with hand-written VJPs: linear, losses, norms, attention
"""
