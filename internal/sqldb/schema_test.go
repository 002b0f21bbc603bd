package sqldb_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lamindb-go/lamindb/internal/sqldb"
)

// schemaOf describes a database's schema as comparable lines, one per table
// column, foreign key, CHECK constraint and index (column order aside), for
// the tables whose names match prefix.
func schemaOf(t *testing.T, db *sql.DB, like string) []string {
	t.Helper()
	var out []string
	q := func(query string, args ...any) [][]sql.NullString {
		rows, err := db.Query(query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var res [][]sql.NullString
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			res = append(res, vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return res
	}
	join := func(vs []sql.NullString) string {
		var parts []string
		for _, v := range vs {
			if v.Valid {
				parts = append(parts, v.String)
			} else {
				parts = append(parts, "NULL")
			}
		}
		return strings.Join(parts, " | ")
	}
	checks := regexp.MustCompile(`CHECK \(\(.*?\)\)`)
	space := regexp.MustCompile(`\s+`)
	for _, tbl := range q(`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name LIKE ? AND name NOT LIKE 'sqlite_%' ORDER BY name`, like) {
		name := tbl[0].String
		out = append(out, "table "+name)
		for _, c := range q(`SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?)`, name) {
			out = append(out, name+" column "+join(c))
		}
		for _, f := range q(`SELECT "table", "from", "to", on_update, on_delete, "match" FROM pragma_foreign_key_list(?)`, name) {
			out = append(out, name+" fk "+join(f))
		}
		for _, c := range checks.FindAllString(tbl[1].String, -1) {
			out = append(out, name+" check "+c)
		}
		for _, ix := range q(`SELECT l.name, l."unique", l.origin, l.partial, coalesce(m.sql, '') FROM pragma_index_list(?) l
			LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = l.name`, name) {
			var cols []string
			for _, c := range q(`SELECT coalesce(name, '<expr>'), "desc", coll FROM pragma_index_xinfo(?) WHERE key`, ix[0].String) {
				cols = append(cols, join(c))
			}
			where := ""
			if _, w, ok := strings.Cut(ix[4].String, " WHERE "); ok {
				where = " where " + space.ReplaceAllString(w, " ")
			}
			idx := ix[0].String
			if ix[2].String != "c" {
				// Autoindexes are named by position; what they index matters.
				idx = "(" + ix[2].String + ")"
			}
			out = append(out, fmt.Sprintf("%s index %s unique=%s cols=[%s]%s", name, idx, ix[1].String, strings.Join(cols, "; "), where))
		}
	}
	sort.Strings(out)
	return out
}

// replay builds a database from one of lamindb's reference files.
func replay(t *testing.T, ref, file string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "lamindb-2.9.1", ref))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// One transaction: committing each of its ~1000 statements alone would
	// sync the file as often.
	if _, err := db.Exec("BEGIN;\n" + string(b) + "\nCOMMIT;"); err != nil {
		t.Fatalf("replay %s: %v", ref, err)
	}
}

func rawOpen(t *testing.T, file string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func diff(want, got []string) string {
	w, g := map[string]bool{}, map[string]bool{}
	for _, s := range want {
		w[s] = true
	}
	for _, s := range got {
		g[s] = true
	}
	var b strings.Builder
	for _, s := range want {
		if !g[s] {
			fmt.Fprintf(&b, "  missing: %s\n", s)
		}
	}
	for _, s := range got {
		if !w[s] {
			fmt.Fprintf(&b, "  extra:   %s\n", s)
		}
	}
	return b.String()
}

func openClose(t *testing.T, file string) {
	t.Helper()
	db, err := sqldb.OpenSQLite(context.Background(), file)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ReadOnly(); err != nil {
		t.Fatalf("opened read-only: %v", err)
	}
	db.Close()
}

// TestSchemaMatchesLamindb: the schema a new database gets is lamindb
// 2.9.1's, table for table, column for column (type, nullability, default,
// key), foreign key, CHECK and index (partial ones with their WHERE), as the
// reference file lamindb's own init produced; and so is the schema an
// instance of an earlier release is migrated to, our own tables included.
func TestSchemaMatchesLamindb(t *testing.T) {
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref.db")
	replay(t, "schema-sqlite.sql", ref)
	want := schemaOf(t, rawOpen(t, ref), "%")

	fresh := filepath.Join(dir, "fresh.db")
	openClose(t, fresh)
	got := schemaOf(t, rawOpen(t, fresh), "%")
	var gotLamindb []string
	for _, s := range got {
		if !strings.HasPrefix(s, "table lamin_") && !strings.HasPrefix(s, "lamin_") {
			gotLamindb = append(gotLamindb, s)
		}
	}
	if d := diff(want, gotLamindb); d != "" {
		t.Errorf("a new database differs from lamindb 2.9.1's schema:\n%s", d)
	}
	for _, s := range []string{
		`lamindb_artifact index unique_artifact_storage_key_hash_not_null unique=1 cols=[storage_id | 0 | BINARY; key | 0 | BINARY; hash | 0 | BINARY] where "key" IS NOT NULL`,
		`lamindb_artifact index unique_artifact_storage_hash_null_key unique=1 cols=[storage_id | 0 | BINARY; hash | 0 | BINARY] where "key" IS NULL`,
	} {
		if !slices.Contains(gotLamindb, s) {
			t.Errorf("no %s", s)
		}
	}
	for _, s := range got {
		if strings.HasPrefix(s, "lamin_") && strings.Contains(s, " fk ") {
			t.Errorf("our table has a foreign key (Python lamindb deletes rows without knowing ours): %s", s)
		}
	}

	old := filepath.Join(dir, "old.db")
	if err := sqldb.MigrateTo(context.Background(), old, 3); err != nil {
		t.Fatal(err)
	}
	openClose(t, old)
	if d := diff(got, schemaOf(t, rawOpen(t, old), "%")); d != "" {
		t.Errorf("a migrated database differs from a new one:\n%s", d)
	}

	// The same django_migrations rows, in the same order.
	const names = `SELECT app || ' ' || name FROM django_migrations ORDER BY id`
	want2 := column(t, rawOpen(t, ref), names)
	if g := column(t, rawOpen(t, fresh), names); g != want2 {
		t.Errorf("django_migrations:\n%s\nwant:\n%s", g, want2)
	}
	if g := column(t, rawOpen(t, old), names); g != want2 {
		t.Errorf("django_migrations after migrating:\n%s\nwant:\n%s", g, want2)
	}
}

// TestOpenPythonMade: a database lamindb made (the default init, with its 56
// bionty tables) is opened as it is: our tables are added beside, nothing of
// lamindb's changes, and a second open finds it current.
func TestOpenPythonMade(t *testing.T) {
	for _, ref := range []string{"schema-sqlite.sql", "schema-sqlite-default-with-bionty.sql"} {
		t.Run(ref, func(t *testing.T) {
			dir := t.TempDir()
			want := filepath.Join(dir, "want.db")
			replay(t, ref, want)
			file := filepath.Join(dir, "lamin.db")
			replay(t, ref, file)
			openClose(t, file)
			openClose(t, file)
			got := schemaOf(t, rawOpen(t, file), "%")
			var theirs []string
			for _, s := range got {
				if !strings.HasPrefix(s, "table lamin_") && !strings.HasPrefix(s, "lamin_") {
					theirs = append(theirs, s)
				}
			}
			if d := diff(schemaOf(t, rawOpen(t, want), "%"), theirs); d != "" {
				t.Errorf("opening changed lamindb's schema:\n%s", d)
			}
			if !slices.Contains(got, "table lamin_storing") || !slices.Contains(got, "table lamin_artifact_sha256") {
				t.Errorf("our tables were not added: %v", got[:3])
			}
			var v int64
			if err := rawOpen(t, file).QueryRow(`SELECT max(version_id) FROM ` + sqldb.VersionTable).Scan(&v); err != nil || v != sqldb.Version("sqlite") {
				t.Errorf("version %d (%v), want %d", v, err, sqldb.Version("sqlite"))
			}
		})
	}
}

// TestLamindbMigrations: lamindb migrations other than the ones whose schema
// we know make the database read-only, with a message naming the migration;
// a read-only open of a database without our tables still reads.
func TestLamindbMigrations(t *testing.T) {
	for _, tc := range []struct {
		name, sql, want string
	}{
		{"newer", `INSERT INTO django_migrations (app, name, applied) VALUES ('lamindb', '0194_future', '2027-01-01')`, "newer lamindb (its django_migrations hold lamindb migration 0194_future"},
		{"older", `DELETE FROM django_migrations WHERE name >= '0192'`, "older lamindb (its newest lamindb migration is 0191_artifactschema_unique_slot_schema"},
		{"none", `DELETE FROM django_migrations`, ""},
		{"other app", `INSERT INTO django_migrations (app, name, applied) VALUES ('bionty', '0099_x', '2027-01-01')`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "lamin.db")
			replay(t, "schema-sqlite.sql", file)
			if _, err := rawOpen(t, file).Exec(tc.sql); err != nil {
				t.Fatal(err)
			}
			db, err := sqldb.OpenSQLite(context.Background(), file)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ro := db.ReadOnly()
			switch {
			case tc.want == "" && ro != nil:
				t.Fatalf("read-only: %v", ro)
			case tc.want != "" && (ro == nil || !strings.Contains(ro.Error(), tc.want) || !strings.Contains(db.LamindbNotice(), tc.want)):
				t.Fatalf("read-only = %v, notice %q; want %q", ro, db.LamindbNotice(), tc.want)
			}
			if tc.want == "" {
				return
			}
			// Our tables stand in, empty, for reading.
			var n int
			if err := db.QueryRowContext(context.Background(), `SELECT count(*) FROM lamin_storing`).Scan(&n); err != nil || n != 0 {
				t.Fatalf("lamin_storing: %d, %v", n, err)
			}
			if _, err := db.ExecContext(context.Background(), `DELETE FROM lamindb_artifact`); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("write: %v", err)
			}
		})
	}
}

// TestTemplateIsCurrent: the template new databases are copied from is what
// BuildTemplate makes now (run `go generate ./internal/sqldb` after a
// schema change): the same schema, statistics and versions.
func TestTemplateIsCurrent(t *testing.T) {
	dir := t.TempDir()
	built := filepath.Join(dir, "built.db")
	if err := sqldb.BuildTemplate(context.Background(), built); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "fresh.db")
	openClose(t, fresh) // from the template
	b, f := rawOpen(t, built), rawOpen(t, fresh)
	if d := diff(schemaOf(t, b, "%"), schemaOf(t, f, "%")); d != "" {
		t.Errorf("schema/template.db.gz is out of date (go generate ./internal/sqldb):\n%s", d)
	}
	for _, q := range []string{
		`SELECT tbl || ' ' || idx || ' ' || stat FROM sqlite_stat1 ORDER BY tbl, idx`,
		`SELECT version_id || ' ' || is_applied FROM ` + sqldb.VersionTable + ` ORDER BY id`,
		`SELECT app || ' ' || name FROM django_migrations ORDER BY id`,
		`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'sqlite_%' ORDER BY name`,
	} {
		if w, g := column(t, b, q), column(t, f, q); w != g {
			t.Errorf("%s:\n%s\nwant:\n%s", q, g, w)
		}
	}
	var applied string
	if err := f.QueryRow(`SELECT min(applied) FROM django_migrations`).Scan(&applied); err != nil || applied < time.Now().UTC().Add(-time.Hour).Format("2006-01-02 15:04") {
		t.Errorf("a new database's migrations were applied at %s (%v), not now", applied, err)
	}
}

func column(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n")
}

// TestOpenWaitsForRollbackWriter: a database Python lamindb uses is in
// SQLite's rollback-journal mode; opening it switches it to WAL, which needs a
// moment without writers. An open while Python holds a write transaction
// waits for it, as any write does, instead of failing at once.
func TestOpenWaitsForRollbackWriter(t *testing.T) {
	file := filepath.Join(t.TempDir(), "lamin.db")
	replay(t, "schema-sqlite.sql", file)
	// Python's sqlite3 waits 5 s for a lock by default (Django keeps that).
	py, err := sql.Open("sqlite", "file:"+file+"?_pragma=journal_mode(DELETE)&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer py.Close()
	conn, err := py.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), `UPDATE lamindb_space SET description = 'python' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	committed := make(chan error, 1)
	go func() {
		time.Sleep(time.Second)
		_, err := conn.ExecContext(context.Background(), `COMMIT`)
		conn.Close()
		committed <- err
	}()
	db, err := sqldb.OpenSQLite(context.Background(), file, sqldb.Options{BusyTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("open while another client writes: %v", err)
	}
	defer db.Close()
	if err := <-committed; err != nil {
		t.Fatalf("the other client's commit: %v", err)
	}
	var d string
	if err := db.QueryRowContext(context.Background(), `SELECT description FROM lamindb_space WHERE id = 1`).Scan(&d); err != nil || d != "python" {
		t.Fatalf("after the other client committed: %q %v", d, err)
	}
}

// TestConcurrentAdopt: processes that open a database Python made at once add
// our tables once: the migration lock makes the others wait and find them.
func TestConcurrentAdopt(t *testing.T) {
	file := filepath.Join(t.TempDir(), "lamin.db")
	replay(t, "schema-sqlite.sql", file)
	errc := make(chan error, 8)
	for range 8 {
		go func() {
			db, err := sqldb.OpenSQLite(context.Background(), file)
			if err == nil {
				if err = db.ReadOnly(); err == nil {
					var n int
					err = db.QueryRowContext(context.Background(), `SELECT count(*) FROM lamin_storing`).Scan(&n)
				}
				db.Close()
			}
			errc <- err
		}()
	}
	for range 8 {
		if err := <-errc; err != nil {
			t.Errorf("open: %v", err)
		}
	}
	if got := column(t, rawOpen(t, file), `SELECT version_id FROM `+sqldb.VersionTable+` ORDER BY id`); got != "0\n1\n2\n3\n4" {
		t.Errorf("versions recorded:\n%s", got)
	}
}
