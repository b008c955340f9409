"""The one error of this part: the environment could not be made (an infra failure)."""


class EnvironmentSetupError(RuntimeError):
    """The interpreter was not found, or the shared packages or a run's install step
    failed: the workspace is not what the task needs, which is no fault of the agent's."""
