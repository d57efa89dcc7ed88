"""The layer table: one line per (layer, configuration), shared by the parity tests and the
Keras-style harness.

`build(nn, T)` is called twice, with (glassbox.nn, glassbox.tensor) and (torch.nn,
torch.tensor): the same line builds both layers, which is itself the API-parity check (a model
written for torch ports by changing imports). Inputs are described, then made identically for
both frameworks by `make_inputs`:

  (2, 4)               float32 tensor, U(low, high), requires grad
  Idx(shape, high)     int64 indices in [0, high)
  Prob(shape)          float32 in (0.05, 0.95), requires grad (probabilities for BCELoss)
  Target(shape, ...)   float32 tensor that does not require grad (regression targets)
  Lit(values, dtype)   a fixed tensor, no grad
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

import glassbox as gb


@dataclass(frozen=True)
class Idx:
    shape: tuple
    high: int


@dataclass(frozen=True)
class Prob:
    shape: tuple


@dataclass(frozen=True)
class Target:
    shape: tuple
    low: float = -2.0
    high: float = 2.0


@dataclass(frozen=True)
class Lit:
    values: tuple
    dtype: str = "int64"


@dataclass
class Case:
    id: str
    build: object  # (nn, T) -> Module
    inputs: tuple
    train: bool = True  # compare in training mode (False for random layers such as Dropout)
    forward: bool = True  # compare forward/backward (False: construction and repr only)
    kwargs: dict = field(default_factory=dict)  # extra forward() keyword arguments
    low: float = -2.0
    high: float = 2.0
    atol: float = 1e-4


def make_inputs(case: Case, seed: int):
    """(glassbox inputs, torch inputs): the same values, created from one NumPy draw."""
    rng = np.random.default_rng(seed)
    gbs, ths = [], []
    for spec in case.inputs:
        grad = False
        if isinstance(spec, tuple):
            a, grad = rng.uniform(case.low, case.high, spec).astype(np.float32), True
        elif isinstance(spec, Idx):
            a = rng.integers(0, spec.high, spec.shape).astype(np.int64)
        elif isinstance(spec, Prob):
            a, grad = rng.uniform(0.05, 0.95, spec.shape).astype(np.float32), True
        elif isinstance(spec, Target):
            a = rng.uniform(spec.low, spec.high, spec.shape).astype(np.float32)
        elif isinstance(spec, Lit):
            a = np.array(spec.values, dtype=spec.dtype)
        else:  # pragma: no cover - a mistake in the table
            raise TypeError(f"unknown input spec {spec!r}")
        gbs.append(gb.tensor(a.copy(), requires_grad=grad))
        ths.append(torch.tensor(a.copy(), requires_grad=grad))
    return gbs, ths


N_C = (6, 5)  # (batch, classes) for the classification losses

CASES = [
    # --- linear.py ------------------------------------------------------------------------------
    Case("Linear", lambda nn, T: nn.Linear(4, 8), ((3, 4),)),
    Case("Linear-nobias-3d", lambda nn, T: nn.Linear(4, 8, bias=False), ((2, 5, 4),)),
    Case("Linear-1x1", lambda nn, T: nn.Linear(1, 1), ((7, 1),)),
    Case("Linear-1d-input", lambda nn, T: nn.Linear(5, 3), ((5,),)),
    Case("Bilinear", lambda nn, T: nn.Bilinear(3, 5, 2), ((4, 3), (4, 5))),
    Case("Bilinear-nobias-3d", lambda nn, T: nn.Bilinear(3, 4, 6, bias=False),
         ((2, 3, 3), (2, 3, 4))),
    Case("Identity", lambda nn, T: nn.Identity(3, foo=1), ((3, 4),)),
    # --- flatten.py -----------------------------------------------------------------------------
    Case("Flatten", lambda nn, T: nn.Flatten(), ((2, 3, 4, 5),)),
    Case("Flatten-0-2", lambda nn, T: nn.Flatten(0, 2), ((2, 3, 4, 5),)),
    Case("Flatten-neg", lambda nn, T: nn.Flatten(-3, -2), ((2, 3, 4, 5),)),
    Case("Unflatten", lambda nn, T: nn.Unflatten(1, (2, 5)), ((3, 10),)),
    Case("Unflatten-neg-infer", lambda nn, T: nn.Unflatten(-1, (2, -1)), ((3, 4, 6),)),
    # --- conv.py --------------------------------------------------------------------------------
    Case("Conv1d", lambda nn, T: nn.Conv1d(2, 4, 3), ((2, 2, 10),)),
    Case("Conv1d-stride-pad-dil", lambda nn, T: nn.Conv1d(3, 2, 3, stride=2, padding=1,
                                                          dilation=2), ((2, 3, 11),)),
    Case("Conv1d-groups-nobias", lambda nn, T: nn.Conv1d(4, 6, 3, groups=2, bias=False),
         ((2, 4, 9),)),
    Case("Conv1d-same-even", lambda nn, T: nn.Conv1d(2, 3, 4, padding="same"), ((2, 2, 9),)),
    Case("Conv1d-valid", lambda nn, T: nn.Conv1d(2, 3, 3, padding="valid"), ((2, 2, 9),)),
    Case("Conv1d-reflect", lambda nn, T: nn.Conv1d(2, 3, 3, padding=2, padding_mode="reflect"),
         ((2, 2, 8),)),
    Case("Conv1d-circular", lambda nn, T: nn.Conv1d(2, 3, 3, padding=1,
                                                    padding_mode="circular"), ((2, 2, 8),)),
    Case("Conv1d-same-even-reflect", lambda nn, T: nn.Conv1d(2, 3, 4, padding="same",
                                                             padding_mode="reflect"),
         ((2, 2, 9),)),
    Case("Conv1d-unbatched", lambda nn, T: nn.Conv1d(2, 4, 3), ((2, 10),)),
    Case("Conv2d", lambda nn, T: nn.Conv2d(3, 4, 3), ((2, 3, 8, 8),)),
    Case("Conv2d-stride-pad", lambda nn, T: nn.Conv2d(3, 5, 3, stride=2, padding=1),
         ((2, 3, 9, 9),)),
    Case("Conv2d-rect", lambda nn, T: nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0),
                                                dilation=(2, 1)), ((2, 2, 9, 7),)),
    Case("Conv2d-groups-nobias", lambda nn, T: nn.Conv2d(4, 6, 3, groups=2, bias=False),
         ((2, 4, 6, 6),)),
    Case("Conv2d-depthwise", lambda nn, T: nn.Conv2d(3, 3, 3, groups=3, padding=1),
         ((2, 3, 5, 5),)),
    Case("Conv2d-same-even", lambda nn, T: nn.Conv2d(2, 3, 4, padding="same"),
         ((2, 2, 7, 6),)),
    Case("Conv2d-same-dilated", lambda nn, T: nn.Conv2d(2, 3, 3, padding="same", dilation=2),
         ((2, 2, 7, 7),)),
    Case("Conv2d-replicate", lambda nn, T: nn.Conv2d(2, 3, 3, padding=1,
                                                     padding_mode="replicate"), ((2, 2, 6, 6),)),
    Case("Conv2d-reflect", lambda nn, T: nn.Conv2d(2, 3, 3, padding=(1, 2),
                                                   padding_mode="reflect"), ((2, 2, 6, 6),)),
    Case("Conv2d-circular", lambda nn, T: nn.Conv2d(2, 3, 3, padding=1,
                                                    padding_mode="circular"), ((2, 2, 6, 6),)),
    Case("Conv2d-same-even-circular", lambda nn, T: nn.Conv2d(
        2, 3, (4, 3), padding="same", padding_mode="circular"), ((2, 2, 7, 6),)),
    Case("Conv2d-unbatched", lambda nn, T: nn.Conv2d(3, 4, 3), ((3, 8, 8),)),
    Case("ConvTranspose2d", lambda nn, T: nn.ConvTranspose2d(4, 3, 3), ((2, 4, 5, 5),)),
    Case("ConvTranspose2d-stride", lambda nn, T: nn.ConvTranspose2d(4, 2, 3, stride=2,
                                                                    padding=1, output_padding=1),
         ((2, 4, 4, 4),)),
    Case("ConvTranspose2d-groups-dil", lambda nn, T: nn.ConvTranspose2d(
        4, 6, (3, 2), groups=2, dilation=(2, 1), bias=False), ((2, 4, 4, 5),)),
    Case("ConvTranspose2d-output_size", lambda nn, T: nn.ConvTranspose2d(3, 2, 3, stride=2),
         ((2, 3, 4, 4),), kwargs={"output_size": (10, 10)}),
    # --- pooling.py -----------------------------------------------------------------------------
    Case("MaxPool1d", lambda nn, T: nn.MaxPool1d(2), ((2, 3, 8),)),
    Case("MaxPool1d-stride-pad-dil", lambda nn, T: nn.MaxPool1d(3, stride=2, padding=1,
                                                                dilation=2), ((2, 3, 11),)),
    Case("MaxPool1d-ceil-indices", lambda nn, T: nn.MaxPool1d(3, 2, ceil_mode=True,
                                                              return_indices=True), ((2, 3, 10),)),
    Case("MaxPool2d", lambda nn, T: nn.MaxPool2d(2), ((2, 3, 8, 8),)),
    Case("MaxPool2d-3-2-1", lambda nn, T: nn.MaxPool2d(3, 2, 1), ((2, 3, 9, 9),)),
    Case("MaxPool2d-rect-ceil", lambda nn, T: nn.MaxPool2d((2, 3), stride=(1, 2),
                                                           ceil_mode=True), ((2, 2, 7, 8),)),
    Case("MaxPool2d-indices-unbatched", lambda nn, T: nn.MaxPool2d(2, return_indices=True),
         ((3, 6, 6),)),
    Case("AvgPool1d", lambda nn, T: nn.AvgPool1d(2), ((2, 3, 8),)),
    Case("AvgPool1d-pad-nocount", lambda nn, T: nn.AvgPool1d(3, 2, 1, count_include_pad=False),
         ((2, 3, 9),)),
    Case("AvgPool1d-ceil", lambda nn, T: nn.AvgPool1d(3, 2, ceil_mode=True), ((2, 3, 10),)),
    Case("AvgPool2d", lambda nn, T: nn.AvgPool2d(2), ((2, 3, 8, 8),)),
    Case("AvgPool2d-3-2-1", lambda nn, T: nn.AvgPool2d(3, 2, 1), ((2, 3, 9, 9),)),
    Case("AvgPool2d-nocount-ceil", lambda nn, T: nn.AvgPool2d(3, 2, 1, ceil_mode=True,
                                                              count_include_pad=False),
         ((2, 2, 8, 8),)),
    Case("AvgPool2d-divisor", lambda nn, T: nn.AvgPool2d(2, divisor_override=3),
         ((2, 2, 6, 6),)),
    Case("AdaptiveAvgPool1d", lambda nn, T: nn.AdaptiveAvgPool1d(1), ((2, 3, 7),)),
    Case("AdaptiveAvgPool1d-uneven", lambda nn, T: nn.AdaptiveAvgPool1d(3), ((2, 3, 7),)),
    Case("AdaptiveAvgPool2d", lambda nn, T: nn.AdaptiveAvgPool2d(1), ((2, 3, 5, 5),)),
    Case("AdaptiveAvgPool2d-uneven", lambda nn, T: nn.AdaptiveAvgPool2d((2, 3)),
         ((2, 3, 7, 8),)),
    Case("AdaptiveAvgPool2d-None", lambda nn, T: nn.AdaptiveAvgPool2d((None, 2)),
         ((2, 3, 5, 7),)),
    # --- normalization.py -----------------------------------------------------------------------
    Case("BatchNorm1d", lambda nn, T: nn.BatchNorm1d(4), ((8, 4),)),
    Case("BatchNorm1d-3d", lambda nn, T: nn.BatchNorm1d(4), ((8, 4, 5),)),
    Case("BatchNorm1d-noaffine", lambda nn, T: nn.BatchNorm1d(4, affine=False), ((8, 4),)),
    Case("BatchNorm1d-cumulative", lambda nn, T: nn.BatchNorm1d(3, momentum=None), ((6, 3),)),
    Case("BatchNorm1d-notrack", lambda nn, T: nn.BatchNorm1d(3, track_running_stats=False),
         ((6, 3),)),
    Case("BatchNorm1d-nobias-eps", lambda nn, T: nn.BatchNorm1d(3, eps=1e-3, momentum=0.3,
                                                                bias=False), ((6, 3),)),
    Case("BatchNorm2d", lambda nn, T: nn.BatchNorm2d(3), ((4, 3, 5, 5),)),
    Case("BatchNorm2d-cumulative", lambda nn, T: nn.BatchNorm2d(3, momentum=None),
         ((4, 3, 4, 4),)),
    Case("BatchNorm2d-noaffine-notrack", lambda nn, T: nn.BatchNorm2d(
        2, affine=False, track_running_stats=False), ((3, 2, 4, 4),)),
    Case("LayerNorm", lambda nn, T: nn.LayerNorm(8), ((2, 5, 8),)),
    Case("LayerNorm-2d-shape", lambda nn, T: nn.LayerNorm((5, 8)), ((2, 5, 8),)),
    Case("LayerNorm-noaffine", lambda nn, T: nn.LayerNorm(6, elementwise_affine=False),
         ((4, 6),)),
    Case("LayerNorm-nobias-eps", lambda nn, T: nn.LayerNorm(6, eps=1e-3, bias=False), ((4, 6),)),
    Case("GroupNorm", lambda nn, T: nn.GroupNorm(2, 6), ((4, 6, 3, 3),)),
    Case("GroupNorm-1group-1d", lambda nn, T: nn.GroupNorm(1, 4), ((2, 4, 5),)),
    Case("GroupNorm-instance", lambda nn, T: nn.GroupNorm(4, 4), ((2, 4, 3, 3),)),
    Case("GroupNorm-noaffine", lambda nn, T: nn.GroupNorm(3, 6, affine=False), ((2, 6, 4),)),
    Case("GroupNorm-nobias", lambda nn, T: nn.GroupNorm(2, 4, bias=False), ((3, 4, 2, 2),)),
    # --- dropout.py (random in training: compared in eval mode, or with p=0) -------------------
    Case("Dropout-eval", lambda nn, T: nn.Dropout(0.5), ((4, 5),), train=False),
    Case("Dropout-p0", lambda nn, T: nn.Dropout(0.0), ((4, 5),)),
    Case("Dropout2d-eval", lambda nn, T: nn.Dropout2d(0.3), ((2, 3, 4, 4),), train=False),
    Case("Dropout2d-p0", lambda nn, T: nn.Dropout2d(p=0.0), ((2, 3, 4, 4),)),
    # --- embedding.py ---------------------------------------------------------------------------
    Case("Embedding", lambda nn, T: nn.Embedding(10, 3), (Idx((2, 5), 10),)),
    Case("Embedding-padding", lambda nn, T: nn.Embedding(6, 4, padding_idx=0),
         (Lit(((0, 1, 0, 5), (2, 2, 0, 3))),)),
    Case("Embedding-padding-neg", lambda nn, T: nn.Embedding(6, 4, padding_idx=-1),
         (Lit(((5, 1, 5, 4),)),)),
    Case("Embedding-max_norm", lambda nn, T: nn.Embedding(8, 5, max_norm=1.0),
         (Lit(((0, 3, 3, 7), (1, 0, 2, 3))),)),
    Case("Embedding-max_norm-l1", lambda nn, T: nn.Embedding(8, 5, max_norm=2.0, norm_type=1.0),
         (Lit((0, 3, 6)),)),
    # --- activation.py --------------------------------------------------------------------------
    Case("ReLU", lambda nn, T: nn.ReLU(), ((3, 7),)),
    # torch's inplace=True overwrites its input (refused on a leaf); glassbox only keeps the flag
    Case("ReLU-inplace-flag", lambda nn, T: nn.ReLU(inplace=True), ((3, 7),), forward=False),
    Case("LeakyReLU-inplace-flag", lambda nn, T: nn.LeakyReLU(0.1, True), ((3, 7),),
         forward=False),
    Case("ELU-inplace-flag", lambda nn, T: nn.ELU(inplace=True), ((3, 7),), forward=False),
    Case("SiLU-inplace-flag", lambda nn, T: nn.SiLU(inplace=True), ((3, 7),), forward=False),
    Case("Dropout-inplace-flag", lambda nn, T: nn.Dropout(0.2, inplace=True), ((3, 7),),
         forward=False),
    Case("LeakyReLU", lambda nn, T: nn.LeakyReLU(), ((3, 7),)),
    Case("LeakyReLU-0.2", lambda nn, T: nn.LeakyReLU(0.2), ((3, 7),)),
    Case("ELU", lambda nn, T: nn.ELU(), ((3, 7),)),
    Case("ELU-alpha", lambda nn, T: nn.ELU(alpha=0.5), ((3, 7),)),
    Case("GELU", lambda nn, T: nn.GELU(), ((3, 7),)),
    Case("GELU-tanh", lambda nn, T: nn.GELU(approximate="tanh"), ((3, 7),)),
    Case("SiLU", lambda nn, T: nn.SiLU(), ((3, 7),)),
    Case("Sigmoid", lambda nn, T: nn.Sigmoid(), ((3, 7),)),
    Case("Tanh", lambda nn, T: nn.Tanh(), ((3, 7),)),
    Case("Softmax-1", lambda nn, T: nn.Softmax(dim=1), ((3, 7),)),
    Case("Softmax-neg", lambda nn, T: nn.Softmax(-1), ((2, 3, 7),)),
    Case("LogSoftmax-0", lambda nn, T: nn.LogSoftmax(dim=0), ((3, 7),)),
    Case("LogSoftmax-1", lambda nn, T: nn.LogSoftmax(dim=1), ((2, 4, 3),)),
    Case("Softplus", lambda nn, T: nn.Softplus(), ((3, 7),), low=-30.0, high=30.0),
    Case("Softplus-beta-threshold", lambda nn, T: nn.Softplus(beta=2.0, threshold=1.0),
         ((3, 7),)),
    # --- loss.py --------------------------------------------------------------------------------
    Case("CrossEntropyLoss", lambda nn, T: nn.CrossEntropyLoss(), (N_C, Idx((6,), 5))),
    Case("CrossEntropyLoss-weight", lambda nn, T: nn.CrossEntropyLoss(
        weight=T([0.1, 0.2, 0.3, 0.25, 0.15])), (N_C, Idx((6,), 5))),
    Case("CrossEntropyLoss-ignore", lambda nn, T: nn.CrossEntropyLoss(ignore_index=2),
         (N_C, Lit((0, 2, 4, 2, 1, 3)))),
    Case("CrossEntropyLoss-sum-smooth", lambda nn, T: nn.CrossEntropyLoss(
        reduction="sum", label_smoothing=0.1), (N_C, Idx((6,), 5))),
    Case("CrossEntropyLoss-none-kdim", lambda nn, T: nn.CrossEntropyLoss(reduction="none"),
         ((2, 4, 3), Idx((2, 3), 4))),
    Case("CrossEntropyLoss-probs", lambda nn, T: nn.CrossEntropyLoss(),
         (N_C, Target(N_C, 0.0, 1.0))),
    Case("NLLLoss", lambda nn, T: nn.NLLLoss(), (N_C, Idx((6,), 5)), low=-4.0, high=0.0),
    Case("NLLLoss-weight-ignore", lambda nn, T: nn.NLLLoss(
        weight=T([1.0, 2.0, 0.5, 1.0, 3.0]), ignore_index=1),
         (N_C, Lit((0, 1, 4, 2, 1, 3))), low=-4.0, high=0.0),
    Case("NLLLoss-none", lambda nn, T: nn.NLLLoss(reduction="none"), (N_C, Idx((6,), 5))),
    Case("MSELoss", lambda nn, T: nn.MSELoss(), ((4, 3), Target((4, 3)))),
    Case("MSELoss-sum", lambda nn, T: nn.MSELoss(reduction="sum"), ((4, 3), Target((4, 3)))),
    Case("MSELoss-none", lambda nn, T: nn.MSELoss(reduction="none"), ((4, 3), Target((4, 3)))),
    Case("L1Loss", lambda nn, T: nn.L1Loss(), ((4, 3), Target((4, 3)))),
    Case("L1Loss-sum", lambda nn, T: nn.L1Loss(reduction="sum"), ((5,), Target((5,)))),
    Case("SmoothL1Loss", lambda nn, T: nn.SmoothL1Loss(), ((4, 3), Target((4, 3)))),
    Case("SmoothL1Loss-beta", lambda nn, T: nn.SmoothL1Loss(beta=0.5, reduction="none"),
         ((4, 3), Target((4, 3)))),
    Case("HuberLoss", lambda nn, T: nn.HuberLoss(), ((4, 3), Target((4, 3)))),
    Case("HuberLoss-delta", lambda nn, T: nn.HuberLoss(reduction="sum", delta=0.5),
         ((4, 3), Target((4, 3)))),
    Case("BCELoss", lambda nn, T: nn.BCELoss(), (Prob((4, 3)), Target((4, 3), 0.0, 1.0))),
    Case("BCELoss-weight", lambda nn, T: nn.BCELoss(weight=T([0.5, 1.0, 2.0])),
         (Prob((4, 3)), Target((4, 3), 0.0, 1.0))),
    Case("BCEWithLogitsLoss", lambda nn, T: nn.BCEWithLogitsLoss(),
         ((4, 3), Target((4, 3), 0.0, 1.0)), low=-5.0, high=5.0),
    Case("BCEWithLogitsLoss-pos_weight", lambda nn, T: nn.BCEWithLogitsLoss(
        pos_weight=T([1.0, 2.0, 3.0]), reduction="none"), ((4, 3), Target((4, 3), 0.0, 1.0))),
    Case("BCEWithLogitsLoss-weight-sum", lambda nn, T: nn.BCEWithLogitsLoss(
        weight=T([[0.5], [1.0], [1.5], [2.0]]), reduction="sum"),
         ((4, 3), Target((4, 3), 0.0, 1.0))),
    Case("KLDivLoss", lambda nn, T: nn.KLDivLoss(reduction="batchmean"),
         ((4, 5), Target((4, 5), 0.01, 1.0)), low=-3.0, high=0.0),
    Case("KLDivLoss-mean", lambda nn, T: nn.KLDivLoss(), ((4, 5), Target((4, 5), 0.01, 1.0)),
         low=-3.0, high=0.0),
    Case("KLDivLoss-log_target", lambda nn, T: nn.KLDivLoss(reduction="sum", log_target=True),
         ((4, 5), Target((4, 5), -3.0, 0.0)), low=-3.0, high=0.0),
]

CASE_IDS = [c.id for c in CASES]
CASES_BY_ID = {c.id: c for c in CASES}


def build_pair(case: Case, seed: int = 0):
    """(glassbox layer, torch layer), torch's weights copied from glassbox's state_dict."""
    gb.manual_seed(seed)
    torch.manual_seed(seed)
    g = case.build(gb.nn, gb.tensor)
    t = case.build(torch.nn, torch.tensor)
    copy_to_torch(g, t)
    return g, t


def copy_to_torch(g, t) -> None:
    state = {k: torch.from_numpy(np.array(v.numpy())) for k, v in g.state_dict().items()}
    t.load_state_dict(state)


def as_numpy(x):
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    return np.asarray(x.detach().numpy())
