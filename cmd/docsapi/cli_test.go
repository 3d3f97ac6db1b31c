package main_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docsapi/docsapi/internal/testenv"
)

// exited is how a docsapi command that ran to its end exited.
type exited struct {
	code           int
	stdout, stderr string
}

// runExit runs a docsapi command with the environment baseEnv(db, extra...)
// and returns how it exited, whatever the status.
func runExit(t *testing.T, db string, extra []string, args ...string) exited {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = baseEnv(db, extra...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return exited{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func TestCommandLine(t *testing.T) {
	db := filepath.Join(t.TempDir(), "docsapi.db")
	cases := []struct {
		args         []string
		code         int
		stdout       string // a part of standard output
		stderr       string // a part of standard error
		stdoutIsHelp bool   // standard output starts with "Usage: docsapi"
	}{
		{args: []string{"-h"}, stdoutIsHelp: true},
		{args: []string{"--help"}, stdoutIsHelp: true},
		{args: []string{"help"}, stdoutIsHelp: true},
		{args: []string{"serve", "-h"}, stdoutIsHelp: true},
		{args: []string{"serve", "--help"}, stdoutIsHelp: true},
		{args: []string{"migrate", "-h"}, stdoutIsHelp: true},
		{args: []string{"accounts", "-h"}, stdout: "create", stdoutIsHelp: true},
		{args: []string{"accounts", "create", "-h"}, stdout: "-name", stdoutIsHelp: true},
		{args: []string{"keys", "-h"}, stdout: "revoke", stdoutIsHelp: true},
		{args: []string{"keys", "create", "-h"}, stdout: "-scopes", stdoutIsHelp: true},
		{args: []string{"keys", "list", "-h"}, stdout: "-account", stdoutIsHelp: true},
		{args: []string{"keys", "revoke", "-h"}, stdout: "<key_id>", stdoutIsHelp: true},
		{args: []string{"version", "-h"}, stdoutIsHelp: true},

		{args: []string{}, code: 2, stderr: "no command given"},
		{args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`},
		{args: []string{"accounts"}, code: 2, stderr: "accounts: no command given"},
		{args: []string{"accounts", "delete"}, code: 2, stderr: `unknown command "accounts delete"`},
		{args: []string{"keys", "rotate"}, code: 2, stderr: `unknown command "keys rotate"`},
		{args: []string{"serve", "now"}, code: 2, stderr: `serve: unexpected argument "now"`},
		{args: []string{"migrate", "up"}, code: 2, stderr: `migrate: unexpected argument "up"`},
		{args: []string{"accounts", "create", "--name", "a", "b"}, code: 2, stderr: `accounts create: unexpected argument "b"`},
		{args: []string{"keys", "create", "--account", "acct_x", "--scopes", "*", "extra"}, code: 2, stderr: `keys create: unexpected argument "extra"`},
		{args: []string{"keys", "revoke", "--account", "acct_x"}, code: 2, stderr: "keys revoke: missing argument <key_id>"},
		{args: []string{"keys", "revoke", "--account", "acct_x", "key_a", "key_b"}, code: 2, stderr: `keys revoke: unexpected argument "key_b"`},
		{args: []string{"keys", "list"}, code: 2, stderr: "keys list: --account is required"},
		{args: []string{"keys", "create", "--scopes", "*"}, code: 2, stderr: "keys create: --account is required"},
		{args: []string{"keys", "create", "--account", "acct_x"}, code: 2, stderr: "keys create: --scopes is required (resources:read, resources:write"},
		{args: []string{"accounts", "list", "all"}, code: 2, stderr: `accounts list: unexpected argument "all"`},
		{args: []string{"serve", "--port", "80"}, code: 2, stderr: "serve: flag provided but not defined: -port"},
		{args: []string{"version", "x"}, code: 2, stderr: `version: unexpected argument "x"`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			got := runExit(t, db, nil, c.args...)
			if got.code != c.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", got.code, c.code, got.stdout, got.stderr)
			}
			if c.stdoutIsHelp && (!strings.HasPrefix(got.stdout, "Usage: docsapi") || got.stderr != "") {
				t.Errorf("help not on standard output alone:\nstdout: %s\nstderr: %s", got.stdout, got.stderr)
			}
			if !strings.Contains(got.stdout, c.stdout) || !strings.Contains(got.stderr, c.stderr) {
				t.Errorf("want stdout with %q and stderr with %q\nstdout: %s\nstderr: %s", c.stdout, c.stderr, got.stdout, got.stderr)
			}
			if c.code == 2 && !strings.Contains(got.stderr, "-h' for usage.") {
				t.Errorf("a usage error without the way to help: %s", got.stderr)
			}
		})
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("help and usage errors touched the database: %v", err)
	}
}

func TestVersion(t *testing.T) {
	db := filepath.Join(t.TempDir(), "docsapi.db")
	want := regexp.MustCompile(`^docsapi \S.* go1\.\d+\S* \w+/\w+\n$`)
	for _, arg := range []string{"version", "--version", "-version"} {
		if got := runExit(t, db, nil, arg); got.code != 0 || !want.MatchString(got.stdout) {
			t.Errorf("docsapi %s: exit %d, %q", arg, got.code, got.stdout)
		}
	}
	// -ldflags sets the version that both the command and the metric show.
	dir := t.TempDir()
	stamped := filepath.Join(dir, "docsapi")
	if out, err := exec.Command("go", "build", "-ldflags", "-X main.version=v9.8.7-test", "-o", stamped, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(stamped, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "docsapi v9.8.7-test go1.") {
		t.Fatalf("stamped version: %v %q", err, out)
	}

	s := serve(t, db)
	metrics := string(mustCall(t, "GET", s.url+"/metrics", "", "").body)
	version := strings.Fields(runExit(t, db, nil, "version").stdout)[1]
	if !regexp.MustCompile(`(?m)^docsapi_build_info\{goversion="go1\.\d+[^"]*",version="` + regexp.QuoteMeta(version) + `"\} 1$`).MatchString(metrics) {
		t.Errorf("no docsapi_build_info for version %q in /metrics:\n%s", version, grepLines(metrics, "build_info"))
	}
}

// grepLines returns the lines of text that contain s.
func grepLines(text, s string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// TestConfigErrors: a bad setting is refused before anything is opened,
// naming the variable and the expected form; the database is not created.
func TestConfigErrors(t *testing.T) {
	cases := []struct {
		env  string
		want []string
	}{
		{"DOCSAPI_ROOT_KEY=garbage", []string{"DOCSAPI_ROOT_KEY", `"sk_live_" followed by 32 base62 characters`}},
		{"DOCSAPI_ROOT_KEY=sk_live_short", []string{"DOCSAPI_ROOT_KEY", "malformed"}},
		{"DOCSAPI_REQUEST_LOG_RETENTION=30d", []string{"DOCSAPI_REQUEST_LOG_RETENTION", `"30d"`, "720h"}},
		{"DOCSAPI_REQUEST_LOG_RETENTION=0s", []string{"DOCSAPI_REQUEST_LOG_RETENTION", "positive"}},
		{"DOCSAPI_AUTH_FAILURE_LIMIT=-1", []string{"DOCSAPI_AUTH_FAILURE_LIMIT", "whole number ≥ 0"}},
		{"DOCSAPI_AUTH_FAILURE_LIMIT=ten", []string{"DOCSAPI_AUTH_FAILURE_LIMIT", "whole number ≥ 0"}},
		{"DOCSAPI_LOG_LEVEL=loud", []string{"DOCSAPI_LOG_LEVEL"}},
		{"DOCSAPI_ACCESS_LOG=some", []string{"DOCSAPI_ACCESS_LOG", `"some"`, "errors", "all"}},
		{"DOCSAPI_PPROF_ADDR=0.0.0.0:6060", []string{"DOCSAPI_PPROF_ADDR", "loopback"}},
		{"DOCSAPI_PPROF_ADDR=:6060", []string{"DOCSAPI_PPROF_ADDR", "loopback"}},
		{"DOCSAPI_PPROF_ADDR=6060", []string{"DOCSAPI_PPROF_ADDR", "loopback"}},
		{"DOCSAPI_DATABASE_URL=/nonexistent-docsapi/docsapi.db", []string{"DOCSAPI_DATABASE_URL", "/nonexistent-docsapi/docsapi.db", "directory must exist"}},
		{"DOCSAPI_REDIS_URL=http://u:hunter2@127.0.0.1:6379/0", []string{"DOCSAPI_REDIS_URL", "redis://"}},
		{"DOCSAPI_PUBLIC_URL=https://u:hunter2@api.example.com", []string{"DOCSAPI_PUBLIC_URL", `"https://u:xxxxx@api.example.com"`}},
	}
	for _, c := range cases {
		t.Run(c.env, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "docsapi.db")
			got := runExit(t, db, []string{c.env, "DOCSAPI_ADDR=127.0.0.1:0"}, "serve")
			if got.code != 1 || got.stdout != "" || !strings.HasPrefix(got.stderr, "docsapi: ") || strings.Count(got.stderr, "\n") != 1 {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", got.code, got.stdout, got.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(got.stderr, w) {
					t.Errorf("message lacks %q: %s", w, got.stderr)
				}
			}
			if strings.Contains(got.stderr, "hunter2") {
				t.Errorf("message repeats the password: %s", got.stderr)
			}
			entries, _ := os.ReadDir(filepath.Dir(db))
			if len(entries) != 0 {
				t.Errorf("refused start left %d file(s) behind, e.g. %s", len(entries), entries[0].Name())
			}
		})
	}
}

// TestDatabaseURLScheme: an engine that is not supported is named, the
// supported ones are listed, the URL's password is not repeated, and no file
// named after the URL appears; by every command that opens the store.
func TestDatabaseURLScheme(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"serve"}, {"migrate"}, {"accounts", "create"}, {"keys", "list", "--account", "acct_x"}} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = baseEnv("mysql://app:hunter2@db.example.com/docs", "DOCSAPI_ADDR=127.0.0.1:0")
		out, err := cmd.CombinedOutput()
		ee, ok := errors.AsType[*exec.ExitError](err)
		if !ok || ee.ExitCode() != 1 {
			t.Errorf("docsapi %v: %v", args, err)
		}
		msg := string(out)
		for _, w := range []string{"DOCSAPI_DATABASE_URL", `unsupported scheme "mysql"`, "sqlite:", "postgres://"} {
			if !strings.Contains(msg, w) {
				t.Errorf("docsapi %v: message lacks %q: %s", args, w, msg)
			}
		}
		if strings.Contains(msg, "hunter2") {
			t.Errorf("docsapi %v: the password is in the message: %s", args, msg)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a file was created: %s", entries[0].Name())
	}
}

func TestMigratePrints(t *testing.T) {
	engines := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "docsapi.db") }},
		{"postgres", func(t *testing.T) string { return testenv.PostgresURL(t) }},
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			db := e.url(t)
			first := runExit(t, db, nil, "migrate")
			if first.code != 0 || !regexp.MustCompile(`(?m)^`+e.name+`\S*: applied 001_\w+\.sql$`).MatchString(first.stdout) ||
				!regexp.MustCompile(`(?m)^`+e.name+`\S*: \d+ migration\(s\) applied$`).MatchString(first.stdout) {
				t.Fatalf("first migrate: exit %d\n%s%s", first.code, first.stdout, first.stderr)
			}
			again := runExit(t, db, nil, "migrate")
			if again.code != 0 || !strings.HasSuffix(again.stdout, ": up to date, no migration to apply\n") || strings.Count(again.stdout, "\n") != 1 {
				t.Fatalf("second migrate: exit %d\n%s%s", again.code, again.stdout, again.stderr)
			}
		})
	}
}

// TestPortInUse: a port in use fails before the database file or the first
// account is made, so no key is shown by a run that then fails; the next
// start makes and shows it.
func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	db := filepath.Join(t.TempDir(), "docsapi.db")
	got := runExit(t, db, []string{"DOCSAPI_ADDR=" + ln.Addr().String()}, "serve")
	if got.code != 1 || got.stdout != "" || !strings.Contains(got.stderr, "DOCSAPI_ADDR") || !strings.Contains(got.stderr, "address already in use") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", got.code, got.stdout, got.stderr)
	}
	if strings.Contains(got.stderr, "sk_live_") || strings.Contains(got.stderr, "created the first account") {
		t.Fatalf("the failed run made a key: %s", got.stderr)
	}
	if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the failed run left a database file behind: %v", err)
	}
	s := serve(t, db)
	key := printedRootKey(t, s)
	if r := mustCall(t, "GET", s.url+"/v1/resources", key, ""); r.status != 200 {
		t.Fatalf("the key of the next start: %d %s", r.status, r.body)
	}
}

// TestRootKeyOutOfTheLog: the generated root key is printed on standard
// output only; standard error is the JSON log, every line of it.
func TestRootKeyOutOfTheLog(t *testing.T) {
	s := serve(t, filepath.Join(t.TempDir(), "docsapi.db"))
	key := printedRootKey(t, s)
	mustCall(t, "GET", s.url+"/v1/resources", key, "")
	s.cmd.Process.Signal(os.Interrupt)
	if err := s.wait(); err != nil {
		t.Fatal(err)
	}
	assertJSONLines(t, s.stderr.String())
	if strings.Contains(s.stderr.String(), key[len("sk_live_"):]) {
		t.Fatalf("the key is in the log: %s", s.stderr.String())
	}
}

// assertJSONLines fails unless every line of log is a JSON object.
func assertJSONLines(t *testing.T, log string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		var v map[string]any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Errorf("not a JSON log line: %q", sc.Text())
		}
	}
}

// TestRootKeyOnExistingStore: once the store has accounts, DOCSAPI_ROOT_KEY
// must be a live key of scope * in it, or serve refuses to start and says why.
func TestRootKeyOnExistingStore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "docsapi.db")
	first := serve(t, db)
	root, acct := printedRootKey(t, first), firstAccountID(t, first)
	first.cmd.Process.Signal(os.Interrupt)
	if err := first.wait(); err != nil {
		t.Fatal(err)
	}
	readOnly := strings.TrimSpace(run(t, db, "keys", "create", "--account", acct, "--scopes", "resources:read,keys:read"))
	revokedRoot := strings.TrimSpace(run(t, db, "keys", "create", "--account", acct, "--scopes", "*", "--name", "old-root"))
	list := run(t, db, "keys", "list", "--account", acct)
	revokedID := keyIDByName(t, list, "old-root")
	run(t, db, "keys", "revoke", "--account", acct, revokedID)
	otherRoot := strings.TrimSpace(run(t, db, "accounts", "create", "--name", "other"))

	refused := []struct {
		name, key string
		want      []string
	}{
		{"unknown", "sk_live_" + strings.Repeat("0", 32), []string{"none of their keys has this secret"}},
		{"revoked", revokedRoot, []string{revokedID, "revoked at"}},
		{"not scope *", readOnly, []string{"keys:read,resources:read", "not *"}},
		{"malformed", "sk_test_123", []string{"malformed"}},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			got := runExit(t, db, []string{"DOCSAPI_ROOT_KEY=" + c.key, "DOCSAPI_ADDR=127.0.0.1:0"}, "serve")
			if got.code != 1 || got.stdout != "" || !strings.HasPrefix(got.stderr, "docsapi: DOCSAPI_ROOT_KEY: ") {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", got.code, got.stdout, got.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(got.stderr, w) {
					t.Errorf("message lacks %q: %s", w, got.stderr)
				}
			}
			if strings.Contains(got.stderr, c.key) {
				t.Errorf("the secret is repeated: %s", got.stderr)
			}
		})
	}
	for _, key := range []string{root, otherRoot} {
		s := serve(t, db, "DOCSAPI_ROOT_KEY="+key)
		if r := mustCall(t, "GET", s.url+"/v1/resources", key, ""); r.status != 200 {
			t.Fatalf("a live root key given: %d %s", r.status, r.body)
		}
		if s.stdout.String() != "" {
			t.Errorf("printed on an existing store: %q", s.stdout.String())
		}
	}
}

// keyIDByName returns the id of the key named name (one word) in a `keys
// list` table.
func keyIDByName(t *testing.T, list, name string) string {
	t.Helper()
	for _, line := range strings.Split(list, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == name {
			return f[0]
		}
	}
	t.Fatalf("no key named %q in:\n%s", name, list)
	return ""
}

// TestKeysListAndRevoke: the operator's view of an account's keys, and a
// revocation from the command line that the running server honours.
func TestKeysListAndRevoke(t *testing.T) {
	db := filepath.Join(t.TempDir(), "docsapi.db")
	s := serve(t, db)
	root, acct := printedRootKey(t, s), firstAccountID(t, s)
	ci := strings.TrimSpace(run(t, db, "keys", "create", "--account", acct, "--scopes", "resources:read", "--name", "ci", "--rate-limit", "7"))
	if r := mustCall(t, "GET", s.url+"/v1/resources", ci, ""); r.status != 200 {
		t.Fatalf("new key: %d", r.status)
	}

	list := run(t, db, "keys", "list", "--account", acct)
	lines := strings.Split(strings.TrimSuffix(list, "\n"), "\n")
	if len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "ID NAME PREFIX SCOPES RATE_LIMIT CREATED_AT LAST_USED_AT REVOKED_AT" {
		t.Fatalf("keys list:\n%s", list)
	}
	ciRow, rootRow := strings.Fields(lines[1]), strings.Fields(lines[2]) // newest first
	if ciRow[1] != "ci" || ciRow[2] != ci[:12] || ciRow[3] != "resources:read" || ciRow[4] != "7" || ciRow[7] != "-" ||
		rootRow[1] != "root" || rootRow[3] != "*" || rootRow[2] != root[:12] {
		t.Fatalf("keys list rows:\n%s", list)
	}
	if strings.Contains(list, ci[12:]) || strings.Contains(list, root[12:]) {
		t.Fatalf("keys list shows a secret:\n%s", list)
	}

	out := run(t, db, "keys", "revoke", ciRow[0], "--account", acct) // flags after the id work too
	if !regexp.MustCompile(`^revoked key ` + ciRow[0] + ` \(ci, sk_live_\w{4}\.\.\.\) at \d{4}-\d\d-\d\dT\S+Z\n$`).MatchString(out) {
		t.Fatalf("keys revoke printed %q", out)
	}
	// The server's key cache lets a revocation through within a second;
	// poll well past that rather than time it.
	for i := 0; mustCall(t, "GET", s.url+"/v1/resources", ci, "").status != 401; i++ {
		if i == 100 {
			t.Fatal("the revoked key is still accepted after 5 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if row := strings.Fields(strings.Split(run(t, db, "keys", "list", "--account", acct), "\n")[1]); row[7] == "-" {
		t.Fatalf("revoked_at not listed: %v", row)
	}
	if again := run(t, db, "keys", "revoke", "--account", acct, ciRow[0]); !strings.HasPrefix(again, "key "+ciRow[0]+" was already revoked at ") {
		t.Fatalf("revoke again: %q", again)
	}

	other := runExit(t, db, nil, "accounts", "create")
	otherAcct := strings.TrimSpace(strings.TrimPrefix(other.stderr, "created account "))
	failures := []struct {
		args []string
		want string
	}{
		{[]string{"keys", "revoke", "--account", acct, "key_doesnotexist"}, "No such API key: 'key_doesnotexist'."},
		{[]string{"keys", "revoke", "--account", otherAcct, rootRow[0]}, "No such API key: '" + rootRow[0] + "'."},
		{[]string{"keys", "list", "--account", "acct_nope"}, "No such account: 'acct_nope'."},
		{[]string{"keys", "create", "--account", acct, "--scopes", "admin"}, `Unknown scope "admin"`},
	}
	for _, f := range failures {
		got := runExit(t, db, nil, f.args...)
		if got.code != 1 || got.stderr != "docsapi: "+f.want+"\n" && !strings.Contains(got.stderr, f.want) {
			t.Errorf("docsapi %v: exit %d: %s", f.args, got.code, got.stderr)
		}
	}
	if r := mustCall(t, "GET", s.url+"/v1/resources", root, ""); r.status != 200 {
		t.Fatalf("the other account's revoke touched the root key: %d", r.status)
	}
}
