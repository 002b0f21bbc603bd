package lamindb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lamindb-go/lamindb/digest"
	"github.com/lamindb-go/lamindb/internal/sqldb"
	"github.com/lamindb-go/lamindb/internal/uid"
	"github.com/lamindb-go/lamindb/table"
)

// SaveOptions describe an artifact to save. One of Key or Description is
// required (lamindb: "Pass one of key, run or description as a parameter"),
// unless Revises supplies them or the path lies in a registered storage root.
type SaveOptions struct {
	// Key is the artifact's path-like name, e.g. "raw/sample1.csv". Its suffix must match the data's.
	Key string
	// Description is free text.
	Description string
	// Kind is e.g. "dataset" or "model"; tables get "dataset".
	Kind string
	// Revises is the uid (or 16-character stem) of the artifact this is a new version of.
	Revises string
	// Dataframe marks the file as a table: CSV/TSV are converted to Parquet,
	// and otype, kind and n_observations are set.
	Dataframe bool
	// SkipHashLookup saves a new artifact even if one with the same content exists.
	SkipHashLookup bool
}

// SaveItem is one entry of SaveMany.
type SaveItem struct {
	// Path is the local file or folder to register.
	Path string
	SaveOptions
}

// Save registers a local file or folder as an artifact: it hashes the bytes once,
// returns an existing artifact with the same content (lamindb hash, size and
// SHA-256), or inserts a new row (a new version when the key or Revises says so)
// and copies the bytes into storage under .lamindb/. Files already inside a
// registered storage root are registered in place.
func (in *Instance) Save(ctx context.Context, path string, o SaveOptions) (*Artifact, error) {
	arts, err := in.SaveMany(ctx, []SaveItem{{Path: path, SaveOptions: o}})
	if err != nil {
		return nil, err
	}
	return arts[0], nil
}

// SaveTable saves an Arrow table (Go's data frame) as a Parquet artifact with
// otype "DataFrame", kind "dataset" and n_observations = rows.
func (in *Instance) SaveTable(ctx context.Context, tbl arrow.Table, o SaveOptions) (*Artifact, error) {
	if err := in.checkSaveOptions(o, ".parquet", false); err != nil {
		return nil, err
	}
	dir, err := cacheDir()
	if err != nil {
		return nil, err
	}
	tmp := filepath.Join(dir, uid.New(20)+".parquet")
	in.opts.Notify.say(LevelInfo, "writing the in-memory object into cache")
	if err := table.WriteParquetFile(tmp, tbl); err != nil {
		return nil, fmt.Errorf("write table: %w", err)
	}
	defer os.Remove(tmp)
	o.Dataframe = true
	return in.Save(ctx, tmp, o)
}

// SaveRecord saves an Arrow record batch as a Parquet artifact, like SaveTable.
func (in *Instance) SaveRecord(ctx context.Context, rec arrow.RecordBatch, o SaveOptions) (*Artifact, error) {
	tbl := array.NewTableFromRecords(rec.Schema(), []arrow.RecordBatch{rec})
	defer tbl.Release()
	return in.SaveTable(ctx, tbl, o)
}

// cacheDir returns LAMIN_CACHE_DIR or the user cache folder for lamindb.
func cacheDir() (string, error) {
	d := os.Getenv("LAMIN_CACHE_DIR")
	if d == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		d = filepath.Join(base, "lamindb")
	}
	return d, os.MkdirAll(d, 0o755)
}

// pending is an artifact on its way into the instance.
type pending struct {
	item     SaveItem
	src      string // the bytes to store (a converted Parquet file for --dataframe CSVs)
	cleanup  func()
	sum      digest.Sum
	suffix   string
	inPlace  *Storage // set when src lies in a registered storage root
	relKey   string   // src relative to that root
	art      *Artifact
	existing bool   // art was already in the instance (dedup or restore)
	staging  string // staging key while the bytes are written
	demoted  int64  // id of the previous head this version demoted, if any
}

func (in *Instance) checkSaveOptions(o SaveOptions, suffix string, inPlace bool) error {
	if err := ValidateKey(o.Key, suffix); err != nil {
		return err
	}
	if o.Key == "" && o.Description == "" && o.Revises == "" && !inPlace {
		return errorf(ErrInvalid, "Pass one of key, run or description as a parameter")
	}
	if len(o.Kind) > 20 {
		return errorf(ErrInvalid, "kind %q is longer than 20 characters", o.Kind)
	}
	return nil
}

// SaveMany saves several artifacts: all rows are inserted in one transaction,
// then the bytes are written. If writing fails, the rows of the artifacts not
// yet stored are removed again and the error lists the ones that were stored.
func (in *Instance) SaveMany(ctx context.Context, items []SaveItem) ([]*Artifact, error) {
	ps := make([]*pending, len(items))
	defer func() {
		for _, p := range ps {
			if p != nil && p.cleanup != nil {
				p.cleanup()
			}
		}
	}()
	storages, err := in.storages(ctx)
	if err != nil {
		return nil, err
	}
	for i, it := range items {
		p, err := in.prepare(it, storages)
		if err != nil {
			return nil, err
		}
		ps[i] = p
	}
	in.opts.Notify.say(LevelWarning, "no run & transform got linked, call `ln.track()` & re-run")
	done := in.takeStored()
	if err := in.db.Tx(ctx, func(tx *sqldb.Tx) error {
		if err := clearStoringMarks(ctx, tx, done); err != nil {
			return err
		}
		for _, p := range ps {
			if err := in.register(ctx, tx, p); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		in.addStored(done)
		return nil, err
	}
	fault(FaultSaveAfterInsert)
	var stored []string
	for i, p := range ps {
		if p.existing || p.staging == "" {
			continue
		}
		if err := in.writeBytes(ctx, p); err != nil {
			in.rollbackSaves(ctx, ps[i:])
			if cerr := in.clearMarks(ctx, ps[:i]); cerr != nil {
				return nil, cerr
			}
			msg := fmt.Sprintf("store artifact %s: %v", p.art.UID, err)
			if len(stored) > 0 {
				msg += "; stored: " + strings.Join(stored, ", ")
			}
			return nil, &Error{Class: errors.New("storage"), Msg: msg, Err: err}
		}
		stored = append(stored, p.art.UID)
	}
	fault(FaultSaveAfterRename)
	// The marks of these saves are cleared in this instance's next write
	// transaction (or on Close): one commit per save instead of two. Until then a
	// crash is repaired on the next open, which finds the bytes in place.
	out := make([]*Artifact, len(ps))
	var ids []int64
	for i, p := range ps {
		out[i] = p.art
		if !p.existing {
			ids = append(ids, p.art.ID)
		}
	}
	in.addStored(ids)
	return out, nil
}

// takeStored returns, and forgets, the ids of saved artifacts whose marks are
// still to be cleared.
func (in *Instance) takeStored() []int64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	ids := in.stored
	in.stored = nil
	return ids
}

func (in *Instance) addStored(ids []int64) {
	in.mu.Lock()
	in.stored = append(in.stored, ids...)
	in.mu.Unlock()
}

// flushStored clears the pending marks of completed saves in a transaction of its own.
func (in *Instance) flushStored(ctx context.Context) error {
	ids := in.takeStored()
	if len(ids) == 0 {
		return nil
	}
	err := in.db.Tx(ctx, func(tx *sqldb.Tx) error { return clearStoringMarks(ctx, tx, ids) })
	if err != nil {
		in.addStored(ids)
	}
	return err
}

func clearStoringMarks(ctx context.Context, tx *sqldb.Tx, ids []int64) error {
	for _, c := range chunks(ids, 500) {
		if _, err := tx.ExecContext(ctx, `DELETE FROM lamin_storing WHERE artifact_id IN (`+placeholders(len(c))+`)`, int64Args(c)...); err != nil {
			return err
		}
	}
	return nil
}

// clearMarks ends the two-phase save of the stored artifacts among ps.
func (in *Instance) clearMarks(ctx context.Context, ps []*pending) error {
	return in.db.Tx(ctx, func(tx *sqldb.Tx) error {
		for _, p := range ps {
			if p.existing {
				continue
			}
			if err := clearStoringMark(ctx, tx, p.art.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// prepare validates, converts and hashes one item; it touches no row.
func (in *Instance) prepare(it SaveItem, storages []Storage) (*pending, error) {
	o := it.SaveOptions
	abs, err := filepath.Abs(it.Path)
	if err != nil {
		return nil, &Error{Class: ErrInvalid, Msg: "path " + it.Path, Err: err}
	}
	info, err := os.Stat(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, withHint(errorf(ErrNotFound, "path does not exist: %s", it.Path), "check the path and try again")
		}
		return nil, &Error{Class: errors.New("io"), Msg: fmt.Sprintf("cannot read %s: %v", it.Path, err), Err: err}
	}
	p := &pending{item: it, src: abs}
	// Paths inside a managed folder would alias bytes that lamindb owns.
	if strings.Contains(filepath.ToSlash(abs)+"/", "/"+managedDir+"/") {
		return nil, errorf(ErrInvalid, "Do not pass path inside the `.lamindb/` directory for non-s3/gs paths.")
	}
	// The longest registered root containing the path wins: register in place.
	for i := range storages {
		root := filepath.FromSlash(storages[i].Root)
		if rel, err := filepath.Rel(root, abs); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			if p.inPlace == nil || len(root) > len(p.inPlace.Root) {
				st := storages[i]
				p.inPlace, p.relKey = &st, filepath.ToSlash(rel)
			}
		}
	}
	p.suffix = rawSuffix(abs)
	if info.IsDir() {
		p.suffix = rawSuffix(abs)
	}
	convert := o.Dataframe && !info.IsDir() && (p.suffix == ".csv" || p.suffix == ".tsv")
	if convert {
		p.suffix = ".parquet"
		p.inPlace = nil // the converted file is new bytes, stored under .lamindb/
	}
	if err := in.checkSaveOptions(o, p.suffix, p.inPlace != nil); err != nil {
		return nil, err
	}
	if o.Dataframe && !info.IsDir() && !convert && p.suffix != ".parquet" {
		return nil, errorf(ErrInvalid, "--dataframe takes a .csv, .tsv or .parquet file, not %s", filepath.Base(abs))
	}
	if convert {
		dir, err := cacheDir()
		if err != nil {
			return nil, err
		}
		dst := filepath.Join(dir, uid.New(20)+".parquet")
		if _, err := table.CSVToParquet(abs, dst); err != nil {
			if errors.Is(err, table.ErrInvalid) {
				return nil, &Error{Class: ErrInvalid, Msg: fmt.Sprintf("cannot read %s as a table: %v", it.Path, err), Err: err}
			}
			return nil, err
		}
		p.src = dst
		p.cleanup = func() { os.Remove(dst) }
	}
	p.sum, err = digest.Path(p.src)
	if err != nil {
		return nil, &Error{Class: errors.New("io"), Msg: fmt.Sprintf("cannot read %s: %v", it.Path, err), Err: err}
	}
	p.suffix = CanonicalSuffix(p.src)
	if info.IsDir() {
		p.suffix = CanonicalSuffix(abs)
	}
	return p, nil
}

// register decides, inside the write transaction, whether the item returns an
// existing artifact (same content), comes back from the trash, or becomes a new
// row (possibly a new version), and inserts that row with its "storing" mark.
func (in *Instance) register(ctx context.Context, tx *sqldb.Tx, p *pending) (err error) {
	o := p.item.SaveOptions
	st := in.storage
	if p.inPlace != nil {
		st = *p.inPlace
	}
	key := o.Key
	var realKey *string
	keyIsVirtual := true
	if p.inPlace != nil {
		if key == "" || key == p.relKey {
			key, keyIsVirtual = p.relKey, false
		} else {
			rk := p.relKey
			realKey = &rk
		}
	}
	// Empty files never deduplicate (lamindb).
	var same []*Artifact
	if p.sum.IsDir || p.sum.Size > 0 {
		if same, err = in.sameContent(ctx, tx, p.sum); err != nil {
			return err
		}
	}
	// lamindb skips the hash lookup for paths already in storage; it ignores the trash.
	if !o.SkipHashLookup && p.inPlace == nil {
		for _, a := range same {
			if a.BranchID != -1 {
				return in.adoptExisting(ctx, tx, p, a, key)
			}
		}
	}
	// Same content with the same storage and key (or both without key) is the
	// same artifact: bring it back, from the trash too (DESIGN, deliberate differences).
	for _, a := range same {
		if a.StorageID != st.ID || (a.Key == nil) != (key == "") || (a.Key != nil && *a.Key != key) {
			continue
		}
		if a.BranchID == -1 {
			if err := in.moveBranch(ctx, tx, "artifact", []int64{a.ID}, 1, "restore"); err != nil {
				return err
			}
			a.BranchID = 1
			in.opts.Notify.say(LevelWarning, "returning artifact from trash with same hash & key: %s", a)
		} else {
			in.opts.Notify.say(LevelWarning, "returning artifact  with same hash & key: %s", a)
		}
		p.art, p.existing = a, true
		return nil
	}

	// A new row: a new family, or a new version of one.
	var revises *Artifact
	if o.Revises != "" {
		revises, err = in.artifactByUIDTx(ctx, tx, o.Revises)
		if err != nil {
			return err
		}
		if !revises.IsLatest {
			return errorf(ErrRefused, "Cannot revise a non-latest record: %s is not the latest version", revises.UID)
		}
		if key == "" && revises.Key != nil {
			key = *revises.Key
			if err := ValidateKey(key, p.suffix); err != nil {
				return err
			}
		} else if key != "" && revises.Key != nil && *revises.Key != key {
			in.opts.Notify.say(LevelWarning, "renaming artifact from '%s' to %s", *revises.Key, key)
		}
		if o.Description == "" && revises.Description != nil {
			o.Description = *revises.Description
		}
	} else if key != "" {
		revises, err = in.headForKey(ctx, tx, st, key)
		if err != nil {
			return err
		}
		if revises != nil {
			in.opts.Notify.say(LevelImportant, "creating new artifact version for key '%s' in storage '%s'", key, st.Root)
		}
	}
	newUID := uid.New(16) + "0000"
	if revises != nil {
		family, err := in.familyUIDs(ctx, tx, "lamindb_artifact", revises.Stem())
		if err != nil {
			return err
		}
		if newUID, err = uid.NextVersion(family, 16); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE lamindb_artifact SET is_latest = 0 WHERE uid >= ? AND uid < ? AND branch_id = 1 AND is_latest = 1`,
			revises.Stem(), revises.Stem()+"~")
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			p.demoted = revises.ID
		}
	}
	a := &Artifact{
		UID: newUID, Suffix: p.suffix, IsLatest: true, BranchID: 1, CreatedOnID: 1, SpaceID: 1,
		StorageID: st.ID, CreatedByID: in.user.ID, KeyIsVirtual: keyIsVirtual, RealKey: realKey,
		OverwriteVersions: p.sum.IsDir, CreatedAt: in.opts.Now().UTC(),
	}
	a.Key = strPtr(key)
	a.Description = strPtr(o.Description)
	a.Kind = strPtr(o.Kind)
	size, hash, hashType := p.sum.Size, p.sum.Hash, p.sum.HashType
	a.Size, a.Hash, a.HashType = &size, &hash, &hashType
	if p.sum.IsDir {
		n := p.sum.NFiles
		a.NFiles = &n
	}
	if err := in.describeData(p, a); err != nil {
		return err
	}
	if p.inPlace == nil {
		p.staging = managedDir + "/" + stagingDir + "/" + a.UID + "-" + uid.New(8)
	}
	a.Aux = auxJSON(p.sum.SHA256)
	res, err := tx.ExecContext(ctx, `INSERT INTO lamindb_artifact (uid, key, _real_key, description, suffix, kind, otype,
		size, hash, n_files, n_observations, _hash_type, _key_is_virtual, _overwrite_versions, is_latest, is_locked,
		branch_id, created_on_id, space_id, storage_id, created_by_id, created_at, updated_at, _aux)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 0, 1, 1, 1, ?, ?, ?, ?, ?)`,
		a.UID, a.Key, a.RealKey, a.Description, a.Suffix, a.Kind, a.Otype, a.Size, a.Hash, a.NFiles, a.NObservations,
		a.HashType, a.KeyIsVirtual, a.OverwriteVersions, a.StorageID, a.CreatedByID, formatTime(a.CreatedAt),
		formatTime(a.CreatedAt), a.Aux)
	if err != nil {
		return fmt.Errorf("insert artifact: %w", err)
	}
	a.ID, _ = res.LastInsertId()
	p.art = a
	if p.staging != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO lamin_storing (artifact_id, owner, tmp_path, started_at) VALUES (?, ?, ?, ?)`,
			a.ID, in.owner, p.staging, in.now()); err != nil {
			return err
		}
	}
	return nil
}

// describeData sets otype, kind and n_observations from the data (spec §3.3).
func (in *Instance) describeData(p *pending, a *Artifact) error {
	switch {
	case p.item.Dataframe:
		a.Otype = strPtr("DataFrame")
		if a.Kind == nil {
			a.Kind = strPtr("dataset")
		}
	case p.suffix == ".parquet" || p.suffix == ".csv" || p.suffix == ".ipc":
		a.Otype = strPtr("DataFrame")
		in.opts.Notify.say(LevelWarning, "data is a DataFrame, please use .from_dataframe()")
	case p.suffix == ".h5ad" || p.suffix == ".anndata.zarr":
		a.Otype = strPtr("AnnData")
	case p.suffix == ".h5mu" || p.suffix == ".mudata.zarr":
		a.Otype = strPtr("MuData")
	case p.suffix == ".spatialdata.zarr":
		a.Otype = strPtr("SpatialData")
	}
	if p.suffix == ".parquet" && !p.sum.IsDir {
		n, err := table.ParquetRows(p.src)
		if err != nil {
			if p.item.Dataframe {
				return &Error{Class: ErrInvalid, Msg: fmt.Sprintf("cannot read %s as a table: %v", p.item.Path, err), Err: err}
			}
		} else {
			a.NObservations = &n
		}
	}
	return nil
}

// adoptExisting returns an artifact with the same content instead of a new one,
// with lamindb's messages and key rules.
func (in *Instance) adoptExisting(ctx context.Context, tx *sqldb.Tx, p *pending, a *Artifact, key string) error {
	in.opts.Notify.say(LevelImportant, "returning artifact with same hash: %s; to track this artifact as an input, use: ln.Artifact.get()", a)
	o := p.item.SaveOptions
	if o.Description != "" && (a.Description == nil || *a.Description != o.Description) {
		old := "None"
		if a.Description != nil {
			old = *a.Description
		}
		in.opts.Notify.say(LevelWarning, "updated description from %s to %s", old, o.Description)
		if err := in.checkUnlocked(a.IsLocked, "Artifact", a.UID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE lamindb_artifact SET description = ? WHERE id = ?`, o.Description, a.ID); err != nil {
			return err
		}
		a.Description = strPtr(o.Description)
	}
	if key != "" {
		switch {
		case a.Key == nil && a.KeyIsVirtual:
			if _, err := tx.ExecContext(ctx, `UPDATE lamindb_artifact SET key = ? WHERE id = ?`, key, a.ID); err != nil {
				return err
			}
			a.Key = strPtr(key)
		case a.Key != nil && *a.Key != key:
			in.opts.Notify.say(LevelWarning, "key %s on existing artifact differs from passed key %s, keeping original key; update manually if needed or pass skip_hash_lookup=True if you want to duplicate the artifact", *a.Key, key)
		}
	}
	p.art, p.existing = a, true
	return nil
}

// sameContent returns, oldest first, every artifact whose lamindb hash, size
// and SHA-256 all match sum: one indexed query that is empty for new content.
func (in *Instance) sameContent(ctx context.Context, q querier, sum digest.Sum) ([]*Artifact, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+artifactCols+` FROM lamindb_artifact
		WHERE hash = ? AND size = ? AND json_extract(_aux, '$.sha256') = ? ORDER BY id`, sum.Hash, sum.Size, sum.SHA256)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Artifact
	for rows.Next() {
		a, err := scanArtifact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// headForKey returns the artifact a save under key in storage st revises: the
// head on main, else the newest head on any branch; trashed versions are ignored.
func (in *Instance) headForKey(ctx context.Context, tx *sqldb.Tx, st Storage, key string) (*Artifact, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+artifactCols+` FROM lamindb_artifact
		WHERE storage_id = ? AND key = ? AND branch_id <> -1 ORDER BY (branch_id = 1) DESC, created_at DESC, id DESC`, st.ID, key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var any bool
	for rows.Next() {
		a, err := scanArtifact(rows)
		if err != nil {
			return nil, err
		}
		any = true
		if a.IsLatest {
			return a, nil
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if any {
		return nil, errorf(ErrRefused, "Cannot create a new artifact version: matching non-trashed artifacts exist for key '%s' in storage '%s', but none has `is_latest=True`.", key, st.Root)
	}
	return nil, nil
}

// familyUIDs returns the uids of every member of a version family, all branches.
func (in *Instance) familyUIDs(ctx context.Context, q querier, table, stem string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT uid FROM `+table+` WHERE uid >= ? AND uid < ?`, stem, stem+"~")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// writeBytes is the second phase of a save: bytes go to the staging key, then
// are renamed into place.
func (in *Instance) writeBytes(ctx context.Context, p *pending) error {
	st := in.store(in.storage.Root)
	if faultArmed(FaultSaveMidWrite) {
		writeHalf(p.src, st.LocalPath(p.staging))
		fault(FaultSaveMidWrite)
	}
	if err := st.Write(ctx, p.src, p.staging); err != nil {
		return err
	}
	fault(FaultSaveAfterWrite)
	in.opts.Notify.say(LevelSuccess, "storing artifact '%s' at '%s'", p.art.UID, st.LocalPath(p.art.StorageKey()))
	return st.Rename(ctx, p.staging, p.art.StorageKey())
}

// rollbackSaves removes the rows of artifacts whose bytes were not stored, and
// their partial bytes, after a failed write.
func (in *Instance) rollbackSaves(ctx context.Context, ps []*pending) {
	st := in.store(in.storage.Root)
	for _, p := range ps {
		if p.existing || p.staging == "" {
			continue
		}
		_ = in.db.Tx(ctx, func(tx *sqldb.Tx) error { return in.undoInsert(ctx, tx, p.art.ID) })
		_ = st.Delete(ctx, p.staging)
		if !p.art.OverwriteVersions {
			_ = st.Delete(ctx, p.art.StorageKey())
		}
	}
}

// undoInsert deletes a half-saved artifact row and its mark, and gives the head
// back to the version it demoted.
func (in *Instance) undoInsert(ctx context.Context, tx *sqldb.Tx, id int64) error {
	a, err := scanArtifact(tx.QueryRowContext(ctx, `SELECT `+artifactCols+` FROM lamindb_artifact WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		_, err = tx.ExecContext(ctx, `DELETE FROM lamin_storing WHERE artifact_id = ?`, id)
		return err
	}
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM lamin_storing WHERE artifact_id = ?`, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM lamindb_artifact WHERE id = ?`, id); err != nil {
		return err
	}
	if a.IsLatest {
		return promoteSuccessor(ctx, tx, "lamindb_artifact", a.Stem(), a.BranchID, nil)
	}
	return nil
}

// clearStoringMark ends a two-phase save. The mark lives in our own small
// table (not in lamindb's _aux "so" flag), so ending it rewrites no artifact
// row and none of its indexes.
func clearStoringMark(ctx context.Context, tx *sqldb.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM lamin_storing WHERE artifact_id = ?`, id)
	return err
}

// auxJSON is the _aux value: our full-content SHA-256, which dedup needs
// beside lamindb's hash and the size.
func auxJSON(sha string) *string {
	b, _ := json.Marshal(map[string]string{"sha256": sha})
	s := string(b)
	return &s
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
