"""Losses against torch.nn.functional, optimisers against torch.optim, step for step."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close

import nn
from autograd import Tensor, gradcheck

torch = pytest.importorskip("torch", reason="PyTorch, the oracle, is not installed")
pytestmark = pytest.mark.oracle
TF = torch.nn.functional
REDUCTIONS = ["mean", "sum", "none"]


def _compare(ours, theirs, pred, target, target_torch=None):
    x = Tensor(pred, requires_grad=True)
    out = ours(x, target)
    xt = torch.tensor(pred, requires_grad=True)
    ot = theirs(xt, torch.tensor(target) if target_torch is None else target_torch)
    seed = np.linspace(0.5, 1.5, out.size).reshape(out.shape)
    out.backward(seed)
    ot.backward(torch.tensor(seed))
    assert out.shape == tuple(ot.shape)
    assert_close(out.data, ot)
    assert_close(x.grad, xt.grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_matches_torch(reduction):
    rng = np.random.default_rng(0)
    _compare(
        lambda p, t: nn.mse_loss(p, t, reduction=reduction),
        lambda p, t: TF.mse_loss(p, t, reduction=reduction),
        rng.normal(size=(6, 2)),
        rng.normal(size=(6, 2)),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits_matches_torch(reduction):
    logits = np.array([-1000.0, -30.0, -1.5, 0.0, 0.7, 40.0, 1000.0])
    target = np.array([0.0, 1.0, 1.0, 0.0, 0.3, 0.0, 1.0])
    _compare(
        lambda p, t: nn.binary_cross_entropy_with_logits(p, t, reduction=reduction),
        lambda p, t: TF.binary_cross_entropy_with_logits(p, t, reduction=reduction),
        logits,
        target,
    )


def test_binary_cross_entropy_gradient_reaches_a_target_tensor():
    x = Tensor([0.3, -0.2], requires_grad=True)
    t = Tensor([0.9, 0.1], requires_grad=True)
    nn.binary_cross_entropy_with_logits(x, t).backward()
    xt = torch.tensor([0.3, -0.2], dtype=torch.float64, requires_grad=True)
    tt = torch.tensor([0.9, 0.1], dtype=torch.float64, requires_grad=True)
    TF.binary_cross_entropy_with_logits(xt, tt).backward()
    assert_close(t.grad, tt.grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_matches_torch(reduction):
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(5, 4)) * 3
    logits[0] = [1000.0, -1000.0, 0.0, 5.0]
    labels = np.array([0, 3, 1, 1, 2])
    _compare(
        lambda p, t: nn.cross_entropy(p, t, reduction=reduction),
        lambda p, t: TF.cross_entropy(p, t, reduction=reduction),
        logits,
        labels,
        torch.tensor(labels),
    )


def test_cross_entropy_of_one_sample():
    _compare(
        nn.cross_entropy, TF.cross_entropy, np.array([0.2, -1.0, 3.0]), np.array(2), torch.tensor(2)
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_loss_matches_its_torch_formula(reduction):
    scores = np.array([2.0, 0.5, -0.3, -2.0, 0.9])
    labels = np.array([1.0, 1.0, -1.0, 1.0, -1.0])

    def theirs(s, y):
        losses = torch.relu(1 - y * s)
        return {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]

    _compare(lambda p, t: nn.hinge_loss(p, t, reduction=reduction), theirs, scores, labels)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_losses_pass_gradcheck(reduction):
    rng = np.random.default_rng(3)
    pred, target = rng.normal(size=(5, 3)), rng.uniform(size=(5, 3))
    labels, signs = np.array([0, 2, 1, 1, 0]), np.array([1.0, -1.0, 1.0, -1.0, 1.0])
    assert gradcheck(lambda p: nn.mse_loss(p, target, reduction=reduction), pred)
    assert gradcheck(
        lambda p, t: nn.binary_cross_entropy_with_logits(p, t, reduction=reduction),
        (pred, target),
    )
    probs = rng.uniform(0.05, 0.95, size=(5, 3))
    assert gradcheck(
        lambda p, t: nn.binary_cross_entropy(p, t, reduction=reduction), (probs, target)
    )
    assert gradcheck(lambda p: nn.cross_entropy(p, labels, reduction=reduction), pred)
    assert gradcheck(
        lambda s: nn.hinge_loss(s, signs, reduction=reduction),
        np.array([2.0, 0.5, -0.3, -2.0, 0.9]),
    )


def test_accuracy():
    assert nn.accuracy(np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]]), [0, 1, 1]) == 2 / 3
    assert nn.accuracy(Tensor([[0.5], [-0.5], [2.0]]), np.array([1, 0, 0])) == 2 / 3
    assert nn.accuracy(np.array([0.5, -0.5]), np.array([1, -1])) == 1.0
    with pytest.raises(ValueError, match="3 predictions for 2 labels"):
        nn.accuracy(np.zeros((3, 2)), [0, 1])


def test_loss_refusals_name_what_is_wrong():
    pred = Tensor(np.zeros((4, 1)), requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(4, 1\) but target has shape \(4,\)"):
        nn.mse_loss(pred, np.zeros(4))
    with pytest.raises(ValueError, match=r"shape \(4, 1\) but target has shape \(4,\)"):
        nn.binary_cross_entropy_with_logits(pred, np.zeros(4))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        nn.binary_cross_entropy_with_logits(pred, -np.ones((4, 1)))
    with pytest.raises(ValueError, match=r"inputs must be probabilities.*_with_logits"):
        nn.binary_cross_entropy(pred - 1.0, np.zeros((4, 1)))
    with pytest.raises(ValueError, match="label 3 is out of range for 3 classes"):
        nn.cross_entropy(np.zeros((2, 3)), [0, 3])
    with pytest.raises(ValueError, match="label -1 is out of range"):
        nn.cross_entropy(np.zeros((2, 3)), [-1, 0])
    with pytest.raises(ValueError, match=r"labels of shape \(2,\)"):
        nn.cross_entropy(np.zeros((2, 3)), [[0, 1]])
    with pytest.raises(TypeError, match="integers"):
        nn.cross_entropy(np.zeros((2, 3)), np.array(["a", "b"]))
    with pytest.raises(ValueError, match="-1 or \\+1"):
        nn.hinge_loss(np.zeros(2), np.array([0, 1]))
    with pytest.raises(ValueError, match="reduction must be"):
        nn.mse_loss(np.zeros(2), np.zeros(2), reduction="avg")


# --- optimisers --------------------------------------------------------------------------------

OPTIMIZERS = {
    "sgd": (lambda p: nn.SGD(p, lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    "sgd_momentum": (
        lambda p: nn.SGD(p, lr=0.1, momentum=0.9),
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
    ),
    "sgd_nesterov": (
        lambda p: nn.SGD(p, lr=0.05, momentum=0.8, nesterov=True),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True),
    ),
    "sgd_weight_decay": (
        lambda p: nn.SGD(p, lr=0.1, momentum=0.5, weight_decay=0.01),
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.5, weight_decay=0.01),
    ),
    "adam": (lambda p: nn.Adam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    "adam_weight_decay": (
        lambda p: nn.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
        lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    ),
    "adamw": (lambda p: nn.AdamW(p, lr=0.01), lambda p: torch.optim.AdamW(p, lr=0.01)),
    "adamw_strong_decay": (
        lambda p: nn.AdamW(p, lr=0.05, weight_decay=0.5),
        lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.5),
    ),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_trajectory_equals_torch_optim(name):
    ours_opt, torch_opt = OPTIMIZERS[name]
    model = nn.MLP(2, [8, 8, 1], activation="tanh", seed=0)
    ref = torch.nn.Sequential(
        torch.nn.Linear(2, 8, dtype=torch.float64),
        torch.nn.Tanh(),
        torch.nn.Linear(8, 8, dtype=torch.float64),
        torch.nn.Tanh(),
        torch.nn.Linear(8, 1, dtype=torch.float64),
    )
    with torch.no_grad():
        for p, pt in zip(model.parameters(), ref.parameters(), strict=True):
            pt.copy_(torch.tensor(p.data))
    opt, opt_t = ours_opt(model.parameters()), torch_opt(ref.parameters())
    X, y = nn.datasets.make_moons(40, seed=0)
    yf = y.reshape(-1, 1).astype(float)
    for step in range(8):
        xb, yb = X[step * 5 : (step + 1) * 5], yf[step * 5 : (step + 1) * 5]
        opt.zero_grad()
        nn.binary_cross_entropy_with_logits(model(xb), yb).backward()
        opt.step()
        opt_t.zero_grad()
        TF.binary_cross_entropy_with_logits(ref(torch.tensor(xb)), torch.tensor(yb)).backward()
        opt_t.step()
        for p, pt in zip(model.parameters(), ref.parameters(), strict=True):
            assert_close(p.data, pt, rtol=1e-10, atol=1e-13)


def test_a_parameter_without_gradient_is_skipped():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0], requires_grad=True)
    opt = nn.Adam([a, b], lr=0.1)
    (a * a).sum().backward()
    opt.step()
    assert b.data.tolist() == [3.0] and opt.state[1] == {}
    assert opt.state[0]["step"] == 1


def test_optimizer_state_dict_round_trip_continues_the_same_trajectory():
    def run(split):
        w = Tensor([1.0, -2.0], requires_grad=True)
        opt = nn.Adam([w], lr=0.1)
        for i in range(6):
            if i == split:
                saved = opt.state_dict()
                w2 = Tensor(w.data.copy(), requires_grad=True)
                opt = nn.Adam([w2], lr=0.5)
                opt.load_state_dict(saved)
                w = w2
            opt.zero_grad()
            (w**2).sum().backward()
            opt.step()
        return w.data

    assert_close(run(split=3), run(split=-1), rtol=0, atol=0)
    opt = nn.Adam([Tensor([1.0], requires_grad=True)])
    bad = opt.state_dict()
    bad["hyper"]["momentum"] = 0.9
    with pytest.raises(ValueError, match=r"unknown settings \['momentum'\]"):
        opt.load_state_dict(bad)
    with pytest.raises(ValueError, match="1 parameters"):
        nn.Adam(
            [Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)]
        ).load_state_dict(opt.state_dict())


def test_optimizer_refusals():
    p = [Tensor([1.0], requires_grad=True)]
    with pytest.raises(ValueError, match="SGD: lr must be a finite number >= 0, got -1"):
        nn.SGD(p, lr=-1)  # lr=0 is valid, as in torch.optim
    with pytest.raises(ValueError, match="Adam: lr must be a finite number >= 0, got -0.1"):
        nn.Adam(p, lr=-0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        nn.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="parameter 0 is a ndarray"):
        nn.SGD([np.ones(2)], lr=0.1)
    frozen = Tensor([1.0])  # a frozen parameter is accepted and skipped (no .grad), as in torch
    nn.SGD([frozen], lr=0.1).step()
    np.testing.assert_array_equal(frozen.data, [1.0])
    with pytest.raises(ValueError, match="betas"):
        nn.Adam(p, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="nesterov"):
        nn.SGD(p, lr=0.1, nesterov=True)


def test_learning_rate_schedules_match_torch():
    p = [Tensor([1.0], requires_grad=True)]
    pt = [torch.zeros(1, requires_grad=True)]
    for ours, theirs in [
        (
            lambda o: nn.StepLR(o, step_size=3, gamma=0.5),
            lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
        ),
        (
            lambda o: nn.CosineAnnealingLR(o, T_max=10, eta_min=0.01),
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.01),
        ),
    ]:
        opt, opt_t = nn.SGD(p, lr=0.2), torch.optim.SGD(pt, lr=0.2)
        sched, sched_t = ours(opt), theirs(opt_t)
        for _ in range(10):
            opt_t.step()
            sched.step()
            sched_t.step()
            assert_close(opt.lr, opt_t.param_groups[0]["lr"], rtol=1e-12)


def test_a_subclass_of_sgd_with_its_own_update_rule_is_honoured():
    # plain SGD steps in one loop; a subclass that overrides _update must still get called
    class ClippedSGD(nn.SGD):
        def _update(self, w, g, state):
            w -= self.lr * np.clip(g, -1.0, 1.0)

    for momentum in (0.0, 0.5):
        p = Tensor(np.array([1.0, -1.0]), requires_grad=True)
        opt = ClippedSGD([p], lr=0.1, momentum=momentum)
        p.grad = np.array([10.0, -9.0])
        opt.step()
        assert np.allclose(p.data, [0.9, -0.9]), momentum
        assert p.version == 1
