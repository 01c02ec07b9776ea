"""Module, Neuron, Layer and MLP: structure, PyTorch parity with copied weights, state dicts."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close

import nn
from autograd import Tensor

torch = pytest.importorskip("torch", reason="PyTorch, the oracle, is not installed")
pytestmark = pytest.mark.oracle


def torch_mlp(model: nn.MLP, acts: list) -> torch.nn.Sequential:
    """The same network in torch.nn, with our weights copied in unchanged."""
    mods = []
    for layer, act in zip(model.layers, acts, strict=True):
        lin = torch.nn.Linear(layer.nin, layer.nout, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(layer.weight.data))
            lin.bias.copy_(torch.tensor(layer.bias.data))
        mods.append(lin)
        if act is not None:
            mods.append(act)
    return torch.nn.Sequential(*mods)


def test_layer_matches_torch_linear_with_copied_weights():
    layer = nn.Layer(3, 4, activation="tanh", seed=0)
    x = np.random.default_rng(1).normal(size=(5, 3))
    out = layer(x)
    seed = np.random.default_rng(2).normal(size=(5, 4))
    out.backward(seed)
    ref = torch_mlp(nn.MLP(3, [4]), [torch.nn.Tanh()])  # shape donor
    with torch.no_grad():
        ref[0].weight.copy_(torch.tensor(layer.weight.data))
        ref[0].bias.copy_(torch.tensor(layer.bias.data))
    ot = ref(torch.tensor(x))
    ot.backward(torch.tensor(seed))
    assert layer.weight.shape == tuple(ref[0].weight.shape) == (4, 3)
    assert_close(out.data, ot)
    assert_close(layer.weight.grad, ref[0].weight.grad)
    assert_close(layer.bias.grad, ref[0].bias.grad)


@pytest.mark.parametrize(
    "activation, torch_act",
    [
        ("relu", torch.nn.ReLU()),
        ("tanh", torch.nn.Tanh()),
        ("sigmoid", torch.nn.Sigmoid()),
        ("leaky_relu", torch.nn.LeakyReLU()),
    ],
)
def test_mlp_outputs_and_gradients_match_torch(activation, torch_act):
    model = nn.MLP(2, [16, 16, 3], activation=activation, seed=0)
    ref = torch_mlp(model, [torch_act, torch_act, None])
    X, y = nn.datasets.make_spirals(30, seed=1)
    loss = nn.cross_entropy(model(X), y)
    loss.backward()
    lt = torch.nn.functional.cross_entropy(ref(torch.tensor(X)), torch.tensor(y))
    lt.backward()
    assert_close(loss.item(), lt.item())
    torch_params = [p for p in ref.parameters()]
    for (name, p), pt in zip(model.named_parameters(), torch_params, strict=True):
        assert p.shape == tuple(pt.shape), name
        assert_close(p.grad, pt.grad)


def test_named_parameters_state_dict_and_structure():
    model = nn.MLP(2, [3, 1], seed=0)
    names = [n for n, _ in model.named_parameters()]
    assert names == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    assert model.num_parameters() == 2 * 3 + 3 + 3 * 1 + 1
    assert len(model.parameters()) == 4
    sd = model.state_dict()
    assert list(sd) == names and sd["layers.0.weight"].shape == (3, 2)
    sd["layers.0.weight"][0, 0] = 123.0  # a copy: the model does not change
    assert model.layers[0].weight.data[0, 0] != 123.0
    assert repr(model) == (
        "MLP(\n"
        "  (layers.0): Layer(2 -> 3, activation=relu)\n"
        "  (layers.1): Layer(3 -> 1, activation=None)\n"
        ")"
    )


def test_sub_modules_and_shared_parameters_are_found_without_registration():
    class Twin(nn.Module):
        def __init__(self):
            self.encoder = nn.Layer(2, 2, seed=0)
            self.heads = [nn.Neuron(2, seed=1), nn.Neuron(2, seed=2)]
            self.tied = self.encoder.weight  # the same tensor twice: listed once
            self.scale = Tensor([1.0])  # no grad: not a parameter

        def forward(self, x):
            h = self.encoder(x)
            return self.heads[0](h) + self.heads[1](h)

    m = Twin()
    names = [n for n, _ in m.named_parameters()]
    # own parameters first, then sub-modules', as in PyTorch: the shared one keeps its first name
    assert names == [
        "tied",
        "encoder.bias",
        "heads.0.weight",
        "heads.0.bias",
        "heads.1.weight",
        "heads.1.bias",
    ]
    m.eval()
    assert not m.training and not m.heads[1].training
    m.train()
    assert m.encoder.training
    m(np.ones((4, 2))).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_load_state_dict_round_trip_and_refusals():
    a, b = nn.MLP(2, [4, 1], seed=0), nn.MLP(2, [4, 1], seed=1)
    b.load_state_dict(a.state_dict())
    x = np.random.default_rng(0).normal(size=(3, 2))
    assert_close(a(x).data, b(x).data, rtol=0, atol=0)

    before = {k: v.copy() for k, v in b.state_dict().items()}
    bad = a.state_dict()
    bad["layers.1.weight"] = np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"'layers.1.weight' .*\(2, 4\).*\(1, 4\)"):
        b.load_state_dict(bad)
    missing = a.state_dict()
    del missing["layers.0.bias"]
    with pytest.raises(KeyError, match=r"missing keys \['layers.0.bias'\]"):
        b.load_state_dict(missing)
    extra = {**a.state_dict(), "layers.9.weight": np.zeros(1)}
    with pytest.raises(KeyError, match=r"unexpected keys \['layers.9.weight'\]"):
        b.load_state_dict(extra)
    for k, v in b.state_dict().items():  # nothing changed by the refusals
        np.testing.assert_array_equal(v, before[k])
    b.load_state_dict(missing, strict=False)


def test_neuron_is_a_perceptron_on_one_sample_or_a_batch():
    n = nn.Neuron(3, activation="sigmoid", seed=0)
    x = np.array([0.5, -1.0, 2.0])
    single = n(x)
    assert single.shape == ()
    expected = 1 / (1 + np.exp(-(x @ n.weight.data + n.bias.data)))
    assert_close(single.data, expected)
    batch = n(np.stack([x, x]))
    assert batch.shape == (2,)
    assert repr(n) == "Neuron(3, activation=sigmoid)"


def test_inputs_as_list_array_or_tensor_single_or_batch():
    model = nn.MLP(2, [3, 2], seed=0)
    a = model([1.0, 2.0]).data
    b = model(np.array([[1.0, 2.0]])).data[0]
    c = model(Tensor([1.0, 2.0])).data
    assert_close(a, b)
    assert_close(a, c)


def test_float32_model_runs_in_float32_end_to_end():
    model = nn.MLP(2, [8, 1], seed=0, dtype=np.float32)
    out = model(np.ones((4, 2), dtype=np.float32))
    assert out.dtype == np.float32
    nn.binary_cross_entropy_with_logits(out, np.ones((4, 1), dtype=np.float32)).backward()
    assert all(np.asarray(p.grad).dtype == np.float32 for p in model.parameters())


def test_layer_neurons_are_live_views():
    layer = nn.Layer(2, 3, seed=0)
    n1 = layer.neurons[1]
    assert_close(n1.weight, layer.weight.data[1])
    assert n1.weight_grad is None
    layer(np.ones((1, 2))).sum().backward()
    assert_close(n1.weight_grad, np.asarray(layer.weight.grad)[1])
    assert n1.bias == float(layer.bias.data[1])


def test_initialisations():
    rng_layer = nn.Layer(100, 50, init="he", seed=0)
    assert abs(rng_layer.weight.data.std() - np.sqrt(2 / 100)) < 0.01
    x = nn.Layer(100, 50, init="xavier", seed=0).weight.data
    assert np.abs(x).max() <= np.sqrt(6 / 150)
    u = nn.Layer(100, 50, init="uniform", seed=0).weight.data
    assert u.min() >= -1 and u.max() <= 1 and u.std() > 0.5
    assert abs(nn.Layer(100, 50, init="normal", seed=0).weight.data.std() - 1) < 0.05
    z = nn.MLP(2, [4, 1], init="zeros")
    assert all(not np.any(p.data) for p in z.parameters())
    # auto: He for relu, Xavier for tanh
    assert_close(
        nn.Layer(10, 5, activation="relu", seed=3).weight.data,
        nn.Layer(10, 5, activation="relu", init="he", seed=3).weight.data,
    )
    assert_close(
        nn.Layer(10, 5, activation="tanh", seed=3).weight.data,
        nn.Layer(10, 5, activation="tanh", init="xavier", seed=3).weight.data,
    )
    # seeded runs are reproducible, different seeds differ
    assert_close(
        nn.MLP(2, [4, 1], seed=7).layers[1].weight.data,
        nn.MLP(2, [4, 1], seed=7).layers[1].weight.data,
    )
    assert not np.allclose(
        nn.MLP(2, [4, 1], seed=7).layers[0].weight.data,
        nn.MLP(2, [4, 1], seed=8).layers[0].weight.data,
    )


def test_activation_functions_and_names():
    x = Tensor([-2.0, 0.5])
    assert_close(nn.leaky_relu(x).data, [-0.02, 0.5])
    assert_close(nn.relu(x).data, [0.0, 0.5])
    custom = nn.Layer(2, 2, activation=nn.tanh, seed=0)
    assert "activation=tanh" in repr(custom)


def test_bad_construction_and_input_errors():
    model = nn.MLP(2, [4, 1], seed=0)
    with pytest.raises(ValueError, match=r"expects 2 features.*shape \(5, 3\)"):
        model(np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"expects 2 features.*shape \(2, 2, 2\)"):
        model(np.ones((2, 2, 2)))
    with pytest.raises(TypeError, match="numbers"):
        model(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="unknown activation 'softmaxx'"):
        nn.MLP(2, [4], activation="softmaxx")
    with pytest.raises(ValueError, match="unknown init 'glorot'"):
        nn.MLP(2, [4], init="glorot")
    with pytest.raises(ValueError, match="nouts must be"):
        nn.MLP(2, 4)
    with pytest.raises(ValueError, match="layer size must be a positive integer"):
        nn.MLP(2, [4, 0])
    with pytest.raises(ValueError, match="nin must be"):
        nn.Layer(-1, 2)
