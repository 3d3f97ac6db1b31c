package http

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/docsapi/docsapi"
)

// The live tail polls the shared store rather than listening for
// notifications: it then works the same on SQLite and PostgreSQL and sees
// every instance's requests, at the cost of one indexed query per stream
// every livePoll.
const (
	livePoll      = 500 * time.Millisecond
	liveBacklog   = 20 // entries sent when a stream starts
	liveBatch     = 200
	liveKeepalive = 15 * time.Second
	// liveMaxStreams bounds one account's open streams on an instance: each
	// costs a query every livePoll.
	liveMaxStreams = 10
)

// liveStreams counts each account's open streams.
type liveStreams struct {
	mu sync.Mutex
	n  map[string]int
}

// acquire takes a stream slot for the account; release gives it back.
func (l *liveStreams) acquire(accountID string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n[accountID] >= liveMaxStreams {
		return false
	}
	if l.n == nil {
		l.n = map[string]int{}
	}
	l.n[accountID]++
	return true
}

func (l *liveStreams) release(accountID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n[accountID]--; l.n[accountID] == 0 {
		delete(l.n, accountID)
	}
}

// Unwrap lets http.ResponseController reach the connection's Flusher and
// write deadline through the middleware's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// dashLivePage is the live tail page's data.
type dashLivePage struct {
	Filter    dashFilterForm
	StreamURL string
}

// handleDashLive serves GET /dashboard/logs/live. It answers Accept:
// text/event-stream with the stream, and anything else with the page that
// opens it.
func (s *Server) handleDashLive(w http.ResponseWriter, r *http.Request) {
	form, f, err := parseDashLogFilter(r)
	if err != nil {
		s.dashError(w, r, err)
		return
	}
	if !wantsEventStream(r) {
		s.render(w, r, http.StatusOK, "live", "Live tail", dashLivePage{Filter: newDashFilterForm(form), StreamURL: "/dashboard/logs/live" + form.Query()})
		return
	}
	accountID := stateFrom(r.Context()).key.AccountID
	if !s.live.acquire(accountID) {
		s.dashError(w, r, &retryAfterError{
			err:   docsapi.Errorf(docsapi.ERATELIMITED, "This account has %d live tails open already; close one and try again.", liveMaxStreams),
			after: int(liveKeepalive / time.Second),
		})
		return
	}
	defer s.live.release(accountID)
	s.streamLogs(w, r, f)
}

// streamLogs sends the account's log entries as Server-Sent Events as they
// are stored, each with its id so that a reconnecting EventSource resumes
// after the last one it got (Last-Event-ID). It ends when the session ends.
func (s *Server) streamLogs(w http.ResponseWriter, r *http.Request, f docsapi.RequestLogFilter) {
	ctx := r.Context()
	st := stateFrom(ctx)
	accountID := st.key.AccountID
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	cursor := r.Header.Get("Last-Event-ID")
	if cursor != "" && !docsapi.WellFormedID(cursor) {
		cursor = ""
	}
	limit := liveBatch
	if cursor == "" {
		limit = liveBacklog
	}
	send := func(event, id string, data any) bool {
		raw, err := json.Marshal(data)
		if err != nil {
			return false
		}
		rc.SetWriteDeadline(time.Now().Add(liveKeepalive + 10*time.Second))
		if id != "" {
			fmt.Fprintf(w, "id: %s\n", id)
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, raw); err != nil {
			return false
		}
		return true
	}
	ticker := time.NewTicker(livePoll)
	defer ticker.Stop()
	quiet := time.Now()
	for {
		entries, err := s.RequestLogService.TailRequestLogs(ctx, accountID, f, cursor, limit)
		if docsapi.ErrorCode(err) == docsapi.EPARAMINVALID {
			// The cursor's entry was purged: start again from the newest.
			cursor, limit = "", liveBacklog
			continue
		} else if err != nil {
			if ctx.Err() == nil {
				s.logger(ctx).Error("live tail", slog.String("error", err.Error()))
			}
			send("error", "", map[string]string{"message": "The live tail stopped; reload to try again."})
			rc.Flush()
			return
		}
		for _, e := range entries {
			if !send("request", e.ID, newRequestLogJSON(e)) {
				return
			}
			cursor = e.ID
		}
		limit = liveBatch
		if len(entries) > 0 {
			quiet = time.Now()
		} else if time.Since(quiet) >= liveKeepalive {
			rc.SetWriteDeadline(time.Now().Add(liveKeepalive + 10*time.Second))
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return
			}
			quiet = time.Now()
		}
		if err := rc.Flush(); err != nil {
			return
		}
		if st.opened == 0 {
			st.opened = time.Since(st.start)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.dashStop:
			return
		case <-ticker.C:
		}
		if _, err := s.dashSession(r); err != nil {
			send("signed_out", "", map[string]string{"message": "Your session ended."})
			rc.Flush()
			return
		}
	}
}
