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
	"sync"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations
var migrations embed.FS

// DB is an open instance database. Its query methods reuse prepared
// statements: parsing SQL is most of the cost of a small query with
// modernc's SQLite.
type DB struct {
	*sql.DB
	// Dialect describes the SQL engine behind DB.
	Dialect Dialect

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// maxCachedStmts bounds the cache: statements whose text varies (IN lists of
// different lengths) would otherwise fill it.
const maxCachedStmts = 512

// stmt returns the cached prepared statement for query, preparing it first,
// or nil when the cache is full.
func (db *DB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	db.mu.Lock()
	st, ok := db.stmts[query]
	full := len(db.stmts) >= maxCachedStmts
	db.mu.Unlock()
	if ok || full {
		return st, nil
	}
	// Prepare without holding the lock: preparing waits for the connection,
	// which a transaction may hold while it looks up the cache.
	st, err := db.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if prev, ok := db.stmts[query]; ok {
		st.Close()
		return prev, nil
	}
	if db.stmts == nil {
		db.stmts = map[string]*sql.Stmt{}
	}
	db.stmts[query] = st
	return st, nil
}

// ExecContext runs a statement, prepared once per query text.
func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := db.stmt(ctx, query)
	if err != nil || st == nil {
		return db.DB.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

// QueryContext runs a query, prepared once per query text.
func (db *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := db.stmt(ctx, query)
	if err != nil || st == nil {
		return db.DB.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a query for one row, prepared once per query text.
func (db *DB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := db.stmt(ctx, query)
	if err != nil || st == nil {
		return db.DB.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// Close closes the cached statements and the database.
func (db *DB) Close() error {
	db.mu.Lock()
	for _, st := range db.stmts {
		st.Close()
	}
	db.stmts = nil
	db.mu.Unlock()
	return db.DB.Close()
}

// cached returns the prepared statement for query if it is in the cache.
func (db *DB) cached(query string) *sql.Stmt {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.stmts[query]
}

// Tx is a write transaction whose query methods reuse the DB's prepared
// statements. A statement not cached yet runs unprepared and is prepared once
// the transaction ends: preparing needs the connection the transaction holds.
type Tx struct {
	*sql.Tx
	db      *DB
	missing []string
	local   map[string]*sql.Stmt // prepared on this transaction, for statements it repeats
}

func (tx *Tx) prepared(ctx context.Context, query string) *sql.Stmt {
	if st := tx.db.cached(query); st != nil {
		return tx.Tx.StmtContext(ctx, st)
	}
	if st, ok := tx.local[query]; ok {
		return st
	}
	if len(tx.local) >= maxCachedStmts {
		return nil
	}
	st, err := tx.Tx.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	if tx.local == nil {
		tx.local = map[string]*sql.Stmt{}
	}
	tx.local[query] = st
	tx.missing = append(tx.missing, query)
	return st
}

// ExecContext runs a statement in the transaction.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := tx.prepared(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs a query in the transaction.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := tx.prepared(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query for one row in the transaction.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := tx.prepared(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
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
// connection: SQLite has one writer anyway, and a second connection of the same
// process only adds lock contention (busy waits) between the two.
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
func (db *DB) Tx(ctx context.Context, fn func(tx *Tx) error) error {
	stx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	tx := &Tx{Tx: stx, db: db}
	defer func() {
		stx.Rollback()
		for _, q := range tx.missing {
			db.stmt(ctx, q)
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	return stx.Commit()
}

// Placeholders returns "?, ?, …" with n placeholders.
func Placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
