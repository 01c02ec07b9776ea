"""A neuron tanh(x1*w1 + x2*w2 + b) built from Values, with its gradients checked by hand.

python -m demos.expression
"""

from __future__ import annotations

import argparse
import math

from autograd import Value


def neuron() -> tuple[Value, dict[str, Value]]:
    """micrograd's example neuron, with its inputs labelled."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.label = "o"
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    o, leaves = neuron()
    o.backward()
    # by hand: do/dn = 1 - tanh(n)^2, and dn/dwi = xi, dn/dxi = wi, dn/db = 1
    n = sum(leaves[f"x{i}"].data * leaves[f"w{i}"].data for i in (1, 2)) + leaves["b"].data
    dn = 1.0 - math.tanh(n) ** 2
    by_hand = {
        "x1": dn * leaves["w1"].data,
        "x2": dn * leaves["w2"].data,
        "w1": dn * leaves["x1"].data,
        "w2": dn * leaves["x2"].data,
        "b": dn,
    }
    print(f"o = tanh(x1*w1 + x2*w2 + b) = {o.data:.6f}")
    print(f"{'':>4}{'backward':>12}{'by hand':>12}")
    for name, leaf in leaves.items():
        print(f"{name:>4}{leaf.grad:>12.6f}{by_hand[name]:>12.6f}")
    worst = max(abs(leaves[k].grad - by_hand[k]) for k in leaves)
    print(f"largest difference: {worst:.2e}")
    return {"output": o.data, "max_difference": worst}


if __name__ == "__main__":
    main()
