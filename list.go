package docsapi

import "slices"

// List limits.
const (
	DefaultListLimit = 10
	MaxListLimit     = 100
)

// ListParams selects one page of a list, newest first. At most one of
// StartingAfter (older than that object) and EndingBefore (newer than it) is set.
type ListParams struct {
	Limit         int
	StartingAfter string
	EndingBefore  string
}

// Cursor returns the cursor id, the parameter name it came from, and whether
// the page runs towards newer objects.
func (p ListParams) Cursor() (id, param string, backwards bool) {
	if p.EndingBefore != "" {
		return p.EndingBefore, "ending_before", true
	}
	if p.StartingAfter != "" {
		return p.StartingAfter, "starting_after", false
	}
	return "", "", false
}

// FinishPage trims the one look-ahead row that an engine fetched past
// p.Limit (it tells whether more follow) and restores newest-first order
// for a page read towards newer objects.
func FinishPage[T any](items []T, p ListParams) ([]T, bool) {
	more := len(items) > p.Limit
	if more {
		items = items[:p.Limit]
	}
	if _, _, backwards := p.Cursor(); backwards {
		slices.Reverse(items)
	}
	return items, more
}

// CursorNotFound is the error for a cursor naming no object of the account.
func CursorNotFound(param, cursor string) error {
	return ParamErrorf(EPARAMINVALID, param, "No such object for the cursor %s: '%s'.", param, cursor)
}
