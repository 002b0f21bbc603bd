package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	lamindb "github.com/lamindb-go/lamindb"
)

// refDisk holds the reference seconds of Python lamindb 2.9.1 on disk
// (shared/reference/lamindb-2.9.1.md), by step.
var refDisk = map[string]float64{
	"init":             3.265,
	"save_each":        7.816,
	"list_default":     0.007,
	"list_all":         0.009,
	"filter_prefix":    0.004,
	"count_x100":       0.039,
	"get_key_x100":     0.047,
	"trash_all":        4.186,
	"list_trash":       0.016,
	"restore_all":      2.677,
	"purge_all":        6.973,
	"delete_instance":  0.030,
	"cli_info_startup": 0.375, // 0.36–0.39 s
}

// stepResult is one timed step.
type stepResult struct {
	Step    string  `json:"step"`
	Seconds float64 `json:"seconds"`
}

// timer runs steps in order and prints one line per step.
type timer struct{ steps []stepResult }

func (t *timer) step(name string, f func() (time.Duration, error)) error {
	d, err := f()
	if err != nil {
		return fmt.Errorf("step %s: %w", name, err)
	}
	t.steps = append(t.steps, stepResult{Step: name, Seconds: d.Seconds()})
	fmt.Printf("%-18s %10.6f s\n", name, d.Seconds())
	return nil
}

// timed measures f alone.
func timed(f func() error) (time.Duration, error) {
	start := time.Now()
	err := f()
	return time.Since(start), err
}

// benchKey is the key of artifact i: groups of 100 so that one prefix
// (bench/g3/) matches exactly 100 artifacts.
func benchKey(i int) string { return fmt.Sprintf("bench/g%d/%d.txt", i/100, i) }

// writeSmallFiles creates n small files with distinct content in dir,
// numbered from first, and returns their paths.
func writeSmallFiles(dir string, first, n int) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	paths := make([]string, n)
	for j := range n {
		i := first + j
		p := filepath.Join(dir, fmt.Sprintf("%d.txt", i))
		if err := os.WriteFile(p, fmt.Appendf(nil, "lamin-bench artifact %d\n", i), 0o644); err != nil {
			return nil, err
		}
		paths[j] = p
	}
	return paths, nil
}

// runLifecycle runs the lifecycle steps in order and returns their timings.
func runLifecycle(ctx context.Context, c *config, laminBin string) ([]stepResult, error) {
	n := c.n
	opts := lamindb.Options{Settings: lamindb.SettingsIn(filepath.Join(c.dir, "settings"))}
	root := filepath.Join(c.dir, "bench-instance")
	cloud := c.storage != ""
	if cloud {
		root = strings.TrimSuffix(c.storage, "/") + "/bench-instance"
	}
	local := !cloud && c.db == "" // checks of files the embedded default keeps
	paths, err := writeSmallFiles(filepath.Join(c.dir, "src"), 0, n)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(filepath.Join(c.dir, "src"))

	t := &timer{}
	var in *lamindb.Instance
	if err := t.step("init", func() (time.Duration, error) {
		return timed(func() (err error) {
			in, err = lamindb.Init(ctx, lamindb.InitOptions{Options: opts, Storage: root, DB: c.db})
			return err
		})
	}); err != nil {
		return nil, err
	}
	closed := false
	defer func() {
		if !closed {
			in.Close()
		}
	}()
	if _, err := os.Stat(filepath.Join(root, ".lamindb", "lamin.db")); err != nil && local {
		return nil, fmt.Errorf("init: no database: %w", err)
	}

	arts := make([]*lamindb.Artifact, n)
	if err := t.step("save_each", func() (time.Duration, error) {
		d, err := timed(func() error {
			for i, p := range paths {
				a, err := in.Save(ctx, p, lamindb.SaveOptions{Key: benchKey(i)})
				if err != nil {
					return err
				}
				arts[i] = a
			}
			return nil
		})
		if err != nil {
			return d, err
		}
		uids := make(map[string]bool, n)
		for i, a := range arts {
			if a == nil || a.Key == nil || *a.Key != benchKey(i) || a.BranchID != 1 {
				return d, fmt.Errorf("artifact %d saved wrong: %v", i, a)
			}
			uids[a.UID] = true
		}
		if len(uids) != n {
			return d, fmt.Errorf("%d distinct uids for %d files", len(uids), n)
		}
		return d, expectCount(ctx, in.Artifacts(), int64(n))
	}); err != nil {
		return nil, err
	}
	storagePaths := make([]string, n)
	for i, a := range arts {
		if cloud {
			break // the paths would be copies in the cache: the check is the storage's
		}
		p, err := in.Path(ctx, a)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("save_each: bytes of %s missing: %w", a.UID, err)
		}
		storagePaths[i] = p
	}

	if err := t.step("list_default", func() (time.Duration, error) {
		var r *lamindb.Result
		d, err := timed(func() (err error) { r, err = in.Artifacts().List(ctx); return err })
		if err == nil && (len(r.Records) != lamindb.DefaultLimit || !r.Truncated) {
			err = fmt.Errorf("%d rows (truncated %v), want %d truncated", len(r.Records), r.Truncated, lamindb.DefaultLimit)
		}
		if err == nil && r.Records[0].UID() != arts[n-1].UID {
			err = fmt.Errorf("first row %s, want the newest %s", r.Records[0].UID(), arts[n-1].UID)
		}
		return d, err
	}); err != nil {
		return nil, err
	}
	if err := t.step("list_all", func() (time.Duration, error) {
		return listN(ctx, in.Artifacts().Limit(0), n)
	}); err != nil {
		return nil, err
	}
	// bench/g3/ holds artifacts 300…399 (bench/g1/ for n < 400).
	prefix := fmt.Sprintf("bench/g%d/", min(3, n/100-1))
	if err := t.step("filter_prefix", func() (time.Duration, error) {
		var r *lamindb.Result
		d, err := timed(func() (err error) {
			r, err = in.Artifacts().Where("key__startswith=" + prefix).Limit(0).List(ctx)
			return err
		})
		if err != nil {
			return d, err
		}
		if len(r.Records) != 100 {
			return d, fmt.Errorf("%d rows, want 100", len(r.Records))
		}
		for _, rec := range r.Records {
			if k, _ := rec.Get("key").(string); !strings.HasPrefix(k, prefix) {
				return d, fmt.Errorf("row with key %q", k)
			}
		}
		return d, nil
	}); err != nil {
		return nil, err
	}
	if err := t.step("count_x100", func() (time.Duration, error) {
		var counts [100]int64
		d, err := timed(func() error {
			for k := range counts {
				var err error
				if counts[k], err = in.Artifacts().Count(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		for _, c := range counts {
			if err == nil && c != int64(n) {
				err = fmt.Errorf("count %d, want %d", c, n)
			}
		}
		return d, err
	}); err != nil {
		return nil, err
	}
	if err := t.step("get_key_x100", func() (time.Duration, error) {
		var got [100]lamindb.Record
		idx := func(k int) int { return (k * 7919) % n }
		d, err := timed(func() error {
			for k := range got {
				var err error
				if got[k], err = in.Artifacts().Filter("key", benchKey(idx(k))).Get(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		for k, r := range got {
			if err == nil && r.UID() != arts[idx(k)].UID {
				err = fmt.Errorf("get %s: uid %s, want %s", benchKey(idx(k)), r.UID(), arts[idx(k)].UID)
			}
		}
		return d, err
	}); err != nil {
		return nil, err
	}
	if err := t.step("trash_all", func() (time.Duration, error) {
		var p *lamindb.Plan
		d, err := timed(func() (err error) {
			p, err = in.Artifacts().Filter("key__startswith", "bench/").Delete(ctx, lamindb.DeleteOptions{})
			return err
		})
		if err == nil && p.Count("trash") != n {
			err = fmt.Errorf("trashed %d, want %d", p.Count("trash"), n)
		}
		if err == nil {
			err = expectCount(ctx, in.Artifacts(), 0)
		}
		return d, err
	}); err != nil {
		return nil, err
	}
	if err := t.step("list_trash", func() (time.Duration, error) {
		return listN(ctx, in.Artifacts().Branch(lamindb.TrashBranch).Limit(0), n)
	}); err != nil {
		return nil, err
	}
	if err := t.step("restore_all", func() (time.Duration, error) {
		var p *lamindb.Plan
		d, err := timed(func() (err error) {
			p, err = in.Artifacts().Where("key__startswith=bench/").Restore(ctx, lamindb.RestoreOptions{})
			return err
		})
		if err == nil && p.Count("restore") != n {
			err = fmt.Errorf("restored %d, want %d", p.Count("restore"), n)
		}
		if err == nil {
			err = expectCount(ctx, in.Artifacts(), int64(n))
		}
		if err == nil {
			err = expectCount(ctx, in.Artifacts().Branch(lamindb.TrashBranch), 0)
		}
		return d, err
	}); err != nil {
		return nil, err
	}
	if err := t.step("purge_all", func() (time.Duration, error) {
		var p *lamindb.Plan
		d, err := timed(func() (err error) {
			p, err = in.Artifacts().Filter("key__startswith", "bench/").Delete(ctx, lamindb.DeleteOptions{Permanent: true})
			return err
		})
		if err == nil && p.Count("purge") != n {
			err = fmt.Errorf("purged %d, want %d", p.Count("purge"), n)
		}
		if err == nil {
			err = expectCount(ctx, in.Artifacts().Branch(lamindb.AllBranches), 0)
		}
		for _, sp := range storagePaths {
			if sp == "" {
				continue
			}
			if _, serr := os.Stat(sp); err == nil && !os.IsNotExist(serr) {
				err = fmt.Errorf("bytes still in storage after purge: %s", sp)
			}
		}
		return d, err
	}); err != nil {
		return nil, err
	}
	if err := t.step("delete_instance", func() (time.Duration, error) {
		d, err := timed(func() error {
			closed = true
			if err := in.Close(); err != nil {
				return err
			}
			_, err := lamindb.DeleteInstance(ctx, "bench-instance", lamindb.DeleteInstanceOptions{Options: opts, Force: true})
			return err
		})
		if _, serr := os.Stat(filepath.Join(root, ".lamindb", "lamin.db")); err == nil && local && !os.IsNotExist(serr) {
			err = fmt.Errorf("database still there after delete")
		}
		if _, ferr := opts.Settings.Find("bench-instance"); err == nil && ferr == nil {
			err = fmt.Errorf("instance still in the settings after delete")
		}
		return d, err
	}); err != nil {
		return nil, err
	}
	if err := t.step("cli_info_startup", func() (time.Duration, error) {
		return cliInfoStartup(ctx, c, laminBin)
	}); err != nil {
		return nil, err
	}
	return t.steps, nil
}

// expectCount fails unless the query counts want records.
func expectCount(ctx context.Context, q *lamindb.Query, want int64) error {
	got, err := q.Count(ctx)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("count %d, want %d", got, want)
	}
	return nil
}

// listN times one List and fails unless it returns want rows.
func listN(ctx context.Context, q *lamindb.Query, want int) (time.Duration, error) {
	var r *lamindb.Result
	d, err := timed(func() (err error) { r, err = q.List(ctx); return err })
	if err == nil && len(r.Records) != want {
		err = fmt.Errorf("%d rows, want %d", len(r.Records), want)
	}
	return d, err
}
