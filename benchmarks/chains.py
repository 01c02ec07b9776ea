"""Deep chains: build-plus-backward time per link as the chain grows (it should stay flat).

    python -m benchmarks.chains            # Value 1e3..1e6 links, Tensor 1e3..1e5
    python -m benchmarks.chains --quick    # tiny sizes, for the test suite

Sizes are interleaved round by round so that the machine's drift cancels; the table shows the
fastest round per size and its ratio to the shortest chain.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from autograd import Tensor, Value


def value_chain(n: int) -> float:
    """Seconds to build y = (((x * 1) + 0) ...) with n links and run backward."""
    t0 = time.perf_counter()
    x = Value(0.5)
    y = x
    for _ in range(n // 2):
        y = y * 1.0 + 0.0
    y.backward()
    elapsed = time.perf_counter() - t0
    assert x.grad == 1.0
    return elapsed


def tensor_chain(n: int) -> float:
    t0 = time.perf_counter()
    x = Tensor(np.ones(4), requires_grad=True)
    y = x
    for _ in range(n // 2):
        y = y * 1.0 + 0.0
    y.sum().backward()
    elapsed = time.perf_counter() - t0
    assert float(x.grad[0]) == 1.0
    return elapsed


def measure(kind: str, sizes: list[int], rounds: int) -> list[tuple[str, int, float, float]]:
    fn = value_chain if kind == "Value" else tensor_chain
    best = {n: float("inf") for n in sizes}
    for _ in range(rounds):
        for n in sizes:
            best[n] = min(best[n], fn(n))
    base = best[sizes[0]] / sizes[0]
    return [(kind, n, best[n] / n * 1e9, best[n] / n / base) for n in sizes]


def main(argv: list[str] | None = None) -> list[tuple[str, int, float, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny chains (for the tests)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if args.quick:
        rows = measure("Value", [100, 1000], 1) + measure("Tensor", [100, 1000], 1)
    else:
        rows = measure("Value", [1_000, 10_000, 100_000, 1_000_000], args.rounds)
        rows += measure("Tensor", [1_000, 10_000, 100_000], args.rounds)
    print(f"{'type':<7}{'links':>10}{'ns/link':>10}{'vs 1e3':>8}")
    for kind, n, ns, ratio in rows:
        print(f"{kind:<7}{n:>10}{ns:>10.0f}{ratio:>8.2f}")
    return rows


if __name__ == "__main__":
    main()
