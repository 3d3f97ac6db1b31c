from types import TracebackType
from typing import Optional, Type

from ._requester import DEFAULT_BASE_URL, Requester
from ._services import APIKeys, Requests, Resources

__all__ = ["Client", "DEFAULT_BASE_URL"]


class Client:
    """A Docs API client bound to one API key.

    ``api_key`` defaults to the DOCSAPI_API_KEY environment variable; without
    either, every call raises AuthenticationError before sending anything.
    ``base_url`` defaults to DOCSAPI_BASE_URL, else http://127.0.0.1:8080.

    ``max_retries`` is how many times a call is retried after a 429, a 5xx or
    a connection failure (0 disables retries); ``timeout`` is the limit in
    seconds for one whole attempt: connecting, sending the request and reading
    the entire response.

    A Client keeps connections alive between calls (up to 10 idle ones) and
    may be shared between threads. ``close()``, or leaving a ``with Client()
    as client:`` block, closes the idle connections.
    """

    resources: Resources
    api_keys: APIKeys
    requests: Requests

    def __init__(
        self,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        max_retries: int = 2,
        timeout: float = 30.0,
    ) -> None:
        self._requester = Requester(api_key, base_url, max_retries, timeout)
        self.resources = Resources(self._requester)
        self.api_keys = APIKeys(self._requester)
        self.requests = Requests(self._requester)

    def close(self) -> None:
        """Close the idle connections. The client stays usable: a later call opens a new one."""
        self._requester.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        return self._requester.base_url

    @property
    def max_retries(self) -> int:
        return self._requester.max_retries

    @property
    def timeout(self) -> float:
        return self._requester.timeout

    def __repr__(self) -> str:
        # Never the key itself: reprs end up in logs.
        return "Client(base_url=%r, max_retries=%r, timeout=%r)" % (self.base_url, self.max_retries, self.timeout)
