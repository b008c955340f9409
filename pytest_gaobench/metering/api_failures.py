"""One classifier of API failures, for every agent: whose failure an API answer is.

The same event must mean the same for the anthropic agent, which calls the API itself,
and for a CLI agent whose calls pass the metering proxy: an outage (429, 5xx, 529, an
``overloaded_error`` event in the middle of a stream, a connection that fails) and a key
or model the API refuses are the harness's side (``infra``: retried where it can be, never
counted against the agent); a request the API finds malformed is the agent's.
"""

from __future__ import annotations

from enum import StrEnum


class ApiFailure(StrEnum):
    OUTAGE = "outage"
    """The API is unavailable or overloaded: retry, and infra if it lasts."""
    KEY_REFUSED = "key_refused"
    """The harness's key was refused (401, 403): infra."""
    UNKNOWN_MODEL = "unknown_model"
    """The API does not know the model it was asked for (404): infra (the harness chose it)."""
    BAD_REQUEST = "bad_request"
    """The request itself was refused (400, 413, 422...): the agent's."""

    @property
    def is_infra(self) -> bool:
        return self is not ApiFailure.BAD_REQUEST

    @property
    def retryable(self) -> bool:
        return self is ApiFailure.OUTAGE


OUTAGE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
OUTAGE_TYPES = frozenset({
    "overloaded_error", "api_error", "rate_limit_error", "timeout_error",  # Anthropic
    "server_error", "rate_limit_exceeded",  # OpenAI
    "UNAVAILABLE", "RESOURCE_EXHAUSTED", "INTERNAL", "DEADLINE_EXCEEDED"})  # Gemini
KEY_TYPES = frozenset({"authentication_error", "permission_error",
                       "invalid_api_key", "insufficient_quota", "permission_denied",
                       "UNAUTHENTICATED", "PERMISSION_DENIED"})
MODEL_TYPES = frozenset({"not_found_error", "model_not_found", "NOT_FOUND"})


def classify(status: int | None, error_type: str | None = None) -> ApiFailure | None:
    """What an answer means: ``status`` is the HTTP status (None: no answer at all, a
    connection error), ``error_type`` the API's error type or code (of a body or of a
    stream's error event, whose HTTP status was 200). None: not a failure."""
    if status is None or status in OUTAGE_STATUS or error_type in OUTAGE_TYPES:
        return ApiFailure.OUTAGE
    if status in (401, 403) or error_type in KEY_TYPES:
        return ApiFailure.KEY_REFUSED
    if status == 404 or error_type in MODEL_TYPES:
        return ApiFailure.UNKNOWN_MODEL
    if status >= 400 or error_type:
        return ApiFailure.BAD_REQUEST
    return None
