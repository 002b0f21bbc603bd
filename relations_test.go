package lamindb_test

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	ln "github.com/lamindb-go/lamindb"
)

// fixture is an instance whose database the test also writes as another
// program would (Python lamindb): tables of lamindb 2.9.1 that our instances
// lack, and rows in them.
type fixture struct {
	*env
	db *sql.DB
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	onSQLite(t)
	e := newEnv(t)
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(filepath.Join(e.root, ".lamindb", "lamin.db"))+
		"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return &fixture{env: e, db: db}
}

// lamindbDDL and biontyDDL hold lamindb 2.9.1's SQLite schemas, without
// modules and as a default instance has it (with bionty's tables); their
// section 1 has one statement a line.
var (
	lamindbDDL = filepath.Join("testdata", "lamindb-2.9.1", "schema-sqlite.sql")
	biontyDDL  = filepath.Join("testdata", "lamindb-2.9.1", "schema-sqlite-default-with-bionty.sql")
)

// tables creates lamindb 2.9.1 tables with their exact DDL and indexes from
// schema-sqlite.sql (IF NOT EXISTS), skipping tables that exist: once new
// instances have the full schema, nothing changes here and the tests still
// hold.
func (f *fixture) tables(names ...string) {
	f.t.Helper()
	f.tablesFrom(lamindbDDL, names...)
}

// tablesFrom creates tables with their DDL and indexes from a schema file,
// unless they exist.
func (f *fixture) tablesFrom(file string, names ...string) {
	f.t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		f.t.Fatal(err)
	}
	var ddl []string
	for _, name := range names {
		if f.count(`sqlite_master WHERE type = 'table' AND name = '`+name+`'`) > 0 {
			continue
		}
		found := false
		for _, line := range strings.Split(string(b), "\n") {
			q := `"` + name + `"`
			switch {
			case strings.HasPrefix(line, "CREATE TABLE "+q+" "):
				found = true
				ddl = append(ddl, strings.Replace(line, "CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", 1))
			case strings.HasPrefix(line, "CREATE INDEX ") && strings.Contains(line, " ON "+q+" "),
				strings.HasPrefix(line, "CREATE UNIQUE INDEX ") && strings.Contains(line, " ON "+q+" "):
				ddl = append(ddl, strings.Replace(line, " INDEX ", " INDEX IF NOT EXISTS ", 1))
			}
		}
		if !found {
			f.t.Fatalf("%s: no table %s", file, name)
		}
	}
	// One transaction: a commit per statement would sync a thousand times.
	f.exec("BEGIN;\n" + strings.Join(ddl, "\n") + "\nCOMMIT;")
}

// tableNames returns the names of a schema file's tables that begin with prefix.
func tableNames(t *testing.T, file, prefix string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, `CREATE TABLE "`+prefix); ok {
			out = append(out, prefix+rest[:strings.IndexByte(rest, '"')])
		}
	}
	return out
}

func (f *fixture) exec(query string, args ...any) {
	f.t.Helper()
	if _, err := f.db.Exec(query, args...); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
}

func (f *fixture) count(from string) int64 {
	f.t.Helper()
	var n int64
	if err := f.db.QueryRow(`SELECT count(*) FROM ` + from).Scan(&n); err != nil {
		f.t.Fatalf("count %s: %v", from, err)
	}
	return n
}

// artifact saves a small file under key and returns its id and uid.
func (f *fixture) artifact(key string) (int64, string) {
	a := f.save(f.file(key, "content of "+key), ln.SaveOptions{Key: key})
	return a.ID, a.UID
}

func (f *fixture) ulabel(name string) (int64, string) {
	f.t.Helper()
	if _, err := f.in.CreateULabel(f.ctx, ln.ULabelOptions{Name: name}); err != nil {
		f.t.Fatal(err)
	}
	var id int64
	var uid string
	if err := f.db.QueryRow(`SELECT id, uid FROM lamindb_ulabel WHERE name = ?`, name).Scan(&id, &uid); err != nil {
		f.t.Fatal(err)
	}
	return id, uid
}

// transform inserts transform 7 (uid TTTTTTTTTTTT0000) with run 9 (uid
// RRRRRRRRRRRRRRRR), as lamindb's tracking would.
func (f *fixture) transform() {
	f.exec(`INSERT INTO lamindb_transform (id, uid, key, kind, is_latest, created_by_id) VALUES (7, 'TTTTTTTTTTTT0000', 'script.py', 'pipeline', 1, 1)`)
	f.exec(`INSERT INTO lamindb_run (id, uid, transform_id, created_by_id) VALUES (9, 'RRRRRRRRRRRRRRRR', 7, 1)`)
}

// TestPurgeFollowsLamindbRelations purges records that rows of lamindb 2.9.1
// tables our instances lack (link tables, projects) or another module's
// table reference: each relation acts by on-delete.md's rule, in one
// transaction, and the dry run shows it first.
func TestPurgeFollowsLamindbRelations(t *testing.T) {
	type target struct{ reg, uid string }
	tests := []struct {
		name     string
		setup    func(f *fixture) target
		cascades []string // the dry run's cascades: registry:uid, or the table of a row without uid
		cleanup  []string // the dry run's run cleanup: artifact keys
		class    error    // nil: purged
		msg      []string // in the error
		notes    []string // in what the library says
		gone     []string // FROM clauses that count no row afterwards
		kept     []string // FROM clauses that count rows afterwards
	}{
		{
			name: "an artifact's ulabel link goes with it (ArtifactULabel.artifact CASCADE)",
			setup: func(f *fixture) target {
				f.tables("lamindb_feature", "lamindb_artifactulabel")
				a, au := f.artifact("a.txt")
				l, _ := f.ulabel("l1")
				f.exec(`INSERT INTO lamindb_artifactulabel (artifact_id, ulabel_id, created_by_id) VALUES (?, ?, 1)`, a, l)
				return target{"artifact", au}
			},
			cascades: []string{"lamindb_artifactulabel"},
			gone:     []string{"lamindb_artifactulabel", "lamindb_artifact"},
			kept:     []string{"lamindb_ulabel WHERE name = 'l1'"},
		},
		{
			name: "a linked ulabel is protected (ArtifactULabel.ulabel PROTECT), naming the artifact",
			setup: func(f *fixture) target {
				f.tables("lamindb_feature", "lamindb_artifactulabel")
				a, _ := f.artifact("a.txt")
				l, lu := f.ulabel("l1")
				f.exec(`INSERT INTO lamindb_artifactulabel (artifact_id, ulabel_id, created_by_id) VALUES (?, ?, 1)`, a, l)
				return target{"ulabel", lu}
			},
			class: ln.ErrProtected,
			msg:   []string{"referenced through protected foreign key ArtifactULabel.ulabel", "(Artifact '", "' a.txt)"},
			kept:  []string{"lamindb_artifactulabel", "lamindb_ulabel"},
		},
		{
			name: "an artifact used as a value: the link goes, its owner stays (ArtifactArtifact.value CASCADE)",
			setup: func(f *fixture) target {
				f.tables("lamindb_feature", "lamindb_artifactartifact")
				o, _ := f.artifact("owner.txt")
				v, vu := f.artifact("value.txt")
				f.exec(`INSERT INTO lamindb_artifactartifact (artifact_id, value_id, created_by_id) VALUES (?, ?, 1)`, o, v)
				return target{"artifact", vu}
			},
			cascades: []string{"lamindb_artifactartifact"},
			gone:     []string{"lamindb_artifactartifact", "lamindb_artifact WHERE key = 'value.txt'"},
			kept:     []string{"lamindb_artifact WHERE key = 'owner.txt'"},
		},
		{
			name: "an artifact owning a link: the link goes, the value stays (ArtifactArtifact.artifact CASCADE)",
			setup: func(f *fixture) target {
				f.tables("lamindb_feature", "lamindb_artifactartifact")
				o, ou := f.artifact("owner.txt")
				v, _ := f.artifact("value.txt")
				f.exec(`INSERT INTO lamindb_artifactartifact (artifact_id, value_id, created_by_id) VALUES (?, ?, 1)`, o, v)
				return target{"artifact", ou}
			},
			cascades: []string{"lamindb_artifactartifact"},
			gone:     []string{"lamindb_artifactartifact", "lamindb_artifact WHERE key = 'owner.txt'"},
			kept:     []string{"lamindb_artifact WHERE key = 'value.txt'"},
		},
		{
			name: "another module's table protects, named table.column",
			setup: func(f *fixture) target {
				f.exec(`CREATE TABLE IF NOT EXISTS "bionty_artifactthing" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
					"artifact_id" integer NOT NULL REFERENCES "lamindb_artifact" ("id") DEFERRABLE INITIALLY DEFERRED)`)
				a, au := f.artifact("a.txt")
				f.exec(`INSERT INTO bionty_artifactthing (artifact_id) VALUES (?)`, a)
				return target{"artifact", au}
			},
			class: ln.ErrProtected,
			msg:   []string{"referenced through protected foreign key bionty_artifactthing.artifact_id", "(bionty_artifactthing row 1)"},
			kept:  []string{"bionty_artifactthing", "lamindb_artifact"},
		},
		{
			name: "a cascaded row that something else protects refuses the whole purge",
			setup: func(f *fixture) target {
				env, eu := f.artifact("env.txt")
				f.transform()
				f.exec(`UPDATE lamindb_transform SET environment_id = ? WHERE id = 7`, env)
				made, _ := f.artifact("made.txt")
				f.exec(`UPDATE lamindb_artifact SET run_id = 9 WHERE id = ?`, made)
				return target{"artifact", eu}
			},
			cascades: []string{"run:RRRRRRRRRRRRRRRR", "transform:TTTTTTTTTTTT0000"},
			class:    ln.ErrProtected,
			msg:      []string{"Run RRRRRRRRRRRRRRRR: referenced through protected foreign key Artifact.run", "made.txt"},
			kept:     []string{"lamindb_transform", "lamindb_run", "lamindb_artifact WHERE key = 'env.txt'"},
		},
		{
			name: "a transform's project links go before its runs (lamindb's _permanent_delete_transforms)",
			setup: func(f *fixture) target {
				f.tables("lamindb_project", "lamindb_transformproject")
				f.transform()
				f.exec(`INSERT INTO lamindb_project (id, uid, name, created_by_id) VALUES (3, 'PPPPPPPPPPPP', 'p1', 1)`)
				f.exec(`INSERT INTO lamindb_transformproject (project_id, run_id, transform_id, created_by_id) VALUES (3, 9, 7, 1)`)
				return target{"transform", "TTTTTTTTTTTT0000"}
			},
			cascades: []string{"lamindb_transformproject", "run:RRRRRRRRRRRRRRRR"},
			gone:     []string{"lamindb_transformproject", "lamindb_run", "lamindb_transform"},
			kept:     []string{"lamindb_project"},
		},
		{
			name: "a transform's label link recorded by its run protects the run, though it goes along too (PROTECT is not RESTRICT)",
			setup: func(f *fixture) target {
				f.tables("lamindb_transformulabel")
				f.transform()
				l, _ := f.ulabel("l1")
				f.exec(`INSERT INTO lamindb_transformulabel (run_id, transform_id, ulabel_id, created_by_id) VALUES (9, 7, ?, 1)`, l)
				return target{"transform", "TTTTTTTTTTTT0000"}
			},
			cascades: []string{"lamindb_transformulabel", "run:RRRRRRRRRRRRRRRR"},
			class:    ln.ErrProtected,
			msg:      []string{"referenced through protected foreign key TransformULabel.run", "(Transform 'TTTTTTTTTTTT0000' script.py)"},
			kept:     []string{"lamindb_transformulabel", "lamindb_transform", "lamindb_run"},
		},
		{
			name: "a run's report goes after it; a shared environment stays (lamindb's run cleanup)",
			setup: func(f *fixture) target {
				report, _ := f.artifact("report.html")
				env, _ := f.artifact("env.txt")
				f.exec(`UPDATE lamindb_artifact SET kind = '__lamindb_run__' WHERE id IN (?, ?)`, report, env)
				f.transform()
				f.exec(`UPDATE lamindb_run SET report_id = ?, environment_id = ? WHERE id = 9`, report, env)
				f.exec(`INSERT INTO lamindb_run (id, uid, transform_id, created_by_id, environment_id) VALUES (10, 'SSSSSSSSSSSSSSSS', 7, 1, ?)`, env)
				return target{"run", "RRRRRRRRRRRRRRRR"}
			},
			cleanup: []string{"env.txt", "report.html"},
			notes:   []string{"did not delete artifact", "Run.environment"},
			gone:    []string{"lamindb_run WHERE id = 9", "lamindb_artifact WHERE key = 'report.html'"},
			kept:    []string{"lamindb_artifact WHERE key = 'env.txt'", "lamindb_run WHERE id = 10"},
		},
		{
			name: "a transform's purge cleans up its runs' reports",
			setup: func(f *fixture) target {
				report, _ := f.artifact("report.html")
				f.exec(`UPDATE lamindb_artifact SET kind = '__lamindb_run__' WHERE id = ?`, report)
				f.transform()
				f.exec(`UPDATE lamindb_run SET report_id = ? WHERE id = 9`, report)
				return target{"transform", "TTTTTTTTTTTT0000"}
			},
			cascades: []string{"run:RRRRRRRRRRRRRRRR"},
			cleanup:  []string{"report.html"},
			notes:    []string{"a report or environment of the deleted runs"},
			gone:     []string{"lamindb_transform", "lamindb_run", "lamindb_artifact"},
		},
		{
			name: "a report of another kind leaves the cleanup (lamindb asserts the kind)",
			setup: func(f *fixture) target {
				report, _ := f.artifact("report.html")
				f.transform()
				f.exec(`UPDATE lamindb_run SET report_id = ? WHERE id = 9`, report)
				return target{"run", "RRRRRRRRRRRRRRRR"}
			},
			notes: []string{"did not delete the runs' report and environment artifacts", "not __lamindb_run__"},
			gone:  []string{"lamindb_run"},
			kept:  []string{"lamindb_artifact WHERE key = 'report.html'"},
		},
		{
			name: "the cleanup deletes no record along (a report that is also a transform's environment)",
			setup: func(f *fixture) target {
				report, _ := f.artifact("report.html")
				f.exec(`UPDATE lamindb_artifact SET kind = '__lamindb_run__' WHERE id = ?`, report)
				f.transform()
				f.exec(`UPDATE lamindb_run SET report_id = ? WHERE id = 9`, report)
				f.exec(`INSERT INTO lamindb_transform (id, uid, key, kind, is_latest, created_by_id, environment_id) VALUES (8, 'UUUUUUUUUUUU0000', 'other.py', 'pipeline', 1, 1, ?)`, report)
				return target{"run", "RRRRRRRRRRRRRRRR"}
			},
			cleanup: []string{"report.html"},
			notes:   []string{"did not delete artifact", "its purge would delete Transform UUUUUUUUUUUU0000 along"},
			gone:    []string{"lamindb_run"},
			kept:    []string{"lamindb_artifact WHERE key = 'report.html'", "lamindb_transform WHERE id = 8"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tg := tt.setup(f)
			q := func() *ln.Query { return f.in.Records(tg.reg).UID(tg.uid) }

			plan, err := q().Delete(f.ctx, ln.DeleteOptions{Permanent: true, DryRun: true})
			if err != nil {
				t.Fatalf("dry run: %v", err)
			}
			var cascades, cleanup []string
			for _, c := range plan.Cascades {
				if c.UID == "" {
					cascades = append(cascades, c.Registry)
				} else {
					cascades = append(cascades, c.Registry+":"+c.UID)
				}
			}
			for _, c := range plan.Cleanup {
				cleanup = append(cleanup, c.Name)
			}
			sort.Strings(cascades)
			sort.Strings(cleanup)
			if d := cmp.Diff(tt.cascades, cascades); d != "" {
				t.Errorf("dry run cascades (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.cleanup, cleanup); d != "" {
				t.Errorf("dry run cleanup (-want +got):\n%s", d)
			}
			if blocked := len(plan.Blockers) > 0; blocked != (tt.class != nil) {
				t.Errorf("dry run blockers %+v, want refusal %v", plan.Blockers, tt.class)
			}

			_, err = q().Delete(f.ctx, ln.DeleteOptions{Permanent: true})
			t.Logf("purge: %v", err)
			switch {
			case tt.class == nil && err != nil:
				t.Fatalf("purge: %v", err)
			case tt.class != nil && (!errors.Is(err, tt.class) || ln.ExitCode(err) != ln.ExitRefused):
				t.Fatalf("purge: %v (exit %d), want %v", err, ln.ExitCode(err), tt.class)
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q lacks %q", err, m)
				}
			}
			for _, n := range tt.notes {
				if !f.msgs.has(n) {
					t.Errorf("no message with %q in %q", n, f.msgs.lines)
				}
			}
			for _, from := range tt.gone {
				if n := f.count(from); n != 0 {
					t.Errorf("%d rows left in %s", n, from)
				}
			}
			for _, from := range tt.kept {
				if n := f.count(from); n == 0 {
					t.Errorf("no row left in %s", from)
				}
			}
		})
	}
}

// TestPurgeWithEveryTable purges a record of each registry in an instance
// that has all 85 tables of lamindb 2.9.1 and bionty's 56, as a default
// lamindb instance does: the rules of all their foreign keys apply (bionty's
// as PROTECT), and a purge nothing references still succeeds. The cases
// share one instance, in order (its schema takes seconds to build under
// -race), so each names its own rows.
func TestPurgeWithEveryTable(t *testing.T) {
	type target struct{ reg, uid string }
	tests := []struct {
		name  string
		setup func(f *fixture) target
		class error    // nil: purged
		msg   []string // in the error
		gone  []string // FROM clauses that count no row afterwards
		kept  []string // FROM clauses that count rows afterwards
	}{
		{
			name:  "artifact",
			setup: func(f *fixture) target { _, u := f.artifact("alone.txt"); return target{"artifact", u} },
			gone:  []string{"lamindb_artifact WHERE key = 'alone.txt'"},
		},
		{
			name: "collection: its links go, its artifacts stay",
			setup: func(f *fixture) target {
				_, a := f.artifact("a.txt")
				_, b := f.artifact("b.txt")
				c, err := f.in.CreateCollection(f.ctx, ln.CollectionOptions{Key: "c1", Artifacts: []string{a, b}})
				if err != nil {
					f.t.Fatal(err)
				}
				return target{"collection", c.Get("uid").(string)}
			},
			gone: []string{"lamindb_collection WHERE key = 'c1'", "lamindb_collectionartifact"},
			kept: []string{"lamindb_artifact WHERE key = 'a.txt'", "lamindb_artifact WHERE key = 'b.txt'"},
		},
		{
			name: "a collection's artifact is protected",
			setup: func(f *fixture) target {
				_, a := f.artifact("member.txt")
				if _, err := f.in.CreateCollection(f.ctx, ln.CollectionOptions{Key: "c2", Artifacts: []string{a}}); err != nil {
					f.t.Fatal(err)
				}
				return target{"artifact", a}
			},
			class: ln.ErrProtected,
			msg:   []string{"CollectionArtifact.artifact", "(Collection '"},
			kept:  []string{"lamindb_collectionartifact", "lamindb_artifact WHERE key = 'member.txt'"},
		},
		{
			name:  "ulabel",
			setup: func(f *fixture) target { _, u := f.ulabel("alone"); return target{"ulabel", u} },
			gone:  []string{"lamindb_ulabel WHERE name = 'alone'"},
		},
		{
			name: "a ulabel type with a label is protected",
			setup: func(f *fixture) target {
				if _, err := f.in.CreateULabel(f.ctx, ln.ULabelOptions{Name: "T", IsType: true}); err != nil {
					f.t.Fatal(err)
				}
				if _, err := f.in.CreateULabel(f.ctx, ln.ULabelOptions{Name: "l1", Type: "T"}); err != nil {
					f.t.Fatal(err)
				}
				var u string
				if err := f.db.QueryRow(`SELECT uid FROM lamindb_ulabel WHERE name = 'T'`).Scan(&u); err != nil {
					f.t.Fatal(err)
				}
				return target{"ulabel", u}
			},
			class: ln.ErrProtected,
			msg:   []string{"ULabel.type", "(ULabel '"},
			kept:  []string{"lamindb_ulabel WHERE name = 'T'"},
		},
		{
			name:  "transform and its run",
			setup: func(f *fixture) target { f.transform(); return target{"transform", "TTTTTTTTTTTT0000"} },
			gone:  []string{"lamindb_transform WHERE id = 7", "lamindb_run WHERE id = 9"},
		},
		{
			name: "run",
			setup: func(f *fixture) target {
				f.exec(`INSERT INTO lamindb_transform (id, uid, key, kind, is_latest, created_by_id) VALUES (17, 'VVVVVVVVVVVV0000', 'run.py', 'pipeline', 1, 1)`)
				f.exec(`INSERT INTO lamindb_run (id, uid, transform_id, created_by_id) VALUES (19, 'WWWWWWWWWWWWWWWW', 17, 1)`)
				return target{"run", "WWWWWWWWWWWWWWWW"}
			},
			gone: []string{"lamindb_run WHERE id = 19"},
			kept: []string{"lamindb_transform WHERE id = 17"},
		},
		{
			name: "storage",
			setup: func(f *fixture) target {
				s, err := f.in.CreateStorage(f.ctx, filepath.Join(f.dir, "second"))
				if err != nil {
					f.t.Fatal(err)
				}
				return target{"storage", s.Get("uid").(string)}
			},
			gone: []string{"lamindb_storage WHERE root LIKE '%/second'"},
		},
	}
	f := newFixture(t)
	f.tables(tableNames(t, lamindbDDL, "lamindb_")...)
	f.tablesFrom(biontyDDL, tableNames(t, biontyDDL, "bionty_")...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.env.t = t // the helpers fail this subtest
			defer func(outer *testing.T) { f.env.t = outer }(f.env.t)
			tg := tt.setup(f)
			_, err := f.in.Records(tg.reg).UID(tg.uid).Delete(f.ctx, ln.DeleteOptions{Permanent: true})
			t.Logf("purge: %v", err)
			switch {
			case tt.class == nil && err != nil:
				t.Fatalf("purge: %v", err)
			case tt.class != nil && !errors.Is(err, tt.class):
				t.Fatalf("purge: %v, want %v", err, tt.class)
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q lacks %q", err, m)
				}
			}
			for _, from := range tt.gone {
				if n := f.count(from); n != 0 {
					t.Errorf("%d rows left in %s", n, from)
				}
			}
			for _, from := range tt.kept {
				if n := f.count(from); n == 0 {
					t.Errorf("no row left in %s", from)
				}
			}
		})
	}
}
