"""XOR: a single perceptron cannot separate it, a multi-layer perceptron can."""

from __future__ import annotations

import os

import matplotlib.pyplot as plt
import numpy as np

import nn
from autograd import Tensor
from autograd.viz import save_graph, save_html
from demos.common import Result, percent, plot_regions, run_demo, save


def train(model: nn.Module, X: np.ndarray, y: np.ndarray, epochs: int) -> dict[str, np.ndarray]:
    """Full-batch Adam on the logistic loss; returns the parameters of the first epoch that
    reached the best accuracy (the model itself ends in its last state)."""
    opt = nn.Adam(model.parameters(), lr=0.05)
    best, best_state = -1.0, model.state_dict()
    for _ in range(epochs):
        out = model(X)  # forward pass
        loss = nn.binary_cross_entropy_with_logits(out, y.reshape(out.shape))  # error
        accuracy = nn.accuracy(out, y, kind="logits")
        if accuracy > best:  # the parameters that produced `out`, before this epoch's step
            best, best_state = accuracy, model.state_dict()
        opt.zero_grad()
        loss.backward()  # reverse pass
        opt.step()  # gradient-descent step
    return best_state


def measure(model: nn.Module, X: np.ndarray, y: np.ndarray) -> tuple[float, Tensor]:
    """Accuracy and loss of the model as it is now: one forward pass gives both."""
    out = model(X)
    loss = nn.binary_cross_entropy_with_logits(out, y.reshape(out.shape))
    return nn.accuracy(out, y, kind="logits"), loss


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
    perceptron_best_state = train(perceptron, X, y, epochs)
    train(mlp, X, y, epochs)

    # Every number and picture below is measured on the models as they are shown: the MLP
    # after its last step, the perceptron after its last step and then at its best epoch.
    perceptron_final, perceptron_loss = measure(perceptron, X, y)
    mlp_acc, loss = measure(mlp, X, y)
    loss.label = "loss"
    loss.backward()
    save_graph(loss, os.path.join(folder, "mlp_graph.svg"), rankdir="TB")
    # the same MLP's loss on one sample, its input and target labelled in the drawing
    sample = Tensor(X[1:2], label="input (x1, x2)")
    one = nn.binary_cross_entropy_with_logits(mlp(sample), Tensor([[y[1]]], label="target"))
    one.label = "loss"
    save_html(
        one,
        os.path.join(folder, "mlp_one_sample.html"),
        module=mlp,
        title="the trained MLP 2-8-1's loss on one XOR sample, x1 = 0, x2 = 1",
    )
    truth_table("MLP", mlp, X, y)
    truth_table("perceptron (last epoch)", perceptron, X, y)
    perceptron.load_state_dict(perceptron_best_state)
    perceptron_best, _ = measure(perceptron, X, y)
    truth_table("perceptron (best epoch)", perceptron, X, y)

    fig, axes = plt.subplots(1, 2, figsize=(8, 4))
    names = ["x1 xor x2 = 0", "x1 xor x2 = 1"]
    plot_regions(
        axes[0], perceptron, X, y, f"perceptron, best epoch: {percent(perceptron_best)}", names
    )
    plot_regions(axes[1], mlp, X, y, f"MLP 2-8-1, last epoch: {percent(mlp_acc)}", names)
    regions = save(fig, folder, "regions.png")
    right = round(perceptron_best * len(y))
    return Result(
        name="xor",
        title="XOR: a perceptron fails, an MLP succeeds",
        lesson="XOR's classes sit on opposite corners, so no straight line separates them: a "
        "perceptron gets at most 3 of 4 right, and its loss stalls near log 2 = 0.693, the loss "
        "of answering 0.5 everywhere. One hidden layer bends the boundary and solves it.",
        metrics={
            "MLP accuracy": percent(mlp_acc),
            "perceptron best accuracy during training": percent(perceptron_best),
            "perceptron final accuracy": percent(perceptron_final),
            "perceptron final loss": perceptron_loss.item(),
            "MLP loss": loss.item(),
            "epochs": epochs,
        },
        images=[
            (
                regions,
                f"Decision regions: the perceptron's straight line at its best epoch "
                f"({percent(perceptron_best)}, {right} of {len(y)} right; "
                f"{percent(perceptron_final)} after the last epoch) against the MLP's bent "
                f"boundary after training ({percent(mlp_acc)}).",
            ),
            (
                "mlp_graph.svg",
                "The trained MLP's loss over the four samples: the graph backward walked, with "
                "the loss in the table above at its root.",
            ),
        ],
        pages=[
            (
                "mlp_one_sample.html",
                "Explore the trained MLP's loss on one sample (x1 = 0, x2 = 1) step by step: "
                "each layer forward, then backward to every weight (interactive page, works "
                "offline)",
            )
        ],
    )


def main(argv: list[str] | None = None) -> Result:
    return run_demo(run, __doc__, "xor", argv)


if __name__ == "__main__":
    main()
