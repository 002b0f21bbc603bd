package lamindb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/internal/sqldb"
)

// recover finishes or undoes what crashed processes left: saves whose "storing"
// mark outlived their owner, and purges whose bytes were not yet deleted. Work
// of live processes is never touched.
func (in *Instance) recover(ctx context.Context) error {
	var marks, intents int
	if err := in.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM lamin_storing), (SELECT count(*) FROM lamin_purge_intent)`).Scan(&marks, &intents); err != nil {
		return err
	}
	if marks > 0 {
		if _, err := in.repairMarks(ctx, false); err != nil {
			return err
		}
	}
	if intents > 0 {
		if _, err := in.resumePurges(ctx, false); err != nil && !errors.Is(err, ErrIncomplete) {
			return err
		}
	}
	return nil
}

type storingMark struct {
	artifactID int64
	owner      string
	tmp        string
	started    time.Time
}

func (in *Instance) staleMarks(ctx context.Context, all bool) ([]storingMark, error) {
	rows, err := in.db.QueryContext(ctx, `SELECT artifact_id, owner, COALESCE(tmp_path, ''), started_at FROM lamin_storing`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storingMark
	for rows.Next() {
		var m storingMark
		var ts timeScanner
		if err := rows.Scan(&m.artifactID, &m.owner, &m.tmp, &ts); err != nil {
			return nil, err
		}
		m.started = ts.t
		if all || !ownerAlive(m.owner, in.opts.Now().Sub(m.started).Seconds()) {
			out = append(out, m)
		}
	}
	return out, rows.Err()
}

// repairMarks completes a crashed save whose bytes made it into place, and
// removes the row and partial bytes of one whose bytes did not.
func (in *Instance) repairMarks(ctx context.Context, dryRun bool) ([]string, error) {
	marks, err := in.staleMarks(ctx, false)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, m := range marks {
		a, err := scanArtifact(in.db.QueryRowContext(ctx, `SELECT `+artifactCols+` FROM lamindb_artifact WHERE id = ?`, m.artifactID))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return done, err
		}
		st := in.storeFor(ctx, a)
		complete := false
		if a != nil && err == nil {
			if size, _, serr := st.Stat(ctx, a.StorageKey()); serr == nil && a.Size != nil && size == *a.Size {
				complete = true
			}
		}
		if dryRun {
			if complete {
				done = append(done, fmt.Sprintf("complete save of %s (bytes in place)", a.UID))
			} else {
				done = append(done, fmt.Sprintf("undo save of artifact id %d (bytes missing)", m.artifactID))
			}
			continue
		}
		if complete {
			err = in.db.Tx(ctx, func(tx *sqldb.Tx) error { return clearStoringMark(ctx, tx, a.ID) })
			done = append(done, "completed save of "+a.UID)
		} else {
			err = in.db.Tx(ctx, func(tx *sqldb.Tx) error { return in.undoInsert(ctx, tx, m.artifactID) })
			if a != nil && !a.OverwriteVersions {
				st.Delete(ctx, a.StorageKey())
			}
			done = append(done, fmt.Sprintf("removed half-saved artifact id %d", m.artifactID))
		}
		if err != nil {
			return done, err
		}
		if m.tmp != "" {
			st.Delete(ctx, m.tmp)
		}
	}
	return done, nil
}

func (in *Instance) storeFor(ctx context.Context, a *Artifact) blob.Store {
	if a != nil {
		if s, err := in.storageByID(ctx, in.db, a.StorageID); err == nil {
			return in.store(s.Root)
		}
	}
	return in.store(in.storage.Root)
}

// resumePurges deletes the bytes of committed purges that a crash or a storage
// failure left behind.
func (in *Instance) resumePurges(ctx context.Context, all bool) ([]string, error) {
	rows, err := in.db.QueryContext(ctx, `SELECT id, storage_root, path, owner, created_at, attempts FROM lamin_purge_intent ORDER BY id`)
	if err != nil {
		return nil, err
	}
	var its []purgeIntent
	for rows.Next() {
		var it purgeIntent
		var ts timeScanner
		var attempts int
		if err := rows.Scan(&it.id, &it.root, &it.path, &it.owner, &ts, &attempts); err != nil {
			rows.Close()
			return nil, err
		}
		// An intent whose owner already failed once was given up by it: retry it.
		if all || attempts > 0 || !ownerAlive(it.owner, in.opts.Now().Sub(ts.t).Seconds()) {
			its = append(its, it)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	left, err := in.deleteIntents(ctx, its)
	var done []string
	for _, it := range its {
		done = append(done, "deleted "+filepath.Join(filepath.FromSlash(it.root), filepath.FromSlash(it.path)))
	}
	if len(left) > 0 {
		return done, &Error{Class: ErrIncomplete, Msg: "could not delete: " + strings.Join(left, ", "), Err: err}
	}
	return done, nil
}

type purgeIntent struct {
	id         int64
	root, path string
	owner      string
}

// deleteIntents deletes the bytes of each intent and clears the intents that
// succeeded; it returns the paths left behind.
func (in *Instance) deleteIntents(ctx context.Context, its []purgeIntent) (left []string, firstErr error) {
	var doneIDs []int64
	for i, it := range its {
		if i == 1 {
			fault(FaultPurgeMidDelete)
		}
		st := in.store(it.root)
		if err := st.Delete(ctx, it.path); err != nil {
			left = append(left, st.LocalPath(it.path))
			if firstErr == nil {
				firstErr = err
			}
			in.db.ExecContext(ctx, `UPDATE lamin_purge_intent SET attempts = attempts + 1, last_error = ? WHERE id = ?`, err.Error(), it.id)
			continue
		}
		in.opts.Notify.say(LevelSuccess, "deleted %s", st.LocalPath(it.path))
		doneIDs = append(doneIDs, it.id)
	}
	if len(doneIDs) > 0 {
		err := in.db.Tx(ctx, func(tx *sqldb.Tx) error {
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

// CheckReport is what `lamin check` finds.
type CheckReport struct {
	MissingBytes  []string `json:"missing_bytes"`  // artifacts whose bytes are gone
	OrphanFiles   []string `json:"orphan_files"`   // managed files that no row owns
	StaleMarks    []string `json:"stale_marks"`    // saves whose process died
	PendingPurges []string `json:"pending_purges"` // bytes a purge still has to delete
	Repaired      []string `json:"repaired"`       // what --repair did
}

// OK reports whether nothing is inconsistent.
func (r *CheckReport) OK() bool {
	return len(r.MissingBytes)+len(r.OrphanFiles)+len(r.StaleMarks)+len(r.PendingPurges) == 0
}

// Check compares rows and bytes in every storage location this instance
// manages. With repair, it finishes crashed saves and purges and deletes
// managed files that no row owns; rows without bytes are reported, never
// deleted, since their metadata may be all that is left.
func (in *Instance) Check(ctx context.Context, repair bool) (*CheckReport, error) {
	if err := in.flushStored(ctx); err != nil {
		return nil, err
	}
	r := &CheckReport{}
	marks, err := in.staleMarks(ctx, false)
	if err != nil {
		return nil, err
	}
	storing := map[int64]bool{}
	for _, m := range marks {
		r.StaleMarks = append(r.StaleMarks, fmt.Sprintf("artifact id %d (owner %s, since %s)", m.artifactID, m.owner, formatTime(m.started)))
	}
	all, _ := in.staleMarks(ctx, true)
	for _, m := range all {
		storing[m.artifactID] = true
	}
	rows, err := in.db.QueryContext(ctx, `SELECT storage_root, path FROM lamin_purge_intent ORDER BY id`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var root, p string
		if err := rows.Scan(&root, &p); err != nil {
			rows.Close()
			return nil, err
		}
		r.PendingPurges = append(r.PendingPurges, filepath.Join(filepath.FromSlash(root), filepath.FromSlash(p)))
	}
	rows.Close()

	storages, err := in.storages(ctx)
	if err != nil {
		return nil, err
	}
	owned := map[string]bool{} // storage-relative paths of managed bytes, per root
	for _, s := range storages {
		if s.InstanceUID != in.uid {
			continue
		}
		st := in.store(s.Root)
		arows, err := in.db.QueryContext(ctx, `SELECT `+artifactCols+` FROM lamindb_artifact WHERE storage_id = ?`, s.ID)
		if err != nil {
			return nil, err
		}
		var arts []*Artifact
		for arows.Next() {
			a, err := scanArtifact(arows)
			if err != nil {
				arows.Close()
				return nil, err
			}
			arts = append(arts, a)
		}
		arows.Close()
		for _, a := range arts {
			k := a.StorageKey()
			owned[s.Root+"\x00"+k] = true
			if storing[a.ID] {
				continue
			}
			if _, err := os.Stat(st.LocalPath(k)); errors.Is(err, fs.ErrNotExist) {
				r.MissingBytes = append(r.MissingBytes, fmt.Sprintf("%s (%s)", a.UID, st.LocalPath(k)))
			}
		}
		entries, _ := os.ReadDir(st.LocalPath(managedDir))
		for _, e := range entries {
			n := e.Name()
			if n == markerFile || strings.HasPrefix(n, dbFile) || n == stagingDir {
				continue
			}
			k := managedDir + "/" + n
			if !owned[s.Root+"\x00"+k] && !pendingPath(r.PendingPurges, st.LocalPath(k)) {
				r.OrphanFiles = append(r.OrphanFiles, st.LocalPath(k))
			}
		}
		staged, _ := os.ReadDir(st.LocalPath(managedDir + "/" + stagingDir))
		if len(staged) > 0 && len(all) == 0 {
			for _, e := range staged {
				r.OrphanFiles = append(r.OrphanFiles, st.LocalPath(managedDir+"/"+stagingDir+"/"+e.Name()))
			}
		}
	}
	if !repair {
		return r, nil
	}
	done, err := in.repairMarks(ctx, false)
	r.Repaired = append(r.Repaired, done...)
	if err != nil {
		return r, err
	}
	done, err = in.resumePurges(ctx, false)
	r.Repaired = append(r.Repaired, done...)
	if err != nil {
		return r, err
	}
	for _, f := range r.OrphanFiles {
		if err := os.RemoveAll(f); err != nil {
			return r, err
		}
		r.Repaired = append(r.Repaired, "removed orphan "+f)
	}
	return r, nil
}

func pendingPath(pending []string, p string) bool {
	for _, x := range pending {
		if x == p {
			return true
		}
	}
	return false
}

func chunks(ids []int64, n int) [][]int64 {
	var out [][]int64
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

func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
