"""Container environments (issue 33, the foundation): the engine (podman or docker, found
and probed), images built once per digest of their Dockerfile and context, and one
container per run with the sandbox's guarantees (no network, no host root, no
capabilities, no new privileges, limits, only the workspace mounted), removed always and
pruned by label after a killed session. Not yet chosen by a benchmark: the runner's wiring,
grading in a fresh container and Harbor tasks come next."""
