// The shared error vectors, each served over HTTP by the fault server.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import * as docsapi from "../dist/index.js";
import { loadTestdata, startFaultServer } from "./support.js";

const { cases } = await loadTestdata("errors.json");

let server;
before(async () => {
  // Each request names its case in the query string; the server answers with that case.
  server = await startFaultServer((req) => {
    const c = cases[Number(new URL(req.url, "http://x").searchParams.get("limit")) - 1];
    return { status: c.status, headers: c.headers, body: c.body };
  });
});
after(() => server.close());

cases.forEach((c, i) => {
  test(`errors.json: ${c.name}`, async () => {
    const client = new docsapi.Client({ apiKey: "sk_test", baseURL: server.url, maxRetries: 0 });
    const err = await client.resources.list({ limit: i + 1 }).then(
      () => assert.fail("the call succeeded"),
      (e) => e,
    );
    const cls = docsapi[c.expect.class];
    assert.ok(err instanceof cls, `got ${err.constructor.name}, want ${c.expect.class}`);
    assert.ok(err instanceof docsapi.DocsAPIError);
    assert.ok(err instanceof Error);
    assert.equal(err.constructor, cls, "the most specific class, not a subclass");
    assert.equal(err.name, c.expect.class);
    assert.equal(err.type, c.expect.type);
    assert.equal(err.code, c.expect.code);
    assert.equal(err.param, c.expect.param);
    assert.equal(err.message, c.expect.message);
    assert.equal(err.requestId, c.expect.request_id);
    assert.equal(err.httpStatus, c.expect.http_status);
    assert.equal(err.docUrl, c.expect.doc_url);
    assert.equal(String(err), `${c.expect.class}: ${c.expect.string}`);
    assert.ok(err.headers instanceof Headers);
    for (const [name, value] of Object.entries(c.headers)) assert.equal(err.headers.get(name), value, name);
  });
});

test("an error's request id falls back to the Request-Id header", async () => {
  const fallback = await startFaultServer([
    { status: 400, headers: { "Request-Id": "req_FromHeader1" }, body: { error: { type: "invalid_request_error", code: "parameter_invalid", message: "Bad." } } },
  ]);
  try {
    const client = new docsapi.Client({ apiKey: "sk_test", baseURL: fallback.url });
    await assert.rejects(client.resources.retrieve("res_1"), {
      name: "InvalidRequestError",
      requestId: "req_FromHeader1",
      message: "Bad.",
    });
  } finally {
    await fallback.close();
  }
});
