// Package blob defines where artifact bytes live: one small interface that a
// local folder and S3-compatible object storage both implement.
//
// What is atomic, and what a crash can leave, is part of the contract: the
// library's repair relies on it to roll a cut-off write back or forward.
package blob

import (
	"context"
	"io"
	"time"
)

// Store holds the bytes of one storage location. Keys are slash-separated paths
// relative to the root, e.g. ".lamindb/<uid>.parquet"; a "folder" is every
// key below a prefix. Implementations are safe for concurrent use. A missing
// key is reported with an error for which errors.Is(err, fs.ErrNotExist)
// holds, except by Delete, which treats a missing key as already done
// (deletes are idempotent so purges can be retried).
//
// Atomicity:
//   - Put is not atomic: a crash can leave part of the bytes at key. Callers
//     write to a staging key and Rename it into place.
//   - Rename of a file is atomic, also when it replaces a file at to.
//   - Rename of a folder onto a key that holds no folder is atomic.
//   - Rename of a folder onto an existing folder takes three steps, laid out so
//     that a crash between them can be recognized and repaired: (1) the old
//     folder moves to AsideKey(from); (2) from moves to to; (3) the aside
//     copy is deleted. So: no aside → nothing happened (from present) or all
//     is done (from gone); the aside present and to missing → step 1 is done
//     (roll back by moving the aside back to to); the aside present, to
//     present and from gone → step 2 is done: the new folder is in place and
//     the old one still to delete.
//   - Delete of a folder is not atomic: a crash can leave part of it.
type Store interface {
	// Root returns the location's root (an absolute path or URL).
	Root() string
	// Put writes the bytes of r to key, creating parents and replacing a file
	// there, and returns how many bytes it wrote. It stops when ctx ends.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// MakeFolder makes key an empty folder (a folder artifact without files).
	MakeFolder(ctx context.Context, key string) error
	// Open opens the file at key for reading.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Rename moves the file or folder at from to to (see Atomicity).
	Rename(ctx context.Context, from, to string) error
	// Delete removes the file or folder at key.
	Delete(ctx context.Context, key string) error
	// Stat describes the file or folder at key.
	Stat(ctx context.Context, key string) (Info, error)
	// List returns every file below prefix (prefix itself if it is a file).
	List(ctx context.Context, prefix string) ([]Entry, error)
	// LocalPath returns a local path for key, or "" if the store is not local.
	LocalPath(key string) string
}

// Info describes a file or a folder.
type Info struct {
	Size    int64     // bytes; for a folder the sum over its files
	IsDir   bool      // a folder
	NFiles  int64     // files of a folder; 0 for a file
	ModTime time.Time // for a folder the newest of its files (or the folder's own)
}

// Entry is one file in a listing.
type Entry struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// AsideKey is where Rename keeps the old folder while it replaces it.
func AsideKey(from string) string { return from + ".old" }
