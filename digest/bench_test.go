package digest

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// benchFile is a random file created once per process and shared by the
// benchmarks of one size, so the bare and digest runs read the same bytes
// from the page cache.
type benchFile struct {
	size int64
	once sync.Once
	path string
	err  error
}

var (
	bench40MiB = &benchFile{size: 40 << 20}
	bench1GiB  = &benchFile{size: 1 << 30}
)

// TestMain removes the benchmark files, which are too large to leave in
// the temporary directory.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range []*benchFile{bench40MiB, bench1GiB} {
		if f.path != "" {
			os.RemoveAll(filepath.Dir(f.path))
		}
	}
	os.Exit(code)
}

func (f *benchFile) get(b *testing.B) string {
	b.Helper()
	f.once.Do(func() {
		dir, err := os.MkdirTemp(os.TempDir(), "digest-bench-")
		if err != nil {
			f.err = err
			return
		}
		f.path = filepath.Join(dir, "data")
		out, err := os.Create(f.path)
		if err != nil {
			f.err = err
			return
		}
		buf := make([]byte, 1<<20)
		for left := f.size; left > 0; left -= int64(len(buf)) {
			rand.Read(buf)
			if _, err := out.Write(buf[:min(left, int64(len(buf)))]); err != nil {
				f.err = err
				break
			}
		}
		if err := out.Close(); err != nil && f.err == nil {
			f.err = err
		}
	})
	if f.err != nil {
		b.Fatal(f.err)
	}
	return f.path
}

func benchDigest(b *testing.B, f *benchFile) {
	p := f.get(b)
	b.SetBytes(f.size)
	b.ResetTimer()
	for b.Loop() {
		if _, err := File(p); err != nil {
			b.Fatal(err)
		}
	}
}

// benchBare is the baseline: one sequential read into a single hash.
func benchBare(b *testing.B, f *benchFile, newHash func() hash.Hash) {
	p := f.get(b)
	b.SetBytes(f.size)
	buf := make([]byte, 1<<20)
	b.ResetTimer()
	for b.Loop() {
		in, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		h := newHash()
		if _, err := io.CopyBuffer(h, in, buf); err != nil {
			b.Fatal(err)
		}
		h.Sum(nil)
		in.Close()
	}
}

func BenchmarkFile40MiB(b *testing.B)      { benchDigest(b, bench40MiB) }
func BenchmarkBareMD540MiB(b *testing.B)   { benchBare(b, bench40MiB, md5.New) }
func BenchmarkFile1GiB(b *testing.B)       { benchDigest(b, bench1GiB) }
func BenchmarkBareSHA2561GiB(b *testing.B) { benchBare(b, bench1GiB, sha256.New) }
