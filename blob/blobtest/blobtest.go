// Package blobtest is the conformance suite every blob.Store must pass.
package blobtest

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/lamindb-go/lamindb/blob"
)

// Run runs the suite against stores made by open, one fresh store per case.
func Run(t *testing.T, open func(t *testing.T) blob.Store) {
	ctx := context.Background()
	src := t.TempDir()
	file := filepath.Join(src, "f.txt")
	os.WriteFile(file, []byte("hello"), 0o644)
	dir := filepath.Join(src, "d")
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "a"), []byte("12"), 0o644)
	os.WriteFile(filepath.Join(dir, "sub", "b"), []byte("345"), 0o644)

	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s blob.Store)
	}{
		{"write and stat a file", func(t *testing.T, s blob.Store) {
			must(t, s.Write(ctx, file, ".lamindb/x.txt"))
			size, isDir, err := s.Stat(ctx, ".lamindb/x.txt")
			if err != nil || size != 5 || isDir {
				t.Fatalf("Stat()=%d,%v,%v", size, isDir, err)
			}
		}},
		{"write and stat a folder", func(t *testing.T, s blob.Store) {
			must(t, s.Write(ctx, dir, ".lamindb/folder"))
			size, isDir, err := s.Stat(ctx, ".lamindb/folder")
			if err != nil || size != 5 || !isDir {
				t.Fatalf("Stat()=%d,%v,%v", size, isDir, err)
			}
		}},
		{"stat of a missing key", func(t *testing.T, s blob.Store) {
			if _, _, err := s.Stat(ctx, "nope"); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("Stat(missing)=%v, want fs.ErrNotExist", err)
			}
		}},
		{"rename a file", func(t *testing.T, s blob.Store) {
			must(t, s.Write(ctx, file, "tmp/1"))
			must(t, s.Rename(ctx, "tmp/1", "final/1.txt"))
			if _, _, err := s.Stat(ctx, "tmp/1"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("source still there: %v", err)
			}
			if size, _, err := s.Stat(ctx, "final/1.txt"); err != nil || size != 5 {
				t.Errorf("target: %d %v", size, err)
			}
		}},
		{"rename replaces a folder", func(t *testing.T, s blob.Store) {
			must(t, s.Write(ctx, file, "store/f.txt"))
			must(t, s.Write(ctx, dir, "tmp/d"))
			must(t, s.Rename(ctx, "tmp/d", "store"))
			keys, err := s.List(ctx, "store")
			must(t, err)
			if got := strings.Join(keys, ","); got != "store/a,store/sub/b" {
				t.Errorf("List()=%s", got)
			}
		}},
		{"delete is idempotent", func(t *testing.T, s blob.Store) {
			must(t, s.Write(ctx, file, "x"))
			must(t, s.Delete(ctx, "x"))
			must(t, s.Delete(ctx, "x"))
			must(t, s.Write(ctx, dir, "d"))
			must(t, s.Delete(ctx, "d"))
			if _, _, err := s.Stat(ctx, "d"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("folder still there: %v", err)
			}
		}},
		{"delete refuses the root", func(t *testing.T, s blob.Store) {
			for _, k := range []string{"", ".", "../x"} {
				if err := s.Delete(ctx, k); err == nil {
					t.Errorf("Delete(%q) succeeded", k)
				}
			}
		}},
		{"list", func(t *testing.T, s blob.Store) {
			must(t, s.Write(ctx, file, "p/1"))
			must(t, s.Write(ctx, file, "p/q/2"))
			must(t, s.Write(ctx, file, "other"))
			keys, err := s.List(ctx, "p")
			must(t, err)
			sort.Strings(keys)
			if got := strings.Join(keys, ","); got != "p/1,p/q/2" {
				t.Errorf("List(p)=%s", got)
			}
			if keys, err := s.List(ctx, "missing"); err != nil || len(keys) != 0 {
				t.Errorf("List(missing)=%v %v", keys, err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
