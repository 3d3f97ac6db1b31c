// Command scale measures a `docsapi serve` on SQLite at size: its resident
// memory after 1,000,000 resources and 100,000 keys, each key used once, and
// the latency of the first list page at 1,000 rows against 1,000,000.
//
//	go run ./bench/scale -bin bin/docsapi
//
// For each size it fills a new SQLite file (a temporary directory, removed
// at the end) with one account holding every resource and key: the resources
// by one INSERT … SELECT over a recursive CTE, the keys in one transaction,
// both straight into the tables the migrations made. It then starts the
// server on that file, sends one GET /v1/resources?limit=1 with every key
// (c at a time), reads VmRSS and VmHWM from /proc/<pid>/status, and times
// n sequential GET /v1/resources?limit=10 after a warm-up. It prints one
// line per size, then the ratio of the list p50s, then what holds the large
// server's heap after the keys were used (go tool pprof -top of its heap
// profile, from DOCSAPI_PPROF_ADDR). -timeout bounds the run.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/docsapi/docsapi/sqlite"
	_ "modernc.org/sqlite"
)

func main() {
	bin := flag.String("bin", "bin/docsapi", "the docsapi binary to measure")
	small := flag.Int("small", 1_000, "resources in the small store")
	rows := flag.Int("rows", 1_000_000, "resources in the large store")
	keys := flag.Int("keys", 100_000, "API keys in the large store, besides the root key")
	n := flag.Int("n", 200, "timed list requests per store")
	c := flag.Int("c", 8, "concurrent requests while the keys are used")
	timeout := flag.Duration("timeout", 10*time.Minute, "the longest the whole run may take")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, *bin, *small, *rows, *keys, *n, *c); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, bin string, small, rows, keys, n, c int) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "docsapi-scale")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var p50 []time.Duration
	heap := filepath.Join(dir, "heap.prof")
	for _, size := range []struct{ rows, keys int }{{small, 0}, {rows, keys}} {
		m, err := measure(ctx, bin, filepath.Join(dir, strconv.Itoa(size.rows)+".db"), size.rows, size.keys, n, c, heap)
		if err != nil {
			return fmt.Errorf("%d rows: %w", size.rows, err)
		}
		p50 = append(p50, m)
	}
	fmt.Printf("first list page p50: %d rows / %d rows = %.2f\n", rows, small, float64(p50[1])/float64(p50[0]))
	fmt.Printf("--- heap in use at %d rows and %d keys (go tool pprof -top -sample_index=inuse_space)\n", rows, keys)
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount=20", "-sample_index=inuse_space", bin, heap).CombinedOutput()
	os.Stdout.Write(out)
	return err
}

// measure fills path, runs the server on it, and prints what it measured;
// it returns the list p50.
// The server's heap profile, taken after the keys were used, goes to heap.
func measure(ctx context.Context, bin, path string, rows, keys, n, c int, heap string) (time.Duration, error) {
	t0 := time.Now()
	secrets, err := fill(ctx, path, rows, keys)
	if err != nil {
		return 0, fmt.Errorf("fill: %w", err)
	}
	filled := time.Since(t0)
	srv, err := start(ctx, bin, path)
	if err != nil {
		return 0, err
	}
	defer srv.stop()
	rssStart, _, err := srv.memory()
	if err != nil {
		return 0, err
	}
	t0 = time.Now()
	if err := useKeys(ctx, srv.url, secrets[1:], c); err != nil {
		return 0, err
	}
	used := time.Since(t0)
	rss, hwm, err := srv.memory()
	if err != nil {
		return 0, err
	}
	if err := srv.heapProfile(ctx, heap); err != nil {
		return 0, err
	}
	lat, err := listLatency(ctx, srv.url, secrets[0], n)
	if err != nil {
		return 0, err
	}
	p50, p99 := percentile(lat, 0.50), percentile(lat, 0.99)
	fmt.Printf("rows=%d keys=%d fill=%.1fs rss_start=%.1fMB keys_used_in=%.1fs rss=%.1fMB hwm=%.1fMB list_n=%d list_p50=%.3fms list_p99=%.3fms\n",
		rows, keys+2, filled.Seconds(), mb(rssStart), used.Seconds(), mb(rss), mb(hwm), n, ms(p50), ms(p99))
	return p50, nil
}

// fill makes a migrated store at path with one account, rows resources and,
// besides its root key, a key of rate limit MaxRateLimit for the timed list
// and keys keys of the default one. It returns their secrets, the list's
// first.
func fill(ctx context.Context, path string, rows, keys int) ([]string, error) {
	db, err := sqlite.Open(path)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	acct, _, _, err := sqlite.NewAccountService(db).CreateAccount(ctx, "scale", "")
	db.Close()
	if err != nil {
		return nil, err
	}
	// The file is thrown away after the run, so the fill need not be
	// durable: synchronous(OFF) saves the fsyncs.
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)")
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	now := time.Now().UnixMicro()
	// Resources are ordered by seq, so their created_at only needs to grow
	// with it, as the server's own inserts do.
	if _, err := raw.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO resources (id, account_id, name, description, metadata, created_at, updated_at)
		SELECT printf('res_scale%015d', i), ?, 'scale ' || i, NULL, '{"source":"scale"}', ? + i, ? + i FROM n`,
		rows, acct.ID, now-int64(rows), now-int64(rows)); err != nil {
		return nil, fmt.Errorf("resources: %w", err)
	}
	secrets := make([]string, keys+1)
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO api_keys (id, account_id, name, scopes, rate_limit, prefix, hash, created_at)
		VALUES (?, ?, 'scale', ?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, err
	}
	for i := range secrets {
		secrets[i] = docsapi.NewSecret()
		k := docsapi.APIKey{}
		k.SetSecret(secrets[i])
		limit := docsapi.DefaultRateLimit
		if i == 0 {
			limit = docsapi.MaxRateLimit
		}
		if _, err := stmt.ExecContext(ctx, docsapi.NewID(docsapi.PrefixAPIKey), acct.ID, docsapi.ScopeResourcesRead,
			limit, k.Prefix, k.Hash, now); err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return secrets, nil
}

// server is a running `docsapi serve`.
type server struct {
	cmd    *exec.Cmd
	url    string
	pprof  string // base URL of its net/http/pprof
	exited chan struct{}
}

// start runs bin serve on path and waits until it listens.
func start(ctx context.Context, bin, path string) (*server, error) {
	cmd := exec.CommandContext(ctx, bin, "serve")
	cmd.Env = append(os.Environ(), "DOCSAPI_ADDR=127.0.0.1:0", "DOCSAPI_PPROF_ADDR=127.0.0.1:0",
		"DOCSAPI_DATABASE_URL="+path, "DOCSAPI_ROOT_KEY=", "DOCSAPI_REDIS_URL=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, exited: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		// The access log is read to its end, or the server would block
		// on a full pipe. serve logs "pprof listening" before "listening".
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				continue
			}
			switch line.Msg {
			case "pprof listening":
				s.pprof = "http://" + line.Addr
			case "listening":
				addr <- line.Addr
			}
		}
		io.Copy(io.Discard, stderr)
		cmd.Wait()
		close(s.exited)
	}()
	select {
	case a := <-addr:
		s.url = "http://" + a
		return s, nil
	case <-s.exited:
		return nil, errors.New("the server exited before it listened")
	case <-time.After(30 * time.Second):
		s.stop()
		return nil, errors.New("the server did not listen within 30 s")
	}
}

func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// heapProfile saves the server's heap profile to path.
func (s *server) heapProfile(ctx context.Context, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.pprof+"/debug/pprof/heap", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("heap profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// memory returns the server's VmRSS and VmHWM (its peak RSS) in bytes.
func (s *server) memory() (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	for line := range strings.Lines(string(b)) {
		name, value, _ := strings.Cut(line, ":")
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		switch {
		case name != "VmRSS" && name != "VmHWM":
			continue
		case err != nil:
			return 0, 0, fmt.Errorf("%s: %w", name, err)
		case name == "VmRSS":
			rss = kb << 10
		default:
			hwm = kb << 10
		}
	}
	return rss, hwm, nil
}

var client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// get sends GET url with key and reads the whole answer; anything but a 200
// is an error.
func get(ctx context.Context, url, key string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return nil
}

// useKeys authenticates once with every key, c requests at a time.
func useKeys(ctx context.Context, url string, secrets []string, c int) error {
	var next atomic.Int64
	errs := make([]error, c)
	var wg sync.WaitGroup
	for w := range c {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(secrets); i = int(next.Add(1) - 1) {
				if err := get(ctx, url+"/v1/resources?limit=1", secrets[i]); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// listLatency times n sequential first pages of 10, after 20 untimed ones.
func listLatency(ctx context.Context, url, key string, n int) ([]time.Duration, error) {
	lat := make([]time.Duration, 0, n)
	for i := range n + 20 {
		t0 := time.Now()
		if err := get(ctx, url+"/v1/resources?limit=10", key); err != nil {
			return nil, err
		}
		if i >= 20 {
			lat = append(lat, time.Since(t0))
		}
	}
	slices.Sort(lat)
	return lat, nil
}

// percentile returns the nearest-rank p-quantile of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[max(int(math.Ceil(p*float64(len(sorted))))-1, 0)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mb(b int64) float64 { return float64(b) / (1 << 20) }
