package lamindb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lamindb-go/lamindb/digest"
	"github.com/lamindb-go/lamindb/internal/sqldb"
	"github.com/lamindb-go/lamindb/internal/uid"
)

// CollectionOptions describe a collection to create.
type CollectionOptions struct {
	Key         string
	Description string
	// Artifacts are the member uids (or stems), in order.
	Artifacts []string
	// Revises is the uid of the collection this is a new version of; by
	// default a collection with the same key is revised.
	Revises string
}

// CreateCollection creates a collection of artifacts (ordered members). Its hash
// is lamindb's hash of the member hashes; a non-trashed collection with the same
// key and hash is returned instead of a new one, and one in the trash is restored.
// Members are read, and the revised head checked (not locked), inside the
// transaction that inserts the collection.
func (in *Instance) CreateCollection(ctx context.Context, o CollectionOptions) (Record, error) {
	if o.Key == "" {
		return Record{}, errorf(ErrInvalid, "a collection needs --key")
	}
	if err := checkName("key", o.Key); err != nil {
		return Record{}, err
	}
	if err := checkDescription(o.Description); err != nil {
		return Record{}, err
	}
	if len(o.Artifacts) == 0 {
		return Record{}, errorf(ErrInvalid, "a collection needs at least one --artifact")
	}
	reg := in.Records("collection").reg
	var id int64
	var rec Record
	n := &notes{}
	err := in.writeTx(ctx, func(ctx context.Context, tx *sqldb.Tx) (err error) {
		*n = notes{} // a re-run of the transaction says only its own
		defer func() {
			if err == nil {
				rec, err = (&Query{in: in, reg: reg}).getByID(ctx, tx, id)
			}
		}()
		var members []*Artifact
		var hashes []string
		seen := map[string]bool{}
		for _, u := range o.Artifacts {
			a, err := in.artifactByUID(ctx, tx, u)
			if err != nil {
				return err
			}
			if busy, err := in.beingSaved(ctx, tx, a); err != nil {
				return err
			} else if busy {
				return withHint(errorf(ErrBusy, "artifact %s is still being saved (its bytes may never arrive); nothing was created", a.UID),
					"try again when that save has finished")
			}
			members = append(members, a)
			if a.Hash != nil {
				if seen[*a.Hash] {
					n.add(LevelWarning, "your collection contains artifacts with non-unique hashes: %s", *a.Hash)
				}
				seen[*a.Hash] = true
				hashes = append(hashes, *a.Hash)
			}
		}
		hash := digest.HashSet(hashes)
		existing, err := in.loadRows(ctx, tx, reg, `t.key = ? AND t.hash = ?`, []any{o.Key, hash})
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			ex := existing[0]
			id = ex.id
			if ex.branch == -1 {
				n.add(LevelWarning, "returning collection from trash with same hash & key: %s", ex.uid)
				if err := in.checkUnlocked(ex.locked, reg.Class, ex.uid); err != nil {
					return err
				}
				return in.moveTx(ctx, tx, reg, existing[:1], 1, "restore", n)
			}
			n.add(LevelImportant, "returning collection with same hash: %s", ex.uid)
			return nil
		}
		newUID := uid.New(16) + "0000"
		stem := ""
		if o.Revises != "" {
			if err := tx.QueryRowContext(ctx, `SELECT substr(uid, 1, 16) FROM lamindb_collection WHERE uid = ? OR (`+in.db.PrefixRange("uid")+` AND is_latest = TRUE) LIMIT 1`,
				o.Revises, o.Revises, o.Revises+"~").Scan(&stem); sqldb.IsNoRows(err) {
				return errorf(ErrNotFound, "No record found with uid '%s'", o.Revises)
			} else if err != nil {
				return err
			}
		} else if err := tx.QueryRowContext(ctx, `SELECT substr(uid, 1, 16) FROM lamindb_collection WHERE key = ? AND branch_id <> -1
			ORDER BY (branch_id = 1) DESC, is_latest DESC, created_at DESC LIMIT 1`, o.Key).Scan(&stem); err != nil && !sqldb.IsNoRows(err) {
			return err
		}
		if stem != "" {
			fam, err := in.familyUIDs(ctx, tx, "lamindb_collection", stem)
			if err != nil {
				return err
			}
			if newUID, err = uid.NextVersion(fam, 16); err != nil {
				return err
			}
			if _, err := in.demoteHeads(ctx, tx, reg.Table, reg.Class, stem, false); err != nil {
				return err
			}
		}
		now := in.now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO lamindb_collection (uid, key, description, hash, is_latest, is_locked, branch_id, created_on_id, space_id, created_by_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, TRUE, FALSE, 1, 1, 1, ?, ?, ?) RETURNING id`, newUID, o.Key, strPtr(o.Description), hash, in.user.ID, now, now).Scan(&id); err != nil {
			return err
		}
		for _, a := range members {
			if _, err := tx.ExecContext(ctx, `INSERT INTO lamindb_collectionartifact (artifact_id, collection_id, created_by_id, created_at) VALUES (?, ?, ?, ?)
				ON CONFLICT DO NOTHING`, a.ID, id, in.user.ID, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Record{}, err
	}
	in.tell(n)
	return rec, nil
}

// demoteHeads makes the family's heads give up is_latest to a new version —
// on main, or on every branch for a folder family, whose one store holds only
// its newest version's files — refusing when one is locked: a locked record
// keeps every field. It returns the ids it demoted.
func (in *Instance) demoteHeads(ctx context.Context, tx *sqldb.Tx, table, class, stem string, everyBranch bool) ([]int64, error) {
	heads, err := familyHeads(ctx, tx, table, stem)
	if err != nil {
		return nil, err
	}
	var demoted []int64
	for _, h := range heads {
		if h.branch != 1 && !everyBranch {
			continue
		}
		if h.locked {
			return nil, withHint(errorf(ErrLocked, "Cannot create a new version: the latest version %s %s is locked ('is_locked=True') and would lose is_latest", class, h.uid),
				unlockHint(strings.ToLower(class), h.uid))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET is_latest = FALSE WHERE id = ?`, h.id); err != nil {
			return nil, err
		}
		demoted = append(demoted, h.id)
	}
	return demoted, nil
}

// CollectionArtifacts returns the uids of a collection's members in order.
func (in *Instance) CollectionArtifacts(ctx context.Context, collectionUID string) ([]string, error) {
	return sqldb.Strings(ctx, in.db, `SELECT a.uid FROM lamindb_collectionartifact l JOIN lamindb_artifact a ON a.id = l.artifact_id
		JOIN lamindb_collection c ON c.id = l.collection_id WHERE c.uid = ? ORDER BY l.id`, collectionUID)
}

// ULabelOptions describe a label to create.
type ULabelOptions struct {
	Name        string
	Description string
	// Type is the name (or uid) of the label type this label belongs to.
	Type string
	// IsType makes the label a type that other labels can belong to.
	IsType bool
}

// CreateULabel creates a label (lamindb_ulabel).
func (in *Instance) CreateULabel(ctx context.Context, o ULabelOptions) (Record, error) {
	if o.Name == "" {
		return Record{}, errorf(ErrInvalid, "a label needs a name")
	}
	if err := checkName("name", o.Name); err != nil {
		return Record{}, err
	}
	if err := checkDescription(o.Description); err != nil {
		return Record{}, err
	}
	now := in.now()
	return in.insertRecord(ctx, "ulabel", func(ctx context.Context, tx *sqldb.Tx) (int64, error) {
		var typeID *int64
		if o.Type != "" {
			var id int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM lamindb_ulabel WHERE (name = ? OR uid = ?) AND is_type = TRUE AND branch_id <> -1 ORDER BY id LIMIT 1`, o.Type, o.Type).Scan(&id)
			if sqldb.IsNoRows(err) {
				return 0, errorf(ErrNotFound, "no label type %s (create it with --is-type)", o.Type)
			} else if err != nil {
				return 0, err
			}
			typeID = &id
		}
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO lamindb_ulabel (uid, name, description, is_type, type_id, created_by_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			uid.New(8), o.Name, strPtr(o.Description), o.IsType, typeID, in.user.ID, now, now).Scan(&id)
		return id, err
	})
}

// insertRecord runs insert (which returns the new id) in a write transaction
// and returns the new row as a record; a unique key that is taken is refused
// with ErrTaken.
func (in *Instance) insertRecord(ctx context.Context, regName string, insert func(ctx context.Context, tx *sqldb.Tx) (int64, error)) (Record, error) {
	reg := in.Records(regName).reg
	var rec Record
	err := in.writeTx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		id, err := insert(ctx, tx)
		if err != nil {
			return err
		}
		rec, err = (&Query{in: in, reg: reg}).getByID(ctx, tx, id)
		return err
	})
	if errors.Is(err, ErrTaken) {
		return Record{}, &Error{Class: ErrTaken, Msg: fmt.Sprintf("a %s with this %s exists already (%v)", regName, reg.NameField, err), Err: err}
	}
	if err != nil {
		return Record{}, err
	}
	return rec, nil
}

// CreateStorage registers a local folder or an S3 location
// (s3://bucket[/prefix]) as a storage location managed by this instance (its
// marker file says so); a root managed by another instance is refused. A
// location already registered, for a folder under any path that leads to it
// (its marker says which storage it is), is returned as it is.
func (in *Instance) CreateStorage(ctx context.Context, root string) (Record, error) {
	if isCloudRoot(root) {
		return in.createCloudStorage(ctx, strings.TrimSuffix(root, "/"))
	}
	if strings.Contains(root, "://") {
		return Record{}, errorf(ErrInvalid, "storage %s: local folders and s3:// locations are supported", root)
	}
	if strings.TrimSpace(root) == "" {
		return Record{}, errorf(ErrInvalid, "pass the folder of the storage location")
	}
	if err := checkName("storage root", root); err != nil {
		return Record{}, err
	}
	abs, err := resolvePath(root)
	if err != nil {
		return Record{}, invalid(err)
	}
	reg := in.Records("storage").reg
	if s, err := in.storageByRoot(ctx, in.db, filepath.ToSlash(abs)); err == nil {
		if s.Root != filepath.ToSlash(abs) && !sameFile(filepath.FromSlash(s.Root), abs) {
			return in.moveStorage(ctx, s, abs)
		}
		in.opts.Notify.say(LevelImportant, "returning existing storage location %s", s.Root)
		return (&Query{in: in, reg: reg}).getByID(ctx, in.db, s.ID)
	} else if !errors.Is(err, ErrNotFound) {
		return Record{}, err
	}
	marker := markerPath(abs)
	storageUID := uid.New(12)
	reuse := false
	if m, err := readMarker(marker); err == nil && m.instanceUID != in.uid {
		return Record{}, errorf(ErrAlreadyManaged, "storage %s is already managed by instance %s (uid %s)", abs, m.slug, m.instanceUID)
	} else if err == nil {
		// This instance's marker without its row: what a storage delete cut
		// off after its commit leaves. The folder is ours: take it back.
		storageUID, reuse = m.storageUID, true
	}
	dirs := missingDirs(filepath.Join(abs, managedDir))
	if err := os.MkdirAll(filepath.Join(abs, managedDir), 0o755); err != nil {
		return Record{}, errorf(ErrStorage, "create %s: %v", abs, err)
	}
	// The marker first, exclusively: two registrations of one folder cannot
	// both claim it. Removed again if the row cannot be inserted.
	if !reuse {
		if err := writeFileExclusive(marker, markerBody(storageUID, in.settings, in.uid)); err != nil {
			return Record{}, errorf(ErrAlreadyManaged, "storage %s was claimed meanwhile: %v", abs, err)
		}
	}
	rec, err := in.insertRecord(ctx, "storage", func(ctx context.Context, tx *sqldb.Tx) (int64, error) {
		now := in.now()
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO lamindb_storage (uid, root, type, instance_uid, created_by_id, created_at, updated_at) VALUES (?, ?, 'local', ?, ?, ?, ?) RETURNING id`,
			storageUID, filepath.ToSlash(abs), in.uid, in.user.ID, now, now).Scan(&id)
		return id, err
	})
	if err != nil {
		if !reuse {
			os.Remove(marker)
		}
		for i := len(dirs) - 1; i >= 0; i-- {
			os.Remove(dirs[i])
		}
		return Record{}, err
	}
	in.forgetStorages()
	return rec, nil
}

// createCloudStorage registers an S3 location: its marker is claimed in the
// bucket as an init claims it (look, write, settle, read back), then the row
// is inserted; a marker it wrote is removed again when the row cannot be.
func (in *Instance) createCloudStorage(ctx context.Context, root string) (Record, error) {
	if strings.Contains(root, managedDir) {
		return Record{}, errorf(ErrInvalid, `Please pass a location that does not end or contain ".lamindb"`)
	}
	if err := checkName("storage root", root); err != nil {
		return Record{}, err
	}
	st, err := openStore(root)
	if err != nil {
		return Record{}, err
	}
	root = st.Root() // normalized: s3://bucket/prefix
	reg := in.Records("storage").reg
	if s, err := in.storageByRoot(ctx, in.db, root); err == nil {
		in.opts.Notify.say(LevelImportant, "returning existing storage location %s", s.Root)
		return (&Query{in: in, reg: reg}).getByID(ctx, in.db, s.ID)
	} else if !errors.Is(err, ErrNotFound) {
		return Record{}, err
	}
	if err := checkStore(ctx, st); err != nil {
		return Record{}, err
	}
	storageUID := uid.New(12)
	m, err := readMarkerFrom(ctx, st)
	switch {
	case err == nil && m.instanceUID != in.uid:
		return Record{}, errorf(ErrAlreadyManaged, "storage %s is already managed by instance %s (uid %s)", root, m.slug, m.instanceUID)
	case err == nil:
		// This instance's marker without its row (a storage delete cut off
		// after its commit): the location is ours, take it back.
		storageUID = m.storageUID
	case !errors.Is(err, fs.ErrNotExist):
		return Record{}, storageError(root, err)
	default:
		if err := claimCloudMarker(ctx, st, markerBody(storageUID, in.settings, in.uid), storageUID); err != nil {
			return Record{}, err
		}
	}
	rec, err := in.insertRecord(ctx, "storage", func(ctx context.Context, tx *sqldb.Tx) (int64, error) {
		now := in.now()
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO lamindb_storage (uid, root, type, region, instance_uid, created_by_id, created_at, updated_at) VALUES (?, ?, 's3', ?, ?, ?, ?, ?) RETURNING id`,
			storageUID, root, storageRegion(root), in.uid, in.user.ID, now, now).Scan(&id)
		return id, err
	})
	if err != nil {
		if m.storageUID != storageUID { // the marker is the one this call wrote
			st.Delete(context.WithoutCancel(ctx), markerKey)
		}
		return Record{}, err
	}
	in.forgetStorages()
	return rec, nil
}

// moveStorage records that a registered storage location now lies at root:
// its marker is there, and no longer where its row says (then it would be a
// copy, which is refused).
func (in *Instance) moveStorage(ctx context.Context, s Storage, root string) (Record, error) {
	if m, err := readMarker(markerPath(filepath.FromSlash(s.Root))); err == nil && m.storageUID == s.UID {
		return Record{}, errorf(ErrAlreadyManaged, "%s is a copy of storage location %s, which is still at %s", root, s.UID, s.Root)
	}
	if err := in.setStorageRoot(ctx, s.ID, filepath.ToSlash(root)); err != nil {
		return Record{}, err
	}
	in.forgetStorages()
	in.mu.Lock()
	if in.storage.ID == s.ID {
		in.storage.Root = filepath.ToSlash(root)
	}
	in.mu.Unlock()
	in.opts.Notify.say(LevelImportant, "storage location %s moved from %s to %s (its marker is here)", s.UID, s.Root, root)
	return (&Query{in: in, reg: in.Records("storage").reg}).getByID(ctx, in.db, s.ID)
}

// setStorageRoot records where a storage location (found by its marker) now lies.
func (in *Instance) setStorageRoot(ctx context.Context, id int64, root string) error {
	return in.writeTx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE lamindb_storage SET root = ?, updated_at = ? WHERE id = ?`, root, in.now(), id)
		return err
	})
}

// SetDefaultStorage switches the instance's default storage location to a
// registered root (new artifacts are stored there).
func (in *Instance) SetDefaultStorage(ctx context.Context, root string) error {
	s, err := in.storageByRoot(ctx, in.db, root)
	var e *Error
	if errors.As(err, &e) && errors.Is(err, ErrNotFound) {
		return withHint(e, "register it first: lamin create storage "+root)
	} else if err != nil {
		return err
	}
	if s.InstanceUID != in.uid {
		return errorf(ErrForeignStorage, "storage %s is not managed by this instance", s.Root)
	}
	err = in.writeTx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO lamin_setting (key, value) VALUES ('default_storage_id', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, strconv.FormatInt(s.ID, 10))
		return err
	})
	if err == nil {
		in.mu.Lock()
		in.storage = s
		in.mu.Unlock()
		in.opts.Notify.say(LevelImportant, "set default storage to %s", s.Root)
	}
	return err
}

// CreateBranch creates a branch.
func (in *Instance) CreateBranch(ctx context.Context, name, description string) (Record, error) {
	return in.createNamed(ctx, "branch", `INSERT INTO lamindb_branch (uid, name, description, created_at, space_id, created_by_id) VALUES (?, ?, ?, ?, 1, ?) RETURNING id`, name, description)
}

// CreateSpace creates a space (spaces do not restrict access on SQLite instances).
func (in *Instance) CreateSpace(ctx context.Context, name, description string) (Record, error) {
	in.opts.Notify.say(LevelWarning, "spaces do *not* affect access permissions on local instances")
	return in.createNamed(ctx, "space", `INSERT INTO lamindb_space (uid, name, description, created_at, created_by_id) VALUES (?, ?, ?, ?, ?) RETURNING id`, name, description)
}

func (in *Instance) createNamed(ctx context.Context, regName, ins, name, description string) (Record, error) {
	if name == "" {
		return Record{}, errorf(ErrInvalid, "a %s needs a name", regName)
	}
	if err := checkName("name", name); err != nil {
		return Record{}, err
	}
	if err := checkDescription(description); err != nil {
		return Record{}, err
	}
	return in.insertRecord(ctx, regName, func(ctx context.Context, tx *sqldb.Tx) (int64, error) {
		var id int64
		err := tx.QueryRowContext(ctx, ins, uid.New(12), name, strPtr(description), in.now(), in.user.ID).Scan(&id)
		return id, err
	})
}
