// Package sqldb opens an instance's SQL database, keeps its schema migrated and
// hides the few differences between SQL dialects behind Dialect.
//
// The SQL itself is hand-written in the subset SQLite and PostgreSQL share; the
// dialect covers what differs (migrations, constraint errors, case-insensitive
// matching). Only SQLite is implemented so far.
package sqldb

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations
var migrations embed.FS

// DB is an open instance database.
type DB struct {
	*sql.DB
	// Dialect describes the SQL engine behind DB.
	Dialect Dialect
}

// Dialect is what differs between the SQL engines we support.
type Dialect interface {
	// Name is the engine name, "sqlite" or "postgres".
	Name() string
	// IsUniqueViolation reports whether err is a unique-constraint violation.
	IsUniqueViolation(err error) bool
	// IsBusy reports whether err means the database stayed locked past the busy timeout.
	IsBusy(err error) bool
}

// SQLite is the embedded default dialect.
type SQLite struct{}

// Name returns "sqlite".
func (SQLite) Name() string { return "sqlite" }

// IsUniqueViolation reports whether err is SQLite's UNIQUE or PRIMARY KEY constraint error.
func (SQLite) IsUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsBusy reports whether err is SQLITE_BUSY or SQLITE_LOCKED.
func (SQLite) IsBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}

// OpenSQLite opens (creating if needed) the SQLite database at path with WAL,
// synchronous=NORMAL, a busy timeout, foreign keys and immediate write
// transactions, and migrates it to the newest schema. The pool holds a single
// connection: SQLite has one writer anyway, and one connection makes
// "database is locked" impossible inside a process.
func OpenSQLite(ctx context.Context, file string) (*DB, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(NORMAL)", "busy_timeout(10000)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + file + "?" + q.Encode()
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	sdb.SetMaxOpenConns(1)
	sdb.SetMaxIdleConns(1)
	sdb.SetConnMaxLifetime(0)
	db := &DB{DB: sdb, Dialect: SQLite{}}
	if err := db.migrate(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	return db, nil
}

// Version is the newest schema version embedded in this binary.
func Version(dialect string) int64 {
	entries, _ := fs.ReadDir(migrations, path.Join("migrations", dialect))
	var max int64
	for _, e := range entries {
		n, _, _ := strings.Cut(e.Name(), "_")
		if v, err := strconv.ParseInt(n, 10, 64); err == nil && v > max {
			max = v
		}
	}
	return max
}

// migrate brings the schema up to date. An up-to-date database costs one query,
// which keeps the start-up of every command fast.
func (db *DB) migrate(ctx context.Context) error {
	want := Version(db.Dialect.Name())
	var have sql.NullInt64
	err := db.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&have)
	if err == nil && have.Valid && have.Int64 >= want {
		return nil
	}
	sub, err := fs.Sub(migrations, path.Join("migrations", db.Dialect.Name()))
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db.DB, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	return nil
}

// Tx runs fn in one write transaction, committing when fn returns nil.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Placeholders returns "?, ?, …" with n placeholders.
func Placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
