package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lamindb-go/lamindb/internal/fault"
	"github.com/lamindb-go/lamindb/internal/sqldb"
)

// dbCounts reads, straight from an instance's database and without opening the
// instance (which would repair), what a crash left.
type dbCounts struct {
	Artifacts, Storing, Intents int
	Owners                      []string // owners of storing marks and purge intents
}

func readCounts(t *testing.T, root string) dbCounts {
	t.Helper()
	db := openDB(t, root)
	defer db.Close()
	var c dbCounts
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM lamindb_artifact), (SELECT count(*) FROM lamin_storing), (SELECT count(*) FROM lamin_purge_intent)`).
		Scan(&c.Artifacts, &c.Storing, &c.Intents); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT owner FROM lamin_storing UNION ALL SELECT owner FROM lamin_purge_intent`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			t.Fatal(err)
		}
		c.Owners = append(c.Owners, o)
	}
	return c
}

// openDB opens the database of the instance at root as another program
// would: its SQLite file, or the PostgreSQL database env.exec gave it.
func openDB(t *testing.T, root string) *sqldb.DB {
	t.Helper()
	var db *sqldb.DB
	var err error
	if dsn, ok := pgDatabases.Load(root); ok {
		db, err = sqldb.OpenPostgres(context.Background(), dsn.(string))
	} else {
		db, err = sqldb.OpenSQLite(context.Background(), filepath.Join(root, ".lamindb", "lamin.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// setOwners rewrites the owner of every storing mark and purge intent.
func setOwners(t *testing.T, root, owner string) {
	t.Helper()
	db := openDB(t, root)
	defer db.Close()
	for _, table := range []string{"lamin_storing", "lamin_purge_intent"} {
		if _, err := db.Exec(`UPDATE `+table+` SET owner = ?`, owner); err != nil {
			t.Fatal(err)
		}
	}
}

// liveOwner is how lamin names this (live) test process in marks and intents:
// host:pid:start time from /proc:boot id:pid namespace.
func liveOwner(t *testing.T) string {
	t.Helper()
	host, _ := os.Hostname()
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	boot, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	ns, _ := os.Readlink("/proc/self/ns/pid")
	return fmt.Sprintf("%s:%d:%s:%s:%s", host, os.Getpid(), f[19], strings.TrimSpace(string(boot)), strings.Trim(strings.TrimPrefix(ns, "pid:"), "[]"))
}

// cleanCheck is what `lamin check` prints for a consistent instance.
const cleanCheck = "rows without bytes: 0\nbytes of the wrong size: 0\nmanaged files without rows: 0\nstale storing marks: 0\npending purges: 0\ndatabase problems: 0\n"

// checkClean runs `lamin check` and wants it to find nothing.
func checkClean(t *testing.T, e *env) {
	t.Helper()
	r := e.run("", "check")
	want := cleanCheck
	if r.code != 0 || r.stdout != want {
		t.Errorf("lamin check after the crash: want exit 0 and\n%s\ngot:\n%s", want, r)
	}
}

// TestCrashSafety kills lamin (LAMIN_FAULT makes it SIGKILL itself) at each
// fault point of save and purge, and checks that the next open repairs the
// instance to a consistent state: every row has its bytes, no managed file
// lacks its row, no marks or intents remain.
func TestCrashSafety(t *testing.T) {
	t.Parallel()
	tests := []struct {
		point string
		purge bool // the crash is in a bulk purge of three artifacts, else in a save
		// for saves: whether the artifact exists after the repair (the save completed)
		saved bool
		// what the crash leaves before any reopen
		storing, intents, filesLeft int
	}{
		{point: fault.SaveAfterInsert, saved: false, storing: 1},
		{point: fault.SaveMidWrite, saved: false, storing: 1},
		{point: fault.SaveAfterWrite, saved: false, storing: 1},
		{point: fault.SaveAfterRename, saved: true, storing: 1},
		{point: fault.PurgeAfterCommit, purge: true, intents: 3, filesLeft: 3},
		{point: fault.PurgeMidDelete, purge: true, intents: 3, filesLeft: 2},
	}
	for _, tc := range tests {
		t.Run(string(tc.point), func(t *testing.T) {
			t.Parallel()
			e, root, raw, other := bulkEnv(t)
			faultEnv := []string{"LAMIN_FAULT=" + tc.point}
			var r result
			if tc.purge {
				e.ok("delete", "artifact", "--filter", "key__startswith=raw/")
				r = e.exec(faultEnv, "", "delete", "artifact", "--filter", "key__startswith=raw/", "--branch", "trash", "--yes")
			} else {
				e.write("new.txt", "new content\n")
				r = e.exec(faultEnv, "", "save", "new.txt", "--key", "new/new.txt")
			}
			if r.signal != syscall.SIGKILL {
				t.Fatalf("want the process killed by SIGKILL at %s, got:\n%s", tc.point, r)
			}
			c := readCounts(t, root)
			if c.Storing != tc.storing || c.Intents != tc.intents {
				t.Errorf("before the reopen: %d storing marks and %d purge intents, want %d and %d", c.Storing, c.Intents, tc.storing, tc.intents)
			}
			if tc.purge {
				if c.Artifacts != 1 {
					t.Errorf("the purge committed, want 1 row left before the reopen, got %d", c.Artifacts)
				}
				if got := len(managedFiles(t, root)); got != 1+tc.filesLeft {
					t.Errorf("before the reopen: %d managed files, want %d", got, 1+tc.filesLeft)
				}
			}

			// The next command opens the instance and repairs.
			checkClean(t, e)
			c = readCounts(t, root)
			if c.Storing != 0 || c.Intents != 0 {
				t.Errorf("after the reopen: %d storing marks and %d purge intents remain", c.Storing, c.Intents)
			}
			want := append([]string{}, raw...)
			want = append(want, other)
			if tc.purge {
				want = []string{other}
			}
			var newUID string
			if tc.saved {
				recs := e.list("artifact", "--filter", "key=new/new.txt")
				if len(recs) != 1 {
					t.Fatalf("after %s the save must be completed, found %d artifacts with its key", tc.point, len(recs))
				}
				newUID = recs[0]["uid"].(string)
				want = append(want, newUID)
				p := e.loadPath("--uid", newUID)
				if b, err := os.ReadFile(p); err != nil || string(b) != "new content\n" {
					t.Errorf("the completed save's bytes: %q, %v", b, err)
				}
			}
			if got := uids(e.list("artifact", "--branch", "all", "--order", "id")); !cmp.Equal(got, want) {
				t.Errorf("artifacts after the repair: %v, want %v", got, want)
			}
			var wantFiles []string
			for _, u := range want {
				suffix := ".txt"
				wantFiles = append(wantFiles, u+suffix)
			}
			gotFiles := managedFiles(t, root)
			if !cmp.Equal(slices.Sorted(slices.Values(gotFiles)), slices.Sorted(slices.Values(wantFiles))) {
				t.Errorf("managed files after the repair: %v, want %v", gotFiles, wantFiles)
			}
		})
	}
}

// TestRepairSparesLiveProcesses: a storing mark or purge intent whose owner is
// a live process (here: this test process, whose name we write into the marks a
// crashed lamin left) is not touched by the repair on open nor by
// `lamin check --repair`; once the owner is dead again, the next open repairs.
func TestRepairSparesLiveProcesses(t *testing.T) {
	t.Parallel()
	live := liveOwner(t)

	t.Run("storing mark", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		root := e.init("inst")
		e.write("new.txt", "new\n")
		e.killAt(fault.SaveAfterInsert, "save", "new.txt", "--key", "new.txt")
		dead := readCounts(t, root).Owners
		if len(dead) != 1 {
			t.Fatalf("want one storing mark, got owners %v", dead)
		}
		setOwners(t, root, live)
		for _, args := range [][]string{{"list", "artifact"}, {"check"}, {"check", "--repair"}} {
			r := e.ok(args...)
			if c := readCounts(t, root); c.Storing != 1 || c.Artifacts != 1 {
				t.Fatalf("lamin %v touched the live save: %+v\n%s", args, c, r)
			}
			if strings.Contains(r.stdout, "stale storing marks: 1") {
				t.Errorf("lamin %v calls a live process's mark stale:\n%s", args, r)
			}
		}
		setOwners(t, root, dead[0])
		checkClean(t, e)
		if c := readCounts(t, root); c.Storing != 0 || c.Artifacts != 0 {
			t.Errorf("the dead save was not undone: %+v", c)
		}
	})

	// crashedPurge leaves three purge intents of a killed lamin, rewritten to
	// be owned by this live process; it returns the dead owner.
	crashedPurge := func(t *testing.T) (*env, string, string) {
		e, root, _, _ := bulkEnv(t)
		e.killAt(fault.PurgeAfterCommit, "delete", "artifact", "--filter", "key__startswith=raw/", "--permanent")
		dead := readCounts(t, root).Owners
		if len(dead) != 3 {
			t.Fatalf("want three purge intents, got owners %v", dead)
		}
		setOwners(t, root, live)
		return e, root, dead[0]
	}

	t.Run("purge intent", func(t *testing.T) {
		t.Parallel()
		e, root, dead := crashedPurge(t)
		for _, args := range [][]string{{"list", "artifact"}, {"get", "artifact", "--key", "keep/o.txt"}} {
			e.ok(args...)
			if c := readCounts(t, root); c.Intents != 3 || len(managedFiles(t, root)) != 4 {
				t.Fatalf("lamin %v touched the live purge: %+v, files %v", args, c, managedFiles(t, root))
			}
		}
		setOwners(t, root, dead)
		checkClean(t, e)
		if got := managedFiles(t, root); len(got) != 1 {
			t.Errorf("after the dead purge is resumed, want 1 managed file, got %v", got)
		}
	})

	t.Run("purge intent, check --repair", func(t *testing.T) {
		t.Parallel()
		e, root, _ := crashedPurge(t)
		e.run("", "check", "--repair")
		if c := readCounts(t, root); c.Intents != 3 || len(managedFiles(t, root)) != 4 {
			t.Fatalf("`lamin check --repair` touched a live process's purge: left %+v, files %v", c, managedFiles(t, root))
		}
	})
}
