"""The shared vectors in clients/testdata, read by all three client suites."""

import unittest

from _support import Headers, load_vectors

import docsapi
from docsapi._errors import error_from_response
from docsapi._retry import retry_delay, should_retry

ERROR_CASES = load_vectors("errors.json")
RETRY_CASES = load_vectors("retries.json")
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


if __name__ == "__main__":
    unittest.main()
