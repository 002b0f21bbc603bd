// Package testbackend chooses what the library and command-line suites run
// on, so that the same tests cover every combination of metadata and storage:
//
//	LAMIN_TEST_DB=sqlite (default) | postgres   where an instance keeps its metadata
//	LAMIN_TEST_STORAGE=local (default) | s3     where its default storage is
//
// PostgreSQL needs the server scripts/start-postgres starts (pgtest), S3 the
// one scripts/start-s3 starts (s3test). With S3 storage and SQLite the
// database lives in the bucket, as lamindb keeps it.
//
// Tests look into an instance's storage through Files, whichever it is: what
// is there, a file's bytes, a file put or removed by hand (as another program
// or bit rot would).
package testbackend

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/blob/local"
	"github.com/lamindb-go/lamindb/blob/s3"
	"github.com/lamindb-go/lamindb/blob/s3/s3test"
	"github.com/lamindb-go/lamindb/internal/sqldb/pgtest"
)

// Postgres reports whether test instances keep their metadata in PostgreSQL.
func Postgres() bool { return os.Getenv("LAMIN_TEST_DB") == "postgres" }

// S3 reports whether test instances keep their bytes in S3.
func S3() bool { return os.Getenv("LAMIN_TEST_STORAGE") == "s3" }

// Name says which combination runs, for skip messages: "SQLite + local" etc.
func Name() string {
	db, st := "SQLite", "local"
	if Postgres() {
		db = "PostgreSQL"
	}
	if S3() {
		st = "S3"
	}
	return db + " + " + st
}

// Check fails the test when a variable names an unknown backend.
func Check(t testing.TB) {
	t.Helper()
	if v := os.Getenv("LAMIN_TEST_DB"); v != "" && v != "sqlite" && v != "postgres" {
		t.Fatalf("LAMIN_TEST_DB=%s: want sqlite or postgres", v)
	}
	if v := os.Getenv("LAMIN_TEST_STORAGE"); v != "" && v != "local" && v != "s3" {
		t.Fatalf("LAMIN_TEST_STORAGE=%s: want local or s3", v)
	}
}

// DB is the database a new test instance gets: "" (SQLite, in its storage)
// or a fresh PostgreSQL database with lamindb's schema, dropped after the test.
func DB(t testing.TB) string {
	t.Helper()
	Check(t)
	if Postgres() {
		return pgtest.NewInstance(t) // the schema cloned from a template: fast
	}
	return ""
}

// buckets holds each running test's bucket: one per test, made on first use.
var buckets sync.Map // testing.TB → string

// Root is the storage root for a new instance called name: the folder
// dir/name, or s3://<the test's bucket>/name.
func Root(t testing.TB, dir, name string) string {
	t.Helper()
	Check(t)
	if !S3() {
		return filepath.Join(dir, name)
	}
	b, ok := buckets.Load(t)
	if !ok {
		_, bucket := s3test.Bucket(t)
		b = bucket
		buckets.Store(t, bucket)
		t.Cleanup(func() { buckets.Delete(t) })
	}
	return "s3://" + b.(string) + "/" + name
}

// LocalOnly skips a test of what only a local storage folder has (paths,
// permissions, file system quirks) when the suites run on S3.
func LocalOnly(t testing.TB, why string) {
	t.Helper()
	if S3() {
		t.Skip("local storage only: " + why)
	}
}

// SQLiteOnly skips a test of what only SQLite has (its database file, copied,
// corrupted or written by hand) when the suites run on PostgreSQL.
func SQLiteOnly(t testing.TB, why string) {
	t.Helper()
	if Postgres() {
		t.Skip("SQLite only: " + why)
	}
}

// Files is a test's view of a storage root, through the same kind of store
// the instance uses (a local folder or S3).
type Files struct {
	t    testing.TB
	Root string
	st   blob.Store
}

// Open returns the files of root.
func Open(t testing.TB, root string) *Files {
	t.Helper()
	var st blob.Store = local.New(root)
	if strings.HasPrefix(root, "s3://") {
		s, err := s3.New(root, s3test.Config(t))
		if err != nil {
			t.Fatal(err)
		}
		st = s
	}
	return &Files{t: t, Root: root, st: st}
}

// Store is the store the files are seen through.
func (f *Files) Store() blob.Store { return f.st }

// Join is root/key as a user would type it (a path or an s3:// URL).
func (f *Files) Join(key string) string {
	if strings.HasPrefix(f.Root, "s3://") {
		return strings.TrimSuffix(f.Root, "/") + "/" + key
	}
	return filepath.Join(f.Root, filepath.FromSlash(key))
}

// Exists reports whether key is a file or a folder.
func (f *Files) Exists(key string) bool {
	f.t.Helper()
	_, err := f.st.Stat(context.Background(), key)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		f.t.Fatalf("stat %s: %v", f.Join(key), err)
	}
	return err == nil
}

// Read returns the bytes of the file at key.
func (f *Files) Read(key string) string {
	f.t.Helper()
	rc, err := f.st.Open(context.Background(), key)
	if err != nil {
		f.t.Fatalf("open %s: %v", f.Join(key), err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		f.t.Fatalf("read %s: %v", f.Join(key), err)
	}
	return string(b)
}

// Write puts content at key by hand, as another program would.
func (f *Files) Write(key, content string) {
	f.t.Helper()
	if _, err := f.st.Put(context.Background(), key, strings.NewReader(content), int64(len(content))); err != nil {
		f.t.Fatalf("write %s: %v", f.Join(key), err)
	}
}

// Remove deletes the file or folder at key by hand.
func (f *Files) Remove(key string) {
	f.t.Helper()
	if err := f.st.Delete(context.Background(), key); err != nil {
		f.t.Fatalf("remove %s: %v", f.Join(key), err)
	}
}

// List returns the keys of the files below prefix, sorted.
func (f *Files) List(prefix string) []string {
	f.t.Helper()
	es, err := f.st.List(context.Background(), prefix)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		f.t.Fatalf("list %s: %v", f.Join(prefix), err)
	}
	out := []string{}
	for _, e := range es {
		out = append(out, e.Key)
	}
	return out
}

// Managed lists what .lamindb/ holds besides the instance's own bookkeeping
// (the marker, the SQLite database and its lock files, lamindb's exclusion
// lock, empty working folders): each artifact's file or folder once, and the
// files left in working folders as "<folder>/<name>". Sorted.
func (f *Files) Managed() []string {
	f.t.Helper()
	seen := map[string]bool{}
	out := []string{}
	for _, k := range f.List(".lamindb") {
		rest := strings.TrimPrefix(k, ".lamindb/")
		first, below, nested := strings.Cut(rest, "/")
		switch {
		case strings.HasPrefix(first, "lamin.db"), first == "storage_uid.txt", first == "_exclusion":
			continue
		case nested && strings.HasPrefix(first, "."):
			// a working folder (staging, quarantine): what is left in it
			second, _, _ := strings.Cut(below, "/")
			first += "/" + second
		}
		if !seen[first] {
			seen[first] = true
			out = append(out, first)
		}
	}
	if !strings.HasPrefix(f.Root, "s3://") {
		// Empty folder artifacts have no files to list.
		ents, _ := os.ReadDir(filepath.Join(f.Root, ".lamindb"))
		for _, e := range ents {
			if n := e.Name(); e.IsDir() && !strings.HasPrefix(n, ".") && !seen[n] {
				if sub, _ := os.ReadDir(filepath.Join(f.Root, ".lamindb", n)); len(sub) == 0 {
					seen[n] = true
					out = append(out, n)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// Gone reports whether the instance left nothing at the root: the folder is
// removed, or (a prefix is no folder on S3) no object is left in .lamindb/.
func (f *Files) Gone() bool {
	f.t.Helper()
	if strings.HasPrefix(f.Root, "s3://") {
		return len(f.List(".lamindb")) == 0
	}
	_, err := os.Stat(f.Root)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		f.t.Fatal(err)
	}
	return err != nil
}
