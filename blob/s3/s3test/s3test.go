// Package s3test gives a test a fresh, empty bucket on the S3 server that the
// environment names, as scripts/start-s3 prints it:
//
//	eval "$(scripts/start-s3 /tmp/s3)"
//	go test ./...
//
// Without LAMIN_TEST_S3=1 and AWS_ENDPOINT_URL the tests that need S3 are
// skipped, unless LAMIN_TEST_REQUIRE_SERVICES=1: then they fail, so that CI
// never passes by skipping. LAMIN_TEST_S3 is a switch of its own so that
// credentials for a real AWS account in the environment never send a test
// there by accident.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/lamindb-go/lamindb/blob/s3"
)

// Config returns the configuration from the environment, or skips the test
// (fails it under LAMIN_TEST_REQUIRE_SERVICES=1) when no server is set up.
func Config(t testing.TB) s3.Config {
	t.Helper()
	if os.Getenv("LAMIN_TEST_S3") != "1" || os.Getenv("AWS_ENDPOINT_URL") == "" {
		msg := `no S3 server: run eval "$(scripts/start-s3 DIR)" (sets LAMIN_TEST_S3=1 and AWS_ENDPOINT_URL)`
		if os.Getenv("LAMIN_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg + "; LAMIN_TEST_REQUIRE_SERVICES=1 forbids skipping")
		}
		t.Skip(msg)
	}
	return s3.ConfigFromEnv()
}

// Bucket creates a bucket with a random name and returns the configuration
// and the name. At the end of the test the bucket is emptied (incomplete
// uploads too) and removed.
func Bucket(t testing.TB) (s3.Config, string) {
	t.Helper()
	cfg := Config(t)
	c, err := s3.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "lamin-test-" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: cfg.Region}); err != nil {
		t.Fatalf("make bucket %s at %s: %v", name, cfg.Endpoint, err)
	}
	t.Cleanup(func() { removeBucket(t, c, name) })
	return cfg, name
}

// Store returns a store on a fresh bucket, rooted at s3://<bucket>/prefix
// (prefix may be empty).
func Store(t testing.TB, prefix string) *s3.Store {
	t.Helper()
	cfg, name := Bucket(t)
	root := "s3://" + name
	if prefix != "" {
		root += "/" + prefix
	}
	s, err := s3.New(root, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// removeBucket deletes everything in the bucket, then the bucket.
func removeBucket(t testing.TB, c *minio.Client, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for u := range c.ListIncompleteUploads(ctx, name, "", true) {
		if u.Err == nil {
			c.RemoveIncompleteUpload(ctx, name, u.Key)
		}
	}
	objs := c.ListObjects(ctx, name, minio.ListObjectsOptions{Recursive: true})
	for e := range c.RemoveObjects(ctx, name, objs, minio.RemoveObjectsOptions{}) {
		t.Errorf("clean up bucket %s: %v", name, e.Err)
	}
	if err := c.RemoveBucket(ctx, name); err != nil {
		t.Errorf("remove bucket %s: %v", name, err)
	}
}
