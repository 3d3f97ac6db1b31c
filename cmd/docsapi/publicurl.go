package main

import (
	"fmt"
	"net/url"
	"os"
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
		return "", fmt.Errorf("DOCSAPI_PUBLIC_URL: %q is not an absolute http(s) URL such as https://api.example.com", v)
	}
	return strings.TrimSuffix(v, "/"), nil
}
