package lamindb

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
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
// The record is found, checked (its lock) and changed in one write
// transaction; a move to another branch keeps is_latest right (moveTx), and
// every change is an audit event.
func (q *Query) Update(ctx context.Context, o UpdateOptions) (Record, error) {
	if q.err != nil {
		return Record{}, q.err
	}
	in, reg := q.in, q.reg
	if o.Description != nil {
		if err := checkDescription(*o.Description); err != nil {
			return Record{}, err
		}
		if _, ok := reg.Column("description"); !ok {
			return Record{}, errorf(ErrInvalid, "%s has no description", reg.Class)
		}
	}
	if o.Key != nil {
		if reg.Name != "artifact" && reg.Name != "collection" {
			return Record{}, errorf(ErrInvalid, "%s has no key", reg.Class)
		}
		if *o.Key == "" {
			return Record{}, errorf(ErrInvalid, "the key cannot be set to None")
		}
		if err := checkName("key", *o.Key); err != nil {
			return Record{}, err
		}
	}
	if o.Branch != nil && !reg.HasBranch {
		return Record{}, errorf(ErrInvalid, "%s records have no branch", reg.Class)
	}
	if o.Locked != nil {
		if _, ok := reg.Column("is_locked"); !ok {
			return Record{}, errorf(ErrInvalid, "%s records cannot be locked", reg.Class)
		}
	}
	var id int64
	var rec Record
	n := &notes{}
	err := in.writeTx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		*n = notes{} // a re-run of the transaction says only its own
		var err error
		if id, err = q.resolveOne(ctx, tx); err != nil {
			return err
		}
		rows, err := in.loadRows(ctx, tx, reg, `t.id = ?`, []any{id})
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return q.notFound()
		}
		r := rows[0]
		onlyUnlock := o.Description == nil && o.Key == nil && o.Branch == nil && o.Locked != nil && !*o.Locked
		if !onlyUnlock {
			if err := in.checkUnlocked(r.locked, reg.Class, r.uid); err != nil {
				return err
			}
		}
		var sets []string
		var args []any
		if o.Description != nil {
			sets, args = append(sets, "description = ?"), append(args, strPtr(*o.Description))
		}
		if o.Key != nil {
			if r.art != nil {
				if err := ValidateKey(*o.Key, r.art.Suffix); err != nil {
					if errors.Is(err, ErrInvalid) && rawSuffix(*o.Key) != r.art.Suffix {
						return errorf(ErrInvalid, "The suffix '%s' of the provided key is incorrect, it should be '%s'.", rawSuffix(*o.Key), r.art.Suffix)
					}
					return err
				}
				// A virtual key is metadata: the bytes stay where they are
				// (at the uid, or at _real_key for a file registered in place
				// under another key). Only a key that is the path is refused.
				if !r.art.KeyIsVirtual {
					return errorf(ErrRefused, "the key of %s is a real path in storage; moving files is not supported", r.uid)
				}
			}
			sets, args = append(sets, "key = ?"), append(args, *o.Key)
		}
		if len(sets) > 0 {
			if _, ok := reg.Column("updated_at"); ok {
				sets, args = append(sets, "updated_at = ?"), append(args, in.now())
			}
			if _, err := tx.ExecContext(ctx, `UPDATE `+reg.Table+` SET `+strings.Join(sets, ", ")+` WHERE id = ?`, append(args, id)...); err != nil {
				return keyTaken(err, reg.Class, o.Key)
			}
			if err := in.auditTx(ctx, tx, "update", reg.Name, r.uid, id, r.branch, r.branch, changed(o)); err != nil {
				return err
			}
		}
		branch := r.branch // where the record is once moved
		if o.Branch != nil {
			var bid int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM lamindb_branch WHERE LOWER(name) = LOWER(?)`, *o.Branch).Scan(&bid)
			if sqldb.IsNoRows(err) {
				return errorf(ErrNotFound, "branch %s does not exist", *o.Branch)
			} else if err != nil {
				return err
			}
			action := "move"
			switch bid {
			case -1:
				action = "trash"
			case 0:
				action = "archive"
			case 1:
				action = "restore"
			}
			if err := in.moveTx(ctx, tx, reg, rows, bid, action, n); err != nil {
				return err
			}
			branch = bid
		}
		if o.Locked != nil && *o.Locked != r.locked {
			if _, err := tx.ExecContext(ctx, `UPDATE `+reg.Table+` SET is_locked = ? WHERE id = ?`, *o.Locked, id); err != nil {
				return err
			}
			action := "unlock"
			if *o.Locked {
				action = "lock"
			}
			if err := in.auditTx(ctx, tx, action, reg.Name, r.uid, id, branch, branch, nil); err != nil {
				return err
			}
		}
		// The record as this change left it (read here: another process may
		// delete it the moment this commits).
		rec, err = q.getByID(ctx, tx, id)
		return err
	})
	if err != nil {
		return Record{}, err
	}
	in.tell(n)
	return rec, nil
}

// auditTx writes one audit event in the caller's transaction; detail, if
// any, is what changed (as JSON).
func (in *Instance) auditTx(ctx context.Context, tx *sqldb.Tx, action, registry, uid string, id, from, to int64, detail *string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO lamin_audit_event (created_at, user_handle, action, registry, record_uid, record_id, from_branch_id, to_branch_id, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, in.now(), in.user.Handle, action, registry, uid, id, from, to, detail)
	return err
}

// changed is the audit detail of an update: the new values of its fields.
func changed(o UpdateOptions) *string {
	m := map[string]string{}
	if o.Description != nil {
		m["description"] = *o.Description
	}
	if o.Key != nil {
		m["key"] = *o.Key
	}
	// Written as typed: no HTML escapes (\u003c for <) in the audit log.
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(m)
	s := strings.TrimSuffix(b.String(), "\n")
	return &s
}

// keyTaken words a unique-key violation of a rename.
func keyTaken(err error, class string, key *string) error {
	if errors.Is(err, ErrTaken) && key != nil {
		return &Error{Class: ErrTaken, Msg: "another " + class + " already has the key '" + *key + "' (with the same content)", Err: err}
	}
	return err
}

// Artifact returns the artifact the query addresses, with every field.
func (q *Query) Artifact(ctx context.Context) (*Artifact, error) {
	if q.err != nil {
		return nil, q.err
	}
	if q.reg.Name != "artifact" {
		return nil, errorf(ErrInvalid, "not an artifact query")
	}
	id, err := q.resolveOne(ctx, q.in.db)
	if err != nil {
		return nil, err
	}
	a, err := scanArtifact(q.in.db.QueryRowContext(ctx, `SELECT `+artifactCols+` FROM lamindb_artifact WHERE id = ?`, id))
	if sqldb.IsNoRows(err) {
		return nil, q.notFound()
	}
	return a, err
}

// Path returns the local path of an artifact's bytes. It checks that they are
// there: a path to nothing is an error (ErrNotFound), not an answer.
func (in *Instance) Path(ctx context.Context, a *Artifact) (string, error) {
	st, err := in.storageByID(ctx, in.db, a.StorageID)
	if err != nil {
		return "", err
	}
	if a.OverwriteVersions && !a.IsLatest {
		return "", errorf(ErrRefused, "Cannot read this outdated artifact version: its files were overwritten and are no longer available. Read from the latest version: artifact.versions.get(is_latest=True)")
	}
	s := in.store(st.Root)
	if _, err := s.Stat(ctx, a.StorageKey()); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return "", storageError(st.Root, err)
		}
		return "", withHint(&Error{Class: ErrNotFound, Err: err, Msg: "the bytes of artifact " + a.UID + " are missing: " + where(s, a.StorageKey())},
			"`lamin check` lists what is missing")
	}
	p, err := localCopy(ctx, s, a.StorageKey())
	if err != nil {
		return "", storageError(st.Root, err)
	}
	return p, nil
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
