package http

import (
	"sync"

	"github.com/docsapi/docsapi"
)

// maxCachedBodies bounds resourceBodies: about 6 MB of resources and their
// JSON.
const maxCachedBodies = 10_000

// resourceBodies keeps the JSON of resources lately read, so that a GET of
// an unchanged resource writes bytes instead of encoding it again: the
// encoding was a tenth of a GET's CPU (docs/performance.md). An entry is
// served only while it equals the resource that the store just returned, so
// that no write, on any instance or engine, can leave a stale body behind.
type resourceBodies struct {
	mu      sync.RWMutex
	entries map[string]*resourceBody // by resource id
}

// resourceBody is a resource and its JSON, as handleGetResource writes it.
type resourceBody struct {
	res  *docsapi.Resource
	body []byte
}

func newResourceBodies() *resourceBodies {
	return &resourceBodies{entries: map[string]*resourceBody{}}
}

// get returns the JSON of res, or nil when none is kept for it as it is.
func (c *resourceBodies) get(res *docsapi.Resource) []byte {
	c.mu.RLock()
	e := c.entries[res.ID]
	c.mu.RUnlock()
	if e == nil || !e.res.Equal(res) {
		return nil
	}
	return e.body
}

// put keeps body, the JSON of res. Neither may change afterwards.
func (c *resourceBodies) put(res *docsapi.Resource, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[res.ID]; !ok && len(c.entries) >= maxCachedBodies {
		for old := range c.entries {
			delete(c.entries, old)
			break
		}
	}
	c.entries[res.ID] = &resourceBody{res: res, body: body}
}
