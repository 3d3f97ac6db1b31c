"""End to end against the real ``docsapi serve`` built from this repository."""

import re
import time
import unittest
import uuid
from typing import Optional

from _support import FaultServer, Forward, RealServer, run_seed_snippet

import docsapi

REQUEST_ID = re.compile(r"^req_[0-9A-Za-z]{10,24}$")
SERVER: Optional[RealServer] = None


def setUpModule() -> None:
    global SERVER
    SERVER = RealServer()
    SERVER.start()


def tearDownModule() -> None:
    if SERVER is not None:
        SERVER.stop()


def server() -> RealServer:
    assert SERVER is not None, "setUpModule did not run"
    return SERVER


def root_client(**kwargs: object) -> docsapi.Client:
    return docsapi.Client(server().root_key, base_url=server().url, **kwargs)  # type: ignore[arg-type]


def unique(prefix: str) -> str:
    return "%s %s" % (prefix, uuid.uuid4().hex[:12])


class RealServerTest(unittest.TestCase):
    def test_resource_lifecycle(self) -> None:
        client = root_client()
        name = unique("Quarterly report")
        created = client.resources.create(name=name, metadata={"team": "finance", "tier": "1"})
        self.assertTrue(created.id.startswith("res_"))
        self.assertEqual((created.object, created.name, created.description), ("resource", name, None))
        self.assertEqual(created.metadata, {"team": "finance", "tier": "1"})
        self.assertIsNotNone(created.created_at.tzinfo)

        self.assertEqual(client.resources.retrieve(created.id), created)

        updated = client.resources.update(created.id, description="Numbers", metadata={"team": None, "owner": "ana"})
        self.assertEqual((updated.name, updated.description), (name, "Numbers"))
        self.assertEqual(updated.metadata, {"tier": "1", "owner": "ana"})

        # Only description is sent: name and metadata stay as they are.
        cleared = client.resources.update(created.id, description=None)
        self.assertEqual((cleared.name, cleared.description, cleared.metadata), (name, None, updated.metadata))

        deleted = client.resources.delete(created.id)
        self.assertEqual((deleted.id, deleted.object, deleted.deleted), (created.id, "resource", True))
        with self.assertRaises(docsapi.InvalidRequestError) as caught:
            client.resources.retrieve(created.id)
        self.assertEqual((caught.exception.http_status, caught.exception.code), (404, "resource_missing"))

    def test_metadata_key_removed_with_none_then_all_cleared(self) -> None:
        client = root_client()
        created = client.resources.create(name=unique("Metadata"), description="kept")
        self.addCleanup(client.resources.delete, created.id)

        both = client.resources.update(created.id, metadata={"a": "1", "b": "2"})
        self.assertEqual(both.metadata, {"a": "1", "b": "2"})

        only_b = client.resources.update(created.id, metadata={"a": None})
        self.assertEqual(only_b.metadata, {"b": "2"})

        cleared = client.resources.update(created.id, metadata=None)
        self.assertEqual(cleared.metadata, {})
        self.assertEqual((cleared.name, cleared.description), (created.name, "kept"))
        self.assertEqual(client.resources.retrieve(created.id).metadata, {})

    def test_list_and_iterate_across_pages(self) -> None:
        client = root_client()
        created = [client.resources.create(name=unique("page item %d" % i)).id for i in range(7)]
        mine = set(created)
        newest_first = list(reversed(created))

        first = client.resources.list(limit=3)
        self.assertEqual(len(first.data), 3)
        self.assertTrue(first.has_more)
        self.assertEqual(first.url, "/v1/resources")
        self.assertEqual([r.id for r in first.data], newest_first[:3])
        second = client.resources.list(limit=3, starting_after=first.data[-1].id)
        self.assertEqual([r.id for r in second.data], newest_first[3:6])

        walked = [r.id for r in client.resources.iter(limit=3)]
        self.assertEqual(len(walked), len(set(walked)))
        self.assertEqual([i for i in walked if i in mine], newest_first)

        # Towards newer objects from the oldest of ours: the rest, oldest first.
        self.assertEqual([r.id for r in client.resources.iter(limit=2, ending_before=created[0])], created[1:])

        with self.assertRaises(docsapi.InvalidRequestError) as caught:
            client.resources.list(starting_after="res_doesnotexist0000")
        self.assertEqual((caught.exception.code, caught.exception.param), ("parameter_invalid", "starting_after"))

    def test_seed_snippet(self) -> None:
        self.assertEqual(run_seed_snippet(root_client()), "Missing: name\n")

    def test_calls_reuse_one_kept_alive_connection(self) -> None:
        def idle_port(client: docsapi.Client) -> int:
            (conn,) = client._requester._idle
            assert conn.sock is not None
            port: int = conn.sock.getsockname()[1]
            return port

        with root_client() as client:
            created = client.resources.create(name=unique("keep-alive"))
            ports = {idle_port(client)}
            client.resources.update(created.id, description="d")
            ports.add(idle_port(client))
            with self.assertRaises(docsapi.InvalidRequestError):
                client.resources.retrieve("res_doesnotexist0000")
            ports.add(idle_port(client))
            client.resources.delete(created.id)
            ports.add(idle_port(client))
        self.assertEqual(len(ports), 1)
        self.assertEqual(client._requester._idle, [])

    def test_unknown_id_is_404(self) -> None:
        with self.assertRaises(docsapi.InvalidRequestError) as caught:
            root_client().resources.retrieve("res_doesnotexist0000")
        err = caught.exception
        self.assertEqual((err.http_status, err.type, err.code), (404, "invalid_request_error", "resource_missing"))
        self.assertRegex(err.request_id or "", REQUEST_ID)
        self.assertEqual(err.headers["Request-Id"], err.request_id)

    def test_bad_key_is_401_and_not_retried(self) -> None:
        with FaultServer(default=Forward(server().addr)) as proxy:
            client = docsapi.Client("sk_live_" + "0" * 32, base_url=proxy.url)
            with self.assertRaises(docsapi.AuthenticationError) as caught:
                client.resources.list()
        self.assertEqual(len(proxy.requests), 1)
        err = caught.exception
        self.assertEqual((err.http_status, err.type, err.code), (401, "authentication_error", "authentication_failed"))
        self.assertRegex(err.request_id or "", REQUEST_ID)

    def test_response_lost_after_commit_replays(self) -> None:
        name = unique("lost response")
        with FaultServer(Forward(server().addr, drop=True), default=Forward(server().addr)) as proxy:
            client = docsapi.Client(server().root_key, base_url=proxy.url)
            client._requester.sleep = lambda seconds: None
            resource = client.resources.create(name=name)
        self.assertEqual(len(proxy.requests), 2)
        key = proxy.requests[0].headers["Idempotency-Key"]
        self.assertEqual(proxy.requests[1].headers["Idempotency-Key"], key)

        direct = root_client()
        matching = [r for r in direct.resources.iter(limit=100) if r.name == name]
        self.assertEqual([r.id for r in matching], [resource.id])

        # The server's log shows the work once and the replay once.
        logged = [e for e in direct.requests.iter(limit=100) if e.idempotency_key == key]
        self.assertEqual(sorted(e.idempotent_replayed for e in logged), [False, True])

    def test_idempotency_key_replays_and_conflicts(self) -> None:
        client = root_client()
        key = "python-" + uuid.uuid4().hex
        name = unique("idempotent")
        first = client.resources.create(name=name, idempotency_key=key)
        self.assertEqual(client.resources.create(name=name, idempotency_key=key), first)
        with self.assertRaises(docsapi.IdempotencyError) as caught:
            client.resources.create(name=name + " changed", idempotency_key=key)
        self.assertEqual((caught.exception.http_status, caught.exception.param), (409, "Idempotency-Key"))

    def test_api_keys(self) -> None:
        client = root_client()
        key = client.api_keys.create(name=unique("ci"), scopes=["resources:read"], rate_limit=50)
        self.assertTrue(key.id.startswith("key_"))
        self.assertTrue(key.secret and key.secret.startswith("sk_live_") and key.secret.startswith(key.prefix))
        self.assertEqual((key.scopes, key.rate_limit, key.revoked_at), (["resources:read"], 50, None))

        fetched = client.api_keys.retrieve(key.id)
        self.assertEqual((fetched.id, fetched.name, fetched.scopes), (key.id, key.name, key.scopes))
        self.assertIsNone(fetched.secret)
        self.assertIn(key.id, [k.id for k in client.api_keys.iter(limit=1)])
        self.assertEqual(client.api_keys.list(limit=1).data[0].id, key.id)

        assert key.secret is not None
        limited = docsapi.Client(key.secret, base_url=server().url)
        limited.resources.list(limit=1)
        with self.assertRaises(docsapi.PermissionError) as caught:
            limited.resources.create(name="not allowed")
        self.assertEqual((caught.exception.http_status, caught.exception.code), (403, "permission_denied"))

        revoked = client.api_keys.delete(key.id)
        self.assertEqual(revoked.id, key.id)
        self.assertIsNotNone(revoked.revoked_at)
        deadline = time.monotonic() + 2  # the contract allows up to 1 s
        while True:
            try:
                limited.resources.list(limit=1)
            except docsapi.AuthenticationError:
                break
            self.assertLess(time.monotonic(), deadline, "revoked key still accepted")
            time.sleep(0.1)

    def test_rate_limit_waits_for_retry_after(self) -> None:
        key = root_client().api_keys.create(name=unique("slow"), scopes=["resources:read"], rate_limit=1)
        assert key.secret is not None
        with FaultServer(default=Forward(server().addr)) as proxy:
            client = docsapi.Client(key.secret, base_url=proxy.url)
            client.resources.list(limit=1)
            started = time.monotonic()
            client.resources.list(limit=1)  # refused with 429 first, then let through
            elapsed = time.monotonic() - started
        self.assertEqual(len(proxy.requests), 3)
        self.assertGreaterEqual(elapsed, 1.0)

        no_retries = docsapi.Client(key.secret, base_url=server().url, max_retries=0)
        with self.assertRaises(docsapi.RateLimitError) as caught:
            no_retries.resources.list(limit=1)
            no_retries.resources.list(limit=1)
        err = caught.exception
        self.assertEqual((err.http_status, err.code), (429, "rate_limit_exceeded"))
        self.assertGreaterEqual(int(err.headers["Retry-After"]), 1)

    def test_request_log_traces_an_error(self) -> None:
        client = root_client()
        with self.assertRaises(docsapi.InvalidRequestError) as caught:
            client.resources.create(name="")
        request_id = caught.exception.request_id
        assert request_id is not None
        entry = client.requests.retrieve(request_id)
        self.assertEqual(
            (entry.id, entry.object, entry.method, entry.path, entry.status, entry.error_code),
            (request_id, "request", "POST", "/v1/resources", 400, "parameter_missing"),
        )
        self.assertIn(request_id, [e.id for e in client.requests.list(status="4xx", limit=100).data])
        self.assertIn(request_id, [e.id for e in client.requests.list(status=400, limit=100).data])
        self.assertNotIn(request_id, [e.id for e in client.requests.list(status="5xx", limit=100).data])
        by_code = client.requests.list(status="parameter_missing", limit=100).data
        self.assertIn(request_id, [e.id for e in by_code])
        self.assertEqual({e.error_code for e in by_code}, {"parameter_missing"})

    def test_limit_zero_is_sent_and_refused(self) -> None:
        with self.assertRaises(docsapi.InvalidRequestError) as caught:
            root_client().resources.list(limit=0)
        err = caught.exception
        self.assertEqual((err.http_status, err.code, err.param), (400, "parameter_invalid", "limit"))

    def test_last_response_of_a_success(self) -> None:
        client = root_client()
        created = client.resources.create(name=unique("Last response"))
        response = created.last_response
        assert response is not None
        self.assertEqual(response.http_status, 201)
        self.assertRegex(response.request_id or "", REQUEST_ID)
        self.assertEqual(response.headers["request-id"], response.request_id)
        entry = client.requests.retrieve(response.request_id or "")
        self.assertEqual((entry.method, entry.status), ("POST", 201))


if __name__ == "__main__":
    unittest.main()
