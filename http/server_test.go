package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
	dhttp "github.com/docsapi/docsapi/http"
	"github.com/docsapi/docsapi/inmem"
	"github.com/docsapi/docsapi/internal/testenv"
	"github.com/docsapi/docsapi/postgres"
	"github.com/docsapi/docsapi/sqlite"
)

// env is a real server on a real listener over a real store: an SQLite
// file, or PostgreSQL when DOCSAPI_TEST_HTTP_ENGINE=postgres (CI runs the
// suite both ways).
type env struct {
	t        testing.TB
	srv      *dhttp.Server
	accounts docsapi.AccountService
	closeDB  func() error
	path     string // of the SQLite file; "" on PostgreSQL
	logs     *testenv.SyncBuffer
	url      string
	rootKey  string
}

// newEnv starts a server; configure, when given, changes it before Open.
func newEnv(t testing.TB, configure ...func(*dhttp.Server)) *env {
	t.Helper()
	s := dhttp.NewServer()
	e := &env{t: t, srv: s, logs: &testenv.SyncBuffer{}}
	s.Logger = slog.New(slog.NewJSONHandler(e.logs, nil))
	ctx := context.Background()
	var (
		db interface {
			dhttp.Pinger
			Migrate(ctx context.Context) ([]string, error)
			Close() error
		}
		st docsapi.Services
	)
	if os.Getenv("DOCSAPI_TEST_HTTP_ENGINE") == "postgres" {
		pg, err := postgres.Open(ctx, testenv.PostgresURL(t))
		if err != nil {
			t.Fatal(err)
		}
		db, st = pg, postgres.NewServices(pg)
	} else {
		e.path = filepath.Join(t.TempDir(), "docsapi.db")
		lite, err := sqlite.Open(e.path)
		if err != nil {
			t.Fatal(err)
		}
		db, st = lite, sqlite.NewServices(lite)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e.closeDB, s.Storage, e.accounts = db.Close, db, st.Accounts
	s.APIKeyService, s.ResourceService, s.RequestLogService, s.IdempotencyService = st.APIKeys, st.Resources, st.RequestLogs, st.Idempotency
	s.SessionService = st.Sessions
	_, _, secret, err := e.accounts.CreateAccount(ctx, "test", "")
	if err != nil {
		t.Fatal(err)
	}
	e.rootKey = secret
	s.RateLimiter = inmem.NewRateLimiter(time.Second)
	s.AuthFailures = inmem.NewRateLimiter(time.Minute)
	for _, c := range configure {
		c(s)
	}
	if err := s.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	e.url = s.URL()
	t.Cleanup(func() {
		s.Close()
		e.closeDB()
	})
	return e
}

// response is a response read whole.
type response struct {
	status int
	header http.Header
	body   []byte
	close  bool // the server announced Connection: close
}

func (r *response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// str returns a top-level string field.
func (r *response) str(t testing.TB, field string) string {
	t.Helper()
	s, _ := r.json(t)[field].(string)
	return s
}

var requestIDPattern = regexp.MustCompile(`^req_[0-9A-Za-z]{10,24}$`)

// wantError checks that r is the contract's error object with this status,
// code and param, and returns the object.
func (r *response) wantError(t testing.TB, status int, code, param string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	var body map[string]map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil || len(body) != 1 || body["error"] == nil {
		t.Fatalf("not an error object: %s", r.body)
	}
	e := body["error"]
	class := dhttp.ErrorClasses[code]
	if e["type"] != class.Type || e["code"] != code {
		t.Errorf("type/code = %v/%v, want %s/%s; body %s", e["type"], e["code"], class.Type, code, r.body)
	}
	if p, ok := e["param"]; param == "" && ok || param != "" && p != param {
		t.Errorf("param = %v, want %q; body %s", p, param, r.body)
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Errorf("message is empty")
	}
	if e["request_id"] != r.header.Get("Request-Id") || !requestIDPattern.MatchString(r.header.Get("Request-Id")) {
		t.Errorf("request_id %v does not match Request-Id %q", e["request_id"], r.header.Get("Request-Id"))
	}
	if e["doc_url"] != "/docs/errors#"+code {
		t.Errorf("doc_url = %v, want /docs/errors#%s", e["doc_url"], code)
	}
	for k := range e {
		switch k {
		case "type", "code", "message", "param", "request_id", "doc_url":
		default:
			t.Errorf("unexpected field %q in error object", k)
		}
	}
	return e
}

// do sends a request. body is sent as JSON unless it is a string or []byte;
// headers are name, value pairs.
func (e *env) do(method, path, key string, body any, headers ...string) *response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return e.send(req)
}

// send sends a request built by the caller and reads its response whole.
func (e *env) send(req *http.Request) *response {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if !requestIDPattern.MatchString(resp.Header.Get("Request-Id")) {
		e.t.Errorf("%s %s: Request-Id %q is malformed", req.Method, req.URL.Path, resp.Header.Get("Request-Id"))
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// want fails unless r has status.
func (r *response) want(t testing.TB, status int) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	return r
}

// newKey creates a key with scopes (and optional rate limit) using the root key.
func (e *env) newKey(rateLimit int, scopes ...string) (secret, id string) {
	e.t.Helper()
	body := map[string]any{"name": "test", "scopes": scopes}
	if rateLimit > 0 {
		body["rate_limit"] = rateLimit
	}
	r := e.do("POST", "/v1/api_keys", e.rootKey, body).want(e.t, 201)
	return r.str(e.t, "secret"), r.str(e.t, "id")
}

// newAccount creates another account and returns its root key.
func (e *env) newAccount() string {
	e.t.Helper()
	_, _, secret, err := e.accounts.CreateAccount(context.Background(), "other", "")
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// createResource creates a resource named name and returns its id.
func (e *env) createResource(key, name string) string {
	e.t.Helper()
	return e.do("POST", "/v1/resources", key, map[string]any{"name": name}).want(e.t, 201).str(e.t, "id")
}
