package sqldb

import (
	"context"
	"strings"
)

// InsertID runs an INSERT of one row into a table whose key is id and
// returns the new row's id: SQLite's last insert rowid (cheaper there than
// RETURNING: an Exec, not a query), PostgreSQL's RETURNING id (it has no
// last insert id).
func (db *DB) InsertID(ctx context.Context, query string, args ...any) (int64, error) {
	return insertID(ctx, db.Dialect, db, query, args)
}

// InsertID is DB.InsertID inside the transaction.
func (tx *Tx) InsertID(ctx context.Context, query string, args ...any) (int64, error) {
	return insertID(ctx, tx.db.Dialect, tx, query, args)
}

func insertID(ctx context.Context, d Dialect, q Querier, query string, args []any) (int64, error) {
	if d.Name() == "postgres" {
		var id int64
		err := q.QueryRowContext(ctx, strings.TrimRight(strings.TrimSpace(query), ";")+" RETURNING id", args...).Scan(&id)
		return id, err
	}
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}
