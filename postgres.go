package lamindb

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/lamindb-go/lamindb/internal/sqldb"
)

// An instance whose metadata lives in PostgreSQL owns one database there (its
// tables in public); the settings file names it by lamindb's connection string
// without the password, which comes from PGPASSWORD or ~/.pgpass as for libpq.

// isPostgresURL reports whether a --db value names a PostgreSQL database.
func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgresql://") || strings.HasPrefix(s, "postgres://")
}

// withoutPassword is the connection string a settings file keeps: no
// password in the user part, none as a query parameter.
func withoutPassword(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return sqldb.RedactDSN(dsn)
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.User(u.User.Username())
		}
	}
	if q := u.Query(); q.Has("password") {
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// openPostgres opens an instance's PostgreSQL database with the instance's
// options.
func openPostgres(ctx context.Context, dsn, slug string, opts Options) (*sqldb.DB, error) {
	return sqldb.OpenPostgres(ctx, dsn, sqldb.Options{ReadOnly: opts.ReadOnly, WriteWait: opts.WriteWait,
		Waiting: func(d time.Duration) {
			opts.Notify.say(LevelImportant, "waiting for another process to finish writing to %s (%s so far)", slug, d.Round(time.Second))
		}})
}

// createPostgres gives a PostgreSQL database an instance: lamindb's schema
// (made by opening it) and the seed rows, in one transaction that refuses a
// database which already holds another instance. It reports whether it
// seeded the rows (false: an earlier, cut-off init of this instance had) and
// the storage uid the instance has.
//
// With resumeOnly (the storage's marker was there before this init: it names
// storageUID) it only goes on with such an init: a marker of this instance
// without its rows in this database may be a live instance's whose metadata
// are elsewhere (the same owner and name, another database), and its storage
// is not ours. Without (no marker yet: the caller writes it after this), rows
// of this instance at this very root are an init cut off before its marker.
func createPostgres(ctx context.Context, dsn, slug, storageUID, root string, user UserSettings, instUID string, resumeOnly bool, opts Options) (seeded bool, uidUsed string, err error) {
	db, err := openPostgres(ctx, dsn, slug, opts)
	if err != nil {
		return false, "", err
	}
	defer db.Close()
	now := db.Time(opts.Now())
	err = db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		seeded, uidUsed = false, storageUID
		var holder, holderUID, holderInstance string
		err := tx.QueryRowContext(ctx, `SELECT root, uid, COALESCE(instance_uid, '') FROM lamindb_storage ORDER BY id LIMIT 1`).Scan(&holder, &holderUID, &holderInstance)
		if err == nil && holderInstance == instUID && (holderUID == storageUID || !resumeOnly && holder == filepath.ToSlash(root)) {
			// This very instance, seeded by an init that was cut off before
			// it wrote the marker or the settings: the init goes on from there.
			uidUsed = holderUID
			return nil
		}
		seeded = true
		if err == nil {
			return withHint(errorf(ErrAlreadyManaged, "the database %s already holds an instance (its storage is %s); it is left untouched", sqldb.RedactDSN(dsn), holder),
				"each instance needs a database of its own: create one (`createdb NAME`) and pass it with --db")
		} else if !sqldb.IsNoRows(err) {
			return err
		}
		if resumeOnly {
			return withHint(errorf(ErrAlreadyManaged, "storage %s is already managed by instance %s, whose metadata are not in %s; it is left untouched", root, slug, sqldb.RedactDSN(dsn)),
				"connect to that instance (its settings file names its database), or choose another location; if the marker is what a cut-off init left, remove it")
		}
		for _, s := range seedRows(storageUID, root, user, instUID, now) {
			if _, err := tx.ExecContext(ctx, s.q, s.args...); err != nil {
				return err
			}
		}
		return tx.SyncIDs(ctx, "lamindb_user", "lamindb_space", "lamindb_branch", "lamindb_storage")
	})
	if errors.Is(err, ErrTaken) {
		// Another init seeded the database between our check and our insert.
		return false, "", errorf(ErrAlreadyManaged, "another process made an instance in the database %s meanwhile; it is left untouched", sqldb.RedactDSN(dsn))
	}
	if err != nil {
		return false, "", fmt.Errorf("create the instance's tables in %s: %w", sqldb.RedactDSN(dsn), err)
	}
	return seeded, uidUsed, nil
}

// seedStatement is one statement of an instance's seed rows.
type seedStatement struct {
	q    string
	args []any
}

// seedRows are the rows lamindb's init writes: user 1, space 1, the three
// branches and storage 1.
func seedRows(storageUID, root string, user UserSettings, instUID string, now any) []seedStatement {
	typ, region := storageType(root), storageRegion(root)
	return []seedStatement{
		{`INSERT INTO lamindb_user (id, uid, handle, name, created_at, updated_at) VALUES (1, ?, ?, NULL, ?, ?)`, []any{user.UID, user.Handle, now, now}},
		{`INSERT INTO lamindb_space (id, uid, name, description, created_at, created_by_id) VALUES (1, 'aaaaaaaaaaaa', 'all', 'Every team & user with access to the instance has access.', ?, 1)`, []any{now}},
		{`INSERT INTO lamindb_branch (id, uid, name, description, created_at, space_id, created_by_id) VALUES (-1, 'tttttttttttt', 'trash', 'The trash.', ?, 1, 1), (0, 'aaaaaaaaaaaa', 'archive', 'The archive.', ?, 1, 1), (1, 'mmmmmmmmmmmm', 'main', 'The main & default branch of the instance.', ?, 1, 1)`, []any{now, now, now}},
		{`INSERT INTO lamindb_storage (id, uid, root, type, region, instance_uid, created_at, updated_at, created_by_id) VALUES (1, ?, ?, ?, ?, ?, ?, ?, 1)`, []any{storageUID, filepath.ToSlash(root), typ, region, instUID, now, now}},
	}
}

// dropPostgres removes an instance's tables from its database, which stays.
func dropPostgres(ctx context.Context, dsn, slug string, opts Options) error {
	db, err := openPostgres(ctx, dsn, slug, opts)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.DropInstance(ctx)
}

// connString is the connection string to open an instance's database with.
func (s InstanceSettings) connString() string {
	if s.dsn != "" {
		return s.dsn
	}
	return s.DB
}

// postgresHoldsNoInstance reports whether an instance's PostgreSQL database
// answers and is empty: what a deletion cut off after it dropped the tables
// leaves. An unreachable server is not an answer.
func postgresHoldsNoInstance(ctx context.Context, is InstanceSettings, opts Options) bool {
	opts.ReadOnly = true
	db, err := openPostgres(ctx, is.connString(), is.Slug(), opts)
	if err == nil {
		db.Close()
		return false
	}
	return errors.Is(err, ErrNotFound) && !errors.Is(err, ErrNoInstance)
}
