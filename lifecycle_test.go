package lamindb_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ln "github.com/lamindb-go/lamindb"
	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/internal/testbackend"
)

func TestDeleteConfirmation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    ln.DeleteOptions
		class   error // nil: deleted
		prompts int
	}{
		{"yes at the prompt", ln.DeleteOptions{Confirm: yes}, nil, 1},
		{"no at the prompt", ln.DeleteOptions{Confirm: no}, ln.ErrCancelled, 1},
		{"nobody to ask", ln.DeleteOptions{}, ln.ErrConfirmationNeeded, 0},
		{"permanent skips the prompt", ln.DeleteOptions{Permanent: true}, nil, 0},
		{"yes answers it", ln.DeleteOptions{Yes: true}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			a := e.save(e.file("x.txt", "x"), ln.SaveOptions{Key: "x.txt"})
			if _, err := e.in.Artifacts().UID(a.UID).Delete(e.ctx, ln.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			prompts := 0
			if tc.opts.Confirm != nil {
				c := tc.opts.Confirm
				tc.opts.Confirm = func(p string) bool { prompts++; return c(p) }
			}
			_, err := e.in.Artifacts().Key("x.txt").Delete(e.ctx, tc.opts)
			if tc.class == nil && err != nil || tc.class != nil && !errors.Is(err, tc.class) {
				t.Fatalf("Delete()=%v, want %v", err, tc.class)
			}
			if prompts != tc.prompts {
				t.Errorf("%d prompts, want %d", prompts, tc.prompts)
			}
			want := int64(1)
			if tc.class == nil {
				want = 0
			}
			if n := e.count(ln.AllBranches); n != want {
				t.Errorf("%d rows, want %d", n, want)
			}
			if tc.class != nil && len(e.managedFiles()) != 1 {
				t.Error("a cancelled delete removed bytes")
			}
		})
	}
}

func TestBulkLifecycle(t *testing.T) {
	e := newEnv(t)
	for i, c := range []string{"a", "b", "c"} {
		e.save(e.file(c+".txt", strings.Repeat(c, i+1)), ln.SaveOptions{Key: "raw/" + c + ".txt"})
	}
	keep := e.save(e.file("keep.txt", "keep"), ln.SaveOptions{Key: "keep.txt"})
	raw := func() *ln.Query { return e.in.Artifacts().Where("key__startswith=raw/") }
	// Dry run: the plan, nothing changed.
	plan, err := raw().Delete(e.ctx, ln.DeleteOptions{DryRun: true})
	if err != nil || plan.Count("trash") != 3 || e.count(ln.DefaultBranch) != 4 {
		t.Fatalf("dry run: %+v %v", plan, err)
	}
	if _, err := raw().Delete(e.ctx, ln.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := e.count(ln.TrashBranch); n != 3 {
		t.Fatalf("%d in trash", n)
	}
	if !e.msgs.has("! moved 3 records to trash (branch_id = -1)") {
		t.Errorf("messages %v", e.msgs.lines)
	}
	// Restore by filter searches the trash.
	if p, err := raw().Restore(e.ctx, ln.RestoreOptions{}); err != nil || len(p.Records) != 3 {
		t.Fatalf("restore: %v %v", p, err)
	}
	raw().Delete(e.ctx, ln.DeleteOptions{})
	// A permanent delete from the trash asks once for the whole set, with count and bytes.
	var prompts []string
	plan, err = raw().Branch(ln.TrashBranch).Delete(e.ctx, ln.DeleteOptions{Confirm: func(p string) bool { prompts = append(prompts, p); return true }})
	if err != nil {
		t.Fatal(err)
	}
	if len(prompts) != 1 || !strings.Contains(prompts[0], "3 Artifact records (6 B in storage)") || plan.Bytes != 6 {
		t.Errorf("prompts %q, plan bytes %d", prompts, plan.Bytes)
	}
	if n := e.count(ln.AllBranches); n != 1 || len(e.managedFiles()) != 1 {
		t.Errorf("left %d rows, files %v", n, e.managedFiles())
	}
	if e.get(keep.UID).UID() != keep.UID {
		t.Error("unrelated artifact touched")
	}
	// The audit log has every step, newest first.
	evs, err := e.in.AuditLog(e.ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, ev := range evs {
		actions = append(actions, ev.Action)
	}
	if got := strings.Join(actions, ","); got != "purge,purge,purge,trash,trash,trash,restore,restore,restore,trash,trash,trash" {
		t.Errorf("audit actions %s", got)
	}
	if evs[0].Bytes == nil || evs[0].User != "anonymous" {
		t.Errorf("audit event %+v", evs[0])
	}
}

func TestProtections(t *testing.T) {
	e := newEnv(t)
	a := e.save(e.file("a.txt", "a"), ln.SaveOptions{Key: "a.txt"})
	c, err := e.in.CreateCollection(e.ctx, ln.CollectionOptions{Key: "my-collection", Artifacts: []string{a.UID}})
	if err != nil {
		t.Fatal(err)
	}
	// An artifact in a collection cannot be purged; the error names the collection.
	_, err = e.in.Artifacts().UID(a.UID).Delete(e.ctx, ln.DeleteOptions{Permanent: true})
	if !errors.Is(err, ln.ErrProtected) || !strings.Contains(err.Error(), "CollectionArtifact.artifact") || !strings.Contains(err.Error(), c.UID()) {
		t.Fatalf("purge of a member: %v", err)
	}
	if e.count(ln.AllBranches) != 1 || len(e.managedFiles()) != 1 {
		t.Fatal("a refused purge changed something")
	}
	// Trashing it is fine; trashing and purging the collection keeps its artifacts.
	colls := func() *ln.Query { return e.in.Records("collection") }
	if _, err := colls().UID(c.UID()).Delete(e.ctx, ln.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := e.count(ln.DefaultBranch); n != 1 {
		t.Error("trashing a collection trashed its artifact")
	}
	plan, err := colls().UID(c.UID()).Delete(e.ctx, ln.DeleteOptions{Yes: true})
	if err != nil || len(plan.Cascades) != 1 || plan.Cascades[0].Registry != "lamindb_collectionartifact" {
		t.Fatalf("collection purge: %+v %v", plan, err)
	}
	if _, err := e.in.Artifacts().UID(a.UID).Delete(e.ctx, ln.DeleteOptions{Permanent: true}); err != nil {
		t.Fatalf("purge after the collection is gone: %v", err)
	}
	// Storage: refused while artifacts use it, and while it is the default.
	b := e.save(e.file("b.txt", "b"), ln.SaveOptions{Key: "b.txt"})
	st := func() *ln.Query { return e.in.Records("storage").UID(e.in.DefaultStorage().UID) }
	if _, err := st().Delete(e.ctx, ln.DeleteOptions{}); !errors.Is(err, ln.ErrRefused) || !strings.Contains(err.Error(), "Cannot delete storage with artifacts in current instance.") {
		t.Fatalf("storage delete with artifacts: %v", err)
	}
	must(e.in.Artifacts().UID(b.UID).Delete(e.ctx, ln.DeleteOptions{Permanent: true}))(t)
	if _, err := st().Delete(e.ctx, ln.DeleteOptions{}); !errors.Is(err, ln.ErrRefused) || !strings.Contains(err.Error(), "Cannot delete the current storage location, switch to another.") {
		t.Fatalf("default storage delete: %v", err)
	}
	// Built-in branches cannot go.
	if _, err := e.in.Records("branch").UID("tttttttttttt").Delete(e.ctx, ln.DeleteOptions{}); !errors.Is(err, ln.ErrRefused) {
		t.Errorf("deleting the trash branch: %v", err)
	}
}

func TestStorageSwitchAndDelete(t *testing.T) {
	e := newEnv(t)
	other := testbackend.Root(t, e.dir, "other")
	if _, err := e.in.CreateStorage(e.ctx, other); err != nil {
		t.Fatal(err)
	}
	if !testbackend.Open(t, other).Exists(".lamindb/storage_uid.txt") {
		t.Fatalf("no marker at %s", other)
	}
	first := e.in.DefaultStorage()
	if err := e.in.SetDefaultStorage(e.ctx, other); err != nil {
		t.Fatal(err)
	}
	a := e.save(e.file("a.txt", "a"), ln.SaveOptions{Key: "a.txt"})
	if !testbackend.Open(t, other).Exists(".lamindb/" + a.UID + ".txt") {
		t.Fatalf("not saved to the new default")
	}
	// The old location is no longer the default and holds nothing managed, but
	// it holds the instance's database: it stays.
	if _, err := e.in.Records("storage").UID(first.UID).Delete(e.ctx, ln.DeleteOptions{DryRun: !sqliteBackend()}); sqliteBackend() && !errors.Is(err, ln.ErrRefused) {
		t.Fatalf("delete the storage holding the database: %v", err)
	}
	// An empty extra location can go, and its marker with it.
	empty := testbackend.Root(t, e.dir, "empty")
	rec, err := e.in.CreateStorage(e.ctx, empty)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.in.Records("storage").UID(rec.UID()).Delete(e.ctx, ln.DeleteOptions{}); err != nil {
		t.Fatalf("delete an empty storage: %v", err)
	}
	if testbackend.Open(t, empty).Exists(".lamindb/storage_uid.txt") {
		t.Error("marker of the deleted storage remains")
	}
}

func TestLocks(t *testing.T) {
	e := newEnv(t)
	a := e.save(e.file("a.txt", "a"), ln.SaveOptions{Key: "a.txt"})
	q := func() *ln.Query { return e.in.Artifacts().UID(a.UID) }
	on, off, d := true, false, "new"
	if _, err := q().Update(e.ctx, ln.UpdateOptions{Locked: &on}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		op   func() error
	}{
		{"trash", func() error { _, err := q().Delete(e.ctx, ln.DeleteOptions{}); return err }},
		{"purge", func() error { _, err := q().Delete(e.ctx, ln.DeleteOptions{Permanent: true}); return err }},
		{"update", func() error { _, err := q().Update(e.ctx, ln.UpdateOptions{Description: &d}); return err }},
		{"bulk trash", func() error {
			_, err := e.in.Artifacts().Where("key=a.txt").Delete(e.ctx, ln.DeleteOptions{})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.op(); !errors.Is(err, ln.ErrLocked) {
				t.Fatalf("got %v, want ErrLocked", err)
			}
		})
	}
	if e.get(a.UID).Get("branch_id") != int64(1) {
		t.Fatal("locked record changed")
	}
	if _, err := q().Update(e.ctx, ln.UpdateOptions{Locked: &off}); err != nil {
		t.Fatal(err)
	}
	if _, err := q().Delete(e.ctx, ln.DeleteOptions{}); err != nil {
		t.Fatalf("trash after unlock: %v", err)
	}
	evs := must(e.in.AuditLog(e.ctx, 3))(t)
	if len(evs) != 3 || evs[0].Action != "trash" || evs[1].Action != "unlock" || evs[2].Action != "lock" {
		t.Errorf("audit %+v", evs)
	}
}

func TestArchive(t *testing.T) {
	e := newEnv(t)
	a := e.save(e.file("a.txt", "a"), ln.SaveOptions{Key: "a.txt"})
	archive := "archive"
	if _, err := e.in.Artifacts().UID(a.UID).Update(e.ctx, ln.UpdateOptions{Branch: &archive}); err != nil {
		t.Fatal(err)
	}
	if e.count(ln.DefaultBranch) != 0 || e.count(ln.TrashBranch) != 0 || e.count(ln.ArchiveBranch) != 1 {
		t.Fatal("archived artifact: hidden by default, not in the trash")
	}
	if _, err := e.in.Artifacts().Where("key=a.txt").Branch(ln.ArchiveBranch).Restore(e.ctx, ln.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	if e.count(ln.DefaultBranch) != 1 {
		t.Fatal("restore from archive")
	}
}

func TestULabelTypeTrash(t *testing.T) {
	e := newEnv(t)
	if _, err := e.in.CreateULabel(e.ctx, ln.ULabelOptions{Name: "CellType", IsType: true}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"T cell", "B cell"} {
		if _, err := e.in.CreateULabel(e.ctx, ln.ULabelOptions{Name: n, Type: "CellType"}); err != nil {
			t.Fatal(err)
		}
	}
	labels := func() *ln.Query { return e.in.Records("ulabel") }
	if _, err := labels().Key("CellType").Delete(e.ctx, ln.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := must(labels().Count(e.ctx))(t); n != 0 {
		t.Errorf("%d labels visible after trashing their type", n)
	}
	if n := must(labels().Branch(ln.TrashBranch).Count(e.ctx))(t); n != 3 {
		t.Errorf("%d labels in the trash, want 3", n)
	}
	// A type with children cannot be purged (ULabel.type is PROTECT).
	if _, err := labels().Key("CellType").Delete(e.ctx, ln.DeleteOptions{Yes: true}); !errors.Is(err, ln.ErrProtected) {
		t.Errorf("purging a type with children: %v", err)
	}
}

func TestFolderFamilyPurge(t *testing.T) {
	e := newEnv(t)
	dir := filepath.Join(e.dir, "folder")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "f.txt"), []byte("1"), 0o644)
	v1 := e.save(dir, ln.SaveOptions{Key: "folder"})
	os.WriteFile(filepath.Join(dir, "g.txt"), []byte("2"), 0o644)
	v2 := e.save(dir, ln.SaveOptions{Key: "folder"})
	if v2.UID[:16] != v1.UID[:16] || v2.StorageKey() != v1.StorageKey() {
		t.Fatalf("folder versions must share a store: %s %s", v1.StorageKey(), v2.StorageKey())
	}
	// Purging the non-head keeps the shared store.
	if _, err := e.in.Artifacts().UID(v1.UID).Delete(e.ctx, ln.DeleteOptions{Permanent: true}); err != nil {
		t.Fatal(err)
	}
	if len(e.managedFiles()) != 1 {
		t.Fatal("shared store deleted with a previous version")
	}
	os.WriteFile(filepath.Join(dir, "h.txt"), []byte("3"), 0o644)
	v3 := e.save(dir, ln.SaveOptions{Revises: v2.UID})
	if _, err := e.in.Artifacts().UID(v3.UID).Delete(e.ctx, ln.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// Purging the head (in the trash) purges every version, the trash included, and the store.
	_, err := e.in.Artifacts().UID(v3.UID).Delete(e.ctx, ln.DeleteOptions{Yes: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := must(e.in.Artifacts().Where("uid__startswith=" + v1.UID[:16]).Branch(ln.AllBranches).Count(e.ctx))(t); n != 0 {
		t.Errorf("%d family members left", n)
	}
	if f := e.managedFiles(); len(f) != 0 {
		t.Errorf("store left: %v", f)
	}
}

// failingStore fails every delete, as storage that is down would.
type failingStore struct {
	blob.Store
	fail *bool
}

func (f failingStore) Delete(ctx context.Context, key string) error {
	if *f.fail {
		return errors.New("storage unavailable")
	}
	return f.Store.Delete(ctx, key)
}

func TestPurgeStorageFailureIsRetried(t *testing.T) {
	e := newEnv(t)
	a := e.save(e.file("a.txt", "a"), ln.SaveOptions{Key: "a.txt"})
	e.in.Close()
	fail := true
	opts := e.opts
	opts.Store = func(root string) blob.Store { return failingStore{testbackend.Open(t, root).Store(), &fail} }
	in, err := ln.Open(e.ctx, "test-delete", opts)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := in.Artifacts().UID(a.UID).Delete(e.ctx, ln.DeleteOptions{Permanent: true})
	if !errors.Is(err, ln.ErrIncomplete) || ln.ExitCode(err) != ln.ExitFailure || len(plan.Left) != 1 {
		t.Fatalf("Delete()=%v (left %v), want ErrIncomplete", err, plan.Left)
	}
	if n := must(in.Artifacts().Branch(ln.AllBranches).Count(e.ctx))(t); n != 0 {
		t.Error("row still there")
	}
	r, err := in.Check(e.ctx, ln.CheckOptions{})
	if err != nil || len(r.PendingPurges) != 1 {
		t.Errorf("check: %+v", r)
	}
	in.Close()
	// Storage is back: the next open finishes the purge.
	fail = false
	in, err = ln.Open(e.ctx, "test-delete", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	r, err = in.Check(e.ctx, ln.CheckOptions{})
	if err != nil || !r.OK() {
		t.Errorf("after reopen: %+v", r)
	}
	if e.files.Exists(".lamindb/" + a.UID + ".txt") {
		t.Error("bytes not deleted on reopen")
	}
}

func TestForeignStorageGuard(t *testing.T) {
	e := newEnv(t)
	// A second instance registers a file of its own storage root in place...
	other := &env{t: t, ctx: e.ctx, dir: e.dir, root: testbackend.Root(t, e.dir, "other"), msgs: &messages{},
		opts: ln.Options{Settings: ln.Settings{Dir: filepath.Join(e.dir, "settings2")}}}
	oin, err := ln.Init(e.ctx, ln.InitOptions{Options: other.opts, Storage: other.root, DB: testDB(t)})
	if err != nil {
		t.Fatal(err)
	}
	oin.Close()
	// ...and our instance knows that root as an unmanaged location.
	if _, err := e.in.CreateStorage(e.ctx, other.root); !errors.Is(err, ln.ErrAlreadyManaged) {
		t.Fatalf("registering another instance's root: %v", err)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	e := newEnv(t)
	a := e.save(e.file("a.txt", "a"), ln.SaveOptions{Key: "a.txt"})
	must(e.in.Artifacts().UID(a.UID).Delete(e.ctx, ln.DeleteOptions{}))(t)
	for _, tc := range []struct {
		name string
		run  func() (*ln.Plan, error)
	}{
		{"purge", func() (*ln.Plan, error) {
			return e.in.Artifacts().UID(a.UID).Delete(e.ctx, ln.DeleteOptions{DryRun: true})
		}},
		{"restore", func() (*ln.Plan, error) {
			return e.in.Artifacts().UID(a.UID).Restore(e.ctx, ln.RestoreOptions{DryRun: true})
		}},
		{"bulk purge", func() (*ln.Plan, error) {
			return e.in.Artifacts().Branch(ln.TrashBranch).Delete(e.ctx, ln.DeleteOptions{DryRun: true, Permanent: true})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.run()
			if err != nil || len(p.Records) != 1 || !p.DryRun {
				t.Fatalf("plan %+v %v", p, err)
			}
			if e.get(a.UID).Get("branch_id") != int64(-1) || len(e.managedFiles()) != 1 {
				t.Fatal("dry run changed something")
			}
		})
	}
	e.in.Close() // as a command ends before the next (SQLite in a bucket: one open at a time per machine)
	d, err := ln.DeleteInstance(e.ctx, "test-delete", ln.DeleteInstanceOptions{Options: e.opts, DryRun: true})
	if err != nil || len(d.Blocked) != 1 {
		t.Fatalf("instance dry run: %+v %v", d, err)
	}
}

// failingWrites fails the write of the n-th file.
type failingWrites struct {
	blob.Store
	n, calls *int
}

func (f failingWrites) Put(ctx context.Context, key string, r io.Reader, size int64) (int64, error) {
	*f.calls++
	if *f.calls == *f.n {
		return 0, errors.New("disk full")
	}
	return f.Store.Put(ctx, key, r, size)
}

func TestSaveManyWriteFailure(t *testing.T) {
	e := newEnv(t)
	e.in.Close()
	n, calls := 2, 0
	opts := e.opts
	opts.Store = func(root string) blob.Store { return failingWrites{testbackend.Open(t, root).Store(), &n, &calls} }
	in, err := ln.Open(e.ctx, "test-delete", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var items []ln.SaveItem
	for _, c := range []string{"a", "b", "c"} {
		items = append(items, ln.SaveItem{Path: e.file(c+".txt", c), SaveOptions: ln.SaveOptions{Key: c + ".txt"}})
	}
	_, err = in.SaveMany(e.ctx, items)
	if err == nil || !strings.Contains(err.Error(), "disk full") || ln.ExitCode(err) != ln.ExitFailure {
		t.Fatalf("SaveMany()=%v", err)
	}
	// The first artifact was stored and stays, complete; the others left nothing.
	if n := must(in.Artifacts().Branch(ln.AllBranches).Count(e.ctx))(t); n != 1 {
		t.Errorf("%d rows after a failed write, want 1", n)
	}
	r, err := in.Check(e.ctx, ln.CheckOptions{})
	if err != nil || !r.OK() {
		t.Errorf("check after a failed write: %+v %v", r, err)
	}
}

// One Instance is safe for concurrent use: saves, lists and trashes from several
// goroutines at once.
func TestInstanceConcurrentUse(t *testing.T) {
	e := newEnv(t)
	const n = 16
	paths := make([]string, n)
	for i := range paths {
		paths[i] = e.file(filepath.Join("c", strings.Repeat("x", i+1)), strings.Repeat("y", i+1))
	}
	errs := make(chan error, 3*n)
	done := make(chan struct{})
	for i := 0; i < n; i++ {
		go func(i int) {
			a, err := e.in.Save(e.ctx, paths[i], ln.SaveOptions{Key: "c/" + filepath.Base(paths[i])})
			if err == nil && i%2 == 0 {
				_, err = e.in.Artifacts().UID(a.UID).Delete(e.ctx, ln.DeleteOptions{})
			}
			errs <- err
			_, err = e.in.Artifacts().Limit(0).List(e.ctx)
			errs <- err
			done <- struct{}{}
		}(i)
	}
	for i := 0; i < n; i++ {
		<-done
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := e.count(ln.DefaultBranch) + e.count(ln.TrashBranch); got != n {
		t.Errorf("%d artifacts, want %d", got, n)
	}
	if r, err := e.in.Check(e.ctx, ln.CheckOptions{}); err != nil || !r.OK() {
		t.Errorf("check: %+v %v", r, err)
	}
}

func TestCheckFindsAndRepairs(t *testing.T) {
	e := newEnv(t)
	a := e.save(e.file("a.txt", "a"), ln.SaveOptions{Key: "a.txt"})
	b := e.save(e.file("b.txt", "b"), ln.SaveOptions{Key: "b.txt"})
	orphanKey := ".lamindb/0000000000000000ZZZZ.txt"
	orphan := e.files.Join(orphanKey)
	e.files.Write(orphanKey, "nobody's")
	e.files.Remove(".lamindb/" + b.UID + ".txt")
	r, err := e.in.Check(e.ctx, ln.CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.OrphanFiles) != 1 || r.OrphanFiles[0] != orphan || len(r.MissingBytes) != 1 || !strings.HasPrefix(r.MissingBytes[0], b.UID) || r.OK() {
		t.Fatalf("check: %+v", r)
	}
	// Within the grace period the orphan may be a save in flight: left alone.
	r, err = e.in.Check(e.ctx, ln.CheckOptions{Repair: true})
	if err != nil {
		t.Fatal(err)
	}
	if !e.files.Exists(orphanKey) || !strings.Contains(strings.Join(r.Repaired, "\n"), "within the grace period") {
		t.Errorf("repair touched a young file: %v", r.Repaired)
	}
	// Older than the grace period: quarantined, not deleted.
	r, err = e.in.Check(e.ctx, ln.CheckOptions{Repair: true, Grace: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if e.files.Exists(orphanKey) {
		t.Error("repair left the orphan file")
	}
	if !strings.Contains(strings.Join(r.Repaired, "\n"), "quarantined "+orphan) || len(r.Remaining.Quarantined) != 1 {
		t.Errorf("repair did not report the orphan it quarantined: %v %+v", r.Repaired, r.Remaining)
	}
	r, err = e.in.Check(e.ctx, ln.CheckOptions{EmptyQuarantine: true})
	if err != nil || len(r.Quarantined) != 0 {
		t.Errorf("empty quarantine: %+v %v", r, err)
	}
	// A row without bytes is reported, never deleted: its metadata may be all that is left.
	if e.get(b.UID).UID() != b.UID || e.get(a.UID).UID() != a.UID {
		t.Error("repair deleted rows")
	}
}
