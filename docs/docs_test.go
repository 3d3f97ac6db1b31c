package docs_test

import (
	"io/fs"
	"maps"
	"slices"
	"testing"

	"github.com/docsapi/docsapi"
	"github.com/docsapi/docsapi/docs"
	dhttp "github.com/docsapi/docsapi/http"
)

// TestEveryCodeStatusAndScopeIsExplained fails when the server gains an error
// code, status or scope that the docs do not explain, or the other way round.
func TestEveryCodeStatusAndScopeIsExplained(t *testing.T) {
	for code := range dhttp.ErrorClasses {
		if d, ok := docs.Errors[code]; !ok || d.Description == "" || d.Advice == "" {
			t.Errorf("error code %s has no description or advice in docs.Errors", code)
		}
		if _, ok := docs.StatusMeanings[dhttp.ErrorClasses[code].Status]; !ok {
			t.Errorf("status %d (of %s) is not in docs.StatusMeanings", dhttp.ErrorClasses[code].Status, code)
		}
	}
	for code := range docs.Errors {
		if _, ok := dhttp.ErrorClasses[code]; !ok {
			t.Errorf("docs.Errors explains %s, which the server never sends", code)
		}
	}
	for status := range docs.StatusMeanings {
		used := status == 200 || status == 201
		for _, c := range dhttp.ErrorClasses {
			used = used || c.Status == status
		}
		if !used {
			t.Errorf("docs.StatusMeanings explains %d, which the server never sends", status)
		}
	}
	if got, want := slices.Sorted(maps.Keys(docs.Scopes)), slices.Sorted(slices.Values(docsapi.Scopes)); !slices.Equal(got, want) {
		t.Errorf("docs.Scopes explains %v; the server's scopes are %v", got, want)
	}
}

func TestEveryPageHasASource(t *testing.T) {
	files, _ := fs.Glob(docs.Site, "site/*.md")
	if len(files) != len(docs.Pages) {
		t.Errorf("%d Markdown files, %d pages", len(files), len(docs.Pages))
	}
	for _, p := range docs.Pages {
		if _, err := fs.Stat(docs.Site, p.File); err != nil {
			t.Errorf("page %s: %v", p.Path, err)
		}
	}
}
