package main_test

import (
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docsapi/docsapi/internal/testenv"
)

// TestScaleOut runs two instances on one PostgreSQL schema and one Redis:
// the rate limit, revocation and idempotency hold across both.
func TestScaleOut(t *testing.T) {
	pg, rd := testenv.PostgresURL(t), testenv.RedisURL(t)
	a := serve(t, pg, "DOCSAPI_REDIS_URL="+rd)
	b := serve(t, pg, "DOCSAPI_REDIS_URL="+rd)
	out, stderr := runBoth(t, pg, "accounts", "create", "--name", "scale")
	root := strings.TrimSpace(out)
	if !strings.HasPrefix(stderr, "created account acct_") {
		t.Fatalf("accounts create: %q", stderr)
	}

	t.Run("rate limit across instances", func(t *testing.T) {
		const limit, flood = 100, 2 * time.Second
		var mu sync.Mutex
		statuses := map[int]int{}
		stop := time.Now().Add(flood)
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			url := []string{a.url, b.url}[g%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(stop) {
					r := mustCall(t, "GET", url+"/v1/resources?limit=1", root, "")
					mu.Lock()
					statuses[r.status]++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		// Two disjoint windows fit in the flood, plus requests in flight at its end.
		if ok := statuses[200]; ok > 2*limit+8 || ok < int(0.95*2*limit) {
			t.Fatalf("admitted %d across two instances in %v with limit %d/s: %v", ok, flood, limit, statuses)
		}
		t.Logf("statuses across both instances: %v", statuses)
	})
	time.Sleep(time.Second)

	t.Run("revocation reaches the other instance within a second", func(t *testing.T) {
		r := mustCall(t, "POST", a.url+"/v1/api_keys", root, `{"name":"short-lived","scopes":["resources:read"]}`)
		secret, id := field(t, r, "secret"), field(t, r, "id")
		if got := mustCall(t, "GET", b.url+"/v1/resources", secret, ""); got.status != 200 {
			t.Fatalf("new key on b: %d %s", got.status, got.body)
		}
		if got := mustCall(t, "DELETE", a.url+"/v1/api_keys/"+id, root, ""); got.status != 200 {
			t.Fatalf("revoke: %d", got.status)
		}
		time.Sleep(time.Second)
		if got := mustCall(t, "GET", b.url+"/v1/resources", secret, ""); got.status != 401 {
			t.Fatalf("revoked key on b after 1 s: %d %s", got.status, got.body)
		}
	})

	t.Run("bytes PostgreSQL cannot store are refused, and logged", func(t *testing.T) {
		cases := []struct {
			method, path, body string
			status             int
		}{
			{"POST", "/v1/resources", `{"name":"a\u0000b"}`, 400},
			{"POST", "/v1/resources", `{"name":"a","metadata":{"k":"\u0000"}}`, 400},
			{"GET", "/v1/resources/res_%FFx", "", 404},
			{"DELETE", "/v1/resources/res_%00x", "", 404},
			{"GET", "/v1/resources?starting_after=res_%FF", "", 400},
		}
		var ids []string
		for _, c := range cases {
			r := mustCall(t, c.method, a.url+c.path, root, c.body)
			if r.status != c.status {
				t.Errorf("%s %s: %d %s, want %d", c.method, c.path, r.status, r.body, c.status)
			}
			ids = append(ids, r.header.Get("Request-Id"))
		}
		for _, id := range ids {
			if r := mustCall(t, "GET", a.url+"/v1/requests/"+id, root, ""); r.status != 200 {
				t.Errorf("request %s not in the log: %d %s", id, r.status, r.body)
			}
		}
	})

	t.Run("one idempotency key across instances", func(t *testing.T) {
		bodies := make([]string, 10)
		var wg sync.WaitGroup
		for i := range bodies {
			url := []string{a.url, b.url}[i%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := mustCall(t, "POST", url+"/v1/resources", root, `{"name":"exactly once"}`, "Idempotency-Key", "scale-1")
				bodies[i] = fmt.Sprintf("%d %s", r.status, r.body)
			}()
		}
		wg.Wait()
		for _, body := range bodies {
			if body != bodies[0] || !strings.HasPrefix(body, "201 ") {
				t.Fatalf("responses differ: %q vs %q", body, bodies[0])
			}
		}
		list := mustCall(t, "GET", b.url+"/v1/resources?limit=100", root, "")
		if n := strings.Count(string(list.body), `"exactly once"`); n != 1 {
			t.Fatalf("%d resources created, want 1", n)
		}
	})
}

// TestRedisOutageFallsBack runs serve on its own Redis, then stops that
// Redis: requests keep being answered and limited, by the instance alone.
func TestRedisOutageFallsBack(t *testing.T) {
	testenv.RedisURL(t) // the Redis tests' switch: skip on a laptop without Redis
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not found: %v", err)
	}
	port := freePort(t)
	rs := exec.Command(redisBin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := rs.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { rs.Process.Kill(); rs.Wait() }()
	db := filepath.Join(t.TempDir(), "docsapi.db")
	key := fastKey(t, db)
	for i := 0; ; i++ { // until that Redis answers
		if out, err := exec.Command("redis-cli", "-p", port, "ping").Output(); err == nil && strings.TrimSpace(string(out)) == "PONG" {
			break
		}
		if i == 50 {
			t.Fatal("redis-server did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
	s := serve(t, db, "DOCSAPI_REDIS_URL=redis://127.0.0.1:"+port+"/0")
	if r := mustCall(t, "GET", s.url+"/v1/resources", key, ""); r.status != 200 {
		t.Fatalf("with Redis: %d %s", r.status, r.body)
	}
	checkRedisReported(t, s, "shared", 1)
	rs.Process.Kill()
	rs.Wait()
	checkRedisReported(t, s, "degraded", 0)
	start := time.Now()
	defer func() { t.Logf("5 requests during the outage took %v", time.Since(start)) }()
	for i := 0; i < 5; i++ {
		if r := mustCall(t, "GET", s.url+"/v1/resources", key, ""); r.status != 200 {
			t.Fatalf("after Redis stopped, request %d: %d %s", i, r.status, r.body)
		}
	}
	if !strings.Contains(s.stderr.String(), "limiting in this instance alone") {
		t.Errorf("the outage was not logged: %s", s.stderr.String())
	}
	// go-redis's own messages, e.g. about the failed dials, go through the
	// JSON log too.
	if !strings.Contains(s.stderr.String(), `"component":"go-redis"`) {
		t.Errorf("no go-redis message in the log: %s", s.stderr.String())
	}
	assertJSONLines(t, s.stderr.String())
}

// checkRedisReported checks /healthz (200 either way, with rate_limit
// "shared" or "degraded") and the docsapi_redis_up gauge.
func checkRedisReported(t *testing.T, s *server, state string, up int) {
	t.Helper()
	r := mustCall(t, "GET", s.url+"/healthz", "", "")
	if want := `{"status":"ok","rate_limit":"` + state + `"}` + "\n"; r.status != 200 || string(r.body) != want {
		t.Errorf("healthz: %d %s, want 200 %s", r.status, r.body, want)
	}
	metrics := string(mustCall(t, "GET", s.url+"/metrics", "", "").body)
	if !strings.Contains(metrics, fmt.Sprintf("\ndocsapi_redis_up %d\n", up)) {
		t.Errorf("want docsapi_redis_up %d: %q", up, grepLines(metrics, "redis"))
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// TestStartWithoutRedis: an instance whose Redis does not answer starts,
// limits alone and says so, as a running one does in an outage.
func TestStartWithoutRedis(t *testing.T) {
	db := filepath.Join(t.TempDir(), "docsapi.db")
	key := fastKey(t, db)
	s := serve(t, db, "DOCSAPI_REDIS_URL=redis://127.0.0.1:"+freePort(t)+"/0")
	if r := mustCall(t, "GET", s.url+"/v1/resources", key, ""); r.status != 200 {
		t.Fatalf("without Redis: %d %s", r.status, r.body)
	}
	checkRedisReported(t, s, "degraded", 0)
	if !strings.Contains(s.stderr.String(), "redis does not answer at start; limiting in this instance alone") {
		t.Errorf("the missing Redis was not logged: %s", s.stderr.String())
	}
}
