package docsapi

import (
	"context"
	"iter"
	"net/url"
	"strconv"
)

// List is one page of a list, newest first.
type List[T any] struct {
	lastResponse
	Object string `json:"object"`
	Data   []*T   `json:"data"`
	// HasMore reports whether more objects lie beyond this page in the
	// direction it was read.
	HasMore bool   `json:"has_more"`
	URL     string `json:"url"`
}

// ListParams selects one page. Set at most one of StartingAfter (objects
// older than that id) and EndingBefore (objects newer than it).
type ListParams struct {
	// Limit is the page size, 1 to 100; nil means the server's default
	// (10). Set it with Int(n). Int(0) is sent, and refused by the server.
	Limit         *int
	StartingAfter string
	EndingBefore  string
}

func (p *ListParams) query() url.Values {
	q := url.Values{}
	if p == nil {
		return q
	}
	if p.Limit != nil {
		q.Set("limit", strconv.Itoa(*p.Limit))
	}
	if p.StartingAfter != "" {
		q.Set("starting_after", p.StartingAfter)
	}
	if p.EndingBefore != "" {
		q.Set("ending_before", p.EndingBefore)
	}
	return q
}

// all walks every page from params on: towards older objects, newest
// first, or, when only params.EndingBefore is set, towards newer objects,
// oldest first (each page is reversed so the walk keeps one direction, as
// in the Python and TypeScript clients). fetch reads one page; id gives an
// object's id for the next cursor. An error ends the sequence after it is
// yielded.
func all[T any](ctx context.Context, params *ListParams, fetch func(context.Context, *ListParams) (*List[T], error), id func(*T) string) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		p := ListParams{}
		if params != nil {
			p = *params
		}
		backwards := p.EndingBefore != "" && p.StartingAfter == ""
		for {
			page, err := fetch(ctx, &p)
			if err != nil {
				yield(nil, err)
				return
			}
			for i := range page.Data {
				item := page.Data[i]
				if backwards {
					item = page.Data[len(page.Data)-1-i]
				}
				if !yield(item, nil) {
					return
				}
			}
			if !page.HasMore || len(page.Data) == 0 {
				return
			}
			if backwards {
				p.EndingBefore = id(page.Data[0])
			} else {
				p.StartingAfter = id(page.Data[len(page.Data)-1])
			}
		}
	}
}
