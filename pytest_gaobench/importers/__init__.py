"""Importers: suites published elsewhere, written as gaobench benchmarks.

Each importer reads a suite's own layout and writes one benchmark folder per task (the
YAML file, its boilerplate, its hidden grading tests and its oracle), so that the result
runs with ``pytest OUT_DIR`` and checks with ``gao-dev check OUT_DIR``.
"""
