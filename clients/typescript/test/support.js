// Test helpers: a fault-injecting HTTP server and a launcher for the real `docsapi serve`.
import { execFile, spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
export const clientDir = join(here, "..");
const repoRoot = join(clientDir, "..", "..");

export async function loadTestdata(name) {
  return JSON.parse(await readFile(join(clientDir, "..", "testdata", name), "utf8"));
}

/**
 * A local server that answers each attempt from a script. `steps` is an array (the last
 * step repeats once the script runs out) or a function (request, index) => step. A step is:
 *   { status, headers?, body? }     body: a string, or any value sent as JSON
 *   { reset: true }                 destroy the connection without answering
 *   { hang: true }                  never answer
 *   { partial: true }               send a 200 head and part of the body, then destroy the connection
 *   { forward: baseURL }            send the request to baseURL, wait for its full answer, then
 *                                   destroy the connection: the response is lost after commit
 *   { proxy: baseURL }              send the request to baseURL and relay its answer
 * Every request received is recorded in `requests` as { method, url, headers, body }.
 */
export async function startFaultServer(steps) {
  const requests = [];
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString("utf8");
    const recorded = { method: req.method, url: req.url, headers: req.headers, body };
    const index = requests.push(recorded) - 1;
    const step = typeof steps === "function" ? steps(recorded, index) : steps[Math.min(index, steps.length - 1)];
    if (step.reset) return req.socket.destroy();
    if (step.hang) return;
    if (step.partial) {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "100" });
      res.write('{"id":"res_');
      return setTimeout(() => req.socket.destroy(), 20);
    }
    if (step.forward) {
      await forward(step.forward, recorded);
      return req.socket.destroy();
    }
    if (step.proxy) {
      const answer = await forward(step.proxy, recorded);
      res.writeHead(answer.status, answer.headers);
      return res.end(answer.body);
    }
    const payload = typeof step.body === "string" ? step.body : JSON.stringify(step.body ?? {});
    res.writeHead(step.status, { "Content-Type": "application/json; charset=utf-8", ...step.headers });
    res.end(payload);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

/** Sends a recorded request to baseURL; resolves with the whole answer { status, headers, body }. */
function forward(baseURL, { method, url, headers, body }) {
  return new Promise((resolve, reject) => {
    const out = http.request(new URL(url, baseURL), { method, headers }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    out.on("error", reject);
    out.end(body);
  });
}

/** A backoff sleep that returns at once and records each wait. */
export function recordingSleep() {
  const waits = [];
  const sleep = async (ms) => {
    waits.push(ms);
  };
  return { sleep, waits };
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const isUUIDv4 = (s) => UUID_V4.test(s);

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export const randomBase62 = (n) => Array.from({ length: n }, () => BASE62[randomInt(62)]).join("");

async function freePort() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts `docsapi serve` on a fresh database: DOCSAPI_BIN when set, else a binary built from
 * this repository. Returns { url, rootKey, stop }.
 */
export async function startRealServer() {
  const dir = await mkdtemp(join(tmpdir(), "docsapi-ts-"));
  let bin = process.env.DOCSAPI_BIN;
  if (!bin) {
    bin = join(dir, "docsapi");
    try {
      await promisify(execFile)("go", ["build", "-o", bin, "./cmd/docsapi"], { cwd: repoRoot });
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`go build ./cmd/docsapi failed:\n${err.stderr || err.message}`);
    }
  }
  const addr = `127.0.0.1:${await freePort()}`;
  const rootKey = `sk_live_${randomBase62(32)}`;
  const child = spawn(bin, ["serve"], {
    env: {
      ...process.env,
      DOCSAPI_ADDR: addr,
      DOCSAPI_DATABASE_URL: join(dir, "docsapi.db"),
      DOCSAPI_ROOT_KEY: rootKey,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  child.on("error", (err) => (stderr += `${err}\n`)); // e.g. a DOCSAPI_BIN that does not exist
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      // SIGTERM drains in-flight requests; a server that hangs anyway must not hang the suite.
      const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const url = `http://${addr}`;
  const deadline = Date.now() + 15000;
  for (;;) {
    try {
      const res = await fetch(`${url}/healthz`);
      await res.text();
      if (res.status === 200) return { url, rootKey, stop };
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`docsapi serve did not become healthy within 15 s:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
