// Package storetest is the one test suite that every storage engine runs,
// so that SQLite and PostgreSQL behave the same.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
)

// Run runs the suite; open returns an engine's services over a new empty
// database that it removes when the test ends.
func Run(t *testing.T, open func(t *testing.T) docsapi.Services) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s docsapi.Services)
	}{
		{"Accounts", testAccounts},
		{"FirstAccount", testFirstAccount},
		{"APIKeys", testAPIKeys},
		{"Resources", testResources},
		{"ResourcePages", testResourcePages},
		{"RequestLogs", testRequestLogs},
		{"RequestLogBatch", testRequestLogBatch},
		{"RequestLogFields", testRequestLogFields},
		{"RequestLogFilters", testRequestLogFilters},
		{"RequestLogTimePages", testRequestLogTimePages},
		{"RequestLogTail", testRequestLogTail},
		{"RequestLogTimeline", testRequestLogTimeline},
		{"ErrorGroups", testErrorGroups},
		{"KeyUsage", testKeyUsage},
		{"Sessions", testSessions},
		{"IdempotencyReplay", testIdempotencyReplay},
		{"IdempotencyRollback", testIdempotencyRollback},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := docsapi.ErrorCode(err); got != code {
		t.Fatalf("error %v has code %q, want %q", err, got, code)
	}
}

func newAccount(t *testing.T, s docsapi.Services) (*docsapi.Account, *docsapi.APIKey, string) {
	t.Helper()
	a, k, secret, err := s.Accounts.CreateAccount(context.Background(), "acme", "")
	if err != nil {
		t.Fatal(err)
	}
	return a, k, secret
}

func testAccounts(t *testing.T, s docsapi.Services) {
	ctx := context.Background()
	if n, err := s.Accounts.CountAccounts(ctx); err != nil || n != 0 {
		t.Fatalf("count = %d, %v", n, err)
	}
	secret := docsapi.NewSecret()
	a, k, got, err := s.Accounts.CreateAccount(ctx, "acme", secret)
	if err != nil || got != secret || k.Hash != docsapi.HashSecret(secret) || k.AccountID != a.ID || !k.HasScope("anything") {
		t.Fatalf("create: %v %+v %q", err, k, got)
	}
	_, _, _, err = s.Accounts.CreateAccount(ctx, "bad", "sk_live_short")
	wantCode(t, err, docsapi.EPARAMINVALID)
	found, err := s.Accounts.FindAccountByID(ctx, a.ID)
	if err != nil || found.Name != "acme" || !found.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("find: %+v %v", found, err)
	}
	_, err = s.Accounts.FindAccountByID(ctx, "acct_nope")
	wantCode(t, err, docsapi.ENOTFOUND)
	if n, _ := s.Accounts.CountAccounts(ctx); n != 1 {
		t.Fatalf("count = %d", n)
	}
	b, _, _, err := s.Accounts.CreateAccount(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.Accounts.ListAccounts(ctx)
	if err != nil || len(all) != 2 || all[0].ID != a.ID || all[1].ID != b.ID || all[1].Name != "Default" || !all[0].CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("list: %v, oldest first want %s then %s (Default): %+v", err, a.ID, b.ID, all)
	}
}

func testAPIKeys(t *testing.T, s docsapi.Services) {
	ctx := context.Background()
	a, root, rootSecret := newAccount(t, s)
	other, _, _ := newAccount(t, s)
	k, err := s.APIKeys.FindAPIKeyByHash(ctx, docsapi.HashSecret(rootSecret))
	if err != nil || k.ID != root.ID || k.Hash == rootSecret || k.Prefix != rootSecret[:12] {
		t.Fatalf("by hash: %+v %v", k, err)
	}
	_, err = s.APIKeys.FindAPIKeyByHash(ctx, docsapi.HashSecret(docsapi.NewSecret()))
	wantCode(t, err, docsapi.ENOTFOUND)

	nk := &docsapi.APIKey{ID: docsapi.NewID(docsapi.PrefixAPIKey), AccountID: a.ID, Name: "ci",
		Scopes: []string{docsapi.ScopeResourcesRead, docsapi.ScopeLogsRead}, RateLimit: 5, CreatedAt: docsapi.Now()}
	nk.SetSecret(docsapi.NewSecret())
	if err := s.APIKeys.CreateAPIKey(ctx, nk); err != nil {
		t.Fatal(err)
	}
	got, err := s.APIKeys.FindAPIKeyByID(ctx, a.ID, nk.ID)
	if err != nil || fmt.Sprint(got.Scopes) != fmt.Sprint(nk.Scopes) || got.RateLimit != 5 || got.LastUsedAt != nil || got.RevokedAt != nil {
		t.Fatalf("by id: %+v %v", got, err)
	}
	_, err = s.APIKeys.FindAPIKeyByID(ctx, other.ID, nk.ID)
	wantCode(t, err, docsapi.ENOTFOUND)

	keys, more, err := s.APIKeys.FindAPIKeys(ctx, a.ID, docsapi.ListParams{Limit: 10})
	if err != nil || more || len(keys) != 2 || keys[0].ID != nk.ID {
		t.Fatalf("list: %d keys, more=%v, %v", len(keys), more, err)
	}

	used := docsapi.Now()
	if err := s.APIKeys.TouchAPIKey(ctx, nk.ID, used); err != nil {
		t.Fatal(err)
	}
	rev, err := s.APIKeys.RevokeAPIKey(ctx, a.ID, nk.ID)
	if err != nil || rev.RevokedAt == nil || rev.LastUsedAt == nil || !rev.LastUsedAt.Equal(used) {
		t.Fatalf("revoke: %+v %v", rev, err)
	}
	again, err := s.APIKeys.RevokeAPIKey(ctx, a.ID, nk.ID)
	if err != nil || !again.RevokedAt.Equal(*rev.RevokedAt) {
		t.Fatalf("second revoke: %+v %v", again, err)
	}
	_, err = s.APIKeys.RevokeAPIKey(ctx, other.ID, nk.ID)
	wantCode(t, err, docsapi.ENOTFOUND)
}

func testResources(t *testing.T, s docsapi.Services) {
	ctx := context.Background()
	a, _, _ := newAccount(t, s)
	other, _, _ := newAccount(t, s)
	desc := "d"
	now := docsapi.Now()
	r := &docsapi.Resource{ID: docsapi.NewID(docsapi.PrefixResource), AccountID: a.ID, Name: "n", Description: &desc,
		Metadata: map[string]string{"a": "1"}, CreatedAt: now, UpdatedAt: now}
	if err := s.Resources.CreateResource(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.Resources.FindResourceByID(ctx, a.ID, r.ID)
	if err != nil || got.Name != "n" || *got.Description != "d" || got.Metadata["a"] != "1" || !got.CreatedAt.Equal(now) {
		t.Fatalf("find: %+v %v", got, err)
	}
	_, err = s.Resources.FindResourceByID(ctx, other.ID, r.ID)
	wantCode(t, err, docsapi.ENOTFOUND)

	name, two := "m", "2"
	upd, err := s.Resources.UpdateResource(ctx, a.ID, r.ID, docsapi.ResourceUpdate{
		Name: &name, SetDescription: true, Metadata: map[string]*string{"a": nil, "b": &two}})
	if err != nil || upd.Name != "m" || upd.Description != nil || fmt.Sprint(upd.Metadata) != "map[b:2]" || upd.UpdatedAt.Before(now) {
		t.Fatalf("update: %+v %v", upd, err)
	}
	_, err = s.Resources.UpdateResource(ctx, other.ID, r.ID, docsapi.ResourceUpdate{Name: &name})
	wantCode(t, err, docsapi.ENOTFOUND)
	too := map[string]*string{}
	for i := 0; i < docsapi.MaxMetadataPairs; i++ {
		too[fmt.Sprint(i)] = &two
	}
	_, err = s.Resources.UpdateResource(ctx, a.ID, r.ID, docsapi.ResourceUpdate{Metadata: too})
	wantCode(t, err, docsapi.EPARAMINVALID)

	wantCode(t, s.Resources.DeleteResource(ctx, other.ID, r.ID), docsapi.ENOTFOUND)
	if err := s.Resources.DeleteResource(ctx, a.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.Resources.DeleteResource(ctx, a.ID, r.ID), docsapi.ENOTFOUND)
	_, err = s.Resources.FindResourceByID(ctx, a.ID, r.ID)
	wantCode(t, err, docsapi.ENOTFOUND)
}

func testResourcePages(t *testing.T, s docsapi.Services) {
	ctx := context.Background()
	a, _, _ := newAccount(t, s)
	now := docsapi.Now() // one timestamp for all: order must not rely on it
	var ids []string
	for i := 0; i < 7; i++ {
		r := &docsapi.Resource{ID: docsapi.NewID(docsapi.PrefixResource), AccountID: a.ID, Name: fmt.Sprint(i), CreatedAt: now, UpdatedAt: now}
		if err := s.Resources.CreateResource(ctx, r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	names := func(rs []*docsapi.Resource) string {
		out := ""
		for _, r := range rs {
			out += r.Name
		}
		return out
	}
	tests := []struct {
		p    docsapi.ListParams
		want string
		more bool
	}{
		{docsapi.ListParams{Limit: 3}, "654", true},
		{docsapi.ListParams{Limit: 3, StartingAfter: ids[4]}, "321", true},
		{docsapi.ListParams{Limit: 3, StartingAfter: ids[1]}, "0", false},
		{docsapi.ListParams{Limit: 2, EndingBefore: ids[2]}, "43", true},
		{docsapi.ListParams{Limit: 5, EndingBefore: ids[4]}, "65", false},
	}
	for _, tt := range tests {
		got, more, err := s.Resources.FindResources(ctx, a.ID, tt.p)
		if err != nil || names(got) != tt.want || more != tt.more {
			t.Errorf("%+v: %q more=%v %v, want %q more=%v", tt.p, names(got), more, err, tt.want, tt.more)
		}
	}
	_, _, err := s.Resources.FindResources(ctx, a.ID, docsapi.ListParams{Limit: 3, StartingAfter: "res_nope"})
	wantCode(t, err, docsapi.EPARAMINVALID)
	other, _, _ := newAccount(t, s)
	_, _, err = s.Resources.FindResources(ctx, other.ID, docsapi.ListParams{Limit: 3, EndingBefore: ids[0]})
	wantCode(t, err, docsapi.EPARAMINVALID)
}

func testRequestLogs(t *testing.T, s docsapi.Services) {
	ctx := context.Background()
	a, k, _ := newAccount(t, s)
	base := docsapi.Now().Add(-time.Hour)
	var logs []*docsapi.RequestLog
	// 499, the client gone, is a failure without an error code.
	for i, st := range []int{200, 201, 400, 404, 500, 429, 499} {
		code := ""
		if st >= 400 {
			code = map[int]string{400: docsapi.EPARAMMISSING, 404: docsapi.ENOTFOUND, 500: docsapi.EINTERNAL, 429: docsapi.ERATELIMITED}[st]
		}
		logs = append(logs, &docsapi.RequestLog{ID: docsapi.NewRequestID(), AccountID: a.ID, Method: "GET", Path: "/v1/resources",
			Route: map[bool]string{true: "GET /v1/resources/{id}", false: "GET /v1/resources"}[st == 404 || st == 200], Status: st, ErrorCode: code, APIKeyID: k.ID, IdempotencyKey: map[bool]string{true: "ik"}[i == 1],
			IdempotentReplayed: i == 1, Duration: 2100 * time.Microsecond, CreatedAt: base.Add(time.Duration(i) * time.Minute)})
	}
	if err := s.RequestLogs.CreateRequestLogs(ctx, logs); err != nil {
		t.Fatal(err)
	}
	got, err := s.RequestLogs.FindRequestLogByID(ctx, a.ID, logs[1].ID)
	if err != nil || got.Status != 201 || got.IdempotencyKey != "ik" || !got.IdempotentReplayed || got.Duration != 2100*time.Microsecond ||
		!got.CreatedAt.Equal(logs[1].CreatedAt) || got.ErrorCode != "" {
		t.Fatalf("find: %+v %v", got, err)
	}
	other, _, _ := newAccount(t, s)
	_, err = s.RequestLogs.FindRequestLogByID(ctx, other.ID, logs[1].ID)
	wantCode(t, err, docsapi.ENOTFOUND)

	filters := []struct {
		f    docsapi.RequestLogFilter
		want string
	}{
		{docsapi.RequestLogFilter{}, "[499 429 500 404 400 201 200]"},
		{docsapi.RequestLogFilter{StatusClass: 4}, "[499 429 404 400]"},
		{docsapi.RequestLogFilter{StatusClass: 2}, "[201 200]"},
		{docsapi.RequestLogFilter{Status: 404}, "[404]"},
		{docsapi.RequestLogFilter{Status: 499}, "[499]"},
		{docsapi.RequestLogFilter{ErrorCode: docsapi.EINTERNAL}, "[500]"},
		{docsapi.RequestLogFilter{Route: "GET /v1/resources/{id}"}, "[404 200]"},
		{docsapi.RequestLogFilter{Route: "GET /v1/resources/{id}", ErrorCode: docsapi.ENOTFOUND}, "[404]"},
		{docsapi.RequestLogFilter{Route: "POST /v1/resources"}, "[]"},
	}
	for _, tt := range filters {
		page, _, err := s.RequestLogs.FindRequestLogs(ctx, a.ID, tt.f, docsapi.ListParams{Limit: 10})
		var st []int
		for _, l := range page {
			st = append(st, l.Status)
		}
		if err != nil || fmt.Sprint(st) != tt.want {
			t.Errorf("%+v: %v %v, want %s", tt.f, st, err, tt.want)
		}
	}
	page, more, err := s.RequestLogs.FindRequestLogs(ctx, a.ID, docsapi.RequestLogFilter{StatusClass: 4},
		docsapi.ListParams{Limit: 1, StartingAfter: logs[4].ID})
	if err != nil || len(page) != 1 || page[0].Status != 404 || !more {
		t.Errorf("filtered page after the 500: %v more=%v %v", page, more, err)
	}
	n, err := s.RequestLogs.PurgeRequestLogs(ctx, base.Add(150*time.Second))
	if err != nil || n != 3 {
		t.Fatalf("purged %d, %v", n, err)
	}
	_, err = s.RequestLogs.FindRequestLogByID(ctx, a.ID, logs[0].ID)
	wantCode(t, err, docsapi.ENOTFOUND)
}

// testRequestLogBatch stores a batch larger than one statement may carry,
// with an entry given twice: every entry is stored once, in the batch's
// order.
func testRequestLogBatch(t *testing.T, s docsapi.Services) {
	ctx := context.Background()
	a, k, _ := newAccount(t, s)
	base := docsapi.Now().Add(-time.Hour)
	var logs []*docsapi.RequestLog
	for i := range 250 {
		logs = append(logs, &docsapi.RequestLog{ID: docsapi.NewRequestID(), AccountID: a.ID, Method: "GET", Path: "/v1/resources",
			Status: 200 + i, APIKeyID: k.ID, Source: docsapi.SourceAPI, CreatedAt: base})
	}
	if err := s.RequestLogs.CreateRequestLogs(ctx, append(logs, logs[7])); err != nil {
		t.Fatal(err)
	}
	var got []*docsapi.RequestLog
	for p := (docsapi.ListParams{Limit: 100}); ; {
		page, more, err := s.RequestLogs.FindRequestLogs(ctx, a.ID, docsapi.RequestLogFilter{}, p)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
		if !more {
			break
		}
		p.StartingAfter = page[len(page)-1].ID
	}
	if len(got) != len(logs) {
		t.Fatalf("stored %d entries, want %d", len(got), len(logs))
	}
	for i, l := range got {
		if want := logs[len(logs)-1-i]; l.ID != want.ID || l.Status != want.Status {
			t.Fatalf("entry %d is %s (%d), want %s (%d)", i, l.ID, l.Status, want.ID, want.Status)
		}
	}
}

func testIdempotencyReplay(t *testing.T, s docsapi.Services) {
	ctx := context.Background()
	a, _, _ := newAccount(t, s)
	claim, stored, err := s.Idempotency.Begin(ctx, a.ID, "k", "fp", "req_first00001")
	if err != nil || claim == nil || stored != nil {
		t.Fatalf("begin: %v %v %v", claim, stored, err)
	}
	// Duplicates in flight: where the claim commits in Begin (PostgreSQL)
	// they are told to wait or that the key is taken; where it commits with
	// the work (SQLite) they get a claim too, and their Complete decides.
	dup, _, err := s.Idempotency.Begin(ctx, a.ID, "k", "fp", "req_second0001")
	if dup == nil && !errors.Is(err, docsapi.ErrIdempotencyInProgress) {
		t.Fatalf("duplicate in flight: %v %v", dup, err)
	}
	other, _, err := s.Idempotency.Begin(ctx, a.ID, "k", "other", "req_other00001")
	if other == nil {
		wantCode(t, err, docsapi.ECONFLICT)
	}

	var created *docsapi.Resource
	resp, replayed, err := s.Idempotency.Complete(ctx, claim, func(ctx context.Context) (*docsapi.StoredResponse, error) {
		now := docsapi.Now()
		created = &docsapi.Resource{ID: docsapi.NewID(docsapi.PrefixResource), AccountID: a.ID, Name: "x", CreatedAt: now, UpdatedAt: now}
		// Reads inside the work see its own writes.
		if err := s.Resources.CreateResource(ctx, created); err != nil {
			return nil, err
		}
		if _, err := s.Resources.FindResourceByID(ctx, a.ID, created.ID); err != nil {
			return nil, err
		}
		return &docsapi.StoredResponse{Status: 201, Body: []byte(`{"id":"` + created.ID + `"}`), RequestID: "req_first00001"}, nil
	})
	if err != nil || replayed || resp.Status != 201 {
		t.Fatalf("complete: %v %v %v", resp, replayed, err)
	}
	wantReplay := func(stored *docsapi.StoredResponse) {
		t.Helper()
		if stored == nil || stored.Status != 201 || string(stored.Body) != `{"id":"`+created.ID+`"}` || stored.RequestID != "req_first00001" {
			t.Fatalf("replay: %+v", stored)
		}
	}
	noWork := func(ctx context.Context) (*docsapi.StoredResponse, error) {
		t.Error("a duplicate ran the work again")
		return &docsapi.StoredResponse{Status: 201}, nil
	}
	if dup != nil {
		stored, replayed, err := s.Idempotency.Complete(ctx, dup, noWork)
		if err != nil || !replayed {
			t.Fatalf("duplicate's complete: %v %v", replayed, err)
		}
		wantReplay(stored)
	}
	if other != nil {
		_, _, err := s.Idempotency.Complete(ctx, other, noWork)
		wantCode(t, err, docsapi.ECONFLICT)
	}
	stored, err = Later(t, s, a.ID, "k", "fp", "req_third00001", noWork)
	if err != nil {
		t.Fatal(err)
	}
	wantReplay(stored)
	_, err = Later(t, s, a.ID, "k", "other", "req_other00002", noWork)
	wantCode(t, err, docsapi.ECONFLICT)
	// Keys are per account.
	b, _, _ := newAccount(t, s)
	c, _, err := s.Idempotency.Begin(ctx, b.ID, "k", "other", "req_x000000001")
	if err != nil || c == nil {
		t.Fatalf("other account: %v %v", c, err)
	}
	if _, _, err := s.Idempotency.Complete(ctx, c, func(ctx context.Context) (*docsapi.StoredResponse, error) {
		return &docsapi.StoredResponse{Status: 200, Body: []byte(`{}`), RequestID: "req_x000000001"}, nil
	}); err != nil {
		t.Fatal(err)
	}
	// Old records are purged.
	if n, err := s.Idempotency.PurgeIdempotencyRecords(ctx, time.Now().Add(time.Minute)); err != nil || n != 2 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if c, _, err := s.Idempotency.Begin(ctx, a.ID, "k", "new", "req_x000000002"); err != nil || c == nil {
		t.Fatalf("after purge: %v %v", c, err)
	}
}

// Later runs a request for a key whose first request finished: Begin, then
// Complete if Begin handed out a claim, which must not run fn. It returns
// what the request is answered: the stored response, or an error.
func Later(t *testing.T, s docsapi.Services, accountID, key, fingerprint, requestID string, fn func(context.Context) (*docsapi.StoredResponse, error)) (*docsapi.StoredResponse, error) {
	t.Helper()
	ctx := context.Background()
	claim, stored, err := s.Idempotency.Begin(ctx, accountID, key, fingerprint, requestID)
	if claim == nil {
		return stored, err
	}
	resp, replayed, err := s.Idempotency.Complete(ctx, claim, fn)
	if err == nil && !replayed {
		t.Fatalf("Complete of %s: not replayed: %+v", requestID, resp)
	}
	return resp, err
}

// testIdempotencyRollback checks that a failed work commits nothing and
// frees the key for a retry.
func testIdempotencyRollback(t *testing.T, s docsapi.Services) {
	ctx := context.Background()
	a, _, _ := newAccount(t, s)
	for _, fail := range []string{"500", "error"} {
		t.Run(fail, func(t *testing.T) {
			key := "rollback-" + fail
			claim, _, err := s.Idempotency.Begin(ctx, a.ID, key, "fp", "req_a000000001")
			if err != nil {
				t.Fatal(err)
			}
			id := docsapi.NewID(docsapi.PrefixResource)
			resp, _, err := s.Idempotency.Complete(ctx, claim, func(ctx context.Context) (*docsapi.StoredResponse, error) {
				now := docsapi.Now()
				if err := s.Resources.CreateResource(ctx, &docsapi.Resource{ID: id, AccountID: a.ID, Name: "x", CreatedAt: now, UpdatedAt: now}); err != nil {
					return nil, err
				}
				if fail == "error" {
					return nil, errors.New("boom")
				}
				return &docsapi.StoredResponse{Status: 500, Body: []byte(`{}`), RequestID: "req_a000000001"}, nil
			})
			if fail == "500" && (err != nil || resp.Status != 500) || fail == "error" && err == nil {
				t.Fatalf("complete: %v %v", resp, err)
			}
			_, err = s.Resources.FindResourceByID(ctx, a.ID, id)
			wantCode(t, err, docsapi.ENOTFOUND)
			if c, st, err := s.Idempotency.Begin(ctx, a.ID, key, "fp", "req_b000000001"); err != nil || c == nil || st != nil {
				t.Fatalf("retry after failure: %v %v %v", c, st, err)
			}
		})
	}
}

// testFirstAccount starts several "servers" at once on an empty store:
// exactly one first account is created.
func testFirstAccount(t *testing.T, s docsapi.Services) {
	ctx := context.Background()
	secret := docsapi.NewSecret()
	created := make(chan *docsapi.Account, 4)
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			a, _, _, err := s.Accounts.CreateFirstAccount(ctx, "first", secret)
			created <- a
			errs <- err
		}()
	}
	n := 0
	for i := 0; i < 4; i++ {
		if a := <-created; a != nil {
			n++
		}
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if count, _ := s.Accounts.CountAccounts(ctx); n != 1 || count != 1 {
		t.Fatalf("%d created, %d accounts; want 1 and 1", n, count)
	}
	if _, _, _, err := s.Accounts.CreateFirstAccount(ctx, "x", "sk_live_bad"); err != nil {
		t.Fatalf("with accounts present the secret is not even looked at: %v", err)
	}
}
