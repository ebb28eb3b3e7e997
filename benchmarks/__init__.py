"""Benchmarks: `python -m benchmarks.broadcast` (or `make bench`)."""
