"""The client against the fault-injecting server: requests it builds, answers
it decodes, and how it retries."""

import pickle
import re
import socket
import time
import unittest
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List

from _support import (
    CLIENT_DIR,
    SEED_SNIPPET,
    FaultServer,
    Forward,
    Reset,
    Respond,
    error_body,
    list_json,
    no_sleep_client,
    resource_json,
    run_seed_snippet,
)

import docsapi
from docsapi._models import _timestamp

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

MISSING_NAME = error_body(
    "invalid_request_error", "parameter_missing", "Missing required parameter: name.", "req_Hd92kLpQ7m", "name"
)
SERVER_ERROR = error_body("api_error", "api_error", "An unexpected error occurred.", "req_S3rv3rErr0")


class RetryTest(unittest.TestCase):
    def test_500_then_201_is_one_call_two_requests_one_key(self) -> None:
        with FaultServer(Respond(500, SERVER_ERROR), Respond(201, resource_json())) as server:
            client, waits = no_sleep_client(server.url)
            resource = client.resources.create(name="Quarterly report")
        self.assertEqual(resource.id, "res_1")
        self.assertEqual(len(server.requests), 2)
        keys = {r.headers["Idempotency-Key"] for r in server.requests}
        self.assertEqual(len(keys), 1)
        self.assertRegex(keys.pop(), UUID4)
        self.assertEqual(server.requests[0].body, server.requests[1].body)
        self.assertEqual(waits, [0.4375])  # 0.5 s, less the jitter of random() = 0.5

    def test_callers_idempotency_key_is_sent_on_every_attempt(self) -> None:
        for method in ("create", "update", "delete"):
            with self.subTest(method):
                ok = {"id": "res_1", "object": "resource", "deleted": True} if method == "delete" else resource_json()
                with FaultServer(Respond(503), Reset(), Respond(200, ok)) as server:
                    client, _ = no_sleep_client(server.url)
                    if method == "create":
                        client.resources.create(name="n", idempotency_key="order-42")
                    elif method == "update":
                        client.resources.update("res_1", name="n", idempotency_key="order-42")
                    else:
                        client.resources.delete("res_1", idempotency_key="order-42")
                self.assertEqual([r.headers["Idempotency-Key"] for r in server.requests], ["order-42"] * 3)

    def test_each_write_call_gets_its_own_generated_key_and_reads_get_none(self) -> None:
        with FaultServer(default=Respond(200, resource_json())) as server:
            client, _ = no_sleep_client(server.url)
            client.resources.create(name="a")
            client.resources.create(name="b")
            client.resources.update("res_1", name="c")
            client.resources.retrieve("res_1")
        keys = [r.headers.get("Idempotency-Key") for r in server.requests]
        for key in keys[:3]:
            self.assertRegex(key or "", UUID4)
        self.assertEqual(len(set(keys[:3])), 3)
        self.assertIsNone(keys[3])

    def test_retry_after_1_waits_at_least_one_second(self) -> None:
        limited = error_body("rate_limit_error", "rate_limit_exceeded", "Too many requests.")
        with FaultServer(Respond(429, limited, {"Retry-After": "1"}), Respond(201, resource_json())) as server:
            client = docsapi.Client("sk_test_key", base_url=server.url)  # really sleeps
            started = time.monotonic()
            resource = client.resources.create(name="n")
            elapsed = time.monotonic() - started
        self.assertEqual(resource.id, "res_1")
        self.assertEqual(len(server.requests), 2)
        self.assertGreaterEqual(elapsed, 1.0)
        self.assertLess(elapsed, 5.0)

    def test_retry_after_over_60_raises_at_once(self) -> None:
        limited = error_body("rate_limit_error", "rate_limit_exceeded", "Too many requests.", "req_R4t3L1m1tX")
        with FaultServer(default=Respond(429, limited, {"Retry-After": "120"})) as server:
            client, waits = no_sleep_client(server.url)
            with self.assertRaises(docsapi.RateLimitError) as caught:
                client.resources.list()
        self.assertEqual(len(server.requests), 1)
        self.assertEqual(waits, [])
        self.assertEqual(caught.exception.headers["retry-after"], "120")
        self.assertEqual(caught.exception.request_id, "req_R4t3L1m1tX")

    def test_other_4xx_are_not_retried(self) -> None:
        cases = [
            (400, "invalid_request_error", "parameter_missing", docsapi.InvalidRequestError),
            (401, "authentication_error", "authentication_failed", docsapi.AuthenticationError),
            (403, "permission_error", "permission_denied", docsapi.PermissionError),
            (404, "invalid_request_error", "resource_missing", docsapi.InvalidRequestError),
            (409, "idempotency_error", "idempotency_conflict", docsapi.IdempotencyError),
        ]
        for status, type_, code, cls in cases:
            with self.subTest(status=status):
                body = error_body(type_, code, "Nope.", "req_N0R3try123")
                with FaultServer(default=Respond(status, body, {"Retry-After": "1"})) as server:
                    client, waits = no_sleep_client(server.url)
                    with self.assertRaises(cls) as caught:
                        client.resources.create(name="n")
                self.assertEqual(len(server.requests), 1)
                self.assertEqual(waits, [])
                self.assertEqual((caught.exception.http_status, caught.exception.code), (status, code))

    def test_persistent_connection_reset_raises_api_connection_error(self) -> None:
        with FaultServer(default=Reset()) as server:
            client, waits = no_sleep_client(server.url)
            with self.assertRaises(docsapi.APIConnectionError) as caught:
                client.resources.create(name="n")
        self.assertEqual(len(server.requests), 3)
        self.assertEqual(len({r.headers["Idempotency-Key"] for r in server.requests}), 1)
        self.assertEqual(waits, [0.4375, 0.875])
        err = caught.exception
        self.assertIsInstance(err.__cause__, OSError)
        self.assertIsNone(err.http_status)
        self.assertIsNone(err.request_id)
        self.assertEqual(len(err.headers), 0)

    def test_connection_reset_then_success(self) -> None:
        with FaultServer(Reset(), Respond(200, resource_json())) as server:
            client, waits = no_sleep_client(server.url)
            self.assertEqual(client.resources.retrieve("res_1").id, "res_1")
        self.assertEqual(len(server.requests), 2)
        self.assertEqual(len(waits), 1)

    def test_connection_refused_is_retried(self) -> None:
        with FaultServer() as server:
            url = server.url  # a port that is closed once the server stops
        client, waits = no_sleep_client(url)
        with self.assertRaises(docsapi.APIConnectionError) as caught:
            client.resources.retrieve("res_1")
        self.assertEqual(len(waits), 2)
        self.assertIsInstance(caught.exception.__cause__, ConnectionRefusedError)

    def test_timeout_is_a_connection_error(self) -> None:
        with FaultServer(default=Respond(200, resource_json(), delay=1.0)) as server:
            client, _ = no_sleep_client(server.url, timeout=0.2, max_retries=0)
            started = time.monotonic()
            with self.assertRaises(docsapi.APIConnectionError):
                client.resources.retrieve("res_1")
        self.assertLess(time.monotonic() - started, 0.9)

    def test_timeout_bounds_the_whole_attempt_not_each_read(self) -> None:
        # Every byte of the body comes well within the timeout, but the whole
        # body would take about 200 * 0.02 = 4 s: the attempt ends at 0.3 s.
        with FaultServer(default=Respond(200, resource_json(), trickle=0.02)) as server:
            client, waits = no_sleep_client(server.url, timeout=0.3, max_retries=0)
            started = time.monotonic()
            with self.assertRaises(docsapi.APIConnectionError) as caught:
                client.resources.retrieve("res_1")
            elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed, 0.25)
        self.assertLess(elapsed, 1.0)
        self.assertIn("timed out", str(caught.exception))
        self.assertIsInstance(caught.exception.__cause__, socket.timeout)  # TimeoutError since 3.10
        self.assertEqual(waits, [])

    def test_a_trickled_body_within_the_timeout_is_read(self) -> None:
        with FaultServer(default=Respond(200, resource_json(), trickle=0.0005)) as server:
            client, _ = no_sleep_client(server.url, timeout=5, max_retries=0)
            self.assertEqual(client.resources.retrieve("res_1").id, "res_1")

    def test_response_lost_after_commit_is_retried_with_the_same_key(self) -> None:
        # The upstream stands in for the real server: it answers both attempts,
        # the proxy in front of it loses the first answer.
        with FaultServer(Respond(201, resource_json()), Respond(201, resource_json())) as upstream:
            target = upstream.url[len("http://"):]
            with FaultServer(Forward(target, drop=True), Forward(target)) as proxy:
                client, waits = no_sleep_client(proxy.url)
                resource = client.resources.create(name="n")
        self.assertEqual(resource.id, "res_1")
        self.assertEqual(len(upstream.requests), 2)
        self.assertEqual(len({r.headers["Idempotency-Key"] for r in upstream.requests}), 1)
        self.assertEqual(len(waits), 1)

    def test_backoff_doubles_and_max_retries_is_configurable(self) -> None:
        for max_retries, expected_waits in [
            (0, []),
            (1, [0.4375]),
            (6, [0.4375, 0.875, 1.75, 3.5, 7.0, 7.0]),
        ]:
            with self.subTest(max_retries=max_retries):
                with FaultServer(default=Respond(500, SERVER_ERROR)) as server:
                    client, waits = no_sleep_client(server.url, max_retries=max_retries)
                    with self.assertRaises(docsapi.APIError) as caught:
                        client.resources.list()
                self.assertEqual(len(server.requests), max_retries + 1)
                self.assertEqual(waits, expected_waits)
                self.assertEqual(caught.exception.request_id, "req_S3rv3rErr0")

    def test_html_502_from_a_proxy_is_retried_then_raised(self) -> None:
        html = Respond(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", {"Content-Type": "text/html"})
        with FaultServer(default=html) as server:
            client, _ = no_sleep_client(server.url)
            with self.assertRaises(docsapi.APIError) as caught:
                client.resources.list()
        self.assertEqual(len(server.requests), 3)
        self.assertEqual(caught.exception.http_status, 502)
        self.assertEqual(caught.exception.message, "Unexpected response from the API (HTTP 502).")

    def test_interrupt_during_backoff_stops_at_once(self) -> None:
        def interrupted(seconds: float) -> None:
            raise KeyboardInterrupt

        with FaultServer(default=Respond(503)) as server:
            client, _ = no_sleep_client(server.url)
            client._requester.sleep = interrupted
            with self.assertRaises(KeyboardInterrupt):
                client.resources.create(name="n")
        self.assertEqual(len(server.requests), 1)


class RequestTest(unittest.TestCase):
    def test_headers_on_every_attempt(self) -> None:
        with FaultServer(Respond(500), Respond(201, resource_json())) as server:
            client, _ = no_sleep_client(server.url, api_key="sk_live_abc")
            client.resources.create(name="n")
        for recorded in server.requests:
            self.assertRegex(recorded.headers["User-Agent"], r"^docsapi-python/0\.1\.0( |$)")
            self.assertEqual(recorded.headers["Authorization"], "Bearer sk_live_abc")
            self.assertEqual(recorded.headers["Content-Type"], "application/json")
            self.assertEqual(recorded.headers["Accept"], "application/json")

    def test_requests_built_by_each_method(self) -> None:
        key_json = {
            "id": "key_1", "object": "api_key", "name": "ci", "scopes": ["resources:read"], "rate_limit": 100,
            "prefix": "sk_live_Ab12", "created_at": "2026-11-24T21:09:48Z", "last_used_at": None, "revoked_at": None,
        }
        log_json = {
            "id": "req_1", "object": "request", "method": "POST", "path": "/v1/resources", "status": 400,
            "error_code": "parameter_missing", "api_key_id": "key_1", "idempotency_key": None,
            "idempotent_replayed": False, "duration_ms": 2.1, "created_at": "2026-11-24T21:09:48Z",
        }
        cases: List[Any] = [
            # (name, call, answer, method, path, body or None for no body)
            ("create minimal", lambda c: c.resources.create(name="n"), resource_json(),
             "POST", "/v1/resources", {"name": "n"}),
            ("create full", lambda c: c.resources.create(name="n", description="d", metadata={"team": "fin"}),
             resource_json(), "POST", "/v1/resources", {"name": "n", "description": "d", "metadata": {"team": "fin"}}),
            ("update nothing", lambda c: c.resources.update("res_1"), resource_json(),
             "PATCH", "/v1/resources/res_1", {}),
            ("update clears description", lambda c: c.resources.update("res_1", description=None), resource_json(),
             "PATCH", "/v1/resources/res_1", {"description": None}),
            ("update clears all metadata", lambda c: c.resources.update("res_1", metadata=None), resource_json(),
             "PATCH", "/v1/resources/res_1", {"metadata": None}),
            ("update name and metadata",
             lambda c: c.resources.update("res_1", name="m", metadata={"old": None, "new": "v"}), resource_json(),
             "PATCH", "/v1/resources/res_1", {"name": "m", "metadata": {"old": None, "new": "v"}}),
            ("retrieve", lambda c: c.resources.retrieve("res_1"), resource_json(),
             "GET", "/v1/resources/res_1", None),
            ("retrieve quotes the id", lambda c: c.resources.retrieve("res_1/../x?y"), resource_json(),
             "GET", "/v1/resources/res_1%2F..%2Fx%3Fy", None),
            ("delete", lambda c: c.resources.delete("res_1"), {"id": "res_1", "object": "resource", "deleted": True},
             "DELETE", "/v1/resources/res_1", None),
            ("list without params", lambda c: c.resources.list(), list_json([], False),
             "GET", "/v1/resources", None),
            ("list with params", lambda c: c.resources.list(limit=2, starting_after="res_9"), list_json([], False),
             "GET", "/v1/resources?limit=2&starting_after=res_9", None),
            ("list ending_before", lambda c: c.resources.list(ending_before="res_9"), list_json([], False),
             "GET", "/v1/resources?ending_before=res_9", None),
            ("api key create", lambda c: c.api_keys.create(name="ci", scopes=("resources:read",), rate_limit=5),
             dict(key_json, secret="sk_live_x"), "POST", "/v1/api_keys",
             {"name": "ci", "scopes": ["resources:read"], "rate_limit": 5}),
            ("api key retrieve", lambda c: c.api_keys.retrieve("key_1"), key_json, "GET", "/v1/api_keys/key_1", None),
            ("api key list", lambda c: c.api_keys.list(limit=1), list_json([key_json], True, "/v1/api_keys"),
             "GET", "/v1/api_keys?limit=1", None),
            ("api key delete", lambda c: c.api_keys.delete("key_1"), key_json, "DELETE", "/v1/api_keys/key_1", None),
            ("request retrieve", lambda c: c.requests.retrieve("req_1"), log_json, "GET", "/v1/requests/req_1", None),
            ("request list by class", lambda c: c.requests.list(status="4xx"), list_json([log_json], False),
             "GET", "/v1/requests?status=4xx", None),
            ("request list by code", lambda c: c.requests.list(status=404, limit=3), list_json([], False),
             "GET", "/v1/requests?status=404&limit=3", None),
        ]
        for name, call, answer, method, path, body in cases:
            with self.subTest(name):
                with FaultServer(Respond(200, answer)) as server:
                    client, _ = no_sleep_client(server.url)
                    call(client)
                (recorded,) = server.requests
                self.assertEqual((recorded.method, recorded.path), (method, path))
                if body is None:
                    self.assertEqual(recorded.body, b"")
                    self.assertNotIn("Content-Type", recorded.headers)
                else:
                    self.assertEqual(recorded.json(), body)

    def test_base_url_with_a_path_prefix(self) -> None:
        with FaultServer(Respond(200, resource_json())) as server:
            client, _ = no_sleep_client(server.url + "/api/")
            client.resources.retrieve("res_1")
        self.assertEqual(server.requests[0].path, "/api/v1/resources/res_1")

    def test_invalid_arguments_are_refused_before_any_request(self) -> None:
        with FaultServer() as server:
            client, _ = no_sleep_client(server.url)
            for name, call, exc in [
                # Empty and blank ids: local_errors.json.
                ("id not a string", lambda: client.api_keys.retrieve(None), TypeError),  # type: ignore[arg-type]
                ("scopes as a string", lambda: client.api_keys.create(name="k", scopes="*"), TypeError),
            ]:
                with self.subTest(name):
                    with self.assertRaises(exc):
                        call()
        self.assertEqual(server.requests, [])

    def test_client_options_are_validated(self) -> None:
        for name, kwargs in [
            ("negative retries", {"max_retries": -1}),
            ("retries not an int", {"max_retries": 1.5}),
            ("zero timeout", {"timeout": 0}),
            ("not http", {"base_url": "ftp://example.com"}),
            ("no host", {"base_url": "http://"}),
            ("query in base url", {"base_url": "http://127.0.0.1:8080/?x=1"}),
        ]:
            with self.subTest(name):
                args: Dict[str, Any] = {"api_key": "sk_test_key"}
                args.update(kwargs)
                with self.assertRaises(ValueError):
                    docsapi.Client(args.pop("api_key"), **args)

    def test_client_repr_hides_the_key(self) -> None:
        client = docsapi.Client("sk_live_secretsecret", base_url="https://api.example.com", max_retries=5, timeout=3)
        self.assertNotIn("secret", repr(client))
        self.assertEqual((client.base_url, client.max_retries, client.timeout), ("https://api.example.com", 5, 3.0))


class ResponseTest(unittest.TestCase):
    def test_resource_attributes(self) -> None:
        answer = resource_json(
            description="Numbers", metadata={"team": "finance"}, created_at="2026-11-24T21:09:48.123456789Z",
            unknown_future_field=True,
        )
        with FaultServer(Respond(201, answer)) as server:
            client, _ = no_sleep_client(server.url)
            r = client.resources.create(name="Quarterly report")
        self.assertEqual((r.id, r.object, r.name, r.description), ("res_1", "resource", "Quarterly report", "Numbers"))
        self.assertEqual(r.metadata, {"team": "finance"})
        self.assertEqual(r.created_at, datetime(2026, 11, 24, 21, 9, 48, 123456, tzinfo=timezone.utc))
        self.assertEqual(r.updated_at, datetime(2026, 11, 24, 21, 9, 48, tzinfo=timezone.utc))

    def test_api_key_and_request_log_attributes(self) -> None:
        key_json = {
            "id": "key_1", "object": "api_key", "name": "ci", "scopes": ["resources:read"], "rate_limit": 100,
            "prefix": "sk_live_Ab12", "created_at": "2026-11-24T21:09:48Z", "last_used_at": None,
            "revoked_at": "2026-11-25T00:00:00Z", "secret": "sk_live_Ab12xxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        }
        log_json = {
            "id": "req_1", "object": "request", "method": "POST", "path": "/v1/resources", "status": 400,
            "error_code": "parameter_missing", "api_key_id": "key_1", "idempotency_key": "k",
            "idempotent_replayed": True, "duration_ms": 2.1, "created_at": "2026-11-24T21:09:48Z",
        }
        with FaultServer(Respond(201, key_json), Respond(200, log_json)) as server:
            client, _ = no_sleep_client(server.url)
            key = client.api_keys.create(name="ci", scopes=["resources:read"])
            log = client.requests.retrieve("req_1")
        self.assertEqual((key.scopes, key.rate_limit, key.prefix), (["resources:read"], 100, "sk_live_Ab12"))
        self.assertIsNone(key.last_used_at)
        self.assertEqual(key.revoked_at, datetime(2026, 11, 25, tzinfo=timezone.utc))
        self.assertTrue(key.secret and key.secret.startswith("sk_live_"))
        self.assertEqual((log.status, log.error_code, log.idempotent_replayed, log.duration_ms), (400, "parameter_missing", True, 2.1))

    def test_timestamps(self) -> None:
        for text, expected in [
            ("2026-11-24T21:09:48Z", datetime(2026, 11, 24, 21, 9, 48, tzinfo=timezone.utc)),
            ("2026-11-24t21:09:48.5z", datetime(2026, 11, 24, 21, 9, 48, 500000, tzinfo=timezone.utc)),
            ("2026-11-24T21:09:48.123456789Z", datetime(2026, 11, 24, 21, 9, 48, 123456, tzinfo=timezone.utc)),
            ("2026-11-24T23:09:48+02:00", datetime(2026, 11, 24, 21, 9, 48, tzinfo=timezone.utc)),
            ("2026-11-24T20:39:48-00:30", datetime(2026, 11, 24, 21, 9, 48, tzinfo=timezone.utc)),
        ]:
            with self.subTest(text):
                parsed = _timestamp(text)
                self.assertEqual(parsed, expected)
                self.assertIsNotNone(parsed.utcoffset())
        self.assertEqual(_timestamp("2026-11-24T23:09:48+02:00").utcoffset(), timedelta(hours=2))
        for bad in ["2026-11-24", "2026-11-24T21:09:48", "yesterday", None, 1764018588]:
            with self.subTest(bad=bad):
                with self.assertRaises(ValueError):
                    _timestamp(bad)

    def test_unexpected_2xx_bodies_raise_api_error_without_retry(self) -> None:
        for name, answer in [
            ("not JSON", Respond(200, "<html>ok</html>", {"Content-Type": "text/html", "Request-Id": "req_Pr0xy200ab"})),
            ("missing fields", Respond(200, {"id": "res_1"}, {"Request-Id": "req_Pr0xy200ab"})),
            ("bad timestamp", Respond(200, resource_json(created_at="yesterday"), {"Request-Id": "req_Pr0xy200ab"})),
        ]:
            with self.subTest(name):
                with FaultServer(default=answer) as server:
                    client, _ = no_sleep_client(server.url)
                    with self.assertRaises(docsapi.APIError) as caught:
                        client.resources.create(name="n")
                self.assertEqual(len(server.requests), 1)
                self.assertEqual(caught.exception.http_status, 200)
                self.assertEqual(caught.exception.request_id, "req_Pr0xy200ab")


class PaginationTest(unittest.TestCase):
    def test_iter_follows_has_more(self) -> None:
        pages = [
            Respond(200, list_json([resource_json("res_5"), resource_json("res_4")], True)),
            Respond(200, list_json([resource_json("res_3"), resource_json("res_2")], True)),
            Respond(200, list_json([resource_json("res_1")], False)),
        ]
        with FaultServer(*pages) as server:
            client, _ = no_sleep_client(server.url)
            ids = [r.id for r in client.resources.iter(limit=2)]
        self.assertEqual(ids, ["res_5", "res_4", "res_3", "res_2", "res_1"])
        self.assertEqual(
            [r.path for r in server.requests],
            [
                "/v1/resources?limit=2",
                "/v1/resources?limit=2&starting_after=res_4",
                "/v1/resources?limit=2&starting_after=res_2",
            ],
        )

    def test_iter_with_ending_before_walks_towards_newer_objects(self) -> None:
        pages = [
            Respond(200, list_json([resource_json("res_3"), resource_json("res_2")], True)),
            Respond(200, list_json([resource_json("res_4")], False)),
        ]
        with FaultServer(*pages) as server:
            client, _ = no_sleep_client(server.url)
            ids = [r.id for r in client.resources.iter(limit=2, ending_before="res_1")]
        self.assertEqual(ids, ["res_2", "res_3", "res_4"])
        self.assertEqual(server.requests[1].path, "/v1/resources?limit=2&ending_before=res_3")

    def test_iter_stops_on_an_empty_page_and_is_lazy(self) -> None:
        with FaultServer(Respond(200, list_json([], True))) as server:
            client, _ = no_sleep_client(server.url)
            walk = client.requests.iter(status="5xx")
            self.assertEqual(server.requests, [])
            self.assertEqual(list(walk), [])
        self.assertEqual(len(server.requests), 1)

    def test_iter_raises_the_error_of_a_later_page(self) -> None:
        pages = [
            Respond(200, list_json([resource_json("res_2")], True)),
            Respond(400, error_body("invalid_request_error", "parameter_invalid", "Unknown cursor.", param="starting_after")),
        ]
        with FaultServer(*pages) as server:
            client, _ = no_sleep_client(server.url)
            walk = client.resources.iter()
            self.assertEqual(next(walk).id, "res_2")
            with self.assertRaises(docsapi.InvalidRequestError) as caught:
                next(walk)
        self.assertEqual(caught.exception.param, "starting_after")

    def test_page_object(self) -> None:
        with FaultServer(Respond(200, list_json([resource_json("res_2"), resource_json("res_1")], True))) as server:
            client, _ = no_sleep_client(server.url)
            page = client.resources.list(limit=2)
        self.assertEqual((page.object, page.has_more, page.url, len(page)), ("list", True, "/v1/resources", 2))
        self.assertEqual([r.id for r in page], ["res_2", "res_1"])
        self.assertIsInstance(page.data[0], docsapi.Resource)


class ErrorTest(unittest.TestCase):
    def test_seed_snippet(self) -> None:
        with FaultServer(Respond(400, MISSING_NAME, {"Request-Id": "req_Hd92kLpQ7m"})) as server:
            client, _ = no_sleep_client(server.url)
            self.assertEqual(run_seed_snippet(client), "Missing: name\n")
        self.assertEqual(server.requests[0].json(), {"name": ""})

    def test_readme_holds_the_seed_snippet(self) -> None:
        readme = (CLIENT_DIR / "README.md").read_text(encoding="utf-8")
        self.assertIn(SEED_SNIPPET, readme)

    def test_str_is_useful(self) -> None:
        with FaultServer(Respond(400, MISSING_NAME, {"Request-Id": "req_Hd92kLpQ7m"})) as server:
            client, _ = no_sleep_client(server.url)
            with self.assertRaises(docsapi.DocsAPIError) as caught:
                client.resources.create(name="")
        self.assertEqual(
            str(caught.exception),
            "Missing required parameter: name. (http_status=400, type=invalid_request_error, "
            "code=parameter_missing, param=name, request_id=req_Hd92kLpQ7m)",
        )
        self.assertEqual(caught.exception.headers["request-id"], "req_Hd92kLpQ7m")

    def test_errors_survive_pickling(self) -> None:
        err = docsapi.RateLimitError(
            "Too many requests.", type="rate_limit_error", code="rate_limit_exceeded", request_id="req_1",
            http_status=429, headers={"Retry-After": "3"},
        )
        copy = pickle.loads(pickle.dumps(err))
        self.assertIs(type(copy), docsapi.RateLimitError)
        self.assertEqual(
            (copy.message, copy.code, copy.request_id, copy.http_status, copy.headers["retry-after"]),
            ("Too many requests.", "rate_limit_exceeded", "req_1", 429, "3"),
        )

    def test_hierarchy_and_the_builtin_permission_error(self) -> None:
        import builtins

        for name in ("InvalidRequestError", "AuthenticationError", "PermissionError", "IdempotencyError",
                     "RateLimitError", "APIError", "APIConnectionError"):
            with self.subTest(name):
                self.assertTrue(issubclass(getattr(docsapi, name), docsapi.DocsAPIError))
        self.assertIsNot(docsapi.PermissionError, builtins.PermissionError)
        self.assertFalse(issubclass(docsapi.PermissionError, OSError))
        self.assertNotIn("PermissionError", docsapi.__all__)
        namespace: Dict[str, Any] = {}
        exec("from docsapi import *", namespace)
        self.assertNotIn("PermissionError", namespace)
        self.assertIn("InvalidRequestError", namespace)


if __name__ == "__main__":
    unittest.main()
