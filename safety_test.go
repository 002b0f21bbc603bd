package lamindb_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	ln "github.com/lamindb-go/lamindb"
	"github.com/lamindb-go/lamindb/internal/testbackend"
)

// open opens the env's instance a second time, as another process would.
func (e *env) open() *ln.Instance {
	e.t.Helper()
	in, err := ln.Open(e.ctx, "test-delete", e.opts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { in.Close() })
	return in
}

// TestChangedWhileAsked: the question of a delete is asked with no lock
// held; what another client changes meanwhile makes the delete change nothing.
func TestChangedWhileAsked(t *testing.T) {
	tests := []struct {
		name   string
		change func(other *ln.Instance, uid string) error
	}{
		{"restored and locked", func(o *ln.Instance, u string) error {
			if _, err := o.Artifacts().UID(u).Restore(context.Background(), ln.RestoreOptions{}); err != nil {
				return err
			}
			locked := true
			_, err := o.Artifacts().UID(u).Update(context.Background(), ln.UpdateOptions{Locked: &locked})
			return err
		}},
		{"purged", func(o *ln.Instance, u string) error {
			_, err := o.Artifacts().UID(u).Delete(context.Background(), ln.DeleteOptions{Permanent: true})
			return err
		}},
		{"a new version saved under its key", func(o *ln.Instance, u string) error {
			return nil // the trashed record itself is unchanged: the delete goes ahead
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			a := e.save(e.file("a.txt", "a"), ln.SaveOptions{Key: "a.txt"})
			if _, err := e.in.Artifacts().UID(a.UID).Delete(e.ctx, ln.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			other := e.open()
			_, err := e.in.Artifacts().UID(a.UID).Delete(e.ctx, ln.DeleteOptions{Confirm: func(string) bool {
				if err := tc.change(other, a.UID); err != nil {
					t.Errorf("the other client: %v", err)
				}
				return true
			}})
			if tc.name == "a new version saved under its key" {
				if err != nil {
					t.Fatalf("an unchanged record: %v", err)
				}
				return
			}
			if !errors.Is(err, ln.ErrChanged) || ln.ExitCode(err) != ln.ExitRefused {
				t.Fatalf("Delete()=%v, want ErrChanged", err)
			}
		})
	}
}

// TestNewVersionOfLockedHead: a new version would demote a locked head; it is
// refused, and the head stays latest.
func TestNewVersionOfLockedHead(t *testing.T) {
	e := newEnv(t)
	a := e.save(e.file("a.txt", "one"), ln.SaveOptions{Key: "a.txt"})
	locked := true
	if _, err := e.in.Artifacts().UID(a.UID).Update(e.ctx, ln.UpdateOptions{Locked: &locked}); err != nil {
		t.Fatal(err)
	}
	_, err := e.in.Save(e.ctx, e.file("a.txt", "two"), ln.SaveOptions{Key: "a.txt"})
	if !errors.Is(err, ln.ErrLocked) {
		t.Fatalf("Save()=%v, want ErrLocked", err)
	}
	if e.get(a.UID).Get("is_latest") != true {
		t.Error("the locked head lost is_latest")
	}
	if n := e.count(ln.AllBranches); n != 1 {
		t.Errorf("%d artifacts", n)
	}
}

// TestConcurrentPurges: many clients purging the same records at once purge
// each once: one audit event per record, no error but documented refusals.
func TestConcurrentPurges(t *testing.T) {
	e := newEnv(t)
	var uids []string
	for i := range 20 {
		uids = append(uids, e.save(e.file(fmt.Sprintf("f%d.txt", i), fmt.Sprint(i)), ln.SaveOptions{Key: fmt.Sprintf("p/f%d.txt", i)}).UID)
	}
	var wg sync.WaitGroup
	for range 8 {
		in := e.open()
		wg.Go(func() {
			for _, u := range uids {
				_, err := in.Artifacts().UID(u).Delete(e.ctx, ln.DeleteOptions{Permanent: true})
				if err != nil && !errors.Is(err, ln.ErrNotFound) && !errors.Is(err, ln.ErrChanged) {
					t.Errorf("purge %s: %v", u, err)
				}
			}
		})
	}
	wg.Wait()
	evs, err := e.in.AuditLog(e.ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	purges := map[string]int{}
	for _, ev := range evs {
		if ev.Action == "purge" {
			purges[ev.UID]++
		}
	}
	for _, u := range uids {
		if purges[u] != 1 {
			t.Errorf("%s purged %d times", u, purges[u])
		}
	}
	if r, err := e.in.Check(e.ctx, ln.CheckOptions{}); err != nil || !r.OK() {
		t.Errorf("check: %+v %v", r, err)
	}
}

// TestSaveKeepsItsStorage: a save records its row against one storage and
// writes its bytes there, even when the default storage changes meanwhile
// (run under -race: the default storage is read under its lock).
func TestSaveKeepsItsStorage(t *testing.T) {
	e := newEnv(t)
	second := testbackend.Root(t, e.dir, "second")
	rec, err := e.in.CreateStorage(e.ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	roots := map[int64]*testbackend.Files{e.in.DefaultStorage().ID: e.files, rec.ID(): testbackend.Open(t, second)}
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 20 {
			root := e.root
			if i%2 == 0 {
				root = second
			}
			if err := e.in.SetDefaultStorage(e.ctx, root); err != nil {
				t.Error(err)
			}
		}
	})
	var arts []*ln.Artifact
	var mu sync.Mutex
	for w := range 2 {
		wg.Go(func() {
			for i := range 10 {
				p := e.file(fmt.Sprintf("w%d/f%d.txt", w, i), fmt.Sprintf("%d %d", w, i))
				a, err := e.in.Save(e.ctx, p, ln.SaveOptions{Key: fmt.Sprintf("w%d/f%d.txt", w, i)})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				arts = append(arts, a)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, a := range arts {
		// The bytes are in the storage its row names.
		if f := roots[a.StorageID]; f == nil || !f.Exists(a.StorageKey()) {
			t.Errorf("%s: storage %d does not hold its bytes", a.UID, a.StorageID)
		}
	}
	if r, err := e.in.Check(e.ctx, ln.CheckOptions{}); err != nil || !r.OK() {
		t.Errorf("check: %+v %v", r, err)
	}
}
