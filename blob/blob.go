// Package blob defines where artifact bytes live: one small interface that a
// local folder and S3-compatible object storage both implement.
//
// What is atomic, and what a crash can leave, is part of the contract: the
// library's repair relies on it to roll a cut-off write back or forward.
package blob

import (
	"context"
	"errors"
	"io"
	"time"
)

// Store holds the bytes of one storage location. Keys are slash-separated paths
// relative to the root, e.g. ".lamindb/<uid>.parquet"; a "folder" is every
// key below a prefix. Implementations are safe for concurrent use. A missing
// key is reported with an error for which errors.Is(err, fs.ErrNotExist)
// holds, except by Delete and DeleteMany, which treat a missing key as
// already done (deletes are idempotent so purges can be retried). Keys that
// would reach the root itself or leave it are refused with ErrInvalidKey.
//
// Atomicity. Features().AtomicPut tells the two kinds of store apart.
//
// A store without AtomicPut (a local folder):
//   - Put is not atomic: a concurrent reader or a crash can see part of the
//     bytes at key, and two concurrent Puts to one key can interleave. A Put
//     that fails removes what it wrote. Callers write to a staging key and
//     Rename it into place.
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
//
// A store with AtomicPut (S3):
//   - Put publishes atomically: the key holds the previous object (or none)
//     until the whole new object appears at once; a failed, cancelled or
//     killed Put leaves the previous state, or the whole new object when it
//     was cut off after the service had all of it (an error can come after
//     the commit), never part of it. Of concurrent Puts to one key,
//     exactly one writer's bytes remain, whole. A killed multipart Put can
//     leave an invisible incomplete upload that costs storage until
//     AbortUploads removes it. No staging is needed.
//   - Rename of a file is a server-side copy, then a delete of from. The copy
//     is atomic, so to holds the old or the new bytes, whole; a crash between
//     the two steps leaves the bytes at both keys. A file is not renamed onto
//     a folder, nor a folder onto a file (an error, as locally). Rename again
//     finishes a cut-off file rename too.
//   - Rename of a folder moves every object, copy first, delete after, under
//     a journal (hidden marker objects below from) that makes it resumable:
//     a Rename cut off at any point is finished by calling Rename again with
//     the same arguments, which is how a repair rolls it forward (there is
//     no rolling back: the old folder at to is overwritten in place). What a
//     crash can leave: before the copies are complete, from whole and to
//     with part of the new objects (and, when to held a folder, part of the
//     old ones); after, to exactly the new folder and from with part of its
//     objects or none (Stat(from) then says it does not exist). Meanwhile
//     Rename of from elsewhere is refused. No aside copy is made.
//   - A key can name a file and a folder at once (an object "k" and objects
//     below "k/"), which a local folder cannot hold; Stat describes the file.
//   - Delete of a folder is not atomic: a crash can leave part of it.
//   - A rename can change an object's ETag: copies of large objects are made
//     in parts.
//
// Progress: a context made by WithProgress receives the bytes moved by Put
// and read through Open and OpenRange.
type Store interface {
	// Root returns the location's root (an absolute path or URL).
	Root() string
	// Features says how this store behaves where stores differ.
	Features() Features
	// Put writes the bytes of r to key, creating parents and replacing a file
	// there, and returns how many bytes it wrote. size is the number of bytes
	// r yields, or -1 if unknown; when it is given, r must end after size
	// bytes (Put reads on to the end to tell a longer reader, so a stream
	// that stays open stalls it), and if r yields another number of bytes
	// Put fails with ErrSize and leaves no new bytes at key (a store without
	// AtomicPut leaves nothing there). It stops when ctx ends.
	Put(ctx context.Context, key string, r io.Reader, size int64) (int64, error)
	// MakeFolder makes key an empty folder (a folder artifact without files).
	MakeFolder(ctx context.Context, key string) error
	// Open opens the file at key for reading; it streams, nothing is
	// buffered whole.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// OpenRange opens length bytes of the file at key from offset (length -1:
	// to the end). A range that reaches past the end is cut at the end; an
	// offset past the end fails with ErrInvalidRange.
	OpenRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
	// Rename moves the file or folder at from to to (see Atomicity).
	Rename(ctx context.Context, from, to string) error
	// Delete removes the file or folder at key.
	Delete(ctx context.Context, key string) error
	// DeleteMany removes the files and folders at keys, as Delete does for
	// each, in batches where the store has them (S3: up to 1000 objects a
	// request, plus one listing per key, since only a listing tells a
	// folder from a file there). On an error some keys may be gone and
	// others not; calling it again is safe.
	DeleteMany(ctx context.Context, keys []string) error
	// Stat describes the file or folder at key. A key that is a file and
	// also has keys below it (possible on S3 only) is described as the file.
	Stat(ctx context.Context, key string) (Info, error)
	// List returns every file below prefix (prefix itself if it is a file),
	// sorted by key. Empty folders made by MakeFolder contribute no entry.
	List(ctx context.Context, prefix string) ([]Entry, error)
	// AbortUploads removes the incomplete uploads below prefix that were
	// started more than olderThan ago (a killed Put leaves them on S3;
	// stores without such uploads return 0) and says how many it removed.
	// The age guards the uploads of Puts still running.
	AbortUploads(ctx context.Context, prefix string, olderThan time.Duration) (int, error)
	// LocalPath returns a local path for key, or "" if the store is not local.
	LocalPath(key string) string
}

// Features says how a store behaves where stores differ, so that callers
// choose the cheapest safe way to write.
type Features struct {
	// AtomicPut: Put publishes the whole object or nothing, and concurrent
	// Puts to one key leave exactly one writer's bytes (see Store). Without
	// it, callers stage and Rename.
	AtomicPut bool
	// PartSize: objects larger than this are uploaded in parts of this many
	// bytes (the last one shorter), which decides their S3 ETag: md5 of the
	// concatenated per-part MD5 digests, then "-" and the part count. Zero
	// for stores that write in one piece. (Objects of known size too large
	// for S3's 10,000 parts get parts of size/10,000 bytes, rounded up.)
	PartSize int64
}

// Info describes a file or a folder.
type Info struct {
	Size    int64     // bytes; for a folder the sum over its files
	IsDir   bool      // a folder
	NFiles  int64     // files of a folder; 0 for a file
	ModTime time.Time // for a folder the newest of its files (or the folder's own)
	// ETag is the object's entity tag without quotes, "" where the store has
	// none (local files, folders). On S3 it is the MD5 hex of a single-part
	// object and "<md5 of part MD5s>-<parts>" for a multipart one, from
	// which lamindb derives a cloud file's hash (types md5 and md5-N).
	ETag string
}

// Entry is one file in a listing.
type Entry struct {
	Key     string
	Size    int64
	ModTime time.Time
	ETag    string // as Info.ETag
}

// FileDeleter is what a store offers whose deletes of many files are cheaper
// in one call than one by one (S3's batched delete). Every key must be a file;
// missing ones are already done; on an error some may be gone.
type FileDeleter interface {
	DeleteFiles(ctx context.Context, keys []string) error
}

// AsideKey is where a local Rename keeps the old folder while it replaces it.
func AsideKey(from string) string { return from + ".old" }

// Errors that callers test with errors.Is. Stores wrap them with what they
// tried and where, never with a secret.
var (
	// ErrInvalidKey: the key is empty or reaches the root or outside it.
	ErrInvalidKey = errors.New("invalid storage key")
	// ErrSize: a Put's reader yielded another number of bytes than its size.
	ErrSize = errors.New("the data's size differs from the size given")
	// ErrInvalidRange: OpenRange was asked for an offset past the end.
	ErrInvalidRange = errors.New("range starts past the end of the file")
	// ErrNoBucket: the storage location's bucket does not exist.
	ErrNoBucket = errors.New("bucket does not exist")
	// ErrAccessDenied: the credentials are wrong or lack the permission.
	ErrAccessDenied = errors.New("access denied")
	// ErrUnreachable: the storage service could not be reached.
	ErrUnreachable = errors.New("storage service unreachable")
)

// Progress receives how many of total bytes a transfer moved so far (total
// -1 if unknown). It is called from the goroutine doing the transfer, often:
// keep it cheap.
type Progress func(done, total int64)

type progressKey struct{}

// WithProgress returns a context whose transfers report to p, so a command
// line can draw a progress bar without the library knowing about it.
func WithProgress(ctx context.Context, p Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, p)
}

// ProgressOf returns the Progress of ctx, or nil.
func ProgressOf(ctx context.Context) Progress {
	p, _ := ctx.Value(progressKey{}).(Progress)
	return p
}

// ProgressReader returns r, reporting to the Progress of ctx as it is read
// (r itself when ctx has none). Stores use it; total is -1 if unknown.
func ProgressReader(ctx context.Context, r io.Reader, total int64) io.Reader {
	p := ProgressOf(ctx)
	if p == nil {
		return r
	}
	return &progressReader{r: r, p: p, total: total}
}

// ProgressReadCloser is ProgressReader for a ReadCloser.
func ProgressReadCloser(ctx context.Context, rc io.ReadCloser, total int64) io.ReadCloser {
	p := ProgressOf(ctx)
	if p == nil {
		return rc
	}
	return struct {
		io.Reader
		io.Closer
	}{&progressReader{r: rc, p: p, total: total}, rc}
}

type progressReader struct {
	r           io.Reader
	p           Progress
	done, total int64
}

func (pr *progressReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	if n > 0 {
		pr.done += int64(n)
		pr.p(pr.done, pr.total)
	}
	return n, err
}
