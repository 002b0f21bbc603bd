package main

// The tests of this package run the built lamin binary, as users meet it: one
// process per command, with its own environment, stdin, stdout, stderr and
// exit code. TestMain builds the binary once.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lamindb-go/lamindb/internal/sqldb/pgtest"
)

// laminBin is the path of the binary TestMain built.
var laminBin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "lamin-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	laminBin = filepath.Join(dir, "lamin")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = "/usr/local/go/bin/go"
	}
	// The fault points (LAMIN_FAULT) exist only in a build with the laminfault tag.
	build := exec.Command(goTool, "build", "-tags", "laminfault", "-o", laminBin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// env is an isolated user of lamin: its own settings, cache and home folders
// and a working folder that commands run in.
type env struct {
	t     *testing.T
	dir   string   // working folder of every command; instances live below it
	extra []string // more environment variables, KEY=VALUE
}

// newEnv returns an env rooted in a fresh t.TempDir().
func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	// Resolve symlinks so that paths printed by lamin (absolute) match dir.
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	for _, d := range []string{"home", "cache"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &env{t: t, dir: dir}
}

// settingsDir is the settings folder lamin uses: .lamin inside LAMIN_SETTINGS_DIR.
func (e *env) settingsDir() string { return filepath.Join(e.dir, "settings", ".lamin") }

// path joins elem onto the working folder.
func (e *env) path(elem ...string) string {
	return filepath.Join(append([]string{e.dir}, elem...)...)
}

// result is what one lamin process did.
type result struct {
	args           []string
	stdout, stderr string
	code           int            // exit code; -1 when killed by a signal
	signal         syscall.Signal // the signal that killed the process, if any
}

func (r result) String() string {
	return fmt.Sprintf("lamin %s\n[exit %d]\n--- stdout\n%s--- stderr\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// environ is the process environment: the test's, without LAMIN_* and HOME,
// plus the isolated folders and e.extra.
func (e *env) environ(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "LAMIN_") || strings.HasPrefix(kv, "HOME=") {
			continue
		}
		out = append(out, kv)
	}
	out = append(out,
		"HOME="+e.path("home"),
		"LAMIN_SETTINGS_DIR="+filepath.Dir(e.settingsDir()),
		"LAMIN_CACHE_DIR="+e.path("cache"),
	)
	out = append(out, e.extra...)
	return append(out, extra...)
}

// postgresBackend reports whether the suites run on PostgreSQL
// (LAMIN_TEST_DB=postgres; scripts/test sets it for a second run).
func postgresBackend() bool { return os.Getenv("LAMIN_TEST_DB") == "postgres" }

// sqliteOnly skips a test of what only SQLite has: its database file beside
// the bytes (copied, moved, corrupted, made read-only or written by hand).
func sqliteOnly(t *testing.T) {
	t.Helper()
	if postgresBackend() {
		t.Skip("tests SQLite's database file")
	}
}

// pgDatabases maps the storage root of each instance a test made on
// PostgreSQL to its database, for openDB.
var pgDatabases sync.Map

// storageArg is the absolute --storage of an init command line.
func (e *env) storageArg(args []string) string {
	s := "."
	for i, a := range args {
		if a == "--storage" && i+1 < len(args) {
			s = args[i+1]
		} else if v, ok := strings.CutPrefix(a, "--storage="); ok {
			s = v
		}
	}
	if !filepath.IsAbs(s) {
		s = filepath.Join(e.dir, s)
	}
	return filepath.Clean(s)
}

// exec runs lamin with args, stdin and extra environment variables.
func (e *env) exec(extraEnv []string, stdin string, args ...string) result {
	e.t.Helper()
	shown := args
	if postgresBackend() && len(args) > 0 && args[0] == "init" && !slices.Contains(args, "--db") {
		// The same suites on PostgreSQL: every storage root gets a database
		// of its own on the test server, the same one when an init of it is
		// repeated, as a user repeats the command (transcripts show the
		// command as the test wrote it).
		root := e.storageArg(args)
		dsn, ok := pgDatabases.Load(root)
		if !ok {
			dsn = pgtest.NewInstance(e.t) // the schema cloned from a template: fast
			pgDatabases.Store(root, dsn)
		}
		args = append(slices.Clip(args), "--db", dsn.(string))
	}
	cmd := exec.Command(laminBin, args...)
	cmd.Dir = e.dir
	cmd.Env = e.environ(extraEnv...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("start lamin %v: %v", args, err)
	}
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		e.t.Fatalf("lamin %v: still running after 30s (waiting for input?)\nstderr: %s", args, stderr.String())
	}
	r := result{args: shown, stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.signal = ws.Signal()
		}
	default:
		e.t.Fatalf("lamin %v: %v", args, err)
	}
	return r
}

// run runs lamin with args and stdin.
func (e *env) run(stdin string, args ...string) result {
	e.t.Helper()
	return e.exec(nil, stdin, args...)
}

// want runs lamin with empty stdin and fails the test unless it exits with code.
func (e *env) want(code int, args ...string) result {
	e.t.Helper()
	r := e.run("", args...)
	if r.code != code {
		e.t.Fatalf("want exit %d, got:\n%s", code, r)
	}
	return r
}

// ok runs lamin and fails the test unless it exits 0.
func (e *env) ok(args ...string) result {
	e.t.Helper()
	return e.want(0, args...)
}

// write creates a file below the working folder and returns its path.
func (e *env) write(name, content string) string {
	e.t.Helper()
	p := e.path(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// init creates the instance "name" at <dir>/<name> and returns its root.
//
// With LAMIN_TEST_BASE=fixture it is instead a copy of the instance the real
// lamindb 2.9.1 made (testdata/lamindb-2.9.1) in the folder <dir>/<name>,
// connected by path and emptied by lamin itself (its collection and
// artifacts purged), so that the same suites run on lamindb's own database:
// its schema with the bionty tables, its seed rows, its id sequences, its
// storage row moved. (Its name stays lamin-fixture: suites that address the
// instance by name are left out in that mode; see .ci/run.)
func (e *env) init(name string) string {
	e.t.Helper()
	if os.Getenv("LAMIN_TEST_BASE") == "fixture" {
		root, _ := extractFixture(e.t, e.dir, name)
		e.ok("connect", root)
		e.ok("delete", "collection", "--filter", "key=col1", "--permanent", "--yes")
		e.ok("delete", "artifact", "--filter", "id__gt=0", "--branch", "all", "--permanent", "--yes")
		if n := len(e.list("artifact", "--branch", "all")); n != 0 {
			e.t.Fatalf("the fixture still has %d artifacts", n)
		}
		return root
	}
	root := e.path(name)
	e.ok("init", "--storage", root)
	return root
}

// seedCSV is the table of the seeds: {"a": [1, 2], "b": [3, 4]}.
const seedCSV = "a,b\n1,3\n2,4\n"

// saveUID saves a file with extra save flags and returns the uid of the new artifact.
func (e *env) saveUID(path string, flags ...string) string {
	e.t.Helper()
	r := e.ok(append([]string{"save", path, "--json"}, flags...)...)
	var rec map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil {
		e.t.Fatalf("save --json: %v\n%s", err, r)
	}
	u, _ := rec["uid"].(string)
	if u == "" {
		e.t.Fatalf("save --json: no uid\n%s", r)
	}
	return u
}

// list returns the records of `lamin list REGISTRY --json args…` (limit 0: all).
func (e *env) list(registry string, args ...string) []map[string]any {
	e.t.Helper()
	r := e.ok(append([]string{"list", registry, "--json", "--limit", "0"}, args...)...)
	var recs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &recs); err != nil {
		e.t.Fatalf("list --json: %v\n%s", err, r)
	}
	return recs
}

// uids returns the uids of recs, in order.
func uids(recs []map[string]any) []string {
	out := []string{}
	for _, r := range recs {
		s, _ := r["uid"].(string)
		out = append(out, s)
	}
	return out
}

// managedFiles lists the names in <root>/.lamindb that are neither the
// database, the marker, nor (empty) working folders.
func managedFiles(t *testing.T, root string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(root, ".lamindb"))
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, "lamin.db") || n == "storage_uid.txt" {
			continue
		}
		if e.IsDir() && strings.HasPrefix(n, ".") {
			sub, _ := os.ReadDir(filepath.Join(root, ".lamindb", n))
			if len(sub) == 0 {
				continue
			}
			for _, s := range sub {
				out = append(out, n+"/"+s.Name())
			}
			continue
		}
		out = append(out, n)
	}
	return out
}

// countPrompts counts the y/n questions in s.
func countPrompts(s string) int { return strings.Count(s, "(y/n)") }

// fileExists reports whether p exists.
func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
