/** Fields shared by every error the API or the client reports. */
export interface DocsAPIErrorFields {
  type: string | null;
  code: string | null;
  param: string | null;
  message: string;
  requestId: string | null;
  status: number | null;
  headers: Headers;
}

/**
 * The base class of every error this library throws for a failed call.
 * Catch it to handle any failure; catch a subclass to handle one kind.
 */
export class DocsAPIError extends Error {
  /** The error `type` from the body, e.g. `invalid_request_error`; null when the API sent none. */
  readonly type: string | null;
  /** The error `code`, e.g. `parameter_missing`; null when the API sent none. */
  readonly code: string | null;
  /** The parameter to blame, e.g. `name` or `metadata[color]`; null when no single one is. */
  readonly param: string | null;
  /** The request id to quote to support: from the error body, else the `Request-Id` header. */
  readonly requestId: string | null;
  /** The HTTP status; null when no response arrived. */
  readonly status: number | null;
  /** The response headers; empty when no response arrived. */
  readonly headers: Headers;

  constructor(fields: DocsAPIErrorFields, options?: { cause?: unknown }) {
    super(fields.message, options);
    this.name = new.target.name;
    this.type = fields.type;
    this.code = fields.code;
    this.param = fields.param;
    this.requestId = fields.requestId;
    this.status = fields.status;
    this.headers = fields.headers;
  }
}

/** 400 or 404: a missing or invalid parameter, or no object with that id. */
export class InvalidRequestError extends DocsAPIError {}
/** 401: the API key is missing, malformed, unknown or revoked. */
export class AuthenticationError extends DocsAPIError {}
/** 403: the API key lacks the scope the endpoint needs. */
export class PermissionError extends DocsAPIError {}
/** 409: the Idempotency-Key was used with a different request, or its first use is still running. */
export class IdempotencyError extends DocsAPIError {}
/** 429: the key's rate limit is used up; see the `Retry-After` header. */
export class RateLimitError extends DocsAPIError {}
/** A server-side failure, an error `type` this version does not know, or an unreadable response. */
export class APIError extends DocsAPIError {}

/** The network failed: connection refused or reset, or the request timed out. */
export class APIConnectionError extends DocsAPIError {
  constructor(message: string, cause?: unknown) {
    const fields = { type: null, code: null, param: null, requestId: null, status: null };
    super({ ...fields, message, headers: new Headers() }, { cause });
  }
}

const classByType: Record<string, typeof DocsAPIError> = {
  invalid_request_error: InvalidRequestError,
  authentication_error: AuthenticationError,
  permission_error: PermissionError,
  idempotency_error: IdempotencyError,
  rate_limit_error: RateLimitError,
  api_error: APIError,
};

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/** Builds the typed error for a non-2xx response from its status, headers and raw body. @internal */
export function errorFromResponse(status: number, headers: Headers, body: string): DocsAPIError {
  const headerRequestId = headers.get("request-id");
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const error = (parsed as { error?: unknown } | null | undefined)?.error;
  if (typeof error !== "object" || error === null) {
    // Not our error shape: most likely a proxy or load balancer answered.
    return new APIError({
      type: "api_error",
      code: null,
      param: null,
      message: `Unexpected response from the API (HTTP ${status}).`,
      requestId: headerRequestId,
      status,
      headers,
    });
  }
  const e = error as Record<string, unknown>;
  const type = stringOrNull(e.type);
  const cls = (type !== null && Object.hasOwn(classByType, type) ? classByType[type] : undefined) ?? APIError;
  return new cls({
    type,
    code: stringOrNull(e.code),
    param: stringOrNull(e.param),
    message: stringOrNull(e.message) ?? `Unexpected response from the API (HTTP ${status}).`,
    requestId: stringOrNull(e.request_id) ?? headerRequestId,
    status,
    headers,
  });
}
