package lamindb_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	ln "github.com/lamindb-go/lamindb"
	"github.com/lamindb-go/lamindb/internal/testbackend"
)

// messages records what the library says, as the CLI would print it.
type messages struct {
	mu    sync.Mutex
	lines []string
}

func (m *messages) notify(l ln.Level, msg string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lines = append(m.lines, l.Prefix()+" "+msg)
}

func (m *messages) has(sub string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, l := range m.lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

func (m *messages) reset() { m.mu.Lock(); m.lines = nil; m.mu.Unlock() }

// env is a fresh instance with its own settings, on the backends the suites
// run on (testbackend: SQLite or PostgreSQL, a local folder or S3).
type env struct {
	t     *testing.T
	ctx   context.Context
	dir   string // scratch folder (sources, settings, cache)
	root  string // storage root: a path or s3://bucket/test-delete
	files *testbackend.Files
	opts  ln.Options
	msgs  *messages
	in    *ln.Instance
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("LAMIN_CACHE_DIR", filepath.Join(dir, "cache"))
	m := &messages{}
	root := testbackend.Root(t, dir, "test-delete")
	e := &env{t: t, ctx: context.Background(), dir: dir, root: root, files: testbackend.Open(t, root), msgs: m,
		opts: ln.Options{Settings: ln.Settings{Dir: filepath.Join(dir, "settings")}, Notify: m.notify}}
	in, err := ln.Init(e.ctx, ln.InitOptions{Options: e.opts, Storage: e.root, DB: testDB(t)})
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	e.in = in
	t.Cleanup(func() { in.Close() })
	return e
}

// file writes content to a file under the env's scratch folder and returns its path.
func (e *env) file(name, content string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, "src", name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) save(path string, o ln.SaveOptions) *ln.Artifact {
	e.t.Helper()
	a, err := e.in.Save(e.ctx, path, o)
	if err != nil {
		e.t.Fatalf("Save(%s): %v", path, err)
	}
	return a
}

// count returns how many artifacts a branch scope sees.
func (e *env) count(b ln.Branch) int64 {
	e.t.Helper()
	n, err := e.in.Artifacts().Branch(b).Count(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) get(uid string) ln.Record {
	e.t.Helper()
	r, err := e.in.Artifacts().UID(uid).Get(e.ctx)
	if err != nil {
		e.t.Fatalf("Get(%s): %v", uid, err)
	}
	return r
}

// managedFiles lists the artifacts' files and folders in .lamindb/ and
// what working folders hold (testbackend.Files.Managed).
func (e *env) managedFiles() []string {
	e.t.Helper()
	return e.files.Managed()
}

// testDB is the database a test instance gets: "" (SQLite in its storage)
// by default; with LAMIN_TEST_DB=postgres a fresh PostgreSQL database on the
// test server (pgtest), so that the same suites run on both.
func testDB(t *testing.T) string { t.Helper(); return testbackend.DB(t) }

// sqliteBackend reports whether test instances keep their metadata in SQLite.
func sqliteBackend() bool { return !testbackend.Postgres() }

// onSQLite skips a test of what only SQLite has: its database file, written
// by hand as another program would.
func onSQLite(t *testing.T) {
	t.Helper()
	testbackend.SQLiteOnly(t, "writes SQLite's database file by hand")
	localOnly(t, "writes SQLite's database file in the storage folder by hand")
}

// localOnly skips a test of what only a local storage folder has.
func localOnly(t *testing.T, why string) { t.Helper(); testbackend.LocalOnly(t, why) }

func yes(string) bool { return true }
func no(string) bool  { return false }

// must returns v, or fails the test with err: a check of a query's result
// must fail when the query does. Use as must(q.Count(ctx))(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
