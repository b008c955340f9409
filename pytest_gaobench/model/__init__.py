"""The model: what a benchmark is and what a run produced, as typed values.

Owns the benchmark spec's schema (``BenchmarkConfig``) and the rules across its fields
(``spec_rules``; reading a file is ``specfile``'s), the statuses and failure kinds,
the result record written as result.json, the metric models and the one registry of
metric names that every sink (JUnit, database, compare, reports) reads. Pure data:
it imports nothing from the rest of the package, and nothing here runs a process,
touches pytest or talks to an API.
"""
