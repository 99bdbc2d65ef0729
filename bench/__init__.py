"""Benchmarks for Idéflödet: `make bench` (see bench/README.md). Not part of the test suite."""
