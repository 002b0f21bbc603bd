package s3_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/lamindb-go/lamindb/blob/s3"
	"github.com/lamindb-go/lamindb/blob/s3/s3test"
)

// BenchmarkPut40MiB uploads 40 MiB (three parts) with one and with four
// parts in flight, and reads it back.
func BenchmarkPut40MiB(b *testing.B) {
	data := randomData(40 << 20)
	for _, parallel := range []int{1, 4} {
		b.Run(fmt.Sprintf("parallel=%d", parallel), func(b *testing.B) {
			cfg, bucket := s3test.Bucket(b)
			cfg.Parallel = parallel
			s, err := s3.New("s3://"+bucket, cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := s.Put(context.Background(), "big", bytes.NewReader(data), int64(len(data))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("get", func(b *testing.B) {
		s := s3test.Store(b, "")
		if _, err := s.Put(context.Background(), "big", bytes.NewReader(data), int64(len(data))); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			rc, err := s.Open(context.Background(), "big")
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, rc)
			rc.Close()
		}
	})
}
