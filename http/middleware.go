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
	"strconv"
	"strings"
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

// parseAuthorization returns the secret of the request's Authorization
// headers. Anything ambiguous is refused: two headers (two identities, or a
// key plus junk), or anything but one Bearer secret in the one header.
func parseAuthorization(values []string) (string, error) {
	if len(values) == 0 || len(values) == 1 && values[0] == "" {
		return "", docsapi.Errorf(docsapi.EUNAUTHORIZED, "You did not provide an API key; send it as 'Authorization: Bearer sk_live_...'.")
	}
	if len(values) > 1 {
		return "", docsapi.Errorf(docsapi.EUNAUTHORIZED, "Send one Authorization header, not several.")
	}
	scheme, secret, _ := strings.Cut(values[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", docsapi.Errorf(docsapi.EUNAUTHORIZED, "Use the Bearer scheme: 'Authorization: Bearer sk_live_...'.")
	}
	secret = strings.TrimSpace(secret)
	if !docsapi.ValidSecret(secret) {
		return "", docsapi.Errorf(docsapi.EUNAUTHORIZED, "Invalid API key provided: it is not of the form sk_live_ followed by 32 characters.")
	}
	return secret, nil
}

// authenticate returns the request's key. Failed attempts with a key count
// against the client IP, so secrets cannot be guessed at line rate.
func (s *Server) authenticate(r *http.Request) (*docsapi.APIKey, error) {
	secret, err := parseAuthorization(r.Header.Values("Authorization"))
	if err != nil {
		return nil, err
	}
	// Only secrets that must be looked up and did not name a valid key last
	// time are possible guesses, checked against the per-IP limit (which may
	// cost a Redis round trip). A valid key in use is never locked out.
	key, fresh, known := s.keys.Cached(secret)
	ip := clientIP(r)
	if !fresh {
		if s.AuthFailureLimit > 0 && !known {
			if rl, err := s.AuthFailures.Peek(r.Context(), ip, s.AuthFailureLimit); err != nil {
				return nil, err
			} else if !rl.Allowed {
				return nil, s.tooManyAuthFailures(rl)
			}
		}
		if key, err = s.keys.Find(r.Context(), secret); err != nil {
			return nil, err
		}
	}
	if key == nil || key.RevokedAt != nil {
		if s.AuthFailureLimit > 0 {
			if _, err := s.AuthFailures.Allow(r.Context(), ip, s.AuthFailureLimit); err != nil {
				return nil, err
			}
		}
		if key != nil {
			return nil, docsapi.Errorf(docsapi.EUNAUTHORIZED, "This API key was revoked.")
		}
		return nil, docsapi.Errorf(docsapi.EUNAUTHORIZED, "Invalid API key provided.")
	}
	return key, nil
}

func (s *Server) tooManyAuthFailures(rl docsapi.RateLimit) error {
	s.metrics.rateLimited.WithLabelValues("auth_failures").Inc()
	return &retryAfterError{
		err:   docsapi.Errorf(docsapi.ERATELIMITED, "Too many failed authentication attempts from this address; retry after %d seconds.", ceilSeconds(rl.Reset)),
		after: ceilSeconds(rl.Reset),
	}
}

// retryAfterError is a 429 that knows its Retry-After.
type retryAfterError struct {
	err   *docsapi.Error
	after int
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func ceilSeconds(d time.Duration) int {
	n := int((d + time.Second - 1) / time.Second)
	return max(n, 1)
}

// rateLimit admits the request against its key's limit and sets the
// RateLimit headers.
func (s *Server) rateLimit(w http.ResponseWriter, r *http.Request, key *docsapi.APIKey) error {
	rl, err := s.RateLimiter.Allow(r.Context(), key.ID, key.RateLimit)
	if err != nil {
		return err
	}
	reset := 0
	if rl.Reset > 0 {
		reset = ceilSeconds(rl.Reset)
	}
	h := w.Header()
	h.Set("RateLimit-Policy", fmt.Sprintf(`"default";q=%d;w=1`, rl.Limit))
	h.Set("RateLimit", fmt.Sprintf(`"default";r=%d;t=%d`, rl.Remaining, reset))
	if !rl.Allowed {
		s.metrics.rateLimited.WithLabelValues("api_key").Inc()
		after := ceilSeconds(rl.Reset)
		h.Set("Retry-After", strconv.Itoa(after))
		return docsapi.Errorf(docsapi.ERATELIMITED, "Too many requests for this API key (limit %d per second); retry after %d second(s).", rl.Limit, after)
	}
	return nil
}

// parseIdempotencyKey returns the Idempotency-Key, without the quotes of its
// structured-field form, or "" when there is none.
func parseIdempotencyKey(values []string) (string, error) {
	if len(values) == 0 {
		return "", nil
	}
	invalid := func(msg string) error {
		return docsapi.ParamErrorf(docsapi.EPARAMINVALID, "Idempotency-Key", "%s", msg)
	}
	if len(values) > 1 {
		return "", invalid("Send one Idempotency-Key header, not several.")
	}
	v := values[0]
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		unq, ok := unquoteSFString(v[1 : len(v)-1])
		if !ok {
			return "", invalid("The quoted Idempotency-Key is not a valid structured-field string.")
		}
		v = unq
	}
	if v == "" {
		return "", invalid("The Idempotency-Key must not be empty.")
	}
	if len(v) > 255 {
		return "", invalid(fmt.Sprintf("The Idempotency-Key must be at most 255 characters; it has %d.", len(v)))
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return "", invalid("The Idempotency-Key must contain only printable ASCII characters.")
		}
	}
	return v, nil
}

// unquoteSFString undoes the escapes of an RFC 8941 string, whose only
// escapes are \" and \\, and which holds no other unescaped quote.
func unquoteSFString(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			i++
			if i == len(s) || s[i] != '"' && s[i] != '\\' {
				return "", false
			}
			b.WriteByte(s[i])
		case '"':
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}
