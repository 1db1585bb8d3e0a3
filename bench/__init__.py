"""Benchmarks (not part of the test suite): bench/valuation_eval.py, bench/live_bench.py."""
