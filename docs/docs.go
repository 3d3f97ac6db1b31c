// Package docs holds the documentation site's Markdown sources and the
// words about each error code, status and scope that the pages show next to
// the server's own tables (http/docs.go renders them).
package docs

import "embed"

// Site holds the pages' Markdown, one file per page.
//
//go:embed site/*.md
var Site embed.FS

// Page is one page of the site.
type Page struct {
	Path string // URL path, e.g. /docs/errors
	File string // in Site
}

// Pages lists the site's pages in the sidebar's order.
var Pages = []Page{
	{"/docs", "site/index.md"},
	{"/docs/authentication", "site/authentication.md"},
	{"/docs/errors", "site/errors.md"},
	{"/docs/rate-limits", "site/rate-limits.md"},
	{"/docs/idempotency", "site/idempotency.md"},
	{"/docs/pagination", "site/pagination.md"},
	{"/docs/request-log", "site/request-log.md"},
	{"/docs/dashboard", "site/dashboard.md"},
	{"/docs/api", "site/api.md"},
	{"/docs/libraries", "site/libraries.md"},
}
