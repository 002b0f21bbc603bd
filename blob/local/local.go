// Package local implements blob.Store on a local folder.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/internal/fault"
)

var _ blob.Store = (*Store)(nil)

// Store is a storage location on the local file system.
type Store struct {
	root string
}

// New returns the store rooted at the folder root.
func New(root string) *Store { return &Store{root: root} }

// Root returns the root folder.
func (s *Store) Root() string { return s.root }

// Features: a local Put writes in place (callers stage and rename, which is
// cheaper here than a temp file per Put and gives the same safety).
func (s *Store) Features() blob.Features { return blob.Features{} }

// LocalPath returns the file system path of key.
func (s *Store) LocalPath(key string) string { return filepath.Join(s.root, filepath.FromSlash(key)) }

// checkKey refuses keys that would reach the root itself or leave it.
func checkKey(key string) error {
	c := filepath.Clean(filepath.FromSlash(key))
	if key == "" || c == "." || c == ".." || strings.HasPrefix(c, ".."+string(filepath.Separator)) || filepath.IsAbs(c) {
		return fmt.Errorf("%w: refusing a key outside the storage root: %q", blob.ErrInvalidKey, key)
	}
	return nil
}

// Put copies r to key. It does not fsync: a killed process loses nothing the
// page cache holds, and on a power loss the saves whose marks survive are
// checked on the next open, as SQLite's synchronous=NORMAL trades durability
// of the last commits for speed too. A failed Put removes its file: nothing
// half-written stays at key (the previous file is gone already: Put is not
// atomic here, see blob.Store).
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	dst := s.LocalPath(key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, err
	}
	out, err := fault.Create(dst)
	if err != nil {
		return 0, err
	}
	src := blob.ProgressReader(ctx, ctxReader{ctx, r}, size)
	if size >= 0 {
		src = io.LimitReader(src, size+1) // one byte more tells a longer reader
	}
	bp := copyBufs.Get().(*[]byte)
	n, err := io.CopyBuffer(onlyWriter{out}, src, *bp)
	copyBufs.Put(bp)
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("%w: put %s: %d bytes given, more or fewer read", blob.ErrSize, key, size)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return n, err
	}
	return n, nil
}

// copyBufs recycles copy buffers: many small saves would otherwise allocate
// one each.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// onlyWriter hides a file's ReadFrom, so CopyBuffer uses the pooled buffer.
type onlyWriter struct{ w io.Writer }

func (o onlyWriter) Write(p []byte) (int, error) { return o.w.Write(p) }

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// MakeFolder creates key as a folder.
func (s *Store) MakeFolder(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	return os.MkdirAll(s.LocalPath(key), 0o755)
}

// Open opens the file at key.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	return s.OpenRange(ctx, key, 0, -1)
}

// OpenRange opens length bytes of the file at key from offset (-1: to the end).
func (s *Store) OpenRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("%w: negative offset %d", blob.ErrInvalidRange, offset)
	}
	f, err := os.Open(s.LocalPath(key))
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && fi.IsDir() {
		err = &fs.PathError{Op: "open", Path: f.Name(), Err: errors.New("is a folder")}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	size := fi.Size()
	if offset > size {
		f.Close()
		return nil, fmt.Errorf("%w: %s has %d bytes, offset %d", blob.ErrInvalidRange, key, size, offset)
	}
	if length < 0 || offset+length > size {
		length = size - offset
	}
	if offset == 0 && length == size {
		return blob.ProgressReadCloser(ctx, f, size), nil
	}
	r := io.NewSectionReader(f, offset, length)
	return blob.ProgressReadCloser(ctx, struct {
		io.Reader
		io.Closer
	}{r, f}, length), nil
}

// Rename moves from to to. A folder at to is replaced in the three steps the
// blob.Store contract lays out.
func (s *Store) Rename(ctx context.Context, from, to string) error {
	if err := checkKey(from); err != nil {
		return err
	}
	if err := checkKey(to); err != nil {
		return err
	}
	src, dst := s.LocalPath(from), s.LocalPath(to)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if fi, err := os.Lstat(dst); err == nil && fi.IsDir() {
		if _, err := os.Lstat(src); err != nil {
			return err // nothing to move: keep the old folder
		}
		aside := s.LocalPath(blob.AsideKey(from))
		if err := fault.Rename(dst, aside); err != nil {
			return err
		}
		if err := fault.Hit(fault.StoreRenameAside); err != nil {
			return err
		}
		if err := fault.Rename(src, dst); err != nil {
			if rerr := fault.Rename(aside, dst); rerr != nil {
				return errors.Join(err, rerr)
			}
			return err
		}
		if err := fault.Hit(fault.StoreRenameSwap); err != nil {
			return err
		}
		return s.Delete(ctx, blob.AsideKey(from))
	}
	return fault.Rename(src, dst)
}

// Delete removes the file or folder at key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	p := s.LocalPath(key)
	if fault.Enabled {
		// A crash in the middle of a folder delete leaves part of it.
		if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
			if err := removeOneFile(p); err != nil {
				return err
			}
			if err := fault.Hit(fault.StoreDeleteMid); err != nil {
				return err
			}
		}
	}
	if err := fault.RemoveAll(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// DeleteMany removes each key as Delete does; a local folder has no batches.
func (s *Store) DeleteMany(ctx context.Context, keys []string) error {
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// AbortUploads has nothing to do: a local Put leaves no hidden uploads.
func (s *Store) AbortUploads(ctx context.Context, prefix string, olderThan time.Duration) (int, error) {
	return 0, checkKey(prefix)
}

// removeOneFile deletes the first file found below dir (fault builds only).
func removeOneFile(dir string) error {
	stop := errors.New("stop")
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if err := fault.Remove(p); err != nil {
			return err
		}
		return stop
	})
	if errors.Is(err, stop) {
		return nil
	}
	return err
}

// Stat describes key.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := checkKey(key); err != nil {
		return blob.Info{}, err
	}
	p := s.LocalPath(key)
	fi, err := os.Stat(p)
	if err != nil {
		return blob.Info{}, err
	}
	info := blob.Info{Size: fi.Size(), ModTime: fi.ModTime()}
	if !fi.IsDir() {
		return info, nil
	}
	info.Size, info.IsDir = 0, true
	err = filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.ModTime().After(info.ModTime) {
			info.ModTime = fi.ModTime()
		}
		if !d.IsDir() {
			info.Size += fi.Size()
			info.NFiles++
		}
		return nil
	})
	return info, err
}

// List returns every file below prefix, keys slash-separated.
func (s *Store) List(ctx context.Context, prefix string) ([]blob.Entry, error) {
	if err := checkKey(prefix); err != nil {
		return nil, err
	}
	var out []blob.Entry
	base := s.LocalPath(prefix)
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // deleted while we listed
			}
			return err
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		out = append(out, blob.Entry{Key: filepath.ToSlash(rel), Size: fi.Size(), ModTime: fi.ModTime()})
		return nil
	})
	// WalkDir's order is per folder ("a/b" before "a-c"); the contract's is
	// by key, as S3 lists.
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, err
}
