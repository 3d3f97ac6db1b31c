package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/docsapi/docsapi"
)

// ResourceService implements docsapi.ResourceService.
type ResourceService struct{ db *DB }

// NewResourceService returns a ResourceService on db.
func NewResourceService(db *DB) *ResourceService { return &ResourceService{db: db} }

const resourceColumns = `id, account_id, name, description, metadata, created_at, updated_at`

func scanResource(s scanner) (*docsapi.Resource, error) {
	var r docsapi.Resource
	var desc sql.NullString
	var meta string
	var created, updated int64
	if err := s.Scan(&r.ID, &r.AccountID, &r.Name, &desc, &meta, &created, &updated); err != nil {
		return nil, err
	}
	if desc.Valid {
		r.Description = &desc.String
	}
	if err := json.Unmarshal([]byte(meta), &r.Metadata); err != nil {
		return nil, fmt.Errorf("decode metadata of %s: %w", r.ID, err)
	}
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &r, nil
}

func encodeMetadata(m map[string]string) (string, error) {
	if m == nil {
		m = map[string]string{}
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// CreateResource stores r.
func (s *ResourceService) CreateResource(ctx context.Context, r *docsapi.Resource) error {
	meta, err := encodeMetadata(r.Metadata)
	if err != nil {
		return err
	}
	_, err = s.db.writer(ctx).ExecContext(ctx,
		`INSERT INTO resources (id, account_id, name, description, metadata, created_at, updated_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.AccountID, r.Name, r.Description, meta, micros(r.CreatedAt), micros(r.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert resource: %w", err)
	}
	return nil
}

// FindResourceByID returns one of the account's resources.
func (s *ResourceService) FindResourceByID(ctx context.Context, accountID, id string) (*docsapi.Resource, error) {
	return findResource(ctx, s.db.reader(ctx), accountID, id)
}

func findResource(ctx context.Context, q querier, accountID, id string) (*docsapi.Resource, error) {
	r, err := scanResource(q.QueryRowContext(ctx,
		`SELECT `+resourceColumns+` FROM resources WHERE account_id = ? AND id = ?`, accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, docsapi.NotFound("resource", id)
	} else if err != nil {
		return nil, fmt.Errorf("find resource: %w", err)
	}
	return r, nil
}

// FindResources returns one page of the account's resources.
func (s *ResourceService) FindResources(ctx context.Context, accountID string, p docsapi.ListParams) ([]*docsapi.Resource, bool, error) {
	suffix, args, backwards, err := s.db.page(ctx, "resources", accountID, p, []any{accountID})
	if err != nil {
		return nil, false, err
	}
	items, err := queryAll(ctx, s.db.reader(ctx), scanResource,
		`SELECT `+resourceColumns+` FROM resources WHERE account_id = ?`+suffix, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list resources: %w", err)
	}
	items, more := docsapi.FinishPage(items, p.Limit, backwards)
	return items, more, nil
}

// UpdateResource applies upd to one of the account's resources.
func (s *ResourceService) UpdateResource(ctx context.Context, accountID, id string, upd docsapi.ResourceUpdate) (*docsapi.Resource, error) {
	var out *docsapi.Resource
	err := s.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		r, err := findResource(ctx, tx, accountID, id)
		if err != nil {
			return err
		}
		if err := r.Apply(upd); err != nil {
			return err
		}
		r.UpdatedAt = docsapi.Now()
		meta, err := encodeMetadata(r.Metadata)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE resources SET name = ?, description = ?, metadata = ?, updated_at = ? WHERE account_id = ? AND id = ?`,
			r.Name, r.Description, meta, micros(r.UpdatedAt), accountID, id); err != nil {
			return fmt.Errorf("update resource: %w", err)
		}
		out = r
		return nil
	})
	return out, err
}

// DeleteResource deletes one of the account's resources.
func (s *ResourceService) DeleteResource(ctx context.Context, accountID, id string) error {
	res, err := s.db.writer(ctx).ExecContext(ctx, `DELETE FROM resources WHERE account_id = ? AND id = ?`, accountID, id)
	if err != nil {
		return fmt.Errorf("delete resource: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete resource: %w", err)
	} else if n == 0 {
		return docsapi.NotFound("resource", id)
	}
	return nil
}
