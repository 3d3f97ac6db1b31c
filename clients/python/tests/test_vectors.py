"""The shared vectors in clients/testdata, read by all three client suites."""

import unittest
from typing import List
from urllib.parse import parse_qsl, urlsplit

from _support import FaultServer, Headers, Respond, error_body, list_json, load_vectors, no_sleep_client, resource_json

import docsapi
from docsapi._errors import error_from_response
from docsapi._retry import retry_delay, should_retry

ERROR_CASES = load_vectors("errors.json")
RETRY_CASES = load_vectors("retries.json")
PAGINATION_CASES = load_vectors("pagination.json")
UPDATE_CASES = load_vectors("update_bodies.json")
FIELDS = ("type", "code", "param", "message", "request_id", "http_status")


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
                self.assertIn(expect["message"], str(err))


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


if __name__ == "__main__":
    unittest.main()
