package http

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// TestBodyReadsAsUnmarshal: the body is decoded once, and each accessor
// must accept and refuse exactly what json.Unmarshal of the field's own
// bytes into its type did before.
func TestBodyReadsAsUnmarshal(t *testing.T) {
	values := []string{
		`"x"`, `""`, `null`, `"\u00e9\ud800"`, `7`, `1.0`, `1e2`, `-0`, `-3`, `99999999999999999999`, `true`,
		`[]`, `["a","b"]`, `["a",null]`, `["a",1]`, `[[]]`, `{}`, `{"k":"v"}`, `{"k":null}`, `{"k":""}`,
		`{"k":1}`, `{"k":{"n":"v"}}`, `{"b":"2","a":"1"}`,
	}
	for _, v := range values {
		raw := `{"f":` + v + `,"metadata":` + v + `}`
		t.Run(v, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/v1/x", strings.NewReader(raw))
			r.Header.Set("Content-Type", "application/json")
			b, err := readBody(httptest.NewRecorder(), r)
			if err != nil {
				t.Fatal(err)
			}
			var fields map[string]json.RawMessage
			if err := json.Unmarshal([]byte(raw), &fields); err != nil {
				t.Fatal(err)
			}
			f := fields["f"]
			null := string(f) == "null"

			var s string
			sErr := json.Unmarshal(f, &s)
			gotS, err := b.string("f")
			if (err == nil) != (null || sErr == nil) || err == nil && (!gotS.set || gotS.null != null || gotS.value != s) {
				t.Errorf("string: %+v %v, want %q %v", gotS, err, s, sErr)
			}

			var ss []string
			ssErr := json.Unmarshal(f, &ss)
			gotSS, ok := b.strings("f")
			if ok != (ssErr == nil) || ok && !reflect.DeepEqual(gotSS, ss) {
				t.Errorf("strings: %q %v, want %q %v", gotSS, ok, ss, ssErr)
			}

			var n int
			nErr := json.Unmarshal(f, &n)
			gotN, set, ok := b.int("f")
			if set == null || ok != (null || nErr == nil) || ok && gotN != n {
				t.Errorf("int: %d set %v ok %v, want %d, %v", gotN, set, ok, n, nErr)
			}

			var m map[string]json.RawMessage
			mErr := json.Unmarshal(f, &m)
			for _, mv := range m {
				var s string
				if string(mv) != "null" && json.Unmarshal(mv, &s) != nil {
					mErr = fmt.Errorf("value %s", mv)
				}
			}
			gotM, err := b.metadata()
			if (err == nil) != (null || mErr == nil) || err == nil && gotM.null != null {
				t.Errorf("metadata: %v %v, want %v", gotM, err, mErr)
			}
			if err == nil && !null && len(gotM.value) != len(m) {
				t.Errorf("metadata: %d keys, want %d", len(gotM.value), len(m))
			}
		})
	}
}
