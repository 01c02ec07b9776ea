"""Why weights start random: from all-zero weights every hidden neuron gets the same gradient
and stays identical to its neighbours; random weights break the symmetry."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

import nn
from demos.common import Result, percent, run_demo, save


def train(model: nn.MLP, X: np.ndarray, y: np.ndarray, epochs: int) -> list[np.ndarray]:
    """Full-batch Adam; returns the hidden layer's weight matrix after every epoch."""
    opt = nn.Adam(model.parameters(), lr=0.05)
    history = []
    for _ in range(epochs):
        out = model(X)
        loss = nn.binary_cross_entropy_with_logits(out, y.reshape(out.shape))
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(model.layers[0].weight.data.copy())
    return history


def spread(weights: np.ndarray) -> float:
    """How far apart the hidden neurons are: the largest difference from neuron 0."""
    return float(np.abs(weights - weights[0]).max())


def run(seed: int, folder: str, quick: bool) -> Result:
    X, y = nn.datasets.make_moons(100 if quick else 200, noise=0.1, seed=seed)
    epochs = 300
    # sigmoid hidden units: with zero weights they still output 0.5, so the zero-initialised
    # network does learn, but every hidden neuron learns exactly the same thing
    zero = nn.MLP(2, [4, 1], activation="sigmoid", init="zeros")
    rand = nn.MLP(2, [4, 1], activation="sigmoid", seed=seed)
    zero_hist = train(zero, X, y, epochs)
    rand_hist = train(rand, X, y, epochs)

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    for ax, hist, title in [
        (axes[0], zero_hist, "zero initialisation"),
        (axes[1], rand_hist, "random initialisation"),
    ]:
        w = np.array(hist)  # (epochs, neurons, inputs)
        for i in range(w.shape[1]):
            ax.plot(np.arange(1, len(w) + 1), w[:, i, 0], label=f"neuron {i}")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_ylabel("weight from input x1")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    picture = save(fig, folder, "weights.png")

    zero_acc = nn.accuracy(zero(X), y, kind="logits")
    rand_acc = nn.accuracy(rand(X), y, kind="logits")
    zero_spread, rand_spread = spread(zero_hist[-1]), spread(rand_hist[-1])
    identical = zero_spread == 0.0
    print(
        f"zero init: the {zero.layers[0].nout} hidden neurons are "
        f"{'identical' if identical else 'different'} after {epochs} epochs"
    )
    return Result(
        name="symmetry",
        title="Zero initialisation keeps neurons identical",
        lesson="With every weight zero, each hidden neuron computes the same output and receives "
        "the same gradient, so after any number of steps they are still copies of each other: "
        "the layer acts like a single neuron and draws one straight boundary through the moons. "
        "Random starting weights make the neurons differ, and together they bend the boundary.",
        metrics={
            "zero-init hidden neurons identical": identical,
            "zero-init accuracy": percent(zero_acc),
            "random-init accuracy": percent(rand_acc),
            "zero-init spread between neurons": zero_spread,
            "random-init spread between neurons": rand_spread,
            "epochs": epochs,
        },
        images=[
            (
                picture,
                "Each hidden neuron's weight from x1 over training: one line (four "
                "on top of each other) for zero initialisation, four for random.",
            )
        ],
    )


def main(argv: list[str] | None = None) -> Result:
    return run_demo(run, __doc__, "symmetry", argv)


if __name__ == "__main__":
    main()
