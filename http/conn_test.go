package http_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
)

// raw sends req as bytes on a new TCP connection and reads one response;
// the connection stays open for the caller to probe.
func (e *env) raw(req string) (*response, *bufio.Reader, net.Conn) {
	e.t.Helper()
	conn, err := net.Dial("tcp", e.srv.Addr())
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	// A request that the server stops reading would block this write.
	go io.WriteString(conn, req)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		e.t.Fatalf("read response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read body: %v", err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: body, close: resp.Close}, br, conn
}

// TestHTTPLayerErrorsAreJSON: what net/http refuses before any handler runs
// is still the contract's error object with a Request-Id.
func TestHTTPLayerErrorsAreJSON(t *testing.T) {
	e := newEnv(t)
	auth := "Authorization: Bearer " + e.rootKey + "\r\n"
	tests := []struct {
		name    string
		req     string
		status  int
		param   string
		message string
	}{
		{"headers over the API's limit", "GET /v1/resources HTTP/1.1\r\nHost: x\r\n" + auth + "X-Big: " + strings.Repeat("a", 100<<10) + "\r\n\r\n",
			431, "", "headers are too large"},
		{"1 MB of headers", "GET /v1/resources HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-Big: "+strings.Repeat("a", 1000)+"\r\n", 1000) + "\r\n",
			431, "", "headers are too large"},
		{"headers over net/http's limit", "GET /v1/resources HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2<<20) + "\r\n\r\n",
			431, "", "headers are too large"},
		{"unknown transfer coding", "POST /v1/resources HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
			501, "Transfer-Encoding", "Unsupported Transfer-Encoding"},
		{"no Host", "GET /v1/resources HTTP/1.1\r\n" + auth + "\r\n",
			400, "", "missing required Host header"},
		{"garbage", "HELLO\r\n\r\n", 400, "", "not valid HTTP"},
		{"bad header line", "GET /v1/resources HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400, "", "not valid HTTP"},
		{"HTTP/2.0 over HTTP/1", "GET /v1/resources HTTP/2.0\r\nHost: x\r\n\r\n", 505, "", "HTTP version"},
		{"unknown Expect", "GET /v1/resources HTTP/1.1\r\nHost: x\r\n" + auth + "Expect: foo\r\n\r\n", 417, "Expect", "Unsupported Expect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, _ := e.raw(tt.req)
			got := r.wantError(t, tt.status, docsapi.EPARAMINVALID, tt.param)
			if msg, _ := got["message"].(string); !strings.Contains(msg, tt.message) {
				t.Errorf("message %q lacks %q", msg, tt.message)
			}
			if cc := r.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
		})
	}
	// A response to a handler is untouched, however it starts.
	e.do("GET", "/v1/resources", e.rootKey, nil).want(t, 200)
}

// TestContentLengthWithChunkedClosesTheConnection: a request with both
// Content-Length and Transfer-Encoding may be a smuggling attempt; after
// the response the connection is closed (RFC 9112 §6.1).
func TestContentLengthWithChunkedClosesTheConnection(t *testing.T) {
	e := newEnv(t)
	body := `{"name":"smuggled?"}`
	req := "POST /v1/resources HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + e.rootKey + "\r\n" +
		"Content-Type: application/json\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n" +
		strconv.FormatInt(int64(len(body)), 16) + "\r\n" + body + "\r\n0\r\n\r\n" +
		"GET /v1/resources HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + e.rootKey + "\r\n\r\n"
	r, br, conn := e.raw(req)
	r.want(t, 201)
	if !r.close {
		t.Error("the response does not say Connection: close")
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Fatalf("after the response: %q, %v; want the connection closed with nothing more", rest, err)
	}
}

// TestPagesWithResponseLikeTextAreUntouched: a page that shows a client's
// text is written in 4 KiB pieces; a piece that begins like one of
// net/http's own error responses is still the page's, not rewritten.
func TestPagesWithResponseLikeTextAreUntouched(t *testing.T) {
	e := newEnv(t)
	const fake = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
	escaped := strings.NewReplacer(" ", "%20", "\r", "%0D", "\n", "%0A").Replace(fake)
	get := func(path string) []byte {
		t.Helper()
		conn, err := net.Dial("tcp", e.srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		wire, err := io.ReadAll(conn)
		if err != nil {
			t.Fatalf("GET %.40s…: %v after %d bytes", path, err, len(wire))
		}
		return wire
	}
	// Where the docs' 404 page shows its path on the wire, to put the fake
	// response at the start of the second 4 KiB piece.
	at := strings.Index(string(get("/docs/probe")), "/docs/probe") + len("/docs/")
	hit := false
	for pad := 4096 - at - 4; pad <= 4096-at+4; pad++ {
		wire := get("/docs/" + strings.Repeat("a", pad) + escaped + "tail")
		hit = hit || strings.Index(string(wire), fake) == 4096
		resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(string(wire))), nil)
		if err != nil {
			t.Fatalf("pad %d: %v", pad, err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 404 || !strings.Contains(string(body), "tail") || !strings.HasSuffix(strings.TrimSpace(string(body)), "</html>") {
			t.Errorf("pad %d: status %d, %d bytes of page (%v), want the whole 404 page", pad, resp.StatusCode, len(body), err)
		}
	}
	if !hit {
		t.Error("no request put the fake response at byte 4096: the test missed its case")
	}
}

// TestUnroutableRequestsAreJSON: requests that net/http or its file server
// would answer themselves, for want of a route or a file, get the
// contract's JSON 404 with a Request-Id.
func TestUnroutableRequestsAreJSON(t *testing.T) {
	e := newEnv(t)
	for _, req := range []string{
		"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET * HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /dashboard/static/nope.js HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /dashboard/static/ HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /dashboard/static/a/b.js HTTP/1.1\r\nHost: x\r\n\r\n",
	} {
		t.Run(strings.Fields(req)[0]+" "+strings.Fields(req)[1], func(t *testing.T) {
			r, _, _ := e.raw(req)
			r.wantError(t, 404, docsapi.ENOTFOUND, "")
			if r.header.Get("Request-Id") == "" {
				t.Error("no Request-Id")
			}
		})
	}
}
