"""Our own agent loop: the Anthropic agent calling the Messages API with the harness's
tools (``tools``, run by ``tool_calls`` against the sandbox), and ``replay``, which plays a
recorded run's tool calls again without a model."""
