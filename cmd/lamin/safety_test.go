package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// record returns one artifact by uid as `lamin get --json` prints it.
func (e *env) record(uid string) map[string]any {
	e.t.Helper()
	r := e.ok("get", "artifact", uid, "--json")
	var rec map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil {
		e.t.Fatalf("get --json: %v\n%s", err, r)
	}
	return rec
}

// auditActions returns the audit log's actions for one uid, newest first.
func (e *env) auditActions(uid string) []string {
	e.t.Helper()
	r := e.ok("log", "--json", "--limit", "0")
	var evs []struct {
		Action string `json:"action"`
		UID    string `json:"uid"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &evs); err != nil {
		e.t.Fatalf("log --json: %v\n%s", err, r)
	}
	out := []string{}
	for _, ev := range evs {
		if ev.UID == uid {
			out = append(out, ev.Action)
		}
	}
	return out
}

// TestChangedSinceAsked: a question is asked with no lock held; whatever the
// answer, the delete then re-reads everything it was about to do, and when
// another process changed it meanwhile it changes nothing (exit 4).
func TestChangedSinceAsked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cmd      []string
		meantime [][]string // run by another process while the question waits
		wantMsg  string
		after    func(t *testing.T, e *env, uids []string)
	}{
		{name: "restored and locked", cmd: []string{"delete", "artifact", "--uid", "$0"},
			meantime: [][]string{{"restore", "artifact", "--uid", "$0"}, {"update", "artifact", "--uid", "$0", "--locked", "true"}},
			wantMsg:  "moved from branch -1 to 1",
			after: func(t *testing.T, e *env, uids []string) {
				rec := e.record(uids[0])
				if rec["branch_id"] != 1.0 || rec["is_locked"] != true {
					t.Errorf("the restored, locked record changed: %v", rec)
				}
			}},
		{name: "purged by another process", cmd: []string{"delete", "artifact", "--uid", "$0"},
			meantime: [][]string{{"delete", "artifact", "--uid", "$0", "--permanent"}},
			wantMsg:  "no longer exists"},
		{name: "one of a set restored", cmd: []string{"delete", "artifact", "--filter", "key__startswith=raw/", "--branch", "trash"},
			meantime: [][]string{{"restore", "artifact", "--uid", "$1"}},
			wantMsg:  "moved from branch -1 to 1",
			after: func(t *testing.T, e *env, uids []string) {
				if n := len(e.list("artifact", "--branch", "all")); n != 4 {
					t.Errorf("%d artifacts left, want all 4", n)
				}
			}},
		{name: "locked while asked", cmd: []string{"delete", "artifact", "--uid", "$0"},
			meantime: [][]string{{"restore", "artifact", "--uid", "$0"}, {"update", "artifact", "--uid", "$0", "--branch", "trash"}, {"update", "artifact", "--uid", "$0", "--locked", "true"}},
			wantMsg:  "locked or unlocked"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, _, raw, _ := bulkEnv(t)
			e.ok("delete", "artifact", "--filter", "key__startswith=raw/")
			sub := func(args []string) []string {
				out := append([]string{}, args...)
				for i, a := range out {
					out[i] = strings.NewReplacer("$0", raw[0], "$1", raw[1]).Replace(a)
				}
				return out
			}
			p := e.start(nil, sub(tc.cmd)...)
			p.waitFor("(y/n)")
			for _, m := range tc.meantime {
				e.ok(sub(m)...)
			}
			p.answer("y")
			r := p.wait()
			if r.code != 4 || !strings.Contains(r.stderr, "changed since you were asked") || !strings.Contains(r.stderr, tc.wantMsg) {
				t.Fatalf("want exit 4, changed since you were asked: %s; got:\n%s", tc.wantMsg, r)
			}
			for _, u := range raw {
				for _, a := range e.auditActions(u) {
					if a == "purge" && tc.name != "purged by another process" {
						t.Errorf("%s was purged: %v", u, e.auditActions(u))
					}
				}
			}
			if tc.after != nil {
				tc.after(t, e, raw)
			}
			checkClean(t, e)
		})
	}
}

// TestInstanceDeleteWhileSaved: an artifact saved while `lamin delete NAME`
// waits at its question is not deleted with the instance.
func TestInstanceDeleteWhileSaved(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := e.init("inst")
	p := e.start(nil, "delete", "inst")
	p.waitFor("(y/n)")
	e.write("late.txt", "saved while the question waited\n")
	u := e.saveUID("late.txt", "--key", "late.txt")
	p.answer("y")
	r := p.wait()
	if r.code != 4 || !strings.Contains(r.stderr, "changed since you were asked") {
		t.Fatalf("want exit 4, changed since you were asked; got:\n%s", r)
	}
	if got := e.record(u); got["uid"] != u {
		t.Fatalf("the late artifact: %v", got)
	}
	if !fileExists(filepath.Join(root, ".lamindb", u+".txt")) {
		t.Error("the late artifact's bytes are gone")
	}
	checkClean(t, e)
}

// TestCtrlC: Ctrl-C at a question cancels (exit 5) and changes nothing;
// Ctrl-C during work stops with exit 130 and leaves what the next open repairs.
func TestCtrlC(t *testing.T) {
	t.Parallel()
	t.Run("at the question", func(t *testing.T) {
		t.Parallel()
		e, _, raw, _ := bulkEnv(t)
		e.ok("delete", "artifact", "--uid", raw[0])
		p := e.start(nil, "delete", "artifact", "--uid", raw[0])
		p.waitFor("(y/n)")
		p.signal(syscall.SIGINT)
		r := p.wait()
		if r.code != 5 {
			t.Fatalf("want exit 5, got:\n%s", r)
		}
		if rec := e.record(raw[0]); rec["branch_id"] != -1.0 {
			t.Errorf("the record changed: %v", rec)
		}
		checkClean(t, e)
	})
	t.Run("during a save", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		root := e.init("inst")
		e.write("big.bin", strings.Repeat("x", 1<<20))
		p := e.holdAt("save-mid-write", "save", "big.bin", "--key", "big.bin")
		p.signal(syscall.SIGINT)
		// Go delivers the signal to its handler asynchronously: let it
		// cancel the work before the held step goes on (the rest of the
		// copy takes less time than that delivery can).
		time.Sleep(300 * time.Millisecond)
		p.release()
		r := p.wait()
		if r.code != 130 || !strings.Contains(r.stderr, "interrupted") {
			t.Fatalf("want exit 130, got:\n%s", r)
		}
		if n := len(e.list("artifact", "--branch", "all")); n != 0 {
			t.Errorf("%d artifacts after an interrupted save", n)
		}
		if got := managedFiles(t, root); len(got) != 0 {
			t.Errorf("bytes left by an interrupted save: %v", got)
		}
		checkClean(t, e)
	})
	// Held mid-write: SIGTERM stops the work as Ctrl-C does (exit 130), and a
	// second Ctrl-C kills at once, while the process still waits at the gate.
	for _, tc := range []struct {
		name    string
		signals []syscall.Signal
		release bool // open the gate after the signals
	}{
		{"SIGTERM stops like Ctrl-C", []syscall.Signal{syscall.SIGTERM}, true},
		{"a second Ctrl-C kills at once", []syscall.Signal{syscall.SIGINT, syscall.SIGINT}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.init("inst")
			e.write("big.bin", strings.Repeat("x", 1<<20))
			p := e.holdAt("save-mid-write", "save", "big.bin", "--key", "big.bin")
			for i, sig := range tc.signals {
				if i > 0 {
					time.Sleep(100 * time.Millisecond) // the first one is handled by then
				}
				p.signal(sig)
			}
			if tc.release {
				time.Sleep(300 * time.Millisecond) // the signal reaches its handler first (see above)
				p.release()
			}
			r := p.wait()
			switch {
			case tc.release && r.code != 130:
				t.Fatalf("want exit 130, got:\n%s", r)
			case !tc.release && r.signal != syscall.SIGINT:
				t.Fatalf("want the process killed by the second SIGINT, got:\n%s", r)
			}
			e.run("", "check", "--repair", "--grace", "0s")
			checkClean(t, e)
		})
	}
}

// waitFile waits until p exists.
func waitFile(t *testing.T, p string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !fileExists(p) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within 20s", p)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRepairWhileSavesLand: `lamin check --repair` reads the rows, then lists
// storage; saves that land in between (the test holds the repair there) look
// unclaimed to the listing, but the repair re-checks inside a write transaction
// before it moves anything, so every save keeps its bytes — even with no grace
// period at all.
func TestRepairWhileSavesLand(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.init("inst")
	p := e.holdAt("check-after-rows", "check", "--repair", "--grace", "0s")
	var saved []string
	for i := range 3 {
		name := fmt.Sprintf("landed%d.txt", i)
		e.write(name, "landed during the repair "+name+"\n")
		saved = append(saved, e.saveUID(name, "--key", name))
	}
	e.write("dir/a.txt", "a")
	saved = append(saved, e.saveUID("dir", "--key", "dir"))
	p.release()
	r := p.wait()
	if strings.Contains(r.stdout, "quarantined") {
		t.Errorf("the repair quarantined bytes of saves that landed:\n%s", r)
	}
	if !strings.Contains(r.stdout, "managed files without rows: 0") || r.code != 0 {
		t.Errorf("the saves that landed were reported as files without rows:\n%s", r)
	}
	for _, u := range saved {
		p := e.loadPath("--uid", u)
		if !fileExists(p) {
			t.Errorf("the bytes of %s are gone: %s", u, p)
		}
	}
	checkClean(t, e)
}
