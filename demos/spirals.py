"""Three interleaved spirals: softmax cross-entropy and Adam draw three curved regions."""

from __future__ import annotations

import time

import matplotlib.pyplot as plt
import numpy as np

import nn
from demos.common import Result, compared, percent, plot_curve, plot_regions, run_demo, save


def run(seed: int, folder: str, quick: bool) -> Result:
    X, y = nn.datasets.make_spirals(150 if quick else 300, n_classes=3, noise=0.2, seed=seed)
    epochs = 40 if quick else 300
    runs = {}
    for jit in (False, True):  # eagerly, then compiled by autograd.jit: the same run, sooner
        model = nn.MLP(2, [64, 64, 3], seed=seed)  # three logits, one per class
        optimizer = nn.Adam(model.parameters(), lr=0.01)
        start = time.perf_counter()
        history = nn.fit(
            model,
            X,
            y,
            loss=nn.cross_entropy,
            optimizer=optimizer,
            epochs=epochs,
            batch_size=32,
            seed=seed,
            jit=jit,
        )
        runs[jit] = (model, history, time.perf_counter() - start)
    (eager_model, eager_history, eager_seconds), (_, _, jit_seconds) = runs[False], runs[True]
    identical = eager_history.loss == history.loss and all(
        np.array_equal(p.data, q.data)
        for p, q in zip(eager_model.parameters(), model.parameters(), strict=True)
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
            "training time, eager": f"{eager_seconds:.2f} s",
            "training time, nn.fit(jit=True)": f"{jit_seconds:.2f} s "
            + compared(jit_seconds, eager_seconds),
            "jit's weights identical to eager's": "yes" if identical else "NO",
        },
        images=[(picture, "Decision regions of the three classes, and the loss per epoch.")],
    )


def main(argv: list[str] | None = None) -> Result:
    return run_demo(run, __doc__, "spirals", argv)


if __name__ == "__main__":
    main()
