"""A benchmark's own Python environment (``environment:`` in its file): the interpreter
found on the machine, its packages built once per digest and shared read-only by every run,
and each run's own layer over them, where the install steps put the project. The sandbox
carries the result as a ``Toolchain``; the runner asks for one before the setup commands."""

from .errors import EnvironmentConfigError, EnvironmentSetupError
from .prepare import prepare_environment

__all__ = ["EnvironmentConfigError", "EnvironmentSetupError", "prepare_environment"]
