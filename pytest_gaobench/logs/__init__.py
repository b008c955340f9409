"""The run's records: events.jsonl, transcript.jsonl, and redaction of every secret.

Each run gets its own structlog pipeline (a library never configures global logging)
with redaction as a processor before the renderer. Agents and the runner write here;
it imports nothing from the rest of the package, so both may use it.
"""
