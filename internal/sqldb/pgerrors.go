package sqldb

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lamindb-go/lamindb/internal/errs"
)

// connLostError marks an error as "the connection to the server broke":
// nothing of the transaction it was in was committed (unless it broke
// during COMMIT, which Tx tells apart).
type connLostError struct{ cause error }

func (e *connLostError) Error() string {
	return "the connection to PostgreSQL was lost; the transaction was rolled back"
}

func (e *connLostError) Unwrap() error { return e.cause }

// isConnLost reports whether err says the connection to the server broke.
func isConnLost(err error) bool {
	var cl *connLostError
	return errors.As(err, &cl)
}

// pgKeyColumns reads the columns out of a unique violation's detail,
// "Key (storage_id, key, hash)=(…) already exists.".
var pgKeyColumns = regexp.MustCompile(`^Key \(([^)]*)\)=`)

// classifyPG classifies the errors of pgx and of the PostgreSQL server; it
// returns nil for an error that is neither (a SQLite one, say). No message
// carries a password: the server never sends one back, and pgx's own
// connection errors name the user and host only.
func classifyPG(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return classifyPgError(err, pe)
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return errs.Wrap(errs.ErrDatabase, err, "cannot reach PostgreSQL: connection refused (is the server running, and on this host and port?)")
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			return errs.Wrap(errs.ErrDatabase, err, "cannot reach PostgreSQL: no answer before the connect timeout (host unreachable or a firewall drops the packets)")
		}
		var dns *net.DNSError
		if errors.As(err, &dns) {
			return errs.Wrap(errs.ErrDatabase, err, "cannot reach PostgreSQL: unknown host %s", dns.Name)
		}
		// pgx lists one line per attempt (TLS, then plain): one line here.
		return errs.Wrap(errs.ErrDatabase, err, "cannot reach PostgreSQL: %s", strings.ReplaceAll(fmt.Sprint(errors.Unwrap(ce)), "\n", "; "))
	}
	if errors.Is(err, pgx.ErrTxCommitRollback) {
		return errs.Wrap(errs.ErrDatabase, err, "a statement of the transaction had failed, so PostgreSQL rolled it back at commit; nothing was changed")
	}
	if lostConnection(err) {
		return errs.Wrap(errs.ErrDatabase, &connLostError{err}, "the connection to PostgreSQL was lost; the transaction was rolled back")
	}
	return nil
}

// lostConnection reports errors that say the connection died under a
// command: the server went away (restart, failover, killed backend) or the
// network broke.
func lostConnection(err error) bool {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, net.ErrClosed) {
		return true
	}
	// pgconn reports a connection it already closed so, without a type.
	return strings.Contains(err.Error(), "conn closed")
}

func classifyPgError(err error, pe *pgconn.PgError) error {
	switch pe.Code {
	case "23505": // unique_violation
		c := &ConstraintError{Class: errs.ErrTaken, Table: pe.TableName, Index: pe.ConstraintName, cause: err}
		if m := pgKeyColumns.FindStringSubmatch(pe.Detail); m != nil {
			for _, col := range strings.Split(m[1], ",") {
				// Expression keys (lower(name)) are named as they are.
				c.Columns = append(c.Columns, strings.Trim(strings.TrimSpace(col), `"`))
			}
		}
		return c
	case "23503": // foreign_key_violation
		return &ConstraintError{Class: errs.ErrProtected, Table: pe.TableName, Index: pe.ConstraintName, cause: err}
	case "40001":
		return errs.Wrap(errs.ErrDatabase, err, "the transaction conflicted with another one and was rolled back (serialization failure)")
	case "40P01":
		return errs.Wrap(errs.ErrDatabase, err, "the transaction was rolled back to break a deadlock with another one")
	case "25006": // read_only_sql_transaction
		return errs.Wrap(errs.ErrReadOnly, err, "the PostgreSQL session is read-only: nothing can be changed")
	case "28P01", "28000": // invalid_password, invalid_authorization_specification
		return errs.Wrap(errs.ErrDatabase, err, "PostgreSQL refused the login: wrong password, or no such role (%s); settings files keep no password: set PGPASSWORD or add the server to ~/.pgpass", pe.Message)
	case "3D000": // invalid_catalog_name
		return errs.Wrap(errs.ErrNotFound, err, "no such PostgreSQL database (%s)", pe.Message)
	case "57P01", "57P02", "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
		return errs.Wrap(errs.ErrDatabase, &connLostError{err}, "the connection to PostgreSQL was lost (the server is restarting or shutting down); the transaction was rolled back")
	case "57014": // query_canceled (also statement_timeout)
		return errs.Wrap(errs.ErrInterrupted, err, "the statement was cancelled (%s)", pe.Message)
	case "55P03": // lock_not_available
		return errs.Wrap(errs.ErrDatabase, err, "a row or table stayed locked by another session (%s)", pe.Message)
	case "53300": // too_many_connections
		return errs.Wrap(errs.ErrDatabase, err, "the PostgreSQL server has no free connection slot")
	case "53100": // disk_full
		return errs.Wrap(errs.ErrDatabase, err, "the disk holding the PostgreSQL database is full")
	}
	switch pe.Code[:2] {
	case "22", "23": // data exception, other integrity constraints (NOT NULL, CHECK)
		return errs.Wrap(errs.ErrInvalid, err, "the database refused a value: %s", pe.Message)
	case "08": // connection exception
		return errs.Wrap(errs.ErrDatabase, &connLostError{err}, "the connection to PostgreSQL was lost; the transaction was rolled back")
	case "42":
		if pe.Code == "42501" { // insufficient_privilege
			return errs.Wrap(errs.ErrDatabase, err, "PostgreSQL refused: %s (the role lacks a privilege)", pe.Message)
		}
	}
	return errs.Wrap(errs.ErrDatabase, err, "database error: %s (SQLSTATE %s)", pe.Message, pe.Code)
}
