package docsapi_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docsapi/docsapi"
)

// TestClip: what an error quotes of the request is cut to MaxQuotedLen
// characters, "…" included, and only when longer.
func TestClip(t *testing.T) {
	long := strings.Repeat("a", docsapi.MaxQuotedLen-1)
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{long + "b", long + "b"},
		{long + "bc", long + "…"},
		{strings.Repeat("é", docsapi.MaxQuotedLen), strings.Repeat("é", docsapi.MaxQuotedLen)},
		{strings.Repeat("é", docsapi.MaxQuotedLen+1), strings.Repeat("é", docsapi.MaxQuotedLen-1) + "…"},
	} {
		if got := docsapi.Clip(tc.in); got != tc.want {
			t.Errorf("Clip(%d characters) = %q, want %q", utf8.RuneCountInString(tc.in), got, tc.want)
		}
	}
	e := docsapi.ParamErrorf(docsapi.EPARAMINVALID, long+"bc", "Unknown %s (%d) %q.", long+"bc", 7, "short")
	if e.Param != long+"…" || e.Message != "Unknown "+long+"… (7) \"short\"." {
		t.Errorf("ParamErrorf: param %q, message %q", e.Param, e.Message)
	}
	if e := docsapi.NotFound("resource", "res_"+strings.Repeat("x", 60000)); len(e.Error()) > 300 {
		t.Errorf("NotFound quotes a long id whole: %d bytes", len(e.Error()))
	}
}
