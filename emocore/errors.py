"""Domain errors. They know nothing about HTTP; emocore.service maps them to responses."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: a machine-readable code and a human message."""

    code = "internal_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(ServiceError):
    """The caller sent something we cannot process (bad bytes, bad field, empty text)."""

    code = "invalid_input"


class PayloadTooLarge(InvalidInput):
    """The input is over a documented size limit (bytes, pixels, seconds)."""

    code = "payload_too_large"


class UnsupportedMediaType(InvalidInput):
    """The declared or detected content type is not one we accept."""

    code = "unsupported_media_type"


class NotFound(ServiceError):
    """A resource (job, result) does not exist."""

    code = "not_found"


class ModelNotReady(ServiceError):
    """The model is not loaded or the inference server does not serve it (yet)."""

    code = "model_not_ready"


class BackendUnavailable(ServiceError):
    """The inference backend could not be reached or failed after retries."""

    code = "backend_unavailable"


class Overloaded(ServiceError):
    """Too much work in flight; the caller should retry later."""

    code = "overloaded"

    def __init__(self, message: str, *, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Unauthorized(ServiceError):
    """The caller did not present the credentials the service asks for."""

    code = "unauthorized"


class Conflict(ServiceError):
    """The request does not fit the resource's current state (e.g. a job not finished yet)."""

    code = "conflict"


class InsufficientStorage(ServiceError):
    """Accepting the input would eat into the disk's free-space reserve; retry later."""

    code = "insufficient_storage"

    def __init__(self, message: str, *, retry_after_s: int = 60) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
