package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lamindb-go/lamindb/blob/s3"
	"github.com/lamindb-go/lamindb/blob/s3/s3test"
	"github.com/lamindb-go/lamindb/internal/sqldb/pgtest"
)

// TestCloudCLI: the seed flow through the command line on S3, with
// PostgreSQL and with SQLite in the bucket: init into a bucket, save a table
// and a file, list, load (a path in the cache, with the bytes), trash,
// restore, purge (the object goes), check, and delete the instance (the
// marker goes; PostgreSQL's database stays and the command says so).
func TestCloudCLI(t *testing.T) {
	for _, db := range []string{"postgres", "sqlite"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			if db == "sqlite" && postgresBackend() {
				t.Skip("on PostgreSQL the suite gives every init a database")
			}
			testCloudCLI(t, db)
		})
	}
}

func testCloudCLI(t *testing.T, db string) {
	var dsn string
	initArgs := []string{}
	if db == "postgres" {
		dsn = pgtest.NewDatabase(t)
		initArgs = []string{"--db", dsn}
	}
	cfg, bucket := s3test.Bucket(t)
	root := "s3://" + bucket + "/team"
	st, err := s3.New(root, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	r := e.ok(append([]string{"init", "--storage", root}, initArgs...)...)
	if !strings.Contains(r.stderr, "initialized lamindb: anonymous/team") {
		t.Errorf("init:\n%s", r)
	}
	info := e.ok("info", "--json")
	var is map[string]string
	wantDB := dsn
	if db == "sqlite" {
		wantDB = root + "/.lamindb/lamin.db"
	}
	if err := json.Unmarshal([]byte(info.stdout), &is); err != nil || is["storage_root"] != root || is["db"] != wantDB {
		t.Errorf("info: %v\n%s", err, info)
	}
	e.write("df.csv", seedCSV)
	df := e.saveUID("df.csv", "--dataframe", "--description", "mydf")
	e.write("a.txt", "hello\n")
	a := e.saveUID("a.txt", "--key", "a.txt")
	if got := len(e.list("artifact")); got != 2 {
		t.Fatalf("list: %d artifacts, want 2", got)
	}
	p := strings.TrimSpace(e.ok("load", "artifact", "--uid", a).stdout)
	if b, err := os.ReadFile(p); err != nil || string(b) != "hello\n" || !strings.HasPrefix(p, e.path("cache")) {
		t.Errorf("load: %s %q %v", p, b, err)
	}
	e.ok("delete", "artifact", "--uid", a)
	if got := len(e.list("artifact", "--branch", "trash")); got != 1 {
		t.Fatalf("trash: %d, want 1", got)
	}
	e.ok("restore", "artifact", "--uid", a)
	e.ok("delete", "artifact", "--uid", a, "--permanent")
	if _, err := st.Stat(context.Background(), ".lamindb/"+a+".txt"); err == nil {
		t.Errorf("the purged artifact's object is still in the bucket")
	}
	if _, err := st.Stat(context.Background(), ".lamindb/"+df+".parquet"); err != nil {
		t.Errorf("the table's object: %v", err)
	}
	e.ok("check")
	e.ok("disconnect")
	e.ok("connect", root)
	// Another machine: its own settings and cache. SQLite in the bucket is
	// found by the location; a PostgreSQL instance by its settings file
	// (copied, without a password: PGPASSWORD gives it).
	other := newEnv(t)
	if db == "postgres" {
		b, err := os.ReadFile(filepath.Join(e.settingsDir(), "instance--anonymous--team.env"))
		if err != nil || strings.Contains(string(b), "lamin-test-password") {
			t.Fatalf("the settings file: %v\n%s", err, b)
		}
		os.MkdirAll(other.settingsDir(), 0o755)
		if err := os.WriteFile(filepath.Join(other.settingsDir(), "instance--anonymous--team.env"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		other.ok("connect", "anonymous/team")
	} else {
		other.ok("connect", root)
	}
	if got := uids(other.list("artifact")); len(got) != 1 || got[0] != df {
		t.Errorf("the other machine lists %v, want [%s]", got, df)
	}
	// Refused while .lamindb/ holds the table's object; then it goes.
	r = e.want(4, "delete", "team", "--force")
	if !strings.Contains(r.stderr, "contains 1 objects") {
		t.Errorf("instance delete with an artifact:\n%s", r)
	}
	e.ok("delete", "artifact", "--uid", df, "--permanent")
	r = e.ok("delete", "team", "--force")
	if db == "postgres" && !strings.Contains(r.stderr, "the database itself stays") {
		t.Errorf("instance delete:\n%s", r)
	}
	if es, err := st.List(context.Background(), ".lamindb"); err != nil || len(es) != 0 {
		t.Errorf("objects left in the bucket: %v %v", es, err)
	}
	e.want(3, "info")
}

// TestCloudCLIBadInput: what a user meets when the bucket or the database is
// wrong: clear messages, the documented exit codes, no secret printed, and
// nothing left behind.
func TestCloudCLIBadInput(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	cfg, bucket := s3test.Bucket(t)
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		code int
		msg  string
	}{
		{"missing bucket", nil, []string{"init", "--storage", "s3://" + bucket + "-missing/x", "--db", dsn}, 1, "bucket"},
		{"wrong secret", []string{"AWS_SECRET_ACCESS_KEY=wrong-" + cfg.SecretAccessKey}, []string{"init", "--storage", "s3://" + bucket + "/x", "--db", dsn}, 1, "access denied"},
		{"unreachable endpoint", []string{"AWS_ENDPOINT_URL=http://127.0.0.1:1"}, []string{"init", "--storage", "s3://" + bucket + "/x", "--db", dsn}, 1, "unreachable"},
		{"not a database url", nil, []string{"init", "--storage", e.path("x"), "--db", "mysql://a@b/c"}, 2, "PostgreSQL connection string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.exec(tc.env, "", tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.msg) {
				t.Errorf("want exit %d with %q, got:\n%s", tc.code, tc.msg, r)
			}
			if strings.Contains(r.stderr+r.stdout, cfg.SecretAccessKey) {
				t.Errorf("the secret key was printed:\n%s", r)
			}
		})
	}
	st, err := s3.New("s3://"+bucket+"/x", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if es, err := st.List(context.Background(), ".lamindb"); err != nil || len(es) != 0 {
		t.Errorf("objects left: %v %v", es, err)
	}
	if ents, _ := os.ReadDir(e.settingsDir()); len(ents) != 0 {
		t.Errorf("settings left: %v", ents)
	}
}
