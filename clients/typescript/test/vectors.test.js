// The shared vectors of the cross-client decisions, each played over HTTP against the fault server.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as docsapi from "../dist/index.js";
import { loadTestdata, startFaultServer } from "./support.js";

const FIELDS = [
  ["type", "type"],
  ["code", "code"],
  ["param", "param"],
  ["message", "message"],
  ["request_id", "requestId"],
  ["http_status", "httpStatus"],
  ["doc_url", "docUrl"],
];

/** Compares an error with a vector's expect, field by field. */
function assertError(err, expect) {
  const cls = docsapi[expect.class];
  assert.equal(err?.constructor, cls, `got ${err?.constructor?.name}: ${err}, want ${expect.class}`);
  for (const [vectorName, name] of FIELDS) assert.equal(err[name], expect[vectorName], name);
}

/** Runs fn with a fault server and DOCSAPI_ variables set as given (others unset), restoring both. */
async function withServer(steps, env, fn) {
  const server = await startFaultServer(steps);
  const saved = { ...process.env };
  for (const name of Object.keys(process.env)) if (name.startsWith("DOCSAPI_")) delete process.env[name];
  for (const [name, value] of Object.entries(env)) process.env[name] = value.replaceAll("{server}", server.url);
  try {
    await fn(server);
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    await server.close();
  }
}

/** Makes the call a vector names, with fixed arguments. */
function call(client, name, id, options) {
  const calls = {
    "resources.create": () => client.resources.create({ name: "x" }, options),
    "resources.retrieve": () => client.resources.retrieve(id, options),
    "resources.update": () => client.resources.update(id, { name: "x" }, options),
    "resources.delete": () => client.resources.delete(id, options),
    "resources.list": () => client.resources.list({}, options),
    "api_keys.create": () => client.apiKeys.create({ name: "ci", scopes: ["resources:read"] }, options),
    "api_keys.retrieve": () => client.apiKeys.retrieve(id, options),
    "api_keys.delete": () => client.apiKeys.delete(id, options),
    "api_keys.list": () => client.apiKeys.list({}, options),
    "requests.retrieve": () => client.requests.retrieve(id, options),
  };
  return Promise.resolve(calls[name]());
}

const rejection = (promise) => promise.then(() => assert.fail("the call succeeded"), (err) => err);

for (const c of (await loadTestdata("connection_errors.json")).cases) {
  test(`connection_errors.json: ${c.name}`, async () => {
    const steps = [c.fault === "reset" ? { reset: true } : c.fault === "timeout" ? { hang: true } : { status: 200 }];
    const server = await startFaultServer(steps);
    if (c.fault === "refused") await server.close(); // nothing listens there any more
    try {
      const client = new docsapi.Client({ apiKey: "sk_test", baseURL: server.url, maxRetries: 0, timeout: 100 });
      const err = await rejection(client.resources.retrieve("res_1"));
      assertError(err, c.expect);
      assert.ok(String(err).startsWith(`APIConnectionError: ${c.expect.string_prefix}`), String(err));
      assert.ok(String(err).endsWith(")"), String(err));
      assert.notEqual(err.cause, undefined);
    } finally {
      if (c.fault !== "refused") await server.close();
    }
  });
}

for (const c of (await loadTestdata("local_errors.json")).cases) {
  test(`local_errors.json: ${c.name}`, () =>
    withServer([{ status: 200, body: { object: "any" } }], {}, async (server) => {
      const apiKey = "api_key" in c ? (c.api_key ?? undefined) : "sk_test";
      const client = new docsapi.Client({ apiKey, baseURL: server.url, maxRetries: 0 });
      const options = "idempotency_key" in c ? { idempotencyKey: c.idempotency_key } : undefined;
      assertError(await rejection(call(client, c.call, c.id ?? "", options)), c.expect);
      assert.equal(server.requests.length, 0);
    }));
}

for (const c of (await loadTestdata("environment.json")).cases) {
  test(`environment.json: ${c.name}`, () =>
    withServer([{ status: 200, body: { object: "list", data: [], has_more: false, url: "/v1/resources" } }], c.env, async (server) => {
      const options = { maxRetries: 0 };
      if (c.given.api_key !== undefined) options.apiKey = c.given.api_key;
      if (c.given.base_url !== undefined) options.baseURL = c.given.base_url.replaceAll("{server}", server.url);
      await new docsapi.Client(options).resources.list();
      assert.equal(server.requests.length, 1);
      assert.equal(server.requests[0].headers.authorization, c.expect.authorization);
    }));
}

test("user_agent.json", async () => {
  const vector = await loadTestdata("user_agent.json");
  await withServer([{ status: 200, body: { object: "any" } }], {}, async (server) => {
    await new docsapi.Client({ apiKey: "sk_test", baseURL: server.url }).resources.retrieve("res_1");
    const userAgent = server.requests[0].headers["user-agent"];
    const { prefix, runtime } = vector.libraries.typescript;
    assert.match(userAgent, new RegExp(vector.pattern));
    assert.ok(userAgent.startsWith(`${prefix}${docsapi.VERSION} ${runtime}`), userAgent);
  });
});

const ids = { resources: "res_1", api_keys: "key_1", requests: "req_L0gEntry001" };
for (const c of (await loadTestdata("responses.json")).cases) {
  test(`responses.json: ${c.name}`, () =>
    withServer([{ status: c.status, headers: c.headers, body: c.body }], {}, async (server) => {
      const client = new docsapi.Client({ apiKey: "sk_test", baseURL: server.url, maxRetries: 0 });
      const result = await call(client, c.call, ids[c.call.split(".")[0]]);
      const { lastResponse } = result;
      assert.equal(lastResponse.httpStatus, c.expect.http_status);
      assert.equal(lastResponse.requestId, c.expect.request_id);
      for (const [name, value] of Object.entries(c.expect.headers)) assert.equal(lastResponse.headers.get(name.toLowerCase()), value, name);
      assert.ok(!Object.keys(result).includes("lastResponse"), "lastResponse is not enumerable");
      assert.equal(JSON.stringify(result), JSON.stringify(c.body));
      for (const item of result.data ?? []) assert.equal(item.lastResponse, undefined);
    }));
}

for (const c of (await loadTestdata("list_queries.json")).cases) {
  test(`list_queries.json: ${c.name}`, () =>
    withServer([{ status: 200, body: { object: "list", data: [], has_more: false, url: "/v1/x" } }], {}, async (server) => {
      const client = new docsapi.Client({ apiKey: "sk_test", baseURL: server.url, maxRetries: 0 });
      const lists = { resources: client.resources, api_keys: client.apiKeys, requests: client.requests };
      await lists[c.list].list(c.params);
      const query = new URL(server.requests[0].url, "http://x").searchParams;
      assert.deepEqual([...query].map(([k, v]) => `${k}=${v}`).sort(), [...c.query].sort());
    }));
}

for (const c of (await loadTestdata("request_log.json")).cases) {
  test(`request_log.json: ${c.name}`, () =>
    withServer([{ status: 200, body: c.body }], {}, async (server) => {
      const client = new docsapi.Client({ apiKey: "sk_test", baseURL: server.url, maxRetries: 0 });
      const entry = await client.requests.retrieve("req_L0gEntry001");
      const error = entry.error ? { ...entry.error, param: entry.error.param ?? null } : null;
      assert.deepEqual(error, c.expect.error);
      for (const name of ["ip", "user_agent", "source"]) assert.equal(entry[name] ?? null, c.expect[name], name);
    }));
}
