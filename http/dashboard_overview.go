package http

import (
	"fmt"
	"net/http"
	"time"

	"github.com/docsapi/docsapi"
)

// dashOverview is the overview's data: the same two charts over the last
// hour (per minute) and the last 24 hours (per hour).
type dashOverview struct {
	Timelines []dashTimeline
}

type dashTimeline struct {
	Title           string
	Requests        dashChart
	Latency         dashChart
	Total, Errors   int
	RateLimited     int
	ServerErrors    int
	Success         int
	P50Max, P99Max  string
	BucketName      string
	Empty           bool
	RangeStart, End string
}

// handleDashOverview serves GET /dashboard.
func (s *Server) handleDashOverview(w http.ResponseWriter, r *http.Request) {
	accountID := stateFrom(r.Context()).key.AccountID
	s.log.Flush(r.Context())
	now := time.Now().UTC()
	var page dashOverview
	for _, span := range []struct {
		title, unit string
		since       time.Duration
		bucket      time.Duration
		label       string
	}{
		{"Last hour", "minute", time.Hour, time.Minute, "15:04"},
		{"Last 24 hours", "hour", 24 * time.Hour, time.Hour, "15:04"},
	} {
		// The range ends with the bucket holding now, and starts so that it
		// holds exactly as many buckets as it should.
		until := now.Truncate(span.bucket).Add(span.bucket)
		buckets, err := s.RequestLogService.RequestLogTimeline(r.Context(), accountID, until.Add(-span.since), until, span.bucket)
		if err != nil {
			s.dashError(w, r, err)
			return
		}
		page.Timelines = append(page.Timelines, newDashTimeline(span.title, span.unit, span.label, buckets))
	}
	s.render(w, r, http.StatusOK, "overview", "Overview", page)
}

func newDashTimeline(title, unit, label string, buckets []docsapi.RequestLogBucket) dashTimeline {
	tl := dashTimeline{Title: title, BucketName: unit}
	var p50, p99 time.Duration
	for _, b := range buckets {
		tl.Total += b.Total()
		tl.Success += b.Success
		tl.Errors += b.ClientError + b.RateLimited + b.ServerError
		tl.RateLimited += b.RateLimited
		tl.ServerErrors += b.ServerError
		p50, p99 = max(p50, b.P50), max(p99, b.P99)
	}
	tl.Empty = tl.Total == 0
	tl.P50Max, tl.P99Max = fmt.Sprintf("%.1f ms", durationMS(p50)), fmt.Sprintf("%.1f ms", durationMS(p99))
	if len(buckets) > 0 {
		tl.RangeStart, tl.End = dashTime(buckets[0].Start), dashTime(buckets[len(buckets)-1].Start)
	}
	tl.Requests = requestsChart(buckets, unit, label)
	tl.Latency = latencyChart(buckets, unit, label)
	return tl
}

// dashErrorsPage is the errors page's data.
type dashErrorsPage struct {
	Range  string
	Since  string // the range's start, for the logs searches it links to
	Ranges []string
	Groups []*docsapi.ErrorGroup
	Total  int
}

// dashRanges are the errors page's time ranges.
var dashRanges = map[string]time.Duration{"1h": time.Hour, "24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour}

// handleDashErrors serves GET /dashboard/errors.
func (s *Server) handleDashErrors(w http.ResponseWriter, r *http.Request) {
	page := dashErrorsPage{Range: r.URL.Query().Get("range"), Ranges: []string{"1h", "24h", "7d", "30d"}}
	if page.Range == "" {
		page.Range = "24h"
	}
	d, ok := dashRanges[page.Range]
	if !ok {
		s.dashError(w, r, docsapi.ParamErrorf(docsapi.EPARAMINVALID, "range", "Invalid range: use 1h, 24h, 7d or 30d."))
		return
	}
	s.log.Flush(r.Context())
	since := time.Now().Add(-d).UTC().Truncate(time.Second)
	page.Since = since.Format(time.RFC3339)
	groups, err := s.RequestLogService.FindErrorGroups(r.Context(), stateFrom(r.Context()).key.AccountID, since, 100)
	if err != nil {
		s.dashError(w, r, err)
		return
	}
	page.Groups = groups
	for _, g := range groups {
		page.Total += g.Count
	}
	s.render(w, r, http.StatusOK, "errors", "Errors", page)
}
