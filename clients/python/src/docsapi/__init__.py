"""Official Python client library for Docs API.

    from docsapi import Client, InvalidRequestError

    client = Client()  # the key in DOCSAPI_API_KEY
    resource = client.resources.create(name="Quarterly report")
"""

from ._client import DEFAULT_BASE_URL, Client
from ._errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    DocsAPIError,
    IdempotencyError,
    InvalidRequestError,
    RateLimitError,
)
from ._errors import PermissionError as PermissionError  # noqa: A004 (see _errors.py)
from ._headers import Headers
from ._models import APIKey, APIResponse, DeletedResource, Page, RequestLog, RequestLogError, Resource
from ._services import NOT_GIVEN, APIKeys, NotGiven, Requests, Resources
from ._version import VERSION

__version__ = VERSION

# Tracebacks and reprs then say docsapi.InvalidRequestError, the name users
# import, rather than the private module it is defined in.
for _cls in (
    APIConnectionError, APIError, AuthenticationError, DocsAPIError, IdempotencyError, InvalidRequestError,
    PermissionError, RateLimitError, Client, Headers, APIKey, APIResponse, DeletedResource, Page, RequestLog,
    RequestLogError, Resource,
    NotGiven, APIKeys, Requests, Resources,
):
    _cls.__module__ = __name__
del _cls

# PermissionError is importable by name (``from docsapi import
# PermissionError``, ``docsapi.PermissionError``) but left out of __all__ so
# that a star-import does not shadow the builtin PermissionError.
__all__ = [
    "DEFAULT_BASE_URL",
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIKey",
    "APIKeys",
    "APIResponse",
    "AuthenticationError",
    "Client",
    "DeletedResource",
    "DocsAPIError",
    "Headers",
    "IdempotencyError",
    "InvalidRequestError",
    "NotGiven",
    "Page",
    "RateLimitError",
    "RequestLog",
    "RequestLogError",
    "Requests",
    "Resource",
    "Resources",
    "__version__",
]
