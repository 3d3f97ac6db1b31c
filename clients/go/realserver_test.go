package docsapi

// End-to-end tests against `docsapi serve` built from this repository (or
// DOCSAPI_BIN). The server starts once, on first use, and stops in TestMain.

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var realSrv struct {
	once    sync.Once
	url     string
	rootKey string
	err     error
	stop    func()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if realSrv.stop != nil {
		realSrv.stop()
	}
	os.Exit(code)
}

// realServer returns the base URL and root key of the running server,
// starting it on first use.
func realServer(t *testing.T) (string, string) {
	t.Helper()
	realSrv.once.Do(func() { realSrv.url, realSrv.rootKey, realSrv.err = startRealServer() })
	if realSrv.err != nil {
		t.Fatalf("real server: %v", realSrv.err)
	}
	return realSrv.url, realSrv.rootKey
}

func startRealServer() (baseURL, rootKey string, err error) {
	dir, err := os.MkdirTemp("", "docsapi-go-test-")
	if err != nil {
		return "", "", err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	bin := os.Getenv("DOCSAPI_BIN")
	if bin == "" {
		bin = filepath.Join(dir, "docsapi")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/docsapi")
		build.Dir = filepath.Join("..", "..") // the repository root
		if out, err := build.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("go build ./cmd/docsapi: %v\n%s", err, out)
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return "", "", err
	}
	rootKey = "sk_live_" + randomBase62(32)
	logPath := filepath.Join(dir, "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return "", "", err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(environWithout("DOCSAPI_"),
		"DOCSAPI_ADDR="+addr,
		"DOCSAPI_DATABASE_URL="+filepath.Join(dir, "docsapi.db"),
		"DOCSAPI_ROOT_KEY="+rootKey,
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return "", "", err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); logFile.Close(); close(exited) }()
	realSrv.stop = func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		os.RemoveAll(dir)
	}

	baseURL = "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(baseURL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return baseURL, rootKey, nil
			}
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(logPath)
			realSrv.stop()
			realSrv.stop = nil
			return "", "", fmt.Errorf("server exited: %s\n%s", cmd.ProcessState, log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			realSrv.stop()
			realSrv.stop = nil
			return "", "", fmt.Errorf("/healthz not 200 within 15 s\n%s", log)
		}
	}
}

// freeAddr picks a loopback port that was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func environWithout(prefix string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, prefix) {
			env = append(env, kv)
		}
	}
	return env
}

func randomBase62(n int) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	for i := range b {
		j, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[j.Int64()]
	}
	return string(b)
}

// realClient is a root-key client of the real server that does not really
// sleep between retries.
func realClient(t *testing.T, opts ...Option) *Client {
	url, key := realServer(t)
	c, _ := newTestClient(url, opts...)
	c.apiKey = key
	return c
}

// uniqueName keeps each test's resources apart in the shared database.
func uniqueName(t *testing.T) string {
	return t.Name() + "-" + randomBase62(8)
}

// namedResources lists, through the server, the ids of resources named name.
func namedResources(t *testing.T, c *Client, name string) []string {
	t.Helper()
	var ids []string
	for r, err := range c.Resources.All(context.Background(), &ListParams{Limit: Int(100)}) {
		if err != nil {
			t.Fatal(err)
		}
		if r.Name == name {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

func TestRealResourceLifecycle(t *testing.T) {
	c := realClient(t)
	ctx := context.Background()
	name := uniqueName(t)

	created, err := c.Resources.Create(ctx, &ResourceCreateParams{Name: name, Description: String("first"), Metadata: map[string]string{"team": "finance", "tier": "gold"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.ID, "res_") || created.Object != "resource" || created.Name != name ||
		created.Description == nil || *created.Description != "first" || created.Metadata["team"] != "finance" || created.CreatedAt.IsZero() {
		t.Fatalf("created = %+v", created)
	}

	got, err := c.Resources.Retrieve(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != created.ID || got.Name != name || !got.CreatedAt.Equal(created.CreatedAt) {
		t.Errorf("retrieved %+v, created %+v", got, created)
	}

	updated, err := c.Resources.Update(ctx, created.ID, &ResourceUpdateParams{
		Name:        String(name + "-renamed"),
		Description: Null[string](),
		Metadata:    map[string]*string{"team": String(""), "region": String("eu")},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantMeta := map[string]string{"tier": "gold", "region": "eu"}
	if updated.Name != name+"-renamed" || updated.Description != nil || fmt.Sprint(updated.Metadata) != fmt.Sprint(wantMeta) {
		t.Errorf("updated = %+v (description %v), want metadata %v", updated, updated.Description, wantMeta)
	}

	deleted, err := c.Resources.Delete(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if deleted.ID != created.ID || !deleted.Deleted || deleted.Object != "resource" {
		t.Errorf("deleted = %+v", deleted)
	}
	_, err = c.Resources.Retrieve(ctx, created.ID)
	var ire *InvalidRequestError
	if !errors.As(err, &ire) || ire.HTTPStatus != 404 || ire.Code != "resource_missing" {
		t.Errorf("retrieve after delete: %v", err)
	}
}

// TestRealMetadataRemoveAndClear sets two keys, removes one with a null
// value, then clears the rest with "metadata": null.
func TestRealMetadataRemoveAndClear(t *testing.T) {
	c := realClient(t)
	ctx := context.Background()
	created, err := c.Resources.Create(ctx, &ResourceCreateParams{Name: uniqueName(t), Description: String("kept")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Resources.Delete(context.Background(), created.ID) })

	both, err := c.Resources.Update(ctx, created.ID, &ResourceUpdateParams{Metadata: map[string]*string{"a": String("1"), "b": String("2")}})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"a": "1", "b": "2"}; fmt.Sprint(both.Metadata) != fmt.Sprint(want) {
		t.Fatalf("after setting a and b: metadata %v, want %v", both.Metadata, want)
	}

	onlyB, err := c.Resources.Update(ctx, created.ID, &ResourceUpdateParams{Metadata: map[string]*string{"a": nil}})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"b": "2"}; fmt.Sprint(onlyB.Metadata) != fmt.Sprint(want) {
		t.Fatalf("after removing a with null: metadata %v, want %v", onlyB.Metadata, want)
	}

	cleared, err := c.Resources.Update(ctx, created.ID, &ResourceUpdateParams{ClearMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(cleared.Metadata) != 0 || cleared.Description == nil || *cleared.Description != "kept" || cleared.Name != created.Name {
		t.Fatalf("after clearing: %+v (description %v), want no metadata and the rest unchanged", cleared, cleared.Description)
	}
	got, err := c.Resources.Retrieve(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Metadata) != 0 {
		t.Errorf("retrieved metadata %v after clearing, want none", got.Metadata)
	}
}

func TestRealListAcrossPages(t *testing.T) {
	c := realClient(t)
	ctx := context.Background()
	name := uniqueName(t)
	var want []string
	for range 5 {
		r, err := c.Resources.Create(ctx, &ResourceCreateParams{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		want = append([]string{r.ID}, want...) // newest first
	}

	first, err := c.Resources.List(ctx, &ListParams{Limit: Int(2)})
	if err != nil {
		t.Fatal(err)
	}
	if first.Object != "list" || len(first.Data) != 2 || !first.HasMore || first.Data[0].ID != want[0] {
		t.Errorf("first page = %+v, want %v first", first, want[0])
	}

	var got []string
	for r, err := range c.Resources.All(ctx, &ListParams{Limit: Int(2)}) {
		if err != nil {
			t.Fatal(err)
		}
		if r.Name == name {
			got = append(got, r.ID)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("All = %v, want %v", got, want)
	}

	// Backwards from the oldest of the five: newer and newer objects.
	got = nil
	for r, err := range c.Resources.All(ctx, &ListParams{Limit: Int(2), EndingBefore: want[4]}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.ID)
	}
	if wantBack := []string{want[3], want[2], want[1], want[0]}; fmt.Sprint(got) != fmt.Sprint(wantBack) {
		t.Errorf("All backwards = %v, want %v", got, wantBack)
	}

	_, err = c.Resources.List(ctx, &ListParams{StartingAfter: "res_doesnotexist"})
	var ire *InvalidRequestError
	if !errors.As(err, &ire) || ire.Code != "parameter_invalid" || ire.Param != "starting_after" {
		t.Errorf("unknown cursor: %v", err)
	}
}

// TestRealSeedSnippet is the seed page's example in Go.
func TestRealSeedSnippet(t *testing.T) {
	c := realClient(t)
	_, err := c.Resources.Create(context.Background(), &ResourceCreateParams{Name: ""})
	var ire *InvalidRequestError
	if !errors.As(err, &ire) {
		t.Fatalf("err = %v, want *InvalidRequestError", err)
	}
	if ire.Code != "parameter_missing" || ire.Param != "name" || ire.HTTPStatus != 400 || !strings.HasPrefix(ire.RequestID, "req_") {
		t.Errorf("error = %+v", ire)
	}
	if ire.Header.Get("Request-Id") != ire.RequestID {
		t.Errorf("Request-Id header %q, body %q", ire.Header.Get("Request-Id"), ire.RequestID)
	}
}

func TestRealUnknownID(t *testing.T) {
	c := realClient(t)
	_, err := c.Resources.Retrieve(context.Background(), "res_doesnotexist")
	var ire *InvalidRequestError
	if !errors.As(err, &ire) || ire.HTTPStatus != 404 || ire.Code != "resource_missing" {
		t.Fatalf("err = %v, want a 404 resource_missing", err)
	}
}

func TestRealBadKey(t *testing.T) {
	c := realClient(t)
	c.apiKey = "sk_live_" + randomBase62(32)
	_, err := c.Resources.List(context.Background(), nil)
	var ae *AuthenticationError
	if !errors.As(err, &ae) || ae.HTTPStatus != 401 || ae.Code != "authentication_failed" {
		t.Fatalf("err = %v, want a 401 AuthenticationError", err)
	}
}

func TestRealIdempotency(t *testing.T) {
	c := realClient(t)
	ctx := context.Background()
	name := uniqueName(t)
	key := "idem-" + randomBase62(16)
	a, err := c.Resources.Create(ctx, &ResourceCreateParams{Name: name}, WithIdempotencyKey(key))
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Resources.Create(ctx, &ResourceCreateParams{Name: name}, WithIdempotencyKey(key))
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID {
		t.Errorf("same key made two resources: %s and %s", a.ID, b.ID)
	}
	_, err = c.Resources.Create(ctx, &ResourceCreateParams{Name: name + "-other"}, WithIdempotencyKey(key))
	var ie *IdempotencyError
	if !errors.As(err, &ie) || ie.HTTPStatus != 409 || ie.Param != "Idempotency-Key" {
		t.Errorf("reused key with another body: %v", err)
	}
}

// lostResponseProxy forwards every request to the real server and, for the
// first one, drops the connection instead of passing the response on: the
// server committed the work but the client never heard.
type lostResponseProxy struct {
	target string
	mu     sync.Mutex
	keys   []string
	sent   []http.Header // the server's response headers, per request
}

func (p *lostResponseProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		resetConnection(w)
		return
	}
	respBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	p.mu.Lock()
	first := len(p.keys) == 0
	p.keys = append(p.keys, r.Header.Get("Idempotency-Key"))
	p.sent = append(p.sent, resp.Header)
	p.mu.Unlock()
	if first {
		resetConnection(w)
		return
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(respBody)
}

func TestRealResponseLostAfterCommit(t *testing.T) {
	c := realClient(t)
	proxy := &lostResponseProxy{target: realSrv.url}
	ps := httptest.NewServer(proxy)
	defer ps.Close()
	viaProxy := realClient(t)
	viaProxy.baseURL = ps.URL

	name := uniqueName(t)
	r, err := viaProxy.Resources.Create(context.Background(), &ResourceCreateParams{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	proxy.mu.Lock()
	keys, sent := proxy.keys, proxy.sent
	proxy.mu.Unlock()
	if len(keys) != 2 || keys[0] == "" || keys[0] != keys[1] {
		t.Fatalf("Idempotency-Keys through the proxy: %q, want the same one twice", keys)
	}
	if got := sent[1].Get("Idempotent-Replayed"); got != "true" {
		t.Errorf("second response Idempotent-Replayed = %q, want true", got)
	}
	if ids := namedResources(t, c, name); len(ids) != 1 || ids[0] != r.ID {
		t.Errorf("resources named %q: %v, want just %s", name, ids, r.ID)
	}
}

func TestRealAPIKeys(t *testing.T) {
	c := realClient(t)
	ctx := context.Background()
	name := uniqueName(t)

	k, err := c.APIKeys.Create(ctx, &APIKeyCreateParams{Name: name, Scopes: []string{"resources:read"}, RateLimit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k.ID, "key_") || k.Object != "api_key" || !strings.HasPrefix(k.Secret, "sk_live_") ||
		!strings.HasPrefix(k.Secret, k.Prefix) || k.RateLimit != 50 || fmt.Sprint(k.Scopes) != "[resources:read]" || k.RevokedAt != nil {
		t.Fatalf("created key = %+v", k)
	}

	got, err := c.APIKeys.Retrieve(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != k.ID || got.Name != name || got.Secret != "" {
		t.Errorf("retrieved %+v: want the key without its secret", got)
	}

	found := false
	for key, err := range c.APIKeys.All(ctx, &ListParams{Limit: Int(1)}) {
		if err != nil {
			t.Fatal(err)
		}
		if key.Secret != "" {
			t.Errorf("list shows a secret for %s", key.ID)
		}
		found = found || key.ID == k.ID
	}
	if !found {
		t.Errorf("key %s not listed", k.ID)
	}

	// The new key reads but may not write.
	reader := realClient(t)
	reader.apiKey = k.Secret
	if _, err := reader.Resources.List(ctx, nil); err != nil {
		t.Errorf("reading with the new key: %v", err)
	}
	_, err = reader.Resources.Create(ctx, &ResourceCreateParams{Name: name})
	var pe *PermissionError
	if !errors.As(err, &pe) || pe.HTTPStatus != 403 || pe.Code != "permission_denied" {
		t.Errorf("writing with a read key: %v", err)
	}

	revoked, err := c.APIKeys.Delete(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if revoked.ID != k.ID || revoked.RevokedAt == nil {
		t.Errorf("revoked = %+v", revoked)
	}
	time.Sleep(1100 * time.Millisecond) // the contract allows 1 s for a revocation to reach everyone
	_, err = reader.Resources.List(ctx, nil)
	var ae *AuthenticationError
	if !errors.As(err, &ae) {
		t.Errorf("a revoked key: %v, want *AuthenticationError", err)
	}
}

func TestRealRequestLog(t *testing.T) {
	c := realClient(t)
	ctx := context.Background()
	_, err := c.Resources.Create(ctx, &ResourceCreateParams{Name: " "})
	var e *Error
	if !errors.As(err, &e) || e.RequestID == "" {
		t.Fatalf("err = %v, want an error with a request id", err)
	}

	entry, err := c.Requests.Retrieve(ctx, e.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if entry.ID != e.RequestID || entry.Object != "request" || entry.Method != "POST" || entry.Path != "/v1/resources" ||
		entry.Status != 400 || entry.ErrorCode == nil || *entry.ErrorCode != "parameter_missing" || entry.IdempotencyKey == nil {
		t.Errorf("entry = %+v", entry)
	}

	page, err := c.Requests.List(ctx, &RequestListParams{ListParams: ListParams{Limit: Int(100)}, Status: "4xx"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range page.Data {
		if r.Status < 400 || r.Status > 499 {
			t.Errorf("status filter 4xx listed %d", r.Status)
		}
		found = found || r.ID == e.RequestID
	}
	if !found {
		t.Errorf("request %s not in the first 100 4xx entries", e.RequestID)
	}

	_, err = c.Requests.Retrieve(ctx, "req_doesnotexist00")
	var ire *InvalidRequestError
	if !errors.As(err, &ire) || ire.HTTPStatus != 404 {
		t.Errorf("unknown request id: %v", err)
	}
}

// TestRealCrossClientDecisions checks against the server what the shared
// vectors pin on the wire: Int(0) is sent and refused, the error-code status
// filter reaches the server, and a success's request id is readable.
func TestRealCrossClientDecisions(t *testing.T) {
	c := realClient(t)
	ctx := context.Background()

	_, err := c.Resources.List(ctx, &ListParams{Limit: Int(0)})
	var ire *InvalidRequestError
	if !errors.As(err, &ire) || ire.HTTPStatus != 400 || ire.Code != "parameter_invalid" || ire.Param != "limit" {
		t.Errorf("limit 0: %v, want a 400 parameter_invalid on limit", err)
	}

	created, err := c.Resources.Create(ctx, &ResourceCreateParams{Name: uniqueName(t)})
	if err != nil {
		t.Fatal(err)
	}
	lr := created.LastResponse
	if lr == nil || lr.HTTPStatus != 201 || !strings.HasPrefix(lr.RequestID, "req_") || lr.Header.Get("Request-Id") != lr.RequestID {
		t.Fatalf("LastResponse = %+v", lr)
	}
	entry, err := c.Requests.Retrieve(ctx, lr.RequestID)
	if err != nil || entry.Status != 201 || entry.Method != "POST" {
		t.Errorf("the log entry of the success: %+v, %v", entry, err)
	}

	c.Resources.Create(ctx, &ResourceCreateParams{Name: ""})
	page, err := c.Requests.List(ctx, &RequestListParams{ListParams: ListParams{Limit: Int(100)}, Status: "parameter_missing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) == 0 {
		t.Error("status=parameter_missing listed nothing")
	}
	for _, r := range page.Data {
		if r.ErrorCode == nil || *r.ErrorCode != "parameter_missing" {
			t.Errorf("status=parameter_missing listed %+v", r)
		}
	}
}
