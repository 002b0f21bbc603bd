package pgtest_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/lamindb-go/lamindb/internal/sqldb"
	"github.com/lamindb-go/lamindb/internal/sqldb/pgtest"
)

// TestNewInstance: clones hold a complete instance (nothing to create when
// opened), and tests may ask for them at once.
func TestNewInstance(t *testing.T) {
	pgtest.Server(t) // skips here: a skip in a goroutine would not end the test
	var wg sync.WaitGroup
	dsns := make([]string, 3)
	for i := range dsns {
		wg.Add(1)
		go func() { defer wg.Done(); dsns[i] = pgtest.NewInstance(t) }()
	}
	wg.Wait()
	ctx := context.Background()
	for _, dsn := range dsns {
		start := time.Now()
		db, err := sqldb.OpenPostgres(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := db.SchemaVersion(ctx); err != nil || v != sqldb.Version("postgres") {
			t.Errorf("version %d (%v)", v, err)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM django_migrations`).Scan(&n); err != nil || n != 19 {
			t.Errorf("django_migrations: %d (%v)", n, err)
		}
		db.Close()
		t.Logf("open %s", time.Since(start))
	}
}
