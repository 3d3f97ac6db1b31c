package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/docsapi/docsapi"
)

// page returns the condition, ordering and limit that select one page of
// table after a WHERE clause on account_id whose arguments are args, and
// args with theirs added. Its shape is the PostgreSQL engine's; only the
// placeholders differ.
func (db *DB) page(ctx context.Context, table, accountID string, p docsapi.ListParams, args []any) (string, []any, error) {
	cursor, param, backwards := p.Cursor()
	limit := p.Limit + 1 // one more tells whether another page follows
	if cursor == "" {
		return ` ORDER BY seq DESC LIMIT ?`, append(args, limit), nil
	}
	var seq int64
	err := db.reader(ctx).QueryRowContext(ctx,
		`SELECT seq FROM `+table+` WHERE account_id = ? AND id = ?`, accountID, cursor).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, docsapi.CursorNotFound(param, cursor)
	} else if err != nil {
		return "", nil, fmt.Errorf("find cursor: %w", err)
	}
	if backwards {
		return ` AND seq > ? ORDER BY seq ASC LIMIT ?`, append(args, seq, limit), nil
	}
	return ` AND seq < ? ORDER BY seq DESC LIMIT ?`, append(args, seq, limit), nil
}

// scanner is what *sql.Row and *sql.Rows share, so that one scan function
// reads a row from either.
type scanner interface{ Scan(dest ...any) error }

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
