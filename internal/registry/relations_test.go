package registry_test

import (
	"bufio"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"

	"github.com/lamindb-go/lamindb/internal/registry"
)

// referenceDir holds the project's copies of reference/lamindb-2.9.1: facts
// about lamindb 2.9.1 that the declarations reproduce.
var referenceDir = filepath.Join("..", "..", "testdata", "lamindb-2.9.1")

// onDeleteFK is one row of on-delete.md's tables.
type onDeleteFK struct {
	Table, Column, Target, Rule string
	Declared                    string // Model.field of the declaration, "" for inherited or auto-created fields
}

// readOnDelete parses every foreign key of on-delete.md.
func readOnDelete(t *testing.T) []onDeleteFK {
	t.Helper()
	f, err := os.Open(filepath.Join(referenceDir, "on-delete.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile(`^\| \d+ \| (\w+) \| (\w+) \| (\w+) \| \*\*(\w+)\*\* \| (?:NOT NULL|NULL) \| (.*) \|$`)
	field := regexp.MustCompile("`(\\w+)\\.(\\w+)`$")
	var out []onDeleteFK
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := row.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		fk := onDeleteFK{Table: m[1], Column: m[2], Target: m[3], Rule: m[4]}
		// A field declared on the table's own model names the relation as
		// Django does; inherited ones are declared on a base (TracksRun.run).
		if d := field.FindStringSubmatch(m[5]); d != nil && "lamindb_"+strings.ToLower(d[1]) == fk.Table {
			fk.Declared = d[1] + "." + d[2]
		}
		out = append(out, fk)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRelationsMatchOnDelete compares the declarations with on-delete.md, both
// ways: the same 322 foreign keys, targets, rules and Django names.
func TestRelationsMatchOnDelete(t *testing.T) {
	md := readOnDelete(t)
	if len(md) != 322 {
		t.Fatalf("on-delete.md: %d foreign keys parsed, want 322", len(md))
	}
	type key struct{ table, column string }
	declared := map[key]registry.Relation{}
	for _, r := range registry.Relations {
		if _, dup := declared[key{r.Table, r.Column}]; dup {
			t.Errorf("%s.%s declared twice", r.Table, r.Column)
		}
		declared[key{r.Table, r.Column}] = r
	}
	cascades := 0
	for _, fk := range md {
		r, ok := declared[key{fk.Table, fk.Column}]
		if !ok {
			t.Errorf("%s.%s → %s (%s) is not declared", fk.Table, fk.Column, fk.Target, fk.Rule)
			continue
		}
		delete(declared, key{fk.Table, fk.Column})
		if r.ParentTable != fk.Target || r.Rule.String() != fk.Rule {
			t.Errorf("%s.%s: declared → %s %v, on-delete.md says → %s %s", fk.Table, fk.Column, r.ParentTable, r.Rule, fk.Target, fk.Rule)
		}
		if fk.Declared != "" && r.Name != fk.Declared {
			t.Errorf("%s.%s: Name %q, declared as %s", fk.Table, fk.Column, r.Name, fk.Declared)
		}
		if r.Rule == registry.Cascade {
			cascades++
		}
	}
	for k := range declared {
		t.Errorf("%s.%s is declared but not in on-delete.md", k.table, k.column)
	}
	if cascades != 92 {
		t.Errorf("%d CASCADE, on-delete.md counts 92", cascades)
	}
}

// loadDDL replays section 1 (the DDL) of a schema file into a fresh SQLite
// database.
func loadDDL(t *testing.T, file string) *sql.DB {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(referenceDir, file))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "\n-- 1. DDL")
	if start < 0 {
		t.Fatalf("%s: no section 1", file)
	}
	// The section begins after the rule that closes its heading and ends at
	// the rule that opens section 2.
	rule := "\n-- ===================================================================="
	start += strings.Index(text[start:], rule) + len(rule)
	end := start + strings.Index(text[start:], "\n-- 2. ")
	end = strings.LastIndex(text[:end], rule)
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "lamin.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// One transaction: a commit per statement would sync 700 times.
	if _, err := db.Exec("BEGIN;\n" + text[start:end] + "\nCOMMIT;"); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return db
}

// schemaFK is one foreign key as SQLite reads it from a schema.
type schemaFK struct{ Table, Column, Parent string }

func foreignKeys(t *testing.T, db *sql.DB) []schemaFK {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT m.name, p."from", p."table" FROM sqlite_master m
		JOIN pragma_foreign_key_list(m.name) p WHERE m.type = 'table' ORDER BY m.name, p."from"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []schemaFK
	for rows.Next() {
		var f schemaFK
		if err := rows.Scan(&f.Table, &f.Column, &f.Parent); err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRelationsMatchSchemas reads every foreign key of lamindb 2.9.1's SQLite
// schemas: each lamindb one is declared, with on-delete.md's rule, and every
// declaration is in the schema; a bionty one is not declared, so it is
// PROTECT when an instance is opened.
func TestRelationsMatchSchemas(t *testing.T) {
	rules := map[[2]string]string{}
	for _, fk := range readOnDelete(t) {
		rules[[2]string{fk.Table, fk.Column}] = fk.Rule
	}
	declared := map[[2]string]registry.Relation{}
	for _, r := range registry.Relations {
		declared[[2]string{r.Table, r.Column}] = r
	}
	tests := []struct {
		name, file      string
		lamindb, bionty int // foreign keys of lamindb_* and bionty_* tables
	}{
		{name: "without modules", file: "schema-sqlite.sql", lamindb: 322},
		{name: "default with bionty", file: "schema-sqlite-default-with-bionty.sql", lamindb: 322, bionty: 249},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := loadDDL(t, tt.file)
			seen := map[[2]string]bool{}
			var lamindb, bionty int
			for _, f := range foreignKeys(t, db) {
				k := [2]string{f.Table, f.Column}
				r, ok := declared[k]
				switch {
				case strings.HasPrefix(f.Table, "lamindb_"):
					lamindb++
					seen[k] = true
					if !ok {
						t.Errorf("%s.%s → %s is not declared", f.Table, f.Column, f.Parent)
						continue
					}
					if r.ParentTable != f.Parent || r.Rule.String() != rules[k] {
						t.Errorf("%s.%s: declared → %s %v; schema → %s, on-delete.md %s", f.Table, f.Column, r.ParentTable, r.Rule, f.Parent, rules[k])
					}
				case strings.HasPrefix(f.Table, "bionty_"):
					bionty++
					if ok {
						t.Errorf("bionty foreign key %s.%s is declared (%s): it must be read at open, as PROTECT", f.Table, f.Column, r.Name)
					}
				default:
					t.Errorf("foreign key of an unexpected table: %s.%s", f.Table, f.Column)
				}
			}
			for k, r := range declared {
				if !seen[k] {
					t.Errorf("declared %s (%s.%s) is not in the schema", r.Name, k[0], k[1])
				}
			}
			if lamindb != tt.lamindb {
				t.Errorf("%d lamindb foreign keys, want %d", lamindb, tt.lamindb)
			}
			if bionty != tt.bionty {
				t.Errorf("%d bionty foreign keys, want %d", bionty, tt.bionty)
			}
		})
	}
}

// TestClassOf checks the Django model names errors use for rows of tables
// that are not our registries.
func TestClassOf(t *testing.T) {
	tests := []struct{ name, table, want string }{
		{"registry", "lamindb_artifact", "Artifact"},
		{"registry without foreign keys", "lamindb_user", "User"},
		{"record table", "lamindb_record", "Record"},
		{"link table", "lamindb_artifactulabel", "ArtifactULabel"},
		{"block", "lamindb_artifactblock", "ArtifactBlock"},
		{"auto-created through table", "lamindb_artifact_input_of_runs", "Artifact_input_of_runs"},
		{"another module's", "bionty_gene", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := registry.ClassOf(tt.table); got != tt.want {
				t.Errorf("ClassOf(%q)=%q, want %q", tt.table, got, tt.want)
			}
		})
	}
	// Every lamindb table of the schema has a class.
	db := loadDDL(t, "schema-sqlite.sql")
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'lamindb\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var missing []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		if registry.ClassOf(n) == "" {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if d := cmp.Diff([]string(nil), missing); d != "" {
		t.Errorf("tables without a class:\n%s", d)
	}
}
