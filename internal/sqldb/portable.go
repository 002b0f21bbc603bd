package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The few statement fragments and values whose SQL differs between SQLite
// and PostgreSQL, rendered for the DB's dialect. Everything else the root
// package writes is in the subset both share (TRUE/FALSE, ON CONFLICT …
// DO UPDATE, RETURNING, ? placeholders, which a PostgreSQL DB rebinds).

// postgres reports whether the DB runs on PostgreSQL.
func (db *DB) postgres() bool { return db.Dialect != nil && db.Dialect.Name() == "postgres" }

// TimeLayout is how SQLite stores times, as lamindb (Django) does there: UTC
// without a zone, with microseconds, so that text order is time order.
const TimeLayout = "2006-01-02 15:04:05.000000"

// Time is t as a statement argument for a time column: SQLite's text in
// TimeLayout, PostgreSQL's timestamp with time zone.
func (db *DB) Time(t time.Time) any {
	if db.postgres() {
		return t.UTC().Round(time.Microsecond)
	}
	return t.UTC().Format(TimeLayout)
}

// ByteRange is the predicate lo <= col < hi in byte order, whatever the
// column's collation: SQLite compares text bytewise (BINARY); PostgreSQL's
// default collation does not, so it uses the pattern operators that lamindb's
// varchar_pattern_ops indexes serve. lo and hi are SQL expressions ("?" for
// an argument).
func (db *DB) ByteRange(col, lo, hi string) string { return db.Dialect.ByteRange(col, lo, hi) }

// PrefixRange is ByteRange for the keys that start with an argument: the
// predicate takes the two arguments PrefixArgs gives.
func (db *DB) PrefixRange(col string) string { return db.ByteRange(col, "?", "?") }

// PrefixArgs are the arguments of PrefixRange for the uids that start with
// p: uids use the alphabet 0-9A-Za-z, all below '~' in byte order.
func PrefixArgs(p string) []any { return []any{p, p + "~"} }

// JSONWithout is the SQL value of the JSON text column col without its top
// level key (a literal), NULL when nothing else remains: lamindb's _aux
// without a flag.
func (db *DB) JSONWithout(col, key string) string {
	if db.postgres() {
		rest := "(" + col + "::jsonb - '" + key + "')"
		return "CASE WHEN " + rest + " IN ('{}'::jsonb, 'null'::jsonb) THEN NULL ELSE " + rest + " END"
	}
	rest := "json_remove(" + col + ", '$." + key + "')"
	return "CASE WHEN " + rest + " IN ('{}', 'null') THEN NULL ELSE " + rest + " END"
}

// On returns the database a DB or Tx runs on, whose dialect renders the
// fragments above: code that takes either writes sqldb.On(q).PrefixRange(…).
func On(q Querier) *DB {
	switch q := q.(type) {
	case *DB:
		return q
	case *Tx:
		return q.db
	}
	panic(fmt.Sprintf("sqldb.On: %T is neither a DB nor a Tx", q))
}

// Exec is ExecContext without a context. It shadows database/sql's method of
// the same name, which would bypass the rebinding of placeholders, the
// statement cache and the classification of errors.
func (db *DB) Exec(query string, args ...any) (sql.Result, error) {
	return db.ExecContext(context.Background(), query, args...)
}

// Query is QueryContext without a context (see Exec).
func (db *DB) Query(query string, args ...any) (*sql.Rows, error) {
	return db.QueryContext(context.Background(), query, args...)
}

// QueryRow is QueryRowContext without a context (see Exec).
func (db *DB) QueryRow(query string, args ...any) *Row {
	return db.QueryRowContext(context.Background(), query, args...)
}
