package docsapi

import (
	"crypto/rand"
	"strings"
	"time"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// RandomBase62 returns n characters drawn uniformly from crypto/rand.
func RandomBase62(n int) string {
	out := make([]byte, n)
	buf := make([]byte, n+n/2)
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			// crypto/rand never fails on supported platforms; see its docs.
			panic(err)
		}
		for _, b := range buf {
			// 248 = 4*62: rejecting the rest keeps the draw uniform.
			if b >= 248 {
				continue
			}
			out[i] = base62[b%62]
			i++
			if i == n {
				break
			}
		}
	}
	return string(out)
}

// IsBase62 reports whether s consists only of base62 characters.
func IsBase62(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// ID prefixes of the API's objects.
const (
	PrefixAccount  = "acct_"
	PrefixAPIKey   = "key_"
	PrefixResource = "res_"
	PrefixRequest  = "req_"
)

// NewID returns a new object id with the given prefix.
func NewID(prefix string) string { return prefix + RandomBase62(24) }

// NewRequestID returns a new request id: "req_" and 20 base62 characters.
func NewRequestID() string { return PrefixRequest + RandomBase62(20) }

// Now is the clock of the domain, truncated to microseconds so that what is
// stored equals what is returned on every engine.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// WellFormedID reports whether id has the shape of an object id: a lowercase
// prefix, "_", then base62. Others cannot name an object, so they are
// answered without asking the store, which might choke on their bytes.
func WellFormedID(id string) bool {
	prefix, rest, ok := strings.Cut(id, "_")
	if !ok || prefix == "" || rest == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if prefix[i] < 'a' || prefix[i] > 'z' {
			return false
		}
	}
	return IsBase62(rest)
}
