"""The sandbox: run folders, the workspace, the starting project, and commands in it.

Owns where a run lives on disk, how the boilerplate gets into the workspace (a local
copy or a git clone), how commands run there (own process group, deadline, bounded
output, scrubbed environment) and their isolation under bubblewrap. It knows no agent
and no grading: it may import the model, nothing else of the package.
"""
