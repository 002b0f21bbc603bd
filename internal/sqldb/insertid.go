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

// SyncIDs makes the id generators of tables continue after their largest
// id, after rows were inserted with explicit ids (an instance's seed rows:
// branches -1, 0, 1, space 1, user 1). SQLite's AUTOINCREMENT follows by
// itself; PostgreSQL's identity sequences do not (pg_dump restores them
// with setval), and the next insert without an id would collide.
func (db *DB) SyncIDs(ctx context.Context, tables ...string) error {
	return syncIDs(ctx, db.Dialect, db, tables)
}

// SyncIDs is DB.SyncIDs inside the transaction.
func (tx *Tx) SyncIDs(ctx context.Context, tables ...string) error {
	return syncIDs(ctx, tx.db.Dialect, tx, tables)
}

func syncIDs(ctx context.Context, d Dialect, q Querier, tables []string) error {
	if d.Name() != "postgres" {
		return nil
	}
	for _, t := range tables {
		// is_called false with value 1 for an empty table: the next id is 1.
		if _, err := q.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence(?, 'id'), coalesce(max(id), 0) + 1, false) FROM `+quoteIdent(t), "public."+t); err != nil {
			return err
		}
	}
	return nil
}

// quoteIdent quotes a table name for PostgreSQL and SQLite alike.
func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
