package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docsapi/docsapi/internal/testenv"
)

var bin string

// TestMain builds the binary once, unless DOCSAPI_BIN names one.
func TestMain(m *testing.M) {
	bin = os.Getenv("DOCSAPI_BIN")
	if bin == "" {
		dir, err := os.MkdirTemp("", "docsapi-bin")
		if err != nil {
			panic(err)
		}
		bin = filepath.Join(dir, "docsapi")
		out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
			os.Exit(1)
		}
		code := m.Run()
		os.RemoveAll(dir)
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// server is a running `docsapi serve`.
type server struct {
	cmd    *exec.Cmd
	url    string
	stdout *testenv.SyncBuffer
	stderr *testenv.SyncBuffer
	exited chan struct{} // closed when the process has exited
	err    error         // how it exited, once exited is closed
}

// wait returns how the server exited.
func (s *server) wait() error {
	<-s.exited
	return s.err
}

func baseEnv(db string, extra ...string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "DOCSAPI_DATABASE_URL=" + db}
	return append(env, extra...)
}

// serve starts the server on a free port and waits until it listens.
func serve(t *testing.T, db string, extra ...string) *server {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = baseEnv(db, append([]string{"DOCSAPI_ADDR=127.0.0.1:0"}, extra...)...)
	pr, pw := io.Pipe()
	s := &server{cmd: cmd, stdout: &testenv.SyncBuffer{}, stderr: &testenv.SyncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout = s.stdout
	cmd.Stderr = io.MultiWriter(s.stderr, pw)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
		pw.Close()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.exited
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addr <- line.Addr
				break
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case a := <-addr:
		s.url = "http://" + a
	case <-s.exited:
		t.Fatalf("server exited: %v: %s", s.err, s.stderr.String())
	case <-time.After(15 * time.Second):
		t.Fatalf("server did not start: %s", s.stderr.String())
	}
	return s
}

// run runs a docsapi command and returns its standard output.
func run(t *testing.T, db string, args ...string) string {
	t.Helper()
	out, _ := runBoth(t, db, args...)
	return out
}

// runBoth runs a docsapi command and returns its standard output and error.
func runBoth(t *testing.T, db string, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = baseEnv(db)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("docsapi %v: %v\n%s", args, err, stderr.String())
	}
	return string(out), stderr.String()
}

// fastKey creates an account and a key for it that may send 100000
// requests a second, so that load tests are not throttled.
func fastKey(t *testing.T, db string) string {
	t.Helper()
	_, stderr := runBoth(t, db, "accounts", "create", "--name", "load")
	acct := strings.TrimSpace(strings.TrimPrefix(stderr, "created account "))
	return strings.TrimSpace(run(t, db, "keys", "create", "--account", acct, "--scopes", "*", "--rate-limit", "100000"))
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func call(t *testing.T, method, url, key, body string, headers ...string) (*result, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &result{status: resp.StatusCode, header: resp.Header, body: raw}, nil
}

func mustCall(t *testing.T, method, url, key, body string, headers ...string) *result {
	t.Helper()
	r, err := call(t, method, url, key, body, headers...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func field(t *testing.T, r *result, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("%s: %s", err, r.body)
	}
	s, _ := m[name].(string)
	return s
}

// TestServeAndAccounts runs serve on a new file, then creates a second
// account and a key with the CLI while the server runs on the same file.
func TestServeAndAccounts(t *testing.T) {
	db := filepath.Join(t.TempDir(), "docsapi.db")
	s := serve(t, db)
	rootKey := printedRootKey(t, s)
	id := field(t, mustCall(t, "POST", s.url+"/v1/resources", rootKey, `{"name":"first"}`), "id")

	out := run(t, db, "accounts", "create", "--name", "Second")
	second := strings.TrimSpace(out)
	if !strings.HasPrefix(second, "sk_live_") || strings.Count(out, "\n") != 1 {
		t.Fatalf("accounts create printed %q", out)
	}
	if r := mustCall(t, "GET", s.url+"/v1/resources/"+id, second, ""); r.status != 404 {
		t.Fatalf("other account sees the resource: %d %s", r.status, r.body)
	}
	if r := mustCall(t, "POST", s.url+"/v1/resources", second, `{"name":"second's"}`); r.status != 201 {
		t.Fatalf("second account cannot write: %d %s", r.status, r.body)
	}

	// keys create needs the account id, which serve logged when it made the
	// account, and accounts list shows, oldest first.
	acctID := firstAccountID(t, s)
	lines := strings.Split(strings.TrimSpace(run(t, db, "accounts", "list")), "\n")
	if len(lines) != 3 || strings.Fields(lines[0])[0] != "ID" || !strings.HasPrefix(lines[1], acctID+" ") ||
		!strings.Contains(lines[1], "Default") || !strings.Contains(lines[2], "Second") {
		t.Fatalf("accounts list, want the first account %s then Second:\n%s", acctID, strings.Join(lines, "\n"))
	}
	ro := strings.TrimSpace(run(t, db, "keys", "create", "--account", acctID, "--scopes", "resources:read", "--name", "ro", "--rate-limit", "5"))
	if r := mustCall(t, "GET", s.url+"/v1/resources/"+id, ro, ""); r.status != 200 || r.header.Get("RateLimit-Policy") != `"default";q=5;w=1` {
		t.Fatalf("CLI key: %d %v", r.status, r.header)
	}
	if r := mustCall(t, "POST", s.url+"/v1/resources", ro, `{"name":"x"}`); r.status != 403 {
		t.Fatalf("read-only CLI key wrote: %d", r.status)
	}
	run(t, db, "migrate")
	if r := mustCall(t, "GET", s.url+"/healthz", "", ""); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
}

// printedRootKey returns the root key that serve printed on standard output,
// and checks that it went nowhere else.
func printedRootKey(t *testing.T, s *server) string {
	t.Helper()
	// Standard output is copied from its pipe apart from standard error,
	// so the line may trail the "listening" log line a little.
	for i := 0; !strings.HasSuffix(s.stdout.String(), "\n") && i < 500; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	key, ok := strings.CutPrefix(s.stdout.String(), "Root API key (shown once, keep it safe): ")
	key = strings.TrimSuffix(key, "\n")
	if !ok || !strings.HasPrefix(key, "sk_live_") || len(key) != 40 {
		t.Fatalf("standard output is not the root key line: %q", s.stdout.String())
	}
	if strings.Contains(s.stderr.String(), key[len("sk_live_"):]) {
		t.Fatalf("the root key is in the log on standard error: %s", s.stderr.String())
	}
	return key
}

// firstAccountID returns the id of the account that serve logged creating.
func firstAccountID(t *testing.T, s *server) string {
	t.Helper()
	for _, line := range strings.Split(s.stderr.String(), "\n") {
		var l struct {
			Msg       string
			AccountID string `json:"account_id"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "created the first account and its root key" {
			return l.AccountID
		}
	}
	t.Fatalf("no first account logged: %s", s.stderr.String())
	return ""
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"serve", "-h"}, {"accounts", "create", "-h"}, {"keys", "create", "-h"}, {"migrate", "-h"}} {
		cmd := exec.Command(bin, args...)
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), "Usage: docsapi") {
			t.Errorf("docsapi %v: %s", args, out)
		}
	}
	if err := exec.Command(bin, "frobnicate").Run(); err == nil {
		t.Error("an unknown command exits 0")
	}
}

// TestSIGINTAndHeaderLimit: SIGINT stops like SIGTERM, and oversized
// headers are refused before any handler runs.
func TestSIGINTAndHeaderLimit(t *testing.T) {
	s := serve(t, filepath.Join(t.TempDir(), "docsapi.db"))
	r := mustCall(t, "GET", s.url+"/healthz", "", "", "X-Big", strings.Repeat("a", 100<<10))
	if r.status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("100 KiB header: %d", r.status)
	}
	s.cmd.Process.Signal(os.Interrupt)
	if err := s.wait(); err != nil {
		t.Fatalf("exit after SIGINT: %v", err)
	}
}

// TestSignalWhileTheStoreOpens: a PostgreSQL that accepts the connection
// and never answers holds the start, and a SIGTERM meanwhile ends it.
func TestSignalWhileTheStoreOpens(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c // held open, never answered
		}
	}()
	cmd := exec.Command(bin, "serve")
	cmd.Env = baseEnv("postgres://postgres:hunter2@"+ln.Addr().String()+"/x?sslmode=disable", "DOCSAPI_ADDR=127.0.0.1:0")
	var stderr testenv.SyncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()
	select {
	case c := <-accepted:
		defer c.Close()
	case err := <-exited:
		t.Fatalf("exited before connecting: %v: %s", err, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("no connection to the database")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		ee, ok := errors.AsType[*exec.ExitError](err)
		if !ok || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "stopped by a signal before the server was ready") {
			t.Errorf("exit %v: %s", err, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("still running 5 s after SIGTERM (the connect timeout is 10 s): %s", stderr.String())
	}
}

// TestPprofAddressInUse: a profiling address in use fails the start before
// the database file is made.
func TestPprofAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	db := filepath.Join(t.TempDir(), "docsapi.db")
	got := runExit(t, db, []string{"DOCSAPI_ADDR=127.0.0.1:0", "DOCSAPI_PPROF_ADDR=" + ln.Addr().String()}, "serve")
	if got.code != 1 || !strings.Contains(got.stderr, "DOCSAPI_PPROF_ADDR") {
		t.Errorf("exit %d: %s", got.code, got.stderr)
	}
	if entries, _ := os.ReadDir(filepath.Dir(db)); len(entries) != 0 {
		t.Errorf("refused start left %s behind", entries[0].Name())
	}
}

// TestSecondSignalStopsTheDrain: a request that never finishes holds the
// drain after a SIGINT; a second SIGINT ends the process at once.
func TestSecondSignalStopsTheDrain(t *testing.T) {
	s := serve(t, filepath.Join(t.TempDir(), "docsapi.db"))
	key := printedRootKey(t, s)
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/resources HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":", key)
	time.Sleep(100 * time.Millisecond) // for the server to read the request's head
	s.cmd.Process.Signal(os.Interrupt)
	for i := 0; !strings.Contains(s.stderr.String(), "shutting down") && i < 500; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case <-s.exited:
		t.Fatalf("exited before the request finished: %v: %s", s.err, s.stderr.String())
	case <-time.After(200 * time.Millisecond):
	}
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
		ee, ok := errors.AsType[*exec.ExitError](s.err)
		if !ok || ee.ExitCode() != -1 { // -1: ended by the signal
			t.Errorf("after the second SIGINT: %v", s.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still draining 10 s after a second SIGINT")
	}
}
