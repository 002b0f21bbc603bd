package main

import (
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/lamindb-go/lamindb/digest"
)

// hashResult compares digest.File with a bare single-core hash over the same
// bytes.
type hashResult struct {
	File        string  `json:"file"`
	Bytes       int64   `json:"bytes"`
	DigestMiBs  float64 `json:"digest_mib_s"`
	BareAlgo    string  `json:"bare_algo"`
	BareMiBs    float64 `json:"bare_mib_s"`
	Ratio       float64 `json:"ratio"` // digest / bare throughput
	OtherAlgo   string  `json:"other_algo"`
	OtherMiBs   float64 `json:"other_mib_s"`
	HashType    string  `json:"hash_type"`
	DigestRuns  int     `json:"runs"`
	DigestBestS float64 `json:"digest_best_seconds"`
}

// writeRandomFile writes size pseudo-random bytes to path.
func writeRandomFile(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	rng := rand.NewChaCha8([32]byte{1, 2, 3})
	if _, err := io.CopyN(f, rng, size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// bareHash hashes the file with one hash in the calling goroutine, reading
// through a 1 MiB buffer.
func bareHash(path string, h hash.Hash) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.CopyBuffer(h, struct{ io.Reader }{f}, make([]byte, 1<<20))
	return err
}

// best runs f runs times and returns the fastest wall time.
func best(runs int, f func() error) (time.Duration, error) {
	var b time.Duration
	for i := range runs {
		start := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		if d := time.Since(start); i == 0 || d < b {
			b = d
		}
	}
	return b, nil
}

// runHash creates a 40 MiB and a large random file in c.dir and compares
// digest.File with bare MD5 (40 MiB) and SHA-256 (large); the page cache is
// warmed first so that all three read the same cached bytes.
func runHash(c *config) ([]hashResult, error) {
	files := []struct {
		name    string
		size    int64
		bare    func() hash.Hash
		algo    string
		other   func() hash.Hash
		otherNm string
		runs    int
	}{
		{"hash-40MiB.bin", 40 << 20, md5.New, "md5", sha256.New, "sha256", 7},
		{"hash-big.bin", c.hashBig, sha256.New, "sha256", md5.New, "md5", 3},
	}
	var out []hashResult
	for _, f := range files {
		p := filepath.Join(c.dir, f.name)
		if err := writeRandomFile(p, f.size); err != nil {
			return nil, err
		}
		mib := float64(f.size) / (1 << 20)
		if err := bareHash(p, md5.New()); err != nil { // warm the page cache
			return nil, err
		}
		var sum digest.Sum
		dd, err := best(f.runs, func() (err error) { sum, err = digest.File(p); return err })
		if err != nil {
			return nil, err
		}
		if sum.Size != f.size || len(sum.Hash) != digest.HashLen || len(sum.SHA256) != 64 {
			return nil, fmt.Errorf("digest.File %s: wrong sum %+v", p, sum)
		}
		// The full SHA-256 must agree with the bare one.
		h := sha256.New()
		if err := bareHash(p, h); err != nil {
			return nil, err
		}
		if fmt.Sprintf("%x", h.Sum(nil)) != sum.SHA256 {
			return nil, fmt.Errorf("digest.File %s: SHA-256 differs from the bare one", p)
		}
		db, err := best(f.runs, func() error { return bareHash(p, f.bare()) })
		if err != nil {
			return nil, err
		}
		do, err := best(f.runs, func() error { return bareHash(p, f.other()) })
		if err != nil {
			return nil, err
		}
		r := hashResult{File: f.name, Bytes: f.size, DigestMiBs: mib / dd.Seconds(), BareAlgo: f.algo,
			BareMiBs: mib / db.Seconds(), OtherAlgo: f.otherNm, OtherMiBs: mib / do.Seconds(),
			HashType: sum.HashType, DigestRuns: f.runs, DigestBestS: dd.Seconds()}
		r.Ratio = r.DigestMiBs / r.BareMiBs
		out = append(out, r)
		os.Remove(p)
	}
	fmt.Printf("\n%-16s %10s %8s %14s %14s %8s %14s\n", "file", "MiB", "type", "digest MiB/s", "bare MiB/s", "ratio", "other MiB/s")
	for _, r := range out {
		fmt.Printf("%-16s %10.0f %8s %14.0f %9.0f %-4s %7.2f %9.0f %-4s\n", r.File, float64(r.Bytes)/(1<<20), r.HashType,
			r.DigestMiBs, r.BareMiBs, r.BareAlgo, r.Ratio, r.OtherMiBs, r.OtherAlgo)
	}
	return out, nil
}
