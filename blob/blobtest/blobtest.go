// Package blobtest is the conformance suite every blob.Store must pass. Every
// case reads the bytes back and compares them: a store that wrote garbage of
// the right size fails. Cases that depend on how a store behaves where stores
// differ (blob.Features) check the promise the store makes: atomic Puts, the
// ETags of multipart uploads.
package blobtest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lamindb-go/lamindb/blob"
)

// Run runs the suite against stores made by open, one fresh, empty store per
// case.
func Run(t *testing.T, open func(t *testing.T) blob.Store) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			tc.run(t, &env{t: t, s: s, f: s.Features(), ctx: context.Background()})
		})
	}
}

// env is what a case works with.
type env struct {
	t   *testing.T
	s   blob.Store
	f   blob.Features
	ctx context.Context
}

// with returns e for a subtest: helpers report to t.
func (e *env) with(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// partSize is the store's part size, or 8 MiB for stores without parts, so
// that the cases around part boundaries run everywhere.
func (e *env) partSize() int64 {
	if e.f.PartSize > 0 {
		return e.f.PartSize
	}
	return 8 << 20
}

var cases = []struct {
	name string
	run  func(t *testing.T, e *env)
}{
	{"put and read back a file", func(t *testing.T, e *env) {
		e.put(".lamindb/x.txt", "hello")
		e.want(".lamindb/x.txt", "hello")
		info := e.stat(".lamindb/x.txt")
		if info.Size != 5 || info.IsDir || info.NFiles != 0 || info.ModTime.IsZero() {
			t.Errorf("Stat()=%+v", info)
		}
		if age := time.Since(info.ModTime); age > time.Hour || age < -time.Hour {
			t.Errorf("ModTime %v is not about now", info.ModTime)
		}
		e.wantETag(".lamindb/x.txt", []byte("hello"))
	}},
	{"put of unknown size", func(t *testing.T, e *env) {
		n, err := e.s.Put(e.ctx, "k", onlyReader{strings.NewReader("unknown size")}, -1)
		if err != nil || n != 12 {
			t.Fatalf("Put=%d,%v", n, err)
		}
		e.want("k", "unknown size")
		e.wantETag("k", []byte("unknown size"))
	}},
	{"put replaces a file", func(t *testing.T, e *env) {
		e.put("k", "a much longer first version")
		e.put("k", "short")
		e.want("k", "short")
		if info := e.stat("k"); info.Size != 5 {
			t.Errorf("Stat().Size=%d after replacing", info.Size)
		}
	}},
	{"put of the wrong size fails and leaves no new bytes", func(t *testing.T, e *env) {
		for _, tc := range []struct {
			name    string
			content string
			size    int64
		}{
			{"shorter", "12345", 10},
			{"longer", "1234567890", 5},
			{"empty, size given", "", 3},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := e.with(t)
				e.put("k", "previous")
				_, err := e.s.Put(e.ctx, "k", strings.NewReader(tc.content), tc.size)
				if !errors.Is(err, blob.ErrSize) {
					t.Fatalf("Put(%d bytes, size %d)=%v, want blob.ErrSize", len(tc.content), tc.size, err)
				}
				e.wantPreviousOrNothing("k", []byte("previous"))
			})
		}
	}},
	{"empty files", func(t *testing.T, e *env) {
		for _, size := range []int64{0, -1} {
			key := fmt.Sprintf("empty%d", size)
			if n, err := e.s.Put(e.ctx, key, strings.NewReader(""), size); err != nil || n != 0 {
				t.Fatalf("Put(size %d)=%d,%v", size, n, err)
			}
			e.want(key, "")
			if info := e.stat(key); info.Size != 0 || info.IsDir {
				t.Errorf("Stat()=%+v", info)
			}
			e.wantETag(key, nil)
		}
	}},
	{"large objects", func(t *testing.T, e *env) {
		// 40 MiB and more, of known and unknown size, compared by SHA-256.
		ps := e.partSize()
		for i, tc := range []struct {
			name string
			size int64
			know bool
		}{
			{"40 MiB, size known", 40<<20 + 123, true},
			{"40 MiB, size unknown", 40<<20 + 123, false},
			{"one part exactly, size known", ps, true},
			{"one part exactly, size unknown", ps, false},
			{"one part and a byte", ps + 1, false},
			{"two parts exactly", 2 * ps, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := e.with(t)
				data := randomBytes(uint64(i), tc.size)
				size := int64(-1)
				var r io.Reader = onlyReader{bytes.NewReader(data)}
				if tc.know {
					size = tc.size
				}
				start := time.Now()
				if n, err := e.s.Put(e.ctx, "big/x.bin", r, size); err != nil || n != tc.size {
					t.Fatalf("Put=%d,%v", n, err)
				}
				t.Logf("put %d bytes in %v", tc.size, time.Since(start).Round(time.Millisecond))
				e.wantSum("big/x.bin", data)
				if info := e.stat("big/x.bin"); info.Size != tc.size {
					t.Errorf("Stat().Size=%d, want %d", info.Size, tc.size)
				}
				e.wantETag("big/x.bin", data)
			})
		}
	}},
	{"ranged reads", func(t *testing.T, e *env) {
		data := randomBytes(7, 1000)
		e.putBytes("r", data)
		for _, tc := range []struct {
			off, n int64
			want   []byte
		}{
			{0, -1, data},
			{0, 1000, data},
			{0, 1, data[:1]},
			{10, 100, data[10:110]},
			{999, -1, data[999:]},
			{990, 100, data[990:]}, // cut at the end
			{1000, -1, nil},        // at the end: nothing
			{1000, 5, nil},
			{500, 0, nil},
		} {
			t.Run(fmt.Sprintf("%d+%d", tc.off, tc.n), func(t *testing.T) {
				e := e.with(t)
				rc, err := e.s.OpenRange(e.ctx, "r", tc.off, tc.n)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || !bytes.Equal(got, tc.want) {
					t.Errorf("read %d bytes (%v), want %d: %s", len(got), err, len(tc.want), diffAt(got, tc.want))
				}
			})
		}
		for _, off := range []int64{1001, 5000} {
			if rc, err := e.s.OpenRange(e.ctx, "r", off, 10); !errors.Is(err, blob.ErrInvalidRange) {
				if err == nil {
					rc.Close()
				}
				t.Errorf("OpenRange(offset %d past the end)=%v, want blob.ErrInvalidRange", off, err)
			}
		}
		if _, err := e.s.OpenRange(e.ctx, "r", -1, 10); !errors.Is(err, blob.ErrInvalidRange) {
			t.Errorf("OpenRange(negative offset)=%v, want blob.ErrInvalidRange", err)
		}
		// A range of a large object, across a part boundary.
		ps := e.partSize()
		big := randomBytes(8, ps+1000)
		e.putBytes("big", big)
		rc, err := e.s.OpenRange(e.ctx, "big", ps-10, 20)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, big[ps-10:ps+10]) {
			t.Errorf("range across a part boundary: %s (%v)", diffAt(got, big[ps-10:ps+10]), err)
		}
	}},
	{"a cancelled put leaves no partial object", func(t *testing.T, e *env) {
		// Cancelled while the reader is half read: in the first part, and
		// (for stores with parts) in a later one.
		ps := e.partSize()
		for _, tc := range []struct {
			name      string
			size, cut int64
			known     bool
		}{
			{"in the first part", ps / 2, ps / 4, true},
			{"in the first part, size unknown", ps / 2, ps / 4, false},
			{"after the first part", 3 * ps, 3 * ps / 2, true},
			{"after the first part, size unknown", 3 * ps, 3 * ps / 2, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := e.with(t)
				e.put("k", "previous")
				ctx, cancel := context.WithCancel(e.ctx)
				defer cancel()
				r := &cancelAfter{r: bytes.NewReader(randomBytes(3, tc.size)), n: tc.cut, cancel: cancel}
				size := int64(-1)
				if tc.known {
					size = tc.size
				}
				if _, err := e.s.Put(ctx, "k", r, size); err == nil {
					t.Fatal("Put went on after its context was cancelled")
				}
				if r.read >= tc.size {
					t.Errorf("Put read all %d bytes after the cancel at %d", r.read, tc.cut)
				}
				e.wantPreviousOrNothing("k", []byte("previous"))
				// The Put cleaned up after itself: no hidden upload remains.
				if n, err := e.s.AbortUploads(e.ctx, "k", 0); err != nil || n != 0 {
					t.Errorf("AbortUploads()=%d,%v: the cancelled Put left an upload", n, err)
				}
			})
		}
	}},
	{"a failing reader leaves no partial object", func(t *testing.T, e *env) {
		e.put("k", "previous")
		ps := e.partSize()
		r := io.MultiReader(bytes.NewReader(randomBytes(4, ps+ps/2)), errReader{errors.New("disk gone")})
		if _, err := e.s.Put(e.ctx, "k", r, 2*ps); err == nil || !strings.Contains(err.Error(), "disk gone") {
			t.Fatalf("Put()=%v, want the reader's error", err)
		}
		e.wantPreviousOrNothing("k", []byte("previous"))
		if n, err := e.s.AbortUploads(e.ctx, "k", 0); err != nil || n != 0 {
			t.Errorf("AbortUploads()=%d,%v: the failed Put left an upload", n, err)
		}
	}},
	{"concurrent writers to one key", func(t *testing.T, e *env) {
		// Each writer's content is distinct and long enough to take a while.
		// With atomic Puts the writers Put to the key itself; otherwise each
		// stages its own copy and renames it into place. Either way the key
		// ends up holding one writer's bytes, complete.
		const writers = 8
		contents := map[[32]byte]int{}
		data := make([][]byte, writers)
		for i := range writers {
			size := 1<<20 + int64(i)
			if i < 2 {
				size = e.partSize() + 1 + int64(i) // in parts, where a store has them
			}
			data[i] = randomBytes(uint64(100+i), size)
			contents[sha256.Sum256(data[i])] = i
		}
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				if e.f.AtomicPut {
					if _, err := e.s.Put(e.ctx, "final", bytes.NewReader(data[i]), -1); err != nil {
						t.Error(err)
					}
					return
				}
				tmp := fmt.Sprintf("staging/%d", i)
				if _, err := e.s.Put(e.ctx, tmp, bytes.NewReader(data[i]), int64(len(data[i]))); err != nil {
					t.Error(err)
					return
				}
				if err := e.s.Rename(e.ctx, tmp, "final"); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got := e.read("final")
		if _, ok := contents[sha256.Sum256(got)]; !ok {
			t.Errorf("final holds %d bytes that no writer wrote", len(got))
		}
		if es := e.list("staging"); len(es) != 0 {
			t.Errorf("staging left: %v", keysOf(es))
		}
	}},
	{"missing keys", func(t *testing.T, e *env) {
		e.put("present", "x")
		for _, k := range []string{"nope", "dir/nope", "presen"} {
			if _, err := e.s.Stat(e.ctx, k); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Stat(%s)=%v, want fs.ErrNotExist", k, err)
			}
			if rc, err := e.s.Open(e.ctx, k); !errors.Is(err, fs.ErrNotExist) {
				if err == nil {
					rc.Close()
				}
				t.Errorf("Open(%s)=%v, want fs.ErrNotExist", k, err)
			}
			for _, n := range []int64{-1, 0, 5} {
				if rc, err := e.s.OpenRange(e.ctx, k, 0, n); !errors.Is(err, fs.ErrNotExist) {
					if err == nil {
						rc.Close()
					}
					t.Errorf("OpenRange(%s, 0, %d)=%v, want fs.ErrNotExist", k, n, err)
				}
			}
			if err := e.s.Rename(e.ctx, k, "elsewhere"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Rename(%s)=%v, want fs.ErrNotExist", k, err)
			}
			if es := e.list(k); len(es) != 0 {
				t.Errorf("List(%s)=%v", k, keysOf(es))
			}
			if err := e.s.Delete(e.ctx, k); err != nil {
				t.Errorf("Delete(%s)=%v", k, err)
			}
		}
		if err := e.s.DeleteMany(e.ctx, []string{"nope", "dir/nope"}); err != nil {
			t.Errorf("DeleteMany(missing)=%v", err)
		}
		if err := e.s.DeleteMany(e.ctx, nil); err != nil {
			t.Errorf("DeleteMany(none)=%v", err)
		}
		e.want("present", "x")
		if es := e.list("elsewhere"); len(es) != 0 {
			t.Errorf("a rename of a missing key made %v", keysOf(es))
		}
	}},
	{"keys outside the root are refused", func(t *testing.T, e *env) {
		for _, k := range []string{"", ".", "..", "../x", "/abs", "a/../../x"} {
			ops := map[string]error{}
			_, ops["Put"] = e.s.Put(e.ctx, k, strings.NewReader("x"), 1)
			ops["MakeFolder"] = e.s.MakeFolder(e.ctx, k)
			_, ops["Open"] = e.s.Open(e.ctx, k)
			_, ops["OpenRange"] = e.s.OpenRange(e.ctx, k, 0, 1)
			ops["Rename from"] = e.s.Rename(e.ctx, k, "x")
			ops["Rename to"] = e.s.Rename(e.ctx, "x", k)
			ops["Delete"] = e.s.Delete(e.ctx, k)
			ops["DeleteMany"] = e.s.DeleteMany(e.ctx, []string{"x", k})
			_, ops["Stat"] = e.s.Stat(e.ctx, k)
			_, ops["List"] = e.s.List(e.ctx, k)
			_, ops["AbortUploads"] = e.s.AbortUploads(e.ctx, k, time.Hour)
			for op, err := range ops {
				if !errors.Is(err, blob.ErrInvalidKey) {
					t.Errorf("%s(%q)=%v, want blob.ErrInvalidKey", op, k, err)
				}
			}
		}
	}},
	{"delete is idempotent", func(t *testing.T, e *env) {
		e.put("x", "1")
		e.put("x.txt", "sibling")
		e.must(e.s.Delete(e.ctx, "x"))
		e.must(e.s.Delete(e.ctx, "x"))
		e.wantGone("x")
		e.want("x.txt", "sibling")
		e.folder("d", map[string]string{"a": "1", "b/c": "2"})
		e.put("dx", "sibling with the folder's name as a prefix")
		e.put("d.txt", "another")
		e.must(e.s.Delete(e.ctx, "d"))
		e.must(e.s.Delete(e.ctx, "d"))
		e.wantGone("d")
		e.want("dx", "sibling with the folder's name as a prefix")
		e.want("d.txt", "another")
	}},
	{"delete many", func(t *testing.T, e *env) {
		e.put("a", "1")
		e.put("b", "2")
		e.put("keep", "3")
		e.folder("f", map[string]string{"x": "4", "y/z": "5"})
		e.put("fx", "6")
		keys := []string{"a", "b", "f", "missing", "a"}
		e.must(e.s.DeleteMany(e.ctx, keys))
		e.must(e.s.DeleteMany(e.ctx, keys))
		for _, k := range []string{"a", "b", "f", "f/x", "f/y/z"} {
			e.wantGone(k)
		}
		e.want("keep", "3")
		e.want("fx", "6")
	}},
	{"list", func(t *testing.T, e *env) {
		e.put("p/1", "a")
		e.put("p/q/2", "bb")
		e.put("p/q-3", "ccc")
		e.put("p/qq", "sibling")
		e.put("other", "c")
		e.put("px", "sibling")
		if got := keysOf(e.list("p")); got != "p/1,p/q-3,p/q/2,p/qq" {
			t.Errorf("List(p)=%s", got) // sorted by key, "-" before "/"
		}
		es := e.list("p/q/2")
		if len(es) != 1 || es[0].Key != "p/q/2" || es[0].Size != 2 || es[0].ModTime.IsZero() {
			t.Errorf("List(file)=%+v", es)
		}
		if got := keysOf(e.list("p/q")); got != "p/q/2" {
			t.Errorf("List(p/q)=%s, want only what is below p/q", got)
		}
		for _, en := range e.list("p") {
			e.want(en.Key, map[string]string{"p/1": "a", "p/q/2": "bb", "p/q-3": "ccc", "p/qq": "sibling"}[en.Key])
			if info := e.stat(en.Key); info.Size != en.Size || info.ETag != en.ETag {
				t.Errorf("List entry %+v, Stat %+v", en, info)
			}
		}
	}},
	{"list more than 1000 keys", func(t *testing.T, e *env) {
		// S3 lists 1000 keys a page; a store that reads one page loses the rest.
		const n = 1234
		var wg sync.WaitGroup
		keys := make(chan int)
		for range 16 {
			wg.Go(func() {
				for i := range keys {
					k := fmt.Sprintf("many/%04d", i)
					if _, err := e.s.Put(e.ctx, k, strings.NewReader(k), int64(len(k))); err != nil {
						t.Error(err)
					}
				}
			})
		}
		for i := range n {
			keys <- i
		}
		close(keys)
		wg.Wait()
		e.put("many2/x", "sibling")
		es := e.list("many")
		if len(es) != n {
			t.Fatalf("List() found %d of %d keys", len(es), n)
		}
		for i, en := range es {
			if want := fmt.Sprintf("many/%04d", i); en.Key != want || en.Size != int64(len(want)) {
				t.Fatalf("entry %d: %+v, want %s", i, en, want)
			}
		}
		if info := e.stat("many"); !info.IsDir || info.NFiles != n {
			t.Errorf("Stat(folder of %d)=%+v", n, info)
		}
		// Batched deletes of more than one batch.
		var all []string
		for _, en := range es[:n-34] {
			all = append(all, en.Key)
		}
		e.must(e.s.DeleteMany(e.ctx, all))
		if es := e.list("many"); len(es) != 34 || es[0].Key != "many/1200" {
			t.Errorf("after DeleteMany of %d: %d left, first %v", len(all), len(es), keysOf(es[:min(1, len(es))]))
		}
		e.must(e.s.Delete(e.ctx, "many"))
		e.wantGone("many")
		e.want("many2/x", "sibling")
	}},
	{"folders: stat and list", func(t *testing.T, e *env) {
		e.folder(".lamindb/folder", map[string]string{"a": "12", "sub/b": "345"})
		info := e.stat(".lamindb/folder")
		if info.Size != 5 || !info.IsDir || info.NFiles != 2 || info.ModTime.IsZero() {
			t.Errorf("Stat()=%+v", info)
		}
		if got := keysOf(e.list(".lamindb/folder")); got != ".lamindb/folder/a,.lamindb/folder/sub/b" {
			t.Errorf("List()=%s", got)
		}
		e.want(".lamindb/folder/sub/b", "345")
		if info := e.stat(".lamindb/folder/sub"); !info.IsDir || info.NFiles != 1 || info.Size != 3 {
			t.Errorf("Stat(subfolder)=%+v", info)
		}
		if rc, err := e.s.Open(e.ctx, ".lamindb/folder"); err == nil {
			rc.Close()
			t.Error("Open(folder) succeeded")
		}
	}},
	{"folders: empty", func(t *testing.T, e *env) {
		e.must(e.s.MakeFolder(e.ctx, "d"))
		e.must(e.s.MakeFolder(e.ctx, "d")) // again: no error
		info := e.stat("d")
		if !info.IsDir || info.Size != 0 || info.NFiles != 0 {
			t.Fatalf("Stat()=%+v", info)
		}
		if es := e.list("d"); len(es) != 0 {
			t.Errorf("List(empty folder)=%v", keysOf(es))
		}
		// A file put into it counts; the folder itself is no file.
		e.put("d/f", "x")
		if info := e.stat("d"); !info.IsDir || info.NFiles != 1 || info.Size != 1 {
			t.Errorf("Stat()=%+v", info)
		}
		if got := keysOf(e.list("d")); got != "d/f" {
			t.Errorf("List()=%s", got)
		}
		e.must(e.s.Delete(e.ctx, "d"))
		e.wantGone("d")
		// An empty folder moves and is deleted like any other.
		e.must(e.s.MakeFolder(e.ctx, "tmp/e"))
		e.must(e.s.Rename(e.ctx, "tmp/e", "moved"))
		if info := e.stat("moved"); !info.IsDir || info.NFiles != 0 {
			t.Errorf("Stat(moved empty folder)=%+v", info)
		}
		e.wantGone("tmp/e")
		e.must(e.s.Delete(e.ctx, "moved"))
		e.wantGone("moved")
		// A folder cannot be made where a file is.
		e.put("file", "x")
		if err := e.s.MakeFolder(e.ctx, "file"); err == nil {
			t.Error("MakeFolder over a file succeeded")
		}
		e.want("file", "x")
	}},
	{"rename a file", func(t *testing.T, e *env) {
		e.put("tmp/1", "hello")
		e.must(e.s.Rename(e.ctx, "tmp/1", "final/1.txt"))
		e.wantGone("tmp/1")
		e.want("final/1.txt", "hello")
	}},
	{"rename replaces a file", func(t *testing.T, e *env) {
		e.put("final", "old bytes")
		e.put("tmp", "new")
		e.must(e.s.Rename(e.ctx, "tmp", "final"))
		e.want("final", "new")
		e.wantGone("tmp")
	}},
	{"rename a large file", func(t *testing.T, e *env) {
		data := randomBytes(9, e.partSize()+5)
		e.putBytes("tmp/big", data)
		e.must(e.s.Rename(e.ctx, "tmp/big", "big"))
		e.wantSum("big", data)
		e.wantGone("tmp/big")
	}},
	{"rename a folder", func(t *testing.T, e *env) {
		e.folder("tmp/d", map[string]string{"a": "12", "sub/b": "345"})
		e.put("tmp/dx", "sibling")
		e.must(e.s.Rename(e.ctx, "tmp/d", "store"))
		if got := keysOf(e.list("store")); got != "store/a,store/sub/b" {
			t.Errorf("List()=%s", got)
		}
		e.want("store/a", "12")
		e.want("store/sub/b", "345")
		e.wantGone("tmp/d")
		e.want("tmp/dx", "sibling")
	}},
	{"rename replaces a folder", func(t *testing.T, e *env) {
		e.folder("store", map[string]string{"old": "x", "a": "old a"})
		e.folder("tmp/d", map[string]string{"a": "12", "sub/b": "345"})
		e.must(e.s.Rename(e.ctx, "tmp/d", "store"))
		if got := keysOf(e.list("store")); got != "store/a,store/sub/b" {
			t.Errorf("List()=%s", got)
		}
		e.want("store/a", "12")
		e.want("store/sub/b", "345")
		if got := keysOf(e.list("tmp")); got != "" {
			t.Errorf("staging left (aside copy not deleted?): %s", got)
		}
		e.wantGone(blob.AsideKey("tmp/d"))
	}},
	{"progress is reported", func(t *testing.T, e *env) {
		for _, tc := range []struct {
			name string
			size int64
			know bool
		}{
			{"small, size known", 100 << 10, true},
			{"large, size known", 2*e.partSize() + 7, true},
			{"large, size unknown", 2*e.partSize() + 7, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := e.with(t)
				var calls, last, lastTotal atomic.Int64
				var back atomic.Bool
				ctx := blob.WithProgress(e.ctx, func(done, total int64) {
					calls.Add(1)
					if done < last.Load() {
						back.Store(true)
					}
					last.Store(done)
					lastTotal.Store(total)
				})
				data := randomBytes(11, tc.size)
				size := int64(-1)
				if tc.know {
					size = tc.size
				}
				if _, err := e.s.Put(ctx, "p", bytes.NewReader(data), size); err != nil {
					t.Fatal(err)
				}
				// A large transfer reports along the way, not only at the end.
				minCalls := int64(1)
				if tc.size > e.partSize() {
					minCalls = 3
				}
				if calls.Load() < minCalls || last.Load() != tc.size || lastTotal.Load() != size || back.Load() {
					t.Errorf("Put: %d calls, last done %d total %d (went back: %v), want done %d total %d",
						calls.Load(), last.Load(), lastTotal.Load(), back.Load(), tc.size, size)
				}
				calls.Store(0)
				last.Store(0)
				rc, err := e.s.Open(ctx, "p")
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("read back: %v, %s", err, diffAt(got, data))
				}
				if calls.Load() < 1 || last.Load() != tc.size || lastTotal.Load() != tc.size {
					t.Errorf("Open: %d calls, last done %d total %d, want %d", calls.Load(), last.Load(), lastTotal.Load(), tc.size)
				}
			})
		}
	}},
	{"abort uploads with none pending", func(t *testing.T, e *env) {
		e.put(".lamindb/x", "1")
		if n, err := e.s.AbortUploads(e.ctx, ".lamindb", 0); err != nil || n != 0 {
			t.Errorf("AbortUploads()=%d,%v", n, err)
		}
		e.want(".lamindb/x", "1")
	}},
}

// put writes content to key and checks the count.
func (e *env) put(key, content string) {
	e.t.Helper()
	e.putBytes(key, []byte(content))
}

func (e *env) putBytes(key string, b []byte) {
	e.t.Helper()
	n, err := e.s.Put(e.ctx, key, bytes.NewReader(b), int64(len(b)))
	if err != nil || n != int64(len(b)) {
		e.t.Fatalf("Put(%s)=%d,%v", key, n, err)
	}
}

func (e *env) folder(prefix string, files map[string]string) {
	e.t.Helper()
	for k, v := range files {
		e.put(prefix+"/"+k, v)
	}
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) stat(key string) blob.Info {
	e.t.Helper()
	info, err := e.s.Stat(e.ctx, key)
	if err != nil {
		e.t.Fatalf("Stat(%s): %v", key, err)
	}
	return info
}

func (e *env) list(prefix string) []blob.Entry {
	e.t.Helper()
	es, err := e.s.List(e.ctx, prefix)
	if err != nil {
		e.t.Fatalf("List(%s): %v", prefix, err)
	}
	return es
}

func (e *env) read(key string) []byte {
	e.t.Helper()
	rc, err := e.s.Open(e.ctx, key)
	if err != nil {
		e.t.Fatalf("Open(%s): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		e.t.Fatalf("read %s: %v", key, err)
	}
	return b
}

// want checks the bytes at key.
func (e *env) want(key, content string) {
	e.t.Helper()
	if got := e.read(key); !bytes.Equal(got, []byte(content)) {
		e.t.Errorf("%s: %s", key, diffAt(got, []byte(content)))
	}
}

// wantSum checks the bytes at key by SHA-256, streaming.
func (e *env) wantSum(key string, want []byte) {
	e.t.Helper()
	rc, err := e.s.Open(e.ctx, key)
	if err != nil {
		e.t.Fatalf("Open(%s): %v", key, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		e.t.Fatalf("read %s: %v", key, err)
	}
	if got, w := h.Sum(nil), sha256.Sum256(want); !bytes.Equal(got, w[:]) {
		e.t.Errorf("%s: %d bytes with sha256 %x, want %d bytes with %x", key, n, got[:8], len(want), w[:8])
	}
}

// wantGone checks that nothing is at key, as file or folder.
func (e *env) wantGone(key string) {
	e.t.Helper()
	if info, err := e.s.Stat(e.ctx, key); !errors.Is(err, fs.ErrNotExist) {
		e.t.Errorf("Stat(%s)=%+v,%v, want fs.ErrNotExist", key, info, err)
	}
	if es := e.list(key); len(es) != 0 {
		e.t.Errorf("List(%s)=%s, want nothing", key, keysOf(es))
	}
}

// wantPreviousOrNothing checks what a failed Put leaves: the previous bytes
// on a store with atomic Puts; on others the previous bytes or nothing
// (never part of the new ones).
func (e *env) wantPreviousOrNothing(key string, previous []byte) {
	e.t.Helper()
	rc, err := e.s.Open(e.ctx, key)
	if errors.Is(err, fs.ErrNotExist) && !e.f.AtomicPut {
		return
	}
	if err != nil {
		e.t.Fatalf("after a failed Put: Open(%s)=%v, want the previous bytes", key, err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, previous) {
		e.t.Errorf("after a failed Put, %s holds %d bytes (%v), not the previous %d: %s", key, len(got), err, len(previous), diffAt(got, previous))
	}
}

// wantETag checks the ETag of a store with parts: the MD5 hex of a
// single-part object, md5(part MD5s)-N for a multipart one.
func (e *env) wantETag(key string, data []byte) {
	e.t.Helper()
	if e.f.PartSize == 0 {
		return
	}
	want := ExpectedETag(data, e.f.PartSize)
	if info := e.stat(key); info.ETag != want {
		e.t.Errorf("Stat(%s).ETag=%q, want %q", key, info.ETag, want)
	}
	if es := e.list(key); len(es) != 1 || es[0].ETag != want {
		e.t.Errorf("List(%s)=%+v, want one entry with ETag %q", key, es, want)
	}
}

// ExpectedETag is the S3 ETag of data uploaded in parts of partSize: the MD5
// hex for at most one part, else the MD5 hex of the concatenated binary part
// MD5s, "-" and the number of parts.
func ExpectedETag(data []byte, partSize int64) string {
	if int64(len(data)) <= partSize {
		s := md5.Sum(data)
		return hex.EncodeToString(s[:])
	}
	var cat []byte
	n := 0
	for off := int64(0); off < int64(len(data)); off += partSize {
		s := md5.Sum(data[off:min(off+partSize, int64(len(data)))])
		cat = append(cat, s[:]...)
		n++
	}
	s := md5.Sum(cat)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(s[:]), n)
}

// randomBytes returns n bytes of a seeded random stream: distinct across
// seeds, so no two cases' contents can pass for each other.
func randomBytes(seed uint64, n int64) []byte {
	b := make([]byte, n)
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	rand.NewChaCha8(s).Read(b)
	return b
}

// diffAt says where got first differs from want.
func diffAt(got, want []byte) string {
	if bytes.Equal(got, want) {
		return "equal"
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	q := func(b []byte) string {
		if i < len(b) {
			return fmt.Sprintf("%q", b[i:min(i+16, len(b))])
		}
		return "end"
	}
	return fmt.Sprintf("%d bytes, want %d; first difference at byte %d: %s, want %s", len(got), len(want), i, q(got), q(want))
}

func keysOf(es []blob.Entry) string {
	var ks []string
	for _, e := range es {
		ks = append(ks, e.Key)
	}
	return strings.Join(ks, ",")
}

// cancelAfter cancels its context once n bytes were read.
type cancelAfter struct {
	r      io.Reader
	n      int64
	read   int64
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	// At most 64 KiB a read, as from a file or a pipe: a store that reads
	// on after the cancel is seen doing so.
	n, err := c.r.Read(p[:min(len(p), 64<<10)])
	c.read += int64(n)
	if c.read >= c.n {
		c.cancel()
	}
	return n, err
}

// onlyReader hides every method but Read (a bytes.Reader's Seek, ReadAt,
// WriteTo), as a pipe or a network stream would.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// errReader fails every read.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
