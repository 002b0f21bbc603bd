package lamindb_test

// Regression tests for what a hostile test of issue 8 (lamindb's own schema)
// found. Each one fails on main at the time of writing; see the report.

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	ln "github.com/lamindb-go/lamindb"
)

func extractV3(t *testing.T) (dir, root, dbFile string) {
	t.Helper()
	dir = t.TempDir()
	if out, err := exec.Command("tar", "xzf", "testdata/v3-instance.tar.gz", "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("extract: %v %s", err, out)
	}
	root = filepath.Join(dir, "v3inst")
	return dir, root, filepath.Join(root, ".lamindb", "lamin.db")
}

func openRW(t *testing.T, file string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Migration 4 commits its own transaction (goose's RunDB), and goose records
// version 4 afterwards in another statement. A process killed between the two
// (SIGKILL at random moments hits it about 1 in 30 times on a 5000-artifact
// instance) leaves lamindb's schema in place with version 3 recorded: every
// later open runs migration 4 again and fails with `table "django_migrations"
// already exists`, for good.
func TestHostileMigrate4KilledBeforeVersionRecorded(t *testing.T) {
	dir, root, dbFile := extractV3(t)
	opts := ln.Options{Settings: ln.SettingsIn(filepath.Join(dir, "settings"))}
	in, err := ln.Connect(context.Background(), root, opts)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	in.Close()
	// The state a kill after migration 4's COMMIT leaves.
	db := openRW(t, dbFile)
	if _, err := db.Exec(`DELETE FROM lamin_goose_db_version WHERE version_id = 4`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	in, err = ln.Connect(context.Background(), root, opts)
	if err != nil {
		t.Fatalf("reopen after a kill between migration 4's commit and goose's version row: %v", err)
	}
	in.Close()
}

// Our earlier releases let two empty files share lamindb's slot (empty files
// never deduplicate), e.g. `lamin save empty --description a` twice, or two
// versions of an empty file under one key. Migration 4 copies the rows into
// lamindb's table with its unique indexes and fails: the instance cannot be
// opened at all by the new release ("already taken: lamindb_artifact
// (storage_id, hash) must be unique").
func TestHostileMigrateV3TwoEmptyFilesInOneSlot(t *testing.T) {
	dir, root, dbFile := extractV3(t)
	db := openRW(t, dbFile)
	// A second empty file without key, as `lamin save` of release 794dfbe made it.
	var cols string
	if err := db.QueryRow(`SELECT group_concat('"' || name || '"', ',') FROM pragma_table_info('lamindb_artifact') WHERE name NOT IN ('id', 'uid')`).Scan(&cols); err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec(`INSERT INTO lamindb_artifact (uid, ` + cols + `) SELECT 'zzzzzzzzzzzzzzzz0000', ` + cols + ` FROM lamindb_artifact WHERE size = 0 AND key IS NULL LIMIT 1`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("the fixture has no empty file without key")
	}
	db.Close()
	if err := os.WriteFile(filepath.Join(root, ".lamindb", "zzzzzzzzzzzzzzzz0000"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := ln.Connect(context.Background(), root, ln.Options{Settings: ln.SettingsIn(filepath.Join(dir, "settings"))})
	if err != nil {
		t.Fatalf("a v3 instance with two empty files cannot be opened: %v", err)
	}
	in.Close()
}

// Empty folders never deduplicate; the second in a slot takes the sha256
// alternative hash, and the third finds both slots taken: the save is refused
// (exit 4, "an artifact with this content and key exists already") although
// no artifact is returned. With no key, at most two empty folders can exist.
func TestHostileThirdEmptyFolder(t *testing.T) {
	e := newEnv(t)
	dir := filepath.Join(e.dir, "src", "empty")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := e.in.Save(e.ctx, dir, ln.SaveOptions{Key: "k"}); err != nil {
			t.Fatalf("empty folder, save %d under one key: %v", i+1, err)
		}
	}
	for i := 0; i < 3; i++ {
		if _, err := e.in.Save(e.ctx, dir, ln.SaveOptions{Description: "d"}); err != nil {
			t.Fatalf("empty folder, save %d without key: %v", i+1, err)
		}
	}
}

// A folder family whose content goes back and forth (A, B, A, B, A): the
// outdated versions hold both slots of A (lamindb's hash and the sha256
// alternative) and the fifth save is refused, although it is a plain new
// version of the folder.
func TestHostileFolderContentBackAndForth(t *testing.T) {
	e := newEnv(t)
	raw := filepath.Join(e.dir, "src", "raw")
	for i, c := range []string{"a", "b", "a", "b", "a"} {
		os.RemoveAll(raw)
		e.file("raw/x", c+"\n")
		if _, err := e.in.Save(e.ctx, raw, ln.SaveOptions{Key: "raw"}); err != nil {
			t.Fatalf("save %d (%s): %v", i+1, c, err)
		}
	}
	if r, err := e.in.Check(e.ctx, ln.CheckOptions{Deep: true}); err != nil || !r.OK() {
		t.Fatalf("check: %+v %v", r, err)
	}
}

// Python's `artifact.replace(path); artifact.save()` keeps the row's id and
// changes hash, size and the bytes. Our lamin_artifact_sha256 row for that id
// is now stale: `check --deep` reports "bytes with the wrong hash … hash X,
// the row says X" (exit 1, and --repair cannot clear it), and a save of the
// new content does not deduplicate to it.
func TestHostileReplacedByPython(t *testing.T) {
	onSQLite(t)
	e := newEnv(t)
	a := e.save(e.file("a.txt", "hello\n"), ln.SaveOptions{Key: "a.txt"})
	e.in.Close()
	// What lamindb's replace does, by hand: new bytes at the same path, new hash and size.
	newContent := "replaced!\n"
	path := filepath.Join(e.root, ".lamindb", a.UID+".txt")
	if err := os.WriteFile(path, []byte(newContent), 0o644); err != nil {
		t.Fatal(err)
	}
	db := openRW(t, filepath.Join(e.root, ".lamindb", "lamin.db"))
	if _, err := db.Exec(`UPDATE lamindb_artifact SET hash = '0wWcpNCYUX8jSfupRRhZIA', size = 10 WHERE id = ?`, a.ID); err != nil {
		t.Fatal(err)
	}
	db.Close()
	in, err := ln.Connect(e.ctx, e.root, e.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if r, err := in.Check(e.ctx, ln.CheckOptions{Deep: true}); err != nil || !r.OK() {
		t.Errorf("check --deep after lamindb's replace: %+v %v", r, err)
	}
	b, err := in.Save(e.ctx, e.file("b.txt", newContent), ln.SaveOptions{Key: "a.txt"})
	if err != nil {
		t.Fatal(err)
	}
	if b.ID != a.ID {
		t.Errorf("the replaced content was saved again as %s (%d), not deduplicated to %s", b.UID, b.ID, a.UID)
	}
}

// A dry run (Options.ReadOnly, `--dry-run`) of an instance Python made and no
// lamin ever opened for writing: the docs say it "reads through empty
// stand-ins for our tables", but the read-only connection has
// query_only(1), so the TEMP tables cannot be created and every dry run
// fails: "read …/lamin.db: the database cannot be written (read-only file or
// storage)", exit 1. (On storage mounted read-only the stand-ins work.)
func TestHostileDryRunOfPythonInstance(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("tar", "xzf", "testdata/lamindb-2.9.1/fixture-instance.tar.gz", "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("extract: %v %s", err, out)
	}
	root := filepath.Join(dir, "lamin-fixture")
	in, err := ln.Connect(context.Background(), root, ln.Options{Settings: ln.SettingsIn(filepath.Join(dir, "settings")), ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open of an instance Python made: %v", err)
	}
	defer in.Close()
	if n, err := in.Artifacts().Count(context.Background()); err != nil || n == 0 {
		t.Fatalf("count: %d %v", n, err)
	}
}

// A moved (or copied) instance opened read-only — read-only storage, or, as
// here, migrated by a newer lamindb — cannot record where it now lies. Reads
// of the default storage follow the marker, but `lamin check` walks the root
// the database recorded: it reports every row of the copy as "rows without
// bytes" (or, when the original still exists, checks the original's files and
// lists them as the copy's "managed files without rows").
func TestHostileCheckOfMovedReadOnlyInstance(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("tar", "xzf", "testdata/lamindb-2.9.1/fixture-instance.tar.gz", "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("extract: %v %s", err, out)
	}
	root := filepath.Join(dir, "lamin-fixture") // recorded at /srv/lamin-fixture
	db := openRW(t, filepath.Join(root, ".lamindb", "lamin.db"))
	if _, err := db.Exec(`INSERT INTO django_migrations (app, name, applied) VALUES ('lamindb', '0194_later', '2030-01-01')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	in, err := ln.Connect(context.Background(), root, ln.Options{Settings: ln.SettingsIn(filepath.Join(dir, "settings"))})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer in.Close()
	if r, err := in.Check(context.Background(), ln.CheckOptions{}); err != nil || !r.OK() {
		t.Fatalf("check of the moved read-only copy: %+v %v", r, err)
	}
}

// lamindb_setup's own files in .lamindb/ are not orphans: the legacy storage
// marker `_is_initialized` (lamindb renames it to storage_uid.txt when it
// marks the root; instances of old lamindb have only it, and lamin cannot
// open those: "its marker storage_uid.txt is missing"), the cloud-SQLite
// locker's `_exclusion/` folder, and `lamin.db.gz`. `lamin check` lists them
// as "managed files without rows" and `--repair` quarantines them.
func TestHostileRepairSparesLamindbFiles(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("tar", "xzf", "testdata/lamindb-2.9.1/fixture-instance.tar.gz", "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("extract: %v %s", err, out)
	}
	root := filepath.Join(dir, "lamin-fixture")
	managed := filepath.Join(root, ".lamindb")
	marker, err := os.ReadFile(filepath.Join(managed, "storage_uid.txt"))
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	for name, content := range map[string][]byte{"_is_initialized": marker, "_exclusion/0123/lock": []byte("x")} {
		p := filepath.Join(managed, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
		os.Chtimes(filepath.Dir(p), old, old)
	}
	in, err := ln.Connect(context.Background(), root, ln.Options{Settings: ln.SettingsIn(filepath.Join(dir, "settings"))})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	r, err := in.Check(context.Background(), ln.CheckOptions{Repair: true, Grace: ln.NoGrace})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.OrphanFiles) > 0 || len(r.Repaired) > 0 {
		t.Errorf("lamindb's own files are reported or repaired: orphans %v, repaired %v", r.OrphanFiles, r.Repaired)
	}
	if _, err := os.Stat(filepath.Join(managed, "_is_initialized")); err != nil {
		t.Errorf("the legacy marker was moved: %v", err)
	}
}
