package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/docsapi/docsapi"
)

// NewResourceService returns a ResourceService on db.
func NewResourceService(db *DB) docsapi.ResourceService {
	return docsapi.NewResourceService(resources{db})
}

// resources is the SQL of the ResourceService.
type resources struct{ db *DB }

const resourceColumns = `id, account_id, name, description, metadata, created_at, updated_at`

// scanResource reads a row of resourceColumns. Metadata is stored as JSON
// text.
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

// encodeMetadata encodes nil as {}, so that a read never finds null.
func encodeMetadata(m map[string]string) (string, error) {
	if m == nil {
		m = map[string]string{}
	}
	b, err := json.Marshal(m)
	return string(b), err
}

func (s resources) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.inTx(ctx, func(ctx context.Context, _ *sql.Tx) error { return fn(ctx) })
}

func (s resources) InsertResource(ctx context.Context, r *docsapi.Resource) error {
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

// FindResource needs no lock for an update: the transaction holds the one
// writer, which no other update can join. Outside a transaction it reads
// through the cache; inside, the row, which the transaction may have
// changed.
func (s resources) FindResource(ctx context.Context, accountID, id string, _ bool) (*docsapi.Resource, error) {
	_, inTx := ctx.Value(txKey{}).(*sql.Tx)
	var gen uint64
	if !inTx {
		var cached *docsapi.Resource
		if cached, gen = s.db.resources.get(accountID, id); cached != nil {
			return cached, nil
		}
	}
	r, err := scanResource(s.db.reader(ctx).QueryRowContext(ctx,
		`SELECT `+resourceColumns+` FROM resources WHERE account_id = ? AND id = ?`, accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find resource: %w", err)
	}
	if !inTx {
		s.db.resources.put(gen, r)
	}
	return r, nil
}

func (s resources) ListResources(ctx context.Context, accountID string, p docsapi.ListParams) ([]*docsapi.Resource, error) {
	suffix, args, err := s.db.page(ctx, "resources", accountID, p, []any{accountID})
	if err != nil {
		return nil, err
	}
	items, err := queryAll(ctx, s.db.reader(ctx), scanResource,
		`SELECT `+resourceColumns+` FROM resources WHERE account_id = ?`+suffix, args...)
	if err != nil {
		return nil, fmt.Errorf("list resources: %w", err)
	}
	return items, nil
}

// writeResource runs a statement that changes one resource, in a batch of
// the committer even when ctx carries no transaction: the cache must learn
// of the write within the batch that commits it (see resourceCache).
func (s resources) writeResource(ctx context.Context, accountID, id, query string, args ...any) (res sql.Result, err error) {
	err = s.db.inTx(ctx, func(ctx context.Context, _ *sql.Tx) error {
		s.db.resources.written(accountID, id)
		res, err = s.db.writer(ctx).ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

func (s resources) UpdateResource(ctx context.Context, r *docsapi.Resource) error {
	meta, err := encodeMetadata(r.Metadata)
	if err != nil {
		return err
	}
	if _, err := s.writeResource(ctx, r.AccountID, r.ID,
		`UPDATE resources SET name = ?, description = ?, metadata = ?, updated_at = ? WHERE account_id = ? AND id = ?`,
		r.Name, r.Description, meta, micros(r.UpdatedAt), r.AccountID, r.ID); err != nil {
		return fmt.Errorf("update resource: %w", err)
	}
	return nil
}

func (s resources) DeleteResource(ctx context.Context, accountID, id string) (bool, error) {
	res, err := s.writeResource(ctx, accountID, id, `DELETE FROM resources WHERE account_id = ? AND id = ?`, accountID, id)
	if err != nil {
		return false, fmt.Errorf("delete resource: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("delete resource: %w", err)
	}
	return n > 0, nil
}
