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
	"sync"
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
// finished duplicate is replayed, and a running one is waited for. It
// returns the status of the answer when that is this request's work, or 0
// (a replay, an error before or after the work).
func (s *Server) execute(w http.ResponseWriter, r *http.Request, fn work) int {
	st := stateFrom(r.Context())
	if st.idempotencyKey == "" {
		out := s.runWork(r.Context(), r, fn)
		writeBody(w, out.stored.Status, out.shown)
		return out.stored.Status
	}
	claim, stored, err := s.waitForClaim(r, fingerprint(r, st.body))
	if err != nil {
		s.Error(w, r, err)
		return 0
	}
	if stored != nil {
		s.replay(w, st, stored)
		return 0
	}
	stop := s.keepClaim(r.Context(), claim)
	var out workOutcome // the last run's, should the store run the work again
	resp, replayed, err := s.IdempotencyService.Complete(r.Context(), claim, func(ctx context.Context) (*docsapi.StoredResponse, error) {
		out = s.runWork(ctx, r, fn)
		return &out.stored, nil
	})
	stop()
	if err != nil {
		if docsapi.ErrorCode(err) == docsapi.ECONFLICT {
			s.metrics.idempotency.WithLabelValues("conflict").Inc()
		}
		s.Error(w, r, err)
		return 0
	}
	if replayed {
		s.replay(w, st, resp)
		return 0
	}
	writeBody(w, resp.Status, out.shown)
	return resp.Status
}

// fingerprint identifies a request under its Idempotency-Key: the same
// method, path and body, in canonical form so that key order and white
// space don't matter.
func fingerprint(r *http.Request, b body) string {
	sum := sha256.Sum256([]byte(r.Method + " " + r.URL.Path + "\n" + string(b.canonical)))
	return hex.EncodeToString(sum[:])
}

// waitForClaim claims the request's Idempotency-Key, or returns the stored
// response of a finished duplicate. While a duplicate runs it polls, for up
// to docsapi.IdempotencyWait, then gives up with a 409.
func (s *Server) waitForClaim(r *http.Request, fingerprint string) (*docsapi.IdempotencyClaim, *docsapi.StoredResponse, error) {
	st := stateFrom(r.Context())
	// The first attempt runs on the request's context: Begin bounds its own
	// wait on the store, and a context with a deadline for every write was
	// 3% of a create's CPU. A request that waits for a duplicate gets one,
	// ending IdempotencyWait after it began.
	ctx := r.Context()
	deadline := time.Now().Add(docsapi.IdempotencyWait)
	waited := false
	for {
		claim, stored, err := s.IdempotencyService.Begin(ctx, st.key.AccountID, st.idempotencyKey, fingerprint, st.id)
		// Past the deadline, a request that was waiting for a duplicate gets
		// 409; one that never saw a duplicate met a slow store: a 500.
		if ctx.Err() != nil && r.Context().Err() == nil && waited {
			err = docsapi.ErrIdempotencyInProgress
		}
		if !errors.Is(err, docsapi.ErrIdempotencyInProgress) {
			if docsapi.ErrorCode(err) == docsapi.ECONFLICT {
				s.metrics.idempotency.WithLabelValues("conflict").Inc()
			}
			return claim, stored, err
		}
		if !waited {
			waited = true
			s.metrics.idempotency.WithLabelValues("waited").Inc()
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(r.Context(), deadline)
			defer cancel()
		}
		if ctx.Err() != nil {
			s.metrics.idempotency.WithLabelValues("conflict").Inc()
			return nil, nil, docsapi.ParamErrorf(docsapi.ECONFLICT, "Idempotency-Key",
				"A request with this Idempotency-Key is still in progress after %d seconds; retry later.", int(docsapi.IdempotencyWait/time.Second))
		}
		select {
		case <-time.After(idempotencyPoll):
		case <-r.Context().Done():
			return nil, nil, r.Context().Err()
		}
	}
}

// workOutcome is a write's rendered response: what is stored for replays,
// and the body shown to this caller, which differs when the stored copy is
// redacted (a new key's secret is shown once, never stored).
type workOutcome struct {
	stored docsapi.StoredResponse
	shown  []byte
}

// runWork runs fn and renders its result, or its error, as a response.
func (s *Server) runWork(ctx context.Context, r *http.Request, fn work) workOutcome {
	status, v, err := s.doWork(ctx, fn)
	var body, shown []byte
	if err == nil {
		body, err = marshal(v)
		shown = body
	}
	if rd, ok := v.(redactor); ok && err == nil {
		body, err = marshal(rd.redacted())
	}
	if err != nil {
		status, body = s.renderError(r, err)
		shown = body
	}
	return workOutcome{stored: docsapi.StoredResponse{Status: status, Body: body, RequestID: stateFrom(r.Context()).id}, shown: shown}
}

// keepClaim renews the claim's lease while the work runs, so that a slow
// request is waited for rather than taken over; stop ends the renewals.
// A timer rather than a goroutine: nearly every request is done long
// before the first renewal, and then costs no more than a timer.
func (s *Server) keepClaim(ctx context.Context, claim *docsapi.IdempotencyClaim) (stop func()) {
	every := s.claimRenewal
	var mu sync.Mutex // held while a renewal runs; stop waits for it
	stopped := false
	mu.Lock()
	defer mu.Unlock()
	var t *time.Timer
	t = time.AfterFunc(every, func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		if err := s.IdempotencyService.Extend(ctx, claim); err != nil && ctx.Err() == nil {
			s.logger(ctx).Warn("extend idempotency claim", slog.String("error", err.Error()))
		}
		t.Reset(every)
	})
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		// A renewal that ran meanwhile re-armed the timer.
		t.Stop()
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
	if s.beforeWork != nil {
		if err := s.beforeWork(ctx); err != nil {
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
		return &docsapi.Error{Code: docsapi.EPARAMINVALID, Param: "Idempotency-Key", Message: msg}
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
