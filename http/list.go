package http

import (
	"net/http"
	"strconv"
	"time"

	"github.com/docsapi/docsapi"
)

// listQuery is the query parameters that every list accepts.
var listQuery = []string{"limit", "starting_after", "ending_before"}

// listJSON is the envelope of every list.
type listJSON[T any] struct {
	Object  string `json:"object"`
	Data    []T    `json:"data"`
	HasMore bool   `json:"has_more"`
	URL     string `json:"url"`
}

// newList is the contract's list object of items converted by conv.
func newList[T, V any](r *http.Request, items []T, more bool, conv func(T) V) listJSON[V] {
	data := make([]V, len(items))
	for i, it := range items {
		data[i] = conv(it)
	}
	return listJSON[V]{Object: "list", Data: data, HasMore: more, URL: r.URL.Path}
}

// parseListParams reads limit and the cursors from the query.
func parseListParams(r *http.Request) (docsapi.ListParams, error) {
	q := r.URL.Query()
	p := docsapi.ListParams{Limit: docsapi.DefaultListLimit, StartingAfter: q.Get("starting_after"), EndingBefore: q.Get("ending_before")}
	if v := q.Get("limit"); q.Has("limit") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > docsapi.MaxListLimit {
			return p, docsapi.ParamErrorf(docsapi.EPARAMINVALID, "limit", "Invalid limit: it must be an integer from 1 to %d.", docsapi.MaxListLimit)
		}
		p.Limit = n
	}
	if q.Has("starting_after") && p.StartingAfter == "" {
		return p, docsapi.ParamErrorf(docsapi.EPARAMINVALID, "starting_after", "Invalid starting_after: it must be an object id.")
	}
	if q.Has("ending_before") && p.EndingBefore == "" {
		return p, docsapi.ParamErrorf(docsapi.EPARAMINVALID, "ending_before", "Invalid ending_before: it must be an object id.")
	}
	// A cursor that cannot be an id names no object; the store need not look.
	if cursor, param, _ := p.Cursor(); cursor != "" && !docsapi.WellFormedID(cursor) {
		return p, docsapi.CursorNotFound(param, cursor)
	}
	if p.StartingAfter != "" && p.EndingBefore != "" {
		return p, docsapi.ParamErrorf(docsapi.EPARAMINVALID, "ending_before", "Send starting_after or ending_before, not both.")
	}
	return p, nil
}

// timeJSON formats a time as the contract's RFC 3339 UTC string.
func timeJSON(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func timePtrJSON(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := timeJSON(*t)
	return &s
}
