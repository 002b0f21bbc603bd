package cloudsqlite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/internal/errs"
	"github.com/lamindb-go/lamindb/internal/flock"
	"github.com/lamindb-go/lamindb/internal/uid"
)

// ExclusionDir is the folder, below a storage root, that holds lamindb's lock
// files: one subfolder per instance, named by the instance id in hex.
const ExclusionDir = ".lamindb/_exclusion"

// PythonExpire is lamindb's EXPIRATION_TIME (cloud_sqlite_locker.py): a
// lamindb participant's non-zero register older than this is cleared. lamindb
// never refreshes its registers, so a live Python session cannot be told from
// a dead one any sooner.
const PythonExpire = 7 * 24 * time.Hour

// Defaults for Config. A held lock is refreshed every DefaultRefresh; another
// machine takes over DefaultExpire after the last refresh, so a killed lamin
// command blocks others for minutes, where lamindb's blocks for a week.
const (
	// DefaultExpire is Config.Expire's default.
	DefaultExpire = 2 * time.Minute
	// DefaultRefresh is Config.Refresh's default (at most Expire/8).
	DefaultRefresh = 15 * time.Second
	// DefaultPoll is Config.Poll's default.
	DefaultPoll = 500 * time.Millisecond
	// DefaultSettle is Config.Settle's default.
	DefaultSettle = 3 * time.Second
)

// ErrLockLost means a held lock can no longer be trusted: it was not refreshed
// for half its expiry (so another machine may take it over soon) or another
// participant cleared it. Nothing may be uploaded under it.
var ErrLockLost = fmt.Errorf("lost the cloud SQLite lock: %w", errs.ErrLocked)

// Config says whose lock a Locker takes and how patient it is.
type Config struct {
	// Store is the instance's storage location, the one holding .lamindb/.
	Store blob.Store
	// InstanceID is the instance's UUID as 32 hex digits (lamindb's
	// instance_id.hex), which names the instance's exclusion folder.
	InstanceID string
	// User is the acting user's uid. It prefixes this machine's slot name, so
	// lamindb's "locked by uid" message shows whose command holds the lock.
	User string
	// LocalDir is a folder on this machine, normally the instance's folder in
	// the cache. It keeps the slot name and the kernel lock that makes this
	// machine's processes take turns on it.
	LocalDir string
	// Expire is how long a lamin slot may go unrefreshed before others treat
	// it as dead (DefaultExpire when 0).
	Expire time.Duration
	// Refresh is how often a held lock rewrites its register (DefaultRefresh,
	// at most Expire/8, when 0).
	Refresh time.Duration
	// PythonExpire is the expiry of lamindb's own slots (PythonExpire when 0;
	// tests shorten it).
	PythonExpire time.Duration
	// Poll is the pause between attempts and while another participant is
	// choosing its number (DefaultPoll when 0; a random part is added).
	Poll time.Duration
	// Settle is how long a new slot waits after adding itself to the
	// participant list before it competes, so that a writer that read the
	// list just before has finished its attempt (DefaultSettle when 0).
	Settle time.Duration
	// Warn receives warnings worded as lamindb words them (nil: dropped).
	Warn func(msg string)
}

// Locker takes the cloud SQLite lock of one instance for one user on this
// machine. It is safe for concurrent use; Lock and TryLock serialize on the
// machine's kernel lock.
type Locker struct {
	cfg      Config
	dir      string // the instance's exclusion folder, slash-terminated
	slot     string
	lockPath string
	atomic   bool // one Put is atomic (object storage); else stage and rename
}

// slotRe matches the slots lamin uses: "<user uid>-<8 characters>". lamindb
// names its slots by the bare user uid, so the dash tells them apart, and
// with it which expiry applies.
var slotRe = regexp.MustCompile(`^[0-9A-Za-z]+-[0-9A-Za-z]{8}$`)

var (
	hexRe  = regexp.MustCompile(`^[0-9a-f]{32}$`)
	userRe = regexp.MustCompile(`^[0-9A-Za-z]+$`)
)

// NewLocker prepares a Locker. It touches only LocalDir: the bucket is first
// read when a lock is taken.
func NewLocker(cfg Config) (*Locker, error) {
	if cfg.Store == nil {
		return nil, errors.New("cloudsqlite: no store")
	}
	if !hexRe.MatchString(cfg.InstanceID) {
		return nil, fmt.Errorf("cloudsqlite: instance id %q is not 32 lower-case hex digits", cfg.InstanceID)
	}
	if !userRe.MatchString(cfg.User) {
		return nil, fmt.Errorf("cloudsqlite: bad user uid %q", cfg.User)
	}
	if cfg.LocalDir == "" {
		return nil, errors.New("cloudsqlite: no local folder")
	}
	if cfg.Expire <= 0 {
		cfg.Expire = DefaultExpire
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = min(DefaultRefresh, cfg.Expire/8)
	}
	if cfg.Refresh > cfg.Expire/4 {
		return nil, fmt.Errorf("cloudsqlite: refresh %v must be at most a quarter of expiry %v", cfg.Refresh, cfg.Expire)
	}
	if cfg.PythonExpire <= 0 {
		cfg.PythonExpire = PythonExpire
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Settle <= 0 {
		cfg.Settle = DefaultSettle
	}
	if cfg.Warn == nil {
		cfg.Warn = func(string) {}
	}
	if err := os.MkdirAll(cfg.LocalDir, 0o755); err != nil {
		return nil, err
	}
	slot, err := machineSlot(cfg.LocalDir, cfg.User)
	if err != nil {
		return nil, err
	}
	lockPath := filepath.Join(cfg.LocalDir, slot+".lock")
	f, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDONLY, 0o644)
	if err != nil {
		return nil, err
	}
	f.Close()
	return &Locker{
		cfg:      cfg,
		dir:      ExclusionDir + "/" + cfg.InstanceID + "/",
		slot:     slot,
		lockPath: lockPath,
		atomic:   cfg.Store.Features().AtomicPut,
	}, nil
}

// machineSlot returns this machine's slot for user, creating it once. The
// name is kept so that the participant list grows by one entry per machine
// and user, not per command. The file's name carries a digest of the
// machine's identity, so a cache copied to another machine (a cloned disk, a
// synced home folder) does not hand that machine the same slot: two machines
// sharing a slot would not exclude each other. os.Link publishes the file
// whole and fails if another process published one first; then that one is
// used.
func machineSlot(dir, user string) (string, error) {
	path := filepath.Join(dir, "slot-"+user+"-"+machineDigest())
	if b, err := os.ReadFile(path); err == nil {
		s := strings.TrimSpace(string(b))
		if slotRe.MatchString(s) && strings.HasPrefix(s, user+"-") {
			return s, nil
		}
		return "", fmt.Errorf("cloudsqlite: %s holds no slot name", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, ".slot-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(user + "-" + uid.New(8) + "\n"); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	tmp.Close()
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", err
	}
	return machineSlot(dir, user)
}

// machineDigest names this machine: its systemd machine id and host name.
func machineDigest() string {
	id, _ := os.ReadFile("/etc/machine-id")
	host, _ := os.Hostname()
	sum := sha256.Sum256([]byte(strings.TrimSpace(string(id)) + "\x00" + host))
	return hex.EncodeToString(sum[:6])
}

// Slot is this machine's name in the participant list; lamindb shows it as
// the uid that holds the lock.
func (l *Locker) Slot() string { return l.slot }

// LockedError says who holds the lock. errors.Is(err, errs.ErrLocked) holds.
type LockedError struct {
	// By is the holder's slot: a lamindb user uid, or a lamin slot
	// "<user uid>-<machine>".
	By string
	// Python is true when the holder is a lamindb (Python) session, which
	// holds the lock from connect until `lamin disconnect`.
	Python bool
	// Local is true when another process on this machine holds it.
	Local bool
	// Expire is after how long without activity the holder's lock expires.
	Expire time.Duration
}

// Error says who holds the lock; for a lamindb holder in lamindb's words.
func (e *LockedError) Error() string {
	switch {
	case e.Local:
		return "the instance is locked by another lamin process on this machine"
	case e.Python:
		// lamindb's own wording (InstanceSettings._check_sqlite_lock).
		return fmt.Sprintf("Cannot load the instance, it is locked by uid: '%s'. The instance will be automatically unlocked after %dd of no activity.", e.By, int(e.Expire.Hours()/24))
	default:
		return fmt.Sprintf("Cannot load the instance, it is locked by uid: '%s' (a lamin command). It is released when that command ends, or %v after its process stopped.", e.By, e.Expire)
	}
}

// Unwrap makes a LockedError an errs.ErrLocked.
func (e *LockedError) Unwrap() error { return errs.ErrLocked }

// key returns the object key of a file in the instance's exclusion folder.
func (l *Locker) key(name string) string { return l.dir + name }

// put writes a register whole. On object storage one PUT is atomic; a folder
// store's Put is not (a reader could see a truncated file), so there the
// bytes go to a staging name that is renamed into place.
func (l *Locker) put(ctx context.Context, name string, b []byte) error {
	k := l.key(name)
	if l.atomic {
		_, err := storePut(ctx, l.cfg.Store, k, bytes.NewReader(b), int64(len(b)))
		return err
	}
	tmp := l.dir + "tmp/" + l.slot + "-" + uid.New(6)
	if _, err := storePut(ctx, l.cfg.Store, tmp, bytes.NewReader(b), int64(len(b))); err != nil {
		l.cfg.Store.Delete(context.WithoutCancel(ctx), tmp)
		return err
	}
	if err := l.cfg.Store.Rename(ctx, tmp, k); err != nil {
		l.cfg.Store.Delete(context.WithoutCancel(ctx), tmp)
		return err
	}
	return nil
}

// storePut is the one call of blob.Store.Put in this package. size is the
// number of bytes r yields.
func storePut(ctx context.Context, s blob.Store, key string, r io.Reader, size int64) (int64, error) {
	return s.Put(ctx, key, r, size)
}

// get reads a register; a missing one reads as "", found false.
func (l *Locker) get(ctx context.Context, name string) (string, bool, error) {
	r, err := l.cfg.Store.Open(ctx, l.key(name))
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return "", false, err
	}
	return string(b), true, nil
}

// number reads a participant's ticket. A missing register is 0: that slot
// does not compete (lamindb would fail on it instead). A register that does
// not parse is read again: lamindb writes str(int) whole, so garbage means a
// torn write, which only a folder store can show, and which passes.
func (l *Locker) number(ctx context.Context, slot string) (int64, error) {
	var last string
	for range 20 {
		s, _, err := l.get(ctx, "numbers/"+slot)
		if err != nil {
			return 0, err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			// A missing register, or a truncated one.
			if _, ok, _ := l.get(ctx, "numbers/"+slot); !ok {
				return 0, nil
			}
		} else if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
			return n, nil
		}
		last = s
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("cloudsqlite: %s holds %q, not a number", l.key("numbers/"+slot), last)
}

// priorities reads the participant list: slots joined by "*", in the order
// they joined (the order breaks ties between equal tickets).
func (l *Locker) priorities(ctx context.Context) ([]string, error) {
	s, ok, err := l.get(ctx, "priorities")
	if err != nil || !ok {
		return nil, err
	}
	var out []string
	for _, u := range strings.Split(s, "*") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	return out, nil
}

// expiry is after how long a slot's non-zero register counts as abandoned.
func (l *Locker) expiry(slot string) time.Duration {
	if slotRe.MatchString(slot) {
		return l.cfg.Expire
	}
	return l.cfg.PythonExpire
}

// join puts this slot into the participant list. Its registers are written
// first (as 0), so nobody who sees the slot in the list finds them missing.
// The list is read-modify-written (lamindb does the same; object storage has
// no append), so two joiners can overwrite each other: after writing, it
// waits Settle and reads again, and joins again until it is still there.
// Waiting also lets a writer that read the list just before this slot
// appeared finish its attempt before this slot competes (see the package
// document about late joiners).
func (l *Locker) join(ctx context.Context) error {
	if err := l.put(ctx, "numbers/"+l.slot, []byte("0")); err != nil {
		return err
	}
	if err := l.put(ctx, "entering/"+l.slot, []byte("0")); err != nil {
		return err
	}
	for {
		users, err := l.priorities(ctx)
		if err != nil {
			return err
		}
		if slices.Contains(users, l.slot) {
			return nil
		}
		// Append only: lamindb keeps its own index in this list.
		users = append(users, l.slot)
		if err := l.put(ctx, "priorities", []byte(strings.Join(users, "*"))); err != nil {
			return err
		}
		if err := sleep(ctx, l.cfg.Settle); err != nil {
			return err
		}
	}
}

// clock gives the storage's time now, from the modification time of a
// register just written: ages of other registers are measured against the
// storage's clock, not this machine's, so a skewed clock does not expire a
// live lock or keep a dead one.
type clock struct {
	base time.Time // storage time at mono
	mono time.Time
}

func (c clock) now() time.Time { return c.base.Add(time.Since(c.mono)) }

// stale reports whether a participant's non-zero register is abandoned, and
// then clears it as lamindb does.
func (l *Locker) stale(ctx context.Context, c clock, slot, endpoint string) (bool, error) {
	info, err := l.cfg.Store.Stat(ctx, l.key(endpoint+"/"+slot))
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	// S3 keeps modification times in whole seconds, truncated: both ends of
	// the age can be up to a second early, so a second more is waited.
	if c.now().Sub(info.ModTime) <= l.expiry(slot)+mtimeGrain {
		return false, nil
	}
	l.cfg.Warn(fmt.Sprintf("the lock of the user %s seems to be stale, clearing %s.", slot, endpoint))
	return true, l.put(ctx, endpoint+"/"+slot, []byte("0"))
}

// errUnlisted is an attempt that found its slot missing from the list.
var errUnlisted = errors.New("cloudsqlite: slot left the participant list")

// relist puts the slot back at the end of the list if a joiner's
// read-modify-write dropped it, without touching its registers (it may hold
// the lock): nobody checks an unlisted participant.
func (l *Locker) relist(ctx context.Context) error {
	users, err := l.priorities(ctx)
	if err != nil || slices.Contains(users, l.slot) {
		return err
	}
	l.cfg.Warn("the cloud SQLite lock's participant list had lost this machine (two joined at once): adding it back")
	return l.put(ctx, "priorities", []byte(strings.Join(append(users, l.slot), "*")))
}

// mtimeGrain is the resolution of the storage's modification times (S3:
// one second).
const mtimeGrain = time.Second

// errTaken is an attempt that lost to another participant.
type errTaken struct{ by string }

func (e errTaken) Error() string { return "taken by " + e.by }

// attempt runs lamindb's bakery once. On success it returns the ticket and
// the (local, monotonic) time just before the ticket was written: the lease
// runs from there.
func (l *Locker) attempt(ctx context.Context) (int64, time.Time, error) {
	users, err := l.priorities(ctx)
	if err != nil {
		return 0, time.Time{}, err
	}
	me := slices.Index(users, l.slot)
	if me < 0 {
		// Dropped by a joiner's read-modify-write: join again.
		return 0, time.Time{}, errUnlisted
	}
	// Doorway: announce, choose a ticket above every one in use, stop
	// announcing.
	mono := time.Now()
	if err := l.put(ctx, "entering/"+l.slot, []byte("1")); err != nil {
		return 0, time.Time{}, err
	}
	info, err := l.cfg.Store.Stat(ctx, l.key("entering/"+l.slot))
	if err != nil {
		return 0, time.Time{}, err
	}
	c := clock{base: info.ModTime, mono: mono}
	var top int64
	for _, u := range users {
		if u == l.slot {
			continue
		}
		n, err := l.number(ctx, u)
		if err != nil {
			return 0, time.Time{}, err
		}
		if n != 0 {
			if gone, err := l.stale(ctx, c, u, "numbers"); err != nil {
				return 0, time.Time{}, err
			} else if gone {
				n = 0
			}
		}
		top = max(top, n)
	}
	ticket := top + 1
	start := time.Now()
	if err := l.put(ctx, "numbers/"+l.slot, []byte(strconv.FormatInt(ticket, 10))); err != nil {
		return 0, time.Time{}, err
	}
	if err := l.put(ctx, "entering/"+l.slot, []byte("0")); err != nil {
		return 0, time.Time{}, err
	}
	// Wait for everyone else in the doorway, then defer to every smaller
	// (ticket, position). lamindb gives up at the first such participant
	// instead of waiting; so does this (the caller tries again later).
	check := func(i int, u string) error {
		// lamindb's doorway is a few storage calls; one that stays open
		// longer (a lamindb process killed in it keeps its flag for a week)
		// ends this attempt instead of blocking it: giving up is always safe.
		enterDeadline := time.Now().Add(max(5*time.Second, 20*l.cfg.Poll))
		for {
			s, _, err := l.get(ctx, "entering/"+u)
			if err != nil {
				return err
			}
			if strings.TrimSpace(s) != "1" {
				break
			}
			if gone, err := l.stale(ctx, c, u, "entering"); err != nil {
				return err
			} else if gone {
				break
			}
			if time.Now().After(enterDeadline) {
				return errTaken{u}
			}
			if err := sleep(ctx, jitter(l.cfg.Poll/5)); err != nil {
				return err
			}
		}
		n, err := l.number(ctx, u)
		if err != nil || n == 0 {
			return err
		}
		if gone, err := l.stale(ctx, c, u, "numbers"); err != nil || gone {
			return err
		}
		if n < ticket || (n == ticket && i < me) {
			return errTaken{u}
		}
		return nil
	}
	for i, u := range users {
		if i != me {
			if err := check(i, u); err != nil {
				return 0, time.Time{}, err
			}
		}
	}
	// A participant that joined after the list was read has not been
	// checked. It read the list after joining, so it checks this slot too;
	// checking it here as well closes the window in which both could miss
	// each other.
	again, err := l.priorities(ctx)
	if err != nil {
		return 0, time.Time{}, err
	}
	for i, u := range again {
		if u != l.slot && !slices.Contains(users, u) {
			if err := check(i, u); err != nil {
				return 0, time.Time{}, err
			}
		}
	}
	return ticket, start, nil
}

// TryLock makes one attempt: a *LockedError if someone else holds the lock.
func (l *Locker) TryLock(ctx context.Context) (*Lock, error) {
	fl, err := flock.TryLock(l.lockPath)
	if errors.Is(err, flock.ErrBusy) {
		return nil, &LockedError{By: l.slot, Local: true, Expire: l.cfg.Expire}
	}
	if err != nil {
		return nil, err
	}
	return l.lock(ctx, fl, false)
}

// Lock waits for the lock until ctx ends; then it returns the last
// *LockedError, joined with ctx's error.
func (l *Locker) Lock(ctx context.Context) (*Lock, error) {
	fl, err := flock.TryLock(l.lockPath)
	if errors.Is(err, flock.ErrBusy) {
		l.cfg.Warn("waiting for the cloud SQLite lock, which another lamin process on this machine holds; Ctrl-C stops")
		fl, err = flock.Wait(ctx, l.lockPath)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, errors.Join(&LockedError{By: l.slot, Local: true, Expire: l.cfg.Expire}, err)
		}
		return nil, err
	}
	return l.lock(ctx, fl, true)
}

// lock runs attempts while holding this machine's kernel lock, which it keeps
// on success: no other process on this machine writes this slot meanwhile.
func (l *Locker) lock(ctx context.Context, fl *flock.Lock, wait bool) (*Lock, error) {
	ok := false
	defer func() {
		if !ok {
			fl.Unlock()
		}
	}()
	if err := l.prepare(ctx); err != nil {
		return nil, err
	}
	for {
		ticket, start, err := l.attempt(ctx)
		if err == nil {
			ok = true
			k := &Lock{l: l, ticket: ticket, local: fl, lastOK: start, stop: make(chan struct{}), done: make(chan struct{})}
			go k.refresh()
			return k, nil
		}
		l.reset(ctx)
		if errors.Is(err, errUnlisted) {
			if err := l.join(ctx); err != nil {
				return nil, err
			}
			continue
		}
		var taken errTaken
		if !errors.As(err, &taken) {
			return nil, err
		}
		locked := &LockedError{By: taken.by, Python: !slotRe.MatchString(taken.by), Expire: l.expiry(taken.by)}
		if !wait {
			return nil, locked
		}
		if err := sleep(ctx, jitter(l.cfg.Poll)); err != nil {
			return nil, errors.Join(locked, err)
		}
	}
}

// prepare joins the list if needed. Holding the kernel lock, this process is
// the only live user of the slot on this machine, so a non-zero register of
// its own was left by a process that died holding the lock: cleared now,
// without waiting for it to expire.
func (l *Locker) prepare(ctx context.Context) error {
	users, err := l.priorities(ctx)
	if err != nil {
		return err
	}
	if !slices.Contains(users, l.slot) {
		return l.join(ctx)
	}
	n, err := l.number(ctx, l.slot)
	if err != nil {
		return err
	}
	e, _, err := l.get(ctx, "entering/"+l.slot)
	if err != nil {
		return err
	}
	if n != 0 || strings.TrimSpace(e) != "0" {
		l.cfg.Warn("clearing the cloud SQLite lock of an earlier lamin process on this machine that did not end normally")
		return l.reset(ctx)
	}
	return nil
}

// reset withdraws from the competition (best effort, also when ctx ended).
func (l *Locker) reset(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return errors.Join(
		l.put(ctx, "numbers/"+l.slot, []byte("0")),
		l.put(ctx, "entering/"+l.slot, []byte("0")),
	)
}

// Lock is a held cloud SQLite lock. A goroutine refreshes it until Unlock.
type Lock struct {
	l      *Locker
	ticket int64
	local  *flock.Lock
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once

	mu     sync.Mutex
	lastOK time.Time // monotonic: just before the last successful write of the ticket
	lost   error
}

// Valid returns nil while the lock can be trusted: its register was last
// written less than half the expiry ago and nobody cleared it. Another machine
// takes a lock over only after a whole expiry without refresh, measured on the
// storage's clock, so an upload that starts while Valid holds lands before
// anyone else can hold the lock, unless storage stops answering the refresh
// for the other half of the expiry.
func (k *Lock) Valid() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.lost == nil && time.Since(k.lastOK) >= k.l.cfg.Expire/2 {
		k.lost = fmt.Errorf("%w: not refreshed for %v", ErrLockLost, time.Since(k.lastOK).Round(time.Second))
	}
	return k.lost
}

// Ticket is the number the lock holds in lamindb's bakery.
func (k *Lock) Ticket() int64 { return k.ticket }

// refresh rewrites the ticket every Refresh so the register's modification
// time shows this holder is alive. It reads the register first: if someone
// cleared it (they found it stale), the lock is lost, and writing it back
// would make two holders.
func (k *Lock) refresh() {
	defer close(k.done)
	t := time.NewTicker(k.l.cfg.Refresh)
	defer t.Stop()
	for {
		select {
		case <-k.stop:
			return
		case <-t.C:
		}
		if k.Valid() != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), k.l.cfg.Expire/2)
		start := time.Now()
		n, err := k.l.number(ctx, k.l.slot)
		if err == nil && n != k.ticket {
			k.mu.Lock()
			k.lost = fmt.Errorf("%w: another participant cleared it", ErrLockLost)
			k.mu.Unlock()
			cancel()
			return
		}
		if err == nil && k.Valid() == nil {
			err = k.l.put(ctx, "numbers/"+k.l.slot, []byte(strconv.FormatInt(k.ticket, 10)))
		}
		if err == nil {
			err = k.l.relist(ctx)
		}
		cancel()
		if err == nil {
			k.mu.Lock()
			if k.lost == nil {
				k.lastOK = start
			}
			k.mu.Unlock()
		}
	}
}

// Unlock stops the refresh, writes the ticket back to 0 and releases this
// machine's kernel lock. It may be called more than once.
func (k *Lock) Unlock(ctx context.Context) error {
	var err error
	k.once.Do(func() {
		close(k.stop)
		<-k.done
		err = k.l.reset(ctx)
		k.local.Unlock()
	})
	return err
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// jitter returns a duration between d/2 and 3d/2, so that contenders that
// collided do not collide again in step.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d)
}

// DeleteExclusion removes an instance's exclusion folder, as lamindb's
// instance delete does (_delete_exclusion_dir_if_exists) before it checks
// that .lamindb/ is empty.
func DeleteExclusion(ctx context.Context, s blob.Store, instanceID string) error {
	if !hexRe.MatchString(instanceID) {
		return fmt.Errorf("cloudsqlite: instance id %q is not 32 lower-case hex digits", instanceID)
	}
	return s.Delete(ctx, ExclusionDir+"/"+instanceID)
}
