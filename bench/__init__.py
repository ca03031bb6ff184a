"""The benchmark harness behind `make bench`: see run.py and BENCHMARKS.md."""
