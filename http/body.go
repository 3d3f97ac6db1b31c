package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/docsapi/docsapi"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 1 << 20

// MaxBodyTokens bounds the JSON tokens of a body (values, object keys,
// brackets and braces). Decoded into Go values, a token costs many times
// its bytes: a body of 1 MiB of empty objects took 30-50 MB of memory and
// 100-150 ms of CPU before its unknown field was refused. No body that the
// API takes comes near it: a resource with 50 metadata pairs has 109.
const MaxBodyTokens = 2000

// body is a parsed JSON request body: its top-level fields as decoded
// (numbers as json.Number), and its canonical form (sorted keys, no white
// space) for idempotency fingerprints. It is decoded once: the accessors
// below read the decoded values, as json.Unmarshal would into their types.
type body struct {
	fields    map[string]any
	canonical []byte
}

// readBody reads and parses a write's body. An empty body is an empty object.
func readBody(w http.ResponseWriter, r *http.Request) (body, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return body{}, docsapi.Errorf(docsapi.EPARAMINVALID, "The request body is larger than %d bytes.", MaxBodyBytes)
	} else if err != nil {
		return body{}, docsapi.Errorf(docsapi.EPARAMINVALID, "The request body could not be read.")
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		// No body is the same request as {}, for fingerprints too.
		return body{fields: map[string]any{}, canonical: []byte("{}")}, nil
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return body{}, docsapi.ParamErrorf(docsapi.EPARAMINVALID, "Content-Type", "Send the request body as JSON with 'Content-Type: application/json'.")
	}
	if !utf8.Valid(raw) {
		return body{}, docsapi.Errorf(docsapi.EPARAMINVALID, "The request body is not valid UTF-8.")
	}
	if tooManyTokens(raw, MaxBodyTokens) {
		return body{}, docsapi.Errorf(docsapi.EPARAMINVALID, "The request body has more than %d JSON values and keys; no request of this API needs that many.", MaxBodyTokens)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return body{}, docsapi.Errorf(docsapi.EPARAMINVALID, "The request body is not valid JSON.")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return body{}, docsapi.Errorf(docsapi.EPARAMINVALID, "The request body is not valid JSON.")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return body{}, docsapi.Errorf(docsapi.EPARAMINVALID, "The request body must be a JSON object.")
	}
	// encoding/json writes map keys sorted, which makes this canonical.
	canonical, err := json.Marshal(obj)
	if err != nil {
		return body{}, fmt.Errorf("canonical body: %w", err)
	}
	return body{fields: obj, canonical: canonical}, nil
}

// tooManyTokens reports whether raw holds more than limit JSON tokens. It
// stops reading there, and at malformed JSON, which the decoding after it
// reports: what it keeps of the body is one token at a time.
func tooManyTokens(raw []byte, limit int) bool {
	if len(raw) <= limit {
		// Every token takes a byte at least. Most bodies end here: counting
		// cost 4.5 µs for a create's 8 tokens.
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	// A number out of float64's range is not an error to skip past.
	dec.UseNumber()
	for n := 0; n <= limit; n++ {
		if _, err := dec.Token(); err != nil {
			return false
		}
	}
	return true
}

// only fails when the body has a field outside known.
func (b body) only(known ...string) error {
	names := make([]string, 0, len(b.fields))
	for name := range b.fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !slices.Contains(known, name) {
			return docsapi.ParamErrorf(docsapi.EPARAMINVALID, name, "Received unknown parameter: %s.", name)
		}
	}
	return nil
}

// field is one body field as sent: absent, null, or a value. An update
// tells them apart: absent leaves a field as it is, null clears it.
type field[T any] struct {
	set   bool // the body has the field, null or not
	null  bool
	value T
}

// string returns a string field.
func (b body) string(name string) (field[string], error) {
	raw, ok := b.fields[name]
	if !ok {
		return field[string]{}, nil
	}
	if raw == nil {
		return field[string]{set: true, null: true}, nil
	}
	v, ok := raw.(string)
	if !ok {
		return field[string]{}, docsapi.ParamErrorf(docsapi.EPARAMINVALID, name, "Invalid %s: it must be a string.", name)
	}
	return field[string]{set: true, value: v}, nil
}

// strings returns a field that must be an array of strings, nil when it
// is absent or null. A null element is "", as json.Unmarshal leaves it.
func (b body) strings(name string) ([]string, bool) {
	raw := b.fields[name]
	if raw == nil {
		return nil, true
	}
	arr, ok := raw.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(arr))
	for i, e := range arr {
		if e == nil {
			continue
		}
		if out[i], ok = e.(string); !ok {
			return nil, false
		}
	}
	return out, true
}

// int returns a field that must be a whole number in an int; set is false
// when it is absent or null.
func (b body) int(name string) (n int, set, ok bool) {
	raw := b.fields[name]
	if raw == nil {
		return 0, false, true
	}
	num, isNum := raw.(json.Number)
	if !isNum {
		return 0, true, false
	}
	v, err := strconv.ParseInt(string(num), 10, 0)
	return int(v), true, err == nil
}

// metadata returns the metadata field as keys to values, a nil value
// meaning null or "" (remove the key).
func (b body) metadata() (field[map[string]*string], error) {
	raw, ok := b.fields["metadata"]
	if !ok {
		return field[map[string]*string]{}, nil
	}
	if raw == nil {
		return field[map[string]*string]{set: true, null: true}, nil
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return field[map[string]*string]{}, docsapi.ParamErrorf(docsapi.EPARAMINVALID, "metadata", "Invalid metadata: it must be an object of string keys and string values.")
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	m := make(map[string]*string, len(obj))
	for _, k := range keys {
		var v string
		if raw := obj[k]; raw != nil {
			if v, ok = raw.(string); !ok {
				return field[map[string]*string]{}, docsapi.ParamErrorf(docsapi.EPARAMINVALID, "metadata["+k+"]", "Invalid metadata[%s]: metadata values must be strings.", k)
			}
		}
		if err := docsapi.ValidateMetadataPair(k, v); err != nil {
			return field[map[string]*string]{}, err
		}
		if v == "" {
			m[k] = nil
		} else {
			m[k] = &v
		}
	}
	// Removals don't count: the merged result is checked again when stored.
	set := 0
	for _, v := range m {
		if v != nil {
			set++
		}
	}
	if set > docsapi.MaxMetadataPairs {
		return field[map[string]*string]{}, docsapi.ParamErrorf(docsapi.EPARAMINVALID, "metadata", "Metadata can have at most %d keys; it has %d.", docsapi.MaxMetadataPairs, set)
	}
	return field[map[string]*string]{set: true, value: m}, nil
}

// checkReadBody refuses a non-JSON body on a read; a JSON one is ignored.
func checkReadBody(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength == 0 { // the usual GET: nothing to read
		return nil
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return docsapi.Errorf(docsapi.EPARAMINVALID, "The request body could not be read or is larger than %d bytes.", MaxBodyBytes)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return docsapi.ParamErrorf(docsapi.EPARAMINVALID, "Content-Type", "Send the request body as JSON with 'Content-Type: application/json'.")
	}
	return nil
}
