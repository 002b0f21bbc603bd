package sqldb

import (
	"context"
	"database/sql"
	"errors"
)

// Scanner is what a row offers: *sql.Rows and *Row both.
type Scanner interface {
	Scan(dest ...any) error
}

// Querier is what a DB and a Tx share, so that code can run inside a
// transaction or outside one.
type Querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

var (
	_ Querier = (*DB)(nil)
	_ Querier = (*Tx)(nil)
)

// Row is the result of QueryRowContext: like *sql.Row, but its errors are
// classified. A query without rows scans to sql.ErrNoRows.
type Row struct {
	rows *sql.Rows
	err  error
}

// Scan copies the first row into dest and closes the result.
func (r *Row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return classify(err)
		}
		return sql.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return classify(err)
	}
	return classify(r.rows.Close())
}

// Query runs a query and scans every row with scan. It returns the first
// error of the query, of any scan, or of the iteration: a loop that drops one
// of them would treat a failed query as an empty result.
func Query[T any](ctx context.Context, q Querier, scan func(Scanner) (T, error), query string, args ...any) ([]T, error) {
	var out []T
	err := Each(ctx, q, func(s Scanner) error {
		v, err := scan(s)
		if err == nil {
			out = append(out, v)
		}
		return err
	}, query, args...)
	return out, err
}

// Each runs a query and calls fn for every row as it arrives (nothing is
// buffered), stopping at the first error, which it returns.
func Each(ctx context.Context, q Querier, fn func(Scanner) error, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return classify(err)
		}
	}
	if err := rows.Err(); err != nil {
		return classify(err)
	}
	return classify(rows.Close())
}

// Int64s returns the single integer column of every row.
func Int64s(ctx context.Context, q Querier, query string, args ...any) ([]int64, error) {
	return Query(ctx, q, func(s Scanner) (int64, error) {
		var v int64
		err := s.Scan(&v)
		return v, err
	}, query, args...)
}

// Strings returns the single text column of every row.
func Strings(ctx context.Context, q Querier, query string, args ...any) ([]string, error) {
	return Query(ctx, q, func(s Scanner) (string, error) {
		var v string
		err := s.Scan(&v)
		return v, err
	}, query, args...)
}

// IsNoRows reports whether err says a query found no row.
func IsNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
