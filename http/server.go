package http

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/prometheus/client_golang/prometheus"
)

// ShutdownTimeout bounds how long a drain waits for in-flight requests.
const ShutdownTimeout = 30 * time.Second

// DefaultAuthFailureLimit is the default of Server.AuthFailureLimit: failed
// authentications per client IP per minute.
const DefaultAuthFailureLimit = 60

// Pinger reports whether storage answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server is the Docs API's HTTP server.
type Server struct {
	ln     net.Listener
	server *http.Server
	mux    *http.ServeMux
	routes []route

	Logger *slog.Logger
	// LogAllRequests writes an access-log line for every request
	// (DOCSAPI_ACCESS_LOG=all). Otherwise a request gets one only when it
	// failed (status 400 and above) or when the request log does not keep
	// it: no API key, or its entry dropped from a full queue. The request
	// log is the record of the rest.
	LogAllRequests bool

	Storage            Pinger
	APIKeyService      docsapi.APIKeyService
	ResourceService    docsapi.ResourceService
	RequestLogService  docsapi.RequestLogService
	IdempotencyService docsapi.IdempotencyService
	RateLimiter        docsapi.RateLimiter
	SessionService     docsapi.SessionService

	// SharedRateLimit, when set, is where the rate-limit state that several
	// instances share lives (Redis); /healthz reports whether it answers.
	SharedRateLimit Pinger

	// Version is the build's version, exported as docsapi_build_info.
	Version string

	// AuthFailures counts failed authentications per client IP; more than
	// AuthFailureLimit a minute answer 429. A limit of 0 turns this off.
	AuthFailures     docsapi.RateLimiter
	AuthFailureLimit int

	// PublicURL is the URL users reach the server at (DOCSAPI_PUBLIC_URL),
	// e.g. https://api.example.com; error objects' doc_url is built from it.
	PublicURL string

	// Registry holds the metrics served on /metrics; the caller may add its
	// own (cmd/docsapi adds whether Redis answers).
	Registry *prometheus.Registry

	docs     *docSite // docSite returns it
	docsOnce sync.Once
	keys     *keyCache
	guesses  pendingGuesses
	bodies   *resourceBodies
	log      *requestLogger
	metrics  *metrics
	dashStop chan struct{} // closed on shutdown: live tails end
	live     liveStreams

	// beforeWork, when set, runs inside the work of every write: tests make
	// the work fail with it (export_test.go).
	beforeWork func(ctx context.Context) error
	// claimRenewal is how often a running write renews its idempotency
	// claim's lease.
	claimRenewal time.Duration
}

// route is one endpoint: its pattern, the scope it needs and its handler.
type route struct {
	method, path string
	scope        string
	orScope      string // a Dashboard page that a key with this scope may see too
	kind         string // what {id} names, for its 404
	query        []string
	handler      http.HandlerFunc
}

// NewServer returns a server whose services are set by the caller before Open.
func NewServer() *Server {
	s := &Server{
		mux:              http.NewServeMux(),
		Logger:           slog.Default(),
		AuthFailureLimit: DefaultAuthFailureLimit,
		Registry:         prometheus.NewRegistry(),
		claimRenewal:     docsapi.IdempotencyLease / 4,
	}
	s.metrics = newMetrics(s.Registry)
	s.server = &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Writes may wait up to 10 s for an idempotent duplicate.
		WriteTimeout: 30 * time.Second,
		IdleTimeout:  120 * time.Second,
		// The API's limit, MaxHeaderBytes, is enforced by checkHeaderAndPath, in JSON.
		MaxHeaderBytes: http.DefaultMaxHeaderBytes,
		// OPTIONS * reaches the handlers, for the contract's 404.
		DisableGeneralOptionsHandler: true,
	}
	return s
}

// Listen binds addr without serving yet: connections wait in the backlog
// until Open. A caller binds first so that a port in use fails before any
// other work; Close releases the listener.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	s.ln = ln
	return nil
}

// Open wires the routes and starts serving on the listener Listen bound,
// or else on addr. It returns once the listener is bound, so Addr is known.
func (s *Server) Open(addr string) error {
	if s.APIKeyService == nil || s.ResourceService == nil || s.RequestLogService == nil ||
		s.IdempotencyService == nil || s.RateLimiter == nil || s.SessionService == nil || s.Storage == nil {
		return errors.New("http: server is missing a service")
	}
	if s.AuthFailureLimit > 0 && s.AuthFailures == nil {
		return errors.New("http: AuthFailureLimit is set without an AuthFailures limiter")
	}
	s.keys = newKeyCache(s.APIKeyService)
	s.bodies = newResourceBodies()
	s.log = newRequestLogger(s.RequestLogService, s.APIKeyService, s.Logger, s.metrics)
	s.server.ErrorLog = slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn)
	s.dashStop = make(chan struct{})
	var stopDash sync.Once // Shutdown may run more than once
	s.server.RegisterOnShutdown(func() { stopDash.Do(func() { close(s.dashStop) }) })
	if s.ln == nil {
		if err := s.Listen(addr); err != nil {
			return err
		}
	}
	s.metrics.buildInfo.WithLabelValues(cmp.Or(s.Version, "unknown"), runtime.Version()).Set(1)
	s.registerRoutes()
	go s.server.Serve(errorListener{Listener: s.ln, s: s})
	return nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL returns the server's base URL.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Close drains: it stops accepting, lets in-flight requests finish (up to
// ShutdownTimeout), then writes the queued request log.
func (s *Server) Close() error {
	if s.log == nil { // listening, never opened
		if s.ln == nil {
			return nil
		}
		return s.ln.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err := s.server.Shutdown(ctx)
	s.log.Close()
	return err
}

// registerRoutes is the table of API routes: each route's scope, query
// parameters and kind of id are what readInput and the generated docs use.
func (s *Server) registerRoutes() {
	s.registerDashboard()
	s.routes = []route{
		{method: "POST", path: "/v1/resources", scope: docsapi.ScopeResourcesWrite, handler: s.handleCreateResource},
		{method: "GET", path: "/v1/resources", scope: docsapi.ScopeResourcesRead, query: listQuery, handler: s.handleListResources},
		{method: "GET", path: "/v1/resources/{id}", scope: docsapi.ScopeResourcesRead, kind: "resource", handler: s.handleGetResource},
		{method: "PATCH", path: "/v1/resources/{id}", scope: docsapi.ScopeResourcesWrite, kind: "resource", handler: s.handleUpdateResource},
		{method: "DELETE", path: "/v1/resources/{id}", scope: docsapi.ScopeResourcesWrite, kind: "resource", handler: s.handleDeleteResource},
		{method: "POST", path: "/v1/api_keys", scope: docsapi.ScopeKeysWrite, handler: s.handleCreateAPIKey},
		{method: "GET", path: "/v1/api_keys", scope: docsapi.ScopeKeysRead, query: listQuery, handler: s.handleListAPIKeys},
		{method: "GET", path: "/v1/api_keys/{id}", scope: docsapi.ScopeKeysRead, kind: "API key", handler: s.handleGetAPIKey},
		{method: "DELETE", path: "/v1/api_keys/{id}", scope: docsapi.ScopeKeysWrite, kind: "API key", handler: s.handleRevokeAPIKey},
		{method: "GET", path: "/v1/requests", scope: docsapi.ScopeLogsRead, query: append([]string{"status"}, listQuery...), handler: s.handleListRequestLogs},
		{method: "GET", path: "/v1/requests/{id}", scope: docsapi.ScopeLogsRead, kind: "request", handler: s.handleGetRequestLog},
		{method: "GET", path: "/healthz", handler: s.handleHealth},
		{method: "GET", path: "/metrics", handler: s.handleMetrics},
		{method: "GET", path: "/v1/openapi.json", handler: s.handleOpenAPI},
	}
	for _, rt := range s.routes {
		h := http.Handler(rt.handler)
		if rt.scope != "" {
			// The contract's order of checks; the handler then runs a
			// write through execute (idempotency, then the work).
			h = s.requireKey(s.limitRate(s.requireScope(rt.scope, s.readInput(rt, h))))
		}
		s.mux.Handle(rt.method+" "+rt.path, h)
	}
	s.registerDocs()
	// Everything else, unknown paths and unknown methods alike, is a 404.
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.Error(w, r, unrecognizedURL(r))
	})
}

// handler is the chain that every request passes, outermost first; the
// package comment (doc.go) lists every check in order.
func (s *Server) handler() http.Handler {
	return s.begin(s.instrument(s.recoverPanics(s.checkHeaderAndPath(s.mux))))
}
