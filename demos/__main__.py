"""Run every demo: `python -m demos` (what `make demo` runs)."""

from __future__ import annotations

import sys

from demos import expression


def main() -> int:
    print("== expression: a neuron built from Values, its gradients by backward and by hand ==")
    result = expression.main([])
    return 0 if result["max_difference"] < 1e-12 else 1


if __name__ == "__main__":
    sys.exit(main())
