"""Sends one API call: builds the request, runs the retry loop, decodes the answer."""

import functools
import http.client
import io
import json
import os
import platform
import random
import socket
import ssl
import threading
import time
import uuid
import weakref
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, TypeVar
from urllib.parse import quote, urlencode, urlsplit

from ._errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    DocsAPIError,
    InvalidRequestError,
    describe,
    error_from_response,
    missing_id,
)
from ._headers import Headers
from ._models import APIResponse
from ._retry import retry_delay, should_retry
from ._version import VERSION

T = TypeVar("T")

# The form every client shares (clients/testdata/user_agent.json):
# docsapi-python/0.1.0 python/3.11.7 (linux; x86_64).
USER_AGENT = "docsapi-python/%s python/%s (%s; %s)" % (
    VERSION,
    platform.python_version(),
    (platform.system() or "unknown").lower(),
    platform.machine() or "unknown",
)
DEFAULT_BASE_URL = "http://127.0.0.1:8080"

# The messages of a connection failure, the same in every client
# (clients/testdata/connection_errors.json); the cause says more.
_NO_RESPONSE = "Could not get a response from the API."
_TIMED_OUT = "The API did not respond within the timeout."

# Methods that change state, and so always carry an Idempotency-Key.
_WRITE_METHODS = frozenset({"POST", "PATCH", "DELETE"})

# Idle keep-alive connections kept per client; more are closed when given back.
_MAX_IDLE = 10

# How a reused connection fails when the server closed it while idle (its
# keep-alive timeout): reset, broken pipe, or end of stream (RemoteDisconnected,
# a ConnectionResetError and a BadStatusLine) before any byte of an answer.
# Over TLS a write's second send (its body) meets the closed connection as an
# SSLEOFError, where plain HTTP gets a broken pipe.
_STALE_ERRORS = (ConnectionError, http.client.BadStatusLine, ssl.SSLEOFError)


def path_segment(value: str) -> str:
    """Quote an object id for use in a URL path, refusing what would change the route."""
    if not isinstance(value, str):
        raise TypeError("an object id must be a string, got %r" % (value,))
    if not value.strip():
        raise missing_id()
    return quote(value, safe="")


def _close_idle(idle: List[http.client.HTTPConnection], lock: threading.Lock, owner_pid: int) -> None:
    if os.getpid() != owner_pid:
        # A forked child: the connections are its parent's, and the lock may
        # have been held by a thread that does not exist in the child.
        return
    with lock:
        conns = idle[:]
        idle.clear()
    for conn in conns:
        conn.close()


class _Attempt:
    """One attempt's deadline (a time.monotonic() value), and whether any byte of its response arrived."""

    __slots__ = ("deadline", "received")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.received = False


class Requester:
    """Shared by every service of one Client, and thread-safe.

    Between calls it keeps up to _MAX_IDLE idle keep-alive connections. A
    call takes one for itself alone (or opens a new one) and gives it back
    only once the whole response has been read and the server keeps the
    connection open; a connection that failed in any way is closed.
    """

    def __init__(self, api_key: Optional[str], base_url: Optional[str], max_retries: int, timeout: float) -> None:
        if not api_key:
            # Checked at each call, as in the other clients: AuthenticationError.
            api_key = os.environ.get("DOCSAPI_API_KEY") or None
        if api_key is not None and not isinstance(api_key, str):
            raise TypeError("api_key must be a string")
        if not base_url:
            base_url = os.environ.get("DOCSAPI_BASE_URL") or DEFAULT_BASE_URL
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError("max_retries must be a non-negative integer")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        url = urlsplit(base_url)
        host = url.hostname
        if url.scheme not in ("http", "https") or not host:
            raise ValueError("base_url must be an http:// or https:// URL, got %r" % (base_url,))
        if url.query or url.fragment:
            raise ValueError("base_url must not have a query or fragment, got %r" % (base_url,))
        self.api_key = api_key
        self.base_url = base_url
        self.max_retries = max_retries
        self.timeout = float(timeout)
        self._https = url.scheme == "https"
        self._host = host
        self._port = url.port
        self._path_prefix = url.path.rstrip("/")
        # Made once: it loads the CA store, too slow to do for each connection.
        self._ssl_context = ssl.create_default_context() if self._https else None
        self._idle: List[http.client.HTTPConnection] = []
        self._idle_lock = threading.Lock()
        self._pid = os.getpid()
        # A client dropped without close(), as was fine when it kept no
        # connection, still closes its sockets (without a ResourceWarning).
        weakref.finalize(self, _close_idle, self._idle, self._idle_lock, self._pid)
        # Replaced by the tests so that backoff neither sleeps nor varies.
        self.sleep: Callable[[float], None] = time.sleep
        self.random: Callable[[], float] = random.random

    def close(self) -> None:
        """Close the idle connections. The requester stays usable: a later call opens a new one."""
        _close_idle(self._idle, self._idle_lock, self._pid)

    def request(
        self,
        method: str,
        path: str,
        parse: Callable[[Any], T],
        *,
        query: Optional[Mapping[str, Any]] = None,
        body: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
    ) -> T:
        if self.api_key is None:
            raise AuthenticationError(
                "No API key: pass one to the client or set DOCSAPI_API_KEY.",
                type="authentication_error",
                code="authentication_failed",
            )
        if not _printable_ascii(self.api_key, "!"):
            # Refused here: http.client's error would quote the key.
            raise AuthenticationError(
                "Invalid API key: it has characters that cannot be sent in a header, such as a space or a line break.",
                type="authentication_error",
                code="authentication_failed",
            )
        if idempotency_key == "" and method in _WRITE_METHODS:
            # Replacing it with a generated key would make a repeated write run twice.
            raise InvalidRequestError(
                "Idempotency-Key must not be empty; leave it out to have one generated.",
                type="invalid_request_error",
                code="parameter_invalid",
                param="Idempotency-Key",
            )
        if idempotency_key is not None and method in _WRITE_METHODS and not _printable_ascii(idempotency_key, " ", 255):
            raise InvalidRequestError(
                "Idempotency-Key must be 1 to 255 printable ASCII characters.",
                type="invalid_request_error",
                code="parameter_invalid",
                param="Idempotency-Key",
            )
        target = self._path_prefix + path
        params = {k: str(v) for k, v in (query or {}).items() if v is not None}
        if params:
            target += "?" + urlencode(params)
        headers = {
            "Authorization": "Bearer " + self.api_key,
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
        payload: Optional[bytes] = None
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if method in _WRITE_METHODS:
            # Chosen once, before the first attempt: every retry of this call
            # must be recognised by the server as the same request.
            headers["Idempotency-Key"] = idempotency_key if idempotency_key is not None else str(uuid.uuid4())

        retries_done = 0
        while True:
            status: Optional[int]
            try:
                status, response_headers, raw = self._send(method, target, payload, headers)
            except (OSError, http.client.HTTPException) as exc:
                status, response_headers = None, Headers()
                error: DocsAPIError = APIConnectionError(_TIMED_OUT if isinstance(exc, socket.timeout) else _NO_RESPONSE)
                error.__cause__ = exc
            else:
                if 200 <= status <= 299:
                    return _decode(status, response_headers, raw, parse)
                error = error_from_response(status, response_headers, raw)
            if not should_retry(status, response_headers, retries_done, self.max_retries):
                raise error
            self.sleep(retry_delay(response_headers, retries_done, self.random()))
            retries_done += 1

    def _send(
        self, method: str, target: str, payload: Optional[bytes], headers: Dict[str, str]
    ) -> Tuple[int, Headers, bytes]:
        # The timeout bounds the whole attempt: connecting, sending the request,
        # and reading the status, headers and body. Each socket operation gets
        # only the time left, so a server that trickles its answer cannot
        # stretch an attempt past the timeout.
        deadline = time.monotonic() + self.timeout
        idle = self._take_idle()
        if idle is not None:
            attempt = _Attempt(deadline)
            try:
                return self._exchange(idle, attempt, method, target, payload, headers)
            except _STALE_ERRORS:
                if attempt.received:
                    raise
                # The server had closed the idle connection. Sent again at
                # once on a new one, within this attempt: safe even for a
                # write, which carries the same Idempotency-Key.
        return self._exchange(self._new_connection(), _Attempt(deadline), method, target, payload, headers)

    def _exchange(
        self,
        conn: http.client.HTTPConnection,
        attempt: _Attempt,
        method: str,
        target: str,
        payload: Optional[bytes],
        headers: Dict[str, str],
    ) -> Tuple[int, Headers, bytes]:
        """One request and its whole response on conn, which is then given back or closed."""
        conn.response_class = functools.partial(_DeadlineResponse, attempt=attempt)  # type: ignore[assignment]
        response: Optional[http.client.HTTPResponse] = None
        reusable = False
        try:
            if conn.sock is None:
                # Only the time left: after a stale connection, this attempt
                # has already spent some of it.
                conn.timeout = _time_left(attempt.deadline)
                conn.connect()
            assert conn.sock is not None
            conn.sock.settimeout(_time_left(attempt.deadline))
            conn.request(method, target, body=payload, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            # Not after Connection: close, an HTTP/1.0 answer, or a body that ends at EOF.
            reusable = not response.will_close
            return response.status, Headers(response.getheaders()), raw
        finally:
            if reusable:
                self._give_back(conn)
            else:
                # A response cut short still holds the socket open: close both.
                if response is not None:
                    response.close()
                conn.close()

    def _new_connection(self) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout, context=self._ssl_context)
        return http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)

    def _own_pool(self) -> None:
        """In a forked child, start a pool of the child's own: the parent's
        sockets are not the child's to use, and its lock may have been held by
        a thread that the child does not have."""
        if os.getpid() != self._pid:
            self._idle = []
            self._idle_lock = threading.Lock()
            self._pid = os.getpid()
            weakref.finalize(self, _close_idle, self._idle, self._idle_lock, self._pid)

    def _take_idle(self) -> Optional[http.client.HTTPConnection]:
        self._own_pool()
        with self._idle_lock:
            # The most recently used: the least likely to have been closed by the server.
            return self._idle.pop() if self._idle else None

    def _give_back(self, conn: http.client.HTTPConnection) -> None:
        self._own_pool()
        with self._idle_lock:
            if len(self._idle) < _MAX_IDLE:
                self._idle.append(conn)
                return
        conn.close()


def _time_left(deadline: float) -> float:
    """Seconds until deadline (a time.monotonic() value); a timeout error once it has passed."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise socket.timeout("timed out")  # what the socket itself raises (TimeoutError since 3.10)
    return left


class _DeadlineReader(io.RawIOBase):
    """The reading side of a socket, each read given only the time left until the deadline."""

    def __init__(self, sock: socket.socket, attempt: _Attempt) -> None:
        super().__init__()
        self._sock = sock
        # A file of the socket's own, so that the socket stays open while the
        # response is read even after the connection lets go of it.
        self._file = sock.makefile("rb", buffering=0)
        self._attempt = attempt

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> Optional[int]:
        self._sock.settimeout(_time_left(self._attempt.deadline))
        n = self._file.readinto(buffer)
        if n:
            self._attempt.received = True
        return n

    def close(self) -> None:
        if not self.closed:
            self._file.close()
        super().close()


class _DeadlineSocket:
    """What HTTPResponse reads from: the socket, as seen through a _DeadlineReader."""

    def __init__(self, sock: socket.socket, attempt: _Attempt) -> None:
        self._sock = sock
        self._attempt = attempt

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._attempt))


class _DeadlineResponse(http.client.HTTPResponse):
    """An HTTPResponse whose status line, headers and body must all arrive before the deadline."""

    def __init__(
        self,
        sock: socket.socket,
        debuglevel: int = 0,
        method: Optional[str] = None,
        url: Optional[str] = None,
        *,
        attempt: _Attempt,
    ) -> None:
        super().__init__(_DeadlineSocket(sock, attempt), debuglevel, method, url)  # type: ignore[arg-type]


def _decode(status: int, headers: Headers, raw: bytes, parse: Callable[[Any], T]) -> T:
    try:
        body = json.loads(raw.decode("utf-8"))
        # Every answer of the API is an object that names its kind.
        if not isinstance(body, dict) or not isinstance(body.get("object"), str):
            raise TypeError("not an API object")
        result = parse(body)
    except (ValueError, KeyError, TypeError) as exc:
        # A 2xx that is not the expected object (a misconfigured proxy, say).
        # Not retried: the request may well have been carried out.
        error = APIError(
            "Unexpected response from the API (HTTP %d)." % status,
            type="api_error",
            request_id=headers.get("Request-Id"),
            http_status=status,
            headers=headers,
        )
        raise error from exc
    # Every object a call returns carries its response; they are frozen dataclasses.
    object.__setattr__(result, "last_response", APIResponse(status, headers, headers.get("Request-Id")))
    return result


def _printable_ascii(s: str, lowest: str, most: int = 0) -> bool:
    """Whether s holds only the characters from lowest to "~", at most most of them (0: no bound)."""
    if most and len(s) > most:
        return False
    return all(lowest <= c <= "~" for c in s)
