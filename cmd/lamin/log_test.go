package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestLogOutput: `lamin log` prints what printJSON would (no HTML escapes),
// and an output it cannot write (a full disk) is a failure, not exit 0.
func TestLogOutput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.init("inst")
	e.write("a.txt", "a\n")
	u := e.saveUID("a.txt", "--key", "a.txt")
	e.ok("update", "artifact", "--uid", u, "--description", "a<b & c>")

	t.Run("json as printJSON, unescaped", func(t *testing.T) {
		r := e.ok("log", "--json", "--limit", "0")
		var evs []json.RawMessage // keeps each event's field order
		if err := json.Unmarshal([]byte(r.stdout), &evs); err != nil {
			t.Fatalf("log --json: %v\n%s", err, r)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(evs); err != nil {
			t.Fatal(err)
		}
		if r.stdout != want.String() {
			t.Fatalf("log --json is not printJSON's output:\n%s\nwant:\n%s", r.stdout, want.String())
		}
		if !strings.Contains(r.stdout, "a<b & c>") {
			t.Fatalf("the description's change is not in the log as it was written:\n%s", r.stdout)
		}
	})
	for _, format := range []string{"--json", "--csv", ""} {
		t.Run("full disk "+format, func(t *testing.T) {
			full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
			if err != nil {
				t.Skip("no /dev/full here")
			}
			defer full.Close()
			args := []string{"log", "--limit", "0"}
			if format != "" {
				args = append(args, format)
			}
			cmd := exec.Command(laminBin, args...)
			var stderr bytes.Buffer
			cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = e.dir, e.environ(), full, &stderr
			err = cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "no space") {
				t.Fatalf("lamin log to a full disk: %v, want exit 1 naming the full disk; stderr:\n%s", err, stderr.String())
			}
		})
	}
}
