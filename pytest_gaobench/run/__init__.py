"""The run: one benchmark's lifecycle, from an empty run folder to a final result.

Owns ``BenchmarkRunner`` (validate -> sandbox -> boilerplate -> phases -> grading, and
always the end: result.json, status history, listeners), its outcome values, the
metrics collector agents report into, checkpoints after each phase and finding a run
to resume. It uses the model, the sandbox, grading, agents and logs; it never imports
pytest (the plugin hands it what it needs) and knows no sink: results leave through
listeners.
"""
