package http

import (
	"strings"
	"testing"

	"github.com/docsapi/docsapi"
)

// Pure parsers are fuzzed directly, much faster than over HTTP; the fuzz
// targets in fuzz_test.go send whole requests to a real server.

// FuzzIdempotencyKey: every header value is a key of 1 to 255 printable
// ASCII characters or a 400 parameter_invalid naming the header.
func FuzzIdempotencyKey(f *testing.F) {
	for _, seed := range []string{"k", "order-1", `"quoted"`, `"a\"b\\c"`, `"bad\x"`, `""`, `"`, "", "é", "a\tb",
		strings.Repeat("k", 255), strings.Repeat("k", 256), `"` + strings.Repeat("k", 255) + `"`} {
		f.Add(seed, "", false)
	}
	f.Add("one", "two", true)
	f.Fuzz(func(t *testing.T, v, second string, two bool) {
		values := []string{v}
		if two {
			values = append(values, second)
		}
		key, err := parseIdempotencyKey(values)
		if err != nil {
			wantCode(t, err, docsapi.EPARAMINVALID, "Idempotency-Key")
			return
		}
		if two || len(key) < 1 || len(key) > 255 {
			t.Fatalf("%q accepted as %q", values, key)
		}
		for i := 0; i < len(key); i++ {
			if key[i] < 0x20 || key[i] > 0x7e {
				t.Fatalf("%q accepted as %q, which is not printable ASCII", v, key)
			}
		}
	})
}

// FuzzAuthorization: every set of Authorization headers gives one valid
// secret, taken whole from the one header, or a 401.
func FuzzAuthorization(f *testing.F) {
	secret := "sk_live_" + strings.Repeat("a", 32)
	for _, seed := range []string{"Bearer " + secret, "bearer " + secret, "Bearer  " + secret + " ", "Basic " + secret,
		"Bearer", "Bearer ", secret, "Bearer " + secret + " junk", "Bearer sk_live_short", "Bearer " + secret + "\x00", ""} {
		f.Add(seed, "", false)
	}
	f.Add("Bearer "+secret, "Bearer "+secret, true)
	f.Add("Bearer "+secret, "junk", true)
	f.Fuzz(func(t *testing.T, v, second string, two bool) {
		values := []string{v}
		if two {
			values = append(values, second)
		}
		got, err := parseAuthorization(values)
		if err != nil {
			wantCode(t, err, docsapi.EUNAUTHORIZED, "")
			return
		}
		if two || !docsapi.ValidSecret(got) || !strings.Contains(v, got) {
			t.Fatalf("%q accepted as secret %q", values, got)
		}
		if rest := strings.TrimSpace(v[len("Bearer "):]); rest != got {
			t.Fatalf("%q accepted with extra bytes around secret %q", v, got)
		}
	})
}

// wantCode fails unless err is a *docsapi.Error with code and param whose
// status is a 4xx.
func wantCode(t *testing.T, err error, code, param string) {
	t.Helper()
	e, ok := err.(*docsapi.Error)
	if !ok || e.Code != code || e.Param != param || e.Message == "" {
		t.Fatalf("error %#v, want code %s param %q", err, code, param)
	}
}
