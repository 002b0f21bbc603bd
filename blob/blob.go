// Package blob defines where artifact bytes live: one small interface that a
// local folder and S3-compatible object storage both implement.
package blob

import "context"

// Store holds the bytes of one storage location. Keys are slash-separated paths
// relative to the root, e.g. ".lamindb/<uid>.parquet". Implementations are safe
// for concurrent use. A missing key is reported with an error for which
// errors.Is(err, fs.ErrNotExist) holds, except by Delete, which treats a missing
// key as already done (deletes are idempotent so purges can be retried).
type Store interface {
	// Root returns the location's root (an absolute path or URL).
	Root() string
	// Write copies the local file or folder src to key, creating parents; a
	// folder is copied recursively. It is the first half of a two-phase write:
	// callers write to a temporary key and Rename it into place.
	Write(ctx context.Context, src, key string) error
	// Rename moves from to to, replacing what is at to.
	Rename(ctx context.Context, from, to string) error
	// Delete removes the file or folder at key.
	Delete(ctx context.Context, key string) error
	// Stat returns the size (summed over a folder's files) and whether key is a folder.
	Stat(ctx context.Context, key string) (size int64, isDir bool, err error)
	// List returns the keys of all files under prefix.
	List(ctx context.Context, prefix string) ([]string, error)
	// LocalPath returns a local path for key, or "" if the store is not local.
	LocalPath(key string) string
}
