"""Benchmarks: timings as ratios against baselines run in the same process (see README)."""
