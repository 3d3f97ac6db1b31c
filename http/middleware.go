package http

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"path"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/docsapi/docsapi"
)

// state is what the middleware learns about one request as it passes.
type state struct {
	id    string
	start time.Time
	// resp is the one statusWriter of the request: every link reads the
	// status it wrote from here.
	resp *statusWriter
	key  *docsapi.APIKey
	// apiErr is the error object the response carried, nil for a success.
	apiErr *docsapi.Error
	// source is docsapi.SourceDashboard for a request that a Dashboard page
	// serves (its handler sets it, with key, to have the request logged as
	// the Dashboard's); empty means docsapi.SourceAPI.
	source string
	// opened, when set, is the time a stream took to open (the live tail):
	// its entry's duration, where the stream's whole life would swamp the
	// Dashboard's latency figures.
	opened time.Duration

	idempotencyKey string
	replayed       bool
	body           body
}

type stateKey struct{}

func stateFrom(ctx context.Context) *state {
	st, _ := ctx.Value(stateKey{}).(*state)
	return st
}

// logger returns the logger of the request of ctx, whose lines carry the
// request's id and key. It is built when a line is to be written, which is
// rare, rather than for every request.
func (s *Server) logger(ctx context.Context) *slog.Logger {
	st := stateFrom(ctx)
	if st == nil {
		return s.Logger
	}
	var buf [3]slog.Attr
	return s.Logger.With(attrsToAny(st.logAttrs(buf[:0]))...)
}

// logAttrs appends to attrs those that every log line of the request
// carries.
func (st *state) logAttrs(attrs []slog.Attr) []slog.Attr {
	attrs = append(attrs, slog.String("request_id", st.id))
	if st.key != nil {
		attrs = append(attrs, slog.String("api_key_id", st.key.ID), slog.String("account_id", st.key.AccountID))
	}
	return attrs
}

// attrsToAny converts attributes for slog's variadic ...any arguments.
func attrsToAny(attrs []slog.Attr) []any {
	args := make([]any, len(attrs))
	for i, a := range attrs {
		args[i] = a
	}
	return args
}

// statusWriter remembers the status that the handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// begin gives every request its id and state and, once it is answered,
// logs it and queues its request-log entry.
func (s *Server) begin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &state{id: docsapi.NewRequestID(), start: time.Now(), resp: &statusWriter{ResponseWriter: w}}
		r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
		w.Header().Set("Request-Id", st.id)
		next.ServeHTTP(st.resp, r)
		s.finish(r, st, st.resp.status)
	})
}

// recoverPanics answers a panic as an api_error, unless the response has
// begun, and logs its stack. http.ErrAbortHandler is net/http's way to drop
// a connection and is let through.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				st := stateFrom(r.Context())
				s.logger(r.Context()).Error("panic", slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
				if st.resp.status == 0 {
					s.Error(w, r, fmt.Errorf("panic: %v", v))
				}
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// checkHeaderAndPath refuses, before routing, headers over MaxHeaderBytes
// (431) and an unclean path (404), which ServeMux would redirect to the
// clean path with an HTML body, or a path of "*": no route of this API has
// such a path.
func (s *Server) checkHeaderAndPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TransferEncoding) > 0 {
			// net/http drops a Content-Length sent along with chunked, so
			// such a request (a smuggling attempt, RFC 9112 §6.1) cannot be
			// told apart: every chunked request ends its connection.
			w.Header().Set("Connection", "close")
		}
		if headerSize(r) > MaxHeaderBytes {
			s.Error(w, r, &statusError{err: headersTooLarge(), status: http.StatusRequestHeaderFieldsTooLarge})
			return
		}
		if p := r.URL.Path; !strings.HasPrefix(p, "/") {
			// "*" of OPTIONS * or GET *, which ServeMux answers with a bare 400.
			s.Error(w, r, unrecognizedURL(r))
			return
		} else if p != "/" && path.Clean(p) != p {
			if htmlRoots[p] && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
				// Typed into a browser's address bar: the page, not JSON.
				http.Redirect(w, r, strings.TrimSuffix(p, "/"), http.StatusMovedPermanently)
				return
			}
			s.Error(w, r, unrecognizedURL(r))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// htmlRoots are the web pages' roots with a trailing slash, which a browser
// user may type; they redirect to the pages, where every other unclean path
// is a 404.
var htmlRoots = map[string]bool{"/docs/": true, "/dashboard/": true}

// unrecognizedURL is the 404 of a request that no route serves.
func unrecognizedURL(r *http.Request) error {
	return docsapi.Errorf(docsapi.ENOTFOUND, "Unrecognized request URL (%s: %s).", r.Method, r.URL.Path)
}

// finish queues the request's entry in the request log and writes its
// access-log line, if it gets one (Server.LogAllRequests).
func (s *Server) finish(r *http.Request, st *state, status int) {
	d := time.Since(st.start)
	if st.opened > 0 {
		d = st.opened
	}
	if r.Context().Err() != nil && status >= 500 {
		// The client went away and the work was cut short: not our failure.
		status, st.apiErr = statusClientClosed, nil
	}
	var apiErr docsapi.Error
	if st.apiErr != nil {
		apiErr = *st.apiErr
	}
	source := st.source
	if source == "" {
		source = docsapi.SourceAPI
	}
	kept := st.key != nil && s.log.Enqueue(&docsapi.RequestLog{
		ID: st.id, AccountID: st.key.AccountID, Method: r.Method, Path: docsapi.LoggablePath(r.URL.Path),
		Route: r.Pattern, Status: status,
		// The message may quote the request's bytes: keep it storable.
		ErrorCode: apiErr.Code, ErrorMessage: docsapi.LoggableText(apiErr.Message, 0), ErrorParam: docsapi.LoggableText(apiErr.Param, 0),
		APIKeyID: st.key.ID, IdempotencyKey: st.idempotencyKey, IdempotentReplayed: st.replayed, Duration: d,
		IP: clientIP(r), UserAgent: docsapi.LoggableText(r.UserAgent(), docsapi.MaxUserAgentLen), Source: source,
		CreatedAt: st.start.UTC(),
	})
	// The line was a tenth of a GET's CPU; a request that the request
	// log keeps is written there anyway.
	if kept && status < 400 && !s.LogAllRequests {
		return
	}
	// The address too: the request log keeps no entry of a request without
	// a key, such as a failed sign-in, and the per-address lockout counts those.
	var buf [9]slog.Attr
	attrs := append(st.logAttrs(buf[:0]),
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", status), slog.Float64("duration_ms", durationMS(d)), slog.String("error_code", apiErr.Code),
		slog.String("ip", clientIP(r)))
	s.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}

// statusClientClosed is what the logs record for a request whose client
// hung up before it was answered (nginx's convention; never sent).
const statusClientClosed = 499

// durationMS is d in milliseconds rounded to two decimals, as the logs,
// request-log entries and Dashboard show it.
func durationMS(d time.Duration) float64 {
	return math.Round(float64(d.Microseconds())/10) / 100
}

// requireScope answers 403 unless the request's key holds scope.
func (s *Server) requireScope(scope string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !stateFrom(r.Context()).key.HasScope(scope) {
			s.Error(w, r, docsapi.Errorf(docsapi.EFORBIDDEN, "This API key lacks the scope %s that this request needs.", scope))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// readInput checks the query, the id's form (404 for an id that cannot
// exist), and on a write the Idempotency-Key and the JSON body, which it
// leaves parsed in the state for the handler.
func (s *Server) readInput(rt route, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateFrom(r.Context())
		if err := checkQuery(r, rt.query); err != nil {
			s.Error(w, r, err)
			return
		}
		if id := r.PathValue("id"); rt.kind != "" && !docsapi.WellFormedID(id) {
			s.Error(w, r, docsapi.NotFound(rt.kind, id))
			return
		}
		var err error
		if r.Method == http.MethodPost || r.Method == http.MethodPatch || r.Method == http.MethodDelete {
			if st.idempotencyKey, err = parseIdempotencyKey(r.Header.Values("Idempotency-Key")); err != nil {
				s.Error(w, r, err)
				return
			}
			if st.body, err = readBody(w, r); err != nil {
				s.Error(w, r, err)
				return
			}
		} else if err := checkReadBody(w, r); err != nil {
			s.Error(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkQuery refuses a malformed query string, unknown parameters and
// parameters given twice, rather than guessing which value was meant.
func checkQuery(r *http.Request, known []string) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil || q.Has("") {
		return docsapi.Errorf(docsapi.EPARAMINVALID, "The query string is malformed.")
	}
	for name, values := range q {
		if !slices.Contains(known, name) {
			return docsapi.ParamErrorf(docsapi.EPARAMINVALID, name, "Unknown query parameter: %s.", name)
		}
		if len(values) > 1 {
			return docsapi.ParamErrorf(docsapi.EPARAMINVALID, name, "The query parameter %s is given more than once.", name)
		}
	}
	return nil
}

// clientIP is the peer's address without its port. X-Forwarded-For is not
// read: a client could forge it to dodge the per-IP authentication-failure
// limit.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
