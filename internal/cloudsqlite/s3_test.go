package cloudsqlite_test

import (
	"os"
	"sync"
	"testing"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/blob/s3"
	"github.com/lamindb-go/lamindb/blob/s3/s3test"
	"github.com/lamindb-go/lamindb/internal/cloudsqlite/cloudsqlitetest"
)

// bucketEnv hands the suite's bucket to its child processes.
const bucketEnv = "LAMIN_CLOUDSQLITE_TEST_BUCKET"

// TestS3Store runs the protocol suite on blob/s3 (skipped without an S3
// server: eval "$(scripts/start-s3 DIR)"). Every case gets a prefix of one
// bucket, made by the parent; children find it in the environment.
func TestS3Store(t *testing.T) {
	cfg := s3test.Config(t)
	var once sync.Once
	cloudsqlitetest.RunLockerSuite(t, func(tb testing.TB, name string) blob.Store {
		once.Do(func() {
			if os.Getenv(bucketEnv) == "" {
				_, b := s3test.Bucket(t)
				os.Setenv(bucketEnv, b)
				t.Cleanup(func() { os.Unsetenv(bucketEnv) })
			}
		})
		st, err := s3.New("s3://"+os.Getenv(bucketEnv)+"/"+name, cfg)
		if err != nil {
			tb.Fatal(err)
		}
		return st
	})
}
