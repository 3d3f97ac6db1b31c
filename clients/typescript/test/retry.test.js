// The shared retry vectors against the pure retry decision.
import assert from "node:assert/strict";
import { test } from "node:test";

import { retryDelay } from "../dist/retry.js";
import { loadTestdata } from "./support.js";

const { cases } = await loadTestdata("retries.json");

// The jitter's extremes and its middle: random() is in [0, 1).
const randoms = [0, 0.5, 1 - Number.EPSILON];

for (const c of cases) {
  test(`retries.json: ${c.name}`, () => {
    for (const r of randoms) {
      const delay = retryDelay(c.status, new Headers(c.headers), c.retries_done, c.max_retries, () => r);
      if (!c.expect.retry) {
        assert.equal(delay, null, `random ${r}`);
        continue;
      }
      assert.notEqual(delay, null, `random ${r}`);
      const seconds = delay / 1000;
      assert.ok(
        seconds >= c.expect.min_delay - 1e-9 && seconds <= c.expect.max_delay + 1e-9,
        `random ${r}: waited ${seconds} s, want [${c.expect.min_delay}, ${c.expect.max_delay}]`,
      );
    }
  });
}

test("backoff without jitter doubles from 0.5 s and caps at 8 s", () => {
  const waits = [0, 1, 2, 3, 4, 5, 10].map((n) => retryDelay(500, new Headers(), n, 100, () => 0));
  assert.deepEqual(waits, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
});

test("jitter only shortens the wait, by at most a quarter", () => {
  assert.equal(retryDelay(500, new Headers(), 1, 2, () => 0), 1000);
  assert.equal(retryDelay(500, new Headers(), 1, 2, () => 0.5), 875);
  assert.ok(retryDelay(500, new Headers(), 1, 2, () => 0.999) >= 750);
});

test("Retry-After edge values", () => {
  const cases = [
    { value: "0", want: 0 },
    { value: " 5 ", want: 5000 },
    { value: "61", want: null },
    { value: "1.5", want: 500 }, // not a whole number: ignored, so plain backoff
    { value: "-1", want: 500 },
    { value: "Wed, 21 Oct 2026 07:28:00 GMT", want: 500 },
  ];
  for (const { value, want } of cases) {
    assert.equal(retryDelay(429, new Headers({ "Retry-After": value }), 0, 2, () => 0), want, value);
  }
});
