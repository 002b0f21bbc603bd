package digest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// writeFiles creates the files (slash-separated relative path → content)
// under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestFileVectors(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		chunk    int64
		hash     string
		hashType string
	}{
		{name: "a", content: "a", chunk: ChunkSize, hash: "DMF1ucDxtqgxw5niaXcmYQ", hashType: TypeMD5},
		{name: "b", content: "b", chunk: ChunkSize, hash: "kutf_uauL-w61xx3dTFXjw", hashType: TypeMD5},
		{name: "abc", content: "abc", chunk: ChunkSize, hash: "kAFQmDzST7DWlj99KOF_cg", hashType: TypeMD5},
		{name: "abc chunk 1", content: "abc", chunk: 1, hash: "p0EbDbQEP1wS-Tw6TuBjKS", hashType: TypeSHA1FL},
		{name: "abc chunk 3 is md5", content: "abc", chunk: 3, hash: "kAFQmDzST7DWlj99KOF_cg", hashType: TypeMD5},
		{name: "empty", content: "", chunk: ChunkSize, hash: "1B2M2Y8AsgTpgAmY7PhCfg", hashType: TypeMD5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "f")
			writeFiles(t, filepath.Dir(p), map[string]string{"f": tc.content})
			got, err := FileChunk(p, tc.chunk)
			if err != nil {
				t.Fatal(err)
			}
			want := Sum{
				Hash:     tc.hash,
				HashType: tc.hashType,
				Size:     int64(len(tc.content)),
				SHA256:   sha256Hex([]byte(tc.content)),
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("FileChunk = %+v, want %+v", got, want)
			}
		})
	}
}

// TestStreamMatchesInline checks that the concurrent path (files of at
// least inlineMax bytes) computes the same hashes as the inline path, for
// chunk sizes that make the first and last ranges overlap, touch, or leave
// a gap, and that do not align with buffer boundaries.
func TestStreamMatchesInline(t *testing.T) {
	data := make([]byte, 3*bufSize+12345)
	rand.Read(data)
	dir := t.TempDir()
	p := filepath.Join(dir, "big")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	size := int64(len(data))
	tests := []struct {
		name  string
		chunk int64
	}{
		{name: "md5 whole", chunk: ChunkSize},
		{name: "md5 exact size", chunk: size},
		{name: "overlap", chunk: size - 1},
		{name: "overlap unaligned", chunk: 2*int64(bufSize) + 7},
		{name: "touching", chunk: size / 2},
		{name: "gap", chunk: int64(bufSize) - 3},
		{name: "tiny chunk", chunk: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FileChunk(p, tc.chunk)
			if err != nil {
				t.Fatal(err)
			}
			want := refSum(data, tc.chunk)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("FileChunk = %+v, want %+v", got, want)
			}
		})
	}
}

// refSum is the straightforward in-memory version of the file rule.
func refSum(data []byte, chunk int64) Sum {
	var p plan
	p.init(int64(len(data)), chunk)
	if int64(len(data)) <= chunk {
		p.md5.Write(data)
	} else {
		p.first.Write(data[:chunk])
		p.last.Write(data[int64(len(data))-chunk:])
	}
	p.sha256.Write(data)
	return p.sum()
}

func TestDir(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		hash   string
		size   int64
		nFiles int64
	}{
		{
			name:   "lamindb vector",
			files:  map[string]string{"a": "0", "b": "0", "sub/c": "1"},
			hash:   "iGtHiFEBV3r1_TFovdQCgw",
			size:   3,
			nFiles: 3,
		},
		{
			name:   "same hashes other layout",
			files:  map[string]string{"x/y/z": "1", "0a": "0", "0b": "0"},
			hash:   "iGtHiFEBV3r1_TFovdQCgw",
			size:   3,
			nFiles: 3,
		},
		{
			name:   "empty",
			files:  map[string]string{},
			hash:   "1B2M2Y8AsgTpgAmY7PhCfg",
			size:   0,
			nFiles: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tc.files)
			got, err := Dir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got.Hash != tc.hash || got.HashType != TypeMD5Dir || got.Size != tc.size || got.NFiles != tc.nFiles || !got.IsDir {
				t.Fatalf("Dir = %+v, want hash %s size %d n_files %d", got, tc.hash, tc.size, tc.nFiles)
			}
			var lines []string
			for name, content := range tc.files {
				lines = append(lines, name+"\x00"+sha256Hex([]byte(content))+"\n")
			}
			slicesSort(lines)
			if want := sha256Hex([]byte(strings.Join(lines, ""))); got.SHA256 != want {
				t.Fatalf("Dir SHA256 = %s, want %s", got.SHA256, want)
			}
			viaPath, err := Path(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(viaPath, got) {
				t.Fatalf("Path = %+v, Dir = %+v", viaPath, got)
			}
		})
	}
}

func slicesSort(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TestDirSHA256SeesLayout shows why directories carry a SHA-256: moving a
// file keeps the lamindb hash but changes the SHA-256.
func TestDirSHA256SeesLayout(t *testing.T) {
	tests := []struct {
		name string
		a, b map[string]string
	}{
		{name: "renamed", a: map[string]string{"x": "0", "y": "1"}, b: map[string]string{"x": "1", "y": "0"}},
		{name: "moved", a: map[string]string{"x": "0"}, b: map[string]string{"d/x": "0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			da, db := t.TempDir(), t.TempDir()
			writeFiles(t, da, tc.a)
			writeFiles(t, db, tc.b)
			sa, err := Dir(da)
			if err != nil {
				t.Fatal(err)
			}
			sb, err := Dir(db)
			if err != nil {
				t.Fatal(err)
			}
			if sa.Hash != sb.Hash {
				t.Fatalf("lamindb hashes differ: %s vs %s", sa.Hash, sb.Hash)
			}
			if sa.SHA256 == sb.SHA256 {
				t.Fatalf("SHA-256 equal for different layouts: %s", sa.SHA256)
			}
		})
	}
}

// A folder's files come in byte order of their paths, which a directory walk
// does not give ("a/b" is walked before "a-c", though '-' < '/'); the
// folder's SHA-256 is taken over them in that order.
func TestDirFilesInPathOrder(t *testing.T) {
	d := t.TempDir()
	writeFiles(t, d, map[string]string{"a/b": "1", "a-c": "2", "a.d": "3", "ab": "4"})
	s, err := Dir(d)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range s.Files {
		got = append(got, f.Path)
	}
	if want := []string{"a-c", "a.d", "a/b", "ab"}; !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
}

func TestPath(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"f": "a", "d/g": "b"})
	if err := os.Symlink("f", filepath.Join(dir, "d", "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..", filepath.Join(dir, "d", "loop")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		path     string
		hash     string
		isDir    bool
		nFiles   int64
		notFound bool
	}{
		{name: "file", path: "f", hash: "DMF1ucDxtqgxw5niaXcmYQ"},
		{name: "dir with symlinks", path: "d", isDir: true, nFiles: 1},
		{name: "missing", path: "nope", notFound: true},
		{name: "missing below", path: "d/nope/x", notFound: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Path(filepath.Join(dir, filepath.FromSlash(tc.path)))
			if tc.notFound {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("Path error = %v, want fs.ErrNotExist", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.IsDir != tc.isDir || got.NFiles != tc.nFiles || (tc.hash != "" && got.Hash != tc.hash) {
				t.Fatalf("Path = %+v", got)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"f": "a"})
	// A FIFO would block a reader forever: it must be refused, not read.
	fifo := filepath.Join(dir, "fifo")
	fifoDir := filepath.Join(dir, "withfifo")
	if err := os.MkdirAll(fifoDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, filepath.Join(fifoDir, "pipe")} {
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name       string
		call       func() error
		notExist   bool
		notRegular bool
	}{
		{name: "file missing", call: func() error { _, err := File(filepath.Join(dir, "x")); return err }, notExist: true},
		{name: "dir missing", call: func() error { _, err := Dir(filepath.Join(dir, "x")); return err }, notExist: true},
		{name: "file is dir", call: func() error { _, err := File(dir); return err }, notRegular: true},
		{name: "dir is file", call: func() error { _, err := Dir(filepath.Join(dir, "f")); return err }},
		{name: "zero chunk", call: func() error { _, err := FileChunk(filepath.Join(dir, "f"), 0); return err }},
		{name: "bad hex", call: func() error { _, err := B16ToB64("xyz"); return err }},
		{name: "fifo", call: func() error { _, err := Path(fifo); return err }, notRegular: true},
		{name: "fifo as file", call: func() error { _, err := File(fifo); return err }, notRegular: true},
		{name: "dir with a fifo", call: func() error { _, err := Dir(fifoDir); return err }, notRegular: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, fs.ErrNotExist); got != tc.notExist {
				t.Fatalf("errors.Is(%v, fs.ErrNotExist) = %v, want %v", err, got, tc.notExist)
			}
			if got := errors.Is(err, ErrNotRegular); got != tc.notRegular {
				t.Fatalf("errors.Is(%v, ErrNotRegular) = %v, want %v", err, got, tc.notRegular)
			}
		})
	}
}

func TestB16ToB64(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "lamindb vector", in: "9b89c8c1acf79dba5b5341d1fff9806f", want: "m4nIwaz3nbpbU0HR__mAbw"},
		{name: "upper case hex", in: "9B89C8C1ACF79DBA5B5341D1FFF9806F", want: "m4nIwaz3nbpbU0HR__mAbw"},
		{name: "empty", in: "", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := B16ToB64(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("B16ToB64(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestHashSet(t *testing.T) {
	// md5("a:b") in lamindb's encoding, computed with Python.
	const ab = "2BYMmz3CDU6TGutPRSYhVQ"
	tests := []struct {
		name   string
		hashes []string
		want   string
	}{
		{name: "sorted", hashes: []string{"a", "b"}, want: ab},
		{name: "unsorted", hashes: []string{"b", "a"}, want: ab},
		{name: "duplicates count once", hashes: []string{"b", "a", "b"}, want: ab},
		{name: "empty dropped", hashes: []string{"", "a", "b", ""}, want: ab},
		{name: "none", hashes: nil, want: "1B2M2Y8AsgTpgAmY7PhCfg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := HashSet(tc.hashes); got != tc.want {
				t.Fatalf("HashSet(%q) = %q, want %q", tc.hashes, got, tc.want)
			}
		})
	}
}

// TestNoFalseDedup shows why SHA-256 is carried: two files above ChunkSize
// that agree in their first and last ChunkSize bytes share the lamindb
// hash but not the SHA-256.
func TestNoFalseDedup(t *testing.T) {
	if testing.Short() {
		t.Skip("writes two 120 MiB files")
	}
	const size = 120 << 20
	data := make([]byte, size)
	rand.Read(data)
	dir := t.TempDir()
	tests := []struct {
		name string
		flip int // byte to change, -1 for none
	}{
		{name: "original", flip: -1},
		{name: "byte 60 MiB changed", flip: 60 << 20},
	}
	sums := make([]Sum, len(tests))
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := data
			if tc.flip >= 0 {
				b = append([]byte(nil), data...)
				b[tc.flip] ^= 0xff
			}
			p := filepath.Join(dir, tc.name)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := File(p)
			if err != nil {
				t.Fatal(err)
			}
			if s.HashType != TypeSHA1FL || s.Size != size || s.SHA256 != sha256Hex(b) {
				t.Fatalf("File = %+v", s)
			}
			sums[i] = s
		})
	}
	if sums[0].Hash != sums[1].Hash {
		t.Errorf("lamindb hashes differ: %s vs %s", sums[0].Hash, sums[1].Hash)
	}
	if sums[0].SHA256 == sums[1].SHA256 {
		t.Errorf("SHA-256 equal for different content: %s", sums[0].SHA256)
	}
}
