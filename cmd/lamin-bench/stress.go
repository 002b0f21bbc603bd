package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	lamindb "github.com/lamindb-go/lamindb"
	"github.com/lamindb-go/lamindb/internal/sqldb"
	"github.com/lamindb-go/lamindb/internal/stress"
)

// runStress runs --stress-workers lamin processes for --stress-duration and
// prints what the invariant checks found.
func runStress(ctx context.Context, c *config, bin string) (*stress.Report, error) {
	dir := filepath.Join(c.dir, "stress")
	os.RemoveAll(dir)
	fmt.Printf("\nstress: %d processes for %s on 3 shared keys\n", c.stressWorkers, c.stressFor)
	r, err := stress.Run(ctx, stress.Config{Bin: bin, Dir: dir, Workers: c.stressWorkers, Duration: c.stressFor, Keys: 3,
		Seed: uint64(time.Now().UnixNano())})
	if err != nil {
		return nil, err
	}
	fmt.Printf("  %d commands in %s, by exit code %v\n  by operation %v\n  %d artifacts and %d audit events at the end\n",
		r.Ops, r.Elapsed.Round(time.Millisecond), r.ByCode, r.ByOp, r.Artifacts, r.Events)
	for _, f := range r.Failures {
		fmt.Println("  FAILURE:", f)
	}
	for _, v := range r.Violations {
		fmt.Println("  VIOLATION:", v)
	}
	if !r.OK() {
		return r, fmt.Errorf("%d failures, %d violations", len(r.Failures), len(r.Violations))
	}
	fmt.Println("  every invariant holds")
	return r, nil
}

// runBulk runs 4 processes trashing and restoring --bulk-rows artifacts each
// by filter, with 2 savers alongside.
func runBulk(ctx context.Context, c *config, bin string) (*stress.BulkReport, error) {
	dir := filepath.Join(c.dir, "bulk")
	os.RemoveAll(dir)
	fmt.Printf("\nbulk: 4 processes × %d rounds of trash and restore of %d artifacts each, 2 savers alongside\n", c.bulkRounds, c.bulkRows)
	r, err := stress.BulkContention(ctx, stress.BulkConfig{Bin: bin, Dir: dir, Loops: 4, Rows: c.bulkRows, Rounds: c.bulkRounds, Savers: 2,
		Prepare: prepareBulk})
	if err != nil {
		return nil, err
	}
	fmt.Printf("  %d bulk commands and %d saves in %s; slowest command %s; %d failures\n", r.Bulk, r.Saves,
		r.Elapsed.Round(time.Millisecond), r.SlowestOp.Round(time.Millisecond), len(r.Failures))
	for i, f := range r.Failures {
		if i < 10 {
			fmt.Println("  FAILURE:", f)
		}
	}
	if len(r.Failures) > 0 {
		return r, fmt.Errorf("%d commands failed", len(r.Failures))
	}
	return r, nil
}

// prepareBulk makes the instance of --bulk: sets of small artifacts under p0/, p1/, …
func prepareBulk(ctx context.Context, settings, root string, sets, rows int) error {
	opts := lamindb.Options{Settings: lamindb.SettingsIn(settings)}
	in, err := lamindb.Init(ctx, lamindb.InitOptions{Options: opts, Storage: root})
	if err != nil {
		return err
	}
	defer in.Close()
	src := filepath.Join(filepath.Dir(root), "src", "bulk")
	for s := range sets {
		var items []lamindb.SaveItem
		for i := range rows {
			p := filepath.Join(src, fmt.Sprintf("p%d", s), fmt.Sprintf("f%d.txt", i))
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(fmt.Sprintf("set %d file %d\n", s, i)), 0o644); err != nil {
				return err
			}
			items = append(items, lamindb.SaveItem{Path: p, SaveOptions: lamindb.SaveOptions{Key: fmt.Sprintf("p%d/f%d.txt", s, i)}})
			if len(items) == 5000 || i == rows-1 {
				if _, err := in.SaveMany(ctx, items); err != nil {
					return err
				}
				items = items[:0]
			}
		}
	}
	return nil
}

// logResult is what streaming a long audit log cost.
type logResult struct {
	Events    int     `json:"events"`
	Seconds   float64 `json:"seconds_json"`
	PeakRSSMB float64 `json:"peak_rss_mib_json"`
	TableSecs float64 `json:"seconds_table"`
	TableRSS  float64 `json:"peak_rss_mib_table"`
}

// runLog fills an instance's audit log with --log events and times `lamin log
// --limit 0` (JSON and table) with its peak memory.
func runLog(ctx context.Context, c *config, bin string) (*logResult, error) {
	dir := filepath.Join(c.dir, "log")
	os.RemoveAll(dir)
	settings := filepath.Join(dir, "settings")
	in, err := lamindb.Init(ctx, lamindb.InitOptions{Options: lamindb.Options{Settings: lamindb.SettingsIn(settings)}, Storage: filepath.Join(dir, "inst")})
	if err != nil {
		return nil, err
	}
	in.Close()
	db, err := sqldb.OpenSQLite(ctx, filepath.Join(dir, "inst", ".lamindb", "lamin.db"))
	if err != nil {
		return nil, err
	}
	err = db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		_, err := tx.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			INSERT INTO lamin_audit_event (created_at, user_handle, action, registry, record_uid, record_id, from_branch_id, to_branch_id)
			SELECT '2026-12-01 00:00:00.000000', 'anonymous', CASE i % 2 WHEN 0 THEN 'trash' ELSE 'restore' END, 'artifact',
				printf('%016d0000', i % 100000), i % 100000, 1, -1 FROM n`, c.logEvents)
		return err
	})
	db.Close()
	if err != nil {
		return nil, err
	}
	res := &logResult{Events: c.logEvents}
	env := append(os.Environ(), "LAMIN_SETTINGS_DIR="+settings)
	for _, format := range [][]string{{"--json"}, {}} {
		cmd := exec.CommandContext(ctx, bin, append([]string{"log", "--limit", "0"}, format...)...)
		// A nil Stdout is /dev/null: the output is timed, not kept.
		cmd.Env, cmd.Stderr = env, os.Stderr
		t := time.Now()
		err := cmd.Run()
		d := time.Since(t).Seconds()
		if err != nil {
			return nil, err
		}
		rss := float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024
		if len(format) > 0 {
			res.Seconds, res.PeakRSSMB = d, rss
		} else {
			res.TableSecs, res.TableRSS = d, rss
		}
	}
	fmt.Printf("\nlog: %d events: --json %.1f s, peak RSS %.0f MiB; table %.1f s, peak RSS %.0f MiB\n",
		res.Events, res.Seconds, res.PeakRSSMB, res.TableSecs, res.TableRSS)
	return res, nil
}
