package http

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestOpenAPICoversEveryRoute fails when a route exists that the OpenAPI
// document lacks, or the document names a scope the route does not check.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi = %q, want 3.1", doc.OpenAPI)
	}
	s := NewServer()
	s.registerRoutes()
	documented := 0
	for _, ops := range doc.Paths {
		for m := range ops {
			if m != "parameters" {
				documented++
			}
		}
	}
	if documented != len(s.routes) {
		t.Errorf("document has %d operations, server %d routes", documented, len(s.routes))
	}
	for _, rt := range s.routes {
		raw, ok := doc.Paths[rt.path][strings.ToLower(rt.method)]
		if !ok {
			t.Errorf("%s %s is not in the OpenAPI document", rt.method, rt.path)
			continue
		}
		var op struct {
			Scope string `json:"x-required-scope"`
		}
		json.Unmarshal(raw, &op)
		if op.Scope != rt.scope {
			t.Errorf("%s %s: document says scope %q, route checks %q", rt.method, rt.path, op.Scope, rt.scope)
		}
	}
}
