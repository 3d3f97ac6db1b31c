package main

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// publicURL returns DOCSAPI_PUBLIC_URL without its trailing slash, or "" when
// unset. It must be an absolute http(s) URL, since error objects' doc_url
// links are built from it.
func publicURL() (string, error) {
	v := os.Getenv("DOCSAPI_PUBLIC_URL")
	if v == "" {
		return "", nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		// Quoted without a password it may hold, and not at all when it
		// does not parse, as the password could not be told apart then.
		shown := "it"
		if err == nil {
			shown = strconv.Quote(u.Redacted())
		}
		return "", fmt.Errorf("DOCSAPI_PUBLIC_URL: %s is not an absolute http(s) URL such as https://api.example.com, without user, query or fragment", shown)
	}
	return strings.TrimSuffix(v, "/"), nil
}
