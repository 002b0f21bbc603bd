package sqldb_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/lamindb-go/lamindb/internal/errs"
	"github.com/lamindb-go/lamindb/internal/sqldb"
	"github.com/lamindb-go/lamindb/internal/sqldb/pgtest"
)

func openPG(t *testing.T, dsn string, o ...sqldb.Options) *sqldb.DB {
	t.Helper()
	db, err := sqldb.OpenPostgres(context.Background(), dsn, o...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// withPassword puts the test server's password (PGPASSWORD) into dsn.
func withPassword(t *testing.T, dsn, password string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String()
}

func TestPostgresLoginErrors(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	ctx := context.Background()
	const secret = "not-the-Password-42"
	password := os.Getenv("PGPASSWORD")
	t.Setenv("PGPASSWORD", "")
	t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "none"))
	u, _ := url.Parse(dsn)
	for _, tc := range []struct {
		name, dsn string
		class     error
		says      string
	}{
		{"WrongPassword", withPassword(t, dsn, secret), errs.ErrDatabase, "wrong password, or no such role"},
		{"NoSuchRole", strings.Replace(withPassword(t, dsn, secret), "lamin:", "nobody:", 1), errs.ErrDatabase, "nobody@"},
		{"NoSuchDatabase", pgtest.WithDatabase(os.Getenv(pgtest.EnvDSN), "no_such_db_x"), errs.ErrNotFound, "no_such_db_x"},
		{"BadDSN", "postgres://lamin:" + secret + "@127.0.0.1:notaport/x", errs.ErrInvalid, "invalid PostgreSQL address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "NoSuchDatabase" {
				t.Setenv("PGPASSWORD", password)
			}
			_, err := sqldb.OpenPostgres(ctx, tc.dsn)
			if !errors.Is(err, tc.class) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("got %v, want %v saying %q", err, tc.class, tc.says)
			}
			if tc.class == errs.ErrDatabase && errs.ExitCode(err) != errs.ExitFailure {
				t.Errorf("exit code %d", errs.ExitCode(err))
			}
			if all := fmt.Sprintf("%v %+v %#v", err, err, err); strings.Contains(all, secret) {
				t.Errorf("the password leaks: %s", all)
			}
			if tc.name == "WrongPassword" && !strings.Contains(err.Error(), "lamin@127.0.0.1:"+u.Port()+"/") {
				t.Errorf("the message does not name user@host:port/db: %v", err)
			}
		})
	}
}

func TestPostgresUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now
	start := time.Now()
	_, err = sqldb.OpenPostgres(context.Background(), fmt.Sprintf("postgres://lamin:pw@127.0.0.1:%d/x?sslmode=disable", port))
	if !errors.Is(err, errs.ErrDatabase) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s to say the server is not there", d)
	}
}

// TestPostgresPasswordSources: as libpq, pgx takes the password from
// PGPASSWORD or from the password file when the DSN has none.
func TestPostgresPasswordSources(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	password := os.Getenv("PGPASSWORD")
	if password == "" {
		if os.Getenv("LAMIN_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("PGPASSWORD unset: the test server's password is unknown (scripts/start-postgres exports it)")
		}
		t.Skip("PGPASSWORD unset: the test server's password is unknown")
	}
	u, _ := url.Parse(dsn)
	t.Run("PGPASSWORD", func(t *testing.T) {
		t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "none"))
		openPG(t, dsn)
	})
	t.Run("PGPASSFILE", func(t *testing.T) {
		t.Setenv("PGPASSWORD", "")
		os.Unsetenv("PGPASSWORD")
		file := filepath.Join(t.TempDir(), "pgpass")
		line := fmt.Sprintf("%s:%s:*:%s:%s\n", u.Hostname(), u.Port(), u.User.Username(), strings.ReplaceAll(password, ":", `\:`))
		if err := os.WriteFile(file, []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PGPASSFILE", file)
		openPG(t, dsn)
	})
	t.Run("DSN", func(t *testing.T) {
		t.Setenv("PGPASSWORD", "")
		os.Unsetenv("PGPASSWORD")
		t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "none"))
		openPG(t, withPassword(t, dsn, password))
	})
}

// terminate ends the server sessions of db's pool from outside, as a
// server restart or a failover does (SQLSTATE 57P01 on the next command).
func terminate(t *testing.T, dsn string) {
	t.Helper()
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	u, _ := url.Parse(dsn)
	if _, err := raw.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name = 'lamin'`, strings.TrimPrefix(u.Path, "/")); err != nil {
		t.Fatal(err)
	}
}

func TestPostgresConnectionLost(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	ctx := context.Background()
	db := openPG(t, dsn)
	if _, err := db.ExecContext(ctx, `INSERT INTO lamin_setting (key, value) VALUES ('n', '0')`); err != nil {
		t.Fatal(err)
	}

	// Cut off before COMMIT: Tx runs the transaction again, once.
	var runs atomic.Int32
	err := db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE lamin_setting SET value = value || 'x' WHERE key = 'n'`); err != nil {
			return err
		}
		if runs.Add(1) == 1 {
			terminate(t, dsn)
		}
		_, err := tx.ExecContext(ctx, `UPDATE lamin_setting SET value = value || 'y' WHERE key = 'n'`)
		return err
	})
	if err != nil || runs.Load() != 2 {
		t.Fatalf("Tx: %v after %d runs", err, runs.Load())
	}
	var v string
	if err := db.QueryRowContext(ctx, `SELECT value FROM lamin_setting WHERE key = 'n'`).Scan(&v); err != nil || v != "0xy" {
		t.Errorf("value %q (%v): want the second run's writes only", v, err)
	}

	// Outside a transaction, the message says what happened.
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	terminate(t, dsn)
	_, err = conn.ExecContext(ctx, `SELECT 1`)
	if err == nil {
		t.Fatal("a statement on a terminated session succeeded")
	}
	// (classified through a query of the DB: the raw conn gives pgx's error)
	if c := sqldb.Classify(err); !errors.Is(c, errs.ErrDatabase) || !strings.Contains(c.Error(), "connection to PostgreSQL was lost") {
		t.Errorf("classified as %v", c)
	}
	// The pool recovers by itself.
	if err := db.QueryRowContext(ctx, `SELECT value FROM lamin_setting WHERE key = 'n'`).Scan(&v); err != nil {
		t.Errorf("after the loss: %v", err)
	}
}

func TestPostgresTxGivesUp(t *testing.T) {
	db := openPG(t, pgtest.NewDatabase(t))
	var runs int
	err := db.Tx(context.Background(), func(ctx context.Context, tx *sqldb.Tx) error {
		runs++
		return &pgconn.PgError{Code: "40001", Message: "could not serialize access"}
	})
	if runs != sqldb.TxAttempts || !errors.Is(err, errs.ErrDatabase) || !strings.Contains(err.Error(), "gave up after") {
		t.Errorf("after %d runs: %v", runs, err)
	}
	runs = 0
	err = db.Tx(context.Background(), func(ctx context.Context, tx *sqldb.Tx) error {
		runs++
		return errs.New(errs.ErrChanged, "changed")
	})
	if runs != 1 || !errors.Is(err, errs.ErrChanged) {
		t.Errorf("another error: %d runs, %v", runs, err)
	}
}

func TestPostgresForUpdate(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	ctx := context.Background()
	db := openPG(t, dsn)
	if _, err := db.ExecContext(ctx, `INSERT INTO lamin_setting (key, value) VALUES ('k', 'v')`); err != nil {
		t.Fatal(err)
	}
	err := db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		var v string
		return tx.QueryRowContext(ctx, `SELECT value FROM lamin_setting WHERE key = ?`+db.Dialect.ForUpdate(), "k").Scan(&v)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPostgresDropInstance(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	ctx := context.Background()
	db := openPG(t, dsn)
	if err := db.DropInstance(ctx); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var tables, funcs, seqs int
	if err := raw.QueryRow(`SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace),
		(SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace),
		(SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = 'public'::regnamespace)`).Scan(&tables, &funcs, &seqs); err != nil {
		t.Fatal(err)
	}
	if tables+funcs+seqs != 0 {
		t.Errorf("left behind: %d relations, %d functions, %d triggers", tables, funcs, seqs)
	}
	db.Close()
	// The database stays, and can hold a new instance.
	openPG(t, dsn)
	ro := openPG(t, dsn, sqldb.Options{ReadOnly: true})
	if err := ro.DropInstance(ctx); !errors.Is(err, errs.ErrReadOnly) {
		t.Errorf("a read-only DB dropped the instance: %v", err)
	}
}

func TestPostgresNotLamindb(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`CREATE TABLE something (id int)`); err != nil {
		t.Fatal(err)
	}
	if _, err := sqldb.OpenPostgres(context.Background(), dsn); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("a database with other tables: %v", err)
	}
	var n int
	raw.QueryRow(`SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'`).Scan(&n)
	if n != 1 {
		t.Errorf("it was changed: %d tables", n)
	}
}

// TestPostgresSwallowedError: fn ignored a failed statement and returned
// nil; the commit says the transaction was rolled back.
func TestPostgresSwallowedError(t *testing.T) {
	db := openPG(t, pgtest.NewDatabase(t))
	ctx := context.Background()
	err := db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		tx.ExecContext(ctx, `INSERT INTO no_such_table VALUES (1)`)
		_, err := tx.ExecContext(ctx, `INSERT INTO lamin_setting (key, value) VALUES ('a', 'b')`)
		if err == nil {
			return errors.New("a statement after a failed one succeeded")
		}
		return nil
	})
	if !errors.Is(err, errs.ErrDatabase) || !strings.Contains(err.Error(), "rolled it back") {
		t.Errorf("commit: %v", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM lamin_setting`).Scan(&n); err != nil || n != 0 {
		t.Errorf("rows: %d (%v)", n, err)
	}
}

// TestPostgresStalePlan: another program (lamindb migrating) adds a column
// to a table a cached statement reads with *: the statement is prepared
// again instead of failing from then on.
func TestPostgresStalePlan(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	db, other := openPG(t, dsn), openPG(t, dsn)
	ctx := context.Background()
	read := func(q sqldb.Querier) error {
		_, err := sqldb.Strings(ctx, q, `SELECT * FROM lamin_setting`)
		return err
	}
	if err := read(db); err != nil {
		t.Fatal(err)
	}
	if _, err := other.ExecContext(ctx, `ALTER TABLE lamin_setting ADD COLUMN x text`); err != nil {
		t.Fatal(err)
	}
	if err := read(db); err != nil {
		t.Errorf("after ALTER TABLE: %v", err)
	}
	if _, err := other.ExecContext(ctx, `ALTER TABLE lamin_setting DROP COLUMN x`); err != nil {
		t.Fatal(err)
	}
	if err := db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error { return read(tx) }); err != nil {
		t.Errorf("in a transaction after ALTER TABLE: %v", err)
	}
}
