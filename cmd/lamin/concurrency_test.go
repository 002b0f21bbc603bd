package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lamindb-go/lamindb/internal/stress"
)

// TestConcurrentProcesses: several lamin processes writing to one instance at
// once never surface "database is locked" and lose no update.
func TestConcurrentProcesses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.init("inst")
	const n = 8
	for i := 0; i < n; i++ {
		e.write(fmt.Sprintf("f%d.txt", i), fmt.Sprintf("content %d\n", i))
	}
	var wg sync.WaitGroup
	results := make([]result, 2*n)
	for i := 0; i < n; i++ {
		wg.Add(2)
		go func(i int) {
			defer wg.Done()
			results[i] = e.run("", "save", fmt.Sprintf("f%d.txt", i), "--key", fmt.Sprintf("c/f%d.txt", i))
		}(i)
		go func(i int) {
			defer wg.Done()
			results[n+i] = e.run("", "list", "artifact", "--limit", "0")
		}(i)
	}
	wg.Wait()
	for _, r := range results {
		if r.code != 0 || strings.Contains(r.stderr, "locked") {
			t.Fatalf("a concurrent command failed:\n%s", r)
		}
	}
	if got := len(e.list("artifact")); got != n {
		t.Fatalf("%d artifacts after %d concurrent saves", got, n)
	}
	// Concurrent trash of all and restore of all leave a consistent state.
	var wg2 sync.WaitGroup
	for i := 0; i < n; i++ {
		wg2.Add(1)
		go func(i int) {
			defer wg2.Done()
			if r := e.run("", "delete", "artifact", "--key", fmt.Sprintf("c/f%d.txt", i)); r.code != 0 {
				t.Errorf("trash: %s", r)
			}
		}(i)
	}
	wg2.Wait()
	if got := len(e.list("artifact", "--branch", "trash")); got != n {
		t.Errorf("%d in the trash, want %d", got, n)
	}
	e.ok("check")
}

// TestStress runs 4 lamin processes for 15 s (LAMIN_STRESS_SECONDS changes
// it) doing mixed saves, trashes, restores, purges, locks, unlocks and updates
// on a few shared keys, then checks: no failure but the documented refusals,
// no change to a record while it was locked, no duplicate audit event, one
// head per family and branch, no lost update, and `lamin check --deep` clean.
func TestStress(t *testing.T) {
	t.Parallel()
	secs := 15
	if s := os.Getenv("LAMIN_STRESS_SECONDS"); s != "" {
		secs, _ = strconv.Atoi(s)
	}
	r, err := stress.Run(context.Background(), stress.Config{Bin: laminBin, Dir: t.TempDir(), Workers: 4,
		Duration: time.Duration(secs) * time.Second, Keys: 3, Seed: uint64(time.Now().UnixNano())})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d commands in %s (%v by exit code; %v), %d artifacts and %d audit events at the end",
		r.Ops, r.Elapsed.Round(time.Millisecond), r.ByCode, r.ByOp, r.Artifacts, r.Events)
	for _, f := range r.Failures {
		t.Errorf("failure: %s", f)
	}
	for _, v := range r.Violations {
		t.Errorf("violation: %s", v)
	}
}
