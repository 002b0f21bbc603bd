package flock

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestLock(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		run  func(t *testing.T, held *Lock) error
		want error
	}{
		{"try while held is busy", func(t *testing.T, _ *Lock) error {
			_, err := TryLock(dir)
			return err
		}, ErrBusy},
		{"wait while held ends with the context", func(t *testing.T, _ *Lock) error {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err := Wait(ctx, dir)
			return err
		}, context.DeadlineExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			held, err := TryLock(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer held.Unlock()
			if err := tc.run(t, held); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestWaitGetsTheLockOnceReleased(t *testing.T) {
	dir := t.TempDir()
	held, err := TryLock(dir)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(30*time.Millisecond, held.Unlock)
	l, err := Wait(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	l.Unlock()
}

func TestTryLockMissing(t *testing.T) {
	if _, err := TryLock(filepath.Join(t.TempDir(), "nope")); err == nil || errors.Is(err, ErrBusy) {
		t.Fatalf("got %v, want a not-exist error", err)
	}
}
