package docsapi

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/url"
	"time"
)

// Resource is a document record of an account.
type Resource struct {
	lastResponse
	ID     string `json:"id"`
	Object string `json:"object"`
	Name   string `json:"name"`
	// Description is nil when the resource has none.
	Description *string           `json:"description"`
	Metadata    map[string]string `json:"metadata"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// DeletedResource confirms a deletion.
type DeletedResource struct {
	lastResponse
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

// ResourceCreateParams are the fields of a new resource.
type ResourceCreateParams struct {
	// Name is required: 1 to 200 characters after trimming.
	Name string `json:"name"`
	// Description is optional, up to 5,000 characters.
	Description *string `json:"description,omitempty"`
	// Metadata holds up to 50 string pairs.
	Metadata map[string]string `json:"metadata,omitempty"`
}

// ResourceUpdateParams are the fields to change; the zero value of a field
// leaves it as it is.
type ResourceUpdateParams struct {
	Name *string
	// Description is set with Value("text"), or removed with Null[string]()
	// (or Value("")).
	Description Nullable[string]
	// Metadata is merged into the resource's metadata: an entry with a value
	// sets that key, an entry whose value is nil (sent as JSON null) or ""
	// removes that key, and keys not named are kept:
	//
	//	Metadata: map[string]*string{"team": docsapi.String("finance"), "stage": nil}
	Metadata map[string]*string
	// ClearMetadata removes every metadata key (it sends "metadata": null).
	// Metadata must then be empty: a resource's metadata cannot be cleared
	// and set in one update.
	ClearMetadata bool
}

var errClearAndSetMetadata = errors.New("docsapi: ResourceUpdateParams: ClearMetadata and Metadata cannot be used together")

// MarshalJSON sends only the fields that are set, a description set to Null
// and nil metadata values as JSON null, and "metadata": null for
// ClearMetadata.
func (p ResourceUpdateParams) MarshalJSON() ([]byte, error) {
	body := map[string]any{}
	if p.Name != nil {
		body["name"] = *p.Name
	}
	if p.Description.set {
		body["description"] = p.Description
	}
	switch {
	case p.ClearMetadata && len(p.Metadata) > 0:
		return nil, errClearAndSetMetadata
	case p.ClearMetadata:
		body["metadata"] = nil
	case p.Metadata != nil:
		body["metadata"] = p.Metadata
	}
	return json.Marshal(body)
}

// ResourcesService is reached as Client.Resources.
type ResourcesService struct{ c *Client }

// Create makes a resource.
func (s *ResourcesService) Create(ctx context.Context, params *ResourceCreateParams, opts ...RequestOption) (*Resource, error) {
	if params == nil {
		params = &ResourceCreateParams{}
	}
	var r Resource
	if err := s.c.do(ctx, "POST", "/v1/resources", nil, params, &r, opts); err != nil {
		return nil, err
	}
	return &r, nil
}

// Retrieve reads the resource with the given id.
func (s *ResourcesService) Retrieve(ctx context.Context, id string, opts ...RequestOption) (*Resource, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	var r Resource
	if err := s.c.do(ctx, "GET", "/v1/resources/"+url.PathEscape(id), nil, nil, &r, opts); err != nil {
		return nil, err
	}
	return &r, nil
}

// Update changes the fields set in params and returns the updated resource.
func (s *ResourcesService) Update(ctx context.Context, id string, params *ResourceUpdateParams, opts ...RequestOption) (*Resource, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if params == nil {
		params = &ResourceUpdateParams{}
	}
	if params.ClearMetadata && len(params.Metadata) > 0 {
		return nil, errClearAndSetMetadata
	}
	var r Resource
	if err := s.c.do(ctx, "PATCH", "/v1/resources/"+url.PathEscape(id), nil, params, &r, opts); err != nil {
		return nil, err
	}
	return &r, nil
}

// Delete removes the resource with the given id.
func (s *ResourcesService) Delete(ctx context.Context, id string, opts ...RequestOption) (*DeletedResource, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	var d DeletedResource
	if err := s.c.do(ctx, "DELETE", "/v1/resources/"+url.PathEscape(id), nil, nil, &d, opts); err != nil {
		return nil, err
	}
	return &d, nil
}

// List reads one page of resources, newest first. params may be nil.
func (s *ResourcesService) List(ctx context.Context, params *ListParams, opts ...RequestOption) (*List[Resource], error) {
	var l List[Resource]
	if err := s.c.do(ctx, "GET", "/v1/resources", params.query(), nil, &l, opts); err != nil {
		return nil, err
	}
	return &l, nil
}

// All yields every resource from params on, reading page after page as the
// loop goes; params.Limit sets the page size. An error ends the loop:
//
//	for r, err := range c.Resources.All(ctx, nil) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(r.ID)
//	}
func (s *ResourcesService) All(ctx context.Context, params *ListParams, opts ...RequestOption) iter.Seq2[*Resource, error] {
	fetch := func(ctx context.Context, p *ListParams) (*List[Resource], error) { return s.List(ctx, p, opts...) }
	return all(ctx, params, fetch, func(r *Resource) string { return r.ID })
}
