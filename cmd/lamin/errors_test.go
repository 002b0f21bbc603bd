package main

import (
	"crypto/rand"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBadInput: every bad input gets a clear message and its documented exit
// code, and leaves nothing half-written.
func TestBadInput(t *testing.T) {
	t.Parallel()
	random := make([]byte, 4096)
	rand.Read(random)
	tests := []struct {
		name   string
		noInit bool                   // run against a fresh settings folder
		setup  func(e *env)           // more preparation
		args   []string               // the command; <dir> is replaced by the working folder
		code   int                    // exit code
		msg    string                 // substring of stderr
		hint   bool                   // stderr has a hint line starting with •
		after  func(*testing.T, *env) // checks afterwards
	}{
		{name: "missing path", args: []string{"save", "missing.csv"}, code: 3, msg: "path does not exist: missing.csv"},
		{name: "key with ..", args: []string{"save", "df.csv", "--key", "a/../b.csv"}, code: 2, msg: "'..' segments"},
		{name: "key with backslash", args: []string{"save", "df.csv", "--key", `a\b.csv`}, code: 2, msg: "backslash"},
		{name: "key in the managed folder", args: []string{"save", "df.csv", "--key", ".lamindb/x.csv"}, code: 2, msg: "`.lamindb/`"},
		{name: "key suffix mismatch", args: []string{"save", "df.csv", "--key", "x.parquet"}, code: 2,
			msg: "The passed path's suffix '.csv' must match the passed key's suffix '.parquet'."},
		{name: "key suffix mismatch as table", args: []string{"save", "df.csv", "--dataframe", "--key", "x.csv"}, code: 2,
			msg: "must match the passed key's suffix '.csv'"},
		{name: "bad key before missing path", args: []string{"save", "missing.csv", "--key", "a/../b.csv"}, code: 2, msg: "'..' segments"},
		{name: "unknown registry", args: []string{"list", "nosuchregistry"}, code: 2,
			msg: "available registries: artifact, collection, transform, run, ulabel, storage, user, branch, space"},
		{name: "unknown field", args: []string{"list", "artifact", "--filter", "nosuch=1"}, code: 2,
			msg: "unknown field 'nosuch' for artifact; available fields: id, uid, key, description"},
		{name: "unknown lookup", args: []string{"list", "artifact", "--filter", "key__nosuch=1"}, code: 2,
			msg: "available lookups: exact, iexact, contains, icontains, startswith, istartswith, endswith, iendswith, in, gt, gte, lt, lte, isnull"},
		{name: "unknown field in delete", args: []string{"delete", "artifact", "--filter", "nosuch=1"}, code: 2, msg: "available fields"},
		{name: "filter without =", args: []string{"list", "artifact", "--filter", "key"}, code: 2},
		{name: "bad branch", args: []string{"list", "artifact", "--branch", "nosuch"}, code: 2},
		{name: "ragged csv", args: []string{"save", "ragged.csv", "--dataframe", "--description", "x"}, code: 2,
			msg: "wrong number of fields", after: nothingSaved},
		{name: "random parquet", args: []string{"save", "random.parquet", "--dataframe", "--description", "x"}, code: 2,
			msg: "cannot read random.parquet as a table", after: nothingSaved},
		{name: "no instance", noInit: true, args: []string{"list", "artifact"}, code: 3, msg: "no instance connected", hint: true},
		{name: "no instance for save", noInit: true, args: []string{"save", "df.csv"}, code: 3, msg: "no instance connected", hint: true},
		{name: "connect unknown", noInit: true, args: []string{"connect", "nosuch"}, code: 3, msg: "instance nosuch not found", hint: true},
		{name: "current instance unknown", setup: func(e *env) { e.extra = append(e.extra, "LAMIN_CURRENT_INSTANCE=nosuch") },
			args: []string{"list", "artifact"}, code: 3, msg: "nosuch"},
		{name: "init on a managed root", args: []string{"init", "--storage", "<dir>/inst", "--name", "other"}, code: 4,
			msg: "is already managed by instance anonymous/inst", after: func(t *testing.T, e *env) {
				if fileExists(filepath.Join(e.settingsDir(), "instance--anonymous--other.env")) {
					t.Errorf("a refused init left a settings file")
				}
			}},
		{name: "init twice", args: []string{"init", "--storage", "<dir>/inst"}, code: 4, msg: "instance name anonymous/inst is taken"},
		{name: "unknown uid", args: []string{"delete", "artifact", "--uid", "0000000000000000ZZZZ"}, code: 3,
			msg: "No record found with uid '0000000000000000ZZZZ'"},
		{name: "unknown uid restore", args: []string{"restore", "artifact", "--uid", "0000000000000000ZZZZ"}, code: 3},
		{name: "unknown uid load", args: []string{"load", "artifact", "--uid", "0000000000000000ZZZZ"}, code: 3},
		{name: "unknown key get", args: []string{"get", "artifact", "--key", "nosuch.csv"}, code: 3, msg: "does not exist"},
		{name: "unknown command", args: []string{"nosuchcommand"}, code: 2, msg: `unknown command "nosuchcommand"`},
		{name: "unknown flag", args: []string{"list", "artifact", "--nosuch"}, code: 2, msg: "unknown flag"},
		{name: "missing argument", args: []string{"list"}, code: 2},
		{name: "two addresses", args: []string{"delete", "artifact", "--uid", "x", "--key", "y"}, code: 2, msg: "exactly one"},
		{name: "bad locked value", args: []string{"update", "artifact", "--uid", "x", "--locked", "maybe"}, code: 2},
		{name: "unreadable file", args: []string{"save", "secret.csv", "--description", "x"}, code: 1, msg: "cannot read",
			setup: func(e *env) {
				if os.Geteuid() == 0 {
					e.t.Skip("root reads any file")
				}
				os.Chmod(e.write("secret.csv", seedCSV), 0)
			}, after: nothingSaved},
		{name: "a socket", args: []string{"save", "secret.csv", "--description", "x"}, code: 2, msg: "not a regular file",
			setup: func(e *env) {
				l, err := net.Listen("unix", filepath.Join(e.dir, "secret.csv"))
				if err != nil {
					panic(err)
				}
				e.t.Cleanup(func() { l.Close() })
			}, after: nothingSaved},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			if !tc.noInit {
				e.init("inst")
			}
			e.write("df.csv", seedCSV)
			e.write("ragged.csv", "a,b\n1,3\n2\n")
			e.write("random.parquet", string(random))
			if tc.setup != nil {
				tc.setup(e)
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "<dir>", e.dir)
			}
			r := e.run("", args...)
			if r.code != tc.code {
				t.Errorf("want exit %d, got:\n%s", tc.code, r)
			}
			if !strings.Contains(r.stderr, tc.msg) {
				t.Errorf("want %q in stderr, got:\n%s", tc.msg, r)
			}
			if !strings.HasPrefix(r.stderr, "✗ ") && !strings.Contains(r.stderr, "\n✗ ") {
				t.Errorf("want an error line starting with ✗, got:\n%s", r)
			}
			if tc.hint && !strings.Contains(r.stderr, "\n• ") {
				t.Errorf("want a hint line starting with •, got:\n%s", r)
			}
			if r.stdout != "" {
				t.Errorf("a failed command must print nothing on stdout, got:\n%s", r)
			}
			if tc.after != nil {
				tc.after(t, e)
			}
		})
	}
}

// nothingSaved checks that a failed save left no row and no managed file.
func nothingSaved(t *testing.T, e *env) {
	t.Helper()
	if recs := e.list("artifact", "--branch", "all"); len(recs) != 0 {
		t.Errorf("a failed save left rows: %v", uids(recs))
	}
	if files := managedFiles(t, e.path("inst")); len(files) != 0 {
		t.Errorf("a failed save left files in .lamindb/: %v", files)
	}
	r := e.ok("check")
	if !strings.Contains(r.stdout, "managed files without rows: 0") {
		t.Errorf("check after a failed save:\n%s", r)
	}
}

// TestRefusals: protected, locked and non-empty things refuse with exit 4 and
// nothing changes.
func TestRefusals(t *testing.T) {
	t.Parallel()

	t.Run("artifact in a collection", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		root := e.init("inst")
		e.write("a.csv", seedCSV)
		u := e.saveUID("a.csv", "--key", "raw/a.csv")
		r := e.ok("create", "collection", "--key", "c", "--artifact", u, "--json")
		var coll map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &coll); err != nil {
			t.Fatalf("create collection --json: %v\n%s", err, r)
		}
		c, _ := coll["uid"].(string)
		before := e.list("artifact", "--branch", "all")
		r = e.want(4, "delete", "artifact", "--uid", u, "--permanent")
		for _, want := range []string{"Collection", c, "CollectionArtifact.artifact"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("the refusal must name the collection (%q):\n%s", want, r)
			}
		}
		if diff := cmp.Diff(before, e.list("artifact", "--branch", "all")); diff != "" {
			t.Errorf("a refused purge changed records:\n%s", diff)
		}
		if !fileExists(filepath.Join(root, ".lamindb", u+".csv")) {
			t.Errorf("a refused purge deleted the file")
		}
		e.ok("delete", "collection", "--uid", c, "--permanent")
		e.ok("delete", "artifact", "--uid", u, "--permanent")
		e.want(3, "get", "artifact", u)
		if fileExists(filepath.Join(root, ".lamindb", u+".csv")) {
			t.Errorf("the purge left the file")
		}
	})

	t.Run("locked artifact", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.init("inst")
		e.write("a.csv", seedCSV)
		u := e.saveUID("a.csv", "--key", "raw/a.csv")
		steps := []struct {
			name string
			args []string
			code int
			msg  string
		}{
			{"lock", []string{"update", "artifact", "--uid", u, "--locked", "true"}, 0, ""},
			{"trash", []string{"delete", "artifact", "--uid", u}, 4, "locked"},
			{"purge", []string{"delete", "artifact", "--uid", u, "--permanent"}, 4, "locked"},
			{"bulk trash", []string{"delete", "artifact", "--filter", "key__startswith=raw/"}, 4, "locked"},
			{"describe", []string{"update", "artifact", "--uid", u, "--description", "new"}, 4, "is_locked=True"},
			{"archive", []string{"update", "artifact", "--uid", u, "--branch", "archive"}, 4, "locked"},
			{"unlock", []string{"update", "artifact", "--uid", u, "--locked", "false"}, 0, ""},
			{"trash when unlocked", []string{"delete", "artifact", "--uid", u}, 0, ""},
			{"lock in trash", []string{"update", "artifact", "--uid", u, "--locked", "true"}, 0, ""},
			{"restore", []string{"restore", "artifact", "--uid", u}, 4, "locked"},
			{"bulk restore", []string{"restore", "artifact", "--filter", "key__startswith=raw/"}, 4, "locked"},
			{"purge from trash", []string{"delete", "artifact", "--uid", u, "--yes"}, 4, "locked"},
			{"unlock in trash", []string{"update", "artifact", "--uid", u, "--locked", "false"}, 0, ""},
			{"restore when unlocked", []string{"restore", "artifact", "--uid", u}, 0, ""},
			{"describe when unlocked", []string{"update", "artifact", "--uid", u, "--description", "new"}, 0, ""},
		}
		for _, s := range steps {
			before := e.list("artifact", "--branch", "all")
			r := e.run("", s.args...)
			if r.code != s.code {
				t.Errorf("%s: want exit %d, got:\n%s", s.name, s.code, r)
			}
			if !strings.Contains(r.stderr, s.msg) {
				t.Errorf("%s: want %q in stderr:\n%s", s.name, s.msg, r)
			}
			if s.code != 0 {
				if diff := cmp.Diff(before, e.list("artifact", "--branch", "all")); diff != "" {
					t.Errorf("%s: a refused change changed records:\n%s", s.name, diff)
				}
			}
		}
		r := e.ok("log", "--json")
		var evs []struct {
			Action string `json:"action"`
			UID    string `json:"uid"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &evs); err != nil {
			t.Fatalf("log --json: %v\n%s", err, r)
		}
		var got []string
		for _, ev := range evs {
			if ev.UID == u {
				got = append(got, ev.Action)
			}
		}
		want := []string{"update", "restore", "unlock", "lock", "trash", "unlock", "lock"} // newest first
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("audit log of %s (-want +got):\n%s", u, diff)
		}
	})

	t.Run("instance with an artifact", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		root := e.init("inst")
		e.write("a.csv", seedCSV)
		u := e.saveUID("a.csv", "--description", "a")
		r := e.want(4, "delete", "--force", "inst")
		want := "'" + root + "/.lamindb' contains 1 objects:\n" + root + "/.lamindb/" + u + ".csv\ndelete them prior to deleting the storage location"
		if !strings.Contains(r.stderr, want) {
			t.Errorf("want %q in stderr, got:\n%s", want, r)
		}
		if !(postgresBackend() || fileExists(filepath.Join(root, ".lamindb", "lamin.db"))) || !fileExists(filepath.Join(e.settingsDir(), "instance--anonymous--inst.env")) {
			t.Errorf("a refused instance delete removed something")
		}
		e.ok("list", "artifact")
		// Trash is not enough: the bytes are still managed.
		e.ok("delete", "artifact", "--uid", u)
		e.want(4, "delete", "--force", "inst")
		e.ok("delete", "artifact", "--uid", u, "--permanent")
		e.ok("delete", "--force", "inst")
		if fileExists(filepath.Join(root, ".lamindb")) {
			t.Errorf("instance delete left %s/.lamindb", root)
		}
	})

	t.Run("instance delete asks", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		root := e.init("inst")
		tests := []struct {
			stdin string
			code  int
		}{{"n\n", 5}, {"", 5}, {"yes\n", 0}}
		for _, tc := range tests {
			r := e.run(tc.stdin, "delete", "inst")
			if r.code != tc.code || countPrompts(r.stderr) != 1 {
				t.Errorf("stdin %q: want exit %d after one prompt, got:\n%s", tc.stdin, tc.code, r)
			}
			if (tc.code == 0) == fileExists(filepath.Join(root, ".lamindb")) {
				t.Errorf("stdin %q: .lamindb exists = %v", tc.stdin, fileExists(filepath.Join(root, ".lamindb")))
			}
		}
	})

	t.Run("storage with artifacts", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.init("inst")
		e.write("a.csv", seedCSV)
		e.saveUID("a.csv", "--description", "a")
		s := uids(e.list("storage"))[0]
		r := e.want(4, "delete", "storage", "--uid", s, "--permanent")
		if !strings.Contains(r.stderr, "Cannot delete storage with artifacts in current instance.") {
			t.Errorf("want lamindb's message, got:\n%s", r)
		}
		if got := uids(e.list("storage")); !cmp.Equal(got, []string{s}) {
			t.Errorf("storage rows after a refused delete: %v", got)
		}
	})

	t.Run("audit log", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.init("inst")
		e.write("a.csv", seedCSV)
		u := e.saveUID("a.csv", "--description", "a")
		e.ok("delete", "artifact", "--uid", u)
		e.ok("restore", "artifact", "--uid", u)
		e.ok("update", "artifact", "--uid", u, "--locked", "true")
		e.ok("update", "artifact", "--uid", u, "--locked", "false")
		e.ok("delete", "artifact", "--uid", u, "--permanent")
		r := e.ok("log")
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(lines) != 6 || strings.Join(strings.Fields(lines[0]), " ") != "id created_at user action registry uid from_branch_id to_branch_id bytes" {
			t.Fatalf("want a header and 5 events:\n%s", r)
		}
		var actions []string
		for _, l := range lines[1:] {
			f := strings.Fields(l)
			if len(f) < 6 || f[5] != u {
				t.Errorf("event line without the uid %s: %q", u, l)
				continue
			}
			actions = append(actions, f[3])
		}
		if want := []string{"purge", "unlock", "lock", "restore", "trash"}; !cmp.Equal(actions, want) {
			t.Errorf("log actions %v, want %v (newest first)", actions, want)
		}
		r = e.ok("log", "--json", "--limit", "2")
		var evs []map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &evs); err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0]["action"] != "purge" || evs[0]["from_branch_id"] != 1.0 || evs[0]["to_branch_id"] != nil || evs[0]["user"] != "anonymous" {
			t.Errorf("log --json --limit 2: %v", evs)
		}
		if b, _ := evs[0]["bytes"].(float64); b <= 0 {
			t.Errorf("a purge event records the bytes freed, got %v", evs[0]["bytes"])
		}
	})
}
