package http

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"regexp"
	"strings"

	"github.com/alecthomas/chroma/v2"
	chtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
	"github.com/docsapi/docsapi/docs"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

//go:embed assets
var docAssets embed.FS

// docPage is one rendered page of the documentation site.
type docPage struct {
	Path, Title string
	Markdown    []byte // the source, its generated sections expanded
	Body        template.HTML
	Headings    []docHeading // h2 and h3, for the sidebar and the search
	Terms       []docHeading // inline code in the prose, each under the heading it follows, for the search
}

type docHeading struct {
	Level    int
	Text, ID string
}

// docSite is the whole site, rendered once at start.
type docSite struct {
	pages  []*docPage
	byPath map[string]*docPage
	layout *template.Template
	index  []searchEntry
	css    []byte // chroma's classes, light and dark
}

type searchEntry struct {
	Title string `json:"title"`
	Page  string `json:"page"`
	URL   string `json:"url"`
}

// newDocSite renders every page of docs.Pages, expanding the generated
// sections from the server's own tables (routes, error codes, scopes and
// the OpenAPI document), so the docs cannot drift from the server, and
// with publicURL (if any) in the examples.
func newDocSite(routes []route, publicURL string) (*docSite, error) {
	site := &docSite{byPath: map[string]*docPage{}}
	md := newMarkdown()
	for _, p := range docs.Pages {
		src, err := fs.ReadFile(docs.Site, p.File)
		if err != nil {
			return nil, err
		}
		src, err = expandGenerated(src, routes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.File, err)
		}
		if publicURL != "" {
			src = inCodeBlocks(src, docsBaseURL, strings.TrimSuffix(publicURL, "/"))
		}
		page, err := renderPage(md, p.Path, src)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.File, err)
		}
		site.pages = append(site.pages, page)
		site.byPath[p.Path] = page
		site.index = append(site.index, searchEntry{Title: page.Title, Page: page.Title, URL: page.Path})
		for _, h := range page.Headings {
			site.index = append(site.index, searchEntry{Title: h.Text, Page: page.Title, URL: page.Path + "#" + h.ID})
		}
		for _, term := range page.Terms {
			u := page.Path
			if term.ID != "" {
				u += "#" + term.ID
			}
			site.index = append(site.index, searchEntry{Title: term.Text, Page: page.Title, URL: u})
		}
		// An error code is what a reader most often pastes into the search.
		for _, m := range errorRowID.FindAllStringSubmatch(string(page.Body), -1) {
			if c, ok := ErrorClasses[m[1]]; ok {
				site.index = append(site.index, searchEntry{Title: fmt.Sprintf("%s (%d)", m[1], c.Status), Page: page.Title, URL: page.Path + "#" + m[1]})
			}
		}
	}
	var err error
	if site.layout, err = template.ParseFS(docAssets, "assets/layout.html"); err != nil {
		return nil, err
	}
	site.css, err = chromaCSS()
	return site, err
}

// errorRowID finds the table rows that an error code's doc_url points at.
var errorRowID = regexp.MustCompile(`<tr id="([a-z_]+)">`)

// inCodeBlocks replaces old with new in src's fenced code blocks only: the
// examples call the server, where the prose may name make run's address or
// the libraries' default.
func inCodeBlocks(src []byte, old, new string) []byte {
	lines := bytes.SplitAfter(src, []byte("\n"))
	fenced := false
	for i, line := range lines {
		if bytes.HasPrefix(bytes.TrimSpace(line), []byte("```")) {
			fenced = !fenced
		} else if fenced {
			lines[i] = bytes.ReplaceAll(line, []byte(old), []byte(new))
		}
	}
	return bytes.Join(lines, nil)
}

func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithAutoHeadingID(), parser.WithAttribute(),
			parser.WithASTTransformers(util.Prioritized(anchorTransformer{}, 100))),
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(codeRenderer{}, 100))),
	)
}

// renderPage renders one page's Markdown; its first heading is its title.
func renderPage(md goldmark.Markdown, urlPath string, src []byte) (*docPage, error) {
	doc := md.Parser().Parse(text.NewReader(src))
	page := &docPage{Path: urlPath, Markdown: src}
	section, seen := "", map[string]bool{}
	err := ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.CodeSpan:
			// A header, scope, variable or field name (Retry-After,
			// logs:read, DOCSAPI_PUBLIC_URL) is what a reader searches for:
			// each once a page, under the section it first appears in.
			term := strings.TrimSpace(string(n.Text(src)))
			if len(term) >= 3 && len(term) <= 40 && !strings.ContainsAny(term, " \t") && !seen[term] {
				seen[term] = true
				page.Terms = append(page.Terms, docHeading{Text: term, ID: section})
			}
			return ast.WalkSkipChildren, nil
		case *ast.Heading:
			id, _ := n.AttributeString("id")
			txt := headingText(n, src)
			switch {
			case n.Level == 1 && page.Title == "":
				page.Title = txt
			case n.Level == 2 || n.Level == 3:
				section = string(id.([]byte))
				page.Headings = append(page.Headings, docHeading{Level: n.Level, Text: txt, ID: section})
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		return nil, err
	}
	if page.Title == "" {
		return nil, fmt.Errorf("no # title")
	}
	var b bytes.Buffer
	if err := md.Renderer().Render(&b, src, doc); err != nil {
		return nil, err
	}
	page.Body = template.HTML(b.String())
	return page, nil
}

// headingText is a heading's text without the anchor link appended to it.
func headingText(h *ast.Heading, src []byte) string {
	var b strings.Builder
	for c := h.FirstChild(); c != nil; c = c.NextSibling() {
		if l, ok := c.(*ast.Link); ok && bytes.HasPrefix(l.Destination, []byte("#")) {
			continue
		}
		ast.Walk(c, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			if entering {
				switch t := n.(type) {
				case *ast.Text:
					b.Write(t.Segment.Value(src))
				case *ast.String:
					b.Write(t.Value)
				}
			}
			return ast.WalkContinue, nil
		})
	}
	return strings.TrimSpace(b.String())
}

// anchorTransformer gives every h2 and h3 a "#" link to itself, and a table
// row whose first cell links to "#x" the id x, so that e.g.
// /docs/errors#rate_limit_exceeded lands on that code's row.
type anchorTransformer struct{}

func (anchorTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			if id, ok := n.AttributeString("id"); ok && n.Level >= 2 && n.Level <= 3 {
				l := ast.NewLink()
				l.Destination = append([]byte("#"), id.([]byte)...)
				l.SetAttributeString("class", "anchor")
				l.SetAttributeString("aria-label", "Link to this section")
				l.AppendChild(l, ast.NewString([]byte("#")))
				n.AppendChild(n, l)
			}
			return ast.WalkSkipChildren, nil
		case *east.TableRow:
			if cell := n.FirstChild(); cell != nil {
				if l, ok := cell.FirstChild().(*ast.Link); ok && bytes.HasPrefix(l.Destination, []byte("#")) {
					n.SetAttributeString("id", l.Destination[1:])
				}
			}
		}
		return ast.WalkContinue, nil
	})
}

// codeInfo is a fenced code block's info string: its language, then
// name=value attributes (values may be double-quoted) and bare flags.
// The example runner (docs_examples_test.go) reads the same attributes.
type codeInfo struct {
	Lang  string
	Attrs map[string]string
}

var infoAttr = regexp.MustCompile(`([a-z]+)(?:=(?:"([^"]*)"|(\S+)))?`)

func parseCodeInfo(info string) codeInfo {
	lang, rest, _ := strings.Cut(strings.TrimSpace(info), " ")
	ci := codeInfo{Lang: lang, Attrs: map[string]string{}}
	for _, m := range infoAttr.FindAllStringSubmatch(rest, -1) {
		ci.Attrs[m[1]] = m[2] + m[3]
	}
	return ci
}

// codeLabels names each language in the code block's header.
var codeLabels = map[string]string{
	"sh": "Shell", "python": "Python", "js": "JavaScript", "go": "Go", "json": "JSON", "output": "Output", "text": "Text",
}

// codeRenderer highlights fenced code with chroma's CSS classes (no inline
// styles, so the strict CSP holds) and wraps it with a header.
type codeRenderer struct{}

func (codeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		cb := n.(*ast.FencedCodeBlock)
		var info codeInfo
		if cb.Info != nil {
			info = parseCodeInfo(string(cb.Info.Segment.Value(src)))
		}
		var code bytes.Buffer
		for i := 0; i < cb.Lines().Len(); i++ {
			seg := cb.Lines().At(i)
			code.Write(seg.Value(src))
		}
		label := info.Attrs["title"]
		if label == "" {
			label = codeLabels[info.Lang]
		}
		lang := info.Lang
		if lang == "output" {
			lang = "json"
			if !bytes.HasPrefix(bytes.TrimSpace(code.Bytes()), []byte("{")) {
				lang = "text"
			}
		}
		lexer := lexers.Get(lang)
		if lexer == nil {
			lexer = lexers.Fallback
		}
		it, err := chroma.Coalesce(lexer).Tokenise(nil, code.String())
		if err != nil {
			return ast.WalkStop, err
		}
		class := "code"
		if info.Lang == "output" {
			class += " output"
		}
		fmt.Fprintf(w, `<div class="%s"><div class="code-head"><span>%s</span></div>`, class, template.HTMLEscapeString(label))
		if err := chromaFormatter.Format(w, styles.Get("github"), it); err != nil {
			return ast.WalkStop, err
		}
		w.WriteString("</div>\n")
		return ast.WalkSkipChildren, nil
	})
}

var chromaFormatter = chtml.New(chtml.WithClasses(true), chtml.WithAllClasses(true))

// chromaCSS is the highlighting's stylesheet: GitHub's colours, and GitHub
// Dark's when the reader's system prefers a dark scheme.
func chromaCSS() ([]byte, error) {
	var b bytes.Buffer
	if err := chromaFormatter.WriteCSS(&b, styles.Get("github")); err != nil {
		return nil, err
	}
	b.WriteString("@media (prefers-color-scheme: dark) {\n")
	if err := chromaFormatter.WriteCSS(&b, styles.Get("github-dark")); err != nil {
		return nil, err
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}

// docsCSP allows nothing but this server's own scripts, styles and images.
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// registerDocs serves the documentation site: public, and not in the
// request log (it needs no key).
func (s *Server) registerDocs() {
	site, err := newDocSite(s.routes, "")
	if err != nil {
		// The pages are compiled in and rendered by a test: this is a bug.
		panic(fmt.Sprintf("docs: %v", err))
	}
	s.docs = site
	s.mux.HandleFunc("GET /docs", s.handleDocs)
	s.mux.HandleFunc("GET /docs/{page...}", s.handleDocs)
}

// docSite returns the site. PublicURL, which the examples show, is set
// after NewServer rendered the site: with one, it is rendered again at its
// first use. The sources rendered once already, so that cannot fail but by
// a bug, which then leaves make run's address in the examples.
func (s *Server) docSite() *docSite {
	s.docsOnce.Do(func() {
		if s.PublicURL == "" {
			return
		}
		site, err := newDocSite(s.routes, s.PublicURL)
		if err != nil {
			s.Logger.Error("docs: rendering with the public URL", slog.String("error", err.Error()))
			return
		}
		s.docs = site
	})
	return s.docs
}

// handleDocs serves GET /docs and GET /docs/{page...}.
func (s *Server) handleDocs(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", docsCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	if name, ok := strings.CutPrefix(r.URL.Path, "/docs/assets/"); ok && s.serveDocAsset(w, name) {
		return
	}
	site := s.docSite()
	page, ok := site.byPath[r.URL.Path]
	status := http.StatusOK
	if !ok {
		status = http.StatusNotFound
		page = &docPage{Path: r.URL.Path, Title: "Page not found"}
	}
	var b bytes.Buffer
	err := site.layout.Execute(&b, map[string]any{"Page": page, "Pages": site.pages, "Index": site.index, "NotFound": !ok})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

var docAssetTypes = map[string]string{
	".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml",
}

// serveDocAsset writes the named asset, or reports that there is none.
func (s *Server) serveDocAsset(w http.ResponseWriter, name string) bool {
	typ := docAssetTypes[path.Ext(name)]
	body := s.docSite().css
	if name != "chroma.css" {
		var err error
		if body, err = fs.ReadFile(docAssets, "assets/"+name); err != nil || typ == "" || strings.Contains(name, "/") {
			return false
		}
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(body)
	return true
}
