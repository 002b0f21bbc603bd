// Package local implements blob.Store on a local folder.
package local

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/lamindb-go/lamindb/blob"
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

// LocalPath returns the file system path of key.
func (s *Store) LocalPath(key string) string { return filepath.Join(s.root, filepath.FromSlash(key)) }

// Write copies src (a file or folder) to key. It does not fsync: a killed
// process loses nothing the page cache holds, and on a power loss the saves
// whose marks survive are checked by size on the next open, as SQLite's
// synchronous=NORMAL trades durability of the last commits for speed too.
func (s *Store) Write(ctx context.Context, src, key string) error {
	dst := s.LocalPath(key)
	info, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return copyFile(src, dst, info.Mode())
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return copyFile(p, target, fi.Mode())
	})
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode.Perm()|0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Rename moves from to to. A folder at to is replaced: the old one is moved
// aside first, so to always holds a complete tree.
func (s *Store) Rename(ctx context.Context, from, to string) error {
	src, dst := s.LocalPath(from), s.LocalPath(to)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if fi, err := os.Stat(dst); err == nil && fi.IsDir() {
		aside := src + ".old"
		if err := os.Rename(dst, aside); err != nil {
			return err
		}
		if err := os.Rename(src, dst); err != nil {
			os.Rename(aside, dst)
			return err
		}
		return os.RemoveAll(aside)
	}
	return os.Rename(src, dst)
}

// Delete removes the file or folder at key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	p := s.LocalPath(key)
	if key == "" || key == "." || strings.HasPrefix(filepath.Clean(key), "..") {
		return errors.New("refusing to delete outside the storage root: " + key)
	}
	err := os.RemoveAll(p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Stat returns the size of key (summed over a folder) and whether it is a folder.
func (s *Store) Stat(ctx context.Context, key string) (int64, bool, error) {
	p := s.LocalPath(key)
	info, err := os.Stat(p)
	if err != nil {
		return 0, false, err
	}
	if !info.IsDir() {
		return info.Size(), false, nil
	}
	var size int64
	err = filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			size += fi.Size()
		}
		return nil
	})
	return size, true, err
}

// List returns the keys of all files under prefix, slash-separated.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	base := s.LocalPath(prefix)
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(s.root, p)
			keys = append(keys, filepath.ToSlash(rel))
		}
		return nil
	})
	return keys, err
}
