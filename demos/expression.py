"""A neuron tanh(x1*w1 + x2*w2 + b) built from Values: its gradients by backward and by hand,
and its graph drawn with data and gradients (micrograd's classic picture)."""

from __future__ import annotations

import math
import os

from autograd import Value
from autograd.viz import save_graph, save_html
from demos.common import Result, run_demo


def run(seed: int, folder: str, quick: bool) -> Result:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()

    # The chain rule by hand: do/dn = 1 - tanh(n)^2, dn/dw_i = x_i, dn/dx_i = w_i, dn/db = 1.
    do_dn = 1.0 - math.tanh(n.data) ** 2
    by_hand = {
        x1: do_dn * w1.data,
        x2: do_dn * w2.data,
        w1: do_dn * x1.data,
        w2: do_dn * x2.data,
        b: do_dn,
    }
    print(f"o = tanh(x1*w1 + x2*w2 + b) = {o.data:.6f}")
    print(f"{'':>4}{'backward':>12}{'by hand':>12}")
    for v, expected in by_hand.items():
        print(f"{v.label:>4}{v.grad:>12.6f}{expected:>12.6f}")
    worst = max(abs(v.grad - expected) for v, expected in by_hand.items())

    save_graph(o, os.path.join(folder, "neuron.svg"))
    save_html(o, os.path.join(folder, "neuron.html"), title="the neuron tanh(x1*w1 + x2*w2 + b)")
    return Result(
        name="expression",
        title="A neuron, its gradients and its graph",
        lesson="A neuron is tanh(x1*w1 + x2*w2 + b). The forward pass records every operation; "
        "backward() walks the graph in reverse and applies the chain rule at each node, giving "
        "the same gradients we derive by hand.",
        metrics={
            "largest difference from hand-derived gradients": worst,
            "output o": o.data,
            "do/dw1": w1.grad,
            "do/dx1": x1.grad,
        },
        images=[("neuron.svg", "The neuron's graph: data and gradient of every value.")],
        pages=[
            (
                "neuron.html",
                "Explore this neuron step by step: the forward pass node by node, then backward "
                "with each chain-rule step and its numbers (interactive page, works offline)",
            )
        ],
    )


def main(argv: list[str] | None = None) -> Result:
    return run_demo(run, __doc__, "expression", argv)


if __name__ == "__main__":
    main()
