package sqldb

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/lamindb-go/lamindb/internal/errs"
)

// The schema of an instance is lamindb's (its django_migrations say which
// lamindb made it) plus our own lamin_ tables (lamin_goose_db_version says at
// which of our versions). Three kinds of database reach the same shape:
//   - a new one is a copy of the template (schema/template.db.gz), which
//     BuildTemplate makes from lamindb 2.9.1's DDL verbatim and our tables:
//     running ~1000 statements of DDL costs a new instance 0.1 s, copying
//     their result a few ms (lamindb seeds new instances from a template too);
//   - one that Python lamindb made has lamindb's tables and gets ours (adopt);
//   - one made by an earlier release of ours is rebuilt into lamindb's tables
//     by migration 4 (migrateToLamindb), its rows kept.

//go:embed schema
var schemaFS embed.FS

// LamindbMigration is the newest lamindb migration whose schema this binary
// knows. An instance migrated further by a newer lamindb is opened read-only.
const LamindbMigration = "0193_v2_9_part_2"

// lamindbMigrations are the django_migrations rows lamindb 2.9.1 writes at
// init (app "lamindb"), in its order: the squash of 0177–0190 is recorded
// after the migrations it replaces, as Django records it.
var lamindbMigrations = []string{
	"0177_squashed", "0177_alter_artifactblock_artifact_and_more", "0178_v2_2", "0179_v2_2_part_2",
	"0180_v2_2_part_3", "0181_v2_2_part_4", "0182_v2_2_part_5", "0183_v2_2_part_6",
	"0184_alter_transformrecord_feature", "0185_alter_runrecord_feature", "0186_v2_4", "0187_v2_4_part_2",
	"0188_remove_record_prevent_record_type_cycle_and_more", "0189_v2_6", "0190_v2_6_1",
	"0191_artifactschema_unique_slot_schema", "0192_v2_9", LamindbMigration, "0190_squashed",
}

// lamindbDDL returns lamindb's DDL, one statement per element.
func lamindbDDL() []string { return statements("schema/lamindb-2.9.1.sql") }

// laminDDL returns the DDL of our own tables at the newest version, in a
// dialect's SQL.
func laminDDL(dialect string) []string {
	if dialect == "postgres" {
		return statements("schema/lamin-postgresql.sql")
	}
	return statements("schema/lamin.sql")
}

// laminTables returns the names of our own tables.
func laminTables(dialect string) []string {
	var out []string
	for _, s := range laminDDL(dialect) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(s), "CREATE TABLE "); ok {
			out = append(out, strings.Fields(rest)[0])
		}
	}
	return out
}

// laminTableDDL returns the statements of laminDDL that create table (and its indexes).
func laminTableDDL(dialect, table string) []string {
	var out []string
	for _, s := range laminDDL(dialect) {
		if strings.Contains(s, " "+table+" ") {
			out = append(out, s)
		}
	}
	return out
}

// statements splits an embedded SQL file into its statements (each ends with
// ";" at the end of a line; comment lines are dropped).
func statements(name string) []string {
	b, err := fs.ReadFile(schemaFS, name)
	if err != nil {
		panic(err) // embedded: cannot happen
	}
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	return out
}

// execer is what schema steps run on: a transaction or a connection.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func execAll(ctx context.Context, e execer, stmts []string) error {
	for _, s := range stmts {
		if _, err := e.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%w in %.80s", err, strings.TrimSpace(s))
		}
	}
	return nil
}

// djangoTime formats a time as Django stores it in SQLite (UTC, microseconds).
func djangoTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000000") }

// createLamindb creates lamindb 2.9.1's tables and its django_migrations rows.
func createLamindb(ctx context.Context, e execer) error {
	if err := execAll(ctx, e, lamindbDDL()); err != nil {
		return err
	}
	now := djangoTime(time.Now())
	for _, name := range lamindbMigrations {
		if _, err := e.ExecContext(ctx, `INSERT INTO django_migrations (app, name, applied) VALUES ('lamindb', ?, ?)`, name, now); err != nil {
			return err
		}
	}
	return nil
}

// dbShape is what a database holds before we migrate it.
type dbShape struct {
	empty   bool   // no tables at all: a new database
	lamindb bool   // lamindb's tables (lamindb_branch) are there
	django  bool   // django_migrations is there
	newest  string // the newest lamindb migration recorded, "" if none
}

// shape reads which tables a database has and its newest lamindb migration.
func shape(ctx context.Context, q *sql.DB) (dbShape, error) {
	var s dbShape
	var tables, branch, django int
	if err := q.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(name = 'lamindb_branch'), 0), coalesce(sum(name = 'django_migrations'), 0)
		FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).Scan(&tables, &branch, &django); err != nil {
		return s, err
	}
	s.empty, s.lamindb, s.django = tables == 0, branch > 0, django > 0
	if s.django {
		var newest sql.NullString
		// Migration names start with their zero-padded number: text order is
		// migration order.
		if err := q.QueryRowContext(ctx, `SELECT max(name) FROM django_migrations WHERE app = 'lamindb'`).Scan(&newest); err != nil {
			return s, err
		}
		s.newest = newest.String
	}
	return s, nil
}

// stamp records, in the transaction that created the tables, every
// migration of ours as applied without running any, in goose's own table
// layout (goose starts its table with version 0).
func stamp(ctx context.Context, e execer) error {
	if _, err := e.ExecContext(ctx, `CREATE TABLE `+VersionTable+` (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		version_id INTEGER NOT NULL,
		is_applied INTEGER NOT NULL,
		tstamp TIMESTAMP DEFAULT (datetime('now'))
	)`); err != nil {
		return err
	}
	for v := int64(0); v <= Version("sqlite"); v++ {
		if _, err := e.ExecContext(ctx, `INSERT INTO `+VersionTable+` (version_id, is_applied) VALUES (?, 1)`, v); err != nil {
			return err
		}
	}
	return nil
}

// adopt gives a database made by Python lamindb our own tables (lamindb
// ignores tables it does not know) and records our version, in one
// transaction.
func (db *DB) adopt(ctx context.Context) error {
	tx, err := db.DB.BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	defer tx.Rollback()
	if err := createLamin(ctx, tx); err != nil {
		return errs.Wrap(errs.ErrDatabase, err, "create lamin's tables in %s: %v", db.path, classify(err))
	}
	return classify(tx.Commit())
}

// createLamin creates our tables beside lamindb's, the planner statistics for
// lamindb's indexes, and records our version: what a database lamindb's
// schema is in needs from us, in the caller's transaction.
func createLamin(ctx context.Context, e execer) error {
	if err := execAll(ctx, e, laminDDL("sqlite")); err != nil {
		return err
	}
	if err := plannerStats(ctx, e); err != nil {
		return err
	}
	return stamp(ctx, e)
}

// Version is the newest schema version of ours this binary knows: the SQL
// migrations embedded, and the Go migrations.
func Version(dialect string) int64 {
	entries, _ := fs.ReadDir(migrations, path.Join("migrations", dialect))
	var newest int64
	for _, e := range entries {
		var v int64
		if _, err := fmt.Sscanf(e.Name(), "%d_", &v); err == nil {
			newest = max(newest, v)
		}
	}
	for _, m := range goMigrations(dialect) {
		newest = max(newest, m.Version)
	}
	return newest
}

// templateFile is the new database every instance starts from; regenerate it
// with `go generate ./internal/sqldb` after changing the schema (a test
// fails until then).
const templateFile = "schema/template.db.gz"

//go:generate go run ./gentemplate schema/template.db.gz

// BuildTemplate creates, at file (which must not exist), the database a new
// instance starts from: lamindb's schema and django_migrations rows, our
// tables, planner statistics and our schema version. It is what
// schema/template.db.gz holds.
func BuildTemplate(ctx context.Context, file string) error {
	db, err := sql.Open("sqlite", "file:"+uriPath(file)+"?_pragma=journal_mode(DELETE)&_pragma=foreign_keys(1)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := createLamindb(ctx, tx); err != nil {
		return err
	}
	if err := createLamin(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `VACUUM`)
	return err
}

// writeTemplate creates file as a copy of the template, failing if it
// exists. The copy is written beside it and linked into place, so that
// another process opening file never reads half a template.
func writeTemplate(file string) error {
	b, err := schemaFS.ReadFile(templateFile)
	if err != nil {
		return err
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(file), filepath.Base(file)+".template-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	err = f.Chmod(0o644) // as SQLite creates a database (CreateTemp makes 0600)
	if err == nil {
		_, err = io.Copy(f, zr)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Link(f.Name(), file)
}

// freshen gives a database copied from the template its own times: lamindb's
// django_migrations rows say when the schema was applied.
func (db *DB) freshen(ctx context.Context) error {
	_, err := db.DB.ExecContext(ctx, `UPDATE django_migrations SET applied = ?`, djangoTime(time.Now()))
	return classify(err)
}

// fromTemplate reports whether a missing database file was created from the template.
func fromTemplate(file string) (bool, error) {
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err := writeTemplate(file); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil // another process created it first
		}
		return false, errs.Wrap(errs.ErrDatabase, err, "create the database %s: %v", file, err)
	}
	return true, nil
}

// SchemaDigest is a hex digest of the DDL a new PostgreSQL instance gets
// (lamindb's and ours) and of our version: it names test templates, so that
// a changed schema never clones an old one.
func SchemaDigest() string {
	h := sha256.New()
	io.WriteString(h, lamindbPGDDL())
	for _, s := range laminDDL("postgres") {
		io.WriteString(h, s)
	}
	fmt.Fprint(h, Version("postgres"))
	return hex.EncodeToString(h.Sum(nil))
}
