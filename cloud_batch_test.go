package lamindb_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	ln "github.com/lamindb-go/lamindb"
	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/blob/s3"
	"github.com/lamindb-go/lamindb/blob/s3/s3test"
)

// countingS3 is an S3 store that counts the delete requests a caller makes:
// one per Delete or DeleteMany call, one per DeleteFiles batch of at most
// 1000 keys (what S3 bills and what costs a round trip each).
type countingS3 struct {
	*s3.Store
	*deleteCounts
}

// deleteCounts is shared by every store the instance opens.
type deleteCounts struct {
	mu             sync.Mutex
	singles, batch int
	batchKeys      int
}

func (c *countingS3) Delete(ctx context.Context, key string) error {
	c.mu.Lock()
	c.singles++
	c.mu.Unlock()
	return c.Store.Delete(ctx, key)
}

func (c *countingS3) DeleteMany(ctx context.Context, keys []string) error {
	c.mu.Lock()
	c.singles += len(keys)
	c.mu.Unlock()
	return c.Store.DeleteMany(ctx, keys)
}

func (c *countingS3) DeleteFiles(ctx context.Context, keys []string) error {
	c.mu.Lock()
	c.batch += (len(keys) + 999) / 1000
	c.batchKeys += len(keys)
	c.mu.Unlock()
	return c.Store.DeleteFiles(ctx, keys)
}

// TestCloudPurgeDeletesInBatches: a bulk purge on S3 deletes its files in
// batched requests (S3's DeleteObjects, up to 1000 keys each), not one
// request per file, and every object is gone afterwards.
func TestCloudPurgeDeletesInBatches(t *testing.T) {
	c := newCloudEnv(t, "postgres")
	const n = 25
	var keys []string
	for i := range n {
		a := c.save(c.file(fmt.Sprintf("f%d.txt", i), fmt.Sprint(i)), ln.SaveOptions{Key: fmt.Sprintf("many/f%d.txt", i)})
		keys = append(keys, a.StorageKey())
	}
	c.in.Close()
	cfg := s3test.Config(t)
	counting := &deleteCounts{}
	opened := 0
	opts := c.opts
	opts.Store = func(root string) blob.Store {
		st, err := s3.New(root, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if root == c.root {
			opened++
			return &countingS3{Store: st, deleteCounts: counting}
		}
		return st
	}
	in, err := ln.Open(c.ctx, "inst", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if _, err := in.Artifacts().Where("key__startswith=many/").Delete(c.ctx, ln.DeleteOptions{Permanent: true}); err != nil {
		t.Fatal(err)
	}
	if opened == 0 {
		t.Fatal("the instance never asked for its store")
	}
	if counting.batch != 1 || counting.batchKeys != n || counting.singles != 0 {
		t.Errorf("purge of %d files: %d batch requests for %d keys, %d single deletes; want 1 batch of %d, none single",
			n, counting.batch, counting.batchKeys, counting.singles, n)
	}
	for _, k := range keys {
		if _, err := c.store.Stat(c.ctx, k); err == nil {
			t.Errorf("%s still in the bucket", k)
		}
	}
}
