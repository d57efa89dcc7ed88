"""Errors name the layer, the argument or shape, and what was received.

Constructor arguments are checked at once (ValueError for a bad value, TypeError for a wrong
type); forward checks the cheap things and Module.__call__ adds the module path, so a bad input
deep in a model says which layer it reached, e.g. `features.3 (Conv2d)`.
"""

import re
import warnings

import pytest
import torch

import glassbox as gb
from glassbox import nn


class Net(nn.Module):
    def __init__(self, third_conv_in=8):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(third_conv_in, 16, 3, padding=1), nn.ReLU())
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 4 * 4, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def test_wrong_input_to_the_fourth_layer_names_its_path_and_the_shape_received():
    net = Net(third_conv_in=12)  # the 4th layer expects 12 channels, but receives 8
    with pytest.raises(ValueError) as err:
        net(gb.randn(2, 3, 8, 8))
    msg = str(err.value)
    assert "features.3 (Conv2d)" in msg
    assert "(2, 8, 4, 4)" in msg  # what that layer received
    assert "C_in=12" in msg  # what it expected
    assert isinstance(err.value, RuntimeError)  # torch raises RuntimeError here: both work
    assert msg.count("features.3") == 1  # reworded once, at the outermost module


def test_wrong_input_to_the_model_names_the_first_layer():
    with pytest.raises(ValueError, match=r"features\.0 \(Conv2d\).*\(2, 1, 8, 8\)"):
        Net()(gb.randn(2, 1, 8, 8))


def test_an_error_raised_inside_F_also_gets_the_path():
    net = Net()  # the Linear expects 16*4*4 features; a 12x12 image gives 16*6*6
    with pytest.raises(ValueError) as err:
        net(gb.randn(2, 3, 12, 12))
    assert "classifier.1 (Linear)" in str(err.value)
    assert "(2, 576)" in str(err.value)


def test_a_working_model_is_unaffected():
    assert Net()(gb.randn(2, 3, 8, 8)).shape == (2, 10)


# --- forward checks, called directly (the message starts with the class name) ---------------
FORWARD = [
    (lambda: nn.Linear(4, 8), (3, 5),
     r"Linear: expected input of shape \(\*, in_features=4\), got \(3, 5\)"),
    (lambda: nn.Linear(4, 8), (), r"Linear: .*got \(\)"),
    (lambda: nn.Conv1d(2, 4, 3), (2, 3, 10), r"Conv1d: .*C_in=2.*\(2, 3, 10\)"),
    (lambda: nn.Conv1d(2, 4, 3), (1, 2, 3, 10), r"Conv1d: .*\(1, 2, 3, 10\)"),
    (lambda: nn.Conv2d(3, 4, 3), (2, 3, 8), r"Conv2d: .*\(2, 3, 8\)"),
    (lambda: nn.ConvTranspose2d(3, 4, 3), (2, 4, 5, 5), r"ConvTranspose2d: .*C_in=3"),
    (lambda: nn.MaxPool2d(2), (8, 8), r"MaxPool2d: .*\(N, C, H, W\).*\(8, 8\)"),
    (lambda: nn.AvgPool1d(2), (2, 3, 4, 5), r"AvgPool1d: .*\(N, C, L\).*\(2, 3, 4, 5\)"),
    (lambda: nn.AdaptiveAvgPool2d(1), (5,), r"AdaptiveAvgPool2d: .*\(5,\)"),
    (lambda: nn.BatchNorm1d(4), (8, 3), r"BatchNorm1d: .*C=4.*\(8, 3\)"),
    (lambda: nn.BatchNorm1d(4), (2, 4, 3, 3), r"BatchNorm1d: .*\(2, 4, 3, 3\)"),
    (lambda: nn.BatchNorm2d(4), (2, 4, 3), r"BatchNorm2d: .*\(N, C=4, H, W\).*\(2, 4, 3\)"),
    (lambda: nn.LayerNorm((5, 8)), (2, 8, 5), r"LayerNorm: .*\(\*, 5, 8\).*\(2, 8, 5\)"),
    (lambda: nn.LayerNorm(8), (), r"LayerNorm: .*\(\)"),
    (lambda: nn.GroupNorm(2, 6), (4, 4, 3), r"GroupNorm: .*C=6.*\(4, 4, 3\)"),
    (lambda: nn.Dropout2d(), (5,), r"Dropout2d: .*\(5,\)"),
    (lambda: nn.Flatten(2), (4, 5), r"Flatten: .*\(4, 5\)"),
    (lambda: nn.Unflatten(1, (2, 5)), (3, 9), r"Unflatten: .*\(2, 5\).*\(3, 9\)"),
    (lambda: nn.Bilinear(3, 4, 2), ((5, 3), (5, 5)), r"Bilinear: .*in2_features=4.*\(5, 5\)"),
    (lambda: nn.MSELoss(), ((4, 3), (4, 1)), r"MSELoss: .*\(4, 3\).*\(4, 1\)"),
]


@pytest.mark.parametrize("build,shape,pattern", FORWARD, ids=[p[2][:20] for p in FORWARD])
def test_forward_checks_name_the_layer_and_the_shapes(build, shape, pattern):
    shapes = shape if shape and isinstance(shape[0], tuple) else (shape,)
    with pytest.raises(ValueError, match=pattern):
        build()(*[gb.randn(*s) for s in shapes])


def test_a_non_tensor_input_is_a_type_error():
    with pytest.raises(TypeError, match=r"Linear: expected a Tensor.*list"):
        nn.Linear(2, 2)([1.0, 2.0])


def test_embedding_with_float_indices_is_a_type_error():
    with pytest.raises(TypeError, match="Embedding"):
        nn.Embedding(5, 2)(gb.tensor([0.0, 1.0]))


# --- constructor arguments ------------------------------------------------------------------
BAD_ARGS = [
    (lambda: nn.Linear(0, 3), ValueError,
     "Linear: in_features must be a positive int, received in_features=0"),
    (lambda: nn.Linear(4, -1), ValueError, "out_features=-1"),
    (lambda: nn.Linear(4.0, 3), TypeError, "in_features=4.0"),
    (lambda: nn.Linear(True, 3), TypeError, "in_features=True"),
    (lambda: nn.Linear(4, 3, bias="yes"), TypeError, "bias='yes'"),
    (lambda: nn.Linear(4, 3, device="cuda"), ValueError, "device='cuda'"),
    (lambda: nn.Linear(4, 3, dtype=gb.int64), TypeError, "dtype=int64"),
    (lambda: nn.Bilinear(3, 0, 2), ValueError, "Bilinear: in2_features must be a positive int"),
    (lambda: nn.Conv2d(0, 8, 3), ValueError, "Conv2d: in_channels must be a positive int"),
    (lambda: nn.Conv2d(3, 8, 0), ValueError, "kernel_size=0"),
    (lambda: nn.Conv2d(3, 8, (3, 3, 3)), TypeError, "kernel_size=(3, 3, 3)"),
    (lambda: nn.Conv2d(3, 8, 3, stride=0), ValueError, "stride=0"),
    (lambda: nn.Conv2d(3, 8, 3, padding=-1), ValueError, "padding=-1"),
    (lambda: nn.Conv2d(3, 8, 3, groups=2), ValueError,
     "in_channels must be divisible by groups, received in_channels=3, groups=2"),
    (lambda: nn.Conv2d(4, 6, 3, groups=4), ValueError, "out_channels=6, groups=4"),
    (lambda: nn.Conv2d(3, 8, 3, padding="full"), ValueError, "padding='full'"),
    (lambda: nn.Conv2d(3, 8, 3, padding="same", stride=2), ValueError, "strided"),
    (lambda: nn.Conv1d(3, 8, 3, padding_mode="mirror"), ValueError, "padding_mode='mirror'"),
    (lambda: nn.ConvTranspose2d(3, 8, 3, padding_mode="reflect"), ValueError, "'zeros'"),
    (lambda: nn.ConvTranspose2d(3, 8, 3, stride=2, output_padding=2), ValueError,
     "output_padding must be smaller than either stride or dilation"),
    (lambda: nn.MaxPool2d(2, padding=2), ValueError, "MaxPool2d: padding should be at most half"),
    (lambda: nn.MaxPool1d(0), ValueError, "kernel_size=0"),
    (lambda: nn.AvgPool2d(2, stride=0), ValueError, "stride=0"),
    (lambda: nn.AvgPool2d(2, divisor_override=0), ValueError, "divisor_override=0"),
    (lambda: nn.AdaptiveAvgPool2d((0, 2)), ValueError, "output_size=(0, 2)"),
    (lambda: nn.AdaptiveAvgPool1d(None), ValueError, "output_size=None"),
    (lambda: nn.BatchNorm1d(0), ValueError, "BatchNorm1d: num_features must be a positive int"),
    (lambda: nn.BatchNorm2d(3, momentum=1.5), ValueError, "momentum=1.5"),
    (lambda: nn.BatchNorm2d(3, eps=-1.0), ValueError, "eps=-1.0"),
    (lambda: nn.LayerNorm(0), ValueError, "normalized_shape=0"),
    (lambda: nn.LayerNorm((3, "a")), ValueError, "normalized_shape=(3, 'a')"),
    (lambda: nn.GroupNorm(4, 6), ValueError,
     "num_channels must be divisible by num_groups, received num_channels=6, num_groups=4"),
    (lambda: nn.Dropout(1.5), ValueError, "Dropout: p must be a probability in [0, 1], received p=1.5"),
    (lambda: nn.Dropout2d(-0.1), ValueError, "p=-0.1"),
    (lambda: nn.Embedding(10, 3, padding_idx=10), ValueError, "padding_idx=10"),
    (lambda: nn.Embedding(10, 3, padding_idx=-11), ValueError, "padding_idx=-11"),
    (lambda: nn.Embedding(10, 3, max_norm=0.0), ValueError, "max_norm=0.0"),
    (lambda: nn.Embedding(10, 3, sparse=True), NotImplementedError, "sparse=True"),
    (lambda: nn.GELU("fast"), ValueError, "GELU: approximate must be one of 'none', 'tanh'"),
    (lambda: nn.Softmax(dim="1"), TypeError, "dim='1'"),
    (lambda: nn.LeakyReLU("0.1"), TypeError, "negative_slope='0.1'"),
    (lambda: nn.Softplus(beta=0), ValueError, "beta=0"),
    (lambda: nn.Flatten(1.5), TypeError, "start_dim=1.5"),
    (lambda: nn.Unflatten(1, (2, "a")), TypeError, "unflattened_size=(2, 'a')"),
    (lambda: nn.Unflatten(1, (2, -1, -1)), ValueError, "at most one -1"),
    (lambda: nn.CrossEntropyLoss(reduction="avg"), ValueError,
     "CrossEntropyLoss: reduction must be one of 'none', 'mean', 'sum', received reduction='avg'"),
    (lambda: nn.CrossEntropyLoss(label_smoothing=2.0), ValueError, "label_smoothing=2.0"),
    (lambda: nn.NLLLoss(weight=[1.0, 2.0]), TypeError, "NLLLoss: weight must be a Tensor"),
    (lambda: nn.BCELoss(weight=gb.tensor([1, 2])), TypeError, "floating point"),
    (lambda: nn.HuberLoss(delta=0), ValueError, "delta=0"),
    (lambda: nn.SmoothL1Loss(beta=-1.0), ValueError, "beta=-1.0"),
    (lambda: nn.KLDivLoss(reduction="batch"), ValueError, "'batchmean'"),
]


@pytest.mark.parametrize("build,exc,text", BAD_ARGS, ids=[b[2][:30] for b in BAD_ARGS])
def test_constructor_arguments_are_checked_at_once(build, exc, text):
    with pytest.raises(exc, match=re.escape(text)):
        build()


def test_legacy_size_average_and_reduce_map_to_reduction_as_torch():
    for kwargs in ({"size_average": False}, {"reduce": False}, {"size_average": True}):
        with pytest.warns(UserWarning, match="deprecated"):
            ours = nn.MSELoss(**kwargs).reduction
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert ours == torch.nn.MSELoss(**kwargs).reduction


def test_softmax_without_dim_warns_and_picks_torch_dim():
    x = gb.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = nn.Softmax()(x)
    assert y.sum(1).tolist() == pytest.approx([1.0, 1.0])
    with pytest.warns(UserWarning):
        y = nn.LogSoftmax()(gb.randn(4, 2, 3))  # 3-D: dim 0, as torch
    assert y.exp().sum(0).detach().numpy() == pytest.approx(1.0)
