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
	fillBase62(out)
	return string(out)
}

// fillBase62 fills out with characters drawn uniformly from crypto/rand.
func fillBase62(out []byte) {
	n := len(out)
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

// NewID returns a new object id with the given prefix: 24 base62
// characters, 8 of time and 16 random (95 bits).
func NewID(prefix string) string { return prefix + timeOrdered(24) }

// NewRequestID returns a new request id: "req_" and 20 base62 characters,
// 8 of time and 12 random (71 bits).
func NewRequestID() string { return PrefixRequest + timeOrdered(20) }

// timeOrdered returns n base62 characters: the current Unix time in
// milliseconds in 8 digits (they last until the year 8888), then random ones.
// A new row's id then lands at the end of its unique index rather than on a
// random page of it; with random ids nearly every insert rewrote a page of
// its own, and the request log's inserts got slower as the table grew. The
// random part keeps ids unguessable; the time in them is no secret, since
// created_at says it too.
func timeOrdered(n int) string {
	out := make([]byte, n)
	ms := uint64(time.Now().UnixMilli())
	for i := 7; i >= 0; i-- {
		out[i] = base62[ms%62]
		ms /= 62
	}
	fillBase62(out[8:])
	return string(out)
}

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
