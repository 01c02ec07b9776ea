"""Three interleaved spirals: softmax cross-entropy and Adam draw three curved regions."""

from __future__ import annotations

import matplotlib.pyplot as plt

import nn
from demos.common import Result, percent, plot_curve, plot_regions, run_demo, save


def run(seed: int, folder: str, quick: bool) -> Result:
    X, y = nn.datasets.make_spirals(150 if quick else 300, n_classes=3, noise=0.2, seed=seed)
    epochs = 40 if quick else 300
    model = nn.MLP(2, [64, 64, 3], seed=seed)  # three logits, one per class
    optimizer = nn.Adam(model.parameters(), lr=0.01)
    history = nn.fit(
        model,
        X,
        y,
        loss=nn.cross_entropy,
        optimizer=optimizer,
        epochs=epochs,
        batch_size=32,
        seed=seed,
    )

    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    plot_regions(axes[0], model, X, y, f"{percent(history.accuracy[-1])} correct")
    plot_curve(axes[1], history.loss, "training loss", "cross-entropy (log scale)")
    axes[1].set_yscale("log")
    picture = save(fig, folder, "spirals.png")
    return Result(
        name="spirals",
        title="Three spirals with softmax cross-entropy",
        lesson="With one output per class, softmax turns the logits into probabilities and "
        "cross-entropy penalises the log-probability of the right class. Adam adapts each "
        "weight's step size, and two hidden layers of 64 wind the regions around the spirals.",
        metrics={
            "training accuracy": percent(history.accuracy[-1]),
            "final loss": history.loss[-1],
            "epochs": epochs,
            "samples": len(y),
        },
        images=[(picture, "Decision regions of the three classes, and the loss per epoch.")],
    )


def main(argv: list[str] | None = None) -> Result:
    return run_demo(run, __doc__, "spirals", argv)


if __name__ == "__main__":
    main()
