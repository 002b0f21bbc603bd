package cloudsqlite_test

import (
	"context"
	"database/sql"
	"log"
	"os"
	"path/filepath"

	"github.com/lamindb-go/lamindb/blob/local"
	"github.com/lamindb-go/lamindb/internal/cloudsqlite"
)

// A write command on a cloud SQLite instance: lock and bring the local copy
// up to date, write through SQLite, checkpoint, upload, release. A read-only
// command is the same with cloudsqlite.ReadOnly, no Locker and no Push.
func ExampleOpen() {
	ctx := context.Background()
	store := local.New(os.TempDir()) // blob/s3 for s3://bucket/prefix
	cache := filepath.Join(os.TempDir(), "lamin-cache")
	path, err := cloudsqlite.LocalPath(cache, store.Root())
	if err != nil {
		log.Fatal(err)
	}
	locker, err := cloudsqlite.NewLocker(cloudsqlite.Config{
		Store:      store,
		InstanceID: "0123456789abcdef0123456789abcdef", // the instance's UUID, hex
		User:       "DzTjkKse",                         // the acting user's uid
		LocalDir:   filepath.Dir(path),
		Warn:       func(msg string) { log.Print("! " + msg) },
	})
	if err != nil {
		log.Fatal(err)
	}
	db, err := cloudsqlite.Open(ctx, cloudsqlite.Options{Store: store, Local: path, Locker: locker}, cloudsqlite.ReadWrite)
	if err != nil {
		log.Fatal(err) // a *LockedError names the holder (exit code 4)
	}
	defer db.Close(ctx)
	sq, err := sql.Open("sqlite", "file:"+db.Path()+"?_pragma=journal_mode(WAL)")
	if err != nil {
		log.Fatal(err)
	}
	defer sq.Close()
	// ... the command's transactions ...
	if _, err := sq.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		log.Fatal(err)
	}
	if err := db.Push(ctx); err != nil {
		log.Fatal(err)
	}
}
