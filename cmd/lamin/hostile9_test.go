package main

// Regression tests from the ninth hostile review (PostgreSQL metadata and S3
// storage), for the command line. They need the test services
// (scripts/start-postgres, scripts/start-s3) and skip without them.

import (
	"regexp"
	"strings"
	"testing"

	"github.com/lamindb-go/lamindb/blob/s3/s3test"
	"github.com/lamindb-go/lamindb/internal/sqldb/pgtest"
)

// brokenURL is an S3 URL whose "//" filepath.Join collapsed.
var brokenURL = regexp.MustCompile(`s3:/[^/]`)

// TestHostile9CloudURLsInPlans: plans and messages name S3 objects by
// filepath.Join(root, key), which turns s3://bucket/… into s3:/bucket/…
// (lifecycle.go PlanFile.Path; deleteinstance.go `dir :=
// filepath.Join(is.StorageRoot, managedDir)`, also in the "contains N
// objects" refusal; the "marker … is missing" message). A user who copies
// the path from `delete --dry-run --json` into aws s3 gets nothing.
func TestHostile9CloudURLsInPlans(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	_, bucket := s3test.Bucket(t)
	e := newEnv(t)
	root := "s3://" + bucket + "/inst"
	e.ok("init", "--storage", root, "--db", dsn)
	e.write("a.txt", "a\n")
	e.ok("save", "a.txt", "--key", "a.txt")
	for _, args := range [][]string{
		{"delete", "artifact", "--key", "a.txt", "--permanent", "--dry-run"},
		{"delete", "artifact", "--key", "a.txt", "--permanent", "--dry-run", "--json"},
		{"delete", "inst", "--dry-run"},
	} {
		r := e.run("", args...)
		if m := brokenURL.FindString(r.stdout + r.stderr); m != "" {
			t.Errorf("lamin %s names an object by a broken URL (%q):\n%s", strings.Join(args, " "), m, r)
		}
	}
}
