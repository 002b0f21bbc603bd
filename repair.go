package lamindb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/digest"
	"github.com/lamindb-go/lamindb/internal/fault"
	"github.com/lamindb-go/lamindb/internal/sqldb"
	"github.com/lamindb-go/lamindb/internal/uid"
)

// Repair. Two kinds of unfinished work can outlive a process: a save's
// "storing" mark (lamin_storing: the row is in, the bytes may not be) and a
// purge's intents (lamin_purge_intent: the rows are gone, the bytes may not
// be). Each carries its owner (host:pid:start) and is touched only when that
// owner is gone. Every decision is re-checked inside the write transaction
// that acts on it, and storage steps come before the database change that
// records them, so a repair that is itself cut off is simply done again.

// abortUploads removes the incomplete uploads older than grace below the
// managed folders of this instance's storage locations (object storage only;
// younger ones may belong to saves still running).
func (in *Instance) abortUploads(ctx context.Context, grace time.Duration) ([]string, error) {
	storages, err := in.storages(ctx)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, s := range storages {
		if s.InstanceUID != in.uid || !isCloudRoot(s.Root) {
			continue
		}
		st := in.store(s.Root)
		n, err := st.AbortUploads(ctx, managedDir, grace)
		if err != nil {
			return done, storageError(s.Root, err)
		}
		if n > 0 {
			done = append(done, fmt.Sprintf("aborted %d incomplete upload(s) in %s", n, where(st, managedDir)))
		}
	}
	return done, nil
}

// recover finishes or undoes what crashed processes left, on open. A read-only
// instance (ReadOnly, read-only storage, a newer schema) is not repaired: it
// says what it skipped.
func (in *Instance) recover(ctx context.Context) error {
	if v := in.db.StaleSchema(); v != 0 {
		in.opts.Notify.say(LevelWarning, "the database has schema version %d and needs migrating, which is skipped: %v", v, in.db.ReadOnly())
	}
	var marks, intents int
	if err := in.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM lamin_storing), (SELECT count(*) FROM lamin_purge_intent)`).Scan(&marks, &intents); err != nil {
		return fmt.Errorf("repair after crash: %w", err)
	}
	if marks+intents == 0 {
		return nil
	}
	if !in.writable() {
		if !in.opts.ReadOnly {
			in.opts.Notify.say(LevelWarning, "repairs skipped (%d unfinished saves, %d unfinished purges): %v", marks, intents, in.db.ReadOnly())
		}
		return nil
	}
	var err error
	if marks > 0 {
		if _, err = in.repairMarks(ctx); err == nil {
			// A save cut off in object storage may leave an incomplete
			// upload, invisible but stored: old ones go.
			_, err = in.abortUploads(ctx, DefaultGrace)
		}
	}
	if intents > 0 && err == nil {
		if _, perr := in.resumePurges(ctx, false); perr != nil && !errors.Is(perr, ErrIncomplete) {
			err = perr
		}
	}
	if errors.Is(err, ErrReadOnly) || errors.Is(err, ErrDatabase) || errors.Is(err, ErrStorage) {
		// Storage that is full or read-only must not stop a reader: the
		// repair is done again on the next open.
		in.opts.Notify.say(LevelWarning, "repairs skipped: %v", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("repair after crash: %w", err)
	}
	return nil
}

type storingMark struct {
	artifactID int64
	owner      string
	tmp        string
	started    time.Time
}

// marks returns the storing marks, all of them or only those whose owner is gone.
func (in *Instance) marks(ctx context.Context, qr querier, onlyStale bool) ([]storingMark, error) {
	ms, err := sqldb.Query(ctx, qr, func(s sqldb.Scanner) (storingMark, error) {
		var m storingMark
		var ts timeScanner
		err := s.Scan(&m.artifactID, &m.owner, &m.tmp, &ts)
		m.started = ts.t
		return m, err
	}, `SELECT artifact_id, owner, COALESCE(tmp_path, ''), started_at FROM lamin_storing ORDER BY artifact_id`)
	if err != nil || !onlyStale {
		return ms, err
	}
	var out []storingMark
	for _, m := range ms {
		if !ownerAlive(m.owner, in.opts.Now().Sub(m.started).Seconds()) {
			out = append(out, m)
		}
	}
	return out, nil
}

// repairMarks settles every save whose process is gone. One that cannot be
// settled (another record came to reference its half-saved artifact) is said
// and left for `lamin check`: it must not stop the others, nor the open.
func (in *Instance) repairMarks(ctx context.Context) ([]string, error) {
	marks, err := in.marks(ctx, in.db, true)
	if err != nil {
		return nil, err
	}
	var done []string
	var firstErr error
	for _, m := range marks {
		what, err := in.settleSave(ctx, m.artifactID, m.owner, true)
		if what != "" && err == nil {
			done = append(done, what)
		}
		if errors.Is(err, ErrProtected) || errors.Is(err, ErrLocked) {
			in.opts.Notify.say(LevelWarning, "cannot undo the crashed save of artifact id %d yet: %v", m.artifactID, err)
			done = append(done, fmt.Sprintf("left the crashed save of artifact id %d: %v", m.artifactID, err))
			continue
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return done, firstErr
}

// settleSave ends the two-phase save of an artifact whose mark has the given
// owner: forward (the bytes are in place: the mark goes) or back (the row goes,
// the previous head comes back, staged bytes are deleted). What is in storage
// decides, as the blob.Store contract lays it out; see the comments below.
// With stale, the mark's owner must be gone by the time the transaction runs.
func (in *Instance) settleSave(ctx context.Context, id int64, owner string, stale bool) (string, error) {
	ctx = context.WithoutCancel(ctx) // a settlement is not left half done
	// Folder stores are settled under the lock their publishers hold (taken
	// before the database's, in the same order as they take them), on the
	// artifact's own storage, which no command changes.
	st := in.store(in.DefaultStorage().Root) // for the staged bytes of a row already gone
	var storageID int64
	err := in.db.QueryRowContext(ctx, `SELECT storage_id FROM lamindb_artifact WHERE id = ?`, id).Scan(&storageID)
	switch {
	case err == nil:
		s, err := in.storageByID(ctx, in.db, storageID)
		if err != nil {
			return "", err
		}
		st = in.store(s.Root)
	case !sqldb.IsNoRows(err):
		return "", err
	}
	unlock, err := lockPublish(ctx, st)
	if err != nil {
		return "", errorf(ErrStorage, "repair the save of artifact id %d: %v", id, err)
	}
	defer unlock()
	var what string
	n := &notes{}
	// The bytes are settled once, by the first run of the transaction: a
	// re-run (PostgreSQL retries a transaction that lost to another) must not
	// decide again from what the first run already moved.
	var settled *bool
	err = in.writeTx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		what, *n = "", notes{}
		var tmp string
		var ts timeScanner
		var phase int
		var demoted *int64
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(tmp_path, ''), started_at, phase, demoted_id FROM lamin_storing WHERE artifact_id = ? AND owner = ?`,
			id, owner).Scan(&tmp, &ts, &phase, &demoted)
		if sqldb.IsNoRows(err) {
			return nil // settled by someone else meanwhile
		} else if err != nil {
			return err
		}
		if stale && ownerAlive(owner, in.opts.Now().Sub(ts.t).Seconds()) {
			return nil
		}
		a, err := scanArtifact(tx.QueryRowContext(ctx, `SELECT `+artifactCols+` FROM lamindb_artifact WHERE id = ?`, id))
		if sqldb.IsNoRows(err) {
			a, err = nil, nil
		} else if err != nil {
			return err
		}
		if a != nil && a.StorageID != storageID {
			return errorf(ErrChanged, "repair the save of artifact id %d: the row changed while its storage was locked; try again", id)
		}
		if !safeManagedKey(tmp, managedDir+"/"+stagingDir+"/") {
			tmp = "" // a mark's staging path can only be in staging: never delete elsewhere
		}
		if a != nil && !safeManagedKey(a.StorageKey(), managedDir+"/") {
			return errorf(ErrStorage, "repair the save of artifact id %d: its storage key %s is not a managed one; left for `lamin check`", id, a.StorageKey())
		}
		if settled == nil {
			forward, err := settleBytes(ctx, st, a, tmp, phase)
			if err != nil {
				return errorf(ErrStorage, "repair the save of artifact id %d: %v", id, err)
			}
			settled = &forward
		}
		forward := *settled
		if forward || a != nil && !ongoing(a.Aux) {
			// The bytes are in place; or another client (Python lamindb,
			// whose dedup stores the bytes of a row flagged "storage
			// ongoing" again) took the row over and cleared the flag: it
			// is no longer ours to undo.
			what = "completed save of " + a.UID
			if !forward {
				what = "left artifact " + a.UID + " to the client that completed it"
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM lamin_storing WHERE artifact_id = ?`, id); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE lamindb_artifact SET _aux = `+clearOngoing(tx)+` WHERE id = ?`, id)
			return err
		}
		what = fmt.Sprintf("removed half-saved artifact id %d", id)
		return in.undoInsert(ctx, tx, id, demoted, n)
	})
	if err == nil {
		in.tell(n)
	}
	return what, err
}

// settleBytes brings storage into the state of a save that completed
// (forward) or never happened (back), and says which. tmp is the staging key
// the save wrote to. A file's final key is unique to its artifact, so its
// presence decides (and its size: bytes are not fsynced). A folder save
// replaces the family's one store only once it recorded phase 1; before, the
// store is the older version's and stays. From phase 1 on, the blob.Store
// contract lays the move out:
//
//	tmp present                  → not moved in: back (and if the old folder
//	                               is aside with nothing in place, move it back)
//	tmp gone, final present      → moved in: forward (delete the aside copy)
//	tmp gone, final missing      → back (move the aside copy back if there)
func settleBytes(ctx context.Context, st blob.Store, a *Artifact, tmp string, phase int) (forward bool, err error) {
	stat := func(k string) (blob.Info, bool, error) {
		if k == "" {
			return blob.Info{}, false, nil
		}
		info, err := st.Stat(ctx, k)
		if errors.Is(err, fs.ErrNotExist) {
			return info, false, nil
		}
		return info, err == nil, err
	}
	if a == nil {
		return false, deleteAll(ctx, st, tmp)
	}
	final := a.StorageKey()
	if a.OverwriteVersions && phase == 0 {
		return false, deleteAll(ctx, st, tmp)
	}
	_, hasTmp, err := stat(tmp)
	if err != nil {
		return false, err
	}
	info, hasFinal, err := stat(final)
	if err != nil {
		return false, err
	}
	if !a.OverwriteVersions {
		if hasFinal {
			if a.Size == nil || info.Size == *a.Size {
				return true, deleteAll(ctx, st, tmp)
			}
			// Short bytes after a power loss: the key is this artifact's alone.
			return false, deleteAll(ctx, st, tmp, final)
		}
		return false, deleteAll(ctx, st, tmp)
	}
	aside := asideOf(tmp)
	_, hasAside, err := stat(aside)
	if err != nil {
		return false, err
	}
	if !hasTmp && hasFinal {
		return true, deleteAll(ctx, st, aside)
	}
	if hasAside && !hasFinal {
		if err := st.Rename(ctx, aside, final); err != nil {
			return false, err
		}
	}
	return false, deleteAll(ctx, st, tmp)
}

// safeManagedKey reports whether key lies below prefix, with no way out of it.
func safeManagedKey(key, prefix string) bool {
	if !strings.HasPrefix(key, prefix) || len(key) == len(prefix) {
		return false
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == ".." || seg == "." || seg == "" {
			return false
		}
	}
	return true
}

// asideOf is where a folder re-version keeps the old folder, or "".
func asideOf(tmp string) string {
	if tmp == "" {
		return ""
	}
	return blob.AsideKey(tmp)
}

func deleteAll(ctx context.Context, st blob.Store, keys ...string) error {
	for _, k := range keys {
		if k == "" {
			continue
		}
		if err := st.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// undoInsert deletes a half-saved artifact row and its mark, and gives the head
// back to the version it demoted (for a folder family exactly that one, whose
// files are still the store's; otherwise the newest remaining).
func (in *Instance) undoInsert(ctx context.Context, tx *sqldb.Tx, id int64, demoted *int64, n *notes) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM lamin_storing WHERE artifact_id = ?`, id); err != nil {
		return err
	}
	a, err := scanArtifact(tx.QueryRowContext(ctx, `SELECT `+artifactCols+` FROM lamindb_artifact WHERE id = ?`, id))
	if sqldb.IsNoRows(err) {
		return nil
	} else if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM lamin_artifact_sha256 WHERE artifact_id = ?`, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM lamindb_artifact WHERE id = ?`, id); err != nil {
		return err
	}
	if !a.IsLatest {
		return nil
	}
	if demoted != nil {
		heads, err := familyHeads(ctx, tx, "lamindb_artifact", a.Stem())
		if err != nil {
			return err
		}
		if len(heads) == 0 {
			_, err := tx.ExecContext(ctx, `UPDATE lamindb_artifact SET is_latest = TRUE WHERE id = ?`, *demoted)
			return err
		}
	}
	if a.OverwriteVersions {
		return nil
	}
	promoted, _, err := normalizeHeads(ctx, tx, "lamindb_artifact", a.Stem(), a.BranchID, true)
	if promoted != "" {
		n.add(LevelHint, "new latest Artifact version is: %s", promoted)
	}
	return err
}

type purgeIntent struct {
	id         int64
	root, path string
	owner      string
	created    time.Time
	attempts   int
	isDir      bool
}

// intents returns purge intents matching a WHERE clause.
func (in *Instance) intents(ctx context.Context, where string, args ...any) ([]purgeIntent, error) {
	return sqldb.Query(ctx, in.db, func(s sqldb.Scanner) (purgeIntent, error) {
		var it purgeIntent
		var ts timeScanner
		err := s.Scan(&it.id, &it.root, &it.path, &it.owner, &ts, &it.attempts, &it.isDir)
		it.created = ts.t
		return it, err
	}, `SELECT id, storage_root, path, owner, created_at, attempts, is_dir FROM lamin_purge_intent `+where+` ORDER BY id`, args...)
}

// ownIntents returns this process's purge intents (no times: deleting is
// all that is left to do).
func (in *Instance) ownIntents(ctx context.Context) ([]purgeIntent, error) {
	return sqldb.Query(ctx, in.db, func(s sqldb.Scanner) (purgeIntent, error) {
		it := purgeIntent{owner: in.owner}
		err := s.Scan(&it.id, &it.root, &it.path, &it.isDir)
		return it, err
	}, `SELECT id, storage_root, path, is_dir FROM lamin_purge_intent WHERE owner = ? ORDER BY id`, in.owner)
}

// resumePurges deletes the bytes of committed purges that a crash or a storage
// failure left behind: those whose owner is gone or gave up (all: every one).
func (in *Instance) resumePurges(ctx context.Context, all bool) ([]string, error) {
	every, err := in.intents(ctx, ``)
	if err != nil {
		return nil, err
	}
	var its []purgeIntent
	for _, it := range every {
		// An intent whose owner already failed once was given up by it: retry it.
		if all || it.attempts > 0 || !ownerAlive(it.owner, in.opts.Now().Sub(it.created).Seconds()) {
			its = append(its, it)
		}
	}
	left, err := in.deleteIntents(ctx, its)
	var done []string
	gone := map[string]bool{}
	for _, l := range left {
		gone[l] = true
	}
	for _, it := range its {
		if p := where(in.store(it.root), it.path); !gone[p] {
			done = append(done, "deleted "+p)
		}
	}
	if len(left) > 0 {
		return done, &Error{Class: ErrIncomplete, Msg: "could not delete: " + strings.Join(left, ", "), Err: err}
	}
	return done, err
}

// deleteIntents deletes the bytes of each intent and clears the intents that
// succeeded; it returns the paths left behind. Bytes at a real path (outside
// .lamindb/) are deleted inside a write transaction that first checks that no
// artifact was registered at that path again since the purge: nothing is
// deleted on a guess.
func (in *Instance) deleteIntents(ctx context.Context, its []purgeIntent) (left []string, firstErr error) {
	storages, err := in.storages(ctx)
	if err != nil {
		return nil, err
	}
	managed := map[string]bool{}
	for _, s := range storages {
		if s.InstanceUID == in.uid {
			managed[s.Root] = true
		}
	}
	var doneIDs []int64
	kept := false
	// Files of managed keys in object storage go in batches (S3 deletes up to
	// 1000 objects a request); what a batch could not delete is tried one by
	// one below.
	batched := map[int64]bool{}
	byRoot := map[string][]purgeIntent{}
	for _, it := range its {
		if managed[it.root] && !it.isDir && strings.HasPrefix(it.path, managedDir+"/") && safeManagedKey(it.path, "") {
			byRoot[it.root] = append(byRoot[it.root], it)
		}
	}
	for root, group := range byRoot {
		fd, ok := in.store(root).(blob.FileDeleter)
		if !ok || len(group) < 2 {
			continue
		}
		for _, c := range chunks(group, 1000) {
			keys := make([]string, len(c))
			for j, it := range c {
				keys[j] = it.path
			}
			if fd.DeleteFiles(ctx, keys) == nil {
				for _, it := range c {
					batched[it.id] = true
				}
			}
		}
	}
	for i, it := range its {
		if batched[it.id] {
			doneIDs = append(doneIDs, it.id)
			in.opts.Notify.say(LevelSuccess, "deleted %s", where(in.store(it.root), it.path))
			continue
		}
		if i == 1 {
			fault.Hit(fault.PurgeMidDelete)
		}
		st := in.store(it.root)
		if !managed[it.root] || !safeManagedKey(it.path, "") {
			// Not a path a purge of this instance can have recorded: never
			// delete it, and do not keep retrying.
			in.opts.Notify.say(LevelWarning, "ignored a purge intent for %s: it is not in a storage location this instance manages", where(st, it.path))
			doneIDs = append(doneIDs, it.id)
			continue
		}
		if strings.HasPrefix(it.path, managedDir+"/") {
			// A managed key is never given to another artifact while its
			// purge is pending (see register).
			if err = st.Delete(ctx, it.path); err == nil {
				doneIDs = append(doneIDs, it.id)
			}
		} else {
			err = in.writeTx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
				// Registered again since the purge, or holding (or held by)
				// another artifact's files: keep the bytes.
				var n int
				kept = false
				if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (
						SELECT COALESCE(a._real_key, CASE WHEN NOT a._key_is_virtual THEN a.key END) AS k
						FROM lamindb_artifact a JOIN lamindb_storage s ON s.id = a.storage_id WHERE s.root = ?) AS registered
					WHERE k = ? OR substr(k, 1, length(?) + 1) = ? || '/' OR substr(?, 1, length(k) + 1) = k || '/'`,
					it.root, it.path, it.path, it.path, it.path).Scan(&n); err != nil {
					return err
				}
				if kept = n > 0; !kept {
					if err := st.Delete(ctx, it.path); err != nil {
						return err
					}
				}
				_, err := tx.ExecContext(ctx, `DELETE FROM lamin_purge_intent WHERE id = ?`, it.id)
				return err
			})
			if err == nil && kept {
				in.opts.Notify.say(LevelWarning, "kept %s: other artifacts are registered at or within it", where(st, it.path))
				continue
			}
		}
		if err != nil {
			left = append(left, where(st, it.path))
			if firstErr == nil {
				firstErr = err
			}
			if werr := in.writeTx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
				_, err := tx.ExecContext(ctx, `UPDATE lamin_purge_intent SET attempts = attempts + 1, last_error = ? WHERE id = ?`, err.Error(), it.id)
				return err
			}); werr != nil && firstErr == nil {
				firstErr = werr
			}
			continue
		}
		in.opts.Notify.say(LevelSuccess, "deleted %s", where(st, it.path))
	}
	if len(doneIDs) > 0 {
		err := in.writeTx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
			for _, chunk := range chunks(doneIDs, 500) {
				if _, err := tx.ExecContext(ctx, `DELETE FROM lamin_purge_intent WHERE id IN (`+placeholders(len(chunk))+`)`, int64Args(chunk)...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return left, firstErr
}

// CheckOptions configure Check.
type CheckOptions struct {
	// Repair finishes crashed saves and purges and moves managed files that no
	// row claims into .lamindb/.quarantine/ (when older than Grace).
	Repair bool
	// Deep also recomputes every artifact's hash from its bytes.
	Deep bool
	// Grace is how old an unclaimed file must be before Repair moves it; zero
	// means DefaultGrace, NoGrace any age. Files younger than it may be a save
	// in flight.
	Grace time.Duration
	// EmptyQuarantine deletes what earlier repairs quarantined.
	EmptyQuarantine bool
}

// DefaultGrace is how old an unclaimed file must be before a repair touches it.
const DefaultGrace = time.Hour

// NoGrace makes a repair move unclaimed files of any age.
const NoGrace time.Duration = -1

// CheckReport is what `lamin check` finds.
type CheckReport struct {
	MissingBytes  []string     `json:"missing_bytes"`       // artifacts whose bytes are gone
	WrongSize     []string     `json:"wrong_size"`          // bytes whose size (or number of files) differs from the row's
	WrongHash     []string     `json:"wrong_hash"`          // bytes whose hash differs from the row's (with Deep)
	OrphanFiles   []string     `json:"orphan_files"`        // managed files that no row, mark or intent claims
	StaleMarks    []string     `json:"stale_marks"`         // saves whose process died
	PendingPurges []string     `json:"pending_purges"`      // bytes a purge still has to delete
	Database      []string     `json:"database"`            // what the database's own integrity check found
	Quarantined   []string     `json:"quarantined"`         // set aside by earlier repairs (not an error)
	Repaired      []string     `json:"repaired"`            // what the repair did
	Remaining     *CheckReport `json:"remaining,omitempty"` // after a repair: a fresh check
}

// OK reports whether nothing is inconsistent (quarantined files are fine).
func (r *CheckReport) OK() bool {
	if r.Remaining != nil {
		return r.Remaining.OK()
	}
	return len(r.MissingBytes)+len(r.WrongSize)+len(r.WrongHash)+len(r.OrphanFiles)+len(r.StaleMarks)+
		len(r.PendingPurges)+len(r.Database) == 0
}

// orphan is a managed file or folder no row claims, as the check found it.
type orphan struct {
	st       blob.Store
	storage  Storage
	key      string // ".lamindb/NAME" or ".lamindb/.staging/NAME"
	modified time.Time
}

// Check compares rows and bytes in every storage location this instance
// manages: that the bytes exist with their recorded size (and, with Deep,
// hash), that no managed file lacks a row, and what the database's own
// quick_check says. With Repair, it finishes crashed saves and purges and
// quarantines unclaimed files older than the grace period; rows without bytes
// are reported, never deleted, since their metadata may be all that is left.
//
// The storage is listed outside any write transaction; a file is moved only
// after a write transaction has confirmed that no row, live mark or intent
// claims it, so a save that lands during a repair keeps its bytes.
func (in *Instance) Check(ctx context.Context, o CheckOptions) (*CheckReport, error) {
	switch {
	case o.Grace == 0:
		o.Grace = DefaultGrace
	case o.Grace < 0:
		o.Grace = 0
	}
	if (o.Repair || o.EmptyQuarantine) && !in.writable() {
		return nil, in.db.ReadOnly()
	}
	if in.writable() {
		if err := in.flushStored(ctx); err != nil {
			return nil, err
		}
	}
	r, orphans, err := in.scan(ctx, o.Deep)
	if err != nil {
		return nil, err
	}
	if err := fault.Hit(fault.CheckAfterList); err != nil {
		return r, err
	}
	if o.EmptyQuarantine {
		if err := in.emptyQuarantine(ctx, r); err != nil {
			return r, err
		}
	}
	if !o.Repair {
		return r, nil
	}
	done, err := in.repairMarks(ctx)
	r.Repaired = append(r.Repaired, done...)
	if err != nil {
		return r, err
	}
	done, err = in.resumePurges(ctx, false)
	r.Repaired = append(r.Repaired, done...)
	if err != nil && !errors.Is(err, ErrIncomplete) {
		return r, err
	}
	for _, f := range orphans {
		what, err := in.quarantine(ctx, f, o.Grace)
		if err != nil {
			return r, err
		}
		r.Repaired = append(r.Repaired, what)
	}
	done, err = in.abortUploads(ctx, o.Grace)
	r.Repaired = append(r.Repaired, done...)
	if err != nil {
		return r, err
	}
	after, _, err := in.scan(ctx, o.Deep)
	if err != nil {
		return r, err
	}
	r.Remaining = after
	return r, nil
}

// scan is one read-only pass of Check.
func (in *Instance) scan(ctx context.Context, deep bool) (*CheckReport, []orphan, error) {
	r := &CheckReport{MissingBytes: []string{}, WrongSize: []string{}, WrongHash: []string{}, OrphanFiles: []string{},
		StaleMarks: []string{}, PendingPurges: []string{}, Database: []string{}, Quarantined: []string{}, Repaired: []string{}}
	problems, err := in.db.QuickCheck(ctx)
	if err != nil {
		r.Database = append(r.Database, err.Error())
		return r, nil, nil
	}
	r.Database = append(r.Database, problems...)
	all, err := in.marks(ctx, in.db, false)
	if err != nil {
		return nil, nil, err
	}
	storing := map[int64]bool{}
	staged := map[string]bool{} // staging names a mark claims
	for _, m := range all {
		storing[m.artifactID] = true
		if m.tmp != "" {
			staged[path.Base(m.tmp)] = true
			staged[path.Base(asideOf(m.tmp))] = true
		}
		if !ownerAlive(m.owner, in.opts.Now().Sub(m.started).Seconds()) {
			r.StaleMarks = append(r.StaleMarks, fmt.Sprintf("artifact id %d (owner %s, since %s)", m.artifactID, m.owner, formatTime(m.started)))
		}
	}
	its, err := in.intents(ctx, ``)
	if err != nil {
		return nil, nil, err
	}
	pending := map[string]bool{}
	for _, it := range its {
		p := where(in.store(it.root), it.path)
		r.PendingPurges = append(r.PendingPurges, p)
		pending[it.root+"\x00"+it.path] = true
	}
	storages, err := in.storages(ctx)
	if err != nil {
		return nil, nil, err
	}
	var orphans []orphan
	for _, s := range storages {
		if s.InstanceUID != in.uid {
			continue
		}
		st := in.store(s.Root)
		claimed := map[string]bool{} // names in .lamindb/ that rows own
		var suspects []int64         // artifacts whose bytes looked wrong
		err := sqldb.Each(ctx, in.db, func(sc sqldb.Scanner) error {
			var sha sql.NullString
			a, err := scanArtifact(withExtra(sc, &sha))
			if err != nil {
				return err
			}
			k := a.StorageKey()
			if rest, ok := strings.CutPrefix(k, managedDir+"/"); ok {
				claimed[strings.SplitN(rest, "/", 2)[0]] = true
			}
			if !storing[a.ID] {
				probe := &CheckReport{}
				in.checkBytes(ctx, st, a, sha.String, deep, probe)
				if len(probe.MissingBytes)+len(probe.WrongSize)+len(probe.WrongHash) > 0 {
					suspects = append(suspects, a.ID)
				}
			}
			return nil
		}, `SELECT `+artifactCols+`, (SELECT sha256 FROM lamin_artifact_sha256 WHERE artifact_id = lamindb_artifact.id AND hash = lamindb_artifact.hash) FROM lamindb_artifact WHERE storage_id = ? ORDER BY id`, s.ID)
		if err != nil {
			return nil, nil, err
		}
		if err := fault.Hit(fault.CheckAfterRows); err != nil {
			return nil, nil, err
		}
		entries, err := st.List(ctx, managedDir)
		if err != nil {
			return nil, nil, errorf(ErrStorage, "list %s: %v", where(st, managedDir), err)
		}
		groups := map[string]time.Time{} // top-level key → newest modification
		for _, e := range entries {
			rest := strings.TrimPrefix(e.Key, managedDir+"/")
			parts := strings.SplitN(rest, "/", 3)
			var key string
			switch {
			case len(parts) == 1 && (parts[0] == markerFile || isDBFile(parts[0])) || lamindbSetupFile(parts[0]):
				continue
			case parts[0] == quarantineDir:
				r.Quarantined = append(r.Quarantined, where(st, e.Key))
				continue
			case parts[0] == stagingDir && len(parts) > 1:
				if staged[parts[1]] {
					continue
				}
				key = managedDir + "/" + stagingDir + "/" + parts[1]
			case parts[0] == stagingDir:
				continue
			default:
				if claimed[parts[0]] || pending[s.Root+"\x00"+managedDir+"/"+parts[0]] {
					continue
				}
				key = managedDir + "/" + parts[0]
			}
			if t, ok := groups[key]; !ok || e.ModTime.After(t) {
				groups[key] = e.ModTime
			}
		}
		keys := make([]string, 0, len(groups))
		for k := range groups {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		// What changed while the rows were read and storage listed (a save
		// landed, a purge went through) is not an inconsistency: each suspect
		// is looked at again.
		for _, k := range keys {
			f := orphan{st: st, storage: s, key: k, modified: groups[k]}
			if ok, err := in.claimed(ctx, in.db, f); err != nil {
				return nil, nil, err
			} else if ok {
				continue
			}
			r.OrphanFiles = append(r.OrphanFiles, where(st, k))
			orphans = append(orphans, f)
		}
		for _, id := range suspects {
			var sha sql.NullString
			a, err := scanArtifact(withExtra(in.db.QueryRowContext(ctx, `SELECT `+artifactCols+`, (SELECT sha256 FROM lamin_artifact_sha256 WHERE artifact_id = lamindb_artifact.id AND hash = lamindb_artifact.hash)
				FROM lamindb_artifact WHERE id = ?`, id), &sha))
			if sqldb.IsNoRows(err) {
				continue // purged meanwhile
			} else if err != nil {
				return nil, nil, err
			}
			var marked int
			if err := in.db.QueryRowContext(ctx, `SELECT count(*) FROM lamin_storing WHERE artifact_id = ?`, id).Scan(&marked); err != nil {
				return nil, nil, err
			}
			if marked == 0 {
				in.checkBytes(ctx, st, a, sha.String, deep, r)
			}
		}
	}
	sort.Strings(r.Quarantined)
	return r, orphans, nil
}

// withExtra scans the columns a scanner function knows, then dest.
func withExtra(s sqldb.Scanner, dest ...any) sqldb.Scanner { return extraScanner{s, dest} }

type extraScanner struct {
	sqldb.Scanner
	extra []any
}

func (e extraScanner) Scan(dest ...any) error { return e.Scanner.Scan(append(dest, e.extra...)...) }

// checkBytes compares an artifact's bytes with its row and, when sha is
// known, with its full-content SHA-256.
func (in *Instance) checkBytes(ctx context.Context, st blob.Store, a *Artifact, sha string, deep bool, r *CheckReport) {
	k := a.StorageKey()
	at := fmt.Sprintf("%s (%s)", a.UID, where(st, k))
	info, err := st.Stat(ctx, k)
	if errors.Is(err, fs.ErrNotExist) {
		r.MissingBytes = append(r.MissingBytes, at)
		return
	} else if err != nil {
		r.MissingBytes = append(r.MissingBytes, at+": "+err.Error())
		return
	}
	if a.OverwriteVersions && !a.IsLatest {
		return // an outdated folder version: the store holds its head's bytes
	}
	switch {
	case a.Size != nil && info.Size != *a.Size:
		r.WrongSize = append(r.WrongSize, fmt.Sprintf("%s: %d bytes, the row says %d", at, info.Size, *a.Size))
		return
	case a.NFiles != nil && info.NFiles != *a.NFiles:
		r.WrongSize = append(r.WrongSize, fmt.Sprintf("%s: %d files, the row says %d", at, info.NFiles, *a.NFiles))
		return
	}
	if !deep || a.Hash == nil || st.LocalPath(k) == "" {
		return
	}
	sum, err := digest.Path(st.LocalPath(k))
	if err != nil {
		r.WrongHash = append(r.WrongHash, at+": "+err.Error())
		return
	}
	if !hashMatches(a, sum) || (sha != "" && sha != sum.SHA256) {
		r.WrongHash = append(r.WrongHash, fmt.Sprintf("%s: hash %s, the row says %s", at, sum.Hash, *a.Hash))
	}
}

// quarantine moves an unclaimed file into .lamindb/.quarantine/ if it is
// older than grace and, checked inside a write transaction, still unclaimed.
func (in *Instance) quarantine(ctx context.Context, f orphan, grace time.Duration) (string, error) {
	p := where(f.st, f.key)
	if age := in.opts.Now().Sub(f.modified); age < grace {
		return fmt.Sprintf("left %s: changed %s ago, within the grace period of %s", p, age.Round(time.Second), grace), nil
	}
	var what, moved string
	err := in.writeTx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		if moved != "" {
			// A re-run of the transaction: the first run's move was not
			// committed; put the file back before deciding again.
			if err := f.st.Rename(ctx, moved, f.key); err != nil {
				return errorf(ErrStorage, "quarantine %s: put it back from %s: %v", p, moved, err)
			}
			moved = ""
		}
		claimed, err := in.claimed(ctx, tx, f)
		if err != nil || claimed {
			what = "left " + p + ": claimed meanwhile"
			return err
		}
		info, err := f.st.Stat(ctx, f.key)
		if errors.Is(err, fs.ErrNotExist) {
			what = "left " + p + ": gone meanwhile"
			return nil
		} else if err != nil {
			return err
		}
		if in.opts.Now().Sub(info.ModTime) < grace {
			what = "left " + p + ": changed meanwhile"
			return nil
		}
		// A unique name: a rename onto an earlier quarantined file would delete it.
		dst := managedDir + "/" + quarantineDir + "/" + in.opts.Now().UTC().Format("20060102T150405Z") + "-" + uid.New(6) + "-" + path.Base(f.key)
		if _, err := f.st.Stat(ctx, dst); !errors.Is(err, fs.ErrNotExist) {
			return errorf(ErrStorage, "quarantine %s: %s exists", p, dst)
		}
		if err := f.st.Rename(ctx, f.key, dst); err != nil {
			return errorf(ErrStorage, "quarantine %s: %v", p, err)
		}
		moved, what = dst, "quarantined "+p+" → "+where(f.st, dst)
		return nil
	})
	return what, err
}

// claimed reports whether a row, a mark or an intent claims an orphan's key.
func (in *Instance) claimed(ctx context.Context, tx querier, f orphan) (bool, error) {
	name := path.Base(f.key)
	if strings.HasPrefix(f.key, managedDir+"/"+stagingDir+"/") {
		// Saves in flight are few: their staging keys (and where a folder
		// re-version sets the old folder aside) are compared here.
		tmps, err := sqldb.Strings(ctx, tx, `SELECT tmp_path FROM lamin_storing WHERE tmp_path IS NOT NULL`)
		for _, t := range tmps {
			if t == f.key || asideOf(t) == f.key {
				return true, err
			}
		}
		return false, err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM lamin_purge_intent WHERE storage_root = ? AND path = ?`, f.storage.Root, f.key).Scan(&n); err != nil || n > 0 {
		return n > 0, err
	}
	if len(name) < 16 {
		return false, nil
	}
	arts, err := sqldb.Query(ctx, tx, scanArtifact, `SELECT `+artifactCols+` FROM lamindb_artifact WHERE storage_id = ? AND `+in.db.PrefixRange("uid"),
		f.storage.ID, name[:16], name[:16]+"~")
	if err != nil {
		return false, err
	}
	for _, a := range arts {
		if a.StorageKey() == f.key {
			return true, nil
		}
	}
	return false, nil
}

// emptyQuarantine deletes what repairs set aside.
func (in *Instance) emptyQuarantine(ctx context.Context, r *CheckReport) error {
	storages, err := in.storages(ctx)
	if err != nil {
		return err
	}
	for _, s := range storages {
		if s.InstanceUID != in.uid {
			continue
		}
		st := in.store(s.Root)
		if err := st.Delete(ctx, managedDir+"/"+quarantineDir); err != nil {
			return errorf(ErrStorage, "empty %s: %v", where(st, managedDir+"/"+quarantineDir), err)
		}
	}
	for _, q := range r.Quarantined {
		r.Repaired = append(r.Repaired, "deleted quarantined "+q)
	}
	r.Quarantined = []string{}
	return nil
}

// chunks splits ids into slices of at most n.
func chunks[T any](ids []T, n int) [][]T {
	var out [][]T
	for len(ids) > n {
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

func placeholders(n int) string { return sqldb.Placeholders(n) }
