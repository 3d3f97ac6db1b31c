package docsapi

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"
)

// Resource limits from the contract.
const (
	MaxNameLen          = 200
	MaxDescriptionLen   = 5000
	MaxMetadataPairs    = 50
	MaxMetadataKeyLen   = 40
	MaxMetadataValueLen = 500
)

// Resource is the API's main object: a named document with metadata.
type Resource struct {
	ID          string
	AccountID   string
	Name        string
	Description *string
	Metadata    map[string]string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Equal reports whether r and o hold the same values.
func (r *Resource) Equal(o *Resource) bool {
	return r.ID == o.ID && r.AccountID == o.AccountID && r.Name == o.Name &&
		(r.Description == nil) == (o.Description == nil) && (r.Description == nil || *r.Description == *o.Description) &&
		maps.Equal(r.Metadata, o.Metadata) && r.CreatedAt.Equal(o.CreatedAt) && r.UpdatedAt.Equal(o.UpdatedAt)
}

// ResourceUpdate holds the fields given to a PATCH. A nil field is left as it is.
type ResourceUpdate struct {
	Name *string
	// Description is set when SetDescription is true; nil clears it.
	Description    *string
	SetDescription bool
	// ClearMetadata removes every key before Metadata is merged in.
	ClearMetadata bool
	// Metadata is merged into the stored metadata; a nil value removes its key.
	Metadata map[string]*string
}

// ResourceService manages resources. Every method sees only accountID's objects.
type ResourceService interface {
	// CreateResource stores r, whose ID, AccountID and times must be set.
	// Errors: EINTERNAL.
	CreateResource(ctx context.Context, r *Resource) error

	// FindResourceByID returns one resource. Errors: ENOTFOUND, EINTERNAL.
	FindResourceByID(ctx context.Context, accountID, id string) (*Resource, error)

	// FindResources returns one page of resources, newest first, and whether
	// more follow in the direction of paging.
	// Errors: EPARAMINVALID (unknown cursor), EINTERNAL.
	FindResources(ctx context.Context, accountID string, p ListParams) ([]*Resource, bool, error)

	// UpdateResource applies upd and returns the result.
	// Errors: ENOTFOUND, EPARAMINVALID (too many metadata keys), EINTERNAL.
	UpdateResource(ctx context.Context, accountID, id string, upd ResourceUpdate) (*Resource, error)

	// DeleteResource deletes a resource. Errors: ENOTFOUND, EINTERNAL.
	DeleteResource(ctx context.Context, accountID, id string) error
}

// checkText refuses the NUL character, which no text column can hold.
func checkText(param, s string) error {
	if strings.ContainsRune(s, 0) {
		return ParamErrorf(EPARAMINVALID, param, "Invalid %s: it must not contain the NUL character.", param)
	}
	return nil
}

// NormalizeName trims name and checks its length.
func NormalizeName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", ParamErrorf(EPARAMMISSING, "name", "Missing required parameter: name.")
	}
	if err := checkText("name", name); err != nil {
		return "", err
	}
	if n := len([]rune(name)); n > MaxNameLen {
		return "", ParamErrorf(EPARAMINVALID, "name", "Name must be at most %d characters; it has %d.", MaxNameLen, n)
	}
	return name, nil
}

// NormalizeDescription checks the description's length; "" means none.
func NormalizeDescription(d *string) (*string, error) {
	if d == nil || *d == "" {
		return nil, nil
	}
	if err := checkText("description", *d); err != nil {
		return nil, err
	}
	if n := len([]rune(*d)); n > MaxDescriptionLen {
		return nil, ParamErrorf(EPARAMINVALID, "description", "Description must be at most %d characters; it has %d.", MaxDescriptionLen, n)
	}
	return d, nil
}

// ValidateMetadataPair checks one metadata key and value.
func ValidateMetadataPair(key, value string) error {
	param := fmt.Sprintf("metadata[%s]", key)
	if key == "" {
		return ParamErrorf(EPARAMINVALID, "metadata", "Metadata keys must not be empty.")
	}
	if strings.ContainsRune(key, 0) {
		return ParamErrorf(EPARAMINVALID, "metadata", "Metadata keys must not contain the NUL character.")
	}
	if err := checkText(param, value); err != nil {
		return err
	}
	if n := len([]rune(key)); n > MaxMetadataKeyLen {
		return ParamErrorf(EPARAMINVALID, param, "Metadata keys must be at most %d characters; this one has %d.", MaxMetadataKeyLen, n)
	}
	if n := len([]rune(value)); n > MaxMetadataValueLen {
		return ParamErrorf(EPARAMINVALID, param, "Metadata values must be at most %d characters; this one has %d.", MaxMetadataValueLen, n)
	}
	return nil
}

// ValidateMetadataCount checks the number of metadata pairs.
func ValidateMetadataCount(m map[string]string) error {
	if len(m) > MaxMetadataPairs {
		return ParamErrorf(EPARAMINVALID, "metadata", "Metadata can have at most %d keys; it would have %d.", MaxMetadataPairs, len(m))
	}
	return nil
}

// Apply merges upd into r. It does not touch UpdatedAt.
func (r *Resource) Apply(upd ResourceUpdate) error {
	if upd.Name != nil {
		r.Name = *upd.Name
	}
	if upd.SetDescription {
		r.Description = upd.Description
	}
	if upd.ClearMetadata || r.Metadata == nil {
		r.Metadata = map[string]string{}
	}
	for k, v := range upd.Metadata {
		if v == nil {
			delete(r.Metadata, k)
		} else {
			r.Metadata[k] = *v
		}
	}
	return ValidateMetadataCount(r.Metadata)
}

// ResourceStore is the SQL an engine runs for the ResourceService that
// NewResourceService builds around it.
type ResourceStore interface {
	// InTx runs fn in the write transaction that ctx carries, or in a new
	// one that the ctx passed to fn carries.
	// Errors: fn's, EINTERNAL.
	InTx(ctx context.Context, fn func(ctx context.Context) error) error

	// InsertResource stores r. Errors: EINTERNAL.
	InsertResource(ctx context.Context, r *Resource) error

	// FindResource returns one of the account's resources, or nil. With
	// forUpdate, inside InTx, a concurrent update of the same resource
	// waits until the transaction ends, so that neither merges its
	// metadata into a stale copy.
	// Errors: EINTERNAL.
	FindResource(ctx context.Context, accountID, id string, forUpdate bool) (*Resource, error)

	// ListResources returns the page's resources in the order read, with
	// the look-ahead row that FinishPage trims.
	// Errors: EINTERNAL.
	ListResources(ctx context.Context, accountID string, p ListParams) ([]*Resource, error)

	// UpdateResource stores r's name, description, metadata and UpdatedAt.
	// Errors: EINTERNAL.
	UpdateResource(ctx context.Context, r *Resource) error

	// DeleteResource reports whether the account had that resource.
	// Errors: EINTERNAL.
	DeleteResource(ctx context.Context, accountID, id string) (bool, error)
}

// NewResourceService returns the ResourceService over an engine's store.
func NewResourceService(st ResourceStore) ResourceService { return resourceService{st} }

type resourceService struct{ st ResourceStore }

func (s resourceService) CreateResource(ctx context.Context, r *Resource) error {
	return s.st.InsertResource(ctx, r)
}

func (s resourceService) FindResourceByID(ctx context.Context, accountID, id string) (*Resource, error) {
	r, err := s.st.FindResource(ctx, accountID, id, false)
	if err == nil && r == nil {
		return nil, NotFound("resource", id)
	}
	return r, err
}

func (s resourceService) FindResources(ctx context.Context, accountID string, p ListParams) ([]*Resource, bool, error) {
	items, err := s.st.ListResources(ctx, accountID, p)
	if err != nil {
		return nil, false, err
	}
	items, more := FinishPage(items, p)
	return items, more, nil
}

// UpdateResource reads, merges and writes the resource in one transaction.
func (s resourceService) UpdateResource(ctx context.Context, accountID, id string, upd ResourceUpdate) (*Resource, error) {
	var out *Resource
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		r, err := s.st.FindResource(ctx, accountID, id, true)
		if err != nil {
			return err
		}
		if r == nil {
			return NotFound("resource", id)
		}
		if err := r.Apply(upd); err != nil {
			return err
		}
		r.UpdatedAt = Now()
		if err := s.st.UpdateResource(ctx, r); err != nil {
			return err
		}
		out = r
		return nil
	})
	return out, err
}

func (s resourceService) DeleteResource(ctx context.Context, accountID, id string) error {
	ok, err := s.st.DeleteResource(ctx, accountID, id)
	if err == nil && !ok {
		return NotFound("resource", id)
	}
	return err
}
