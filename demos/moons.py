"""Mini-batch training of MLP(2, [16, 16, 1]) on the two moons: forward pass, error, reverse
pass and gradient-descent step, over mini-batches and epochs."""

from __future__ import annotations

import time

import matplotlib.pyplot as plt
import numpy as np
from tqdm import tqdm

import autograd
import nn
from demos.common import Result, compared, percent, plot_curve, plot_regions, run_demo, save


def run(seed: int, folder: str, quick: bool) -> Result:
    X, y = nn.datasets.make_moons(200 if quick else 1000, noise=0.1, seed=seed)
    X_train, X_test, y_train, y_test = nn.train_test_split(X, y, test_size=0.25, seed=seed)
    epochs = 40 if quick else 60

    model, losses, eager_seconds = train(X_train, y_train, epochs, seed, jit=False)
    # the same loop with its step compiled by autograd.jit: the same weights, sooner
    twin, twin_losses, jit_seconds = train(X_train, y_train, epochs, seed, jit=True)
    identical = twin_losses == losses and all(
        np.array_equal(p.data, q.data)
        for p, q in zip(model.parameters(), twin.parameters(), strict=True)
    )

    train_acc = nn.accuracy(model(X_train), y_train, kind="logits")
    test_acc = nn.accuracy(model(X_test), y_test, kind="logits")
    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    plot_regions(axes[0], model, X_test, y_test, f"test set: {percent(test_acc)} correct")
    plot_curve(axes[1], losses, "training loss", "binary cross-entropy (log scale)")
    axes[1].set_yscale("log")
    picture = save(fig, folder, "moons.png")
    return Result(
        name="moons",
        title="Mini-batch training on the two moons",
        lesson="Each epoch shuffles the training set into mini-batches of 32; for each batch the "
        "network runs forward, measures its error, backpropagates it and takes one SGD step. "
        "The test set, never trained on, shows how well the boundary generalises.",
        metrics={
            "test accuracy": percent(test_acc),
            "train accuracy": percent(train_acc),
            "final loss": losses[-1],
            "epochs": epochs,
            "training samples": len(y_train),
            "batches per epoch": -(-len(y_train) // 32),
            "training time, eager": f"{eager_seconds:.2f} s",
            "training time, autograd.jit": f"{jit_seconds:.2f} s "
            + compared(jit_seconds, eager_seconds),
            "jit's weights identical to eager's": "yes" if identical else "NO",
        },
        images=[(picture, "Decision boundary over the test set, and the loss per epoch.")],
    )


def train(
    X: np.ndarray, y: np.ndarray, epochs: int, seed: int, jit: bool
) -> tuple[nn.MLP, list[float], float]:
    """The lesson's loop; with `jit`, each step is compiled by `autograd.jit` (traced on the
    first batches, replayed after). Returns the model, the loss per epoch and the seconds."""
    model = nn.MLP(2, [16, 16, 1], seed=seed)
    optimizer = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    batches = nn.DataLoader(X, y, batch_size=32, shuffle=True, seed=seed)

    def step(xb: np.ndarray, yb: np.ndarray) -> autograd.Tensor:
        logits = model(xb)  # forward pass
        loss = nn.binary_cross_entropy_with_logits(logits, yb.reshape(-1, 1))  # error
        optimizer.zero_grad()
        loss.backward()  # reverse pass
        optimizer.step()  # gradient-descent step
        return loss

    run_step = autograd.jit(step) if jit else step
    losses = []
    name = "moons, autograd.jit" if jit else "moons"
    bar = tqdm(range(epochs), desc=name, unit="epoch", disable=None)  # off when not a tty
    start = time.perf_counter()
    for _epoch in bar:
        total = 0.0
        for xb, yb in batches:
            total += run_step(xb, yb).item() * len(yb)
        losses.append(total / len(y))
        bar.set_postfix(loss=f"{losses[-1]:.4f}")
    return model, losses, time.perf_counter() - start


def main(argv: list[str] | None = None) -> Result:
    return run_demo(run, __doc__, "moons", argv)


if __name__ == "__main__":
    main()
