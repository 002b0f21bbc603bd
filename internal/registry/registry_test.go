package registry_test

import (
	"context"
	"errors"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lamindb-go/lamindb/internal/registry"
	"github.com/lamindb-go/lamindb/internal/sqldb"
)

// TestRelationsMatchSpec states spec §1.13/§5 for our tables and compares:
// a readable spot check beside TestRelationsMatchOnDelete, which checks all.
func TestRelationsMatchSpec(t *testing.T) {
	type row struct {
		Table, Column, Parent string
		Rule                  registry.Rule
	}
	P, C := registry.Protect, registry.Cascade
	var want []row
	tracked := func(table string) {
		want = append(want,
			row{table, "branch_id", "branch", P},
			row{table, "created_on_id", "branch", P},
			row{table, "space_id", "space", P})
	}
	for _, tb := range []string{"lamindb_artifact", "lamindb_collection", "lamindb_storage", "lamindb_transform", "lamindb_run", "lamindb_ulabel"} {
		tracked(tb)
	}
	want = append(want,
		// Artifact: storage, run, created_by protect their parents.
		row{"lamindb_artifact", "storage_id", "storage", P},
		row{"lamindb_artifact", "run_id", "run", P},
		row{"lamindb_artifact", "created_by_id", "user", P},
		// Schema is not one of our registries: no Parent, but still PROTECT.
		row{"lamindb_artifact", "schema_id", "", P},
		// Collection: meta_artifact is PROTECT (one-to-one).
		row{"lamindb_collection", "meta_artifact_id", "artifact", P},
		row{"lamindb_collection", "run_id", "run", P},
		row{"lamindb_collection", "created_by_id", "user", P},
		row{"lamindb_collection", "schema_id", "", P},
		// CollectionArtifact: deleting a collection drops its links; an artifact in a collection is protected.
		row{"lamindb_collectionartifact", "collection_id", "collection", C},
		row{"lamindb_collectionartifact", "artifact_id", "artifact", P},
		row{"lamindb_collectionartifact", "run_id", "run", P},
		row{"lamindb_collectionartifact", "created_by_id", "user", P},
		row{"lamindb_storage", "run_id", "run", P},
		row{"lamindb_storage", "created_by_id", "user", P},
		// Transform: deleting an environment/plan artifact deletes the transform.
		row{"lamindb_transform", "environment_id", "artifact", C},
		row{"lamindb_transform", "plan_id", "artifact", C},
		row{"lamindb_transform", "run_id", "run", P},
		row{"lamindb_transform", "created_by_id", "user", P},
		// Run: its artifacts are protected; transform, user and initiating run cascade.
		row{"lamindb_run", "environment_id", "artifact", P},
		row{"lamindb_run", "plan_id", "artifact", P},
		row{"lamindb_run", "report_id", "artifact", P},
		row{"lamindb_run", "transform_id", "transform", C},
		row{"lamindb_run", "created_by_id", "user", C},
		row{"lamindb_run", "initiated_by_run_id", "run", C},
		row{"lamindb_ulabel", "type_id", "ulabel", P},
		row{"lamindb_ulabel", "run_id", "run", P},
		row{"lamindb_ulabel", "created_by_id", "user", P},
		row{"lamindb_branch", "space_id", "space", P},
		row{"lamindb_branch", "created_by_id", "user", P},
		row{"lamindb_space", "created_by_id", "user", C},
	)
	ours := map[string]bool{"lamindb_collectionartifact": true}
	for _, r := range registry.All() {
		ours[r.Table] = true
	}
	var got []row
	for _, r := range registry.Relations {
		if ours[r.Table] {
			got = append(got, row{r.Table, r.Column, r.Parent, r.Rule})
		}
	}
	less := func(s []row) func(i, j int) bool {
		return func(i, j int) bool {
			if s[i].Table != s[j].Table {
				return s[i].Table < s[j].Table
			}
			return s[i].Column < s[j].Column
		}
	}
	sort.Slice(want, less(want))
	sort.Slice(got, less(got))
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Relations mismatch (-spec +got):\n%s", d)
	}
}

func TestRelationNames(t *testing.T) {
	tests := []struct {
		name, table, column, want string
	}{
		{"link table", "lamindb_collectionartifact", "artifact_id", "CollectionArtifact.artifact"},
		{"artifact storage", "lamindb_artifact", "storage_id", "Artifact.storage"},
		{"meta artifact", "lamindb_collection", "meta_artifact_id", "Collection.meta_artifact"},
		{"initiated by run", "lamindb_run", "initiated_by_run_id", "Run.initiated_by_run"},
		{"ulabel type", "lamindb_ulabel", "type_id", "ULabel.type"},
		{"inherited field, concrete model", "lamindb_artifactulabel", "run_id", "ArtifactULabel.run"},
		{"value side of a link", "lamindb_artifactartifact", "value_id", "ArtifactArtifact.value"},
		{"auto-created through table", "lamindb_artifact_input_of_runs", "run_id", "Artifact_input_of_runs.run"},
		{"self-referencing through table", "lamindb_ulabel_parents", "from_ulabel_id", "ULabel_parents.from_ulabel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range registry.Relations {
				if r.Table == tt.table && r.Column == tt.column {
					if r.Name != tt.want {
						t.Errorf("Name=%q, want %q", r.Name, tt.want)
					}
					return
				}
			}
			t.Errorf("no relation %s.%s", tt.table, tt.column)
		})
	}
}

func TestReferencesTo(t *testing.T) {
	tests := []struct {
		name, parent string
		want         []string
	}{
		{"storage", "lamindb_storage", []string{"Artifact.storage"}},
		{"collection", "lamindb_collection", []string{"Collection__actions.collection", "Collection_input_of_runs.collection",
			"Collection_recreating_runs.collection", "CollectionArtifact.collection", "CollectionBlock.collection",
			"CollectionProject.collection", "CollectionRecord.collection", "CollectionReference.collection",
			"CollectionULabel.collection", "RecordCollection.value"}},
		{"not one of our registries", "lamindb_jsonvalue", []string{"ArtifactJsonValue.jsonvalue", "RunJsonValue.jsonvalue"}},
		{"registry name is not a table", "storage", nil},
		{"unknown", "nope", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range registry.ReferencesTo(tt.parent) {
				got = append(got, r.Name)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("ReferencesTo(%q) (-want +got):\n%s", tt.parent, d)
			}
		})
	}
}

// TestSchemaAgreement checks the declarations against a real migrated database.
func TestSchemaAgreement(t *testing.T) {
	ctx := context.Background()
	db, err := sqldb.OpenSQLite(ctx, filepath.Join(t.TempDir(), "lamin.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	typeOf := func(decl string) registry.ColType {
		d := strings.ToLower(decl)
		switch {
		case strings.Contains(d, "int"):
			return registry.Int
		case d == "bool":
			return registry.Bool
		case d == "datetime":
			return registry.Time
		}
		return registry.Text
	}
	for _, r := range registry.All() {
		t.Run(r.Name, func(t *testing.T) {
			rows, err := db.QueryContext(ctx, `SELECT name, type FROM pragma_table_info(?) ORDER BY cid`, r.Table)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			types := map[string]registry.ColType{}
			for rows.Next() {
				var n, ty string
				if err := rows.Scan(&n, &ty); err != nil {
					t.Fatal(err)
				}
				names = append(names, n)
				types[n] = typeOf(ty)
			}
			rows.Close()
			if d := cmp.Diff(names, r.ColumnNames()); d != "" {
				t.Errorf("Columns differ from PRAGMA table_info (-db +registry):\n%s", d)
			}
			for _, c := range r.Columns {
				want := types[c.Name]
				if c.Type == registry.JSON && want == registry.Text {
					continue // JSON is stored as text
				}
				if c.Type != want {
					t.Errorf("column %s: type %v, table says %v", c.Name, c.Type, want)
				}
			}
			for _, n := range r.List {
				if _, ok := r.Column(n); !ok {
					t.Errorf("List entry %q is not a column", n)
				}
			}
			if _, ok := r.Column("branch_id"); ok != r.HasBranch {
				t.Errorf("HasBranch=%v, branch_id present=%v", r.HasBranch, ok)
			}
		})
	}

	// Every physical foreign key of a lamindb table has exactly one
	// relation, to the same table; every relation of a table this schema has
	// names an existing column (the schema lacks most link tables), and its
	// Parent is the registry of its parent table.
	tables, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'lamin%'`)
	if err != nil {
		t.Fatal(err)
	}
	exists := map[string]bool{}
	var tabs []string
	for tables.Next() {
		var n string
		tables.Scan(&n)
		tabs = append(tabs, n)
		exists[n] = true
	}
	tables.Close()
	count := func(table, column string) int {
		n := 0
		for _, r := range registry.Relations {
			if r.Table == table && r.Column == column {
				n++
			}
		}
		return n
	}
	tableOf := map[string]string{}
	for _, r := range registry.All() {
		tableOf[r.Table] = r.Name
	}
	for _, tb := range tabs {
		fks, err := db.QueryContext(ctx, `SELECT "table", "from" FROM pragma_foreign_key_list(?)`, tb)
		if err != nil {
			t.Fatal(err)
		}
		for fks.Next() {
			var parent, from string
			fks.Scan(&parent, &from)
			if n := count(tb, from); n != 1 {
				t.Errorf("FK %s.%s → %s: %d relations, want 1", tb, from, parent, n)
			}
			for _, r := range registry.Relations {
				if r.Table == tb && r.Column == from && r.ParentTable != parent {
					t.Errorf("relation %s: parent %q, schema says table %s", r.Name, r.ParentTable, parent)
				}
			}
		}
		fks.Close()
	}
	for _, r := range registry.Relations {
		if r.Parent != tableOf[r.ParentTable] {
			t.Errorf("relation %s: Parent %q, parent table %s is registry %q", r.Name, r.Parent, r.ParentTable, tableOf[r.ParentTable])
		}
		if !exists[r.Table] {
			continue
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`, r.Table, r.Column).Scan(&n); err != nil || n != 1 {
			t.Errorf("relation %s: column %s.%s does not exist (%v)", r.Name, r.Table, r.Column, err)
		}
	}
}

func TestColumnFKDerivedFromRelations(t *testing.T) {
	tests := []struct {
		name, reg, col, want string
	}{
		{"artifact storage", "artifact", "storage_id", "storage"},
		{"artifact schema has no relation", "artifact", "schema_id", ""},
		{"run transform", "run", "transform_id", "transform"},
		{"run initiated_by_run", "run", "initiated_by_run_id", "run"},
		{"space created_by", "space", "created_by_id", "user"},
		{"plain column", "artifact", "key", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := registry.Lookup(tt.reg)
			if err != nil {
				t.Fatal(err)
			}
			c, ok := r.Column(tt.col)
			if !ok {
				t.Fatalf("no column %s", tt.col)
			}
			if c.FK != tt.want {
				t.Errorf("FK=%q, want %q", c.FK, tt.want)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{"name", "artifact", "artifact", false},
		{"class name", "ULabel", "ulabel", false},
		{"2023 alias file", "file", "artifact", false},
		{"2023 alias dataset", "dataset", "collection", false},
		{"unknown", "foo", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := registry.Lookup(tt.in)
			if tt.wantErr {
				if !errors.Is(err, registry.ErrUnknown) {
					t.Fatalf("err=%v, want ErrUnknown", err)
				}
				want := "unknown registry 'foo'; available registries: artifact, collection, transform, run, ulabel, storage, user, branch, space"
				if err.Error() != want {
					t.Errorf("err=%q, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Name != tt.want {
				t.Errorf("Name=%q, want %q", r.Name, tt.want)
			}
		})
	}
}

func TestUIDShapes(t *testing.T) {
	tests := []struct {
		name             string
		versioned        bool
		stem, uid        int
		trash, hasBranch bool
	}{
		{"artifact", true, 16, 20, true, true},
		{"collection", true, 16, 20, true, true},
		{"transform", true, 12, 16, true, true},
		{"run", false, 0, 16, true, true},
		{"ulabel", false, 0, 8, true, true},
		{"storage", false, 0, 12, false, true},
		{"user", false, 0, 8, false, false},
		{"branch", false, 0, 12, false, false},
		{"space", false, 0, 12, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := registry.Lookup(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			got := []any{r.Versioned, r.StemLen, r.UIDLen, r.Trashable, r.HasBranch}
			want := []any{tt.versioned, tt.stem, tt.uid, tt.trash, tt.hasBranch}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}
