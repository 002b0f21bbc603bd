package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lamindb-go/lamindb/blob/s3"
	"github.com/lamindb-go/lamindb/blob/s3/s3test"
	"github.com/lamindb-go/lamindb/internal/sqldb"
	"github.com/lamindb-go/lamindb/internal/sqldb/pgtest"
)

// TestCloudConcurrency is issue 9's acceptance test: 4 workers run lamin
// processes one after another, at once, against one instance on PostgreSQL
// (a private server of the test's own) + S3 (a fresh bucket on the test
// server): saves of new files, saves of new versions of a few shared keys,
// trashes, restores and permanent deletes of records picked at random from
// one shared pool, and the PostgreSQL server is restarted (pg_ctl -m fast)
// once, after about a third of the operations. It proves that
//
//   - every command ends with exit 0 or a documented refusal (3 gone, 4
//     refused or changed, 5 a question left unanswered), and exit 1 only for
//     a command that overlapped the restart and says clearly that PostgreSQL
//     was unreachable or the connection was lost; no output ever holds a Go
//     panic, raw driver text or the password;
//   - no update is lost: every save that exited 0 still has its row (with
//     the saved hash and size) unless a purge of it may have followed; every
//     trash and purge that exited 0 is in the audit log; no purged row
//     survives; every row's branch is where its last audited move left it;
//   - every row (all branches) has its object in the bucket with the row's
//     size, and no object under .lamindb/ lacks a row;
//   - each version family has exactly one is_latest on each branch where it
//     has members (at most one in the trash, which version.go documents);
//   - no storing mark or purge intent is left (after `lamin check --repair
//     --grace 0s`, run only when the first check is not clean, and logged),
//     and `lamin check --deep` exits 0.
//
// LAMIN_CLOUD_CONC_OPS sets the operations per worker (default 100),
// LAMIN_CLOUD_CONC_SEED the seed (default: the clock; always logged). The
// seed fixes each worker's choice of operations, not the interleaving.
func TestCloudConcurrency(t *testing.T) {
	if testing.Short() {
		t.Skip("a minute of PostgreSQL + S3 traffic")
	}
	perWorker := 100
	if s := os.Getenv("LAMIN_CLOUD_CONC_OPS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 3 {
			t.Fatalf("LAMIN_CLOUD_CONC_OPS=%q: want a number ≥ 3", s)
		}
		perWorker = n
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("LAMIN_CLOUD_CONC_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("LAMIN_CLOUD_CONC_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Logf("seed %d (LAMIN_CLOUD_CONC_SEED=%d repeats the choices), %d operations per worker", seed, seed, perWorker)
	const workers = 4
	total := workers * perWorker

	server, password, restart := privatePostgres(t)
	dsn := createDatabase(t, server, "lamin_conc")
	cfg, bucket := s3test.Bucket(t)
	root := "s3://" + bucket + "/inst"
	store, err := s3.New(root, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	e.ok("init", "--storage", root, "--db", dsn)
	if err := os.MkdirAll(e.path("src"), 0o755); err != nil {
		t.Fatal(err)
	}

	c := &cloudConc{e: e, seed: seed}
	var done atomic.Int64
	third := make(chan struct{})
	var restartOut []byte
	var restartErr error
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		<-third
		c.restartStart = time.Now()
		restartOut, restartErr = runShell(2*time.Minute, restart)
		c.restartEnd = time.Now()
	}()

	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(seed, uint64(w)))
			for n := range perWorker {
				c.step(w, n, rnd)
				if done.Add(1) == int64(total/3) {
					close(third)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	<-restarted
	if restartErr != nil {
		t.Fatalf("restart PostgreSQL: %v\n%s", restartErr, restartOut)
	}

	c.judge(t, password)
	c.figures(t, elapsed)
	// Even after failed commands, the end state is checked: it says more.
	c.verify(t, dsn, store)
	if t.Failed() {
		t.Logf("seed %d", seed)
	}
}

// cloudConc is the shared state of the workers: the pool of records they
// pick from and every command they ran.
type cloudConc struct {
	e    *env
	seed uint64

	restartStart, restartEnd time.Time // set before the workers end

	mu   sync.Mutex
	pool []string  // uids of saved records, minus those known to be gone
	ops  []*ccOp   // every command, in the order they ended
	rec  []*ccSave // what each successful save returned
}

// ccOp is one command a worker ran.
type ccOp struct {
	worker, n  int
	kind       string // save-new, save-version, trash, restore, purge
	uid, key   string // the target (trash, restore, purge) or the key (saves)
	saved      *ccSave
	start, end time.Time
	res        result
}

// ccSave is the record a save printed.
type ccSave struct {
	UID  string `json:"uid"`
	Hash string `json:"hash"`
	Size int64  `json:"size"`
	op   *ccOp
}

func (o *ccOp) String() string {
	return fmt.Sprintf("worker %d op %d (%s, %s → %s):\n%s", o.worker, o.n, o.kind,
		o.start.Format("15:04:05.000"), o.end.Format("15:04:05.000"), o.res)
}

// ccKinds are the operations and their weights.
var ccKinds = []struct {
	kind   string
	weight int
}{{"save-new", 20}, {"save-version", 25}, {"trash", 20}, {"restore", 15}, {"purge", 20}}

// step runs worker w's n-th operation.
func (c *cloudConc) step(w, n int, rnd *rand.Rand) {
	x := rnd.IntN(100)
	kind := ccKinds[len(ccKinds)-1].kind
	for _, k := range ccKinds {
		if x < k.weight {
			kind = k.kind
			break
		}
		x -= k.weight
	}
	pick := rnd.IntN(1 << 30)
	shared := rnd.IntN(3)
	o := &ccOp{worker: w, n: n, kind: kind}
	if kind != "save-new" && kind != "save-version" {
		c.mu.Lock()
		if len(c.pool) > 0 {
			o.uid = c.pool[pick%len(c.pool)]
		}
		c.mu.Unlock()
		if o.uid == "" {
			o.kind = "save-version"
		}
	}
	var args []string
	switch o.kind {
	case "save-new", "save-version":
		o.key = fmt.Sprintf("new/w%d-%d.txt", w, n)
		if o.kind == "save-version" {
			o.key = fmt.Sprintf("shared/k%d.txt", shared)
		}
		src := c.e.path("src", fmt.Sprintf("w%d-%d.txt", w, n))
		// Content unique to the command: never a dedup, so that every save
		// that succeeds is a new row.
		content := fmt.Sprintf("worker %d op %d seed %d key %s\n%s", w, n, c.seed, o.key, strings.Repeat("x", rnd.IntN(4096)))
		if err := os.WriteFile(src, []byte(content), 0o644); err != nil {
			o.res = result{args: []string{"(write " + src + ")"}, code: -1, stderr: err.Error()}
			c.finish(o)
			return
		}
		args = []string{"save", src, "--key", o.key, "--json"}
	case "trash":
		args = []string{"delete", "artifact", "--uid", o.uid}
	case "restore":
		args = []string{"restore", "artifact", "--uid", o.uid}
	case "purge":
		args = []string{"delete", "artifact", "--uid", o.uid, "--permanent"}
	}
	o.start = time.Now()
	o.res = c.e.spawn(90*time.Second, args...)
	o.end = time.Now()
	if o.kind == "save-new" || o.kind == "save-version" {
		var s ccSave
		if o.res.code == 0 {
			if err := json.Unmarshal([]byte(o.res.stdout), &s); err != nil || s.UID == "" {
				o.res.code, o.res.stderr = -1, o.res.stderr+fmt.Sprintf("(test: cannot read the saved record: %v)\n", err)
			} else {
				s.op, o.saved = o, &s
			}
		}
	}
	c.finish(o)
}

// finish records o and keeps the pool up to date.
func (c *cloudConc) finish(o *ccOp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops = append(c.ops, o)
	if o.saved != nil {
		c.rec = append(c.rec, o.saved)
		c.pool = append(c.pool, o.saved.UID)
	}
	if o.uid != "" && (o.res.code == 3 || o.kind == "purge" && o.res.code == 0) {
		for i, u := range c.pool {
			if u == o.uid {
				c.pool = append(c.pool[:i], c.pool[i+1:]...)
				break
			}
		}
	}
}

// spawn runs one lamin process with empty stdin, killed after d; unlike
// exec it may run on any goroutine (it never stops the test).
func (e *env) spawn(d time.Duration, args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, laminBin, args...)
	cmd.Dir, cmd.Env = e.dir, e.environ()
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(""), &stdout, &stderr
	err := cmd.Run()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.code, r.stderr = -1, r.stderr+fmt.Sprintf("(test: still running after %s; killed)\n", d)
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.signal = ws.Signal()
		}
	case err != nil:
		r.code, r.stderr = -1, r.stderr+fmt.Sprintf("(test: %v)\n", err)
	}
	return r
}

// Exit 1 around the restart must say ccUnreachable, in our words. No output
// says ccNeverSay (SQLSTATE: a server error our messages do not know), and
// the driver's own words (ccRaw) only after our words on the same line.
var (
	ccUnreachable = regexp.MustCompile(`cannot reach PostgreSQL|connection to PostgreSQL (\([^)]*\) )?was lost|PostgreSQL server is (restarting|starting up|shutting down)`)
	ccNeverSay    = regexp.MustCompile(`panic|goroutine \d|SQLSTATE|internal error|database is locked|invalid storage key`)
	ccRaw         = regexp.MustCompile(`pgconn|conn closed|unexpected EOF|broken pipe|connection reset|failed SASL|failed to (receive|connect|write|read)`)
)

// ccPort matches what differs between otherwise equal messages.
var ccPort = regexp.MustCompile(`lamin-test-[0-9a-f]+|127\.0\.0\.1:\d+|[0-9A-Za-z]{20}`)

// saysOnlyOurs reports whether out is free of what must never be said.
func saysOnlyOurs(out, password string) bool {
	if ccNeverSay.MatchString(out) || password != "" && strings.Contains(out, password) {
		return false
	}
	for _, line := range strings.Split(out, "\n") {
		if ccRaw.MatchString(line) && !ccUnreachable.MatchString(line) {
			return false
		}
	}
	return true
}

// overlaps reports whether o ran while the server was restarting.
func (c *cloudConc) overlaps(o *ccOp) bool {
	return !o.start.After(c.restartEnd) && !o.end.Before(c.restartStart)
}

// outcome classifies o by its exit code: "ok", "refused (exit N)",
// "restart" (exit 1 while the server restarted, saying so), or "" (a
// failure). What the output says besides is saysOnlyOurs's business.
func (c *cloudConc) outcome(o *ccOp) string {
	switch code := o.res.code; {
	case code == 0:
		return "ok"
	case code == 1:
		if c.overlaps(o) && ccUnreachable.MatchString(lastError(o.res.stderr)) {
			return "restart"
		}
	case o.kind == "save-new": // a new key and new content: nothing to refuse
	case code == 3 || code == 4:
		return fmt.Sprintf("refused (exit %d)", code)
	case code == 5 && o.kind == "trash": // in the trash already: asks, and stdin is empty
		return "refused (exit 5)"
	}
	return ""
}

// lastError is the last ✗ line of stderr.
func lastError(stderr string) string {
	lines := strings.Split(stderr, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "✗") {
			return lines[i]
		}
	}
	return ""
}

// judge fails the test for every command outside the documented outcomes,
// and for every kind of line no command may print (each kind once, with
// its count and first transcript).
func (c *cloudConc) judge(t *testing.T, password string) {
	t.Helper()
	bad := 0
	for _, o := range c.ops {
		if c.outcome(o) == "" {
			if bad++; bad <= 20 {
				t.Errorf("failed: %s", o)
			}
		}
	}
	if bad > 20 {
		t.Errorf("… and %d more failures", bad-20)
	}
	said := map[string][]*ccOp{}
	var kinds []string
	for _, o := range c.ops {
		for _, line := range strings.Split(o.res.stdout+o.res.stderr, "\n") {
			if !saysOnlyOurs(line, password) {
				k := ccPort.ReplaceAllString(line, "…")
				if said[k] == nil {
					kinds = append(kinds, k)
				}
				said[k] = append(said[k], o)
			}
		}
	}
	for _, k := range kinds {
		t.Errorf("%d commands (%d with exit 0) said %q; the first: %s", len(said[k]), countOK(said[k]), k, said[k][0])
	}
	inWindow := 0
	for _, o := range c.ops {
		if c.overlaps(o) {
			inWindow++
		}
	}
	if inWindow == 0 {
		t.Errorf("no command overlapped the restart (%s → %s): the test proved nothing about it", c.restartStart.Format(time.TimeOnly), c.restartEnd.Format(time.TimeOnly))
	}
}

func countOK(ops []*ccOp) int {
	n := 0
	for _, o := range ops {
		if o.res.code == 0 {
			n++
		}
	}
	return n
}

// figures logs the operations per kind and outcome, the wall time and the rate.
func (c *cloudConc) figures(t *testing.T, elapsed time.Duration) {
	t.Helper()
	by := map[string]map[string]int{}
	window := 0
	for _, o := range c.ops {
		if by[o.kind] == nil {
			by[o.kind] = map[string]int{}
		}
		oc := c.outcome(o)
		if oc == "" {
			oc = fmt.Sprintf("FAILED (exit %d)", o.res.code)
		}
		by[o.kind][oc]++
		if c.overlaps(o) {
			window++
		}
	}
	var lines []string
	for _, k := range ccKinds {
		m := by[k.kind]
		var parts []string
		n := 0
		for oc, v := range m {
			parts = append(parts, fmt.Sprintf("%s %d", oc, v))
			n += v
		}
		sort.Strings(parts)
		lines = append(lines, fmt.Sprintf("  %-12s %4d: %s", k.kind, n, strings.Join(parts, ", ")))
	}
	// What the commands cut off by the restart said (their last line).
	said := map[string]int{}
	for _, o := range c.ops {
		if c.outcome(o) == "restart" {
			said[o.kind+": "+ccPort.ReplaceAllString(lastError(o.res.stderr), "…")]++
		}
	}
	// The warnings the commands printed, but those every command of its
	// kind prints here (anonymous user, no run tracked, moved to trash).
	warned := map[string]int{}
	for _, o := range c.ops {
		for _, line := range strings.Split(o.res.stderr, "\n") {
			if strings.HasPrefix(line, "! ") && !strings.Contains(line, "anonymous user") && !strings.Contains(line, "no run & transform") &&
				!strings.HasPrefix(line, "! moved record to trash") {
				warned[ccPort.ReplaceAllString(line, "…")]++
			}
		}
	}
	for m, n := range warned {
		said["(warning, any exit) "+m] += n
	}
	var msgs []string
	for m, n := range said {
		msgs = append(msgs, fmt.Sprintf("  %3d× %s", n, m))
	}
	sort.Strings(msgs)
	t.Logf("%d commands by 4 workers in %s (%.1f commands/s); restart %s → %s (%s), %d commands overlapped it\n%s\ncut off by the restart, and warnings:\n%s",
		len(c.ops), elapsed.Round(time.Millisecond), float64(len(c.ops))/elapsed.Seconds(),
		c.restartStart.Format("15:04:05.000"), c.restartEnd.Format("15:04:05.000"), c.restartEnd.Sub(c.restartStart).Round(time.Millisecond),
		window, strings.Join(lines, "\n"), strings.Join(msgs, "\n"))
}

// ccRow is an artifact row as the database holds it.
type ccRow struct {
	id     int64
	uid    string
	suffix string
	size   int64
	hash   string
	latest bool
	branch int64
}

// verify checks the end state through the database and the bucket.
func (c *cloudConc) verify(t *testing.T, dsn string, store *s3.Store) {
	t.Helper()
	ctx := context.Background()
	e := c.e

	// A save cut off by the restart may have had no connection left to
	// undo itself with: then its mark waits for a repair.
	first := e.spawn(2*time.Minute, "check")
	if first.code != 0 {
		t.Logf("the first check was not clean, so a repair runs:\n%s", first)
		r := e.spawn(2*time.Minute, "check", "--repair", "--grace", "0s")
		t.Logf("the repair:\n%s", r)
		if r.code != 0 {
			t.Errorf("lamin check --repair --grace 0s:\n%s", r)
		}
	} else {
		t.Logf("the first check was clean: no repair needed")
	}

	db, err := sqldb.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatalf("open the database: %v", err)
	}
	defer db.Close()
	var marks, intents int
	if err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM lamin_storing), (SELECT count(*) FROM lamin_purge_intent)`).Scan(&marks, &intents); err != nil {
		t.Fatal(err)
	}
	if marks != 0 || intents != 0 {
		t.Errorf("%d storing marks and %d purge intents left", marks, intents)
	}

	rows := map[string]*ccRow{}
	byID := map[int64]*ccRow{}
	rs, err := db.QueryContext(ctx, `SELECT id, uid, COALESCE(suffix, ''), COALESCE(size, -1), COALESCE(hash, ''), is_latest, branch_id FROM lamindb_artifact`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		r := &ccRow{}
		if err := rs.Scan(&r.id, &r.uid, &r.suffix, &r.size, &r.hash, &r.latest, &r.branch); err != nil {
			t.Fatal(err)
		}
		if rows[r.uid] != nil {
			t.Errorf("two rows with uid %s", r.uid)
		}
		rows[r.uid], byID[r.id] = r, r
	}
	if err := errors.Join(rs.Err(), rs.Close()); err != nil {
		t.Fatal(err)
	}

	// Every row has its object, of its size; every object has its row.
	objs, err := store.List(ctx, ".lamindb")
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int64{}
	var quarantined []string
	for _, o := range objs {
		switch {
		case o.Key == ".lamindb/storage_uid.txt":
		case strings.HasPrefix(o.Key, ".lamindb/.quarantine/"):
			quarantined = append(quarantined, o.Key)
		default:
			sizes[o.Key] = o.Size
		}
	}
	if len(quarantined) > 0 {
		t.Logf("the repair quarantined %d objects: %v", len(quarantined), quarantined)
		if first.code == 0 {
			t.Errorf("objects in the quarantine though no repair ran: %v", quarantined)
		}
	}
	for _, r := range rows {
		k := ".lamindb/" + r.uid + r.suffix
		size, ok := sizes[k]
		switch {
		case !ok:
			t.Errorf("row %d (%s, branch %d) has no object %s", r.id, r.uid, r.branch, k)
		case size != r.size:
			t.Errorf("row %d (%s): object %s holds %d bytes, the row says %d", r.id, r.uid, k, size, r.size)
		}
		delete(sizes, k)
	}
	for k, size := range sizes {
		t.Errorf("object %s (%d bytes) has no row", k, size)
	}

	// One head per family and branch (the trash may have none).
	type fam struct {
		stem   string
		branch int64
	}
	heads, members := map[fam]int{}, map[fam]int{}
	for _, r := range rows {
		f := fam{r.uid[:16], r.branch}
		members[f]++
		if r.latest {
			heads[f]++
		}
	}
	for f, n := range members {
		if heads[f] > 1 || heads[f] == 0 && f.branch != -1 {
			t.Errorf("family %s has %d versions and %d with is_latest on branch %d", f.stem, n, heads[f], f.branch)
		}
	}

	// The audit log, oldest first.
	type event struct {
		action string
		uid    string
		row    int64
		to     int64
	}
	var events []event
	rs, err = db.QueryContext(ctx, `SELECT action, record_uid, COALESCE(record_id, 0), COALESCE(to_branch_id, 0) FROM lamin_audit_event WHERE registry = 'artifact' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var ev event
		if err := rs.Scan(&ev.action, &ev.uid, &ev.row, &ev.to); err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
	}
	if err := errors.Join(rs.Err(), rs.Close()); err != nil {
		t.Fatal(err)
	}

	// Saves: every one that exited 0 has its row, with what it saved,
	// unless a purge of that uid (done, or cut off by the restart) may have
	// come after it.
	type ua struct{ uid, action string }
	okN, maybeN := map[ua]int{}, map[ua]int{}
	purgeEnds := map[string][]time.Time{}
	for _, o := range c.ops {
		switch c.outcome(o) {
		case "ok":
			okN[ua{o.uid, o.kind}]++
		case "restart":
			maybeN[ua{o.uid, o.kind}]++
		default:
			continue
		}
		if o.kind == "purge" {
			purgeEnds[o.uid] = append(purgeEnds[o.uid], o.end)
		}
	}
	lost := 0
	for _, s := range c.rec {
		mayBeGone := false
		for _, end := range purgeEnds[s.UID] {
			if end.After(s.op.start) {
				mayBeGone = true
			}
		}
		r := rows[s.UID]
		switch {
		case mayBeGone:
		case r == nil:
			if lost++; lost <= 20 {
				t.Errorf("lost update: %s saved %s (exit 0) and nothing purged it, but it has no row", s.op.res.args[1], s.UID)
			}
		case r.hash != s.Hash || r.size != s.Size:
			t.Errorf("lost update: %s saved %s with hash %s and %d bytes, its row has %s and %d", s.op.res.args[1], s.UID, s.Hash, s.Size, r.hash, r.size)
		}
	}

	// Trashes and purges that exited 0 are each in the audit log once (a
	// command cut off by the restart at most once more); restores at most
	// once each (one of a record already on main changes nothing).
	evN := map[ua]int{}
	for _, ev := range events {
		evN[ua{ev.uid, ev.action}]++
	}
	keys := map[ua]bool{}
	for k := range okN {
		keys[k] = true
	}
	for k := range maybeN {
		keys[k] = true
	}
	for k := range evN {
		keys[k] = true
	}
	for k := range keys {
		if k.action != "trash" && k.action != "restore" && k.action != "purge" {
			continue
		}
		lo, hi := okN[k], okN[k]+maybeN[k]
		if k.action == "restore" {
			lo = 0
		}
		if n := evN[k]; n < lo || n > hi {
			t.Errorf("%s: %d %s events in the audit log for %d commands that exited 0 and %d cut off by the restart", k.uid, n, k.action, okN[k], maybeN[k])
		}
	}

	// No purged row survives; every row is on the branch its last move took it to.
	branchOf := map[int64]int64{}
	for _, ev := range events {
		switch ev.action {
		case "purge":
			if r := byID[ev.row]; r != nil {
				t.Errorf("row %d (%s) was purged (audit log) but is still there", ev.row, r.uid)
			}
		case "trash", "restore":
			branchOf[ev.row] = ev.to
		}
	}
	for _, r := range rows {
		want, ok := branchOf[r.id]
		if !ok {
			want = 1
		}
		if r.branch != want {
			t.Errorf("row %d (%s) is on branch %d, its last audited move left it on %d", r.id, r.uid, r.branch, want)
		}
	}
	t.Logf("at the end: %d rows (%d families and branches), %d objects under .lamindb/ (the marker and any quarantine included), %d audit events", len(rows), len(members), len(objs), len(events))

	if r := e.spawn(5*time.Minute, "check", "--deep"); r.code != 0 {
		t.Errorf("lamin check --deep:\n%s", r)
	}
}

// privatePostgres starts a PostgreSQL server of the test's own with
// scripts/start-postgres (one it may restart without disturbing other
// tests) and returns its DSN (with the password), the password, and a shell
// command that restarts it (pg_ctl -m fast -w restart: it ends the
// sessions, and returns once the server accepts connections again).
func privatePostgres(t *testing.T) (dsn, password, restart string) {
	t.Helper()
	pgtest.Server(t) // the same rule: skip or fail without a test server
	dir, err := os.MkdirTemp("", "lamin-pg-")
	if err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs("../../scripts/start-postgres")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", "-c", `eval "$("$1" "$2")" && printf '%s\n%s\n%s\n' "$LAMIN_TEST_POSTGRES" "$PGPASSWORD" "$LAMIN_TEST_POSTGRES_STOP"`, "bash", script, dir).Output()
	if err != nil {
		os.RemoveAll(dir)
		t.Fatalf("start a private server: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 3 {
		os.RemoveAll(dir)
		t.Fatalf("start-postgres printed %q", out)
	}
	stop := lines[2]
	t.Cleanup(func() {
		if out, err := runShell(time.Minute, stop); err != nil {
			t.Errorf("stop the private server: %v\n%s", err, out)
		}
		os.RemoveAll(dir)
	})
	// The restarted server logs to the file, not to the output of the
	// command (which would then never end).
	restart = strings.Replace(stop, " stop", " -l "+dir+"/log/postgres.log -w -t 60 restart", 1)
	u, err := url.Parse(lines[0])
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), lines[1])
	return u.String(), lines[1], restart
}

// createDatabase creates the database name on server and returns its DSN.
func createDatabase(t *testing.T, server, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatal(err)
	}
	return pgtest.WithDatabase(server, name)
}

// runShell runs a shell command, killed after d.
func runShell(d time.Duration, cmd string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return exec.CommandContext(ctx, "bash", "-c", cmd).CombinedOutput()
}
