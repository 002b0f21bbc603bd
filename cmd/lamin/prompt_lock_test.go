package main

import (
	"context"
	"strings"
	"testing"

	"github.com/lamindb-go/lamindb/blob/s3"
	"github.com/lamindb-go/lamindb/blob/s3/s3test"
)

// TestNoBucketLockAtThePrompt: on an instance with SQLite in the bucket, a
// writing command holds lamindb's exclusion lock from its open to its close.
// A delete that asks a question must not hold it while a person thinks:
// other writers go on meanwhile, and the delete then acts on what the person
// saw, or changes nothing when it changed (exit 4).
func TestNoBucketLockAtThePrompt(t *testing.T) {
	if postgresBackend() {
		t.Skip("SQLite in the bucket; on PostgreSQL the suite gives every init a database")
	}
	cfg, bucket := s3test.Bucket(t)
	root := "s3://" + bucket + "/inst"
	st, err := s3.New(root, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	e.ok("init", "--storage", root)
	e.write("a.txt", "a\n")
	e.write("b.txt", "b\n")
	a := e.saveUID("a.txt", "--key", "a.txt")
	b := e.saveUID("b.txt", "--key", "b.txt")
	e.ok("delete", "artifact", "--uid", a)
	e.ok("delete", "artifact", "--uid", b)

	t.Run("others write while a person is asked", func(t *testing.T) {
		p := e.start(nil, "delete", "artifact", "--uid", a)
		p.waitFor("(y/n)")
		// Without the fix this waits for the lock until exec gives up (30 s).
		e.write("c.txt", "c\n")
		e.saveUID("c.txt", "--key", "c.txt")
		p.answer("y")
		if r := p.wait(); r.code != 0 {
			t.Fatalf("the delete after the question:\n%s", r)
		}
		if _, err := st.Stat(context.Background(), ".lamindb/"+a+".txt"); err == nil {
			t.Error("the purged artifact's object is still in the bucket")
		}
		if got := uids(e.list("artifact", "--branch", "all")); strings.Contains(strings.Join(got, " "), a) || len(got) != 2 {
			t.Errorf("artifacts after the purge: %v", got)
		}
	})
	t.Run("what the person saw changed", func(t *testing.T) {
		p := e.start(nil, "delete", "artifact", "--uid", b)
		p.waitFor("(y/n)")
		e.ok("restore", "artifact", "--uid", b)
		p.answer("y")
		r := p.wait()
		if r.code != 4 || !strings.Contains(r.stderr, "changed since you were asked") {
			t.Fatalf("want exit 4, changed since asked:\n%s", r)
		}
		if got := uids(e.list("artifact")); !strings.Contains(strings.Join(got, " "), b) {
			t.Errorf("the restored artifact is not on main: %v", got)
		}
		if _, err := st.Stat(context.Background(), ".lamindb/"+b+".txt"); err != nil {
			t.Errorf("the restored artifact's object: %v", err)
		}
	})
	e.ok("check")
}
