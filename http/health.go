package http

import (
	"context"
	"net/http"
	"time"
)

// sharedPingTimeout bounds the health check's wait for the shared
// rate-limit state, so that a silent Redis cannot stall a load balancer's
// probe.
const sharedPingTimeout = time.Second

// storagePingTimeout bounds its wait for the database: a PostgreSQL that
// accepts connections but does not answer fails the probe instead of
// holding it.
const storagePingTimeout = 2 * time.Second

// handleHealth serves GET /healthz. It answers 200 while storage answers. A
// failing shared rate-limit state (Redis) does not fail it, since requests
// are then still served and limited per instance; it is reported as
// rate_limit "degraded" rather than "shared".
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), storagePingTimeout)
	defer cancel()
	if err := s.Storage.Ping(ctx); err != nil {
		s.Error(w, r, err)
		return
	}
	body := struct {
		Status    string `json:"status"`
		RateLimit string `json:"rate_limit,omitempty"`
	}{Status: "ok"}
	if s.SharedRateLimit != nil {
		ctx, cancel := context.WithTimeout(r.Context(), sharedPingTimeout)
		defer cancel()
		body.RateLimit = "shared"
		if err := s.SharedRateLimit.Ping(ctx); err != nil {
			body.RateLimit = "degraded"
		}
	}
	s.writeJSON(w, r, http.StatusOK, body)
}
