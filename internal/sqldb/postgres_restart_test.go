package sqldb_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lamindb-go/lamindb/internal/errs"
	"github.com/lamindb-go/lamindb/internal/sqldb"
	"github.com/lamindb-go/lamindb/internal/sqldb/pgtest"
)

// TestPostgresBootstrapCutOff: a process cut off while it creates the
// schema leaves nothing half-made; the next open creates all of it.
func TestPostgresBootstrapCutOff(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	for _, d := range []time.Duration{5 * time.Millisecond, 30 * time.Millisecond, 100 * time.Millisecond} {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		db, err := sqldb.OpenPostgres(ctx, dsn)
		cancel()
		if err == nil {
			db.Close()
			break // fast machine: it finished
		}
		if !errors.Is(err, errs.ErrInterrupted) && !errors.Is(err, errs.ErrDatabase) {
			t.Fatalf("cut off after %s: %v", d, err)
		}
		t.Logf("cut off after %s: %v", d, err)
	}
	db := openPG(t, dsn)
	var tables, migs int
	if err := db.QueryRowContext(context.Background(), `SELECT (SELECT count(*) FROM pg_class WHERE relname LIKE 'lamindb\_%' AND relkind = 'r'),
		(SELECT count(*) FROM django_migrations)`).Scan(&tables, &migs); err != nil {
		t.Fatal(err)
	}
	if tables != 85 || migs != 19 {
		t.Errorf("%d lamindb tables, %d migrations: want 85, 19", tables, migs)
	}
}

// privateServer starts a PostgreSQL server of the test's own (one it may
// restart without disturbing other tests) with scripts/start-postgres.
func privateServer(t *testing.T) (dsn, restart string) {
	t.Helper()
	pgtest.Server(t) // the same rule: skip or fail without a test server
	dir, err := os.MkdirTemp("", "lamin-pg-")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", "-c", `eval "$(../../scripts/start-postgres "$1")" && printf '%s\n%s\n%s\n' "$LAMIN_TEST_POSTGRES" "$PGPASSWORD" "$LAMIN_TEST_POSTGRES_STOP"`, "bash", dir).Output()
	if err != nil {
		os.RemoveAll(dir)
		t.Fatalf("start a private server: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 3 {
		t.Fatalf("start-postgres printed %q", out)
	}
	stop := lines[2]
	t.Cleanup(func() {
		exec.Command("bash", "-c", stop).Run()
		os.RemoveAll(dir)
	})
	// The restarted server logs to the file, not to the output of the
	// command (which would then never end).
	restart = strings.Replace(stop, " stop", " -l "+dir+"/log/postgres.log -w restart", 1)
	return withPassword(t, lines[0], lines[1]), restart
}

// TestPostgresServerRestart: a server restarted in the middle of a
// transaction: the transaction was rolled back, Tx waits for the server and
// runs it again; the pool's other connections recover by themselves.
func TestPostgresServerRestart(t *testing.T) {
	dsn, restart := privateServer(t)
	ctx := context.Background()
	db := openPG(t, dsn)
	if _, err := db.ExecContext(ctx, `INSERT INTO lamin_setting (key, value) VALUES ('n', '0')`); err != nil {
		t.Fatal(err)
	}
	var runs atomic.Int32
	err := db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE lamin_setting SET value = value || 'x' WHERE key = 'n'`); err != nil {
			return err
		}
		if runs.Add(1) == 1 {
			if out, err := runFor(time.Minute, restart); err != nil {
				t.Fatalf("restart: %v\n%s", err, out)
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE lamin_setting SET value = value || 'y' WHERE key = 'n'`)
		return err
	})
	if err != nil || runs.Load() != 2 {
		t.Fatalf("Tx: %v after %d runs", err, runs.Load())
	}
	var v string
	if err := db.QueryRowContext(ctx, `SELECT value FROM lamin_setting WHERE key = 'n'`).Scan(&v); err != nil || v != "0xy" {
		t.Errorf("value %q (%v)", v, err)
	}
	// Outside a transaction, after another restart, the next statement
	// gets a fresh connection.
	if out, err := runFor(time.Minute, restart); err != nil {
		t.Fatalf("restart: %v\n%s", err, out)
	}
	time.Sleep(1100 * time.Millisecond) // idle long enough that the pool checks its connection
	if err := db.QueryRowContext(ctx, `SELECT value FROM lamin_setting WHERE key = 'n'`).Scan(&v); err != nil {
		t.Errorf("after a restart: %v", err)
	}
}

// runFor runs a shell command, killed after d.
func runFor(d time.Duration, cmd string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return exec.CommandContext(ctx, "bash", "-c", cmd).CombinedOutput()
}

// TestPostgresMigrates: a database at an older version of ours goes
// through goose's PostgreSQL migrations to the newest (today's are
// baselines; later ones will do work the same way).
func TestPostgresMigrates(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	ctx := context.Background()
	openPG(t, dsn).Close()
	raw := openPG(t, dsn)
	if _, err := raw.DB.ExecContext(ctx, `DELETE FROM `+sqldb.VersionTable+` WHERE version_id >= 3`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db := openPG(t, dsn)
	if v, err := db.SchemaVersion(ctx); err != nil || v != sqldb.Version("postgres") {
		t.Errorf("version %d (%v), want %d", v, err, sqldb.Version("postgres"))
	}
	if err := db.ReadOnly(); err != nil {
		t.Errorf("read-only: %v", err)
	}
}
