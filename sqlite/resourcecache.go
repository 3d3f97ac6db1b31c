package sqlite

import (
	"maps"
	"sync"

	"github.com/docsapi/docsapi"
)

// maxCachedResources bounds the cache: about 3 MB of resources.
const maxCachedResources = 10_000

// resourceCache keeps resources read outside a transaction, so that the
// GET of a resource read lately reads no row: the read transaction was a
// quarter of a GET's CPU. SQLite can keep one because one process owns the
// file and every write passes through its committer, which tells the cache
// what changed once the commit is done; PostgreSQL, shared by instances,
// has none.
type resourceCache struct {
	mu      sync.RWMutex
	entries map[resourceKey]*docsapi.Resource
	// dirty holds what the open batch wrote; until the batch ends, such a
	// resource is neither served from nor put in the cache.
	dirty map[resourceKey]bool
	// gen counts the batches that wrote resources: a read that overlapped
	// one may have read the old row, and is not cached.
	gen uint64
}

type resourceKey struct{ accountID, id string }

func newResourceCache() *resourceCache {
	return &resourceCache{entries: map[resourceKey]*docsapi.Resource{}, dirty: map[resourceKey]bool{}}
}

// get returns a copy of the cached resource, or, on a miss, the
// generation to hand to put with what the store read.
func (c *resourceCache) get(accountID, id string) (*docsapi.Resource, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if r, ok := c.entries[resourceKey{accountID, id}]; ok {
		return copyResource(r), 0
	}
	return nil, c.gen
}

// put caches r, read from the store since get returned gen, unless a
// write to it may have committed meanwhile or is open.
func (c *resourceCache) put(gen uint64, r *docsapi.Resource) {
	k := resourceKey{r.AccountID, r.ID}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || c.dirty[k] {
		return
	}
	if len(c.entries) >= maxCachedResources {
		for old := range c.entries {
			delete(c.entries, old)
			break
		}
	}
	c.entries[k] = copyResource(r)
}

// written marks a resource that the open batch writes.
func (c *resourceCache) written(accountID, id string) {
	k := resourceKey{accountID, id}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dirty[k] = true
	delete(c.entries, k)
}

// batchDone forgets what the batch wrote, committed or rolled back. The
// committer calls it before answering the batch's writes, so that a
// client reads its own write.
func (c *resourceCache) batchDone() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.dirty) == 0 {
		return
	}
	for k := range c.dirty {
		delete(c.entries, k)
	}
	clear(c.dirty)
	c.gen++
}

// copyResource copies r, so that callers may change what they get.
func copyResource(r *docsapi.Resource) *docsapi.Resource {
	cp := *r
	cp.Metadata = maps.Clone(r.Metadata)
	if r.Description != nil {
		d := *r.Description
		cp.Description = &d
	}
	return &cp
}
