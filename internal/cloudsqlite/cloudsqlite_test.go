package cloudsqlite_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/blob/local"
	"github.com/lamindb-go/lamindb/internal/cloudsqlite/cloudsqlitetest"
)

// TestLocalStore runs the protocol suite on blob/local. Children the suite
// starts find the same folder by name, so it lives in the system's temporary
// folder, not in t.TempDir, and only the parent removes it.
func TestLocalStore(t *testing.T) {
	cloudsqlitetest.RunLockerSuite(t, func(t testing.TB, name string) blob.Store {
		root := filepath.Join(os.TempDir(), "lamin-cloudsqlite-test", name)
		if !cloudsqlitetest.IsChild() {
			if err := os.MkdirAll(root, 0o755); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(root) })
		}
		return local.New(root)
	})
}
