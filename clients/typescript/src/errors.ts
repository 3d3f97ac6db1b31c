/** Fields shared by every error the API or the client reports. */
export interface DocsAPIErrorFields {
  type: string | null;
  code: string | null;
  param: string | null;
  message: string;
  requestId: string | null;
  httpStatus: number | null;
  headers: Headers;
  /** A link to the code's section of the errors page; null when the server sent none (before v1.4.1). */
  docUrl?: string | null;
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
  readonly httpStatus: number | null;
  /** The response headers; empty when no response arrived. */
  readonly headers: Headers;
  /** A link to the documentation of `code`, e.g. `https://api.example.com/docs/errors#parameter_missing`; null when the server sent none. */
  readonly docUrl: string | null;

  constructor(fields: DocsAPIErrorFields, options?: { cause?: unknown }) {
    super(fields.message, options);
    this.name = new.target.name;
    this.type = fields.type;
    this.code = fields.code;
    this.param = fields.param;
    this.requestId = fields.requestId;
    this.httpStatus = fields.httpStatus;
    this.headers = fields.headers;
    this.docUrl = fields.docUrl ?? null;
  }

  /** `Name: message (http_status=…, type=…, code=…, param=…, request_id=…)`, the form the Go and Python clients use too. */
  override toString(): string {
    const details: string[] = [];
    const fields: [string, unknown][] = [
      ["http_status", this.httpStatus],
      ["type", this.type],
      ["code", this.code],
      ["param", this.param],
      ["request_id", this.requestId],
    ];
    for (const [name, value] of fields) if (value !== null) details.push(`${name}=${value}`);
    if (this.cause !== undefined) details.push(`cause=${describe(this.cause)}`);
    return `${this.name}: ${this.message}${details.length > 0 ? ` (${details.join(", ")})` : ""}`;
  }
}

/** An error as text; fetch reports "fetch failed" and hides the useful part in its cause. @internal */
export function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | null)?.cause;
  const message = cause?.message ?? (err instanceof Error ? err.message : String(err));
  return cause?.code ? `${message} (${cause.code})` : message;
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
    super(localFields(null, null, null, message), { cause });
  }
}

/** The fields of an error found without a response. */
function localFields(type: string | null, code: string | null, param: string | null, message: string): DocsAPIErrorFields {
  return { type, code, param, message, requestId: null, httpStatus: null, headers: new Headers(), docUrl: null };
}

/** Thrown before anything is sent for an empty or blank object id. @internal */
export function missingIdError(): InvalidRequestError {
  return new InvalidRequestError(localFields("invalid_request_error", "parameter_missing", "id", "Missing required parameter: id."));
}

/** Thrown before anything is sent for an empty Idempotency-Key. @internal */
export function emptyIdempotencyKeyError(): InvalidRequestError {
  // Replacing it with a generated key would make a repeated write run twice.
  const message = "Idempotency-Key must not be empty; leave it out to have one generated.";
  return new InvalidRequestError(localFields("invalid_request_error", "parameter_invalid", "Idempotency-Key", message));
}

/** Thrown before anything is sent for an Idempotency-Key that is not 1 to 255 printable ASCII characters. @internal */
export function badIdempotencyKeyError(): InvalidRequestError {
  const message = "Idempotency-Key must be 1 to 255 printable ASCII characters.";
  return new InvalidRequestError(localFields("invalid_request_error", "parameter_invalid", "Idempotency-Key", message));
}

/** Thrown before anything is sent for an API key that cannot be sent in a header; it is not quoted. @internal */
export function badAPIKeyError(): AuthenticationError {
  const message = "Invalid API key: it has characters that cannot be sent in a header, such as a space or a line break.";
  return new AuthenticationError(localFields("authentication_error", "authentication_failed", null, message));
}

/** Thrown before anything is sent when the client has no API key. @internal */
export function noAPIKeyError(): AuthenticationError {
  const message = "No API key: pass one to the client or set DOCSAPI_API_KEY.";
  return new AuthenticationError(localFields("authentication_error", "authentication_failed", null, message));
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
      httpStatus: status,
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
    httpStatus: status,
    headers,
    docUrl: stringOrNull(e.doc_url),
  });
}
