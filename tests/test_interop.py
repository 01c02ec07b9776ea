"""Models that move: an MLP to PyTorch and back (same outputs, the same model after the round
trip), refusals that name what cannot move, and ONNX files that onnxruntime runs to the same
outputs."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn

torch = pytest.importorskip("torch", reason="PyTorch, the oracle, is not installed")

ROOT = Path(__file__).resolve().parent.parent
ACTIVATIONS = ["relu", "tanh", "sigmoid", "leaky_relu", "gelu", "softplus", "elu", None]
# Inputs wide enough to reach every branch: relu's and leaky_relu's negative side, softplus's
# threshold (20), sigmoid and tanh saturating.
X = np.random.default_rng(0).normal(scale=8.0, size=(9, 3))
TOL = {np.float64: 1e-12, np.float32: 1e-6}  # relative and absolute


def _mlp(activation, dtype=np.float64, output_activation="same", seed=1):
    out = activation if output_activation == "same" else output_activation
    return nn.MLP(
        3, [6, 5, 2], activation=activation, output_activation=out, seed=seed, dtype=dtype
    )


def _ours(model, x):
    return model(x.astype(model.layers[0].weight.dtype)).data


def _assert_same_model(a: nn.MLP, b: nn.MLP) -> None:
    """The same layers, activations, parameter dtypes and bits, and requires_grad."""
    assert repr(a) == repr(b)
    assert [layer.activation for layer in a.layers] == [layer.activation for layer in b.layers]
    for (name, p), (name_b, q) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert name == name_b
        assert p.dtype == q.dtype and p.requires_grad == q.requires_grad
        np.testing.assert_array_equal(p.data, q.data)
        assert p.data.tobytes() == q.data.tobytes()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_to_torch_computes_what_the_mlp_computes(activation, dtype):
    model = _mlp(activation, dtype)
    module = nn.to_torch(model)
    assert isinstance(module, torch.nn.Sequential)
    linears = [m for m in module if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 3 and len(module) == (3 if activation is None else 6)
    assert linears[0].weight.dtype == (torch.float64 if dtype == np.float64 else torch.float32)
    np.testing.assert_array_equal(linears[1].weight.detach().numpy(), model.layers[1].weight.data)
    want = _ours(model, X)
    got = module(torch.from_numpy(X.astype(dtype))).detach().numpy()
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=TOL[dtype], atol=TOL[dtype])
    assert np.abs(want).max() > 0.1  # the outputs are not trivially zero


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_there_and_back_gives_the_same_model(activation, dtype):
    model = _mlp(activation, dtype, output_activation="sigmoid")
    model.layers[1].bias.requires_grad_(False)  # a frozen parameter stays frozen
    back = nn.from_torch(nn.to_torch(model))
    _assert_same_model(model, back)
    np.testing.assert_array_equal(_ours(back, X), _ours(model, X))


def test_a_torch_model_comes_over_and_keeps_its_outputs():
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Linear(3, 8),
        torch.nn.Tanh(),
        torch.nn.Linear(8, 8),
        torch.nn.Tanh(),
        torch.nn.Linear(8, 1),
        torch.nn.Sigmoid(),
    ).double()
    model = nn.from_torch(module)
    assert repr(model) == repr(nn.MLP(3, [8, 8, 1], "tanh", "sigmoid"))
    want = module(torch.from_numpy(X)).detach().numpy()
    np.testing.assert_allclose(_ours(model, X), want, rtol=0, atol=1e-12)
    lone = nn.from_torch(torch.nn.Linear(3, 2, dtype=torch.float32))
    assert lone.layers[0].activation is None and lone.layers[0].weight.dtype == np.float32
    identity = nn.from_torch(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Identity()))
    assert identity.layers[0].activation is None


def test_activation_functions_move_by_their_names():
    model = nn.MLP(3, [4, 2], activation=nn.tanh, output_activation=nn.sigmoid, seed=0)
    module = nn.to_torch(model)
    assert [type(m).__name__ for m in module] == ["Linear", "Tanh", "Linear", "Sigmoid"]


@pytest.mark.parametrize(
    ("module", "message"),
    [
        (
            lambda: torch.nn.Sequential(
                torch.nn.Linear(3, 4), torch.nn.Dropout(), torch.nn.Linear(4, 1)
            ),
            r"item 1 \(Dropout\) is neither a Linear layer nor an activation nn has",
        ),
        (
            lambda: torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Hardswish()),
            r"item 1 \(Hardswish\) is neither a Linear layer nor an activation nn has "
            r"\(ReLU, Tanh, Sigmoid, LeakyReLU, GELU, Softplus, ELU, Identity\)",
        ),
        (
            lambda: torch.nn.Sequential(torch.nn.Linear(3, 4, bias=False)),
            r"item 0 \(Linear\(in_features=3, out_features=4, bias=False\)\) has no bias; nn's "
            r"layers always have one",
        ),
        (
            lambda: torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LeakyReLU(0.2)),
            r"item 1 \(LeakyReLU\(negative_slope=0.2\)\) has negative_slope=0.2; nn's "
            r"'leaky_relu' uses negative_slope=0.01",
        ),
        (
            lambda: torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.GELU("tanh")),
            r"item 1 \(GELU\(approximate='tanh'\)\) has approximate='tanh'",
        ),
        (
            lambda: torch.nn.Sequential(
                torch.nn.Linear(3, 4),
                torch.nn.ReLU(),
                torch.nn.Linear(4, 4),
                torch.nn.Tanh(),
                torch.nn.Linear(4, 1),
            ),
            r"an MLP has one activation for all its hidden layers, this Sequential has relu after "
            r"item 0, "
            r"tanh after item 2",
        ),
        (
            lambda: torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(5, 1)),
            r"item 1 \(Linear\(in_features=5, out_features=1, bias=True\)\) takes 5 inputs but "
            r"item 0 gives 4",
        ),
        (
            lambda: torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.ReLU()),
            r"items 1 and 2 are two activations in a row",
        ),
        (
            lambda: torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(3, 4)),
            r"item 0 \(ReLU\(\)\) comes before any Linear layer",
        ),
        (
            lambda: torch.nn.Sequential(
                torch.nn.Linear(3, 4), torch.nn.Linear(4, 1, dtype=torch.float64)
            ),
            r"item 1 is torch.float64 but item 0 is torch.float32; an MLP has one dtype",
        ),
        (lambda: torch.nn.Sequential(), r"the Sequential holds no Linear layer"),
    ],
)
def test_from_torch_refuses_what_an_mlp_cannot_hold_naming_the_item(module, message):
    with pytest.raises(ValueError, match="from_torch: " + message):
        nn.from_torch(module())


def test_from_torch_refuses_what_is_not_a_sequential():
    with pytest.raises(TypeError, match="from_torch takes a torch.nn.Sequential .* got Conv1d"):
        nn.from_torch(torch.nn.Conv1d(1, 1, 3))


def test_to_torch_refuses_what_has_no_counterpart_naming_the_layer():
    model = nn.MLP(3, [4, 2], activation=lambda t: t * 2.0)
    with pytest.raises(
        ValueError,
        match=r"to_torch: layer 0 has the activation <lambda>, which "
        r"has no counterpart there; the activations that move are 'relu'",
    ):
        nn.to_torch(model)
    with pytest.raises(TypeError, match=r"to_torch takes an nn.MLP or nn.Layer, got Neuron"):
        nn.to_torch(nn.Neuron(3))
    layer = nn.Layer(3, 2, activation="tanh", seed=0)
    assert [type(m).__name__ for m in nn.to_torch(layer)] == ["Linear", "Tanh"]


# --- ONNX ------------------------------------------------------------------------------------

HAS_ONNX = all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxruntime"))
onnx_missing = pytest.mark.skipif(
    not HAS_ONNX, reason="onnx and onnxruntime are not installed (pip install 'autograd-nn[onnx]')"
)


def _run_onnx(path, x):
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    [inp], [out] = session.get_inputs(), session.get_outputs()
    assert (inp.name, inp.shape, out.name, out.shape) == (
        "input",
        ["batch", 3],
        "output",
        ["batch", 2],
    )
    return session.run(None, {"input": x})[0]


@onnx_missing
@pytest.mark.parametrize("opset", [17, 20])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_onnx_file_runs_in_onnxruntime_to_the_same_outputs_float32(activation, opset, tmp_path):
    import onnx

    model = _mlp(activation, np.float32)
    path = nn.export_onnx(model, tmp_path / "model.onnx", opset=opset)
    saved = onnx.load(path)
    onnx.checker.check_model(saved, full_check=True)
    assert [o.version for o in saved.opset_import] == [opset]
    ops = {n.op_type for n in saved.graph.node}
    assert "Gemm" in ops
    if activation == "gelu":
        assert ("Gelu" in ops) == (opset >= 20) and ("Erf" in ops) == (opset < 20)
    for batch in (1, 9):  # the batch dimension is free
        got = _run_onnx(path, X[:batch].astype(np.float32))
        assert got.dtype == np.float32 and got.shape == (batch, 2)
        np.testing.assert_allclose(got, _ours(model, X[:batch]), rtol=1e-6, atol=1e-6)


@onnx_missing
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", None])
def test_onnx_file_runs_in_onnxruntime_to_the_same_outputs_float64(activation, tmp_path):
    """The activations whose float64 kernels onnxruntime's CPU provider has."""
    model = _mlp(activation, np.float64)
    path = nn.export_onnx(model, tmp_path / "model.onnx")
    got = _run_onnx(path, X)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, _ours(model, X), rtol=0, atol=1e-12)


@onnx_missing
def test_export_onnx_refuses_what_it_cannot_write(tmp_path):
    with pytest.raises(ValueError, match=r"export_onnx: opset must be an int from 13 to \d+"):
        nn.export_onnx(_mlp("relu"), tmp_path / "m.onnx", opset=7)
    with pytest.raises(ValueError, match=r"export_onnx: layer 1 has the activation <lambda>"):
        nn.export_onnx(nn.MLP(3, [4, 2], output_activation=lambda t: t), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_without_onnx_export_names_the_extra_to_install(tmp_path):
    code = (
        "import sys; sys.modules['onnx'] = None\n"
        "import nn\n"
        f"nn.export_onnx(nn.MLP(2, [1]), {str(tmp_path / 'm.onnx')!r})\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert proc.returncode == 1
    assert (
        "ImportError: export_onnx needs the onnx package (and onnxruntime to run the file): "
        "pip install 'autograd-nn[onnx]'"
    ) in proc.stderr


def test_without_torch_moving_names_the_extra_to_install():
    code = "import sys; sys.modules['torch'] = None\nimport nn\nnn.to_torch(nn.MLP(2, [1]))\n"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert proc.returncode == 1
    assert "pip install 'autograd-nn[distributed]'" in proc.stderr
