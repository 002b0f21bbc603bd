package lamindb_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	lamindb "github.com/lamindb-go/lamindb"
)

// benchInstance creates a fresh instance (settings folder and cache inside
// dir) and n small files with distinct content.
func benchInstance(b *testing.B, dir string, n int) (*lamindb.Instance, []string) {
	b.Helper()
	b.Setenv("LAMIN_CACHE_DIR", filepath.Join(dir, "cache"))
	ctx := context.Background()
	in, err := lamindb.Init(ctx, lamindb.InitOptions{
		Options: lamindb.Options{Settings: lamindb.Settings{Dir: filepath.Join(dir, "settings")}},
		Storage: filepath.Join(dir, "instance"),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { in.Close() })
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		b.Fatal(err)
	}
	paths := make([]string, n)
	for i := range paths {
		paths[i] = filepath.Join(src, fmt.Sprintf("%d.txt", i))
		if err := os.WriteFile(paths[i], fmt.Appendf(nil, "bench artifact %d in %s\n", i, dir), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return in, paths
}

// expectCount fails the benchmark unless the query counts want records.
func expectCount(b *testing.B, q *lamindb.Query, want int64) {
	b.Helper()
	got, err := q.Count(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if got != want {
		b.Fatalf("count %d, want %d", got, want)
	}
}

// lifecyclePhases are the timed phases of BenchmarkLifecycle1000, in order.
var lifecyclePhases = []string{"save_many", "trash", "restore", "purge"}

// BenchmarkLifecycle1000 saves 1000 small files with SaveMany into a fresh
// instance, then trashes all of them by filter, restores them and deletes
// them permanently. Each phase is a sub-benchmark that runs the earlier
// phases untimed and reports its own ms/record; every phase checks its
// counts (and the purge that the bytes are gone).
func BenchmarkLifecycle1000(b *testing.B) {
	for k, phase := range lifecyclePhases {
		b.Run(phase, func(b *testing.B) {
			var timed time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				timed += runLifecycle(b, k)
			}
			b.ReportMetric(float64(timed)/1e6/float64(b.N)/lifecycleN, "ms/record")
		})
	}
}

// lifecycleN is the number of artifacts of BenchmarkLifecycle1000.
const lifecycleN = 1000

// runLifecycle runs the phases up to and including lifecyclePhases[upto] on
// a fresh instance, with the benchmark timer running only for that phase,
// and returns its duration.
func runLifecycle(b *testing.B, upto int) time.Duration {
	const n = lifecycleN
	ctx := context.Background()
	in, paths := benchInstance(b, b.TempDir(), n)
	items := make([]lamindb.SaveItem, n)
	for j, p := range paths {
		items[j] = lamindb.SaveItem{Path: p, SaveOptions: lamindb.SaveOptions{Key: fmt.Sprintf("bench/%d.txt", j)}}
	}
	var took time.Duration
	phase := func(k int, f func() error) {
		if k > upto {
			return
		}
		if k == upto {
			b.StartTimer()
		}
		start := time.Now()
		err := f()
		if k == upto {
			took = time.Since(start)
			b.StopTimer()
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	var arts []*lamindb.Artifact
	phase(0, func() (err error) { arts, err = in.SaveMany(ctx, items); return err })
	if len(arts) != n {
		b.Fatalf("SaveMany returned %d artifacts", len(arts))
	}
	expectCount(b, in.Artifacts(), n)
	storagePaths := make([]string, n)
	for j, a := range arts {
		var err error
		if storagePaths[j], err = in.Path(ctx, a); err != nil {
			b.Fatal(err)
		}
		if _, err := os.Stat(storagePaths[j]); err != nil {
			b.Fatalf("bytes of %s not stored: %v", a.UID, err)
		}
	}

	var p *lamindb.Plan
	phase(1, func() (err error) {
		p, err = in.Artifacts().Filter("key__startswith", "bench/").Delete(ctx, lamindb.DeleteOptions{})
		return err
	})
	if upto < 1 {
		return took
	}
	if p.Count("trash") != n {
		b.Fatalf("trashed %d, want %d", p.Count("trash"), n)
	}
	expectCount(b, in.Artifacts(), 0)
	expectCount(b, in.Artifacts().Branch(lamindb.TrashBranch), n)

	phase(2, func() (err error) {
		p, err = in.Artifacts().Where("key__startswith=bench/").Restore(ctx, lamindb.RestoreOptions{})
		return err
	})
	if upto < 2 {
		return took
	}
	if p.Count("restore") != n {
		b.Fatalf("restored %d, want %d", p.Count("restore"), n)
	}
	expectCount(b, in.Artifacts(), n)
	expectCount(b, in.Artifacts().Branch(lamindb.TrashBranch), 0)

	phase(3, func() (err error) {
		p, err = in.Artifacts().Filter("key__startswith", "bench/").Delete(ctx, lamindb.DeleteOptions{Permanent: true})
		return err
	})
	if upto < 3 {
		return took
	}
	if p.Count("purge") != n {
		b.Fatalf("purged %d, want %d", p.Count("purge"), n)
	}
	expectCount(b, in.Artifacts().Branch(lamindb.AllBranches), 0)
	for _, sp := range storagePaths {
		if _, err := os.Stat(sp); !os.IsNotExist(err) {
			b.Fatalf("bytes left after purge: %s (%v)", sp, err)
		}
	}
	return took
}

// BenchmarkSaveEach saves small distinct files one Save call each and
// reports ms/record; each iteration is one save.
func BenchmarkSaveEach(b *testing.B) {
	ctx := context.Background()
	in, paths := benchInstance(b, b.TempDir(), b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a, err := in.Save(ctx, paths[i], lamindb.SaveOptions{Key: fmt.Sprintf("bench/%d.txt", i)})
		if err != nil {
			b.Fatal(err)
		}
		if a.Key == nil || *a.Key != fmt.Sprintf("bench/%d.txt", i) {
			b.Fatalf("saved with key %v", a.Key)
		}
	}
	b.StopTimer()
	expectCount(b, in.Artifacts(), int64(b.N))
	b.ReportMetric(float64(b.Elapsed())/1e6/float64(b.N), "ms/record")
}
