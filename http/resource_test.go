package http_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/docsapi/docsapi"
)

func TestResourceLifecycle(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/v1/resources", e.rootKey, map[string]any{
		"name": "  Quarterly report ", "metadata": map[string]any{"team": "finance", "drop": ""},
	}).want(t, 201)
	got := r.json(t)
	id := got["id"].(string)
	if !strings.HasPrefix(id, "res_") || got["object"] != "resource" || got["name"] != "Quarterly report" ||
		got["description"] != nil || fmt.Sprint(got["metadata"]) != "map[team:finance]" {
		t.Fatalf("created %s", r.body)
	}
	for _, f := range []string{"created_at", "updated_at"} {
		if s, _ := got[f].(string); len(s) != len("2026-11-24T21:09:48Z") || !strings.HasSuffix(s, "Z") {
			t.Errorf("%s = %v, want RFC 3339 UTC", f, got[f])
		}
	}
	if len(got) != 7 {
		t.Errorf("resource has %d fields: %s", len(got), r.body)
	}
	if e.do("GET", "/v1/resources/"+id, e.rootKey, nil).want(t, 200).json(t)["name"] != "Quarterly report" {
		t.Error("retrieve differs")
	}

	steps := []struct {
		patch map[string]any
		want  string
	}{
		{map[string]any{"description": "Q3"}, `name=Quarterly report desc=Q3 meta=map[team:finance]`},
		{map[string]any{"metadata": map[string]any{"owner": "ann"}}, `name=Quarterly report desc=Q3 meta=map[owner:ann team:finance]`},
		{map[string]any{"metadata": map[string]any{"team": nil, "owner": ""}}, `name=Quarterly report desc=Q3 meta=map[]`},
		{map[string]any{"metadata": map[string]any{"a": "1"}, "name": "Renamed"}, `name=Renamed desc=Q3 meta=map[a:1]`},
		{map[string]any{"metadata": nil, "description": nil}, `name=Renamed desc=<nil> meta=map[]`},
		{map[string]any{}, `name=Renamed desc=<nil> meta=map[]`},
	}
	for _, st := range steps {
		p := e.do("PATCH", "/v1/resources/"+id, e.rootKey, st.patch).want(t, 200)
		m := p.json(t)
		if s := fmt.Sprintf("name=%v desc=%v meta=%v", m["name"], m["description"], m["metadata"]); s != st.want {
			t.Errorf("after %v: %s, want %s", st.patch, s, st.want)
		}
		// The second GET is served from the encoded body that the first
		// one kept: both must be the update, byte for byte.
		for range 2 {
			if g := e.do("GET", "/v1/resources/"+id, e.rootKey, nil).want(t, 200); string(g.body) != string(p.body) {
				t.Errorf("after %v: GET %s, PATCH answered %s", st.patch, g.body, p.body)
			}
		}
	}

	d := e.do("DELETE", "/v1/resources/"+id, e.rootKey, nil).want(t, 200)
	if string(d.body) != fmt.Sprintf(`{"id":%q,"object":"resource","deleted":true}`+"\n", id) {
		t.Errorf("delete body %s", d.body)
	}
	e.do("GET", "/v1/resources/"+id, e.rootKey, nil).wantError(t, 404, docsapi.ENOTFOUND, "id")
	e.do("PATCH", "/v1/resources/"+id, e.rootKey, map[string]any{"name": "x"}).wantError(t, 404, docsapi.ENOTFOUND, "id")
	e.do("DELETE", "/v1/resources/"+id, e.rootKey, nil).wantError(t, 404, docsapi.ENOTFOUND, "id")
}

func TestResourceValidation(t *testing.T) {
	e := newEnv(t)
	id := e.createResource(e.rootKey, "target")
	manyMeta := map[string]any{}
	for i := 0; i < 51; i++ {
		manyMeta[fmt.Sprintf("k%d", i)] = "v"
	}
	tests := []struct {
		name        string
		method      string
		body        any
		contentType string
		code, param string
	}{
		{"empty name", "POST", map[string]any{"name": ""}, "", docsapi.EPARAMMISSING, "name"},
		{"blank name", "POST", map[string]any{"name": "   "}, "", docsapi.EPARAMMISSING, "name"},
		{"null name", "POST", map[string]any{"name": nil}, "", docsapi.EPARAMMISSING, "name"},
		{"absent name", "POST", map[string]any{}, "", docsapi.EPARAMMISSING, "name"},
		{"empty body", "POST", "", "", docsapi.EPARAMMISSING, "name"},
		{"name not a string", "POST", map[string]any{"name": 5}, "", docsapi.EPARAMINVALID, "name"},
		{"name too long", "POST", map[string]any{"name": strings.Repeat("é", 201)}, "", docsapi.EPARAMINVALID, "name"},
		{"name of 200 runes is fine? no: other field wrong", "POST", map[string]any{"name": strings.Repeat("é", 200), "description": 1}, "", docsapi.EPARAMINVALID, "description"},
		{"description too long", "POST", map[string]any{"name": "n", "description": strings.Repeat("d", 5001)}, "", docsapi.EPARAMINVALID, "description"},
		{"metadata not an object", "POST", map[string]any{"name": "n", "metadata": "x"}, "", docsapi.EPARAMINVALID, "metadata"},
		{"metadata value not a string", "POST", map[string]any{"name": "n", "metadata": map[string]any{"color": 1}}, "", docsapi.EPARAMINVALID, "metadata[color]"},
		{"metadata key too long", "POST", map[string]any{"name": "n", "metadata": map[string]any{strings.Repeat("k", 41): "v"}}, "", docsapi.EPARAMINVALID, "metadata[" + strings.Repeat("k", 41) + "]"},
		{"metadata value too long", "POST", map[string]any{"name": "n", "metadata": map[string]any{"k": strings.Repeat("v", 501)}}, "", docsapi.EPARAMINVALID, "metadata[k]"},
		{"metadata empty key", "POST", map[string]any{"name": "n", "metadata": map[string]any{"": "v"}}, "", docsapi.EPARAMINVALID, "metadata"},
		{"too many metadata keys", "POST", map[string]any{"name": "n", "metadata": manyMeta}, "", docsapi.EPARAMINVALID, "metadata"},
		{"unknown field", "POST", map[string]any{"name": "n", "owner": "x"}, "", docsapi.EPARAMINVALID, "owner"},
		{"malformed JSON", "POST", `{"name": "n",`, "", docsapi.EPARAMINVALID, ""},
		{"trailing garbage", "POST", `{"name": "n"} {}`, "", docsapi.EPARAMINVALID, ""},
		{"array body", "POST", `["name"]`, "", docsapi.EPARAMINVALID, ""},
		{"invalid UTF-8", "POST", []byte("{\"name\": \"\xff\"}"), "", docsapi.EPARAMINVALID, ""},
		{"body too large", "POST", `{"name":"` + strings.Repeat("a", 1<<20) + `"}`, "", docsapi.EPARAMINVALID, ""},
		{"not JSON content type", "POST", `{"name":"n"}`, "text/plain", docsapi.EPARAMINVALID, "Content-Type"},
		{"form content type", "POST", `name=n`, "application/x-www-form-urlencoded", docsapi.EPARAMINVALID, "Content-Type"},
		{"patch blank name", "PATCH", map[string]any{"name": " "}, "", docsapi.EPARAMMISSING, "name"},
		{"patch null name", "PATCH", map[string]any{"name": nil}, "", docsapi.EPARAMMISSING, "name"},
		{"patch unknown field", "PATCH", map[string]any{"id": "res_x"}, "", docsapi.EPARAMINVALID, "id"},
		{"delete with a field", "DELETE", map[string]any{"force": true}, "", docsapi.EPARAMINVALID, "force"},
		{"NUL in name", "POST", `{"name":"a\u0000b"}`, "", docsapi.EPARAMINVALID, "name"},
		{"NUL in description", "POST", `{"name":"a","description":"\u0000"}`, "", docsapi.EPARAMINVALID, "description"},
		{"NUL in a metadata value", "POST", `{"name":"a","metadata":{"k":"\u0000"}}`, "", docsapi.EPARAMINVALID, "metadata[k]"},
		{"NUL in a metadata key", "POST", `{"name":"a","metadata":{"\u0000":"v"}}`, "", docsapi.EPARAMINVALID, "metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/v1/resources"
			if tt.method != "POST" {
				path += "/" + id
			}
			var h []string
			if tt.contentType != "" {
				h = []string{"Content-Type", tt.contentType}
			}
			e.do(tt.method, path, e.rootKey, tt.body, h...).wantError(t, 400, tt.code, tt.param)
		})
	}
	if n := len(e.do("GET", "/v1/resources", e.rootKey, nil).json(t)["data"].([]any)); n != 1 {
		t.Errorf("a failed validation created something: %d resources", n)
	}
	e.do("GET", "/v1/resources/"+id, e.rootKey, nil).want(t, 200)
	// Too many keys after merging is refused too.
	e.do("PATCH", "/v1/resources/"+id, e.rootKey, map[string]any{"metadata": map[string]any{"a": "1"}}).want(t, 200)
	delete(manyMeta, "k0")
	e.do("PATCH", "/v1/resources/"+id, e.rootKey, map[string]any{"metadata": manyMeta}).wantError(t, 400, docsapi.EPARAMINVALID, "metadata")
}

// ids returns the ids of a list response's data.
func ids(t *testing.T, r *response) []string {
	t.Helper()
	m := r.json(t)
	if m["object"] != "list" {
		t.Fatalf("not a list: %s", r.body)
	}
	var out []string
	for _, d := range m["data"].([]any) {
		out = append(out, d.(map[string]any)["id"].(string))
	}
	return out
}

func TestResourcePagination(t *testing.T) {
	e := newEnv(t)
	var created []string // oldest first
	for i := 0; i < 25; i++ {
		created = append(created, e.createResource(e.rootKey, fmt.Sprintf("r%d", i)))
	}
	newest := func(from, to int) []string { // created[to..from] newest first
		var out []string
		for i := from; i >= to; i-- {
			out = append(out, created[i])
		}
		return out
	}
	e.createResource(e.newAccount(), "someone else's")

	r := e.do("GET", "/v1/resources", e.rootKey, nil).want(t, 200)
	m := r.json(t)
	if m["url"] != "/v1/resources" || m["has_more"] != true {
		t.Errorf("envelope %v", m)
	}
	tests := []struct {
		name  string
		query string
		want  []string
		more  bool
	}{
		{"default limit", "", newest(24, 15), true},
		{"second page", "?starting_after=" + created[15], newest(14, 5), true},
		{"last page", "?limit=10&starting_after=" + created[5], newest(4, 0), false},
		{"all", "?limit=100", newest(24, 0), false},
		{"backwards", "?limit=3&ending_before=" + created[10], newest(13, 11), true},
		{"backwards to the top", "?limit=10&ending_before=" + created[20], newest(24, 21), false},
		{"limit 1", "?limit=1", newest(24, 24), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("GET", "/v1/resources"+tt.query, e.rootKey, nil).want(t, 200)
			if got := ids(t, r); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("ids = %v\nwant %v", got, tt.want)
			}
			if r.json(t)["has_more"] != tt.more {
				t.Errorf("has_more = %v", r.json(t)["has_more"])
			}
		})
	}
	errs := []struct{ query, param string }{
		{"?limit=0", "limit"}, {"?limit=101", "limit"}, {"?limit=ten", "limit"},
		{"?starting_after=res_unknown", "starting_after"}, {"?ending_before=res_unknown", "ending_before"},
		{"?starting_after=", "starting_after"},
		{"?starting_after=" + created[1] + "&ending_before=" + created[3], "ending_before"},
		{"?sort=asc", "sort"},
		{"?starting_after=res_%FF", "starting_after"},
		{"?ending_before=res_%00", "ending_before"},
	}
	for _, tt := range errs {
		t.Run("error "+tt.query, func(t *testing.T) {
			e.do("GET", "/v1/resources"+tt.query, e.rootKey, nil).wantError(t, 400, docsapi.EPARAMINVALID, tt.param)
		})
	}
}

func TestCrossAccountIsolation(t *testing.T) {
	e := newEnv(t)
	mine := e.createResource(e.rootKey, "mine")
	other := e.newAccount()
	theirs := e.createResource(other, "theirs")
	// Its encoded body is now kept; the other account must still not get it.
	e.do("GET", "/v1/resources/"+mine, e.rootKey, nil).want(t, 200)
	for _, tt := range []struct{ method, path string }{
		{"GET", "/v1/resources/" + mine},
		{"PATCH", "/v1/resources/" + mine},
		{"DELETE", "/v1/resources/" + mine},
	} {
		var body any
		if tt.method == "PATCH" {
			body = map[string]any{"name": "stolen"}
		}
		e.do(tt.method, tt.path, other, body).wantError(t, 404, docsapi.ENOTFOUND, "id")
	}
	if got := ids(t, e.do("GET", "/v1/resources", other, nil)); fmt.Sprint(got) != fmt.Sprint([]string{theirs}) {
		t.Errorf("other account lists %v", got)
	}
	e.do("GET", "/v1/resources?starting_after="+mine, other, nil).wantError(t, 400, docsapi.EPARAMINVALID, "starting_after")
	for _, bad := range []string{"res_%FF", "res_%00x", "res%20x", "nothing"} {
		e.do("GET", "/v1/resources/"+bad, other, nil).wantError(t, 404, docsapi.ENOTFOUND, "id")
	}
	if e.do("GET", "/v1/resources/"+mine, e.rootKey, nil).want(t, 200).json(t)["name"] != "mine" {
		t.Error("resource changed")
	}
	_, myKey := e.newKey(0, docsapi.ScopeResourcesRead)
	e.do("GET", "/v1/api_keys/"+myKey, other, nil).wantError(t, 404, docsapi.ENOTFOUND, "id")
	e.do("DELETE", "/v1/api_keys/"+myKey, other, nil).wantError(t, 404, docsapi.ENOTFOUND, "id")
}

// TestResourceLimitsExactly: every bound of the contract is inclusive.
func TestResourceLimitsExactly(t *testing.T) {
	e := newEnv(t)
	fast, _ := e.newKey(docsapi.MaxRateLimit, docsapi.ScopeAll)
	meta := map[string]any{}
	for i := 0; i < docsapi.MaxMetadataPairs-1; i++ {
		meta[fmt.Sprintf("k%02d", i)] = "v"
	}
	meta[strings.Repeat("k", 40)] = strings.Repeat("v", 500)
	r := e.do("POST", "/v1/resources", fast, map[string]any{
		"name":        "  " + strings.Repeat("é", 200) + "  ",
		"description": strings.Repeat("d", 5000),
		"metadata":    meta,
	}).want(t, 201).json(t)
	if len([]rune(r["name"].(string))) != 200 || len(r["metadata"].(map[string]any)) != 50 {
		t.Errorf("stored %d name runes, %d metadata keys", len([]rune(r["name"].(string))), len(r["metadata"].(map[string]any)))
	}
	for i := 0; i < 99; i++ {
		e.createResource(fast, "filler")
	}
	if n := len(ids(t, e.do("GET", "/v1/resources?limit=100", fast, nil).want(t, 200))); n != 100 {
		t.Errorf("limit=100 gave %d", n)
	}
}
