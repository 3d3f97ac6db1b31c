// Client behaviour against the fault-injecting server: retries, idempotency keys, cancellation,
// timeouts, pagination and the wire format of each method.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";

import {
  APIConnectionError,
  APIError,
  AuthenticationError,
  Client,
  IdempotencyError,
  InvalidRequestError,
  PermissionError,
  RateLimitError,
  VERSION,
} from "../dist/index.js";
import { clientDir, isUUIDv4, recordingSleep, startFaultServer } from "./support.js";

const resource = {
  id: "res_1",
  object: "resource",
  name: "Quarterly report",
  description: null,
  metadata: {},
  created_at: "2026-11-24T21:09:48Z",
  updated_at: "2026-11-24T21:09:48Z",
};
const created = { status: 201, body: resource };

function errorStep(status, type, code, headers = {}) {
  return { status, headers, body: { error: { type, code, message: `HTTP ${status}.`, request_id: "req_Test000001" } } };
}

/** Runs fn(client, server) against a fault server playing `steps`; backoff waits are recorded, not slept. */
async function withServer(steps, fn, clientOptions = {}) {
  const server = await startFaultServer(steps);
  const { sleep, waits } = recordingSleep();
  try {
    const client = new Client({ apiKey: "sk_test_key", baseURL: server.url, sleep, random: () => 0, ...clientOptions });
    await fn(client, server, waits);
  } finally {
    await server.close();
  }
}

describe("retries", () => {
  test("500 then 201: one call, two requests, one Idempotency-Key", () =>
    withServer([errorStep(500, "api_error", "api_error"), created], async (client, server, waits) => {
      const r = await client.resources.create({ name: "Quarterly report" });
      assert.deepEqual(r, resource);
      assert.equal(server.requests.length, 2);
      const [first, second] = server.requests;
      assert.ok(isUUIDv4(first.headers["idempotency-key"]), first.headers["idempotency-key"]);
      assert.equal(second.headers["idempotency-key"], first.headers["idempotency-key"]);
      assert.equal(second.body, first.body);
      assert.deepEqual(waits, [500]);
    }));

  test("429 with Retry-After: 1 waits at least 1 s, then succeeds", async () => {
    const server = await startFaultServer([errorStep(429, "rate_limit_error", "rate_limit_exceeded", { "Retry-After": "1" }), created]);
    try {
      // The real sleep, on purpose: this is the one test that shows the wait happens.
      const client = new Client({ apiKey: "sk_test_key", baseURL: server.url });
      const started = performance.now();
      const r = await client.resources.create({ name: "Quarterly report" });
      assert.ok(performance.now() - started >= 1000, `took ${performance.now() - started} ms`);
      assert.equal(r.id, "res_1");
      assert.equal(server.requests.length, 2);
    } finally {
      await server.close();
    }
  });

  test("429 with Retry-After: 120 raises RateLimitError at once", () =>
    withServer([errorStep(429, "rate_limit_error", "rate_limit_exceeded", { "Retry-After": "120" }), created], async (client, server, waits) => {
      const err = await client.resources.create({ name: "x" }).catch((e) => e);
      assert.ok(err instanceof RateLimitError);
      assert.equal(err.headers.get("retry-after"), "120");
      assert.equal(server.requests.length, 1);
      assert.deepEqual(waits, []);
    }));

  for (const [status, type, code, cls] of [
    [400, "invalid_request_error", "parameter_invalid", InvalidRequestError],
    [401, "authentication_error", "authentication_failed", AuthenticationError],
    [403, "permission_error", "permission_denied", PermissionError],
    [404, "invalid_request_error", "resource_missing", InvalidRequestError],
    [409, "idempotency_error", "idempotency_conflict", IdempotencyError],
  ]) {
    test(`${status} is not retried`, () =>
      withServer([errorStep(status, type, code, { "Retry-After": "1" }), created], async (client, server, waits) => {
        await assert.rejects(client.resources.update("res_1", { name: "y" }), (err) => {
          assert.ok(err instanceof cls);
          assert.equal(err.httpStatus, status);
          assert.equal(err.code, code);
          return true;
        });
        assert.equal(server.requests.length, 1);
        assert.deepEqual(waits, []);
      }));
  }

  test("a reset connection is retried", () =>
    withServer([{ reset: true }, created], async (client, server, waits) => {
      assert.equal((await client.resources.create({ name: "x" })).id, "res_1");
      assert.equal(server.requests.length, 2);
      assert.equal(server.requests[1].headers["idempotency-key"], server.requests[0].headers["idempotency-key"]);
      assert.deepEqual(waits, [500]);
    }));

  test("a connection reset every time ends in APIConnectionError", () =>
    withServer([{ reset: true }], async (client, server, waits) => {
      const err = await client.resources.create({ name: "x" }).catch((e) => e);
      assert.ok(err instanceof APIConnectionError, String(err));
      assert.equal(err.message, "Could not get a response from the API.");
      assert.ok(err.cause, "keeps the underlying error as cause");
      assert.equal(err.httpStatus, null);
      assert.equal(err.code, null);
      assert.equal(server.requests.length, 3);
      assert.deepEqual(waits, [500, 1000]);
    }));

  test("a connection dropped in the middle of the body is a connection error, retried", () =>
    withServer([{ partial: true }, { status: 200, body: resource }], async (client, server) => {
      assert.equal((await client.resources.retrieve("res_1")).id, "res_1");
      assert.equal(server.requests.length, 2);
    }));

  test("a refused connection is retried, then raised as APIConnectionError", async () => {
    const server = await startFaultServer([created]);
    await server.close(); // nothing listens on this port any more
    const { sleep, waits } = recordingSleep();
    const client = new Client({ apiKey: "sk_test_key", baseURL: server.url, sleep, random: () => 0 });
    const err = await client.resources.retrieve("res_1").catch((e) => e);
    assert.ok(err instanceof APIConnectionError, String(err));
    assert.match(String(err), /ECONNREFUSED/);
    assert.deepEqual(waits, [500, 1000]);
  });

  test("maxRetries is configurable; 0 disables retries", async () => {
    for (const [maxRetries, wantRequests, wantWaits] of [
      [0, 1, []],
      [1, 2, [500]],
      [5, 6, [500, 1000, 2000, 4000, 8000]],
    ]) {
      await withServer(
        [errorStep(503, "api_error", "api_error")],
        async (client, server, waits) => {
          await assert.rejects(client.resources.create({ name: "x" }), APIError);
          assert.equal(server.requests.length, wantRequests, `maxRetries ${maxRetries}`);
          assert.deepEqual(waits, wantWaits, `maxRetries ${maxRetries}`);
        },
        { maxRetries },
      );
    }
  });

  test("jitter comes from the random source", () =>
    withServer(
      [errorStep(500, "api_error", "api_error"), errorStep(500, "api_error", "api_error"), created],
      async (client, _server, waits) => {
        await client.resources.create({ name: "x" });
        assert.deepEqual(waits, [437.5, 875]);
      },
      { random: () => 0.5 },
    ));

  test("a 5xx with a non-JSON body is retried, then raised as APIError with the status", () =>
    withServer([{ status: 502, headers: { "Content-Type": "text/html" }, body: "<h1>Bad Gateway</h1>" }], async (client, server) => {
      const err = await client.resources.list().catch((e) => e);
      assert.ok(err instanceof APIError);
      assert.equal(err.httpStatus, 502);
      assert.equal(err.message, "Unexpected response from the API (HTTP 502).");
      assert.equal(server.requests.length, 3);
    }));

  test("the timeout bounds each attempt and counts as a connection failure", () =>
    withServer(
      [{ hang: true }],
      async (client, server) => {
        const started = performance.now();
        const err = await client.resources.retrieve("res_1").catch((e) => e);
        assert.ok(err instanceof APIConnectionError, String(err));
        assert.equal(err.message, "The API did not respond within the timeout.");
        assert.equal(server.requests.length, 2);
        assert.ok(performance.now() - started < 2000);
      },
      { timeout: 100, maxRetries: 1 },
    ));
});

describe("idempotency keys and headers", () => {
  test("the caller's Idempotency-Key is sent on every attempt", () =>
    withServer([errorStep(500, "api_error", "api_error"), { reset: true }, created], async (client, server) => {
      await client.resources.create({ name: "x" }, { idempotencyKey: "order-42" });
      assert.deepEqual(
        server.requests.map((r) => r.headers["idempotency-key"]),
        ["order-42", "order-42", "order-42"],
      );
    }));

  test("every POST, PATCH and DELETE gets its own key; GET gets none", () =>
    withServer([{ status: 200, body: resource }], async (client, server) => {
      await client.resources.create({ name: "x" });
      await client.resources.create({ name: "x" });
      await client.resources.update("res_1", { name: "y" });
      await client.resources.delete("res_1");
      await client.apiKeys.delete("key_1");
      await client.resources.retrieve("res_1");
      await client.resources.list();
      const keys = server.requests.map((r) => r.headers["idempotency-key"]);
      assert.ok(keys.slice(0, 5).every(isUUIDv4), keys.join());
      assert.equal(new Set(keys.slice(0, 5)).size, 5);
      assert.deepEqual(keys.slice(5), [undefined, undefined]);
    }));

  test("every request carries the key, the User-Agent and JSON headers", () =>
    withServer([{ status: 200, body: resource }], async (client, server) => {
      await client.resources.create({ name: "x" });
      await client.resources.retrieve("res_1");
      for (const { headers } of server.requests) {
        assert.equal(headers.authorization, "Bearer sk_test_key");
        assert.match(headers["user-agent"], /^docsapi-typescript\/0\.1\.0 node\/\d+/);
        assert.equal(headers.accept, "application/json");
      }
      assert.equal(server.requests[0].headers["content-type"], "application/json");
      assert.equal(server.requests[1].headers["content-type"], undefined);
    }));

  test("the package resolves by its name to the compiled build", async () => {
    const byName = await import("docsapi");
    assert.equal(byName.Client, Client);
    assert.equal(byName.default, Client);
  });

  test("VERSION matches package.json", async () => {
    const pkg = JSON.parse(await readFile(join(clientDir, "package.json"), "utf8"));
    assert.equal(VERSION, pkg.version);
  });
});

describe("cancellation", () => {
  test("aborting stops an in-flight request at once with an AbortError", () =>
    withServer([{ hang: true }], async (client, server, waits) => {
      const controller = new AbortController();
      const started = performance.now();
      setTimeout(() => controller.abort(), 50);
      await assert.rejects(client.resources.create({ name: "x" }, { signal: controller.signal }), { name: "AbortError" });
      assert.ok(performance.now() - started < 1000);
      assert.equal(server.requests.length, 1);
      assert.deepEqual(waits, []);
    }));

  test("the abort reason is what the call rejects with", () =>
    withServer([{ hang: true }], async (client) => {
      const controller = new AbortController();
      const reason = new Error("user navigated away");
      setTimeout(() => controller.abort(reason), 20);
      await assert.rejects(client.resources.retrieve("res_1", { signal: controller.signal }), (err) => err === reason);
    }));

  test("aborting during the backoff wait stops at once, without another attempt", async () => {
    const server = await startFaultServer([errorStep(503, "api_error", "api_error", { "Retry-After": "30" }), created]);
    try {
      const client = new Client({ apiKey: "sk_test_key", baseURL: server.url }); // the real sleep
      const controller = new AbortController();
      const started = performance.now();
      setTimeout(() => controller.abort(), 100);
      await assert.rejects(client.resources.create({ name: "x" }, { signal: controller.signal }), { name: "AbortError" });
      assert.ok(performance.now() - started < 1000, `took ${performance.now() - started} ms`);
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });

  test("an already aborted signal sends nothing", () =>
    withServer([created], async (client, server) => {
      await assert.rejects(client.resources.create({ name: "x" }, { signal: AbortSignal.abort() }), { name: "AbortError" });
      assert.equal(server.requests.length, 0);
    }));

  test("a timed-out signal rejects with its TimeoutError, not a retry", () =>
    withServer([{ hang: true }], async (client, server, waits) => {
      await assert.rejects(client.resources.list({}, { signal: AbortSignal.timeout(50) }), { name: "TimeoutError" });
      assert.equal(server.requests.length, 1);
      assert.deepEqual(waits, []);
    }));
});

describe("pagination", () => {
  // 25 objects, newest first, served with the contract's cursor semantics.
  const all = Array.from({ length: 25 }, (_, i) => ({ ...resource, id: `res_${String(25 - i).padStart(2, "0")}` }));
  function listServer(req) {
    const q = new URL(req.url, "http://x").searchParams;
    const limit = Number(q.get("limit") ?? 10);
    let start = 0;
    let end = all.length;
    if (q.has("starting_after")) start = all.findIndex((r) => r.id === q.get("starting_after")) + 1;
    if (q.has("ending_before")) {
      end = all.findIndex((r) => r.id === q.get("ending_before"));
      start = Math.max(0, end - limit);
    }
    const data = all.slice(start, Math.min(end, start + limit));
    const hasMore = q.has("ending_before") ? start > 0 : start + limit < end;
    return { status: 200, body: { object: "list", data, has_more: hasMore, url: "/v1/resources" } };
  }

  test("for await walks every page, following has_more", () =>
    withServer(listServer, async (client, server) => {
      const ids = [];
      for await (const r of client.resources.list({ limit: 10 })) ids.push(r.id);
      assert.deepEqual(ids, all.map((r) => r.id));
      assert.deepEqual(
        server.requests.map((r) => r.url),
        ["/v1/resources?limit=10", "/v1/resources?limit=10&starting_after=res_16", "/v1/resources?limit=10&starting_after=res_06"],
      );
    }));

  test("awaiting list() fetches one page", () =>
    withServer(listServer, async (client, server) => {
      const page = await client.resources.list({ limit: 3, starting_after: "res_20" });
      assert.equal(page.object, "list");
      assert.deepEqual(page.data.map((r) => r.id), ["res_19", "res_18", "res_17"]);
      assert.equal(page.has_more, true);
      assert.equal(server.requests.length, 1);
    }));

  test("nothing is sent until the list is awaited or iterated, and the first page is fetched once", () =>
    withServer(listServer, async (client, server) => {
      const list = client.resources.list({ limit: 20 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(server.requests.length, 0);
      const page = await list;
      let n = 0;
      for await (const _ of list) n++;
      assert.equal(page.data.length, 20);
      assert.equal(n, 25);
      assert.equal(server.requests.length, 2);
    }));

  test("breaking out of the loop fetches no further page", () =>
    withServer(listServer, async (client, server) => {
      for await (const r of client.resources.list({ limit: 5 })) if (r.id === "res_23") break;
      assert.equal(server.requests.length, 1);
    }));

  test("with ending_before the walk goes towards newer objects", () =>
    withServer(listServer, async (client) => {
      const ids = [];
      for await (const r of client.resources.list({ limit: 4, ending_before: "res_15" })) ids.push(r.id);
      assert.deepEqual(ids, ["res_16", "res_17", "res_18", "res_19", "res_20", "res_21", "res_22", "res_23", "res_24", "res_25"]);
    }));

  test("an empty page ends the walk even if has_more says otherwise", () =>
    withServer([{ status: 200, body: { object: "list", data: [], has_more: true, url: "/v1/resources" } }], async (client, server) => {
      for await (const _ of client.resources.list()) assert.fail("no items");
      assert.equal(server.requests.length, 1);
    }));

  test("an error on a later page is thrown from the loop", () =>
    withServer(
      (req) => (req.url.includes("starting_after") ? errorStep(401, "authentication_error", "authentication_failed") : listServer(req)),
      async (client) => {
        const ids = [];
        await assert.rejects(async () => {
          for await (const r of client.resources.list()) ids.push(r.id);
        }, AuthenticationError);
        assert.equal(ids.length, 10);
      },
    ));

  test("a failed first page rejects the awaited list", () =>
    withServer([errorStep(403, "permission_error", "permission_denied")], async (client) => {
      await assert.rejects(client.apiKeys.list(), PermissionError);
      await assert.rejects(client.requests.list().catch((e) => Promise.reject(e)), PermissionError);
    }));
});

describe("methods", () => {
  const cases = [
    {
      name: "resources.create",
      call: (c) => c.resources.create({ name: "n", description: "d", metadata: { team: "finance" } }),
      method: "POST", url: "/v1/resources", body: { name: "n", description: "d", metadata: { team: "finance" } },
    },
    { name: "resources.retrieve", call: (c) => c.resources.retrieve("res_1"), method: "GET", url: "/v1/resources/res_1" },
    {
      name: "resources.update with nulls",
      call: (c) => c.resources.update("res_1", { description: null, metadata: { gone: null, also_gone: "", kept: "v" } }),
      method: "PATCH", url: "/v1/resources/res_1", body: { description: null, metadata: { gone: null, also_gone: "", kept: "v" } },
    },
    { name: "resources.delete", call: (c) => c.resources.delete("res_1"), method: "DELETE", url: "/v1/resources/res_1" },
    { name: "ids are escaped", call: (c) => c.resources.retrieve("res_1/../x?y"), method: "GET", url: "/v1/resources/res_1%2F..%2Fx%3Fy" },
    {
      name: "apiKeys.create",
      call: (c) => c.apiKeys.create({ name: "ci", scopes: ["resources:read"], rate_limit: 5 }),
      method: "POST", url: "/v1/api_keys", body: { name: "ci", scopes: ["resources:read"], rate_limit: 5 },
    },
    { name: "apiKeys.retrieve", call: (c) => c.apiKeys.retrieve("key_1"), method: "GET", url: "/v1/api_keys/key_1" },
    { name: "apiKeys.delete", call: (c) => c.apiKeys.delete("key_1"), method: "DELETE", url: "/v1/api_keys/key_1" },
    { name: "apiKeys.list", call: (c) => c.apiKeys.list({ limit: 2 }), method: "GET", url: "/v1/api_keys?limit=2" },
    { name: "requests.retrieve", call: (c) => c.requests.retrieve("req_1"), method: "GET", url: "/v1/requests/req_1" },
    { name: "requests.list by class", call: (c) => c.requests.list({ status: "4xx" }), method: "GET", url: "/v1/requests?status=4xx" },
    { name: "requests.list by code", call: (c) => c.requests.list({ status: 404, limit: 1 }), method: "GET", url: "/v1/requests?status=404&limit=1" },
    { name: "undefined params are left out", call: (c) => c.resources.list({ limit: undefined }), method: "GET", url: "/v1/resources" },
  ];
  for (const { name, call, method, url, body } of cases) {
    test(name, () =>
      withServer([{ status: 200, body: { object: "any" } }], async (client, server) => {
        assert.deepEqual(await call(client), { object: "any" });
        const [req] = server.requests;
        assert.equal(req.method, method);
        assert.equal(req.url, url);
        assert.deepEqual(body === undefined ? req.body : JSON.parse(req.body), body ?? "");
      }),
    );
  }

  test("a trailing slash on baseURL is ignored", () =>
    withServer([{ status: 200, body: resource }], async (_client, server) => {
      const client = new Client({ apiKey: "sk_test_key", baseURL: `${server.url}/` });
      await client.resources.retrieve("res_1");
      assert.equal(server.requests[0].url, "/v1/resources/res_1");
    }));

  test("an id that is not a string is a TypeError, sent nowhere (empty ids: local_errors.json)", () =>
    withServer([{ status: 200, body: resource }], async (client, server) => {
      await assert.rejects(client.requests.retrieve(undefined), TypeError);
      assert.equal(server.requests.length, 0);
    }));

  test("a 2xx body that is not JSON is an APIError, not retried", () =>
    withServer([{ status: 200, headers: { "Request-Id": "req_NotJson001" }, body: "<html>" }], async (client, server) => {
      await assert.rejects(client.resources.retrieve("res_1"), {
        name: "APIError",
        httpStatus: 200,
        requestId: "req_NotJson001",
        message: "Unexpected response from the API (HTTP 200).",
      });
      assert.equal(server.requests.length, 1);
    }));

  test("the seed snippet runs verbatim", (t) =>
    withServer(
      [{ status: 400, headers: { "Request-Id": "req_Hd92kLpQ7m" }, body: { error: { type: "invalid_request_error", code: "parameter_missing", message: "Missing required parameter: name.", param: "name", request_id: "req_Hd92kLpQ7m" } } }],
      async (client) => {
        const logged = t.mock.method(console, "error", () => {});
        // --- the seed page's snippet, unchanged ---
        try {
          await client.resources.create({ name: "" });
        } catch (err) {
          if (err.code === "parameter_missing") {
            console.error(`Missing: ${err.param}`);
          }
        }
        // --- end of snippet ---
        assert.deepEqual(logged.mock.calls.map((c) => c.arguments), [["Missing: name"]]);
      },
    ));
});

describe("constructor", () => {
  for (const [name, options] of [
    ["an apiKey that is not a string", { apiKey: 42 }],
    ["negative maxRetries", { apiKey: "k", maxRetries: -1 }],
    ["fractional maxRetries", { apiKey: "k", maxRetries: 1.5 }],
    ["zero timeout", { apiKey: "k", timeout: 0 }],
    ["NaN timeout", { apiKey: "k", timeout: Number.NaN }],
    ["malformed baseURL", { apiKey: "k", baseURL: "not a url" }],
  ]) {
    test(`refuses ${name}`, () => assert.throws(() => new Client(options), TypeError));
  }

  test("sends to 127.0.0.1:8080 by default, through the fetch it is given", async () => {
    const urls = [];
    const client = new Client({
      apiKey: "k",
      fetch: async (url) => {
        urls.push(url);
        return new Response(JSON.stringify(resource), { status: 200 });
      },
    });
    assert.deepEqual(await client.resources.retrieve("res_1"), resource);
    assert.deepEqual(urls, ["http://127.0.0.1:8080/v1/resources/res_1"]);
  });
});
