package docsapi_test

import (
	"strings"
	"testing"

	"github.com/docsapi/docsapi"
)

// TestIssue: an issued key belongs to the account, has a new id and a
// valid secret of which only the hash and the display prefix are kept.
func TestIssue(t *testing.T) {
	var a, b docsapi.APIKey
	secretA, secretB := a.Issue("acct_1"), b.Issue("acct_1")
	if !docsapi.ValidSecret(secretA) || secretA == secretB {
		t.Fatalf("secrets %q, %q: want two different valid secrets", secretA, secretB)
	}
	if a.AccountID != "acct_1" || !strings.HasPrefix(a.ID, docsapi.PrefixAPIKey) || a.ID == b.ID || a.CreatedAt.IsZero() {
		t.Errorf("issued key %+v", a)
	}
	if a.Hash != docsapi.HashSecret(secretA) || !strings.HasPrefix(secretA, a.Prefix) || len(a.Prefix) >= len(secretA) {
		t.Errorf("hash %q, prefix %q of secret %q", a.Hash, a.Prefix, secretA)
	}
}
