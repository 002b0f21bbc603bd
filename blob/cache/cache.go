// Package cache keeps local copies of files in stores that are not local, so
// that programs which need a path (loaders, `lamin load`) get one, as
// lamindb's artifact.cache() does.
//
// Layout, as lamindb's: <cache dir>/<bucket>/<prefix>/<key>, i.e. the root's
// URL without its scheme, then the key. The cache dir is LAMIN_CACHE_DIR, or
// the platform's user cache folder + "/lamindb" (~/.cache/lamindb on Linux).
//
// A copy is reused while it is current: same size as the object, and the
// object no newer than the copy (a download sets the copy's mtime to the
// object's). Downloads go to a temp file beside the copy and are renamed into
// place, so a reader of a cached path never sees a partial file and a killed
// download leaves only a temp file (named ".*.lamin-download", ignored and
// replaced by the next download).
package cache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lamindb-go/lamindb/blob"
)

// Dir returns the cache folder: LAMIN_CACHE_DIR, or else the user cache
// folder + "/lamindb".
func Dir() (string, error) {
	if d := os.Getenv("LAMIN_CACHE_DIR"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache folder (set LAMIN_CACHE_DIR): %w", err)
	}
	return filepath.Join(d, "lamindb"), nil
}

// Cache is a cache folder.
type Cache struct {
	dir string
}

// New returns the cache in dir.
func New(dir string) *Cache { return &Cache{dir: dir} }

// Path returns a local path for key in st from the default cache (Dir).
func Path(ctx context.Context, st blob.Store, key string) (string, error) {
	d, err := Dir()
	if err != nil {
		return "", err
	}
	return New(d).Path(ctx, st, key)
}

// Dir returns the cache's folder.
func (c *Cache) Dir() string { return c.dir }

// Local returns where key of st is (or would be) cached, without looking.
func (c *Cache) Local(st blob.Store, key string) (string, error) {
	base, err := c.base(st)
	if err != nil {
		return "", err
	}
	if err := checkKey(key); err != nil {
		return "", err
	}
	return filepath.Join(base, filepath.FromSlash(key)), nil
}

// base is the cache folder of st's root.
func (c *Cache) base(st blob.Store) (string, error) {
	root := st.Root()
	_, rest, ok := strings.Cut(root, "://")
	if !ok {
		return "", fmt.Errorf("cache: root %q is not a URL", root)
	}
	rest = strings.Trim(rest, "/")
	if err := checkKey(rest); err != nil {
		return "", fmt.Errorf("cache: root %q: %w", root, err)
	}
	return filepath.Join(c.dir, filepath.FromSlash(rest)), nil
}

// checkKey refuses keys that would reach outside the cache folder: a key
// listed from a bucket is whatever someone wrote there.
func checkKey(key string) error {
	if key == "" || strings.Contains(key, `\`) {
		return fmt.Errorf("%w: %q", blob.ErrInvalidKey, key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q", blob.ErrInvalidKey, key)
		}
	}
	return nil
}

// Path returns a local path holding the bytes of key in st: the store's own
// path when it is local, else the cached copy, downloaded first when missing
// or out of date. For a folder every file is brought up to date, and cached
// files the folder no longer has are removed.
func (c *Cache) Path(ctx context.Context, st blob.Store, key string) (string, error) {
	if p := st.LocalPath(key); p != "" {
		// The store's Stat checks the key (LocalPath does not) and that
		// the bytes are there.
		if _, err := st.Stat(ctx, key); err != nil {
			return "", err
		}
		return p, nil
	}
	local, err := c.Local(st, key)
	if err != nil {
		return "", err
	}
	info, err := st.Stat(ctx, key)
	if err != nil {
		return "", err
	}
	if !info.IsDir {
		return local, c.file(ctx, st, key, local, info.Size, info.ModTime)
	}
	entries, err := st.List(ctx, key)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(local, 0o755); err != nil {
		return "", err
	}
	want := map[string]bool{}
	for _, e := range entries {
		rel, ok := strings.CutPrefix(e.Key, key+"/")
		if !ok {
			return "", fmt.Errorf("cache: %s listed %q, which is not below it", key, e.Key)
		}
		if err := checkKey(rel); err != nil {
			return "", fmt.Errorf("cache: %s: %w", key, err)
		}
		p := filepath.Join(local, filepath.FromSlash(rel))
		want[p] = true
		if err := c.file(ctx, st, e.Key, p, e.Size, e.ModTime); err != nil {
			return "", err
		}
	}
	return local, prune(local, want)
}

// file brings the copy at local of key up to date. A copy is current when
// it has the object's size and exactly the object's modification time, which
// the download gave it: a copy edited since (newer) or an object replaced
// since (another time) is downloaded again.
func (c *Cache) file(ctx context.Context, st blob.Store, key, local string, size int64, mod time.Time) error {
	if fi, err := os.Stat(local); err == nil && fi.Mode().IsRegular() && fi.Size() == size && fi.ModTime().Equal(mod) {
		return nil
	}
	dir := filepath.Dir(local)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// A folder where the file goes (the object changed kind): it goes.
	if fi, err := os.Lstat(local); err == nil && fi.IsDir() {
		if err := os.RemoveAll(local); err != nil {
			return err
		}
	}
	rc, err := st.Open(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(local)+".*"+tmpSuffix)
	if err != nil {
		return err
	}
	n, err := io.Copy(tmp, ctxReader{ctx, rc})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		// The object changed between Stat and Open: the copy would carry
		// the wrong mtime. The next call sees the new object.
		err = fmt.Errorf("cache: %s changed while it was downloaded (%d bytes, expected %d); try again", key, n, size)
	}
	if err == nil {
		err = os.Chtimes(tmp.Name(), time.Now(), mod)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), local)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// tmpSuffix marks downloads in progress (or cut off).
const tmpSuffix = ".lamin-download"

// prune removes the files below dir that are not in keep (and folders left
// empty), so a cached folder holds what the stored one holds. Downloads of
// other processes in progress (temp files younger than an hour) stay.
func prune(dir string, keep map[string]bool) error {
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir {
				dirs = append(dirs, p)
			}
			return nil
		}
		if keep[p] {
			return nil
		}
		if strings.HasSuffix(p, tmpSuffix) {
			if fi, err := d.Info(); err == nil && time.Since(fi.ModTime()) < time.Hour {
				return nil
			}
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
	// Deepest first; a folder that is not empty (a stored empty folder's
	// files, none) stays.
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Remove(dirs[i])
	}
	return err
}

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
