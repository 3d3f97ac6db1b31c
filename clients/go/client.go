// Package docsapi is the official Go client for Docs API.
//
// A Client is safe for concurrent use. Every call takes a context; cancelling
// it stops the call at once, including a wait between retries.
package docsapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	mathrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Version is the version of this library.
const Version = "0.1.0"

const (
	// DefaultBaseURL is where a local `docsapi serve` listens by default.
	DefaultBaseURL = "http://127.0.0.1:8080"
	// DefaultTimeout bounds each attempt of a call.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxRetries is how many times a failed call is retried.
	DefaultMaxRetries = 2

	// maxRetryAfter is the longest Retry-After the client waits out; a longer
	// one is returned to the caller at once rather than blocking a job.
	maxRetryAfter = 60
)

// userAgent has the form every client shares (clients/testdata/user_agent.json):
// docsapi-go/0.1.0 go/1.26.8 (linux; amd64).
var userAgent = fmt.Sprintf("docsapi-go/%s go/%s (%s; %s)", Version,
	strings.Fields(strings.TrimPrefix(runtime.Version(), "go"))[0], runtime.GOOS, runtime.GOARCH)

// Client talks to Docs API with one API key.
type Client struct {
	Resources *ResourcesService
	APIKeys   *APIKeysService
	Requests  *RequestsService

	apiKey     string
	baseURL    string
	httpClient *http.Client
	maxRetries int
	timeout    time.Duration

	// sleep and random are fields so that tests can run backoff without
	// really waiting and with known jitter.
	sleep  func(ctx context.Context, d time.Duration) error
	random func() float64
}

// String describes the client without its API key, so that printing or
// logging one does not leak the secret.
func (c *Client) String() string {
	return fmt.Sprintf("docsapi.Client{baseURL: %q, apiKey: %q}", c.baseURL, redactKey(c.apiKey))
}

// Format is String for every verb, %+v included, which would otherwise
// print the fields.
func (c *Client) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// redactKey keeps what the Dashboard shows of a key, its prefix.
func redactKey(k string) string {
	if len(k) <= len("sk_live_")+4 {
		return "…"
	}
	return k[:len("sk_live_")+4] + "…"
}

// Option configures a Client.
type Option func(*Client)

// WithBaseURL sets the API's base URL, e.g. "https://api.example.com". Without
// it, the client uses DOCSAPI_BASE_URL when set, else DefaultBaseURL.
func WithBaseURL(u string) Option {
	return func(c *Client) { c.baseURL = strings.TrimRight(u, "/") }
}

// WithMaxRetries sets how many times a call is retried after a 429, a 5xx or
// a connection failure. 0 disables retries.
func WithMaxRetries(n int) Option {
	return func(c *Client) { c.maxRetries = max(n, 0) }
}

// WithHTTPClient sets the *http.Client used to send requests.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.httpClient = hc }
}

// WithTimeout bounds each attempt of a call (not the call with its retries;
// use the context for that). 0 means no bound besides the context's.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) { c.timeout = max(d, 0) }
}

// NewClient returns a client that authenticates with apiKey, or, when apiKey
// is "", with the key in the DOCSAPI_API_KEY environment variable. Without
// either, every call returns an *AuthenticationError before sending anything.
func NewClient(apiKey string, opts ...Option) *Client {
	if apiKey == "" {
		apiKey = os.Getenv("DOCSAPI_API_KEY")
	}
	baseURL := DefaultBaseURL
	if u := os.Getenv("DOCSAPI_BASE_URL"); u != "" {
		baseURL = strings.TrimRight(u, "/")
	}
	c := &Client{
		apiKey:     apiKey,
		baseURL:    baseURL,
		httpClient: http.DefaultClient,
		maxRetries: DefaultMaxRetries,
		timeout:    DefaultTimeout,
		sleep:      sleepContext,
		random:     mathrand.Float64,
	}
	for _, opt := range opts {
		opt(c)
	}
	// A redirect is answered, never followed: net/http would turn a POST
	// into a GET of the new location and report its answer as the created
	// object. A copy, so that the caller's client is left as it was.
	hc := *c.httpClient
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.httpClient = &hc
	c.Resources = &ResourcesService{c: c}
	c.APIKeys = &APIKeysService{c: c}
	c.Requests = &RequestsService{c: c}
	return c
}

// RequestOption configures one call.
type RequestOption func(*requestConfig)

type requestConfig struct {
	idempotencyKey    string
	idempotencyKeySet bool
}

// WithIdempotencyKey sends key as the call's Idempotency-Key instead of a
// generated one. Use it to make a write safe to repeat across processes, for
// example a job that may be restarted. Ignored on reads. An empty key is
// refused with an *InvalidRequestError before anything is sent: replacing
// it with a generated one would make a repeated write run twice.
func WithIdempotencyKey(key string) RequestOption {
	return func(rc *requestConfig) { rc.idempotencyKey, rc.idempotencyKeySet = key, true }
}

// APIResponse describes the HTTP response of a successful call. Every object
// a call returns carries it as LastResponse; the objects inside a List do
// not (the List does).
type APIResponse struct {
	HTTPStatus int
	Header     http.Header
	// RequestID is the response's Request-Id header: quote it to support.
	RequestID string
}

// lastResponse is embedded in every object a call returns.
type lastResponse struct {
	// LastResponse is the response that carried this object, nil for an
	// object inside a List.
	LastResponse *APIResponse `json:"-"`
}

func (l *lastResponse) setLastResponse(r *APIResponse) { l.LastResponse = r }

// do sends one call, retrying it as the contract allows, and decodes a 2xx
// body into out.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any, opts []RequestOption) error {
	if c.apiKey == "" {
		return localError("authentication_error", "authentication_failed", "", "No API key: pass one to the client or set DOCSAPI_API_KEY.")
	}
	// Refused here, not by net/http, whose error would quote the key and
	// be retried as a connection failure.
	if !printableASCII(c.apiKey, '!', 0) {
		return localError("authentication_error", "authentication_failed", "", "Invalid API key: it has characters that cannot be sent in a header, such as a space or a line break.")
	}
	var rc requestConfig
	for _, opt := range opts {
		opt(&rc)
	}
	if method != http.MethodGet && rc.idempotencyKeySet && rc.idempotencyKey == "" {
		return localError("invalid_request_error", "parameter_invalid", "Idempotency-Key", "Idempotency-Key must not be empty; leave it out to have one generated.")
	}
	if method != http.MethodGet && rc.idempotencyKeySet && !printableASCII(rc.idempotencyKey, ' ', 255) {
		return localError("invalid_request_error", "parameter_invalid", "Idempotency-Key", "Idempotency-Key must be 1 to 255 printable ASCII characters.")
	}
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("docsapi: encoding the request body: %w", err)
		}
	}
	// One key for every attempt, so that the server replays a write whose
	// response was lost instead of doing it twice.
	key := ""
	if method != http.MethodGet {
		key = rc.idempotencyKey
		if key == "" {
			var err error
			if key, err = newUUID(); err != nil {
				return fmt.Errorf("docsapi: generating an Idempotency-Key: %w", err)
			}
		}
	}
	req, err := c.newRequest(method, path, query, payload, key)
	if err != nil {
		return err
	}

	for retries := 0; ; retries++ {
		status, header, respBody, err := c.attempt(ctx, req, payload)
		var callErr error
		switch {
		case err != nil && ctx.Err() != nil:
			// The caller gave up; that is not a network failure to retry.
			return fmt.Errorf("docsapi: %s %s: %w", method, path, ctx.Err())
		case err != nil:
			callErr = newConnectionError(err)
		case status >= 200 && status < 300:
			// Every answer of the API is an object that names its kind; an
			// empty one, null or a list from a misconfigured proxy is not
			// taken for the call's object. Not retried: the work may be done.
			var kind struct{ Object *string }
			err := json.Unmarshal(respBody, &kind)
			var shape *json.UnmarshalTypeError
			if errors.As(err, &shape) {
				err = nil // JSON of another shape: nothing more to say than that
			}
			if err != nil || kind.Object == nil {
				return unexpectedResponse(status, header, err)
			}
			if err := json.Unmarshal(respBody, out); err != nil {
				return unexpectedResponse(status, header, err)
			}
			if o, ok := out.(interface{ setLastResponse(*APIResponse) }); ok {
				o.setLastResponse(&APIResponse{HTTPStatus: status, Header: header, RequestID: header.Get("Request-Id")})
			}
			return nil
		default:
			callErr = parseError(status, header, respBody)
		}
		delay, retry := retryDelay(status, header, retries, c.maxRetries, c.random())
		if !retry {
			return callErr
		}
		if err := c.sleep(ctx, delay); err != nil {
			return fmt.Errorf("docsapi: %s %s: %w", method, path, err)
		}
	}
}

// newRequest builds the request that every attempt of a call clones. Its
// errors (a malformed base URL) are the caller's to fix, not to retry.
func (c *Client) newRequest(method, path string, query url.Values, payload []byte, key string) (*http.Request, error) {
	target := c.baseURL + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		return nil, fmt.Errorf("docsapi: building the request: %w", err)
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return nil, fmt.Errorf("docsapi: base URL %q: scheme must be http or https", c.baseURL)
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	return req, nil
}

// attempt sends one copy of req and reads the whole response. A non-nil
// error means no complete response arrived.
func (c *Client) attempt(ctx context.Context, req *http.Request, payload []byte) (int, http.Header, []byte, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req = req.Clone(ctx)
	if payload != nil {
		req.ContentLength = int64(len(payload))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(payload)), nil }
		req.Body, _ = req.GetBody()
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	// Read the body inside the attempt's timeout: a connection dropped
	// mid-body is a connection failure like any other.
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, respBody, nil
}

// retryDelay decides, after an attempt that ended with status (0 for a
// connection failure) and header, when retriesDone retries have been made
// already, whether to retry and how long to wait first. random is in [0, 1)
// and sets the jitter.
func retryDelay(status int, header http.Header, retriesDone, maxRetries int, random float64) (time.Duration, bool) {
	if retriesDone >= maxRetries {
		return 0, false
	}
	if status != 0 && status != http.StatusTooManyRequests && (status < 500 || status > 599) {
		return 0, false
	}
	if secs, ok := parseRetryAfter(header.Get("Retry-After")); ok {
		if secs > maxRetryAfter {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	base := math.Min(0.5*math.Ldexp(1, retriesDone), 8)
	return time.Duration(base * (1 - 0.25*random) * float64(time.Second)), true
}

// parseRetryAfter accepts only a whole number of seconds; an HTTP date or a
// fraction is ignored and the usual backoff applies.
func parseRetryAfter(v string) (int, bool) {
	v = strings.TrimSpace(v)
	if v == "" || strings.Trim(v, "0123456789") != "" {
		return 0, false
	}
	// Any whole number of seconds counts, however long: one too long to
	// parse is far past the 60 s that are waited out.
	n, err := strconv.Atoi(v)
	if err != nil {
		return math.MaxInt, true
	}
	return n, true
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// newUUID returns a random (version 4) UUID.
func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// printableASCII reports whether s holds only the characters from lowest
// to '~', and at most max of them (0: no bound).
func printableASCII(s string, lowest byte, max int) bool {
	if max > 0 && len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < lowest || s[i] > '~' {
			return false
		}
	}
	return true
}
