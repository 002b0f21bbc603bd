package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// killScenario is one command cut off at each of its storage steps in turn.
type killScenario struct {
	name  string
	setup func(e *env) // makes the instance the command runs on
	cmd   []string
	// check looks at the instance after the kill and the repair (or after the
	// command completed); done says which.
	check func(t *testing.T, e *env, done bool)
}

// TestKillAtEveryStep runs commands that write storage with LAMIN_FAULT=fs@N,
// which kills the process (SIGKILL, no cleanup) before its Nth rename, link,
// unlink or file creation, for N = 1, 2, … until the command completes. After
// every kill the next commands must find a consistent instance: `lamin check
// --repair` settles what was cut off, after which `lamin check --deep` is clean
// (every row has its bytes with their hash, no managed file lacks its row), and
// nothing that existed before the command is lost.
func TestKillAtEveryStep(t *testing.T) {
	t.Parallel()
	folder := func(e *env, name string, files map[string]string) {
		for k, v := range files {
			e.write(filepath.Join(name, k), v)
		}
	}
	v1 := map[string]string{"a.txt": "a1\n", "sub/b.txt": "b1\n", "c.txt": "c1\n"}
	v2 := map[string]string{"a.txt": "a2 longer\n", "sub/b.txt": "b2\n", "d.txt": "d2\n"}
	scenarios := []killScenario{
		{name: "save a file",
			setup: func(e *env) { e.init("inst"); e.write("new.txt", "new\n") },
			cmd:   []string{"save", "new.txt", "--key", "new.txt"}},
		{name: "save a folder",
			setup: func(e *env) { e.init("inst"); folder(e, "dir", v1) },
			cmd:   []string{"save", "dir", "--key", "dir"}},
		{name: "re-version a folder",
			setup: func(e *env) {
				e.init("inst")
				folder(e, "dir", v1)
				e.ok("save", "dir", "--key", "dir")
				os.RemoveAll(e.path("dir"))
				folder(e, "dir", v2)
			},
			cmd: []string{"save", "dir", "--key", "dir"},
			check: func(t *testing.T, e *env, done bool) {
				// The family's store holds its head's files, all of them.
				p := e.loadPath("--key", "dir")
				got := readTree(t, p)
				if !maps.Equal(got, v1) && !maps.Equal(got, v2) {
					t.Errorf("the folder holds neither version: %v", got)
				}
				if done && !maps.Equal(got, v2) {
					t.Errorf("the completed re-version holds %v", got)
				}
			}},
		{name: "re-version a file",
			setup: func(e *env) {
				e.init("inst")
				e.write("a.txt", "one\n")
				e.ok("save", "a.txt", "--key", "a.txt")
				e.write("a.txt", "two!\n")
			},
			cmd: []string{"save", "a.txt", "--key", "a.txt"}},
		{name: "bulk purge",
			setup: func(e *env) {
				e.init("inst")
				for i := range 3 {
					e.write(fmt.Sprintf("f%d.txt", i), fmt.Sprintf("content %d\n", i))
					e.ok("save", fmt.Sprintf("f%d.txt", i), "--key", fmt.Sprintf("raw/f%d.txt", i))
				}
				folder(e, "dir", v1)
				e.ok("save", "dir", "--key", "raw/dir")
				e.ok("delete", "artifact", "--filter", "key__startswith=raw/")
			},
			cmd: []string{"delete", "artifact", "--filter", "key__startswith=raw/", "--branch", "trash", "--yes"}},
		{name: "purge a folder family",
			setup: func(e *env) {
				e.init("inst")
				folder(e, "dir", v1)
				e.ok("save", "dir", "--key", "dir")
				os.RemoveAll(e.path("dir"))
				folder(e, "dir", v2)
				e.ok("save", "dir", "--key", "dir")
			},
			cmd: []string{"delete", "artifact", "--key", "dir", "--permanent"}},
		{name: "repair quarantines an orphan",
			setup: func(e *env) {
				e.init("inst")
				orphan := e.write(filepath.Join("inst", ".lamindb", "0000000000000000ZZZZ.txt"), "nobody's\n")
				old := time.Now().Add(-2 * time.Hour)
				os.Chtimes(orphan, old, old)
			},
			cmd: []string{"check", "--repair"}},
		{name: "delete an instance",
			setup: func(e *env) { e.init("inst") },
			cmd:   []string{"delete", "inst", "--force"},
			check: func(t *testing.T, e *env, done bool) {}},
		{name: "init",
			setup: func(e *env) {},
			cmd:   []string{"init", "--storage", "inst"},
			check: func(t *testing.T, e *env, done bool) {}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			for n := 1; ; n++ {
				if n > 60 {
					t.Fatalf("still killed at step %d: a loop?", n)
				}
				e := newEnv(t)
				sc.setup(e)
				before := allUIDs(e)
				r := e.exec([]string{fmt.Sprintf("LAMIN_FAULT=fs@%d", n)}, "", sc.cmd...)
				done := r.signal != syscall.SIGKILL
				if done && r.code != 0 {
					t.Fatalf("step %d: the command failed without a kill:\n%s", n, r)
				}
				settle(t, e, sc, done)
				if sc.check != nil {
					sc.check(t, e, done)
				}
				if !strings.Contains(strings.Join(sc.cmd, " "), "delete") && sc.name != "init" {
					after := allUIDs(e)
					for u := range before {
						if !after[u] {
							t.Errorf("killed at step %d of `lamin %s`: artifact %s was lost", n, strings.Join(sc.cmd, " "), u)
						}
					}
				}
				if t.Failed() {
					t.Fatalf("killed at step %d of `lamin %s`\n%s", n, strings.Join(sc.cmd, " "), r)
				}
				if done {
					t.Logf("`lamin %s`: %d storage steps, a kill before each one repaired", strings.Join(sc.cmd, " "), n-1)
					return
				}
			}
		})
	}
}

// settle brings the instance back after a kill, the way a user would, and
// checks it is consistent.
func settle(t *testing.T, e *env, sc killScenario, done bool) {
	t.Helper()
	switch sc.name {
	case "init":
		// A second init finishes (or the first one had done enough to connect).
		if r := e.run("", "init", "--storage", "inst"); r.code != 0 {
			if r.code != 4 {
				t.Fatalf("init after a kill: want exit 0 or 4, got:\n%s", r)
			}
			e.ok("connect", e.path("inst"))
		}
	case "delete an instance":
		// Either the instance is still whole, or deleting it again finishes.
		if r := e.run("", "delete", "inst", "--force"); r.code != 0 && r.code != 3 {
			t.Fatalf("delete after a kill: want exit 0 or 3, got:\n%s", r)
		}
		if fileExists(e.path("inst", ".lamindb")) {
			t.Errorf("the instance's folder is left after it was deleted: %v", managedFiles(t, e.path("inst")))
		}
		return
	}
	e.run("", "check", "--repair", "--grace", "0s")
	r := e.run("", "check", "--deep")
	if r.code != 0 {
		t.Errorf("`lamin check --deep` after the repair (completed: %v):\n%s", done, r)
	}
}

// allUIDs returns the uids of every artifact, on every branch.
func allUIDs(e *env) map[string]bool {
	out := map[string]bool{}
	r := e.run("", "list", "artifact", "--branch", "all", "--limit", "0", "--csv")
	if r.code != 0 {
		return out
	}
	for _, l := range strings.Split(r.stdout, "\n")[1:] {
		if f := strings.Split(l, ","); len(f) > 1 {
			out[f[1]] = true
		}
	}
	return out
}

// readTree returns the files below dir, slash-separated paths to contents.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			out[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	return out
}

// TestShortBytesAfterPowerLoss: bytes are not fsynced, so a power loss can
// leave a renamed file short. The repair then undoes the save rather than keep
// a row that claims bytes it does not have.
func TestShortBytesAfterPowerLoss(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := e.init("inst")
	e.write("a.txt", "0123456789abcdef\n")
	e.killAt("save-after-rename", "save", "a.txt", "--key", "a.txt")
	files := managedFiles(t, root)
	if len(files) != 1 {
		t.Fatalf("managed files %v", files)
	}
	os.Truncate(filepath.Join(root, ".lamindb", files[0]), 4) // what a power loss may leave
	checkClean(t, e)
	if n := len(e.list("artifact", "--branch", "all")); n != 0 {
		t.Errorf("%d artifacts: the save of short bytes was kept", n)
	}
}
