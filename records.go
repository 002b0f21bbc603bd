package lamindb

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lamindb-go/lamindb/internal/sqldb"
)

// Artifact is a file, folder or table registered in the instance (lamindb_artifact).
// Nullable columns are pointers; field names follow lamindb's columns.
type Artifact struct {
	ID                int64     `json:"id"`
	UID               string    `json:"uid"`
	Key               *string   `json:"key"`
	Description       *string   `json:"description"`
	Suffix            string    `json:"suffix"`
	Kind              *string   `json:"kind"`
	Otype             *string   `json:"otype"`
	Size              *int64    `json:"size"`
	Hash              *string   `json:"hash"`
	NFiles            *int64    `json:"n_files"`
	NObservations     *int64    `json:"n_observations"`
	ExtraData         *string   `json:"extra_data"`
	VersionTag        *string   `json:"version_tag"`
	IsLatest          bool      `json:"is_latest"`
	IsLocked          bool      `json:"is_locked"`
	CreatedAt         time.Time `json:"created_at"`
	BranchID          int64     `json:"branch_id"`
	CreatedOnID       int64     `json:"created_on_id"`
	SpaceID           int64     `json:"space_id"`
	StorageID         int64     `json:"storage_id"`
	RunID             *int64    `json:"run_id"`
	SchemaID          *int64    `json:"schema_id"`
	CreatedByID       int64     `json:"created_by_id"`
	RealKey           *string   `json:"-"` // _real_key
	HashType          *string   `json:"-"` // _hash_type
	KeyIsVirtual      bool      `json:"-"` // _key_is_virtual
	OverwriteVersions bool      `json:"-"` // _overwrite_versions
	Aux               *string   `json:"-"` // _aux (JSON)
}

const artifactCols = `id, uid, key, description, suffix, kind, otype, size, hash, n_files, n_observations, extra_data,
	version_tag, is_latest, is_locked, created_at, branch_id, created_on_id, space_id, storage_id, run_id, schema_id,
	created_by_id, _real_key, _hash_type, _key_is_virtual, _overwrite_versions, _aux`

func scanArtifact(row sqldb.Scanner) (*Artifact, error) {
	a := &Artifact{}
	var created timeScanner
	err := row.Scan(&a.ID, &a.UID, &a.Key, &a.Description, &a.Suffix, &a.Kind, &a.Otype, &a.Size, &a.Hash,
		&a.NFiles, &a.NObservations, &a.ExtraData, &a.VersionTag, &a.IsLatest, &a.IsLocked, &created,
		&a.BranchID, &a.CreatedOnID, &a.SpaceID, &a.StorageID, &a.RunID, &a.SchemaID, &a.CreatedByID,
		&a.RealKey, &a.HashType, &a.KeyIsVirtual, &a.OverwriteVersions, &a.Aux)
	a.CreatedAt = created.t
	return a, err
}

// Stem returns the 16-character uid stem shared by all versions.
func (a *Artifact) Stem() string { return a.UID[:16] }

// Version returns the version tag, or the last 4 characters of the uid.
func (a *Artifact) Version() string {
	if a.VersionTag != nil {
		return *a.VersionTag
	}
	return a.UID[16:]
}

// StorageKey returns where the bytes live relative to the storage root
// (spec §3.6): the real key if set; .lamindb/<uid><suffix> for virtual or
// absent keys (folders: .lamindb/<stem><suffix>, shared by all versions);
// otherwise the key itself.
func (a *Artifact) StorageKey() string {
	switch {
	case a.RealKey != nil:
		return *a.RealKey
	case a.Key == nil || a.KeyIsVirtual:
		if a.OverwriteVersions {
			return managedDir + "/" + a.UID[:16] + a.Suffix
		}
		return managedDir + "/" + a.UID + a.Suffix
	}
	return *a.Key
}

// managedKey reports whether the bytes are at an auto-managed key, which a
// permanent delete removes without asking (spec §1.5, case B).
func (a *Artifact) managedKey() bool {
	return a.Key == nil || (a.KeyIsVirtual && a.RealKey == nil)
}

// String formats the artifact as lamindb's repr does in its messages.
func (a *Artifact) String() string {
	var b strings.Builder
	b.WriteString("Artifact(uid=" + pyStr(&a.UID))
	b.WriteString(", version=" + pyStr(a.VersionTag))
	b.WriteString(", is_latest=" + pyBool(a.IsLatest))
	b.WriteString(", key=" + pyStr(a.Key))
	b.WriteString(", description=" + pyStr(a.Description))
	b.WriteString(", suffix=" + pyStr(&a.Suffix))
	b.WriteString(", kind=" + pyStr(a.Kind))
	b.WriteString(", otype=" + pyStr(a.Otype))
	b.WriteString(", size=" + pyInt(a.Size))
	b.WriteString(", hash=" + pyStr(a.Hash))
	b.WriteString(", n_files=" + pyInt(a.NFiles))
	b.WriteString(", n_observations=" + pyInt(a.NObservations))
	fmt.Fprintf(&b, ", branch_id=%d, space_id=%d, storage_id=%d", a.BranchID, a.SpaceID, a.StorageID)
	b.WriteString(", run_id=" + pyInt(a.RunID))
	b.WriteString(", schema_id=" + pyInt(a.SchemaID))
	fmt.Fprintf(&b, ", created_by_id=%d, created_at=%s, is_locked=%s)", a.CreatedByID, pyTime(a.CreatedAt), pyBool(a.IsLocked))
	return b.String()
}

func pyStr(s *string) string {
	if s == nil {
		return "None"
	}
	return "'" + strings.ReplaceAll(*s, "'", `\'`) + "'"
}

func pyInt(i *int64) string {
	if i == nil {
		return "None"
	}
	return strconv.FormatInt(*i, 10)
}

func pyBool(v bool) string {
	if v {
		return "True"
	}
	return "False"
}

func pyTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") + " UTC" }

// timeScanner reads a stored time whether the driver hands back text or time.Time.
type timeScanner struct{ t time.Time }

// Scan implements sql.Scanner.
func (ts *timeScanner) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		ts.t = time.Time{}
	case time.Time:
		ts.t = x.UTC()
	case string:
		return ts.parse(x)
	case []byte:
		return ts.parse(string(x))
	default:
		return fmt.Errorf("unexpected time value %T", v)
	}
	return nil
}

func (ts *timeScanner) parse(s string) error {
	for _, layout := range []string{timeLayout, "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05",
		"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05-07:00", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			ts.t = t.UTC()
			return nil
		}
	}
	// A time no layout reads (written by hand, or by another tool) must not
	// make every query of its table fail: it reads as the zero time.
	ts.t = time.Time{}
	return nil
}

// User is a user of the instance (lamindb_user).
type User struct {
	ID     int64  `json:"id"`
	UID    string `json:"uid"`
	Handle string `json:"handle"`
}

// Storage is a storage location (lamindb_storage).
type Storage struct {
	ID          int64  `json:"id"`
	UID         string `json:"uid"`
	Root        string `json:"root"`
	Type        string `json:"type"`
	InstanceUID string `json:"instance_uid"`
	resolved    string // Root with symbolic links resolved, for path comparisons
}

// querier is what the database and a transaction share.
type querier = sqldb.Querier

func (in *Instance) userByHandle(ctx context.Context, q querier, handle string) (User, error) {
	var u User
	err := q.QueryRowContext(ctx, `SELECT id, uid, handle FROM lamindb_user WHERE handle = ?`, handle).Scan(&u.ID, &u.UID, &u.Handle)
	if sqldb.IsNoRows(err) {
		return u, errorf(ErrNotFound, "no user %s", handle)
	}
	return u, err
}

const storageCols = `id, uid, root, type, COALESCE(instance_uid, '')`

func scanStorage(row sqldb.Scanner) (Storage, error) {
	var s Storage
	err := row.Scan(&s.ID, &s.UID, &s.Root, &s.Type, &s.InstanceUID)
	return s, err
}

// storageByRoot finds a registered storage location by its root folder: by
// the marker the folder holds (its identity), else by the resolved path.
func (in *Instance) storageByRoot(ctx context.Context, q querier, root string) (Storage, error) {
	if isCloudRoot(root) {
		// An S3 location has one spelling (no symbolic links, no relative paths).
		s, err := scanStorage(q.QueryRowContext(ctx, `SELECT `+storageCols+` FROM lamindb_storage WHERE root = ?`, strings.TrimSuffix(root, "/")))
		if sqldb.IsNoRows(err) {
			return Storage{}, errorf(ErrNotFound, "no storage location with root %s", root)
		}
		return s, err
	}
	resolved, err := resolvePath(filepath.FromSlash(root))
	if err != nil {
		return Storage{}, invalid(err)
	}
	if m, err := readMarker(markerPath(resolved)); err == nil {
		s, err := scanStorage(q.QueryRowContext(ctx, `SELECT `+storageCols+` FROM lamindb_storage WHERE uid = ?`, m.storageUID))
		if err == nil || !sqldb.IsNoRows(err) {
			return s, err
		}
	}
	for _, r := range []string{filepath.ToSlash(resolved), root} {
		s, err := scanStorage(q.QueryRowContext(ctx, `SELECT `+storageCols+` FROM lamindb_storage WHERE root = ?`, r))
		if err == nil || !sqldb.IsNoRows(err) {
			return s, err
		}
	}
	return Storage{}, errorf(ErrNotFound, "no storage location with root %s", root)
}

func (in *Instance) storageByID(ctx context.Context, q querier, id int64) (Storage, error) {
	if def := in.DefaultStorage(); id == def.ID {
		return def, nil
	}
	s, err := scanStorage(q.QueryRowContext(ctx, `SELECT `+storageCols+` FROM lamindb_storage WHERE id = ?`, id))
	if sqldb.IsNoRows(err) {
		return s, errorf(ErrNotFound, "no storage location with id %d", id)
	}
	return s, err
}

// storages returns every registered storage location. The list is read once
// per open instance and dropped when this process changes it; a location
// another process registers meanwhile is seen after the next open.
func (in *Instance) storages(ctx context.Context) ([]Storage, error) {
	in.mu.Lock()
	cached := in.storageList
	in.mu.Unlock()
	if cached != nil {
		return cached, nil
	}
	out, err := sqldb.Query(ctx, in.db, scanStorage, `SELECT `+storageCols+` FROM lamindb_storage ORDER BY id`)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].ID == in.here.ID && in.here.Root != "" {
			out[i].Root = in.here.Root // where it lies now, recorded or not
		}
		if r, err := resolvePath(filepath.FromSlash(out[i].Root)); err == nil {
			out[i].resolved = r
		}
	}
	in.mu.Lock()
	in.storageList = out
	in.mu.Unlock()
	return out, nil
}

// forgetStorages drops the cached storage list after this process changed it.
func (in *Instance) forgetStorages() {
	in.mu.Lock()
	in.storageList = nil
	in.mu.Unlock()
}

// defaultStorageSetting returns the storage chosen by `lamin settings storage`, if any.
func (in *Instance) defaultStorageSetting(ctx context.Context) (Storage, bool, error) {
	var v string
	err := in.db.QueryRowContext(ctx, `SELECT value FROM lamin_setting WHERE key = 'default_storage_id'`).Scan(&v)
	if sqldb.IsNoRows(err) {
		return Storage{}, false, nil
	} else if err != nil {
		return Storage{}, false, err
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return Storage{}, false, errorf(ErrDatabase, "the default storage setting %q is not a storage id", v)
	}
	s, err := scanStorage(in.db.QueryRowContext(ctx, `SELECT `+storageCols+` FROM lamindb_storage WHERE id = ?`, id))
	if sqldb.IsNoRows(err) {
		return Storage{}, false, nil // the location was deleted: the instance's own is the default again
	}
	return s, err == nil, err
}
