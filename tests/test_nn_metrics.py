"""nn: PyTorch's loss names, accuracy that means accuracy, and fit checking its data."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from conftest import assert_close

import nn
from autograd import Tensor

torch = pytest.importorskip("torch", reason="PyTorch, the oracle, is not installed")
TF = torch.nn.functional


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_takes_probabilities_as_pytorch_does(reduction):
    p = np.array([0.0, 1e-15, 0.3, 0.5, 0.9, 1.0, 1.0, 0.0])
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.5, 1.0, 0.0, 1.0])
    P, Y = Tensor(p, requires_grad=True), Tensor(y, requires_grad=True)
    out = nn.binary_cross_entropy(P, Y, reduction=reduction)
    out.backward(np.ones(out.shape))
    tp, ty = torch.tensor(p, requires_grad=True), torch.tensor(y, requires_grad=True)
    tout = TF.binary_cross_entropy(tp, ty, reduction=reduction)
    tout.backward(torch.ones(tout.shape, dtype=torch.float64))
    assert_close(out.data, tout)  # the clamp at -100 included: finite at p = 0 and 1
    assert_close(P.grad, tp.grad)
    np.testing.assert_allclose(Y.grad, ty.grad.numpy(), rtol=1e-9, equal_nan=True)


def test_a_sigmoid_model_trained_on_probabilities_learns_and_reports_its_accuracy():
    X, y = nn.datasets.make_moons(200, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], output_activation="sigmoid", seed=0)
    opt = nn.Adam(model.parameters(), lr=0.01)
    history = nn.fit(model, X, y, "binary_cross_entropy", opt, epochs=60, progress=False, seed=0)
    assert history.loss[-1] < 0.1  # sigmoid applied once, not twice (that floor was 0.5)
    assert history.accuracy[-1] > 0.97
    assert nn.accuracy(model(X), y, kind="probabilities") == history.accuracy[-1]


def test_accuracy_reads_probabilities_logits_and_classes_and_refuses_to_guess():
    probs = np.array([[0.9], [0.2], [0.7], [0.4]])
    labels = np.array([1, 0, 1, 0])
    assert nn.accuracy(probs, labels, kind="probabilities") == 1.0
    assert nn.accuracy(np.log(probs / (1 - probs)), labels) == 1.0  # logits, told apart
    with pytest.raises(ValueError, match="every score lies in \\[0, 1\\].*kind="):
        nn.accuracy(probs, labels)
    assert nn.accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), [1, 0]) == 1.0
    with pytest.raises(ValueError, match="kind must be one of"):
        nn.accuracy(probs, labels, kind="probs")


def test_fit_reports_accuracy_only_when_it_means_accuracy():
    X, y = nn.datasets.make_sine(60, seed=0)
    model = nn.MLP(1, [8, 1], activation="tanh", seed=0)
    opt = nn.Adam(model.parameters(), lr=0.01)

    def my_mse(pred, target):
        return ((pred - target) ** 2).mean()

    history = nn.fit(model, X, y, my_mse, opt, epochs=3, progress=False, seed=0)
    assert history.accuracy == [] and len(history.loss) == 3
    history = nn.fit(model, X, y, "mse", opt, epochs=2, progress=False, seed=0)
    assert history.accuracy == []
    Xc, yc = nn.datasets.make_xor()
    clf = nn.MLP(2, [8, 1], seed=0)
    opt = nn.SGD(clf.parameters(), lr=0.1)
    asked = nn.fit(
        clf, Xc, yc, "binary_cross_entropy_with_logits", opt, epochs=2, progress=False,
        metrics=[],
    )  # fmt: skip
    assert asked.accuracy == []
    with pytest.raises(ValueError, match="unknown metrics"):
        nn.fit(clf, Xc, yc, "mse", opt, epochs=1, progress=False, metrics=["f1"])


@pytest.mark.parametrize(
    "X, y, loss, message",
    [
        (np.array([[0.0, np.nan], [1.0, 1.0]]), np.array([0, 1]),
         "binary_cross_entropy_with_logits", r"X holds nan or inf \(first at index \(0, 1\)\)"),
        (np.ones((2, 2)), np.array([0.0, np.inf]), "mse", "y holds nan or inf"),
        (np.ones((0, 2)), np.ones(0), "mse", "X is empty"),
        (np.ones((3, 2)), np.ones(2), "mse", "3 samples in X but 2 labels"),
        (np.ones((3, 2)), np.array([0, 1, 3]), "cross_entropy", "model with 3 outputs"),
        (np.ones((3, 2)), np.array([0, 1, 2]), "binary_cross_entropy_with_logits",
         r"labels must lie in \[0, 1\]"),
        (np.ones((3, 2)), np.array([0, 1, 1]), "hinge", "hinge labels must be -1 or \\+1"),
    ],
)  # fmt: skip
def test_fit_refuses_bad_data_before_training(X, y, loss, message):
    outputs = 3 if loss == "cross_entropy" else 1
    model = nn.MLP(2, [4, outputs], seed=0)
    before = {k: v.copy() for k, v in model.state_dict().items()}
    opt = nn.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=message):
        nn.fit(model, X, y, loss, opt, epochs=1, progress=False)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_a_loss_that_becomes_nan_stops_the_run_naming_epoch_and_batch():
    X, y = nn.datasets.make_moons(64, seed=0)
    model = nn.MLP(2, [8, 1], seed=0)
    opt = nn.SGD(model.parameters(), lr=1e200)  # the first step sends the weights to inf
    with (
        np.errstate(all="ignore"),
        pytest.raises(FloatingPointError, match=r"epoch \d+, batch \d+.*stop_on_nonfinite"),
    ):
        nn.fit(model, X, y, "mse", opt, epochs=3, batch_size=16, progress=False, seed=0)
    model = nn.MLP(2, [8, 1], seed=0)
    opt = nn.SGD(model.parameters(), lr=1e200)
    with np.errstate(all="ignore"):
        history = nn.fit(
            model, X, y, "mse", opt, epochs=2, batch_size=16, progress=False, seed=0,
            stop_on_nonfinite=False,
        )  # fmt: skip
    assert len(history.loss) == 2 and not np.isfinite(history.loss[-1])


def test_the_progress_bar_shows_in_a_notebook(monkeypatch):
    from nn import train

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert train._progress_bar(3) is None
    monkeypatch.setitem(sys.modules, "ipykernel", object())
    bar = train._progress_bar(3)
    assert bar is not None and bar.total == 3
    bar.close()


def test_a_model_or_a_name_where_an_optimiser_belongs_is_refused_with_the_fix():
    model = nn.MLP(2, [4, 1], seed=0)
    with pytest.raises(TypeError, match=r"not the MLP itself: pass model.parameters\(\)"):
        nn.SGD(model, lr=0.1)
    X, y = nn.datasets.make_xor()
    with pytest.raises(TypeError, match=r"an optimiser object, such as nn.Adam.*got str 'adam'"):
        nn.fit(model, X, y, "binary_cross_entropy_with_logits", "adam", epochs=1)
