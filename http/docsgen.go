package http

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/docsapi/docsapi"
	"github.com/docsapi/docsapi/docs"
)

// generatedMarker is a line of a page's Markdown that stands for a section
// made from the server's own values.
var generatedMarker = regexp.MustCompile(`(?m)^\{\{generated:([a-z-]+)\}\}$`)

// expandGenerated replaces every marker with its Markdown.
func expandGenerated(src []byte, routes []route) ([]byte, error) {
	var firstErr error
	out := generatedMarker.ReplaceAllFunc(src, func(m []byte) []byte {
		name := string(generatedMarker.FindSubmatch(m)[1])
		var md string
		var err error
		switch name {
		case "status-codes":
			md = statusTable()
		case "error-codes":
			md = errorCodeTable()
		case "scopes":
			md = scopeTable(routes)
		case "api-reference":
			md, err = apiReference(routes)
		default:
			err = fmt.Errorf("unknown generated section %q", name)
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return []byte(strings.TrimSuffix(md, "\n"))
	})
	return out, firstErr
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", `\|`)
}

func statusTable() string {
	var b strings.Builder
	b.WriteString("| Status | Meaning |\n|---|---|\n")
	for _, st := range slices.Sorted(maps.Keys(docs.StatusMeanings)) {
		fmt.Fprintf(&b, "| %d | %s |\n", st, cell(docs.StatusMeanings[st]))
	}
	return b.String()
}

// errorCodes lists the server's codes by status, then name.
func errorCodes() []string {
	return slices.SortedFunc(maps.Keys(ErrorClasses), func(a, b string) int {
		return cmp.Or(cmp.Compare(ErrorClasses[a].Status, ErrorClasses[b].Status), cmp.Compare(a, b))
	})
}

func errorCodeTable() string {
	var b strings.Builder
	b.WriteString("| Code | Status | Type | Description | What to do |\n|---|---|---|---|---|\n")
	for _, code := range errorCodes() {
		c, d := ErrorClasses[code], docs.Errors[code]
		fmt.Fprintf(&b, "| [`%s`](#%s) | %d | `%s` | %s | %s |\n", code, code, c.Status, c.Type, cell(d.Description), cell(d.Advice))
	}
	return b.String()
}

// scopeTable lists every scope with the endpoints that need it.
func scopeTable(routes []route) string {
	var b strings.Builder
	b.WriteString("| Scope | Allows | Endpoints |\n|---|---|---|\n")
	for _, scope := range docsapi.Scopes {
		var eps []string
		for _, rt := range routes {
			if rt.scope == scope {
				eps = append(eps, fmt.Sprintf("`%s %s`", rt.method, rt.path))
			}
		}
		if scope == docsapi.ScopeAll {
			eps = []string{"all of them"}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", scope, cell(docs.Scopes[scope]), strings.Join(eps, ", "))
	}
	return b.String()
}

// The parts of the OpenAPI document that the reference shows.
type oaDoc struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas    map[string]*oaSchema    `json:"schemas"`
		Parameters map[string]*oaParameter `json:"parameters"`
		Responses  map[string]*oaResponse  `json:"responses"`
	} `json:"components"`
}

type oaOperation struct {
	OperationID string         `json:"operationId"`
	Summary     string         `json:"summary"`
	Description string         `json:"description"`
	Tags        []string       `json:"tags"`
	Scope       string         `json:"x-required-scope"`
	Parameters  []*oaParameter `json:"parameters"`
	RequestBody *struct {
		Content map[string]oaMedia `json:"content"`
	} `json:"requestBody"`
	Responses map[string]*oaResponse `json:"responses"`
}

type oaParameter struct {
	Ref         string    `json:"$ref"`
	Name        string    `json:"name"`
	In          string    `json:"in"`
	Required    bool      `json:"required"`
	Description string    `json:"description"`
	Schema      *oaSchema `json:"schema"`
}

type oaResponse struct {
	Ref         string             `json:"$ref"`
	Description string             `json:"description"`
	Content     map[string]oaMedia `json:"content"`
}

type oaMedia struct {
	Schema  *oaSchema       `json:"schema"`
	Example json.RawMessage `json:"example"`
}

type oaSchema struct {
	Ref         string               `json:"$ref"`
	Type        any                  `json:"type"`
	Description string               `json:"description"`
	Required    []string             `json:"required"`
	Properties  map[string]*oaSchema `json:"properties"`
	Items       *oaSchema            `json:"items"`
	Enum        []string             `json:"enum"`
	Default     any                  `json:"default"`
	MinLength   *int                 `json:"minLength"`
	MaxLength   *int                 `json:"maxLength"`
	Minimum     *int                 `json:"minimum"`
	Maximum     *int                 `json:"maximum"`
	MinItems    *int                 `json:"minItems"`
	MaxProps    *int                 `json:"maxProperties"`
	AnyOf       []*oaSchema          `json:"anyOf"`
	Examples    []json.RawMessage    `json:"examples"`
}

func lastPart(ref string) string { return ref[strings.LastIndex(ref, "/")+1:] }

func (d *oaDoc) schema(s *oaSchema) *oaSchema {
	for s != nil && s.Ref != "" {
		s = d.Components.Schemas[lastPart(s.Ref)]
	}
	return s
}

// typeName is a schema's JSON type, e.g. "string or null".
func (d *oaDoc) typeName(s *oaSchema) string {
	if s.Ref != "" {
		return d.typeName(d.schema(s))
	}
	switch t := s.Type.(type) {
	case string:
		if t == "array" && s.Items != nil {
			return "array of " + d.typeName(s.Items)
		}
		return t
	case []any:
		var parts []string
		for _, p := range t {
			parts = append(parts, fmt.Sprint(p))
		}
		return strings.Join(parts, " or ")
	}
	if len(s.AnyOf) > 0 {
		return "string"
	}
	return "any"
}

// limits describes a schema's bounds, e.g. "1–200 characters".
func (d *oaDoc) limits(s *oaSchema) string {
	s = d.schema(s)
	var parts []string
	rng := func(lo, hi *int, unit string) {
		switch {
		case lo != nil && hi != nil:
			parts = append(parts, fmt.Sprintf("%d–%d%s", *lo, *hi, unit))
		case hi != nil:
			parts = append(parts, fmt.Sprintf("at most %d%s", *hi, unit))
		case lo != nil && *lo == 1 && unit == " characters":
			parts = append(parts, "not empty")
		case lo != nil:
			parts = append(parts, fmt.Sprintf("at least %d%s", *lo, unit))
		}
	}
	rng(s.MinLength, s.MaxLength, " characters")
	rng(s.Minimum, s.Maximum, "")
	rng(s.MinItems, nil, " items")
	rng(nil, s.MaxProps, " pairs")
	if s.Items != nil {
		if it := d.schema(s.Items); len(it.Enum) > 0 {
			s = it
		}
	}
	if len(s.Enum) > 0 {
		parts = append(parts, "one of `"+strings.Join(s.Enum, "`, `")+"`")
	}
	if s.Default != nil {
		parts = append(parts, fmt.Sprintf("default %v", s.Default))
	}
	return strings.Join(parts, "; ")
}

// apiReference renders every route's operation of the OpenAPI document, in
// the route table's order, grouped by tag.
func apiReference(routes []route) (string, error) {
	var doc oaDoc
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		return "", err
	}
	var b strings.Builder
	tag := ""
	for _, rt := range routes {
		raw, ok := doc.Paths[rt.path][strings.ToLower(rt.method)]
		if !ok {
			return "", fmt.Errorf("%s %s is not in the OpenAPI document", rt.method, rt.path)
		}
		var op oaOperation
		if err := json.Unmarshal(raw, &op); err != nil {
			return "", err
		}
		if len(op.Tags) > 0 && op.Tags[0] != tag {
			tag = op.Tags[0]
			fmt.Fprintf(&b, "## %s\n\n", tag)
		}
		var params []*oaParameter
		var pathLevel []*oaParameter
		json.Unmarshal(doc.Paths[rt.path]["parameters"], &pathLevel)
		for _, p := range append(pathLevel, op.Parameters...) {
			if p.Ref != "" {
				p = doc.Components.Parameters[lastPart(p.Ref)]
			}
			params = append(params, p)
		}
		if err := doc.writeOperation(&b, rt, &op, params); err != nil {
			return "", fmt.Errorf("%s %s: %w", rt.method, rt.path, err)
		}
	}
	return b.String(), nil
}

func (d *oaDoc) writeOperation(b *strings.Builder, rt route, op *oaOperation, params []*oaParameter) error {
	fmt.Fprintf(b, "### %s {#%s}\n\n", op.Summary, op.OperationID)
	access := "no API key needed"
	if rt.scope != "" {
		access = fmt.Sprintf("scope [`%s`](/docs/authentication#scopes)", rt.scope)
	}
	fmt.Fprintf(b, "`%s %s` · %s\n\n%s\n\n", rt.method, rt.path, access, strings.TrimSpace(op.Description))
	if len(params) > 0 {
		b.WriteString("**Parameters**\n\n| Name | In | Type | Required | Limits | Description |\n|---|---|---|---|---|---|\n")
		for _, p := range params {
			fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s | %s |\n", p.Name, p.In, d.typeName(p.Schema), yesNo(p.Required), cell(d.limits(p.Schema)), cell(p.Description))
		}
		b.WriteString("\n")
	}
	var body json.RawMessage
	if op.RequestBody != nil {
		media := op.RequestBody.Content["application/json"]
		body = media.Example
		s := d.schema(media.Schema)
		b.WriteString("**Body** (JSON)\n\n| Field | Type | Required | Limits | Description |\n|---|---|---|---|---|\n")
		names := slices.SortedFunc(maps.Keys(s.Properties), func(x, y string) int {
			return cmp.Or(-cmp.Compare(btoi(slices.Contains(s.Required, x)), btoi(slices.Contains(s.Required, y))), cmp.Compare(x, y))
		})
		for _, name := range names {
			p := s.Properties[name]
			desc := cmp.Or(p.Description, d.schema(p).Description)
			fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s |\n", name, d.typeName(p), yesNo(slices.Contains(s.Required, name)), cell(d.limits(p)), cell(desc))
		}
		b.WriteString("\n")
	}
	b.WriteString("**Responses**\n\n| Status | Description |\n|---|---|\n")
	var okStatus string
	var okExample json.RawMessage
	for _, st := range slices.Sorted(maps.Keys(op.Responses)) {
		resp := op.Responses[st]
		if resp.Ref != "" {
			resp = d.Components.Responses[lastPart(resp.Ref)]
		}
		desc := firstSentence(resp.Description)
		if st[0] == '2' {
			okStatus, okExample = st, resp.Content["application/json"].Example
		} else {
			var codes []string
			for _, code := range errorCodes() {
				if fmt.Sprint(ErrorClasses[code].Status) == st {
					codes = append(codes, fmt.Sprintf("[`%s`](/docs/errors#%s)", code, code))
				}
			}
			desc = strings.Join(codes, ", ")
		}
		fmt.Fprintf(b, "| %s | %s |\n", st, cell(desc))
	}
	b.WriteString("\n```sh\n" + curlExample(rt, params, body) + "\n```\n\n")
	if len(okExample) > 0 {
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, okExample, "", "  "); err != nil {
			return err
		}
		fmt.Fprintf(b, "```output title=\"%s · JSON\"\n%s\n```\n\n", okStatus, pretty.String())
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

// curlExample is the request with the document's example path parameters
// and body, against the default local address.
func curlExample(rt route, params []*oaParameter, body json.RawMessage) string {
	p := rt.path
	for _, prm := range params {
		if prm.In == "path" && prm.Schema != nil && len(prm.Schema.Examples) > 0 {
			var v string
			json.Unmarshal(prm.Schema.Examples[0], &v)
			p = strings.ReplaceAll(p, "{"+prm.Name+"}", v)
		}
	}
	first := "curl -s "
	if rt.method != "GET" {
		first += "-X " + rt.method + " "
	}
	parts := []string{first + docsBaseURL + p}
	if rt.scope != "" {
		parts = append(parts, `-H "Authorization: Bearer $DOCSAPI_API_KEY"`)
	}
	if len(body) > 0 {
		var compact bytes.Buffer
		json.Compact(&compact, body)
		parts = append(parts, "-H 'Content-Type: application/json'", "-d '"+compact.String()+"'")
	}
	return strings.Join(parts, " \\\n  ")
}

// docsBaseURL is where the examples send requests: `make run`'s address,
// which a server with a public URL shows in its place (inCodeBlocks).
const docsBaseURL = "http://127.0.0.1:8080"
