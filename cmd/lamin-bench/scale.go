package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	lamindb "github.com/lamindb-go/lamindb"
)

// scaleOp is the median cost of one operation at one instance size.
type scaleOp struct {
	Op        string  `json:"op"`
	Records   int     `json:"records"` // records the operation returns or changes
	MsPerOp   float64 `json:"ms_per_op"`
	MsPerRec  float64 `json:"ms_per_record"`
	Runs      int     `json:"runs"`
	MinMsOp   float64 `json:"min_ms_per_op"`
	MaxMsOp   float64 `json:"max_ms_per_op"`
	Reference string  `json:"-"`
}

// scaleResult is the measurements at one instance size.
type scaleResult struct {
	Artifacts    int       `json:"artifacts"`
	BuildSeconds float64   `json:"build_seconds"` // SaveMany time to grow to this size (excluding file generation)
	GenSeconds   float64   `json:"gen_seconds"`   // writing the source files
	Ops          []scaleOp `json:"ops"`
}

// scaleBatch is how many files are generated and saved with one SaveMany.
const scaleBatch = 10_000

// runScale grows one instance through 1k, 10k, 100k and 1M artifacts (up to
// c.scaleMax) with SaveMany and measures the query and lifecycle operations
// at each size.
func runScale(ctx context.Context, c *config) ([]scaleResult, error) {
	opts := lamindb.Options{Settings: lamindb.Settings{Dir: filepath.Join(c.dir, "scale-settings")}}
	in, err := lamindb.Init(ctx, lamindb.InitOptions{Options: opts, Storage: filepath.Join(c.dir, "scale-instance")})
	if err != nil {
		return nil, err
	}
	defer in.Close()
	src := filepath.Join(c.dir, "scale-src")
	var out []scaleResult
	have := 0
	extra := 0 // counter for the distinct content of purge batches
	for _, size := range []int{1_000, 10_000, 100_000, 1_000_000} {
		if size > c.scaleMax {
			break
		}
		res := scaleResult{Artifacts: size}
		for have < size {
			n := min(scaleBatch, size-have)
			start := time.Now()
			paths, err := writeSmallFiles(src, have, n)
			if err != nil {
				return nil, err
			}
			res.GenSeconds += time.Since(start).Seconds()
			items := make([]lamindb.SaveItem, n)
			for j, p := range paths {
				items[j] = lamindb.SaveItem{Path: p, SaveOptions: lamindb.SaveOptions{Key: benchKey(have + j)}}
			}
			start = time.Now()
			arts, err := in.SaveMany(ctx, items)
			res.BuildSeconds += time.Since(start).Seconds()
			if err != nil {
				return nil, err
			}
			if len(arts) != n {
				return nil, fmt.Errorf("SaveMany returned %d artifacts for %d files", len(arts), n)
			}
			if err := os.RemoveAll(src); err != nil {
				return nil, err
			}
			have += n
			fmt.Fprintf(os.Stderr, "\rscale: %d artifacts saved (%.0f s)", have, res.BuildSeconds)
		}
		fmt.Fprintln(os.Stderr)
		if err := expectCount(ctx, in.Artifacts(), int64(size)); err != nil {
			return nil, fmt.Errorf("after building %d: %w", size, err)
		}
		m := &scaleMeasure{ctx: ctx, in: in, size: size, runs: c.scaleRun, rng: rand.New(rand.NewPCG(uint64(size), 7))}
		ops, err := m.all(src, &extra)
		if err != nil {
			return nil, fmt.Errorf("at %d artifacts: %w", size, err)
		}
		res.Ops = ops
		out = append(out, res)
		printScale(res, out[0])
	}
	return out, nil
}

// scaleMeasure measures operations on an instance of a given size.
type scaleMeasure struct {
	ctx  context.Context
	in   *lamindb.Instance
	size int
	runs int
	rng  *rand.Rand
}

// group returns a random group of 100 keys (bench/g<k>/).
func (m *scaleMeasure) group() string { return fmt.Sprintf("bench/g%d/", m.rng.IntN(m.size/100)) }

// measure runs setup (untimed) and op (timed) m.runs times.
func (m *scaleMeasure) measure(name string, records int, setup func() error, op func() error) (scaleOp, error) {
	ds := make([]time.Duration, 0, m.runs)
	for range m.runs {
		if setup != nil {
			if err := setup(); err != nil {
				return scaleOp{}, fmt.Errorf("%s setup: %w", name, err)
			}
		}
		start := time.Now()
		if err := op(); err != nil {
			return scaleOp{}, fmt.Errorf("%s: %w", name, err)
		}
		ds = append(ds, time.Since(start))
	}
	med := median(ds) // sorts ds
	ms := float64(med) / 1e6
	return scaleOp{Op: name, Records: records, MsPerOp: ms, MsPerRec: ms / float64(records), Runs: m.runs,
		MinMsOp: float64(ds[0]) / 1e6, MaxMsOp: float64(ds[len(ds)-1]) / 1e6}, nil
}

func (m *scaleMeasure) all(src string, extra *int) ([]scaleOp, error) {
	ctx, in := m.ctx, m.in
	var ops []scaleOp
	add := func(o scaleOp, err error) error {
		if err == nil {
			ops = append(ops, o)
		}
		return err
	}
	if err := add(m.measure("list_first_page", lamindb.DefaultLimit, nil, func() error {
		r, err := in.Artifacts().List(ctx)
		if err == nil && (len(r.Records) != lamindb.DefaultLimit || !r.Truncated) {
			err = fmt.Errorf("%d rows", len(r.Records))
		}
		return err
	})); err != nil {
		return nil, err
	}
	if err := add(m.measure("filter_prefix_100", 100, nil, func() error {
		g := m.group()
		r, err := in.Artifacts().Where("key__startswith=" + g).Limit(0).List(ctx)
		if err == nil && len(r.Records) != 100 {
			err = fmt.Errorf("%s: %d rows", g, len(r.Records))
		}
		return err
	})); err != nil {
		return nil, err
	}
	if err := add(m.measure("get_by_key", 1, nil, func() error {
		k := benchKey(m.rng.IntN(m.size))
		r, err := in.Artifacts().Filter("key", k).Get(ctx)
		if err == nil && r.Get("key") != k {
			err = fmt.Errorf("get %s: key %v", k, r.Get("key"))
		}
		return err
	})); err != nil {
		return nil, err
	}
	if err := add(m.measure("count", m.size, nil, func() error {
		return expectCount(ctx, in.Artifacts(), int64(m.size))
	})); err != nil {
		return nil, err
	}
	// Trash and restore alternate on the same random group of 100.
	if err := m.trashRestore(&ops); err != nil {
		return nil, err
	}
	if err := expectCount(ctx, in.Artifacts(), int64(m.size)); err != nil {
		return nil, fmt.Errorf("after trash/restore: %w", err)
	}
	// Purge: each run saves 100 fresh artifacts (untimed) and purges them.
	if err := add(m.measure("purge_100", 100, func() error {
		paths, err := writeSmallFiles(src, 10_000_000+*extra, 100)
		if err != nil {
			return err
		}
		defer os.RemoveAll(src)
		items := make([]lamindb.SaveItem, len(paths))
		for j, p := range paths {
			items[j] = lamindb.SaveItem{Path: p, SaveOptions: lamindb.SaveOptions{Key: fmt.Sprintf("purge/%d.txt", *extra+j)}}
		}
		*extra += 100
		_, err = in.SaveMany(ctx, items)
		return err
	}, func() error {
		p, err := in.Artifacts().Filter("key__startswith", "purge/").Delete(ctx, lamindb.DeleteOptions{Permanent: true})
		if err == nil && p.Count("purge") != 100 {
			err = fmt.Errorf("purged %d", p.Count("purge"))
		}
		return err
	})); err != nil {
		return nil, err
	}
	if err := expectCount(ctx, in.Artifacts().Branch(lamindb.AllBranches), int64(m.size)); err != nil {
		return nil, fmt.Errorf("after purge: %w", err)
	}
	return ops, nil
}

// trashRestore measures trash_100 and restore_100 separately: each run
// trashes a random group of 100 and restores it again.
func (m *scaleMeasure) trashRestore(ops *[]scaleOp) error {
	ctx, in := m.ctx, m.in
	var trash, restore []time.Duration
	for range m.runs {
		g := m.group()
		start := time.Now()
		p, err := in.Artifacts().Filter("key__startswith", g).Delete(ctx, lamindb.DeleteOptions{})
		trash = append(trash, time.Since(start))
		if err != nil {
			return err
		}
		if p.Count("trash") != 100 {
			return fmt.Errorf("%s: trashed %d", g, p.Count("trash"))
		}
		start = time.Now()
		p, err = in.Artifacts().Where("key__startswith="+g).Restore(ctx, lamindb.RestoreOptions{})
		restore = append(restore, time.Since(start))
		if err != nil {
			return err
		}
		if p.Count("restore") != 100 {
			return fmt.Errorf("%s: restored %d", g, p.Count("restore"))
		}
	}
	for _, x := range []struct {
		name string
		ds   []time.Duration
	}{{"trash_100", trash}, {"restore_100", restore}} {
		med := median(x.ds)
		ms := float64(med) / 1e6
		*ops = append(*ops, scaleOp{Op: x.name, Records: 100, MsPerOp: ms, MsPerRec: ms / 100, Runs: m.runs,
			MinMsOp: float64(x.ds[0]) / 1e6, MaxMsOp: float64(x.ds[len(x.ds)-1]) / 1e6})
	}
	return nil
}

// printScale prints one size's table, with each operation's growth over the
// smallest size.
func printScale(r, base scaleResult) {
	fmt.Printf("\n%d artifacts (built with SaveMany in %.1f s, %.3f ms/record; files generated in %.1f s)\n",
		r.Artifacts, r.BuildSeconds, 1000*r.BuildSeconds/float64(max(1, r.Artifacts-prevSize(r, base))), r.GenSeconds)
	fmt.Printf("  %-18s %12s %14s %10s\n", "op", "ms/op", "ms/record", "vs 1k")
	for i, o := range r.Ops {
		growth := "-"
		if i < len(base.Ops) && base.Ops[i].Op == o.Op && base.Ops[i].MsPerOp > 0 {
			growth = fmt.Sprintf("%.2f×", o.MsPerOp/base.Ops[i].MsPerOp)
		}
		fmt.Printf("  %-18s %12.3f %14.5f %10s\n", o.Op, o.MsPerOp, o.MsPerRec, growth)
	}
}

// prevSize returns how many artifacts were added to reach r (sizes grow 10×).
func prevSize(r, base scaleResult) int {
	if r.Artifacts == base.Artifacts {
		return 0
	}
	return r.Artifacts / 10
}
