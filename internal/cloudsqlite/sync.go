package cloudsqlite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/internal/errs"
	"golang.org/x/sys/unix"
)

// DBKey is where lamindb keeps an instance's SQLite file below its storage
// root (InstanceSettings._sqlite_file).
const DBKey = ".lamindb/lamin.db"

// ErrNotCheckpointed is what Push returns while the local copy's write-ahead
// log holds frames (the main file alone would lack them, or be half
// checkpointed) or a rollback journal is left (the main file may be half
// written). The caller opens the database, which recovers either, and runs
// PRAGMA wal_checkpoint(TRUNCATE) before Push.
var ErrNotCheckpointed = errors.New("cloudsqlite: the local copy's WAL is not checkpointed")

// errSQLiteCache is lamindb's ERROR_SQLITE_CACHE (_init_instance.py).
const errSQLiteCache = "Your cached local SQLite file exists, while your cloud SQLite file (%s) doesn't. Either delete your cache (%s) or add it back to the cloud (if delete was accidental)."

// LocalPath returns where lamindb caches the database of the storage root
// root: <cacheDir>/<bucket>/<prefix>/.lamindb/lamin.db (lamindb's
// cloud_to_local_no_update keeps the URL's path below the cache folder). A
// local root (tests) keeps its absolute path below the cache folder.
func LocalPath(cacheDir, root string) (string, error) {
	p := root
	if i := strings.Index(p, "://"); i >= 0 {
		p = p[i+3:]
	}
	p = strings.Trim(filepath.ToSlash(p), "/")
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." || seg == "." {
			return "", fmt.Errorf("cloudsqlite: root %q reaches outside the cache", root)
		}
	}
	if p == "" {
		return "", fmt.Errorf("cloudsqlite: root %q has no bucket", root)
	}
	return filepath.Join(cacheDir, filepath.FromSlash(p), filepath.FromSlash(DBKey)), nil
}

// Mode says what a command does with the database.
type Mode int

const (
	// ReadOnly commands neither lock the bucket nor upload. They read the
	// local copy, refreshed from the bucket when it changed; a write command
	// of this machine that is at work finishes first.
	ReadOnly Mode = iota
	// ReadWrite commands hold the lock from Open to Close and upload with Push.
	ReadWrite
)

// Options configure Open.
type Options struct {
	// Store is the instance's storage location.
	Store blob.Store
	// Local is the path of the local copy (see LocalPath).
	Local string
	// Locker takes the lock for ReadWrite (unused by ReadOnly).
	Locker *Locker
	// Wait makes a ReadWrite Open wait for a held lock (else it fails at once
	// with a *LockedError).
	Wait bool
	// Warn receives warnings (nil: dropped).
	Warn func(msg string)
}

// DB is a local copy of an instance's cloud SQLite file, open for one command.
type DB struct {
	opts   Options
	mode   Mode
	lock   *Lock
	local  *fileLock // shared by readers, exclusive for writers (see fileLock)
	atomic bool
	exists bool
}

// state is what the last download or upload left beside the local copy
// (<local>.sync): the bucket's copy and the local file as they were then. A
// local file that no longer matches has changes that were never uploaded; a
// bucket copy that no longer matches was written by someone else.
type state struct {
	// Fresh marks a database created here that was never uploaded: its
	// absence from the bucket is expected, not a deletion.
	Fresh       bool      `json:"fresh,omitempty"`
	RemoteSize  int64     `json:"remote_size"`
	RemoteMTime time.Time `json:"remote_mtime"`
	LocalSize   int64     `json:"local_size"`
	LocalMTime  time.Time `json:"local_mtime"`
	// LocalSHA256 is the content then (hex): a file whose time changed but
	// whose bytes did not (touched, copied with its times reset) has no
	// changes, and is not set aside as a conflict.
	LocalSHA256 string `json:"local_sha256,omitempty"`
}

// Open makes the local copy current for one command and returns it. For
// ReadWrite it first takes the lock, so what it downloads is the last upload,
// and nobody uploads until Close.
//
// Until Close, the DB also holds this machine's lock on the copy: shared for
// ReadOnly, exclusive for ReadWrite, so the copy is never replaced while a
// process here has it open. Hold a DB for one command or one request, not
// for the life of a server: a writer of this machine waits for the readers
// (while holding the bucket's lock).
//
// What Open finds, and does:
//   - no copy in the bucket and none local: a fresh instance; Exists is false
//     and the caller creates the file at Path.
//   - local changes never uploaded (a command was killed between its commit
//     and its upload) and the bucket unchanged since: ReadWrite uploads them
//     now (or, if the WAL still holds frames, at the next Push); ReadOnly
//     reads them and warns.
//   - local changes never uploaded and the bucket changed since: the local
//     files are moved aside to <local>.conflict-<time> with a warning, and the
//     bucket's copy is downloaded. Nothing is merged, nothing is lost.
//   - otherwise the bucket's copy is downloaded if it changed.
func Open(ctx context.Context, opts Options, mode Mode) (_ *DB, err error) {
	if opts.Store == nil || opts.Local == "" {
		return nil, errors.New("cloudsqlite: Open needs a store and a local path")
	}
	if opts.Warn == nil {
		opts.Warn = func(string) {}
	}
	db := &DB{opts: opts, mode: mode, atomic: opts.Store.Features().AtomicPut}
	if err := os.MkdirAll(filepath.Dir(opts.Local), 0o755); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			db.Close(context.WithoutCancel(ctx))
		}
	}()
	if mode == ReadWrite {
		if opts.Locker == nil {
			return nil, errors.New("cloudsqlite: a ReadWrite Open needs a Locker")
		}
		if opts.Wait {
			db.lock, err = opts.Locker.Lock(ctx)
		} else {
			db.lock, err = opts.Locker.TryLock(ctx)
		}
		if err != nil {
			return nil, err
		}
	}
	lockPath := opts.Local + ".lock"
	if mode == ReadWrite {
		if db.local, err = lockFile(ctx, lockPath, true, opts.Warn); err != nil {
			return nil, err
		}
		return db, db.reconcile(ctx, true)
	}
	// A reader shares the copy with other readers, unless it must replace
	// it: then it waits until nobody on this machine has it open, and
	// decides again (another process may have done it meanwhile).
	if db.local, err = lockFile(ctx, lockPath, false, opts.Warn); err != nil {
		return nil, err
	}
	if err = db.reconcile(ctx, false); !errors.Is(err, errReplace) {
		return db, err
	}
	db.local.unlock()
	if db.local, err = lockFile(ctx, lockPath, true, opts.Warn); err != nil {
		return nil, err
	}
	if err = db.reconcile(ctx, true); err != nil {
		return nil, err
	}
	// Back to shared; flock converts by releasing first, so a writer may
	// slip in between and replace the copy again before this reader opens
	// it, which is as good.
	if err := unix.Flock(int(db.local.f.Fd()), unix.LOCK_SH); err != nil {
		return nil, &os.PathError{Op: "flock", Path: lockPath, Err: err}
	}
	return db, nil
}

// errReplace is a reconcile that would replace the local copy, which a
// reader holding the copy shared may not do.
var errReplace = errors.New("cloudsqlite: the local copy must be replaced")

// Path is the local copy's path, for the caller's SQLite connection.
func (db *DB) Path() string { return db.opts.Local }

// Exists reports whether the local copy exists (false for a fresh instance).
func (db *DB) Exists() bool { return db.exists }

// Lock is the held lock (nil for ReadOnly).
func (db *DB) Lock() *Lock { return db.lock }

func (db *DB) statePath() string { return db.opts.Local + ".sync" }

func (db *DB) readState() (*state, error) {
	b, err := os.ReadFile(db.statePath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		// A state file we cannot read is as good as none.
		return nil, nil
	}
	return &s, nil
}

// writeState records the state whole (staged, synced, renamed).
func (db *DB) writeState(s state) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return writeFileAtomic(db.statePath(), b)
}

// walFrames reports whether the local copy's WAL or rollback journal holds
// anything: then the main file alone is not the database.
func (db *DB) walFrames() (bool, error) {
	for _, suf := range []string{"-wal", "-journal"} {
		fi, err := os.Stat(db.opts.Local + suf)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return false, err
		}
		if fi.Size() > 0 {
			return true, nil
		}
	}
	return false, nil
}

// dirty reports whether the local copy has changes that were not uploaded.
// Without a state file (a copy made by lamindb, or by a first init that was
// cut off), lamindb's own rule applies: the local file is newer than the
// bucket's.
func (db *DB) dirty(st *state, local os.FileInfo, remote *blob.Info) (bool, error) {
	if wal, err := db.walFrames(); err != nil || wal {
		return wal, err
	}
	if st != nil {
		if st.Fresh || local.Size() != st.LocalSize {
			return true, nil
		}
		if local.ModTime().Equal(st.LocalMTime) {
			return false, nil
		}
		if st.LocalSHA256 == "" {
			return true, nil
		}
		sum, err := fileHash(db.opts.Local)
		if err != nil {
			return false, err
		}
		return hex.EncodeToString(sum[:]) != st.LocalSHA256, nil
	}
	if remote == nil {
		return true, nil
	}
	return local.ModTime().Truncate(time.Second).After(remote.ModTime.Truncate(time.Second)) ||
		(local.ModTime().Unix() == remote.ModTime.Unix() && local.Size() != remote.Size), nil
}

// remoteChanged reports whether the bucket's copy differs from the one the
// state records. Without a state, lamindb's rule: the bucket's is newer (in
// whole seconds, as S3 keeps them).
func remoteChanged(st *state, local os.FileInfo, remote blob.Info) bool {
	if st != nil {
		return remote.Size != st.RemoteSize || !remote.ModTime.Equal(st.RemoteMTime)
	}
	return remote.ModTime.Unix() > local.ModTime().Unix()
}

// reconcile brings the local copy up to date (see Open). Without replace it
// returns errReplace instead of downloading over the copy or moving it aside.
func (db *DB) reconcile(ctx context.Context, replace bool) error {
	st, err := db.readState()
	if err != nil {
		return err
	}
	var remote *blob.Info
	if info, err := db.opts.Store.Stat(ctx, DBKey); err == nil {
		remote = &info
	} else if !errors.Is(err, fs.ErrNotExist) {
		return storageErr("stat", err)
	}
	local, err := os.Stat(db.opts.Local)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	switch {
	case local == nil && remote == nil:
		// A fresh instance: the caller creates it.
		if db.mode == ReadWrite {
			return db.writeState(state{Fresh: true})
		}
		return nil
	case local == nil:
		if !replace {
			return errReplace
		}
		return db.download(ctx)
	}
	db.exists = true
	dirty, err := db.dirty(st, local, remote)
	if err != nil {
		return err
	}
	if remote == nil {
		if st != nil && st.Fresh {
			// Created here, and the command was cut off before its first
			// upload.
			return db.rollForward(ctx)
		}
		// The bucket's copy is gone: deleted elsewhere (or this cache
		// belongs to an instance that no longer exists). Uploading would
		// bring a deleted instance back, so writers stop, as lamindb's init
		// does; readers read the local copy with lamindb's warning.
		if db.mode == ReadWrite {
			return errs.New(errs.ErrNotFound, errSQLiteCache, db.opts.Store.Root()+"/"+DBKey, db.opts.Local)
		}
		db.opts.Warn(fmt.Sprintf("SQLite file does not exist in the cloud, but exists locally: %s\nTo push the file to the cloud, call: lamin disconnect", db.opts.Local))
		return nil
	}
	changed := remoteChanged(st, local, *remote)
	if changed && !replace {
		return errReplace
	}
	switch {
	case dirty && changed:
		return db.setAside(ctx)
	case dirty:
		return db.rollForward(ctx)
	case changed:
		return db.download(ctx)
	}
	return nil
}

// rollForward uploads local changes a killed command left behind (ReadWrite,
// WAL empty); otherwise it says they are there.
func (db *DB) rollForward(ctx context.Context) error {
	if db.mode != ReadWrite {
		db.opts.Warn("the local copy of the cloud SQLite file has changes that were not uploaded (a write command was interrupted): the next write command uploads them")
		return nil
	}
	if wal, err := db.walFrames(); err != nil {
		return err
	} else if wal {
		return nil // Push uploads once the caller has checkpointed
	}
	db.opts.Warn("uploading changes an interrupted write command left in the local copy of the cloud SQLite file")
	return db.Push(ctx)
}

// setAside keeps local changes that can no longer be uploaded (someone else
// wrote the bucket's copy since) under a conflict name and downloads the
// bucket's copy. If the two turn out the same (the upload did happen, but the
// kill came before its state was written), the aside copy is dropped.
func (db *DB) setAside(ctx context.Context) error {
	// Nanoseconds: a second conflict must not replace the first one's copy.
	aside := db.opts.Local + ".conflict-" + time.Now().UTC().Format("20060102T150405.000000000Z")
	for _, suf := range []string{"", "-wal", "-shm", "-journal"} {
		if err := os.Rename(db.opts.Local+suf, aside+suf); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := db.download(ctx); err != nil {
		return err
	}
	if pending, _ := (&DB{opts: Options{Local: aside}}).walFrames(); !pending {
		a, aerr := fileHash(aside)
		b, berr := fileHash(db.opts.Local)
		if aerr == nil && berr == nil && a == b {
			os.Remove(aside)
			os.Remove(aside + "-wal")
			os.Remove(aside + "-shm")
			os.Remove(aside + "-journal")
			return nil
		}
	}
	db.opts.Warn(fmt.Sprintf("the local copy of the cloud SQLite file had changes that were never uploaded, and the cloud copy changed since: kept them at %s, using the cloud copy", aside))
	return nil
}

func fileHash(path string) ([32]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return [32]byte{}, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return [32]byte{}, err
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out, nil
}

// download replaces the local copy with the bucket's. The WAL and
// shared-memory files of the old copy go first: SQLite would replay an old
// WAL into the new file and corrupt it. The new copy is staged, synced, given
// the bucket's modification time (as lamindb's synchronize_to does, so a
// lamindb sharing this cache agrees it is current) and renamed into place.
func (db *DB) download(ctx context.Context) error {
	// The identity recorded is the one seen before reading, so bytes newer
	// than it only cause one more download later, never a stale copy taken
	// for current. A change during the read (only a reader without the lock
	// can see one) makes it read again.
	for try := 0; ; try++ {
		before, err := db.opts.Store.Stat(ctx, DBKey)
		if err != nil {
			return storageErr("stat", err)
		}
		tmp, sum, err := db.fetch(ctx)
		if err != nil {
			return err
		}
		after, err := db.opts.Store.Stat(ctx, DBKey)
		if err != nil {
			os.Remove(tmp)
			return storageErr("stat", err)
		}
		if (after.Size != before.Size || !after.ModTime.Equal(before.ModTime)) && try < 5 {
			os.Remove(tmp)
			continue
		}
		err = db.install(tmp, sum, before)
		os.Remove(tmp)
		return err
	}
}

// fetch copies the bucket's file to a staged, synced file beside the copy
// and returns its path and SHA-256 (hex).
func (db *DB) fetch(ctx context.Context) (string, string, error) {
	r, err := db.opts.Store.Open(ctx, DBKey)
	if err != nil {
		return "", "", storageErr("download", err)
	}
	defer r.Close()
	tmp, err := os.CreateTemp(filepath.Dir(db.opts.Local), filepath.Base(db.opts.Local)+".download-*")
	if err != nil {
		return "", "", err
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", "", storageErr("download", err)
	}
	return tmp.Name(), hex.EncodeToString(h.Sum(nil)), nil
}

// install puts a fetched copy into place with the bucket's modification time.
func (db *DB) install(tmp, sum string, info blob.Info) error {
	if err := os.Chtimes(tmp, info.ModTime, info.ModTime); err != nil {
		return err
	}
	for _, suf := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Remove(db.opts.Local + suf); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := os.Rename(tmp, db.opts.Local); err != nil {
		return err
	}
	syncDir(filepath.Dir(db.opts.Local))
	local, err := os.Stat(db.opts.Local)
	if err != nil {
		return err
	}
	db.exists = true
	return db.writeState(state{RemoteSize: info.Size, RemoteMTime: info.ModTime, LocalSize: local.Size(), LocalMTime: local.ModTime(), LocalSHA256: sum})
}

// Push uploads the local copy after a write command. The caller has
// committed and checkpointed (the WAL is empty); the lock must still be
// valid. The copy goes to its final key in one PUT, so the object appears
// whole (a folder store, whose Put is not atomic, gets a staging key and a
// rename). If the lease lapsed during the upload, Push returns ErrLockLost:
// the upload happened, but may have overwritten another writer's.
func (db *DB) Push(ctx context.Context) error {
	if db.mode != ReadWrite || db.lock == nil {
		return errors.New("cloudsqlite: Push needs a ReadWrite DB")
	}
	if err := db.lock.Valid(); err != nil {
		return err
	}
	if wal, err := db.walFrames(); err != nil {
		return err
	} else if wal {
		return ErrNotCheckpointed
	}
	prev, err := db.readState()
	if err != nil {
		return err
	}
	for try := 0; ; try++ {
		info, sum, err := db.upload(ctx)
		if err != nil {
			return err
		}
		// S3 keeps whole seconds, and a SQLite file often keeps its size
		// across a change (it grows by whole pages). An upload in the same
		// second as the one before, of the same size, would look unchanged
		// to a machine that has the one before: it would keep its stale
		// copy and later upload over this one. So it is made again in the
		// next second.
		if prev != nil && !prev.Fresh && info.Size == prev.RemoteSize && info.ModTime.Equal(prev.RemoteMTime) && try < 3 {
			if err := sleep(ctx, time.Second); err != nil {
				return err
			}
			if err := db.lock.Valid(); err != nil {
				return err
			}
			continue
		}
		// lamindb sets the local copy's time to the bucket's after an upload.
		if err := os.Chtimes(db.opts.Local, info.ModTime, info.ModTime); err != nil {
			return err
		}
		local, err := os.Stat(db.opts.Local)
		if err != nil {
			return err
		}
		db.exists = true
		if err := db.writeState(state{RemoteSize: info.Size, RemoteMTime: info.ModTime, LocalSize: local.Size(), LocalMTime: local.ModTime(), LocalSHA256: sum}); err != nil {
			return err
		}
		return db.lock.Valid()
	}
}

// upload puts the local copy at DBKey and returns what the bucket now holds
// and the SHA-256 (hex) of the bytes sent.
func (db *DB) upload(ctx context.Context) (blob.Info, string, error) {
	f, err := os.Open(db.opts.Local)
	if err != nil {
		return blob.Info{}, "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return blob.Info{}, "", err
	}
	key := DBKey
	if !db.atomic {
		// One staging key per slot: a kill leaves at most one behind, which
		// the slot's next upload replaces, and two holders (one whose lease
		// lapsed) never write into the same staged file.
		key = DBKey + ".upload-" + db.lock.l.slot
	}
	h := sha256.New()
	if _, err := storePut(ctx, db.opts.Store, key, io.TeeReader(f, h), fi.Size()); err != nil {
		if key != DBKey {
			db.opts.Store.Delete(context.WithoutCancel(ctx), key)
		}
		return blob.Info{}, "", storageErr("upload", err)
	}
	if key != DBKey {
		if err := db.opts.Store.Rename(ctx, key, DBKey); err != nil {
			db.opts.Store.Delete(context.WithoutCancel(ctx), key)
			return blob.Info{}, "", storageErr("upload", err)
		}
	}
	info, err := db.opts.Store.Stat(ctx, DBKey)
	if err != nil {
		return blob.Info{}, "", storageErr("stat", err)
	}
	return info, hex.EncodeToString(h.Sum(nil)), nil
}

// Close releases the local copy and the lock. It does not upload: a write
// command calls Push first.
func (db *DB) Close(ctx context.Context) error {
	var err error
	if db.local != nil {
		db.local.unlock()
		db.local = nil
	}
	if db.lock != nil {
		err = db.lock.Unlock(ctx)
		db.lock = nil
	}
	return err
}

// storageErr classes a storage failure for the exit code (1) and says what
// failed.
func storageErr(op string, err error) error {
	return errs.Wrap(errs.ErrStorage, err, "cloud SQLite file: %s %s: %v", op, DBKey, err)
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// writeFileAtomic writes path whole: staged, synced, renamed.
func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable (best effort).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
