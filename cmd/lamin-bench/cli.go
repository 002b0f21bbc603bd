package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	lamindb "github.com/lamindb-go/lamindb"
)

// buildLamin builds ./cmd/lamin into dir with `go build` (run from inside
// the module) unless a binary was given.
func buildLamin(ctx context.Context, c *config) (string, error) {
	if c.lamin != "" {
		return filepath.Abs(c.lamin)
	}
	bin := filepath.Join(c.dir, "lamin")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/lamindb-go/lamindb/cmd/lamin")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/lamin (run lamin-bench from inside the module or pass --lamin): %w", err)
	}
	return bin, nil
}

// cliInfoStartup creates a small extra instance in its own settings folder,
// runs `lamin info` against it c.infoRuns times and returns the median wall
// time; every run must exit 0 and name the instance.
func cliInfoStartup(ctx context.Context, c *config, bin string) (time.Duration, error) {
	opts := lamindb.Options{Settings: lamindb.SettingsIn(filepath.Join(c.dir, "cli-settings"))}
	in, err := lamindb.Init(ctx, lamindb.InitOptions{Options: opts, Storage: filepath.Join(c.dir, "cli-instance")})
	if err != nil {
		return 0, err
	}
	slug := in.Slug()
	if err := in.Close(); err != nil {
		return 0, err
	}
	defer lamindb.DeleteInstance(ctx, "cli-instance", lamindb.DeleteInstanceOptions{Options: opts, Force: true})

	env := append(os.Environ(), "LAMIN_SETTINGS_DIR="+filepath.Dir(opts.Settings.Dir), "LAMIN_CACHE_DIR="+filepath.Join(c.dir, "cache"))
	runs := make([]time.Duration, 0, c.infoRuns)
	for range c.infoRuns {
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, bin, "info")
		cmd.Env, cmd.Stdout, cmd.Stderr = env, &out, &out
		start := time.Now()
		err := cmd.Run()
		d := time.Since(start)
		if err != nil {
			return 0, fmt.Errorf("lamin info: %w: %s", err, out.String())
		}
		if !strings.Contains(out.String(), slug) && !strings.Contains(out.String(), "cli-instance") {
			return 0, fmt.Errorf("lamin info does not name the instance %s: %s", slug, out.String())
		}
		runs = append(runs, d)
	}
	return median(runs), nil
}

// median returns the median of ds (ds is sorted in place).
func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	n := len(ds)
	if n%2 == 1 {
		return ds[n/2]
	}
	return (ds[n/2-1] + ds[n/2]) / 2
}
