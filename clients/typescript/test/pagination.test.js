// The shared pagination vectors: `for await` over resources.list() against the fault server.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Client } from "../dist/index.js";
import { loadTestdata, startFaultServer } from "./support.js";

const { cases } = await loadTestdata("pagination.json");

const resource = (id) => ({
  id,
  object: "resource",
  name: "Quarterly report",
  description: null,
  metadata: {},
  created_at: "2026-11-24T21:09:48Z",
  updated_at: "2026-11-24T21:09:48Z",
});

// A request past the vector's pages fails the walk (and the test).
const beyond = {
  status: 400,
  body: { error: { type: "invalid_request_error", code: "parameter_invalid", message: "No more pages in the vector.", request_id: "req_Test000001" } },
};

test("pagination.json has cases", () => assert.ok(cases.length > 0));

for (const c of cases) {
  test(`pagination.json: ${c.name}`, async () => {
    const steps = c.pages.map((p) => ({
      status: 200,
      body: { object: "list", data: p.ids.map(resource), has_more: p.has_more, url: "/v1/resources" },
    }));
    const server = await startFaultServer([...steps, beyond]);
    try {
      const client = new Client({ apiKey: "sk_test", baseURL: server.url, maxRetries: 0 });
      const params = { ...c.params };
      const ids = [];
      for await (const r of client.resources.list(params)) {
        ids.push(r.id);
        if (ids.length === c.stop_after) break;
      }
      assert.deepEqual(ids, c.expect.ids);
      const queries = server.requests.map((req) => {
        const url = new URL(req.url, server.url);
        assert.equal(`${req.method} ${url.pathname}`, "GET /v1/resources");
        return [...url.searchParams].map(([name, value]) => `${name}=${value}`).sort();
      });
      assert.deepEqual(queries, c.expect.queries.map((q) => [...q].sort()));
      assert.deepEqual(params, c.params, "the caller's params are unchanged");
    } finally {
      await server.close();
    }
  });
}
