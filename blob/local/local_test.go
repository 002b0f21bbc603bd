package local_test

import (
	"testing"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/blob/blobtest"
	"github.com/lamindb-go/lamindb/blob/local"
)

func TestStore(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return local.New(t.TempDir()) })
}
