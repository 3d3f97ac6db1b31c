package docsapi_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docsapi/docsapi"
)

// TestLoggablePath: a path is kept whole up to MaxLoggedPathBytes, else cut
// there or before, at a character's start; what is kept is valid UTF-8.
func TestLoggablePath(t *testing.T) {
	max := docsapi.MaxLoggedPathBytes
	for _, tc := range []struct {
		name, in string
		want     int // bytes kept
	}{
		{"short", "/v1/resources/res_1", 19},
		{"at the bound", "/" + strings.Repeat("a", max-1), max},
		{"ASCII over it", "/" + strings.Repeat("a", max), max},
		{"two-byte characters", "/" + strings.Repeat("é", max), max - 1},
		{"four-byte characters", "/" + strings.Repeat("😀", max), max - 3},
		{"invalid UTF-8", "/\xff" + strings.Repeat("a", max), max},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := docsapi.LoggablePath(tc.in)
			if len(got) != tc.want || !utf8.ValidString(got) {
				t.Errorf("%d bytes (valid: %v), want %d", len(got), utf8.ValidString(got), tc.want)
			}
		})
	}
}
