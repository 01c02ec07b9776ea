"""The optimisers' and schedules' settings are checked where they enter (issue 11).

The constructors and `load_state_dict` refuse nan, inf, out-of-range values and wrong types,
naming the setting; a refused load changes nothing; a parameter given twice is stepped once.
"""

from __future__ import annotations

import math
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import assert_close, torch

import nn
from autograd import Tensor


def _w(values=(1.0, -2.0, 0.5)):
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True)


def _stepped(opt, steps=2):
    """`opt` after `steps` steps on sum(w^2 + w) over its parameters."""
    for _ in range(steps):
        opt.zero_grad()
        sum((p * p + p).sum() for p in opt.params).backward()
        opt.step()
    return opt


def _snapshot(opt):
    """Everything a load could change: the settings and a copy of the state."""
    sd = opt.state_dict()
    return sd["hyper"], [{k: np.copy(v) for k, v in s.items()} for s in sd["state"]]


def _assert_same(before, after):
    assert before[0] == after[0]
    assert len(before[1]) == len(after[1])
    for s, t in zip(before[1], after[1], strict=True):
        assert s.keys() == t.keys()
        for k in s:
            np.testing.assert_array_equal(s[k], t[k], strict=True)


# --- constructors ------------------------------------------------------------------------------

INF, NAN = math.inf, math.nan
BAD_SETTINGS = [
    # (optimiser, settings, error, message)
    (nn.SGD, {"lr": INF}, ValueError, r"SGD: lr must be a finite number >= 0, got inf"),
    (nn.SGD, {"lr": -INF}, ValueError, r"SGD: lr must be a finite number >= 0, got -inf"),
    (nn.SGD, {"lr": NAN}, ValueError, r"SGD: lr must be a finite number >= 0, got nan"),
    (nn.SGD, {"lr": -0.1}, ValueError, r"SGD: lr must be a finite number >= 0, got -0.1"),
    (nn.SGD, {"lr": np.float32(-INF)}, ValueError, r"SGD: lr must .* got -inf"),
    (nn.SGD, {"lr": 10**400}, ValueError, r"SGD: lr must be a finite number >= 0"),
    (nn.SGD, {"lr": "0.1"}, TypeError, r"SGD: lr must be a real number, got str '0.1'"),
    (nn.SGD, {"lr": None}, TypeError, r"SGD: lr must be a real number, got NoneType"),
    (nn.SGD, {"lr": [0.1]}, TypeError, r"SGD: lr must be a real number, got list"),
    (nn.SGD, {"lr": np.array(0.1)}, TypeError, r"SGD: lr must be a real number, got ndarray"),
    (nn.SGD, {"lr": True}, TypeError, r"SGD: lr must be a real number, got bool True"),
    (nn.SGD, {"lr": np.True_}, TypeError, r"SGD: lr must be a real number, got bool"),
    (nn.SGD, {"lr": 1 + 0j}, TypeError, r"SGD: lr must be a real number, got complex"),
    (nn.SGD, {"lr": 0.1, "momentum": -0.5}, ValueError, r"SGD: momentum must .* >= 0, got -0.5"),
    (nn.SGD, {"lr": 0.1, "momentum": NAN}, ValueError, r"SGD: momentum must .* got nan"),
    (nn.SGD, {"lr": 0.1, "momentum": "0.9"}, TypeError, r"SGD: momentum must be a real number"),
    (nn.SGD, {"lr": 0.1, "weight_decay": -1}, ValueError, r"SGD: weight_decay must .* got -1$"),
    (nn.SGD, {"lr": 0.1, "weight_decay": INF}, ValueError, r"SGD: weight_decay must .* got inf"),
    (nn.SGD, {"lr": 0.1, "weight_decay": None}, TypeError, r"SGD: weight_decay must be a real"),
    (nn.SGD, {"lr": 0.1, "nesterov": 1, "momentum": 0.9}, TypeError, r"SGD: nesterov must be"),
    (nn.SGD, {"lr": 0.1, "nesterov": "yes"}, TypeError, r"SGD: nesterov must be True or False"),
    (
        nn.SGD,
        {"lr": 0.1, "nesterov": True, "momentum": 0},
        ValueError,
        r"SGD: nesterov needs a momentum > 0, got momentum=0.0",
    ),
    (nn.Adam, {"lr": INF}, ValueError, r"Adam: lr must be a finite number >= 0, got inf"),
    (nn.Adam, {"lr": -1e-3}, ValueError, r"Adam: lr must be a finite number >= 0, got -0.001"),
    (nn.Adam, {"lr": "fast"}, TypeError, r"Adam: lr must be a real number, got str"),
    (nn.Adam, {"betas": (1.5, 0.9)}, ValueError, r"Adam: betas\[0\] must .* \[0, 1\), got 1.5"),
    (nn.Adam, {"betas": (0.9, 1.0)}, ValueError, r"Adam: betas\[1\] must .* \[0, 1\), got 1.0"),
    (nn.Adam, {"betas": (-0.1, 0.9)}, ValueError, r"Adam: betas\[0\] must .* got -0.1"),
    (nn.Adam, {"betas": (0.9, NAN)}, ValueError, r"Adam: betas\[1\] must .* got nan"),
    (nn.Adam, {"betas": (0.9, None)}, TypeError, r"Adam: betas\[1\] must be a real number"),
    (nn.Adam, {"betas": (0.9, True)}, TypeError, r"Adam: betas\[1\] must be a real number"),
    (nn.Adam, {"betas": 0.9}, TypeError, r"Adam: betas must be a pair of numbers, got 0.9"),
    (nn.Adam, {"betas": "ab"}, TypeError, r"Adam: betas must be a pair of numbers"),
    (nn.Adam, {"betas": (0.9,)}, ValueError, r"Adam: betas must be a pair .* got 1 of them"),
    (nn.Adam, {"betas": (0.9, 0.9, 0.9)}, ValueError, r"Adam: betas must be a pair .* 3 of"),
    (nn.Adam, {"eps": NAN}, ValueError, r"Adam: eps must be a finite number >= 0, got nan"),
    (nn.Adam, {"eps": -1e-8}, ValueError, r"Adam: eps must be a finite number >= 0, got -1e-08"),
    (nn.Adam, {"eps": INF}, ValueError, r"Adam: eps must be a finite number >= 0, got inf"),
    (nn.Adam, {"eps": None}, TypeError, r"Adam: eps must be a real number"),
    (nn.Adam, {"weight_decay": -0.1}, ValueError, r"Adam: weight_decay must .* got -0.1"),
    (nn.Adam, {"weight_decay": INF}, ValueError, r"Adam: weight_decay must .* got inf"),
    (nn.AdamW, {"lr": NAN}, ValueError, r"AdamW: lr must be a finite number >= 0, got nan"),
    (nn.AdamW, {"betas": (0.9, 1.5)}, ValueError, r"AdamW: betas\[1\] must .* got 1.5"),
    (nn.AdamW, {"eps": -1.0}, ValueError, r"AdamW: eps must .* got -1.0"),
    (nn.AdamW, {"weight_decay": NAN}, ValueError, r"AdamW: weight_decay must .* got nan"),
    (nn.AdamW, {"weight_decay": "1e-2"}, TypeError, r"AdamW: weight_decay must be a real"),
]


def _ids(cases: list) -> list[str]:
    """Test ids that name the class and the settings of each case."""
    return [f"{c.__name__}-{'-'.join(f'{k}={v!r}' for k, v in s.items())}" for c, s, *_ in cases]


@pytest.mark.parametrize(
    "cls, settings, error, message",
    BAD_SETTINGS,
    ids=_ids(BAD_SETTINGS),
)
def test_the_constructors_refuse_a_bad_setting_naming_it(cls, settings, error, message):
    with pytest.raises(error, match=message):
        cls([_w()], **settings)


BAD_SCHEDULES = [
    (nn.StepLR, {"step_size": 0}, ValueError, r"StepLR: step_size must be an integer >= 1, got 0"),
    (
        nn.StepLR,
        {"step_size": -3},
        ValueError,
        r"StepLR: step_size must be an integer >= 1, got -3",
    ),
    (nn.StepLR, {"step_size": 2.5}, TypeError, r"StepLR: step_size must be an integer, got float"),
    (nn.StepLR, {"step_size": None}, TypeError, r"StepLR: step_size must be an integer"),
    (nn.StepLR, {"step_size": True}, TypeError, r"StepLR: step_size must be an integer, got bool"),
    (nn.StepLR, {"step_size": 2, "gamma": -0.5}, ValueError, r"StepLR: gamma must .* got -0.5"),
    (nn.StepLR, {"step_size": 2, "gamma": INF}, ValueError, r"StepLR: gamma must .* got inf"),
    (nn.StepLR, {"step_size": 2, "gamma": NAN}, ValueError, r"StepLR: gamma must .* got nan"),
    (nn.StepLR, {"step_size": 2, "gamma": "0.1"}, TypeError, r"StepLR: gamma must be a real"),
    (
        nn.CosineAnnealingLR,
        {"T_max": 0},
        ValueError,
        r"CosineAnnealingLR: T_max must be an integer >= 1, got 0",
    ),
    (nn.CosineAnnealingLR, {"T_max": 10.0}, TypeError, r"CosineAnnealingLR: T_max must be an"),
    (nn.CosineAnnealingLR, {"T_max": "10"}, TypeError, r"CosineAnnealingLR: T_max must be an"),
    (
        nn.CosineAnnealingLR,
        {"T_max": 10, "eta_min": -0.01},
        ValueError,
        r"CosineAnnealingLR: eta_min must be a finite number >= 0, got -0.01",
    ),
    (nn.CosineAnnealingLR, {"T_max": 10, "eta_min": NAN}, ValueError, r"eta_min must .* got nan"),
    (nn.CosineAnnealingLR, {"T_max": 10, "eta_min": INF}, ValueError, r"eta_min must .* got inf"),
    (nn.CosineAnnealingLR, {"T_max": 10, "eta_min": None}, TypeError, r"eta_min must be a real"),
]


@pytest.mark.parametrize(
    "cls, settings, error, message",
    BAD_SCHEDULES,
    ids=_ids(BAD_SCHEDULES),
)
def test_the_schedules_refuse_a_bad_setting_naming_it(cls, settings, error, message):
    opt = nn.SGD([_w()], lr=0.1)
    with pytest.raises(error, match=message):
        cls(opt, **settings)
    assert opt.lr == 0.1


def test_a_schedule_needs_an_optimizer():
    with pytest.raises(TypeError, match="StepLR needs an Optimizer, got dict"):
        nn.StepLR({"lr": 0.1}, step_size=2)
    with pytest.raises(TypeError, match="CosineAnnealingLR needs an Optimizer, got"):
        nn.CosineAnnealingLR(SimpleNamespace(lr=0.1), 10)


def test_parameters_are_an_iterable_of_leaf_tensors():
    w = _w()
    with pytest.raises(TypeError, match="SGD needs an iterable of parameters, got one Tensor"):
        nn.SGD(w, lr=0.1)  # would otherwise iterate over w's elements
    with pytest.raises(ValueError, match="Adam: parameter 1 is not a leaf"):
        nn.Adam([w, w * 2.0])


def test_numpy_scalars_are_accepted_and_stored_as_python_numbers():
    w = _w()
    sgd = nn.SGD(
        [w],
        lr=np.float32(0.1),
        momentum=np.float64(0.9),
        nesterov=np.bool_(True),
        weight_decay=np.float16(0.5),
    )
    assert (sgd.lr, sgd.momentum, sgd.nesterov, sgd.weight_decay) == (
        float(np.float32(0.1)),
        0.9,
        True,
        0.5,
    )
    assert [type(getattr(sgd, k)) for k in sgd.hyper] == [float, float, bool, float]
    adam = nn.AdamW([w], lr=np.int64(1), betas=[np.float32(0.5), 0], eps=np.float64(1e-6))
    assert adam.betas == (0.5, 0.0) and type(adam.betas) is tuple
    assert [type(x) for x in (adam.lr, *adam.betas, adam.eps, adam.weight_decay)] == [float] * 5
    sched = nn.StepLR(sgd, step_size=np.int32(2), gamma=np.float32(0.5))
    assert type(sched.step_size) is int and type(sched.gamma) is float
    cosine = nn.CosineAnnealingLR(adam, T_max=np.uint8(4), eta_min=np.float32(0.25))
    assert (type(cosine.T_max), type(cosine.eta_min)) == (int, float)
    # the same in load_state_dict
    sd = adam.state_dict()
    sd["hyper"].update(lr=np.float32(0.25), betas=(np.float64(0.8), np.float32(0.5)))
    adam.load_state_dict(sd)
    assert adam.lr == 0.25 and adam.betas == (0.8, 0.5)
    assert [type(x) for x in (adam.lr, *adam.betas)] == [float] * 3


@pytest.mark.oracle
def test_edge_values_are_valid_and_step_as_torch_does():
    # lr=0 leaves the weights alone; momentum=0; betas=(0, 0) and eps=0: w -= lr * sign(g)
    settings = [
        (nn.SGD, torch.optim.SGD, {"lr": 0}),
        (nn.SGD, torch.optim.SGD, {"lr": 0.0, "momentum": 0.9, "weight_decay": 0}),
        (nn.SGD, torch.optim.SGD, {"lr": 0.1, "momentum": 0}),
        (nn.Adam, torch.optim.Adam, {"lr": 0}),
        (nn.Adam, torch.optim.Adam, {"lr": 0.1, "betas": (0, 0), "eps": 0}),
        (nn.Adam, torch.optim.Adam, {"lr": 0.1, "betas": (0.0, 0.5), "eps": 0.0}),
        (nn.AdamW, torch.optim.AdamW, {"lr": 0.1, "betas": (0, 0), "eps": 0, "weight_decay": 0}),
    ]
    start = np.array([1.0, -2.0, 0.5])
    for ours, theirs, kw in settings:
        w, wt = _w(start), torch.tensor(start, requires_grad=True)
        kw_t = {k: tuple(map(float, v)) if k == "betas" else v for k, v in kw.items()}
        opt, opt_t = ours([w], **kw), theirs([wt], **kw_t)  # torch wants float betas
        for _ in range(3):
            opt.zero_grad()
            (w * w * w).sum().backward()
            opt.step()
            opt_t.zero_grad()
            (wt * wt * wt).sum().backward()
            opt_t.step()
            assert_close(w.data, wt, rtol=1e-15, atol=0)
        if kw["lr"] == 0:
            np.testing.assert_array_equal(w.data, start)
    opt = nn.SGD([_w()], lr=0.5)
    assert nn.StepLR(opt, step_size=1, gamma=0).step() == 0.0
    assert nn.CosineAnnealingLR(opt, T_max=1, eta_min=0).step() == 0.0


# --- load_state_dict ---------------------------------------------------------------------------

BAD_LOADS = [
    # (optimiser, settings the state dict carries, error, message)
    (lambda p: nn.SGD(p, lr=0.1), {"lr": INF}, ValueError, r"SGD.* lr must .* >= 0, got inf"),
    (lambda p: nn.SGD(p, lr=0.1), {"lr": -0.5}, ValueError, r"SGD.* lr must .* got -0.5"),
    (lambda p: nn.SGD(p, lr=0.1), {"lr": "0.1"}, TypeError, r"SGD.* lr must be a real number"),
    (lambda p: nn.SGD(p, lr=0.1), {"lr": None}, TypeError, r"SGD.* lr must be a real number"),
    (lambda p: nn.SGD(p, lr=0.1), {"momentum": NAN}, ValueError, r"SGD.* momentum must .* nan"),
    (lambda p: nn.SGD(p, lr=0.1), {"weight_decay": -1.0}, ValueError, r"SGD.* weight_decay"),
    (lambda p: nn.SGD(p, lr=0.1), {"nesterov": "no"}, TypeError, r"SGD.* nesterov must be"),
    (
        lambda p: nn.SGD(p, lr=0.1),
        {"nesterov": True},
        ValueError,
        r"SGD.* nesterov needs a momentum > 0",
    ),
    (
        lambda p: nn.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
        {"momentum": 0.0},
        ValueError,
        r"SGD.* nesterov needs a momentum > 0",
    ),
    (nn.Adam, {"lr": INF}, ValueError, r"Adam.* lr must be a finite number >= 0, got inf"),
    (nn.Adam, {"betas": (1.5, 0.9)}, ValueError, r"Adam.* betas\[0\] must .* got 1.5"),
    (nn.Adam, {"betas": [0.9, 1.0]}, ValueError, r"Adam.* betas\[1\] must .* got 1.0"),
    (nn.Adam, {"betas": [0.9]}, ValueError, r"Adam.* betas must be a pair"),
    (nn.Adam, {"betas": None}, TypeError, r"Adam.* betas must be a pair"),
    (nn.Adam, {"eps": NAN}, ValueError, r"Adam.* eps must be a finite number >= 0, got nan"),
    (nn.Adam, {"eps": -1e-8}, ValueError, r"Adam.* eps must .* got -1e-08"),
    (nn.AdamW, {"weight_decay": INF}, ValueError, r"AdamW.* weight_decay must .* got inf"),
    (nn.AdamW, {"weight_decay": [0.1]}, TypeError, r"AdamW.* weight_decay must be a real"),
]


@pytest.mark.parametrize(
    "make, hyper, error, message",
    BAD_LOADS,
    ids=[
        f"{i}-{'-'.join(f'{k}={v!r}' for k, v in h.items())}"
        for i, (_, h, *_) in enumerate(BAD_LOADS)
    ],
)
def test_load_state_dict_refuses_a_bad_setting_and_changes_nothing(make, hyper, error, message):
    opt = _stepped(make([_w(), _w([3.0])]))
    sd = opt.state_dict()
    sd["hyper"].update(hyper)
    before = _snapshot(opt)
    with pytest.raises(error, match=message):
        opt.load_state_dict(sd)
    _assert_same(before, _snapshot(opt))


def test_a_refused_load_changes_nothing_even_when_its_settings_are_valid():
    # Valid new settings, then a fault in the second parameter's state: nothing is assigned.
    opt = _stepped(nn.Adam([_w(), _w([3.0])], lr=0.1))
    kept_state = opt.state
    before = _snapshot(opt)
    for fault in [
        lambda s: s[1].pop("exp_avg_sq"),
        lambda s: s[1].update(extra=np.zeros(1)),
        lambda s: s[1].update(exp_avg=np.zeros(2)),
        lambda s: s[1].update(exp_avg=[0.0]),
        lambda s: s[1].update(step=-1),
    ]:
        sd = _stepped(nn.Adam([_w([7.0, 8.0, 9.0]), _w([4.0])], lr=0.5, betas=(0.5, 0.6)), 1)
        sd = sd.state_dict()
        fault(sd["state"])
        with pytest.raises((ValueError, TypeError), match="parameter 1"):
            opt.load_state_dict(sd)
        _assert_same(before, _snapshot(opt))
        assert opt.state is kept_state and (opt.lr, opt.betas) == (0.1, (0.9, 0.999))


def test_load_state_dict_checks_each_parameters_state():
    w, v = _w(), _w([3.0])
    opt = _stepped(nn.Adam([w, v], lr=0.1), 1)
    good = opt.state_dict()

    def load(change):
        sd = opt.state_dict()
        change(sd)
        opt.load_state_dict(sd)

    with pytest.raises(ValueError, match=r"parameter 0 has the keys \['exp_avg', 'step'\], "):
        load(lambda sd: sd["state"][0].pop("exp_avg_sq"))
    with pytest.raises(ValueError, match=r"uses \['exp_avg', 'exp_avg_sq', 'step'\]"):
        load(lambda sd: sd["state"][1].update(momentum_buffer=np.zeros(1)))
    with pytest.raises(ValueError, match=r"parameter 1 \('exp_avg'\) has shape \(3,\)"):
        load(lambda sd: sd["state"][1].update(exp_avg=np.zeros(3)))
    with pytest.raises(TypeError, match=r"parameter 0 \('exp_avg_sq'\) must be a float array"):
        load(lambda sd: sd["state"][0].update(exp_avg_sq=[0.0, 0.0, 0.0]))
    with pytest.raises(TypeError, match=r"\('exp_avg'\) must be a float array, got ndarray of"):
        load(lambda sd: sd["state"][0].update(exp_avg=np.zeros(3, dtype=np.int64)))
    for step in (-1, 1.0, True, "1", None):
        with pytest.raises(ValueError, match=r"parameter 0 \('step'\) must be a count >= 0"):
            load(lambda sd, step=step: sd["state"][0].update(step=step))
    with pytest.raises(TypeError, match=r"the state of parameter 1 must be a dict, got None"):
        load(lambda sd: sd["state"].__setitem__(1, None))
    with pytest.raises(TypeError, match=r"'state' must be a list, got dict"):
        load(lambda sd: sd.update(state={0: sd["state"][0], 1: sd["state"][1]}))
    with pytest.raises(TypeError, match=r"'hyper' must be a dict of settings"):
        load(lambda sd: sd.update(hyper=[("lr", 0.1)]))
    sgd = nn.SGD([w], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"SGD uses \['momentum_buffer'\]"):
        sgd.load_state_dict({"hyper": {}, "state": [{"exp_avg": np.zeros(3)}]})
    # what is valid: a parameter not yet stepped, a numpy count, state in another float dtype
    opt.load_state_dict(good)
    good["state"][0]["step"] = np.int64(5)
    good["state"][0]["exp_avg"] = good["state"][0]["exp_avg"].astype(np.float32)
    good["state"][1] = {}
    opt.load_state_dict(good)
    assert type(opt.state[0]["step"]) is int and opt.state[1] == {}
    assert opt.state[0]["exp_avg"].dtype == np.float64  # the parameter's dtype, as torch does
    good["state"][0]["exp_avg_sq"][:] = 99.0  # the optimiser holds copies
    assert not (opt.state[0]["exp_avg_sq"] == 99.0).any()


# --- duplicate parameters ----------------------------------------------------------------------


@pytest.mark.oracle
@pytest.mark.parametrize(
    "ours, theirs, exact",
    [
        (lambda p: nn.SGD(p, lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1), True),
        (
            lambda p: nn.SGD(p, lr=0.1, momentum=0.9),
            lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
            True,
        ),
        # torch fuses weight decay and Adam's arithmetic differently: equal to the last bits
        (
            lambda p: nn.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
            lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
            False,
        ),
        (lambda p: nn.Adam(p, lr=0.1), lambda p: torch.optim.Adam(p, lr=0.1), False),
        (lambda p: nn.AdamW(p, lr=0.1), lambda p: torch.optim.AdamW(p, lr=0.1), False),
    ],
    ids=["sgd", "sgd_momentum", "sgd_weight_decay", "adam", "adamw"],
)
def test_a_parameter_given_twice_warns_and_steps_once(ours, theirs, exact):
    start = np.array([1.0, -2.0, 0.5])
    w, wt = _w(start), torch.tensor(start, requires_grad=True)
    with pytest.warns(
        UserWarning, match=r"^\w+: parameter 1 repeats parameter 0 \(optimizer contains"
    ) as record:
        opt = ours([w, w])
    assert len(record) == 1 and record[0].filename == __file__  # points at the caller
    assert "duplicate parameters" in str(record[0].message)
    assert len(opt.params) == 1 and opt.params[0] is w and len(opt.state) == 1
    opt_t = theirs([wt])
    for _ in range(2):
        opt.zero_grad()
        (w * w * w).sum().backward()
        opt.step()
        opt_t.zero_grad()
        (wt * wt * wt).sum().backward()
        opt_t.step()
        if exact:
            np.testing.assert_array_equal(w.data, wt.detach().numpy(), strict=True)
        else:
            assert_close(w.data, wt, rtol=1e-15, atol=0)


def test_repeats_anywhere_in_the_list_are_named_and_dropped_keeping_the_first_order():
    a, b, c = _w([1.0]), _w([2.0]), _w([3.0])
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        opt = nn.SGD([a, b, c, b, a, b], lr=0.5)
    assert len(record) == 1 and record[0].category is UserWarning
    message = str(record[0].message)
    assert message.startswith(
        "SGD: parameter 3 repeats parameter 1; parameter 4 repeats parameter 0; "
        "parameter 5 repeats parameter 1 ("
    )
    assert [id(p) for p in opt.params] == [id(a), id(b), id(c)]
    (a * 1.0 + b * 2.0 + c * 3.0).sum().backward()
    opt.step()
    assert (a.data.tolist(), b.data.tolist(), c.data.tolist()) == ([0.5], [1.0], [1.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.Adam([a, b, c])  # no repeat, no warning
