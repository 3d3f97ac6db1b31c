// Command load drives a running Docs API server with c concurrent workers
// for a fixed duration and prints one summary line: throughput, latency
// percentiles and the count of each response status.
//
//	go run ./bench/load -key sk_live_... -op get -c 16 -d 10s
//	go run ./bench/load -key sk_live_... -op get -c 16 -d 10s -rate 2000
//
// With -rate the workers send that many requests per second in all, on a
// fixed schedule, and each latency is counted from when its request was
// due, not from when a worker got to it: a server that falls behind shows
// it in the percentiles instead of slowing the load down (as wrk2 does).
// -url takes several base URLs, comma-separated: worker w sends to the
// (w mod n)-th, which spreads the load over instances behind no balancer.
// -series FILE writes each request's start (when it was due, with -rate)
// and latency, so that the tail can be matched to what the server did at
// that moment (docs/performance.md, "Where the p99 goes").
//
// Ops: get (one resource, created first), list (first page of 10, after
// creating 10 so the page is full), create, create-idem (create with a fresh
// Idempotency-Key each time), mixed (per 10 requests: 7 get, 2 list,
// 1 create). The key needs resources:read and resources:write and a rate
// limit above the load, else the 429s are counted as they come: the tool
// measures the server, it does not retry.
package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// createBody is small and valid, so create measures the write path rather
// than JSON decoding of a large body.
const createBody = `{"name":"load test","metadata":{"source":"bench"}}`

// pageSize is the API's default list limit; list setup creates this many
// resources so that every measured page is full.
const pageSize = 10

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "server base URL, or several comma-separated")
	key := flag.String("key", "", "API key secret (needs resources:read and resources:write)")
	c := flag.Int("c", 16, "concurrent workers")
	d := flag.Duration("d", 10*time.Second, "how long to send requests")
	op := flag.String("op", "get", "get, list, create, create-idem or mixed")
	rate := flag.Float64("rate", 0, "requests per second in all, on a fixed schedule (0: as fast as the workers go)")
	series := flag.String("series", "", "file to write a line per request to: its start and its latency, in µs since the run began")
	flag.Parse()
	if err := run(strings.Split(*url, ","), *key, *c, *d, *op, *rate, *series); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

type loader struct {
	client *http.Client
	urls   []string
	key    string
	// resID is the resource that get reads.
	resID string
	// runID makes create-idem's Idempotency-Keys unique across runs
	// against the same account.
	runID string
}

// result is what one worker saw; workers don't share it, so they need no lock.
type result struct {
	latencies []time.Duration
	starts    []time.Duration // since the run began, for -series
	statuses  map[int]int
	errors    int
	firstErr  error
}

func run(urls []string, key string, c int, d time.Duration, op string, rate float64, series string) error {
	switch {
	case key == "":
		return errors.New("-key is required")
	case c < 1:
		return errors.New("-c must be at least 1")
	case d <= 0:
		return errors.New("-d must be positive")
	case rate < 0:
		return errors.New("-rate must not be negative")
	}
	for i, u := range urls {
		urls[i] = strings.TrimSuffix(u, "/")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// Without this the transport keeps only 2 idle connections per host,
	// and the other workers would open a new connection per request.
	tr.MaxIdleConns = c
	tr.MaxIdleConnsPerHost = c
	l := &loader{
		// The timeout bounds a run to d plus 5 s even if the server stops
		// answering; a response that slow counts as an error.
		client: &http.Client{Transport: tr, Timeout: 5 * time.Second},
		urls:   urls,
		key:    key,
		runID:  strconv.FormatInt(time.Now().UnixNano(), 36),
	}
	// do builds worker's i-th request.
	var do func(l *loader, worker, i int) (*http.Request, error)
	switch op {
	case "get":
		do = (*loader).get
	case "list":
		do = (*loader).list
	case "create":
		do = (*loader).create
	case "create-idem":
		do = (*loader).createIdem
	case "mixed":
		do = (*loader).mixed
	default:
		return fmt.Errorf("unknown -op %q", op)
	}
	if err := l.setup(op); err != nil {
		return fmt.Errorf("setup: %w", err)
	}

	results := make([]result, c)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	// next is the schedule's next slot when rate > 0: slot n is due at
	// start + n/rate, whichever worker takes it.
	var next atomic.Int64
	for w := range c {
		wg.Go(func() {
			r := &results[w]
			r.statuses = map[int]int{}
			// A request started before the deadline runs to its end, so
			// no request is cut off and counted as a failure.
			for i := 0; time.Now().Before(deadline); i++ {
				t0 := time.Now()
				if rate > 0 {
					t0 = start.Add(time.Duration(float64(next.Add(1)-1) / rate * float64(time.Second)))
					if !t0.Before(deadline) {
						break
					}
					time.Sleep(time.Until(t0))
				}
				req, err := do(l, w, i)
				if err != nil {
					r.fail(err)
					continue
				}
				status, err := l.send(req)
				lat := time.Since(t0)
				if err != nil {
					r.fail(err)
					continue
				}
				r.latencies = append(r.latencies, lat)
				r.starts = append(r.starts, t0.Sub(start))
				r.statuses[status]++
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	var all []time.Duration
	statuses := map[int]int{}
	errs := 0
	var firstErr error
	for _, r := range results {
		all = append(all, r.latencies...)
		for s, n := range r.statuses {
			statuses[s] += n
		}
		errs += r.errors
		if firstErr == nil {
			firstErr = r.firstErr
		}
	}
	if series != "" {
		if err := writeSeries(series, results); err != nil {
			return err
		}
	}
	slices.Sort(all)
	fmt.Printf("op=%s c=%d d=%s rate=%.0f requests=%d rps=%.0f p50=%s p90=%s p99=%s max=%s status=%s errors=%d\n",
		op, c, d, rate, len(all), float64(len(all))/elapsed.Seconds(),
		ms(percentile(all, 0.50)), ms(percentile(all, 0.90)), ms(percentile(all, 0.99)), ms(percentile(all, 1)),
		formatStatuses(statuses), errs)
	if firstErr != nil {
		fmt.Fprintln(os.Stderr, "load: first transport error:", firstErr)
	}
	return nil
}

func (r *result) fail(err error) {
	r.errors++
	if r.firstErr == nil {
		r.firstErr = err
	}
}

// setup creates what op reads before the clock starts.
func (l *loader) setup(op string) error {
	n := 0
	switch op {
	case "get", "mixed":
		n = 1
	case "list":
		n = pageSize
	}
	for range n {
		req, err := l.create(0, 0)
		if err != nil {
			return err
		}
		resp, err := l.client.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("create resource: status %d: %s", resp.StatusCode, body)
		}
		var res struct{ ID string }
		if err := json.Unmarshal(body, &res); err != nil {
			return fmt.Errorf("create resource: %w", err)
		}
		l.resID = res.ID
	}
	return nil
}

// newRequest builds a request of worker to its base URL.
func (l *loader) newRequest(worker int, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequest(method, l.urls[worker%len(l.urls)]+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+l.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

func (l *loader) get(worker, _ int) (*http.Request, error) {
	return l.newRequest(worker, http.MethodGet, "/v1/resources/"+l.resID, nil)
}

func (l *loader) list(worker, _ int) (*http.Request, error) {
	return l.newRequest(worker, http.MethodGet, "/v1/resources?limit="+strconv.Itoa(pageSize), nil)
}

func (l *loader) create(worker, _ int) (*http.Request, error) {
	return l.newRequest(worker, http.MethodPost, "/v1/resources", strings.NewReader(createBody))
}

func (l *loader) createIdem(worker, i int) (*http.Request, error) {
	req, err := l.create(worker, i)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Idempotency-Key", fmt.Sprintf("load-%s-%d-%d", l.runID, worker, i))
	return req, nil
}

func (l *loader) mixed(worker, i int) (*http.Request, error) {
	switch i % 10 {
	case 7, 8:
		return l.list(worker, i)
	case 9:
		return l.create(worker, i)
	default:
		return l.get(worker, i)
	}
}

// send runs req and reads the whole body, which both times the full
// response and lets the connection go back to the pool for reuse.
func (l *loader) send(req *http.Request) (int, error) {
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// percentile returns the nearest-rank p-quantile of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[max(int(math.Ceil(p*float64(len(sorted))))-1, 0)]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
}

// formatStatuses prints "200:1234,429:5" in status order.
func formatStatuses(m map[int]int) string {
	if len(m) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, s := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d:%d", s, m[s])
	}
	return b.String()
}

// writeSeries writes "start_us latency_us", a line per answered request,
// in the order the requests started.
func writeSeries(path string, results []result) error {
	type point struct{ start, latency time.Duration }
	var points []point
	for _, r := range results {
		for i, lat := range r.latencies {
			points = append(points, point{r.starts[i], lat})
		}
	}
	slices.SortFunc(points, func(a, b point) int { return cmp.Compare(a.start, b.start) })
	var b strings.Builder
	for _, p := range points {
		fmt.Fprintf(&b, "%d %d\n", p.start.Microseconds(), p.latency.Microseconds())
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("-series: %w", err)
	}
	return nil
}
