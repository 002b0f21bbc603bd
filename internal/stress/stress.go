// Package stress runs several lamin processes at once against one instance,
// each doing mixed saves, trashes, restores, purges, locks, unlocks and updates
// on a few shared keys, and then checks what must hold however they
// interleaved. The lamin command's tests run it briefly; lamin-bench --stress
// runs it long and wide.
package stress

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Config says what to run.
type Config struct {
	Bin      string        // the lamin binary
	Dir      string        // working folder: settings, cache, sources and the instance go inside
	Workers  int           // processes at once
	Duration time.Duration // how long the workers run
	Keys     int           // shared keys the workers fight over
	Seed     uint64        // makes the choice of operations repeatable
}

// Report is what happened and what was found.
type Report struct {
	Ops        int            `json:"ops"`        // commands run by the workers
	ByCode     map[int]int    `json:"by_code"`    // how many ended with each exit code
	ByOp       map[string]int `json:"by_op"`      // how many of each operation
	Events     int            `json:"events"`     // audit events at the end
	Artifacts  int            `json:"artifacts"`  // artifact rows at the end
	Elapsed    time.Duration  `json:"elapsed"`    // wall time of the workers
	Violations []string       `json:"violations"` // what must not happen, and did
	Failures   []string       `json:"failures"`   // commands that failed outside the documented refusals
}

// OK reports whether nothing went wrong.
func (r *Report) OK() bool { return len(r.Violations) == 0 && len(r.Failures) == 0 }

type runner struct {
	cfg Config
	env []string

	mu     sync.Mutex
	uids   []string // artifacts some worker saw
	report *Report
}

// Run sets up an instance, runs the workers and checks the result.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Workers <= 0 || cfg.Keys <= 0 {
		return nil, errors.New("stress: Workers and Keys must be positive")
	}
	r, err := newRunner(cfg)
	if err != nil {
		return nil, err
	}
	if _, errOut, code := r.lamin(ctx, "", "init", "--storage", filepath.Join(cfg.Dir, "inst")); code != 0 {
		return nil, fmt.Errorf("stress: init: %s", errOut)
	}
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var wg sync.WaitGroup
	for w := range cfg.Workers {
		wg.Go(func() { r.work(wctx, w) })
	}
	wg.Wait()
	r.report.Elapsed = time.Since(start)
	r.verify(ctx)
	return r.report, nil
}

// newRunner makes cfg.Dir's home, cache and src folders and the environment
// of the child processes: the caller's, without its LAMIN_* variables and
// HOME (they would point the children at the caller's instance and
// settings), with HOME, LAMIN_SETTINGS_DIR and LAMIN_CACHE_DIR inside cfg.Dir.
func newRunner(cfg Config) (*runner, error) {
	r := &runner{cfg: cfg, report: &Report{ByCode: map[int]int{}, ByOp: map[string]int{}}}
	for _, d := range []string{"home", "cache", "src"} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LAMIN_") && !strings.HasPrefix(kv, "HOME=") {
			r.env = append(r.env, kv)
		}
	}
	r.env = append(r.env, "HOME="+filepath.Join(cfg.Dir, "home"), "LAMIN_SETTINGS_DIR="+filepath.Join(cfg.Dir, "settings"),
		"LAMIN_CACHE_DIR="+filepath.Join(cfg.Dir, "cache"))
	return r, nil
}

// lamin runs one command and returns its stdout, stderr and exit code.
func (r *runner) lamin(ctx context.Context, stdin string, args ...string) (string, string, int) {
	cmd := exec.CommandContext(ctx, r.cfg.Bin, args...)
	cmd.Dir, cmd.Env = r.cfg.Dir, r.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = -int(ws.Signal())
		}
	} else if err != nil {
		code = -1
	}
	return out.String(), errb.String(), code
}

// op is one kind of command a worker runs.
type op struct {
	name string
	args func(key, uid string, n int) []string
	uid  bool // needs a uid
}

var ops = []op{
	{name: "save", args: func(key, _ string, _ int) []string {
		return []string{"save", "SRC", "--key", key, "--json"}
	}},
	{name: "trash", args: func(key, _ string, _ int) []string { return []string{"delete", "artifact", "--key", key} }},
	{name: "trash-uid", uid: true, args: func(_, uid string, _ int) []string { return []string{"delete", "artifact", "--uid", uid} }},
	{name: "restore", uid: true, args: func(_, uid string, _ int) []string {
		return []string{"restore", "artifact", "--uid", uid}
	}},
	{name: "purge", uid: true, args: func(_, uid string, _ int) []string {
		return []string{"delete", "artifact", "--uid", uid, "--permanent"}
	}},
	{name: "purge-asked", uid: true, args: func(_, uid string, _ int) []string {
		return []string{"delete", "artifact", "--uid", uid} // answers y when asked
	}},
	{name: "lock", uid: true, args: func(_, uid string, _ int) []string {
		return []string{"update", "artifact", "--uid", uid, "--locked", "true"}
	}},
	{name: "unlock", uid: true, args: func(_, uid string, _ int) []string {
		return []string{"update", "artifact", "--uid", uid, "--locked", "false"}
	}},
	{name: "update", uid: true, args: func(_, uid string, n int) []string {
		return []string{"update", "artifact", "--uid", uid, "--description", fmt.Sprintf("update %d", n)}
	}},
	{name: "archive", uid: true, args: func(_, uid string, _ int) []string {
		return []string{"update", "artifact", "--uid", uid, "--branch", "archive"}
	}},
	{name: "bulk-trash", args: func(_, _ string, _ int) []string {
		return []string{"delete", "artifact", "--filter", "key__startswith=k"}
	}},
	{name: "bulk-restore", args: func(_, _ string, _ int) []string {
		return []string{"restore", "artifact", "--filter", "key__startswith=k"}
	}},
}

// work runs random operations until ctx ends.
func (r *runner) work(ctx context.Context, w int) {
	rnd := rand.New(rand.NewPCG(r.cfg.Seed, uint64(w)))
	for n := 0; ctx.Err() == nil; n++ {
		o := ops[rnd.IntN(len(ops))]
		key := fmt.Sprintf("k%d.txt", rnd.IntN(r.cfg.Keys))
		uid := r.someUID(rnd)
		if o.uid && uid == "" {
			o = ops[0]
		}
		args := o.args(key, uid, w*1_000_000+n)
		if o.name == "save" {
			src := filepath.Join(r.cfg.Dir, "src", fmt.Sprintf("w%d.txt", w))
			// New content most of the time (a new version), sometimes old (dedup).
			content := fmt.Sprintf("worker %d op %d\n", w, n)
			if rnd.IntN(4) == 0 {
				content = fmt.Sprintf("shared %d\n", rnd.IntN(3))
			}
			os.WriteFile(src, []byte(content), 0o644)
			args[1] = src
		}
		out, errOut, code := r.lamin(context.WithoutCancel(ctx), "y\n", args...)
		r.record(o.name, args, out+errOut, code)
		if code == 3 && o.uid {
			r.forget(uid) // purged by someone: pick live records more often
		}
		if o.name == "save" && code == 0 {
			var rec struct {
				UID string `json:"uid"`
			}
			if json.Unmarshal([]byte(out), &rec) == nil && rec.UID != "" {
				r.mu.Lock()
				r.uids = append(r.uids, rec.UID)
				r.mu.Unlock()
			}
		}
	}
}

func (r *runner) forget(uid string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, u := range r.uids {
		if u == uid {
			r.uids = append(r.uids[:i], r.uids[i+1:]...)
			return
		}
	}
}

func (r *runner) someUID(rnd *rand.Rand) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.uids) == 0 {
		return ""
	}
	return r.uids[rnd.IntN(len(r.uids))]
}

// record counts a command and notes it if it failed outside the documented
// refusals: exit 0, 3 (the record is gone), 4 (refused: locked, protected,
// changed since asked) and 5 (a question the worker declined) are fine.
func (r *runner) record(name string, args []string, out string, code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.report.Ops++
	r.report.ByOp[name]++
	r.report.ByCode[code]++
	bad := code != 0 && code != 3 && code != 4 && code != 5
	for _, s := range []string{"database is locked", "internal error", "SQLITE_BUSY", "panic"} {
		if strings.Contains(out, s) {
			bad = true
		}
	}
	if bad && len(r.report.Failures) < 50 {
		r.report.Failures = append(r.report.Failures, fmt.Sprintf("lamin %s → exit %d: %s", strings.Join(args, " "), code, strings.TrimSpace(out)))
	}
}

func (r *runner) violate(format string, args ...any) {
	if len(r.report.Violations) < 100 {
		r.report.Violations = append(r.report.Violations, fmt.Sprintf(format, args...))
	}
}

type artifact struct {
	ID          int64   `json:"id"`
	UID         string  `json:"uid"`
	Key         *string `json:"key"`
	Description *string `json:"description"`
	IsLatest    bool    `json:"is_latest"`
	IsLocked    bool    `json:"is_locked"`
	BranchID    int64   `json:"branch_id"`
}

type event struct {
	ID     int64  `json:"id"`
	Action string `json:"action"`
	UID    string `json:"uid"`
	Row    int64  `json:"record_id"`
	From   *int64 `json:"from_branch_id"`
	To     *int64 `json:"to_branch_id"`
	Detail string `json:"detail"`
}

// verify checks what must hold after any interleaving.
func (r *runner) verify(ctx context.Context) {
	// Every row has its bytes (with their hash), no managed file lacks its row,
	// no save or purge is left unfinished.
	if out, errOut, code := r.lamin(ctx, "", "check", "--deep"); code != 0 {
		r.violate("lamin check --deep is not clean:\n%s%s", out, errOut)
	}
	out, errOut, code := r.lamin(ctx, "", "list", "artifact", "--branch", "all", "--limit", "0", "--json")
	var arts []artifact
	if code != 0 || json.Unmarshal([]byte(out), &arts) != nil {
		r.violate("cannot list the artifacts: %s", errOut)
		return
	}
	r.report.Artifacts = len(arts)
	out, errOut, code = r.lamin(ctx, "", "log", "--limit", "0", "--json")
	var evs []event
	if code != 0 || json.Unmarshal([]byte(out), &evs) != nil {
		r.violate("cannot read the audit log: %s", errOut)
		return
	}
	r.report.Events = len(evs)
	sort.Slice(evs, func(i, j int) bool { return evs[i].ID < evs[j].ID })

	// One head per family and branch; a branch with versions has its head.
	type fam struct {
		stem   string
		branch int64
	}
	heads, members := map[fam]int{}, map[fam]int{}
	final := map[string]artifact{}
	for _, a := range arts {
		f := fam{a.UID[:16], a.BranchID}
		members[f]++
		if a.IsLatest {
			heads[f]++
		}
		final[a.UID] = a
	}
	for f, n := range members {
		switch {
		case heads[f] > 1:
			r.violate("family %s has %d heads on branch %d", f.stem, heads[f], f.branch)
		case heads[f] == 0 && f.branch != -1:
			r.violate("family %s has %d versions but no head on branch %d", f.stem, n, f.branch)
		}
	}

	// Replay the audit log per record: every event starts where the last one
	// left the record, nothing changes a locked record but unlocking, nothing
	// happens twice, and nothing happens to a purged record.
	type state struct {
		branch      int64
		known       bool
		locked      bool
		purged      bool
		description *string // from the last update that set one
	}
	// A purged version's uid can come back as a new row (lamindb numbers
	// versions from the family's remaining members), so a record is its row.
	type rec struct {
		uid string
		row int64
	}
	st := map[rec]*state{}
	latest := map[string]int64{} // uid → its newest row in the log
	for _, e := range evs {
		k := rec{e.UID, e.Row}
		latest[e.UID] = max(latest[e.UID], e.Row)
		s := st[k]
		if s == nil {
			s = &state{}
			st[k] = s
		}
		if s.purged {
			r.violate("event %d (%s) on %s after it was purged", e.ID, e.Action, e.UID)
			continue
		}
		if e.From != nil {
			if s.known && s.branch != *e.From {
				r.violate("event %d (%s) on %s says from branch %d, but the record was on %d (a duplicate or a stale decision)", e.ID, e.Action, e.UID, *e.From, s.branch)
			}
			s.branch, s.known = *e.From, true
		}
		if s.locked && e.Action != "unlock" {
			r.violate("event %d (%s) changed %s while it was locked", e.ID, e.Action, e.UID)
		}
		switch e.Action {
		case "lock":
			if s.locked {
				r.violate("event %d locks %s twice", e.ID, e.UID)
			}
			s.locked = true
		case "unlock":
			if !s.locked {
				r.violate("event %d unlocks %s, which was not locked", e.ID, e.UID)
			}
			s.locked = false
		case "purge":
			s.purged = true
		case "update":
			var d struct {
				Description *string `json:"description"`
			}
			if json.Unmarshal([]byte(e.Detail), &d) == nil && d.Description != nil {
				s.description = d.Description
			}
		}
		if e.To != nil && e.Action != "lock" && e.Action != "unlock" && e.Action != "update" {
			s.branch = *e.To
		}
	}
	for k, s := range st {
		u := k.uid
		a, ok := final[u]
		by, replaced := latest[u], k.row != latest[u]
		if !replaced && ok && a.ID != k.row {
			// The uid came back as a new row, which the log does not know yet.
			by, replaced = a.ID, true
		}
		if replaced {
			if !s.purged {
				r.violate("%s row %d was replaced by row %d without a purge event", u, k.row, by)
			}
			continue
		}
		switch {
		case s.purged && ok:
			r.violate("%s was purged (audit) but its row exists", u)
		case !s.purged && !ok && s.known:
			r.violate("%s vanished without a purge event", u)
		case ok && s.known && a.BranchID != s.branch:
			r.violate("%s is on branch %d, the audit log says %d", u, a.BranchID, s.branch)
		case ok && a.IsLocked != s.locked:
			r.violate("%s is_locked=%v, the audit log says %v", u, a.IsLocked, s.locked)
		case ok && s.description != nil && (a.Description == nil || *a.Description != *s.description):
			r.violate("%s lost an update: description %v, the last update set %q", u, a.Description, *s.description)
		}
	}
}

// BulkConfig says what BulkContention runs.
type BulkConfig struct {
	Bin     string // the lamin binary
	Dir     string // working folder
	Loops   int    // processes that trash and restore their own set, in turn
	Rows    int    // artifacts in each set
	Rounds  int    // trash+restore rounds per loop
	Savers  int    // processes that save alongside, until the loops end
	Prepare func(ctx context.Context, settings, root string, sets, rows int) error
}

// BulkReport is what BulkContention found.
type BulkReport struct {
	Bulk      int           `json:"bulk"`       // bulk commands run
	Saves     int           `json:"saves"`      // saves run alongside
	Elapsed   time.Duration `json:"elapsed"`    // wall time
	SlowestOp time.Duration `json:"slowest_op"` // the longest single command
	Failures  []string      `json:"failures"`   // commands that failed (a busy database among them)
}

// BulkContention runs Loops processes that each trash and restore a set of
// Rows artifacts by filter, with Savers saving alongside: big write
// transactions and small ones competing for one SQLite write lock. No command
// may fail; before writers queued, "database is locked" surfaced here.
func BulkContention(ctx context.Context, cfg BulkConfig) (*BulkReport, error) {
	r, err := newRunner(Config{Bin: cfg.Bin, Dir: cfg.Dir})
	if err != nil {
		return nil, err
	}
	if err := cfg.Prepare(ctx, filepath.Join(cfg.Dir, "settings"), filepath.Join(cfg.Dir, "inst"), cfg.Loops, cfg.Rows); err != nil {
		return nil, err
	}
	rep := &BulkReport{}
	var mu sync.Mutex
	note := func(args []string, out string, code int, d time.Duration, bulk bool) {
		mu.Lock()
		defer mu.Unlock()
		if bulk {
			rep.Bulk++
		} else {
			rep.Saves++
		}
		rep.SlowestOp = max(rep.SlowestOp, d)
		if code != 0 || strings.Contains(out, "database is locked") || strings.Contains(out, "SQLITE_BUSY") {
			rep.Failures = append(rep.Failures, fmt.Sprintf("lamin %s → exit %d: %s", strings.Join(args, " "), code, strings.TrimSpace(out)))
		}
	}
	start := time.Now()
	done := make(chan struct{})
	var loops, savers sync.WaitGroup
	for l := range cfg.Loops {
		loops.Go(func() {
			filter := fmt.Sprintf("key__startswith=p%d/", l)
			for range cfg.Rounds {
				for _, args := range [][]string{{"delete", "artifact", "--filter", filter}, {"restore", "artifact", "--filter", filter}} {
					t := time.Now()
					out, errOut, code := r.lamin(ctx, "", args...)
					note(args, out+errOut, code, time.Since(t), true)
				}
			}
		})
	}
	for s := range cfg.Savers {
		savers.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-done:
					return
				default:
				}
				src := filepath.Join(cfg.Dir, "src", fmt.Sprintf("s%d.txt", s))
				os.WriteFile(src, []byte(fmt.Sprintf("saver %d save %d\n", s, n)), 0o644)
				args := []string{"save", src, "--key", fmt.Sprintf("saved/s%d-%d.txt", s, n)}
				t := time.Now()
				out, errOut, code := r.lamin(ctx, "", args...)
				note(args, out+errOut, code, time.Since(t), false)
			}
		})
	}
	loops.Wait()
	close(done)
	savers.Wait()
	rep.Elapsed = time.Since(start)
	return rep, nil
}
