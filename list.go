package docsapi

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
