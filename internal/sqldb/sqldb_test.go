package sqldb_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lamindb-go/lamindb/internal/errs"
	"github.com/lamindb-go/lamindb/internal/sqldb"
)

func TestOpenSQLiteMigratesOnce(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "lamin.db")
	for i := 0; i < 2; i++ {
		db, err := sqldb.OpenSQLite(ctx, file)
		if err != nil {
			t.Fatalf("open #%d: %v", i, err)
		}
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name LIKE 'lamindb_%' AND type='table'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 85 {
			t.Errorf("lamindb tables=%d, want 85", n)
		}
		var mode string
		db.QueryRow(`PRAGMA journal_mode`).Scan(&mode)
		if mode != "wal" {
			t.Errorf("journal_mode=%q, want wal", mode)
		}
		db.Close()
	}
}

func TestUniqueViolation(t *testing.T) {
	ctx := context.Background()
	db, err := sqldb.OpenSQLite(ctx, filepath.Join(t.TempDir(), "lamin.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ins := `INSERT INTO lamindb_user (uid, handle) VALUES ('00000000', 'anonymous')`
	if _, err := db.ExecContext(ctx, ins); err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(ctx, ins)
	if !errors.Is(err, errs.ErrTaken) {
		t.Fatalf("insert twice: %v, want ErrTaken", err)
	}
}

// Earlier releases kept goose's default table name; opening renames it, keeping the rows.
func TestVersionTableRenamed(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "lamin.db")
	db, err := sqldb.OpenSQLite(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`ALTER TABLE ` + sqldb.VersionTable + ` RENAME TO goose_db_version`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqldb.OpenSQLite(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'goose_db_version'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("goose_db_version still there: %d %v", n, err)
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil || v != sqldb.Version("sqlite") {
		t.Fatalf("SchemaVersion()=%d,%v, want %d", v, err, sqldb.Version("sqlite"))
	}
}

// An earlier release that opens a renamed database finds no goose_db_version
// and leaves an empty one beside ours: the database still opens, at our version,
// and the stray table is left alone.
func TestBothVersionTables(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "lamin.db")
	db, err := sqldb.OpenSQLite(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY, version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')))`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for i := range 2 { // the second open must not trip over the first
		db, err = sqldb.OpenSQLite(ctx, file)
		if err != nil {
			t.Fatalf("open %d: %v", i+1, err)
		}
		v, err := db.SchemaVersion(ctx)
		if err != nil || v != sqldb.Version("sqlite") {
			t.Fatalf("SchemaVersion()=%d,%v, want %d", v, err, sqldb.Version("sqlite"))
		}
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM goose_db_version`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("goose_db_version: %d rows, %v; want it left as it was", n, err)
		}
		db.Close()
	}
}

// A database from a newer schema opens read-only: queries work, writes fail naming both versions.
func TestNewerSchemaIsReadOnly(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "lamin.db")
	db, err := sqldb.OpenSQLite(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO ` + sqldb.VersionTable + ` (version_id, is_applied) VALUES (9999, 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqldb.OpenSQLite(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM lamindb_artifact`).Scan(&n); err != nil {
		t.Fatalf("read: %v", err)
	}
	err = db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error { return nil })
	if !errors.Is(err, errs.ErrReadOnly) || !strings.Contains(err.Error(), "9999") || !strings.Contains(err.Error(), fmt.Sprintf("(%d)", sqldb.Version("sqlite"))) {
		t.Fatalf("Tx()=%v, want a read-only error naming both versions", err)
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM lamindb_artifact`); !errors.Is(err, errs.ErrReadOnly) {
		t.Fatalf("ExecContext()=%v, want read-only", err)
	}
}

// Writers queue: a transaction that finds the write lock held longer than
// SQLite's own busy timeout waits its turn instead of failing.
func TestWritersQueue(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "lamin.db")
	a, err := sqldb.OpenSQLite(ctx, file, sqldb.Options{BusyTimeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	waited := make(chan time.Duration, 1)
	b, err := sqldb.OpenSQLite(ctx, file, sqldb.Options{BusyTimeout: 20 * time.Millisecond, Waiting: func(d time.Duration) { waited <- d }})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	holding := make(chan struct{})
	release := make(chan struct{})
	go a.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		close(holding)
		<-release
		return nil
	})
	<-holding
	time.AfterFunc(300*time.Millisecond, func() { close(release) })
	err = b.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO lamindb_user (uid, handle) VALUES ('00000001', 'queued')`)
		return err
	})
	if err != nil {
		t.Fatalf("the queued writer failed: %v", err)
	}
	select {
	case <-waited:
	default:
		t.Error("the queued writer was not told it waited")
	}
}

// A query on the DB from inside its own transaction fails instead of
// waiting for itself forever.
func TestQueryInsideOwnTx(t *testing.T) {
	ctx := context.Background()
	db, err := sqldb.OpenSQLite(ctx, filepath.Join(t.TempDir(), "lamin.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		var n int
		return db.QueryRowContext(ctx, `SELECT 1`).Scan(&n)
	})
	if err == nil || !strings.Contains(err.Error(), "inside its own transaction") {
		t.Fatalf("Tx()=%v", err)
	}
}

// Constraint failures are classified where they arise: a unique key is Taken
// and names its columns; driver text does not reach the message.
func TestConstraintsClassified(t *testing.T) {
	ctx := context.Background()
	db, err := sqldb.OpenSQLite(ctx, filepath.Join(t.TempDir(), "lamin.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ins := func() error {
		return db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO lamindb_user (uid, handle) VALUES ('00000002', 'twice')`)
			return err
		})
	}
	if err := ins(); err != nil {
		t.Fatal(err)
	}
	err = ins()
	if !errors.Is(err, errs.ErrTaken) || errs.ExitCode(err) != errs.ExitRefused || !strings.Contains(err.Error(), "lamindb_user (") || strings.Contains(err.Error(), "2067") {
		t.Fatalf("second insert: %v", err)
	}
}

// Processes that open an older database at once migrate it once: the
// migration lock makes the others wait and find it done. (Without the lock,
// 16 openers reliably collide: one fails on a duplicate column.)
func TestConcurrentMigration(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "lamin.db")
	want := sqldb.Version("sqlite")
	if err := sqldb.MigrateTo(ctx, file, want-1); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 16)
	for range 16 {
		go func() {
			db, err := sqldb.OpenSQLite(ctx, file)
			if err == nil {
				var v int64
				if v, err = db.SchemaVersion(ctx); err == nil && v != want {
					err = fmt.Errorf("schema version %d, want %d", v, want)
				}
				db.Close()
			}
			errc <- err
		}()
	}
	for range 16 {
		if err := <-errc; err != nil {
			t.Errorf("open: %v", err)
		}
	}
	db, err := sqldb.OpenSQLite(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var applied int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+sqldb.VersionTable+` WHERE version_id = ?`, want).Scan(&applied); err != nil || applied != 1 {
		t.Fatalf("migration %d recorded %d times (%v), want once", want, applied, err)
	}
}

// A write to a database file that was replaced since it was opened (the
// instance was deleted, another made in its place) changes nothing.
func TestTxRefusesReplacedDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "lamin.db")
	db, err := sqldb.OpenSQLite(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other, err := sqldb.OpenSQLite(ctx, filepath.Join(dir, "other.db"))
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	if err := os.Rename(filepath.Join(dir, "other.db"), file); err != nil {
		t.Fatal(err)
	}
	ran := false
	err = db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error { ran = true; return nil })
	if !errors.Is(err, errs.ErrNoInstance) || ran {
		t.Fatalf("Tx()=%v (ran %v), want ErrNoInstance before fn runs", err, ran)
	}
}
