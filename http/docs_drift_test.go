package http

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/docsapi/docsapi"
)

// TestDocsShowTheServersTables fails when the server can produce an error
// code, status, scope or route that the docs do not show, or the docs show
// one that the server does not have.
func TestDocsShowTheServersTables(t *testing.T) {
	s := NewServer()
	s.registerRoutes()
	page := func(path string) string {
		p, ok := s.docSite().byPath[path]
		if !ok {
			t.Fatalf("no page %s", path)
		}
		return string(p.Body)
	}

	errorsPage := page("/docs/errors")
	rowID := regexp.MustCompile(`<tr id="([a-z_]+)">`)
	var shown []string
	for _, m := range rowID.FindAllStringSubmatch(errorsPage, -1) {
		shown = append(shown, m[1])
	}
	var codes []string
	for code, class := range ErrorClasses {
		codes = append(codes, code)
		row := regexp.MustCompile(fmt.Sprintf(`(?s)<tr id="%s">.*?</tr>`, code)).FindString(errorsPage)
		if !strings.Contains(row, fmt.Sprintf("<td>%d</td>", class.Status)) || !strings.Contains(row, "<code>"+class.Type+"</code>") {
			t.Errorf("errors page: the row of %s does not show %d %s: %s", code, class.Status, class.Type, row)
		}
		if !strings.Contains(errorsPage, fmt.Sprintf("<td>%d</td>", class.Status)) {
			t.Errorf("errors page: status %d is not in the status table", class.Status)
		}
	}
	slices.Sort(codes)
	slices.Sort(shown)
	if !slices.Equal(codes, shown) {
		t.Errorf("errors page shows codes %v; the server's are %v", shown, codes)
	}

	authPage := page("/docs/authentication")
	for _, scope := range docsapi.Scopes {
		if !strings.Contains(authPage, "<td><code>"+scope+"</code></td>") {
			t.Errorf("authentication page: scope %s is not in the scopes table", scope)
		}
	}

	// The reference shows each operation as "<code>METHOD path</code> · ...".
	apiPage := page("/docs/api")
	op := regexp.MustCompile(`<p><code>(GET|POST|PATCH|DELETE|PUT) (/[^<]*)</code> · (?:scope <a href="/docs/authentication#scopes"><code>([^<]+)</code></a>|no API key needed)`)
	var documented, served []string
	for _, m := range op.FindAllStringSubmatch(apiPage, -1) {
		documented = append(documented, m[1]+" "+m[2]+" "+m[3])
	}
	for _, rt := range s.routes {
		served = append(served, rt.method+" "+rt.path+" "+rt.scope)
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Errorf("API reference shows\n%v\nthe server routes\n%v", documented, served)
	}
}
