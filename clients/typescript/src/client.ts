import { randomUUID } from "node:crypto";

import {
  APIConnectionError,
  APIError,
  badAPIKeyError,
  badIdempotencyKeyError,
  emptyIdempotencyKeyError,
  errorFromResponse,
  noAPIKeyError,
} from "./errors.js";
import { retryDelay } from "./retry.js";
import { APIKeys, Requests, Resources } from "./resources.js";
import { VERSION } from "./version.js";

export interface ClientOptions {
  /**
   * A secret key, `sk_live_...`. Defaults to the DOCSAPI_API_KEY environment variable; without
   * either, every call rejects with an AuthenticationError before sending anything.
   */
  apiKey?: string;
  /** Defaults to the DOCSAPI_BASE_URL environment variable, else `http://127.0.0.1:8080`. */
  baseURL?: string;
  /** How often a call is retried after a 429, a 5xx or a network failure; 0 disables retries. Defaults to 2. */
  maxRetries?: number;
  /** Milliseconds one attempt may take, response body included, before it fails as a connection error. Defaults to 30000. */
  timeout?: number;
  /** The `fetch` to send requests with; defaults to the global one. */
  fetch?: typeof fetch;
  /** Waits between retries; tests replace it so backoff takes no real time. @internal */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  /** The jitter's random source, numbers in [0, 1). @internal */
  random?: () => number;
}

/** Per-call options, the last argument of every method. */
export interface RequestOptions {
  /**
   * Sent as `Idempotency-Key` on POST, PATCH and DELETE. When omitted, a UUID v4 is
   * generated per call; either way every retry of the call sends the same key.
   */
  idempotencyKey?: string;
  /** Aborting it stops the call at once, whether a request is in flight or a retry is pending. */
  signal?: AbortSignal;
}

type Method = "GET" | "POST" | "PATCH" | "DELETE";

/** @internal */
export interface APIRequest {
  method: Method;
  path: string;
  query?: object;
  body?: object;
  options?: RequestOptions;
}

/** The HTTP response of a successful call. */
export interface APIResponse {
  httpStatus: number;
  headers: Headers;
  /** The `Request-Id` header: quote it to support. */
  requestId: string | null;
}

/** What a call returns: the object, with the response that carried it as `lastResponse` (not enumerable, so not in JSON). */
export type WithLastResponse<T> = T & { readonly lastResponse: APIResponse };

/** A response, read in full. */
interface AttemptResult {
  status: number;
  headers: Headers;
  text: string;
}

/** The form every client shares (clients/testdata/user_agent.json): docsapi-typescript/0.1.0 node/20.20.2 (linux; x64). */
const USER_AGENT = `docsapi-typescript/${VERSION} node/${process.versions.node} (${process.platform}; ${process.arch})`;

/** The messages of a connection failure, the same in every client (clients/testdata/connection_errors.json). */
const NO_RESPONSE = "Could not get a response from the API.";
const TIMED_OUT = "The API did not respond within the timeout.";

/** The reason a call was aborted: the signal's own reason, else a standard AbortError. */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function isURL(s: string): boolean {
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

function queryString(query: object | undefined): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null) search.append(key, String(value));
  }
  const s = search.toString();
  return s === "" ? "" : `?${s}`;
}

/** A Docs API client. One instance can be shared by any number of concurrent calls. */
export class Client {
  readonly resources: Resources;
  readonly apiKeys: APIKeys;
  readonly requests: Requests;

  readonly #apiKey: string | undefined;
  readonly #baseURL: string;
  readonly #maxRetries: number;
  readonly #timeout: number;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  readonly #random: () => number;

  constructor(options: ClientOptions = {}) {
    const { maxRetries = 2, timeout = 30000 } = options;
    const apiKey = options.apiKey || process.env.DOCSAPI_API_KEY || undefined;
    const baseURL = options.baseURL || process.env.DOCSAPI_BASE_URL || "http://127.0.0.1:8080";
    if (apiKey !== undefined && typeof apiKey !== "string") throw new TypeError("apiKey must be a string");
    // A malformed URL would otherwise surface on every call as a retried connection error.
    if (!isURL(baseURL)) throw new TypeError(`baseURL is not a valid URL: ${baseURL}`);
    if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new TypeError("maxRetries must be an integer >= 0");
    if (!(timeout > 0 && Number.isFinite(timeout))) throw new TypeError("timeout must be a positive number of milliseconds");
    this.#apiKey = apiKey;
    this.#baseURL = baseURL.replace(/\/+$/, "");
    this.#maxRetries = maxRetries;
    this.#timeout = timeout;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#sleep = options.sleep ?? abortableSleep;
    this.#random = options.random ?? Math.random;
    this.resources = new Resources(this);
    this.apiKeys = new APIKeys(this);
    this.requests = new Requests(this);
  }

  /** Sends one API call, retrying as the contract allows, and returns the parsed JSON body. @internal */
  async request<T extends object>(req: APIRequest): Promise<WithLastResponse<T>> {
    if (this.#apiKey === undefined) throw noAPIKeyError();
    // Refused here: fetch would trim it silently, or throw an error that quotes it.
    if (!/^[!-~]+$/.test(this.#apiKey)) throw badAPIKeyError();
    const idempotencyKey = req.options?.idempotencyKey;
    if (req.method !== "GET" && idempotencyKey === "") throw emptyIdempotencyKeyError();
    if (req.method !== "GET" && idempotencyKey !== undefined && !/^[ -~]{1,255}$/.test(idempotencyKey)) throw badIdempotencyKeyError();
    const signal = req.options?.signal;
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.#apiKey}`,
      Accept: "application/json",
      "User-Agent": USER_AGENT,
    };
    if (req.body !== undefined) headers["Content-Type"] = "application/json";
    // One key for the whole call, so that a retry of a request the server did commit is replayed, not redone.
    if (req.method !== "GET") headers["Idempotency-Key"] = idempotencyKey ?? randomUUID();
    const url = this.#baseURL + req.path + queryString(req.query);
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const init = { method: req.method, headers, body };
    for (let retriesDone = 0; ; retriesDone++) {
      if (signal?.aborted) throw abortReason(signal);
      const res = await this.#attempt(url, init, signal);
      if (!(res instanceof APIConnectionError) && res.status >= 200 && res.status < 300) return parseSuccess<T>(res);
      const error = res instanceof APIConnectionError ? res : errorFromResponse(res.status, res.headers, res.text);
      // A connection error has a null status and no headers, which is what retryDelay expects of it.
      const delay = retryDelay(error.httpStatus, error.headers, retriesDone, this.#maxRetries, this.#random);
      if (delay === null) throw error;
      await this.#sleep(delay, signal);
    }
  }

  /**
   * One HTTP exchange, bounded by the timeout. A network failure is returned, not thrown,
   * as an APIConnectionError; only the caller's abort throws.
   */
  async #attempt(
    url: string,
    init: { method: Method; headers: Record<string, string>; body: string | undefined },
    signal: AbortSignal | undefined,
  ): Promise<AttemptResult | APIConnectionError> {
    // A controller of our own joins the caller's signal and the timeout (AbortSignal.any needs Node 20).
    const controller = new AbortController();
    const onAbort = () => controller.abort(abortReason(signal!));
    signal?.addEventListener("abort", onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#timeout);
    try {
      // A redirect is answered, never followed: fetch would turn a POST into
      // a GET of the new location and return its answer as the created object.
      const res = await this.#fetch(url, { ...init, redirect: "manual", signal: controller.signal });
      // Reading the body is part of the attempt: a connection dropped mid-body is a network failure too.
      const text = await res.text();
      return { status: res.status, headers: res.headers, text };
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      return new APIConnectionError(timedOut ? TIMED_OUT : NO_RESPONSE, err);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }
}

function parseSuccess<T extends object>(res: AttemptResult): WithLastResponse<T> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.text);
  } catch {
    parsed = undefined;
  }
  // Every answer of the API is an object that names its kind; an empty one, null or a list from a
  // misconfigured proxy is not taken for the call's object. Not retried: the work may be done.
  if (typeof parsed !== "object" || parsed === null || typeof (parsed as { object?: unknown }).object !== "string") {
    throw new APIError({
      type: "api_error",
      code: null,
      param: null,
      message: `Unexpected response from the API (HTTP ${res.status}).`,
      requestId: res.headers.get("request-id"),
      httpStatus: res.status,
      headers: res.headers,
    });
  }
  const lastResponse: APIResponse = { httpStatus: res.status, headers: res.headers, requestId: res.headers.get("request-id") };
  return Object.defineProperty(parsed, "lastResponse", { value: lastResponse, enumerable: false }) as WithLastResponse<T>;
}
