"""Metrics against scikit-learn's implementations, on Tensors and arrays."""

import numpy as np
import pytest

import glassbox as gb
from glassbox.train import metrics

sklearn_metrics = pytest.importorskip("sklearn.metrics")


@pytest.fixture
def classification():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(500, 7)).astype(np.float32)
    target = rng.integers(0, 7, size=500)
    target[:200] = scores[:200].argmax(axis=1)  # better than chance
    return scores, target


@pytest.fixture
def regression():
    rng = np.random.default_rng(1)
    target = rng.normal(size=(300, 2))
    output = target + rng.normal(scale=0.3, size=(300, 2))
    return output.astype(np.float32), target.astype(np.float32)


def test_accuracy(classification):
    scores, target = classification
    expected = sklearn_metrics.accuracy_score(target, scores.argmax(axis=1))
    assert metrics.accuracy(scores, target) == pytest.approx(expected)
    assert metrics.accuracy(gb.tensor(scores), gb.tensor(target)) == pytest.approx(expected)
    one_hot = np.eye(7)[target]
    assert metrics.accuracy(scores, one_hot) == pytest.approx(expected)
    assert metrics.accuracy(scores.argmax(axis=1), target) == pytest.approx(expected)


def test_binary_accuracy_with_threshold():
    probs = np.array([0.2, 0.7, 0.6, 0.1], dtype=np.float32)
    assert metrics.accuracy(probs, [0, 1, 0, 0]) == 0.75
    assert metrics.accuracy(probs.reshape(-1, 1), np.array([[0], [1], [0], [0]])) == 0.75
    logits = np.array([-1.0, 2.0, 0.5, -3.0], dtype=np.float32)
    assert metrics.accuracy(logits, [0, 1, 1, 0], threshold=0.0) == 1.0


def test_accuracy_works_on_tensors_that_require_grad(classification):
    scores, target = classification
    t = gb.tensor(scores, requires_grad=True)
    assert metrics.accuracy(t, target) == metrics.accuracy(scores, target)


@pytest.mark.parametrize("k", [1, 2, 5])
def test_top_k_accuracy(classification, k):
    scores, target = classification
    expected = sklearn_metrics.top_k_accuracy_score(target, scores, k=k, labels=np.arange(7))
    assert metrics.top_k_accuracy(scores, target, k=k) == pytest.approx(expected)


def test_confusion_matrix(classification):
    scores, target = classification
    expected = sklearn_metrics.confusion_matrix(target, scores.argmax(axis=1), labels=range(7))
    got = metrics.confusion_matrix(gb.tensor(scores), target)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)
    assert metrics.confusion_matrix([0, 1], [0, 1], num_classes=4).shape == (4, 4)


def test_precision_recall_f1_macro_and_per_class(classification):
    scores, target = classification
    pred = scores.argmax(axis=1)
    p, r, f, _ = sklearn_metrics.precision_recall_fscore_support(target, pred, zero_division=0)
    per_class = metrics.precision_recall_f1(scores, target, average=None)
    for got, expected in zip(per_class, (p, r, f)):
        np.testing.assert_allclose(got, expected)
    macro = metrics.precision_recall_f1(scores, target)
    assert macro == pytest.approx((p.mean(), r.mean(), f.mean()))
    assert metrics.f1(scores, target) == pytest.approx(
        sklearn_metrics.f1_score(target, pred, average="macro"))


def test_precision_recall_f1_class_never_predicted():
    p, r, f = metrics.precision_recall_f1([0, 0, 0], [0, 1, 2], average=None, num_classes=3)
    np.testing.assert_array_equal(p, [1 / 3, 0, 0])
    np.testing.assert_array_equal(r, [1, 0, 0])
    assert np.isfinite(f).all()


def test_regression_metrics(regression):
    output, target = regression
    assert metrics.mae(output, target) == pytest.approx(
        sklearn_metrics.mean_absolute_error(target, output), rel=1e-6)
    assert metrics.rmse(gb.tensor(output), gb.tensor(target)) == pytest.approx(
        np.sqrt(sklearn_metrics.mean_squared_error(target, output)), rel=1e-6)
    assert metrics.r2(output, target) == pytest.approx(
        sklearn_metrics.r2_score(target, output), rel=1e-6)
    assert metrics.r2(output[:, 0], target[:, 0]) == pytest.approx(
        sklearn_metrics.r2_score(target[:, 0], output[:, 0]), rel=1e-6)


def test_regression_metrics_refuse_mismatched_shapes(regression):
    output, target = regression
    with pytest.raises(ValueError, match=r"mae: output and target must have the same shape"):
        metrics.mae(output[:, :1], target[:, 0])
    with pytest.raises(ValueError, match="r2"):
        metrics.r2(output, target[:, 0])


def test_classification_shape_errors():
    with pytest.raises(ValueError, match="3 examples but target has 2"):
        metrics.accuracy(np.zeros((3, 4)), [0, 1])
    with pytest.raises(ValueError, match="k must be in 1..4"):
        metrics.top_k_accuracy(np.zeros((3, 4)), [0, 1, 2], k=5)
    with pytest.raises(ValueError, match="target classes must lie in 0..1"):
        metrics.confusion_matrix([0, 1], [0, 5], num_classes=2)


def test_get_by_name_and_function():
    assert metrics.get("acc") == ("accuracy", metrics.accuracy)
    assert metrics.get(("my_r2", metrics.r2)) == ("my_r2", metrics.r2)
    with pytest.raises(ValueError, match="known metrics"):
        metrics.get("accurcy")
