"""Fitting a noisy sine with mean-squared error: the fit drawn over the data as it trains."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

import nn
from autograd import no_grad
from demos.common import Result, plot_curve, run_demo, save


def run(seed: int, folder: str, quick: bool) -> Result:
    X, y = nn.datasets.make_sine(100, noise=0.1, seed=seed)
    epochs = 60 if quick else 400
    snapshots = sorted({1, epochs // 20, epochs // 5, epochs})
    model = nn.MLP(1, [32, 32, 1], activation="tanh", seed=seed)
    optimizer = nn.Adam(model.parameters(), lr=0.01)
    grid = np.linspace(-np.pi, np.pi, 200)[:, None]
    fits, losses = {}, []
    for epoch in range(1, epochs + 1):
        for xb, yb in nn.DataLoader(X, y, batch_size=20, seed=seed * 100_000 + epoch):
            loss = nn.mse_loss(model(xb), yb.reshape(-1, 1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with no_grad():
            losses.append(nn.mse_loss(model(X), y.reshape(-1, 1)).item())
            if epoch in snapshots:
                fits[epoch] = np.asarray(model(grid)).ravel()

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    axes[0].scatter(X[:, 0], y, s=12, color="#6b7280", label="data")
    axes[0].plot(grid[:, 0], np.sin(grid[:, 0]), "k--", lw=1, label="sin(x)")
    for epoch, fit in fits.items():
        axes[0].plot(grid[:, 0], fit, lw=2, label=f"epoch {epoch}")
    axes[0].legend(fontsize=8)
    axes[0].set_title("the fit as training proceeds")
    axes[0].set_xlabel("input x")
    axes[0].set_ylabel("target y")
    plot_curve(axes[1], losses, "training error", "mean squared error (log scale)")
    axes[1].set_yscale("log")
    picture = save(fig, folder, "regression.png")
    truth_error = float(np.mean((fits[epochs] - np.sin(grid[:, 0])) ** 2))
    return Result(
        name="regression",
        title="Regression: fitting a noisy sine",
        lesson="The same machinery fits a function: one linear output, mean-squared error as the "
        "loss. Early epochs give a line; later ones bend it to the sine, while the noise (0.1) "
        "sets a floor of about 0.01 under the training error.",
        metrics={
            "final training mse": losses[-1],
            "mse against the true sine": truth_error,
            "epochs": epochs,
        },
        images=[(picture, "The fitted curve at several epochs over the data, and the error.")],
    )


def main(argv: list[str] | None = None) -> Result:
    return run_demo(run, __doc__, "regression", argv)


if __name__ == "__main__":
    main()
