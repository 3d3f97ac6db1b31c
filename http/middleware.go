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
	"time"

	"github.com/docsapi/docsapi"
)

// state is what the middleware learns about one request as it passes.
type state struct {
	id     string
	start  time.Time
	logger *slog.Logger
	key    *docsapi.APIKey
	// apiErr is the error object the response carried, nil for a success.
	apiErr *docsapi.Error
	// source is docsapi.SourceDashboard for a request that a Dashboard page
	// serves (its handler sets it, with key, to have the request logged as
	// the Dashboard's); empty means docsapi.SourceAPI.
	source string

	idempotencyKey string
	replayed       bool
	body           body
}

type stateKey struct{}

func stateFrom(ctx context.Context) *state {
	st, _ := ctx.Value(stateKey{}).(*state)
	return st
}

func (s *Server) logger(ctx context.Context) *slog.Logger {
	if st := stateFrom(ctx); st != nil {
		return st.logger
	}
	return s.Logger
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

// outer gives every request an id, recovers panics, logs the request and
// queues its request-log entry when it was authenticated.
func (s *Server) outer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &state{id: docsapi.NewRequestID(), start: time.Now()}
		st.logger = s.Logger.With(slog.String("request_id", st.id))
		r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
		w.Header().Set("Request-Id", st.id)
		sw := &statusWriter{ResponseWriter: w}
		if len(r.TransferEncoding) > 0 {
			// net/http drops a Content-Length sent along with chunked, so
			// such a request (a smuggling attempt, RFC 9112 §6.1) cannot be
			// told apart: every chunked request ends its connection.
			w.Header().Set("Connection", "close")
		}
		if headerSize(r) > MaxHeaderBytes {
			s.Error(sw, r, &statusError{err: headersTooLarge(), status: http.StatusRequestHeaderFieldsTooLarge})
			s.finish(r, st, sw.status)
			return
		}
		if p := r.URL.Path; p != "/" && path.Clean(p) != p {
			// ServeMux would redirect to the clean path with an HTML body;
			// no route of this API has such a path.
			s.Error(sw, r, docsapi.Errorf(docsapi.ENOTFOUND, "Unrecognized request URL (%s: %s).", r.Method, p))
			s.finish(r, st, sw.status)
			return
		}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				st.logger.Error("panic", slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
				if sw.status == 0 {
					s.Error(sw, r, fmt.Errorf("panic: %v", v))
				}
			}
			s.finish(r, st, sw.status)
		}()
		next.ServeHTTP(sw, r)
	})
}

// finish logs the request and queues its entry in the request log.
func (s *Server) finish(r *http.Request, st *state, status int) {
	d := time.Since(st.start)
	if r.Context().Err() != nil && status >= 500 {
		// The client went away and the work was cut short: not our failure.
		status, st.apiErr = statusClientClosed, nil
	}
	var apiErr docsapi.Error
	if st.apiErr != nil {
		apiErr = *st.apiErr
	}
	st.logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", status), slog.Float64("duration_ms", durationMS(d)), slog.String("error_code", apiErr.Code))
	if st.key == nil {
		return
	}
	source := st.source
	if source == "" {
		source = docsapi.SourceAPI
	}
	s.log.Enqueue(&docsapi.RequestLog{
		ID: st.id, AccountID: st.key.AccountID, Method: r.Method, Path: docsapi.LoggableText(r.URL.Path, 0),
		Route: r.Pattern, Status: status,
		// The message may quote the request's bytes: keep it storable.
		ErrorCode: apiErr.Code, ErrorMessage: docsapi.LoggableText(apiErr.Message, 0), ErrorParam: docsapi.LoggableText(apiErr.Param, 0),
		APIKeyID: st.key.ID, IdempotencyKey: st.idempotencyKey, IdempotentReplayed: st.replayed, Duration: d,
		IP: clientIP(r), UserAgent: docsapi.LoggableText(r.UserAgent(), docsapi.MaxUserAgentLen), Source: source,
		CreatedAt: st.start.UTC(),
	})
}

// statusClientClosed is what the logs record for a request whose client
// hung up before it was answered (nginx's convention; never sent).
const statusClientClosed = 499

func durationMS(d time.Duration) float64 {
	return math.Round(float64(d.Microseconds())/10) / 100
}

// api runs the contract's checks in its order: authentication, rate limit,
// scope, then query, Idempotency-Key and body parsing.
func (s *Server) api(rt route, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateFrom(r.Context())
		key, err := s.authenticate(r)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		st.key = key
		st.logger = st.logger.With(slog.String("api_key_id", key.ID), slog.String("account_id", key.AccountID))

		if err := s.rateLimit(w, r, key); err != nil {
			s.Error(w, r, err)
			return
		}
		if !key.HasScope(rt.scope) {
			s.Error(w, r, docsapi.Errorf(docsapi.EFORBIDDEN, "This API key lacks the scope %s that this request needs.", rt.scope))
			return
		}
		if err := checkQuery(r, rt.query); err != nil {
			s.Error(w, r, err)
			return
		}
		if id := r.PathValue("id"); rt.kind != "" && !docsapi.WellFormedID(id) {
			s.Error(w, r, docsapi.NotFound(rt.kind, id))
			return
		}
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

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
