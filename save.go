package lamindb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/digest"
	"github.com/lamindb-go/lamindb/internal/fault"
	"github.com/lamindb-go/lamindb/internal/flock"
	"github.com/lamindb-go/lamindb/internal/registry"
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
	storage  Storage  // where the row says the bytes are, and where they are written
	art      *Artifact
	existing bool        // art was already in the instance (dedup or restore)
	staging  string      // staging key while the bytes are written
	direct   bool        // the bytes go straight to their final key (a store whose Put is atomic)
	demoted  *int64      // the head this new version took is_latest from
	sameHash []*Artifact // every row with this hash and size, dedup candidates or not
}

// writes reports whether the save writes bytes (not deduplicated, not
// registered in place).
func (p *pending) writes() bool { return p.staging != "" || p.direct }

func (in *Instance) checkSaveOptions(o SaveOptions, suffix string, inPlace bool) error {
	for _, f := range []struct{ what, v string }{{"key", o.Key}, {"kind", o.Kind}, {"revises", o.Revises}} {
		if err := checkName(f.what, f.v); err != nil {
			return err
		}
	}
	if err := checkDescription(o.Description); err != nil {
		return err
	}
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
// then the bytes are written, each copy checked against the hash taken when
// the file was read (a file that changed meanwhile is refused, ErrStorage).
// If writing fails, the rows of the artifacts not yet stored are removed again
// and the error lists the ones that were stored.
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
		p, err := in.prepare(ctx, it, storages)
		if err != nil {
			return nil, err
		}
		ps[i] = p
	}
	in.opts.Notify.say(LevelWarning, "no run & transform got linked, call `ln.track()` & re-run")
	var n *notes
	for attempt := 0; ; attempt++ {
		n = &notes{}
		err := in.writeTx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
			*n = notes{} // a re-run of the transaction says only its own
			for _, p := range ps {
				if err := in.register(ctx, tx, p, n); err != nil {
					return err
				}
			}
			return nil
		})
		var uh *errUnhashed
		if errors.As(err, &uh) && attempt < 3 {
			// A dedup candidate saved by Python lamindb has no SHA-256 of
			// ours: its bytes are hashed outside the write transaction,
			// which other writers would otherwise wait for, then the
			// decision is made again.
			if err := in.learnSHA256(ctx, uh.arts, n); err != nil {
				return nil, err
			}
			in.tell(n)
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	in.tell(n)
	fault.Hit(fault.SaveAfterInsert)
	var stored []string
	var storedIDs []int64
	for i, p := range ps {
		if p.existing || !p.writes() {
			continue
		}
		if err := in.writeBytes(ctx, p); err != nil {
			in.addStored(storedIDs)
			in.rollbackSaves(ctx, ps[i:])
			msg := fmt.Sprintf("store artifact %s: %v; it was not saved", p.art.UID, err)
			if len(stored) > 0 {
				msg += " (stored: " + strings.Join(stored, ", ") + ")"
			}
			class := ErrStorage
			if ctx.Err() != nil {
				class = ErrInterrupted
			} else if errors.Is(err, ErrInvalid) {
				class = ErrInvalid
			}
			return nil, &Error{Class: class, Msg: msg, Err: err}
		}
		stored = append(stored, p.art.UID)
		storedIDs = append(storedIDs, p.art.ID)
	}
	fault.Hit(fault.SaveAfterRename)
	// The marks of these saves are cleared in this instance's next write
	// transaction (or on Close): one commit per save instead of two. Until then a
	// crash is repaired on the next open, which finds the bytes in place.
	out := make([]*Artifact, len(ps))
	for i, p := range ps {
		out[i] = p.art
	}
	in.addStored(storedIDs)
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
	in.mu.Lock()
	empty := len(in.stored) == 0
	in.mu.Unlock()
	if empty {
		return nil
	}
	return in.writeTx(ctx, func(context.Context, *sqldb.Tx) error { return nil })
}

func clearStoringMarks(ctx context.Context, tx *sqldb.Tx, ids []int64) error {
	for _, c := range chunks(ids, 500) {
		if _, err := tx.ExecContext(ctx, `DELETE FROM lamin_storing WHERE artifact_id IN (`+placeholders(len(c))+`)`, int64Args(c)...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE lamindb_artifact SET _aux = `+clearOngoing(tx)+` WHERE id IN (`+placeholders(len(c))+`)`, int64Args(c)...); err != nil {
			return err
		}
	}
	return nil
}

// storageOngoing is lamindb's _aux of an artifact whose bytes are still
// being stored (_storage_ongoing).
const storageOngoing = `{"so":1}`

// clearOngoing is the SQL value of _aux without the storage-ongoing flag.
func clearOngoing(q querier) string { return sqldb.On(q).JSONWithout("_aux", "so") }

// ongoing reports whether an artifact's _aux says its bytes are being stored.
func ongoing(aux *string) bool {
	if aux == nil {
		return false
	}
	var v struct {
		SO any `json:"so"`
	}
	return json.Unmarshal([]byte(*aux), &v) == nil && v.SO != nil && v.SO != false && v.SO != float64(0)
}

// prepare validates, converts and hashes one item; it touches no row. Bad
// input is refused here, before anything is written: a path that is not a
// regular file or folder (a FIFO, a device), a folder holding one, a path
// inside or containing a managed .lamindb/ folder.
func (in *Instance) prepare(ctx context.Context, it SaveItem, storages []Storage) (*pending, error) {
	o := it.SaveOptions
	if err := checkName("path", it.Path); err != nil {
		return nil, err
	}
	abs, managedParent, err := in.sourcePath(it.Path)
	if err != nil {
		return nil, &Error{Class: ErrInvalid, Msg: "path " + it.Path, Err: err}
	}
	info, err := os.Stat(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, withHint(errorf(ErrNotFound, "path does not exist: %s", it.Path), "check the path and try again")
		}
		return nil, &Error{Class: ErrStorage, Msg: fmt.Sprintf("cannot read %s: %v", it.Path, err), Err: err}
	}
	if !info.IsDir() && !info.Mode().IsRegular() {
		return nil, errorf(ErrInvalid, "cannot save %s: it is not a regular file or folder (%v)", it.Path, info.Mode().Type())
	}
	p := &pending{item: it, src: abs}
	// Paths inside a managed folder would alias bytes that lamindb owns —
	// by name, or by its marker (the same folder through a bind mount).
	if strings.Contains(filepath.ToSlash(abs)+"/", "/"+managedDir+"/") || managedParent {
		return nil, errorf(ErrInvalid, "Do not pass path inside the `.lamindb/` directory for non-s3/gs paths.")
	}
	if info.IsDir() {
		if inner := managedInside(abs); inner != "" {
			return nil, errorf(ErrInvalid, "cannot save %s: it contains the managed folder %s of an instance (its own bytes would be copied into it)", it.Path, inner)
		}
	}
	// The longest registered root containing the path wins: register in place.
	for i := range storages {
		root := storages[i].resolved
		if root == "" {
			root = filepath.FromSlash(storages[i].Root)
		}
		if rel, err := filepath.Rel(root, abs); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			if p.inPlace == nil || len(root) > len(p.inPlace.resolved) {
				st := storages[i]
				st.resolved = root
				p.inPlace, p.relKey = &st, filepath.ToSlash(rel)
			}
		}
	}
	p.suffix = rawSuffix(abs)
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
		if _, err := table.CSVToParquet(ctx, abs, dst); err != nil {
			os.Remove(dst)
			if ctx.Err() != nil {
				return nil, &Error{Class: ErrInterrupted, Msg: fmt.Sprintf("convert %s: %v", it.Path, err), Err: err}
			}
			if errors.Is(err, table.ErrInvalid) {
				return nil, &Error{Class: ErrInvalid, Msg: fmt.Sprintf("cannot read %s as a table: %v", it.Path, err), Err: err}
			}
			return nil, &Error{Class: ErrStorage, Msg: fmt.Sprintf("convert %s: %v", it.Path, err), Err: err}
		}
		p.src = dst
		p.cleanup = func() { os.Remove(dst) }
	}
	p.sum, err = digest.Path(p.src)
	if errors.Is(err, digest.ErrNotRegular) {
		return nil, &Error{Class: ErrInvalid, Msg: fmt.Sprintf("cannot save %s: %v", it.Path, err), Err: err}
	} else if err != nil {
		return nil, &Error{Class: ErrStorage, Msg: fmt.Sprintf("cannot read %s: %v", it.Path, err), Err: err}
	}
	p.suffix = CanonicalSuffix(p.src)
	if info.IsDir() {
		p.suffix = CanonicalSuffix(abs)
	}
	return p, nil
}

// managedInside returns a managed folder below dir (a .lamindb/ holding a
// marker or a database, or any folder holding a marker: the same folder
// reached through a bind mount), or "".
func managedInside(dir string) string {
	found := ""
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if isManagedDir(p) || d.Name() == managedDir && fileExists(filepath.Join(p, dbFile)) {
			found = p
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// sourcePath resolves a path to save (absolute, symbolic links resolved) and
// says whether it lies in a managed folder (one that holds a valid marker,
// whatever its name: the same folder through a bind mount). What it learns of
// a folder is kept for a few seconds, since saves come in runs from one folder.
func (in *Instance) sourcePath(p string) (abs string, managed bool, err error) {
	a, err := filepath.Abs(p)
	if err != nil {
		return "", false, err
	}
	dir := filepath.Dir(a)
	in.mu.Lock()
	d, ok := in.dirs[dir]
	in.mu.Unlock()
	if !ok || time.Since(d.at) > dirCacheTTL {
		rdir, err := resolvePath(dir)
		if err != nil {
			return "", false, err
		}
		d = dirFacts{resolved: rdir, at: time.Now()}
		for x := rdir; ; x = filepath.Dir(x) {
			if isManagedDir(x) {
				d.managed = true
				break
			}
			if x == filepath.Dir(x) {
				break
			}
		}
		in.mu.Lock()
		if in.dirs == nil || len(in.dirs) > 1024 {
			in.dirs = map[string]dirFacts{}
		}
		in.dirs[dir] = d
		in.mu.Unlock()
	}
	abs = filepath.Join(d.resolved, filepath.Base(a))
	if fi, err := os.Lstat(abs); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if r, err := filepath.EvalSymlinks(abs); err == nil {
			abs = r // the source itself is a link
		}
	}
	return abs, d.managed, nil
}

// dirFacts is what sourcePath learned of a folder.
type dirFacts struct {
	resolved string
	managed  bool
	at       time.Time
}

// dirCacheTTL bounds how long sourcePath trusts what it learned of a folder.
const dirCacheTTL = 5 * time.Second

// isManagedDir reports whether dir is a storage root's managed folder: it
// holds a marker that reads as one.
func isManagedDir(dir string) bool {
	p := filepath.Join(dir, markerFile)
	if _, err := os.Lstat(p); err != nil {
		return false // the common case, answered without opening anything
	}
	m, err := readMarker(p)
	return err == nil && m.instanceUID != ""
}

func fileExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// artifactRow is an artifact as the lifecycle sees it.
func artifactRow(a *Artifact) rowInfo {
	return rowInfo{id: a.ID, uid: a.UID, branch: a.BranchID, latest: a.IsLatest, locked: a.IsLocked, art: a}
}

// register decides, inside the write transaction, whether the item returns an
// existing artifact (same content), comes back from the trash, or becomes a new
// row (possibly a new version), and inserts that row with its "storing" mark.
func (in *Instance) register(ctx context.Context, tx *sqldb.Tx, p *pending, n *notes) (err error) {
	o := p.item.SaveOptions
	// A transaction tried again starts from nothing.
	p.art, p.existing, p.staging, p.direct, p.demoted, p.sameHash = nil, false, "", false, nil, nil
	st := in.DefaultStorage()
	if p.inPlace != nil {
		st = *p.inPlace
	}
	p.storage = st
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
	// Empty files (and empty folders) never deduplicate (lamindb).
	var same []*Artifact
	if p.sum.Size > 0 {
		var all []*Artifact
		if p.sameHash, all, err = in.sameContent(ctx, tx, p.sum); err != nil {
			return err
		}
		for _, a := range all {
			// Outdated folder versions no longer hold their files; a file
			// is not a folder.
			if !(a.OverwriteVersions && !a.IsLatest) && (a.NFiles != nil) == p.sum.IsDir {
				same = append(same, a)
			}
		}
	}
	for _, a := range same {
		// Content another save is still writing may never arrive.
		if busy, err := in.beingSaved(ctx, tx, a); err != nil {
			return err
		} else if busy {
			return withHint(errorf(ErrBusy, "the same content is being saved right now (artifact %s, by another process); nothing was saved", a.UID),
				"try again when that save has finished")
		}
	}
	// lamindb skips the hash lookup for paths already in storage; it ignores the trash.
	if !o.SkipHashLookup && p.inPlace == nil {
		for _, a := range same {
			if a.BranchID != -1 {
				return in.adoptExisting(ctx, tx, p, a, key, n)
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
			if err := in.checkUnlocked(a.IsLocked, "Artifact", a.UID); err != nil {
				return err
			}
			reg, _ := registry.Lookup("artifact")
			if err := in.moveTx(ctx, tx, reg, []rowInfo{artifactRow(a)}, 1, "restore", n); err != nil {
				return err
			}
			if a, err = in.artifactByUID(ctx, tx, a.UID); err != nil {
				return err
			}
			n.add(LevelWarning, "returning artifact from trash with same hash & key: %s", a)
		} else {
			n.add(LevelWarning, "returning artifact  with same hash & key: %s", a)
		}
		p.art, p.existing = a, true
		return nil
	}

	// A new row: a new family, or a new version of one.
	var revises *Artifact
	if o.Revises != "" {
		revises, err = in.artifactByUID(ctx, tx, o.Revises)
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
			n.add(LevelWarning, "renaming artifact from '%s' to %s", *revises.Key, key)
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
			n.add(LevelImportant, "creating new artifact version for key '%s' in storage '%s'", key, st.Root)
		}
	}
	newUID := uid.New(16) + "0000"
	if revises != nil {
		if revises.IsLocked {
			return withHint(errorf(ErrLocked, "Cannot create a new version: the latest version Artifact %s is locked ('is_locked=True') and would lose is_latest", revises.UID),
				unlockHint("artifact", revises.UID))
		}
		family, err := in.familyUIDs(ctx, tx, "lamindb_artifact", revises.Stem())
		if err != nil {
			return err
		}
		// A purged version's uid must not come back while its purge still has
		// bytes to delete: they are at the key the new version would get.
		pending, err := sqldb.Strings(ctx, tx, `SELECT substr(path, ?, 20) FROM lamin_purge_intent WHERE `+in.db.PrefixRange("path"),
			len(managedDir)+2, managedDir+"/"+revises.Stem(), managedDir+"/"+revises.Stem()+"~")
		if err != nil {
			return err
		}
		family = append(family, pending...)
		if newUID, err = uid.NextVersion(family, 16); err != nil {
			return err
		}
		demoted, err := in.demoteHeads(ctx, tx, "lamindb_artifact", "Artifact", revises.Stem(), revises.OverwriteVersions || p.sum.IsDir)
		if err != nil {
			return err
		}
		if len(demoted) > 0 {
			p.demoted = &demoted[0]
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
	if err := in.describeData(p, a, n); err != nil {
		return err
	}
	if p.inPlace == nil && !p.sum.IsDir && in.store(st.Root).Features().AtomicPut {
		// Object storage publishes a whole object or none: the file goes to
		// its final key at once, under the row's mark (no staging copy, no
		// rename, which S3 does not have).
		p.direct = true
		a.Aux = strPtr(storageOngoing)
	} else if p.inPlace == nil {
		p.staging = managedDir + "/" + stagingDir + "/" + a.UID + "-" + uid.New(8)
		// lamindb's own "storage ongoing" flag, so that Python lamindb
		// does not hand out a row whose bytes are not in place yet (its
		// dedup stores the bytes again instead); cleared with our mark.
		a.Aux = strPtr(storageOngoing)
	}
	// lamindb's unique keys are (storage, key, hash) and (storage, hash): a
	// row that holds this hash but is not this content's artifact (an
	// outdated folder version, whose files are gone; a sha1-fl collision; a
	// row whose bytes could not be compared) must not keep the new one out.
	// The new one then gets the first 22 characters of its SHA-256 (hash
	// type sha256); an empty file (which never deduplicates), or one whose
	// sha256 slot is held too, its own uid (hash type uid). Rows with this hash and size came with the dedup
	// lookup; a colliding sha1-fl hash of other content (another size) needs
	// a look of its own (files over 50 MiB only).
	taken := func(h string) bool {
		for _, o := range p.sameHash {
			if o.StorageID == a.StorageID && *o.Hash == h && (o.Key == nil) == (a.Key == nil) && (o.Key == nil || *o.Key == *a.Key) {
				return true
			}
		}
		return false
	}
	mainTaken := taken(*a.Hash)
	if (p.sum.HashType == digest.TypeSHA1FL || p.sum.Size == 0) && !mainTaken {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM lamindb_artifact WHERE storage_id = ? AND hash = ? AND key IS NOT DISTINCT FROM ?`,
			a.StorageID, *a.Hash, a.Key).Scan(&n); err != nil {
			return err
		}
		mainTaken = n > 0
	}
	switch alt := sqldb.AltHash(p.sum.SHA256); {
	case !mainTaken:
	case p.sum.Size > 0 && !taken(alt):
		ht := hashTypeSHA256
		a.Hash, a.HashType = &alt, &ht
	default:
		// Empty content, or both slots held (a folder whose content went
		// back and forth): the uid is the artifact's alone.
		own, ht := a.UID, hashTypeUID
		a.Hash, a.HashType = &own, &ht
	}
	a.ID, err = tx.InsertID(ctx, `INSERT INTO lamindb_artifact (uid, key, _real_key, description, suffix, kind, otype,
		size, hash, n_files, n_observations, _hash_type, _key_is_virtual, _overwrite_versions, is_latest, is_locked,
		branch_id, created_on_id, space_id, storage_id, created_by_id, created_at, updated_at, _aux)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, TRUE, FALSE, 1, 1, 1, ?, ?, ?, ?, ?)`,
		a.UID, a.Key, a.RealKey, a.Description, a.Suffix, a.Kind, a.Otype, a.Size, a.Hash, a.NFiles, a.NObservations,
		a.HashType, a.KeyIsVirtual, a.OverwriteVersions, a.StorageID, a.CreatedByID, in.db.Time(a.CreatedAt),
		in.db.Time(a.CreatedAt), a.Aux)
	if err != nil {
		if errors.Is(err, ErrTaken) {
			return &Error{Class: ErrTaken, Msg: fmt.Sprintf("an artifact with this content and key exists already in storage %s", st.Root), Err: err}
		}
		return fmt.Errorf("insert artifact: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO lamin_artifact_sha256 (artifact_id, sha256, hash) VALUES (?, ?, ?)
		ON CONFLICT (artifact_id) DO UPDATE SET sha256 = excluded.sha256, hash = excluded.hash`, a.ID, p.sum.SHA256, *a.Hash); err != nil {
		return err
	}
	p.art = a
	if p.writes() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO lamin_storing (artifact_id, owner, tmp_path, started_at, demoted_id) VALUES (?, ?, ?, ?, ?)`,
			a.ID, in.owner, strPtr(p.staging), in.now(), p.demoted); err != nil {
			return err
		}
	}
	return nil
}

// describeData sets otype, kind and n_observations from the data (spec §3.3).
func (in *Instance) describeData(p *pending, a *Artifact, n *notes) error {
	switch {
	case p.item.Dataframe:
		a.Otype = strPtr("DataFrame")
		if a.Kind == nil {
			a.Kind = strPtr("dataset")
		}
	case p.suffix == ".parquet" || p.suffix == ".csv" || p.suffix == ".ipc":
		a.Otype = strPtr("DataFrame")
		n.add(LevelWarning, "data is a DataFrame, please use .from_dataframe()")
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
func (in *Instance) adoptExisting(ctx context.Context, tx *sqldb.Tx, p *pending, a *Artifact, key string, n *notes) error {
	n.add(LevelImportant, "returning artifact with same hash: %s; to track this artifact as an input, use: ln.Artifact.get()", a)
	o := p.item.SaveOptions
	newDesc := o.Description != "" && (a.Description == nil || *a.Description != o.Description)
	newKey := key != "" && a.Key == nil && a.KeyIsVirtual
	if newDesc || newKey {
		if err := in.checkUnlocked(a.IsLocked, "Artifact", a.UID); err != nil {
			return err
		}
	}
	if newDesc {
		old := "None"
		if a.Description != nil {
			old = *a.Description
		}
		n.add(LevelWarning, "updated description from %s to %s", old, o.Description)
		if _, err := tx.ExecContext(ctx, `UPDATE lamindb_artifact SET description = ? WHERE id = ?`, o.Description, a.ID); err != nil {
			return err
		}
		a.Description = strPtr(o.Description)
	}
	switch {
	case newKey:
		if _, err := tx.ExecContext(ctx, `UPDATE lamindb_artifact SET key = ? WHERE id = ?`, key, a.ID); err != nil {
			return err
		}
		a.Key = strPtr(key)
	case key != "" && a.Key != nil && *a.Key != key:
		n.add(LevelWarning, "key %s on existing artifact differs from passed key %s, keeping original key; update manually if needed or pass skip_hash_lookup=True if you want to duplicate the artifact", *a.Key, key)
	}
	p.art, p.existing = a, true
	return nil
}

// sameContent returns, oldest first, every artifact whose lamindb hash (or
// its sha256 alternative) and size match sum (sameHash), and those of them
// whose full-content SHA-256 matches too (same): one indexed query that is
// empty for new content. A candidate without a recorded SHA-256 (saved by
// Python lamindb) stops the transaction to have its bytes hashed once, and
// the result recorded; one
// whose bytes cannot be read or no longer match its row is not the same
// content (see learnSHA256).
func (in *Instance) sameContent(ctx context.Context, tx *sqldb.Tx, sum digest.Sum) (sameHash, same []*Artifact, err error) {
	// Sorted here, not by SQL: with IN, SQLite would sort through a temporary
	// b-tree on every save.
	// "+size": the hash index finds the rows; lamindb's index on size must
	// not be chosen (many files share a size), whatever the statistics say.
	sameHash, err = sqldb.Query(ctx, tx, scanArtifact, `SELECT `+artifactCols+` FROM lamindb_artifact
		WHERE hash IN (?, ?) AND +size = ?`, sum.Hash, sqldb.AltHash(sum.SHA256), sum.Size)
	if err != nil || len(sameHash) == 0 {
		return nil, nil, err
	}
	sort.Slice(sameHash, func(i, j int) bool { return sameHash[i].ID < sameHash[j].ID })
	shas, err := in.sha256s(ctx, tx, sameHash)
	if err != nil {
		return nil, nil, err
	}
	var unhashed []*Artifact
	for _, a := range sameHash {
		sha, ok := shas[a.ID]
		switch {
		case !ok && !in.isUnverifiable(a.ID):
			unhashed = append(unhashed, a)
		case ok && sha == sum.SHA256:
			same = append(same, a)
		}
	}
	if len(unhashed) > 0 {
		return nil, nil, &errUnhashed{arts: unhashed}
	}
	return sameHash, same, nil
}

func (in *Instance) isUnverifiable(id int64) bool {
	_, ok := in.unverifiable.Load(id)
	return ok
}

// errUnhashed stops a save's transaction when dedup candidates have no
// recorded SHA-256 yet (see learnSHA256).
type errUnhashed struct{ arts []*Artifact }

func (e *errUnhashed) Error() string {
	return fmt.Sprintf("internal error: %d dedup candidates are not hashed", len(e.arts))
}

// sha256s returns the recorded full-content SHA-256 of artifacts, by id; one
// recorded for another hash than the row's now (lamindb replaced the bytes)
// is stale, and left out.
func (in *Instance) sha256s(ctx context.Context, q querier, arts []*Artifact) (map[int64]string, error) {
	ids := make([]any, len(arts))
	hashOf := map[int64]string{}
	for i, a := range arts {
		ids[i] = a.ID
		if a.Hash != nil {
			hashOf[a.ID] = *a.Hash
		}
	}
	type row struct {
		id        int64
		sha, hash string
	}
	rows, err := sqldb.Query(ctx, q, func(s sqldb.Scanner) (row, error) {
		var r row
		err := s.Scan(&r.id, &r.sha, &r.hash)
		return r, err
	}, `SELECT artifact_id, sha256, hash FROM lamin_artifact_sha256 WHERE artifact_id IN (`+sqldb.Placeholders(len(ids))+`)`, ids...)
	out := map[int64]string{}
	for _, r := range rows {
		if h, ok := hashOf[r.id]; ok && h == r.hash {
			out[r.id] = r.sha
		}
	}
	return out, err
}

// learnSHA256 hashes the bytes of artifacts that have no recorded SHA-256
// (saved by Python lamindb) and records it, for those whose bytes are the
// ones their row describes (lamindb's hash and size agree). Those whose bytes
// cannot be read or disagree are not the same content as anything: the notes
// say why, and this instance does not try them again.
func (in *Instance) learnSHA256(ctx context.Context, arts []*Artifact, n *notes) error {
	type fact struct{ sha, hash string }
	learned := map[int64]fact{}
	for _, a := range arts {
		st, err := in.storageByID(ctx, in.db, a.StorageID)
		if err != nil {
			return err
		}
		local := in.store(st.Root).LocalPath(a.StorageKey())
		var sum digest.Sum
		if local != "" {
			sum, err = digest.Path(local)
		}
		switch {
		case ctx.Err() != nil:
			return &Error{Class: ErrInterrupted, Msg: "interrupted; nothing was saved", Err: ctx.Err()}
		case local == "" || a.OverwriteVersions && !a.IsLatest:
			in.unverifiable.Store(a.ID, true)
		case err != nil:
			n.add(LevelWarning, "cannot compare with artifact %s, which has the same hash: its bytes cannot be read (%v); saving a new artifact", a.UID, err)
			in.unverifiable.Store(a.ID, true)
		case a.Size == nil || sum.Size != *a.Size || !hashMatches(a, sum):
			n.add(LevelWarning, "cannot compare with artifact %s, which has the same hash: its bytes no longer match its row; saving a new artifact", a.UID)
			in.unverifiable.Store(a.ID, true)
		default:
			learned[a.ID] = fact{sum.SHA256, *a.Hash}
		}
	}
	if len(learned) == 0 {
		return nil
	}
	return in.writeTx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		for id, f := range learned {
			// Only while the row still has the hash the bytes were checked
			// against; a stale row (another hash) is replaced.
			if _, err := tx.ExecContext(ctx, `INSERT INTO lamin_artifact_sha256 (artifact_id, sha256, hash)
				SELECT id, ?, hash FROM lamindb_artifact WHERE id = ? AND hash = ?
				ON CONFLICT (artifact_id) DO UPDATE SET sha256 = excluded.sha256, hash = excluded.hash`, f.sha, id, f.hash); err != nil {
				return err
			}
		}
		return nil
	})
}

// hashMatches reports whether an artifact's recorded lamindb hash is the one
// of content summed as sum, by the artifact's hash type.
func hashMatches(a *Artifact, sum digest.Sum) bool {
	switch {
	case a.Hash == nil:
		return false
	case a.HashType != nil && *a.HashType == hashTypeSHA256:
		return *a.Hash == sqldb.AltHash(sum.SHA256)
	case a.HashType != nil && *a.HashType == hashTypeUID:
		return true // the uid says nothing of the content; the size and SHA-256 do
	}
	return *a.Hash == sum.Hash
}

// The hash types of artifacts whose lamindb hash another row holds (see
// docs/differences.md): other content with a colliding sha1-fl hash is
// stored under the first 22 characters of its SHA-256; an empty file (which
// never deduplicates) under its own uid.
const (
	hashTypeSHA256 = "sha256"
	hashTypeUID    = "uid"
)

// beingSaved reports whether another save is still writing an artifact's bytes.
func (in *Instance) beingSaved(ctx context.Context, q querier, a *Artifact) (bool, error) {
	var tmp string
	err := q.QueryRowContext(ctx, `SELECT COALESCE(tmp_path, '') FROM lamin_storing WHERE artifact_id = ?`, a.ID).Scan(&tmp)
	if sqldb.IsNoRows(err) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return !in.savedInPlace(ctx, q, a, tmp), nil
}

// headForKey returns the artifact a save under key in storage st revises:
// the head on main, else the newest head on any branch; trashed versions are
// ignored. When the key's versions have no head of their own (the head was
// renamed, or a folder family's head is in the trash), the family's head is
// revised: a key is never wedged while its family has a head.
func (in *Instance) headForKey(ctx context.Context, tx *sqldb.Tx, st Storage, key string) (*Artifact, error) {
	arts, err := sqldb.Query(ctx, tx, scanArtifact, `SELECT `+artifactCols+` FROM lamindb_artifact
		WHERE storage_id = ? AND key = ? AND branch_id <> -1 ORDER BY (branch_id = 1) DESC, created_at DESC, id DESC`, st.ID, key)
	if err != nil {
		return nil, err
	}
	for _, a := range arts {
		if a.IsLatest {
			return a, nil
		}
	}
	if len(arts) == 0 {
		return nil, nil
	}
	heads, err := familyHeads(ctx, tx, "lamindb_artifact", arts[0].Stem())
	if err != nil {
		return nil, err
	}
	for _, h := range heads {
		if h.branch != -1 || arts[0].OverwriteVersions {
			return in.artifactByUID(ctx, tx, h.uid)
		}
	}
	return nil, errorf(ErrRefused, "Cannot create a new artifact version: matching non-trashed artifacts exist for key '%s' in storage '%s', but none has `is_latest=True`.", key, st.Root)
}

// familyUIDs returns the uids of every member of a version family, all branches.
func (in *Instance) familyUIDs(ctx context.Context, q querier, table, stem string) ([]string, error) {
	return sqldb.Strings(ctx, q, `SELECT uid FROM `+table+` WHERE `+in.db.PrefixRange("uid"), stem, stem+"~")
}

// writeBytes is the second phase of a save: the bytes go to the staging key,
// each file hashed as it is copied and compared with the hash taken when it was
// read, then are renamed into place.
func (in *Instance) writeBytes(ctx context.Context, p *pending) error {
	st := in.store(p.storage.Root)
	if p.direct {
		final := p.art.StorageKey()
		in.opts.Notify.say(LevelSuccess, "storing artifact '%s' at '%s'", p.art.UID, where(st, final))
		if err := copyVerified(ctx, st, p.src, final, p.sum); err != nil {
			return err
		}
		return fault.Hit(fault.SaveAfterWrite)
	}
	if p.sum.IsDir {
		if len(p.sum.Files) == 0 {
			if err := st.MakeFolder(ctx, p.staging); err != nil {
				return err
			}
		}
		for _, f := range p.sum.Files {
			if err := copyVerified(ctx, st, filepath.Join(p.src, filepath.FromSlash(f.Path)), p.staging+"/"+f.Path, f.Sum); err != nil {
				return err
			}
		}
	} else if err := copyVerified(ctx, st, p.src, p.staging, p.sum); err != nil {
		return err
	}
	if err := fault.Hit(fault.SaveAfterWrite); err != nil {
		return err
	}
	if p.art.OverwriteVersions {
		// A folder family has one store: publishing into it is serialized,
		// and only the family's head may publish; a version superseded while
		// it was copied stays an outdated version, whose files are not kept.
		unlock, err := lockPublish(ctx, st)
		if err != nil {
			return err
		}
		defer unlock()
		published, err := in.beginPublish(ctx, p)
		if err != nil {
			return err
		}
		if !published {
			in.opts.Notify.say(LevelWarning, "a newer version of %s was saved while its files were copied: it is kept as an outdated version, without files", p.art.UID)
			return st.Delete(ctx, p.staging)
		}
	}
	final := p.art.StorageKey()
	in.opts.Notify.say(LevelSuccess, "storing artifact '%s' at '%s'", p.art.UID, where(st, final))
	err := st.Rename(ctx, p.staging, final)
	if err != nil {
		// A folder replaced in three steps may have failed only in its last
		// one (deleting the old copy): the new bytes are in place then.
		if _, serr := st.Stat(ctx, p.staging); errors.Is(serr, fs.ErrNotExist) {
			if _, ferr := st.Stat(ctx, final); ferr == nil {
				in.opts.Notify.say(LevelWarning, "stored %s, but the old copy could not be removed yet: %v (`lamin check --repair` removes it)", p.art.UID, err)
				return nil
			}
		}
	}
	return err
}

// beginPublish records, in a write transaction, that a folder save begins to
// move its files into the family's store (phase 1), if it is still the
// family's head; it reports whether it is.
func (in *Instance) beginPublish(ctx context.Context, p *pending) (bool, error) {
	published := false
	err := in.writeTx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		published = false // a re-run of the transaction decides afresh
		var latest bool
		err := tx.QueryRowContext(ctx, `SELECT is_latest FROM lamindb_artifact WHERE id = ?`, p.art.ID).Scan(&latest)
		if sqldb.IsNoRows(err) {
			return errorf(ErrChanged, "artifact %s was removed while its files were copied", p.art.UID)
		} else if err != nil || !latest {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE lamin_storing SET phase = 1 WHERE artifact_id = ? AND owner = ?`, p.art.ID, in.owner)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errorf(ErrChanged, "the save of %s was undone meanwhile (by a repair)", p.art.UID)
		}
		published = true
		return nil
	})
	return published, err
}

// lockPublish serializes moves into folder stores (and their repair) on a
// local storage location: an flock on its staging folder, which the kernel
// releases if the process dies.
func lockPublish(ctx context.Context, st blob.Store) (func(), error) {
	dir := st.LocalPath(managedDir + "/" + stagingDir)
	if dir == "" {
		return func() {}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	l, err := flock.Wait(ctx, dir)
	if err != nil {
		return nil, err
	}
	return l.Unlock, nil
}

// copyVerified copies a regular file into the store, hashing what it reads,
// and refuses a copy whose size or SHA-256 differs from want: the file changed
// after it was hashed, and the row would describe other bytes.
func copyVerified(ctx context.Context, st blob.Store, src, key string, want digest.Sum) error {
	f, _, err := digest.OpenRegular(src)
	if errors.Is(err, digest.ErrNotRegular) {
		return &Error{Class: ErrInvalid, Msg: fmt.Sprintf("cannot save %v", err), Err: err}
	} else if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	changed := func(n int64) error {
		return fmt.Errorf("%s changed while it was saved: it had %d bytes (sha256 %.12s…) when hashed and %d (sha256 %.12s…) when copied", src, want.Size, want.SHA256, n, hex.EncodeToString(h.Sum(nil)))
	}
	var r io.Reader = &verifying{r: io.TeeReader(f, h), h: h, want: want, changed: changed}
	if fault.Enabled {
		r = &midWrite{r: r, half: want.Size / 2}
	}
	n, err := st.Put(ctx, key, r, want.Size)
	if err != nil && !errors.Is(err, blob.ErrSize) && !errors.Is(err, errChangedWhileSaved) {
		return err
	}
	if err != nil || n != want.Size || hex.EncodeToString(h.Sum(nil)) != want.SHA256 {
		return changed(n)
	}
	return nil
}

// errChangedWhileSaved is what a verifying reader fails a Put with.
var errChangedWhileSaved = errors.New("the file changed while it was saved")

// verifying passes a file's bytes to a store and fails the read that ends
// them when their SHA-256 is not the one taken when the file was hashed: a
// store that publishes at the end of a Put (S3) then publishes nothing, and
// no object with other bytes than its row's ever appears under a final key.
type verifying struct {
	r       io.Reader
	h       hash.Hash
	want    digest.Sum
	read    int64
	changed func(n int64) error
}

func (v *verifying) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.read += int64(n)
	if (v.read == v.want.Size && n > 0) || (err == io.EOF && v.read != v.want.Size) {
		if v.read != v.want.Size || hex.EncodeToString(v.h.Sum(nil)) != v.want.SHA256 {
			return n, fmt.Errorf("%w: %w", errChangedWhileSaved, v.changed(v.read))
		}
	}
	return n, err
}

// midWrite passes the fault point save-mid-write once half of a file is
// written (fault builds only).
type midWrite struct {
	r          io.Reader
	half, read int64
	hit        bool
}

func (m *midWrite) Read(p []byte) (int, error) {
	if m.read >= m.half && !m.hit && m.read > 0 {
		m.hit = true
		if err := fault.Hit(fault.SaveMidWrite); err != nil {
			return 0, err
		}
	}
	if rest := m.half - m.read; rest > 0 && int64(len(p)) > rest {
		p = p[:rest] // stop at the half, so the fault sees exactly half written
	}
	n, err := m.r.Read(p)
	m.read += int64(n)
	return n, err
}

// rollbackSaves removes the rows of artifacts whose bytes were not stored, and
// their partial bytes, after a failed write: the same settlement a repair
// makes, for this process's own marks.
func (in *Instance) rollbackSaves(ctx context.Context, ps []*pending) {
	for _, p := range ps {
		if p.existing || !p.writes() {
			continue
		}
		if _, err := in.settleSave(ctx, p.art.ID, in.owner, false); err != nil {
			in.opts.Notify.say(LevelWarning, "could not undo the save of %s yet (%v); the next open repairs it", p.art.UID, err)
		}
	}
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
