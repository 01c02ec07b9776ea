"""Data sets, mini-batches, training to real accuracies, and checkpoints."""

from __future__ import annotations

import io
import os
import pickle

import numpy as np
import pytest

import nn
from nn import datasets

# --- data ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, n, classes",
    [
        (lambda s: datasets.make_moons(101, seed=s), 101, 2),
        (lambda s: datasets.make_circles(60, seed=s), 60, 2),
        (lambda s: datasets.make_spirals(301, n_classes=4, seed=s), 301, 4),
        (lambda s: datasets.make_blobs(90, centers=3, seed=s), 90, 3),
    ],
)
def test_classification_sets_shapes_labels_and_seeds(make, n, classes):
    X, y = make(0)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype.kind == "i"
    assert sorted(set(y.tolist())) == list(range(classes))
    assert max(np.bincount(y)) - min(np.bincount(y)) <= 1  # balanced classes
    X2, y2 = make(0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(make(1)[0], X)


def test_moons_and_circles_follow_scikit_learns_definitions():
    X, y = datasets.make_moons(200, noise=0.0, seed=0)
    outer, inner = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*outer.T), 1.0)  # upper half circle around (0, 0)
    assert outer[:, 1].min() >= -1e-12
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1, inner[:, 1] - 0.5), 1.0)
    assert inner[:, 1].max() <= 0.5 + 1e-12  # lower half circle around (1, 0.5)
    X, y = datasets.make_circles(100, noise=0.0, factor=0.3, seed=0)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*X[y == 1].T), 0.3)


def test_xor_and_sine():
    X, y = datasets.make_xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [0, 1, 1, 0]
    X, y = datasets.make_sine(50, noise=0.0, seed=0)
    assert X.shape == (50, 1) and y.shape == (50,)
    np.testing.assert_allclose(y, np.sin(X[:, 0]))


def test_data_set_refusals():
    with pytest.raises(ValueError, match="noise must be >= 0"):
        datasets.make_moons(10, noise=-1)
    with pytest.raises(ValueError, match="n_samples must be at least 2"):
        datasets.make_circles(1)
    with pytest.raises(ValueError, match="factor"):
        datasets.make_circles(10, factor=1.5)


def test_dataloader_covers_every_sample_once_per_epoch():
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    loader = nn.DataLoader(X, y, batch_size=4, shuffle=True, seed=0)
    assert len(loader) == 3
    for _ in range(2):
        batches = list(loader)
        assert [len(yb) for _, yb in batches] == [4, 4, 2]
        seen = np.concatenate([yb for _, yb in batches])
        assert sorted(seen.tolist()) == list(range(10))
        for xb, yb in batches:
            np.testing.assert_array_equal(xb[:, 0], 2 * yb)  # rows stay with their labels
    a = [yb.tolist() for _, yb in nn.DataLoader(X, y, batch_size=4, seed=3)]
    b = [yb.tolist() for _, yb in nn.DataLoader(X, y, batch_size=4, seed=3)]
    assert a == b
    dropped = nn.DataLoader(X, y, batch_size=4, shuffle=False, drop_last=True)
    assert len(dropped) == 2 and [yb.tolist() for _, yb in dropped][0] == [0, 1, 2, 3]
    with pytest.raises(ValueError, match=r"same number of samples.*\(10, 2\).*\(9,\)"):
        nn.DataLoader(X, y[:9])
    with pytest.raises(ValueError, match="batch_size"):
        nn.DataLoader(X, y, batch_size=0)


def test_train_test_split():
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20)
    Xtr, Xte, ytr, yte = nn.train_test_split(X, y, test_size=0.25, seed=0)
    assert len(yte) == 5 and len(ytr) == 15
    assert sorted(np.concatenate([ytr, yte]).tolist()) == list(range(20))
    np.testing.assert_array_equal(Xte[:, 0], 2 * yte)
    assert len(nn.train_test_split(X, y, test_size=3)[1]) == 3
    with pytest.raises(ValueError, match="test_size"):
        nn.train_test_split(X, y, test_size=1.5)


# --- learning ------------------------------------------------------------------------------------


def train(model, X, y, loss, epochs, lr, batch_size, seed=0):
    opt = nn.Adam(model.parameters(), lr=lr)
    return nn.fit(
        model,
        X,
        y,
        loss=loss,
        optimizer=opt,
        epochs=epochs,
        batch_size=batch_size,
        progress=False,
        seed=seed,
    )


def test_mlp_solves_xor_and_a_single_neuron_cannot():
    X, y = datasets.make_xor()
    mlp = nn.MLP(2, [8, 1], activation="tanh", seed=0)
    assert train(mlp, X, y, "binary_cross_entropy_with_logits", 300, 0.05, 4).accuracy[-1] == 1.0
    assert nn.accuracy(mlp(X), y, kind="logits") == 1.0
    for seed in range(5):
        perceptron = nn.Neuron(2, activation=None, seed=seed)
        history = train(perceptron, X, y, "binary_cross_entropy_with_logits", 300, 0.05, 4)
        assert max(history.accuracy) <= 0.75


def test_explicit_training_loop_on_moons_reaches_97_percent():
    X, y = datasets.make_moons(200, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _epoch in range(100):
        for xb, yb in nn.DataLoader(X, y, batch_size=32, seed=_epoch):
            loss = nn.binary_cross_entropy_with_logits(model(xb), yb.reshape(-1, 1))
            opt.zero_grad()
            loss.backward()
            opt.step()
    assert nn.accuracy(model(X), y, kind="logits") > 0.97


def test_fit_on_moons_with_validation_history():
    X, y = datasets.make_moons(200, noise=0.1, seed=1)
    Xtr, Xte, ytr, yte = nn.train_test_split(X, y, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    opt = nn.Adam(model.parameters(), lr=0.01)
    h = nn.fit(
        model,
        Xtr,
        ytr,
        loss="binary_cross_entropy_with_logits",
        optimizer=opt,
        epochs=100,
        batch_size=32,
        validation=(Xte, yte),
        progress=False,
        seed=0,
    )
    assert len(h.loss) == len(h.accuracy) == len(h.val_loss) == len(h.val_accuracy) == 100
    assert h.loss[-1] < h.loss[0] / 5
    assert h.accuracy[-1] > 0.97 and h.val_accuracy[-1] > 0.95


@pytest.mark.slow
def test_spirals_above_95_percent_training_accuracy():
    X, y = datasets.make_spirals(300, n_classes=3, seed=0)
    model = nn.MLP(2, [64, 64, 3], seed=0)
    h = train(model, X, y, nn.cross_entropy, 200, 0.01, 32)
    assert h.accuracy[-1] > 0.95


def test_hinge_loss_training_micrograd_style():
    X, y = datasets.make_moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    h = train(model, X, 2 * y - 1, "hinge", 100, 0.01, 100)
    assert h.accuracy[-1] > 0.95


@pytest.mark.slow
def test_regression_on_a_sine():
    X, y = datasets.make_sine(100, noise=0.05, seed=0)
    model = nn.MLP(1, [32, 32, 1], activation="tanh", seed=0)
    h = train(model, X, y, "mse", 300, 0.01, 20)
    assert h.loss[-1] < 0.01 and h.accuracy == []


def hidden_rows_identical(layer):
    w = layer.weight.data
    return bool(np.all(w == w[0]) and np.all(layer.bias.data == layer.bias.data[0]))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_zero_initialisation_keeps_hidden_neurons_identical(activation):
    X, y = datasets.make_moons(100, noise=0.1, seed=0)
    zero = nn.MLP(2, [8, 8, 1], activation=activation, init="zeros")
    train(zero, X, y, "binary_cross_entropy_with_logits", 30, 0.05, 20)
    assert all(hidden_rows_identical(layer) for layer in zero.layers[:-1])
    randomly = nn.MLP(2, [8, 8, 1], activation=activation, seed=0)
    train(randomly, X, y, "binary_cross_entropy_with_logits", 30, 0.05, 20)
    assert not any(hidden_rows_identical(layer) for layer in randomly.layers[:-1])


def test_fit_refusals():
    model = nn.MLP(2, [1], seed=0)
    opt = nn.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="unknown loss 'l2'"):
        nn.fit(model, np.zeros((4, 2)), np.zeros(4), loss="l2", optimizer=opt)
    with pytest.raises(ValueError, match="epochs"):
        nn.fit(model, np.zeros((4, 2)), np.zeros(4), loss="mse", optimizer=opt, epochs=0)


# --- checkpoints ---------------------------------------------------------------------------------


def test_save_and_load_round_trip(tmp_path):
    model = nn.MLP(2, [4, 1], seed=0)
    path = nn.save(model.state_dict(), tmp_path / "model")
    assert path.endswith("model.npz") and os.path.exists(path)
    other = nn.MLP(2, [4, 1], seed=5)
    other.load_state_dict(nn.load(path))
    x = np.random.default_rng(0).normal(size=(3, 2))
    np.testing.assert_array_equal(model(x).data, other(x).data)


def test_load_refuses_missing_corrupt_and_pickled_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        nn.load(tmp_path / "nope.npz")
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(ValueError, match="not a valid checkpoint"):
        nn.load(corrupt)

    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    evil = tmp_path / "evil.npz"
    np.savez(evil, w=np.array([Boom()], dtype=object))
    with pytest.raises(ValueError, match="not a valid checkpoint.*dtype object.*no pickles"):
        nn.load(evil)
    assert not (tmp_path / "pwned").exists()

    raw_pickle = tmp_path / "raw.npz"
    buf = io.BytesIO()
    pickle.dump({"w": Boom()}, buf)
    raw_pickle.write_bytes(buf.getvalue())
    with pytest.raises(ValueError, match="not a valid checkpoint"):
        nn.load(raw_pickle)
    assert not (tmp_path / "pwned").exists()


def test_save_refusals(tmp_path):
    with pytest.raises(ValueError, match="non-empty dict"):
        nn.save({}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="only numeric"):
        nn.save({"w": np.array(["a"])}, tmp_path / "x.npz")
