package docsapi_test

import (
	"maps"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
)

func TestResourceEqual(t *testing.T) {
	desc, other, empty := "Q3", "Q4", ""
	at := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	base := docsapi.Resource{ID: "res_1", AccountID: "acct_1", Name: "Report", Description: &desc,
		Metadata: map[string]string{"team": "finance"}, CreatedAt: at, UpdatedAt: at}
	tests := []struct {
		name   string
		change func(r *docsapi.Resource)
		want   bool
	}{
		{"a copy", func(r *docsapi.Resource) {}, true},
		{"the same instant elsewhere", func(r *docsapi.Resource) { r.UpdatedAt = at.In(time.FixedZone("X", 3600)) }, true},
		{"id", func(r *docsapi.Resource) { r.ID = "res_2" }, false},
		{"account", func(r *docsapi.Resource) { r.AccountID = "acct_2" }, false},
		{"name", func(r *docsapi.Resource) { r.Name = "Other" }, false},
		{"description", func(r *docsapi.Resource) { r.Description = &other }, false},
		{"description empty", func(r *docsapi.Resource) { r.Description = &empty }, false},
		{"description cleared", func(r *docsapi.Resource) { r.Description = nil }, false},
		{"metadata value", func(r *docsapi.Resource) { r.Metadata["team"] = "legal" }, false},
		{"metadata key added", func(r *docsapi.Resource) { r.Metadata["owner"] = "ann" }, false},
		{"metadata emptied", func(r *docsapi.Resource) { r.Metadata = nil }, false},
		{"created", func(r *docsapi.Resource) { r.CreatedAt = at.Add(time.Microsecond) }, false},
		{"updated", func(r *docsapi.Resource) { r.UpdatedAt = at.Add(time.Microsecond) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			d := *base.Description
			r.Description, r.Metadata = &d, maps.Clone(base.Metadata)
			tt.change(&r)
			if got := base.Equal(&r); got != tt.want {
				t.Errorf("Equal = %v, want %v", got, tt.want)
			}
			if got := r.Equal(&base); got != tt.want {
				t.Errorf("reversed: Equal = %v, want %v", got, tt.want)
			}
		})
	}
}
