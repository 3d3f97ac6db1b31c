package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/docsapi/docsapi"
	"github.com/jackc/pgx/v5"
)

// NewResourceService returns a ResourceService on db.
func NewResourceService(db *DB) docsapi.ResourceService {
	return docsapi.NewResourceService(resources{db})
}

// resources is the SQL of the ResourceService.
type resources struct{ db *DB }

const resourceColumns = `id, account_id, name, description, metadata, created_at, updated_at`

// scanResource reads a row of resourceColumns; metadata is jsonb.
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

func (s resources) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.inTx(ctx, func(ctx context.Context, _ pgx.Tx) error { return fn(ctx) })
}

func (s resources) InsertResource(ctx context.Context, r *docsapi.Resource) error {
	_, err := s.db.conn(ctx).Exec(ctx,
		`INSERT INTO resources (id, account_id, name, description, metadata, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		r.ID, r.AccountID, r.Name, r.Description, metadata(r.Metadata), r.CreatedAt, r.UpdatedAt)
	if err != nil {
		return fmt.Errorf("insert resource: %w", err)
	}
	return nil
}

// FindResource locks the row FOR UPDATE for an update.
func (s resources) FindResource(ctx context.Context, accountID, id string, forUpdate bool) (*docsapi.Resource, error) {
	query := `SELECT ` + resourceColumns + ` FROM resources WHERE account_id = $1 AND id = $2`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	r, err := scanResource(s.db.conn(ctx).QueryRow(ctx, query, accountID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find resource: %w", err)
	}
	return r, nil
}

func (s resources) ListResources(ctx context.Context, accountID string, p docsapi.ListParams) ([]*docsapi.Resource, error) {
	suffix, args, err := s.db.page(ctx, "resources", accountID, p, []any{accountID})
	if err != nil {
		return nil, err
	}
	items, err := queryAll(ctx, s.db.conn(ctx), scanResource,
		`SELECT `+resourceColumns+` FROM resources WHERE account_id = $1`+suffix, args...)
	if err != nil {
		return nil, fmt.Errorf("list resources: %w", err)
	}
	return items, nil
}

func (s resources) UpdateResource(ctx context.Context, r *docsapi.Resource) error {
	if _, err := s.db.conn(ctx).Exec(ctx,
		`UPDATE resources SET name = $1, description = $2, metadata = $3, updated_at = $4 WHERE account_id = $5 AND id = $6`,
		r.Name, r.Description, metadata(r.Metadata), r.UpdatedAt, r.AccountID, r.ID); err != nil {
		return fmt.Errorf("update resource: %w", err)
	}
	return nil
}

func (s resources) DeleteResource(ctx context.Context, accountID, id string) (bool, error) {
	tag, err := s.db.conn(ctx).Exec(ctx, `DELETE FROM resources WHERE account_id = $1 AND id = $2`, accountID, id)
	if err != nil {
		return false, fmt.Errorf("delete resource: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}
