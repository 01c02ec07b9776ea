"""Module state: frozen parameters stay parameters, and refused loads say what does not fit."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import nn
from autograd import Tensor

NAMES = ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]


def arrays(model: nn.Module) -> dict[str, np.ndarray]:
    """Copies of the parameters' arrays, read from the layers themselves (not `state_dict`)."""
    out = {}
    for i, layer in enumerate(model.layers):
        out[f"layers.{i}.weight"] = layer.weight.data.copy()
        out[f"layers.{i}.bias"] = layer.bias.data.copy()
    return out


def assert_same(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    assert list(got) == list(want)
    for k in want:
        np.testing.assert_array_equal(got[k], want[k], err_msg=k)


def freeze(layer: nn.Layer) -> None:
    layer.weight.requires_grad_(False)
    layer.bias.requires_grad_(False)


def test_a_frozen_layer_stays_a_parameter_and_in_the_state_dict():
    model = nn.MLP(2, [4, 1], seed=0)
    freeze(model.layers[0])
    assert [n for n, _ in model.named_parameters()] == NAMES
    assert model.parameters()[0] is model.layers[0].weight
    assert model.num_parameters() == 2 * 4 + 4 + 4 + 1
    assert list(model.state_dict()) == NAMES
    assert list(copy.deepcopy(model).state_dict()) == NAMES  # a copy keeps them too

    # training skips the frozen layer: its .grad stays None, so it never moves
    before = arrays(model)
    opt = nn.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    X = np.random.default_rng(1).normal(size=(20, 2))
    (model(X) ** 2).mean().backward()
    assert model.layers[0].weight.grad is None and model.layers[0].bias.grad is None
    opt.step()
    after = arrays(model)
    np.testing.assert_array_equal(after["layers.0.weight"], before["layers.0.weight"])
    np.testing.assert_array_equal(after["layers.0.bias"], before["layers.0.bias"])
    assert not np.array_equal(after["layers.1.weight"], before["layers.1.weight"])

    # unfreezing gives the same parameters back, in the same order
    model.layers[0].weight.requires_grad_(True)
    model.layers[0].bias.requires_grad_(True)
    assert [n for n, _ in model.named_parameters()] == NAMES


def test_a_checkpoint_taken_before_freezing_loads_after_and_the_other_way_round(tmp_path):
    source = nn.MLP(2, [4, 1], seed=0)
    before_freezing = source.state_dict()
    path = nn.save(before_freezing, tmp_path / "before")

    target = nn.MLP(2, [4, 1], seed=1)
    freeze(target.layers[0])
    target.load_state_dict(nn.load(path))
    assert_same(arrays(target), before_freezing)
    assert not target.layers[0].weight.requires_grad  # loading does not unfreeze

    frozen = nn.MLP(2, [4, 1], seed=2)
    freeze(frozen.layers[1])
    taken_frozen = frozen.state_dict()
    assert list(taken_frozen) == NAMES
    fresh = nn.MLP(2, [4, 1], seed=3)  # nothing frozen
    fresh.load_state_dict(taken_frozen)
    assert_same(arrays(fresh), arrays(frozen))
    assert all(p.requires_grad for p in fresh.parameters())


def test_what_is_a_parameter_and_what_is_not():
    class Scaled(nn.Module):
        def __init__(self):
            self.layer = nn.Layer(2, 2, seed=0)
            self.gain = Tensor([2.0], requires_grad=True)  # a parameter, frozen below
            self.offset = Tensor([1.0])  # a constant: assigned without grad
            self.cache = None

        def forward(self, x):
            self.cache = self.layer(x) * self.gain  # a result, requires grad, not a leaf
            return self.cache + self.offset

    m = Scaled()
    m.gain.requires_grad_(False)
    m(np.ones((3, 2)))
    assert m.cache.requires_grad and not m.cache.is_leaf
    assert [n for n, _ in m.named_parameters()] == ["gain", "layer.weight", "layer.bias"]
    assert list(m.state_dict()) == ["gain", "layer.weight", "layer.bias"]

    # a constant switched on later is a parameter while it requires grad
    m.offset.requires_grad_(True)
    assert "offset" in dict(m.named_parameters())
    m.offset.requires_grad_(False)
    assert "offset" not in dict(m.named_parameters())

    # assigning decides afresh: a new tensor without grad is not a parameter
    m.gain = Tensor([3.0])
    assert "gain" not in dict(m.named_parameters())
    m.gain = Tensor([3.0], requires_grad=True)
    m.gain.requires_grad_(False)
    assert "gain" in dict(m.named_parameters())
    del m.gain
    assert "gain" not in dict(m.named_parameters())


def test_other_shapes_are_all_named_with_the_architecture_of_the_checkpoint():
    small = nn.MLP(2, [8, 1], seed=0)
    big = nn.MLP(2, [16, 16, 1], seed=1)
    for strict in (True, False):
        with pytest.raises(ValueError) as info:
            big.load_state_dict(small.state_dict(), strict=strict)
        msg = str(info.value)
        lines = [line.strip() for line in msg.splitlines()]
        for line in [
            "'layers.0.weight' has shape (8, 2) in the checkpoint but (16, 2) in this model",
            "'layers.0.bias' has shape (8,) in the checkpoint but (16,) in this model",
            "'layers.1.weight' has shape (1, 8) in the checkpoint but (16, 16) in this model",
            "'layers.1.bias' has shape (1,) in the checkpoint but (16,) in this model",
            "the checkpoint looks like an MLP(2, [8, 1]); this model is MLP(2, [16, 16, 1])",
        ]:
            assert line in lines, (line, msg)
        assert ("missing keys ['layers.2.weight', 'layers.2.bias']" in msg) is strict
        assert "\\n" not in msg  # one problem a line, not an escaped KeyError repr

    # the other way round, and caught as a KeyError as before (it names missing/unexpected keys)
    with pytest.raises(KeyError) as info:
        small.load_state_dict(big.state_dict())
    msg = str(info.value)
    assert "unexpected keys ['layers.2.weight', 'layers.2.bias']" in msg
    assert "'layers.1.weight' has shape (16, 16) in the checkpoint but (1, 8) in this model" in msg
    assert "the checkpoint looks like an MLP(2, [16, 16, 1]); this model is MLP(2, [8, 1])" in msg


def test_shapes_are_listed_when_the_keys_are_not_an_mlps():
    layer = nn.Layer(3, 4, seed=0)
    with pytest.raises(ValueError) as info:
        layer.load_state_dict(nn.Layer(3, 5, seed=1).state_dict())
    msg = str(info.value)
    assert "'weight' has shape (5, 3) in the checkpoint but (4, 3) in this model" in msg
    assert "'bias' has shape (5,) in the checkpoint but (4,) in this model" in msg
    assert (
        "the checkpoint holds weight (5, 3), bias (5,); "
        "this model (Layer) holds weight (4, 3), bias (4,)" in msg
    )
    with pytest.raises(KeyError) as info:
        layer.load_state_dict(nn.MLP(3, [8, 1], seed=0).state_dict())
    assert (
        "the checkpoint looks like an MLP(3, [8, 1]); "
        "this model (Layer) holds weight (4, 3), bias (4,)" in str(info.value)
    )


def test_a_refused_load_changes_no_parameter_frozen_or_not():
    model = nn.MLP(2, [4, 3, 1], seed=0)
    freeze(model.layers[1])
    before = arrays(model)
    other = nn.MLP(2, [4, 3, 1], seed=1).state_dict()

    bad_shape = {**other, "layers.2.weight": np.zeros((2, 3))}  # the last key is the bad one
    with pytest.raises(ValueError, match=r"'layers.2.weight' has shape \(2, 3\) .* \(1, 3\)"):
        model.load_state_dict(bad_shape)
    assert_same(arrays(model), before)

    missing = dict(other)
    del missing["layers.2.bias"]
    with pytest.raises(KeyError, match=r"missing keys \['layers.2.bias'\]"):
        model.load_state_dict(missing)
    assert_same(arrays(model), before)

    not_numbers = {**other, "layers.2.bias": np.array(["x"])}
    with pytest.raises(TypeError, match="'layers.2.bias' holds dtype"):
        model.load_state_dict(not_numbers)
    assert_same(arrays(model), before)

    model.load_state_dict(other)  # and a good one changes them all, the frozen layer too
    assert_same(arrays(model), other)


def test_an_optimiser_over_a_model_with_a_frozen_layer_steps_only_the_rest():
    model = nn.MLP(2, [4, 1], seed=0)
    model.layers[0].weight.requires_grad_(False)
    frozen = model.layers[0].weight.data.copy()
    opt = nn.SGD(model.parameters(), lr=0.1)  # accepted, as torch.optim accepts it
    before = model.layers[1].weight.data.copy()
    model(np.ones((3, 2))).sum().backward()
    opt.step()
    np.testing.assert_array_equal(model.layers[0].weight.data, frozen)
    assert not np.array_equal(model.layers[1].weight.data, before)


def test_parameters_that_require_grad_load_and_save_as_arrays(tmp_path):
    source, target = nn.MLP(2, [3, 1], seed=0), nn.MLP(2, [3, 1], seed=1)
    params = dict(source.named_parameters())  # Tensors that require grad, not arrays
    target.load_state_dict(params)
    nn.save(params, tmp_path / "p.npz")
    for name, p in target.named_parameters():
        np.testing.assert_array_equal(p.data, params[name].data)
        np.testing.assert_array_equal(nn.load(tmp_path / "p.npz")[name], params[name].data)
