"""XOR: a single perceptron cannot separate it, a multi-layer perceptron can."""

from __future__ import annotations

import os

import matplotlib.pyplot as plt
import numpy as np

import nn
from autograd import save_graph
from demos.common import Result, percent, plot_regions, run_demo, save


def train(model: nn.Module, X: np.ndarray, y: np.ndarray, epochs: int) -> tuple[float, float]:
    """Full-batch Adam on the logistic loss; returns the best accuracy and the final loss."""
    opt = nn.Adam(model.parameters(), lr=0.05)
    best = 0.0
    for _ in range(epochs):
        out = model(X)  # forward pass
        loss = nn.binary_cross_entropy_with_logits(out, y.reshape(out.shape))  # error
        opt.zero_grad()
        loss.backward()  # reverse pass
        opt.step()  # gradient-descent step
        best = max(best, nn.accuracy(out, y, kind="logits"))
    return best, loss.item()


def truth_table(name: str, model: nn.Module, X: np.ndarray, y: np.ndarray) -> None:
    pred = nn.functional.predict_labels(model(X))
    print(f"{name}:  x1 x2 | xor  predicted")
    for (a, b), t, p in zip(X.astype(int), y, pred, strict=True):
        print(
            f"{'':>{len(name) + 3}}{a:>2} {b:>2} | {t:>3}  {p:>9}{'' if t == p else '  <- wrong'}"
        )


def run(seed: int, folder: str, quick: bool) -> Result:
    X, y = nn.datasets.make_xor()
    epochs = 150 if quick else 500
    perceptron = nn.Neuron(2, activation=None, seed=seed)  # act(x . w + b): one straight line
    mlp = nn.MLP(2, [8, 1], activation="tanh", seed=seed)  # one hidden layer of 8
    perceptron_best, perceptron_loss = train(perceptron, X, y, epochs)
    mlp_best, mlp_loss = train(mlp, X, y, epochs)
    perceptron_acc = nn.accuracy(perceptron(X), y, kind="logits")
    mlp_acc = nn.accuracy(mlp(X), y, kind="logits")
    truth_table("perceptron", perceptron, X, y)
    truth_table("MLP", mlp, X, y)

    fig, axes = plt.subplots(1, 2, figsize=(8, 4))
    plot_regions(axes[0], perceptron, X, y, f"perceptron: {percent(perceptron_acc)}")
    plot_regions(axes[1], mlp, X, y, f"MLP 2-8-1: {percent(mlp_acc)}")
    regions = save(fig, folder, "regions.png")
    loss = nn.binary_cross_entropy_with_logits(mlp(X), y.reshape(-1, 1))
    loss.label = "loss"
    loss.backward()
    save_graph(loss, os.path.join(folder, "mlp_graph.svg"), rankdir="TB")
    return Result(
        name="xor",
        title="XOR: a perceptron fails, an MLP succeeds",
        lesson="XOR's classes sit on opposite corners, so no straight line separates them: a "
        "perceptron gets at most 3 of 4 right, and its loss stalls near log 2 = 0.693, the loss "
        "of answering 0.5 everywhere. One hidden layer bends the boundary and solves it.",
        metrics={
            "MLP accuracy": percent(mlp_acc),
            "perceptron best accuracy during training": percent(perceptron_best),
            "perceptron accuracy": percent(perceptron_acc),
            "perceptron loss": perceptron_loss,
            "MLP best accuracy during training": percent(mlp_best),
            "MLP loss": mlp_loss,
            "epochs": epochs,
        },
        images=[
            (
                regions,
                "Decision regions: the perceptron's straight line against the MLP's bent boundary.",
            ),
            ("mlp_graph.svg", "The trained MLP's loss graph over the four samples."),
        ],
    )


def main(argv: list[str] | None = None) -> Result:
    return run_demo(run, __doc__, "xor", argv)


if __name__ == "__main__":
    main()
