package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/docsapi/docsapi"
	"github.com/jackc/pgx/v5"
)

// page returns the condition, ordering and limit that select one page of
// table after a WHERE clause on @account_id, and adds their arguments to args.
func (db *DB) page(ctx context.Context, table, accountID string, p docsapi.ListParams, args pgx.NamedArgs) (string, bool, error) {
	cursor, param, backwards := p.Cursor()
	args["limit"] = p.Limit + 1 // one more tells whether another page follows
	if cursor == "" {
		return ` ORDER BY seq DESC LIMIT @limit`, false, nil
	}
	var seq int64
	err := db.conn(ctx).QueryRow(ctx,
		`SELECT seq FROM `+table+` WHERE account_id = $1 AND id = $2`, accountID, cursor).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, docsapi.CursorNotFound(param, cursor)
	} else if err != nil {
		return "", false, fmt.Errorf("find cursor: %w", err)
	}
	args["cursor"] = seq
	if backwards {
		return ` AND seq > @cursor ORDER BY seq ASC LIMIT @limit`, true, nil
	}
	return ` AND seq < @cursor ORDER BY seq DESC LIMIT @limit`, false, nil
}

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(pgx.Row) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (T, error) { return scan(row) })
}
