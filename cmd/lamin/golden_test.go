package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.golden from the current output")

// transcript records commands, their output and exit codes, masked so that it
// is the same on every run: temp paths, uids, timestamps and table padding.
type transcript struct {
	e     *env
	b     strings.Builder
	known []string          // uids registered explicitly, masked even if the heuristic misses them
	names map[string]string // uid → placeholder, in order of first appearance
}

func newTranscript(e *env) *transcript {
	return &transcript{e: e, names: map[string]string{}}
}

// uid registers a uid to mask.
func (tr *transcript) uid(u ...string) { tr.known = append(tr.known, u...) }

// note adds a comment line.
func (tr *transcript) note(format string, args ...any) {
	fmt.Fprintf(&tr.b, "# %s\n", fmt.Sprintf(format, args...))
}

// run runs lamin, records the command and its output, and checks the exit code.
func (tr *transcript) run(wantCode int, stdin string, args ...string) result {
	tr.e.t.Helper()
	r := tr.e.run(stdin, args...)
	if r.code != wantCode {
		tr.e.t.Errorf("want exit %d, got:\n%s", wantCode, r)
	}
	tr.record(r, stdin)
	return r
}

func (tr *transcript) record(r result, stdin string) {
	fmt.Fprintf(&tr.b, "$ lamin %s\n", strings.Join(r.args, " "))
	if stdin != "" {
		fmt.Fprintf(&tr.b, "<<< %q\n", stdin)
	}
	if r.stdout != "" {
		tr.b.WriteString("--- stdout\n")
		tr.b.WriteString(withNewline(r.stdout))
	}
	if r.stderr != "" {
		tr.b.WriteString("--- stderr\n")
		tr.b.WriteString(withNewline(r.stderr))
	}
	fmt.Fprintf(&tr.b, "[exit %d]\n\n", r.code)
}

func withNewline(s string) string {
	if strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

var (
	// uidToken finds base62 tokens of the lengths lamindb's uids have.
	uidToken  = regexp.MustCompile(`[0-9A-Za-z]+`)
	timestamp = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00|Z| UTC)?`)
	padding   = regexp.MustCompile(`  +`)
	// pgDropped is the line only a PostgreSQL instance's deletion prints: the
	// transcripts, one per flow, hold what every backend prints.
	pgDropped = regexp.MustCompile(`(?m)^→ dropped the instance's tables from the PostgreSQL database .*\n`)
)

// looksLikeUID tells a generated uid from an English word of the same length:
// generated uids of these lengths contain a digit or an inner capital letter.
func looksLikeUID(s string) bool {
	switch len(s) {
	case 20, 16, 12, 8:
	default:
		return false
	}
	return strings.ContainsAny(s, "0123456789") || strings.ContainsAny(s[1:], "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
}

// mask makes text independent of the run.
func (tr *transcript) mask(s string) string {
	s = strings.ReplaceAll(s, tr.e.dir, "<dir>")
	if postgresBackend() {
		s = pgDropped.ReplaceAllString(s, "")
	}
	known := map[string]bool{}
	for _, u := range tr.known {
		known[u] = true
	}
	s = uidToken.ReplaceAllStringFunc(s, func(tok string) string {
		if !known[tok] && !looksLikeUID(tok) {
			return tok
		}
		name, ok := tr.names[tok]
		if !ok {
			name = fmt.Sprintf("<uid%d>", len(tr.names)+1)
			tr.names[tok] = name
		}
		return name
	})
	s = timestamp.ReplaceAllString(s, "<time>")
	// Column widths depend on the masked values: keep the columns, not the padding.
	return padding.ReplaceAllString(s, "  ")
}

// text is the masked transcript.
func (tr *transcript) text() string { return tr.mask(tr.b.String()) }

// checkGolden compares the masked transcript with testdata/golden/<name>.golden,
// or rewrites that file with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./cmd/lamin -run Golden -update` to create it)", err)
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
		t.Errorf("transcript differs from %s (-want +got); if the change is intended, run `go test ./cmd/lamin -run Golden -update`:\n%s", path, diff)
	}
}

// inOrder checks that each pattern matches a line of text, each after the
// line the previous one matched.
func inOrder(t *testing.T, text string, patterns []string) {
	t.Helper()
	lines := strings.Split(text, "\n")
	i := 0
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		found := false
		for ; i < len(lines); i++ {
			if re.MatchString(lines[i]) {
				found = true
				i++
				break
			}
		}
		if !found {
			t.Errorf("no line matching %q after the previous step; output:\n%s", p, text)
			return
		}
	}
}

// emptyArtifactHeader is the header of an empty artifact list, as an empty
// lamindb DataFrame prints it (uid first, then id).
const emptyArtifactHeader = "uid id key description suffix kind otype size hash n_files n_observations extra_data version_tag is_latest is_locked created_at branch_id created_on_id space_id storage_id run_id schema_id created_by_id"

// spacedLine matches a table line whose cells are words, separated by runs of spaces.
func spacedLine(words string) string {
	return `^` + strings.Join(strings.Fields(regexp.QuoteMeta(words)), ` +`) + ` *$`
}

func TestGoldenDemo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	demoDir := e.path("demo")
	if err := os.Mkdir(demoDir, 0o755); err != nil {
		t.Fatal(err)
	}
	tr := newTranscript(e)
	r := tr.run(0, "", "demo", "--dir", demoDir)
	out := r.stdout + r.stderr

	const art = `Artifact\(uid='[0-9A-Za-z]{16}0000', version=None, is_latest=True, key=None, description='mydf', suffix='\.parquet', kind='dataset', otype='DataFrame', size=\d+, hash='[-_0-9A-Za-z]{22}', n_files=None, n_observations=2, `
	inOrder(t, out, []string{
		`^→ initialized lamindb: anonymous/test-delete$`,
		"^! no run & transform got linked, call `ln.track\\(\\)` & re-run$",
		`^` + art + `branch_id=1, space_id=1, storage_id=1, run_id=None, schema_id=None, created_by_id=1, created_at=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, is_locked=False\)$`,
		`^! moved record to trash \(branch_id = -1\): ` + art + `branch_id=-1, `,
		spacedLine(emptyArtifactHeader), // no longer visible
		`^\$ lamin list artifact --branch all$`,
		`^\$ lamin restore artifact --uid [0-9A-Za-z]{20}$`,
		`^\$ lamin list storage$`,
		`^\$ lamin delete artifact --uid [0-9A-Za-z]{20} --permanent$`,
		spacedLine(emptyArtifactHeader), // gone in the database
		`^→ deleting instance anonymous/test-delete$`,
	})
	if fileExists(filepath.Join(demoDir, "test-delete")) {
		t.Errorf("demo left its instance root %s behind", filepath.Join(demoDir, "test-delete"))
	}
	checkGolden(t, "demo", tr.text())
}

func TestGoldenSeed2025CLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tr := newTranscript(e)
	root := e.path("test-delete")

	tr.note("!lamin init --storage test-delete")
	tr.run(0, "", "init", "--storage", root)
	e.write("df.csv", seedCSV)
	tr.note(`ln.Artifact.from_dataframe(pd.DataFrame({"a": [1, 2], "b": [3, 4]}), description="mydf").save()`)
	tr.run(0, "", "save", "df.csv", "--dataframe", "--description", "mydf")
	recs := e.list("artifact")
	if len(recs) != 1 {
		t.Fatalf("want 1 artifact after save, got %d", len(recs))
	}
	u := recs[0]["uid"].(string)
	tr.uid(u)
	if fileExists(filepath.Join(root, "example_datasets")) || !fileExists(filepath.Join(root, ".lamindb", u+".parquet")) {
		t.Errorf("the artifact's bytes belong at .lamindb/%s.parquet", u)
	}
	storages := e.list("storage")
	tr.uid(uids(storages)...)

	tr.note("ln.Artifact.to_dataframe()")
	tr.run(0, "", "list", "artifact")
	tr.note("artifact.delete(): trash")
	tr.run(0, "", "delete", "artifact", "--uid", u)
	if !fileExists(filepath.Join(root, ".lamindb", u+".parquet")) {
		t.Errorf("trash must keep the file")
	}
	tr.note("no longer visible")
	tr.run(0, "", "list", "artifact")
	tr.note("ln.Artifact.filter(branch_id=None).to_dataframe()")
	tr.run(0, "", "list", "artifact", "--branch", "all")
	tr.run(0, "", "list", "artifact", "--branch", "trash")
	tr.note("get by uid and by 16-character stem finds the trashed record")
	tr.run(0, "", "get", "artifact", u)
	tr.run(0, "", "get", "artifact", u[:16])
	tr.note("get by key looks at main only (the key here is None; see TestGetByKeySkipsTrash for a keyed artifact)")
	tr.run(3, "", "get", "artifact", "--key", "df.parquet")
	tr.note("artifact.restore()")
	tr.run(0, "", "restore", "artifact", "--uid", u)
	tr.run(0, "", "list", "artifact")
	tr.note("ln.Storage.to_dataframe()")
	tr.run(0, "", "list", "storage")
	tr.note("artifact.delete(permanent=True)")
	tr.run(0, "", "delete", "artifact", "--uid", u, "--permanent")
	tr.note("now it's gone in the database")
	tr.run(0, "", "list", "artifact", "--branch", "all")
	if got := managedFiles(t, root); len(got) != 0 {
		t.Errorf(".lamindb/ must hold only lamin.db* and storage_uid.txt after the permanent delete; also holds %v", got)
	}
	tr.note("!lamin delete --force test-delete")
	tr.run(0, "", "delete", "--force", "test-delete")
	if fileExists(filepath.Join(root, ".lamindb")) {
		t.Errorf("%s/.lamindb still exists after deleting the instance", root)
	}
	if p := filepath.Join(e.settingsDir(), "instance--anonymous--test-delete.env"); fileExists(p) {
		t.Errorf("settings file %s still exists after deleting the instance", p)
	}
	tr.note("the instance is gone")
	tr.run(3, "", "connect", "test-delete")
	checkGolden(t, "seed2025_cli", tr.text())
}

func TestGoldenSeed2023CLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tr := newTranscript(e)
	tr.note("!lamin init --storage test-delete")
	tr.run(0, "", "init", "--storage", e.path("test-delete"))
	e.write("df.csv", seedCSV)
	tr.note(`file = ln.File(pd.DataFrame({"a": [1, 2], "b": [3, 4]}), description="mydf"); file.save()`)
	tr.run(0, "", "save", "df.csv", "--dataframe", "--description", "mydf")
	recs := e.list("file")
	if len(recs) != 1 {
		t.Fatalf("want 1 file, got %d", len(recs))
	}
	u := recs[0]["uid"].(string)
	tr.uid(u)
	tr.note("ln.File.filter().df()")
	tr.run(0, "", "list", "file")
	tr.note("file.delete(): trash")
	tr.run(0, "", "delete", "file", "--uid", u)
	tr.note("no longer visible")
	tr.run(0, "", "list", "file")
	tr.note("ln.File.filter(visibility=None).df()")
	tr.run(0, "", "list", "file", "--visibility", "none")
	tr.note("file.restore()")
	tr.run(0, "", "restore", "file", "--uid", u)
	tr.run(0, "", "list", "file")
	tr.note("trash again, then delete the trashed file: the permanent delete dialog")
	tr.run(0, "", "delete", "file", "--uid", u)
	r := tr.run(0, "y\n", "delete", "file", "--uid", u)
	prompt := "Artifact " + u + " is already in trash! Are you sure you want to delete it from your database? You can't undo this action. (y/n) "
	if !strings.Contains(r.stderr, prompt) {
		t.Errorf("stderr lacks the prompt %q:\n%s", prompt, r.stderr)
	}
	if strings.Contains(r.stdout, "(y/n)") {
		t.Errorf("the prompt belongs on stderr, not stdout:\n%s", r.stdout)
	}
	tr.note("now it's gone in the database")
	tr.run(0, "", "list", "file", "--visibility", "none")
	tr.run(3, "", "get", "file", u)
	checkGolden(t, "seed2023_cli", tr.text())
}

// TestDemoNewDir: `lamin demo --dir DIR` with a DIR that does not exist yet.
func TestDemoNewDir(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.run("", "demo", "--dir", e.path("new", "demo"))
	if r.code != 0 || !strings.Contains(r.stdout, "→ deleting instance anonymous/test-delete") {
		t.Errorf("demo in a new folder:\n%s", r)
	}
}
