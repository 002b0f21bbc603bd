package cloudsqlite

import (
	"context"
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// fileLock is a flock(2) lock on the local copy's lock file, shared or
// exclusive. Readers hold it shared while they use the copy and writers hold
// it exclusive, so the copy is never replaced under an open connection:
// SQLite, closing a connection to a replaced file, would checkpoint into the
// old inode and then delete the -wal file by name, which by then is the new
// copy's WAL, holding someone's commits. internal/flock has exclusive locks
// only. The kernel releases a dead holder's lock.
type fileLock struct{ f *os.File }

// waitNotice is how long lockFile waits before it says that it waits.
const waitNotice = 2 * time.Second

// lockFile takes the lock on path (created if missing), waiting until ctx
// ends; flock's own blocking wait could not be interrupted. A wait longer
// than waitNotice is announced once through warn: another process on this
// machine has the copy open, and a person should know why nothing happens.
func lockFile(ctx context.Context, path string, exclusive bool, warn func(string)) (*fileLock, error) {
	start := time.Now()
	announced := false
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDONLY, 0o644)
	if err != nil {
		return nil, err
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	for {
		err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
		if err == nil {
			return &fileLock{f}, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, &os.PathError{Op: "flock", Path: path, Err: err}
		}
		if !announced && warn != nil && time.Since(start) > waitNotice {
			announced = true
			warn("waiting for another lamin process on this machine that has this instance open (its local copy " + path + " is locked); Ctrl-C stops")
		}
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			f.Close()
			return nil, err
		}
	}
}

// unlock releases the lock.
func (l *fileLock) unlock() {
	unix.Flock(int(l.f.Fd()), unix.LOCK_UN)
	l.f.Close()
}
