// The shared update vectors: the body resources.update() sends for each update, as the fault
// server received it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Client } from "../dist/index.js";
import { loadTestdata, recordingSleep, startFaultServer } from "./support.js";

const { cases } = await loadTestdata("update_bodies.json");

const resource = {
  id: "res_1",
  object: "resource",
  name: "n",
  description: null,
  metadata: {},
  created_at: "2026-11-24T21:09:48Z",
  updated_at: "2026-11-24T21:09:48Z",
};

test("update_bodies.json has cases", () => assert.ok(cases.length > 0));

for (const c of cases) {
  test(`update_bodies.json: ${c.name}`, async () => {
    // The neutral case is the params object itself: a field given is passed (JSON null as
    // null), a field absent is left out.
    assert.deepEqual(Object.keys(c.set).filter((k) => !["name", "description", "metadata"].includes(k)), []);
    const server = await startFaultServer([{ status: 200, body: resource }]);
    try {
      const client = new Client({ apiKey: "sk_test_key", baseURL: server.url, maxRetries: 0, sleep: recordingSleep().sleep });
      await client.resources.update("res_1", structuredClone(c.set));
      assert.equal(server.requests.length, 1);
      const [req] = server.requests;
      assert.equal(req.method, "PATCH");
      assert.equal(req.url, "/v1/resources/res_1");
      assert.deepEqual(JSON.parse(req.body), c.body);
    } finally {
      await server.close();
    }
  });
}
