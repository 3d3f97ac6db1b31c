export { Client, type ClientOptions, type RequestOptions } from "./client.js";
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
  ApiKeys,
  ApiKey,
  ApiKeyWithSecret,
  ApiKeyCreateParams,
  Scope,
  Requests,
  RequestLog,
  RequestListParams,
} from "./resources.js";
export { VERSION } from "./version.js";
export { Client as default } from "./client.js";
