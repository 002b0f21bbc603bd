package lamindb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/internal/cloudsqlite"
	"github.com/lamindb-go/lamindb/internal/fault"
	"github.com/lamindb-go/lamindb/internal/sqldb"
	"github.com/lamindb-go/lamindb/internal/uid"
)

// DeleteInstanceOptions configure DeleteInstance.
type DeleteInstanceOptions struct {
	Options
	// Force skips the confirmation.
	Force bool
	// DryRun reports what would be removed and changes nothing.
	DryRun bool
	// Confirm asks the user; nil with Force unset refuses with ErrConfirmationNeeded.
	Confirm func(prompt string) bool
}

// InstanceDeletion is what deleting an instance removes (or would remove).
type InstanceDeletion struct {
	Slug    string   `json:"slug"`
	Root    string   `json:"root"`
	Remove  []string `json:"remove"`  // files and folders that go
	Blocked []string `json:"blocked"` // managed files and work in progress that block the deletion
}

// DeleteInstance deletes an instance: its database, marker and settings. It is
// refused while .lamindb/ holds anything but the database's own files, the
// marker and our empty working folders, and while a save or purge is
// unfinished; files outside .lamindb/ stay.
//
// The question is asked with no lock held. Then, holding the database's write
// lock, everything is checked again: if anything arrived meanwhile (a save
// landed), nothing is deleted (ErrChanged). A process that was waiting to write
// finds the database gone and changes nothing.
func DeleteInstance(ctx context.Context, name string, o DeleteInstanceOptions) (*InstanceDeletion, error) {
	opts := o.Options.withDefaults()
	is, err := opts.Settings.Find(name)
	if err != nil {
		return nil, err
	}
	dir := joinRoot(is.StorageRoot, managedDir)
	ro := opts
	ro.ReadOnly = true
	in, err := openSettings(ctx, is, ro)
	if err != nil && is.DB != "" && !o.DryRun && postgresHoldsNoInstance(ctx, is, ro) {
		// The PostgreSQL database holds no instance any more: a deletion
		// cut off after it dropped the tables. Finish it.
		return forgetInstance(ctx, is, o, opts)
	}
	if err != nil && is.DB == "" && isCloudRoot(is.StorageRoot) && !o.DryRun && errors.Is(err, ErrNoInstance) {
		// SQLite in the bucket: forgotten only when the bucket answers that
		// the database is gone (a deletion cut off after removing it).
		if _, serr := in0store(is).Stat(ctx, dbKey); errors.Is(serr, fs.ErrNotExist) {
			return forgetInstance(ctx, is, o, opts)
		}
	}
	if err != nil {
		if _, serr := os.Stat(filepath.Join(dir, dbFile)); os.IsNotExist(serr) && !o.DryRun && is.DB == "" && !isCloudRoot(is.StorageRoot) {
			// Only the settings are left: forget them.
			return forgetInstance(ctx, is, o, opts)
		}
		return nil, err
	}
	d, err := in.instanceDeletion(ctx, in.db, is, opts)
	in.Close()
	if err != nil {
		return nil, err
	}
	if o.DryRun {
		return d, nil
	}
	if len(d.Blocked) > 0 {
		return d, notEmptyError(dir, d.Blocked)
	}
	if !o.Force {
		if o.Confirm == nil {
			return d, errorf(ErrConfirmationNeeded, "deleting instance %s needs a confirmation", is.Slug())
		}
		yes := o.Confirm(fmt.Sprintf("Are you sure you want to delete instance %s? (y/n) ", is.Slug()))
		if !yes || ctx.Err() != nil {
			return d, errorf(ErrCancelled, "cancelled: instance %s not deleted", is.Slug())
		}
	}
	if !isCloudRoot(is.StorageRoot) {
		// Object storage has no folder lock: there the database's
		// transaction, which drops the tables first, decides.
		unlock, err := lockFolder(dir)
		if err != nil {
			return d, err
		}
		defer unlock()
	}
	in, err = openSettings(ctx, is, opts)
	if err != nil {
		return d, err
	}
	opts.Notify.say(LevelImportant, "deleting instance %s", is.Slug())
	err = in.db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		now, err := in.instanceDeletion(ctx, tx, is, opts)
		if err != nil {
			return err
		}
		if len(now.Blocked) > 0 || !slices.Equal(now.Remove, d.Remove) {
			return withHint(errorf(ErrChanged, "instance %s changed since you were asked: %s now holds %d objects (%s); nothing was deleted",
				is.Slug(), dir, len(now.Blocked), strings.Join(now.Blocked, ", ")), "look at it again: `lamin delete "+is.Name+" --dry-run`")
		}
		if is.DB != "" {
			// PostgreSQL drops the tables in this transaction, first: a
			// writer waiting for them finds them gone once it commits, and a
			// deletion cut off after that finds an empty database and
			// finishes (the marker goes only after the commit).
			return tx.DropInstance(ctx)
		}
		// Removed while the write lock is held: a writer waiting for it
		// finds its database gone (sqldb checks the file) and writes nothing.
		if err := in.removeAll(ctx, d.Remove[:len(d.Remove)-2]); err != nil {
			return err
		}
		return errDeleted // roll back: nothing to commit to a deleted database
	})
	in.db.Close()
	if in.cloud != nil {
		// SQLite in the bucket: never uploaded again; its lock and local copy go.
		in.closeCloud(ctx, false)
		if err == errDeleted {
			removeLocalCopy(is.StorageRoot)
			cloudsqlite.DeleteExclusion(ctx, in.store(is.StorageRoot), is.ID)
		}
	}
	if is.DB != "" && err == nil {
		opts.Notify.say(LevelImportant, "dropped the instance's tables from the PostgreSQL database %s; the database itself stays", sqldb.RedactDSN(is.DB))
		err = in.removeAll(ctx, d.Remove[:len(d.Remove)-2])
		if err == nil {
			err = errDeleted
		}
	}
	if err != errDeleted {
		return d, err
	}
	return d, finishInstanceDeletion(is, dir, opts)
}

// splitManagedStore is splitManaged for object storage: the marker, a SQLite
// database kept there (and lamindb_setup's lock files for it) are the
// instance's own; every other object under .lamindb/ blocks. Both come as
// URLs.
func splitManagedStore(ctx context.Context, st blob.Store) (own, blocked []string, err error) {
	entries, err := st.List(ctx, managedDir)
	if err != nil {
		return nil, nil, storageError(st.Root(), err)
	}
	for _, e := range entries {
		rest := strings.TrimPrefix(e.Key, managedDir+"/")
		switch {
		case rest == markerFile || rest == dbFile:
			own = append(own, where(st, e.Key))
		case !strings.HasPrefix(rest, "_exclusion/"):
			blocked = append(blocked, where(st, e.Key))
		}
	}
	return own, blocked, nil
}

// in0store is the store of an instance's default storage when no instance
// could be opened.
func in0store(is InstanceSettings) blob.Store {
	st, err := openStore(is.StorageRoot)
	if err != nil {
		return brokenStore{root: is.StorageRoot, err: err}
	}
	return st
}

// removeAll removes the instance's files and folders, in order: local paths,
// or URLs of objects in the instance's object storage.
func (in *Instance) removeAll(ctx context.Context, paths []string) error {
	if isCloudRoot(in.settings.StorageRoot) {
		st := in.store(in.settings.StorageRoot)
		prefix := strings.TrimSuffix(st.Root(), "/") + "/"
		for _, p := range paths {
			if k, ok := strings.CutPrefix(p, prefix); ok {
				if err := st.Delete(ctx, k); err != nil {
					return storageError(st.Root(), err)
				}
			}
		}
		return nil
	}
	for _, p := range paths {
		if err := fault.RemoveAll(p); err != nil {
			return errorf(ErrStorage, "delete instance: %v", err)
		}
	}
	return nil
}

// errDeleted ends the transaction that deleted the instance's files.
var errDeleted = errors.New("instance deleted")

// instanceDeletion lists what deleting the instance removes and what blocks it.
func (in *Instance) instanceDeletion(ctx context.Context, q sqldb.Querier, is InstanceSettings, opts Options) (*InstanceDeletion, error) {
	dir := joinRoot(is.StorageRoot, managedDir)
	d := &InstanceDeletion{Slug: is.Slug(), Root: is.StorageRoot, Remove: []string{}, Blocked: []string{}}
	var own, blocked []string
	var err error
	if isCloudRoot(is.StorageRoot) {
		own, blocked, err = splitManagedStore(ctx, in.store(is.StorageRoot))
	} else if own, blocked, err = splitManaged(dir, true); err != nil {
		err = errorf(ErrStorage, "list %s: %v", dir, err)
	}
	if err != nil {
		return nil, err
	}
	d.Remove = append(d.Remove, own...)
	d.Blocked = append(d.Blocked, blocked...)
	// The instance's other storage locations go with it: they must hold no
	// managed files either, and their markers are removed.
	others, err := sqldb.Query(ctx, q, scanStorage, `SELECT `+storageCols+` FROM lamindb_storage WHERE instance_uid = ? ORDER BY id`, in.uid)
	if err != nil {
		return nil, err
	}
	for _, s := range others {
		root := filepath.FromSlash(s.Root)
		if sameFile(root, is.StorageRoot) {
			continue
		}
		m, err := readMarker(markerPath(root))
		if err != nil || m.storageUID != s.UID {
			continue // not (or no longer) that storage's folder: not ours to touch
		}
		// A database there is not this instance's: it blocks.
		own, blocked, _ := splitManaged(filepath.Join(root, managedDir), false)
		d.Remove = append(d.Remove, own...)
		d.Blocked = append(d.Blocked, blocked...)
	}
	var marks, intents int
	if err := q.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM lamin_storing), (SELECT count(*) FROM lamin_purge_intent)`).Scan(&marks, &intents); err != nil {
		return nil, err
	}
	if marks > 0 {
		d.Blocked = append(d.Blocked, fmt.Sprintf("%d unfinished save(s)", marks))
	}
	if intents > 0 {
		d.Blocked = append(d.Blocked, fmt.Sprintf("%d unfinished purge(s)", intents))
	}
	// The database goes first (the instance is gone at once), the marker last:
	// a deletion cut off in between leaves a folder the next one recognizes.
	rank := func(p string) int {
		switch filepath.Base(p) {
		case dbFile:
			return 0
		case markerFile:
			return 2
		}
		return 1
	}
	sort.Slice(d.Remove, func(i, j int) bool {
		ri, rj := rank(d.Remove[i]), rank(d.Remove[j])
		return ri < rj || ri == rj && d.Remove[i] < d.Remove[j]
	})
	sort.Strings(d.Blocked)
	d.Remove = append(d.Remove, dir, opts.Settings.instanceFile(is.Owner, is.Name))
	return d, nil
}

// notEmptyError refuses to delete the managed folder dir while it holds the
// blocked objects; lamindb's wording.
func notEmptyError(dir string, blocked []string) error {
	return errorf(ErrNotEmpty, "%s", notEmptyMessage(dir, blocked))
}

func notEmptyMessage(dir string, blocked []string) string {
	return fmt.Sprintf("'%s' contains %d objects:\n%s\ndelete them prior to deleting the storage location",
		dir, len(blocked), strings.Join(blocked, "\n"))
}

// forgetInstance removes the settings of an instance whose database is gone.
func forgetInstance(ctx context.Context, is InstanceSettings, o DeleteInstanceOptions, opts Options) (*InstanceDeletion, error) {
	d := &InstanceDeletion{Slug: is.Slug(), Root: is.StorageRoot, Remove: []string{opts.Settings.instanceFile(is.Owner, is.Name)}, Blocked: []string{}}
	if !o.Force {
		if o.Confirm == nil {
			return d, errorf(ErrConfirmationNeeded, "forgetting instance %s needs a confirmation", is.Slug())
		}
		if !o.Confirm(fmt.Sprintf("Instance %s has no database at %s. Forget it? (y/n) ", is.Slug(), is.StorageRoot)) {
			return d, errorf(ErrCancelled, "cancelled: instance %s not forgotten", is.Slug())
		}
	}
	dir := joinRoot(is.StorageRoot, managedDir)
	if isCloudRoot(is.StorageRoot) {
		// The marker goes if it still names this instance; so do a cloud
		// SQLite database's lock files and local copy.
		st := in0store(is)
		if m, err := readMarkerFrom(ctx, st); err == nil && m.instanceUID == uid.InstanceUID(is.ID) {
			if err := st.Delete(ctx, markerKey); err != nil {
				return d, storageError(is.StorageRoot, err)
			}
		}
		if is.DB == "" {
			cloudsqlite.DeleteExclusion(ctx, st, is.ID)
			removeLocalCopy(is.StorageRoot)
		}
		return d, finishInstanceDeletion(is, "", opts)
	}
	if leftoverOnly(dir, uid.InstanceUID(is.ID)) {
		// A deletion cut off after the database went: finish it.
		for _, n := range []string{dbFile + "-wal", dbFile + "-shm", dbFile + "-journal", stagingDir, quarantineDir, markerFile} {
			fault.Remove(filepath.Join(dir, n))
		}
	} else {
		dir = ""
	}
	return d, finishInstanceDeletion(is, dir, opts)
}

// leftoverOnly reports whether dir holds nothing but this instance's marker
// and empty working folders: what a deletion cut off after the database left.
func leftoverOnly(dir, instUID string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		switch n := e.Name(); {
		case n == markerFile:
			if m, err := readMarker(filepath.Join(dir, n)); err != nil || m.instanceUID != instUID {
				return false
			}
		case n == dbFile || !ownEntry(dir, n, true):
			return false
		}
	}
	return true
}

// finishInstanceDeletion removes the managed folder (if empty), tries the root
// (like lamindb, only if empty), the settings, and logs the deletion.
func finishInstanceDeletion(is InstanceSettings, dir string, opts Options) error {
	if dir != "" {
		_ = fault.Remove(dir)
		_ = fault.Remove(is.StorageRoot)
	}
	if err := opts.Settings.removeInstance(is); err != nil {
		return err
	}
	user, _ := opts.Settings.User()
	_ = opts.Settings.logInstanceDeletion(fmt.Sprintf("%s\tdelete-instance\t%s\t%s\t%s",
		formatTime(opts.Now()), is.Slug(), is.StorageRoot, user.Handle))
	return nil
}
