package s3_test

import (
	"testing"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/blob/blobtest"
	"github.com/lamindb-go/lamindb/blob/s3/s3test"
)

func TestStore(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return s3test.Store(t, "some/prefix") })
}
