package http

import (
	"context"
	"net/http"
)

// SetBeforeWork makes f run inside the work of every write, before it.
func SetBeforeWork(s *Server, f func(ctx context.Context) error) { s.beforeWork = f }

// DocsMarkdown returns each docs page's URL path and its Markdown with the
// generated sections expanded: what the example runner executes.
func (s *Server) DocsMarkdown() (paths []string, sources [][]byte) {
	for _, p := range s.docSite().pages {
		paths = append(paths, p.Path)
		sources = append(sources, p.Markdown)
	}
	return paths, sources
}

// ParseCodeInfo is parseCodeInfo, for the example runner.
func ParseCodeInfo(info string) (lang string, attrs map[string]string) {
	ci := parseCodeInfo(info)
	return ci.Lang, ci.Attrs
}

// DashMaxFormBytes is the bound on a Dashboard form's body.
const DashMaxFormBytes = dashMaxFormBytes

// LiveMaxStreams bounds one account's open live tails on an instance.
const LiveMaxStreams = liveMaxStreams

// Handler is the server's whole handler chain, for benchmarks that skip the
// network.
func (s *Server) Handler() http.Handler { return s.server.Handler }

// KeyForgets is how many times the key cache forgot a key.
func (s *Server) KeyForgets() uint64 {
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	return s.keys.forgets
}
