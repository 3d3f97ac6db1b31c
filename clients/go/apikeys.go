package docsapi

import (
	"context"
	"iter"
	"net/url"
	"time"
)

// APIKey is a secret key of an account. Only the key returned by Create
// carries its Secret.
type APIKey struct {
	lastResponse
	ID        string   `json:"id"`
	Object    string   `json:"object"`
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	RateLimit int      `json:"rate_limit"`
	// Prefix is the start of the secret, to tell keys apart.
	Prefix string `json:"prefix"`
	// Secret is shown once, in the response of Create; store it then. It
	// is empty when Create's answer was a replay (a retry whose first
	// answer was lost): the server never stores it, so revoke that key.
	Secret     string     `json:"secret,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// APIKeyCreateParams are the fields of a new key.
type APIKeyCreateParams struct {
	Name string `json:"name"`
	// Scopes are among "resources:read", "resources:write", "keys:read",
	// "keys:write", "logs:read" and "*"; the creating key must hold them.
	Scopes []string `json:"scopes"`
	// RateLimit is requests per second, 1 to 100000; 0 means the default.
	RateLimit int `json:"rate_limit,omitempty"`
}

// APIKeysService is reached as Client.APIKeys.
type APIKeysService struct{ c *Client }

// Create makes a key; the returned APIKey holds its Secret.
func (s *APIKeysService) Create(ctx context.Context, params *APIKeyCreateParams, opts ...RequestOption) (*APIKey, error) {
	if params == nil {
		params = &APIKeyCreateParams{}
	}
	var k APIKey
	if err := s.c.do(ctx, "POST", "/v1/api_keys", nil, params, &k, opts); err != nil {
		return nil, err
	}
	return &k, nil
}

// Retrieve reads the key with the given id.
func (s *APIKeysService) Retrieve(ctx context.Context, id string, opts ...RequestOption) (*APIKey, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	var k APIKey
	if err := s.c.do(ctx, "GET", "/v1/api_keys/"+url.PathEscape(id), nil, nil, &k, opts); err != nil {
		return nil, err
	}
	return &k, nil
}

// Delete revokes the key with the given id and returns it with RevokedAt set.
func (s *APIKeysService) Delete(ctx context.Context, id string, opts ...RequestOption) (*APIKey, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	var k APIKey
	if err := s.c.do(ctx, "DELETE", "/v1/api_keys/"+url.PathEscape(id), nil, nil, &k, opts); err != nil {
		return nil, err
	}
	return &k, nil
}

// List reads one page of keys, newest first. params may be nil.
func (s *APIKeysService) List(ctx context.Context, params *ListParams, opts ...RequestOption) (*List[APIKey], error) {
	var l List[APIKey]
	if err := s.c.do(ctx, "GET", "/v1/api_keys", params.query(), nil, &l, opts); err != nil {
		return nil, err
	}
	return &l, nil
}

// All yields every key from params on, reading page after page as the loop
// goes. An error ends the loop.
func (s *APIKeysService) All(ctx context.Context, params *ListParams, opts ...RequestOption) iter.Seq2[*APIKey, error] {
	fetch := func(ctx context.Context, p *ListParams) (*List[APIKey], error) { return s.List(ctx, p, opts...) }
	return all(ctx, params, fetch, func(k *APIKey) string { return k.ID })
}
