package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// config holds the command-line flags.
type config struct {
	n        int
	dir      string
	jsonOut  string
	scale    bool
	scaleMax int
	scaleRun int
	hash     bool
	hashBig  int64
	lamin    string
	infoRuns int
	skipLife bool

	stress        bool
	stressWorkers int
	stressFor     time.Duration
	bulk          bool
	bulkRows      int
	bulkRounds    int
	logEvents     int
	storage       string // lifecycle run: where the instance's storage goes (default: a folder in --dir)
	db            string // lifecycle run: a PostgreSQL database for the metadata (default: SQLite)
}

func parseFlags(args []string) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("lamin-bench", flag.ContinueOnError)
	fs.IntVar(&c.n, "n", 1000, "number of artifacts of the lifecycle run")
	fs.StringVar(&c.dir, "dir", "", "working folder (required; instances, settings and cache go inside)")
	fs.StringVar(&c.jsonOut, "json", "", "also write the results as JSON to this file")
	fs.BoolVar(&c.scale, "scale", false, "measure query cost at 1k, 10k, 100k and 1M artifacts")
	fs.IntVar(&c.scaleMax, "scale-max", 1_000_000, "largest instance size of --scale")
	fs.IntVar(&c.scaleRun, "scale-runs", 11, "runs per operation and size of --scale (median reported)")
	fs.BoolVar(&c.hash, "hash", false, "measure digest.File against bare MD5 and SHA-256")
	fs.Int64Var(&c.hashBig, "hash-big", 1<<30, "size in bytes of the large file of --hash")
	fs.StringVar(&c.lamin, "lamin", "", "lamin binary for cli_info_startup (default: go build ./cmd/lamin into --dir)")
	fs.IntVar(&c.infoRuns, "info-runs", 20, "runs of `lamin info` (median reported)")
	fs.BoolVar(&c.skipLife, "skip-lifecycle", false, "skip the lifecycle steps (only --scale/--hash/--stress/--bulk/--log)")
	fs.BoolVar(&c.stress, "stress", false, "run lamin processes at once doing mixed changes on shared keys, then check the invariants")
	fs.IntVar(&c.stressWorkers, "stress-workers", 8, "processes of --stress")
	fs.DurationVar(&c.stressFor, "stress-duration", 60*time.Second, "how long --stress runs")
	fs.BoolVar(&c.bulk, "bulk", false, "4 processes trash and restore sets of --bulk-rows artifacts by filter while saves run alongside")
	fs.IntVar(&c.bulkRows, "bulk-rows", 25000, "artifacts per set of --bulk")
	fs.IntVar(&c.bulkRounds, "bulk-rounds", 3, "trash+restore rounds per process of --bulk")
	fs.IntVar(&c.logEvents, "log", 0, "stream `lamin log --limit 0` over this many audit events and report time and peak memory")
	fs.StringVar(&c.storage, "storage", "", "lifecycle run: s3://bucket[/prefix] to put the instance into (AWS_* variables; default: a folder in --dir)")
	fs.StringVar(&c.db, "db", "", "lifecycle run: postgresql://… of an empty database for the metadata (default: SQLite)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if c.dir == "" {
		return nil, errors.New("--dir is required")
	}
	if c.n < 200 {
		return nil, errors.New("-n must be at least 200 (filter_prefix needs a group of 100)")
	}
	if c.scaleRun < 10 {
		return nil, errors.New("--scale-runs must be at least 10")
	}
	abs, err := filepath.Abs(c.dir)
	if err != nil {
		return nil, err
	}
	c.dir = abs
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return nil, err
	}
	return c, nil
}
