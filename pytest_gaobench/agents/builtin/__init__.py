"""The agents that need no model: the oracle (applies the benchmark's solution), nop
(does nothing: a benchmark it passes is broken) and the forger (a wrong solution with the
in-process forging tricks, which grading must not fall for)."""
