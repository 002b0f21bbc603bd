package main

import (
	"bytes"
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestVersionsAndLocks: a locked head is never demoted by a new version, and
// every way a record leaves a branch hands is_latest on.
func TestVersionsAndLocks(t *testing.T) {
	t.Parallel()
	t.Run("a new version of a locked head is refused", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.init("inst")
		e.write("a.txt", "one\n")
		u := e.saveUID("a.txt", "--key", "a.txt")
		e.ok("update", "artifact", "--uid", u, "--locked", "true")
		e.write("a.txt", "two\n")
		r := e.want(4, "save", "a.txt", "--key", "a.txt")
		if !strings.Contains(r.stderr, "locked") {
			t.Errorf("want a lock refusal, got:\n%s", r)
		}
		if rec := e.record(u); rec["is_latest"] != true {
			t.Errorf("the locked head lost is_latest: %v", rec)
		}
		if n := len(e.list("artifact", "--branch", "all")); n != 1 {
			t.Errorf("%d artifacts, want the locked one only", n)
		}
		e.want(4, "save", "a.txt", "--revises", u)
		checkClean(t, e)
	})
	t.Run("update --branch trash promotes", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.init("inst")
		e.write("a.txt", "one\n")
		v1 := e.saveUID("a.txt", "--key", "a.txt")
		e.write("a.txt", "two\n")
		v2 := e.saveUID("a.txt", "--key", "a.txt")
		e.ok("update", "artifact", "--uid", v2, "--branch", "trash")
		if rec := e.record(v1); rec["is_latest"] != true {
			t.Errorf("v1 was not promoted: %v", rec)
		}
		if rec := e.record(v2); rec["is_latest"] != false {
			t.Errorf("the trashed v2 kept is_latest while v1 remained: %v", rec)
		}
		// The key is not wedged: the next save is a new version.
		e.write("a.txt", "three\n")
		v3 := e.saveUID("a.txt", "--key", "a.txt")
		if v3[:16] != v1[:16] {
			t.Errorf("v3 %s is not a version of %s", v3, v1)
		}
		// Restoring v2 brings no second head to main.
		e.ok("restore", "artifact", "--uid", v2)
		heads := 0
		for _, rec := range e.list("artifact", "--filter", "key=a.txt") {
			if rec["is_latest"] == true {
				heads++
			}
		}
		if heads != 1 {
			t.Errorf("%d heads on main after the restore", heads)
		}
		checkClean(t, e)
	})
}

// TestBytesAreChecked: what is stored is what was hashed, and check finds bytes
// that no longer match their row.
func TestBytesAreChecked(t *testing.T) {
	t.Parallel()
	t.Run("a file that changes while it is saved", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		root := e.init("inst")
		src := e.write("a.txt", "the bytes that were hashed\n")
		p := e.holdAt("save-after-insert", "save", "a.txt", "--key", "a.txt")
		os.WriteFile(src, []byte("other bytes, of another size\n"), 0o644)
		p.release()
		r := p.wait()
		if r.code != 1 || !strings.Contains(r.stderr, "changed while it was saved") {
			t.Fatalf("want exit 1, the file changed; got:\n%s", r)
		}
		if n := len(e.list("artifact", "--branch", "all")); n != 0 || len(managedFiles(t, root)) != 0 {
			t.Errorf("a refused save left %d rows and files %v", n, managedFiles(t, root))
		}
		checkClean(t, e)
	})
	damage := []struct {
		name   string
		save   func(e *env) string // returns the uid
		damage func(t *testing.T, root, uid string)
		want   string
		deep   bool
		sqlite bool // damages SQLite's database file
	}{
		{name: "a truncated file", want: "bytes of the wrong size: 1",
			save:   func(e *env) string { e.write("a.txt", "0123456789\n"); return e.saveUID("a.txt", "--key", "a.txt") },
			damage: func(t *testing.T, root, u string) { os.Truncate(filepath.Join(root, ".lamindb", u+".txt"), 3) }},
		{name: "a file missing in a folder", want: "bytes of the wrong size: 1",
			save: func(e *env) string {
				e.write("d/a.txt", "a")
				e.write("d/b.txt", "b")
				return e.saveUID("d", "--key", "d")
			},
			damage: func(t *testing.T, root, u string) { os.Remove(filepath.Join(root, ".lamindb", u[:16], "b.txt")) }},
		{name: "a file changed in place (deep)", want: "bytes with the wrong hash: 1", deep: true,
			save: func(e *env) string { e.write("a.txt", "0123456789\n"); return e.saveUID("a.txt", "--key", "a.txt") },
			damage: func(t *testing.T, root, u string) {
				os.WriteFile(filepath.Join(root, ".lamindb", u+".txt"), []byte("9876543210\n"), 0o644)
			}},
		{name: "a malformed database", want: "database problems:", sqlite: true,
			save: func(e *env) string {
				for i := range 200 {
					e.write("x.txt", strings.Repeat("x", i+1))
					e.ok("save", "x.txt", "--key", "x.txt")
				}
				return ""
			},
			damage: func(t *testing.T, root, _ string) {
				db := filepath.Join(root, ".lamindb", "lamin.db")
				f, err := os.OpenFile(db, os.O_RDWR, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				fi, _ := f.Stat()
				// Scribble over the pages of the middle of the file (not the header).
				f.WriteAt(bytes.Repeat([]byte{0x5a}, 4096*4), fi.Size()/2&^4095)
			}},
	}
	for _, tc := range damage {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.sqlite {
				sqliteOnly(t)
			}
			e := newEnv(t)
			root := e.init("inst")
			u := tc.save(e)
			// Close every connection's WAL into the file first.
			e.ok("check")
			tc.damage(t, root, u)
			args := []string{"check"}
			if tc.deep {
				args = append(args, "--deep")
			}
			r := e.run("", args...)
			if r.code != 1 || !strings.Contains(r.stdout+r.stderr, tc.want) {
				t.Fatalf("want exit 1 and %q, got:\n%s", tc.want, r)
			}
		})
	}
	t.Run("load of missing bytes", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		root := e.init("inst")
		e.write("a.txt", "a\n")
		u := e.saveUID("a.txt", "--key", "a.txt")
		p := filepath.Join(root, ".lamindb", u+".txt")
		os.Remove(p)
		r := e.want(3, "load", "artifact", "--uid", u)
		if r.stdout != "" || !strings.Contains(r.stderr, p) {
			t.Errorf("want nothing on stdout and the path on stderr, got:\n%s", r)
		}
	})
}

// TestNewerSchema: a database made by a newer lamin can be read, not written.
func TestNewerSchema(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := e.init("inst")
	e.write("a.txt", "a\n")
	u := e.saveUID("a.txt", "--key", "a.txt")
	db := openDB(t, root)
	if _, err := db.Exec(`INSERT INTO lamin_goose_db_version (version_id, is_applied) VALUES (99, TRUE)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	e.ok("list", "artifact")
	e.ok("get", "artifact", u)
	e.ok("load", "artifact", "--uid", u)
	e.ok("check")
	r := e.want(1, "delete", "artifact", "--uid", u)
	if !strings.Contains(r.stderr, "schema version 99") || !strings.Contains(r.stderr, "(4)") {
		t.Errorf("want both versions named, got:\n%s", r)
	}
	if rec := e.record(u); rec["branch_id"] != 1.0 {
		t.Errorf("the refused delete changed the record: %v", rec)
	}
}

// TestDryRunWritesNothing: a dry run changes no byte of the instance, and does
// not repair what a crash left either.
func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	e, root, raw, _ := bulkEnv(t)
	e.ok("delete", "artifact", "--uid", raw[0])
	e.write("new.txt", "new\n")
	e.killAt("save-after-insert", "save", "new.txt", "--key", "new.txt")
	before := treeSums(t, filepath.Join(root, ".lamindb"))
	for _, args := range [][]string{
		{"delete", "artifact", "--uid", raw[0], "--dry-run"},
		{"delete", "artifact", "--filter", "key__startswith=raw/", "--permanent", "--dry-run"},
		{"restore", "artifact", "--uid", raw[0], "--dry-run"},
		{"delete", "inst", "--dry-run"},
	} {
		e.ok(args...)
		if after := treeSums(t, filepath.Join(root, ".lamindb")); !maps.Equal(before, after) {
			for k, v := range after {
				if before[k] != v {
					t.Errorf("changed: %s", k)
				}
			}
			for k := range before {
				if _, ok := after[k]; !ok {
					t.Errorf("removed: %s", k)
				}
			}
			t.Fatalf("lamin %v changed the instance's files", args)
		}
	}
	if c := readCounts(t, root); c.Storing != 1 {
		t.Errorf("a dry run repaired the crashed save: %+v", c)
	}
}

// TestReadOnlyStorage: an instance on read-only storage can be read; writes
// fail with exit 1 and repairs are skipped with a warning.
func TestReadOnlyStorage(t *testing.T) {
	t.Parallel()
	sqliteOnly(t) // the database in the read-only storage
	if os.Geteuid() != 0 {
		t.Skip("needs root to bind-mount the instance read-only")
	}
	e := newEnv(t)
	root := e.init("inst")
	e.write("a.txt", "a\n")
	u := e.saveUID("a.txt", "--key", "a.txt")
	e.write("b.txt", "b\n")
	e.killAt("save-after-insert", "save", "b.txt", "--key", "b.txt")
	if out, err := exec.CommandContext(context.Background(), "mount", "--bind", "-o", "ro", root, root).CombinedOutput(); err != nil {
		t.Skipf("cannot bind-mount read-only here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", root).Run() })
	r := e.ok("list", "artifact")
	if !strings.Contains(r.stderr, "repairs skipped") {
		t.Errorf("want a warning that repairs were skipped, got:\n%s", r)
	}
	e.ok("get", "artifact", u)
	if p := e.loadPath("--uid", u); !fileExists(p) {
		t.Errorf("load: %s", p)
	}
	if r := e.run("", "check"); r.code != 1 || !strings.Contains(r.stdout, "stale storing marks: 1") {
		t.Errorf("check on read-only storage: %s", r)
	}
	e.write("c.txt", "c\n")
	if r := e.want(1, "save", "c.txt", "--key", "c.txt"); !strings.Contains(r.stderr, "read-only") {
		t.Errorf("want the save refused as read-only, got:\n%s", r)
	}
	e.want(1, "delete", "artifact", "--uid", u)
}

// TestBadSources: what cannot be saved is refused before any row is written.
func TestBadSources(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := e.init("inst")
	fifo := e.path("pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(e.path("dirfifo"), 0o755)
	syscall.Mkfifo(e.path("dirfifo", "pipe"), 0o644)
	e.write("dirfifo/ok.txt", "ok")
	tests := []struct {
		name string
		dir  string
		args []string
		msg  string
	}{
		{"a FIFO", "", []string{"save", "pipe", "--key", "pipe"}, "not a regular file"},
		{"a folder holding a FIFO", "", []string{"save", "dirfifo", "--key", "dirfifo"}, "not a regular file"},
		{"a folder holding the instance", "", []string{"save", ".", "--key", "all"}, "contains the managed folder"},
		{"the instance's own managed folder", "", []string{"save", filepath.Join(root, ".lamindb"), "--key", "x"}, ".lamindb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.want(2, tc.args...)
			if !strings.Contains(r.stderr, tc.msg) {
				t.Errorf("want %q, got:\n%s", tc.msg, r)
			}
		})
	}
	if n := len(e.list("artifact", "--branch", "all")); n != 0 || len(managedFiles(t, root)) != 0 {
		t.Errorf("bad sources left %d rows and files %v", n, managedFiles(t, root))
	}
}

// TestFaultPointsOnlyInTestBuilds: a release build ignores LAMIN_FAULT.
func TestFaultPointsOnlyInTestBuilds(t *testing.T) {
	t.Parallel()
	release := filepath.Join(t.TempDir(), "lamin")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = "/usr/local/go/bin/go"
	}
	if out, err := exec.Command(goTool, "build", "-o", release, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	e := newEnv(t)
	e.init("inst")
	e.write("a.txt", "a\n")
	cmd := exec.Command(release, "save", "a.txt", "--key", "a.txt")
	cmd.Dir, cmd.Env = e.dir, e.environ("LAMIN_FAULT=save-after-insert")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the release build obeyed LAMIN_FAULT: %v\n%s", err, out)
	}
	checkClean(t, e)
}

// treeSums returns the SHA-256 of every file below dir, but SQLite's -shm:
// that is shared memory (the readers' locks and an index of the WAL, rebuilt
// from it), which any reader of the database touches; it holds no data.
func treeSums(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && !strings.HasSuffix(p, "-shm") {
			out[p] = fileSum(t, p)
		}
		return nil
	})
	return out
}

// TestFullStorage: on a full disk reads work, a save fails with exit 1, and
// once there is room again the instance is consistent.
func TestFullStorage(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	e := newEnv(t)
	mnt := e.path("small")
	os.MkdirAll(mnt, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	e.ok("init", "--storage", filepath.Join(mnt, "inst"))
	e.write("a.txt", "a\n")
	u := e.saveUID("a.txt", "--key", "a.txt")
	filler := filepath.Join(mnt, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	buf := bytes.Repeat([]byte{1}, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			break // the disk is full
		}
	}
	f.Close()
	e.ok("list", "artifact")
	e.ok("get", "artifact", u)
	e.ok("load", "artifact", "--uid", u)
	e.write("big.bin", strings.Repeat("x", 1<<20))
	e.want(1, "save", "big.bin", "--key", "big.bin")
	os.Remove(filler)
	checkClean(t, e)
	if n := len(e.list("artifact", "--branch", "all")); n != 1 {
		t.Errorf("%d artifacts after the failed save, want 1", n)
	}
}
