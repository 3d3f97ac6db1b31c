package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docsapi/docsapi"
)

// TestRequestLogFilterPlans: each filter of the Logs page reads an index
// range, never the whole table. The failures' index is partial, and SQLite
// takes it only when the query repeats its condition.
func TestRequestLogFilterPlans(t *testing.T) {
	db := openMigrated(t, filepath.Join(t.TempDir(), "docsapi.db"))
	tests := []struct {
		name  string
		f     docsapi.RequestLogFilter
		index string
	}{
		{"all", docsapi.RequestLogFilter{}, "request_logs_account_seq"},
		{"4xx", docsapi.RequestLogFilter{StatusClass: 4}, "request_logs_account_failures"},
		{"5xx", docsapi.RequestLogFilter{StatusClass: 5}, "request_logs_account_failures"},
		{"404", docsapi.RequestLogFilter{Status: 404}, "request_logs_account_failures"},
		{"2xx", docsapi.RequestLogFilter{StatusClass: 2}, "request_logs_account_seq"},
		{"error code", docsapi.RequestLogFilter{ErrorCode: docsapi.ENOTFOUND}, "request_logs_account_code"},
		{"key", docsapi.RequestLogFilter{APIKeyID: "key_x"}, "request_logs_account_key"},
		{"path", docsapi.RequestLogFilter{Path: "/v1/resources"}, "request_logs_account_path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			where, args := filterWhere("acct_x", tt.f)
			rows, err := db.read.QueryContext(context.Background(), `EXPLAIN QUERY PLAN SELECT `+requestLogColumns+
				` FROM request_logs WHERE `+where+requestLogOrderBy[docsapi.RequestLogOrder{}]+` LIMIT 11`, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(plan, "; "); !strings.Contains(got, "INDEX "+tt.index+" ") || strings.Contains(got, "TEMP B-TREE") {
				t.Errorf("plan %q, want a range of %s in order", got, tt.index)
			}
		})
	}
}
