import json
from typing import Any, Dict, Mapping, Optional, Tuple, Type, cast

from ._headers import Headers

__all__ = [
    "DocsAPIError",
    "InvalidRequestError",
    "AuthenticationError",
    "PermissionError",
    "IdempotencyError",
    "RateLimitError",
    "APIError",
    "APIConnectionError",
    "error_from_response",
    "describe",
    "missing_id",
]


class DocsAPIError(Exception):
    """Base class of every error this library raises.

    The fields mirror the API's error object (contract §2); a field the
    response did not carry is None.
    """

    message: str
    type: Optional[str]
    code: Optional[str]
    param: Optional[str]
    request_id: Optional[str]
    http_status: Optional[int]
    headers: Headers
    doc_url: Optional[str]

    def __init__(
        self,
        message: str,
        *,
        type: Optional[str] = None,
        code: Optional[str] = None,
        param: Optional[str] = None,
        request_id: Optional[str] = None,
        http_status: Optional[int] = None,
        headers: Optional[Mapping[str, str]] = None,
        doc_url: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.request_id = request_id
        self.http_status = http_status
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        # A link to the code's section of the errors page (API v1.4.1 and later).
        self.doc_url = doc_url

    def __str__(self) -> str:
        # The same form as the Go and TypeScript clients' (clients/testdata/errors.json).
        details = [
            "%s=%s" % (label, value)
            for label, value in (
                ("http_status", self.http_status),
                ("type", self.type),
                ("code", self.code),
                ("param", self.param),
                ("request_id", self.request_id),
            )
            if value is not None
        ]
        if self.__cause__ is not None:
            details.append("cause=" + describe(self.__cause__))
        if not details:
            return self.message
        return "%s (%s)" % (self.message, ", ".join(details))

    def __repr__(self) -> str:
        return "%s(message=%r, http_status=%r, type=%r, code=%r, param=%r, request_id=%r, doc_url=%r)" % (
            type(self).__name__,
            self.message,
            self.http_status,
            self.type,
            self.code,
            self.param,
            self.request_id,
            self.doc_url,
        )

    def __reduce__(self) -> Tuple[Any, ...]:
        # The keyword-only fields would be lost by Exception's default
        # pickling (which only replays args); multiprocessing needs them.
        return (type(self), (self.message,), self.__dict__)


class InvalidRequestError(DocsAPIError):
    """400 or 404: a parameter is missing or invalid, or no such object exists."""


class AuthenticationError(DocsAPIError):
    """401: the API key is missing, malformed, unknown or revoked."""


# Deliberately named like the API's error type, as in the other official
# libraries. It shadows the builtin only inside the ``docsapi`` namespace; the
# package keeps it out of ``__all__`` so ``from docsapi import *`` cannot
# rebind the builtin in a caller's module. It is not an OSError.
class PermissionError(DocsAPIError):  # noqa: A001
    """403: the API key is valid but lacks the scope the endpoint needs."""


class IdempotencyError(DocsAPIError):
    """409: an Idempotency-Key was reused with a different request."""


class RateLimitError(DocsAPIError):
    """429: the key's rate limit is used up; see ``headers["Retry-After"]``."""


class APIError(DocsAPIError):
    """A server-side failure, an unknown error type, or a response that is not the API's."""


class APIConnectionError(DocsAPIError):
    """The request could not be sent or its response could not be read.

    The request may or may not have reached the server; the retries made by
    the client carried the same Idempotency-Key, so repeating the call with
    that key is safe.
    """


_CLASS_BY_TYPE: Dict[str, Type[DocsAPIError]] = {
    "invalid_request_error": InvalidRequestError,
    "authentication_error": AuthenticationError,
    "permission_error": PermissionError,
    "idempotency_error": IdempotencyError,
    "rate_limit_error": RateLimitError,
    "api_error": APIError,
}


def describe(exc: BaseException) -> str:
    """An exception as "Type: text", for messages."""
    text = str(exc)
    return "%s: %s" % (type(exc).__name__, text) if text else type(exc).__name__


def missing_id() -> InvalidRequestError:
    """The error for an empty or blank object id, raised before any request."""
    return InvalidRequestError(
        "Missing required parameter: id.", type="invalid_request_error", code="parameter_missing", param="id"
    )


def _string(obj: Mapping[str, Any], key: str) -> Optional[str]:
    value = obj.get(key)
    return value if isinstance(value, str) else None


def error_from_response(status: int, headers: Headers, body: bytes) -> DocsAPIError:
    """Build the typed error for a non-2xx response.

    A body that is not the API's error object (say a proxy's HTML 502)
    becomes an APIError that still carries the status and any Request-Id.
    """
    header_request_id = headers.get("Request-Id")
    try:
        parsed: Any = json.loads(body.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are both ValueErrors
        parsed = None
    envelope = cast(Dict[str, Any], parsed) if isinstance(parsed, dict) else {}
    error = envelope.get("error")
    if not isinstance(error, dict):
        return APIError(
            "Unexpected response from the API (HTTP %d)." % status,
            type="api_error",
            request_id=header_request_id,
            http_status=status,
            headers=headers,
        )
    fields = cast(Dict[str, Any], error)
    error_type = _string(fields, "type")
    cls = _CLASS_BY_TYPE.get(error_type or "", APIError)
    return cls(
        _string(fields, "message") or "Unexpected response from the API (HTTP %d)." % status,
        type=error_type,
        code=_string(fields, "code"),
        param=_string(fields, "param"),
        request_id=_string(fields, "request_id") or header_request_id,
        http_status=status,
        headers=headers,
        doc_url=_string(fields, "doc_url"),
    )
