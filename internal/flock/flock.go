// Package flock takes advisory exclusive locks on files and folders with
// flock(2). The kernel releases such a lock when its holder dies, so a crashed
// process never leaves a stale lock behind. flock locks are independent of the
// fcntl locks SQLite uses on the same files.
package flock

import (
	"context"
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// ErrBusy is what TryLock returns when another holder has the lock.
var ErrBusy = errors.New("held by another process")

// poll is how often Wait tries again: flock has no timeout of its own, and a
// blocking flock could not be interrupted by a cancelled context.
const poll = 10 * time.Millisecond

// Lock is a held lock; Unlock releases it.
type Lock struct{ f *os.File }

// TryLock takes an exclusive lock on path (a file or a folder) without
// waiting: ErrBusy if another process, or another open file in this one,
// holds it.
func TryLock(path string) (*Lock, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if err := try(f); err != nil {
		f.Close()
		return nil, err
	}
	return &Lock{f}, nil
}

// Wait takes an exclusive lock on path, waiting for it until ctx ends (then
// it returns ctx's error).
func Wait(ctx context.Context, path string) (*Lock, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		err := try(f)
		if err == nil {
			return &Lock{f}, nil
		}
		if !errors.Is(err, ErrBusy) {
			f.Close()
			return nil, err
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

func try(f *os.File) error {
	err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return ErrBusy
	}
	if err != nil {
		return &os.PathError{Op: "flock", Path: f.Name(), Err: err}
	}
	return nil
}

// Unlock releases the lock. Closing the file releases it too; the explicit
// unlock makes the release independent of who else has the file open.
func (l *Lock) Unlock() {
	unix.Flock(int(l.f.Fd()), unix.LOCK_UN)
	l.f.Close()
}
