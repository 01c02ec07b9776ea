"""`autograd.jit` against eager execution: the same numbers to the last bit, or a clear refusal.

Every comparison runs one function twice side by side, jitted and eager, on equal starting
states, for several calls (the first two trace, the rest replay), and compares results,
gradients, weights and optimiser state with `np.array_equal`: the replay makes the same numpy
calls in the same order as eager execution, so nothing may differ, not even in the last bit.
"""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from test_random_graphs import GRAPHS, _apply, graphs
from test_tensor_ops import CASES, make_inputs

import autograd
import nn
from autograd import Tensor, TracingError, Value


def same(a, b) -> bool:
    a = a.data if isinstance(a, (Tensor, Value)) else a
    b = b.data if isinstance(b, (Tensor, Value)) else b
    return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True) and (
        np.asarray(a).dtype == np.asarray(b).dtype
    )


def replays(fn) -> int:
    """How many signatures of a jitted function are compiled (traced twice, then replayed)."""
    return sum(entry[1].run is not None for entry in fn.cache.values())


# --- every op --------------------------------------------------------------------------------


# ops whose result depends on the numbers through a Python decision: refused, never replayed
DATA_DEPENDENT = {
    "index_value_mask": "comparing a Tensor (>)",
    "where": "comparing a Tensor (>)",
    "np.where": "comparing a Tensor (>)",
    "np.sort": "numpy.sort (the order depends on the numbers)",
    "np.sort_axis0": "numpy.sort (the order depends on the numbers)",
    "np.sort_flat": "numpy.sort (the order depends on the numbers)",
}


@pytest.mark.parametrize("name", list(DATA_DEPENDENT))
def test_data_dependent_ops_are_refused(name):
    case = CASES[name]
    xs = [Tensor(a, requires_grad=True) for a in make_inputs(case, seed=0)]
    with pytest.raises(TracingError) as info:
        autograd.jit(lambda xs: case.ours(*xs))(xs)
    assert DATA_DEPENDENT[name] in str(info.value)


@pytest.mark.parametrize("name", [n for n in CASES if n not in DATA_DEPENDENT])
def test_every_op_replays_as_eager(name):
    case = CASES[name]

    def step(xs, seed):
        out = case.ours(*xs)
        out.backward(seed)
        return out

    jitted = autograd.jit(step)
    # the leaves are parameters: the same objects at every call (a new one would trace again),
    # with new numbers and no gradient before each call
    xs = [Tensor(a, requires_grad=True) for a in make_inputs(case, seed=0)]
    ys = [Tensor(a, requires_grad=True) for a in make_inputs(case, seed=0)]
    for call in range(4):
        arrays = make_inputs(case, seed=call if case.fixed is None else 0)
        shape = case.ours(*[Tensor(a) for a in arrays]).shape
        seed = np.random.default_rng(10 + call).normal(size=shape)
        for x, y, a in zip(xs, ys, arrays, strict=True):
            x.data, y.data = a.copy(), a.copy()
            x.grad = y.grad = None
        out = jitted(xs, seed)
        expected = step(ys, seed)
        assert same(out, expected), f"{name}, call {call}: result"
        for x, y in zip(xs, ys, strict=True):
            assert same(x.grad, y.grad), f"{name}, call {call}: gradient"
    assert replays(jitted) == 1


# --- losses and optimisers: whole training steps ---------------------------------------------


def _data(loss: str, n: int = 24, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    if loss == "cross_entropy":
        return X, rng.integers(0, 3, size=n)
    y = (rng.uniform(size=(n, 1)) > 0.5).astype(np.float64)
    if loss == "hinge":
        return X, 2 * y - 1
    if loss == "mse":
        return X, rng.normal(size=(n, 1))
    return X, y


LOSSES = {
    "mse": (nn.mse_loss, None),
    "bce_with_logits": (nn.binary_cross_entropy_with_logits, None),
    "bce": (nn.binary_cross_entropy, "sigmoid"),
    "cross_entropy": (nn.cross_entropy, None),
    "hinge": (nn.hinge_loss, None),
}

OPTIMISERS = {
    "sgd": lambda ps: nn.SGD(ps, lr=0.1),
    "momentum": lambda ps: nn.SGD(ps, lr=0.1, momentum=0.9),
    "nesterov": lambda ps: nn.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "weight_decay": lambda ps: nn.SGD(ps, lr=0.1, momentum=0.5, weight_decay=0.01),
    "adam": lambda ps: nn.Adam(ps, lr=0.01, weight_decay=0.001),
    "adamw": lambda ps: nn.AdamW(ps, lr=0.01, weight_decay=0.1),
}


def _twins(loss_name: str, opt_name: str):
    loss_fn, output = LOSSES[loss_name]
    nout = 3 if loss_name == "cross_entropy" else 1
    made = []
    for _ in range(2):
        model = nn.MLP(3, [8, nout], seed=1, output_activation=output)
        opt = OPTIMISERS[opt_name](model.parameters())

        def step(xb, yb, model=model, opt=opt):
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward(retain_graph=False)
            opt.step()
            return loss

        made.append((model, opt, step))
    return made


def _assert_same_state(a, b) -> None:
    (model_a, opt_a), (model_b, opt_b) = a, b
    for (name, p), q in zip(model_a.named_parameters(), model_b.parameters(), strict=True):
        assert same(p, q), f"{name}: weights differ"
        assert (p.grad is None) == (q.grad is None) and (p.grad is None or same(p.grad, q.grad))
        assert p.version == q.version, f"{name}: version {p.version} against {q.version}"
    for sa, sb in zip(opt_a.state, opt_b.state, strict=True):
        assert sa.keys() == sb.keys()
        for key in sa:
            assert same(sa[key], sb[key]), f"optimiser state {key} differs"


@pytest.mark.parametrize("opt_name", list(OPTIMISERS))
@pytest.mark.parametrize("loss_name", list(LOSSES))
def test_training_step_with_loss_and_optimiser_replays_as_eager(loss_name, opt_name):
    (ma, oa, step_a), (mb, ob, step_b) = _twins(loss_name, opt_name)
    jitted = autograd.jit(step_a)
    for call in range(5):
        X, y = _data(loss_name, seed=call)
        la, lb = jitted(X, y), step_b(X, y)
        assert same(la, lb), f"call {call}: loss {la} against {lb}"
        _assert_same_state((ma, oa), (mb, ob))
    assert replays(jitted) == 1


def test_two_hundred_mini_batch_steps_end_with_identical_weights():
    (ma, oa, step_a), (mb, ob, step_b) = _twins("bce_with_logits", "momentum")
    X, y = nn.datasets.make_moons(160, noise=0.2, seed=0)
    y = y.reshape(-1, 1).astype(np.float64)
    jitted = autograd.jit(step_a)
    rng = np.random.default_rng(0)
    steps = 0
    while steps < 200:
        order = rng.permutation(len(X))
        for start in range(0, len(X), 32):
            idx = order[start : start + 32]
            Xb = np.c_[X[idx], X[idx, :1] * X[idx, 1:]]  # three features
            jitted(Xb, y[idx])
            step_b(Xb, y[idx])
            steps += 1
    _assert_same_state((ma, oa), (mb, ob))
    assert replays(jitted) == 1


def test_scheduler_changes_of_the_learning_rate_reach_the_replay():
    (ma, oa, step_a), (mb, ob, step_b) = _twins("mse", "momentum")
    jitted = autograd.jit(step_a)
    for call in range(6):
        oa.lr = ob.lr = 0.1 / (call + 1)  # what a scheduler does between steps
        X, y = _data("mse", seed=call)
        jitted(X, y)
        step_b(X, y)
    _assert_same_state((ma, oa), (mb, ob))


def test_gradient_accumulation_over_calls_replays_as_eager():
    made = []
    for _ in range(2):
        model = nn.MLP(3, [4, 1], seed=2)

        def accumulate(xb, yb, model=model):
            nn.mse_loss(model(xb), yb).backward()

        made.append((model, accumulate))
    (ma, fa), (mb, fb) = made
    jitted = autograd.jit(fa)
    for call in range(5):  # no zero_grad: gradients add up, from None on the first call
        X, y = _data("mse", seed=call)
        jitted(X, y)
        fb(X, y)
        for p, q in zip(ma.parameters(), mb.parameters(), strict=True):
            assert same(p.grad, q.grad)
    ma.zero_grad()
    mb.zero_grad()
    X, y = _data("mse", seed=9)
    jitted(X, y)
    fb(X, y)
    for p, q in zip(ma.parameters(), mb.parameters(), strict=True):
        assert same(p.grad, q.grad)


def test_in_place_operators_on_outside_tensors_are_replayed():
    made = []
    for _ in range(2):
        w = Tensor(np.arange(3.0), requires_grad=True)
        total = Tensor(np.zeros(3))

        def f(x, w=w, total=total):
            loss = (w * x).sum()
            loss.backward()
            with autograd.no_grad():
                total += x * 2  # the library's own in-place write
            w.grad = None
            return loss

        made.append((w, total, f))
    (wa, ta, fa), (wb, tb, fb) = made
    jitted = autograd.jit(fa)
    for call in range(5):
        x = np.full(3, call + 1.0)
        assert same(jitted(x), fb(x))
        assert same(ta, tb) and ta.version == tb.version == call + 1
    assert replays(jitted) == 1


# --- random graphs -----------------------------------------------------------------------------


@GRAPHS
@given(graph=graphs())
def test_random_graphs_replay_as_eager(graph):
    def run(leaves):
        nodes = list(leaves)
        for step in graph.steps:
            nodes.append(_apply(step, nodes, on_torch=False))
        out = None
        for i, w in graph.roots:
            term = (nodes[i] * w).sum()
            out = term if out is None else out + term
        out.backward()
        return out

    jitted = autograd.jit(run)
    xs = [Tensor(v, requires_grad=True) for v in graph.leaves]
    ys = [Tensor(v, requires_grad=True) for v in graph.leaves]
    for call in range(3):
        for x, y, v in zip(xs, ys, graph.leaves, strict=True):
            x.data = np.asarray(v, dtype=np.float64) + 0.125 * call
            y.data = np.asarray(v, dtype=np.float64) + 0.125 * call
            x.grad = y.grad = None
        assert same(jitted(xs), run(ys))
        for x, y in zip(xs, ys, strict=True):
            assert (x.grad is None) == (y.grad is None)
            assert x.grad is None or same(x.grad, y.grad)


# --- Values: micrograd's demo ------------------------------------------------------------------


def _micrograd_twins(n: int = 20):
    from benchmarks.workloads import W1

    made = []
    for _ in range(2):
        w = W1("ours", quick=True)
        params = w.model.parameters()

        def step(w=w, params=params):
            for p in params:
                p.grad = 0.0
            loss = w.loss()
            loss.backward()
            return loss

        made.append((params, step))
    return made


def test_micrograd_demo_on_values_replays_as_eager():
    (pa, step_a), (pb, step_b) = _micrograd_twins()
    jitted = autograd.jit(step_a)
    for call in range(6):
        la, lb = jitted(), step_b()
        assert isinstance(la, Value) and la.data == lb.data, f"call {call}"
        for p, q in zip(pa, pb, strict=True):
            assert p.grad == q.grad and p.has_grad == q.has_grad
        for params in (pa, pb):  # the update, outside the traced function
            for p in params:
                p.data -= 0.05 * p.grad
    assert all(p.data == q.data for p, q in zip(pa, pb, strict=True))
    assert replays(jitted) == 1


def test_value_arguments_are_read_afresh():
    f = autograd.jit(lambda a, b: (a * b + a).tanh())
    a, b = Value(0.5), Value(0.0)
    for k in range(4):  # the same Values (parameters), new numbers
        a.data, b.data = 0.5 + k, -1.0 * k
        assert f(a, b).data == (a * b + a).tanh().data
    assert replays(f) == 1
    c = Value(2.0)  # another Value is another signature: traced, and right
    assert f(a, c).data == (a * c + a).tanh().data


# --- refusals ---------------------------------------------------------------------------------

REFUSED = {
    "float": (lambda x: float((x * 2).sum()), "float() inside a function traced by autograd.jit"),
    "item": (lambda x: (x * 2).sum().item(), "t.item() inside a function traced"),
    "bool": (lambda x: 1 if (x.sum() > 0).any() else 0, "comparing a Tensor (>)"),
    "if": (lambda x: x * 2 if x.sum() else x, "bool(t), or an `if` on a Tensor,"),
    "numpy": (lambda x: x.numpy(), "t.numpy() inside"),
    "asarray": (lambda x: np.asarray(x) + 1, "converting a Tensor to a numpy array"),
    "argmax": (lambda x: x[x.argmax()], "t.argmax() inside"),
    "sort": (lambda x: np.sort(x), "numpy.sort (the order depends on the numbers)"),
    "tolist": (lambda x: x.tolist(), "t.tolist() inside"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_python_decisions_on_traced_numbers_are_refused(name):
    fn, words = REFUSED[name]
    jitted = autograd.jit(fn)
    with pytest.raises(TracingError) as info:
        jitted(np.array([1.0, -2.0, 3.0]))
    assert words in str(info.value)
    assert "Move it out of the function" in str(info.value) or "Compute with" in str(info.value)


def test_value_comparisons_and_conversions_are_refused():
    for fn, words in [
        (lambda v: v * 2 if v > 0 else v, "comparing Values"),
        (lambda v: Value(float(v) * 2), "float(v)"),
        (lambda v: v == 1.0, "comparing Values"),
        (lambda v: round(v, 2), "round(v)"),
    ]:
        with pytest.raises(TracingError, match="inside a function traced by autograd.jit") as e:
            autograd.jit(fn)(Value(1.5))
        assert words in str(e.value)


def test_assigning_data_inside_the_function_is_refused():
    w = Tensor(np.ones(2), requires_grad=True)
    v = Value(1.0)

    def tensor_update(x):
        (w * x).sum().backward()
        with autograd.no_grad():
            w.data = w.detach() - 0.1 * x

    with pytest.raises(TracingError, match="assigning .data inside a function traced"):
        autograd.jit(tensor_update)(np.ones(2))

    def value_update():
        v.data = 2.0

    with pytest.raises(TracingError, match="update the parameters outside the function"):
        autograd.jit(value_update)()
    assert v.data == 1.0  # refused before the change


def test_reading_data_or_grad_and_assigning_an_array_to_grad_are_refused_from_the_second_call():
    # A signature's first trace goes without these checks (they cost a first call of a small
    # step half as much again); it is never replayed. The second trace, which would be, has
    # them: the first call gives the eager answer, the second and every later one refuse.
    w = Tensor(np.ones(2), requires_grad=True)

    def read_grad(x):
        w.grad = None
        (w * x).sum().backward()
        return w.grad * 2

    def read_data(x):
        return Tensor(x.data * 2)

    def write_array(x):
        w.grad = np.zeros(2)
        return x

    x = np.array([1.0, 3.0])
    for fn, words, first in [
        (read_grad, "reading .grad inside", [2.0, 6.0]),
        (read_data, "reading .data inside", [2.0, 6.0]),
        (write_array, "assigning an array to .grad", [1.0, 3.0]),
    ]:
        jf = autograd.jit(fn)
        assert np.asarray(jf(x)).tolist() == first  # eager's answer
        for _ in range(2):
            with pytest.raises(TracingError, match=words):
                jf(x)


def test_fresh_random_numbers_inside_the_function_are_refused_at_the_second_call():
    rng = np.random.default_rng(0)
    w = Tensor(np.ones(3), requires_grad=True)

    def dropout_like(x):
        mask = rng.uniform(size=3) > 0.5
        return (w * x * mask).sum()

    jitted = autograd.jit(dropout_like)
    jitted(np.ones(3))
    with pytest.raises(TracingError) as info:
        jitted(np.ones(3))
    text = str(info.value)
    assert "two calls of dropout_like with the same signature did different things" in text
    assert "random numbers drawn inside it" in text and "changed between the calls" in text
    # a fixed seed inside the function draws the same numbers each call: that replays
    fixed = autograd.jit(lambda x: (x * np.random.default_rng(1).uniform(size=3)).sum())
    for _ in range(3):
        expected = (np.ones(3) * np.random.default_rng(1).uniform(size=3)).sum()
        assert same(fixed(np.ones(3)), expected)


def test_higher_order_inside_the_function_is_refused():
    def f(x):
        y = (x**3).sum()
        y.backward(create_graph=True)

    with pytest.raises(TracingError, match="create_graph=True"):
        autograd.jit(f)(Tensor(np.ones(2), requires_grad=True))


def test_results_have_no_graph_and_say_so_at_every_call():
    w = Tensor(np.ones(2), requires_grad=True)
    f = autograd.jit(lambda x: (w * x).sum())
    for _ in range(3):  # traced, traced again, replayed: the same kind of result
        out = f(np.ones(2))
        assert out.data == 2.0 and not out.requires_grad
        with pytest.raises(TracingError, match="call backward\\(\\) inside the function"):
            out.backward()


def test_a_tensor_made_inside_cannot_receive_a_gradient():
    def f(x):
        w = Tensor(np.ones(2), requires_grad=True)
        (w * x).sum().backward()

    with pytest.raises(TracingError, match="create it outside the function and pass it in"):
        autograd.jit(f)(np.ones(2))


# --- guards: what changed outside ----------------------------------------------------------------


def test_a_replaced_parameter_traces_again():
    model = nn.MLP(2, [3, 1], seed=0)
    f = autograd.jit(lambda x: model(x).sum())
    X = np.ones((4, 2))
    for _ in range(3):
        f(X)
    assert replays(f) == 1
    model.layers[0].weight = Tensor(np.full((3, 2), 0.5), requires_grad=True)
    assert same(f(X), model(X).sum())  # traced again on the new parameter


def test_a_parameter_data_of_another_shape_is_detected():
    w = Tensor(np.ones(3), requires_grad=True)
    f = autograd.jit(lambda x: (w * x).sum())
    for _ in range(3):
        f(np.ones(3))
    w.data = np.ones(1)  # the same object, other numbers of another shape
    with pytest.warns(UserWarning, match=r"traces again: a tensor the function reads .*\(3,\)"):
        assert same(f(np.ones(3)), (w * np.ones(3)).sum())


def test_new_values_of_outside_parameters_are_read_at_each_replay():
    w = Tensor(np.ones(3), requires_grad=True)
    f = autograd.jit(lambda x: (w * x).sum())
    for k in range(5):
        with autograd.no_grad():
            w.data = np.full(3, float(k))  # replaced by an array of the same shape
        assert f(np.ones(3)).data == 3.0 * k


def test_signatures_trace_separately_and_many_of_them_warn():
    f = autograd.jit(lambda x, scale: (x * scale).sum())
    for n in range(1, 4):
        for _ in range(3):
            assert same(f(np.ones(n), 2.0), Tensor(np.ones(n) * 2.0).sum())
    assert replays(f) == 3
    with pytest.warns(UserWarning, match="has been traced 9 times"):
        for scale in range(6):
            f(np.ones(1), float(scale) + 10)


def test_disabled_jit_runs_eagerly(monkeypatch):
    calls = []

    def f(x):
        calls.append(1)
        return float((x * 2).sum())  # a Python number: fine eagerly

    assert autograd.jit(f, enabled=False)(np.ones(2)) == 4.0
    monkeypatch.setenv("AUTOGRAD_JIT", "0")
    assert autograd.jit(f)(np.ones(2)) == 4.0
    assert len(calls) == 2


def test_results_are_new_tensors_without_graph_and_outside_objects_as_given():
    w = Tensor(np.ones(2), requires_grad=True)
    f = autograd.jit(lambda x: {"loss": (w * x).sum(), "w": w, "n": 3})
    for _ in range(3):
        out = f(np.arange(2.0))
    assert out["w"] is w and out["n"] == 3
    assert out["loss"].data == 1.0 and not out["loss"].requires_grad


def test_threads_tracing_and_running_eagerly_at_once_do_not_disturb_each_other():
    import threading

    w = Tensor(np.ones(3), requires_grad=True)
    errors = []
    plain = Tensor.__dict__["data"]

    def eager():
        try:
            for _ in range(200):
                x = Tensor(np.ones(3), requires_grad=True)
                y = (x * 2).sum()
                assert float(y.data) == 6.0  # .data and float() outside a trace are fine
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    thread = threading.Thread(target=eager)
    thread.start()
    f = autograd.jit(lambda x: (w * x).sum())
    for _ in range(50):
        f(np.ones(3))
    thread.join()
    assert not errors, errors
    assert Tensor.__dict__["data"] is plain  # the plain property is back


def test_nested_jit_inlines_the_inner_function():
    inner = autograd.jit(lambda x: x * 2)
    outer = autograd.jit(lambda x: inner(x).sum())
    for k in range(3):
        assert outer(np.full(2, float(k))).data == 4.0 * k


def test_copy_of_model_is_a_different_program():
    model = nn.MLP(2, [3, 1], seed=0)
    twin = copy.deepcopy(model)
    f = autograd.jit(lambda m, x: m(x).sum())
    X = np.ones((2, 2))
    for _ in range(3):
        assert same(f(model, X), model(X).sum())
        assert same(f(twin, X), twin(X).sum())
    assert replays(f) == 2
    assert math.isfinite(f(model, X).data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f(model, X)


# --- nn.fit(jit=True) --------------------------------------------------------------------------

FIT_CASES = {
    "binary_cross_entropy_with_logits": (
        lambda: nn.datasets.make_moons(90, noise=0.2, seed=1),
        [8, 1],
        None,
    ),
    "cross_entropy": (
        lambda: nn.datasets.make_spirals(30, n_classes=3, noise=0.2, seed=1),
        [8, 3],
        None,
    ),
    "mse": (lambda: nn.datasets.make_moons(90, noise=0.2, seed=1), [8, 1], None),
}


@pytest.mark.parametrize("loss", list(FIT_CASES))
def test_fit_with_jit_ends_identical_to_eager_fit(loss):
    data, sizes, _ = FIT_CASES[loss]
    X, y = data()
    runs = []
    for jit in (False, True):
        model = nn.MLP(2, sizes, seed=3)
        opt = nn.Adam(model.parameters(), lr=0.02)
        sched = nn.StepLR(opt, step_size=2, gamma=0.5)
        history = nn.fit(
            model, X, y, loss, opt, epochs=5, batch_size=16, seed=4, progress=False,
            validation=(X[:20], y[:20]), scheduler=sched, jit=jit,
        )  # 90 samples in batches of 16: two batch sizes, two signatures
        runs.append((model, opt, history))
    (ma, oa, ha), (mb, ob, hb) = runs
    assert ha.loss == hb.loss and ha.val_loss == hb.val_loss and ha.accuracy == hb.accuracy
    _assert_same_state((ma, oa), (mb, ob))
    assert oa.lr == ob.lr == 0.02 * 0.5**2


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_fit_with_jit_stops_at_a_non_finite_loss_before_the_step():
    X, y = nn.datasets.make_moons(64, noise=0.1, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    with autograd.no_grad():
        model.layers[0].weight.data *= 1e308  # finite weights, an overflowing output
    opt = nn.SGD(model.parameters(), lr=0.1)
    before = {name: p.data.copy() for name, p in model.named_parameters()}
    with pytest.raises(FloatingPointError, match="at epoch 0, batch 0"):
        nn.fit(model, X * 1e10, y, "mse", opt, epochs=1, batch_size=64, progress=False, jit=True)
    for name, p in model.named_parameters():
        assert np.array_equal(p.data, before[name]), name


def test_fit_with_jit_refuses_a_loss_that_decides_on_numbers():
    def clipped(out, target):
        loss = nn.mse_loss(out, target)
        return loss * 0.5 if loss.item() > 1.0 else loss

    X, y = nn.datasets.make_moons(32, noise=0.1, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    with pytest.raises(TracingError, match=r"t\.item\(\) inside a function traced"):
        nn.fit(model, X, y, clipped, nn.SGD(model.parameters(), lr=0.1), epochs=1,
               progress=False, jit=True)
