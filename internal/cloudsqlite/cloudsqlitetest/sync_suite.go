package cloudsqlitetest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/internal/cloudsqlite"
	"github.com/lamindb-go/lamindb/internal/errs"
	"github.com/lamindb-go/lamindb/internal/uid"
)

// machine is one computer's view of an instance: its cache and its locker.
type machine struct {
	t     *testing.T
	s     blob.Store
	cache string
	local string
	user  string
	warn  warnings
}

func newMachine(t *testing.T, s blob.Store, user string) *machine {
	t.Helper()
	cache := t.TempDir()
	local, err := cloudsqlite.LocalPath(cache, s.Root())
	if err != nil {
		t.Fatal(err)
	}
	return &machine{t: t, s: s, cache: cache, local: local, user: user}
}

func (m *machine) open(ctx context.Context, mode cloudsqlite.Mode) (*cloudsqlite.DB, error) {
	opts := cloudsqlite.Options{Store: m.s, Local: m.local, Wait: true, Warn: m.warn.add}
	if mode == cloudsqlite.ReadWrite {
		l, err := cloudsqlite.NewLocker(config(m.s, m.user, filepath.Dir(m.local), m.warn.add))
		if err != nil {
			return nil, err
		}
		opts.Locker = l
	}
	return cloudsqlite.Open(ctx, opts, mode)
}

// write runs a write command: open, change the local copy, push, close.
func (m *machine) write(ctx context.Context, content string) {
	m.t.Helper()
	db, err := m.open(ctx, cloudsqlite.ReadWrite)
	if err != nil {
		m.t.Fatal(err)
	}
	defer db.Close(ctx)
	if err := os.WriteFile(db.Path(), []byte(content), 0o644); err != nil {
		m.t.Fatal(err)
	}
	if err := db.Push(ctx); err != nil {
		m.t.Fatal(err)
	}
}

// readLocal runs a read-only command and returns what it read.
func (m *machine) readLocal(ctx context.Context) string {
	m.t.Helper()
	db, err := m.open(ctx, cloudsqlite.ReadOnly)
	if err != nil {
		m.t.Fatal(err)
	}
	defer db.Close(ctx)
	b, err := os.ReadFile(db.Path())
	if err != nil {
		m.t.Fatal(err)
	}
	return string(b)
}

func wantRemote(t *testing.T, s blob.Store, want string) {
	t.Helper()
	got, err := read(context.Background(), s, cloudsqlite.DBKey)
	if err != nil || got != want {
		t.Fatalf("bucket's copy %q, %v; want %q", got, err, want)
	}
}

func conflicts(t *testing.T, local string) []string {
	t.Helper()
	m, err := filepath.Glob(local + ".conflict-*")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// coarse is a store whose modification times have whole seconds, as S3's
// do; embedding the interface keeps it a blob.Store when the interface grows.
type coarse struct{ blob.Store }

// Stat reports modification times cut to whole seconds.
func (c coarse) Stat(ctx context.Context, key string) (blob.Info, error) {
	info, err := c.Store.Stat(ctx, key)
	info.ModTime = info.ModTime.Truncate(time.Second)
	return info, err
}

// runSyncSuite is the sync half of RunLockerSuite.
func runSyncSuite(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s blob.Store, name string)
	}{
		{"a fresh instance is created locally and pushed whole", func(t *testing.T, s blob.Store, _ string) {
			a := newMachine(t, s, "userAAAA")
			db, err := a.open(ctx, cloudsqlite.ReadWrite)
			if err != nil {
				t.Fatal(err)
			}
			if db.Exists() {
				t.Fatal("a fresh instance has a database")
			}
			want := filepath.Join(a.cache, filepath.FromSlash(strings.TrimPrefix(filepath.ToSlash(s.Root()), "/")), ".lamindb", "lamin.db")
			if i := strings.Index(s.Root(), "://"); i >= 0 {
				want = filepath.Join(a.cache, filepath.FromSlash(s.Root()[i+3:]), ".lamindb", "lamin.db")
			}
			if db.Path() != want {
				t.Fatalf("local copy at %s, want %s", db.Path(), want)
			}
			os.WriteFile(db.Path(), []byte("v1"), 0o644)
			if err := db.Push(ctx); err != nil {
				t.Fatal(err)
			}
			db.Close(ctx)
			wantRemote(t, s, "v1")
			// lamindb's rule: after an upload the local copy has the bucket's time.
			info, _ := s.Stat(ctx, cloudsqlite.DBKey)
			fi, _ := os.Stat(a.local)
			if !fi.ModTime().Equal(info.ModTime) {
				t.Fatalf("local time %v, bucket's %v", fi.ModTime(), info.ModTime)
			}
		}},
		{"another machine downloads, and only when the bucket changed", func(t *testing.T, s blob.Store, _ string) {
			fs := &flaky{Store: s}
			a, b := newMachine(t, s, "userAAAA"), newMachine(t, fs, "userBBBB")
			a.write(ctx, "v1")
			for i, tc := range []struct {
				write     string
				want      string
				downloads int64
			}{
				{"", "v1", 1},
				{"", "v1", 1},
				{"v2 longer", "v2 longer", 2},
				{"", "v2 longer", 2},
			} {
				if tc.write != "" {
					a.write(ctx, tc.write)
				}
				if got := b.readLocal(ctx); got != tc.want {
					t.Fatalf("step %d: read %q, want %q", i, got, tc.want)
				}
				if n := fs.dbOpens.Load(); n != tc.downloads {
					t.Fatalf("step %d: %d downloads, want %d", i, n, tc.downloads)
				}
			}
		}},
		{"read-only commands take no lock and upload nothing", func(t *testing.T, s blob.Store, _ string) {
			fs := &flaky{Store: s}
			a, b := newMachine(t, s, "userAAAA"), newMachine(t, fs, "userBBBB")
			a.write(ctx, "v1")
			held, err := a.open(ctx, cloudsqlite.ReadWrite)
			if err != nil {
				t.Fatal(err)
			}
			defer held.Close(ctx)
			if got := b.readLocal(ctx); got != "v1" {
				t.Fatalf("read %q", got)
			}
			if n := fs.puts.Load(); n != 0 {
				t.Fatalf("a read-only command wrote %d objects", n)
			}
		}},
		{"push refuses a WAL with frames or a rollback journal", func(t *testing.T, s blob.Store, _ string) {
			for _, side := range []string{"-wal", "-journal"} {
				a := newMachine(t, s, "userAAAA")
				db, err := a.open(ctx, cloudsqlite.ReadWrite)
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(db.Path(), []byte("v1"+side), 0o644)
				os.WriteFile(db.Path()+side, []byte("frames"), 0o644)
				if err := db.Push(ctx); !errors.Is(err, cloudsqlite.ErrNotCheckpointed) {
					t.Fatalf("%s: Push()=%v", side, err)
				}
				if got, _ := read(ctx, s, cloudsqlite.DBKey); got == "v1"+side {
					t.Fatalf("%s: uploaded a database whose %s was pending", side, side)
				}
				os.Truncate(db.Path()+side, 0) // what wal_checkpoint(TRUNCATE) and a commit leave
				if err := db.Push(ctx); err != nil {
					t.Fatal(err)
				}
				db.Close(ctx)
				wantRemote(t, s, "v1"+side)
			}
		}},
		{"a command killed with frames in its WAL: the next open uploads nothing until they are checkpointed", func(t *testing.T, s blob.Store, _ string) {
			fs := &flaky{Store: s}
			a := newMachine(t, fs, "userAAAA")
			a.write(ctx, "v1")
			// What the kill left: a commit in the WAL, perhaps half checkpointed.
			os.WriteFile(a.local, []byte("v2 half"), 0o644)
			os.WriteFile(a.local+"-wal", []byte("frames"), 0o644)
			uploads := fs.dbUploads.Load()
			db, err := a.open(ctx, cloudsqlite.ReadWrite)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close(ctx)
			if fs.dbUploads.Load() != uploads {
				t.Fatal("Open uploaded a database with a pending WAL")
			}
			if got, _ := os.ReadFile(db.Path()); string(got) != "v2 half" {
				t.Fatalf("Open replaced the local copy: %q", got)
			}
			if _, err := os.Stat(db.Path() + "-wal"); err != nil {
				t.Fatalf("Open removed the WAL: %v", err)
			}
			// The caller opens SQLite (which replays the WAL) and checkpoints.
			os.WriteFile(db.Path(), []byte("v2 whole"), 0o644)
			os.Truncate(db.Path()+"-wal", 0)
			if err := db.Push(ctx); err != nil {
				t.Fatal(err)
			}
			wantRemote(t, s, "v2 whole")
		}},
		{"a command killed between local commit and upload: the next write uploads", func(t *testing.T, s blob.Store, name string) {
			a := newMachine(t, s, "userAAAA")
			a.write(ctx, "v1")
			cmd := child(t, task{Role: "commit-and-die", Store: name, Cache: a.cache, LocalDir: filepath.Dir(a.local), User: a.user, Content: "v2 committed"})
			cmd.Wait()
			wantRemote(t, s, "v1")
			// A read-only command reads the local commit and says it is pending.
			if got := a.readLocal(ctx); got != "v2 committed" {
				t.Fatalf("read %q", got)
			}
			if !a.warn.has("not uploaded") {
				t.Fatalf("warnings %q", a.warn.msg)
			}
			db, err := a.open(ctx, cloudsqlite.ReadWrite)
			if err != nil {
				t.Fatal(err)
			}
			db.Close(ctx)
			wantRemote(t, s, "v2 committed")
			if !a.warn.has("uploading changes an interrupted write command left") {
				t.Fatalf("warnings %q", a.warn.msg)
			}
		}},
		{"a command killed before upload, then another machine wrote: the local commit is set aside", func(t *testing.T, s blob.Store, name string) {
			a, b := newMachine(t, s, "userAAAA"), newMachine(t, s, "userBBBB")
			a.write(ctx, "v1")
			cmd := child(t, task{Role: "commit-and-die", Store: name, Cache: a.cache, LocalDir: filepath.Dir(a.local), User: a.user, Content: "v2 lost?"})
			cmd.Wait()
			start := time.Now()
			b.write(ctx, "v3 from b") // waits for the dead command's lock to expire
			if d := time.Since(start); d < expire-refresh {
				t.Fatalf("b wrote after %v, before the dead lock expired", d)
			}
			db, err := a.open(ctx, cloudsqlite.ReadWrite)
			if err != nil {
				t.Fatal(err)
			}
			db.Close(ctx)
			wantRemote(t, s, "v3 from b")
			if got, _ := os.ReadFile(a.local); string(got) != "v3 from b" {
				t.Fatalf("local copy %q", got)
			}
			c := conflicts(t, a.local)
			if len(c) != 1 {
				t.Fatalf("conflict copies %q", c)
			}
			if got, _ := os.ReadFile(c[0]); string(got) != "v2 lost?" {
				t.Fatalf("aside copy %q", got)
			}
			if !a.warn.has("kept them at") {
				t.Fatalf("warnings %q", a.warn.msg)
			}
		}},
		{"an upload whose record was cut off is recognized, not set aside", func(t *testing.T, s blob.Store, _ string) {
			a := newMachine(t, s, "userAAAA")
			a.write(ctx, "v1")
			old, err := os.ReadFile(a.local + ".sync")
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(1100 * time.Millisecond) // S3 keeps whole seconds
			a.write(ctx, "v2 uploaded")
			// The kill came after the PUT, before the record of it.
			os.WriteFile(a.local+".sync", old, 0o644)
			os.Chtimes(a.local, time.Now(), time.Now())
			db, err := a.open(ctx, cloudsqlite.ReadWrite)
			if err != nil {
				t.Fatal(err)
			}
			db.Close(ctx)
			if c := conflicts(t, a.local); len(c) != 0 {
				t.Fatalf("conflict copies %q", c)
			}
			if got, _ := os.ReadFile(a.local); string(got) != "v2 uploaded" {
				t.Fatalf("local copy %q", got)
			}
		}},
		{"writes within one second, of one size, are told apart on whole-second storage", func(t *testing.T, s blob.Store, _ string) {
			cs := coarse{s}
			a, b := newMachine(t, cs, "userAAAA"), newMachine(t, cs, "userBBBB")
			a.write(ctx, "v1")
			for i, step := range []struct {
				writer, reader *machine
				content        string
			}{
				{a, b, "v2"}, {a, b, "v3"}, {b, a, "v4"}, {a, b, "v5"},
			} {
				if got := step.reader.readLocal(ctx); i > 0 && got == step.content {
					t.Fatalf("step %d: read %q before it was written", i, got)
				}
				step.writer.write(ctx, step.content)
				if got := step.reader.readLocal(ctx); got != step.content {
					t.Fatalf("step %d: read %q, want %q", i, got, step.content)
				}
			}
		}},
		{"readers and the writer of one machine take turns on the copy", func(t *testing.T, s blob.Store, _ string) {
			a, b := newMachine(t, s, "userAAAA"), newMachine(t, s, "userBBBB")
			a.write(ctx, "v1")
			b.write(ctx, "v2")
			r1, err := a.open(ctx, cloudsqlite.ReadOnly) // downloads v2
			if err != nil {
				t.Fatal(err)
			}
			r2, err := a.open(ctx, cloudsqlite.ReadOnly) // shares it
			if err != nil {
				t.Fatal(err)
			}
			b.write(ctx, "v3")
			opened := make(chan error, 1)
			go func() {
				w, err := a.open(ctx, cloudsqlite.ReadWrite)
				if err == nil {
					w.Close(ctx)
				}
				opened <- err
			}()
			time.Sleep(300 * time.Millisecond)
			if got, _ := os.ReadFile(r1.Path()); string(got) != "v2" {
				t.Fatalf("the copy changed under open readers: %q", got)
			}
			select {
			case err := <-opened:
				t.Fatalf("the writer did not wait for the readers: %v", err)
			default:
			}
			r1.Close(ctx)
			r2.Close(ctx)
			if err := <-opened; err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(a.local); string(got) != "v3" {
				t.Fatalf("local copy %q", got)
			}
		}},
		{"a local copy touched but not changed is no conflict", func(t *testing.T, s blob.Store, _ string) {
			a, b := newMachine(t, s, "userAAAA"), newMachine(t, s, "userBBBB")
			a.write(ctx, "v1")
			b.readLocal(ctx)
			a.write(ctx, "v2")
			later := time.Now().Add(time.Hour)
			os.Chtimes(b.local, later, later)
			if got := b.readLocal(ctx); got != "v2" {
				t.Fatalf("read %q", got)
			}
			if c := conflicts(t, b.local); len(c) != 0 || len(b.warn.msg) != 0 {
				t.Fatalf("conflict copies %q, warnings %q", c, b.warn.msg)
			}
		}},
		{"a fresh instance cut off before its first upload is uploaded by the next write", func(t *testing.T, s blob.Store, _ string) {
			a := newMachine(t, s, "userAAAA")
			db, err := a.open(ctx, cloudsqlite.ReadWrite)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(db.Path(), []byte("v1 init"), 0o644)
			db.Close(ctx) // the kill: no Push
			db, err = a.open(ctx, cloudsqlite.ReadWrite)
			if err != nil {
				t.Fatal(err)
			}
			db.Close(ctx)
			wantRemote(t, s, "v1 init")
		}},
		{"a bucket copy deleted elsewhere stops writers and warns readers", func(t *testing.T, s blob.Store, _ string) {
			a := newMachine(t, s, "userAAAA")
			a.write(ctx, "v1")
			if err := s.Delete(ctx, cloudsqlite.DBKey); err != nil {
				t.Fatal(err)
			}
			_, err := a.open(ctx, cloudsqlite.ReadWrite)
			if !errors.Is(err, errs.ErrNotFound) || !strings.Contains(err.Error(), "Your cached local SQLite file exists, while your cloud SQLite file") {
				t.Fatalf("Open()=%v", err)
			}
			if _, err := s.Stat(ctx, cloudsqlite.DBKey); err == nil {
				t.Fatal("a deleted database was uploaded again")
			}
			if got := a.readLocal(ctx); got != "v1" {
				t.Fatalf("read %q", got)
			}
			if !a.warn.has("SQLite file does not exist in the cloud, but exists locally") {
				t.Fatalf("warnings %q", a.warn.msg)
			}
		}},
		{"push after the lock was lost uploads nothing", func(t *testing.T, s blob.Store, _ string) {
			fs := &flaky{Store: s}
			a := newMachine(t, fs, "userAAAA")
			db, err := a.open(ctx, cloudsqlite.ReadWrite)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close(ctx)
			os.WriteFile(db.Path(), []byte("v1"), 0o644)
			fs.down.Store(true)
			deadline := time.Now().Add(expire)
			for db.Lock().Valid() == nil && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			fs.down.Store(false)
			if err := db.Push(ctx); !errors.Is(err, cloudsqlite.ErrLockLost) {
				t.Fatalf("Push()=%v", err)
			}
			if n := fs.dbUploads.Load(); n != 0 {
				t.Fatalf("%d uploads", n)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // every case has a location of its own
			name := "csq-" + uid.New(10)
			tc.run(t, newStore(t, name), name)
		})
	}
}
