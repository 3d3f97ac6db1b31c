package http

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/docsapi/docsapi"
)

// MaxHeaderBytes is the most request-header bytes the API accepts. net/http
// is let read up to its own default of 1 MiB, so that a request over this
// limit still reaches the handler chain and is answered there, in JSON.
const MaxHeaderBytes = 64 << 10

// headerSize is the size of r's request line and headers, as sent.
func headerSize(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4 + len("Host: \r\n") + len(r.Host)
	for name, values := range r.Header {
		for _, v := range values {
			n += len(name) + len(v) + 4
		}
	}
	return n
}

// headersTooLarge is the 431 for headers over MaxHeaderBytes, whether
// checkHeaderAndPath or net/http itself refuses them.
func headersTooLarge() *docsapi.Error {
	return docsapi.Errorf(docsapi.EPARAMINVALID, "The request headers are too large; send at most %d KiB of headers.", MaxHeaderBytes>>10)
}

// goErrorHeaders is what follows the status line of the responses that
// net/http writes itself, before any handler runs (server.go, conn.serve).
// No handler response has it: net/http writes headers sorted, Connection
// before Content-Type.
const goErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// errorListener hands out connections whose net/http-written error
// responses are rewritten as the contract's error object.
type errorListener struct {
	net.Listener
	s *Server
}

func (l errorListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &errorConn{Conn: c, s: l.s}, nil
}

// errorConn is one accepted connection of errorListener.
type errorConn struct {
	net.Conn
	s *Server
}

// Write passes handler responses through and turns a plain-text error of
// net/http (400 malformed request, 417 unknown Expect, 431 headers over
// 1 MiB, 501 unknown transfer coding, 505 HTTP version) into JSON with a
// Request-Id.
func (c *errorConn) Write(p []byte) (int, error) {
	line, ok := netHTTPError(p)
	if !ok {
		return c.Conn.Write(p)
	}
	if _, err := c.Conn.Write(c.s.httpLayerError(line)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// netHTTPError reports whether p is the whole of one of net/http's own
// error responses, and returns its status line without "HTTP/1.1 ". Only a
// whole write counts: a page's body is written in 4 KiB pieces, and one
// may begin like such a response with text that a client put in the page.
func netHTTPError(p []byte) (string, bool) {
	rest, ok := bytes.CutPrefix(p, []byte("HTTP/1.1 ")) // the cheap test first: most writes are bodies
	if !ok || len(p) > 512 {
		return "", false
	}
	// An Expect other than 100-continue net/http answers through the
	// response writer, headers alone; no handler of the API answers 417.
	if line := "417 Expectation Failed"; bytes.HasPrefix(rest, []byte(line+"\r\n")) && bytes.HasSuffix(rest, []byte("\r\n\r\n")) {
		return line, true
	}
	line, rest, ok := bytes.Cut(rest, []byte(goErrorHeaders))
	if !ok || bytes.Contains(line, []byte("\n")) {
		return "", false
	}
	// The body repeats the status line, but for a 501.
	code, _, _ := bytes.Cut(line, []byte(" "))
	if !bytes.Equal(rest, line) && !(string(code) == "501" && string(rest) == "Unsupported transfer encoding") {
		return "", false
	}
	if status, err := strconv.Atoi(string(code)); err != nil || !bytes.HasPrefix(line, fmt.Appendf(nil, "%d %s", status, http.StatusText(status))) {
		return "", false
	}
	return string(line), true
}

// CloseWrite lets net/http half-close the connection after a 431, as it
// does on a bare TCP connection.
func (c *errorConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// httpLayerError is the JSON response to net/http's status line "431 Request
// Header Fields Too Large" or "400 Bad Request: missing required Host header".
func (s *Server) httpLayerError(statusLine string) []byte {
	code, detail, _ := strings.Cut(statusLine, " ")
	status, err := strconv.Atoi(code)
	if err != nil {
		status = http.StatusBadRequest
	}
	var e *docsapi.Error
	switch status {
	case http.StatusRequestHeaderFieldsTooLarge:
		e = headersTooLarge()
	case http.StatusNotImplemented:
		e = docsapi.ParamErrorf(docsapi.EPARAMINVALID, "Transfer-Encoding", "Unsupported Transfer-Encoding: only chunked is accepted.")
	case http.StatusExpectationFailed:
		e = docsapi.ParamErrorf(docsapi.EPARAMINVALID, "Expect", "Unsupported Expect header: only 100-continue is accepted.")
	case http.StatusHTTPVersionNotSupported:
		e = docsapi.Errorf(docsapi.EPARAMINVALID, "Unsupported HTTP version: use HTTP/1.1.")
	default:
		status = http.StatusBadRequest
		e = docsapi.Errorf(docsapi.EPARAMINVALID, "The request is not valid HTTP/1.1.")
		// net/http's own detail is a fixed text, never the client's bytes.
		if _, why, ok := strings.Cut(detail, ": "); ok {
			e.Message = fmt.Sprintf("The request is not valid HTTP/1.1: %s.", why)
		}
	}
	id := docsapi.NewRequestID()
	_, body := s.errorJSON(id, e)
	s.Logger.Info("request refused by the HTTP layer", slog.String("request_id", id), slog.Int("status", status), slog.String("error_code", e.Code))
	return fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: %d\r\nContent-Type: application/json; charset=utf-8\r\nRequest-Id: %s\r\n\r\n%s",
		status, http.StatusText(status), len(body), id, body)
}
