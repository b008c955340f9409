"""Results: where finished runs go and how people read them.

Owns the results database, comparisons and the baseline gate, JUnit properties, the
summary table and the HTML page. It reads only the model (``BenchmarkResult`` and the
metric registry), so the CLI and the pytest plugin show the same numbers the same way.
"""
