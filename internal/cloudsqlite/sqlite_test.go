package cloudsqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/lamindb-go/lamindb/blob/local"
	"github.com/lamindb-go/lamindb/internal/cloudsqlite"
)

// sqliteChildEnv makes this test binary the killed writer of
// TestSQLiteKilledBeforeUpload: the variable holds "<store root>|<cache>".
const sqliteChildEnv = "LAMIN_CLOUDSQLITE_SQLITE_CHILD"

const instanceID = "00112233445566778899aabbccddeeff"

// machine opens the instance's database as one machine with its own cache.
type machine struct {
	root, cache string
}

func (m machine) open(t testing.TB, mode cloudsqlite.Mode) *cloudsqlite.DB {
	t.Helper()
	s := local.New(m.root)
	path, err := cloudsqlite.LocalPath(m.cache, s.Root())
	if err != nil {
		t.Fatal(err)
	}
	opts := cloudsqlite.Options{Store: s, Local: path, Wait: true}
	if mode == cloudsqlite.ReadWrite {
		l, err := cloudsqlite.NewLocker(cloudsqlite.Config{Store: s, InstanceID: instanceID, User: "testUser", LocalDir: filepath.Dir(path)})
		if err != nil {
			t.Fatal(err)
		}
		opts.Locker = l
	}
	db, err := cloudsqlite.Open(context.Background(), opts, mode)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// sqlOpen opens the local copy as the instance layer does: WAL.
func sqlOpen(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	return db
}

func exec1(t testing.TB, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func rows(t testing.TB, m machine) int {
	t.Helper()
	db := m.open(t, cloudsqlite.ReadOnly)
	defer db.Close(context.Background())
	sq := sqlOpen(t, db.Path())
	defer sq.Close()
	var n int
	if err := sq.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSQLitePush checks the contract with SQLite itself: a commit sits in
// the WAL, where Push refuses it; after wal_checkpoint(TRUNCATE) the main file
// holds it, Push uploads it and another machine reads it.
func TestSQLitePush(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	a, b := machine{root, t.TempDir()}, machine{root, t.TempDir()}
	db := a.open(t, cloudsqlite.ReadWrite)
	defer db.Close(ctx)
	sq := sqlOpen(t, db.Path())
	exec1(t, sq, "CREATE TABLE t (x)")
	exec1(t, sq, "INSERT INTO t VALUES (1)")
	if err := db.Push(ctx); !errors.Is(err, cloudsqlite.ErrNotCheckpointed) {
		t.Fatalf("Push with the commit in the WAL: %v", err)
	}
	exec1(t, sq, "PRAGMA wal_checkpoint(TRUNCATE)")
	if err := db.Push(ctx); err != nil {
		t.Fatal(err)
	}
	sq.Close()
	db.Close(ctx)
	if n := rows(t, b); n != 1 {
		t.Fatalf("the other machine reads %d rows", n)
	}
}

// TestSQLiteKilledBeforeUpload kills a writer after its commit (in the WAL)
// and before its checkpoint and upload. The next write command on that
// machine must not upload the main file alone; once it has opened the
// database (SQLite replays the WAL) and checkpointed, its Push carries the
// killed command's row too.
func TestSQLiteKilledBeforeUpload(t *testing.T) {
	ctx := context.Background()
	if v := os.Getenv(sqliteChildEnv); v != "" {
		var root, cache string
		fmt.Sscanf(v, "%s %s", &root, &cache)
		db := machine{root, cache}.open(t, cloudsqlite.ReadWrite)
		sq := sqlOpen(t, db.Path())
		exec1(t, sq, "INSERT INTO t VALUES (2)")
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	root := t.TempDir()
	a, b := machine{root, t.TempDir()}, machine{root, t.TempDir()}
	db := a.open(t, cloudsqlite.ReadWrite)
	sq := sqlOpen(t, db.Path())
	exec1(t, sq, "CREATE TABLE t (x)")
	exec1(t, sq, "INSERT INTO t VALUES (1)")
	exec1(t, sq, "PRAGMA wal_checkpoint(TRUNCATE)")
	if err := db.Push(ctx); err != nil {
		t.Fatal(err)
	}
	sq.Close()
	db.Close(ctx)

	cmd := exec.Command(os.Args[0], "-test.run=^TestSQLiteKilledBeforeUpload$", "-test.count=1")
	cmd.Env = append(os.Environ(), sqliteChildEnv+"="+root+" "+a.cache)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err == nil {
		t.Fatal("the child was not killed")
	}
	if n := rows(t, b); n != 1 {
		t.Fatalf("the bucket has %d rows before the next write, want 1", n)
	}
	db = a.open(t, cloudsqlite.ReadWrite)
	defer db.Close(ctx)
	if n := rows(t, b); n != 1 {
		t.Fatalf("Open uploaded a main file without its WAL (%d rows)", n)
	}
	sq = sqlOpen(t, db.Path())
	defer sq.Close()
	exec1(t, sq, "INSERT INTO t VALUES (3)")
	exec1(t, sq, "PRAGMA wal_checkpoint(TRUNCATE)")
	if err := db.Push(ctx); err != nil {
		t.Fatal(err)
	}
	if n := rows(t, b); n != 3 {
		t.Fatalf("the bucket has %d rows, want 3 (the killed command's too)", n)
	}
}
