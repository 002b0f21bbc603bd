package cache_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/blob/cache"
	"github.com/lamindb-go/lamindb/blob/local"
	"github.com/lamindb-go/lamindb/blob/s3/s3test"
)

// remote makes a store look not local, and counts downloads.
type remote struct {
	blob.Store
	root  string
	opens *atomic.Int64
}

func (r remote) Root() string            { return r.root }
func (r remote) LocalPath(string) string { return "" }
func (r remote) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	r.opens.Add(1)
	return r.Store.Open(ctx, key)
}

func TestCache(t *testing.T) {
	stores := map[string]func(t *testing.T) (blob.Store, *atomic.Int64){
		"remote folder": func(t *testing.T) (blob.Store, *atomic.Int64) {
			n := &atomic.Int64{}
			return remote{local.New(t.TempDir()), "fake://bucket/pre/fix", n}, n
		},
		"s3": func(t *testing.T) (blob.Store, *atomic.Int64) {
			n := &atomic.Int64{}
			s := s3test.Store(t, "pre/fix")
			return remote{s, s.Root(), n}, n
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					st, opens := open(t)
					tc.run(t, &env{t: t, ctx: context.Background(), st: st, opens: opens, c: cache.New(t.TempDir())})
				})
			}
		})
	}
}

type env struct {
	t     *testing.T
	ctx   context.Context
	st    blob.Store
	opens *atomic.Int64
	c     *cache.Cache
}

func (e *env) put(key, content string) {
	e.t.Helper()
	if _, err := e.st.Put(e.ctx, key, strings.NewReader(content), int64(len(content))); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) path(key string) string {
	e.t.Helper()
	p, err := e.c.Path(e.ctx, e.st, key)
	if err != nil {
		e.t.Fatalf("Path(%s): %v", key, err)
	}
	return p
}

func wantFile(t *testing.T, p, content string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil || string(b) != content {
		t.Errorf("%s holds %q (%v), want %q", p, b, err, content)
	}
}

var cases = []struct {
	name string
	run  func(t *testing.T, e *env)
}{
	{"a file is downloaded once, where lamindb puts it", func(t *testing.T, e *env) {
		e.put(".lamindb/abc.txt", "hello")
		p := e.path(".lamindb/abc.txt")
		if want := filepath.Join(e.c.Dir(), strings.SplitN(e.st.Root(), "://", 2)[1], ".lamindb", "abc.txt"); p != want {
			t.Errorf("Path=%s, want %s", p, want)
		}
		wantFile(t, p, "hello")
		if p2 := e.path(".lamindb/abc.txt"); p2 != p || e.opens.Load() != 1 {
			t.Errorf("second Path: %s, %d downloads, want 1", p2, e.opens.Load())
		}
		info, _ := e.st.Stat(e.ctx, ".lamindb/abc.txt")
		if fi, err := os.Stat(p); err != nil || !fi.ModTime().Equal(info.ModTime) {
			t.Errorf("copy's mtime %v, object's %v", fi.ModTime(), info.ModTime)
		}
	}},
	{"a changed object is downloaded again", func(t *testing.T, e *env) {
		e.put("k", "first")
		p := e.path("k")
		e.put("k", "second, longer") // other size
		wantFile(t, e.path("k"), "second, longer")
		if e.opens.Load() != 2 {
			t.Errorf("%d downloads, want 2", e.opens.Load())
		}
		// Same size, newer object: the copy looks older than the object.
		e.put("k", "second, LONGER")
		old := time.Now().Add(-time.Hour)
		os.Chtimes(p, old, old)
		wantFile(t, e.path("k"), "second, LONGER")
		if e.opens.Load() != 3 {
			t.Errorf("%d downloads, want 3", e.opens.Load())
		}
		// A copy damaged to another size is replaced.
		os.WriteFile(p, []byte("x"), 0o644)
		wantFile(t, e.path("k"), "second, LONGER")
	}},
	{"a folder is downloaded file by file, and mirrors the store", func(t *testing.T, e *env) {
		e.put("d/a", "1")
		e.put("d/sub/b", "22")
		e.put("dx", "sibling")
		p := e.path("d")
		wantFile(t, filepath.Join(p, "a"), "1")
		wantFile(t, filepath.Join(p, "sub", "b"), "22")
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "dx")); !errors.Is(err, fs.ErrNotExist) {
			t.Error("a sibling of the folder was downloaded")
		}
		e.path("d")
		if e.opens.Load() != 2 {
			t.Errorf("%d downloads, want 2", e.opens.Load())
		}
		// A file gone from the stored folder goes from the copy.
		if err := e.st.Delete(e.ctx, "d/sub/b"); err != nil {
			t.Fatal(err)
		}
		e.put("d/c", "333")
		e.path("d")
		if _, err := os.Stat(filepath.Join(p, "sub")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("removed file still cached: %v", err)
		}
		wantFile(t, filepath.Join(p, "c"), "333")
	}},
	{"an empty folder", func(t *testing.T, e *env) {
		if err := e.st.MakeFolder(e.ctx, "empty"); err != nil {
			t.Fatal(err)
		}
		p := e.path("empty")
		if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
			t.Errorf("Path(empty folder)=%s: %v", p, err)
		}
	}},
	{"a missing key", func(t *testing.T, e *env) {
		if _, err := e.c.Path(e.ctx, e.st, "nope"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Path(missing)=%v, want fs.ErrNotExist", err)
		}
	}},
	{"keys outside the cache are refused", func(t *testing.T, e *env) {
		for _, k := range []string{"", "..", "../x", "a/../../x", "/abs"} {
			if p, err := e.c.Path(e.ctx, e.st, k); err == nil {
				t.Errorf("Path(%q)=%s", k, p)
			}
		}
	}},
	{"a cancelled download leaves no copy", func(t *testing.T, e *env) {
		e.put("k", strings.Repeat("x", 1<<20))
		ctx, cancel := context.WithCancel(e.ctx)
		ctx = blob.WithProgress(ctx, func(done, total int64) {
			if done > 0 {
				cancel()
			}
		})
		if _, err := e.c.Path(ctx, e.st, "k"); err == nil {
			t.Fatal("Path went on after its context was cancelled")
		}
		local, _ := e.c.Local(e.st, "k")
		if _, err := os.Stat(local); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a cancelled download left %s: %v", local, err)
		}
		left, _ := filepath.Glob(filepath.Join(filepath.Dir(local), ".*"))
		if len(left) != 0 {
			t.Errorf("temp files left: %v", left)
		}
	}},
}

func TestLocalStoreIsItsOwnCache(t *testing.T) {
	root := t.TempDir()
	st := local.New(root)
	if _, err := st.Put(context.Background(), "a/b.txt", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	p, err := cache.New(t.TempDir()).Path(context.Background(), st, "a/b.txt")
	if err != nil || p != filepath.Join(root, "a", "b.txt") {
		t.Errorf("Path=%s,%v, want the file itself", p, err)
	}
	if _, err := cache.New(t.TempDir()).Path(context.Background(), st, "nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Path(missing)=%v", err)
	}
	if p, err := cache.New(t.TempDir()).Path(context.Background(), st, "../a/b.txt"); !errors.Is(err, blob.ErrInvalidKey) {
		t.Errorf("Path(outside the root)=%s,%v", p, err)
	}
}

func TestDir(t *testing.T) {
	t.Setenv("LAMIN_CACHE_DIR", "/some/where")
	if d, err := cache.Dir(); err != nil || d != "/some/where" {
		t.Errorf("Dir()=%s,%v", d, err)
	}
	if runtime.GOOS != "linux" {
		return // elsewhere the user cache folder is not XDG's
	}
	t.Setenv("LAMIN_CACHE_DIR", "")
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if d, err := cache.Dir(); err != nil || d != filepath.Join("/xdg", "lamindb") {
		t.Errorf("Dir()=%s,%v, want /xdg/lamindb", d, err)
	}
}
