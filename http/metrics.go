package http

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the Prometheus collectors that /metrics serves.
type metrics struct {
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	rateLimited    *prometheus.CounterVec
	idempotency    *prometheus.CounterVec
	logQueueDepth  prometheus.GaugeFunc
	logDropped     prometheus.Counter
	logWriteErrors prometheus.Counter
	buildInfo      *prometheus.GaugeVec
	queueDepth     func() float64

	// byRoute caches the counter and histogram of each route and status:
	// looking them up by label values would cost a string and a hash of the
	// labels on every request.
	mu      sync.RWMutex
	byRoute map[routeStatus]routeMetrics
}

// routeStatus keys byRoute.
type routeStatus struct {
	route  string
	status int
}

type routeMetrics struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// route returns the metrics of a request to route answered with status.
func (m *metrics) route(route string, status int) routeMetrics {
	k := routeStatus{route, status}
	m.mu.RLock()
	rm, ok := m.byRoute[k]
	m.mu.RUnlock()
	if ok {
		return rm
	}
	s := strconv.Itoa(status)
	rm = routeMetrics{requests: m.requests.WithLabelValues(route, s), duration: m.duration.WithLabelValues(route, s)}
	m.mu.Lock()
	m.byRoute[k] = rm
	m.mu.Unlock()
	return rm
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "docsapi_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "docsapi_http_request_duration_seconds", Help: "HTTP request latency by route pattern and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route", "status"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "docsapi_rate_limited_total", Help: "Requests refused with 429, by limit (api_key or auth_failures).",
		}, []string{"limit"}),
		idempotency: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "docsapi_idempotency_total", Help: "Idempotent requests by outcome (replayed, conflict, waited).",
		}, []string{"outcome"}),
		logDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "docsapi_request_log_dropped_total", Help: "Request-log entries dropped: the queue was full, or the store failed for longer than the retry buffer holds.",
		}),
		logWriteErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "docsapi_request_log_write_errors_total", Help: "Request-log entries dropped because the store refused them alone; during a store outage entries are held and retried instead (docsapi_request_log_queue_depth).",
		}),
		buildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "docsapi_build_info", Help: "Always 1; its labels say which build runs.",
		}, []string{"version", "goversion"}),
		byRoute: map[routeStatus]routeMetrics{},
	}
	m.logQueueDepth = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "docsapi_request_log_queue_depth", Help: "Request-log entries waiting to be written.",
	}, func() float64 {
		if m.queueDepth == nil {
			return 0
		}
		return m.queueDepth()
	})
	reg.MustRegister(m.requests, m.duration, m.rateLimited, m.idempotency, m.logQueueDepth, m.logDropped, m.logWriteErrors, m.buildInfo,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// instrument counts and times each request by the route pattern that
// served it. A request refused before routing, or that no route matched, is
// "unmatched". ServeMux sets r.Pattern on the request it is given, so the
// links between here and the mux must pass r on as it is.
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateFrom(r.Context())
		defer func() {
			route := r.Pattern
			if route == "" || route == "/" {
				route = "unmatched"
			}
			rm := s.metrics.route(route, st.resp.status)
			rm.requests.Inc()
			rm.duration.Observe(time.Since(st.start).Seconds())
		}()
		next.ServeHTTP(w, r)
	})
}

// handleMetrics serves GET /metrics.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}
