"""Grading: success criteria and quality metrics, measured after the agent has stopped.

Every check runs in a fresh process from the harness's side; reports are written
outside the workspace and read from there, so nothing the agent wrote or printed is a
verdict. It also answers questions about the workspace (matching files, test functions,
commits). It may import the model and the sandbox, never an agent or the run.
"""
