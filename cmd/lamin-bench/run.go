package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// run parses the flags and runs the lifecycle (unless skipped), then --hash,
// --scale, --stress, --bulk and --log, and writes --json.
func run(args []string) error {
	c, err := parseFlags(args)
	if err != nil {
		return err
	}
	if err := os.Setenv("LAMIN_CACHE_DIR", filepath.Join(c.dir, "cache")); err != nil {
		return err
	}
	ctx := context.Background()
	res := &results{N: c.n, Dir: c.dir, Steps: []stepResult{}}
	// The lifecycle and the process benchmarks share one lamin binary, built
	// on first use.
	var built string
	lamin := func() (string, error) {
		if built == "" {
			var err error
			if built, err = buildLamin(ctx, c); err != nil {
				return "", err
			}
		}
		return built, nil
	}
	if !c.skipLife {
		bin, err := lamin()
		if err != nil {
			return err
		}
		fmt.Printf("lamin-bench: N=%d, dir %s\n", c.n, c.dir)
		if res.Steps, err = runLifecycle(ctx, c, bin); err != nil {
			return err
		}
		printTable(res.Steps)
	}
	if c.hash {
		if res.Hash, err = runHash(c); err != nil {
			return fmt.Errorf("hash: %w", err)
		}
	}
	if c.scale {
		if res.Scale, err = runScale(ctx, c); err != nil {
			return fmt.Errorf("scale: %w", err)
		}
	}
	if c.stress || c.bulk || c.logEvents > 0 {
		bin, err := lamin()
		if err != nil {
			return err
		}
		if c.stress {
			if res.Stress, err = runStress(ctx, c, bin); err != nil {
				return fmt.Errorf("stress: %w", err)
			}
		}
		if c.bulk {
			if res.Bulk, err = runBulk(ctx, c, bin); err != nil {
				return fmt.Errorf("bulk: %w", err)
			}
		}
		if c.logEvents > 0 {
			if res.Log, err = runLog(ctx, c, bin); err != nil {
				return fmt.Errorf("log: %w", err)
			}
		}
	}
	if c.jsonOut != "" {
		return writeJSON(c.jsonOut, res)
	}
	return nil
}
