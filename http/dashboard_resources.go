package http

import (
	"net/http"

	"github.com/docsapi/docsapi"
)

// dashResourcesPage is the resources page's data.
type dashResourcesPage struct {
	Resources []*docsapi.Resource
	Pager     dashPager
}

// handleDashResources serves GET /dashboard/resources.
func (s *Server) handleDashResources(w http.ResponseWriter, r *http.Request) {
	p, err := dashListParams(r, 25)
	if err != nil {
		s.dashError(w, r, err)
		return
	}
	items, more, err := s.ResourceService.FindResources(r.Context(), stateFrom(r.Context()).key.AccountID, p)
	if err != nil {
		s.dashError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "resources", "Resources", dashResourcesPage{
		Resources: items, Pager: newDashPager(r, p, items, more, func(res *docsapi.Resource) string { return res.ID }),
	})
}

// handleDashResource serves GET /dashboard/resources/{id}.
func (s *Server) handleDashResource(w http.ResponseWriter, r *http.Request) {
	res, err := s.ResourceService.FindResourceByID(r.Context(), stateFrom(r.Context()).key.AccountID, r.PathValue("id"))
	if err != nil {
		s.dashError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "resource", res.Name, res)
}
