"""The errors of this part: the environment could not be made (an infra failure), or it
cannot run what the benchmark is run with (a configuration error)."""


class EnvironmentSetupError(RuntimeError):
    """The interpreter was not found, or the shared packages or a run's install step
    failed: the workspace is not what the task needs, which is no fault of the agent's."""


class EnvironmentConfigError(EnvironmentSetupError):
    """The environment was made, and cannot run the agent it was asked to (an image
    without glibc for an agent whose programs need it): the user's choice to change."""
