package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	dhttp "github.com/docsapi/docsapi/http"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

// An example is one fenced code block of a page, with the output block that
// follows it. Info-string conventions (see docs/api.md):
//   - sh, python, js and go blocks are executed; go blocks are whole programs;
//   - "output" shows what the block before it prints;
//   - "setup" blocks are also prepended to later blocks of their language on
//     the page that are marked "continues";
//   - norun="reason" marks a block that is not executed (pure setup).
type docExample struct {
	page, lang string
	attrs      map[string]string
	code, want string
	hasWant    bool
	n          int // its place on the page, for messages
}

func (ex *docExample) String() string { return fmt.Sprintf("%s block %d (%s)", ex.page, ex.n, ex.lang) }

func extractDocExamples(t *testing.T, page string, src []byte) []*docExample {
	t.Helper()
	doc := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader(src))
	var out []*docExample
	n := 0
	ast.Walk(doc, func(node ast.Node, entering bool) (ast.WalkStatus, error) {
		cb, ok := node.(*ast.FencedCodeBlock)
		if !entering || !ok {
			return ast.WalkContinue, nil
		}
		n++
		var info string
		if cb.Info != nil {
			info = string(cb.Info.Segment.Value(src))
		}
		lang, attrs := dhttp.ParseCodeInfo(info)
		var code bytes.Buffer
		for i := 0; i < cb.Lines().Len(); i++ {
			seg := cb.Lines().At(i)
			code.Write(seg.Value(src))
		}
		if lang == "output" {
			if len(out) == 0 || out[len(out)-1].hasWant {
				t.Errorf("%s block %d: an output block must follow a code block", page, n)
				return ast.WalkContinue, nil
			}
			out[len(out)-1].want, out[len(out)-1].hasWant = code.String(), true
			return ast.WalkContinue, nil
		}
		out = append(out, &docExample{page: page, lang: lang, attrs: attrs, code: code.String(), n: n})
		return ast.WalkContinue, nil
	})
	return out
}

var (
	// Ids and secrets that the server makes anew on every run.
	docIDToken = regexp.MustCompile(`\b(?:req|res|key|acct)_[0-9A-Za-z]{10,}\b|\bsk_live_[0-9A-Za-z]{32}\b`)
	// What may differ between the page and a run, in form only.
	docNormalizers = []struct {
		re   *regexp.Regexp
		repl string
	}{
		{regexp.MustCompile(`\b(req|res|key|acct)_[0-9A-Za-z]{10,}\b`), "${1}_ID"},
		{regexp.MustCompile(`\bsk_live_[0-9A-Za-z]{32}\b`), "sk_live_SECRET"},
		{regexp.MustCompile(`\bsk_live_[0-9A-Za-z]{4}\b`), "sk_live_PREFIX"},
		{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`), "TIME"},
		{regexp.MustCompile(`"duration_ms":\s*[0-9.]+`), `"duration_ms":0`},
		// Where the example ran from and with which client and version.
		{regexp.MustCompile(`"ip":\s*"[^"]*"`), `"ip":"IP"`},
		{regexp.MustCompile(`"user_agent":\s*"[^"]*"`), `"user_agent":"UA"`},
		// Written off the request path, at most once a minute (docs/api.md).
		{regexp.MustCompile(`"last_used_at":\s*(?:"TIME"|null)`), `"last_used_at":null`},
	}
)

func normalizeDocOutput(s string) string {
	for _, n := range docNormalizers {
		s = n.re.ReplaceAllString(s, n.repl)
	}
	return strings.TrimSpace(s)
}

// sameDocOutput compares as JSON when both sides are JSON, else line by line
// without trailing white space.
func sameDocOutput(want, got string) bool {
	want, got = normalizeDocOutput(want), normalizeDocOutput(got)
	var w, g any
	if json.Unmarshal([]byte(want), &w) == nil && json.Unmarshal([]byte(got), &g) == nil {
		return reflect.DeepEqual(w, g)
	}
	lines := func(s string) []string {
		l := strings.Split(s, "\n")
		for i := range l {
			l[i] = strings.TrimRight(l[i], " \t\r")
		}
		return l
	}
	return slices.Equal(lines(want), lines(got))
}

// docRunner executes a site's examples against one real server.
type docRunner struct {
	t       *testing.T
	e       *env
	tmp     string
	goBins  map[*docExample]string
	ids     map[string]string // id on the page → id of this run
	env     []string
	ran     int
	skipped []string
}

func needTool(t *testing.T, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is needed to run the docs' examples (scripts/deps installs it)", tool)
		}
		t.Skipf("%s is not installed; skipping the docs' examples", tool)
	}
	return p
}

// TestDocsExamplesRun executes every code example of every page against a
// real server, and compares what it prints with the output the page shows.
func TestDocsExamplesRun(t *testing.T) {
	// Its 10 s are mostly other processes' (node, python3, go): run beside
	// the tests that only wait, at the end, not after them.
	t.Parallel()
	for _, tool := range []string{"bash", "curl", "python3", "node", "npm"} {
		needTool(t, tool)
	}
	e := newEnv(t)
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	r := &docRunner{t: t, e: e, tmp: t.TempDir(), goBins: map[*docExample]string{}, ids: map[string]string{}}
	r.env = append(os.Environ(), "PYTHONPATH="+filepath.Join(root, "clients/python/src"), "PYTHONDONTWRITEBYTECODE=1")

	paths, sources := e.srv.DocsMarkdown()
	var pages [][]*docExample
	var all []*docExample
	for i, p := range paths {
		exs := extractDocExamples(t, p, sources[i])
		pages = append(pages, exs)
		all = append(all, exs...)
	}
	r.buildTypeScriptClient(root)
	r.buildGoExamples(root, all)

	for i, exs := range pages {
		// Each page runs in an account of its own, so that its lists show
		// only what the page made.
		_, _, secret, err := e.accounts.CreateAccount(context.Background(), "docs "+paths[i], "")
		if err != nil {
			t.Fatal(err)
		}
		if paths[i] == "/docs/api" {
			r.apiFixtures(secret)
		}
		r.runPage(exs, secret)
	}
	t.Logf("pages: %d; examples executed: %d; not executed: %d (%s)", len(paths), r.ran, len(r.skipped), strings.Join(r.skipped, "; "))
	if r.ran == 0 {
		t.Fatal("no example ran")
	}
}

// apiFixtures gives the reference's request-log example (generated from
// the OpenAPI document) a real request to show: the document's example id
// stands for a POST /v1/resources without a name, made with the page's key.
func (r *docRunner) apiFixtures(secret string) {
	resp := r.e.do("POST", "/v1/resources", secret, map[string]any{"name": ""}).want(r.t, 400)
	var doc struct {
		Components struct {
			Parameters map[string]struct {
				Schema struct {
					Examples []string `json:"examples"`
				} `json:"schema"`
			} `json:"parameters"`
		} `json:"components"`
	}
	_, _, body := r.e.get("/v1/openapi.json")
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		r.t.Fatal(err)
	}
	r.ids[doc.Components.Parameters["RequestId"].Schema.Examples[0]] = resp.header.Get("Request-Id")
}

func (r *docRunner) runPage(exs []*docExample, secret string) {
	t := r.t
	setup := map[string]string{}
	for _, ex := range exs {
		if reason, ok := ex.attrs["norun"]; ok {
			if reason == "" {
				t.Errorf("%s: norun needs a reason", ex)
			}
			r.skipped = append(r.skipped, ex.String()+": "+reason)
			continue
		}
		code := ex.code
		if _, ok := ex.attrs["continues"]; ok {
			if setup[ex.lang] == "" {
				t.Errorf("%s continues, but no setup block precedes it", ex)
			}
			code = setup[ex.lang] + "\n" + code
		}
		if _, ok := ex.attrs["setup"]; ok {
			setup[ex.lang] = ex.code
		}
		got, err := r.run(ex, r.substitute(code), secret)
		r.ran++
		if err != nil {
			t.Errorf("%s failed: %v\n%s\ncode:\n%s", ex, err, got, code)
			continue
		}
		if !ex.hasWant {
			var body map[string]any
			if json.Unmarshal([]byte(got), &body) == nil && body["error"] != nil {
				t.Errorf("%s shows no output but printed an error: %s", ex, got)
			}
			continue
		}
		if !sameDocOutput(ex.want, got) {
			t.Errorf("%s printed\n%s\nthe page shows\n%s", ex, got, ex.want)
			continue
		}
		r.learnIDs(ex.want, got)
	}
}

// learnIDs maps the ids the page shows to the ones this run made, in the
// order they appear, so that later blocks that use them run as shown.
func (r *docRunner) learnIDs(want, got string) {
	w, g := docIDToken.FindAllString(want, -1), docIDToken.FindAllString(got, -1)
	if len(w) != len(g) {
		return
	}
	for i := range w {
		if _, ok := r.ids[w[i]]; !ok {
			r.ids[w[i]] = g[i]
		}
	}
}

// substitute points the example at the test's server and at the objects
// this run made.
func (r *docRunner) substitute(code string) string {
	code = strings.ReplaceAll(code, "http://127.0.0.1:8080", r.e.url)
	return docIDToken.ReplaceAllStringFunc(code, func(id string) string {
		if real, ok := r.ids[id]; ok {
			return real
		}
		return id
	})
}

func (r *docRunner) run(ex *docExample, code, secret string) (string, error) {
	var cmd *exec.Cmd
	switch ex.lang {
	case "sh":
		cmd = exec.Command("bash", "-e", "-o", "pipefail", "-c", code)
	case "python":
		cmd = exec.Command("python3", "-c", code)
	case "js":
		f := filepath.Join(r.tmp, fmt.Sprintf("example%d.mjs", r.ran))
		if err := os.WriteFile(f, []byte(code), 0o644); err != nil {
			return "", err
		}
		cmd = exec.Command("node", f)
	case "go":
		if docIDToken.MatchString(ex.code) {
			return "", fmt.Errorf("a Go example may not use ids from earlier examples (it is compiled before they exist)")
		}
		cmd = exec.Command(r.goBins[ex])
	default:
		return "", fmt.Errorf("no runner for %q blocks; mark it norun=\"why\"", ex.lang)
	}
	cmd.Dir = r.tmp
	cmd.Env = append(r.env, "DOCSAPI_API_KEY="+secret)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// buildTypeScriptClient compiles clients/typescript into node_modules/docsapi
// of the folder the JavaScript examples run in, so `import "docsapi"` finds it.
func (r *docRunner) buildTypeScriptClient(root string) {
	t := r.t
	dir := filepath.Join(root, "clients/typescript")
	tsc := filepath.Join(dir, "node_modules/.bin/tsc")
	if _, err := os.Stat(tsc); err != nil {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in clients/typescript: %v\n%s", err, out)
		}
	}
	pkg := filepath.Join(r.tmp, "node_modules/docsapi")
	cmd := exec.Command(tsc, "-p", filepath.Join(dir, "tsconfig.json"), "--outDir", filepath.Join(pkg, "dist"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("compile the TypeScript client: %v\n%s", err, out)
	}
	manifest, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pkg, "package.json"), manifest, 0o644); err != nil {
		t.Fatal(err)
	}
}

// buildGoExamples compiles every Go example at once, in a module that uses
// clients/go from this checkout.
func (r *docRunner) buildGoExamples(root string, all []*docExample) {
	t := r.t
	mod := filepath.Join(r.tmp, "goexamples")
	gomod := "module docsexamples\n\ngo 1.23\n\nrequire github.com/docsapi/docsapi/clients/go v0.0.0\n\n" +
		"replace github.com/docsapi/docsapi/clients/go => " + filepath.Join(root, "clients/go") + "\n"
	write := func(name, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(mod, "go.mod"), gomod)
	n := 0
	for _, ex := range all {
		if _, norun := ex.attrs["norun"]; ex.lang != "go" || norun {
			continue
		}
		n++
		name := fmt.Sprintf("example%d", n)
		write(filepath.Join(mod, name, "main.go"), strings.ReplaceAll(ex.code, "http://127.0.0.1:8080", r.e.url))
		r.goBins[ex] = filepath.Join(mod, "bin", name)
	}
	if n == 0 {
		return
	}
	// go test puts its own go command first on PATH.
	cmd := exec.Command("go", "build", "-o", filepath.Join(mod, "bin")+"/", "./...")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the Go examples: %v\n%s", err, out)
	}
}
