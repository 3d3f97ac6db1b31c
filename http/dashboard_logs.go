package http

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/docsapi/docsapi"
)

// dashLogFilter is the logs search form as sent (a plain GET form, so that
// a search can be bookmarked and shared).
type dashLogFilter struct {
	ID, Status, ErrorCode, Method, Source, Path, Route, Key, Since, Until string
}

// dashFilterForm is what the filter form needs besides the values.
type dashFilterForm struct {
	dashLogFilter
	StatusChoices []string
	Codes         []string
	Methods       []string
}

var dashMethods = []string{"GET", "POST", "PATCH", "DELETE"}

func newDashFilterForm(f dashLogFilter) dashFilterForm {
	choices := []string{"2xx", "4xx", "5xx", "429"}
	if f.Status != "" && !slices.Contains(choices, f.Status) {
		choices = append(choices, f.Status) // one typed into the URL, e.g. 404: shown as the one in force
	}
	return dashFilterForm{dashLogFilter: f, StatusChoices: choices, Codes: slices.Sorted(maps.Keys(ErrorClasses)), Methods: dashMethods}
}

// Query returns the filter as a query string, for links that keep it.
func (f dashLogFilter) Query() string {
	return string(dashQuery("status", f.Status, "error_code", f.ErrorCode, "method", f.Method, "source", f.Source, "path", f.Path,
		"route", f.Route, "key", f.Key, "since", f.Since, "until", f.Until))
}

// parseDashLogFilter reads the logs filters; each bad value is a 400 that
// names its field.
func parseDashLogFilter(r *http.Request) (dashLogFilter, docsapi.RequestLogFilter, error) {
	q := r.URL.Query()
	form := dashLogFilter{
		ID: strings.TrimSpace(q.Get("id")), Status: q.Get("status"), ErrorCode: q.Get("error_code"),
		Method: strings.ToUpper(q.Get("method")), Source: q.Get("source"), Path: strings.TrimSpace(q.Get("path")),
		Route: strings.TrimSpace(q.Get("route")), Key: strings.TrimSpace(q.Get("key")),
		Since: q.Get("since"), Until: q.Get("until"),
	}
	var f docsapi.RequestLogFilter
	if form.Status != "" {
		var err error
		if f, err = parseStatusFilter(r); err != nil {
			return form, f, err
		}
	}
	if form.ErrorCode != "" {
		if _, ok := ErrorClasses[form.ErrorCode]; !ok {
			return form, f, docsapi.ParamErrorf(docsapi.EPARAMINVALID, "error_code", "Unknown error code: %s.", form.ErrorCode)
		}
		if f.ErrorCode != "" && f.ErrorCode != form.ErrorCode {
			return form, f, docsapi.ParamErrorf(docsapi.EPARAMINVALID, "error_code", "The status filter already names another error code.")
		}
		f.ErrorCode = form.ErrorCode
	}
	if form.Method != "" {
		if !slices.Contains(dashMethods, form.Method) {
			return form, f, docsapi.ParamErrorf(docsapi.EPARAMINVALID, "method", "Invalid method: use one of %s.", strings.Join(dashMethods, ", "))
		}
		f.Method = form.Method
	}
	switch form.Source {
	case "", docsapi.SourceAPI, docsapi.SourceDashboard:
		f.Source = form.Source
	default:
		return form, f, docsapi.ParamErrorf(docsapi.EPARAMINVALID, "source", "Invalid source: use %s or %s.", docsapi.SourceAPI, docsapi.SourceDashboard)
	}
	if form.Path != "" {
		if !strings.HasPrefix(form.Path, "/") {
			return form, f, docsapi.ParamErrorf(docsapi.EPARAMINVALID, "path", "Invalid path: it starts with a slash, e.g. /v1/resources.")
		}
		// As the path was logged: what it cannot store (NUL, bytes that
		// are not UTF-8) is replaced, so that the filter finds it.
		f.Path = docsapi.LoggablePath(form.Path)
	}
	if form.Route != "" {
		// A route pattern as the Errors page groups by, e.g.
		// "GET /v1/resources/{id}"; logged routes are short.
		if len(form.Route) > 200 {
			return form, f, docsapi.ParamErrorf(docsapi.EPARAMINVALID, "route", "Invalid route: give a route pattern such as GET /v1/resources/{id}.")
		}
		f.Route = form.Route
	}
	if form.Key != "" {
		if !strings.HasPrefix(form.Key, docsapi.PrefixAPIKey) || !docsapi.WellFormedID(form.Key) {
			return form, f, docsapi.ParamErrorf(docsapi.EPARAMINVALID, "key", "Invalid key: give an API key id such as key_….")
		}
		f.APIKeyID = form.Key
	}
	var err error
	if f.Since, err = parseDashTime("since", form.Since); err != nil {
		return form, f, err
	}
	if f.Until, err = parseDashTime("until", form.Until); err != nil {
		return form, f, err
	}
	// As a datetime-local input shows a value: without a zone (these
	// are UTC), to the second. A link's RFC 3339 time would show as empty,
	// and the next search would drop it.
	form.Since, form.Until = dashInputTime(f.Since, form.Since), dashInputTime(f.Until, form.Until)
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return form, f, docsapi.ParamErrorf(docsapi.EPARAMINVALID, "until", "The end of the time range must come after its start.")
	}
	return form, f, nil
}

// dashInputTime is t as a datetime-local input's value, or raw when t is
// zero (nothing given).
func dashInputTime(t time.Time, raw string) string {
	if t.IsZero() {
		return raw
	}
	return t.Format("2006-01-02T15:04:05")
}

// parseDashTime reads a time from a datetime-local input (taken as UTC) or
// an RFC 3339 string.
func parseDashTime(param, v string) (time.Time, error) {
	if v = strings.TrimSpace(v); v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, docsapi.ParamErrorf(docsapi.EPARAMINVALID, param, "Invalid %s: give a UTC time such as 2026-11-24T21:09.", param)
}

// dashLogsPage is the logs page's data.
type dashLogsPage struct {
	Filter dashFilterForm
	Logs   []*docsapi.RequestLog
	Pager  dashPager
	Error  *errorObject
}

// handleDashLogs serves GET /dashboard/logs. It searches the log. A pasted
// request id lands on its page.
func (s *Server) handleDashLogs(w http.ResponseWriter, r *http.Request) {
	form, f, err := parseDashLogFilter(r)
	if err == nil && form.ID != "" {
		if strings.HasPrefix(form.ID, docsapi.PrefixRequest) && docsapi.WellFormedID(form.ID) {
			http.Redirect(w, r, "/dashboard/logs/"+form.ID, http.StatusSeeOther)
			return
		}
		err = docsapi.ParamErrorf(docsapi.EPARAMINVALID, "id", "That is not a request id; they look like req_ followed by letters and digits.")
	}
	page := dashLogsPage{Filter: newDashFilterForm(form)}
	var p docsapi.ListParams
	if err == nil {
		p, err = dashListParams(r, 50)
	}
	if err == nil {
		s.log.Flush(r.Context())
		var more bool
		page.Logs, more, err = s.RequestLogService.FindRequestLogs(r.Context(), stateFrom(r.Context()).key.AccountID, f, p)
		page.Pager = newDashPager(r, p, page.Logs, more, func(l *docsapi.RequestLog) string { return l.ID })
	}
	status := http.StatusOK
	if err != nil {
		var obj errorObject
		status, obj = s.dashErrorObject(w, r, err)
		page.Error = &obj
		if status >= 500 {
			s.dashError(w, r, err)
			return
		}
	}
	s.render(w, r, status, "logs", "Logs", page)
}

// dashLogDetail is a request's page: everything the log holds.
type dashLogDetail struct {
	Log       *docsapi.RequestLog
	ErrorJSON string // the error object as the API returned it
	Back      string // the logs search the user came from, filters kept
}

// logsBack is the logs search that r came from (its Referer, sent within
// the Dashboard by its same-origin policy), or the unfiltered logs.
func logsBack(r *http.Request) string {
	if u, err := url.Parse(r.Referer()); err == nil && u.Host == r.Host && u.Path == "/dashboard/logs" && u.RawQuery != "" {
		return "/dashboard/logs?" + u.Query().Encode()
	}
	return "/dashboard/logs"
}

// handleDashLog serves GET /dashboard/logs/{id}.
func (s *Server) handleDashLog(w http.ResponseWriter, r *http.Request) {
	s.log.Flush(r.Context())
	id := r.PathValue("id")
	l, err := s.RequestLogService.FindRequestLogByID(r.Context(), stateFrom(r.Context()).key.AccountID, id)
	if docsapi.ErrorCode(err) == docsapi.ENOTFOUND {
		// Say why an id from an error body may not be here.
		err = docsapi.ParamErrorf(docsapi.ENOTFOUND, "id", "No such request: '%s'. The log keeps the requests made with a valid API key of this account, for the retention period; a 401 or another request without a valid key is not in it.", id)
	}
	if err != nil {
		s.dashError(w, r, err)
		return
	}
	d := dashLogDetail{Log: l, Back: logsBack(r)}
	if l.ErrorCode != "" {
		// The error object as the API wrote it, from the fields the log keeps.
		obj := errorObject{Type: errorType(l.ErrorCode), Code: l.ErrorCode, Message: l.ErrorMessage, Param: l.ErrorParam,
			RequestID: l.ID, DocURL: s.DocURL(l.ErrorCode)}
		raw, _ := json.MarshalIndent(map[string]any{"error": obj}, "", "  ")
		d.ErrorJSON = string(raw)
	}
	s.render(w, r, http.StatusOK, "log", l.ID, d)
}
