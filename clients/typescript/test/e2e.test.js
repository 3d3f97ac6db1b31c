// End to end against the real `docsapi serve` built from this repository (or DOCSAPI_BIN).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  AuthenticationError,
  Client,
  InvalidRequestError,
  PermissionError,
} from "../dist/index.js";
import { isUUIDv4, randomBase62, startFaultServer, startRealServer } from "./support.js";

describe("against docsapi serve", { timeout: 120_000 }, () => {
  let server;
  let client;
  before(async () => {
    server = await startRealServer();
    client = new Client({ apiKey: server.rootKey, baseURL: server.url });
  });
  after(() => server?.stop());

  /** Every resource of the account, walked with small pages. */
  async function allResources(limit = 3) {
    const all = [];
    for await (const r of client.resources.list({ limit })) all.push(r);
    return all;
  }

  test("create, retrieve, update, delete a resource", async () => {
    const created = await client.resources.create({
      name: "Quarterly report",
      metadata: { team: "finance", owner: "ann", stage: "draft" },
    });
    assert.match(created.id, /^res_/);
    assert.equal(created.object, "resource");
    assert.equal(created.name, "Quarterly report");
    assert.equal(created.description, null);
    assert.deepEqual(created.metadata, { team: "finance", owner: "ann", stage: "draft" });
    assert.match(created.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);

    assert.deepEqual(await client.resources.retrieve(created.id), created);

    const described = await client.resources.update(created.id, { description: "Q3 numbers" });
    assert.equal(described.description, "Q3 numbers");
    const updated = await client.resources.update(created.id, {
      name: "Q3 report",
      description: null,
      metadata: { team: null, owner: "", reviewer: "bob" },
    });
    assert.equal(updated.name, "Q3 report");
    assert.equal(updated.description, null);
    assert.equal(updated.metadata.team, undefined, "null removes a metadata key");
    assert.equal(updated.metadata.owner, undefined, '"" removes a metadata key');
    assert.equal(updated.metadata.reviewer, "bob");
    assert.deepEqual(await client.resources.retrieve(created.id), updated);

    assert.deepEqual(await client.resources.delete(created.id), { id: created.id, object: "resource", deleted: true });
    await assert.rejects(client.resources.retrieve(created.id), { name: "InvalidRequestError", httpStatus: 404 });
  });

  test("metadata: a key removed with null, then every key cleared with metadata: null", async () => {
    const created = await client.resources.create({ name: "metadata", description: "kept" });
    try {
      const both = await client.resources.update(created.id, { metadata: { a: "1", b: "2" } });
      assert.deepEqual(both.metadata, { a: "1", b: "2" });
      const onlyB = await client.resources.update(created.id, { metadata: { a: null } });
      assert.deepEqual(onlyB.metadata, { b: "2" });
      const cleared = await client.resources.update(created.id, { metadata: null });
      assert.deepEqual(cleared.metadata, {});
      assert.equal(cleared.name, "metadata");
      assert.equal(cleared.description, "kept");
      assert.deepEqual((await client.resources.retrieve(created.id)).metadata, {});
    } finally {
      await client.resources.delete(created.id);
    }
  });

  test("list iterates across several pages", async () => {
    const mine = [];
    for (let i = 0; i < 7; i++) mine.push((await client.resources.create({ name: `page item ${i}` })).id);
    const walked = await allResources(3);
    const ids = walked.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, "no object twice");
    for (const id of mine) assert.ok(ids.includes(id), `${id} listed`);
    const onePage = await client.resources.list({ limit: 100 });
    assert.deepEqual(ids, onePage.data.map((r) => r.id), "small pages walk the same objects in the same order");
    const firstPage = await client.resources.list({ limit: 3 });
    assert.equal(firstPage.data.length, 3);
    assert.equal(firstPage.has_more, true);
  });

  test("the seed snippet: an empty name is parameter_missing on name", async () => {
    let caught;
    try {
      await client.resources.create({ name: "" });
    } catch (err) {
      if (err.code === "parameter_missing") {
        caught = err;
      }
    }
    assert.ok(caught instanceof InvalidRequestError, String(caught));
    assert.equal(caught.param, "name");
    assert.equal(caught.httpStatus, 400);
    assert.match(caught.requestId, /^req_[0-9A-Za-z]{10,24}$/);
    assert.equal(caught.headers.get("request-id"), caught.requestId);
  });

  test("retrieving an unknown id is a 404 resource_missing", async () => {
    await assert.rejects(client.resources.retrieve("res_doesnotexist0000"), (err) => {
      assert.ok(err instanceof InvalidRequestError);
      assert.equal(err.httpStatus, 404);
      assert.equal(err.code, "resource_missing");
      return true;
    });
  });

  test("a bad key is an AuthenticationError", async () => {
    const stranger = new Client({ apiKey: `sk_live_${randomBase62(32)}`, baseURL: server.url });
    await assert.rejects(stranger.resources.list(), (err) => {
      assert.ok(err instanceof AuthenticationError);
      assert.equal(err.httpStatus, 401);
      assert.equal(err.code, "authentication_failed");
      return true;
    });
  });

  test("a response lost after the server committed: the retry is replayed, one object exists", async () => {
    const proxy = await startFaultServer([{ forward: server.url }, { proxy: server.url }]);
    try {
      const viaProxy = new Client({ apiKey: server.rootKey, baseURL: proxy.url });
      const name = `lost response ${randomBase62(8)}`;
      const created = await viaProxy.resources.create({ name });
      assert.equal(created.name, name);
      assert.equal(proxy.requests.length, 2);
      const [first, second] = proxy.requests.map((r) => r.headers["idempotency-key"]);
      assert.ok(isUUIDv4(first));
      assert.equal(second, first);
      const named = (await allResources(100)).filter((r) => r.name === name);
      assert.deepEqual(named.map((r) => r.id), [created.id], "exactly one object, the one returned");
      const logged = (await client.requests.list({ status: 201, limit: 100 })).data.filter((r) => r.idempotency_key === first);
      assert.deepEqual(logged.map((r) => r.idempotent_replayed).sort(), [false, true], "the retry was a replay");
    } finally {
      await proxy.close();
    }
  });

  test("api keys: create, retrieve, list, use, delete", async () => {
    const key = await client.apiKeys.create({ name: "ci", scopes: ["resources:read"], rate_limit: 50 });
    assert.match(key.id, /^key_/);
    assert.equal(key.object, "api_key");
    assert.match(key.secret, /^sk_live_[0-9A-Za-z]{32}$/);
    assert.ok(key.secret.startsWith(key.prefix));
    assert.deepEqual(key.scopes, ["resources:read"]);
    assert.equal(key.rate_limit, 50);
    assert.equal(key.revoked_at, null);

    const { secret, ...shown } = key;
    const retrieved = await client.apiKeys.retrieve(key.id);
    assert.equal(retrieved.secret, undefined, "the secret is shown once");
    assert.equal(retrieved.id, shown.id);
    assert.deepEqual(retrieved.scopes, shown.scopes);

    const listed = [];
    for await (const k of client.apiKeys.list({ limit: 1 })) listed.push(k.id);
    assert.ok(listed.includes(key.id));
    assert.equal(new Set(listed).size, listed.length);

    const reader = new Client({ apiKey: secret, baseURL: server.url });
    await reader.resources.list();
    await assert.rejects(reader.resources.create({ name: "not allowed" }), PermissionError);

    const revoked = await client.apiKeys.delete(key.id);
    assert.equal(revoked.id, key.id);
    assert.notEqual(revoked.revoked_at, null);
    // The contract allows up to 1 s before every instance refuses a revoked key.
    const deadline = Date.now() + 1500;
    for (;;) {
      const err = await reader.resources.list().then(() => null, (e) => e);
      if (err !== null) {
        assert.ok(err instanceof AuthenticationError, String(err));
        break;
      }
      assert.ok(Date.now() < deadline, "the revoked key is still accepted");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  test("requests: an error's request id leads to its log entry", async () => {
    const err = await client.resources.create({ name: " " }).catch((e) => e);
    assert.ok(err instanceof InvalidRequestError, String(err));
    const entry = await client.requests.retrieve(err.requestId);
    assert.equal(entry.id, err.requestId);
    assert.equal(entry.object, "request");
    assert.equal(entry.method, "POST");
    assert.equal(entry.path, "/v1/resources");
    assert.equal(entry.status, 400);
    assert.equal(entry.error_code, "parameter_missing");

    const failures = await client.requests.list({ status: 400, limit: 100 });
    assert.ok(failures.data.some((r) => r.id === err.requestId));
    assert.ok(failures.data.every((r) => r.status === 400));
    const clientErrors = await client.requests.list({ status: "4xx", limit: 100 });
    assert.ok(clientErrors.data.every((r) => r.status >= 400 && r.status < 500));
  });

  test("limit 0 is sent and refused; the error-code filter and a success's request id reach the server", async () => {
    await assert.rejects(client.resources.list({ limit: 0 }), { name: "InvalidRequestError", httpStatus: 400, code: "parameter_invalid", param: "limit" });

    const created = await client.resources.create({ name: "Last response" });
    const { lastResponse } = created;
    assert.equal(lastResponse.httpStatus, 201);
    assert.match(lastResponse.requestId, /^req_[0-9A-Za-z]{10,24}$/);
    const entry = await client.requests.retrieve(lastResponse.requestId);
    assert.equal(entry.method, "POST");
    assert.equal(entry.status, 201);

    await client.resources.create({ name: "" }).catch(() => {});
    const byCode = await client.requests.list({ status: "parameter_missing", limit: 100 });
    assert.ok(byCode.data.length > 0);
    assert.ok(byCode.data.every((r) => r.error_code === "parameter_missing"));
  });
});
