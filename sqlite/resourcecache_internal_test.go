package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/docsapi/docsapi"
)

// TestResourceCacheReadsOwnWrites: while readers keep filling the cache,
// every read after an update or a delete returned sees it, whether the
// write ran alone or in a transaction; and changing what a read returned
// does not change the next read.
func TestResourceCacheReadsOwnWrites(t *testing.T) {
	ctx := context.Background()
	db := openMigrated(t, filepath.Join(t.TempDir(), "docsapi.db"))
	if _, err := db.writer(ctx).ExecContext(ctx, `INSERT INTO accounts (id, name, created_at) VALUES ('acct_a', 'a', 0)`); err != nil {
		t.Fatal(err)
	}
	store := resources{db}
	now := docsapi.Now()
	desc := "d"
	ids := make([]string, 4)
	for i := range ids {
		ids[i] = docsapi.NewID(docsapi.PrefixResource)
		if err := store.InsertResource(ctx, &docsapi.Resource{ID: ids[i], AccountID: "acct_a", Name: "v0", Description: &desc,
			Metadata: map[string]string{"k": "v"}, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}

	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, id := range ids {
					if _, err := store.FindResource(ctx, "acct_a", id, false); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	find := func(id string) *docsapi.Resource {
		t.Helper()
		r, err := store.FindResource(ctx, "acct_a", id, false)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for n := 1; n <= 300; n++ {
		id := ids[n%len(ids)]
		var err error
		r := find(id)
		r.Name = fmt.Sprintf("v%d", n)
		if n%2 == 0 {
			err = store.UpdateResource(ctx, r)
		} else {
			err = store.InTx(ctx, func(ctx context.Context) error { return store.UpdateResource(ctx, r) })
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := find(id); got.Name != r.Name {
			t.Fatalf("update %d: read %q", n, got.Name)
		}
	}
	got := find(ids[0])
	got.Metadata["k"] = "changed"
	*got.Description = "changed"
	if again := find(ids[0]); again.Metadata["k"] != "v" || *again.Description != "d" {
		t.Fatalf("a caller's change reached the cache: %+v", again)
	}
	// A resource read lately is served from memory: a row changed behind
	// the store's back (as only a test does) is not seen.
	find(ids[1])
	if _, err := db.writer(ctx).ExecContext(ctx, `UPDATE resources SET name = 'behind' WHERE id = ?`, ids[1]); err != nil {
		t.Fatal(err)
	}
	if got := find(ids[1]); got.Name == "behind" {
		t.Fatal("a second read was not served from the cache")
	}
	for _, id := range ids {
		if ok, err := store.DeleteResource(ctx, "acct_a", id); err != nil || !ok {
			t.Fatalf("delete: %v %v", ok, err)
		}
		if r := find(id); r != nil {
			t.Fatalf("deleted %s is still read: %+v", id, r)
		}
	}
	close(stop)
	readers.Wait()
}
