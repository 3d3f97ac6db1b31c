package http

import (
	"context"
	"net/http"

	"github.com/docsapi/docsapi"
)

type resourceJSON struct {
	ID          string            `json:"id"`
	Object      string            `json:"object"`
	Name        string            `json:"name"`
	Description *string           `json:"description"`
	Metadata    map[string]string `json:"metadata"`
	CreatedAt   string            `json:"created_at"`
	UpdatedAt   string            `json:"updated_at"`
}

func newResourceJSON(r *docsapi.Resource) resourceJSON {
	meta := r.Metadata
	if meta == nil {
		meta = map[string]string{}
	}
	return resourceJSON{ID: r.ID, Object: "resource", Name: r.Name, Description: r.Description, Metadata: meta,
		CreatedAt: timeJSON(r.CreatedAt), UpdatedAt: timeJSON(r.UpdatedAt)}
}

type deletedJSON struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

// parseResourceUpdate reads the fields of a create or an update.
func parseResourceUpdate(b body) (docsapi.ResourceUpdate, error) {
	var upd docsapi.ResourceUpdate
	if err := b.only("name", "description", "metadata"); err != nil {
		return upd, err
	}
	name, err := b.string("name")
	if err != nil {
		return upd, err
	}
	if name.set {
		if name.null {
			return upd, docsapi.ParamErrorf(docsapi.EPARAMMISSING, "name", "Missing required parameter: name.")
		}
		n, err := docsapi.NormalizeName(name.value)
		if err != nil {
			return upd, err
		}
		upd.Name = &n
	}
	desc, err := b.string("description")
	if err != nil {
		return upd, err
	}
	if desc.set {
		upd.SetDescription = true
		if !desc.null {
			if upd.Description, err = docsapi.NormalizeDescription(&desc.value); err != nil {
				return upd, err
			}
		}
	}
	md, err := b.metadata()
	upd.Metadata, upd.ClearMetadata = md.value, md.null
	return upd, err
}

// handleCreateResource serves POST /v1/resources.
func (s *Server) handleCreateResource(w http.ResponseWriter, r *http.Request) {
	st := stateFrom(r.Context())
	upd, err := parseResourceUpdate(st.body)
	if err == nil && upd.Name == nil {
		err = docsapi.ParamErrorf(docsapi.EPARAMMISSING, "name", "Missing required parameter: name.")
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.execute(w, r, func(ctx context.Context) (int, any, error) {
		now := docsapi.Now()
		res := &docsapi.Resource{ID: docsapi.NewID(docsapi.PrefixResource), AccountID: st.key.AccountID, CreatedAt: now, UpdatedAt: now}
		if err := res.Apply(upd); err != nil {
			return 0, nil, err
		}
		if err := s.ResourceService.CreateResource(ctx, res); err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, newResourceJSON(res), nil
	})
}

// handleGetResource serves GET /v1/resources/{id}.
func (s *Server) handleGetResource(w http.ResponseWriter, r *http.Request) {
	res, err := s.ResourceService.FindResourceByID(r.Context(), stateFrom(r.Context()).key.AccountID, r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if body := s.bodies.get(res); body != nil {
		writeBody(w, http.StatusOK, body)
		return
	}
	body, err := marshal(newResourceJSON(res))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.bodies.put(res, body)
	writeBody(w, http.StatusOK, body)
}

// handleListResources serves GET /v1/resources.
func (s *Server) handleListResources(w http.ResponseWriter, r *http.Request) {
	p, err := parseListParams(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	items, more, err := s.ResourceService.FindResources(r.Context(), stateFrom(r.Context()).key.AccountID, p)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newList(r, items, more, newResourceJSON))
}

// handleUpdateResource serves PATCH /v1/resources/{id}.
func (s *Server) handleUpdateResource(w http.ResponseWriter, r *http.Request) {
	st := stateFrom(r.Context())
	upd, err := parseResourceUpdate(st.body)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	id := r.PathValue("id")
	s.execute(w, r, func(ctx context.Context) (int, any, error) {
		res, err := s.ResourceService.UpdateResource(ctx, st.key.AccountID, id, upd)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, newResourceJSON(res), nil
	})
}

// handleDeleteResource serves DELETE /v1/resources/{id}.
func (s *Server) handleDeleteResource(w http.ResponseWriter, r *http.Request) {
	st := stateFrom(r.Context())
	if err := st.body.only(); err != nil {
		s.Error(w, r, err)
		return
	}
	id := r.PathValue("id")
	s.execute(w, r, func(ctx context.Context) (int, any, error) {
		if err := s.ResourceService.DeleteResource(ctx, st.key.AccountID, id); err != nil {
			return 0, nil, err
		}
		return http.StatusOK, deletedJSON{ID: id, Object: "resource", Deleted: true}, nil
	})
}
