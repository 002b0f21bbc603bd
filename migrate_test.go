package lamindb_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	ln "github.com/lamindb-go/lamindb"
)

// dumpRows returns every row of a table as "col=value" lines keyed by id,
// values as SQLite renders them as text.
func dumpRows(t *testing.T, db *sql.DB, table string) map[string]map[string]string {
	t.Helper()
	rows, err := db.Query(`SELECT * FROM ` + table)
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	out := map[string]map[string]string{}
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := map[string]string{}
		for i, c := range cols {
			row[c] = "NULL"
			if vals[i].Valid {
				row[c] = vals[i].String
			}
		}
		key := row["id"]
		if key == "" || key == "NULL" {
			key = row[cols[0]]
		}
		out[key] = row
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func openRaw(t *testing.T, file string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+file+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestMigrateV3Instance: an instance made by the release before lamindb's
// schema (testdata/v3-instance.tar.gz, see make-v3-instance.sh) is migrated in
// place when it is opened, losing nothing: every row of every table keeps
// every value (the SHA-256 moves from _aux to our own table; the storage root
// follows the folder, which was moved), the audit log stays, the bytes check
// clean, and the lifecycle goes on where it stood.
func TestMigrateV3Instance(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("tar", "xzf", "testdata/v3-instance.tar.gz", "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("extract: %v %s", err, out)
	}
	root := filepath.Join(dir, "v3inst")
	dbFile := filepath.Join(root, ".lamindb", "lamin.db")
	// A copy to read the old rows from: the original is migrated in place.
	oldFile := filepath.Join(dir, "old.db")
	b, err := os.ReadFile(dbFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(oldFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	old := openRaw(t, oldFile)
	var oldVersion int
	if err := old.QueryRow(`SELECT max(version_id) FROM lamin_goose_db_version`).Scan(&oldVersion); err != nil || oldVersion != 3 {
		t.Fatalf("the fixture has schema version %d (%v), want 3", oldVersion, err)
	}
	tables := []string{"lamindb_space", "lamindb_user", "lamindb_branch", "lamindb_storage", "lamindb_transform", "lamindb_run",
		"lamindb_artifact", "lamindb_collection", "lamindb_collectionartifact", "lamindb_ulabel",
		"lamin_storing", "lamin_purge_intent", "lamin_audit_event", "lamin_setting"}
	before := map[string]map[string]map[string]string{}
	for _, tbl := range tables {
		before[tbl] = dumpRows(t, old, tbl)
	}
	if len(before["lamindb_artifact"]) < 8 || len(before["lamin_audit_event"]) == 0 {
		t.Fatalf("the fixture is thinner than expected: %d artifacts, %d audit events", len(before["lamindb_artifact"]), len(before["lamin_audit_event"]))
	}

	m := &messages{}
	opts := ln.Options{Settings: ln.SettingsIn(filepath.Join(dir, "settings")), Notify: m.notify}
	in, err := ln.Connect(context.Background(), root, opts)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer in.Close()
	if !m.has("updated the storage root") {
		t.Errorf("connect did not say it followed the moved folder: %v", m.lines)
	}

	now := openRaw(t, dbFile)
	for _, tbl := range tables {
		after := dumpRows(t, now, tbl)
		if len(after) != len(before[tbl]) {
			t.Errorf("%s: %d rows, had %d", tbl, len(after), len(before[tbl]))
		}
		for id, row := range before[tbl] {
			got, ok := after[id]
			if !ok {
				t.Errorf("%s: row %s lost", tbl, id)
				continue
			}
			for col, v := range row {
				want := v
				switch {
				case tbl == "lamindb_storage" && col == "root":
					want = filepath.ToSlash(root)
				case tbl == "lamindb_storage" && col == "updated_at":
					continue // the root changed
				case tbl == "lamindb_artifact" && col == "_aux":
					want = "NULL" // only our SHA-256 was in it
				}
				if g, ok := got[col]; !ok {
					t.Errorf("%s row %s: column %s lost", tbl, id, col)
				} else if g != want {
					t.Errorf("%s row %s: %s = %q, was %q", tbl, id, col, g, want)
				}
			}
		}
	}
	shas := dumpRows(t, now, "lamin_artifact_sha256")
	for id, row := range before["lamindb_artifact"] {
		var want string
		fmt.Sscanf(strings.TrimPrefix(row["_aux"], `{"sha256":"`), "%64s", &want)
		if got := shas[id]["sha256"]; got != want || len(want) != 64 {
			t.Errorf("artifact %s: sha256 %q, _aux had %s", id, got, row["_aux"])
		}
	}
	var migrations int
	if err := now.QueryRow(`SELECT count(*) FROM django_migrations WHERE app = 'lamindb'`).Scan(&migrations); err != nil || migrations != 19 {
		t.Errorf("django_migrations: %d rows (%v), want 19", migrations, err)
	}

	ctx := context.Background()
	r, err := in.Check(ctx, ln.CheckOptions{Deep: true})
	if err != nil || !r.OK() {
		t.Fatalf("check --deep after migrating: %+v %v", r, err)
	}
	// The lifecycle goes on: a new version, the trash, a purge.
	src := filepath.Join(dir, "v.txt")
	os.WriteFile(src, []byte("v3\n"), 0o644)
	res, err := in.SaveMany(ctx, []ln.SaveItem{{Path: src, SaveOptions: ln.SaveOptions{Key: "data/v.txt"}}})
	if err != nil {
		t.Fatal(err)
	}
	if uid := res[0].UID; !strings.HasSuffix(uid, "0002") {
		t.Errorf("new version %s, want the third of its family", uid)
	}
	if n, err := in.Artifacts().Branch(ln.TrashBranch).Count(ctx); err != nil || n != 1 {
		t.Fatalf("trash: %d %v", n, err)
	}
	if _, err := in.Artifacts().Key("trash.txt").Delete(ctx, ln.DeleteOptions{Permanent: true}); err != nil {
		t.Fatalf("purge: %v", err)
	}
	if n, err := in.Artifacts().Branch(ln.TrashBranch).Count(ctx); err != nil || n != 0 {
		t.Fatalf("trash after the purge: %d %v", n, err)
	}
	if r, err := in.Check(ctx, ln.CheckOptions{Deep: true}); err != nil || !r.OK() {
		t.Fatalf("check --deep at the end: %+v %v", r, err)
	}
}
