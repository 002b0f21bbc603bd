package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGetByKeySkipsTrash: by uid or stem a record is found on any branch; by
// key on main only (lamindb's Artifact.get(key=…) raises DoesNotExist).
func TestGetByKeySkipsTrash(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.init("inst")
	e.write("df.csv", seedCSV)
	u := e.saveUID("df.csv", "--dataframe", "--key", "example_datasets/df.parquet", "--description", "seed df")
	e.ok("delete", "artifact", "--uid", u)
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"uid", []string{"get", "artifact", u}, 0},
		{"uid flag", []string{"get", "artifact", "--uid", u}, 0},
		{"stem", []string{"get", "artifact", u[:16]}, 0},
		{"key of trashed", []string{"get", "artifact", "--key", "example_datasets/df.parquet"}, 3},
		{"load by key reaches trash", []string{"load", "artifact", "--key", "example_datasets/df.parquet"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.run("", tc.args...)
			if r.code != tc.code {
				t.Errorf("want exit %d, got:\n%s", tc.code, r)
			}
		})
	}
	r := e.want(3, "get", "artifact", "--key", "example_datasets/df.parquet")
	if !strings.Contains(r.stderr, "Artifact matching query does not exist.") {
		t.Errorf("want lamindb's DoesNotExist message, got:\n%s", r)
	}
}

// TestConfirmSingle covers the rules for one record: the first delete trashes
// without asking, deleting a trashed record asks, --permanent never asks.
func TestConfirmSingle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		trashed  bool // trash the artifact first
		args     []string
		stdin    string
		code     int
		prompts  int
		remains  bool // the row still exists afterwards
		branchID float64
	}{
		{name: "first delete trashes", args: []string{"--uid", "U"}, code: 0, prompts: 0, remains: true, branchID: -1},
		{name: "trashed, answer y", trashed: true, args: []string{"--uid", "U"}, stdin: "y\n", code: 0, prompts: 1},
		{name: "trashed, answer yes is not y", trashed: true, args: []string{"--uid", "U"}, stdin: "yes\n", code: 5, prompts: 1, remains: true, branchID: -1},
		{name: "trashed, answer n", trashed: true, args: []string{"--uid", "U"}, stdin: "n\n", code: 5, prompts: 1, remains: true, branchID: -1},
		{name: "trashed, end of input", trashed: true, args: []string{"--uid", "U"}, stdin: "", code: 5, prompts: 1, remains: true, branchID: -1},
		{name: "trashed, by key", trashed: true, args: []string{"--key", "raw/a.csv"}, stdin: "y\n", code: 0, prompts: 1},
		{name: "trashed, --permanent", trashed: true, args: []string{"--uid", "U", "--permanent"}, code: 0, prompts: 0},
		{name: "main, --permanent", args: []string{"--uid", "U", "--permanent"}, code: 0, prompts: 0},
		{name: "trashed, --yes", trashed: true, args: []string{"--uid", "U", "--yes"}, code: 0, prompts: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			root := e.init("inst")
			e.write("a.csv", "x,y\n1,2\n")
			u := e.saveUID("a.csv", "--key", "raw/a.csv")
			if tc.trashed {
				e.ok("delete", "artifact", "--uid", u)
			}
			args := []string{"delete", "artifact"}
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "U", u))
			}
			r := e.run(tc.stdin, args...)
			if r.code != tc.code {
				t.Errorf("want exit %d, got:\n%s", tc.code, r)
			}
			if got := countPrompts(r.stderr); got != tc.prompts {
				t.Errorf("want %d prompts on stderr, got %d:\n%s", tc.prompts, got, r)
			}
			if tc.prompts > 0 {
				want := fmt.Sprintf("Artifact %s is already in trash! Are you sure you want to delete it from your database? You can't undo this action. (y/n) ", u)
				if !strings.Contains(r.stderr, want) {
					t.Errorf("want prompt %q, got:\n%s", want, r.stderr)
				}
			}
			if tc.code == 5 && !strings.Contains(r.stderr, "nothing was deleted") {
				t.Errorf("a cancel must say nothing changed:\n%s", r.stderr)
			}
			file := filepath.Join(root, ".lamindb", u+".csv")
			g := e.run("", "get", "artifact", "--json", u)
			if !tc.remains {
				if g.code != 3 {
					t.Errorf("want the row gone (get exit 3), got:\n%s", g)
				}
				if fileExists(file) {
					t.Errorf("the file %s outlived its row", file)
				}
				return
			}
			if g.code != 0 {
				t.Fatalf("want the row kept (get exit 0), got:\n%s", g)
			}
			var rec map[string]any
			if err := json.Unmarshal([]byte(g.stdout), &rec); err != nil {
				t.Fatal(err)
			}
			if rec["branch_id"] != tc.branchID {
				t.Errorf("branch_id = %v, want %v", rec["branch_id"], tc.branchID)
			}
			if !fileExists(file) {
				t.Errorf("the file %s is gone but its row remains", file)
			}
		})
	}
}

// bulkEnv is an instance with three artifacts under raw/ and one other.
func bulkEnv(t *testing.T) (e *env, root string, raw []string, other string) {
	e = newEnv(t)
	root = e.init("inst")
	for i := range 3 {
		e.write(fmt.Sprintf("f%d.txt", i), fmt.Sprintf("content %d\n", i))
		raw = append(raw, e.saveUID(fmt.Sprintf("f%d.txt", i), "--key", fmt.Sprintf("raw/f%d.txt", i)))
	}
	e.write("o.txt", "other\n")
	other = e.saveUID("o.txt", "--key", "keep/o.txt")
	return e, root, raw, other
}

// TestBulkTrashAndPurge: bulk trash never asks; a bulk purge asks once for the
// whole set; --yes answers it.
func TestBulkTrashAndPurge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		extra   []string
		stdin   string
		code    int
		prompts int
		purged  bool
	}{
		{name: "answer y", stdin: "y\n", code: 0, prompts: 1, purged: true},
		{name: "answer n", stdin: "n\n", code: 5, prompts: 1},
		{name: "end of input", code: 5, prompts: 1},
		{name: "--yes", extra: []string{"--yes"}, code: 0, prompts: 0, purged: true},
		{name: "--permanent", extra: []string{"--permanent"}, code: 0, prompts: 0, purged: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, root, raw, other := bulkEnv(t)
			r := e.ok("delete", "artifact", "--filter", "key__startswith=raw/")
			if n := countPrompts(r.stderr); n != 0 {
				t.Errorf("bulk trash must not ask, asked %d times:\n%s", n, r)
			}
			if got := uids(e.list("artifact", "--branch", "trash", "--order", "id")); !cmp.Equal(got, raw) {
				t.Fatalf("trash holds %v, want %v", got, raw)
			}
			args := append([]string{"delete", "artifact", "--filter", "key__startswith=raw/", "--branch", "trash"}, tc.extra...)
			r = e.run(tc.stdin, args...)
			if r.code != tc.code {
				t.Errorf("want exit %d, got:\n%s", tc.code, r)
			}
			if n := countPrompts(r.stderr); n != tc.prompts {
				t.Errorf("want %d prompt(s), got %d:\n%s", tc.prompts, n, r)
			}
			if tc.prompts == 1 && !strings.Contains(r.stderr, "3 Artifact records") {
				t.Errorf("the bulk prompt must show the count:\n%s", r.stderr)
			}
			wantTrash := raw
			if tc.purged {
				wantTrash = []string{}
			}
			if got := uids(e.list("artifact", "--branch", "trash", "--order", "id")); !cmp.Equal(got, wantTrash) {
				t.Errorf("trash holds %v, want %v", got, wantTrash)
			}
			if got := uids(e.list("artifact")); !cmp.Equal(got, []string{other}) {
				t.Errorf("main holds %v, want only %v", got, other)
			}
			for _, u := range raw {
				if p := filepath.Join(root, ".lamindb", u+".txt"); fileExists(p) == tc.purged {
					t.Errorf("file %s exists=%v after purged=%v", p, fileExists(p), tc.purged)
				}
			}
		})
	}
}

// TestDryRun: every destructive command with --dry-run changes nothing and
// reports records, files and bytes.
func TestDryRun(t *testing.T) {
	t.Parallel()
	e, _, raw, _ := bulkEnv(t)
	e.ok("delete", "artifact", "--uid", raw[2]) // one trashed, for the restore and purge cases
	tests := []struct {
		name    string
		args    []string
		records int
		files   int
	}{
		{"trash by filter", []string{"delete", "artifact", "--filter", "key__startswith=raw/"}, 2, 0},
		{"purge by filter", []string{"delete", "artifact", "--filter", "key__startswith=raw/", "--permanent"}, 2, 2},
		{"purge trash", []string{"delete", "artifact", "--filter", "key__startswith=raw/", "--branch", "trash"}, 1, 1},
		{"purge all", []string{"delete", "artifact", "--filter", "key__startswith=raw/", "--branch", "all", "--permanent"}, 3, 3},
		{"purge trashed by uid", []string{"delete", "artifact", "--uid", raw[2]}, 1, 1},
		{"restore by filter", []string{"restore", "artifact", "--filter", "key__startswith=raw/"}, 1, 0},
	}
	before := e.list("artifact", "--branch", "all")
	for _, tc := range tests {
		t.Run(tc.name+"/table", func(t *testing.T) {
			r := e.ok(append(tc.args, "--dry-run")...)
			if n := countPrompts(r.stderr); n != 0 {
				t.Errorf("a dry run must not ask:\n%s", r)
			}
			if !strings.Contains(r.stdout, fmt.Sprintf("dry run: %d records", tc.records)) || !strings.Contains(r.stdout, "nothing changed") {
				t.Errorf("want a summary of %d records and 'nothing changed':\n%s", tc.records, r)
			}
		})
		t.Run(tc.name+"/json", func(t *testing.T) {
			r := e.ok(append(tc.args, "--dry-run", "--json")...)
			var plan struct {
				DryRun  bool              `json:"dry_run"`
				Records []json.RawMessage `json:"records"`
				Files   []struct {
					Path   string `json:"path"`
					Bytes  int64  `json:"bytes"`
					Action string `json:"action"`
				} `json:"files"`
				Bytes *int64 `json:"bytes"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil {
				t.Fatalf("dry run --json: %v\n%s", err, r)
			}
			if !plan.DryRun || len(plan.Records) != tc.records || plan.Bytes == nil {
				t.Errorf("want dry_run true, %d records and bytes; got %+v\n%s", tc.records, plan, r.stdout)
			}
			var sum int64
			deletes := 0
			for _, f := range plan.Files {
				if f.Action == "delete" {
					deletes++
					sum += f.Bytes
				}
			}
			if deletes != tc.files || *plan.Bytes != sum {
				t.Errorf("want %d files to delete with bytes %d = sum of files %d:\n%s", tc.files, *plan.Bytes, sum, r.stdout)
			}
		})
	}
	if diff := cmp.Diff(before, e.list("artifact", "--branch", "all")); diff != "" {
		t.Errorf("dry runs changed the records (-before +after):\n%s", diff)
	}
}

// TestRestoreByFilterSearchesTrash: restore --filter looks in the trash unless
// --branch says otherwise.
func TestRestoreByFilterSearchesTrash(t *testing.T) {
	t.Parallel()
	e, _, raw, other := bulkEnv(t)
	e.ok("delete", "artifact", "--filter", "key__startswith=raw/")
	if got := uids(e.list("artifact")); !cmp.Equal(got, []string{other}) {
		t.Fatalf("main holds %v after bulk trash", got)
	}
	r := e.ok("restore", "artifact", "--filter", "key__startswith=raw/")
	if n := countPrompts(r.stderr); n != 0 {
		t.Errorf("restore must not ask:\n%s", r)
	}
	if got := e.list("artifact", "--branch", "trash"); len(got) != 0 {
		t.Errorf("trash still holds %v", uids(got))
	}
	want := append([]string{other}, raw[2], raw[1], raw[0])
	if got := uids(e.list("artifact", "--order", "-id")); !cmp.Equal(got, want) {
		t.Errorf("main holds %v, want %v", got, want)
	}
}

// TestDryRunCountsLinkRows: the dry run of a purge counts the link rows it
// cascades per table instead of listing each (an artifact may have thousands).
func TestDryRunCountsLinkRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.init("root")
	a := e.saveUID(e.write("a.txt", "a"), "--key", "a.txt")
	b := e.saveUID(e.write("b.txt", "b"), "--key", "b.txt")
	e.ok("create", "collection", "--key", "c", "--artifact", a, "--artifact", b)
	r := e.ok("delete", "collection", "--key", "c", "--permanent", "--dry-run")
	if !regexp.MustCompile(`cascade\s+lamindb_collectionartifact\s+2 rows`).MatchString(r.stdout) {
		t.Errorf("want the 2 collection links counted:\n%s", r)
	}
	if !strings.Contains(r.stdout, "dry run: 1 records, 2 cascaded rows") {
		t.Errorf("want the summary to count both rows:\n%s", r)
	}
}
