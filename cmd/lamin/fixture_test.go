package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fixtureTar is an instance the real lamindb 2.9.1 made (default init, so
// with its 56 bionty tables), recorded at /srv/lamin-fixture.
const fixtureTar = "../../testdata/lamindb-2.9.1/fixture-instance.tar.gz"

// fixtureArtifact is an artifact as the fixture's summary.json records it.
type fixtureArtifact struct {
	ID        int64   `json:"id"`
	UID       string  `json:"uid"`
	Key       *string `json:"key"`
	Suffix    string  `json:"suffix"`
	Size      int64   `json:"size"`
	Hash      string  `json:"hash"`
	NFiles    *int64  `json:"n_files"`
	IsLatest  bool    `json:"is_latest"`
	BranchID  int64   `json:"branch_id"`
	StorageID int64   `json:"storage_id"`
}

type fixtureSummary struct {
	Instance struct {
		Slug, ID, UID, StorageUID string
	} `json:"instance"`
	Artifacts  map[string]fixtureArtifact `json:"artifacts"`
	Collection struct {
		UID          string   `json:"uid"`
		ArtifactUIDs []string `json:"artifact_uids"`
	} `json:"collection"`
}

// extractFixture unpacks the fixture into dir/name (the folder renamed, so
// that the recorded root differs from where it lies, as for any copied
// instance) and returns the root and lamindb's summary of it.
func extractFixture(t *testing.T, dir, name string) (string, fixtureSummary) {
	t.Helper()
	tmp := filepath.Join(dir, ".fixture-"+name)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("tar", "xzf", fixtureTar, "-C", tmp).CombinedOutput(); err != nil {
		t.Fatalf("extract the fixture: %v %s", err, out)
	}
	root := filepath.Join(dir, name)
	if err := os.Rename(filepath.Join(tmp, "lamin-fixture"), root); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(tmp, "lamin-fixture-meta", "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s fixtureSummary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(tmp)
	return root, s
}

// TestLamindbFixture: an instance made by the real lamindb, copied elsewhere,
// is opened by path (its marker decides, and says so); every branch lists
// exactly what lamindb recorded; the DataFrame and the folder load; the head
// of data/v.txt is trashed, restored and purged (the other version becomes
// the latest, its file goes); the collection's member cannot be purged; new
// files and a new version are saved; `lamin check` is clean throughout.
func TestLamindbFixture(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root, sum := extractFixture(t, e.dir, "copied-fixture")
	r := e.ok("connect", root)
	if !strings.Contains(r.stderr, "updated the storage root of anonymous/lamin-fixture from /srv/lamin-fixture to "+root) {
		t.Errorf("connect did not say what it did:\n%s", r)
	}
	checkClean(t, e)

	// Every branch, compared with lamindb's own summary.
	byUID := map[string]map[string]any{}
	for _, a := range e.list("artifact", "--branch", "all") {
		byUID[a["uid"].(string)] = a
	}
	if len(byUID) != len(sum.Artifacts) {
		t.Fatalf("%d artifacts on all branches, lamindb recorded %d", len(byUID), len(sum.Artifacts))
	}
	for name, want := range sum.Artifacts {
		got, ok := byUID[want.UID]
		if !ok {
			t.Errorf("%s (%s) not listed", name, want.UID)
			continue
		}
		for _, c := range []struct {
			field string
			want  any
		}{
			{"id", float64(want.ID)}, {"size", float64(want.Size)}, {"hash", want.Hash}, {"is_latest", want.IsLatest},
			{"branch_id", float64(want.BranchID)}, {"storage_id", float64(want.StorageID)}, {"suffix", want.Suffix},
		} {
			if got[c.field] != c.want {
				t.Errorf("%s: %s = %v, lamindb recorded %v", name, c.field, got[c.field], c.want)
			}
		}
	}
	for branch, n := range map[string]int{"main": 4, "trash": 1} {
		if got := len(e.list("artifact", "--branch", branch)); got != n {
			t.Errorf("branch %s: %d artifacts, want %d", branch, got, n)
		}
	}

	// The DataFrame and the folder load from where the instance now lies.
	df := sum.Artifacts["df"]
	p := strings.TrimSpace(e.ok("load", "artifact", "--uid", df.UID).stdout)
	if want := filepath.Join(root, ".lamindb", df.UID+".parquet"); p != want {
		t.Errorf("load DataFrame: %s, want %s", p, want)
	}
	if fi, err := os.Stat(p); err != nil || fi.Size() != df.Size {
		t.Errorf("DataFrame bytes: %v %v", fi, err)
	}
	folder := strings.TrimSpace(e.ok("load", "artifact", "--key", "raw").stdout)
	if files := listFiles(t, folder); strings.Join(files, " ") != "a.txt b.txt sub/c.txt" {
		t.Errorf("folder %s holds %v", folder, files)
	}

	// Trash, restore and purge the head of data/v.txt.
	v1, v2 := sum.Artifacts["v1"], sum.Artifacts["v2"]
	e.ok("delete", "artifact", "--uid", v2.UID)
	if a := e.list("artifact", "--filter", "uid="+v1.UID); len(a) != 1 || a[0]["is_latest"] != true {
		t.Errorf("after trashing the head, the other version: %v", a)
	}
	e.ok("restore", "artifact", "--uid", v2.UID)
	e.ok("delete", "artifact", "--uid", v2.UID, "--permanent")
	if _, err := os.Stat(filepath.Join(root, ".lamindb", v2.UID+".txt")); !os.IsNotExist(err) {
		t.Errorf("the purged version's file is still there: %v", err)
	}
	if a := e.list("artifact", "--filter", "key=data/v.txt"); len(a) != 1 || a[0]["uid"] != v1.UID || a[0]["is_latest"] != true {
		t.Errorf("data/v.txt after the purge: %v", a)
	}
	checkClean(t, e)

	// The collection's member is protected.
	r = e.want(4, "delete", "artifact", "--uid", sum.Collection.ArtifactUIDs[0], "--permanent")
	if !strings.Contains(r.stderr, "CollectionArtifact.artifact") {
		t.Errorf("refusal does not name the relation:\n%s", r)
	}

	// New files, a dedup against lamindb's row (hashed once), a new version.
	e.write("new.txt", "new file\n")
	e.saveUID(e.path("new.txt"), "--key", "new/new.txt")
	os.MkdirAll(e.path("copy"), 0o755)
	b, _ := os.ReadFile(filepath.Join(root, ".lamindb", v1.UID+".txt"))
	e.write("copy/v.txt", string(b))
	if u := e.saveUID(e.path("copy/v.txt"), "--key", "elsewhere.txt"); u != v1.UID {
		t.Errorf("the same content as lamindb's %s was saved as a new artifact %s", v1.UID, u)
	}
	e.write("v3.txt", "v3\n")
	u := e.saveUID(e.path("v3.txt"), "--key", "data/v.txt")
	if u[:16] != v1.UID[:16] || u == v1.UID {
		t.Errorf("new version %s is not of the family %s", u, v1.UID[:16])
	}
	e.ok("update", "artifact", "--uid", u, "--description", "third")
	e.ok("create", "collection", "--key", "col2", "--artifact", u, "--artifact", v1.UID)
	e.ok("delete", "artifact", "--filter", "key__startswith=new/", "--dry-run")
	e.ok("delete", "artifact", "--filter", "key__startswith=new/")
	e.ok("delete", "artifact", "--filter", "key__startswith=new/", "--branch", "trash", "--permanent", "--yes")
	checkClean(t, e)
	if r := e.ok("check", "--deep"); r.stdout != strings.Replace(cleanCheck, "managed files", "bytes with the wrong hash: 0\nmanaged files", 1) {
		t.Errorf("check --deep:\n%s", r)
	}
}

// listFiles lists the files below dir, relative and sorted.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNewerLamindb: an instance a later lamindb migrated further (a lamindb
// migration after 0193 in django_migrations) is read with a warning naming
// that migration, and every write exits 1 with it, changing nothing.
func TestNewerLamindb(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root, sum := extractFixture(t, e.dir, "newer")
	e.ok("connect", root) // records the moved root while it still may
	db := openDB(t, root)
	if _, err := db.Exec(`INSERT INTO django_migrations (app, name, applied) VALUES ('lamindb', '0194_v2_10', '2027-03-01 00:00:00')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	const notice = "migrated by a newer lamindb (its django_migrations hold lamindb migration 0194_v2_10"
	r := e.ok("list", "artifact")
	if !strings.Contains(r.stderr, "! the instance was "+notice) || !strings.Contains(r.stdout, sum.Artifacts["df"].UID) {
		t.Errorf("list on a newer lamindb's instance:\n%s", r)
	}
	before := e.list("artifact", "--branch", "all")
	for _, args := range [][]string{
		{"delete", "artifact", "--uid", sum.Artifacts["v2"].UID},
		{"save", e.write("n.txt", "n\n"), "--key", "n.txt"},
		{"update", "artifact", "--uid", sum.Artifacts["v1"].UID, "--description", "x"},
	} {
		if r := e.want(1, args...); !strings.Contains(r.stderr, notice) {
			t.Errorf("%v: the refusal does not name the migration:\n%s", args, r)
		}
	}
	if after := e.list("artifact", "--branch", "all"); len(after) != len(before) {
		t.Errorf("writes changed the instance: %d artifacts, had %d", len(after), len(before))
	}
}

// TestOurRowsOutliveLamindbRows: Python lamindb deletes rows without knowing
// ours. A purged artifact's SHA-256 and audit events, and a storing mark whose
// artifact row is gone, neither fail `check` nor confuse the repair, and the
// id is never given to another artifact.
func TestOurRowsOutliveLamindbRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := e.init("inst")
	u := e.saveUID(e.write("a.txt", "a\n"), "--key", "a.txt")
	e.ok("delete", "artifact", "--uid", u)
	db := openDB(t, root)
	var id int64
	if err := db.QueryRow(`SELECT id FROM lamindb_artifact WHERE uid = ?`, u).Scan(&id); err != nil {
		t.Fatal(err)
	}
	// What lamindb's artifact.delete(permanent=True) does: the row and the file go.
	for _, q := range []string{`DELETE FROM lamindb_artifact WHERE uid = '` + u + `'`,
		`INSERT INTO lamin_storing (artifact_id, owner, tmp_path, started_at) VALUES (9999, 'gone', '.lamindb/.staging/x', '2020-01-01 00:00:00')`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	var shas int
	db.QueryRow(`SELECT count(*) FROM lamin_artifact_sha256 WHERE artifact_id = ?`, id).Scan(&shas)
	db.Close()
	if shas != 1 {
		t.Fatalf("the SHA-256 row should outlive lamindb's row for this test: %d", shas)
	}
	os.Remove(filepath.Join(root, ".lamindb", u+".txt"))
	checkClean(t, e) // the open repaired the mark without a row
	if r := e.ok("log"); !strings.Contains(r.stdout, u) {
		t.Errorf("the audit events of the gone artifact are gone:\n%s", r)
	}
	// Same content again: a new artifact with a new id, not the gone one.
	n := e.saveUID(e.write("b.txt", "a\n"), "--key", "a.txt")
	got := e.list("artifact", "--filter", "uid="+n)
	if n == u || len(got) != 1 || got[0]["id"] == float64(id) {
		t.Errorf("the new artifact %s (%v) reuses the gone one %s (id %d)", n, got, u, id)
	}
	checkClean(t, e)
}

// TestLamindbSettingsFile: the settings file is lamindb's. What lamindb wrote
// into it survives a `lamin connect` that rewrites it (the moved root), and a
// PostgreSQL instance's file is refused with a clear message that does not
// print the password.
func TestLamindbSettingsFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root, _ := extractFixture(t, e.dir, "kept")
	file := filepath.Join(e.settingsDir(), "instance--anonymous--lamin-fixture.env")
	os.MkdirAll(e.settingsDir(), 0o755)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(fixtureTar), "lamindb-2.9.1-settings.env"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("lamindb_instance_git_repo=null", "lamindb_instance_git_repo=https://example.org/repo",
		"lamindb_instance_keep_artifacts_local=False", "lamindb_instance_keep_artifacts_local=True").Replace(string(b))
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	e.ok("connect", root)
	got, _ := os.ReadFile(file)
	want := strings.Replace(text, "storage_root=/srv/lamin-fixture", "storage_root="+root, 1)
	if string(got) != want {
		t.Errorf("the settings file after connect:\n%s\nwant:\n%s", got, want)
	}

	// A PostgreSQL instance whose server does not answer: a clear failure,
	// and the password never printed.
	pg := strings.Replace(want, "lamindb_instance_db=null", "lamindb_instance_db=postgresql://lamin:s3cret@127.0.0.1:1/lamin", 1)
	os.WriteFile(file, []byte(pg), 0o600)
	r := e.want(1, "connect", "anonymous/lamin-fixture")
	if strings.Contains(r.stderr, "s3cret") || !strings.Contains(r.stderr, "127.0.0.1:1") {
		t.Errorf("a PostgreSQL instance:\n%s", r)
	}
}

// TestLaminEnvPrefix: with LAMIN_ENV naming an environment other than prod,
// instance settings files carry its prefix, as lamindb names them; prod and
// unset mean none. The two environments do not see each other's instances.
func TestLaminEnvPrefix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct{ env, name, file string }{
		{"LAMIN_ENV=staging", "st", "staging--instance--anonymous--st.env"},
		{"LAMIN_ENV=prod", "pr", "instance--anonymous--pr.env"},
	} {
		if r := e.exec([]string{tc.env}, "", "init", "--storage", e.path(tc.name)); r.code != 0 {
			t.Fatalf("%s init: %s", tc.env, r)
		}
		if !fileExists(filepath.Join(e.settingsDir(), tc.file)) {
			t.Errorf("%s: no settings file %s", tc.env, tc.file)
		}
	}
	if r := e.exec([]string{"LAMIN_ENV=staging"}, "", "connect", "anonymous/pr"); r.code != 3 {
		t.Errorf("staging sees prod's instance:\n%s", r)
	}
	if r := e.exec([]string{"LAMIN_ENV=staging"}, "", "connect", "anonymous/st"); r.code != 0 {
		t.Errorf("staging does not see its own instance:\n%s", r)
	}
}
