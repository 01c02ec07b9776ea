"""The benchmark workloads, one class per (workload, engine).

Every engine of a workload starts from the same data and the same initial weights, made here
with numpy from a fixed seed. `check()` returns the loss and gradients at those weights (so a
broken implementation is caught before it is timed); `step()` runs one training step (or one
repetition of the measured operation).
"""

from __future__ import annotations

import numpy as np

from nn.datasets import make_moons

# --- shared data and weights -----------------------------------------------------------------


def moons_data(n: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_moons(100, noise=0.1, seed=0)
    return X[:n].astype(dtype), y[:n].astype(dtype).reshape(-1, 1)


def mlp_weights(sizes: list[int], dtype: np.dtype, seed: int = 0) -> list[np.ndarray]:
    """He-normal weights (out, in) and zero biases, in [W1, b1, W2, b2, ...] order."""
    rng = np.random.default_rng(seed)
    params = []
    for nin, nout in zip(sizes[:-1], sizes[1:], strict=True):
        params.append(rng.normal(0.0, np.sqrt(2.0 / nin), size=(nout, nin)).astype(dtype))
        params.append(np.full(nout, 0.01, dtype=dtype))
    return params


def digits_data(n: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-shaped random data: n images of 784 pixels, 10 classes."""
    rng = np.random.default_rng(1)
    return rng.normal(size=(n, 784)).astype(dtype), rng.integers(0, 10, size=n)


class Engine:
    """One engine running one workload."""

    reps = 1  # steps per timing
    dtype = np.float32

    def check(self) -> dict:
        raise NotImplementedError

    def step(self) -> None:
        raise NotImplementedError


def _result(loss: float, grads: list) -> dict:
    return {
        "loss": float(loss),
        "grads": [np.asarray(g, dtype=np.float64).ravel().tolist() for g in grads],
    }


# --- W1: micrograd's demo, scalar MLP of Values ------------------------------------------------


class ValueMLP:
    """micrograd's MLP written for any Value class (the same code runs both engines)."""

    def __init__(self, value_cls: type, weights: list[np.ndarray]) -> None:
        self.layers = []
        for i in range(0, len(weights), 2):
            W, b = weights[i], weights[i + 1]
            neurons = [
                ([value_cls(float(w)) for w in row], value_cls(float(bias)))
                for row, bias in zip(W, b, strict=True)
            ]
            self.layers.append((neurons, i + 2 < len(weights)))

    def parameters(self) -> list:
        return [p for neurons, _ in self.layers for ws, b in neurons for p in [*ws, b]]

    def __call__(self, x: list) -> object:
        for neurons, nonlin in self.layers:
            out = []
            for ws, b in neurons:
                act = sum((wi * xi for wi, xi in zip(ws, x, strict=True)), b)
                out.append(act.relu() if nonlin else act)
            x = out
        return x[0]


class W1(Engine):
    """Full batch: hinge loss with L2 regularisation, then SGD, as micrograd's demo notebook."""

    def __init__(self, engine: str, quick: bool) -> None:
        if engine == "micrograd":
            from micrograd.engine import Value
        else:
            from autograd import Value
        n, sizes = (20, [2, 4, 4, 1]) if quick else (100, [2, 16, 16, 1])
        X, y = moons_data(n, np.float64)
        self.Value = Value
        self.X = [[float(a) for a in row] for row in X]
        self.y = [1.0 if t else -1.0 for t in y.ravel()]
        rng = np.random.default_rng(0)
        weights = []
        for nin, nout in zip(sizes[:-1], sizes[1:], strict=True):
            weights += [rng.uniform(-1, 1, size=(nout, nin)), np.zeros(nout)]
        self.model = ValueMLP(Value, weights)

    def loss(self) -> object:
        Value = self.Value
        scores = [self.model([Value(a) for a in row]) for row in self.X]
        losses = [(1 + -yi * si).relu() for yi, si in zip(self.y, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in self.model.parameters())
        return data_loss + reg_loss

    def check(self) -> dict:
        loss = self.loss()
        loss.backward()
        grads = [p.grad for p in self.model.parameters()]
        for p in self.model.parameters():
            p.grad = 0.0
        return _result(loss.data, [grads])

    def step(self) -> None:
        params = self.model.parameters()
        for p in params:
            p.grad = 0.0
        loss = self.loss()
        loss.backward()
        for p in params:
            p.data -= 0.05 * p.grad


class W1Jit(W1):
    """The same step with zeroing, loss and backward under `autograd.jit` (the update after it,
    as micrograd's loop writes it)."""

    def __init__(self, engine: str, quick: bool) -> None:
        import autograd

        super().__init__("ours", quick)
        params = self.model.parameters()

        def forward_backward() -> object:
            for p in params:
                p.grad = 0.0
            loss = self.loss()
            loss.backward()
            return loss

        self.forward_backward = autograd.jit(forward_backward)

    def check(self) -> dict:
        for _ in range(3):  # trace, trace again and compile, replay: the replay is checked
            loss = self.forward_backward()
        grads = [p.grad for p in self.model.parameters()]
        return _result(loss.data, [grads])

    def step(self) -> None:
        self.forward_backward()
        for p in self.model.parameters():
            p.data -= 0.05 * p.grad


class W1Floor(Engine):
    """Hand-written forward and backward on Python floats: the pure-Python limit of W1."""

    def __init__(self, engine: str, quick: bool) -> None:
        n, sizes = (20, [2, 4, 4, 1]) if quick else (100, [2, 16, 16, 1])
        X, y = moons_data(n, np.float64)
        self.X = [[float(a) for a in row] for row in X]
        self.y = [1.0 if t else -1.0 for t in y.ravel()]
        rng = np.random.default_rng(0)
        self.layers = []  # per layer: rows of weights (lists) and biases (list)
        for nin, nout in zip(sizes[:-1], sizes[1:], strict=True):
            W = rng.uniform(-1, 1, size=(nout, nin))
            self.layers.append(([list(map(float, row)) for row in W], [0.0] * nout))

    def grads(self) -> tuple[float, list]:
        layers = self.layers
        gW = [[[0.0] * len(row) for row in W] for W, _ in layers]
        gb = [[0.0] * len(b) for _, b in layers]
        total = 0.0
        n = len(self.X)
        last = len(layers) - 1
        for x, yi in zip(self.X, self.y, strict=True):
            acts = [x]
            for k, (W, b) in enumerate(layers):
                out = [sum(w * a for w, a in zip(row, x, strict=True)) + bj
                       for row, bj in zip(W, b, strict=True)]
                x = out if k == last else [v if v > 0.0 else 0.0 for v in out]
                acts.append(x)
            margin = 1.0 - yi * x[0]
            if margin <= 0.0:
                continue
            total += margin
            g = [-yi / n]  # d(mean hinge)/d(score)
            for k in range(last, -1, -1):
                W, _ = layers[k]
                inp = acts[k]
                if k != last:
                    g = [gj if aj > 0.0 else 0.0 for gj, aj in zip(g, acts[k + 1], strict=True)]
                for j, gj in enumerate(g):
                    if gj:
                        row = gW[k][j]
                        for i, a in enumerate(inp):
                            row[i] += gj * a
                        gb[k][j] += gj
                if k:
                    g = [sum(W[j][i] * g[j] for j in range(len(g))) for i in range(len(inp))]
        reg = 0.0
        for k, (W, b) in enumerate(layers):  # 1e-4 * sum(p * p)
            for j, row in enumerate(W):
                for i, w in enumerate(row):
                    reg += w * w
                    gW[k][j][i] += 2e-4 * w
                reg += b[j] * b[j]
                gb[k][j] += 2e-4 * b[j]
        grads = [v for k in range(len(layers)) for j in range(len(gb[k]))
                 for v in [*gW[k][j], gb[k][j]]]
        return total / n + 1e-4 * reg, grads

    def check(self) -> dict:
        loss, grads = self.grads()
        return _result(loss, [grads])

    def step(self) -> None:
        _, grads = self.grads()
        it = iter(grads)
        for W, b in self.layers:
            for j, row in enumerate(W):
                for i in range(len(row)):
                    row[i] -= 0.05 * next(it)
                b[j] -= 0.05 * next(it)


# --- W2: deep chains -------------------------------------------------------------------------


class W2(Engine):
    """Build a chain of `n` links (y = y * 1.0 then y = y + 0.0, alternately) and backward."""

    def __init__(self, engine: str, quick: bool) -> None:
        kind, size = engine.rsplit("-", 1)
        self.n = int(float(size))
        self.reps = max(1, 100_000 // self.n)  # short chains repeat: timings of 50 ms or more
        if kind == "ours-Value":
            from autograd import Value

            self.leaf = lambda: Value(0.5)
        elif kind == "ours-Tensor":
            from autograd import Tensor

            self.leaf = lambda: Tensor(0.5, requires_grad=True)
        elif kind == "micrograd":
            from micrograd.engine import Value as MicrogradValue

            self.leaf = lambda: MicrogradValue(0.5)
        else:
            import torch

            self.leaf = lambda: torch.tensor(0.5, dtype=torch.float64, requires_grad=True)

    def run(self) -> float:
        x = self.leaf()
        y = x
        for _ in range(self.n // 2):
            y = y * 1.0 + 0.0
        y.backward()
        return float(x.grad)

    def check(self) -> dict:
        return _result(0.0, [[self.run()]])

    def step(self) -> None:
        self.run()


# --- W3 and W4: tensor MLPs ------------------------------------------------------------------


class NumpyMLP(Engine):
    """The hand-written numpy forward and backward: the limit for a numpy-based engine."""

    def __init__(self, X: np.ndarray, y: np.ndarray, params: list, loss: str, lr: float) -> None:
        self.X, self.y, self.params, self.loss_kind, self.lr = X, y, params, loss, lr
        if loss == "cross_entropy":
            self.onehot = np.eye(params[-1].shape[0], dtype=X.dtype)[y]

    def grads(self) -> tuple[float, list[np.ndarray]]:
        X, P = self.X, self.params
        hs, acts = [], [X]
        a = X
        for i in range(0, len(P), 2):
            h = a @ P[i].T + P[i + 1]
            hs.append(h)
            a = np.maximum(h, 0) if i + 2 < len(P) else h
            acts.append(a)
        z = acts[-1]
        n = len(X)
        if self.loss_kind == "bce":
            loss = np.mean(np.logaddexp(0, z) - z * self.y)
            dz = (np.exp(-np.logaddexp(0, -z)) - self.y) / n
        else:
            m = z.max(axis=1, keepdims=True)
            e = np.exp(z - m)
            s = e.sum(axis=1, keepdims=True)
            loss = np.mean(np.log(s) + m - (z * self.onehot).sum(axis=1, keepdims=True))
            dz = (e / s - self.onehot) / n
        grads: list[np.ndarray] = [None] * len(P)  # type: ignore[list-item]
        for i in range(len(P) - 2, -1, -2):
            grads[i] = dz.T @ acts[i // 2]
            grads[i + 1] = dz.sum(axis=0)
            if i:
                dz = (dz @ P[i]) * (hs[i // 2 - 1] > 0)
        return float(loss), grads

    def check(self) -> dict:
        return _result(*self.grads())

    def step(self) -> None:
        _, grads = self.grads()
        for p, g in zip(self.params, grads, strict=True):
            p -= self.lr * g


class OursNN(Engine):
    """`nn.MLP` + `nn.SGD`: what a user of the library writes."""

    def __init__(self, X: np.ndarray, y: np.ndarray, params: list, loss: str, lr: float) -> None:
        import nn

        sizes = [params[0].shape[1]] + [params[i].shape[0] for i in range(0, len(params), 2)]
        self.model = nn.MLP(sizes[0], sizes[1:], dtype=X.dtype)
        self.model.load_state_dict(
            {name: p for (name, _), p in zip(self.model.named_parameters(), params, strict=True)}
        )
        self.opt = nn.SGD(self.model.parameters(), lr=lr)
        self.X, self.y = X, y
        self.loss_fn = nn.binary_cross_entropy_with_logits if loss == "bce" else nn.cross_entropy

    def check(self) -> dict:
        loss = self.loss_fn(self.model(self.X), self.y)
        loss.backward()
        grads = [p.grad for p in self.model.parameters()]
        self.model.zero_grad()
        return _result(loss.item(), grads)

    def step(self) -> None:
        loss = self.loss_fn(self.model(self.X), self.y)
        loss.backward(retain_graph=False)  # as PyTorch: free each node's inputs once used
        self.opt.step()
        self.opt.zero_grad()  # PyTorch's tutorial order: gradients are freed at once


class OursJit(OursNN):
    """`OursNN`'s step, whole, under `autograd.jit`: forward, loss, backward, SGD step."""

    def __init__(self, X: np.ndarray, y: np.ndarray, params: list, loss: str, lr: float) -> None:
        import autograd

        super().__init__(X, y, params, loss, lr)

        def train_step(X: np.ndarray, y: np.ndarray) -> object:
            loss = self.loss_fn(self.model(X), y)
            loss.backward(retain_graph=False)
            self.opt.step()
            self.opt.zero_grad()
            return loss

        def gradients(X: np.ndarray, y: np.ndarray) -> object:
            loss = self.loss_fn(self.model(X), y)
            loss.backward()
            return loss

        self.train_step = autograd.jit(train_step)
        self.gradients = autograd.jit(gradients)

    def check(self) -> dict:
        for _ in range(3):  # trace, trace again and compile, replay: the replay is checked
            self.model.zero_grad()
            loss = self.gradients(self.X, self.y)
        grads = [p.grad for p in self.model.parameters()]
        self.model.zero_grad()
        return _result(float(loss.data), grads)

    def step(self) -> None:
        self.train_step(self.X, self.y)


class OursOps(Engine):
    """The same network written with Tensor operators only (no nn): `@`, `.T`, `+`, `relu`."""

    def __init__(self, X: np.ndarray, y: np.ndarray, params: list, loss: str, lr: float) -> None:
        from autograd import Tensor

        self.params = [Tensor(p, requires_grad=True) for p in params]
        self.X, self.y, self.lr = X, y, lr

    def loss(self) -> object:
        P = self.params
        h = self.X
        for i in range(0, len(P), 2):
            h = h @ P[i].T + P[i + 1]
            if i + 2 < len(P):
                h = h.relu()
        # the logistic loss on logits, stably: max(z, 0) - z y + log(1 + exp(-|z|))
        return (h.relu() - h * self.y + (1.0 + (-h.abs()).exp()).log()).mean()

    def check(self) -> dict:
        loss = self.loss()
        loss.backward()
        grads = [p.grad for p in self.params]
        for p in self.params:
            p.grad = None
        return _result(loss.item(), grads)

    def step(self) -> None:
        loss = self.loss()
        loss.backward(retain_graph=False)
        for p in self.params:
            p.data -= self.lr * p.grad
            p.grad = None


class TorchMLP(Engine):
    """PyTorch eager: torch.nn.Linear layers, the same loss, torch.optim.SGD."""

    def __init__(self, X: np.ndarray, y: np.ndarray, params: list, loss: str, lr: float) -> None:
        import torch

        layers = []
        for i in range(0, len(params), 2):
            lin = torch.nn.Linear(
                params[i].shape[1], params[i].shape[0], dtype=torch.from_numpy(params[i]).dtype
            )
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(params[i]))
                lin.bias.copy_(torch.from_numpy(params[i + 1]))
            layers.append(lin)
            if i + 2 < len(params):
                layers.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*layers)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=lr)
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)
        functional = torch.nn.functional
        self.loss_fn = (
            functional.binary_cross_entropy_with_logits
            if loss == "bce"
            else functional.cross_entropy
        )

    def check(self) -> dict:
        loss = self.loss_fn(self.model(self.X), self.y)
        loss.backward()
        grads = [p.grad.numpy().copy() for p in self.model.parameters()]
        self.opt.zero_grad()
        return _result(loss.item(), grads)

    def step(self) -> None:
        loss = self.loss_fn(self.model(self.X), self.y)
        loss.backward()
        self.opt.step()
        self.opt.zero_grad()  # PyTorch's tutorial order: gradients are freed at once


MLP_ENGINES = {
    "numpy": NumpyMLP,
    "ours-nn": OursNN,
    "ours-jit": OursJit,
    "ours-ops": OursOps,
    "torch": TorchMLP,
}


def W3(engine: str, quick: bool, batch: int) -> Engine:
    X, y = moons_data(batch, np.float32)
    params = mlp_weights([2, 16, 16, 1], np.float32)
    e = MLP_ENGINES[engine](X, y, params, "bce", 0.1)
    e.reps = 50 if quick else 400
    return e


def W4(engine: str, quick: bool) -> Engine:
    X, y = digits_data(128, np.float32)
    sizes = [784, 64, 64, 10] if quick else [784, 256, 256, 10]
    params = mlp_weights(sizes, np.float32)
    e = MLP_ENGINES[engine](X, y, params, "cross_entropy", 0.01)
    e.reps = 5 if quick else 40
    return e


# --- W5: per-op overhead ---------------------------------------------------------------------


class W5(Engine):
    """`(a * b + c).sum()` forward and backward on 4-element float64 tensors, or one `a * b`."""

    def __init__(self, engine: str, quick: bool, single_op: bool) -> None:
        rng = np.random.default_rng(0)
        a, b, c = (rng.normal(size=4) for _ in range(3))
        self.kind = engine
        self.single = single_op
        self.reps = 2000 if quick else 20000
        if engine == "numpy":
            self.a, self.b, self.c = a, b, c
        elif engine in ("ours", "ours-jit"):
            import autograd
            from autograd import Tensor

            self.a, self.b, self.c = (Tensor(v, requires_grad=True) for v in (a, b, c))
            if engine == "ours-jit":
                x, y, z = self.a, self.b, self.c

                def forward_backward() -> object:
                    s = (x * y + z).sum()
                    s.backward()
                    return s

                self.forward_backward = autograd.jit(forward_backward)
        else:
            import torch

            self.a, self.b, self.c = (torch.tensor(v, requires_grad=True) for v in (a, b, c))

    def run(self) -> tuple[float, list]:
        a, b, c = self.a, self.b, self.c
        if self.kind == "numpy":
            s = (a * b + c).sum()  # forward
            g = np.ones_like(a)  # backward: sum spreads 1, + passes it, * swaps the factors
            return s, [g * b, g * a, g]
        if self.kind == "ours-jit":
            s = self.forward_backward()
        else:
            s = (a * b + c).sum()
            s.backward()
        grads = [a.grad, b.grad, c.grad]
        a.grad = b.grad = c.grad = None
        return s, grads  # (as numpy's: the number itself, converted only by check())

    def check(self) -> dict:
        if self.single:
            out = self.a * self.b
            return _result(0.0, [np.asarray(out.detach() if hasattr(out, "detach") else out)])
        for _ in range(3 if self.kind == "ours-jit" else 1):  # jit: the checked call replays
            s, grads = self.run()
        number = s.detach().numpy() if hasattr(s, "detach") else np.asarray(s)
        return _result(float(number), [np.asarray(g) for g in grads])

    def step(self) -> None:
        if self.single:
            self.a * self.b  # noqa: B018 - the forward op is what is measured
        else:
            self.run()


EAGER_TWIN = {"W1": "ours-Value", "W3-100": "ours-nn", "W3-32": "ours-nn", "W4": "ours-nn",
              "W5": "ours"}
"""The eager engine whose step a jitted engine's first calls are compared with."""


def make(workload: str, engine: str, quick: bool) -> Engine:
    """The engine object for a workload name (W1, W2, W3-100, W3-32, W4, W5, W5-op)."""
    if workload == "W1":
        if engine == "ours-jit":
            return W1Jit(engine, quick)
        if engine == "python-floor":
            return W1Floor(engine, quick)
        return W1(engine, quick)
    if workload == "W2":
        return W2(engine, quick)
    if workload.startswith("W3-"):
        return W3(engine, quick, int(workload[3:]))
    if workload == "W4":
        return W4(engine, quick)
    if workload in ("W5", "W5-op"):
        return W5(engine, quick, workload == "W5-op")
    raise ValueError(f"unknown workload {workload!r}")
