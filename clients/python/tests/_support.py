"""Test helpers: the import path, the shared vectors, a fault-injecting HTTP
server, and the real ``docsapi serve`` started from this repository."""

import contextlib
import http.client
import io
import http.server
import json
import os
import secrets
import shutil
import socket
import ssl
import string
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union
from unittest import mock

CLIENT_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = CLIENT_DIR.parent.parent
TESTDATA = CLIENT_DIR.parent / "testdata"
# The test CA and the fault server's certificate for 127.0.0.1 (see its README.md).
TLS_TESTDATA = CLIENT_DIR / "tests" / "testdata"

# The tests run against the source tree, with no install step.
sys.path.insert(0, str(CLIENT_DIR / "src"))

import docsapi  # noqa: E402
from docsapi._headers import Headers  # noqa: E402


def load_vectors(name: str) -> List[Dict[str, Any]]:
    with open(TESTDATA / name, encoding="utf-8") as f:
        cases: List[Dict[str, Any]] = json.load(f)["cases"]
    return cases


def no_sleep_client(base_url: str, **kwargs: Any) -> Tuple[docsapi.Client, List[float]]:
    """A client whose backoff records its waits instead of sleeping."""
    client = docsapi.Client(kwargs.pop("api_key", "sk_test_key"), base_url=base_url, **kwargs)
    waits: List[float] = []
    client._requester.sleep = waits.append
    client._requester.random = lambda: 0.5
    return client, waits


def https_client(server: "FaultServer", ca: str = "ca.pem", **kwargs: Any) -> Tuple[docsapi.Client, List[float]]:
    """A no_sleep_client of a tls FaultServer whose CA file is TLS_TESTDATA's ``ca`` instead of the system's."""
    # The client's SSL context reads SSL_CERT_FILE once, when the client is made:
    # the tests need no change to the client and keep verification on.
    with mock.patch.dict(os.environ, {"SSL_CERT_FILE": str(TLS_TESTDATA / ca)}):
        return no_sleep_client(server.url, **kwargs)


# The seed page's Python snippet, verbatim but for the package name.
SEED_SNIPPET = """from docsapi import InvalidRequestError

try:
    client.resources.create(name="")
except InvalidRequestError as err:
    if err.code == "parameter_missing":
        print(f"Missing: {err.param}")
"""


def run_seed_snippet(client: docsapi.Client) -> str:
    """Run SEED_SNIPPET with ``client`` in scope; return what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(SEED_SNIPPET, {"client": client})
    return out.getvalue()


# --- scripted actions of the fault server -----------------------------------


@dataclass
class Respond:
    status: int
    body: Union[str, bytes, Dict[str, Any]] = ""
    headers: Dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Seconds between the bytes of the body: the head goes at once, then the
    # body one byte at a time (until the client hangs up).
    trickle: float = 0.0
    # Waited at before answering: proves that this many requests, and so
    # connections, are in flight at once.
    barrier: Optional[threading.Barrier] = None
    # Close the connection after answering without saying so, as a server
    # whose keep-alive timeout ran out does.
    close: bool = False


@dataclass
class Reset:
    """Close the connection with a TCP RST after reading the request."""


@dataclass
class Forward:
    """Pass the request to ``upstream`` (host:port); if ``drop``, discard the
    answer and close the connection: the work is committed, the response lost."""

    upstream: str
    drop: bool = False


@dataclass
class Hangup:
    """After reading the request, send ``partial`` (the start of an answer, or
    nothing) and close the connection."""

    partial: bytes = b""


Action = Union[Respond, Reset, Forward, Hangup]


@dataclass
class Recorded:
    method: str
    path: str
    headers: Headers
    body: bytes
    connection: int  # the connection it came on: 1 for the first accepted, and so on

    def json(self) -> Any:
        return json.loads(self.body)


def error_body(type_: str, code: str, message: str, request_id: str = "req_F4ult5erv3r", param: Optional[str] = None) -> Dict[str, Any]:
    error: Dict[str, Any] = {"type": type_, "code": code, "message": message, "request_id": request_id}
    if param is not None:
        error["param"] = param
    return {"error": error}


def resource_json(id_: str = "res_1", name: str = "Quarterly report", **extra: Any) -> Dict[str, Any]:
    obj: Dict[str, Any] = {
        "id": id_,
        "object": "resource",
        "name": name,
        "description": None,
        "metadata": {},
        "created_at": "2026-11-24T21:09:48Z",
        "updated_at": "2026-11-24T21:09:48Z",
    }
    obj.update(extra)
    return obj


def list_json(data: List[Dict[str, Any]], has_more: bool, url: str = "/v1/resources") -> Dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


class FaultServer:
    """An HTTP server on loopback that answers each request with the next
    scripted action and records what it received. Use as a context manager.

    It answers in HTTP/1.0, closing each connection after one answer, unless
    ``keep_alive``: then in HTTP/1.1, keeping connections open. It counts the
    connections it accepted and those that ended (``ended``: the client
    closed it, or the server did after its answer).

    With ``tls``, it speaks HTTPS, with the certificate for 127.0.0.1 in TLS_TESTDATA."""

    def __init__(
        self, *actions: Action, default: Optional[Action] = None, keep_alive: bool = False, tls: bool = False
    ) -> None:
        self._script: List[Action] = list(actions)
        self._default = default
        self._lock = threading.Condition()
        self.requests: List[Recorded] = []
        self.accepted = 0
        self.ended = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"
            connection_number = 0  # set in setup()

            def setup(self) -> None:
                super().setup()
                with outer._lock:
                    outer.accepted += 1
                    self.connection_number = outer.accepted

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with outer._lock:
                    outer.requests.append(
                        Recorded(self.command, self.path, Headers(self.headers.items()), body, self.connection_number)
                    )
                    action = outer._script.pop(0) if outer._script else outer._default
                if action is None:
                    action = Respond(599, "fault server: script exhausted")
                outer._perform(self, action, body)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        tls_context: Optional[ssl.SSLContext] = None
        if tls:
            tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls_context.load_cert_chain(TLS_TESTDATA / "server.pem", TLS_TESTDATA / "server.key")

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self) -> Tuple[socket.socket, Any]:
                sock, addr = super().get_request()
                if tls_context is None:
                    return sock, addr
                # The handshake is left to the handler's first read, in its own
                # thread: a client that refuses the certificate is then counted
                # as accepted, and cannot hold up the accept loop.
                return tls_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # resets and drops are intended; keep the test output clean

            def shutdown_request(self, request: Any) -> None:
                super().shutdown_request(request)
                with outer._lock:  # counted once the socket is closed
                    outer.ended += 1
                    outer._lock.notify_all()

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http", self._server.server_address[1])
        # A short poll interval: shutdown() waits for it, once per test.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)

    def __enter__(self) -> "FaultServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_ended(self, count: int, timeout: float = 5.0) -> None:
        """Wait until ``count`` connections have ended; AssertionError after ``timeout`` seconds."""
        with self._lock:
            if not self._lock.wait_for(lambda: self.ended >= count, timeout):
                raise AssertionError("%d connection(s) ended, not %d, within %g s" % (self.ended, count, timeout))

    @staticmethod
    def _perform(handler: http.server.BaseHTTPRequestHandler, action: Action, body: bytes) -> None:
        if isinstance(action, Reset):
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            handler.connection.close()
            handler.close_connection = True
            return
        if isinstance(action, Hangup):
            handler.wfile.write(action.partial)
            handler.close_connection = True
            return
        if isinstance(action, Forward):
            host, port = action.upstream.rsplit(":", 1)
            upstream = http.client.HTTPConnection(host, int(port), timeout=15)
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "connection")}
            upstream.request(handler.command, handler.path, body=body or None, headers=headers)
            answer = upstream.getresponse()
            status, answer_headers, answer_body = answer.status, answer.getheaders(), answer.read()
            upstream.close()
            if action.drop:
                handler.connection.close()
                handler.close_connection = True
                return
            handler.send_response_only(status)
            for name, value in answer_headers:
                if name.lower() not in ("connection", "transfer-encoding", "content-length", "date"):
                    handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(answer_body)))
            handler.end_headers()
            handler.wfile.write(answer_body)
            return
        if action.barrier is not None:
            action.barrier.wait()
        if action.close:
            handler.close_connection = True
        if action.delay:
            time.sleep(action.delay)
        payload = action.body
        if isinstance(payload, dict):
            payload = json.dumps(payload)
        raw = payload.encode("utf-8") if isinstance(payload, str) else payload
        handler.send_response_only(action.status)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        headers.update(action.headers)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        if not action.trickle:
            handler.wfile.write(raw)
            return
        handler.wfile.flush()
        for i in range(len(raw)):
            time.sleep(action.trickle)
            try:
                handler.wfile.write(raw[i : i + 1])
                handler.wfile.flush()
            except OSError:
                return  # the client gave up


# --- the real server -----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class RealServer:
    """``docsapi serve`` on a free loopback port with a fresh database.

    Uses $DOCSAPI_BIN when set, else builds ./cmd/docsapi from the repository.
    """

    def __init__(self) -> None:
        self.tmpdir = tempfile.mkdtemp(prefix="docsapi-python-")
        self.root_key = "sk_live_" + "".join(
            secrets.choice(string.ascii_letters + string.digits) for _ in range(32)
        )
        self.port = _free_port()
        self.addr = "127.0.0.1:%d" % self.port
        self.url = "http://" + self.addr
        self.process: Optional["subprocess.Popen[bytes]"] = None
        self.log_path = os.path.join(self.tmpdir, "server.log")

    def start(self) -> None:
        try:
            binary = os.environ.get("DOCSAPI_BIN") or self._build()
            # Only the settings chosen here: an inherited DOCSAPI_REDIS_URL, say,
            # would share rate-limit state with some other server.
            env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSAPI_")}
            env.update(
                DOCSAPI_ADDR=self.addr,
                DOCSAPI_DATABASE_URL=os.path.join(self.tmpdir, "docsapi.db"),
                DOCSAPI_ROOT_KEY=self.root_key,
            )
            with open(self.log_path, "wb") as log:
                self.process = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise

    def _build(self) -> str:
        binary = os.path.join(self.tmpdir, "docsapi")
        result = subprocess.run(
            ["go", "build", "-o", binary, "./cmd/docsapi"],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        if result.returncode != 0:
            raise RuntimeError("go build ./cmd/docsapi failed:\n" + result.stdout.decode("utf-8", "replace"))
        return binary

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError("docsapi serve exited with %s:\n%s" % (self.process.returncode, self.log()))
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("docsapi serve did not answer GET /healthz with 200 within 15 s:\n" + self.log())

    def log(self) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.tmpdir, ignore_errors=True)
