package docsapi

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// step is what the fault server does for one attempt.
type step struct {
	status int
	header map[string]string
	body   string
	// reset drops the connection with a TCP RST instead of answering.
	reset bool
	// hang answers nothing until the client goes away.
	hang bool
}

// recorded is one request the fault server received.
type recorded struct {
	method, path, query string
	header              http.Header
	body                string
}

// faultServer plays its steps one per request; the last one repeats.
type faultServer struct {
	*httptest.Server
	mu    sync.Mutex
	steps []step
	reqs  []recorded
}

func newFaultServer(t *testing.T, steps ...step) *faultServer {
	t.Helper()
	fs := &faultServer{steps: steps}
	fs.Server = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *faultServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	fs.mu.Lock()
	st := fs.steps[min(len(fs.reqs), len(fs.steps)-1)]
	fs.reqs = append(fs.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(body)})
	fs.mu.Unlock()

	switch {
	case st.reset:
		resetConnection(w)
	case st.hang:
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	default:
		for k, v := range st.header {
			w.Header()[k] = []string{v} // as given, to test case-insensitive reading
		}
		w.WriteHeader(st.status)
		io.WriteString(w, st.body)
	}
}

func (fs *faultServer) requests() []recorded {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]recorded(nil), fs.reqs...)
}

// resetConnection drops the client's connection without a response.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0) // RST rather than FIN: a reset, not a clean close
	}
	conn.Close()
}

// sleepLog records the waits a client would have made.
type sleepLog struct {
	mu sync.Mutex
	ds []time.Duration
}

func (s *sleepLog) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.ds = append(s.ds, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepLog) delays() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.ds...)
}

// newTestClient returns a client of baseURL that does not really sleep and
// whose jitter is fixed at random = 0.5.
func newTestClient(baseURL string, opts ...Option) (*Client, *sleepLog) {
	c := NewClient("sk_test_key", append([]Option{WithBaseURL(baseURL)}, opts...)...)
	log := &sleepLog{}
	c.sleep = log.sleep
	c.random = func() float64 { return 0.5 }
	return c, log
}

// errorBody is a contract error body.
func errorBody(typ, code string) string {
	return `{"error":{"type":"` + typ + `","code":"` + code + `","message":"Something went wrong.","request_id":"req_Test0000001"}}`
}

const resourceBody = `{"id":"res_1","object":"resource","name":"Quarterly report","description":null,"metadata":{"team":"finance"},"created_at":"2026-11-24T21:09:48Z","updated_at":"2026-11-24T21:09:48Z"}`
