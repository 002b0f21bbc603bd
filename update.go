package lamindb

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lamindb-go/lamindb/internal/sqldb"
	"github.com/lamindb-go/lamindb/table"
)

// UpdateOptions are the fields Update changes; nil leaves a field alone.
type UpdateOptions struct {
	Description *string
	// Key renames an artifact or collection; for artifacts only virtual keys
	// (bytes under .lamindb/) can change, and the suffix must stay.
	Key *string
	// Branch moves the record: "main", "archive" (hidden, not in the trash) or "trash".
	Branch *string
	// Locked locks or unlocks the record. A locked record refuses every change but unlocking.
	Locked *bool
}

// Update changes fields of the one record the query addresses and returns it.
func (q *Query) Update(ctx context.Context, o UpdateOptions) (Record, error) {
	if q.err != nil {
		return Record{}, q.err
	}
	id, err := q.resolveOne(ctx)
	if err != nil {
		return Record{}, err
	}
	in, reg := q.in, q.reg
	rows, err := in.loadRows(ctx, in.db, reg, `t.id = ?`, []any{id})
	if err != nil || len(rows) == 0 {
		return Record{}, q.notFound()
	}
	r := rows[0]
	onlyUnlock := o.Description == nil && o.Key == nil && o.Branch == nil && o.Locked != nil && !*o.Locked
	if !onlyUnlock {
		if err := in.checkUnlocked(r.locked, reg.Class, r.uid); err != nil {
			return Record{}, err
		}
	}
	var sets []string
	var args []any
	if o.Description != nil {
		if _, ok := reg.Column("description"); !ok {
			return Record{}, errorf(ErrInvalid, "%s has no description", reg.Class)
		}
		sets, args = append(sets, "description = ?"), append(args, strPtr(*o.Description))
	}
	if o.Key != nil {
		if reg.Name != "artifact" && reg.Name != "collection" {
			return Record{}, errorf(ErrInvalid, "%s has no key", reg.Class)
		}
		if r.art != nil {
			if err := ValidateKey(*o.Key, r.art.Suffix); err != nil {
				if errors.Is(err, ErrInvalid) && rawSuffix(*o.Key) != r.art.Suffix {
					return Record{}, errorf(ErrInvalid, "The suffix '%s' of the provided key is incorrect, it should be '%s'.", rawSuffix(*o.Key), r.art.Suffix)
				}
				return Record{}, err
			}
			if !r.art.KeyIsVirtual || r.art.RealKey != nil {
				return Record{}, errorf(ErrRefused, "the key of %s is a real path in storage; moving files is not supported", r.uid)
			}
		}
		if *o.Key == "" {
			return Record{}, errorf(ErrInvalid, "the key cannot be set to None")
		}
		sets, args = append(sets, "key = ?"), append(args, *o.Key)
	}
	var toBranch *int64
	if o.Branch != nil {
		if !reg.HasBranch {
			return Record{}, errorf(ErrInvalid, "%s records have no branch", reg.Class)
		}
		var bid int64
		err := in.db.QueryRowContext(ctx, `SELECT id FROM lamindb_branch WHERE LOWER(name) = LOWER(?)`, *o.Branch).Scan(&bid)
		if errors.Is(err, sql.ErrNoRows) {
			return Record{}, errorf(ErrNotFound, "branch %s does not exist", *o.Branch)
		} else if err != nil {
			return Record{}, err
		}
		toBranch = &bid
	}
	err = in.db.Tx(ctx, func(tx *sqldb.Tx) error {
		if len(sets) > 0 {
			if _, ok := reg.Column("updated_at"); ok {
				sets = append(sets, "updated_at = '"+in.now()+"'")
			}
			if _, err := tx.ExecContext(ctx, `UPDATE `+reg.Table+` SET `+strings.Join(sets, ", ")+` WHERE id = ?`, append(args, id)...); err != nil {
				return err
			}
		}
		if toBranch != nil && *toBranch != r.branch {
			action := "move"
			switch *toBranch {
			case -1:
				action = "trash"
			case 0:
				action = "archive"
			case 1:
				action = "restore"
			}
			if err := in.setBranch(ctx, tx, reg, []int64{id}, *toBranch, action); err != nil {
				return err
			}
		}
		if o.Locked != nil && *o.Locked != r.locked {
			if _, ok := reg.Column("is_locked"); !ok {
				return errorf(ErrInvalid, "%s records cannot be locked", reg.Class)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE `+reg.Table+` SET is_locked = ? WHERE id = ?`, *o.Locked, id); err != nil {
				return err
			}
			action := "unlock"
			if *o.Locked {
				action = "lock"
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO lamin_audit_event (created_at, user_handle, action, registry, record_uid, record_id, from_branch_id, to_branch_id)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, in.now(), in.user.Handle, action, reg.Name, r.uid, id, r.branch, r.branch); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Record{}, err
	}
	return q.getByID(ctx, id)
}

// Artifact returns the artifact the query addresses, with every field.
func (q *Query) Artifact(ctx context.Context) (*Artifact, error) {
	if q.err != nil {
		return nil, q.err
	}
	if q.reg.Name != "artifact" {
		return nil, errorf(ErrInvalid, "not an artifact query")
	}
	id, err := q.resolveOne(ctx)
	if err != nil {
		return nil, err
	}
	return scanArtifact(q.in.db.QueryRowContext(ctx, `SELECT `+artifactCols+` FROM lamindb_artifact WHERE id = ?`, id))
}

// Path returns the local path of an artifact's bytes.
func (in *Instance) Path(ctx context.Context, a *Artifact) (string, error) {
	st, err := in.storageByID(ctx, in.db, a.StorageID)
	if err != nil {
		return "", err
	}
	if a.OverwriteVersions && !a.IsLatest {
		return "", errorf(ErrRefused, "Cannot read this outdated artifact version: its files were overwritten and are no longer available. Read from the latest version: artifact.versions.get(is_latest=True)")
	}
	return in.store(st.Root).LocalPath(a.StorageKey()), nil
}

// LoadTable reads a Parquet, CSV or TSV artifact back as an Arrow table; the
// caller releases it.
func (in *Instance) LoadTable(ctx context.Context, a *Artifact) (arrow.Table, error) {
	p, err := in.Path(ctx, a)
	if err != nil {
		return nil, err
	}
	t, err := table.Load(p)
	if errors.Is(err, table.ErrUnsupported) {
		return nil, errorf(ErrInvalid, "There is no loader for %s files. Use .cache() to get the path.", a.Suffix)
	}
	return t, err
}
