package lamindb

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/blob/cache"
	"github.com/lamindb-go/lamindb/internal/cloudsqlite"
)

// An instance on object storage without PostgreSQL keeps its SQLite
// database in the bucket at .lamindb/lamin.db, as lamindb does: each command
// works on a local copy in the cache, and one that may write holds lamindb's
// exclusion lock (.lamindb/_exclusion/) from open to close and uploads its
// copy when it closes. docs/cloud-sqlite.md has the protocol.

// openCloudSQLite makes the local copy of a cloud SQLite database current and
// returns it: for writing (the lock held until Close) or, with
// opts.ReadOnly, for reading.
func openCloudSQLite(ctx context.Context, is InstanceSettings, st blob.Store, opts Options) (*cloudsqlite.DB, error) {
	dir, err := cache.Dir()
	if err != nil {
		return nil, errorf(ErrStorage, "%v", err)
	}
	local, err := cloudsqlite.LocalPath(dir, is.StorageRoot)
	if err != nil {
		return nil, errorf(ErrInvalid, "%v", err)
	}
	warn := func(msg string) { opts.Notify.say(LevelWarning, "%s", msg) }
	mode := cloudsqlite.ReadWrite
	var locker *cloudsqlite.Locker
	if opts.ReadOnly {
		mode = cloudsqlite.ReadOnly
	} else {
		user, _ := opts.Settings.User()
		locker, err = cloudsqlite.NewLocker(cloudsqlite.Config{Store: st, InstanceID: is.ID, User: user.UID,
			LocalDir: filepath.Dir(local), Warn: warn})
		if err != nil {
			return nil, errorf(ErrStorage, "%v", err)
		}
	}
	cdb, err := cloudsqlite.Open(ctx, cloudsqlite.Options{Store: st, Local: local, Locker: locker, Wait: true, Warn: warn}, mode)
	if err != nil {
		if errors.Is(err, ErrLocked) || errors.Is(err, ErrInterrupted) {
			return nil, err
		}
		return nil, storageError(is.StorageRoot, err)
	}
	return cdb, nil
}

// closeCloud ends the command's hold on a cloud SQLite database: with push,
// the local copy (checkpointed by closing the database first) is uploaded
// while the lock still holds.
func (in *Instance) closeCloud(ctx context.Context, push bool) error {
	if in.cloud == nil {
		return nil
	}
	var err error
	if push && in.writable() {
		if err = in.cloud.Push(ctx); err != nil {
			err = withHint(storageError(in.settings.StorageRoot, err),
				"the change is kept in the local copy and uploaded by the next command that writes")
		}
	}
	if cerr := in.cloud.Close(ctx); err == nil && cerr != nil {
		err = storageError(in.settings.StorageRoot, cerr)
	}
	in.cloud = nil
	return err
}

// removeLocalCopy removes the cached copy of a deleted instance's cloud
// SQLite database and the files beside it.
func removeLocalCopy(root string) {
	dir, err := cache.Dir()
	if err != nil {
		return
	}
	local, err := cloudsqlite.LocalPath(dir, root)
	if err != nil {
		return
	}
	matches, _ := filepath.Glob(local + "*")
	for _, m := range matches {
		os.Remove(m)
	}
}

// createCloudSQLite makes the database of a new instance in object storage:
// built locally from the template, under the instance's lock, and uploaded
// whole. A database already in the bucket is left alone.
func createCloudSQLite(ctx context.Context, is InstanceSettings, st blob.Store, storageUID string, user UserSettings, instUID string, opts Options) error {
	opts.ReadOnly = false
	cdb, err := openCloudSQLite(ctx, is, st, opts)
	if err != nil {
		return err
	}
	defer cdb.Close(context.WithoutCancel(ctx))
	if cdb.Exists() {
		return withHint(errorf(ErrAlreadyManaged, "%s already holds a database; it is left untouched", where(st, dbKey)),
			"connect to the instance it belongs to, or choose another location")
	}
	os.Remove(cdb.Path()) // what a cut-off init left in the cache (the lock is ours)
	if err := createDatabase(ctx, cdb.Path(), storageUID, is.StorageRoot, user, instUID, opts); err != nil {
		return err
	}
	if err := cdb.Push(ctx); err != nil {
		os.Remove(cdb.Path())
		return storageError(is.StorageRoot, err)
	}
	return nil
}
