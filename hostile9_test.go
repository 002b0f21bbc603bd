package lamindb_test

// Regression tests from the ninth hostile review (PostgreSQL metadata and S3
// storage). They need the test services (scripts/start-postgres,
// scripts/start-s3) and skip without them.

import (
	"context"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ln "github.com/lamindb-go/lamindb"
	"github.com/lamindb-go/lamindb/blob/s3"
	"github.com/lamindb-go/lamindb/blob/s3/s3test"
	"github.com/lamindb-go/lamindb/internal/sqldb"
	"github.com/lamindb-go/lamindb/internal/sqldb/pgtest"
	"github.com/minio/minio-go/v7"
)

// TestHostile9InitRefusesStorageOfLiveInstance: every user is "anonymous"
// until they log in, and the instance name defaults to the storage's last
// component, so two people (or one, with another settings folder) who
// init the same storage with different --db get the same instance uid. The
// marker then matches and init takes it for "a crashed init of this
// instance" (init.go: the merr == nil && m.instanceUID == instUID case has
// no check that no database holds the instance), and builds a second,
// empty instance on the first one's storage. That instance's `lamin check
// --repair` then quarantines every file of the first instance (rows
// without bytes there), and its --empty-quarantine deletes them. (A local
// folder is refused only once it holds files; an S3 location never.)
func TestHostile9InitRefusesStorageOfLiveInstance(t *testing.T) {
	for _, kind := range []string{"local", "s3"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			t.Setenv("LAMIN_CACHE_DIR", filepath.Join(dir, "cache"))
			root := filepath.Join(dir, "shared")
			if kind == "s3" {
				_, bucket := s3test.Bucket(t)
				root = "s3://" + bucket + "/shared"
			}
			first := ln.Options{Settings: ln.Settings{Dir: filepath.Join(dir, "alice")}}
			in1, err := ln.Init(ctx, ln.InitOptions{Options: first, Storage: root, DB: pgtest.NewDatabase(t)})
			if err != nil {
				t.Fatalf("first init: %v", err)
			}
			defer in1.Close()
			second := ln.Options{Settings: ln.Settings{Dir: filepath.Join(dir, "bob")}}
			in2, err := ln.Init(ctx, ln.InitOptions{Options: second, Storage: root, DB: pgtest.NewDatabase(t)})
			if err == nil {
				// Show the damage the second instance does to the first.
				defer in2.Close()
				src := filepath.Join(dir, "data.txt")
				os.WriteFile(src, []byte("precious"), 0o644)
				art, err := in1.Save(ctx, src, ln.SaveOptions{Key: "data.txt"})
				if err != nil {
					t.Fatal(err)
				}
				rep, cerr := in2.Check(ctx, ln.CheckOptions{Repair: true, Grace: ln.NoGrace})
				t.Errorf("a second init of %s (another database) succeeded; its repair reported %+v (%v)", root, rep, cerr)
				if _, err := in1.Path(ctx, art); err != nil {
					t.Errorf("the first instance lost the bytes of %s: %v", art.UID, err)
				}
				return
			}
			if !errors.Is(err, ln.ErrAlreadyManaged) {
				t.Errorf("second init: got %v, want ErrAlreadyManaged", err)
			}
		})
	}
}

// TestHostile9CloudRepairAbortsIncompleteUploads: repairs on S3 pass
// managedDir+"/" (".lamindb/") to Store.AbortUploads, whose checkKey refuses
// a key with an empty segment (repair.go abortUploads). So `lamin check
// --repair` on every S3 instance fails ("invalid storage key: \".lamindb/\"",
// exit 1), the open after a save killed mid-upload says "repairs skipped",
// and incomplete uploads (stored, billed, invisible) are never aborted.
func TestHostile9CloudRepairAbortsIncompleteUploads(t *testing.T) {
	ctx := context.Background()
	cfg, bucket := s3test.Bucket(t)
	root := "s3://" + bucket + "/inst"
	dir := t.TempDir()
	t.Setenv("LAMIN_CACHE_DIR", filepath.Join(dir, "cache"))
	opts := ln.Options{Settings: ln.Settings{Dir: filepath.Join(dir, "settings")}}
	in, err := ln.Init(ctx, ln.InitOptions{Options: opts, Storage: root, DB: pgtest.NewDatabase(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()

	c, err := s3.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	core := minio.Core{Client: c}
	// What a save killed mid-upload leaves: an incomplete upload at a
	// managed key that no row claims.
	if _, err := core.NewMultipartUpload(ctx, bucket, "inst/.lamindb/AAAAAAAAAAAAAAAA0000.bin", minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err := in.Check(ctx, ln.CheckOptions{Repair: true, Grace: ln.NoGrace})
	if err != nil {
		t.Fatalf("check --repair on an S3 instance: %v", err)
	}
	t.Logf("repaired: %v", rep.Repaired)
	for u := range c.ListIncompleteUploads(ctx, bucket, "inst/.lamindb/", true) {
		if u.Err != nil {
			t.Fatal(u.Err)
		}
		t.Errorf("incomplete upload left after the repair: %s (%s)", u.Key, u.UploadID)
	}
}

// TestHostile9PasswordInQueryNotInSettings: libpq and pgx take the password
// also as a query parameter (postgresql://user@host/db?password=…).
// withoutPassword (postgres.go) removes only the userinfo password, so the
// settings files (instance--owner--name.env, current_instance.env) keep
// the password in clear text; `lamin info` redacts it, which hides that.
func TestHostile9PasswordInQueryNotInSettings(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	pw, ok := u.User.Password()
	if !ok {
		pw = os.Getenv("PGPASSWORD")
	}
	if pw == "" {
		t.Skip("the test server needs no password")
	}
	u.User = url.User(u.User.Username())
	q := u.Query()
	q.Set("password", pw)
	u.RawQuery = q.Encode()

	ctx := context.Background()
	dir := t.TempDir()
	t.Setenv("LAMIN_CACHE_DIR", filepath.Join(dir, "cache"))
	opts := ln.Options{Settings: ln.Settings{Dir: filepath.Join(dir, "settings")}}
	in, err := ln.Init(ctx, ln.InitOptions{Options: opts, Storage: filepath.Join(dir, "inst"), DB: u.String()})
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	in.Close()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), pw) {
			t.Errorf("%s holds the password", p)
		}
		return nil
	})
}

// TestHostile9ConcurrentCloudInits: inits of one S3 location by different
// users (so different instance uids) at the same time. initCloud checks
// that no marker is there, then writes its own with a plain Put (no
// If-None-Match), and a failing init's cleanup deletes whatever marker is
// at the key — another init's. Seen with six `lamin init --storage
// s3://b/shared` at once: one printed "initialized lamindb: u5/shared" and
// exited 0 while the bucket held no marker at all, so every later command
// on it exits 3 ("its marker … is missing"); another failed with "the
// folder now holds instance u5/shared". Exactly one init must win, and the
// winner must be usable.
func TestHostile9ConcurrentCloudInits(t *testing.T) {
	ctx := context.Background()
	const n = 6
	dsns := make([]string, n)
	for i := range dsns {
		dsns[i] = pgtest.NewDatabase(t)
	}
	for round := 0; round < 5; round++ {
		_, bucket := s3test.Bucket(t)
		root := "s3://" + bucket + "/shared"
		dir := t.TempDir()
		t.Setenv("LAMIN_CACHE_DIR", filepath.Join(dir, "cache"))
		opts := make([]ln.Options, n)
		for i := range opts {
			opts[i] = ln.Options{Settings: ln.Settings{Dir: filepath.Join(dir, "settings", string(rune('a'+i)))}}
			if _, err := opts[i].Settings.Login("user" + string(rune('a'+i))); err != nil {
				t.Fatal(err)
			}
		}
		errs := make([]error, n)
		done := make(chan int)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			go func(i int) {
				<-start
				in, err := ln.Init(ctx, ln.InitOptions{Options: opts[i], Storage: root, DB: dsns[i]})
				if err == nil {
					in.Close()
				}
				errs[i] = err
				done <- i
			}(i)
		}
		close(start)
		for i := 0; i < n; i++ {
			<-done
		}
		var winners []int
		for i, err := range errs {
			if err == nil {
				winners = append(winners, i)
			}
		}
		if len(winners) != 1 {
			t.Fatalf("round %d: %d inits of %s succeeded, want 1 (errors: %v)", round, len(winners), root, errs)
		}
		w := winners[0]
		in, err := ln.Connect(ctx, "user"+string(rune('a'+w))+"/shared", opts[w])
		if err != nil {
			t.Fatalf("round %d: the init that succeeded left an instance that does not open: %v (errors of the others: %v)", round, err, errs)
		}
		in.Close()
		// The losers' databases are empty again; the winner's is not.
		dsns[w] = pgtest.NewDatabase(t)
	}
}

// TestHostile9CloudDeleteFinishedLeavesNoMarker: an instance deletion on
// S3 that is cut off after its transaction dropped the tables (killed, or
// the S3 service unreachable for the removal after the commit) is finished
// by the next `lamin delete NAME` through forgetInstance, which looks for
// the leftovers with os.ReadDir(filepath.Join("s3://…", ".lamindb"))
// (deleteinstance.go leftoverOnly): never found on S3, so the marker stays
// in the bucket. The deletion is logged as done, and every later init of the
// location by another user is refused: "already managed by instance …" (a
// deleted one).
func TestHostile9CloudDeleteFinishedLeavesNoMarker(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	cfg, bucket := s3test.Bucket(t)
	root := "s3://" + bucket + "/inst"
	dir := t.TempDir()
	t.Setenv("LAMIN_CACHE_DIR", filepath.Join(dir, "cache"))
	opts := ln.Options{Settings: ln.Settings{Dir: filepath.Join(dir, "settings")}}
	in, err := ln.Init(ctx, ln.InitOptions{Options: opts, Storage: root, DB: dsn})
	if err != nil {
		t.Fatal(err)
	}
	in.Close()
	// What the deletion's transaction did before it was cut off.
	db, err := sqldb.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.DropInstance(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := ln.DeleteInstance(ctx, "inst", ln.DeleteInstanceOptions{Options: opts, Force: true}); err != nil {
		t.Fatalf("finishing the deletion: %v", err)
	}
	st, err := s3.New(root, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if es, err := st.List(ctx, ".lamindb"); err != nil || len(es) != 0 {
		t.Errorf("left in the bucket after the deletion was finished: %v %v", es, err)
	}
	other := ln.Options{Settings: ln.Settings{Dir: filepath.Join(dir, "other")}}
	other.Settings.Login("someone")
	in2, err := ln.Init(ctx, ln.InitOptions{Options: other, Storage: root, DB: pgtest.NewDatabase(t)})
	if err != nil {
		t.Errorf("init of the freed location: %v", err)
	} else {
		in2.Close()
	}
}

// TestHostile9CacheServesEditedCopy: `lamin load` of an S3 artifact prints a
// path in the cache, and users write to what they are given. The cache
// takes a copy as fresh when its size matches and the object is not newer
// than the copy's mtime (blob/cache/cache.go Cache.file: `!mod.After(
// fi.ModTime())`); an edit in place keeps the size and makes the copy newer,
// so every later load hands out the edited bytes as the artifact's, with no
// word. The copy's mtime is set to the object's when downloaded: anything
// else means it was changed.
func TestHostile9CacheServesEditedCopy(t *testing.T) {
	c := newCloudEnv(t, "postgres")
	src := c.file("c.txt", "hello\n")
	art := c.save(src, ln.SaveOptions{Key: "c.txt"})
	p, err := c.in.Path(c.ctx, art)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("HELLO\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err = c.in.Path(c.ctx, art)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "hello\n" {
		t.Errorf("load returned %q from the cache, the artifact holds %q", b, "hello\n")
	}
}
