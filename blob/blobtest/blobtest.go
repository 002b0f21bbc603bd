// Package blobtest is the conformance suite every blob.Store must pass. It
// reads every byte back: a store that wrote garbage of the right size fails.
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/lamindb-go/lamindb/blob"
)

// Run runs the suite against stores made by open, one fresh store per case.
func Run(t *testing.T, open func(t *testing.T) blob.Store) {
	ctx := context.Background()
	big := make([]byte, 8<<20+123)
	rand.Read(big)
	put := func(t *testing.T, s blob.Store, key, content string) {
		t.Helper()
		n, err := s.Put(ctx, key, strings.NewReader(content), int64(len(content)))
		if err != nil || n != int64(len(content)) {
			t.Fatalf("Put(%s)=%d,%v", key, n, err)
		}
	}
	folder := func(t *testing.T, s blob.Store, prefix string, files map[string]string) {
		t.Helper()
		for k, v := range files {
			put(t, s, prefix+"/"+k, v)
		}
	}
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s blob.Store)
	}{
		{"put and read back a file", func(t *testing.T, s blob.Store) {
			put(t, s, ".lamindb/x.txt", "hello")
			wantContent(t, s, ".lamindb/x.txt", []byte("hello"))
			info, err := s.Stat(ctx, ".lamindb/x.txt")
			if err != nil || info.Size != 5 || info.IsDir || info.NFiles != 0 {
				t.Fatalf("Stat()=%+v,%v", info, err)
			}
		}},
		{"put replaces a file", func(t *testing.T, s blob.Store) {
			put(t, s, "k", "a much longer first version")
			put(t, s, "k", "short")
			wantContent(t, s, "k", []byte("short"))
		}},
		{"put and read back a large file", func(t *testing.T, s blob.Store) {
			if n, err := s.Put(ctx, "big/x.bin", bytes.NewReader(big), -1); err != nil || n != int64(len(big)) {
				t.Fatalf("Put=%d,%v", n, err)
			}
			wantContent(t, s, "big/x.bin", big)
		}},
		{"an empty file", func(t *testing.T, s blob.Store) {
			put(t, s, "empty", "")
			wantContent(t, s, "empty", nil)
		}},
		{"a folder: stat and list", func(t *testing.T, s blob.Store) {
			folder(t, s, ".lamindb/folder", map[string]string{"a": "12", "sub/b": "345"})
			info, err := s.Stat(ctx, ".lamindb/folder")
			if err != nil || info.Size != 5 || !info.IsDir || info.NFiles != 2 {
				t.Fatalf("Stat()=%+v,%v", info, err)
			}
			if got := keys(t, s, ".lamindb/folder"); got != ".lamindb/folder/a,.lamindb/folder/sub/b" {
				t.Errorf("List()=%s", got)
			}
			wantContent(t, s, ".lamindb/folder/sub/b", []byte("345"))
		}},
		{"an empty folder", func(t *testing.T, s blob.Store) {
			if err := s.MakeFolder(ctx, "d"); err != nil {
				t.Fatal(err)
			}
			info, err := s.Stat(ctx, "d")
			if err != nil || !info.IsDir || info.Size != 0 || info.NFiles != 0 {
				t.Fatalf("Stat()=%+v,%v", info, err)
			}
		}},
		{"missing keys", func(t *testing.T, s blob.Store) {
			if _, err := s.Stat(ctx, "nope"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Stat(missing)=%v, want fs.ErrNotExist", err)
			}
			if _, err := s.Open(ctx, "nope"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Open(missing)=%v, want fs.ErrNotExist", err)
			}
			if got := keys(t, s, "missing"); got != "" {
				t.Errorf("List(missing)=%q", got)
			}
		}},
		{"rename a file", func(t *testing.T, s blob.Store) {
			put(t, s, "tmp/1", "hello")
			must(t, s.Rename(ctx, "tmp/1", "final/1.txt"))
			if _, err := s.Stat(ctx, "tmp/1"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("source still there: %v", err)
			}
			wantContent(t, s, "final/1.txt", []byte("hello"))
		}},
		{"rename replaces a file", func(t *testing.T, s blob.Store) {
			put(t, s, "final", "old bytes")
			put(t, s, "tmp", "new")
			must(t, s.Rename(ctx, "tmp", "final"))
			wantContent(t, s, "final", []byte("new"))
		}},
		{"rename a folder", func(t *testing.T, s blob.Store) {
			folder(t, s, "tmp/d", map[string]string{"a": "12", "sub/b": "345"})
			must(t, s.Rename(ctx, "tmp/d", "store"))
			if got := keys(t, s, "store"); got != "store/a,store/sub/b" {
				t.Errorf("List()=%s", got)
			}
			if got := keys(t, s, "tmp"); got != "" {
				t.Errorf("source left: %s", got)
			}
		}},
		{"rename replaces a folder", func(t *testing.T, s blob.Store) {
			folder(t, s, "store", map[string]string{"old": "x", "a": "old a"})
			folder(t, s, "tmp/d", map[string]string{"a": "12", "sub/b": "345"})
			must(t, s.Rename(ctx, "tmp/d", "store"))
			if got := keys(t, s, "store"); got != "store/a,store/sub/b" {
				t.Errorf("List()=%s", got)
			}
			wantContent(t, s, "store/a", []byte("12"))
			if got := keys(t, s, "tmp"); got != "" {
				t.Errorf("staging left (aside copy not deleted?): %s", got)
			}
		}},
		{"delete is idempotent", func(t *testing.T, s blob.Store) {
			put(t, s, "x", "1")
			must(t, s.Delete(ctx, "x"))
			must(t, s.Delete(ctx, "x"))
			folder(t, s, "d", map[string]string{"a": "1", "b/c": "2"})
			must(t, s.Delete(ctx, "d"))
			must(t, s.Delete(ctx, "d"))
			if _, err := s.Stat(ctx, "d"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("folder still there: %v", err)
			}
		}},
		{"keys outside the root are refused", func(t *testing.T, s blob.Store) {
			for _, k := range []string{"", ".", "..", "../x", "/abs"} {
				if err := s.Delete(ctx, k); err == nil {
					t.Errorf("Delete(%q) succeeded", k)
				}
				if _, err := s.Put(ctx, k, strings.NewReader("x"), 1); err == nil {
					t.Errorf("Put(%q) succeeded", k)
				}
			}
		}},
		{"list", func(t *testing.T, s blob.Store) {
			put(t, s, "p/1", "a")
			put(t, s, "p/q/2", "bb")
			put(t, s, "other", "c")
			if got := keys(t, s, "p"); got != "p/1,p/q/2" {
				t.Errorf("List(p)=%s", got)
			}
			es, err := s.List(ctx, "p/q/2")
			if err != nil || len(es) != 1 || es[0].Size != 2 {
				t.Errorf("List(file)=%+v,%v", es, err)
			}
		}},
		{"a cancelled put stops", func(t *testing.T, s blob.Store) {
			cctx, cancel := context.WithCancel(ctx)
			r := &cancelAfter{r: bytes.NewReader(big), n: 1 << 20, cancel: cancel}
			if _, err := s.Put(cctx, "cancelled", r, -1); err == nil {
				t.Fatal("Put went on after its context was cancelled")
			}
		}},
		{"concurrent writers to one key", func(t *testing.T, s blob.Store) {
			// Each writer stages its own copy and renames it into place: the
			// key ends up holding one writer's bytes, complete.
			contents := map[string]bool{}
			var wg sync.WaitGroup
			for i := range 8 {
				c := strings.Repeat(string(rune('a'+i)), 100000+i)
				contents[c] = true
				wg.Go(func() {
					tmp := "staging/" + string(rune('a'+i))
					if _, err := s.Put(ctx, tmp, strings.NewReader(c), -1); err != nil {
						t.Error(err)
						return
					}
					if err := s.Rename(ctx, tmp, "final"); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			got := read(t, s, "final")
			if !contents[string(got)] {
				t.Errorf("final holds %d bytes that no writer wrote", len(got))
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

// cancelAfter cancels its context once n bytes were read.
type cancelAfter struct {
	r      io.Reader
	n      int
	read   int
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	if c.read >= c.n {
		c.cancel()
	}
	return n, err
}

func read(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open(%s): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

func wantContent(t *testing.T, s blob.Store, key string, want []byte) {
	t.Helper()
	if got := read(t, s, key); !bytes.Equal(got, want) {
		t.Errorf("%s holds %d bytes that differ from the %d written", key, len(got), len(want))
	}
}

func keys(t *testing.T, s blob.Store, prefix string) string {
	t.Helper()
	es, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("List(%s): %v", prefix, err)
	}
	var ks []string
	for _, e := range es {
		ks = append(ks, e.Key)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
