package sqldb_test

import (
	"context"
	"path/filepath"
	"testing"

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
		if n != 10 {
			t.Errorf("lamindb tables=%d, want 10", n)
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
	if _, err := db.Exec(ins); err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(ins)
	if !db.Dialect.IsUniqueViolation(err) {
		t.Fatalf("IsUniqueViolation(%v)=false, want true", err)
	}
}
