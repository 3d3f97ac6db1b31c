package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/docsapi/docsapi"
	"github.com/jackc/pgx/v5"
)

// ResourceService implements docsapi.ResourceService.
type ResourceService struct{ db *DB }

// NewResourceService returns a ResourceService on db.
func NewResourceService(db *DB) *ResourceService { return &ResourceService{db: db} }

const resourceColumns = `id, account_id, name, description, metadata, created_at, updated_at`

func scanResource(row pgx.Row) (*docsapi.Resource, error) {
	var r docsapi.Resource
	if err := row.Scan(&r.ID, &r.AccountID, &r.Name, &r.Description, &r.Metadata, &r.CreatedAt, &r.UpdatedAt); err != nil {
		return nil, err
	}
	return &r, nil
}

// metadata returns m, or an empty map that encodes as {} rather than null.
func metadata(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// CreateResource stores r.
func (s *ResourceService) CreateResource(ctx context.Context, r *docsapi.Resource) error {
	_, err := s.db.conn(ctx).Exec(ctx,
		`INSERT INTO resources (id, account_id, name, description, metadata, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		r.ID, r.AccountID, r.Name, r.Description, metadata(r.Metadata), r.CreatedAt, r.UpdatedAt)
	if err != nil {
		return fmt.Errorf("insert resource: %w", err)
	}
	return nil
}

// FindResourceByID returns one of the account's resources.
func (s *ResourceService) FindResourceByID(ctx context.Context, accountID, id string) (*docsapi.Resource, error) {
	return findResource(ctx, s.db.conn(ctx), `SELECT `+resourceColumns+` FROM resources WHERE account_id = $1 AND id = $2`, accountID, id)
}

func findResource(ctx context.Context, q querier, query, accountID, id string) (*docsapi.Resource, error) {
	r, err := scanResource(q.QueryRow(ctx, query, accountID, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	items, err := queryAll(ctx, s.db.conn(ctx), scanResource,
		`SELECT `+resourceColumns+` FROM resources WHERE account_id = $1`+suffix, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list resources: %w", err)
	}
	items, more := docsapi.FinishPage(items, p.Limit, backwards)
	return items, more, nil
}

// UpdateResource applies upd to one of the account's resources.
func (s *ResourceService) UpdateResource(ctx context.Context, accountID, id string, upd docsapi.ResourceUpdate) (*docsapi.Resource, error) {
	var out *docsapi.Resource
	err := s.db.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		// FOR UPDATE: a concurrent update of the same resource waits, so
		// that neither merges its metadata into a stale copy.
		r, err := findResource(ctx, tx, `SELECT `+resourceColumns+` FROM resources WHERE account_id = $1 AND id = $2 FOR UPDATE`, accountID, id)
		if err != nil {
			return err
		}
		if err := r.Apply(upd); err != nil {
			return err
		}
		r.UpdatedAt = docsapi.Now()
		if _, err := tx.Exec(ctx,
			`UPDATE resources SET name = $1, description = $2, metadata = $3, updated_at = $4 WHERE account_id = $5 AND id = $6`,
			r.Name, r.Description, r.Metadata, r.UpdatedAt, accountID, id); err != nil {
			return fmt.Errorf("update resource: %w", err)
		}
		out = r
		return nil
	})
	return out, err
}

// DeleteResource deletes one of the account's resources.
func (s *ResourceService) DeleteResource(ctx context.Context, accountID, id string) error {
	tag, err := s.db.conn(ctx).Exec(ctx, `DELETE FROM resources WHERE account_id = $1 AND id = $2`, accountID, id)
	if err != nil {
		return fmt.Errorf("delete resource: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return docsapi.NotFound("resource", id)
	}
	return nil
}
