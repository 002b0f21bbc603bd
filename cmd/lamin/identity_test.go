package main

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIdentity: an instance is its id and its storage the marker it holds,
// never a name or a path string.
func TestIdentity(t *testing.T) {
	t.Parallel()
	t.Run("a taken name is refused", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		a := e.path("A", "proj")
		e.ok("init", "--storage", a)
		e.write("x.txt", "x\n")
		u := e.saveUID("x.txt", "--key", "x.txt")
		r := e.want(4, "init", "--storage", e.path("B", "proj"))
		if !strings.Contains(r.stderr, "is taken") || !strings.Contains(r.stderr, "--name") {
			t.Errorf("want the name refused with a hint, got:\n%s", r)
		}
		if fileExists(e.path("B", "proj", ".lamindb")) {
			t.Error("the refused init left a folder behind")
		}
		// A is untouched and still the connected instance.
		e.ok("check", "--repair", "--grace", "0s")
		if p := e.loadPath("--uid", u); !strings.HasPrefix(p, a) || !fileExists(p) {
			t.Errorf("A's artifact: %s", p)
		}
		e.ok("init", "--storage", e.path("B", "proj"), "--name", "proj2")
	})
	t.Run("one folder under two paths is one storage", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.init("inst")
		extra := e.path("extra")
		os.MkdirAll(extra, 0o755)
		e.ok("create", "storage", extra)
		link := e.path("link-to-extra")
		if err := os.Symlink(extra, link); err != nil {
			t.Fatal(err)
		}
		r := e.ok("create", "storage", link)
		if !strings.Contains(r.stderr, "returning existing storage location") {
			t.Errorf("the same folder through a link registered twice:\n%s", r)
		}
		if n := len(e.list("storage")); n != 2 {
			t.Errorf("%d storage locations, want 2", n)
		}
		e.ok("settings", "storage", link)
		e.write("y.txt", "y\n")
		u := e.saveUID("y.txt", "--key", "y.txt")
		if p := e.loadPath("--uid", u); !strings.HasPrefix(p, extra) {
			t.Errorf("saved to %s, want below %s", p, extra)
		}
		checkClean(t, e)
	})
	t.Run("a database without its marker is left alone", func(t *testing.T) {
		sqliteOnly(t)
		t.Parallel()
		e := newEnv(t)
		root := e.init("inst")
		e.ok("disconnect")
		os.Remove(filepath.Join(root, ".lamindb", "storage_uid.txt"))
		os.Remove(filepath.Join(e.settingsDir(), "instance--anonymous--inst.env"))
		db := filepath.Join(root, ".lamindb", "lamin.db")
		before := fileSum(t, db)
		r := e.want(4, "init", "--storage", root)
		if !strings.Contains(r.stderr, "no marker") {
			t.Errorf("want the refusal to say why, got:\n%s", r)
		}
		if fileSum(t, db) != before {
			t.Error("the refused init changed the database it found")
		}
	})
	t.Run("connect by path after a move", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		root := e.init("inst")
		e.write("z.txt", "z\n")
		u := e.saveUID("z.txt", "--key", "z.txt")
		moved := e.path("moved")
		if err := os.Rename(root, moved); err != nil {
			t.Fatal(err)
		}
		r := e.want(3, "list", "artifact")
		if !strings.Contains(r.stderr, "lamin connect") {
			t.Errorf("want a hint to connect by path, got:\n%s", r)
		}
		r = e.ok("connect", moved)
		if !strings.Contains(r.stderr, "is now at "+moved) {
			t.Errorf("connect should say the instance moved:\n%s", r)
		}
		if p := e.loadPath("--uid", u); p != filepath.Join(moved, ".lamindb", u+".txt") {
			t.Errorf("load after the move: %s", p)
		}
		if recs := e.list("storage"); recs[0]["root"] != filepath.ToSlash(moved) {
			t.Errorf("the storage root was not updated: %v", recs[0]["root"])
		}
		checkClean(t, e)
	})
	t.Run("two inits of one folder", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		p := e.holdAt("init-after-marker", "init", "--storage", "inst")
		r := e.want(4, "init", "--storage", "inst", "--name", "other")
		if !strings.Contains(r.stderr, "another lamin process") {
			t.Errorf("want the second init refused as busy, got:\n%s", r)
		}
		p.release()
		if r := p.wait(); r.code != 0 {
			t.Fatalf("the first init: %s", r)
		}
		checkClean(t, e)
	})
}

// TestNamesAndText: instance names and the text users give are validated.
func TestNamesAndText(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.init("inst")
	e.write("a.txt", "a\n")
	tests := []struct {
		name string
		args []string
	}{
		{"name with a space", []string{"init", "--storage", "x", "--name", "a b"}},
		{"name with a slash", []string{"init", "--storage", "x", "--name", "a/b"}},
		{"name with a control character", []string{"init", "--storage", "x", "--name", "a\tb"}},
		{"name with --", []string{"init", "--storage", "x", "--name", "a--b"}},
		{"key with a newline", []string{"save", "a.txt", "--key", "a\nb.txt"}},
		{"key that is not UTF-8", []string{"save", "a.txt", "--key", "a\xff.txt"}},
		{"description that is not UTF-8", []string{"save", "a.txt", "--description", "\xfe"}},
		{"label name with an escape", []string{"create", "ulabel", "x\x1b[31m"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if r := e.run("", tc.args...); r.code != 2 {
				t.Errorf("want exit 2, got:\n%s", r)
			}
		})
	}
	// Names match exactly: a glob or another case names no instance.
	for _, name := range []string{"*", "in*", "INST", "ins"} {
		if r := e.run("", "connect", name); r.code != 3 {
			t.Errorf("connect %q: want exit 3, got:\n%s", name, r)
		}
	}
	if n := len(e.list("artifact", "--branch", "all")); n != 0 {
		t.Errorf("%d artifacts saved from bad input", n)
	}
}

func fileSum(t *testing.T, p string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}
