package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/docsapi/docsapi"
	"github.com/jackc/pgx/v5"
)

// page returns the condition, ordering and limit that select one page of
// table after a WHERE clause on account_id whose arguments are args, and
// args with theirs added. Its shape is the SQLite engine's; only the
// placeholders differ.
func (db *DB) page(ctx context.Context, table, accountID string, p docsapi.ListParams, args []any) (string, []any, error) {
	cursor, param, backwards := p.Cursor()
	limit := p.Limit + 1 // one more tells whether another page follows
	if cursor == "" {
		suffix := ` ORDER BY seq DESC LIMIT ` + bind(&args, limit)
		return suffix, args, nil
	}
	var seq int64
	err := db.conn(ctx).QueryRow(ctx,
		`SELECT seq FROM `+table+` WHERE account_id = $1 AND id = $2`, accountID, cursor).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, docsapi.CursorNotFound(param, cursor)
	} else if err != nil {
		return "", nil, fmt.Errorf("find cursor: %w", err)
	}
	if backwards {
		suffix := ` AND seq > ` + bind(&args, seq) + ` ORDER BY seq ASC LIMIT ` + bind(&args, limit)
		return suffix, args, nil
	}
	suffix := ` AND seq < ` + bind(&args, seq) + ` ORDER BY seq DESC LIMIT ` + bind(&args, limit)
	return suffix, args, nil
}

// bind adds v to args and returns its placeholder, $n, so that SQL built
// from fragments numbers its arguments in the order they are added.
func bind(args *[]any, v any) string {
	*args = append(*args, v)
	return "$" + strconv.Itoa(len(*args))
}

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(pgx.Row) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (T, error) { return scan(row) })
}
