package docs

// ErrorDoc is what the errors page says about one error code.
type ErrorDoc struct {
	Description string // what happened
	Advice      string // what to do about it (Markdown)
}

// Errors describes every error code of http.ErrorClasses; a test holds
// the two to the same set of codes.
var Errors = map[string]ErrorDoc{
	"parameter_missing": {
		"A required parameter was not supplied, or was null or blank.",
		"Send the parameter named in `param`. Fix the request before sending it again: the same request fails the same way.",
	},
	"parameter_invalid": {
		"A parameter had the wrong type or value; or the body was not JSON, too large, or had an unknown field; or a header was malformed.",
		"Read `message` and correct the parameter named in `param` (a body field, a query parameter or a header such as `Idempotency-Key`). Do not retry unchanged.",
	},
	"resource_missing": {
		"No object exists with the given id for this account, or the URL or method is unknown.",
		"Check the id (and that you use a key of the account that owns it) and the URL. Objects of other accounts are reported exactly like missing ones.",
	},
	"authentication_failed": {
		"The API key is missing, malformed, unknown or revoked.",
		"Send `Authorization: Bearer sk_live_...` with a live key. A revoked key never works again: create a new one.",
	},
	"permission_denied": {
		"The key is valid but lacks the scope the endpoint needs, or asked to grant more than it holds.",
		"Use a key with the scope named in `message` (see [scopes](/docs/authentication#scopes)), or create one that has it.",
	},
	"idempotency_conflict": {
		"An `Idempotency-Key` was reused with a different request, or its first request ran longer than 10 s.",
		"Use a new key for a new request; send the same key only to retry the very same request. See [idempotency](/docs/idempotency).",
	},
	"rate_limit_exceeded": {
		"Too many requests for the key in a 1-second window, or too many failed authentications from your address.",
		"Wait the `Retry-After` seconds, then retry, ideally with exponential backoff and jitter. The official libraries do this for you. See [rate limits](/docs/rate-limits).",
	},
	"api_error": {
		"An unexpected error occurred on our side.",
		"Retry with backoff, with the same `Idempotency-Key` for writes (nothing was committed). If it persists, contact support with the `request_id`.",
	},
}

// StatusMeanings explains every HTTP status the API answers with.
var StatusMeanings = map[int]string{
	200: "OK — the request succeeded.",
	201: "Created — a new object was created.",
	400: "Bad Request — the request was malformed or missing a parameter.",
	401: "Unauthorized — no valid API key was provided.",
	403: "Forbidden — the key lacks permission for this request.",
	404: "Not Found — the requested object or URL does not exist.",
	409: "Conflict — the request conflicts with an earlier one that used the same Idempotency-Key.",
	429: "Too Many Requests — you have hit the rate limit.",
	500: "Server Error — something went wrong on our end.",
}

// Scopes explains every scope of docsapi.Scopes.
var Scopes = map[string]string{
	"resources:read":  "Retrieve and list resources.",
	"resources:write": "Create, update and delete resources.",
	"keys:read":       "Retrieve and list the account's API keys.",
	"keys:write":      "Create and revoke API keys (only with scopes and a rate limit the key itself holds).",
	"logs:read":       "Retrieve and list the request log.",
	"*":               "Everything, including granting `*` to new keys. The root key has it.",
}
