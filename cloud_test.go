package lamindb_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	ln "github.com/lamindb-go/lamindb"
	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/blob/s3"
	"github.com/lamindb-go/lamindb/blob/s3/s3test"
	"github.com/lamindb-go/lamindb/internal/sqldb/pgtest"
)

// cloudEnv is an instance with its default storage in a fresh S3 bucket of
// the test server (versitygw), its metadata in PostgreSQL or (db "sqlite") in
// a SQLite database kept in the bucket, and a store to look into the bucket.
type cloudEnv struct {
	*env
	root  string // s3://bucket/prefix
	store blob.Store
}

func newCloudEnv(t *testing.T, db string) *cloudEnv {
	t.Helper()
	dsn := ""
	if db == "postgres" {
		dsn = pgtest.NewDatabase(t)
	}
	cfg, bucket := s3test.Bucket(t)
	root := "s3://" + bucket + "/inst"
	st, err := s3.New(root, cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Setenv("LAMIN_CACHE_DIR", filepath.Join(dir, "cache"))
	m := &messages{}
	e := &env{t: t, ctx: context.Background(), dir: dir, root: root, msgs: m,
		opts: ln.Options{Settings: ln.Settings{Dir: filepath.Join(dir, "settings")}, Notify: m.notify}}
	in, err := ln.Init(e.ctx, ln.InitOptions{Options: e.opts, Storage: root, DB: dsn})
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	e.in = in
	t.Cleanup(func() { in.Close() })
	return &cloudEnv{env: e, root: root, store: st}
}

// cloudBackends are the metadata stores an instance in object storage can have.
var cloudBackends = []string{"postgres", "sqlite"}

// objects lists the keys below .lamindb/ but the marker and the database.
func (c *cloudEnv) objects() []string {
	c.t.Helper()
	es, err := c.store.List(c.ctx, ".lamindb")
	if err != nil {
		c.t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if e.Key != ".lamindb/storage_uid.txt" && e.Key != ".lamindb/lamin.db" && !strings.HasPrefix(e.Key, ".lamindb/_exclusion/") {
			out = append(out, strings.TrimPrefix(e.Key, ".lamindb/"))
		}
	}
	sort.Strings(out)
	return out
}

// TestCloudLifecycle: the seed flow on S3, with PostgreSQL and with SQLite
// in the bucket: files and a folder go into the bucket under their final keys
// (no staging copies), load back through the cache byte for byte, go to the
// trash and back, and a purge deletes their objects; the check is clean
// throughout, also after the instance is opened again.
func TestCloudLifecycle(t *testing.T) {
	for _, db := range cloudBackends {
		t.Run(db, func(t *testing.T) { testCloudLifecycle(t, db) })
	}
}

func testCloudLifecycle(t *testing.T, db string) {
	c := newCloudEnv(t, db)
	a := c.save(c.file("a.txt", "hello\n"), ln.SaveOptions{Key: "a.txt"})
	d := filepath.Join(c.dir, "src", "raw")
	c.file("raw/x.txt", "x")
	c.file("raw/sub/y.txt", "yy")
	f := c.save(d, ln.SaveOptions{Key: "raw"})
	want := []string{a.UID + ".txt", f.UID[:16] + "/sub/y.txt", f.UID[:16] + "/x.txt"}
	sort.Strings(want)
	if got := strings.Join(c.objects(), " "); got != strings.Join(want, " ") {
		t.Fatalf("objects in the bucket: %s, want %s", got, want)
	}
	if m, err := c.store.Stat(c.ctx, ".lamindb/storage_uid.txt"); err != nil || m.Size == 0 {
		t.Fatalf("the marker in the bucket: %v %v", m, err)
	}
	p, err := c.in.Path(c.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(p); err != nil || string(b) != "hello\n" {
		t.Fatalf("load: %q %v", b, err)
	}
	if !strings.HasPrefix(p, os.Getenv("LAMIN_CACHE_DIR")) {
		t.Errorf("load gave %s, not a copy in the cache", p)
	}
	// The same content again deduplicates to the same artifact.
	if again := c.save(c.file("b.txt", "hello\n"), ln.SaveOptions{Key: "a.txt"}); again.UID != a.UID {
		t.Errorf("dedup: %s, want %s", again.UID, a.UID)
	}
	if _, err := c.in.Artifacts().UID(a.UID).Delete(c.ctx, ln.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := c.count(ln.TrashBranch); n != 1 {
		t.Fatalf("trash holds %d", n)
	}
	if _, err := c.in.Artifacts().UID(a.UID).Restore(c.ctx, ln.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	r, err := c.in.Check(c.ctx, ln.CheckOptions{})
	if err != nil || !r.OK() {
		t.Fatalf("check: %+v %v", r, err)
	}
	// Another command (a fresh open) sees what this one wrote: with SQLite
	// in the bucket, closing uploaded it.
	if err := c.in.Close(); err != nil {
		t.Fatal(err)
	}
	if c.in, err = ln.Open(c.ctx, "", c.opts); err != nil {
		t.Fatal(err)
	}
	if n := c.count(ln.MainBranch); n != 2 {
		t.Fatalf("after reopening: %d artifacts on main, want 2", n)
	}
	for _, name := range []string{"c.txt", "d.txt", "e.txt"} { // a purge of several files deletes them in one batch
		c.save(c.file(name, name), ln.SaveOptions{Key: name})
	}
	if _, err := c.in.Artifacts().Filter("id__gt", 0).Delete(c.ctx, ln.DeleteOptions{Permanent: true, Yes: true}); err != nil {
		t.Fatal(err)
	}
	if objs := c.objects(); len(objs) != 0 {
		t.Errorf("after the purge the bucket still holds %v", objs)
	}
	r, err = c.in.Check(c.ctx, ln.CheckOptions{})
	if err != nil || !r.OK() {
		t.Fatalf("check after the purge: %+v %v", r, err)
	}
}

// TestCloudSaveChangedWhileUploading: a file whose bytes are not the ones
// hashed never appears under its final key: the upload fails before S3
// publishes it, and the row is removed.
func TestCloudSaveChangedWhileUploading(t *testing.T) {
	c := newCloudEnv(t, "postgres")
	p := c.file("a.txt", "0123456789")
	changing := func(root string) blob.Store { return &rewriting{Store: c.store, path: p} }
	in, err := ln.Open(c.ctx, "", ln.Options{Settings: c.opts.Settings, Store: changing})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	_, err = in.Save(c.ctx, p, ln.SaveOptions{Key: "a.txt"})
	if err == nil || !strings.Contains(err.Error(), "changed while it was saved") {
		t.Fatalf("save of a changing file: %v", err)
	}
	if objs := c.objects(); len(objs) != 0 {
		t.Errorf("objects left: %v", objs)
	}
	if n := c.count(ln.AllBranches); n != 0 {
		t.Errorf("%d rows left", n)
	}
}

// rewriting is a store whose Put changes the source file (same size, other
// bytes) before it reads it: what a writer racing a save does.
type rewriting struct {
	blob.Store
	path string
}

func (r *rewriting) Put(ctx context.Context, key string, src io.Reader, size int64) (int64, error) {
	if err := os.WriteFile(r.path, []byte("9876543210"), 0o644); err != nil {
		return 0, err
	}
	return r.Store.Put(ctx, key, src, size)
}

// TestCloudInitRefusals: a missing bucket and wrong credentials are clear
// failures, and nothing is left: no marker, no tables, no settings.
func TestCloudInitRefusals(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	cfg, bucket := s3test.Bucket(t)
	dir := t.TempDir()
	opts := ln.Options{Settings: ln.Settings{Dir: filepath.Join(dir, "settings")}}
	for _, tc := range []struct {
		name, root, env, want string
		class                 error
	}{
		{"missing bucket", "s3://" + bucket + "-nope/inst", "", "bucket", ln.ErrStorage},
		{"wrong credentials", "s3://" + bucket + "/inst", "AWS_SECRET_ACCESS_KEY", "access denied", ln.ErrStorage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv(tc.env, "wrong-"+cfg.SecretAccessKey)
			}
			_, err := ln.Init(context.Background(), ln.InitOptions{Options: opts, Storage: tc.root, DB: dsn})
			if !errors.Is(err, tc.class) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %v containing %q", err, tc.class, tc.want)
			}
			if strings.Contains(err.Error(), cfg.SecretAccessKey) {
				t.Errorf("the secret key is in the message: %v", err)
			}
		})
	}
	st, err := s3.New("s3://"+bucket+"/inst", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if es, err := st.List(context.Background(), ".lamindb"); err != nil || len(es) != 0 {
		t.Errorf("objects left after refused inits: %v %v", es, err)
	}
	if entries, _ := os.ReadDir(opts.Settings.Dir); len(entries) > 0 {
		t.Errorf("settings left: %v", entries)
	}
}

// TestCloudPurgeWhenDeletesFail: a purge whose S3 deletes fail removes the
// rows, keeps the intents and says so (ErrIncomplete, exit 1); the next open
// with S3 answering deletes the objects and clears the intents.
func TestCloudPurgeWhenDeletesFail(t *testing.T) {
	for _, db := range cloudBackends {
		t.Run(db, func(t *testing.T) {
			c := newCloudEnv(t, db)
			for _, name := range []string{"a.txt", "b.txt", "c.txt"} {
				c.save(c.file(name, name), ln.SaveOptions{Key: name})
			}
			if err := c.in.Close(); err != nil {
				t.Fatal(err)
			}
			failing := func(string) blob.Store { return &failingDeletes{Store: c.store} }
			in, err := ln.Open(c.ctx, "", ln.Options{Settings: c.opts.Settings, Store: failing})
			if err != nil {
				t.Fatal(err)
			}
			_, err = in.Artifacts().Filter("key__endswith", ".txt").Delete(c.ctx, ln.DeleteOptions{Permanent: true})
			if !errors.Is(err, ln.ErrIncomplete) {
				t.Fatalf("purge with failing deletes: %v, want ErrIncomplete", err)
			}
			if err := in.Close(); err != nil {
				t.Fatal(err)
			}
			if n := len(c.objects()); n != 3 {
				t.Fatalf("%d objects after the failed deletes, want 3", n)
			}
			if c.in, err = ln.Open(c.ctx, "", c.opts); err != nil {
				t.Fatal(err)
			}
			if objs := c.objects(); len(objs) != 0 {
				t.Errorf("objects left after the resumed purge: %v", objs)
			}
			if n := c.count(ln.AllBranches); n != 0 {
				t.Errorf("%d rows left", n)
			}
			r, err := c.in.Check(c.ctx, ln.CheckOptions{})
			if err != nil || !r.OK() {
				t.Errorf("check: %+v %v", r, err)
			}
		})
	}
}

// failingDeletes is an S3 store whose deletes fail, as a bucket policy or an
// outage can make them.
type failingDeletes struct{ blob.Store }

func (f *failingDeletes) Delete(context.Context, string) error {
	return errors.New("delete refused (test)")
}
func (f *failingDeletes) DeleteMany(context.Context, []string) error {
	return errors.New("delete refused (test)")
}
