// Package sqldb opens an instance's SQL database, keeps its schema migrated and
// hides the few differences between SQL dialects behind Dialect.
//
// The SQL itself is hand-written in the subset SQLite and PostgreSQL share,
// with "?" placeholders (a PostgreSQL DB rewrites them to $1, $2, … once per
// statement text); the dialect covers what differs (migrations, constraint
// errors, byte-order ranges, upserts, row locks), and DB offers what must be
// asked differently (InsertID, TableColumns, ForeignKeys, SchemaToken).
// OpenSQLite opens the embedded default, OpenPostgres a team's server.
//
// Promises that hold for every caller:
//   - Driver errors are classified here, once, into the errors of internal/errs
//     (a unique key taken, a foreign key that protects, a busy or read-only or
//     malformed database, a server that is unreachable or refused the login,
//     a connection lost); no raw driver text, and never a password, needs to
//     reach a user.
//   - Writers never lose an update: on SQLite a write transaction takes the
//     write lock when it begins and waits its turn (with a message after a
//     while) instead of failing with SQLITE_BUSY; on PostgreSQL it runs
//     SERIALIZABLE and is run again when the server rolled it back for a
//     conflict (DB.Tx says how often).
//   - A database that is read-only (read-only storage, ReadOnly option, or a
//     schema newer than this binary knows) can be queried, and every write is
//     refused with an error that says why.
package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pressly/goose/v3"
	"golang.org/x/sys/unix"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/lamindb-go/lamindb/internal/errs"
	"github.com/lamindb-go/lamindb/internal/flock"
)

//go:embed migrations
var migrations embed.FS

// VersionTable is the table that records our schema version. It is ours (the
// lamin_ prefix), beside lamindb's own django_migrations; goose's default name
// goose_db_version, used by earlier releases, is renamed on open.
const VersionTable = "lamin_goose_db_version"

// DB is an open instance database. Its query methods reuse prepared
// statements: parsing SQL is most of the cost of a small query with
// modernc's SQLite.
type DB struct {
	*sql.DB
	// Dialect describes the SQL engine behind DB.
	Dialect Dialect

	path     string
	ident    os.FileInfo // the database file as opened; a write finding another one stops
	readOnly error       // non-nil: every write is refused with it
	stale    int64       // an older schema version a read-only open could not migrate
	// lamindbNotice says why lamindb's migrations make the database read-only.
	lamindbNotice string
	mode          int // how the pool was opened (modeReadWrite, …)
	opts          Options

	pgCfg    *pgx.ConnConfig // PostgreSQL: how to connect (nil for SQLite)
	standIns atomic.Bool     // PostgreSQL: sessions get stand-ins for our missing tables

	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	rebound map[string]string // PostgreSQL: statement text → its $n form
}

// Options configure OpenSQLite and OpenPostgres. The zero value opens for
// reading and writing and migrates.
type Options struct {
	// ReadOnly opens without migrating and refuses every write (dry runs);
	// PostgreSQL sessions are read-only on the server too.
	ReadOnly bool
	// BusyTimeout is how long SQLite itself waits for another writer before a
	// write transaction retries; zero means 5 s. (SQLite only.)
	BusyTimeout time.Duration
	// WriteWait bounds how long a write transaction queues behind other
	// processes in all; zero means 10 minutes.
	WriteWait time.Duration
	// Waiting is told once per transaction that it has been waiting for the
	// write lock for a while; nil says nothing. (SQLite only: PostgreSQL
	// writers do not wait for each other's transactions as a whole.)
	Waiting func(waited time.Duration)
	// MaxConns bounds a PostgreSQL pool's connections; zero means 16.
	// (SQLite always has one.)
	MaxConns int
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
	st, err := db.DB.PrepareContext(ctx, db.bind(query))
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

// bind returns query in the DB's placeholder syntax: unchanged for SQLite;
// for PostgreSQL rewritten once per statement text ("?" → $1, $2, …) and
// kept beside the prepared statements, bounded as they are.
func (db *DB) bind(query string) string {
	if db.pgCfg == nil {
		return query
	}
	db.mu.Lock()
	q, ok := db.rebound[query]
	db.mu.Unlock()
	if ok {
		return q
	}
	q = rebindDollar(query)
	db.mu.Lock()
	if len(db.rebound) < 4*maxCachedStmts {
		if db.rebound == nil {
			db.rebound = map[string]string{}
		}
		db.rebound[query] = q
	}
	db.mu.Unlock()
	return q
}

// forgetStale drops query's prepared statement when err says its plan is
// stale (PostgreSQL: another program changed a table the statement reads,
// and its result would have other columns), so that the next run prepares
// it again; it reports whether it did.
func (db *DB) forgetStale(query string, err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "0A000" || !strings.Contains(pe.Message, "cached plan") {
		return false
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if st := db.stmts[query]; st != nil {
		st.Close()
		delete(db.stmts, query)
	}
	return true
}

// cached returns the prepared statement for query if it is in the cache.
func (db *DB) cached(query string) *sql.Stmt {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.stmts[query]
}

// inOwnTx reports a query on the DB from inside one of its own transactions:
// with one connection it would wait for itself forever, so it is an error.
func (db *DB) inOwnTx(ctx context.Context) error {
	if ctx.Value(txKey{}) == db {
		return errors.New("internal error: a query on the database inside its own transaction (use the transaction)")
	}
	return nil
}

// ExecContext runs a statement outside any transaction, prepared once per
// query text; a busy database is retried.
func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := db.inOwnTx(ctx); err != nil {
		return nil, err
	}
	if db.readOnly != nil {
		return nil, db.readOnly
	}
	var res sql.Result
	err := db.retryBusy(ctx, func() error {
		for attempt := 0; ; attempt++ {
			st, err := db.stmt(ctx, query)
			if err != nil || st == nil {
				res, err = db.DB.ExecContext(ctx, db.bind(query), args...)
				return err
			}
			res, err = st.ExecContext(ctx, args...)
			if attempt > 0 || !db.forgetStale(query, err) {
				return err
			}
		}
	})
	return res, classify(err)
}

// QueryContext runs a query, prepared once per query text.
func (db *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := db.inOwnTx(ctx); err != nil {
		return nil, err
	}
	var rows *sql.Rows
	err := db.retryBusy(ctx, func() error {
		for attempt := 0; ; attempt++ {
			st, err := db.stmt(ctx, query)
			if err != nil || st == nil {
				rows, err = db.DB.QueryContext(ctx, db.bind(query), args...)
				return err
			}
			rows, err = st.QueryContext(ctx, args...)
			if attempt > 0 || !db.forgetStale(query, err) {
				return err
			}
		}
	})
	return rows, classify(err)
}

// QueryRowContext runs a query for one row, prepared once per query text.
func (db *DB) QueryRowContext(ctx context.Context, query string, args ...any) *Row {
	rows, err := db.QueryContext(ctx, query, args...)
	return &Row{rows: rows, err: err}
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

// StaleSchema returns the schema version of a database opened read-only that
// needs migrating (which a read-only open cannot do), or 0.
func (db *DB) StaleSchema() int64 { return db.stale }

// ReadOnly returns why the database refuses writes, or nil.
func (db *DB) ReadOnly() error { return db.readOnly }

// Path returns the database file; for PostgreSQL, user@host:port/database
// (never the password).
func (db *DB) Path() string { return db.path }

// retryBusy runs fn again while it fails because another connection holds a
// lock SQLite's own busy wait gave up on. Only statements that fail before
// doing anything report busy, so running them again is safe.
func (db *DB) retryBusy(ctx context.Context, fn func() error) error {
	var start time.Time
	for attempt := 0; ; attempt++ {
		err := fn()
		if err == nil || !db.Dialect.IsBusy(err) {
			return err
		}
		if start.IsZero() {
			start = time.Now()
		}
		if time.Since(start) > db.opts.WriteWait {
			return err
		}
		if werr := sleepCtx(ctx, backoff(attempt)); werr != nil {
			return werr
		}
	}
}

// backoff is the pause before the next attempt: short at first, at most 200 ms.
func backoff(attempt int) time.Duration {
	d := time.Duration(5<<min(attempt, 6)) * time.Millisecond
	return min(d, 200*time.Millisecond)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Dialect is what differs between the SQL engines we support. Statements
// are written once, with "?" placeholders, in the subset both engines share;
// a DB rebinds them for its engine. What cannot be written alike is asked of
// the dialect.
type Dialect interface {
	// Name is the engine name, "sqlite" or "postgres"; it also names the
	// migrations folder.
	Name() string
	// IsBusy reports whether err means the database stayed locked (or full
	// of connections) past waiting: a statement that failed so did nothing
	// and can run again.
	IsBusy(err error) bool
	// IsRetryable reports whether err means the transaction was rolled back
	// by the engine so that running it again may succeed: PostgreSQL's
	// serialization failures (40001), deadlocks (40P01) and statements whose
	// prepared plan went stale. SQLite, with one writer, never says so.
	IsRetryable(err error) bool
	// ByteRange is the predicate lo <= col < hi under byte order (the order
	// of uids, whose alphabet is ASCII), whatever the column's collation.
	// lo and hi are SQL expressions: "?" or an expression over other
	// columns. PostgreSQL's default collation is a language's (Z < a fails
	// in en_US); its pattern operators compare bytes and use lamindb's
	// varchar_pattern_ops indexes.
	ByteRange(col, lo, hi string) string
	// Upsert is an INSERT of cols into table from source ("VALUES (?, …)"
	// when empty, or a SELECT) that replaces the row whose key is taken.
	Upsert(table string, key, cols []string, source string) string
	// ForUpdate is the clause a SELECT inside a transaction appends to lock
	// the rows it read against other writers until commit; "" where the
	// transaction locks the database anyway (SQLite).
	ForUpdate() string
}

// UIDPrefix is the predicate "col starts with prefix" for uid columns in
// byte order, and its arguments: the range [prefix, prefix+"~"), which holds
// every uid with the prefix since '~' sorts after the uid alphabet
// (0-9A-Za-z). It uses the uid's index on both engines.
func UIDPrefix(d Dialect, col, prefix string) (string, []any) {
	return d.ByteRange(col, "?", "?"), []any{prefix, prefix + "~"}
}

// SQLite is the embedded default dialect.
type SQLite struct{}

// Name returns "sqlite".
func (SQLite) Name() string { return "sqlite" }

// IsBusy reports whether err is SQLITE_BUSY or SQLITE_LOCKED.
func (SQLite) IsBusy(err error) bool {
	c := sqliteCode(err) & 0xff
	return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
}

// IsRetryable is false: a SQLite write transaction holds the write lock
// from its start, so nothing rolls it back for a conflict.
func (SQLite) IsRetryable(error) bool { return false }

// ByteRange compares with the column's collation, BINARY (byte order) for
// every column of lamindb's tables.
func (SQLite) ByteRange(col, lo, hi string) string {
	return "(" + col + " >= " + lo + " AND " + col + " < " + hi + ")"
}

// Upsert is INSERT OR REPLACE: SQLite deletes the row holding the key and
// inserts the new one.
func (SQLite) Upsert(table string, _, cols []string, source string) string {
	return "INSERT OR REPLACE INTO " + table + " (" + strings.Join(cols, ", ") + ") " + upsertSource(cols, source)
}

// ForUpdate is empty: a write transaction (BEGIN IMMEDIATE) holds the
// database's write lock, which already keeps every row it read as it was.
func (SQLite) ForUpdate() string { return "" }

func upsertSource(cols []string, source string) string {
	if source == "" {
		return "VALUES (" + Placeholders(len(cols)) + ")"
	}
	return source
}

// sqliteCode returns the extended result code of a SQLite error, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// OpenSQLite opens (creating if needed) the SQLite database at file with WAL,
// synchronous=NORMAL, a busy timeout, foreign keys and immediate write
// transactions, and migrates it to the newest schema. The pool holds a single
// connection: SQLite has one writer anyway, and a second connection of the same
// process only adds lock contention (busy waits) between the two.
//
// A database on read-only storage is opened immutable and read-only; one
// whose schema is newer than this binary's is opened but refuses writes.
func OpenSQLite(ctx context.Context, file string, o ...Options) (*DB, error) {
	var opts Options
	if len(o) > 0 {
		opts = o[0]
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.WriteWait <= 0 {
		opts.WriteWait = 10 * time.Minute
	}
	db := &DB{Dialect: SQLite{}, path: file, opts: opts}
	mode := modeReadWrite
	switch {
	case readOnlyFS(filepath.Dir(file)):
		mode = modeStorage
	case opts.ReadOnly:
		mode = modeQuery
	}
	created := false
	if mode == modeReadWrite {
		var err error
		if created, err = fromTemplate(file); err != nil {
			return nil, err
		}
	}
	_, statErr := os.Stat(file)
	err := db.connect(ctx, mode)
	if err != nil && mode == modeStorage {
		err = db.connect(ctx, modeImmutable)
	}
	if err != nil && mode == modeReadWrite && statErr == nil && unwritable(err) {
		// A full disk (or one that refuses writes) can still be read.
		for _, m := range []int{modeStorage, modeImmutable} {
			if rerr := db.connect(ctx, m); rerr == nil {
				db.readOnly = errs.Wrap(errs.ErrReadOnly, err, "the instance at %s cannot be written (%v): it can be read, not changed", filepath.Dir(filepath.Dir(file)), classify(err))
				err = nil
				break
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if db.ident, err = os.Stat(file); err != nil {
		db.DB.Close()
		return nil, errs.Wrap(errs.ErrDatabase, err, "open the database %s: %v", file, err)
	}
	if created {
		if err := db.freshen(ctx); err != nil {
			db.DB.Close()
			return nil, err
		}
	}
	if err := db.checkVersion(ctx); err != nil {
		db.DB.Close()
		return nil, err
	}
	return db, nil
}

// How a database is opened.
const (
	modeReadWrite = iota // WAL, immediate write transactions
	modeQuery            // read only, by choice (dry runs): never checkpoints
	modeStorage          // read only, because the storage cannot be written
	modeImmutable        // the same, when SQLite cannot even use its -shm index
)

// connect opens the connection pool in a mode and checks it works.
func (db *DB) connect(ctx context.Context, mode int) error {
	file := db.path
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(db.opts.BusyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	switch mode {
	case modeStorage, modeImmutable:
		if _, err := os.Stat(file); err != nil {
			return errs.Wrap(errs.ErrNotFound, err, "no database at %s", file)
		}
		q.Set("mode", "ro")
		if mode == modeImmutable {
			// Everything is in the file (no write-ahead log to read), and
			// SQLite cannot make its -shm index here: read the file as it is.
			if fi, err := os.Stat(file + "-wal"); err == nil && fi.Size() > 0 {
				return errs.New(errs.ErrReadOnly, "the database %s on storage that cannot be written has an unfinished write-ahead log SQLite cannot read here; open it once on writable storage", file)
			}
			q.Set("immutable", "1")
		}
		db.readOnly = errs.New(errs.ErrReadOnly, "the instance at %s is on read-only storage: it can be read, not changed", filepath.Dir(filepath.Dir(file)))
	case modeQuery:
		if _, err := os.Stat(file); err != nil {
			return errs.Wrap(errs.ErrNotFound, err, "no database at %s", file)
		}
		// mode=ro: a read-only connection never checkpoints the WAL or
		// removes it when it closes, so a dry run writes nothing at all.
		// (query_only is set by readerHook, after it made what it needs.)
		q.Set("mode", "ro")
		db.readOnly = errs.New(errs.ErrReadOnly, "this command only reads the instance (internal error: it tried to write)")
	default:
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
	}
	driverName := "sqlite"
	if mode != modeReadWrite {
		driverName = readerDriver
	}
	sdb, err := sql.Open(driverName, "file:"+uriPath(file)+"?"+q.Encode())
	if err != nil {
		return errs.Wrap(errs.ErrDatabase, err, "open %s: %v", file, err)
	}
	sdb.SetMaxOpenConns(1)
	sdb.SetMaxIdleConns(1)
	sdb.SetConnMaxLifetime(0)
	// Opening runs the pragmas; switching a database another client uses
	// in rollback mode (Python lamindb) to WAL needs a moment without its
	// writers: wait for it as for any write.
	if err := db.retryBusy(ctx, func() error { return sdb.PingContext(ctx) }); err != nil {
		sdb.Close()
		return errs.Wrap(errs.ErrDatabase, err, "open the database %s: %v", file, classify(err))
	}
	db.DB, db.mode = sdb, mode
	return nil
}

// uriPath escapes a file path for SQLite's file: URIs, where '?' starts the
// parameters, '#' a fragment and '%' an escape: a folder named "a?b" must
// open a?b/.lamindb/lamin.db, not the file "a".
func uriPath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// unwritable reports whether err means the database's storage refuses writes.
func unwritable(err error) bool {
	c := sqliteCode(err) & 0xff
	return c == sqlite3.SQLITE_IOERR || c == sqlite3.SQLITE_FULL || c == sqlite3.SQLITE_READONLY || c == sqlite3.SQLITE_CANTOPEN
}

// readOnlyFS reports whether dir lies on a file system mounted read-only.
func readOnlyFS(dir string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false
	}
	return st.Flags&unix.ST_RDONLY != 0
}

// SchemaVersion returns the database's schema version (0 for a new database).
func (db *DB) SchemaVersion(ctx context.Context) (int64, error) {
	if db.pgCfg != nil {
		_, ours, err := pgShape(ctx, db.DB)
		if err != nil {
			return 0, classify(err)
		}
		v, err := pgVersion(ctx, db.DB, ours)
		return v, classify(err)
	}
	v, _, err := db.schemaVersion(ctx)
	return v, err
}

// schemaVersion returns the schema version and whether only goose's table
// of earlier releases holds it. Our table wins when both are there: an
// earlier release that opened a renamed database left an empty goose table.
// One query for the tables, one for the version: every command pays them.
func (db *DB) schemaVersion(ctx context.Context) (v int64, oldOnly bool, err error) {
	var ours, old int
	if err := db.DB.QueryRowContext(ctx, `SELECT coalesce(sum(name = ?1), 0), coalesce(sum(name = 'goose_db_version'), 0)
		FROM sqlite_master WHERE type = 'table' AND name IN (?1, 'goose_db_version')`, VersionTable).Scan(&ours, &old); err != nil {
		return 0, false, classify(err)
	}
	table := VersionTable
	switch {
	case ours > 0:
	case old > 0:
		table, oldOnly = "goose_db_version", true
	default:
		return 0, false, nil
	}
	var have sql.NullInt64
	if err := db.DB.QueryRowContext(ctx, `SELECT max(version_id) FROM `+table+` WHERE is_applied`).Scan(&have); err != nil {
		return 0, false, classify(err)
	}
	return have.Int64, oldOnly, nil
}

// checkVersion brings the schema to the newest version: a new database is
// created, one made by Python lamindb gets our tables, one of an earlier
// release is migrated. A schema newer than ours, or lamindb migrations newer
// (or older) than the lamindb schema we know, make the database read-only.
func (db *DB) checkVersion(ctx context.Context) error {
	want := Version(db.Dialect.Name())
	have, oldOnly, err := db.schemaVersion(ctx)
	if err != nil {
		return errs.Wrap(errs.ErrDatabase, err, "read the schema version of %s: %v", db.path, err)
	}
	sh, err := shape(ctx, db.DB)
	if err != nil {
		return errs.Wrap(errs.ErrDatabase, err, "read the schema of %s: %v", db.path, classify(err))
	}
	if err := db.checkLamindb(sh); err != nil {
		return err
	}
	switch {
	case have > want:
		db.readOnly = errs.New(errs.ErrReadOnly, "the database %s has schema version %d, newer than this lamin knows (%d): it can be read, not changed; upgrade lamin to write to it", db.path, have, want)
		return nil
	case have == want && oldOnly:
		return db.renameVersionTable(ctx) // an earlier release's name
	case have == want:
		return nil
	case have == 0 && !sh.empty && !sh.lamindb:
		return errs.New(errs.ErrNotFound, "%s is not a lamindb database (it has no lamindb_branch table)", db.path)
	case have == 0 && sh.empty:
		// New databases are copies of the template; an empty one is what
		// something else left (lamindb would fail on it too).
		return errs.New(errs.ErrNotFound, "%s is empty: not a lamindb database", db.path)
	case db.readOnly != nil && have == 0:
		// Made by Python lamindb and never opened for writing: our tables
		// are missing, and a read-only open cannot add them; readerHook
		// makes empty stand-ins. (A database that only lamindb's
		// migrations make read-only was opened for writing: reopen it.)
		if db.mode == modeReadWrite {
			why := db.readOnly
			db.DB.Close()
			if err := db.connect(ctx, modeQuery); err != nil {
				return err
			}
			db.readOnly = why
		}
		return nil
	case db.readOnly != nil:
		db.stale = have // read it as it is; the caller warns
		return nil
	}
	return db.migrate(ctx)
}

// checkLamindb makes a database whose lamindb migrations are not the ones
// whose schema we know read-only, saying which migration it has.
func (db *DB) checkLamindb(sh dbShape) error {
	switch {
	case sh.newest == "" || sh.newest == LamindbMigration:
		return nil
	case sh.newest > LamindbMigration:
		db.lamindbNotice = fmt.Sprintf("the instance was migrated by a newer lamindb (its django_migrations hold lamindb migration %s; this lamin knows the schema up to %s): it is opened read-only", sh.newest, LamindbMigration)
	default:
		db.lamindbNotice = fmt.Sprintf("the instance was made by an older lamindb (its newest lamindb migration is %s; this lamin needs %s): it is opened read-only; migrate it with lamindb (lamin migrate deploy)", sh.newest, LamindbMigration)
	}
	if db.readOnly == nil {
		db.readOnly = errs.New(errs.ErrReadOnly, "%s", db.lamindbNotice)
	}
	return nil
}

// LamindbNotice says why the database's lamindb schema made it read-only, or
// is empty.
func (db *DB) LamindbNotice() string { return db.lamindbNotice }

// readerDriver is the SQLite driver of read-only opens: every connection it
// makes gets readerHook.
const readerDriver = "sqlite-lamin-reader"

func init() {
	d := &sqlite.Driver{}
	d.RegisterConnectionHook(readerHook)
	sql.Register(readerDriver, d)
}

// readerHook prepares a read-only connection: our tables that the database
// lacks (one Python lamindb made and nobody opened for writing; one of an
// older schema) are created empty in the connection's temporary schema, so
// that reads of them find nothing instead of failing; then the connection
// is made query-only. It runs for every new connection of the pool.
func readerHook(conn sqlite.ExecQuerierContext, _ string) error {
	ctx := context.Background()
	rows, err := conn.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'lamin%'`, nil)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	vals := make([]driver.Value, 1)
	for rows.Next(vals) == nil {
		if name, ok := vals[0].(string); ok {
			have[name] = true
		}
	}
	rows.Close()
	for _, table := range laminTables("sqlite") {
		if have[table] {
			continue
		}
		for _, st := range laminTableDDL("sqlite", table) {
			st = strings.Replace(st, "CREATE TABLE ", "CREATE TEMP TABLE ", 1)
			if _, err := conn.ExecContext(ctx, st, nil); err != nil {
				return err
			}
		}
	}
	_, err = conn.ExecContext(ctx, `PRAGMA query_only = 1`, nil)
	return err
}

// migrate brings the schema up to date under an exclusive lock on the
// database file, so that two processes opening an old database do not both
// apply the same migration. (flock is independent of SQLite's own fcntl locks.)
func (db *DB) migrate(ctx context.Context) error {
	l, err := flock.Wait(ctx, db.path)
	if ctx.Err() != nil {
		return errs.Wrap(errs.ErrInterrupted, err, "interrupted while waiting to migrate %s", db.path)
	}
	if err != nil {
		return errs.Wrap(errs.ErrDatabase, err, "migrate %s: %v", db.path, err)
	}
	defer l.Unlock()
	have, oldOnly, err := db.schemaVersion(ctx)
	if err != nil {
		return err
	}
	if oldOnly {
		if err := db.renameVersionTable(ctx); err != nil {
			return err
		}
	}
	if have >= Version(db.Dialect.Name()) {
		return nil // another process migrated while we waited
	}
	if have == 0 {
		sh, err := shape(ctx, db.DB)
		if err != nil {
			return errs.Wrap(errs.ErrDatabase, err, "read the schema of %s: %v", db.path, classify(err))
		}
		if sh.empty {
			return errs.New(errs.ErrNotFound, "%s is empty: not a lamindb database", db.path)
		}
		return db.adopt(ctx)
	}
	sub, err := fs.Sub(migrations, path.Join("migrations", db.Dialect.Name()))
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db.DB, sub, goose.WithDisableGlobalRegistry(true),
		goose.WithTableName(VersionTable), goose.WithGoMigrations(goMigrations("sqlite")...))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	// goose holds one connection while it migrates, and a migration that
	// manages its own transaction (4) needs another.
	db.DB.SetMaxOpenConns(2)
	defer db.DB.SetMaxOpenConns(1)
	if _, err := p.Up(ctx); err != nil {
		return errs.Wrap(errs.ErrDatabase, err, "migrate the schema of %s: %v", db.path, classify(err))
	}
	return nil
}

// MigrateTo creates (or migrates) the SQLite database at file to exactly our
// schema version, through the migrations as an earlier release applied them:
// for tests of migrating the instances of earlier releases.
func MigrateTo(ctx context.Context, file string, version int64) error {
	db := &DB{Dialect: SQLite{}, path: file, opts: Options{BusyTimeout: 5 * time.Second, WriteWait: time.Minute}}
	if err := db.connect(ctx, modeReadWrite); err != nil {
		return err
	}
	defer db.DB.Close()
	sub, err := fs.Sub(migrations, path.Join("migrations", db.Dialect.Name()))
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db.DB, sub, goose.WithDisableGlobalRegistry(true),
		goose.WithTableName(VersionTable), goose.WithGoMigrations(goMigrations("sqlite")...))
	if err != nil {
		return err
	}
	db.DB.SetMaxOpenConns(2)
	_, err = p.UpTo(ctx, version)
	return err
}

// renameVersionTable gives goose's version table of earlier releases our
// name (when ours is not there: see schemaVersion).
func (db *DB) renameVersionTable(ctx context.Context) error {
	if db.readOnly != nil {
		return nil
	}
	_, err := db.DB.ExecContext(ctx, `ALTER TABLE goose_db_version RENAME TO `+VersionTable)
	if err != nil && !strings.Contains(err.Error(), "no such table") {
		return errs.Wrap(errs.ErrDatabase, err, "rename the schema version table of %s: %v", db.path, classify(err))
	}
	return nil
}

// QuickCheck runs SQLite's quick_check and returns its findings; nil means
// ok. PostgreSQL keeps its own files consistent: there is nothing to check.
func (db *DB) QuickCheck(ctx context.Context) ([]string, error) {
	if db.pgCfg != nil {
		return nil, nil
	}
	lines, err := Strings(ctx, db, `PRAGMA quick_check`)
	if err != nil {
		return nil, err
	}
	if len(lines) == 1 && lines[0] == "ok" {
		return nil, nil
	}
	return lines, nil
}

// Placeholders returns "?, ?, …" with n placeholders.
func Placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
