import type { APIRequest, RequestOptions, WithLastResponse } from "./client.js";
import { missingIdError } from "./errors.js";
import { PagePromise, type ListParams, type Page } from "./pagination.js";

/** The part of Client the endpoint groups use. */
interface Requester {
  request<T extends object>(req: APIRequest): Promise<WithLastResponse<T>>;
}

/** Path segments are escaped so that an id can never address another route. */
function path(prefix: string, id: string): string {
  if (typeof id !== "string") throw new TypeError("id must be a string");
  // As the server refuses an empty required parameter, rather than requesting the list's URL.
  if (id.trim() === "") throw missingIdError();
  return `${prefix}/${encodeURIComponent(id)}`;
}

export interface Resource {
  id: string;
  object: "resource";
  name: string;
  description: string | null;
  metadata: Record<string, string>;
  /** RFC 3339, UTC. */
  created_at: string;
  /** RFC 3339, UTC. */
  updated_at: string;
}

export interface ResourceCreateParams {
  /** 1 to 200 characters after trimming. */
  name: string;
  /** Up to 5,000 characters. */
  description?: string | null;
  /** Up to 50 pairs; keys 1 to 40 characters, values up to 500. */
  metadata?: Record<string, string>;
}

/** The fields to change; a field left out (or undefined) keeps its value. */
export interface ResourceUpdateParams {
  name?: string;
  /** null (or "") clears the description. */
  description?: string | null;
  /**
   * Merged into the stored metadata: a value sets that key, a value of null or "" removes
   * it, keys left out are kept. `metadata: null` removes every key.
   */
  metadata?: Record<string, string | null> | null;
}

export interface DeletedResource {
  id: string;
  object: "resource";
  deleted: true;
}

export class Resources {
  readonly #client: Requester;

  /** @internal */
  constructor(client: Requester) {
    this.#client = client;
  }

  async create(params: ResourceCreateParams, options?: RequestOptions): Promise<WithLastResponse<Resource>> {
    return this.#client.request({ method: "POST", path: "/v1/resources", body: params, options });
  }

  async retrieve(id: string, options?: RequestOptions): Promise<WithLastResponse<Resource>> {
    return this.#client.request({ method: "GET", path: path("/v1/resources", id), options });
  }

  async update(id: string, params: ResourceUpdateParams, options?: RequestOptions): Promise<WithLastResponse<Resource>> {
    return this.#client.request({ method: "PATCH", path: path("/v1/resources", id), body: params, options });
  }

  async delete(id: string, options?: RequestOptions): Promise<WithLastResponse<DeletedResource>> {
    return this.#client.request({ method: "DELETE", path: path("/v1/resources", id), options });
  }

  list(params: ListParams = {}, options?: RequestOptions): PagePromise<Resource> {
    return new PagePromise(
      (query) => this.#client.request<Page<Resource>>({ method: "GET", path: "/v1/resources", query, options }),
      params,
    );
  }
}

/** A scope an API key can hold; `*` grants all of them. */
export type Scope = "resources:read" | "resources:write" | "keys:read" | "keys:write" | "logs:read" | "*";

export interface APIKey {
  id: string;
  object: "api_key";
  name: string;
  scopes: Scope[];
  /** Requests per sliding second. */
  rate_limit: number;
  /** The first characters of the secret, to recognise it by. */
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/**
 * What create returns: the only time the secret is shown. A replayed
 * creation (a retry whose first answer was lost) comes without it: the
 * server never stores a secret, so revoke that key and create another.
 */
export interface APIKeyWithSecret extends APIKey {
  secret?: string;
}

export interface APIKeyCreateParams {
  name: string;
  /** Only scopes that the calling key itself has. */
  scopes: Scope[];
  /** 1 to 100000; defaults to 100. */
  rate_limit?: number;
}

export class APIKeys {
  readonly #client: Requester;

  /** @internal */
  constructor(client: Requester) {
    this.#client = client;
  }

  async create(params: APIKeyCreateParams, options?: RequestOptions): Promise<WithLastResponse<APIKeyWithSecret>> {
    return this.#client.request({ method: "POST", path: "/v1/api_keys", body: params, options });
  }

  async retrieve(id: string, options?: RequestOptions): Promise<WithLastResponse<APIKey>> {
    return this.#client.request({ method: "GET", path: path("/v1/api_keys", id), options });
  }

  /** Revokes the key; it is refused from then on and returned with `revoked_at` set. */
  async delete(id: string, options?: RequestOptions): Promise<WithLastResponse<APIKey>> {
    return this.#client.request({ method: "DELETE", path: path("/v1/api_keys", id), options });
  }

  list(params: ListParams = {}, options?: RequestOptions): PagePromise<APIKey> {
    return new PagePromise(
      (query) => this.#client.request<Page<APIKey>>({ method: "GET", path: "/v1/api_keys", query, options }),
      params,
    );
  }
}

/** The error a logged request got, without its request id (the entry's id). */
export interface RequestLogError {
  type: string;
  code: string;
  message: string;
  /** null when no single parameter was to blame. */
  param: string | null;
}

/** An error code the API can return, for `requests.list({ status })`. */
export type ErrorCode =
  | "parameter_missing"
  | "parameter_invalid"
  | "resource_missing"
  | "authentication_failed"
  | "permission_denied"
  | "idempotency_conflict"
  | "rate_limit_exceeded"
  | "api_error";

/** One entry of the request log. */
export interface RequestLog {
  id: string;
  object: "request";
  method: string;
  path: string;
  status: number;
  error_code: string | null;
  api_key_id: string | null;
  idempotency_key: string | null;
  idempotent_replayed: boolean;
  duration_ms: number;
  created_at: string;
  // Added in API v1.4.1: undefined from an older server.
  /** The error the request got; null for a success. */
  error?: RequestLogError | null;
  /** The client's address as the server saw it. */
  ip?: string;
  user_agent?: string | null;
  source?: "api" | "dashboard";
}

export interface RequestListParams extends ListParams {
  /** A class such as `"4xx"`, one HTTP status such as `404`, or an error code such as `"parameter_missing"`. */
  status?: "1xx" | "2xx" | "3xx" | "4xx" | "5xx" | number | ErrorCode;
}

export class Requests {
  readonly #client: Requester;

  /** @internal */
  constructor(client: Requester) {
    this.#client = client;
  }

  /** Looks up a request by the `requestId` of an error, for example. */
  async retrieve(id: string, options?: RequestOptions): Promise<WithLastResponse<RequestLog>> {
    return this.#client.request({ method: "GET", path: path("/v1/requests", id), options });
  }

  list(params: RequestListParams = {}, options?: RequestOptions): PagePromise<RequestLog, RequestListParams> {
    return new PagePromise(
      (query) => this.#client.request<Page<RequestLog>>({ method: "GET", path: "/v1/requests", query, options }),
      params,
    );
  }
}
