package http

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/docsapi/docsapi"
)

// idempotencyPoll is how often a duplicate checks whether the first request
// has finished; polling the store works across instances.
const idempotencyPoll = 20 * time.Millisecond

// work is what a write does once its input is valid: the status and object
// of a success, or an error.
type work func(ctx context.Context) (int, any, error)

// execute runs a write's work and writes its response. With an
// Idempotency-Key, the work and the stored response commit together, a
// finished duplicate is replayed, and a running one is waited for.
func (s *Server) execute(w http.ResponseWriter, r *http.Request, fn work) {
	st := stateFrom(r.Context())
	// shown is what this request's caller sees when it differs from what is
	// stored for replays (a new key's secret is shown once, never stored).
	var shown []byte
	run := func(ctx context.Context) (*docsapi.StoredResponse, error) {
		resp := &docsapi.StoredResponse{RequestID: st.id}
		status, v, err := s.doWork(ctx, fn)
		if err == nil {
			resp.Body, err = marshal(v)
		}
		if rd, ok := v.(redactor); ok && err == nil {
			shown = resp.Body
			resp.Body, err = marshal(rd.redacted())
		}
		if err != nil {
			shown = nil
			status, resp.Body = s.renderError(r, err)
		}
		resp.Status = status
		return resp, nil
	}
	respond := func(resp *docsapi.StoredResponse) {
		if shown != nil {
			writeBody(w, resp.Status, shown)
		} else {
			writeBody(w, resp.Status, resp.Body)
		}
	}
	if st.idempotencyKey == "" {
		resp, _ := run(r.Context())
		respond(resp)
		return
	}

	key := st.key
	sum := sha256.Sum256([]byte(r.Method + " " + r.URL.Path + "\n" + string(st.body.canonical)))
	fingerprint := hex.EncodeToString(sum[:])
	// The deadline also bounds the wait for the store's write lock, which a
	// slow first request may hold.
	ctx, cancel := context.WithTimeout(r.Context(), docsapi.IdempotencyWait)
	defer cancel()
	waited := false
	for {
		claim, stored, err := s.IdempotencyService.Begin(ctx, key.AccountID, st.idempotencyKey, fingerprint, st.id)
		// Past the deadline, a request that was waiting for a duplicate gets
		// 409; one that never saw a duplicate met a slow store: a 500.
		if ctx.Err() != nil && r.Context().Err() == nil && waited {
			err = docsapi.ErrIdempotencyInProgress
		}
		if errors.Is(err, docsapi.ErrIdempotencyInProgress) {
			if !waited {
				waited = true
				s.metrics.idempotency.WithLabelValues("waited").Inc()
			}
			if ctx.Err() != nil {
				s.metrics.idempotency.WithLabelValues("conflict").Inc()
				s.Error(w, r, docsapi.ParamErrorf(docsapi.ECONFLICT, "Idempotency-Key",
					"A request with this Idempotency-Key is still in progress after %d seconds; retry later.", int(docsapi.IdempotencyWait/time.Second)))
				return
			}
			select {
			case <-time.After(idempotencyPoll):
				continue
			case <-r.Context().Done():
				s.Error(w, r, r.Context().Err())
				return
			}
		}
		if err != nil {
			if docsapi.ErrorCode(err) == docsapi.ECONFLICT {
				s.metrics.idempotency.WithLabelValues("conflict").Inc()
			}
			s.Error(w, r, err)
			return
		}
		if stored != nil {
			s.replay(w, st, stored)
			return
		}
		stop := s.keepClaim(r.Context(), claim)
		resp, err := s.IdempotencyService.Complete(r.Context(), claim, run)
		stop()
		if err != nil {
			s.Error(w, r, err)
			return
		}
		respond(resp)
		return
	}
}

// keepClaim renews the claim's lease while the work runs, so that a slow
// request is waited for rather than taken over; stop ends the renewals.
func (s *Server) keepClaim(ctx context.Context, claim *docsapi.IdempotencyClaim) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(docsapi.IdempotencyLease / 4)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := s.IdempotencyService.Extend(ctx, claim); err != nil && ctx.Err() == nil {
					s.logger(ctx).Warn("extend idempotency claim", slog.String("error", err.Error()))
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// redactor is a work's result whose stored copy must hold less than the
// response shown to the caller that ran the work.
type redactor interface{ redacted() any }

// doWork runs fn after the test hook, if any. A panic becomes an error here
// so that an idempotency claim is released like after any other failure.
func (s *Server) doWork(ctx context.Context, fn work) (status int, v any, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.logger(ctx).Error("panic", slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	if s.BeforeWork != nil {
		if err := s.BeforeWork(ctx); err != nil {
			return 0, nil, err
		}
	}
	return fn(ctx)
}

// replay writes a stored response byte for byte.
func (s *Server) replay(w http.ResponseWriter, st *state, stored *docsapi.StoredResponse) {
	s.metrics.idempotency.WithLabelValues("replayed").Inc()
	st.replayed = true
	if stored.Status >= 400 {
		var eb errorBody
		if json.Unmarshal(stored.Body, &eb) == nil {
			st.apiErr = &docsapi.Error{Code: eb.Error.Code, Message: eb.Error.Message, Param: eb.Error.Param}
		}
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.Header().Set("Original-Request", stored.RequestID)
	writeBody(w, stored.Status, stored.Body)
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
