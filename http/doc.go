// Package http serves the Docs API over HTTP: routing, middleware, handlers.
//
// A request passes these links, outermost first; each answers with the
// contract's error object (through (*Server).Error) and stops the request,
// or passes it on:
//
//   - errorListener (conn.go): net/http's own plain-text refusals (malformed
//     request, headers over 1 MiB, unknown transfer coding, HTTP version)
//     become JSON. Such requests reach no handler and are not counted.
//   - begin: Request-Id and the request's state; once answered, the log line
//     and, for a request made with a key, its request-log entry.
//   - instrument: docsapi_http_requests_total and the latency histogram, by
//     route pattern ("unmatched" for anything no route served).
//   - recoverPanics: a panic is a 500 api_error.
//   - checkHeaderAndPath: 431 for headers over MaxHeaderBytes, 404 for an
//     unclean path.
//   - the ServeMux (server.go, registerRoutes): route, 404 for no route.
//
// An API route with a scope then runs the contract's order of checks:
// requireKey (401), limitRate (429), requireScope (403), readInput (400 for
// the query, Idempotency-Key and body; 404 for an id that cannot exist),
// then its handler; a write's handler runs its work through execute
// (idempotency.go: replay, wait or 409, then the work). /healthz, /metrics
// and /v1/openapi.json need no key.
//
// The Dashboard's pages (dashboard.go) sign in with a session instead of a
// key: dashboard checks origin, session, CSRF token, rate limit and scope in
// that order and answers errors as HTML. The docs pages (docs.go) are public.
// Both pass the same outer links, so they are counted and logged too.
//
// Files:
//
//   - server.go: Server, its settings and life cycle, the route table.
//   - middleware.go: the request's state, the outer links, requireScope,
//     readInput, and the access log line.
//   - conn.go: errorListener, and the header size limit.
//   - auth.go, keycache.go: requireKey, and the cache of keys by secret.
//   - ratelimit.go: limitRate and the RateLimit and Retry-After headers.
//   - body.go, list.go: reading a JSON body; list parameters and objects.
//   - idempotency.go: execute, the Idempotency-Key flow of every write.
//   - error.go: error objects, ErrorClasses, and writing JSON.
//   - apikey.go, resource.go, requestlog.go: the API's handlers and JSON
//     shapes; requestlogwriter.go writes request-log entries in batches;
//     resourcebody.go keeps the JSON of resources recently answered.
//   - health.go, metrics.go, openapi.go: /healthz, /metrics, the OpenAPI
//     document.
//   - dashboard*.go, dashboard/: the Dashboard's pages and templates.
//   - docs.go, docsgen.go, assets/: the docs pages, and the tables and API
//     reference generated into them from the route table.
package http
