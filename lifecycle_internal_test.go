package lamindb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lamindb-go/lamindb/internal/sqldb"
)

func newInternal(t *testing.T) (*Instance, string) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("LAMIN_CACHE_DIR", filepath.Join(dir, "cache"))
	in, err := Init(context.Background(), InitOptions{Options: Options{Settings: Settings{Dir: filepath.Join(dir, "settings")}}, Storage: filepath.Join(dir, "root")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	return in, dir
}

func saveText(t *testing.T, in *Instance, dir, name, content string) *Artifact {
	t.Helper()
	p := filepath.Join(dir, name)
	os.WriteFile(p, []byte(content), 0o644)
	a, err := in.Save(context.Background(), p, SaveOptions{Key: name})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// An artifact that is a transform's environment cascades into the transform,
// and the transform into its runs (spec §1.7, §1.13); a run's report protects.
func TestPurgeCascadesIntoTransformsAndRuns(t *testing.T) {
	ctx := context.Background()
	in, dir := newInternal(t)
	env := saveText(t, in, dir, "env.txt", "environment")
	report := saveText(t, in, dir, "report.txt", "report")
	err := in.db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO lamindb_transform (id, uid, key, kind, is_latest, created_by_id, environment_id) VALUES (7, 'TTTTTTTTTTTT0000', 'script.py', 'pipeline', 1, 1, ?)`, env.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO lamindb_run (id, uid, transform_id, created_by_id) VALUES (9, 'RRRRRRRRRRRRRRRR', 7, 1)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := in.Artifacts().UID(env.UID).Delete(ctx, DeleteOptions{Permanent: true, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	var cascaded []string
	for _, c := range plan.Cascades {
		cascaded = append(cascaded, c.Registry+":"+c.UID)
	}
	if got := strings.Join(cascaded, ","); got != "transform:TTTTTTTTTTTT0000,run:RRRRRRRRRRRRRRRR" {
		t.Fatalf("cascades %s", got)
	}
	// A run's report is PROTECT: the report cannot be purged while the run lives.
	if _, err := in.db.ExecContext(ctx, `UPDATE lamindb_run SET report_id = ? WHERE id = 9`, report.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Artifacts().UID(report.UID).Delete(ctx, DeleteOptions{Permanent: true}); !errors.Is(err, ErrProtected) || !strings.Contains(err.Error(), "Run.report") {
		t.Fatalf("purge of a run's report: %v", err)
	}
	// Purging the environment removes the transform and its run, which frees the report.
	if _, err := in.Artifacts().UID(env.UID).Delete(ctx, DeleteOptions{Permanent: true}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := in.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM lamindb_transform) + (SELECT count(*) FROM lamindb_run)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d transforms and runs left", n)
	}
	if _, err := in.Artifacts().UID(report.UID).Delete(ctx, DeleteOptions{Permanent: true}); err != nil {
		t.Errorf("purge of the freed report: %v", err)
	}
}

// Artifacts in storage this instance does not manage: the permanent delete is
// refused unless --storage keep, which deletes the row and keeps the bytes.
func TestForeignStoragePurge(t *testing.T) {
	ctx := context.Background()
	in, dir := newInternal(t)
	foreign := filepath.Join(dir, "foreign")
	os.MkdirAll(foreign, 0o755)
	os.WriteFile(filepath.Join(foreign, "data.txt"), []byte("theirs"), 0o644)
	if _, err := in.db.ExecContext(ctx, `INSERT INTO lamindb_storage (uid, root, type, instance_uid, created_by_id) VALUES ('FFFFFFFFFFFF', ?, 'local', 'otherInstanc', 1)`, filepath.ToSlash(foreign)); err != nil {
		t.Fatal(err)
	}
	in.forgetStorages()
	a, err := in.Save(ctx, filepath.Join(foreign, "data.txt"), SaveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a.StorageKey() != "data.txt" || a.KeyIsVirtual {
		t.Fatalf("registered in place: %s", a.StorageKey())
	}
	_, err = in.Artifacts().UID(a.UID).Delete(ctx, DeleteOptions{Permanent: true})
	if !errors.Is(err, ErrForeignStorage) || ExitCode(err) != ExitRefused || !strings.Contains(err.Error(), "Cannot simply delete artifacts outside of this instance's managed storage locations.") {
		t.Fatalf("purge in foreign storage: %v", err)
	}
	if _, err := in.Artifacts().UID(a.UID).Delete(ctx, DeleteOptions{Permanent: true, Storage: "keep"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(foreign, "data.txt")); err != nil {
		t.Errorf("foreign bytes deleted: %v", err)
	}
}
