"""The engine under threads: per-thread switches and per-pass backward state.

Grad mode and anomaly mode belong to the thread that sets them (as in PyTorch), and a backward
pass keeps its bookkeeping to itself, so concurrent forwards, backwards and training loops in
separate threads give exactly the numbers each would give alone.

Every interleaving that matters is forced with `threading.Event`/`threading.Barrier` (never by
sleeping), the switch interval is made tiny so that threads also change at every other bytecode,
and every wait has a timeout: a test fails rather than hangs.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable

import numpy as np
import pytest

import nn
from autograd import (
    AnomalyError,
    Tensor,
    detect_anomaly,
    gradients,
    is_grad_enabled,
    no_grad,
    primitive,
)

TIMEOUT = 20.0  # seconds any one wait or join may take before the test fails
NAN = float("nan")


@pytest.fixture(autouse=True)
def fast_switching():
    """Switch threads as often as the interpreter allows, for the duration of each test."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def wait(event: threading.Event, what: str) -> None:
    """Wait for `event`, failing (not hanging) after TIMEOUT."""
    if not event.wait(TIMEOUT):
        raise AssertionError(f"timed out waiting for: {what}")


def run_threads(
    *targets: Callable[[], None],
    events: tuple[threading.Event, ...] = (),
    barriers: tuple[threading.Barrier, ...] = (),
) -> None:
    """Run each target in its own thread and re-raise the first error any of them raised.

    A failing thread sets `events` and aborts `barriers`, so that the others stop waiting for it;
    a thread still alive after TIMEOUT fails the test.
    """
    errors: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as e:  # handed to the main thread below
            errors.append(e)
            for ev in events:
                ev.set()
            for b in barriers:
                b.abort()

    threads = [threading.Thread(target=guarded, args=(t,), daemon=True) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    if any(t.is_alive() for t in threads):
        for b in barriers:
            b.abort()
        for ev in events:
            ev.set()
        pytest.fail(f"a thread did not finish within {TIMEOUT} s (deadlock?)")
    if errors:
        raise errors[0]


def records(x: Tensor) -> bool:
    """Whether an operation on `x` (which requires grad) is recorded right now in this thread."""
    return (x * 2.0).requires_grad


# --- 1. grad mode is per thread ------------------------------------------------------------------


def test_no_grad_in_one_thread_does_not_stop_recording_in_another():
    """While thread A is inside `no_grad()`, thread B still records and can backward, and
    `is_grad_enabled()` answers for the calling thread only (False in A, True in B)."""
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    a_inside, b_done = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def a() -> None:
        with no_grad():
            seen["a enabled"] = is_grad_enabled()
            seen["a records"] = records(x)
            a_inside.set()
            wait(b_done, "B's forward and backward")
            seen["a enabled after B"] = is_grad_enabled()
            seen["a records after B"] = records(x)
        seen["a enabled after exit"] = is_grad_enabled()

    def b() -> None:
        wait(a_inside, "A inside no_grad")
        seen["b enabled"] = is_grad_enabled()
        y = (x * x).sum()
        seen["b records"] = y.requires_grad
        (seen["b grad"],) = gradients(y, [x])
        b_done.set()

    run_threads(a, b, events=(a_inside, b_done))
    assert seen["a enabled"] is False
    assert seen["a records"] is False
    assert seen["b enabled"] is True
    assert seen["b records"] is True
    np.testing.assert_array_equal(seen["b grad"], [2.0, 4.0, 6.0])
    assert seen["a enabled after B"] is False
    assert seen["a records after B"] is False
    assert seen["a enabled after exit"] is True
    assert is_grad_enabled()


# --- 2. interleaved no_grad blocks restore each thread's own state -------------------------------


@pytest.mark.parametrize("shared", [False, True], ids=["own-instances", "one-shared-instance"])
def test_interleaved_no_grad_blocks_leave_recording_on_everywhere(shared):
    """A enters no_grad, B enters, A exits, B exits (forced in that order): each thread is back
    to recording right after its own exit, and so is the main thread afterwards; this holds with
    a `no_grad()` per thread and with one `no_grad()` instance shared by both threads."""
    x = Tensor([1.0, -1.0], requires_grad=True)
    one = no_grad()
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def block() -> no_grad:
        return one if shared else no_grad()

    def a() -> None:
        with block():
            a_in.set()
            wait(b_in, "B inside no_grad")
            seen["a inside, after B entered"] = is_grad_enabled()
        # checked before B is allowed to leave its block
        seen["a after exit"] = is_grad_enabled()
        seen["a records after exit"] = records(x)
        a_out.set()

    def b() -> None:
        wait(a_in, "A inside no_grad")
        with block():
            b_in.set()
            wait(a_out, "A out of no_grad")
            seen["b inside, after A left"] = is_grad_enabled()
            seen["b records inside"] = records(x)
        seen["b after exit"] = is_grad_enabled()
        seen["b records after exit"] = records(x)

    run_threads(a, b, events=(a_in, b_in, a_out))
    assert seen["a inside, after B entered"] is False
    assert seen["a after exit"] is True
    assert seen["a records after exit"] is True
    assert seen["b inside, after A left"] is False
    assert seen["b records inside"] is False
    assert seen["b after exit"] is True
    assert seen["b records after exit"] is True
    assert is_grad_enabled()
    assert records(x)


# --- 3. a forward in one thread during a backward in another --------------------------------------


def test_forward_during_another_threads_backward_records():
    """While thread B is inside a backward pass (held in a user VJP rule), thread A's forward
    records (its result requires grad) and A can run its own backward to the right gradient;
    B's pass then finishes with the right gradient too."""
    in_rule, a_done = threading.Event(), threading.Event()

    @primitive
    def hold(x):
        return x * 1.0

    def hold_rule(g, out, x):
        in_rule.set()
        wait(a_done, "A's forward and backward")
        return g

    hold.defvjp(hold_rule)
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = Tensor([4.0, 5.0], requires_grad=True)
    seen: dict[str, object] = {}

    def b() -> None:
        y = (hold(w) * 3.0).sum()
        y.backward()

    def a() -> None:
        wait(in_rule, "B inside its backward")
        seen["a enabled"] = is_grad_enabled()
        z = (x * x).sum()
        seen["a requires_grad"] = z.requires_grad
        z.backward()
        a_done.set()

    run_threads(a, b, events=(in_rule, a_done))
    assert seen["a enabled"] is True
    assert seen["a requires_grad"] is True
    np.testing.assert_array_equal(x.grad, [8.0, 10.0])
    np.testing.assert_array_equal(w.grad, [3.0, 3.0, 3.0])


# --- 4. anomaly mode is per thread ---------------------------------------------------------------


def test_detect_anomaly_in_one_thread_does_not_raise_in_another():
    """While thread A is inside `detect_anomaly()`, thread B's forward and backward that produce
    nan run without raising; in A itself the same forward does raise `AnomalyError`."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    a_in, b_done = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def a() -> None:
        with detect_anomaly():
            a_in.set()
            wait(b_done, "B's nan forward and backward")
            with pytest.raises(AnomalyError):
                Tensor([1.0, 2.0]) * NAN
            seen["a raised"] = True

    def b() -> None:
        wait(a_in, "A inside detect_anomaly")
        y = x * NAN
        seen["b forward"] = y.data.copy()
        y.sum().backward()
        b_done.set()

    run_threads(a, b, events=(a_in, b_done))
    assert seen["a raised"] is True
    assert np.isnan(seen["b forward"]).all()
    assert np.isnan(x.grad).all()


# --- 5. training in two threads ------------------------------------------------------------------

STEPS = 50


def _problem(seed: int) -> tuple[nn.MLP, nn.SGD, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(16, 3))
    Y = np.sin(X.sum(axis=1, keepdims=True))
    model = nn.MLP(3, [8, 8, 1], activation="tanh", seed=seed)
    return model, nn.SGD(model.parameters(), lr=0.05, momentum=0.9), X, Y


def _train(seed: int, hold: Callable[[int], None] | None = None) -> tuple[list, list[float]]:
    """Train the problem `seed` for STEPS steps; `hold(step)` runs inside the no_grad block of
    the update. Returns the final weights and the loss of every step."""
    model, opt, X, Y = _problem(seed)
    losses = []
    for step in range(STEPS):
        if hold is not None:
            hold(-step - 1)  # before the forward (the other side of the handshake)
        loss = nn.mse_loss(model(X), Y)
        assert loss.requires_grad, f"step {step}: the forward did not record"
        opt.zero_grad()
        loss.backward()
        losses.append(float(loss.data))
        if hold is not None:
            hold(-step - 1)
        with no_grad():
            opt.step()
            if hold is not None:
                hold(step)
    return [p.data.copy() for p in model.parameters()], losses


def test_two_threads_training_two_models_match_sequential_training():
    """Two models trained concurrently in two threads (50 SGD steps each, float64) end with
    exactly the weights, and pass through exactly the losses, of each trained alone; no step
    raises. The steps are interleaved so that at every step one thread runs its forward and
    backward while the other is inside the `no_grad()` of its update (the roles alternate)."""
    alone = [_train(seed) for seed in (1, 2)]
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    results: dict[int, tuple[list, list[float]]] = {}

    def worker(me: int) -> Callable[[], None]:
        def hold(step: int) -> None:
            # step >= 0: inside no_grad after the update; < 0: around the forward and backward.
            # At step k thread k % 2 holds its no_grad block open across two barrier waits,
            # and the other thread does its forward and backward between those two waits.
            k = step if step >= 0 else -step - 1
            holder = k % 2 == me
            if (step >= 0) == holder:
                barrier.wait()
                if holder:
                    barrier.wait()

        def run() -> None:
            results[me] = _train(me + 1, hold)

        return run

    run_threads(worker(0), worker(1), barriers=(barrier,))
    for me in (0, 1):
        weights, losses = results[me]
        ref_weights, ref_losses = alone[me]
        assert losses == ref_losses
        assert len(weights) == len(ref_weights)
        for got, want in zip(weights, ref_weights, strict=True):
            np.testing.assert_array_equal(got, want)


# --- 6. concurrent backward passes over a shared leaf --------------------------------------------


def test_concurrent_backward_passes_into_a_shared_leaf_lose_nothing():
    """Two threads run backward passes at the same time over graphs that share the leaf `w`
    (y1 = (w * a).sum() and y2 = (w * b).sum(), many times): `w.grad` ends as exactly the sum of
    every contribution (no lost update, never None), and each thread's `gradients()` gives that
    thread's own gradient. Half the repetitions hold both passes inside a VJP rule at once, so
    that both have counted their graph before either delivers anything to `w`."""
    reps = 400
    barrier = threading.Barrier(2, timeout=TIMEOUT)

    @primitive
    def meet(x):
        return x * 1.0

    def meet_rule(g, out, x):
        barrier.wait()  # both passes are inside a backward, past their start
        return g

    meet.defvjp(meet_rule)
    w = Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    coefs = (np.array([1.0, -2.0, 3.0, 0.5]), np.array([4.0, 0.25, -1.0, 2.0]))
    wrong: list[str] = []

    def worker(me: int) -> Callable[[], None]:
        c = coefs[me]

        def run() -> None:
            for r in range(reps):
                barrier.wait()
                y = ((meet(w) if r % 2 else w) * c).sum()
                y.backward()
                (g,) = gradients(y, [w])
                if g is None or not np.array_equal(g, c):
                    wrong.append(f"thread {me}, repetition {r}: gradients() gave {g}")

        return run

    run_threads(worker(0), worker(1), barriers=(barrier,))
    assert not wrong, wrong[:5]
    assert w.grad is not None
    np.testing.assert_array_equal(w.grad, reps * coefs[0] + reps * coefs[1])


MEET = 0.5  # seconds the first accumulation into w.grad waits for a second one to join it


class _MeetingGrad(np.ndarray):
    """A `.grad` whose arithmetic first waits (at most MEET seconds) for a second thread to do
    arithmetic on it too; the result is a plain array, so only the first store is held."""

    meeting: threading.Barrier

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            self.meeting.wait(MEET)  # no one joined by then: the other store was kept out
        raw = tuple(np.asarray(x) if isinstance(x, _MeetingGrad) else x for x in inputs)
        return getattr(ufunc, method)(*raw, **kwargs)


def test_two_passes_accumulating_into_one_leaf_at_once_lose_neither():
    """Storing a finished gradient into a shared leaf is one atomic read-add-write: while one
    pass is adding its contribution to `w.grad`, the other pass's store waits for it. (Forced:
    the first addition holds on for MEET seconds for a second one to join it; if the second
    store gets in, both read the same old `.grad` and one contribution would be lost.)"""
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    grad = np.zeros(3).view(_MeetingGrad)
    grad.meeting = threading.Barrier(2)
    w.grad = grad
    start = threading.Barrier(2, timeout=TIMEOUT)
    coefs = (np.array([1.0, 2.0, 4.0]), np.array([8.0, 16.0, 32.0]))

    def worker(c: np.ndarray) -> Callable[[], None]:
        def run() -> None:
            y = (w * c).sum()
            start.wait()
            y.backward()

        return run

    run_threads(worker(coefs[0]), worker(coefs[1]), barriers=(start, grad.meeting))
    np.testing.assert_array_equal(w.grad, coefs[0] + coefs[1])


# --- 7. a backward inside a VJP rule -------------------------------------------------------------


def test_gradients_inside_a_vjp_rule():
    """A VJP rule may run its own backward (`gradients()` over a small graph, here one that
    shares the leaf `w` with the outer graph): the inner call returns the right numbers, and the
    outer backward still gives every leaf its right gradient."""
    w = Tensor([1.0, 2.0, -3.0], requires_grad=True)
    a = np.array([2.0, -1.0, 5.0])
    inner: list[np.ndarray] = []

    @primitive
    def cube(x):
        return x**3

    def cube_rule(g, out, x):
        s = (w * w * w).sum()  # a fresh graph over the outer leaf w: ds/dw = 3 w**2
        (d,) = gradients(s, [w])
        inner.append(d)
        return g * d

    cube.defvjp(cube_rule)
    y = (w * a).sum() + cube(w).sum()
    y.backward()
    assert len(inner) == 1
    np.testing.assert_array_equal(inner[0], 3.0 * w.data**2)
    np.testing.assert_array_equal(w.grad, a + 3.0 * w.data**2)
    (again,) = gradients(y, [w])
    np.testing.assert_array_equal(again, a + 3.0 * w.data**2)
    np.testing.assert_array_equal(inner[1], 3.0 * w.data**2)


# --- 8. new threads start in the default mode ----------------------------------------------------


def test_new_thread_starts_recording_even_inside_parents_no_grad():
    """Grad mode is per thread, as in PyTorch: a thread started while its parent is inside
    `no_grad()` (and `detect_anomaly()`) does not inherit them; it starts with recording on and
    anomaly detection off. The parent's own mode is untouched by the child."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    seen: dict[str, object] = {}

    def child() -> None:
        seen["enabled"] = is_grad_enabled()
        y = (x * x).sum()
        seen["records"] = y.requires_grad
        (seen["grad"],) = gradients(y, [x])
        seen["nan forward"] = (x * NAN).data.copy()  # no AnomalyError: anomaly mode is off

    with detect_anomaly(), no_grad():
        run_threads(child)
        assert not is_grad_enabled()
        assert not records(x)
    assert seen["enabled"] is True
    assert seen["records"] is True
    np.testing.assert_array_equal(seen["grad"], [2.0, 4.0])
    assert np.isnan(seen["nan forward"]).all()
    assert is_grad_enabled()
