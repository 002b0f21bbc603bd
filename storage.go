package lamindb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/blob/cache"
	"github.com/lamindb-go/lamindb/blob/local"
	"github.com/lamindb-go/lamindb/blob/s3"
)

// A storage root is a local folder (an absolute path) or an S3 location
// (s3://bucket[/prefix]); its bytes are reached through a blob.Store either
// way. S3 credentials and endpoint come from the standard AWS_* variables.

// isCloudRoot reports whether a storage root names object storage.
func isCloudRoot(root string) bool { return strings.HasPrefix(root, "s3://") }

// storageType is lamindb's lamindb_storage.type of a root.
func storageType(root string) string {
	if isCloudRoot(root) {
		return "s3"
	}
	return "local"
}

// storageRegion is lamindb's lamindb_storage.region of a root (nil: none).
func storageRegion(root string) any {
	if !isCloudRoot(root) {
		return nil
	}
	if r := os.Getenv("AWS_REGION"); r != "" {
		return r
	}
	return "us-east-1"
}

// openStore opens the byte store of a storage root without touching it.
func openStore(root string) (blob.Store, error) {
	if isCloudRoot(root) {
		st, err := s3.New(root, s3.ConfigFromEnv())
		if err != nil {
			return nil, errorf(ErrInvalid, "storage %s: %v", root, err)
		}
		return st, nil
	}
	return local.New(filepath.FromSlash(root)), nil
}

// checkStore makes sure a cloud store answers (its bucket exists, the
// credentials are accepted), with an error that says which of these failed.
func checkStore(ctx context.Context, st blob.Store) error {
	c, ok := st.(interface{ Check(context.Context) error })
	if !ok {
		return nil
	}
	if err := c.Check(ctx); err != nil {
		return storageError(st.Root(), err)
	}
	return nil
}

// storageError classifies a store's error for people: what failed and what
// to check, never a secret.
func storageError(root string, err error) *Error {
	hint := ""
	switch {
	case errors.Is(err, blob.ErrNoBucket):
		hint = "create the bucket, or check the name in " + root
	case errors.Is(err, blob.ErrAccessDenied):
		hint = "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and the bucket's permissions)"
	case errors.Is(err, blob.ErrUnreachable):
		hint = "check AWS_ENDPOINT_URL and that the service is up"
	}
	e := &Error{Class: ErrStorage, Msg: fmt.Sprintf("storage %s: %v", root, err), Err: err}
	if hint != "" {
		return withHint(e, hint)
	}
	return e
}

// brokenStore is the store of a root that cannot be opened: every call fails
// with why, so callers need no second error path.
type brokenStore struct {
	root string
	err  error
}

var _ blob.Store = brokenStore{}

func (b brokenStore) Root() string                                                 { return b.root }
func (b brokenStore) Features() blob.Features                                      { return blob.Features{} }
func (b brokenStore) Put(context.Context, string, io.Reader, int64) (int64, error) { return 0, b.err }
func (b brokenStore) MakeFolder(context.Context, string) error                     { return b.err }
func (b brokenStore) Open(context.Context, string) (io.ReadCloser, error)          { return nil, b.err }
func (b brokenStore) OpenRange(context.Context, string, int64, int64) (io.ReadCloser, error) {
	return nil, b.err
}
func (b brokenStore) Rename(context.Context, string, string) error       { return b.err }
func (b brokenStore) Delete(context.Context, string) error               { return b.err }
func (b brokenStore) DeleteMany(context.Context, []string) error         { return b.err }
func (b brokenStore) Stat(context.Context, string) (blob.Info, error)    { return blob.Info{}, b.err }
func (b brokenStore) List(context.Context, string) ([]blob.Entry, error) { return nil, b.err }
func (b brokenStore) AbortUploads(context.Context, string, time.Duration) (int, error) {
	return 0, b.err
}
func (b brokenStore) LocalPath(string) string { return "" }

// where names a key of a store for people: its local path, or its URL.
func where(st blob.Store, key string) string {
	if p := st.LocalPath(key); p != "" {
		return p
	}
	return strings.TrimSuffix(st.Root(), "/") + "/" + key
}

// localCopy returns a local path of a key: the store's own file, or a copy in
// the cache (LAMIN_CACHE_DIR), downloaded when missing or older than the
// object.
func localCopy(ctx context.Context, st blob.Store, key string) (string, error) {
	if p := st.LocalPath(key); p != "" {
		return p, nil
	}
	return cache.Path(ctx, st, key)
}

// joinRoot joins a slash-separated path below a storage root: a local path,
// or a URL (filepath.Join would fold s3:// into s3:/).
func joinRoot(root, rel string) string {
	if isCloudRoot(root) {
		return strings.TrimSuffix(root, "/") + "/" + rel
	}
	return filepath.Join(filepath.FromSlash(root), filepath.FromSlash(rel))
}
