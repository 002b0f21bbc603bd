// Package cloudsqlitetest is the protocol suite for internal/cloudsqlite: the
// lock and the sync of the local copy, run against any blob.Store. The only
// thing a backend supplies is a constructor; the suite re-executes the test
// binary to race real processes and to kill them mid-step.
package cloudsqlitetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/internal/cloudsqlite"
	"github.com/lamindb-go/lamindb/internal/errs"
	"github.com/lamindb-go/lamindb/internal/uid"
)

// NewStore returns the store of the location called name. The same name must
// give the same location in this process and in the child processes the
// suite starts (which call NewStore with the name they were given).
type NewStore func(t testing.TB, name string) blob.Store

// childEnv carries a child's task from the parent test.
const childEnv = "LAMIN_CLOUDSQLITE_CHILD"

// IsChild reports whether this process is a child started by the suite; a
// NewStore registers clean-up of its location only in the parent.
func IsChild() bool { return os.Getenv(childEnv) != "" }

// InstanceID is the instance every case locks.
const InstanceID = "0123456789abcdef0123456789abcdef"

// timing of every case: short enough for a test, long enough for one
// storage round trip, and in whole seconds' margin for S3's one-second
// modification times.
const (
	expire  = 3 * time.Second
	refresh = 200 * time.Millisecond
	poll    = 50 * time.Millisecond
	settle  = 100 * time.Millisecond
)

// task is what a child process does.
type task struct {
	Role     string `json:"role"`
	Store    string `json:"store"`
	LocalDir string `json:"local_dir"`
	Cache    string `json:"cache"`
	User     string `json:"user"`
	Rounds   int    `json:"rounds"`
	Ready    string `json:"ready"` // file the child creates when it holds what the parent waits for
	Content  string `json:"content"`
}

func config(s blob.Store, user, localDir string, warn func(string)) cloudsqlite.Config {
	return cloudsqlite.Config{
		Store: s, InstanceID: InstanceID, User: user, LocalDir: localDir,
		Expire: expire, Refresh: refresh, Poll: poll, Settle: settle, Warn: warn,
	}
}

func newLocker(t testing.TB, s blob.Store, user, localDir string, warn func(string)) *cloudsqlite.Locker {
	t.Helper()
	l, err := cloudsqlite.NewLocker(config(s, user, localDir, warn))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// runChild does a child's task and ends the process: it never returns.
func runChild(t *testing.T, newStore NewStore) {
	var tk task
	if err := json.Unmarshal([]byte(os.Getenv(childEnv)), &tk); err != nil {
		fmt.Fprintln(os.Stderr, "bad task:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	s := newStore(t, tk.Store)
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "child %s: %s\n", tk.Role, fmt.Sprintf(format, args...))
		os.Exit(1)
	}
	l, err := cloudsqlite.NewLocker(config(s, tk.User, tk.LocalDir, nil))
	if err != nil {
		fail("%v", err)
	}
	switch tk.Role {
	case "count":
		for range tk.Rounds {
			if err := critical(ctx, s, l); err != nil {
				fail("%v", err)
			}
		}
	case "hold-and-die":
		k, err := l.Lock(ctx)
		if err != nil {
			fail("%v", err)
		}
		_ = k
		ready(tk.Ready)
		time.Sleep(time.Hour) // the parent kills this process
	case "commit-and-die":
		local, err := cloudsqlite.LocalPath(tk.Cache, s.Root())
		if err != nil {
			fail("%v", err)
		}
		db, err := cloudsqlite.Open(ctx, cloudsqlite.Options{Store: s, Local: local, Locker: l, Wait: true}, cloudsqlite.ReadWrite)
		if err != nil {
			fail("%v", err)
		}
		// The command's local commit ...
		if err := os.WriteFile(db.Path(), []byte(tk.Content), 0o644); err != nil {
			fail("%v", err)
		}
		// ... and the kill before its upload.
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Hour)
	default:
		fail("unknown role")
	}
	os.Exit(0)
}

func ready(path string) {
	if path != "" {
		os.WriteFile(path, nil, 0o644)
	}
}

// critical takes the lock and does a read-modify-write of a counter in the
// bucket, checking that nobody else is inside at the same time. Lost
// increments or an overlap show that the lock excluded nobody.
func critical(ctx context.Context, s blob.Store, l *cloudsqlite.Locker) error {
	k, err := l.Lock(ctx)
	if err != nil {
		return err
	}
	me := l.Slot() + "/" + strconv.Itoa(os.Getpid()) + "/" + uid.New(4)
	if err := inside(ctx, s, me); err != nil {
		k.Unlock(ctx)
		return err
	}
	if err := k.Valid(); err != nil {
		return err
	}
	return k.Unlock(ctx)
}

// put writes v at key: the suite's one call of blob.Store.Put besides
// flaky's.
func put(ctx context.Context, s blob.Store, key, v string) (int64, error) {
	return s.Put(ctx, key, strings.NewReader(v), int64(len(v)))
}

// inside is critical's body: a read-modify-write of the counter that fails
// if anyone else is inside too.
func inside(ctx context.Context, s blob.Store, me string) error {
	if h, _ := read(ctx, s, "test/holder"); h != "" {
		return fmt.Errorf("overlap: %s entered while %s held the lock", me, h)
	}
	if _, err := put(ctx, s, "test/holder", me); err != nil {
		return err
	}
	c, _ := read(ctx, s, "test/counter")
	n, _ := strconv.Atoi(c)
	time.Sleep(5 * time.Millisecond)
	if _, err := put(ctx, s, "test/counter", strconv.Itoa(n+1)); err != nil {
		return err
	}
	if h, _ := read(ctx, s, "test/holder"); h != me {
		return fmt.Errorf("overlap: %s found %s in its critical section", me, h)
	}
	_, err := put(ctx, s, "test/holder", "")
	return err
}

// pyCritical is critical for a lamindb session: lamindb's lock, retried
// until it is taken.
func pyCritical(ctx context.Context, s blob.Store, user string) error {
	for {
		ok, err := pyLock(ctx, s, user)
		if err != nil {
			return err
		}
		if ok {
			break
		}
		time.Sleep(time.Duration(5+rand.IntN(20)) * time.Millisecond)
	}
	if err := inside(ctx, s, user); err != nil {
		pyUnlock(ctx, s, user)
		return err
	}
	return pyUnlock(ctx, s, user)
}

func read(ctx context.Context, s blob.Store, key string) (string, error) {
	r, err := s.Open(ctx, key)
	if err != nil {
		return "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return string(b), err
}

// proc is a child process; Wait may be called more than once.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Wait waits for the child to end and returns how it ended.
func (p *proc) Wait() error { <-p.done; return p.err }

// Kill kills the child without warning, as a crash or kill -9 would.
func (p *proc) Kill() { p.cmd.Process.Signal(syscall.SIGKILL); p.Wait() }

// child starts this test binary as a child with task tk.
func child(t *testing.T, tk task) *proc {
	t.Helper()
	b, _ := json.Marshal(tk)
	top := strings.SplitN(t.Name(), "/", 2)[0]
	cmd := exec.Command(os.Args[0], "-test.run=^"+top+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+string(b))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(p.Kill)
	return p
}

// waitFile waits until the child creates path; a child that ends first
// fails the test at once.
func waitFile(t *testing.T, path string, p *proc) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		select {
		case <-p.done:
			t.Fatalf("child %d ended before it got ready: %v", p.cmd.Process.Pid, p.err)
		case <-deadline:
			t.Fatalf("child %d never got ready", p.cmd.Process.Pid)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// warnings collects warnings, safe for concurrent use.
type warnings struct {
	mu  sync.Mutex
	msg []string
}

func (w *warnings) add(m string) { w.mu.Lock(); w.msg = append(w.msg, m); w.mu.Unlock() }
func (w *warnings) has(sub string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, m := range w.msg {
		if strings.Contains(m, sub) {
			return true
		}
	}
	return false
}

// flaky wraps a store: Put fails while down is set; Puts and downloads of
// the database are counted. Embedding the interface keeps it a blob.Store
// when the interface grows.
type flaky struct {
	blob.Store
	down      atomic.Bool
	puts      atomic.Int64
	dbOpens   atomic.Int64
	dbUploads atomic.Int64
}

// Put fails while the store is down, and counts.
func (f *flaky) Put(ctx context.Context, key string, r io.Reader, size int64) (int64, error) {
	if f.down.Load() {
		return 0, errors.New("storage unreachable (test)")
	}
	f.puts.Add(1)
	if strings.HasPrefix(key, cloudsqlite.DBKey) {
		f.dbUploads.Add(1)
	}
	return f.Store.Put(ctx, key, r, size)
}

// Open counts downloads of the database.
func (f *flaky) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if key == cloudsqlite.DBKey {
		f.dbOpens.Add(1)
	}
	return f.Store.Open(ctx, key)
}

// skewed is a store whose clock is off by off: every modification time it
// reports is shifted. Embedding the interface keeps it a blob.Store when the
// interface grows.
type skewed struct {
	blob.Store
	off time.Duration
}

// Stat reports modification times shifted by the skew.
func (k skewed) Stat(ctx context.Context, key string) (blob.Info, error) {
	info, err := k.Store.Stat(ctx, key)
	if err == nil {
		info.ModTime = info.ModTime.Add(k.off)
	}
	return info, err
}

// pyLock is lamindb's Locker._lock_unsafe, step for step, on lamindb's
// files: it shows that a lamindb session and a lamin command exclude each
// other.
func pyLock(ctx context.Context, s blob.Store, user string) (ok bool, err error) {
	defer func() {
		// Locker.lock: on an exception, unlock() and _clear().
		if err != nil {
			pyUnlock(context.WithoutCancel(ctx), s, user)
			pySet(context.WithoutCancel(ctx), s, cloudsqlite.ExclusionDir+"/"+InstanceID+"/entering/"+user, "0")
		}
	}()
	dir := cloudsqlite.ExclusionDir + "/" + InstanceID + "/"
	get := func(k string) (string, error) { return read(ctx, s, dir+k) }
	set := func(k, v string) error { return pySet(ctx, s, dir+k, v) }
	// Locker.__init__: join, reset own registers.
	p, err := get("priorities")
	var users []string
	if errors.Is(err, fs.ErrNotExist) {
		users = []string{user}
		if err := set("priorities", user); err != nil {
			return false, err
		}
	} else if err != nil {
		return false, err
	} else {
		users = strings.Split(p, "*")
		found := false
		for _, u := range users {
			found = found || u == user
		}
		if !found {
			users = append(users, user)
			if err := set("priorities", strings.Join(users, "*")); err != nil {
				return false, err
			}
		}
	}
	prio := -1
	for i, u := range users {
		if u == user {
			prio = i
		}
	}
	if err := set("numbers/"+user, "0"); err != nil {
		return false, err
	}
	if err := set("entering/"+user, "0"); err != nil {
		return false, err
	}
	// _lock_unsafe
	p, err = get("priorities")
	if err != nil {
		return false, err
	}
	users = strings.Split(p, "*")
	if err := set("entering/"+user, "1"); err != nil {
		return false, err
	}
	top := 0
	for _, u := range users {
		v, err := get("numbers/" + u)
		if err != nil {
			return false, err // lamindb: KeyError
		}
		n, err := strconv.Atoi(strings.TrimSpace(v)) // lamindb: int(...)
		if err != nil {
			return false, fmt.Errorf("lamindb would fail on numbers/%s = %q: %v", u, v, err)
		}
		top = max(top, n)
	}
	number := top + 1
	if err := set("numbers/"+user, strconv.Itoa(number)); err != nil {
		return false, err
	}
	if err := set("entering/"+user, "0"); err != nil {
		return false, err
	}
	for i, u := range users {
		if i == prio {
			continue
		}
		for {
			e, err := get("entering/" + u)
			if err != nil {
				return false, err
			}
			if e != "1" {
				break
			}
			time.Sleep(time.Millisecond)
		}
		v, err := get("numbers/" + u)
		if err != nil {
			return false, err
		}
		c, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return false, fmt.Errorf("lamindb would fail on numbers/%s = %q: %v", u, v, err)
		}
		if c == 0 {
			continue
		}
		if number > c || (number == c && prio > i) {
			return false, set("numbers/"+user, "0")
		}
	}
	return true, nil
}

// pyUnlock is lamindb's Locker.unlock.
func pyUnlock(ctx context.Context, s blob.Store, user string) error {
	return pySet(ctx, s, cloudsqlite.ExclusionDir+"/"+InstanceID+"/numbers/"+user, "0")
}

// pySet writes a register as lamindb does on object storage, where a PUT is
// atomic; on a folder store the same is had by staging and renaming.
func pySet(ctx context.Context, s blob.Store, key, v string) error {
	if s.Features().AtomicPut {
		_, err := put(ctx, s, key, v)
		return err
	}
	tmp := cloudsqlite.ExclusionDir + "/" + InstanceID + "/tmp/py-" + uid.New(8)
	if _, err := put(ctx, s, tmp, v); err != nil {
		return err
	}
	return s.Rename(ctx, tmp, key)
}

func wantLocked(t *testing.T, err error, by string, python bool) {
	t.Helper()
	var le *cloudsqlite.LockedError
	if !errors.As(err, &le) || !errors.Is(err, errs.ErrLocked) {
		t.Fatalf("got %v, want a LockedError", err)
	}
	if le.By != by || le.Python != python {
		t.Fatalf("got %+v, want locked by %s (python %v)", le, by, python)
	}
}

// RunLockerSuite runs the lock and sync protocol against stores from
// newStore. Every case gets a fresh location. Call it from a top-level test
// whose name is unique in its package: the children it starts run that test
// again, and newStore must give them the same location for the same name.
func RunLockerSuite(t *testing.T, newStore NewStore) {
	if IsChild() {
		runChild(t, newStore)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s blob.Store, name string)
	}{
		{"two machines exclude each other", func(t *testing.T, s blob.Store, _ string) {
			a := newLocker(t, s, "userAAAA", t.TempDir(), nil)
			b := newLocker(t, s, "userBBBB", t.TempDir(), nil)
			ka, err := a.TryLock(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, err = b.TryLock(ctx)
			wantLocked(t, err, a.Slot(), false)
			if !strings.Contains(err.Error(), "Cannot load the instance, it is locked by uid: '"+a.Slot()+"'") {
				t.Fatalf("message %q", err)
			}
			if err := ka.Unlock(ctx); err != nil {
				t.Fatal(err)
			}
			kb, err := b.TryLock(ctx)
			if err != nil {
				t.Fatal(err)
			}
			kb.Unlock(ctx)
		}},
		{"two processes of one machine share a slot and take turns", func(t *testing.T, s blob.Store, _ string) {
			dir := t.TempDir()
			a := newLocker(t, s, "userAAAA", dir, nil)
			b := newLocker(t, s, "userAAAA", dir, nil)
			if a.Slot() != b.Slot() {
				t.Fatalf("slots %s and %s on one machine", a.Slot(), b.Slot())
			}
			ka, err := a.TryLock(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, err = b.TryLock(ctx)
			var le *cloudsqlite.LockedError
			if !errors.As(err, &le) || !le.Local {
				t.Fatalf("got %v, want locked on this machine", err)
			}
			ka.Unlock(ctx)
			kb, err := b.TryLock(ctx)
			if err != nil {
				t.Fatal(err)
			}
			kb.Unlock(ctx)
		}},
		{"a lamindb session and lamin exclude each other", func(t *testing.T, s blob.Store, _ string) {
			const py = "pyUser01"
			ok, err := pyLock(ctx, s, py)
			if err != nil || !ok {
				t.Fatalf("lamindb's lock: %v %v", ok, err)
			}
			l := newLocker(t, s, "userAAAA", t.TempDir(), nil)
			_, err = l.TryLock(ctx)
			wantLocked(t, err, py, true)
			want := "Cannot load the instance, it is locked by uid: 'pyUser01'. The instance will be automatically unlocked after 7d of no activity."
			if err.Error() != want {
				t.Fatalf("message %q, want %q", err, want)
			}
			if err := pyUnlock(ctx, s, py); err != nil {
				t.Fatal(err)
			}
			k, err := l.TryLock(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := pyLock(ctx, s, py); err != nil || ok {
				t.Fatalf("lamindb took the lock lamin holds: %v %v", ok, err)
			}
			k.Unlock(ctx)
			if ok, err := pyLock(ctx, s, py); err != nil || !ok {
				t.Fatalf("lamindb could not lock after lamin released: %v %v", ok, err)
			}
			pyUnlock(ctx, s, py)
		}},
		{"a lamindb lock older than lamindb's expiry is cleared", func(t *testing.T, s blob.Store, _ string) {
			const py = "pyUser02"
			if ok, err := pyLock(ctx, s, py); err != nil || !ok {
				t.Fatalf("lamindb's lock: %v %v", ok, err)
			}
			var w warnings
			cfg := config(s, "userAAAA", t.TempDir(), w.add)
			cfg.PythonExpire = 2 * time.Second
			l, err := cloudsqlite.NewLocker(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = l.TryLock(ctx)
			wantLocked(t, err, py, true)
			time.Sleep(3500 * time.Millisecond)
			k, err := l.TryLock(ctx)
			if err != nil {
				t.Fatal(err)
			}
			k.Unlock(ctx)
			if !w.has("the lock of the user pyUser02 seems to be stale, clearing numbers.") {
				t.Fatalf("warnings %q", w.msg)
			}
		}},
		{"a lamindb process killed in its doorway does not block an attempt", func(t *testing.T, s blob.Store, _ string) {
			dir := cloudsqlite.ExclusionDir + "/" + InstanceID + "/"
			put(ctx, s, dir+"numbers/pyDead01", "0")
			put(ctx, s, dir+"entering/pyDead01", "1")
			put(ctx, s, dir+"priorities", "pyDead01")
			l := newLocker(t, s, "userAAAA", t.TempDir(), nil)
			start := time.Now()
			_, err := l.TryLock(ctx)
			wantLocked(t, err, "pyDead01", true)
			if d := time.Since(start); d > 15*time.Second {
				t.Fatalf("TryLock took %v", d)
			}
		}},
		{"a long hold is refreshed and never expires", func(t *testing.T, s blob.Store, _ string) {
			a := newLocker(t, s, "userAAAA", t.TempDir(), nil)
			b := newLocker(t, s, "userBBBB", t.TempDir(), nil)
			ka, err := a.TryLock(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for end := time.Now().Add(2*expire + time.Second); time.Now().Before(end); time.Sleep(300 * time.Millisecond) {
				if _, err := b.TryLock(ctx); err == nil {
					t.Fatal("a second machine took a held, refreshed lock")
				}
				if err := ka.Valid(); err != nil {
					t.Fatalf("a refreshed lock is not valid: %v", err)
				}
			}
			ka.Unlock(ctx)
			kb, err := b.TryLock(ctx)
			if err != nil {
				t.Fatal(err)
			}
			kb.Unlock(ctx)
		}},
		{"a holder cut off from storage loses the lock before anyone takes it over", func(t *testing.T, s blob.Store, _ string) {
			fs := &flaky{Store: s}
			a := newLocker(t, fs, "userAAAA", t.TempDir(), nil)
			b := newLocker(t, s, "userBBBB", t.TempDir(), nil)
			ka, err := a.TryLock(ctx)
			if err != nil {
				t.Fatal(err)
			}
			fs.down.Store(true)
			cut := time.Now()
			var lostAt, takenAt time.Time
			for time.Since(cut) < 3*expire {
				if lostAt.IsZero() && ka.Valid() != nil {
					lostAt = time.Now()
				}
				if kb, err := b.TryLock(ctx); err == nil {
					takenAt = time.Now()
					if lostAt.IsZero() {
						t.Fatal("taken over while the holder still believed it held the lock")
					}
					kb.Unlock(ctx)
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if lostAt.IsZero() || takenAt.IsZero() {
				t.Fatalf("lost at %v, taken at %v", lostAt, takenAt)
			}
			if !errors.Is(ka.Valid(), cloudsqlite.ErrLockLost) {
				t.Fatalf("Valid()=%v", ka.Valid())
			}
			fs.down.Store(false)
			ka.Unlock(ctx)
		}},
		{"a storage clock that is off neither expires a live lock nor keeps a dead one", func(t *testing.T, s blob.Store, _ string) {
			for _, off := range []time.Duration{time.Minute, -time.Hour} {
				sk := skewed{Store: s, off: off}
				fa := &flaky{Store: sk}
				a := newLocker(t, fa, "userAAAA", t.TempDir(), nil)
				b := newLocker(t, sk, "userBBBB", t.TempDir(), nil)
				ka, err := a.TryLock(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for end := time.Now().Add(expire + time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
					if _, err := b.TryLock(ctx); err == nil {
						t.Fatalf("clock off by %v: took a live lock", off)
					}
				}
				fa.down.Store(true) // a stops refreshing, as if dead
				wctx, cancel := context.WithTimeout(ctx, 4*expire)
				kb, err := b.Lock(wctx)
				cancel()
				if err != nil {
					t.Fatalf("clock off by %v: a dead lock was kept: %v", off, err)
				}
				kb.Unlock(ctx)
				fa.down.Store(false)
				ka.Unlock(ctx)
			}
		}},
		{"a lock cleared by another participant is lost", func(t *testing.T, s blob.Store, _ string) {
			a := newLocker(t, s, "userAAAA", t.TempDir(), nil)
			ka, err := a.TryLock(ctx)
			if err != nil {
				t.Fatal(err)
			}
			put(ctx, s, cloudsqlite.ExclusionDir+"/"+InstanceID+"/numbers/"+a.Slot(), "0")
			deadline := time.Now().Add(expire)
			for ka.Valid() == nil && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if !errors.Is(ka.Valid(), cloudsqlite.ErrLockLost) {
				t.Fatalf("Valid()=%v", ka.Valid())
			}
			ka.Unlock(ctx)
		}},
		{"a killed holder on another machine blocks until its lock expires", func(t *testing.T, s blob.Store, name string) {
			readyFile := filepath.Join(t.TempDir(), "ready")
			cmd := child(t, task{Role: "hold-and-die", Store: name, LocalDir: t.TempDir(), User: "userDEAD", Ready: readyFile})
			waitFile(t, readyFile, cmd)
			cmd.Kill()
			killed := time.Now()
			var w warnings
			l := newLocker(t, s, "userLIVE", t.TempDir(), w.add)
			if _, err := l.TryLock(ctx); err == nil {
				t.Fatal("took the lock of a holder killed a moment ago")
			}
			wctx, cancel := context.WithTimeout(ctx, 4*expire)
			defer cancel()
			k, err := l.Lock(wctx)
			if err != nil {
				t.Fatal(err)
			}
			// The last refresh came at most one refresh period before the kill.
			if d := time.Since(killed); d < expire-refresh {
				t.Fatalf("took over %v after the kill, before the expiry %v", d, expire)
			}
			k.Unlock(ctx)
			if !w.has("seems to be stale, clearing numbers.") {
				t.Fatalf("warnings %q", w.msg)
			}
		}},
		{"a killed holder on this machine is cleared at once", func(t *testing.T, s blob.Store, name string) {
			dir := t.TempDir()
			readyFile := filepath.Join(t.TempDir(), "ready")
			cmd := child(t, task{Role: "hold-and-die", Store: name, LocalDir: dir, User: "userAAAA", Ready: readyFile})
			waitFile(t, readyFile, cmd)
			other := newLocker(t, s, "userBBBB", t.TempDir(), nil)
			if _, err := other.TryLock(ctx); err == nil {
				t.Fatal("another machine took a held lock")
			}
			cmd.Kill()
			var w warnings
			l := newLocker(t, s, "userAAAA", dir, w.add)
			k, err := l.TryLock(ctx)
			if err != nil {
				t.Fatal(err)
			}
			k.Unlock(ctx)
			if !w.has("did not end normally") {
				t.Fatalf("warnings %q", w.msg)
			}
		}},
		{"a slot dropped from the list by a racing joiner joins again", func(t *testing.T, s blob.Store, _ string) {
			var w warnings
			a := newLocker(t, s, "userAAAA", t.TempDir(), nil)
			b := newLocker(t, s, "userBBBB", t.TempDir(), w.add)
			list := cloudsqlite.ExclusionDir + "/" + InstanceID + "/priorities"
			for _, l := range []*cloudsqlite.Locker{a, b} {
				k, err := l.TryLock(ctx)
				if err != nil {
					t.Fatal(err)
				}
				k.Unlock(ctx)
			}
			// A joiner that read the list before b joined writes it back.
			put(ctx, s, list, a.Slot()+"*pyLate01")
			put(ctx, s, cloudsqlite.ExclusionDir+"/"+InstanceID+"/numbers/pyLate01", "0")
			put(ctx, s, cloudsqlite.ExclusionDir+"/"+InstanceID+"/entering/pyLate01", "0")
			kb, err := b.TryLock(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := read(ctx, s, list); got != a.Slot()+"*pyLate01*"+b.Slot() {
				t.Fatalf("list %q", got)
			}
			// Dropped while holding: the refresh lists it again, so a
			// contender checks it.
			put(ctx, s, list, a.Slot()+"*pyLate01")
			time.Sleep(3 * refresh)
			if _, err := a.TryLock(ctx); err == nil {
				t.Fatal("took a lock whose holder had been dropped from the list")
			}
			if got, _ := read(ctx, s, list); !strings.HasSuffix(got, "*"+b.Slot()) {
				t.Fatalf("list %q", got)
			}
			kb.Unlock(ctx)
			if !w.has("had lost this machine") {
				t.Fatalf("warnings %q", w.msg)
			}
		}},
		{"deleting the exclusion folder leaves nothing behind", func(t *testing.T, s blob.Store, _ string) {
			l := newLocker(t, s, "userAAAA", t.TempDir(), nil)
			k, err := l.TryLock(ctx)
			if err != nil {
				t.Fatal(err)
			}
			k.Unlock(ctx)
			if err := cloudsqlite.DeleteExclusion(ctx, s, InstanceID); err != nil {
				t.Fatal(err)
			}
			left, err := s.List(ctx, cloudsqlite.ExclusionDir+"/"+InstanceID)
			if err != nil || len(left) != 0 {
				t.Fatalf("left %v, %v", left, err)
			}
		}},
		{"lockers in one process race without overlap", func(t *testing.T, s blob.Store, _ string) {
			const n, rounds = 4, 5
			var wg sync.WaitGroup
			errc := make(chan error, n)
			for i := range n {
				l := newLocker(t, s, fmt.Sprintf("user%04d", i), t.TempDir(), nil)
				wg.Go(func() {
					for range rounds {
						if err := critical(ctx, s, l); err != nil {
							errc <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				t.Error(err)
			}
			if c, _ := read(ctx, s, "test/counter"); c != strconv.Itoa(n*rounds) {
				t.Fatalf("counter %s, want %d", c, n*rounds)
			}
		}},
		{"lamindb sessions and lamin race without overlap", func(t *testing.T, s blob.Store, _ string) {
			const rounds = 5
			lockers := []*cloudsqlite.Locker{
				newLocker(t, s, "userAAAA", t.TempDir(), nil),
				newLocker(t, s, "userBBBB", t.TempDir(), nil),
			}
			pys := []string{"pyUser11", "pyUser12"}
			// Everyone joins first: lamindb's own join can drop a
			// concurrent joiner (see docs/cloud-sqlite.md), which is not
			// what this case is about.
			for _, l := range lockers {
				k, err := l.TryLock(ctx)
				if err != nil {
					t.Fatal(err)
				}
				k.Unlock(ctx)
			}
			for _, py := range pys {
				if ok, err := pyLock(ctx, s, py); err != nil || !ok {
					t.Fatalf("lamindb's lock: %v %v", ok, err)
				}
				pyUnlock(ctx, s, py)
			}
			var wg sync.WaitGroup
			errc := make(chan error, len(lockers)+len(pys))
			for _, l := range lockers {
				wg.Go(func() {
					for range rounds {
						if err := critical(ctx, s, l); err != nil {
							errc <- err
							return
						}
					}
				})
			}
			for _, py := range pys {
				wg.Go(func() {
					for range rounds {
						if err := pyCritical(ctx, s, py); err != nil {
							errc <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				t.Error(err)
			}
			want := (len(lockers) + len(pys)) * rounds
			if c, _ := read(ctx, s, "test/counter"); c != strconv.Itoa(want) {
				t.Fatalf("counter %s, want %d", c, want)
			}
		}},
		{"processes on three machines race without overlap", func(t *testing.T, s blob.Store, name string) {
			const rounds = 5
			machine := []string{t.TempDir(), t.TempDir(), t.TempDir()}
			var cmds []*proc
			// Two processes on the first machine, one on each other.
			for i, dir := range []string{machine[0], machine[0], machine[1], machine[2]} {
				cmds = append(cmds, child(t, task{Role: "count", Store: name, LocalDir: dir, User: fmt.Sprintf("user%04d", i%3), Rounds: rounds}))
			}
			for _, c := range cmds {
				if err := c.Wait(); err != nil {
					t.Errorf("child %d: %v", c.cmd.Process.Pid, err)
				}
			}
			if c, _ := read(ctx, s, "test/counter"); c != strconv.Itoa(len(cmds)*rounds) {
				t.Fatalf("counter %s, want %d", c, len(cmds)*rounds)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // every case has a location of its own
			name := "csq-" + uid.New(10)
			tc.run(t, newStore(t, name), name)
		})
	}
	runSyncSuite(t, newStore)
}
