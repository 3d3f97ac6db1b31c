"""Keep-alive: calls share connections, a connection the server closed while
idle is replaced at once, and close() closes the idle ones; over HTTPS too,
with the server's certificate verified."""

import gc
import http.client
import json
import os
import socket
import ssl
import threading
import time
import unittest
import warnings
from typing import List

from _support import FaultServer, Hangup, Reset, Respond, error_body, https_client, list_json, no_sleep_client, resource_json

import docsapi

OK = Respond(200, resource_json())
SERVER_ERROR = error_body("api_error", "api_error", "An unexpected error occurred.")
NOT_FOUND = error_body("invalid_request_error", "resource_missing", "No such resource: 'res_x'.", param="id")


class ReuseTest(unittest.TestCase):
    def test_sequential_calls_and_error_answers_share_one_connection(self) -> None:
        script = [
            Respond(201, resource_json()),
            OK,
            Respond(500, SERVER_ERROR),  # retried on the same connection
            OK,
            Respond(404, NOT_FOUND),
            Respond(200, list_json([], False)),
            Respond(200, {"id": "res_1", "object": "resource", "deleted": True}),
        ]
        with FaultServer(*script, keep_alive=True) as server:
            with no_sleep_client(server.url)[0] as client:
                client.resources.create(name="n")
                client.resources.retrieve("res_1")
                client.resources.update("res_1", name="m")
                with self.assertRaises(docsapi.InvalidRequestError):
                    client.resources.retrieve("res_x")
                client.resources.list()
                client.resources.delete("res_1")
                self.assertEqual(server.ended, 0)
        self.assertEqual(len(server.requests), 7)
        self.assertEqual(server.accepted, 1)

    def test_a_connection_close_answer_is_not_reused(self) -> None:
        for name, server in [
            ("Connection: close", FaultServer(Respond(200, resource_json(), {"Connection": "close"}), OK, keep_alive=True)),
            ("HTTP/1.0", FaultServer(OK, OK)),
        ]:
            with self.subTest(name), server:
                with no_sleep_client(server.url, max_retries=0)[0] as client:
                    client.resources.retrieve("res_1")
                    server.wait_ended(1)  # closed at once, not left idle
                    client.resources.retrieve("res_1")
                self.assertEqual([r.connection for r in server.requests], [1, 2])

    def test_threads_sharing_a_client_never_share_a_connection(self) -> None:
        threads, rounds = 4, 3
        # Each round, all four requests must be in flight at once: on four connections.
        in_flight = threading.Barrier(threads, timeout=5)
        # And each round starts with all four connections idle, so that each
        # thread must take one that another thread used last.
        all_idle = threading.Barrier(threads, timeout=5)
        with FaultServer(default=Respond(200, resource_json(), barrier=in_flight), keep_alive=True) as server:
            client, _ = no_sleep_client(server.url, max_retries=0)
            errors: List[BaseException] = []

            def work(t: int) -> None:
                try:
                    for r in range(rounds):
                        all_idle.wait()
                        client.resources.retrieve("res_%d_%d" % (t, r))
                except BaseException as exc:
                    errors.append(exc)
                    all_idle.abort()

            workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            client.close()
            server.wait_ended(threads)
        self.assertEqual(errors, [])
        # Every request arrived whole; four connections, each reused.
        expected = {"/v1/resources/res_%d_%d" % (t, r) for t in range(threads) for r in range(rounds)}
        self.assertEqual({r.path for r in server.requests}, expected)
        self.assertEqual(server.accepted, threads)

    def test_at_most_ten_idle_connections_are_kept(self) -> None:
        barrier = threading.Barrier(12, timeout=5)
        with FaultServer(default=Respond(200, resource_json(), barrier=barrier), keep_alive=True) as server:
            client, _ = no_sleep_client(server.url, max_retries=0)
            errors: List[BaseException] = []

            def work() -> None:
                try:
                    client.resources.retrieve("res_1")
                except BaseException as exc:
                    errors.append(exc)

            workers = [threading.Thread(target=work) for _ in range(12)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            self.assertEqual(errors, [])
            self.assertEqual(server.accepted, 12)
            server.wait_ended(2)
            self.assertEqual(len(client._requester._idle), 10)
            client.close()
            server.wait_ended(12)


class StaleConnectionTest(unittest.TestCase):
    def test_server_closed_idle_connection_is_replaced_at_once(self) -> None:
        # Over TLS a write's second send (its body) meets the closed connection
        # as ssl.SSLEOFError, where plain HTTP gets a broken pipe. The test
        # server closes without a TLS close_notify; one that sends it fails alike.
        for name, call, tls in [
            ("retrieve", lambda c: c.resources.retrieve("res_1"), False),
            ("create", lambda c: c.resources.create(name="n"), False),
            ("retrieve over TLS", lambda c: c.resources.retrieve("res_1"), True),
            ("create over TLS", lambda c: c.resources.create(name="n"), True),
        ]:
            # The first answer is the connection's last, as when the server's keep-alive timeout runs out.
            with self.subTest(name), FaultServer(Respond(200, resource_json(), close=True), OK, keep_alive=True, tls=tls) as server:
                client, waits = https_client(server, max_retries=0) if tls else no_sleep_client(server.url, max_retries=0)
                call(client)
                server.wait_ended(1)
                started = time.monotonic()
                call(client)
                self.assertLess(time.monotonic() - started, 0.5)
                client.close()
            self.assertEqual([r.connection for r in server.requests], [1, 2])  # one request for the second call
            self.assertEqual(waits, [])

    def test_reused_connection_failing_before_any_answer_is_sent_again_on_a_new_one(self) -> None:
        # The race the above cannot show: the server closes the idle
        # connection just as the request reaches it.
        for fault in (Reset(), Hangup()):
            with self.subTest(fault), FaultServer(OK, fault, Respond(201, resource_json()), keep_alive=True) as server:
                client, waits = no_sleep_client(server.url, max_retries=0)
                client.resources.retrieve("res_1")
                self.assertEqual(client.resources.create(name="n").id, "res_1")
                client.close()
            self.assertEqual([r.connection for r in server.requests], [1, 1, 2])
            self.assertEqual(server.requests[1].headers["Idempotency-Key"], server.requests[2].headers["Idempotency-Key"])
            self.assertEqual(waits, [])

    def test_new_connection_failing_after_a_stale_one_is_an_ordinary_failure(self) -> None:
        with FaultServer(OK, default=Reset(), keep_alive=True) as server:
            client, waits = no_sleep_client(server.url)
            client.resources.retrieve("res_1")
            with self.assertRaises(docsapi.APIConnectionError) as caught:
                client.resources.create(name="n")
        # The stale connection, then the first attempt and its two retries on new ones.
        self.assertEqual([r.connection for r in server.requests], [1, 1, 2, 3, 4])
        self.assertEqual(len({r.headers["Idempotency-Key"] for r in server.requests[1:]}), 1)
        self.assertEqual(waits, [0.4375, 0.875])
        self.assertIsInstance(caught.exception.__cause__, ConnectionResetError)

    def test_reused_connection_cut_after_part_of_an_answer_is_an_ordinary_failure(self) -> None:
        cut = Hangup(b"HTTP/1.1 2")
        with FaultServer(OK, cut, keep_alive=True) as server:
            client, waits = no_sleep_client(server.url, max_retries=0)
            client.resources.retrieve("res_1")
            with self.assertRaises(docsapi.APIConnectionError) as caught:
                client.resources.retrieve("res_1")
        self.assertEqual(len(server.requests), 2)
        self.assertIsInstance(caught.exception.__cause__, http.client.BadStatusLine)
        self.assertNotIsInstance(caught.exception.__cause__, http.client.RemoteDisconnected)

        with FaultServer(OK, cut, OK, keep_alive=True) as server:
            client, waits = no_sleep_client(server.url, max_retries=1)
            client.resources.retrieve("res_1")
            client.resources.retrieve("res_1")
            client.close()
        self.assertEqual([r.connection for r in server.requests], [1, 1, 2])
        self.assertEqual(waits, [0.4375])  # one of the user's retries, with its wait


class TimeoutTest(unittest.TestCase):
    def test_the_resend_after_a_stale_connection_connects_within_the_time_left(self) -> None:
        # A raw server: it answers once on a kept-alive connection; on the
        # next request it fills its accept queue, so that a new connection
        # cannot be made, and hangs up after 0.3 s without a byte.
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        body = json.dumps(resource_json()).encode()
        fillers: List[socket.socket] = []

        def serve() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(5)  # a client that fails early must not hang the test
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                conn.recv(65536)
                for _ in range(2):  # a backlog of 0 holds one waiting connection; the second fills it
                    f = socket.socket()
                    f.setblocking(False)
                    f.connect_ex(("127.0.0.1", port))
                    fillers.append(f)
                time.sleep(0.3)

        server = threading.Thread(target=serve)
        server.start()
        try:
            client, _ = no_sleep_client("http://127.0.0.1:%d" % port, timeout=0.5, max_retries=0)
            client.resources.retrieve("res_1")
            started = time.monotonic()
            with self.assertRaises(docsapi.APIConnectionError):
                client.resources.retrieve("res_1")
            elapsed = time.monotonic() - started
        finally:
            server.join()
            for f in fillers:
                f.close()
            listener.close()
        # The whole attempt within its 0.5 s, not 0.3 s and then 0.5 s more to connect.
        self.assertLess(elapsed, 0.75)

    def test_a_reused_connection_gets_each_calls_own_timeout(self) -> None:
        slow = Respond(200, resource_json(), delay=0.3)
        with FaultServer(slow, slow, Respond(200, resource_json(), delay=2.0), OK, keep_alive=True) as server:
            client, waits = no_sleep_client(server.url, timeout=0.5, max_retries=0)
            # Together longer than the timeout: the second call has its own.
            client.resources.retrieve("res_1")
            client.resources.retrieve("res_1")
            started = time.monotonic()
            with self.assertRaises(docsapi.APIConnectionError) as caught:
                client.resources.retrieve("res_1")
            elapsed = time.monotonic() - started
            client.resources.retrieve("res_1")
            client.close()
        self.assertGreaterEqual(elapsed, 0.45)
        self.assertLess(elapsed, 1.5)
        self.assertIsInstance(caught.exception.__cause__, socket.timeout)
        # The connection that timed out is closed, not reused.
        self.assertEqual([r.connection for r in server.requests], [1, 1, 1, 2])
        self.assertEqual(waits, [])


class HTTPSTest(unittest.TestCase):
    def test_sequential_calls_share_one_tls_connection(self) -> None:
        with FaultServer(default=OK, keep_alive=True, tls=True) as server:
            client, _ = https_client(server, max_retries=0)
            client.resources.retrieve("res_1")
            client.resources.create(name="n")
            client.resources.update("res_1", name="m")
            self.assertEqual(server.ended, 0)
            client.close()
            server.wait_ended(1)
        self.assertEqual([r.connection for r in server.requests], [1, 1, 1])
        self.assertEqual(server.accepted, 1)

    def test_a_certificate_from_an_untrusted_ca_is_refused(self) -> None:
        with FaultServer(default=OK, keep_alive=True, tls=True) as server:
            # The server's certificate is signed by ca.pem; the client trusts other_ca.pem.
            client, waits = https_client(server, "other_ca.pem", max_retries=2)
            with self.assertRaises(docsapi.APIConnectionError) as caught:
                client.resources.retrieve("res_1")
            server.wait_ended(3)
            self.assertEqual(client._requester._idle, [])
        # Retried as any connection failure is, max_retries times, with no request ever sent.
        self.assertEqual(server.accepted, 3)
        self.assertEqual(server.requests, [])
        self.assertEqual(waits, [0.4375, 0.875])
        cause = caught.exception.__cause__
        self.assertIsInstance(cause, ssl.SSLCertVerificationError)
        self.assertEqual(cause.verify_message, "unable to get local issuer certificate")  # type: ignore[union-attr]


class CloseTest(unittest.TestCase):
    def test_close_and_with_close_idle_connections_and_the_client_stays_usable(self) -> None:
        with FaultServer(default=OK, keep_alive=True) as server:
            with docsapi.Client("sk_test_key", base_url=server.url) as client:
                self.assertIsInstance(client, docsapi.Client)
                client.resources.retrieve("res_1")
                self.assertEqual(server.ended, 0)
            server.wait_ended(1)
            client.resources.retrieve("res_1")
            client.close()
            client.close()
            server.wait_ended(2)
        self.assertEqual([r.connection for r in server.requests], [1, 2])

    def test_a_client_dropped_without_close_closes_its_idle_connections(self) -> None:
        with FaultServer(default=OK, keep_alive=True) as server:
            client, _ = no_sleep_client(server.url)
            client.resources.retrieve("res_1")
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ResourceWarning)
                del client
                gc.collect()
            server.wait_ended(1)
        self.assertEqual([str(w.message) for w in caught], [])

    @unittest.skipUnless(hasattr(os, "fork"), "needs os.fork")
    def test_a_forked_child_keeps_connections_of_its_own(self) -> None:
        with FaultServer(default=OK, keep_alive=True) as server:
            client, _ = no_sleep_client(server.url, max_retries=0)
            client.resources.retrieve("res_1")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads running, Python 3.12+
                pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    # Its own connection, then kept alive for its next call.
                    client.resources.retrieve("res_1")
                    client.resources.retrieve("res_1")
                    client.close()
                    code = 0
                finally:
                    os._exit(code)
            _, status = os.waitpid(pid, 0)
            self.assertEqual(os.waitstatus_to_exitcode(status), 0)
            client.resources.retrieve("res_1")
            client.close()
        self.assertEqual([r.connection for r in server.requests], [1, 2, 2, 1])


if __name__ == "__main__":
    unittest.main()
