export { Client, type ClientOptions, type RequestOptions, type APIResponse, type WithLastResponse } from "./client.js";
export {
  DocsAPIError,
  InvalidRequestError,
  AuthenticationError,
  PermissionError,
  IdempotencyError,
  RateLimitError,
  APIError,
  APIConnectionError,
  type DocsAPIErrorFields,
} from "./errors.js";
export { PagePromise, type Page, type ListParams } from "./pagination.js";
export type {
  Resources,
  Resource,
  ResourceCreateParams,
  ResourceUpdateParams,
  DeletedResource,
  APIKeys,
  APIKey,
  APIKeyWithSecret,
  APIKeyCreateParams,
  Scope,
  Requests,
  RequestLog,
  RequestLogError,
  RequestListParams,
  ErrorCode,
} from "./resources.js";
export { VERSION } from "./version.js";
export { Client as default } from "./client.js";
