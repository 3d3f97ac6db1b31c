"""The shared vectors in clients/testdata, read by all three client suites."""

import json
import os
import unittest
from typing import Any, Callable, Dict, List
from unittest import mock
from urllib.parse import parse_qsl, urlsplit

from _support import (
    TESTDATA,
    FaultServer,
    Headers,
    Reset,
    Respond,
    error_body,
    list_json,
    load_vectors,
    no_sleep_client,
    resource_json,
)

import docsapi
from docsapi._errors import error_from_response
from docsapi._retry import retry_delay, should_retry

ERROR_CASES = load_vectors("errors.json")
RETRY_CASES = load_vectors("retries.json")
PAGINATION_CASES = load_vectors("pagination.json")
UPDATE_CASES = load_vectors("update_bodies.json")
CONNECTION_CASES = load_vectors("connection_errors.json")
LOCAL_CASES = load_vectors("local_errors.json")
ENVIRONMENT_CASES = load_vectors("environment.json")
RESPONSE_CASES = load_vectors("responses.json")
LIST_QUERY_CASES = load_vectors("list_queries.json")
REQUEST_LOG_CASES = load_vectors("request_log.json")
FIELDS = ("type", "code", "param", "message", "request_id", "http_status", "doc_url")
# Every DOCSAPI_ variable removed, for tests of what the environment does.
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("DOCSAPI_")}


class ErrorVectorsTest(unittest.TestCase):
    def test_every_case(self) -> None:
        self.assertGreater(len(ERROR_CASES), 0)
        for case in ERROR_CASES:
            with self.subTest(case["name"]):
                headers = Headers(case["headers"])
                err = error_from_response(case["status"], headers, case["body"].encode("utf-8"))
                expect = case["expect"]
                self.assertIs(type(err), getattr(docsapi, expect["class"]))
                self.assertIsInstance(err, docsapi.DocsAPIError)
                for name in FIELDS:
                    self.assertEqual(getattr(err, name), expect[name], name)
                self.assertEqual(dict(err.headers), case["headers"])
                self.assertEqual(str(err), expect["string"])


class RetryVectorsTest(unittest.TestCase):
    def test_every_case(self) -> None:
        self.assertGreater(len(RETRY_CASES), 0)
        for case in RETRY_CASES:
            # The jitter's two extremes (random() is in [0, 1)) and its middle.
            for rand in (0.0, 0.5, 0.999999):
                with self.subTest(case["name"], rand=rand):
                    headers = Headers(case["headers"])
                    expect = case["expect"]
                    retry = should_retry(case["status"], headers, case["retries_done"], case["max_retries"])
                    self.assertEqual(retry, expect["retry"])
                    if retry:
                        delay = retry_delay(headers, case["retries_done"], rand)
                        self.assertGreaterEqual(delay, expect["min_delay"])
                        self.assertLessEqual(delay, expect["max_delay"])


class PaginationVectorsTest(unittest.TestCase):
    def test_every_case(self) -> None:
        self.assertGreater(len(PAGINATION_CASES), 0)
        for case in PAGINATION_CASES:
            with self.subTest(case["name"]):
                pages = [
                    Respond(200, list_json([resource_json(id_) for id_ in page["ids"]], page["has_more"]))
                    for page in case["pages"]
                ]
                # A request past the vector's pages fails the walk (and the test).
                beyond = Respond(400, error_body("invalid_request_error", "parameter_invalid", "No more pages in the vector."))
                with FaultServer(*pages, default=beyond) as server:
                    client, _ = no_sleep_client(server.url, max_retries=0)
                    walk = client.resources.iter(**case["params"])
                    ids: List[str] = []
                    for resource in walk:
                        ids.append(resource.id)
                        if len(ids) == case.get("stop_after"):
                            break
                    requests = list(server.requests)
                self.assertEqual(ids, case["expect"]["ids"])
                queries: List[List[str]] = []
                for request in requests:
                    self.assertEqual((request.method, urlsplit(request.path).path), ("GET", "/v1/resources"))
                    pairs = parse_qsl(urlsplit(request.path).query, keep_blank_values=True)
                    queries.append(sorted("%s=%s" % pair for pair in pairs))
                self.assertEqual(queries, [sorted(q) for q in case["expect"]["queries"]])



class UpdateBodyVectorsTest(unittest.TestCase):
    def test_every_case(self) -> None:
        self.assertGreater(len(UPDATE_CASES), 0)
        for case in UPDATE_CASES:
            with self.subTest(case["name"]):
                # The neutral case maps one to one onto keyword arguments: a
                # field given is passed (JSON null as None), a field absent is
                # left out, i.e. NOT_GIVEN.
                kwargs = dict(case["set"])
                self.assertLessEqual(set(kwargs), {"name", "description", "metadata"})
                with FaultServer(Respond(200, resource_json())) as server:
                    client, _ = no_sleep_client(server.url, max_retries=0)
                    client.resources.update("res_1", **kwargs)
                (recorded,) = server.requests
                self.assertEqual((recorded.method, recorded.path), ("PATCH", "/v1/resources/res_1"))
                self.assertEqual(recorded.json(), case["body"])


def _call(client: docsapi.Client, call: str, id_: str = "", **options: Any) -> Any:
    """Make the call a vector names, with fixed arguments."""
    calls: Dict[str, Callable[[], Any]] = {
        "resources.create": lambda: client.resources.create(name="x", **options),
        "resources.retrieve": lambda: client.resources.retrieve(id_),
        "resources.update": lambda: client.resources.update(id_, name="x", **options),
        "resources.delete": lambda: client.resources.delete(id_, **options),
        "resources.list": lambda: client.resources.list(),
        "api_keys.create": lambda: client.api_keys.create(name="ci", scopes=["resources:read"], **options),
        "api_keys.retrieve": lambda: client.api_keys.retrieve(id_),
        "api_keys.delete": lambda: client.api_keys.delete(id_, **options),
        "api_keys.list": lambda: client.api_keys.list(),
        "requests.retrieve": lambda: client.requests.retrieve(id_),
    }
    return calls[call]()


class ConnectionErrorVectorsTest(unittest.TestCase):
    def test_every_case(self) -> None:
        self.assertGreater(len(CONNECTION_CASES), 0)
        for case in CONNECTION_CASES:
            with self.subTest(case["name"]):
                fault = case["fault"]
                action = {"reset": Reset(), "timeout": Respond(200, resource_json(), delay=0.5)}.get(fault)
                with FaultServer(default=action) as server:
                    if fault != "refused":
                        client, _ = no_sleep_client(server.url, max_retries=0, timeout=0.1)
                        with self.assertRaises(docsapi.DocsAPIError) as caught:
                            client.resources.retrieve("res_1")
                if fault == "refused":  # nothing listens on the closed server's port any more
                    client, _ = no_sleep_client(server.url, max_retries=0, timeout=0.1)
                    with self.assertRaises(docsapi.DocsAPIError) as caught:
                        client.resources.retrieve("res_1")
                err = caught.exception
                expect = case["expect"]
                self.assertIs(type(err), getattr(docsapi, expect["class"]))
                for name in FIELDS:
                    self.assertEqual(getattr(err, name), expect[name], name)
                self.assertTrue(str(err).startswith(expect["string_prefix"]), str(err))
                self.assertTrue(str(err).endswith(")"), str(err))
                self.assertIsNotNone(err.__cause__)


class LocalErrorVectorsTest(unittest.TestCase):
    def test_every_case(self) -> None:
        self.assertGreater(len(LOCAL_CASES), 0)
        for case in LOCAL_CASES:
            with self.subTest(case["name"]), mock.patch.dict(os.environ, CLEAN_ENV, clear=True):
                with FaultServer(default=Respond(200, resource_json())) as server:
                    if "api_key" in case:
                        client = docsapi.Client(case["api_key"], base_url=server.url)
                    else:
                        client, _ = no_sleep_client(server.url, max_retries=0)
                    options = {}
                    if "idempotency_key" in case:
                        options["idempotency_key"] = case["idempotency_key"]
                    with self.assertRaises(docsapi.DocsAPIError) as caught:
                        _call(client, case["call"], case.get("id", ""), **options)
                self.assertEqual(server.requests, [])
                err, expect = caught.exception, case["expect"]
                self.assertIs(type(err), getattr(docsapi, expect["class"]))
                for name in FIELDS:
                    self.assertEqual(getattr(err, name), expect[name], name)


class EnvironmentVectorsTest(unittest.TestCase):
    def test_every_case(self) -> None:
        self.assertGreater(len(ENVIRONMENT_CASES), 0)
        for case in ENVIRONMENT_CASES:
            with self.subTest(case["name"]):
                with FaultServer(Respond(200, list_json([], False))) as server:
                    env = dict(CLEAN_ENV, **{k: v.replace("{server}", server.url) for k, v in case["env"].items()})
                    given = {k: v.replace("{server}", server.url) for k, v in case["given"].items()}
                    with mock.patch.dict(os.environ, env, clear=True):
                        client = docsapi.Client(given.get("api_key"), base_url=given.get("base_url"), max_retries=0)
                    client.resources.list()
                (recorded,) = server.requests
                self.assertEqual(recorded.headers["Authorization"], case["expect"]["authorization"])


class UserAgentVectorTest(unittest.TestCase):
    def test_header(self) -> None:
        with open(TESTDATA / "user_agent.json", encoding="utf-8") as f:
            vector = json.load(f)
        with FaultServer(Respond(200, resource_json())) as server:
            client, _ = no_sleep_client(server.url)
            client.resources.retrieve("res_1")
        user_agent = server.requests[0].headers["User-Agent"]
        library = vector["libraries"]["python"]
        self.assertRegex(user_agent, vector["pattern"])
        self.assertTrue(user_agent.startswith("%s%s %s" % (library["prefix"], docsapi.__version__, library["runtime"])))


class ResponseVectorsTest(unittest.TestCase):
    def test_every_case(self) -> None:
        self.assertGreater(len(RESPONSE_CASES), 0)
        ids = {"resources": "res_1", "api_keys": "key_1", "requests": "req_L0gEntry001"}
        for case in RESPONSE_CASES:
            with self.subTest(case["name"]):
                with FaultServer(Respond(case["status"], case["body"], case["headers"])) as server:
                    client, _ = no_sleep_client(server.url, max_retries=0)
                    result = _call(client, case["call"], ids[case["call"].split(".")[0]])
                response, expect = result.last_response, case["expect"]
                self.assertIsInstance(response, docsapi.APIResponse)
                self.assertEqual((response.http_status, response.request_id), (expect["http_status"], expect["request_id"]))
                for name, value in expect["headers"].items():
                    self.assertEqual(response.headers[name.lower()], value, name)
                for item in getattr(result, "data", []):
                    self.assertIsNone(item.last_response)


class ListQueryVectorsTest(unittest.TestCase):
    def test_every_case(self) -> None:
        self.assertGreater(len(LIST_QUERY_CASES), 0)
        for case in LIST_QUERY_CASES:
            with self.subTest(case["name"]):
                with FaultServer(Respond(200, list_json([], False))) as server:
                    client, _ = no_sleep_client(server.url, max_retries=0)
                    getattr(client, case["list"]).list(**case["params"])
                (recorded,) = server.requests
                pairs = parse_qsl(urlsplit(recorded.path).query, keep_blank_values=True)
                self.assertEqual(sorted("%s=%s" % pair for pair in pairs), sorted(case["query"]))


class RequestLogVectorsTest(unittest.TestCase):
    def test_every_case(self) -> None:
        self.assertGreater(len(REQUEST_LOG_CASES), 0)
        for case in REQUEST_LOG_CASES:
            with self.subTest(case["name"]):
                with FaultServer(Respond(200, case["body"])) as server:
                    client, _ = no_sleep_client(server.url, max_retries=0)
                    entry = client.requests.retrieve("req_L0gEntry001")
                expect = case["expect"]
                if expect["error"] is None:
                    self.assertIsNone(entry.error)
                else:
                    self.assertEqual(entry.error, docsapi.RequestLogError(**expect["error"]))
                self.assertEqual((entry.ip, entry.user_agent, entry.source), (expect["ip"], expect["user_agent"], expect["source"]))


if __name__ == "__main__":
    unittest.main()
