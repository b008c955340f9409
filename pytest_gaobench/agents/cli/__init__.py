"""Real command-line agents, one process per phase, metered through the proxy.

``base`` is what they share (the program and its installation, a home in the run folder,
the metered API, the turn budget, output caps and their warning, the final message, the
phase's transcript from its stream); ``outcome`` reads how a phase ended; ``installation``
finds where a program lives so the sandbox can show it. One module per adapter, each
saying only what is its own: how it is started, and how its stream reads. ``command``
runs any agent from a command template on the same base.
"""
