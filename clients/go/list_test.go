package docsapi

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// page is a list body holding objects with the given ids.
func page(hasMore bool, ids ...string) step {
	items := make([]string, len(ids))
	for i, id := range ids {
		items[i] = fmt.Sprintf(`{"id":%q,"object":"resource","name":"n"}`, id)
	}
	return step{status: 200, body: fmt.Sprintf(`{"object":"list","data":[%s],"has_more":%v,"url":"/v1/resources"}`, strings.Join(items, ","), hasMore)}
}

func queries(fs *faultServer) []string {
	var qs []string
	for _, r := range fs.requests() {
		qs = append(qs, r.query)
	}
	return qs
}

func TestAllFollowsPages(t *testing.T) {
	for _, tc := range []struct {
		name        string
		params      *ListParams
		steps       []step
		stopAfter   int // stop the loop after this many items; 0 reads all
		wantIDs     []string
		wantErr     bool
		wantQueries []string
	}{
		{
			name:        "three pages",
			params:      &ListParams{Limit: Int(2)},
			steps:       []step{page(true, "e", "d"), page(true, "c", "b"), page(false, "a")},
			wantIDs:     []string{"e", "d", "c", "b", "a"},
			wantQueries: []string{"limit=2", "limit=2&starting_after=d", "limit=2&starting_after=b"},
		},
		{
			name:        "nil params, one page",
			steps:       []step{page(false, "b", "a")},
			wantIDs:     []string{"b", "a"},
			wantQueries: []string{""},
		},
		{
			name:        "starting after a cursor",
			params:      &ListParams{StartingAfter: "z"},
			steps:       []step{page(true, "y"), page(false, "x")},
			wantIDs:     []string{"y", "x"},
			wantQueries: []string{"starting_after=z", "starting_after=y"},
		},
		{
			name:        "ending before walks towards newer objects",
			params:      &ListParams{Limit: Int(2), EndingBefore: "a"},
			steps:       []step{page(true, "c", "b"), page(false, "e", "d")},
			wantIDs:     []string{"b", "c", "d", "e"},
			wantQueries: []string{"ending_before=a&limit=2", "ending_before=c&limit=2"},
		},
		{
			name:        "breaking out stops fetching",
			params:      &ListParams{Limit: Int(2)},
			steps:       []step{page(true, "e", "d"), page(true, "c", "b"), page(false, "a")},
			stopAfter:   3,
			wantIDs:     []string{"e", "d", "c"},
			wantQueries: []string{"limit=2", "limit=2&starting_after=d"},
		},
		{
			name:        "an empty page with has_more ends the walk",
			steps:       []step{page(true)},
			wantQueries: []string{""},
		},
		{
			name:        "an error ends the walk after it is yielded",
			params:      &ListParams{Limit: Int(2)},
			steps:       []step{page(true, "e", "d"), {status: 400, body: errorBody("invalid_request_error", "parameter_invalid")}},
			wantIDs:     []string{"e", "d"},
			wantErr:     true,
			wantQueries: []string{"limit=2", "limit=2&starting_after=d"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFaultServer(t, tc.steps...)
			c, _ := newTestClient(fs.URL)
			var ids []string
			var errs []error
			for r, err := range c.Resources.All(context.Background(), tc.params) {
				if err != nil {
					errs = append(errs, err)
					continue // the sequence must end by itself
				}
				ids = append(ids, r.ID)
				if len(ids) == tc.stopAfter {
					break
				}
			}
			if !slices.Equal(ids, tc.wantIDs) {
				t.Errorf("ids = %v, want %v", ids, tc.wantIDs)
			}
			if tc.wantErr != (len(errs) == 1) || len(errs) > 1 {
				t.Errorf("errors = %v", errs)
			}
			if len(errs) == 1 && className(errs[0]) != "InvalidRequestError" {
				t.Errorf("error = %v", errs[0])
			}
			if got := queries(fs); !slices.Equal(got, tc.wantQueries) {
				t.Errorf("queries = %q, want %q", got, tc.wantQueries)
			}
			if tc.params != nil && tc.params.StartingAfter == "d" {
				t.Errorf("All changed the caller's params")
			}
		})
	}
}

func TestAllOfAPIKeysAndRequests(t *testing.T) {
	t.Run("api keys", func(t *testing.T) {
		fs := newFaultServer(t, page(true, "key_2"), page(false, "key_1"))
		c, _ := newTestClient(fs.URL)
		var ids []string
		for k, err := range c.APIKeys.All(context.Background(), nil) {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, k.ID)
		}
		if !slices.Equal(ids, []string{"key_2", "key_1"}) || fs.requests()[1].path != "/v1/api_keys" {
			t.Errorf("ids = %v, requests = %v", ids, fs.requests())
		}
		if got := queries(fs); !slices.Equal(got, []string{"", "starting_after=key_2"}) {
			t.Errorf("queries = %q", got)
		}
	})
	t.Run("requests keep the status filter", func(t *testing.T) {
		fs := newFaultServer(t, page(true, "req_2"), page(false, "req_1"))
		c, _ := newTestClient(fs.URL)
		var ids []string
		for r, err := range c.Requests.All(context.Background(), &RequestListParams{Status: "5xx"}) {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.ID)
		}
		if !slices.Equal(ids, []string{"req_2", "req_1"}) || fs.requests()[1].path != "/v1/requests" {
			t.Errorf("ids = %v", ids)
		}
		if got := queries(fs); !slices.Equal(got, []string{"status=5xx", "starting_after=req_2&status=5xx"}) {
			t.Errorf("queries = %q", got)
		}
	})
}
