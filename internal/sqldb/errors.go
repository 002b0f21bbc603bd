package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/lamindb-go/lamindb/internal/errs"
)

// ConstraintError is a constraint the database enforced: a unique key that is
// taken (errs.ErrTaken) or a foreign key that still references a row being
// deleted (errs.ErrProtected). Callers that know more (which record, which
// value) wrap it in a message of their own.
type ConstraintError struct {
	Class   error    // errs.ErrTaken or errs.ErrProtected
	Table   string   // the table, when the database names it
	Columns []string // the columns of the key, when the database names them
	Index   string   // the unique index, when the database names it instead
	cause   error
}

// Error names the key.
func (e *ConstraintError) Error() string {
	if errors.Is(e.Class, errs.ErrProtected) {
		return "a record still references one being deleted (a foreign key protects it); nothing was changed"
	}
	switch {
	case len(e.Columns) > 0:
		return "already taken: " + e.Table + " (" + strings.Join(e.Columns, ", ") + ") must be unique"
	case e.Index != "":
		return "already taken: unique index " + e.Index
	}
	return "already taken: a unique key"
}

// Unwrap returns the class and the driver's error.
func (e *ConstraintError) Unwrap() []error { return []error{e.Class, e.cause} }

var uniqueCols = regexp.MustCompile(`UNIQUE constraint failed: ([^()]+?)(?: \(\d+\))?$`)
var uniqueIndex = regexp.MustCompile(`UNIQUE constraint failed: index '([^']+)'`)

// Classify is classify for errors of statements run past the DB (a raw
// *sql.Conn, say): the same classes and messages.
func Classify(err error) error { return classify(err) }

// classify turns a driver error into one of errs' classes with a message a
// user can read; nil, sql.ErrNoRows and already classified errors pass through.
func classify(err error) error {
	if err == nil || errors.Is(err, sql.ErrNoRows) {
		return err
	}
	var ee *errs.Error
	var ce *ConstraintError
	if errors.As(err, &ee) || errors.As(err, &ce) {
		return err
	}
	// A PostgreSQL connect timeout is a deadline too, but it says the
	// server is unreachable, not that the user interrupted.
	var pce *pgconn.ConnectError
	if errors.As(err, &pce) && !errors.Is(err, context.Canceled) {
		return classifyPG(err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errs.Wrap(errs.ErrInterrupted, err, "interrupted")
	}
	if c := classifyPG(err); c != nil {
		return c
	}
	code := sqliteCode(err)
	msg := err.Error()
	switch {
	case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		c := &ConstraintError{Class: errs.ErrTaken, cause: err}
		if m := uniqueIndex.FindStringSubmatch(msg); m != nil {
			c.Index = m[1]
		} else if m := uniqueCols.FindStringSubmatch(msg); m != nil {
			for _, tc := range strings.Split(m[1], ", ") {
				t, col, _ := strings.Cut(tc, ".")
				c.Table, c.Columns = t, append(c.Columns, col)
			}
		}
		return c
	case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return &ConstraintError{Class: errs.ErrProtected, cause: err}
	case code&0xff == sqlite3.SQLITE_CONSTRAINT:
		return errs.Wrap(errs.ErrInvalid, err, "the database refused a value: %s", strings.TrimPrefix(msg, "constraint failed: "))
	case code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED:
		return errs.Wrap(errs.ErrDatabase, err, "the database is locked by another process")
	case code&0xff == sqlite3.SQLITE_READONLY:
		return errs.Wrap(errs.ErrReadOnly, err, "the database cannot be written (read-only file or storage)")
	case code&0xff == sqlite3.SQLITE_FULL:
		return errs.Wrap(errs.ErrDatabase, err, "the disk holding the database is full")
	case code&0xff == sqlite3.SQLITE_CORRUPT || code&0xff == sqlite3.SQLITE_NOTADB:
		return errs.Wrap(errs.ErrDatabase, err, "the database file is malformed; see `lamin check`")
	case code&0xff == sqlite3.SQLITE_CANTOPEN:
		return errs.Wrap(errs.ErrDatabase, err, "cannot open the database file")
	case code&0xff == sqlite3.SQLITE_IOERR:
		return errs.Wrap(errs.ErrDatabase, err, "I/O error on the database file")
	case code&0xff == sqlite3.SQLITE_INTERRUPT:
		return errs.Wrap(errs.ErrInterrupted, err, "interrupted")
	case code != 0 && (strings.Contains(msg, "too large") || strings.Contains(msg, "too many")):
		return errs.Wrap(errs.ErrInvalid, err, "the query is too large for the database (too many filters or values)")
	case code != 0:
		return errs.Wrap(errs.ErrDatabase, err, "database error: %s", msg)
	}
	return err
}
