// Package digest computes lamindb-compatible content hashes of files and
// directories, together with a full-content SHA-256, from a single
// sequential read of each file.
//
// lamindb hashes files larger than ChunkSize by their first and last chunk
// only ("sha1-fl"), so two large files that differ only in the middle share
// a lamindb hash. Every Sum therefore also carries the size and a SHA-256
// over all bytes; deduplication must require all three to agree.
package digest

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// ChunkSize is lamindb's chunk size (50 MiB): files up to this size are
// hashed with md5, larger ones by their first and last ChunkSize bytes.
const ChunkSize = 50 << 20

// HashLen is the length of a lamindb hash string.
const HashLen = 22

// Hash types, as stored in lamindb's Artifact.hash_type.
const (
	TypeMD5    = "md5"     // whole file, size <= chunk
	TypeSHA1FL = "sha1-fl" // first and last chunk, size > chunk
	TypeMD5Dir = "md5-d"   // directory, combined per-file hashes
)

// Sum is the digest of a file or directory.
type Sum struct {
	Hash     string // lamindb hash, HashLen characters
	HashType string // TypeMD5, TypeSHA1FL or TypeMD5Dir
	Size     int64  // bytes; for a directory the sum over its files
	SHA256   string // lowercase hex over the full content (see Dir for directories)
	NFiles   int64  // number of files of a directory; 0 for a file
	IsDir    bool
	// Files are a directory's files, sorted by path: what a copy must write
	// and what it must find again. Nil for a file.
	Files []FileSum
}

// FileSum is one file of a directory.
type FileSum struct {
	Path string // slash-separated, relative to the directory
	Sum
}

// ErrNotRegular is wrapped when a path, or a file below a directory, is
// neither a regular file nor a directory (a FIFO, a device, a socket):
// reading one could block forever, and its bytes are not data.
var ErrNotRegular = errors.New("not a regular file")

// Tuning. Files below inlineMax are hashed in the calling goroutine since
// most saved files are small and goroutine hand-off would dominate. Larger
// files stream through at most inFlight buffers of bufSize bytes; 1 MiB x 8
// measured best on a 2-core machine and bounds memory to 8 MiB per file.
const (
	inlineMax = 1 << 20
	bufSize   = 1 << 20
	inFlight  = 8
)

// bufPool recycles read buffers across files so that hashing many
// files does not allocate a fresh megabyte each time.
var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// File returns the lamindb hash, size and SHA-256 of the regular file at
// path.
func File(path string) (Sum, error) {
	return FileChunk(path, ChunkSize)
}

// FileChunk is File with lamindb's chunk size replaced by chunk, so the
// first/last rule can be exercised on small inputs.
func FileChunk(path string, chunk int64) (Sum, error) {
	if chunk <= 0 {
		return Sum{}, fmt.Errorf("hash %s: chunk size %d not positive", path, chunk)
	}
	f, fi, err := OpenRegular(path)
	if err != nil {
		return Sum{}, fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()
	s, err := hashReader(f, fi.Size(), chunk)
	if err != nil {
		return Sum{}, fmt.Errorf("hash %s: %w", path, err)
	}
	return s, nil
}

// OpenRegular opens a regular file for reading. It opens without blocking
// and checks the opened file itself, so a FIFO or device (even one swapped in
// after a stat) is refused with ErrNotRegular instead of hanging the read.
func OpenRegular(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, notRegular(path, fi.Mode())
	}
	return f, fi, nil
}

// notRegular is the ErrNotRegular error for path of the given mode. The
// ModeSymlink bit, added by the caller to the target's mode, marks a
// symbolic link to such a file.
func notRegular(path string, mode fs.FileMode) error {
	kind := kindOf(mode &^ fs.ModeSymlink)
	if mode&fs.ModeSymlink != 0 {
		kind = "a link to " + kind
	}
	return fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, kind)
}

// kindOf names a non-regular file mode for messages.
func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	}
	return "not a regular file"
}

// hashReader hashes exactly size bytes from r; a different length means the
// file changed under us and the hashes would not describe any one version.
func hashReader(r io.Reader, size, chunk int64) (Sum, error) {
	var p plan
	p.init(size, chunk)
	var err error
	if size < inlineMax {
		err = p.inline(r)
	} else {
		err = p.stream(r)
	}
	if err != nil {
		return Sum{}, err
	}
	return p.sum(), nil
}

// sink is one goroutine's share of the hashing: it sees every buffer with
// its file offset and feeds the relevant part to its hashes.
type sink func(b []byte, off int64)

// plan holds the hashes for one file and how bytes are routed to them.
type plan struct {
	size, chunk int64
	sha256      hash.Hash
	md5         hash.Hash // size <= chunk
	first, last hash.Hash // size > chunk
	slow, fast  sink      // slow gets a core of its own when streaming
}

func (p *plan) init(size, chunk int64) {
	p.size, p.chunk = size, chunk
	p.sha256 = sha256.New()
	all := func(b []byte, _ int64) { p.sha256.Write(b) }
	if size <= chunk {
		p.md5 = md5.New()
		p.slow, p.fast = func(b []byte, _ int64) { p.md5.Write(b) }, all
		return
	}
	p.first, p.last = sha1.New(), sha1.New()
	lastStart := size - chunk
	// The ranges [0, chunk) and [size-chunk, size) overlap when
	// size < 2*chunk, so each buffer may feed both.
	fl := func(b []byte, off int64) {
		writeRange(p.first, b, off, 0, chunk)
		writeRange(p.last, b, off, lastStart, size)
	}
	p.slow, p.fast = all, fl
}

// writeRange writes the part of b (which starts at file offset off) that
// lies in [lo, hi).
func writeRange(h hash.Hash, b []byte, off, lo, hi int64) {
	end := off + int64(len(b))
	if end <= lo || off >= hi {
		return
	}
	from, to := max(lo, off)-off, min(hi, end)-off
	h.Write(b[from:to])
}

// inline reads the whole (small) file into one buffer and hashes it in the
// calling goroutine.
func (p *plan) inline(r io.Reader) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	// Ask for one byte more than expected to notice a file that grew.
	n, err := io.ReadFull(r, (*bp)[:p.size+1])
	switch {
	case err == nil || int64(n) != p.size:
		return errChanged(p.size, int64(n), err)
	case err != io.ErrUnexpectedEOF && err != io.EOF:
		return err
	}
	p.slow((*bp)[:n], 0)
	p.fast((*bp)[:n], 0)
	return nil
}

// errChanged reports a read length that disagrees with the stat size.
func errChanged(want, got int64, err error) error {
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return err
	}
	return fmt.Errorf("file changed while hashing: size %d, read %d bytes", want, got)
}

// block is a filled buffer shared by the reader and the slow hasher;
// whichever finishes with it last returns it to the free list.
type block struct {
	buf  *[]byte
	n    int
	off  int64
	refs atomic.Int32
}

// stream reads r sequentially and hashes each buffer on two cores: a
// second goroutine runs the slow sink (md5, or sha256 for large files)
// while the reading goroutine runs the fast one between reads. Two
// goroutines for the two hashing jobs keep the scheduler out of the way;
// at most inFlight buffers exist at a time.
func (p *plan) stream(r io.Reader) error {
	free := make(chan *[]byte, inFlight)
	for range inFlight {
		free <- bufPool.Get().(*[]byte)
	}
	release := func(blk *block) {
		if blk.refs.Add(-1) == 0 {
			free <- blk.buf
		}
	}
	work := make(chan *block, inFlight)
	var wg sync.WaitGroup
	wg.Go(func() {
		for blk := range work {
			p.slow((*blk.buf)[:blk.n], blk.off)
			release(blk)
		}
	})

	var off int64
	var rerr error
	for off <= p.size {
		bp := <-free
		n, err := io.ReadFull(r, *bp)
		if n > 0 {
			blk := &block{buf: bp, n: n, off: off}
			blk.refs.Store(2)
			work <- blk
			p.fast((*bp)[:n], off)
			release(blk)
			off += int64(n)
		} else {
			free <- bp
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			rerr = err
			break
		}
	}
	close(work)
	wg.Wait()
	for range inFlight {
		bufPool.Put(<-free)
	}
	if rerr != nil || off != p.size {
		return errChanged(p.size, off, rerr)
	}
	return nil
}

func (p *plan) sum() Sum {
	s := Sum{Size: p.size, SHA256: hex.EncodeToString(p.sha256.Sum(nil))}
	if p.md5 != nil {
		s.Hash, s.HashType = b64Hash(p.md5.Sum(nil)), TypeMD5
		return s
	}
	h := sha1.New()
	h.Write(p.first.Sum(nil))
	h.Write(p.last.Sum(nil))
	s.Hash, s.HashType = b64Hash(h.Sum(nil)), TypeSHA1FL
	return s
}

// b64Hash is lamindb's to_b64_str(digest)[:22]: url-safe base64 without
// padding, truncated.
func b64Hash(digest []byte) string {
	s := base64.RawURLEncoding.EncodeToString(digest)
	return s[:min(HashLen, len(s))]
}

// B16ToB64 converts a hex digest (such as an S3 ETag md5) to url-safe
// base64 without padding, which for a 16-byte digest is a lamindb hash.
// The result is not truncated.
func B16ToB64(hexDigest string) (string, error) {
	b, err := hex.DecodeString(hexDigest)
	if err != nil {
		return "", fmt.Errorf("b16 to b64 %q: %w", hexDigest, err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashSet is lamindb's hash of a collection: the md5 of the member hashes,
// sorted and joined with ":". lamindb passes a Python set, so duplicates
// count once; empty strings (members without a hash) are dropped.
func HashSet(hashes []string) string {
	hs := make([]string, 0, len(hashes))
	for _, h := range hashes {
		if h != "" {
			hs = append(hs, h)
		}
	}
	slices.Sort(hs)
	hs = slices.Compact(hs)
	sum := md5.Sum([]byte(strings.Join(hs, ":")))
	return b64Hash(sum[:])
}

// Path hashes path as a directory (Dir) or a regular file (File),
// following a symbolic link at path itself.
func Path(path string) (Sum, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Sum{}, fmt.Errorf("hash %s: %w", path, err)
	}
	if fi.IsDir() {
		return Dir(path)
	}
	if !fi.Mode().IsRegular() {
		return Sum{}, fmt.Errorf("hash %w", notRegular(path, fi.Mode()))
	}
	return File(path)
}

// Dir returns the lamindb "md5-d" hash of the directory at path: every
// regular file below it is hashed with the file rule, the hash strings are
// sorted (duplicates kept) and the result is
// md5(md5(h1) || md5(h2) || ...) over their raw digests. Size is the sum
// of the file sizes and NFiles their number.
//
// Symbolic links to regular files count as files (as Python's is_file()
// does); symbolic links to directories are not descended into.
//
// An empty directory, on which lamindb fails, gets the same formula over
// no files: the md5 of empty input, "1B2M2Y8AsgTpgAmY7PhCfg", with NFiles
// and Size 0.
//
// SHA256 of a directory is the SHA-256 over the sorted lines
// "<relative/slash/path>\x00<hex sha256 of the file>\n", so it changes
// when any file's content, name or place changes.
func Dir(path string) (Sum, error) {
	files, err := listFiles(path)
	if err != nil {
		return Sum{}, fmt.Errorf("hash %s: %w", path, err)
	}
	sums, err := hashAll(path, files)
	if err != nil {
		return Sum{}, err
	}
	return combine(files, sums), nil
}

// listFiles returns the slash-separated paths, relative to root, of the
// regular files below root, sorted bytewise. WalkDir's order is not that
// order ("a/b" comes before "a-c" there, after it here), so they are sorted.
func listFiles(root string) ([]string, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("not a directory")
	}
	var files []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch t := d.Type(); {
		case t.IsRegular():
		case t.IsDir():
			return nil
		case t&fs.ModeSymlink != 0:
			fi, err := os.Stat(p)
			if err != nil || fi.IsDir() {
				return nil // dangling, or a folder: lamindb skips it too
			}
			if !fi.Mode().IsRegular() {
				return notRegular(p, fi.Mode()|fs.ModeSymlink)
			}
		default:
			return notRegular(p, t)
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	slices.Sort(files)
	return files, err
}

// hashAll hashes files with up to GOMAXPROCS workers; results keep the
// order of files so that combining is deterministic.
func hashAll(root string, files []string) ([]Sum, error) {
	sums := make([]Sum, len(files))
	errs := make([]error, len(files))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				sums[i], errs[i] = File(filepath.Join(root, filepath.FromSlash(files[i])))
				if errs[i] != nil {
					next.Store(int64(len(files))) // stop early
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return sums, nil
}

// combine folds per-file sums into the directory Sum. files must be sorted
// (as listFiles returns them); then so are list and lines: the paths are
// distinct and hold no NUL, so "p\x00…" orders exactly as p does.
func combine(files []string, sums []Sum) Sum {
	hashes := make([]string, len(sums))
	lines := make([]string, len(sums))
	list := make([]FileSum, len(sums))
	var size int64
	for i, s := range sums {
		hashes[i] = s.Hash
		lines[i] = files[i] + "\x00" + s.SHA256 + "\n"
		size += s.Size
		list[i] = FileSum{Path: files[i], Sum: s}
	}
	slices.Sort(hashes)
	outer := md5.New()
	for _, h := range hashes {
		d := md5.Sum([]byte(h))
		outer.Write(d[:])
	}
	sh := sha256.New()
	for _, l := range lines {
		io.WriteString(sh, l)
	}
	return Sum{
		Hash:     b64Hash(outer.Sum(nil)),
		HashType: TypeMD5Dir,
		Size:     size,
		SHA256:   hex.EncodeToString(sh.Sum(nil)),
		NFiles:   int64(len(sums)),
		IsDir:    true,
		Files:    list,
	}
}
