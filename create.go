package lamindb

import (
	"context"
	"database/sql"
	"errors"
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
func (in *Instance) CreateCollection(ctx context.Context, o CollectionOptions) (Record, error) {
	if o.Key == "" {
		return Record{}, errorf(ErrInvalid, "a collection needs --key")
	}
	if len(o.Artifacts) == 0 {
		return Record{}, errorf(ErrInvalid, "a collection needs at least one --artifact")
	}
	var members []*Artifact
	var hashes []string
	seen := map[string]bool{}
	for _, u := range o.Artifacts {
		a, err := in.artifactByUIDTx(ctx, in.db, u)
		if err != nil {
			return Record{}, err
		}
		members = append(members, a)
		if a.Hash != nil {
			if seen[*a.Hash] {
				in.opts.Notify.say(LevelWarning, "your collection contains artifacts with non-unique hashes: %s", *a.Hash)
			}
			seen[*a.Hash] = true
			hashes = append(hashes, *a.Hash)
		}
	}
	hash := digest.HashSet(hashes)
	reg := in.Records("collection").reg
	var id int64
	err := in.db.Tx(ctx, func(tx *sqldb.Tx) error {
		var exID, exBranch int64
		var exUID string
		err := tx.QueryRowContext(ctx, `SELECT id, uid, branch_id FROM lamindb_collection WHERE key = ? AND hash = ?`, o.Key, hash).Scan(&exID, &exUID, &exBranch)
		if err == nil {
			id = exID
			if exBranch == -1 {
				in.opts.Notify.say(LevelWarning, "returning collection from trash with same hash & key: %s", exUID)
				return in.setBranch(ctx, tx, reg, []int64{exID}, 1, "restore")
			}
			in.opts.Notify.say(LevelImportant, "returning collection with same hash: %s", exUID)
			return nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		newUID := uid.New(16) + "0000"
		stem := ""
		if o.Revises != "" {
			if err := tx.QueryRowContext(ctx, `SELECT substr(uid, 1, 16) FROM lamindb_collection WHERE uid = ? OR (uid >= ? AND uid < ? AND is_latest = 1) LIMIT 1`,
				o.Revises, o.Revises, o.Revises+"~").Scan(&stem); err != nil {
				return errorf(ErrNotFound, "No record found with uid '%s'", o.Revises)
			}
		} else {
			tx.QueryRowContext(ctx, `SELECT substr(uid, 1, 16) FROM lamindb_collection WHERE key = ? AND branch_id <> -1 ORDER BY (branch_id = 1) DESC, is_latest DESC, created_at DESC LIMIT 1`, o.Key).Scan(&stem)
		}
		if stem != "" {
			fam, err := in.familyUIDs(ctx, tx, "lamindb_collection", stem)
			if err != nil {
				return err
			}
			if newUID, err = uid.NextVersion(fam, 16); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE lamindb_collection SET is_latest = 0 WHERE uid >= ? AND uid < ? AND branch_id = 1`, stem, stem+"~"); err != nil {
				return err
			}
		}
		now := in.now()
		res, err := tx.ExecContext(ctx, `INSERT INTO lamindb_collection (uid, key, description, hash, is_latest, is_locked, branch_id, created_on_id, space_id, created_by_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, 1, 0, 1, 1, 1, ?, ?, ?)`, newUID, o.Key, strPtr(o.Description), hash, in.user.ID, now, now)
		if err != nil {
			return err
		}
		id, _ = res.LastInsertId()
		for _, a := range members {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO lamindb_collectionartifact (artifact_id, collection_id, created_by_id, created_at) VALUES (?, ?, ?, ?)`,
				a.ID, id, in.user.ID, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Record{}, err
	}
	return (&Query{in: in, reg: reg}).getByID(ctx, id)
}

// CollectionArtifacts returns the uids of a collection's members in order.
func (in *Instance) CollectionArtifacts(ctx context.Context, collectionUID string) ([]string, error) {
	rows, err := in.db.QueryContext(ctx, `SELECT a.uid FROM lamindb_collectionartifact l JOIN lamindb_artifact a ON a.id = l.artifact_id
		JOIN lamindb_collection c ON c.id = l.collection_id WHERE c.uid = ? ORDER BY l.id`, collectionUID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		rows.Scan(&u)
		out = append(out, u)
	}
	return out, rows.Err()
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
	var typeID *int64
	if o.Type != "" {
		var id int64
		err := in.db.QueryRowContext(ctx, `SELECT id FROM lamindb_ulabel WHERE (name = ? OR uid = ?) AND is_type = 1 AND branch_id <> -1 ORDER BY id LIMIT 1`, o.Type, o.Type).Scan(&id)
		if err != nil {
			return Record{}, errorf(ErrNotFound, "no label type %s (create it with --is-type)", o.Type)
		}
		typeID = &id
	}
	now := in.now()
	return in.insertRecord(ctx, "ulabel", `INSERT INTO lamindb_ulabel (uid, name, description, is_type, type_id, created_by_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		uid.New(8), o.Name, strPtr(o.Description), o.IsType, typeID, in.user.ID, now, now)
}

// insertRecord inserts one row of a registry in its own transaction and
// returns it as a record; a unique-constraint violation is refused.
func (in *Instance) insertRecord(ctx context.Context, regName, insert string, args ...any) (Record, error) {
	reg := in.Records(regName).reg
	var id int64
	err := in.db.Tx(ctx, func(tx *sqldb.Tx) error {
		res, err := tx.ExecContext(ctx, insert, args...)
		if err != nil {
			if in.db.Dialect.IsUniqueViolation(err) {
				return errorf(ErrRefused, "a %s like this exists already: %v", regName, err)
			}
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return Record{}, err
	}
	return (&Query{in: in, reg: reg}).getByID(ctx, id)
}

// CreateStorage registers a local folder as a storage location managed by this
// instance (its marker file says so); a root managed by another instance is refused.
func (in *Instance) CreateStorage(ctx context.Context, root string) (Record, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return Record{}, invalid(err)
	}
	if strings.Contains(root, "://") {
		return Record{}, errorf(ErrInvalid, "storage %s: only local folders are supported so far", root)
	}
	reg := in.Records("storage").reg
	if s, err := in.storageByRoot(ctx, in.db, filepath.ToSlash(abs)); err == nil {
		in.opts.Notify.say(LevelImportant, "returning existing storage location %s", s.Root)
		return (&Query{in: in, reg: reg}).getByID(ctx, s.ID)
	}
	marker := filepath.Join(abs, managedDir, markerFile)
	if m, err := readMarker(marker); err == nil && m.instanceUID != in.uid {
		return Record{}, errorf(ErrAlreadyManaged, "storage %s is already managed by instance %s (uid %s)", abs, m.slug, m.instanceUID)
	}
	if err := os.MkdirAll(filepath.Join(abs, managedDir), 0o755); err != nil {
		return Record{}, err
	}
	storageUID := uid.New(12)
	var id int64
	err = in.db.Tx(ctx, func(tx *sqldb.Tx) error {
		now := in.now()
		res, err := tx.ExecContext(ctx, `INSERT INTO lamindb_storage (uid, root, type, instance_uid, created_by_id, created_at, updated_at) VALUES (?, ?, 'local', ?, ?, ?, ?)`,
			storageUID, filepath.ToSlash(abs), in.uid, in.user.ID, now, now)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return Record{}, err
	}
	in.forgetStorages()
	if err := writeMarker(marker, storageUID, in.settings, in.uid); err != nil {
		return Record{}, err
	}
	return (&Query{in: in, reg: reg}).getByID(ctx, id)
}

// SetDefaultStorage switches the instance's default storage location to a
// registered root (new artifacts are stored there).
func (in *Instance) SetDefaultStorage(ctx context.Context, root string) error {
	abs, err := filepath.Abs(root)
	if err != nil {
		return invalid(err)
	}
	s, err := in.storageByRoot(ctx, in.db, filepath.ToSlash(abs))
	var e *Error
	if errors.As(err, &e) {
		return withHint(e, "register it first: lamin create storage "+root)
	} else if err != nil {
		return err
	}
	if s.InstanceUID != in.uid {
		return errorf(ErrForeignStorage, "storage %s is not managed by this instance", s.Root)
	}
	err = in.db.Tx(ctx, func(tx *sqldb.Tx) error {
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

// CreateBranch creates a branch; CreateSpace a space.
func (in *Instance) CreateBranch(ctx context.Context, name, description string) (Record, error) {
	return in.createNamed(ctx, "branch", `INSERT INTO lamindb_branch (uid, name, description, created_at, space_id, created_by_id) VALUES (?, ?, ?, ?, 1, ?)`, name, description)
}

// CreateSpace creates a space (spaces do not restrict access on SQLite instances).
func (in *Instance) CreateSpace(ctx context.Context, name, description string) (Record, error) {
	in.opts.Notify.say(LevelWarning, "spaces do *not* affect access permissions on local instances")
	return in.createNamed(ctx, "space", `INSERT INTO lamindb_space (uid, name, description, created_at, created_by_id) VALUES (?, ?, ?, ?, ?)`, name, description)
}

func (in *Instance) createNamed(ctx context.Context, regName, ins, name, description string) (Record, error) {
	if name == "" {
		return Record{}, errorf(ErrInvalid, "a %s needs a name", regName)
	}
	return in.insertRecord(ctx, regName, ins, uid.New(12), name, strPtr(description), in.now(), in.user.ID)
}

// AuditEvent is one entry of the audit log.
type AuditEvent struct {
	ID        int64  `json:"id"`
	CreatedAt string `json:"created_at"`
	User      string `json:"user"`
	Action    string `json:"action"` // trash, restore, purge, archive, lock, unlock
	Registry  string `json:"registry"`
	UID       string `json:"uid"`
	From      *int64 `json:"from_branch_id"`
	To        *int64 `json:"to_branch_id"`
	Bytes     *int64 `json:"bytes"`
}

// AuditLog returns the newest audit events first; limit 0 means all.
func (in *Instance) AuditLog(ctx context.Context, limit int) ([]AuditEvent, error) {
	q := `SELECT id, created_at, user_handle, action, registry, record_uid, from_branch_id, to_branch_id, bytes FROM lamin_audit_event ORDER BY id DESC`
	var args []any
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := in.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []AuditEvent{}
	for rows.Next() {
		var e AuditEvent
		var ts timeScanner
		if err := rows.Scan(&e.ID, &ts, &e.User, &e.Action, &e.Registry, &e.UID, &e.From, &e.To, &e.Bytes); err != nil {
			return nil, err
		}
		e.CreatedAt = ts.t.Format("2006-01-02T15:04:05.000000Z")
		out = append(out, e)
	}
	return out, rows.Err()
}
