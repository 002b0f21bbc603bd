package main

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The cases below were found by a hostile review; each failed before its fix.

// folderVersions makes an instance with a folder family of key "d" (v1: a, b).
func folderVersions(t *testing.T) (*env, string) {
	e := newEnv(t)
	root := e.init("inst")
	e.write("d/a", "one\n")
	e.write("d/b", "two\n")
	e.ok("save", "d", "--key", "d")
	return e, root
}

// loadPath returns where `lamin load artifact --uid U` (or --key K) says the
// bytes are.
func (e *env) loadPath(flag, v string) string {
	e.t.Helper()
	return strings.TrimSpace(e.ok("load", "artifact", flag, v).stdout)
}

// loadTree returns the files of the artifact with key k.
func (e *env) loadTree(k string) map[string]string {
	e.t.Helper()
	return readTree(e.t, e.loadPath("--key", k))
}

func TestHostileFolderFamilies(t *testing.T) {
	t.Parallel()
	v1 := map[string]string{"a": "one\n", "b": "two\n"}
	t.Run("a re-version cut off before staging keeps the old files", func(t *testing.T) {
		t.Parallel()
		e, _ := folderVersions(t)
		e.write("d/c", "three\n")
		e.killAt("save-after-insert", "save", "d", "--key", "d")
		checkClean(t, e)
		if got := e.loadTree("d"); !maps.Equal(got, v1) {
			t.Errorf("the head's files: %v", got)
		}
	})
	t.Run("a re-version whose source vanishes keeps the old files", func(t *testing.T) {
		t.Parallel()
		e, _ := folderVersions(t)
		e.write("d/c", "three\n")
		p := e.holdAt("save-after-insert", "save", "d", "--key", "d")
		os.Remove(e.path("d", "a"))
		p.release()
		if r := p.wait(); r.code != 1 {
			t.Fatalf("want exit 1:\n%s", r)
		}
		checkClean(t, e)
		if got := e.loadTree("d"); !maps.Equal(got, v1) {
			t.Errorf("the head's files: %v", got)
		}
	})
	t.Run("concurrent re-versions: the head's files win", func(t *testing.T) {
		t.Parallel()
		e, _ := folderVersions(t)
		e.write("v2/x", "two\n")
		e.write("v3/x", "three\n")
		e.write("v3/y", "more\n")
		p := e.holdAt("save-after-write", "save", "v2", "--key", "d")
		e.ok("save", "v3", "--key", "d")
		p.release()
		if r := p.wait(); r.code != 0 {
			t.Fatalf("the overtaken save:\n%s", r)
		}
		if got := e.loadTree("d"); !maps.Equal(got, map[string]string{"x": "three\n", "y": "more\n"}) {
			t.Errorf("the head's files: %v", got)
		}
		if r := e.run("", "check", "--deep"); r.code != 0 {
			t.Errorf("check --deep:\n%s", r)
		}
	})
	t.Run("emptying the trash keeps the family's live head", func(t *testing.T) {
		t.Parallel()
		e, _ := folderVersions(t)
		e.write("d/a", "one, v2\n")
		v2 := e.saveUID("d", "--key", "d")
		e.ok("delete", "artifact", "--uid", v2)
		e.write("d/a", "one, v3\n")
		v3 := e.saveUID("d", "--key", "d") // not wedged: the family's head is in the trash
		e.ok("delete", "artifact", "--filter", "key=d", "--branch", "trash", "--yes")
		if rec := e.record(v3); rec["is_latest"] != true || rec["branch_id"] != 1.0 {
			t.Fatalf("v3: %v", rec)
		}
		if got := e.loadTree("d"); got["a"] != "one, v3\n" {
			t.Errorf("the head's files: %v", got)
		}
		checkClean(t, e)
	})
	t.Run("content of an outdated version is saved anew", func(t *testing.T) {
		t.Parallel()
		e, _ := folderVersions(t)
		e.write("d/a", "changed\n")
		e.ok("save", "d", "--key", "d")
		e.write("d/a", "one\n") // back to v1's content, whose files were overwritten
		e.ok("save", "d", "--key", "d")
		if got := e.loadTree("d"); !maps.Equal(got, v1) {
			t.Errorf("the head's files: %v", got)
		}
		checkClean(t, e)
	})
}

func TestHostileSaves(t *testing.T) {
	t.Parallel()
	t.Run("an empty folder is not an empty file", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.init("inst")
		e.write("empty.txt", "")
		e.ok("save", "empty.txt", "--key", "e.txt")
		os.MkdirAll(e.path("emptyd"), 0o755)
		e.ok("save", "emptyd", "--key", "folder")
		if rec := e.list("artifact", "--filter", "key=folder"); len(rec) != 1 || rec[0]["n_files"] != 0.0 {
			t.Errorf("the empty folder: %v", rec)
		}
	})
	t.Run("content still being saved elsewhere is not returned", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.init("inst")
		e.write("a.txt", "precious\n")
		e.write("b.txt", "precious\n")
		p := e.holdAt("save-after-insert", "save", "a.txt", "--key", "a.txt")
		r := e.want(4, "save", "b.txt", "--key", "b.txt")
		if !strings.Contains(r.stderr, "being saved") {
			t.Errorf("want a busy refusal:\n%s", r)
		}
		// Nor can it join a collection.
		u := e.list("artifact", "--filter", "key=a.txt")[0]["uid"].(string)
		e.want(4, "create", "collection", "--key", "c", "--artifact", u)
		p.release()
		p.wait()
		checkClean(t, e)
	})
	t.Run("a locked head stays head when a newer version comes back", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.init("inst")
		e.write("f.txt", "v1\n")
		u1 := e.saveUID("f.txt", "--key", "f.txt")
		e.write("f.txt", "v2\n")
		u2 := e.saveUID("f.txt", "--key", "f.txt")
		e.ok("delete", "artifact", "--uid", u1)
		e.ok("delete", "artifact", "--uid", u2)
		e.ok("restore", "artifact", "--uid", u1)
		e.ok("update", "artifact", "--uid", u1, "--locked", "true")
		e.ok("restore", "artifact", "--uid", u2)
		if rec := e.record(u1); rec["is_latest"] != true {
			t.Errorf("the locked head lost is_latest: %v", rec)
		}
		if rec := e.record(u2); rec["is_latest"] != false {
			t.Errorf("a second head: %v", rec)
		}
	})
	t.Run("a renamed head does not wedge its old key", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.init("inst")
		e.write("f.txt", "1\n")
		e.ok("save", "f.txt", "--key", "f.txt")
		e.write("f.txt", "2\n")
		u2 := e.saveUID("f.txt", "--key", "f.txt")
		e.ok("update", "artifact", "--uid", u2, "--key", "g.txt")
		e.write("f.txt", "3\n")
		e.ok("save", "f.txt", "--key", "f.txt")
	})
	t.Run("a folder path with ? opens its own database", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		decoy := e.write("q", "not a database")
		e.ok("init", "--storage", e.path("q?x"), "--name", "q")
		if b, _ := os.ReadFile(decoy); string(b) != "not a database" {
			t.Errorf("the file named like the path before '?' was changed")
		}
		e.ok("init", "--storage", e.path("p%41"), "--name", "p")
		e.ok("init", "--storage", e.path("h#1"), "--name", "h")
		e.ok("connect", e.path("q?x"))
		checkClean(t, e)
	})
	t.Run("a folder name ending in a space", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.ok("init", "--storage", e.path("trail "), "--name", "trail")
		e.write("a.txt", "a\n")
		e.ok("save", "a.txt", "--key", "a.txt")
	})
}

func TestHostileStorage(t *testing.T) {
	t.Parallel()
	t.Run("the storage holding the database cannot be deleted", func(t *testing.T) {
		sqliteOnly(t)
		t.Parallel()
		e := newEnv(t)
		root := e.init("inst")
		e.ok("create", "storage", e.path("s2"))
		e.ok("settings", "storage", e.path("s2"))
		var s1 string
		for _, s := range e.list("storage") {
			if s["root"] == filepath.ToSlash(root) {
				s1 = s["uid"].(string)
			}
		}
		e.want(4, "delete", "storage", "--uid", s1)
		checkClean(t, e)
	})
	t.Run("instance delete refuses while another storage holds files", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.init("inst")
		e.ok("create", "storage", e.path("s2"))
		e.ok("settings", "storage", e.path("s2"))
		e.write("a.txt", "a\n")
		e.ok("save", "a.txt", "--key", "a.txt")
		e.want(4, "delete", "inst", "--force")
		e.ok("delete", "artifact", "--key", "a.txt", "--permanent")
		e.ok("delete", "inst", "--force")
		if fileExists(e.path("s2", ".lamindb", "storage_uid.txt")) {
			t.Error("the deleted instance's marker is left in its other storage")
		}
	})
	t.Run("a moved storage location is re-attached", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.init("inst")
		e.ok("create", "storage", e.path("s2"))
		e.ok("settings", "storage", e.path("s2"))
		e.write("a.txt", "a\n")
		u := e.saveUID("a.txt", "--key", "a.txt")
		os.Rename(e.path("s2"), e.path("s2-moved"))
		e.want(3, "load", "artifact", "--uid", u)
		e.ok("create", "storage", e.path("s2-moved"))
		e.ok("load", "artifact", "--uid", u)
	})
	t.Run("a bind-mounted managed folder is not saved", func(t *testing.T) {
		sqliteOnly(t) // saves the view's lamin.db
		t.Parallel()
		if os.Geteuid() != 0 {
			t.Skip("needs root for a bind mount")
		}
		e := newEnv(t)
		root := e.init("inst")
		view := e.path("view")
		os.MkdirAll(view, 0o755)
		if out, err := exec.Command("mount", "--bind", filepath.Join(root, ".lamindb"), view).CombinedOutput(); err != nil {
			t.Skipf("bind mount: %v %s", err, out)
		}
		t.Cleanup(func() { exec.Command("umount", view).Run() })
		e.want(2, "save", "view", "--key", "view")
		e.want(2, "save", filepath.Join(view, "lamin.db"), "--key", "db.db")
	})
}

func TestHostileRepairs(t *testing.T) {
	t.Parallel()
	t.Run("tampered marks and intents delete nothing outside managed storage", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		root := e.init("inst")
		victim := e.write("victim/keep.txt", "mine\n")
		db := openDB(t, root)
		if _, err := db.Exec(`INSERT INTO lamin_purge_intent (storage_root, path, owner) VALUES (?, 'keep.txt', 'nobody:1:1'), (?, '../victim', 'nobody:1:1')`,
			filepath.Dir(victim), filepath.ToSlash(root)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO lamin_storing (artifact_id, owner, tmp_path) VALUES (999, 'nobody:1:1', '../victim')`); err != nil {
			t.Fatal(err)
		}
		db.Close()
		e.ok("list", "artifact")
		if !fileExists(victim) {
			t.Fatal("a tampered record deleted a file outside the managed storage")
		}
	})
	t.Run("two suspects of one name are both quarantined", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		root := e.init("inst")
		e.write(filepath.Join("inst", ".lamindb", "X1234567890123456789.txt"), "first\n")
		e.write(filepath.Join("inst", ".lamindb", ".staging", "X1234567890123456789.txt"), "second\n")
		e.ok("check", "--repair", "--grace", "0s")
		q, _ := os.ReadDir(filepath.Join(root, ".lamindb", ".quarantine"))
		if len(q) != 2 {
			t.Errorf("quarantine holds %d files, want 2", len(q))
		}
	})
	t.Run("purging a folder in place keeps artifacts inside it", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.init("inst")
		inner := e.write(filepath.Join("inst", "proj", "keep.csv"), "a,b\n1,2\n")
		e.write(filepath.Join("inst", "proj", "tmp.txt"), "x")
		e.ok("save", inner)
		u := e.saveUID(e.path("inst", "proj"))
		e.ok("delete", "artifact", "--uid", u, "--permanent", "--storage", "delete")
		if !fileExists(inner) {
			t.Error("the purge deleted another artifact's file")
		}
		checkClean(t, e)
	})
}
