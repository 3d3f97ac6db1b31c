package docsapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
)

// TestIDsAreTimeOrdered: ids keep their shape, later ids sort after earlier
// ones (so they are appended to their indexes), and ids made in the same
// millisecond still differ.
func TestIDsAreTimeOrdered(t *testing.T) {
	tests := []struct {
		name   string
		prefix string
		n      int
		newID  func() string
	}{
		{"object", docsapi.PrefixResource, 24, func() string { return docsapi.NewID(docsapi.PrefixResource) }},
		{"request", docsapi.PrefixRequest, 20, docsapi.NewRequestID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := tt.newID()
			seen := map[string]bool{first: true}
			for range 1000 {
				id := tt.newID()
				if seen[id] {
					t.Fatalf("%s made twice", id)
				}
				seen[id] = true
			}
			time.Sleep(2 * time.Millisecond)
			later := tt.newID()
			for _, id := range []string{first, later} {
				rest, ok := strings.CutPrefix(id, tt.prefix)
				if !ok || len(rest) != tt.n || !docsapi.IsBase62(rest) || !docsapi.WellFormedID(id) {
					t.Fatalf("%q is not %s + %d base62", id, tt.prefix, tt.n)
				}
			}
			if later <= first {
				t.Fatalf("%s, made 2 ms after %s, does not sort after it", later, first)
			}
		})
	}
}
