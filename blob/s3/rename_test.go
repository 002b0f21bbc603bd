package s3_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/lamindb-go/lamindb/blob/s3"
	"github.com/lamindb-go/lamindb/blob/s3/s3test"
)

var errCrash = errors.New("crash")

// TestRenameResumes cuts a folder Rename off after each step of its journal,
// onto an empty key and onto an old folder, and checks what is left and that
// Rename again finishes the move: to holds exactly from's files, and nothing
// of from (nor of the journal) remains.
func TestRenameResumes(t *testing.T) {
	newFiles := map[string]string{"a": "new a", "sub/b": "new b", "e": ""}
	oldFiles := map[string]string{"a": "old a", "old": "x", "sub/z": "zz"}
	for _, step := range []string{"moving", "copied one", "copied", "pruned", "moved", "deleted"} {
		for _, onto := range []string{"nothing", "an old folder"} {
			t.Run(step+" onto "+onto, func(t *testing.T) {
				cfg, bucket := s3test.Bucket(t)
				ctx := context.Background()
				st, err := s3.New("s3://"+bucket+"/pre", cfg)
				if err != nil {
					t.Fatal(err)
				}
				put := func(prefix string, files map[string]string) {
					for k, v := range files {
						if _, err := st.Put(ctx, prefix+"/"+k, strings.NewReader(v), int64(len(v))); err != nil {
							t.Fatal(err)
						}
					}
				}
				put("tmp/d", newFiles)
				if onto != "nothing" {
					put("store", oldFiles)
				}
				var n atomic.Int64
				s3.SetRenameHook(func(s string) error {
					if s == step && n.Add(1) == 1 {
						return errCrash
					}
					return nil
				})
				err = st.Rename(ctx, "tmp/d", "store")
				s3.SetRenameHook(nil)
				if !errors.Is(err, errCrash) {
					t.Fatalf("Rename with a crash after %q: %v", step, err)
				}
				contents := func(prefix string) map[string]string {
					es, err := st.List(ctx, prefix)
					if err != nil {
						t.Fatal(err)
					}
					m := map[string]string{}
					for _, e := range es {
						rc, err := st.Open(ctx, e.Key)
						if err != nil {
							t.Fatal(err)
						}
						b, _ := io.ReadAll(rc)
						rc.Close()
						m[strings.TrimPrefix(e.Key, prefix+"/")] = string(b)
					}
					return m
				}
				same := func(a, b map[string]string) bool {
					if len(a) != len(b) {
						return false
					}
					for k, v := range a {
						if w, ok := b[k]; !ok || w != v {
							return false
						}
					}
					return true
				}
				// Before the .moved marker from is whole; after it to is.
				if step == "moved" || step == "deleted" {
					if got := contents("store"); !same(got, newFiles) {
						t.Errorf("after the .moved marker to holds %v", got)
					}
				} else if got := contents("tmp/d"); !same(got, newFiles) {
					t.Errorf("before the .moved marker from holds %v", got)
				}
				// Another destination is refused while the journal says where
				// this move goes.
				if err := st.Rename(ctx, "tmp/d", "elsewhere"); err == nil || errors.Is(err, errCrash) {
					t.Errorf("Rename to another key during a cut-off move: %v", err)
				}
				if err := st.Rename(ctx, "tmp/d", "store"); err != nil {
					t.Fatalf("Rename again: %v", err)
				}
				if got := contents("store"); !same(got, newFiles) {
					t.Errorf("after Rename again to holds %v, want %v", got, newFiles)
				}
				if _, err := st.Stat(ctx, "tmp/d"); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("Stat(from)=%v", err)
				}
				c, _ := s3.NewClient(cfg)
				var left []string
				for oi := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: "pre/tmp/", Recursive: true}) {
					left = append(left, oi.Key)
				}
				for oi := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: "pre/elsewhere", Recursive: true}) {
					left = append(left, oi.Key)
				}
				sort.Strings(left)
				if len(left) != 0 {
					t.Errorf("objects left of from or the journal: %v", left)
				}
			})
		}
	}
}

// TestJournalKeysRefused: the journal's names are not keys.
func TestJournalKeysRefused(t *testing.T) {
	st, err := s3.New("s3://b", s3.Config{Endpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(context.Background(), "d/.lamin-move/x.moved", strings.NewReader(""), 0); err == nil {
		t.Error("Put into the journal's namespace succeeded")
	}
}
