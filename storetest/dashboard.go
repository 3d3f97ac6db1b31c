package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
)

// logAt returns an entry of the account's key at t; fill sets the rest.
func logAt(a *docsapi.Account, k *docsapi.APIKey, t time.Time, status int, fill func(l *docsapi.RequestLog)) *docsapi.RequestLog {
	l := &docsapi.RequestLog{ID: docsapi.NewRequestID(), AccountID: a.ID, Method: "GET", Path: "/v1/resources",
		Route: "GET /v1/resources", Status: status, APIKeyID: k.ID, Duration: time.Millisecond,
		Source: docsapi.SourceAPI, CreatedAt: t}
	if status >= 400 {
		l.ErrorCode = map[int]string{400: docsapi.EPARAMMISSING, 404: docsapi.ENOTFOUND, 429: docsapi.ERATELIMITED}[status]
		if l.ErrorCode == "" {
			l.ErrorCode = docsapi.EINTERNAL
		}
	}
	if fill != nil {
		fill(l)
	}
	return l
}

func createLogs(t *testing.T, s docsapi.Services, logs ...*docsapi.RequestLog) {
	t.Helper()
	if err := s.RequestLogs.CreateRequestLogs(context.Background(), logs); err != nil {
		t.Fatal(err)
	}
}

func logIDs(logs []*docsapi.RequestLog) string {
	var ids []string
	for _, l := range logs {
		ids = append(ids, l.ID)
	}
	return strings.Join(ids, " ")
}

// testRequestLogFields: every field of an entry comes back as stored.
func testRequestLogFields(t *testing.T, s docsapi.Services) {
	ctx := context.Background()
	a, k, _ := newAccount(t, s)
	want := logAt(a, k, docsapi.Now(), 400, func(l *docsapi.RequestLog) {
		l.Method, l.Path, l.Route = "POST", "/v1/resources", "POST /v1/resources"
		l.ErrorMessage, l.ErrorParam = "Missing required parameter: name.", "name"
		l.IdempotencyKey, l.IP, l.UserAgent, l.Source = "ik-1", "2001:db8::1", "curl/8.5 ☃", docsapi.SourceDashboard
		l.Duration = 1234 * time.Microsecond
	})
	bare := logAt(a, k, docsapi.Now(), 200, nil) // no error, IP or User-Agent
	createLogs(t, s, want, bare)
	got, err := s.RequestLogs.FindRequestLogByID(ctx, a.ID, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *want) {
		t.Errorf("got  %+v\nwant %+v", *got, *want)
	}
	got, err = s.RequestLogs.FindRequestLogByID(ctx, a.ID, bare.ID)
	if err != nil || got.ErrorCode != "" || got.ErrorMessage != "" || got.ErrorParam != "" || got.IP != "" || got.UserAgent != "" ||
		got.Source != docsapi.SourceAPI {
		t.Errorf("bare entry: %+v %v", got, err)
	}
}

func testRequestLogFilters(t *testing.T, s docsapi.Services) {
	ctx := context.Background()
	a, k, _ := newAccount(t, s)
	k2 := &docsapi.APIKey{ID: docsapi.NewID(docsapi.PrefixAPIKey), AccountID: a.ID, Name: "k2", Scopes: []string{docsapi.ScopeAll}, RateLimit: 1, CreatedAt: docsapi.Now()}
	k2.SetSecret(docsapi.NewSecret())
	if err := s.APIKeys.CreateAPIKey(ctx, k2); err != nil {
		t.Fatal(err)
	}
	other, ok, _ := newAccount(t, s)
	base := docsapi.Now().Add(-time.Hour)
	at := func(min int) time.Time { return base.Add(time.Duration(min) * time.Minute) }
	logs := []*docsapi.RequestLog{
		logAt(a, k, at(0), 200, nil),
		logAt(a, k, at(1), 400, func(l *docsapi.RequestLog) { l.Method, l.Path = "POST", "/v1/resources" }),
		logAt(a, k2, at(2), 404, func(l *docsapi.RequestLog) { l.Path = "/v1/resources/res_x" }),
		logAt(a, k2, at(3), 200, func(l *docsapi.RequestLog) { l.Method, l.Path = "DELETE", "/v1/resources/res_x" }),
		logAt(a, k, at(4), 429, nil),
		logAt(other, ok, at(2), 404, func(l *docsapi.RequestLog) { l.Path = "/v1/resources/res_x" }),
		logAt(a, k, at(5), 200, func(l *docsapi.RequestLog) { l.Path, l.Source = "/dashboard/logs", docsapi.SourceDashboard }),
	}
	createLogs(t, s, logs...)
	tests := []struct {
		name string
		f    docsapi.RequestLogFilter
		want []int // indexes into logs, newest first
	}{
		{"all", docsapi.RequestLogFilter{}, []int{6, 4, 3, 2, 1, 0}},
		{"the API's", docsapi.RequestLogFilter{Source: docsapi.SourceAPI}, []int{4, 3, 2, 1, 0}},
		{"the Dashboard's", docsapi.RequestLogFilter{Source: docsapi.SourceDashboard}, []int{6}},
		{"the Dashboard's 2xx", docsapi.RequestLogFilter{Source: docsapi.SourceDashboard, StatusClass: 2}, []int{6}},
		{"method", docsapi.RequestLogFilter{Method: "POST"}, []int{1}},
		{"method none", docsapi.RequestLogFilter{Method: "PATCH"}, nil},
		{"path", docsapi.RequestLogFilter{Path: "/v1/resources/res_x"}, []int{3, 2}},
		{"path is exact", docsapi.RequestLogFilter{Path: "/v1/resources/res"}, nil},
		{"key", docsapi.RequestLogFilter{APIKeyID: k2.ID}, []int{3, 2}},
		{"another account's key", docsapi.RequestLogFilter{APIKeyID: ok.ID}, nil},
		{"since", docsapi.RequestLogFilter{Since: at(3)}, []int{6, 4, 3}},
		{"until", docsapi.RequestLogFilter{Until: at(1)}, []int{0}},
		{"range", docsapi.RequestLogFilter{Since: at(1), Until: at(4)}, []int{3, 2, 1}},
		{"empty range", docsapi.RequestLogFilter{Since: at(4), Until: at(4)}, nil},
		{"combined", docsapi.RequestLogFilter{StatusClass: 4, APIKeyID: k.ID, Since: at(1)}, []int{4, 1}},
		{"combined with method", docsapi.RequestLogFilter{StatusClass: 2, Method: "DELETE", Path: "/v1/resources/res_x"}, []int{3}},
		{"code and key", docsapi.RequestLogFilter{ErrorCode: docsapi.ENOTFOUND, APIKeyID: k.ID}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []*docsapi.RequestLog
			for _, i := range tt.want {
				want = append(want, logs[i])
			}
			got, more, err := s.RequestLogs.FindRequestLogs(ctx, a.ID, tt.f, docsapi.ListParams{Limit: 10})
			if err != nil || more || logIDs(got) != logIDs(want) {
				t.Errorf("got %q more=%v %v, want %q", logIDs(got), more, err, logIDs(want))
			}
		})
	}
	// Filters and cursors combine.
	got, more, err := s.RequestLogs.FindRequestLogs(ctx, a.ID, docsapi.RequestLogFilter{APIKeyID: k.ID},
		docsapi.ListParams{Limit: 1, StartingAfter: logs[4].ID})
	if err != nil || !more || logIDs(got) != logs[1].ID {
		t.Errorf("page after the 429: %q more=%v %v", logIDs(got), more, err)
	}
}

// testRequestLogTimePages: a time-bounded listing runs by created_at, then
// storage order, cursors included, even where storage order disagrees.
func testRequestLogTimePages(t *testing.T, s docsapi.Services) {
	ctx := context.Background()
	a, k, _ := newAccount(t, s)
	base := docsapi.Now().Add(-time.Hour)
	at := func(min int) time.Time { return base.Add(time.Duration(min) * time.Minute) }
	// Stored in this order; e2 and e3 share a time.
	e := []*docsapi.RequestLog{logAt(a, k, at(3), 200, nil), logAt(a, k, at(1), 200, nil), logAt(a, k, at(2), 200, nil),
		logAt(a, k, at(2), 200, nil), logAt(a, k, at(0), 200, nil)}
	for _, l := range e {
		createLogs(t, s, l)
	}
	since := docsapi.RequestLogFilter{Since: at(0)}
	tests := []struct {
		name string
		f    docsapi.RequestLogFilter
		p    docsapi.ListParams
		want []*docsapi.RequestLog
		more bool
	}{
		{"first page", since, docsapi.ListParams{Limit: 2}, []*docsapi.RequestLog{e[0], e[3]}, true},
		{"after a tie", since, docsapi.ListParams{Limit: 2, StartingAfter: e[3].ID}, []*docsapi.RequestLog{e[2], e[1]}, true},
		{"last page", since, docsapi.ListParams{Limit: 2, StartingAfter: e[1].ID}, []*docsapi.RequestLog{e[4]}, false},
		{"before", since, docsapi.ListParams{Limit: 2, EndingBefore: e[1].ID}, []*docsapi.RequestLog{e[3], e[2]}, true},
		{"before a tie", since, docsapi.ListParams{Limit: 5, EndingBefore: e[2].ID}, []*docsapi.RequestLog{e[0], e[3]}, false},
		{"until", docsapi.RequestLogFilter{Until: at(3)}, docsapi.ListParams{Limit: 10}, []*docsapi.RequestLog{e[3], e[2], e[1], e[4]}, false},
		{"untimed runs in storage order", docsapi.RequestLogFilter{}, docsapi.ListParams{Limit: 10}, []*docsapi.RequestLog{e[4], e[3], e[2], e[1], e[0]}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, more, err := s.RequestLogs.FindRequestLogs(ctx, a.ID, tt.f, tt.p)
			if err != nil || more != tt.more || logIDs(got) != logIDs(tt.want) {
				t.Errorf("got %q more=%v %v, want %q more=%v", logIDs(got), more, err, logIDs(tt.want), tt.more)
			}
		})
	}
	_, _, err := s.RequestLogs.FindRequestLogs(ctx, a.ID, since, docsapi.ListParams{Limit: 2, StartingAfter: "req_nope"})
	wantCode(t, err, docsapi.EPARAMINVALID)
}

func testRequestLogTail(t *testing.T, s docsapi.Services) {
	ctx := context.Background()
	a, k, _ := newAccount(t, s)
	other, ok, _ := newAccount(t, s)
	now := docsapi.Now()
	var logs []*docsapi.RequestLog
	for _, st := range []int{200, 404, 200, 500, 200} {
		logs = append(logs, logAt(a, k, now, st, nil)) // one time for all: order is storage order
	}
	createLogs(t, s, logs...)
	otherLog := logAt(other, ok, now, 200, nil)
	createLogs(t, s, otherLog)

	tests := []struct {
		name  string
		f     docsapi.RequestLogFilter
		after string
		limit int
		want  []*docsapi.RequestLog
	}{
		{"newest without a cursor", docsapi.RequestLogFilter{}, "", 2, logs[3:]},
		{"all without a cursor", docsapi.RequestLogFilter{}, "", 10, logs},
		{"after a cursor", docsapi.RequestLogFilter{}, logs[1].ID, 10, logs[2:]},
		{"after a cursor, limited", docsapi.RequestLogFilter{}, logs[1].ID, 2, logs[2:4]},
		{"filtered", docsapi.RequestLogFilter{StatusClass: 2}, logs[0].ID, 10, []*docsapi.RequestLog{logs[2], logs[4]}},
		{"filtered without a cursor", docsapi.RequestLogFilter{StatusClass: 5}, "", 10, logs[3:4]},
		{"caught up", docsapi.RequestLogFilter{}, logs[4].ID, 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.RequestLogs.TailRequestLogs(ctx, a.ID, tt.f, tt.after, tt.limit)
			if err != nil || logIDs(got) != logIDs(tt.want) {
				t.Errorf("got %q %v, want %q", logIDs(got), err, logIDs(tt.want))
			}
		})
	}
	for _, bad := range []string{"req_nope", otherLog.ID} {
		_, err := s.RequestLogs.TailRequestLogs(ctx, a.ID, docsapi.RequestLogFilter{}, bad, 10)
		wantCode(t, err, docsapi.EPARAMINVALID)
	}
	// A later batch, even with an older timestamp, follows the cursor.
	late := logAt(a, k, now.Add(-time.Minute), 200, nil)
	createLogs(t, s, late)
	got, err := s.RequestLogs.TailRequestLogs(ctx, a.ID, docsapi.RequestLogFilter{}, logs[4].ID, 10)
	if err != nil || logIDs(got) != late.ID {
		t.Errorf("after a new batch: %q %v, want %q", logIDs(got), err, late.ID)
	}
}

func testRequestLogTimeline(t *testing.T, s docsapi.Services) {
	ctx := context.Background()
	a, k, _ := newAccount(t, s)
	other, ok, _ := newAccount(t, s)
	base := docsapi.Now().Truncate(time.Hour).Add(-2 * time.Hour)
	ms := func(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }
	entry := func(acct *docsapi.Account, key *docsapi.APIKey, offset time.Duration, status int, d time.Duration) *docsapi.RequestLog {
		return logAt(acct, key, base.Add(offset), status, func(l *docsapi.RequestLog) { l.Duration = d })
	}
	createLogs(t, s,
		entry(a, k, -time.Second, 200, ms(100)), // before the first bucket
		entry(a, k, 0, 200, ms(1)),
		entry(a, k, 10*time.Second, 201, ms(3)),
		entry(a, k, 20*time.Second, 404, ms(2)),
		entry(a, k, 59*time.Second, 429, ms(10)),
		entry(a, k, 2*time.Minute, 500, ms(5)),
		entry(a, k, 2*time.Minute+time.Second, 499, ms(7)),
		entry(a, k, 3*time.Minute, 200, ms(100)),                 // at until: excluded
		entry(other, ok, 30*time.Second, 200, ms(100)),           // another account
		entry(a, k, 150*time.Second, 302, 2500*time.Microsecond), // not an error
	)
	// since falls inside the first bucket, which is counted whole.
	got, err := s.RequestLogs.RequestLogTimeline(ctx, a.ID, base.Add(30*time.Second), base.Add(3*time.Minute), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := []docsapi.RequestLogBucket{
		{Start: base, Success: 2, ClientError: 1, RateLimited: 1, P50: ms(2.5), P99: ms(9.79)},
		{Start: base.Add(time.Minute)},
		{Start: base.Add(2 * time.Minute), Success: 1, ClientError: 1, ServerError: 1, P50: ms(5), P99: 6960 * time.Microsecond},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("timeline\n got  %v\n want %v", got, want)
	}
	for i, b := range got {
		if b.Start.Location() != time.UTC {
			t.Errorf("bucket %d starts at %v, not UTC", i, b.Start)
		}
	}
	if got[0].Total() != 4 {
		t.Errorf("total %d", got[0].Total())
	}

	bad := []struct {
		name         string
		since, until time.Time
		bucket       time.Duration
	}{
		{"no bucket", base, base.Add(time.Hour), 0},
		{"sub-second bucket", base, base.Add(time.Hour), time.Millisecond},
		{"until before since", base, base.Add(-time.Hour), time.Minute},
		{"empty range", base, base, time.Minute},
		{"too many buckets", base, base.Add(25 * time.Hour), time.Minute},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.RequestLogs.RequestLogTimeline(ctx, a.ID, tt.since, tt.until, tt.bucket)
			wantCode(t, err, docsapi.EPARAMINVALID)
		})
	}
	// A day per hour: the full range is allowed and empty buckets are there.
	day, err := s.RequestLogs.RequestLogTimeline(ctx, a.ID, base.Add(-22*time.Hour), base.Add(2*time.Hour), time.Hour)
	if err != nil || len(day) != 24 || day[22].Total() != 8 || day[21].Total() != 1 || day[23].Total() != 0 {
		t.Errorf("per hour: %d buckets %v", len(day), err)
	}
}

func testErrorGroups(t *testing.T, s docsapi.Services) {
	ctx := context.Background()
	a, k, _ := newAccount(t, s)
	other, ok, _ := newAccount(t, s)
	base := docsapi.Now().Add(-time.Hour)
	at := func(min int) time.Time { return base.Add(time.Duration(min) * time.Minute) }
	route := func(r string) func(*docsapi.RequestLog) { return func(l *docsapi.RequestLog) { l.Route = r } }
	const create, get = "POST /v1/resources", "GET /v1/resources/{id}"
	old := logAt(a, k, at(-10), 400, route(create))
	missingOnCreate := logAt(a, k, at(0), 404, route(create))
	var missingParam []*docsapi.RequestLog
	for i := 1; i <= 4; i++ {
		missingParam = append(missingParam, logAt(a, k, at(i), 400, route(create)))
	}
	missingOnGet := logAt(a, k, at(6), 404, route(get))
	createLogs(t, s, old, missingOnCreate)
	createLogs(t, s, missingParam...)
	createLogs(t, s, missingOnGet,
		logAt(a, k, at(7), 200, route(get)),      // successes are not errors
		logAt(other, ok, at(8), 500, route(get)), // another account
	)

	groups, err := s.RequestLogs.FindErrorGroups(ctx, a.ID, at(0), 10)
	if err != nil {
		t.Fatal(err)
	}
	type group struct {
		code, route string
		count       int
		first, last time.Time
		examples    string
	}
	var got []group
	for _, g := range groups {
		got = append(got, group{g.ErrorCode, g.Route, g.Count, g.FirstSeen, g.LastSeen, strings.Join(g.ExampleIDs, " ")})
	}
	want := []group{
		{docsapi.ENOTFOUND, get, 1, at(6), at(6), missingOnGet.ID},
		{docsapi.EPARAMMISSING, create, 4, at(1), at(4), missingParam[3].ID + " " + missingParam[2].ID + " " + missingParam[1].ID},
		{docsapi.ENOTFOUND, create, 1, at(0), at(0), missingOnCreate.ID},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("groups\n got  %v\n want %v", got, want)
	}
	limited, err := s.RequestLogs.FindErrorGroups(ctx, a.ID, at(0), 2)
	if err != nil || len(limited) != 2 || limited[1].ErrorCode != docsapi.EPARAMMISSING {
		t.Errorf("limit 2: %d groups %v", len(limited), err)
	}
	// The old failure counts once the window reaches back to it.
	wide, err := s.RequestLogs.FindErrorGroups(ctx, a.ID, at(-60), 10)
	if err != nil || len(wide) != 3 || wide[1].Count != 5 || !wide[1].FirstSeen.Equal(at(-10)) {
		t.Errorf("wide window: %+v %v", wide, err)
	}
	none, err := s.RequestLogs.FindErrorGroups(ctx, a.ID, at(30), 10)
	if err != nil || len(none) != 0 {
		t.Errorf("empty window: %+v %v", none, err)
	}
}

func testKeyUsage(t *testing.T, s docsapi.Services) {
	ctx := context.Background()
	a, k, _ := newAccount(t, s)
	other, ok, _ := newAccount(t, s)
	k2 := &docsapi.APIKey{ID: docsapi.NewID(docsapi.PrefixAPIKey), AccountID: a.ID, Name: "k2", Scopes: []string{docsapi.ScopeAll}, RateLimit: 1, CreatedAt: docsapi.Now()}
	k2.SetSecret(docsapi.NewSecret())
	if err := s.APIKeys.CreateAPIKey(ctx, k2); err != nil {
		t.Fatal(err)
	}
	now := docsapi.Now()
	createLogs(t, s,
		logAt(a, k, now.Add(-2*time.Hour), 429, nil), // too old
		logAt(a, k, now.Add(-50*time.Minute), 200, nil),
		logAt(a, k, now.Add(-40*time.Minute), 429, nil),
		logAt(a, k, now.Add(-30*time.Minute), 404, nil),
		logAt(a, k2, now.Add(-time.Minute), 200, nil),
		logAt(other, ok, now.Add(-time.Minute), 429, nil),
	)
	usage, err := s.RequestLogs.FindKeyUsage(ctx, a.ID, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(usage, func(x, y *docsapi.KeyUsage) int { return strings.Compare(x.APIKeyID, y.APIKeyID) })
	var got []docsapi.KeyUsage
	for _, u := range usage {
		got = append(got, *u)
	}
	want := []docsapi.KeyUsage{{APIKeyID: k.ID, Requests: 3, RateLimited: 1}, {APIKeyID: k2.ID, Requests: 1}}
	slices.SortFunc(want, func(x, y docsapi.KeyUsage) int { return strings.Compare(x.APIKeyID, y.APIKeyID) })
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("usage %v, want %v", got, want)
	}
	if none, err := s.RequestLogs.FindKeyUsage(ctx, a.ID, now.Add(time.Minute)); err != nil || len(none) != 0 {
		t.Errorf("future window: %v %v", none, err)
	}
}

func testSessions(t *testing.T, s docsapi.Services) {
	ctx := context.Background()
	a, root, _ := newAccount(t, s)
	_, otherRoot, _ := newAccount(t, s)
	newKey := func() *docsapi.APIKey {
		t.Helper()
		k := &docsapi.APIKey{ID: docsapi.NewID(docsapi.PrefixAPIKey), AccountID: a.ID, Name: "dash", Scopes: []string{docsapi.ScopeLogsRead}, RateLimit: 7, CreatedAt: docsapi.Now()}
		k.SetSecret(docsapi.NewSecret())
		if err := s.APIKeys.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		return k
	}
	start := func(k *docsapi.APIKey, idle time.Duration) (*docsapi.Session, string) {
		t.Helper()
		ses, token := docsapi.NewSession(k)
		ses.LastSeenAt = ses.LastSeenAt.Add(-idle)
		if err := s.Sessions.CreateSession(ctx, ses); err != nil {
			t.Fatal(err)
		}
		return ses, token
	}
	ended := func(t *testing.T, token string) {
		t.Helper()
		_, err := s.Sessions.FindSessionByToken(ctx, token)
		wantCode(t, err, docsapi.EUNAUTHORIZED)
	}

	t.Run("find", func(t *testing.T) {
		ses, token := start(root, 0)
		if ses.Hash == token || ses.Hash != docsapi.HashSecret(token) || len(ses.CSRFToken) < 32 || ses.CSRFToken == token {
			t.Fatalf("session %+v", ses)
		}
		got, err := s.Sessions.FindSessionByToken(ctx, token)
		if err != nil || got.ID != ses.ID || got.AccountID != a.ID || got.APIKeyID != root.ID || got.CSRFToken != ses.CSRFToken ||
			!got.CreatedAt.Equal(ses.CreatedAt) || !got.LastSeenAt.Equal(ses.LastSeenAt) {
			t.Fatalf("found %+v %v, want %+v", got, err, ses)
		}
		if got.Key == nil || got.Key.ID != root.ID || !got.Key.HasScope(docsapi.ScopeKeysWrite) || got.Key.Hash != root.Hash {
			t.Fatalf("key %+v", got.Key)
		}
		ended(t, docsapi.RandomBase62(43))
		ended(t, ses.Hash) // the stored hash is no token
		ended(t, "")
	})
	t.Run("key scopes come along", func(t *testing.T) {
		k := newKey()
		_, token := start(k, 0)
		got, err := s.Sessions.FindSessionByToken(ctx, token)
		if err != nil || got.Key.HasScope(docsapi.ScopeKeysRead) || !got.Key.HasScope(docsapi.ScopeLogsRead) || got.Key.RateLimit != 7 {
			t.Fatalf("%+v %v", got, err)
		}
	})
	t.Run("create refused", func(t *testing.T) {
		revoked := newKey()
		if _, err := s.APIKeys.RevokeAPIKey(ctx, a.ID, revoked.ID); err != nil {
			t.Fatal(err)
		}
		unknown := &docsapi.APIKey{ID: docsapi.NewID(docsapi.PrefixAPIKey), AccountID: a.ID}
		wrongAccount := *otherRoot
		wrongAccount.AccountID = a.ID
		for name, k := range map[string]*docsapi.APIKey{"revoked": revoked, "unknown": unknown, "another account's": &wrongAccount} {
			ses, _ := docsapi.NewSession(k)
			if err := s.Sessions.CreateSession(ctx, ses); docsapi.ErrorCode(err) != docsapi.ENOTFOUND {
				t.Errorf("%s key: %v", name, err)
			}
		}
	})
	t.Run("idle expiry", func(t *testing.T) {
		_, token := start(root, docsapi.SessionIdleTimeout+time.Second)
		ended(t, token)
	})
	t.Run("sliding", func(t *testing.T) {
		ses, token := start(root, docsapi.SessionIdleTimeout-time.Minute)
		got, err := s.Sessions.FindSessionByToken(ctx, token)
		if err != nil || !got.LastSeenAt.After(ses.LastSeenAt.Add(docsapi.SessionIdleTimeout-2*time.Minute)) {
			t.Fatalf("first use: %+v %v", got, err)
		}
		again, err := s.Sessions.FindSessionByToken(ctx, token)
		if err != nil || !again.LastSeenAt.Equal(got.LastSeenAt) {
			t.Fatalf("use was not stored: %v then %v (%v)", got.LastSeenAt, again, err)
		}
	})
	t.Run("recent use is not rewritten", func(t *testing.T) {
		ses, token := start(root, 30*time.Second)
		got, err := s.Sessions.FindSessionByToken(ctx, token)
		if err != nil || !got.LastSeenAt.Equal(ses.LastSeenAt) {
			t.Fatalf("%v, want %v (%v)", got.LastSeenAt, ses.LastSeenAt, err)
		}
	})
	t.Run("sign-out", func(t *testing.T) {
		_, token := start(root, 0)
		_, keep := start(root, 0)
		if err := s.Sessions.DeleteSession(ctx, token); err != nil {
			t.Fatal(err)
		}
		ended(t, token)
		if err := s.Sessions.DeleteSession(ctx, token); err != nil {
			t.Fatalf("second sign-out: %v", err)
		}
		if _, err := s.Sessions.FindSessionByToken(ctx, keep); err != nil {
			t.Fatalf("another session ended too: %v", err)
		}
	})
	t.Run("revoking the key ends its sessions", func(t *testing.T) {
		k := newKey()
		_, token := start(k, 0)
		_, token2 := start(k, 0)
		_, keep := start(root, 0)
		_, otherToken := start(otherRoot, 0)
		if _, err := s.APIKeys.RevokeAPIKey(ctx, a.ID, k.ID); err != nil {
			t.Fatal(err)
		}
		ended(t, token)
		ended(t, token2)
		for _, tok := range []string{keep, otherToken} {
			if _, err := s.Sessions.FindSessionByToken(ctx, tok); err != nil {
				t.Fatalf("unrelated session ended: %v", err)
			}
		}
	})
	t.Run("purge", func(t *testing.T) {
		_, stale := start(root, 2*docsapi.SessionIdleTimeout)
		_, fresh := start(root, 0)
		n, err := s.Sessions.PurgeSessions(ctx, docsapi.Now().Add(-docsapi.SessionIdleTimeout))
		if err != nil || n < 1 {
			t.Fatalf("purged %d, %v", n, err)
		}
		ended(t, stale)
		if _, err := s.Sessions.FindSessionByToken(ctx, fresh); err != nil {
			t.Fatal(err)
		}
	})
}
