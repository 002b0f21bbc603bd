package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestFilesAtRealPaths: a file registered in place (its key is its real path
// in storage) is deleted along only when the user says so: asked with the
// first question, before anything changes, or answered by --storage.
func TestFilesAtRealPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		stdin    string
		code     int
		prompts  int
		rowGone  bool
		fileGone bool
		says     string
	}{
		{name: "yes and yes", stdin: "y\ny\n", code: 0, prompts: 2, rowGone: true, fileGone: true},
		{name: "yes, keep the file", stdin: "y\nn\n", code: 0, prompts: 2, rowGone: true, says: "a file/folder remains here"},
		{name: "no", stdin: "n\n", code: 5, prompts: 1},
		{name: "Ctrl-D at the second question", stdin: "y\n", code: 0, prompts: 2, rowGone: true, says: "a file/folder remains here"},
		{name: "--storage delete", args: []string{"--yes", "--storage", "delete"}, code: 0, rowGone: true, fileGone: true},
		{name: "--storage keep", args: []string{"--yes", "--storage", "keep"}, code: 0, rowGone: true, says: "a file/folder remains here"},
		{name: "--permanent keeps it", args: []string{"--permanent"}, code: 0, rowGone: true, says: "a file/folder remains here"},
		{name: "--storage nonsense", args: []string{"--storage", "maybe"}, code: 2, prompts: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.init("inst")
			real := e.write(filepath.Join("inst", "data", "real.txt"), "registered in place\n")
			u := e.saveUID(real)
			if rec := e.record(u); rec["key"] != "data/real.txt" {
				t.Fatalf("not registered in place: %v", rec)
			}
			e.ok("delete", "artifact", "--uid", u)
			r := e.run(tc.stdin, append([]string{"delete", "artifact", "--uid", u}, tc.args...)...)
			if r.code != tc.code || countPrompts(r.stderr) != tc.prompts {
				t.Fatalf("want exit %d after %d questions, got:\n%s", tc.code, tc.prompts, r)
			}
			if tc.prompts == 2 && !strings.Contains(r.stderr, "Do you ALSO want to delete the data in storage at "+real+"? (y/n) You can't undo this action.") {
				t.Errorf("the second question is not lamindb's:\n%s", r)
			}
			if gone := len(e.list("artifact", "--branch", "all")) == 0; gone != tc.rowGone {
				t.Errorf("row gone: %v, want %v", gone, tc.rowGone)
			}
			if gone := !fileExists(real); gone != tc.fileGone {
				t.Errorf("file gone: %v, want %v", gone, tc.fileGone)
			}
			if tc.says != "" && !strings.Contains(r.stderr, tc.says) {
				t.Errorf("want %q, got:\n%s", tc.says, r)
			}
			checkClean(t, e)
		})
	}
}

// TestDatabaseRefusalsAreWorded: a unique key the database enforces is a
// refusal naming it, not driver text; flags that exclude each other are a
// usage error.
func TestDatabaseRefusalsAreWorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.init("inst")
	e.ok("create", "branch", "feature")
	r := e.want(4, "create", "branch", "feature")
	if !strings.Contains(r.stderr, "a branch with this name exists already") || strings.Contains(r.stderr, "(2067)") {
		t.Errorf("want a worded refusal, got:\n%s", r)
	}
	e.ok("create", "ulabel", "l1")
	e.want(2, "list", "artifact", "--json", "--csv")
	e.want(2, "log", "--json", "--csv")
	e.want(2, "check", "--grace", "-1s")
	e.want(2, "update", "artifact", "--uid", "x", "--locked", "maybe")
}
